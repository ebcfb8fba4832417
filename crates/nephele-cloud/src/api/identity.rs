//! Astakos identity: `POST /identity/v2.0/tokens` answers the user and the service
//! catalog, whose URLs are built from the request's `Host` so any port works.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use nephele_model::identity::{
    Access, Endpoint, Role, Service, Tenant, TokenInfo, TokenResponse, User,
};
use serde_json::Value;

use super::requests::TokenRequest;
use super::{route, Body, Ctx};
use crate::db;
use crate::error::{json_response, ApiError, ApiResult};
use crate::state::Shared;

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    route(r, "/identity/v2.0/tokens", "POST", post(tokens))
}

/// The catalog as Synnefo exports it; the network URL has no version on purpose.
pub fn catalog(base: &str) -> Vec<Service> {
    let entry =
        |name: &str, kind: &str, version: &str, url: String, expose: bool, ui: &str| Service {
            name: name.into(),
            kind: kind.into(),
            endpoints: vec![Endpoint {
                version_id: Some(version.into()),
                public_url: url,
                expose_version: Some(Value::String(if expose { "True" } else { "False" }.into())),
                ui_url: Some(format!("{base}{ui}")),
                region: Some("default".into()),
            }],
            endpoints_links: Vec::new(),
        };
    vec![
        entry("astakos_identity", "identity", "v2.0", format!("{base}/identity/v2.0"), true, "/"),
        entry("astakos_account", "account", "v1.0", format!("{base}/account/v1.0"), true, "/"),
        entry("cyclades_compute", "compute", "v2.0", format!("{base}/compute/v2.0"), true, "/"),
        entry("cyclades_network", "network", "v2.0", format!("{base}/network"), false, "/"),
    ]
}

async fn tokens(State(st): State<Shared>, ctx: Ctx, body: Body) -> ApiResult<Response> {
    let bytes = body.map_err(super::body_error)?;
    let base = ctx.base.clone();
    if bytes.is_empty() {
        // Public mode: the catalog alone.
        let access = Access { token: None, user: None, service_catalog: catalog(&base) };
        return Ok(json_response(StatusCode::OK, &TokenResponse { access }));
    }
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::bad_request("Could not decode request body as JSON"))?;
    let TokenRequest { token, username, tenant } = TokenRequest::parse(&body)?;
    let id = token.clone();
    let (uuid, name, projects) = st
        .read(move |tx| {
            let (uuid, name) = db::user_by_token(tx, &id)?
                .ok_or_else(|| ApiError::unauthorized("Invalid token"))?;
            if username.is_some_and(|u| u != uuid) {
                return Err(ApiError::unauthorized("Invalid credentials"));
            }
            if tenant.is_some_and(|t| t != uuid) {
                return Err(ApiError::bad_request("Not conforming tenantName"));
            }
            let projects = db::user_projects(tx, &uuid)?;
            Ok((uuid, name, projects))
        })
        .await?;
    let expires = db::iso(db::now_us() + 30 * 86_400 * 1_000_000);
    let access = Access {
        token: Some(TokenInfo {
            id: token,
            expires: Some(expires),
            tenant: Some(Tenant { id: uuid.clone(), name: Some(name.clone()) }),
        }),
        user: Some(User {
            id: uuid,
            name: Some(name),
            roles: vec![Role { id: "1".into(), name: "default".into() }],
            roles_links: Vec::new(),
            projects,
        }),
        service_catalog: catalog(&base),
    };
    Ok(json_response(StatusCode::OK, &TokenResponse { access }))
}
