//! Network API v2.0 (`/network/v2.0/...`): networks, subnets, ports, floating IPs.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::requests::{
    FloatingIpCreate, NetworkCreate, PortCreate, PortUpdate, Reassign, Rename, SubnetCreate,
};
use super::{json_body, list_response, no_content, path_id, route, wrapped, Body, Ctx, IdPath};
use crate::db::{floating_ips, networks, ports, subnets};
use crate::error::{json_response, ApiError, ApiResult};
use crate::state::Shared;

const V: &str = "/network/v2.0";

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    let r = route(r, "/network", "GET", get(versions));
    let r = route(r, V, "GET", get(resources));
    let r =
        route(r, &format!("{V}/networks"), "GET, POST", get(list_networks).post(create_network));
    let r = route(
        r,
        &format!("{V}/networks.json"),
        "GET, POST",
        get(list_networks).post(create_network),
    );
    let r = route(r, &format!("{V}/networks/detail"), "GET", get(list_networks));
    let r = route(
        r,
        &format!("{V}/networks/{{id}}"),
        "GET, PUT, DELETE",
        get(show_network).put(rename_network).delete(delete_network),
    );
    let r = route(r, &format!("{V}/networks/{{id}}/action"), "POST", post(network_action));
    let r = route(r, &format!("{V}/subnets"), "GET, POST", get(list_subnets).post(create_subnet));
    let r =
        route(r, &format!("{V}/subnets.json"), "GET, POST", get(list_subnets).post(create_subnet));
    let r = route(r, &format!("{V}/subnets/detail"), "GET", get(list_subnets));
    let r = route(
        r,
        &format!("{V}/subnets/{{id}}"),
        "GET, PUT, DELETE",
        get(show_subnet).put(rename_subnet).delete(delete_subnet),
    );
    let r = route(r, &format!("{V}/ports"), "GET, POST", get(list_ports).post(create_port));
    let r = route(r, &format!("{V}/ports.json"), "GET, POST", get(list_ports).post(create_port));
    let r = route(r, &format!("{V}/ports/detail"), "GET", get(list_ports));
    let r = route(
        r,
        &format!("{V}/ports/{{id}}"),
        "GET, PUT, DELETE",
        get(show_port).put(update_port).delete(delete_port),
    );
    let r = route(r, &format!("{V}/floatingips"), "GET, POST", get(list_fips).post(create_fip));
    let r =
        route(r, &format!("{V}/floatingips.json"), "GET, POST", get(list_fips).post(create_fip));
    let r = route(r, &format!("{V}/floatingips/detail"), "GET", get(list_fips));
    let r = route(
        r,
        &format!("{V}/floatingips/{{id}}"),
        "GET, PUT, DELETE",
        get(show_fip).put(update_fip).delete(delete_fip),
    );
    route(r, &format!("{V}/floatingips/{{id}}/action"), "POST", post(fip_action))
}

/// `GET /network`: the version document (no token needed).
async fn versions(ctx: Ctx) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"versions": [{"id": "v2.0", "status": "CURRENT",
            "links": [{"rel": "self", "href": format!("{}/network/v2.0/", ctx.base)}]}]}),
    )
}

async fn resources(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let base = ctx.base.clone();
    ctx.caller(&st).await?;
    let res: Vec<_> = [
        ("network", "networks"),
        ("subnet", "subnets"),
        ("port", "ports"),
        ("floatingip", "floatingips"),
    ]
    .iter()
    .map(|(name, coll)| {
        json!({"name": name, "collection": coll,
                   "links": [{"rel": "self", "href": format!("{base}/network/v2.0/{coll}")}]})
    })
    .collect();
    Ok(json_response(StatusCode::OK, &json!({ "resources": res })))
}

// ---- networks

async fn list_networks(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((networks::list(tx, &c, since)?, since))
        })
        .await?;
    list_response("networks", items, since)
}

async fn create_network(
    State(st): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let req = NetworkCreate::parse(&json_body(&headers, body)?)?;
    let n = st.write(move |tx| networks::create(tx, &c, &req)).await?;
    Ok(wrapped(StatusCode::CREATED, "network", n))
}

