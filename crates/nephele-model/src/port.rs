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
    #[serde(default, deserialize_with = "null_default")]
    pub links: Vec<Link>,
    #[serde(default, deserialize_with = "null_default")]
    pub user_id: String,
    /// Equals `user_id`: ports are not charged to projects.
    #[serde(default, deserialize_with = "null_default")]
    pub tenant_id: String,
    /// Neutron's name for the project (it sends both `tenant_id` and `project_id`);
    /// read, never written, so Synnefo's shape stays exact.
    #[serde(default, skip_serializing, deserialize_with = "crate::id::opt_string_or_number")]
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
    pub security_groups: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub admin_state_up: bool,
    /// Neutron spells it `created_at`.
    #[serde(default, alias = "created_at", deserialize_with = "null_default")]
    pub created: String,
    #[serde(default, alias = "updated_at", deserialize_with = "null_default")]
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
}
