//! Compute servers (`/compute/v2.0/servers`), spec §6. Server ids and attachment
//! ids are JSON numbers here (the network API spells them as strings).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::id::{opt_string_or_number, string_or_number};
use crate::network::{null_default, Link};

/// Serialize a decimal id string as a JSON number (as text when it is not numeric).
pub fn as_number<S: Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
    match id.parse::<u64>() {
        Ok(n) => s.serialize_u64(n),
        Err(_) => s.serialize_str(id),
    }
}

/// `GET /servers` entries: id, name, links.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerSummary {
    #[serde(serialize_with = "as_number", deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    /// The port id, as a number.
    #[serde(serialize_with = "as_number", deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_id")]
    pub network_id: String,
    #[serde(default)]
    pub mac_address: Option<String>,
    #[serde(rename = "firewallProfile", default, skip_serializing_if = "Option::is_none")]
    pub firewall_profile: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub ipv4: String,
    #[serde(default, deserialize_with = "null_default")]
    pub ipv6: String,
    /// `fixed` or `floating`.
    #[serde(rename = "OS-EXT-IPS:type", default, deserialize_with = "null_default")]
    pub ip_type: String,
}

fn opt_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string_or_number(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Address {
    #[serde(default, deserialize_with = "null_default")]
    pub version: u8,
    #[serde(default, deserialize_with = "null_default")]
    pub addr: String,
    #[serde(rename = "OS-EXT-IPS:type", default, deserialize_with = "null_default")]
    pub ip_type: String,
}

/// The detailed server (`/servers/detail`, `/servers/<id>`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Server {
    #[serde(serialize_with = "as_number", deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub links: Vec<Link>,
    #[serde(default)]
    pub status: crate::ServerStatus,
    /// `""`, `CONNECTING`, `DISCONNECTING`, `BUILDING`, … (Nova: `spawning`,
    /// `deleting`, … in `OS-EXT-STS:task_state`, read into the same field.)
    #[serde(
        rename = "SNF:task_state",
        alias = "OS-EXT-STS:task_state",
        default,
        deserialize_with = "null_default"
    )]
    pub task_state: String,
    #[serde(default, deserialize_with = "null_default")]
    pub user_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tenant_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub shared_to_project: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub suspended: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub deleted: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub progress: u32,
    #[serde(default, deserialize_with = "null_default")]
    pub created: String,
    #[serde(default, deserialize_with = "null_default")]
    pub updated: String,
    #[serde(default)]
    pub flavor: Value,
    #[serde(default)]
    pub image: Value,
    #[serde(default)]
    pub metadata: Value,
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<Value>,
    /// Only ACTIVE ports.
    #[serde(default, deserialize_with = "null_default")]
    pub attachments: Vec<Attachment>,
    #[serde(default, deserialize_with = "null_default")]
    pub addresses: BTreeMap<String, Vec<Address>>,
    #[serde(default, deserialize_with = "null_default")]
    pub volumes: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub security_groups: Vec<Value>,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(rename = "SNF:key_names", default, deserialize_with = "null_default")]
    pub key_names: Vec<String>,
    #[serde(rename = "SNF:fqdn", default, deserialize_with = "null_default")]
    pub fqdn: String,
    #[serde(rename = "SNF:port_forwarding", default)]
    pub port_forwarding: Value,
    #[serde(rename = "SNF:rescue", default, deserialize_with = "null_default")]
    pub rescue: bool,
    #[serde(rename = "hostId", default, deserialize_with = "null_default")]
    pub host_id: String,
    #[serde(rename = "accessIPv4", default, deserialize_with = "null_default")]
    pub access_ipv4: String,
    #[serde(rename = "accessIPv6", default, deserialize_with = "null_default")]
    pub access_ipv6: String,
    #[serde(default, deserialize_with = "null_default")]
    pub config_drive: String,
    #[serde(default, deserialize_with = "null_default")]
    pub diagnostics: Vec<Value>,
}

impl Server {
    /// The flavor in words: Nova's `original_name` (microversion 2.47 and
    /// later), a `name`, else its id.
    pub fn flavor_label(&self) -> String {
        let field = |k: &str| match self.flavor.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        field("original_name").or_else(|| field("name")).or_else(|| field("id")).unwrap_or_default()
    }

