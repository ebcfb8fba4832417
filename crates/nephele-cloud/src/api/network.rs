//! Network API v2.0 (`/network/v2.0/...`): networks, subnets, ports, floating IPs.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::{json_body, list_response, no_content, route, wrapped, Body, Ctx, IdPath};
use crate::db::{self, path_id};
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
    st.tx(move |tx| ctx.auth(tx).map(|_| ())).await?;
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
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((db::list_networks(tx, &c, since)?, since))
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
    let n = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let body = json_body(&headers, body)?;
            db::create_network(tx, &c, &body)
        })
        .await?;
    Ok(wrapped(StatusCode::CREATED, "network", n))
}

async fn show_network(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let n = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_network(tx, &c, path_id(&id, "Invalid network ID.")?)
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
    let n = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let id = path_id(&id, "Invalid network ID.")?;
            let body = json_body(&headers, body)?;
            db::rename_network(tx, &c, id, &body)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "network", n))
}

async fn delete_network(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    st.tx(move |tx| {
        let c = ctx.auth(tx)?;
        db::delete_network(tx, &c, path_id(&id, "Invalid network ID.")?)
    })
    .await?;
    Ok(no_content())
}

async fn network_action(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    st.tx(move |tx| {
        let c = ctx.auth(tx)?;
        let id = path_id(&id, "Invalid network ID.")?;
        let body = json_body(&headers, body)?;
        db::network_action(tx, &c, id, &body)
    })
    .await?;
    Ok(StatusCode::OK.into_response_empty())
}

// ---- subnets

async fn list_subnets(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((db::list_subnets(tx, &c, since)?, since))
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
    let s = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let body = json_body(&headers, body)?;
            db::create_subnet(tx, &c, &body)
        })
        .await?;
    Ok(wrapped(StatusCode::CREATED, "subnet", s))
}

async fn show_subnet(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let s = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_subnet(tx, &c, path_id(&id, "Invalid subnet ID.")?)
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
    let s = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let id = path_id(&id, "Invalid subnet ID.")?;
            let body = json_body(&headers, body)?;
            db::rename_subnet(tx, &c, id, &body)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "subnet", s))
}

async fn delete_subnet(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    st.tx(move |tx| ctx.auth(tx).map(|_| ())).await?;
    Err(ApiError::bad_request("Deletion of a subnet is not supported"))
}

// ---- ports

async fn list_ports(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let items = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::list_ports(tx, &c)
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
    let delay = st.delay_us();
    let p = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let body = json_body(&headers, body)?;
            db::create_port(tx, &c, &body, delay)
        })
        .await?;
    if p.device_id.is_some() {
        st.scheduled();
    }
    Ok(wrapped(StatusCode::CREATED, "port", p))
}

async fn show_port(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let p = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_port(tx, &c, path_id(&id, "Invalid port ID.")?)
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
    let p = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let id = path_id(&id, "Invalid port ID.")?;
            let body = json_body(&headers, body)?;
            db::update_port(tx, &c, id, &body)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "port", p))
}

async fn delete_port(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let delay = st.delay_us();
    let scheduled = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::delete_port(tx, &c, path_id(&id, "Invalid port ID.")?, delay)
        })
        .await?;
    if scheduled {
        st.scheduled();
    }
    Ok(no_content())
}

// ---- floating IPs

async fn list_fips(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((db::list_fips(tx, &c, since)?, since))
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
    let f = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let body = json_body(&headers, body)?;
            db::create_fip(tx, &c, &body)
        })
        .await?;
    // Synnefo answers 200 here, not 201, and kamaki insists on it.
    Ok(wrapped(StatusCode::OK, "floatingip", f))
}

async fn show_fip(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let f = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_fip(tx, &c, path_id(&id, &format!("Invalid Floating IP ID {id}"))?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "floatingip", f))
}

async fn update_fip(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    st.tx(move |tx| ctx.auth(tx).map(|_| ())).await?;
    Err(ApiError::not_implemented("Updating a floating IP is not supported."))
}

async fn delete_fip(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    st.tx(move |tx| {
        let c = ctx.auth(tx)?;
        db::delete_fip(tx, &c, path_id(&id, &format!("Invalid Floating IP ID {id}"))?)
    })
    .await?;
    Ok(no_content())
}

async fn fip_action(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    st.tx(move |tx| {
        let c = ctx.auth(tx)?;
        let id = path_id(&id, &format!("Invalid Floating IP ID {id}"))?;
        let body = json_body(&headers, body)?;
        db::fip_action(tx, &c, id, &body)
    })
    .await?;
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
