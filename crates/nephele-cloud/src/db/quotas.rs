//! Quotas, as Astakos keeps them: capacities per project (per member and in
//! total), usage counted from what exists, and the commission a create or
//! reassign makes before it takes anything. Also the projects the quotas live in.

use std::collections::BTreeMap;

use nephele_model::account::{Project, ProjectResource, Resource, Resources};
use nephele_model::quota::{QuotaEntry, Quotas};
use rusqlite::{params, OptionalExtension, Transaction};

use super::identity::{is_member, user_projects};
use super::{iso, Caller};
use crate::error::{ApiError, ApiResult};
use crate::seed::RESOURCES;

pub const PRIVATE_NETWORKS: &str = "cyclades.network.private";
pub const FLOATING_IPS: &str = "cyclades.floating_ip";

/// How much of `resource` is used in `project`: by one member, or by everyone
/// when `user` is `None`. CPU and RAM count running servers only.
fn usage(tx: &Transaction, user: Option<&str>, project: &str, resource: &str) -> ApiResult<i64> {
    let sql = match resource {
        "cyclades.vm" => "SELECT COUNT(*) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status != 'DELETED'",
        "cyclades.cpu" => "SELECT COALESCE(SUM(cpu), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status = 'ACTIVE'",
        "cyclades.ram" => "SELECT COALESCE(SUM(ram), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status = 'ACTIVE'",
        "cyclades.disk" => "SELECT COALESCE(SUM(disk), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status != 'DELETED'",
        PRIVATE_NETWORKS => "SELECT COUNT(*) FROM networks WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND public = 0 AND deleted = 0",
        FLOATING_IPS => "SELECT COUNT(*) FROM floating_ips WHERE (?1 IS NULL OR user = ?1) AND project = ?2",
        _ => "SELECT COALESCE(SUM(value), 0) FROM static_usage WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND resource = ?3",
    };
    let mut st = tx.prepare_cached(sql)?;
    let n: i64 = if sql.contains("?3") {
        st.query_row(params![user, project, resource], |r| r.get(0))?
    } else {
        st.query_row(params![user, project], |r| r.get(0))?
    };
    Ok(n)
}

/// The member's and the whole project's limit and usage of one resource.
fn quota_entry(
    tx: &Transaction,
    user: &str,
    project: &str,
    resource: &str,
) -> ApiResult<QuotaEntry> {
    let (member, total): (i64, i64) = tx
        .prepare_cached(
            "SELECT member, total FROM capacities WHERE project = ?1 AND resource = ?2",
        )?
        .query_row([project, resource], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    Ok(QuotaEntry {
        usage: usage(tx, Some(user), project, resource)?,
        limit: member,
        pending: 0,
        project_usage: usage(tx, None, project, resource)?,
        project_limit: total,
        project_pending: 0,
    })
}

/// The commission: may `user` take `n` more of `resource` in `project`? (413 if not.)
/// Called inside the transaction that then creates the object, so check and use are one.
pub(super) fn charge(
    tx: &Transaction,
    user: &str,
    project: &str,
    resource: &str,
    n: i64,
) -> ApiResult<()> {
    quota_entry(tx, user, project, resource)?.check(n).map_err(|o| ApiError::quota(resource, o))
}

/// `GET /quotas`: every project of the caller, every registered resource.
pub fn quotas(tx: &Transaction, c: &Caller) -> ApiResult<Quotas> {
    let mut out = Quotas::new();
    for project in user_projects(tx, &c.uuid)? {
        let mut per = BTreeMap::new();
        for r in RESOURCES {
            per.insert(r.to_owned(), quota_entry(tx, &c.uuid, &project, r)?);
        }
        out.insert(project, per);
    }
    Ok(out)
}

/// `GET /resources`: the resources Astakos registers.
pub fn resources() -> Resources {
    let r = |service: &str, description: &str, unit: Option<&str>| Resource {
        service: service.into(),
        description: description.into(),
        unit: unit.map(Into::into),
        ui_visible: true,
        api_visible: true,
    };
    [
        ("cyclades.vm", r("cyclades_compute", "Number of virtual machines", None)),
        (
            "cyclades.cpu",
            r("cyclades_compute", "Number of virtual machine processors of running servers", None),
        ),
        (
            "cyclades.ram",
            r("cyclades_compute", "Virtual machine memory size of running servers", Some("bytes")),
        ),
        ("cyclades.disk", r("cyclades_compute", "Virtual machine disk size", Some("bytes"))),
        (PRIVATE_NETWORKS, r("cyclades_network", "Number of private networks", None)),
        (FLOATING_IPS, r("cyclades_network", "Number of Floating IP addresses", None)),
        ("pithos.diskspace", r("pithos", "Pithos account storage", Some("bytes"))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn project_row(tx: &Transaction, uuid: &str) -> ApiResult<Option<Project>> {
    let row = tx
        .prepare_cached(
            "SELECT uuid, name, owner, description, system, created FROM projects WHERE uuid = ?1",
        )?
        .query_row([uuid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((id, name, owner, description, system, created)) = row else { return Ok(None) };
    let mut st = tx.prepare_cached(
        "SELECT resource, member, total FROM capacities WHERE project = ?1 ORDER BY resource",
    )?;
    let resources = st
        .query_map([&id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ProjectResource { member_capacity: r.get(1)?, project_capacity: r.get(2)? },
            ))
        })?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let members: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM memberships WHERE project = ?1")?
        .query_row([&id], |r| r.get(0))?;
    Ok(Some(Project {
        id,
        state: "active".into(),
        name,
        owner: Some(owner),
        homepage: String::new(),
        description,
        creation_date: Some(iso(created)),
        end_date: Some(iso(created.saturating_add(2 * 365 * 86_400 * 1_000_000))),
        join_policy: Some(if system { "closed" } else { "moderated" }.into()),
        leave_policy: Some(if system { "closed" } else { "auto" }.into()),
        max_members: Some(if system { 1 } else { members.max(20) }),
        private: system,
        system_project: system,
        resources,
    }))
}

/// `GET /projects`: the caller's projects.
pub fn projects(tx: &Transaction, c: &Caller) -> ApiResult<Vec<Project>> {
    let mut out = Vec::new();
    for p in user_projects(tx, &c.uuid)? {
        if let Some(p) = project_row(tx, &p)? {
            out.push(p);
        }
    }
    Ok(out)
}

/// `GET /projects/<uuid>`: only members see a project (others get 404, not 403).
pub fn project(tx: &Transaction, c: &Caller, uuid: &str) -> ApiResult<Project> {
    let not_found = || ApiError::not_found(format!("Project {uuid} does not exist."));
    if !is_member(tx, &c.uuid, uuid)? {
        return Err(not_found());
    }
    project_row(tx, uuid)?.ok_or_else(not_found)
}
