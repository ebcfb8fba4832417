//! Floating IPs (spec §5.4): addresses of a public pool network reserved to a
//! caller and charged to a project; attached by creating a port with them.

use nephele_model::floating_ip::FloatingIp;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::addresses::{free_address, in_pools, used_addresses};
use super::identity::require_member;
use super::networks::network_or_404;
use super::quotas::{charge, FLOATING_IPS};
use super::{next_id, now_us, Caller};
use crate::api::requests::{FloatingIpCreate, Reassign};
use crate::error::{ApiError, ApiResult};
use crate::ipnet::{v4, v4_str};

/// `SELECT` of [`FipRow::from_row`]'s columns (`f`: the address, `p`: the port
/// holding it), followed by a `WHERE` condition.
macro_rules! select_fips {
    ($filter:expr) => {
        concat!(
            "SELECT f.id, f.network, f.address, f.user, f.project, f.port, p.device
             FROM floating_ips f LEFT JOIN ports p ON p.id = f.port WHERE ",
            $filter,
            " ORDER BY f.id"
        )
    };
}

/// A row of `floating_ips` with the server of the port holding it.
struct FipRow {
    id: i64,
    network: i64,
    address: String,
    user: String,
    project: String,
    port: Option<i64>,
    device: Option<i64>,
}

impl FipRow {
    fn from_row(r: &Row) -> rusqlite::Result<FipRow> {
        Ok(FipRow {
            id: r.get(0)?,
            network: r.get(1)?,
            address: r.get(2)?,
            user: r.get(3)?,
            project: r.get(4)?,
            port: r.get(5)?,
            device: r.get(6)?,
        })
    }
}

fn render(f: FipRow) -> FloatingIp {
    FloatingIp {
        project_id: None,
        id: f.id.to_string(),
        floating_ip_address: f.address,
        floating_network_id: Some(f.network.to_string()),
        fixed_ip_address: None,
        port_id: f.port.map(|p| p.to_string()),
        instance_id: f.device.map(|d| d.to_string()),
        user_id: f.user,
        tenant_id: f.project,
        shared_to_project: false,
        deleted: false,
    }
}

/// `GET /floatingips`: the caller's; with `since`, those changed since.
pub fn list(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<FloatingIp>> {
    let mut st =
        tx.prepare_cached(select_fips!("f.user = ?1 AND (?2 IS NULL OR f.updated >= ?2)"))?;
    let rows = st.query_map(params![c.uuid, since], FipRow::from_row)?;
    rows.map(|f| Ok(render(f?))).collect()
}

fn fip_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<FipRow> {
    tx.prepare_cached(select_fips!("f.user = ?1 AND f.id = ?2"))?
        .query_row(params![c.uuid, id], FipRow::from_row)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Floating IP with ID {id} does not exist.")))
}

pub fn get(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<FloatingIp> {
    Ok(render(fip_row(tx, c, id)?))
}

/// The address to reserve on the pool network `nid`: the one asked for (inside
/// the pools and free), else the first free one.
fn address_on_pool(
    tx: &Transaction,
    c: &Caller,
    nid: i64,
    address: Option<&str>,
) -> ApiResult<u32> {
    let n = network_or_404(tx, c, nid)?;
    if n.deleted {
        return Err(ApiError::bad_request("Network has been deleted."));
    }
    if !n.fip_pool {
        return Err(ApiError::conflict(format!(
            "Cannot allocate floating IP. Network {nid} is not a floating IP pool."
        )));
    }
    let pools: String = tx
        .prepare_cached("SELECT pools FROM subnets WHERE network = ?1 AND ip_version = 4")?
        .query_row([nid], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| "[]".into());
    match address {
        Some(a) => {
            let ip = v4(a).unwrap_or(0);
            if !in_pools(&pools, ip) {
                return Err(ApiError::bad_request(format!(
                    "Address {a} does not belong to network {nid}"
                )));
            }
            if used_addresses(tx, nid)?.contains(&ip) {
                return Err(ApiError::conflict(format!("IP address {a} is already used.")));
            }
            Ok(ip)
        }
        None => free_address(tx, nid, &pools)?.ok_or_else(|| {
            ApiError::conflict(format!("No more IP addresses available on network {nid}"))
        }),
    }
}

/// No pool named: the first free address of any public pool, pools in id order.
fn address_on_any_pool(tx: &Transaction) -> ApiResult<(i64, u32)> {
    let mut st = tx.prepare_cached(
        "SELECT n.id, s.pools FROM networks n JOIN subnets s ON s.network = n.id AND s.ip_version = 4
         WHERE n.public = 1 AND n.fip_pool = 1 AND n.deleted = 0 ORDER BY n.id",
    )?;
    let nets = st
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (nid, pools) in nets {
        if let Some(ip) = free_address(tx, nid, &pools)? {
            return Ok((nid, ip));
        }
    }
    Err(ApiError::conflict("Cannot allocate a floating IP address."))
}

/// Reserve an address, charged to the chosen project (the caller must be a member).
pub fn create(tx: &Transaction, c: &Caller, req: &FloatingIpCreate) -> ApiResult<FloatingIp> {
    let project = req.project.clone().unwrap_or_else(|| c.uuid.clone());
    require_member(tx, c, &project)?;
    let (network, ip) = match req.network_id {
        Some(nid) => (nid, address_on_pool(tx, c, nid, req.address.as_deref())?),
        None => address_on_any_pool(tx)?,
    };
    charge(tx, &c.uuid, &project, FLOATING_IPS, 1)?;
    let id = next_id(tx, "floating_ip", "floating_ips")?;
    tx.prepare_cached(
        "INSERT INTO floating_ips (id, network, address, user, project, port, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6)",
    )?
    .execute(params![id, network, v4_str(ip), c.uuid, project, now_us()])?;
    get(tx, c, id)
}

/// Release an address; not while a port holds it.
pub fn delete(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<()> {
    let f = fip_row(tx, c, id)?;
    if let Some(port) = f.port {
        return Err(ApiError::conflict(match f.device {
            Some(vm) => format!("IP '{id}' is used by server '{vm}'"),
            None => format!("IP '{id}' is used by port '{port}'"),
        }));
    }
    tx.prepare_cached("DELETE FROM floating_ips WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// `reassign`: move the address to another project of its owner, charging that one
/// (allowed while attached). As for networks, the address is found before the
/// action is checked, so `action` comes parsed but unchecked.
pub fn reassign(
    tx: &Transaction,
    c: &Caller,
    id: i64,
    action: ApiResult<Reassign>,
) -> ApiResult<()> {
    let f = fip_row(tx, c, id)?;
    let project = action?.project;
    if f.user != c.uuid {
        return Err(ApiError::forbidden(
            "Action 'reassign' is allowed only to the owner of the floating IP.",
        ));
    }
    require_member(tx, c, &project)?;
    if f.project != project {
        charge(tx, &c.uuid, &project, FLOATING_IPS, 1)?;
        tx.prepare_cached("UPDATE floating_ips SET project = ?1, updated = ?2 WHERE id = ?3")?
            .execute(params![project, now_us(), id])?;
    }
    Ok(())
}
