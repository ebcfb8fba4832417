//! Ports (spec §5.3): a network interface, unattached or on one of the caller's
//! servers. Its IPv4 address comes from the subnet's pools (or is the caller's
//! floating IP, on a public network); its IPv6 address follows from the MAC once
//! the port is ACTIVE. Connecting and disconnecting a server take the build delay.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use nephele_model::network::Link;
use nephele_model::port::{FixedIp, Port};
use nephele_model::PortStatus;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::addresses::{free_address, used_addresses};
use super::networks::network_or_404;
use super::servers::{server_by_id, server_row, validate_server_action, ServerRow};
use super::transitions::{schedule, Pending};
use super::{iso, next_id, now_us, Caller};
use crate::api::requests::{PortCreate, PortUpdate};
use crate::error::{ApiError, ApiResult};
use crate::ipnet::{eui64, parse_v6_64, v4, v4_str, Cidr4};

/// Maximum ports (NICs) per server (`GANETI_MAX_NICS_PER_INSTANCE`).
const MAX_PORTS: i64 = 8;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// The MAC a port gets when it becomes ACTIVE (derived from its id, so stable).
pub(super) fn mac_for(port: i64) -> String {
    let b = port.to_be_bytes();
    format!("aa:00:00:{:02x}:{:02x}:{:02x}", b[5], b[6], b[7])
}

/// `SELECT` of [`PortRow::from_row`]'s columns (`p`: the port, `n`: its network),
/// followed by a `WHERE` condition.
macro_rules! select_ports {
    ($filter:expr) => {
        concat!(
            "SELECT p.id, p.network, p.user, p.device, p.name, p.status, p.mac, p.ip, p.subnet,
                    p.created, p.updated, (SELECT f.id FROM floating_ips f WHERE f.port = p.id), n.public
             FROM ports p JOIN networks n ON n.id = p.network WHERE ",
            $filter,
            " ORDER BY p.id"
        )
    };
}

/// Ports the caller may see: their own, and any on their servers.
macro_rules! visible {
    () => {
        "(p.user = ?1 OR p.device IN (SELECT id FROM servers WHERE user = ?1))"
    };
}

/// A row of `ports` with its floating IP and whether its network is public.
pub(super) struct PortRow {
    pub id: i64,
    pub network: i64,
    pub user: String,
    pub device: Option<i64>,
    pub name: String,
    pub status: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub subnet: Option<i64>,
    pub created: i64,
    pub updated: i64,
    /// The floating IP this port holds, if any.
    pub floating: Option<i64>,
    pub net_public: bool,
}

impl PortRow {
    fn from_row(r: &Row) -> rusqlite::Result<PortRow> {
        Ok(PortRow {
            id: r.get(0)?,
            network: r.get(1)?,
            user: r.get(2)?,
            device: r.get(3)?,
            name: r.get(4)?,
            status: r.get(5)?,
            mac: r.get(6)?,
            ip: r.get(7)?,
            subnet: r.get(8)?,
            created: r.get(9)?,
            updated: r.get(10)?,
            floating: r.get(11)?,
            net_public: r.get(12)?,
        })
    }
}

/// The live IPv6 subnet of each network, read once per request rather than once per port.
pub(super) struct Ipv6Subnets(HashMap<i64, (i64, Option<Ipv6Addr>)>);

impl Ipv6Subnets {
    pub fn load(tx: &Transaction) -> ApiResult<Ipv6Subnets> {
        let mut st = tx.prepare_cached(
            "SELECT network, id, cidr FROM subnets WHERE ip_version = 6 AND deleted = 0 ORDER BY id",
        )?;
        let mut map = HashMap::new();
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (network, id, cidr) = row?;
            map.entry(network).or_insert((id, parse_v6_64(&cidr)));
        }
        Ok(Ipv6Subnets(map))
    }

    /// The port's IPv6 address (EUI-64 from the MAC, so only once known) and subnet.
    pub fn address_of(&self, p: &PortRow) -> Option<(String, i64)> {
        let mac = p.mac.as_deref()?;
        let (subnet, net) = self.0.get(&p.network)?;
        eui64((*net)?, mac).map(|a| (a, *subnet))
    }
}

