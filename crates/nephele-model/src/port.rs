//! Cyclades ports (`/network/v2.0/ports`), spec §5.3.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::id::{opt_string_or_number, string_or_number};
use crate::network::{null_default, Link};

/// One address of a port. The key is `subnet`, not Neutron's `subnet_id`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FixedIp {
    #[serde(default, deserialize_with = "null_default")]
    pub ip_address: String,
    #[serde(default, alias = "subnet_id", deserialize_with = "opt_id_default")]
    pub subnet: String,
}

fn opt_id_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string_or_number(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Port {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    // `lean` (the portal's wasm build): the fields marked so are never read
    // there, and skipping them keeps 50,000 ports' links, owners, timestamps and
    // security groups out of the tab's memory. The server keeps every field.
    #[serde(default, deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub links: Vec<Link>,
    #[serde(default, deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub user_id: String,
    /// Equals `user_id`: ports are not charged to projects.
    #[serde(default, deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub tenant_id: String,
    /// Neutron's name for the project (it sends both `tenant_id` and `project_id`);
    /// read, never written, so Synnefo's shape stays exact.
    #[serde(default, skip_serializing, deserialize_with = "crate::id::opt_string_or_number")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub project_id: Option<String>,
    /// The server id as a string, `null` when unattached.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub device_id: Option<String>,
    #[serde(default)]
    pub device_owner: Option<String>,
    #[serde(default, deserialize_with = "opt_id_default")]
    pub network_id: String,
    /// `BUILD`, `ACTIVE`, `DOWN` or `ERROR`.
    #[serde(default)]
    pub status: crate::PortStatus,
    #[serde(default)]
    pub mac_address: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub fixed_ips: Vec<FixedIp>,
    #[serde(default, deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub security_groups: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub admin_state_up: bool,
    /// Neutron spells it `created_at`.
    #[serde(default, alias = "created_at", deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub created: String,
    #[serde(default, alias = "updated_at", deserialize_with = "null_default")]
    #[cfg_attr(feature = "lean", serde(skip_deserializing))]
    pub updated: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortEnvelope {
    pub port: Port,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PortList {
    #[serde(default, deserialize_with = "null_default")]
    pub ports: Vec<Port>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_shape() {
        let p = Port {
            id: "19".into(),
            device_id: Some("42".into()),
            fixed_ips: vec![FixedIp { ip_address: "10.0.0.2".into(), subnet: "3".into() }],
            ..Port::default()
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 15);
        assert_eq!(v["device_id"], "42");
        assert_eq!(v["fixed_ips"][0]["subnet"], "3");
        let back: Port = serde_json::from_str(
            r#"{"id": 19, "device_id": 42, "network_id": 2, "fixed_ips": [{"ip_address": "1.2.3.4", "subnet_id": 5}], "mac_address": null}"#,
        )
        .unwrap();
        assert_eq!((back.device_id.as_deref(), back.network_id.as_str()), (Some("42"), "2"));
        assert_eq!(back.fixed_ips[0].subnet, "5");
    }

    /// The portal's build (`lean`) skips what it never reads; every other build
    /// (the server, its tests) keeps every field.
    #[test]
    fn the_portal_build_skips_what_it_never_reads() {
        let p: Port = serde_json::from_str(
            r#"{"id": "19", "user_id": "u", "tenant_id": "t", "project_id": "t",
                "links": [{"href": "h", "rel": "self"}], "security_groups": ["sg"],
                "created": "2026-12-01T00:00:00+00:00", "updated_at": "2026-12-02T00:00:00+00:00",
                "status": "ACTIVE", "network_id": "2", "device_id": "141",
                "mac_address": "aa:00:00:00:00:01", "fixed_ips": [{"ip_address": "10.0.0.2"}]}"#,
        )
        .unwrap();
        // What the portal reads is there either way.
        assert_eq!((p.id.as_str(), p.network_id.as_str()), ("19", "2"));
        assert_eq!(
            (p.device_id.as_deref(), p.mac_address.as_deref()),
            (Some("141"), Some("aa:00:00:00:00:01"))
        );
        assert_eq!(
            (p.status, p.fixed_ips[0].ip_address.as_str()),
            (crate::PortStatus::Active, "10.0.0.2")
        );
        let kept =
            [p.user_id.as_str(), p.tenant_id.as_str(), p.created.as_str(), p.updated.as_str()];
        if cfg!(feature = "lean") {
            assert_eq!(kept, ["", "", "", ""]);
            assert!(p.links.is_empty() && p.security_groups.is_empty() && p.project_id.is_none());
        } else {
            assert_eq!(kept, ["u", "t", "2026-12-01T00:00:00+00:00", "2026-12-02T00:00:00+00:00"]);
            assert_eq!(
                (p.links.len(), p.security_groups.len(), p.project_id.as_deref()),
                (1, 1, Some("t"))
            );
        }
    }
}
