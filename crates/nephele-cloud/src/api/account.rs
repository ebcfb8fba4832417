//! Astakos account API v1.0: quotas, resources, projects.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::requests::UserCatalogsQuery;
use super::{json_body, route, Body, Ctx, IdPath};
use crate::db::{identity, quotas};
use crate::error::{json_response, ApiResult};
use crate::state::Shared;

const V: &str = "/account/v1.0";

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    let r = route(r, &format!("{V}/quotas"), "GET", get(quotas));
    let r = route(r, &format!("{V}/resources"), "GET", get(resources));
    let r = route(r, &format!("{V}/projects"), "GET", get(projects));
    let r = route(r, &format!("{V}/projects/{{id}}"), "GET", get(project));
    route(r, &format!("{V}/user_catalogs"), "POST", post(user_catalogs))
}

/// `POST /user_catalogs` `{"uuids": [...], "displaynames": [...]}`: names ↔ UUIDs.
async fn user_catalogs(
    State(st): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    ctx.astakos_caller(&st).await?;
    let query = UserCatalogsQuery::parse(&json_body(&headers, body)?)?;
    let v = st.read(move |tx| identity::user_catalogs(tx, &query)).await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn quotas(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let q = st
        .read(move |tx| {
            let c = ctx.auth_astakos(tx)?;
            quotas::quotas(tx, &c)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &q))
}

/// No token needed.
async fn resources() -> Response {
    json_response(StatusCode::OK, &quotas::resources())
}

async fn projects(State(st): State<Shared>, ctx: Ctx) -> ApiResult<Response> {
    let p = st
        .read(move |tx| {
            let c = ctx.auth_astakos(tx)?;
            quotas::projects(tx, &c)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &p))
}

async fn project(State(st): State<Shared>, ctx: Ctx, IdPath(id): IdPath) -> ApiResult<Response> {
    let p = st
        .read(move |tx| {
            let c = ctx.auth_astakos(tx)?;
            quotas::project(tx, &c, &id)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &p))
}