fn render(c: &Caller, p: PortRow, v6: &Ipv6Subnets) -> Port {
    let ipv6 = v6.address_of(&p);
    let mut fixed_ips = Vec::with_capacity(2);
    if let Some(ip) = p.ip {
        fixed_ips.push(FixedIp {
            ip_address: ip,
            subnet: p.subnet.map(|s| s.to_string()).unwrap_or_default(),
        });
    }
    if let Some((ip, subnet)) = ipv6 {
        fixed_ips.push(FixedIp { ip_address: ip, subnet: subnet.to_string() });
    }
    Port {
        project_id: None,
        id: p.id.to_string(),
        name: p.name,
        links: Link::pair(&format!("{}/network/v2.0/ports/{}", c.base, p.id)),
        tenant_id: p.user.clone(),
        user_id: p.user,
        device_id: p.device.map(|d| d.to_string()),
        device_owner: p.device.map(|_| "vm".to_owned()),
        network_id: p.network.to_string(),
        status: p.status.into(),
        mac_address: p.mac,
        fixed_ips,
        security_groups: Vec::new(),
        admin_state_up: true,
        created: iso(p.created),
        updated: iso(p.updated),
    }
}

/// `GET /ports`: every port the caller may see.
pub fn list(tx: &Transaction, c: &Caller) -> ApiResult<Vec<Port>> {
    let v6 = Ipv6Subnets::load(tx)?;
    let mut st = tx.prepare_cached(select_ports!(visible!()))?;
    let rows = st.query_map(params![c.uuid], PortRow::from_row)?;
    rows.map(|p| Ok(render(c, p?, &v6))).collect()
}

