//! The signed-in user: identity URL, token, user, projects and API endpoints.
//!
//! Kept in `sessionStorage` (gone when the tab closes) unless the user ticked
//! "remember me", then in `localStorage`. It is never put in a URL or a log.

use leptos::prelude::*;
use nephele_model::identity::{Access, Endpoints, Family};
use nephele_model::keystone::Token;
use serde::{Deserialize, Serialize};

const STORAGE_KEY: &str = "nephele.session";
/// Written to `localStorage` when a session ends, so that every other tab of the
/// portal (which gets a `storage` event) ends it too. It names the user and the
/// cloud, never the token: a tab that was not "remembered" keeps its token to itself.
const ENDED_KEY: &str = "nephele.session-ended";

/// Who signed out of which cloud, and why (the value of [`ENDED_KEY`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ended {
    identity_url: String,
    user_id: String,
    expired: bool,
    /// Makes every write a change, so the event fires even for the same user twice.
    at: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub identity_url: String,
    pub token: String,
    pub user_id: String,
    pub user_name: String,
    /// Projects the user is a member of (UUIDs).
    pub projects: Vec<String>,
    /// The project new resources are charged to unless another is chosen.
    pub default_project: Option<String>,
    pub endpoints: Endpoints,
    /// When the token expires, as the identity service said (ISO 8601).
    pub expires: Option<String>,
    pub remember: bool,
    /// Synnefo or OpenStack: which API calls this session makes.
    #[serde(default)]
    pub family: Family,
    /// OpenStack: the token is scoped to `default_project` only; it can be
    /// exchanged for one on another project (not when it came from an
    /// application credential, which is bound to its project).
    #[serde(default)]
    pub can_rescope: bool,
    /// OpenStack: the catalog's regions with a network service, and the one used.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// Where the user last worked, by cloud: signing in again (after the token's
/// hour is up) returns to that project. Ids only, never a token.
const LAST_PROJECT_KEY: &str = "nephele.last-project";

impl Session {
    /// Build a session from the identity service's answer.
    pub fn from_access(
        identity_url: &str,
        token: &str,
        access: &Access,
        remember: bool,
    ) -> Result<Session, String> {
        let user = access
            .user
            .as_ref()
            .ok_or("The identity service did not say who this token belongs to.")?;
        let endpoints =
            access.endpoints().map_err(|e| format!("This cloud cannot be used: {e}."))?;
        let token_info = access.token.as_ref();
        Ok(Session {
            identity_url: identity_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            user_id: user.id.clone(),
            user_name: user.name.clone().unwrap_or_else(|| user.id.clone()),
            projects: user.projects.clone(),
            default_project: token_info.and_then(|t| t.tenant.as_ref()).map(|t| t.id.clone()),
            endpoints,
            expires: token_info.and_then(|t| t.expires.clone()),
            remember,
            family: Family::Synnefo,
            can_rescope: false,
            regions: Vec::new(),
            region: None,
        })
    }

    /// Build a session from a Keystone token scoped to a project. `projects`:
    /// the ids the user may switch to.
    pub fn from_keystone(
        identity_url: &str,
        token: &str,
        body: &Token,
        projects: Vec<String>,
        can_rescope: bool,
        remember: bool,
        region: Option<&str>,
    ) -> Result<Session, String> {
        let user = body.user.as_ref().ok_or("Keystone did not say who this token belongs to.")?;
        let project = body
            .project
            .as_ref()
            .ok_or("Keystone issued a token for no project: choose a project to work in.")?;
        let regions = body.regions();
        let region = region.filter(|r| regions.iter().any(|x| x == r)).map(str::to_owned);
        let region = region.or_else(|| regions.first().cloned());
        let endpoints = body
            .endpoints(region.as_deref())
            .map_err(|e| format!("This cloud cannot be used: {e}."))?;
        Ok(Session {
            identity_url: identity_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            user_id: user.id.clone(),
            user_name: if user.name.is_empty() { user.id.clone() } else { user.name.clone() },
            projects,
            default_project: Some(project.id.clone()),
            endpoints,
            expires: body.expires_at.clone(),
            remember,
            family: Family::OpenStack,
            can_rescope,
            regions,
            region,
        })
    }