    /// A valid target for "connect" (spec §6).
    pub fn connectable(&self) -> bool {
        matches!(
            self.status,
            crate::ServerStatus::Active
                | crate::ServerStatus::Stopped
                | crate::ServerStatus::Shutoff
        ) && self.task_state.is_empty()
            && !self.suspended
            && !self.deleted
            && self.attachments.len() < 8
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerEnvelope {
    pub server: Server,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerList {
    #[serde(default, deserialize_with = "null_default")]
    pub servers: Vec<Server>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerSummaryList {
    #[serde(default, deserialize_with = "null_default")]
    pub servers: Vec<ServerSummary>,
}

/// Nova's view of one of a server's ports (`/servers/{id}/os-interface`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InterfaceAttachment {
    #[serde(default, deserialize_with = "null_default")]
    pub port_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub net_id: String,
    /// The port's Neutron status (`ACTIVE`, `DOWN`, …).
    #[serde(default, deserialize_with = "null_default")]
    pub port_state: String,
    #[serde(default)]
    pub mac_addr: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub fixed_ips: Vec<crate::port::FixedIp>,
}

impl InterfaceAttachment {
    /// The port as far as Nova describes it: enough to show until Neutron's own
    /// view of it arrives.
    pub fn into_port(self, server: &str) -> crate::port::Port {
        crate::port::Port {
            id: self.port_id,
            network_id: self.net_id,
            device_id: Some(server.to_owned()),
            device_owner: Some("compute:".into()),
            status: self.port_state.as_str().into(),
            mac_address: self.mac_addr,
            fixed_ips: self.fixed_ips,
            ..crate::port::Port::default()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InterfaceAttachmentEnvelope {
    #[serde(rename = "interfaceAttachment")]
    pub interface_attachment: InterfaceAttachment,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InterfaceAttachmentList {
    #[serde(rename = "interfaceAttachments", default, deserialize_with = "null_default")]
    pub interface_attachments: Vec<InterfaceAttachment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nova_servers_and_interfaces_read() {
        let s: Server = serde_json::from_str(
            r#"{"id": "3f0c0b7e-8a1d-4c55-9d3e-1b2a4c6d8e0f", "name": "web", "status": "BUILD",
                "OS-EXT-STS:task_state": "spawning",
                "flavor": {"original_name": "m1.nano", "vcpus": 1, "ram": 64},
                "addresses": {"lan": [{"version": 4, "addr": "10.0.0.5", "OS-EXT-IPS:type": "fixed"},
                                      {"version": 4, "addr": "203.0.113.7", "OS-EXT-IPS:type": "floating"}]}}"#,
        )
        .unwrap();
        assert_eq!(s.task_state, "spawning");
        assert_eq!(s.flavor_label(), "m1.nano");
        assert_eq!(s.addresses["lan"][1].ip_type, "floating");
        assert!(!s.connectable());
        let old: Server = serde_json::from_str(r#"{"id": 9, "flavor": {"id": 3}}"#).unwrap();
        assert_eq!(old.flavor_label(), "3");
        let list: InterfaceAttachmentList = serde_json::from_str(
            r#"{"interfaceAttachments": [{"port_id": "p1", "net_id": "n1", "port_state": "ACTIVE",
                "mac_addr": "fa:16:3e:00:00:01", "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.5"}]}]}"#,
        )
        .unwrap();
        let a = &list.interface_attachments[0];
        assert_eq!((a.port_id.as_str(), a.fixed_ips[0].subnet.as_str()), ("p1", "s1"));
        let port = a.clone().into_port("srv");
        assert_eq!((port.id.as_str(), port.device_id.as_deref()), ("p1", Some("srv")));
        assert_eq!(port.status, crate::PortStatus::Active);
    }

    #[test]
    fn ids_are_numbers_and_parse_back() {
        let s = Server {
            id: "141".into(),
            attachments: vec![Attachment {
                id: "13".into(),
                network_id: "1".into(),
                ..Attachment::default()
            }],
            ..Server::default()
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["id"], 141);
        assert_eq!(v["attachments"][0]["id"], 13);
        assert_eq!(v["attachments"][0]["network_id"], "1");
        assert_eq!(v["SNF:task_state"], "");
        let back: Server = serde_json::from_value(v).unwrap();
        assert_eq!(back.id, "141");
        let t: Server = serde_json::from_str(
            r#"{"id": "142", "status": "ACTIVE", "SNF:task_state": null, "attachments": null}"#,
        )
        .unwrap();
        assert!(t.connectable());
    }
}