/// The ACTIVE ports of a server (its NICs), for the compute API.
pub(super) fn active_on_server(tx: &Transaction, server: i64) -> ApiResult<Vec<PortRow>> {
    let mut st = tx.prepare_cached(select_ports!("p.device = ?1 AND p.status = 'ACTIVE'"))?;
    let rows = st.query_map([server], PortRow::from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn port_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<PortRow> {
    tx.prepare_cached(select_ports!(concat!(visible!(), " AND p.id = ?2")))?
        .query_row(params![c.uuid, id], PortRow::from_row)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Port {id} not found.")))
}

pub fn get(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Port> {
    let p = port_row(tx, c, id)?;
    Ok(render(c, p, &Ipv6Subnets::load(tx)?))
}

/// The server a new port is for: the caller's, not deleted, with a NIC to spare.
fn attachable_server(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<ServerRow> {
    let s = server_row(tx, c, id)?;
    if s.status == "DELETED" {
        return Err(bad("Server has been deleted."));
    }
    let nics: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM ports WHERE device = ?1")?
        .query_row([id], |r| r.get(0))?;
    if nics >= MAX_PORTS {
        return Err(bad("Maximum ports per server limit reached"));
    }
    Ok(s)
}

/// The IPv4 address of a port on an allocation.
struct Assignment {
    ip: Option<String>,
    subnet: Option<i64>,
    /// The floating IP the port takes (public networks).
    floating: Option<i64>,
}

/// On a public network a port holds one of the caller's floating IPs, which must be
/// on that network and not held by another port.
fn assign_floating_ip(
    tx: &Transaction,
    c: &Caller,
    net_id: i64,
    address: Option<String>,
) -> ApiResult<Assignment> {
    let msg = "'fixed_ips' attribute must contain a floating IP address in order to connect to a public network.";
    let addr = address.ok_or_else(|| bad(msg))?;
    let (fip, network, holder): (i64, i64, Option<i64>) = tx
        .prepare_cached(
            "SELECT id, network, port FROM floating_ips WHERE address = ?1 AND user = ?2",
        )?
        .query_row(params![addr, c.uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| ApiError::not_found("Floating IP does not exist."))?;
    if network != net_id {
        return Err(ApiError::conflict(format!(
            "IP Address {addr} does not belong to network {net_id}"
        )));
    }
    if holder.is_some() {
        return Err(ApiError::conflict(format!("IP address '{addr}' is already in use")));
    }
    let subnet: Option<i64> = tx
        .prepare_cached("SELECT id FROM subnets WHERE network = ?1 AND ip_version = 4")?
        .query_row([net_id], |r| r.get(0))
        .optional()?;
    Ok(Assignment { ip: Some(addr), subnet, floating: Some(fip) })
}

/// On a private network: the address asked for (a free host of the IPv4 subnet),
/// else the first free one of the pools; none when the network has no IPv4 subnet.
fn assign_private_address(
    tx: &Transaction,
    net_id: i64,
    address: Option<String>,
) -> ApiResult<Assignment> {
    let subnet: Option<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT id, cidr, pools FROM subnets WHERE network = ?1 AND ip_version = 4 AND deleted = 0",
        )?
        .query_row([net_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (ip, subnet) = match (subnet, address) {
        (None, Some(a)) => {
            return Err(bad(format!(
                "Address {a} is not a valid IP for the defined network subnets"
            )))
        }
        (None, None) => (None, None),
        (Some((sid, cidr, _)), Some(a)) => {
            let ip = v4(&a);
            let on_subnet = Cidr4::parse(&cidr).zip(ip).is_some_and(|((c4, _), ip)| c4.is_host(ip));
            if !on_subnet {
                return Err(bad(format!("Address {a} does not belong to network {net_id}")));
            }
            if ip.is_some_and(|ip| used_addresses(tx, net_id).is_ok_and(|u| u.contains(&ip))) {
                return Err(ApiError::conflict(format!("IP address {a} is already used.")));
            }
            (Some(a), Some(sid))
        }
        (Some((sid, _, pools)), None) => {
            let ip = free_address(tx, net_id, &pools)?.ok_or_else(|| {
                ApiError::conflict(format!("No more IP addresses available on network {net_id}"))
            })?;
            (Some(v4_str(ip)), Some(sid))
        }
    };
    Ok(Assignment { ip, subnet, floating: None })
}

/// Create a port: DOWN when unattached, else BUILD until the connect falls due.
pub fn create(
    tx: &Transaction,
    c: &Caller,
    req: &PortCreate,
    build_delay_us: i64,
) -> ApiResult<Port> {
    let net_id = req.network_id;
    let server = req.device_id.map(|d| attachable_server(tx, c, d)).transpose()?;
    let net = network_or_404(tx, c, net_id)?;
    if net.deleted {
        return Err(bad("Network has been deleted."));
    }
    let address = req.address.clone();
    let assigned = if net.public {
        assign_floating_ip(tx, c, net_id, address)?
    } else {
        assign_private_address(tx, net_id, address)?
    };
    if let Some(s) = &server {
        validate_server_action(tx, s, Pending::Connect.action())?;
    }
    let id = next_id(tx, "port", "ports")?;
    let now = now_us();
    let status = if server.is_some() { PortStatus::Build } else { PortStatus::Down };
    tx.prepare_cached(
        "INSERT INTO ports (id, network, user, device, name, status, mac, ip, subnet, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![id, net_id, c.uuid, req.device_id, req.name, status.as_str(), assigned.ip, assigned.subnet, now])?;
    if let Some(f) = assigned.floating {
        tx.prepare_cached("UPDATE floating_ips SET port = ?1, updated = ?2 WHERE id = ?3")?
            .execute(params![id, now, f])?;
    }
    if let Some(s) = &server {
        tx.prepare_cached("UPDATE networks SET instantiated = 1 WHERE id = ?1")?
            .execute([net_id])?;
        tx.prepare_cached("UPDATE servers SET updated = ?1 WHERE id = ?2")?
            .execute(params![now, s.id])?;
        schedule(tx, Pending::Connect, id, s.id, now.saturating_add(build_delay_us))?;
    }
    get(tx, c, id)
}

/// Rename a port (the only change there is; an empty name leaves it as it is).
pub fn update(tx: &Transaction, c: &Caller, id: i64, req: &PortUpdate) -> ApiResult<Port> {
    port_row(tx, c, id)?;
    if let Some(name) = req.name.as_deref().filter(|n| !n.is_empty()) {
        tx.prepare_cached("UPDATE ports SET name = ?1, updated = ?2 WHERE id = ?3")?
            .execute(params![name, now_us(), id])?;
    }
    get(tx, c, id)
}

/// Delete a port: at once when unattached, else 204 now and gone after the delay.
/// Returns whether a transition was scheduled.
pub fn delete(tx: &Transaction, c: &Caller, id: i64, build_delay_us: i64) -> ApiResult<bool> {
    let p = port_row(tx, c, id)?;
    if p.net_public && p.floating.is_none() {
        return Err(ApiError::forbidden("Cannot disconnect from public network."));
    }
    let server = match p.device {
        Some(d) => server_by_id(tx, d)?.filter(|s| s.status != "DELETED"),
        None => None,
    };
    let Some(server) = server else {
        remove_port(tx, id, now_us())?;
        return Ok(false);
    };
    validate_server_action(tx, &server, Pending::Disconnect.action())?;
    let now = now_us();
    tx.prepare_cached("UPDATE servers SET updated = ?1 WHERE id = ?2")?
        .execute(params![now, server.id])?;
    schedule(tx, Pending::Disconnect, id, server.id, now.saturating_add(build_delay_us))?;
    Ok(true)
}

/// Remove a port: its floating IP stays reserved (detached), other addresses go back.
pub(super) fn remove_port(tx: &Transaction, id: i64, now: i64) -> ApiResult<()> {
    tx.prepare_cached("UPDATE floating_ips SET port = NULL, updated = ?1 WHERE port = ?2")?
        .execute(params![now, id])?;
    tx.prepare_cached("DELETE FROM ports WHERE id = ?1")?.execute([id])?;
    tx.prepare_cached("DELETE FROM pending WHERE port = ?1")?.execute([id])?;
    Ok(())
}