    /// The project this session's calls are made for (OpenStack: the one its
    /// token is scoped to).
    pub fn project(&self) -> Option<&str> {
        self.default_project.as_deref()
    }
}

/// The project the user last worked in on this cloud, if remembered.
pub fn last_project(identity_url: &str) -> Option<String> {
    let all = local_storage()?.get_item(LAST_PROJECT_KEY).ok()??;
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&all).ok()?;
    map.get(identity_url.trim_end_matches('/')).cloned()
}

fn remember_project(identity_url: &str, project: &str) {
    let Some(storage) = local_storage() else { return };
    let mut map: std::collections::BTreeMap<String, String> = storage
        .get_item(LAST_PROJECT_KEY)
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    map.insert(identity_url.trim_end_matches('/').to_owned(), project.to_owned());
    if let Ok(json) = serde_json::to_string(&map) {
        let _ = storage.set_item(LAST_PROJECT_KEY, &json);
    }
}

/// Why the user was sent back to the login page, shown there.
#[derive(Debug, Clone, PartialEq)]
pub enum SignedOutReason {
    SignedOut,
    Expired,
}

/// The session, provided by `App`. A 401 from any call ends it here, in one place.
#[derive(Clone, Copy)]
pub struct SessionContext {
    session: RwSignal<Option<Session>>,
    reason: RwSignal<Option<SignedOutReason>>,
}

impl SessionContext {
    /// Restore the session from browser storage, if any.
    pub fn restore() -> SessionContext {
        let stored = [session_storage(), local_storage()]
            .into_iter()
            .flatten()
            .find_map(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| serde_json::from_str::<Session>(&json).ok());
        SessionContext { session: RwSignal::new(stored), reason: RwSignal::new(None) }
    }

    /// A context with this session and no storage behind it (component tests).
    pub fn with(session: Option<Session>) -> SessionContext {
        SessionContext { session: RwSignal::new(session), reason: RwSignal::new(None) }
    }

    pub fn get(&self) -> Option<Session> {
        self.session.get()
    }

    pub fn get_untracked(&self) -> Option<Session> {
        self.session.get_untracked()
    }

    /// Read part of the session, tracking it.
    pub fn read<T>(&self, f: impl FnOnce(Option<&Session>) -> T) -> T {
        self.session.with(|s| f(s.as_ref()))
    }

    pub fn is_signed_in(&self) -> bool {
        self.session.with(Option::is_some)
    }

    pub fn signed_out_reason(&self) -> Option<SignedOutReason> {
        self.reason.get()
    }

    pub fn sign_in(&self, session: Session) {
        if let (Family::OpenStack, Some(p)) = (session.family, session.project()) {
            remember_project(&session.identity_url, p);
        }
        clear_storage();
        let storage = if session.remember { local_storage() } else { session_storage() };
        if let (Some(storage), Ok(json)) = (storage, serde_json::to_string(&session)) {
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
        self.reason.set(None);
        self.session.set(Some(session));
    }

    pub fn sign_out(&self, reason: SignedOutReason) {
        if let Some(s) = self.session.get_untracked() {
            let ended = Ended {
                identity_url: s.identity_url,
                user_id: s.user_id,
                expired: reason == SignedOutReason::Expired,
                at: js_sys::Date::now(),
            };
            if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(&ended)) {
                let _ = storage.set_item(ENDED_KEY, &json);
            }
        }
        self.end_here(reason);
    }

    /// End this tab's session without telling the others (they told us).
    fn end_here(&self, reason: SignedOutReason) {
        clear_storage();
        self.reason.set(Some(reason));
        self.session.set(None);
    }

