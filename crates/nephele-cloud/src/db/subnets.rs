//! Subnets (spec §5.2): at most one IPv4 and one IPv6 subnet per private network,
//! fixed once a server is connected. IPv4 subnets carry a gateway and allocation
//! pools; IPv6 ones are a /64 whose addresses come from the ports' MACs (EUI-64).

use nephele_model::network::Link;
use nephele_model::subnet::{AllocationPool, Subnet};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde_json::{json, Value};

use super::networks::visible_network;
use super::{next_id, now_us, Caller};
use crate::api::requests::{GatewayIp, PoolsField, Rename, SubnetCreate};
use crate::error::{ApiError, ApiResult};
use crate::ipnet::{parse_v6_64, v4, v4_str, Cidr4};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// Allocation pools as stored (`[{"end", "start"}]`, the text the first version wrote).
pub(super) fn pools_json(pools: &[(u32, u32)]) -> String {
    Value::Array(
        pools.iter().map(|(a, b)| json!({"start": v4_str(*a), "end": v4_str(*b)})).collect(),
    )
    .to_string()
}

/// The columns [`SubRow::from_row`] reads, in its order (`s`: subnets, `n`: its network).
macro_rules! subnet_columns {
    () => {
        "s.id, s.network, s.name, s.ip_version, s.cidr, s.gateway, s.dhcp, s.pools, s.dns, s.routes, s.deleted, n.user, n.public"
    };
}

/// A row of `subnets` with what it shows of its network.
struct SubRow {
    id: i64,
    network: i64,
    name: String,
    ip_version: i64,
    cidr: String,
    gateway: Option<String>,
    dhcp: bool,
    pools: String,
    dns: String,
    routes: String,
    deleted: bool,
    net_user: Option<String>,
    net_public: bool,
}

impl SubRow {
    fn from_row(r: &Row) -> rusqlite::Result<SubRow> {
        Ok(SubRow {
            id: r.get(0)?,
            network: r.get(1)?,
            name: r.get(2)?,
            ip_version: r.get(3)?,
            cidr: r.get(4)?,
            gateway: r.get(5)?,
            dhcp: r.get(6)?,
            pools: r.get(7)?,
            dns: r.get(8)?,
            routes: r.get(9)?,
            deleted: r.get(10)?,
            net_user: r.get(11)?,
            net_public: r.get(12)?,
        })
    }
}

fn render(c: &Caller, s: &SubRow) -> Subnet {
    let parse = |t: &str| serde_json::from_str::<Vec<Value>>(t).unwrap_or_default();
    let pools: Vec<AllocationPool> = serde_json::from_str(&s.pools).unwrap_or_default();
    Subnet {
        project_id: None,
        id: s.id.to_string(),
        network_id: s.network.to_string(),
        name: s.name.clone(),
        tenant_id: s.net_user.clone(),
        user_id: s.net_user.clone(),
        public: s.net_public,
        gateway_ip: s.gateway.clone(),
        ip_version: if s.ip_version == 6 { 6 } else { 4 },
        cidr: s.cidr.clone(),
        enable_dhcp: s.dhcp,
        enable_slaac: (s.ip_version == 6).then_some(s.dhcp),
        dns_nameservers: parse(&s.dns),
        host_routes: parse(&s.routes),
        allocation_pools: if s.ip_version == 6 { Vec::new() } else { pools },
        deleted: s.deleted,
        links: Link::pair(&format!("{}/network/v2.0/subnets/{}", c.base, s.id)),
    }
}

/// `GET /subnets`: those of visible networks; with `since`, deleted ones too.
pub fn list(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<Subnet>> {
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        subnet_columns!(),
        " FROM subnets s JOIN networks n ON n.id = s.network
         WHERE (n.public = 1 OR n.user = ?1)
         AND (CASE WHEN ?2 IS NULL THEN s.deleted = 0 ELSE s.updated >= ?2 END) ORDER BY s.id"
    ))?;
    let rows =
        st.query_map(params![c.uuid, since], SubRow::from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows.iter().map(|s| render(c, s)).collect())
}

fn subnet_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<SubRow> {
    tx.prepare_cached(concat!(
        "SELECT ",
        subnet_columns!(),
        " FROM subnets s JOIN networks n ON n.id = s.network
          WHERE s.id = ?1 AND (n.public = 1 OR n.user = ?2)"
    ))?
    .query_row(params![id, c.uuid], SubRow::from_row)
    .optional()?
    .ok_or_else(|| ApiError::not_found("Subnet not found"))
}

pub fn get(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Subnet> {
    Ok(render(c, &subnet_row(tx, c, id)?))
}

/// Only the owner of the network renames its subnets.
pub fn rename(tx: &Transaction, c: &Caller, id: i64, req: &Rename) -> ApiResult<Subnet> {
    let s = subnet_row(tx, c, id)?;
    if s.net_user.as_deref() != Some(c.uuid.as_str()) {
        return Err(ApiError::forbidden("Forbidden operation"));
    }
    tx.prepare_cached("UPDATE subnets SET name = ?1, updated = ?2 WHERE id = ?3")?
        .execute(params![req.name, now_us(), id])?;
    get(tx, c, id)
}

/// One subnet per IP version per network (deleted ones do not count).
fn ensure_one_per_version(tx: &Transaction, network: i64, ip_version: i64) -> ApiResult<()> {
    let same: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM subnets WHERE network = ?1 AND ip_version = ?2 AND deleted = 0",
        )?
        .query_row(params![network, ip_version], |r| r.get(0))?;
    if same > 0 {
        return Err(bad(format!("Only one subnet of IPv{ip_version} per network is allowed")));
    }
    Ok(())
}

