//! Floating IPs (`/network/v2.0/floatingips`), spec §5.4: exactly ten keys.

use serde::{Deserialize, Serialize};

use crate::id::{opt_string_or_number, string_or_number};
use crate::network::null_default;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloatingIp {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub floating_ip_address: String,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub floating_network_id: Option<String>,
    /// Always `null` on Synnefo.
    #[serde(default)]
    pub fixed_ip_address: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub port_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub instance_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub user_id: String,
    /// The project the address is charged to.
    #[serde(default, deserialize_with = "null_default")]
    pub tenant_id: String,
    /// Neutron's name for the project (it sends both `tenant_id` and `project_id`);
    /// read, never written, so Synnefo's shape stays exact.
    #[serde(default, skip_serializing, deserialize_with = "crate::id::opt_string_or_number")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub shared_to_project: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloatingIpEnvelope {
    pub floatingip: FloatingIp,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloatingIpList {
    #[serde(default, deserialize_with = "null_default")]
    pub floatingips: Vec<FloatingIp>,
}

impl FloatingIp {
    /// The project the address is charged to, in Synnefo's or Neutron's spelling.
    pub fn project(&self) -> Option<&str> {
        Some(self.tenant_id.as_str()).filter(|p| !p.is_empty()).or(self.project_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_ten_keys_and_null_ports() {
        let f = FloatingIp {
            id: "8".into(),
            floating_ip_address: "192.168.3.5".into(),
            ..FloatingIp::default()
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 10);
        assert!(v["port_id"].is_null() && v["fixed_ip_address"].is_null());
        let back: FloatingIp = serde_json::from_str(
            r#"{"id": 8, "port_id": 13, "instance_id": "141", "router_id": null}"#,
        )
        .unwrap();
        assert_eq!(
            (back.port_id.as_deref(), back.instance_id.as_deref()),
            (Some("13"), Some("141"))
        );
    }
}
