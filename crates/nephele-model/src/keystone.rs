//! OpenStack identity (Keystone v3): the sign-in bodies, the token answer, its
//! catalog, and the projects a token may be re-scoped to.
//!
//! Unlike Astakos, Keystone returns the token id only in the `X-Subject-Token`
//! response header, scopes each token to one project, and has no `account`
//! service: projects come from Keystone and quotas from Neutron and Nova.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::identity::{with_version, CatalogError, Endpoints};
use crate::network::null_default;

/// How a user proves who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// User name, the domain it lives in (name, or the id `default`), password.
    Password { user: String, domain: String, password: String },
    /// An application credential: bound to one project, cannot be re-scoped.
    ApplicationCredential { id: String, secret: String },
    /// An existing token (also how a token is re-scoped to another project).
    Token { id: String },
}

impl Method {
    /// A token obtained this way can be exchanged for one on another project.
    pub fn can_rescope(&self) -> bool {
        !matches!(self, Method::ApplicationCredential { .. })
    }
}

/// The body of `POST /v3/auth/tokens`. `project`: scope to that project id;
/// `None`: the user's default project (Keystone's choice).
pub fn auth_request(method: &Method, project: Option<&str>) -> Value {
    let identity = match method {
        Method::Password { user, domain, password } => {
            // "default" is the id Keystone gives its first domain; anything else is a name.
            let domain =
                if domain == "default" { json!({"id": domain}) } else { json!({"name": domain}) };
            json!({"methods": ["password"], "password": {"user": {"name": user, "domain": domain, "password": password}}})
        }
        Method::ApplicationCredential { id, secret } => json!({
            "methods": ["application_credential"],
            "application_credential": {"id": id, "secret": secret}
        }),
        Method::Token { id } => json!({"methods": ["token"], "token": {"id": id}}),
    };
    let mut auth = json!({ "identity": identity });
    // An application credential carries its own scope; asking for one is refused.
    if let (Some(p), false) = (project, matches!(method, Method::ApplicationCredential { .. })) {
        auth["scope"] = json!({"project": {"id": p}});
    }
    json!({ "auth": auth })
}