    /// Follow sign-outs in the portal's other tabs: a `storage` event for
    /// [`ENDED_KEY`] that names this tab's user and cloud ends the session here too.
    /// (A sign-in elsewhere, which rewrites the stored session, ends nothing.)
    /// `App` calls it once; the listener goes with the app.
    pub fn follow_other_tabs(&self) {
        let this = *self;
        let handle = window_event_listener(leptos::ev::storage, move |ev| {
            let Some(mine) = this.session.get_untracked() else { return };
            match ev.key().as_deref() {
                Some(ENDED_KEY) => {
                    let ended = ev.new_value().and_then(|v| serde_json::from_str::<Ended>(&v).ok());
                    let for_me = ended.filter(|e| {
                        e.user_id == mine.user_id && e.identity_url == mine.identity_url
                    });
                    if let Some(e) = for_me {
                        this.end_here(if e.expired {
                            SignedOutReason::Expired
                        } else {
                            SignedOutReason::SignedOut
                        });
                    }
                }
                // `localStorage.clear()` (key null) removes a remembered session too.
                None if mine.remember => this.end_here(SignedOutReason::SignedOut),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
}

fn clear_storage() {
    for storage in [session_storage(), local_storage()].into_iter().flatten() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Where to go after login, as path, query and fragment inside this portal.
///
/// `next` is resolved with the browser's own URL parser against the portal's
/// origin, exactly as a navigation would resolve it (tab, CR and LF stripped,
/// backslashes read as slashes, dot segments removed), and kept only if it stays
/// on that origin. Leading slashes of the path are then folded into one: a dot
/// segment can leave `//evil.example` as the *path*, which the History API would
/// read as another host. Anything else, and the login page itself, goes to
/// `/networks`.
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/networks";
    let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) else {
        return HOME.to_owned();
    };
    let resolved = next
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| web_sys::Url::new_with_base(n, &format!("{origin}/")).ok())
        .filter(|u| u.origin() == origin);
    let Some(url) = resolved else { return HOME.to_owned() };
    let path = format!("/{}", url.pathname().trim_start_matches('/'));
    if path == "/login" || path.starts_with("/login/") {
        return HOME.to_owned();
    }
    format!("{path}{}{}", url.search(), url.hash())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nephele_model::identity::TokenResponse;

    const ANSWER: &str = r#"{"access": {
      "token": {"id": "tok", "expires": "2030-01-01T00:00:00+00:00", "tenant": {"id": "u-1", "name": "Demo"}},
      "user": {"id": "u-1", "name": "Demo User", "projects": ["u-1", "p-2"]},
      "serviceCatalog": [
        {"name": "cyclades_network", "type": "network", "endpoints": [{"versionId": "v2.0", "publicURL": "http://h/network"}]},
        {"name": "cyclades_compute", "type": "compute", "endpoints": [{"versionId": "v2.0", "publicURL": "http://h/compute/v2.0"}]},
        {"name": "astakos_account", "type": "account", "endpoints": [{"versionId": "v1.0", "publicURL": "http://h/account/v1.0"}]}
      ]}}"#;

    #[test]
    fn session_from_identity_answer() {
        let access = serde_json::from_str::<TokenResponse>(ANSWER).unwrap().access;
        let s = Session::from_access("http://h/identity/v2.0/", "tok", &access, false).unwrap();
        assert_eq!(s.identity_url, "http://h/identity/v2.0");
        assert_eq!(s.user_name, "Demo User");
        assert_eq!(s.default_project.as_deref(), Some("u-1"));
        assert_eq!(s.endpoints.network, "http://h/network/v2.0");
        assert_eq!(s.projects, ["u-1", "p-2"]);
    }

    #[test]
    fn catalog_without_network_is_explained() {
        let mut access = serde_json::from_str::<TokenResponse>(ANSWER).unwrap().access;
        access.service_catalog.retain(|s| s.kind != "network");
        let err = Session::from_access("http://h", "tok", &access, false).unwrap_err();
        assert!(err.contains("no 'network' service"), "{err}");
    }
}
