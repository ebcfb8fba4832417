//! Compute API v2.0: listing servers, so devices can be picked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{list_response, route, wrapped, Ctx, IdPath};
use crate::db::{self, path_id};
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
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((db::list_servers(tx, &c, since)?, since))
        })
        .await?;
    list_response("servers", items, since)
}

async fn list_servers_detail(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let (items, since) = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            let since = ctx.changes_since()?;
            Ok((db::list_servers_detail(tx, &c, since)?, since))
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
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_server(tx, &c, path_id(&id, "Invalid server ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "server", s))
}

/// `GET /servers/<id>/ips` (kamaki `server info --nics`): the server's addresses.
async fn server_ips(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let s = st
        .tx(move |tx| {
            let c = ctx.auth(tx)?;
            db::get_server(tx, &c, path_id(&id, "Invalid server ID.")?)
        })
        .await?;
    Ok(wrapped(StatusCode::OK, "addresses", s.addresses))
}