/// `{"token": {...}}`: the answer to a sign-in (201) or re-scope.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenAnswer {
    pub token: Token,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Token {
    #[serde(default)]
    pub user: Option<Named>,
    /// Absent for an unscoped token.
    #[serde(default)]
    pub project: Option<Named>,
    #[serde(default, deserialize_with = "null_default")]
    pub roles: Vec<Named>,
    #[serde(default, deserialize_with = "null_default")]
    pub catalog: Vec<CatalogEntry>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Named {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogEntry {
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub endpoints: Vec<CatalogEndpoint>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogEndpoint {
    #[serde(default, deserialize_with = "null_default")]
    pub interface: String,
    #[serde(default, deserialize_with = "null_default")]
    pub url: String,
    #[serde(default)]
    pub region_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

impl CatalogEndpoint {
    fn region(&self) -> Option<&str> {
        self.region_id.as_deref().or(self.region.as_deref()).filter(|r| !r.is_empty())
    }
}

impl Token {
    /// The public URL of a service type in a region (any region when `None`).
    pub fn public_url(&self, kind: &str, region: Option<&str>) -> Option<&str> {
        self.catalog
            .iter()
            .filter(|s| s.kind == kind)
            .flat_map(|s| &s.endpoints)
            .filter(|e| e.interface == "public")
            .find(|e| region.is_none() || e.region() == region)
            .map(|e| e.url.as_str())
    }

    /// Regions that offer a public network endpoint, in catalog order.
    pub fn regions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.catalog.iter().filter(|s| s.kind == "network").flat_map(|s| &s.endpoints) {
            if let (true, Some(r)) = (e.interface == "public", e.region()) {
                if !out.iter().any(|o| o == r) {
                    out.push(r.to_owned());
                }
            }
        }
        out
    }

    /// The endpoints the portal uses. Neutron is listed unversioned (`/v2.0` is
    /// appended); Nova's URL is kept as given (it may end in the project id).
    pub fn endpoints(&self, region: Option<&str>) -> Result<Endpoints, CatalogError> {
        let network = self.public_url("network", region).ok_or(CatalogError::Missing("network"))?;
        Ok(Endpoints {
            identity: self.public_url("identity", region).map(|u| u.trim_end_matches('/').into()),
            compute: self.public_url("compute", region).map(|u| u.trim_end_matches('/').into()),
            network: with_version(network, "2.0"),
            account: None,
        })
    }
}

/// `GET /v3/auth/projects`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProjectList {
    #[serde(default, deserialize_with = "null_default")]
    pub projects: Vec<KeystoneProject>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KeystoneProject {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub domain_id: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
}

fn yes() -> bool {
    true
}

/// The identity URL's version document (`GET <identity_url>`): Keystone answers
/// `{"version": {"id": "v3.14", …}}`. Tells an OpenStack identity URL from an
/// Astakos one when the configuration does not say.
pub fn is_keystone_v3(version_document: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(version_document) else { return false };
    let id = v.pointer("/version/id").and_then(Value::as_str).unwrap_or("");
    id == "v3" || id.starts_with("v3.")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from what Keystone 30 answered on this machine.
    const ANSWER: &str = r#"{"token": {"methods": ["password"],
      "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "demo", "password_expires_at": null},
      "audit_ids": ["x"], "expires_at": "2026-12-01T20:00:00.000000Z", "issued_at": "2026-12-01T19:00:00.000000Z",
      "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "demo-a"},
      "is_domain": false, "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}],
      "catalog": [
        {"endpoints": [{"id": "e1", "interface": "public", "region_id": "RegionOne", "url": "http://127.0.0.1:5000/v3", "region": "RegionOne"}],
         "id": "s1", "type": "identity", "name": "keystone"},
        {"endpoints": [{"id": "e2", "interface": "internal", "region_id": "RegionOne", "url": "http://10.0.0.1:9696", "region": "RegionOne"},
                       {"id": "e3", "interface": "public", "region_id": "RegionOne", "url": "http://127.0.0.1:9696", "region": "RegionOne"},
                       {"id": "e4", "interface": "public", "region_id": "RegionTwo", "url": "http://two:9696/", "region": "RegionTwo"}],
         "id": "s2", "type": "network", "name": "neutron"}]}}"#;

    #[test]
    fn public_endpoints_by_region() {
        let t: TokenAnswer = serde_json::from_str(ANSWER).unwrap();
        let t = t.token;
        assert_eq!(t.project.as_ref().unwrap().name, "demo-a");
        assert_eq!(t.regions(), ["RegionOne", "RegionTwo"]);
        let e = t.endpoints(None).unwrap();
        assert_eq!(e.network, "http://127.0.0.1:9696/v2.0");
        assert_eq!(e.identity.as_deref(), Some("http://127.0.0.1:5000/v3"));
        assert_eq!((e.compute, e.account), (None, None));
        assert_eq!(t.endpoints(Some("RegionTwo")).unwrap().network, "http://two:9696/v2.0");
        assert_eq!(t.endpoints(Some("Nowhere")), Err(CatalogError::Missing("network")));
    }

    #[test]
    fn auth_bodies() {
        let pw = Method::Password {
            user: "demo".into(),
            domain: "Default".into(),
            password: "pw".into(),
        };
        let b = auth_request(&pw, Some("p1"));
        assert_eq!(b["auth"]["identity"]["password"]["user"]["domain"], json!({"name": "Default"}));
        assert_eq!(b["auth"]["scope"]["project"]["id"], "p1");
        assert!(auth_request(&pw, None)["auth"].get("scope").is_none());
        let by_id = Method::Password {
            user: "demo".into(),
            domain: "default".into(),
            password: "pw".into(),
        };
        assert_eq!(
            auth_request(&by_id, None)["auth"]["identity"]["password"]["user"]["domain"],
            json!({"id": "default"})
        );
        let ac = Method::ApplicationCredential { id: "a".into(), secret: "s".into() };
        let b = auth_request(&ac, Some("p1"));
        assert!(b["auth"].get("scope").is_none(), "{b}");
        assert!(!ac.can_rescope());
        let tok = auth_request(&Method::Token { id: "t".into() }, Some("p2"));
        assert_eq!(tok["auth"]["identity"]["token"]["id"], "t");
        assert_eq!(tok["auth"]["identity"]["methods"][0], "token");
    }

    #[test]
    fn version_documents() {
        assert!(is_keystone_v3(r#"{"version": {"id": "v3.14", "status": "stable"}}"#));
        assert!(!is_keystone_v3(r#"{"versions": {"values": []}}"#));
        assert!(!is_keystone_v3("<html>"));
    }

    #[test]
    fn projects_parse() {
        let l: ProjectList = serde_json::from_str(
            r#"{"links": {}, "projects": [{"id": "p1", "name": "demo-a", "domain_id": "default", "enabled": true, "parent_id": "default"}]}"#,
        )
        .unwrap();
        assert_eq!(l.projects[0].name, "demo-a");
    }
}
