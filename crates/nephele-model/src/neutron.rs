//! What Neutron (and Nova) have that Synnefo does not: routers, the quota
//! details of both services, and their translation into the quota table the
//! portal shows for every cloud.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::network::null_default;
use crate::quota::{QuotaEntry, Quotas};
use crate::Resource;

/// `router.external_gateway_info`: the external network the router reaches.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GatewayInfo {
    #[serde(default, deserialize_with = "null_default")]
    pub network_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub external_fixed_ips: Vec<crate::port::FixedIp>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Router {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    #[serde(default)]
    pub external_gateway_info: Option<GatewayInfo>,
    #[serde(default)]
    pub project_id: Option<String>,
}

impl Router {
    /// The external network this router's gateway is on, if it has one.
    pub fn gateway_network(&self) -> Option<&str> {
        self.external_gateway_info.as_ref().map(|g| g.network_id.as_str()).filter(|n| !n.is_empty())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouterEnvelope {
    pub router: Router,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouterList {
    #[serde(default, deserialize_with = "null_default")]
    pub routers: Vec<Router>,
}

/// What a port's `device_owner` says it is, on Neutron.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Made by the tenant, attached to nothing the cloud manages.
    Tenant,
    /// A server's interface (`compute:*`): only Nova may remove it.
    Server,
    /// A router's interface on a subnet: removed through the router.
    RouterInterface,
    /// A router's gateway, a floating IP's, DHCP's: the cloud's own.
    Cloud,
}

impl Owner {
    pub fn of(device_owner: Option<&str>) -> Owner {
        match device_owner.unwrap_or("") {
            "" => Owner::Tenant,
            o if o.starts_with("compute:") => Owner::Server,
            "network:router_interface"
            | "network:router_interface_distributed"
            | "network:ha_router_replicated_interface" => Owner::RouterInterface,
            o if o.starts_with("network:") => Owner::Cloud,
            _ => Owner::Tenant,
        }
    }
}

/// One quota of `GET /v2.0/quotas/{project}/details.json` or Nova's
/// `os-quota-sets/{project}/detail`. A limit of -1 means unlimited.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Detail {
    #[serde(default)]
    pub limit: i64,
    #[serde(default, alias = "in_use")]
    pub used: i64,
    #[serde(default)]
    pub reserved: i64,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct NeutronQuotaDetails {
    #[serde(default)]
    pub quota: BTreeMap<String, Detail>,
}

/// Nova's quota set mixes the details with `"id": "<project>"`, so entries are
/// read one by one and anything that is not a detail is skipped.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct NovaQuotaSet {
    #[serde(default)]
    pub quota_set: BTreeMap<String, Value>,
}

impl NovaQuotaSet {
    pub fn details(&self) -> BTreeMap<String, Detail> {
        self.quota_set
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), serde_json::from_value(v.clone()).ok()?)))
            .collect()
    }
}

const MIB: i64 = 1024 * 1024;

/// The portal's resource for a Neutron quota name, and how many of the portal's
/// units one of Neutron's is.
fn neutron_resource(name: &str) -> Option<Resource> {
    Some(match name {
        "floatingip" => Resource::FloatingIp,
        "network" => Resource::PrivateNetwork,
        "port" => Resource::Port,
        "router" => Resource::Router,
        "subnet" => Resource::Subnet,
        "security_group" => Resource::SecurityGroup,
        _ => return None,
    })
}

fn nova_resource(name: &str) -> Option<(Resource, i64)> {
    Some(match name {
        "instances" => (Resource::Vm, 1),
        "cores" => (Resource::Cpu, 1),
        "ram" => (Resource::Ram, MIB),
        _ => return None,
    })
}

fn entry(d: &Detail, unit: i64) -> QuotaEntry {
    QuotaEntry::per_project(
        d.used.saturating_mul(unit),
        d.limit.saturating_mul(unit),
        d.reserved.saturating_mul(unit),
    )
}

/// One project's Neutron (and, when there is a compute service, Nova) quotas
/// as the quota table Synnefo's Astakos returns: same resources, same units
/// (RAM in bytes), so the same bars and the same "cost of this action" checks
/// apply. Unlimited quotas (-1) are left out: there is nothing to run out of.
pub fn openstack_quotas(
    project: &str,
    neutron: &NeutronQuotaDetails,
    nova: Option<&NovaQuotaSet>,
) -> Quotas {
    let mut table = BTreeMap::new();
    for (name, d) in &neutron.quota {
        if let (Some(r), true) = (neutron_resource(name), d.limit >= 0) {
            table.insert(r.as_str().to_owned(), entry(d, 1));
        }
    }
    for (name, d) in nova.map(NovaQuotaSet::details).unwrap_or_default() {
        if let (Some((r, unit)), true) = (nova_resource(&name), d.limit >= 0) {
            table.insert(r.as_str().to_owned(), entry(&d, unit));
        }
    }
    let mut quotas = Quotas::new();
    quotas.insert(project.to_owned(), table);
    quotas
}

