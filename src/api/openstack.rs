//! Keystone v3: sign in (password, application credential, token), re-scope a
//! token to another project, list the user's projects, and tell an OpenStack
//! identity URL from an Astakos one. Neutron and Nova calls live in
//! [`super::cloud::Cloud`] beside Synnefo's, chosen by the session's family.

use gloo_net::http::Method;
use nephele_model::account::Project;
use nephele_model::identity::Family;
use nephele_model::keystone::{self, ProjectList, Token, TokenAnswer};

use super::{path_of, send, send_for_token, send_raw, ApiError};
use crate::state::session::{last_project, Session};

/// A token Keystone issued and what it said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    pub token: String,
    pub body: Token,
}

fn tokens_url(identity_url: &str) -> String {
    format!("{}/auth/tokens", identity_url.trim_end_matches('/'))
}

/// `POST /v3/auth/tokens`. `project`: scope to it; `None`: the user's default.
pub async fn issue(
    identity_url: &str,
    method: &keystone::Method,
    project: Option<&str>,
) -> Result<Issued, ApiError> {
    let url = tokens_url(identity_url);
    let body = keystone::auth_request(method, project);
    let (text, token) = send_for_token(Method::POST, &url, None, Some(&body)).await?;
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        // The browser hides a header the server does not expose through CORS.
        return Err(ApiError::Decode {
            path: path_of(&url),
            reason: "Keystone's answer carries no readable X-Subject-Token header \
                     (its [cors] expose_headers must include X-Subject-Token)"
                .into(),
        });
    };
    let answer: TokenAnswer = serde_json::from_str(&text)
        .map_err(|e| ApiError::Decode { path: path_of(&url), reason: e.to_string() })?;
    Ok(Issued { token, body: answer.token })
}

/// Exchange a token for one scoped to `project` (it keeps the old expiry).
pub async fn rescope(identity_url: &str, token: &str, project: &str) -> Result<Issued, ApiError> {
    issue(identity_url, &keystone::Method::Token { id: token.to_owned() }, Some(project)).await
}

/// `DELETE /v3/auth/tokens`: the token revokes itself (`X-Subject-Token`).
pub fn revoke(
    identity_url: String,
    token: String,
) -> futures::future::LocalBoxFuture<'static, Result<(), ApiError>> {
    Box::pin(async move {
        let url = tokens_url(&identity_url);
        let request = gloo_net::http::Request::delete(&url)
            .header("X-Auth-Token", &token)
            .header("X-Subject-Token", &token);
        match request.send().await {
            Ok(r) if r.ok() => Ok(()),
            Ok(r) => Err(super::error_from(path_of(&url), r.status(), String::new())),
            Err(e) => Err(ApiError::Unreachable { path: path_of(&url), reason: e.to_string() }),
        }
    })
}

/// `GET /v3/auth/projects`: the projects this user may scope a token to.
pub async fn projects(identity_url: &str, token: &str) -> Result<Vec<Project>, ApiError> {
    let url = format!("{}/auth/projects", identity_url.trim_end_matches('/'));
    let list: ProjectList = send::<(), _>(Method::GET, &url, Some(token), None).await?;
    Ok(list
        .projects
        .into_iter()
        .filter(|p| p.enabled)
        .map(|p| Project {
            id: p.id,
            name: p.name,
            state: "active".into(),
            description: p.description,
            ..Project::default()
        })
        .collect())
}

/// Which family an identity URL belongs to: the configuration's word, else the
/// URL's shape (`…/v3`), else its version document.
pub async fn detect_family(identity_url: &str, configured: Option<Family>) -> Family {
    if let Some(f) = configured.or_else(|| Family::from_identity_url(identity_url)) {
        return f;
    }
    match send_raw::<()>(Method::GET, identity_url, None, None).await {
        Ok(text) if keystone::is_keystone_v3(&text) => Family::OpenStack,
        _ => Family::Synnefo,
    }
}

/// Sign in to Keystone and build the session: scoped to the project the user
/// last worked in on this cloud when they still can reach it, else to their
/// default project, else (an unscoped token) to the first project they have.
/// The error is a sentence for the login page.
pub async fn sign_in(
    identity_url: &str,
    method: &keystone::Method,
    remember: bool,
) -> Result<Session, String> {
    let last = last_project(identity_url);
    let first = match issue(identity_url, method, last.as_deref()).await {
        // That project is gone, or the user left it: their default will do.
        Err(e) if last.is_some() && e.status() == Some(401) => {
            issue(identity_url, method, None).await
        }
        other => other,
    }
    .map_err(|e| sign_in_error(identity_url, method, &e))?;
    let projects = projects(identity_url, &first.token)
        .await
        .map_err(|e| sign_in_error(identity_url, method, &e))?;
    let ids: Vec<String> = projects.iter().map(|p| p.id.clone()).collect();
    let issued = if first.body.project.is_some() {
        first
    } else {
        let Some(project) = ids.first() else {
            return Err("You are not a member of any project on this cloud. \
                        Ask its administrators to add you to one."
                .into());
        };
        rescope(identity_url, &first.token, project)
            .await
            .map_err(|e| sign_in_error(identity_url, method, &e))?
    };
    Session::from_keystone(
        identity_url,
        &issued.token,
        &issued.body,
        ids,
        method.can_rescope(),
        remember,
        None,
    )
}

/// Keystone's refusals in words: the answer names neither field nor reason.
fn sign_in_error(identity_url: &str, method: &keystone::Method, e: &ApiError) -> String {
    match (e, e.status()) {
        (_, Some(401)) => match method {
            keystone::Method::Password { .. } => {
                "The user name, domain or password is not right.".into()
            }
            keystone::Method::ApplicationCredential { .. } => {
                "The application credential's ID or secret is not right, or it has expired.".into()
            }
            keystone::Method::Token { .. } => "This token is not valid (any more).".into(),
        },
        // Keystone answers 404 for a token it does not know.
        (_, Some(404)) if matches!(method, keystone::Method::Token { .. }) => {
            "This token is not valid (any more): sign in with your password.".into()
        }
        (_, Some(404)) => format!(
            "{identity_url} does not answer like Keystone v3: check the identity URL (it ends in /v3)."
        ),
        (ApiError::Unreachable { .. }, _) => format!(
            "Could not reach Keystone at {identity_url}. If this portal is served from another \
             origin, Keystone must allow it ([cors] allowed_origin)."
        ),
        _ => e.to_string(),
    }
}