/// Gateway and pools (as stored) of an IPv6 subnet: a /64, no pools, any gateway.
fn ipv6_layout(req: &SubnetCreate) -> ApiResult<(Option<String>, String)> {
    if parse_v6_64(&req.cidr).is_none() {
        return Err(bad("Invalid network IPv6 subnet"));
    }
    if req.allocation_pools != PoolsField::Default {
        return Err(ApiError::conflict("Can't allocate an IP Pool in IPv6"));
    }
    let gateway = match &req.gateway_ip {
        GatewayIp::Absent | GatewayIp::Null => None,
        GatewayIp::Text(g) if g.parse::<std::net::Ipv6Addr>().is_ok() => Some(g.clone()),
        GatewayIp::Text(_) | GatewayIp::NotText => return Err(bad("Invalid network IPv6 gateway")),
    };
    Ok((gateway, "[]".to_owned()))
}

/// Gateway and pools (as stored) of an IPv4 subnet: a clean /22../29, the gateway
/// (by default the first host) a host of it, the pools inside it, apart, without it.
fn ipv4_layout(req: &SubnetCreate) -> ApiResult<(Option<String>, String)> {
    let (cidr, clean) =
        Cidr4::parse(&req.cidr).ok_or_else(|| bad("Invalid network IPv4 subnet"))?;
    if !clean {
        return Err(bad("Invalid network IPv4 subnet"));
    }
    if cidr.prefix < 22 || cidr.prefix > 29 {
        return Err(ApiError::over_limit(
            "Unsupported network size",
            "Netmask must be in range: [22, 29]",
        ));
    }
    let gateway = match &req.gateway_ip {
        GatewayIp::Absent => Some(cidr.first_host()),
        GatewayIp::Null => None,
        GatewayIp::Text(g) => match v4(g) {
            Some(g) if cidr.is_host(g) => Some(g),
            _ => return Err(bad("Invalid network IPv4 gateway")),
        },
        GatewayIp::NotText => return Err(bad("Invalid network IPv4 gateway")),
    };
    let pools = match &req.allocation_pools {
        PoolsField::Default => cidr.default_pools(gateway),
        PoolsField::List(list) => allocation_pools(&cidr, gateway, list)?,
        PoolsField::NotList => return Err(bad("Malformed allocation pool.")),
    };
    Ok((gateway.map(v4_str), pools_json(&pools)))
}

/// The pools asked for, checked one by one in order (the first fault wins).
fn allocation_pools(
    cidr: &Cidr4,
    gateway: Option<u32>,
    list: &[Option<(String, String)>],
) -> ApiResult<Vec<(u32, u32)>> {
    let mut pools = Vec::new();
    for p in list {
        let Some((start, end)) = p else { return Err(bad("Malformed allocation pool.")) };
        let (Some(a), Some(b)) = (v4(start), v4(end)) else {
            return Err(bad("Allocation pools contain invalid IPv4 address"));
        };
        if a > b {
            return Err(ApiError::conflict("Invalid IP pool range"));
        }
        if !cidr.is_host(a) || !cidr.is_host(b) {
            return Err(ApiError::conflict("IP Pool out of bounds"));
        }
        if gateway.is_some_and(|g| g >= a && g <= b) {
            return Err(ApiError::conflict("Gateway cannot be in pool range"));
        }
        if pools.iter().any(|&(x, y)| a <= y && x <= b) {
            return Err(ApiError::conflict("IP Pool range conflict"));
        }
        pools.push((a, b));
    }
    Ok(pools)
}

/// A subnet on the caller's own network, before any server was connected to it.
pub fn create(tx: &Transaction, c: &Caller, req: &SubnetCreate) -> ApiResult<Subnet> {
    let net_id = req.network_id;
    let n = visible_network(tx, c, net_id)?
        .ok_or_else(|| ApiError::not_found("No network found with that ID"))?;
    if n.deleted {
        return Err(bad("Network has been deleted"));
    }
    if n.user.as_deref() != Some(c.uuid.as_str()) {
        return Err(ApiError::forbidden("Forbidden operation"));
    }
    ensure_one_per_version(tx, net_id, req.ip_version)?;
    if n.instantiated {
        return Err(bad(format!(
            "Cannot create subnet in network {net_id}, VMs are already connected to this network"
        )));
    }
    let (gateway, pools) = if req.ip_version == 6 { ipv6_layout(req)? } else { ipv4_layout(req)? };
    let dns = serde_json::to_string(&req.dns_nameservers)
        .map_err(|e| ApiError::Internal(format!("serialize: {e}")))?;
    let routes = serde_json::to_string(&req.host_routes)
        .map_err(|e| ApiError::Internal(format!("serialize: {e}")))?;
    let id = next_id(tx, "subnet", "subnets")?;
    let now = now_us();
    tx.prepare_cached(
        "INSERT INTO subnets (id, network, name, ip_version, cidr, gateway, dhcp, pools, dns, routes, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        net_id,
        req.name,
        req.ip_version,
        req.cidr,
        gateway,
        req.dhcp,
        pools,
        dns,
        routes,
        now
    ])?;
    tx.prepare_cached("UPDATE networks SET updated = ?1 WHERE id = ?2")?
        .execute(params![now, net_id])?;
    get(tx, c, id)
}
