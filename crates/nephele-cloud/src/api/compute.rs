//! Compute API v2.0: listing servers, so devices can be picked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{list_response, path_id, route, wrapped, Ctx, IdPath};
use crate::db::servers;
use crate::error::ApiResult;
use crate::state::Shared;

const V: &str = "/compute/v2.0";

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    let r = route(r, &format!("{V}/servers"), "GET", get(list_servers));
    let r = route(r, &format!("{V}/servers.json"), "GET", get(list_servers));
    let r = route(r, &format!("{V}/servers/detail"), "GET", get(list_servers_detail));
    let r = route(r, &format!("{V}/servers/{{id}}"), "GET", get(show_server));
    route(r, &format!("{V}/servers/{{id}}/ips"), "GET", get(server_ips))
}

async fn list_servers(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((servers::list(tx, &c, since)?, since))
        })
        .await?;
    list_response("servers", items, since)
}

async fn list_servers_detail(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((servers::list_detail(tx, &c, since)?, since))
        })
        .await?;
    list_response("servers", items, since)
}

async fn show_server(
    State(st): State<Shared>,
    ctx: Ctx,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let s = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            servers::get(tx, &c, path_id(&id, "Invalid server ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "server", s))
}

/// `GET /servers/<id>/ips` (kamaki `server info --nics`): the server's addresses.
async fn server_ips(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let s = st
        .read(move |tx| {
            let c = ctx.auth(tx)?;
            servers::get(tx, &c, path_id(&id, "Invalid server ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "addresses", s.addresses))
}
