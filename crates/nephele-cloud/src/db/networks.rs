//! Networks (spec §5.1): the public ones from the seed and the caller's private
//! MAC_FILTERED ones, which are charged to a project, renamed, deleted when
//! nothing uses them, and reassigned to another project.

use nephele_model::network::{Link, Network};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::identity::require_member;
use super::quotas::{charge, PRIVATE_NETWORKS};
use super::{iso, next_id, now_us, Caller};
use crate::api::requests::{NetworkCreate, Reassign, Rename};
use crate::error::{ApiError, ApiResult};

/// The columns [`NetRow::from_row`] reads, in its order.
macro_rules! network_columns {
    () => {
        "id, name, type, user, project, public, fip_pool, status, deleted, instantiated, shared_to_project, created, updated"
    };
}

/// A row of `networks`.
pub(super) struct NetRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub user: Option<String>,
    pub project: Option<String>,
    pub public: bool,
    pub fip_pool: bool,
    pub status: String,
    pub deleted: bool,
    /// A server was ever connected: the subnets are fixed from then on.
    pub instantiated: bool,
    pub shared: bool,
    pub created: i64,
    pub updated: i64,
}

impl NetRow {
    fn from_row(r: &Row) -> rusqlite::Result<NetRow> {
        Ok(NetRow {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            user: r.get(3)?,
            project: r.get(4)?,
            public: r.get(5)?,
            fip_pool: r.get(6)?,
            status: r.get(7)?,
            deleted: r.get(8)?,
            instantiated: r.get(9)?,
            shared: r.get(10)?,
            created: r.get(11)?,
            updated: r.get(12)?,
        })
    }

    fn owned_by(&self, c: &Caller) -> bool {
        self.user.as_deref() == Some(c.uuid.as_str())
    }
}

