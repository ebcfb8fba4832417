//! Astakos identity: `POST /identity/v2.0/tokens` and the service catalog.

use serde::{Deserialize, Serialize};

/// `{"auth": {"token": {"id": …}}}` as kamaki and the portal send it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenRequest {
    pub auth: AuthBody,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuthBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenId>,
    #[serde(default, rename = "passwordCredentials", skip_serializing_if = "Option::is_none")]
    pub password_credentials: Option<PasswordCredentials>,
    #[serde(default, rename = "tenantName", skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenId {
    pub id: String,
}

/// Synnefo's alternative form: `username` is the user UUID, `password` the token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PasswordCredentials {
    pub username: String,
    pub password: String,
}

impl TokenRequest {
    pub fn with_token(token: impl Into<String>) -> TokenRequest {
        TokenRequest {
            auth: AuthBody { token: Some(TokenId { id: token.into() }), ..AuthBody::default() },
        }
    }
}

/// The 200 answer: `{"access": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenResponse {
    pub access: Access,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Access {
    /// Absent in "public mode" (a POST with no body returns only the catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(rename = "serviceCatalog", default)]
    pub service_catalog: Vec<Service>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenInfo {
    pub id: String,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub tenant: Option<Tenant>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tenant {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub roles_links: Vec<serde_json::Value>,
    /// UUIDs of the projects the user is an accepted member of.
    #[serde(default)]
    pub projects: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Role {
    #[serde(deserialize_with = "crate::id::string_or_number")]
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub endpoints_links: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoint {
    #[serde(rename = "versionId", default)]
    pub version_id: Option<String>,
    #[serde(rename = "publicURL")]
    pub public_url: String,
    #[serde(rename = "SNF:exposeVersion", default, skip_serializing_if = "Option::is_none")]
    pub expose_version: Option<serde_json::Value>,
    #[serde(rename = "SNF:uiURL", default, skip_serializing_if = "Option::is_none")]
    pub ui_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Which API family a cloud speaks: Synnefo (Astakos + Cyclades) or OpenStack
/// (Keystone v3 + Neutron, and Nova when the catalog has it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    #[default]
    Synnefo,
    #[serde(rename = "openstack")]
    OpenStack,
}

impl Family {
    /// What an identity URL says by itself: Keystone's is `…/v3`. `None` when
    /// only the version document can tell (see `keystone::is_keystone_v3`).
    pub fn from_identity_url(url: &str) -> Option<Family> {
        let path = url.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
        match path.rsplit('/').next() {
            Some("v3") => Some(Family::OpenStack),
            Some("v2.0") if path.contains("/identity") || path.contains("astakos") => {
                Some(Family::Synnefo)
            }
            _ => None,
        }
    }
}

/// The API roots a client needs, picked from a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub identity: Option<String>,
    /// Cyclades compute, or Nova (optional on OpenStack: a network-only cloud).
    pub compute: Option<String>,
    /// Already ends in `/v2.0`: Synnefo and OpenStack advertise it without.
    pub network: String,
    /// Astakos' account service; OpenStack has none.
    pub account: Option<String>,
}

/// Why a catalog cannot serve this portal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("the cloud's service catalog has no '{0}' service")]
    Missing(&'static str),
}

impl Access {
    /// The first endpoint's `publicURL` of the service with this `type`, as kamaki picks it.
    pub fn public_url(&self, kind: &str) -> Option<&str> {
        self.service_catalog
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.endpoints.first())
            .map(|e| e.public_url.as_str())
    }

    pub fn endpoints(&self) -> Result<Endpoints, CatalogError> {
        let need = |kind: &'static str| self.public_url(kind).ok_or(CatalogError::Missing(kind));
        Ok(Endpoints {
            identity: self.public_url("identity").map(trim_slash),
            compute: Some(with_version(need("compute")?, "2.0")),
            network: with_version(need("network")?, "2.0"),
            account: Some(with_version(need("account")?, "1.0")),
        })
    }
}

fn trim_slash(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

/// Append `/v<default>` unless the URL already ends in `/v<digits>[.<digits>]`,
/// the rule kamaki applies (`strip_version` in kamaki's clients).
pub fn with_version(url: &str, default: &str) -> String {
    let url = url.trim_end_matches('/');
    if has_version_suffix(url) {
        url.to_owned()
    } else {
        format!("{url}/v{default}")
    }
}

fn has_version_suffix(url: &str) -> bool {
    let Some(last) = url.rsplit('/').next() else { return false };
    let Some(rest) = last.strip_prefix('v') else { return false };
    let mut parts = rest.splitn(2, '.');
    let major_ok =
        parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let minor_ok =
        parts.next().is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    major_ok && minor_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_ANSWER: &str = r#"{"access": {
      "token": {"id": "0aB3-tokenvalue", "expires": "2018-06-19T15:23:59.975572+00:00",
                "tenant": {"id": "a9dc", "name": "Jane Doe"}},
      "user": {"id": "a9dc", "name": "Jane Doe", "roles": [{"id": "1", "name": "default"}],
               "roles_links": [], "projects": ["a9dc", "3f1d"]},
      "serviceCatalog": [
        {"name": "cyclades_network", "type": "network", "endpoints_links": [],
         "endpoints": [{"versionId": "v2.0", "publicURL": "https://c.example.org/cyclades/network",
                        "SNF:exposeVersion": "False", "SNF:uiURL": "https://c.example.org/ui", "region": "default"}]},
        {"name": "cyclades_compute", "type": "compute", "endpoints_links": [],
         "endpoints": [{"versionId": "v2.0", "publicURL": "https://c.example.org/cyclades/compute/v2.0"}]},
        {"name": "astakos_account", "type": "account", "endpoints_links": [],
         "endpoints": [{"versionId": "v1.0", "publicURL": "https://a.example.org/astakos/account/v1.0"}]}
      ]}}"#;

    #[test]
    fn picks_endpoints_and_adds_network_version() {
        let r: TokenResponse = serde_json::from_str(SPEC_ANSWER).unwrap();
        let e = r.access.endpoints().unwrap();
        assert_eq!(e.network, "https://c.example.org/cyclades/network/v2.0");
        assert_eq!(e.compute.as_deref(), Some("https://c.example.org/cyclades/compute/v2.0"));
        assert_eq!(e.account.as_deref(), Some("https://a.example.org/astakos/account/v1.0"));
        assert_eq!(r.access.user.unwrap().projects, ["a9dc", "3f1d"]);
    }

    #[test]
    fn missing_service_is_named() {
        let mut r: TokenResponse = serde_json::from_str(SPEC_ANSWER).unwrap();
        r.access.service_catalog.retain(|s| s.kind != "account");
        assert_eq!(r.access.endpoints(), Err(CatalogError::Missing("account")));
    }

    #[test]
    fn version_suffix_rule() {
        assert_eq!(with_version("http://h/network", "2.0"), "http://h/network/v2.0");
        assert_eq!(with_version("http://h/network/", "2.0"), "http://h/network/v2.0");
        assert_eq!(with_version("http://h/compute/v2.0", "2.0"), "http://h/compute/v2.0");
        assert_eq!(with_version("http://h/compute/v2", "2.0"), "http://h/compute/v2");
        assert_eq!(with_version("http://h/vendor", "1.0"), "http://h/vendor/v1.0");
        assert_eq!(with_version("http://h/v2.", "1.0"), "http://h/v2./v1.0");
    }

    #[test]
    fn family_from_the_url() {
        assert_eq!(
            Family::from_identity_url("https://k.example.org:5000/v3/"),
            Some(Family::OpenStack)
        );
        assert_eq!(Family::from_identity_url("/identity/v2.0"), Some(Family::Synnefo));
        assert_eq!(Family::from_identity_url("https://k.example.org/identity"), None);
        assert_eq!(serde_json::to_string(&Family::OpenStack).unwrap(), r#""openstack""#);
        assert_eq!(serde_json::from_str::<Family>(r#""synnefo""#).unwrap(), Family::Synnefo);
    }

    #[test]
    fn token_request_shape() {
        let body = serde_json::to_string(&TokenRequest::with_token("t")).unwrap();
        assert_eq!(body, r#"{"auth":{"token":{"id":"t"}}}"#);
    }
}
