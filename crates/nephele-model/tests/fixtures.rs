//! Every object and fault the portal reads, in Synnefo's spelling (from the
//! spec's examples) and Neutron's, including odd-but-legal answers: numeric ids,
//! nulls, extra fields, empty lists, unicode names.

use nephele_model::account::Project;
use nephele_model::floating_ip::{FloatingIp, FloatingIpEnvelope, FloatingIpList};
use nephele_model::identity::TokenResponse;
use nephele_model::network::{NetworkEnvelope, NetworkList};
use nephele_model::port::{PortEnvelope, PortList};
use nephele_model::quota::Quotas;
use nephele_model::server::{ServerEnvelope, ServerList};
use nephele_model::subnet::{SubnetEnvelope, SubnetList};
use nephele_model::{Fault, FaultKind};

#[test]
fn synnefo_network() {
    let n: NetworkEnvelope = serde_json::from_str(r#"{"network": {
      "id": "3141", "name": "backend-lan",
      "links": [{"rel": "self", "href": "https://c/network/v2.0/networks/3141"}, {"rel": "bookmark", "href": "https://c/network/v2.0/networks/3141"}],
      "user_id": "a9dc", "tenant_id": "a9dc", "shared_to_project": false, "type": "MAC_FILTERED", "status": "ACTIVE",
      "public": false, "shared": false, "router:external": false, "admin_state_up": true,
      "subnets": [], "SNF:floating_ip_pool": false, "deleted": false,
      "created": "2014-02-13T09:40:05.101008+00:00", "updated": "2014-02-13T09:40:05.195945+00:00"}}"#).unwrap();
    let n = n.network;
    assert_eq!(
        (n.id.as_str(), n.kind.as_str(), n.project()),
        ("3141", "MAC_FILTERED", Some("a9dc"))
    );
    assert!(!n.public && n.subnets.is_empty());
}

#[test]
fn neutron_network_list() {
    let l: NetworkList = serde_json::from_str(r#"{"networks": [{
      "admin_state_up": true, "id": "396f12f8-521e-4b91-8e21-2e003500433a", "name": "net1",
      "provider:network_type": "vlan", "router:external": true, "shared": false, "status": "ACTIVE",
      "subnets": ["08eae331-0402-425a-923c-34f7cfe39c1b"], "tenant_id": "9bacb3c5d39d41a79512987f338cf177",
      "project_id": "9bacb3c5d39d41a79512987f338cf177", "mtu": 1500, "tags": ["tag1"], "revision_number": 3}]}"#).unwrap();
    let n = &l.networks[0];
    assert!(n.router_external && n.kind == nephele_model::NetworkKind::default());
    assert_eq!(n.subnets, ["08eae331-0402-425a-923c-34f7cfe39c1b"]);
    assert_eq!(n.project(), Some("9bacb3c5d39d41a79512987f338cf177"));
    let only_project: NetworkList =
        serde_json::from_str(r#"{"networks": [{"id": 1, "project_id": "p"}]}"#).unwrap();
    assert_eq!(only_project.networks[0].project(), Some("p"));
}