/// A network the caller may see (own or public), deleted ones included.
pub(super) fn visible_network(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Option<NetRow>> {
    Ok(tx
        .prepare_cached(concat!(
            "SELECT ",
            network_columns!(),
            " FROM networks WHERE id = ?1 AND (public = 1 OR user = ?2)"
        ))?
        .query_row(params![id, c.uuid], NetRow::from_row)
        .optional()?)
}

pub(super) fn network_or_404(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<NetRow> {
    visible_network(tx, c, id)?
        .ok_or_else(|| ApiError::not_found(format!("Network {id} not found.")))
}

fn render(tx: &Transaction, c: &Caller, n: &NetRow) -> ApiResult<Network> {
    let mut st = tx.prepare_cached("SELECT id FROM subnets WHERE network = ?1 ORDER BY id")?;
    let subnets = st.query_map([n.id], |r| r.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(Network {
        project_id: None,
        id: n.id.to_string(),
        name: n.name.clone(),
        links: Link::pair(&format!("{}/network/v2.0/networks/{}", c.base, n.id)),
        user_id: n.user.clone(),
        tenant_id: n.project.clone(),
        shared_to_project: n.shared,
        kind: n.kind.as_str().into(),
        status: n.status.as_str().into(),
        public: n.public,
        shared: n.public,
        router_external: n.public,
        admin_state_up: true,
        subnets: subnets.iter().map(ToString::to_string).collect(),
        floating_ip_pool: n.fip_pool,
        deleted: n.deleted,
        created: iso(n.created),
        updated: iso(n.updated),
    })
}

/// `GET /networks`: the visible ones; with `since`, everything changed since, deleted included.
pub fn list(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<Network>> {
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        network_columns!(),
        " FROM networks WHERE (public = 1 OR user = ?1)
         AND (CASE WHEN ?2 IS NULL THEN deleted = 0 ELSE updated >= ?2 END) ORDER BY id"
    ))?;
    let rows =
        st.query_map(params![c.uuid, since], NetRow::from_row)?.collect::<Result<Vec<_>, _>>()?;
    rows.iter().map(|n| render(tx, c, n)).collect()
}

pub fn get(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Network> {
    let n = network_or_404(tx, c, id)?;
    render(tx, c, &n)
}

/// A private network, charged to the chosen project (the caller must be a member).
pub fn create(tx: &Transaction, c: &Caller, req: &NetworkCreate) -> ApiResult<Network> {
    let project = req.project.clone().unwrap_or_else(|| c.uuid.clone());
    require_member(tx, c, &project)?;
    charge(tx, &c.uuid, &project, PRIVATE_NETWORKS, 1)?;
    let id = next_id(tx, "network", "networks")?;
    tx.prepare_cached(
        "INSERT INTO networks (id, name, type, user, project, public, fip_pool, status, shared_to_project, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 'ACTIVE', ?6, ?7, ?7)",
    )?
    .execute(params![id, req.name, req.kind, c.uuid, project, req.shared_to_project, now_us()])?;
    get(tx, c, id)
}

pub fn rename(tx: &Transaction, c: &Caller, id: i64, req: &Rename) -> ApiResult<Network> {
    let n = network_or_404(tx, c, id)?;
    if n.public {
        return Err(ApiError::forbidden("Cannot rename the public network."));
    }
    if n.deleted {
        return Err(ApiError::bad_request("Network has been deleted."));
    }
    tx.prepare_cached("UPDATE networks SET name = ?1, updated = ?2 WHERE id = ?3")?
        .execute(params![req.name, now_us(), id])?;
    get(tx, c, id)
}

/// A network may go only when no port and no floating IP is on it (Cyclades' own
/// wording, typos included).
fn ensure_unused(tx: &Transaction, id: i64) -> ApiResult<()> {
    let ports: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM ports WHERE network = ?1")?
        .query_row([id], |r| r.get(0))?;
    if ports > 0 {
        return Err(ApiError::conflict(format!(
            "Cannot delete network. There are ports still configured on network network {id}"
        )));
    }
    let fips: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM floating_ips WHERE network = ?1")?
        .query_row([id], |r| r.get(0))?;
    if fips > 0 {
        return Err(ApiError::conflict(
            "Cannot delete netowrk. Network has allocated floating IPs.",
        ));
    }
    Ok(())
}

/// Mark the network and its subnets deleted (they stay visible to `changes-since`).
pub fn delete(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<()> {
    let n = network_or_404(tx, c, id)?;
    if n.deleted {
        return Err(ApiError::bad_request("Network has been deleted."));
    }
    if n.public {
        return Err(ApiError::forbidden("Cannot delete the public network."));
    }
    ensure_unused(tx, id)?;
    let now = now_us();
    tx.prepare_cached(
        "UPDATE networks SET deleted = 1, status = 'DELETED', updated = ?1 WHERE id = ?2",
    )?
    .execute(params![now, id])?;
    tx.prepare_cached("UPDATE subnets SET deleted = 1, updated = ?1 WHERE network = ?2")?
        .execute(params![now, id])?;
    Ok(())
}

/// `reassign`: move the network to another project of its owner, charging that one.
/// Cyclades finds the network before it reads the action, so `action` comes parsed
/// but unchecked: a missing network is a 404 even when the body is malformed.
pub fn reassign(
    tx: &Transaction,
    c: &Caller,
    id: i64,
    action: ApiResult<Reassign>,
) -> ApiResult<()> {
    let n = network_or_404(tx, c, id)?;
    let project = action?.project;
    if n.public {
        return Err(ApiError::forbidden("Cannot reassign public network"));
    }
    if !n.owned_by(c) {
        return Err(ApiError::forbidden(
            "Action 'reassign' is allowed only to the owner of the network.",
        ));
    }
    if n.deleted {
        return Err(ApiError::bad_request("Network has been deleted."));
    }
    require_member(tx, c, &project)?;
    if n.project.as_deref() != Some(project.as_str()) {
        charge(tx, &c.uuid, &project, PRIVATE_NETWORKS, 1)?;
        tx.prepare_cached("UPDATE networks SET project = ?1, updated = ?2 WHERE id = ?3")?
            .execute(params![project, now_us(), id])?;
    }
    Ok(())
}