async fn show_network(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let n = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            networks::get(tx, &c, path_id(&id, "Invalid network ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "network", n))
}

async fn rename_network(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid network ID.")?;
    let req = Rename::network(&json_body(&headers, body)?)?;
    let n = st.write(move |tx| networks::rename(tx, &c, id, &req)).await?;
    Ok(wrapped(StatusCode::OK, "network", n))
}

async fn delete_network(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid network ID.")?;
    st.write(move |tx| networks::delete(tx, &c, id)).await?;
    Ok(no_content())
}

async fn network_action(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid network ID.")?;
    // Checked only once the network is found (see `networks::reassign`).
    let action = Reassign::parse(&json_body(&headers, body)?);
    st.write(move |tx| networks::reassign(tx, &c, id, action)).await?;
    Ok(StatusCode::OK.into_response_empty())
}

// ---- subnets

async fn list_subnets(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((subnets::list(tx, &c, since)?, since))
        })
        .await?;
    list_response("subnets", items, since)
}

async fn create_subnet(
    State(st): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let req = SubnetCreate::parse(&json_body(&headers, body)?)?;
    let s = st.write(move |tx| subnets::create(tx, &c, &req)).await?;
    Ok(wrapped(StatusCode::CREATED, "subnet", s))
}

async fn show_subnet(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let s = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            subnets::get(tx, &c, path_id(&id, "Invalid subnet ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "subnet", s))
}

async fn rename_subnet(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid subnet ID.")?;
    let req = Rename::subnet(&json_body(&headers, body)?)?;
    let s = st.write(move |tx| subnets::rename(tx, &c, id, &req)).await?;
    Ok(wrapped(StatusCode::OK, "subnet", s))
}

async fn delete_subnet(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    ctx.caller(&st).await?;
    Err(ApiError::bad_request("Deletion of a subnet is not supported"))
}

// ---- ports

async fn list_ports(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let items = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            ports::list(tx, &c)
        })
        .await?;
    list_response("ports", items, None)
}

async fn create_port(
    State(st): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let req = PortCreate::parse(&json_body(&headers, body)?)?;
    let delay = st.delay_us();
    let p = st.write(move |tx| ports::create(tx, &c, &req, delay)).await?;
    if p.device_id.is_some() {
        st.scheduled();
    }
    Ok(wrapped(StatusCode::CREATED, "port", p))
}

async fn show_port(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let p = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            ports::get(tx, &c, path_id(&id, "Invalid port ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "port", p))
}

async fn update_port(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid port ID.")?;
    let req = PortUpdate::parse(&json_body(&headers, body)?)?;
    let p = st.write(move |tx| ports::update(tx, &c, id, &req)).await?;
    Ok(wrapped(StatusCode::OK, "port", p))
}

async fn delete_port(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = path_id(&id, "Invalid port ID.")?;
    let delay = st.delay_us();
    let scheduled = st.write(move |tx| ports::delete(tx, &c, id, delay)).await?;
    if scheduled {
        st.scheduled();
    }
    Ok(no_content())
}

// ---- floating IPs

async fn list_fips(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((floating_ips::list(tx, &c, since)?, since))
        })
        .await?;
    list_response("floatingips", items, since)
}

async fn create_fip(
    State(st): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let req = FloatingIpCreate::parse(&json_body(&headers, body)?)?;
    let f = st.write(move |tx| floating_ips::create(tx, &c, &req)).await?;
    // Synnefo answers 200 here, not 201, and kamaki insists on it.
    Ok(wrapped(StatusCode::OK, "floatingip", f))
}

/// A floating IP id in a path, refused in Cyclades' words.
fn fip_id(raw: &str) -> ApiResult<i64> {
    path_id(raw, &format!("Invalid Floating IP ID {raw}"))
}

async fn show_fip(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let f = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            floating_ips::get(tx, &c, fip_id(&id)?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "floatingip", f))
}

async fn update_fip(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    ctx.caller(&st).await?;
    Err(ApiError::not_implemented("Updating a floating IP is not supported."))
}

async fn delete_fip(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = fip_id(&id)?;
    st.write(move |tx| floating_ips::delete(tx, &c, id)).await?;
    Ok(no_content())
}

async fn fip_action(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let c = ctx.caller(&st).await?;
    let id = fip_id(&id)?;
    // Checked only once the address is found (see `floating_ips::reassign`).
    let action = Reassign::parse(&json_body(&headers, body)?);
    st.write(move |tx| floating_ips::reassign(tx, &c, id, action)).await?;
    Ok(StatusCode::OK.into_response_empty())
}

/// An empty-bodied answer with a status (Synnefo's actions answer 200 with no body).
trait Empty {
    fn into_response_empty(self) -> Response;
}

impl Empty for StatusCode {
    fn into_response_empty(self) -> Response {
        axum::response::IntoResponse::into_response(self)
    }
}