#[test]
fn odd_but_legal_lists() {
    let l: NetworkList = serde_json::from_str(r#"{"networks": [
      {"id": 7, "name": "Δίκτυο 🚀", "subnets": null, "user_id": null, "tenant_id": null, "status": null, "unknown": {"x": 1}}]}"#).unwrap();
    let n = &l.networks[0];
    assert_eq!((n.id.as_str(), n.name.as_str(), n.status.as_str()), ("7", "Δίκτυο 🚀", ""));
    assert_eq!(n.project(), None);
    for empty in [r#"{"networks": []}"#, r#"{"networks": null}"#, "{}"] {
        assert!(serde_json::from_str::<NetworkList>(empty).unwrap().networks.is_empty(), "{empty}");
    }
    assert!(serde_json::from_str::<PortList>(r#"{"ports": []}"#).unwrap().ports.is_empty());
    assert!(serde_json::from_str::<SubnetList>(r#"{"subnets": []}"#).unwrap().subnets.is_empty());
    assert!(serde_json::from_str::<FloatingIpList>(r#"{"floatingips": []}"#)
        .unwrap()
        .floatingips
        .is_empty());
    assert!(serde_json::from_str::<ServerList>(r#"{"servers": []}"#).unwrap().servers.is_empty());
}

#[test]
fn synnefo_and_neutron_subnets() {
    let s: SubnetEnvelope = serde_json::from_str(r#"{"subnet": {"id": "29", "network_id": "2719", "name": "lan-v4",
      "tenant_id": "a9dc", "user_id": "a9dc", "public": false, "gateway_ip": null, "ip_version": 4,
      "cidr": "192.168.10.0/24", "enable_dhcp": true, "dns_nameservers": [], "host_routes": [],
      "allocation_pools": [{"start": "192.168.10.10", "end": "192.168.10.200"}], "deleted": false, "links": []}}"#).unwrap();
    assert_eq!((s.subnet.cidr.as_str(), s.subnet.gateway_ip.as_deref()), ("192.168.10.0/24", None));
    let n: SubnetList = serde_json::from_str(r#"{"subnets": [{"id": "08eae331", "network_id": "d32019d3",
      "cidr": "10.0.0.0/24", "ip_version": 4, "gateway_ip": "10.0.0.1", "enable_dhcp": true, "project_id": "4fd4",
      "tenant_id": "4fd4", "ipv6_ra_mode": null, "subnetpool_id": null, "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.254"}]}]}"#).unwrap();
    assert_eq!(n.subnets[0].allocation_pools[0].end, "10.0.0.254");
}

#[test]
fn synnefo_and_neutron_ports() {
    let p: PortEnvelope = serde_json::from_str(r#"{"port": {
      "id": "19", "name": "", "links": [], "user_id": "a9dc", "tenant_id": "a9dc",
      "device_id": "42", "device_owner": "vm", "network_id": "2719", "status": "BUILD",
      "mac_address": null, "admin_state_up": true, "security_groups": [],
      "fixed_ips": [{"ip_address": "83.212.96.14", "subnet": "29"}],
      "created": "2014-02-15T08:31:37.782907+00:00", "updated": "2014-02-15T08:31:37.790001+00:00"}}"#).unwrap();
    let p = p.port;
    assert_eq!(
        (p.status.as_str(), p.device_id.as_deref(), p.fixed_ips[0].subnet.as_str()),
        ("BUILD", Some("42"), "29")
    );
    let n: PortList = serde_json::from_str(r#"{"ports": [{"id": "46d4bfb9", "network_id": "a87cc70a", "device_id": "",
      "device_owner": "network:router_gateway", "status": "ACTIVE", "mac_address": "fa:16:3e:23:fd:d7",
      "fixed_ips": [{"ip_address": "172.24.4.2", "subnet_id": "008ba151"}], "binding:vnic_type": "normal",
      "project_id": "", "tenant_id": ""}]}"#).unwrap();
    assert_eq!(n.ports[0].fixed_ips[0].subnet, "008ba151");
    assert_eq!(n.ports[0].mac_address.as_deref(), Some("fa:16:3e:23:fd:d7"));
    let numeric: PortList =
        serde_json::from_str(r#"{"ports": [{"id": 11, "network_id": 2, "device_id": 141}]}"#)
            .unwrap();
    assert_eq!(
        (numeric.ports[0].id.as_str(), numeric.ports[0].device_id.as_deref()),
        ("11", Some("141"))
    );
}

#[test]
fn synnefo_and_neutron_floating_ips() {
    let f: FloatingIpEnvelope = serde_json::from_str(
        r#"{"floatingip": {
      "id": "8", "floating_ip_address": "83.212.96.14", "floating_network_id": "2719",
      "fixed_ip_address": null, "port_id": "19", "instance_id": "42", "user_id": "a9dc",
      "tenant_id": "a9dc", "shared_to_project": false, "deleted": false}}"#,
    )
    .unwrap();
    let f: FloatingIp = f.floatingip;
    assert_eq!(
        (f.port_id.as_deref(), f.instance_id.as_deref(), f.project()),
        (Some("19"), Some("42"), Some("a9dc"))
    );
    // Neutron: associated through port_id and fixed_ip_address, 201 on create, a status.
    let n: FloatingIpEnvelope = serde_json::from_str(r#"{"floatingip": {"id": "2f245a7b", "router_id": "d23abc8d",
      "status": "ACTIVE", "tenant_id": "4969c491", "project_id": "4969c491", "floating_network_id": "376da547",
      "fixed_ip_address": "10.0.0.3", "floating_ip_address": "172.24.4.228", "port_id": "ce705c24",
      "port_details": {"status": "ACTIVE"}, "dns_domain": "", "tags": []}}"#).unwrap();
    assert_eq!(n.floatingip.fixed_ip_address.as_deref(), Some("10.0.0.3"));
    assert_eq!(n.floatingip.port_id.as_deref(), Some("ce705c24"));
    // Synnefo's shape is written back exactly: ten keys, no project_id.
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 10);
    assert!(v.get("project_id").is_none());
}

#[test]
fn servers_with_numeric_ids_and_attachments() {
    let s: ServerEnvelope = serde_json::from_str(r#"{"server": {
      "id": 42, "name": "web1", "status": "ACTIVE", "SNF:task_state": "CONNECTING", "user_id": "a9dc", "tenant_id": "a9dc",
      "attachments": [{"id": 19, "network_id": "2719", "mac_address": "aa:00:0c:6d:34:bb", "firewallProfile": "DISABLED",
                        "ipv4": "83.212.96.14", "ipv6": "", "OS-EXT-IPS:type": "floating"}],
      "addresses": {"2719": [{"version": 4, "addr": "83.212.96.14", "OS-EXT-IPS:type": "floating"}]},
      "metadata": {"os": "debian"}, "SNF:fqdn": "snf-42.vm.example.org", "suspended": false}}"#).unwrap();
    let s = s.server;
    assert_eq!((s.id.as_str(), s.task_state.as_str()), ("42", "CONNECTING"));
    assert_eq!(s.attachments[0].id, "19");
}

