//! Cyclades subnets (`/network/v2.0/subnets`), spec §5.2.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::id::{opt_string_or_number, string_or_number};
use crate::network::{null_default, Link};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AllocationPool {
    #[serde(default, deserialize_with = "null_default")]
    pub start: String,
    #[serde(default, deserialize_with = "null_default")]
    pub end: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Subnet {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "string_or_number_default")]
    pub network_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The owner's user id (not a project).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub tenant_id: Option<String>,
    /// Neutron's name for the project (it sends both `tenant_id` and `project_id`);
    /// read, never written, so Synnefo's shape stays exact.
    #[serde(default, skip_serializing, deserialize_with = "crate::id::opt_string_or_number")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub public: bool,
    #[serde(default)]
    pub gateway_ip: Option<String>,
    #[serde(default = "four", deserialize_with = "ip_version")]
    pub ip_version: u8,
    #[serde(default, deserialize_with = "null_default")]
    pub cidr: String,
    #[serde(default, deserialize_with = "null_default")]
    pub enable_dhcp: bool,
    /// Only present for IPv6 subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_slaac: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    pub dns_nameservers: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub host_routes: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub allocation_pools: Vec<AllocationPool>,
    #[serde(default, deserialize_with = "null_default")]
    pub deleted: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub links: Vec<Link>,
}

fn four() -> u8 {
    4
}

fn ip_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    Ok(crate::id::opt_string_or_number(d)?.and_then(|s| s.parse().ok()).unwrap_or(4))
}

fn string_or_number_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string_or_number(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubnetEnvelope {
    pub subnet: Subnet,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SubnetList {
    #[serde(default, deserialize_with = "null_default")]
    pub subnets: Vec<Subnet>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaac_only_for_ipv6_and_tolerant_parse() {
        let s = Subnet { id: "1".into(), ip_version: 4, ..Subnet::default() };
        let v = serde_json::to_value(&s).unwrap();
        assert!(v.get("enable_slaac").is_none());
        assert_eq!(v.as_object().unwrap().len(), 15);
        let p: Subnet = serde_json::from_str(
            r#"{"id": 3, "network_id": 2, "ip_version": "6", "gateway_ip": null, "x": 1}"#,
        )
        .unwrap();
        assert_eq!(
            (p.id.as_str(), p.network_id.as_str(), p.ip_version, p.gateway_ip),
            ("3", "2", 6, None)
        );
    }
}
