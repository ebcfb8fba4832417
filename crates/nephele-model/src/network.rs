//! Cyclades networks (`/network/v2.0/networks`), spec §5.1.

use serde::{Deserialize, Deserializer, Serialize};

use crate::id::{opt_string_or_number, string_or_number};

/// `{"rel": "self"|"bookmark", "href": …}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Link {
    #[serde(default, deserialize_with = "null_default")]
    pub rel: String,
    #[serde(default, deserialize_with = "null_default")]
    pub href: String,
}

impl Link {
    /// The `self` and `bookmark` pair Synnefo puts on every object.
    pub fn pair(href: &str) -> Vec<Link> {
        vec![
            Link { rel: "self".into(), href: href.into() },
            Link { rel: "bookmark".into(), href: href.into() },
        ]
    }
}

/// Absent and `null` both give the type's default (real clouds sometimes send null).
pub fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list of ids given as strings or numbers.
pub fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct One(#[serde(deserialize_with = "string_or_number")] String);
    Ok(Option::<Vec<One>>::deserialize(d)?.unwrap_or_default().into_iter().map(|o| o.0).collect())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Network {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub links: Vec<Link>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub user_id: Option<String>,
    /// The project the network is charged to; `null` for public networks.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub tenant_id: Option<String>,
    /// Neutron's name for the project (it sends both `tenant_id` and `project_id`);
    /// read, never written, so Synnefo's shape stays exact.
    #[serde(default, skip_serializing, deserialize_with = "crate::id::opt_string_or_number")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub shared_to_project: bool,
    #[serde(rename = "type", default)]
    pub kind: crate::NetworkKind,
    #[serde(default)]
    pub status: crate::NetworkStatus,
    #[serde(default, deserialize_with = "null_default")]
    pub public: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub shared: bool,
    #[serde(rename = "router:external", default, deserialize_with = "null_default")]
    pub router_external: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub admin_state_up: bool,
    #[serde(default, deserialize_with = "id_list")]
    pub subnets: Vec<String>,
    #[serde(rename = "SNF:floating_ip_pool", default, deserialize_with = "null_default")]
    pub floating_ip_pool: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub deleted: bool,
    /// Neutron spells it `created_at`.
    #[serde(default, alias = "created_at", deserialize_with = "null_default")]
    pub created: String,
    #[serde(default, alias = "updated_at", deserialize_with = "null_default")]
    pub updated: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NetworkEnvelope {
    pub network: Network,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NetworkList {
    #[serde(default, deserialize_with = "null_default")]
    pub networks: Vec<Network>,
}

/// Network flavors Synnefo knows; only `MAC_FILTERED` may be created by users by default.
pub const NETWORK_TYPES: [&str; 4] = ["MAC_FILTERED", "IP_LESS_ROUTED", "PHYSICAL_VLAN", "CUSTOM"];

impl Network {
    /// The project the network is charged to, in Synnefo's or Neutron's spelling.
    pub fn project(&self) -> Option<&str> {
        self.tenant_id.as_deref().or(self.project_id.as_deref()).filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_exact_synnefo_keys() {
        let n = Network { id: "2".into(), kind: "MAC_FILTERED".into(), ..Network::default() };
        let v = serde_json::to_value(&n).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "SNF:floating_ip_pool",
                "admin_state_up",
                "created",
                "deleted",
                "id",
                "links",
                "name",
                "public",
                "router:external",
                "shared",
                "shared_to_project",
                "status",
                "subnets",
                "tenant_id",
                "type",
                "updated",
                "user_id"
            ]
        );
        assert_eq!(v["id"], "2");
        assert!(v["user_id"].is_null());
    }

    #[test]
    fn parses_tolerantly() {
        let n: Network = serde_json::from_str(
            r#"{"id": 7, "name": null, "subnets": [3, "4"], "extra": 1, "router:external": true, "type": "CUSTOM"}"#,
        )
        .unwrap();
        assert_eq!((n.id.as_str(), n.name.as_str(), n.kind.as_str()), ("7", "", "CUSTOM"));
        assert_eq!(n.subnets, ["3", "4"]);
        assert!(n.router_external && !n.public);
    }
}