#[test]
fn quotas_and_projects() {
    let q: Quotas = serde_json::from_str(r#"{"a9dc": {
      "cyclades.floating_ip": {"usage": 2, "limit": 3, "pending": 0, "project_usage": 2, "project_limit": 3, "project_pending": 0},
      "cyclades.ram": {"usage": 4294967296, "limit": 8589934592, "pending": 0, "project_usage": 4294967296, "project_limit": 8589934592, "project_pending": 0}},
      "3f1d": {"cyclades.floating_ip": {"usage": 0, "limit": 5, "pending": 0, "project_usage": 7, "project_limit": 50, "project_pending": 1}}}"#).unwrap();
    assert_eq!(nephele_model::usage::available(&q["3f1d"]["cyclades.floating_ip"]), 5);
    assert_eq!(nephele_model::usage::available(&q["a9dc"]["cyclades.floating_ip"]), 1);
    let ps: Vec<Project> = serde_json::from_str(r#"[{"id": "3f1d", "state": "active", "name": "lab.example.org", "owner": "a9dc",
      "system_project": false, "resources": {"cyclades.floating_ip": {"member_capacity": 5, "project_capacity": 50}}}]"#).unwrap();
    assert_eq!(ps[0].name, "lab.example.org");
}

#[test]
fn identity_answers() {
    let r: TokenResponse = serde_json::from_str(r#"{"access": {"token": {"id": "t", "expires": null, "tenant": {"id": "u"}},
      "user": {"id": "u", "name": "Ελένη", "roles": [{"id": 1, "name": "default"}], "projects": []},
      "serviceCatalog": [
        {"name": "cyclades_compute", "type": "compute", "endpoints": [{"versionId": "v2.0", "publicURL": "https://c/compute/v2.0"}]},
        {"name": "cyclades_network", "type": "network", "endpoints": [{"versionId": "v2.0", "publicURL": "https://c/network", "SNF:exposeVersion": false}]},
        {"name": "astakos_account", "type": "account", "endpoints": [{"versionId": "v1.0", "publicURL": "https://a/account/v1.0", "SNF:exposeVersion": "True"}]}]}}"#).unwrap();
    let e = r.access.endpoints().unwrap();
    assert_eq!(e.network, "https://c/network/v2.0");
    // Public mode: a catalog and nothing else.
    let public: TokenResponse =
        serde_json::from_str(r#"{"access": {"serviceCatalog": []}}"#).unwrap();
    assert!(public.access.user.is_none() && public.access.token.is_none());
}

/// Every fault the spec lists, with the status it comes with.
#[test]
fn every_spec_fault_parses() {
    let cases = [
        (304, "notModified", FaultKind::NotModified),
        (400, "badRequest", FaultKind::BadRequest),
        (401, "unauthorized", FaultKind::Unauthorized),
        (403, "forbidden", FaultKind::Forbidden),
        (404, "itemNotFound", FaultKind::ItemNotFound),
        (405, "notAllowed", FaultKind::NotAllowed),
        (409, "conflict", FaultKind::Conflict),
        (409, "buildInProgress", FaultKind::BuildInProgress),
        (413, "overLimit", FaultKind::OverLimit),
        (500, "internalServerError", FaultKind::InternalServerError),
        (501, "notImplemented", FaultKind::NotImplemented),
        (503, "serviceUnavailable", FaultKind::ServiceUnavailable),
        (404, "featureNotEnabled", FaultKind::Other("featureNotEnabled".into())),
    ];
    for (status, name, kind) in cases {
        let body = format!(r#"{{"{name}": {{"code": {status}, "message": "m", "details": ""}}}}"#);
        let f = Fault::parse(status, &body).unwrap_or_else(|| panic!("{body}"));
        assert_eq!((f.kind, f.code), (kind, status), "{body}");
    }
    // details may be a traceback (DEBUG deployments) or missing.
    let f = Fault::parse(500, r#"{"internalServerError": {"code": 500, "message": "Unexpected error", "details": "Traceback …"}}"#).unwrap();
    assert!(f.details.starts_with("Traceback"));
    let f = Fault::parse(404, r#"{"itemNotFound": {"message": "Network 99 not found."}}"#).unwrap();
    assert_eq!(f.code, 404);
    // The spec's 413 text, numbers included.
    let f = Fault::parse(413, r#"{"overLimit": {"code": 413, "message": "Resource Limit Exceeded for your account.", "details": "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1"}}"#).unwrap();
    assert_eq!(f.kind, FaultKind::OverLimit);
    assert!(f.details.ends_with("Available: 0, Requested: 1"));
}