/// The resources Neutron names in an `OverQuota` message:
/// "Quota exceeded for resources: ['floatingip']." → `[FloatingIp]`.
pub fn over_quota_resources(message: &str) -> Vec<Resource> {
    let Some(start) = message.find('[') else { return Vec::new() };
    let Some(len) = message[start..].find(']') else { return Vec::new() };
    message[start + 1..start + len]
        .split(',')
        .map(|s| s.trim().trim_matches(|c| c == '\'' || c == '"'))
        .filter_map(neutron_resource)
        .collect()
}

/// The port ids Neutron lists in a `NetworkInUse` message ("… There are one or
/// more ports still in use on the network, id for these ports is: a, b.").
pub fn ports_in_use(message: &str) -> Vec<String> {
    let Some(at) = message.find("is:").or_else(|| message.find("are:")) else { return Vec::new() };
    let rest = message[at..].split_once(':').map_or("", |(_, r)| r);
    rest.split(',')
        .map(|s| s.trim().trim_end_matches('.').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_become_the_portal_table() {
        let n: NeutronQuotaDetails = serde_json::from_str(
            r#"{"quota": {"floatingip": {"limit": 3, "used": 3, "reserved": 0},
                          "network": {"limit": 100, "used": 1, "reserved": 0},
                          "rbac_policy": {"limit": 10, "used": 0, "reserved": 0},
                          "security_group_rule": {"limit": -1, "used": 4, "reserved": 0},
                          "router": {"limit": -1, "used": 1, "reserved": 0}}}"#,
        )
        .unwrap();
        let nova: NovaQuotaSet = serde_json::from_str(
            r#"{"quota_set": {"id": "p1", "instances": {"limit": 10, "in_use": 2, "reserved": 0},
                              "ram": {"limit": 51200, "in_use": 1024, "reserved": 0}}}"#,
        )
        .unwrap();
        let q = openstack_quotas("p1", &n, Some(&nova));
        let t = &q["p1"];
        let fip = t[Resource::FloatingIp.as_str()];
        assert_eq!((fip.usage, fip.limit, fip.project_limit), (3, 3, 3));
        assert_eq!(fip.available(), 0);
        assert_eq!(t[Resource::Ram.as_str()].limit, 51200 * MIB);
        assert_eq!(t[Resource::Vm.as_str()].usage, 2);
        assert!(!t.contains_key(Resource::Router.as_str()), "unlimited is left out");
        assert!(!t.contains_key("rbac_policy"));
        assert_eq!(openstack_quotas("p1", &n, None)["p1"].len(), 2);
    }

    #[test]
    fn fault_messages() {
        assert_eq!(
            over_quota_resources("Quota exceeded for resources: ['floatingip']."),
            [Resource::FloatingIp]
        );
        assert_eq!(
            over_quota_resources("Quota exceeded for resources: ['network', 'port']."),
            [Resource::PrivateNetwork, Resource::Port]
        );
        assert!(over_quota_resources("nothing").is_empty());
        assert_eq!(
            ports_in_use("Unable to complete operation on network 9e. There are one or more ports still in use on the network, id for these ports is: 1a, 2b."),
            ["1a", "2b"]
        );
    }

    #[test]
    fn owners() {
        assert_eq!(Owner::of(None), Owner::Tenant);
        assert_eq!(Owner::of(Some("compute:nova")), Owner::Server);
        assert_eq!(Owner::of(Some("network:router_interface")), Owner::RouterInterface);
        assert_eq!(Owner::of(Some("network:floatingip")), Owner::Cloud);
        assert_eq!(Owner::of(Some("network:dhcp")), Owner::Cloud);
    }

    #[test]
    fn routers_parse() {
        let r: RouterList = serde_json::from_str(
            r#"{"routers": [{"id": "r1", "name": "edge", "status": "ACTIVE", "external_gateway_info": {"network_id": "pub", "enable_snat": true, "external_fixed_ips": [{"subnet_id": "s", "ip_address": "203.0.113.5"}]}},
                            {"id": "r2", "name": "", "external_gateway_info": null}]}"#,
        )
        .unwrap();
        assert_eq!(r.routers[0].gateway_network(), Some("pub"));
        assert_eq!(
            r.routers[0].external_gateway_info.as_ref().unwrap().external_fixed_ips[0].ip_address,
            "203.0.113.5"
        );
        assert_eq!(r.routers[1].gateway_network(), None);
    }
}
