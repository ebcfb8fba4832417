//! All of the local cloud's state and every SQL statement: one SQLite file (WAL),
//! migrations, the seed loader, and the operations of the API, each meant to run
//! inside one transaction so that every check-then-act (address allocation, quota
//! check and use, "IP already in use") is atomic. Quotas are never stored: usage is
//! counted from what exists.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use nephele_model::account::{Project, ProjectResource, Resource, Resources};
use nephele_model::floating_ip::FloatingIp;
use nephele_model::network::{Link, Network, NETWORK_TYPES};
use nephele_model::port::{FixedIp, Port};
use nephele_model::quota::{QuotaEntry, Quotas};
use nephele_model::server::{Address, Attachment, Server, ServerSummary};
use nephele_model::subnet::{AllocationPool, Subnet};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::ipnet::{eui64, parse_v6_64, v4, v4_str, Cidr4};
use crate::seed::{Seed, RESOURCES};

/// The schema, one file per step, in order. A step that shipped is never edited:
/// existing `--db` files only run the steps after their `user_version`.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/001_initial.sql")];

/// Maximum ports (NICs) per server (`GANETI_MAX_NICS_PER_INSTANCE`).
const MAX_PORTS: i64 = 8;
/// How far back `changes-since` may reach (`POLL_LIMIT`).
const POLL_LIMIT_US: i64 = 3600 * 1_000_000;

/// The database: one connection behind a mutex (SQLite serialises writers anyway).
pub struct Db {
    conn: Mutex<Connection>,
    /// Set when the file is ours to remove on drop.
    temp: Option<PathBuf>,
}

impl Db {
    /// Open (creating and migrating) `path`, or a fresh temporary file when `None`.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Db> {
        let (path, temp) = match path {
            Some(p) => (p.to_path_buf(), None),
            None => {
                let p = std::env::temp_dir().join(format!(
                    "nephele-cloud-{}-{:016x}.db",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                (p.clone(), Some(p))
            }
        };
        let mut conn = Connection::open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|m| M::up(m)).collect());
        migrations
            .to_latest(&mut conn)
            .map_err(|e| anyhow::anyhow!("cannot migrate database {}: {e}", path.display()))?;
        Ok(Db { conn: Mutex::new(conn), temp })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `f` in one IMMEDIATE transaction, committed when it returns `Ok`.
    pub fn transaction<T>(&self, f: impl FnOnce(&Transaction) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Load `seed` if the database holds no users yet; `Ok(false)` when it was not empty.
    pub fn load_seed_if_empty(&self, seed: &Seed) -> anyhow::Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let users: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        if users > 0 {
            return Ok(false);
        }
        insert_seed(&tx, seed)?;
        tx.commit()?;
        Ok(true)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(p) = &self.temp {
            let _ = std::fs::remove_file(p);
            for ext in ["-wal", "-shm"] {
                let mut s = p.clone().into_os_string();
                s.push(ext);
                let _ = std::fs::remove_file(PathBuf::from(s));
            }
        }
    }
}

// ---------------------------------------------------------------- time

pub fn now_us() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64
}

/// ISO 8601 with microseconds and explicit UTC offset.
pub fn iso(us: i64) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

/// Parse a `changes-since` value and check it the way Cyclades does.
pub fn parse_changes_since(raw: &str) -> ApiResult<i64> {
    let invalid = || ApiError::bad_request("Invalid changes-since parameter.");
    let mut s = raw.trim().to_owned();
    // An unescaped '+' in a query string arrives as a space.
    if let Some(pos) = s.rfind(' ') {
        if s[..pos].contains('T') {
            s.replace_range(pos..pos + 1, "+");
        }
    }
    let parsed = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                &format!("{s}Z"),
                &time::format_description::well_known::Rfc3339,
            )
        })
        .or_else(|_| {
            time::OffsetDateTime::parse(
                &format!("{s}:00Z"),
                &time::format_description::well_known::Rfc3339,
            )
        })
        .map_err(|_| invalid())?;
    let us = (parsed.unix_timestamp_nanos() / 1000) as i64;
    let now = now_us();
    if us > now + 1_000_000 {
        return Err(ApiError::bad_request("changes-since value set in the future."));
    }
    if now - us > POLL_LIMIT_US {
        return Err(ApiError::bad_request("Too old changes-since value."));
    }
    Ok(us)
}

// ---------------------------------------------------------------- callers

/// The authenticated user of a request, and the base URL links are built from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub uuid: String,
    pub name: String,
    pub base: String,
}

/// Resolve a token (`None`: none was sent) into the caller, as Cyclades asks Astakos.
/// `astakos`: the account API answers an unknown token itself (`Invalid X-Auth-Token`),
/// Cyclades relays Astakos' refusal in the `fault` wrapper.
pub fn authenticate(
    tx: &Transaction,
    token: Option<&str>,
    base: &str,
    astakos: bool,
) -> ApiResult<Caller> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::unauthorized("Access denied. No authentication token"));
    };
    user_by_token(tx, token)?
        .map(|(uuid, name)| Caller { uuid, name, base: base.to_owned() })
        .ok_or_else(|| {
            if astakos {
                ApiError::unauthorized("Invalid X-Auth-Token")
            } else {
                ApiError::invalid_token()
            }
        })
}

pub fn user_by_token(tx: &Transaction, token: &str) -> ApiResult<Option<(String, String)>> {
    Ok(tx
        .query_row("SELECT uuid, name FROM users WHERE token = ?1", [token], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Project UUIDs the user is a member of (the system project first).
pub fn user_projects(tx: &Transaction, user: &str) -> ApiResult<Vec<String>> {
    let mut st = tx.prepare(
        "SELECT m.project FROM memberships m JOIN projects p ON p.uuid = m.project
         WHERE m.user = ?1 ORDER BY p.system DESC, p.created, p.uuid",
    )?;
    let rows = st.query_map([user], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

fn is_member(tx: &Transaction, user: &str, project: &str) -> ApiResult<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM memberships WHERE user = ?1 AND project = ?2",
            [user, project],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

// ---------------------------------------------------------------- seed

fn insert_seed(tx: &Transaction, seed: &Seed) -> anyhow::Result<()> {
    let now = now_us();
    for u in &seed.users {
        tx.execute(
            "INSERT INTO users (uuid, name, token) VALUES (?1, ?2, ?3)",
            params![u.uuid, u.name, u.token],
        )?;
        tx.execute(
            "INSERT INTO projects (uuid, name, owner, description, system, created) VALUES (?1, ?2, ?1, ?3, 1, ?4)",
            params![u.uuid, format!("system:{}", u.uuid), "System project", now],
        )?;
        tx.execute("INSERT INTO memberships (project, user) VALUES (?1, ?1)", [&u.uuid])?;
        for (r, q) in &u.limits {
            tx.execute(
                "INSERT INTO capacities (project, resource, member, total) VALUES (?1, ?2, ?3, ?3)",
                params![u.uuid, r, q.0],
            )?;
        }
        for (r, q) in &u.usage {
            tx.execute(
                "INSERT INTO static_usage (user, project, resource, value) VALUES (?1, ?1, ?2, ?3)",
                params![u.uuid, r, q.0],
            )?;
        }
    }
    for (i, p) in seed.projects.iter().enumerate() {
        tx.execute(
            "INSERT INTO projects (uuid, name, owner, description, system, created) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![p.uuid, p.name, p.owner, p.description, now + i as i64 + 1],
        )?;
        let mut members: Vec<&String> = p.members.iter().collect();
        members.push(&p.owner);
        for m in members {
            tx.execute(
                "INSERT OR IGNORE INTO memberships (project, user) VALUES (?1, ?2)",
                [&p.uuid, m],
            )?;
        }
        for (r, c) in &p.resources {
            tx.execute(
                "INSERT INTO capacities (project, resource, member, total) VALUES (?1, ?2, ?3, ?4)",
                params![p.uuid, r, c.member.0, c.project.0],
            )?;
        }
    }
    for s in &seed.servers {
        tx.execute(
            "INSERT INTO servers (id, name, status, user, project, cpu, ram, disk, image, created, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                s.id,
                s.name,
                s.status,
                s.owner,
                s.project.clone().unwrap_or_else(|| s.owner.clone()),
                s.cpu,
                s.ram.0,
                s.disk.0,
                s.image,
                now
            ],
        )?;
    }
    for n in &seed.networks {
        tx.execute(
            "INSERT INTO networks (id, name, type, user, project, public, fip_pool, status, instantiated, created, updated)
             VALUES (?1, ?2, ?3, NULL, NULL, 1, ?4, 'ACTIVE', 1, ?5, ?5)",
            params![n.id, n.name, n.kind, n.floating_ip_pool, now],
        )?;
        if let Some(s) = &n.subnet {
            let (cidr, _) = Cidr4::parse(&s.cidr).ok_or_else(|| anyhow::anyhow!("bad cidr"))?;
            let gateway = s.gateway.as_deref().and_then(v4);
            let pools = match &s.pool {
                Some([a, b]) => vec![(v4(a).unwrap_or(0), v4(b).unwrap_or(0))],
                None => cidr.default_pools(gateway),
            };
            tx.execute(
                "INSERT INTO subnets (id, network, name, ip_version, cidr, gateway, dhcp, pools, dns, routes, updated)
                 VALUES (?1, ?2, ?3, 4, ?4, ?5, 1, ?6, '[]', '[]', ?7)",
                params![s.id, n.id, s.name, s.cidr, s.gateway, pools_json(&pools), now],
            )?;
        }
    }
    for p in &seed.ports {
        let owner: String =
            tx.query_row("SELECT user FROM servers WHERE id = ?1", [p.server], |r| r.get(0))?;
        let subnet: Option<i64> = match &p.ip {
            Some(_) => tx
                .query_row(
                    "SELECT id FROM subnets WHERE network = ?1 AND ip_version = 4",
                    [p.network],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        tx.execute(
            "INSERT INTO ports (id, network, user, device, name, status, mac, ip, subnet, created, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, 'ACTIVE', ?6, ?7, ?8, ?9, ?9)",
            params![p.id, p.network, owner, p.server, p.name, mac_for(p.id), p.ip, subnet, now],
        )?;
    }
    let ids = &seed.next_ids;
    for (kind, v) in [
        ("network", ids.network),
        ("subnet", ids.subnet),
        ("port", ids.port),
        ("floating_ip", ids.floating_ip),
    ] {
        if let Some(v) = v {
            tx.execute("INSERT INTO next_ids (kind, next) VALUES (?1, ?2)", params![kind, v])?;
        }
    }
    Ok(())
}

fn pools_json(pools: &[(u32, u32)]) -> String {
    Value::Array(
        pools.iter().map(|(a, b)| json!({"start": v4_str(*a), "end": v4_str(*b)})).collect(),
    )
    .to_string()
}

fn mac_for(port: i64) -> String {
    let b = port.to_be_bytes();
    format!("aa:00:00:{:02x}:{:02x}:{:02x}", b[5], b[6], b[7])
}

/// The next id of a kind: the configured start, but never below what exists.
fn next_id(tx: &Transaction, kind: &str, table: &str) -> ApiResult<i64> {
    let configured: Option<i64> = tx
        .query_row("SELECT next FROM next_ids WHERE kind = ?1", [kind], |r| r.get(0))
        .optional()?;
    let max: i64 =
        tx.query_row(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), [], |r| r.get(0))?;
    let id = configured.unwrap_or(1).max(max.saturating_add(1));
    if id == i64::MAX {
        return Err(ApiError::Internal(format!("{kind} ids exhausted")));
    }
    tx.execute(
        "INSERT OR REPLACE INTO next_ids (kind, next) VALUES (?1, ?2)",
        params![kind, id + 1],
    )?;
    Ok(id)
}

// ---------------------------------------------------------------- request-body helpers

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// The object under `key` of a request body (`{"network": {...}}`).
pub fn envelope<'a>(body: &'a Value, key: &str) -> ApiResult<&'a Map<String, Value>> {
    match body.get(key) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
        None => Err(bad(format!("Malformed request. Missing attribute '{key}'."))),
    }
}

/// An id given as JSON string or integer; `Ok(None)` when absent or null.
fn id_attr(obj: &Map<String, Value>, key: &str, invalid: &str) -> ApiResult<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_i64().filter(|n| *n > 0).map(Some).ok_or_else(|| bad(invalid))
        }
        Some(Value::String(s)) => {
            nephele_model::id::parse_numeric_id(s).map(Some).ok_or_else(|| bad(invalid))
        }
        Some(_) => Err(bad(invalid)),
    }
}

/// A path id: a positive decimal number, else 400 with `invalid`.
pub fn path_id(raw: &str, invalid: &str) -> ApiResult<i64> {
    nephele_model::id::parse_numeric_id(raw).ok_or_else(|| bad(invalid))
}

fn name_attr(obj: &Map<String, Value>, too_long: &str) -> ApiResult<Option<String>> {
    match obj.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > 128 => Err(bad(too_long)),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad("Malformed request. Invalid 'name' field")),
    }
}

fn project_attr(obj: &Map<String, Value>) -> ApiResult<Option<String>> {
    match obj.get("project") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad("Malformed request. Invalid 'project' field.")),
    }
}

fn bool_attr(obj: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
    }
}

// ---------------------------------------------------------------- quotas

/// Usage of a resource in a project: by one member, or by everyone when `user` is None.
fn usage(tx: &Transaction, user: Option<&str>, project: &str, resource: &str) -> ApiResult<i64> {
    let sql = match resource {
        "cyclades.vm" => "SELECT COUNT(*) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status != 'DELETED'",
        "cyclades.cpu" => "SELECT COALESCE(SUM(cpu), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status = 'ACTIVE'",
        "cyclades.ram" => "SELECT COALESCE(SUM(ram), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status = 'ACTIVE'",
        "cyclades.disk" => "SELECT COALESCE(SUM(disk), 0) FROM servers WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND status != 'DELETED'",
        "cyclades.network.private" => "SELECT COUNT(*) FROM networks WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND public = 0 AND deleted = 0",
        "cyclades.floating_ip" => "SELECT COUNT(*) FROM floating_ips WHERE (?1 IS NULL OR user = ?1) AND project = ?2",
        _ => "SELECT COALESCE(SUM(value), 0) FROM static_usage WHERE (?1 IS NULL OR user = ?1) AND project = ?2 AND resource = ?3",
    };
    let n: i64 = if sql.contains("?3") {
        tx.query_row(sql, params![user, project, resource], |r| r.get(0))?
    } else {
        tx.query_row(sql, params![user, project], |r| r.get(0))?
    };
    Ok(n)
}

fn quota_entry(
    tx: &Transaction,
    user: &str,
    project: &str,
    resource: &str,
) -> ApiResult<QuotaEntry> {
    let (member, total): (i64, i64) = tx
        .query_row(
            "SELECT member, total FROM capacities WHERE project = ?1 AND resource = ?2",
            [project, resource],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
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

/// Check that `user` may take `n` more of `resource` in `project` (413 otherwise).
/// Called inside the transaction that then creates the object, so check and use are one.
fn charge(tx: &Transaction, user: &str, project: &str, resource: &str, n: i64) -> ApiResult<()> {
    quota_entry(tx, user, project, resource)?.check(n).map_err(|o| ApiError::quota(resource, o))
}

fn require_member(tx: &Transaction, c: &Caller, project: &str) -> ApiResult<()> {
    if is_member(tx, &c.uuid, project)? {
        Ok(())
    } else {
        Err(bad(format!("User {} not in project {}", c.uuid, project)))
    }
}

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
        ("cyclades.network.private", r("cyclades_network", "Number of private networks", None)),
        ("cyclades.floating_ip", r("cyclades_network", "Number of Floating IP addresses", None)),
        ("pithos.diskspace", r("pithos", "Pithos account storage", Some("bytes"))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Astakos' `user_catalogs`: display names of the given UUIDs and UUIDs of the given names.
pub fn user_catalogs(tx: &Transaction, body: &Value) -> ApiResult<Value> {
    let list = |key: &str| -> ApiResult<Vec<String>> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(format!("Malformed request. Invalid '{key}' field.")))
                })
                .collect(),
            Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
        }
    };
    if !body.is_object() {
        return Err(bad("Malformed request."));
    }
    let mut by_uuid = Map::new();
    for uuid in list("uuids")? {
        let name: Option<String> = tx
            .query_row("SELECT name FROM users WHERE uuid = ?1", [&uuid], |r| r.get(0))
            .optional()?;
        if let Some(name) = name {
            by_uuid.insert(uuid, Value::String(name));
        }
    }
    let mut by_name = Map::new();
    for name in list("displaynames")? {
        let uuid: Option<String> = tx
            .query_row("SELECT uuid FROM users WHERE name = ?1", [&name], |r| r.get(0))
            .optional()?;
        if let Some(uuid) = uuid {
            by_name.insert(name, Value::String(uuid));
        }
    }
    Ok(json!({"uuid_catalog": by_uuid, "displayname_catalog": by_name}))
}

fn project_row(tx: &Transaction, uuid: &str) -> ApiResult<Option<Project>> {
    let row = tx
        .query_row(
            "SELECT uuid, name, owner, description, system, created FROM projects WHERE uuid = ?1",
            [uuid],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((id, name, owner, description, system, created)) = row else { return Ok(None) };
    let mut st = tx.prepare(
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
    let members: i64 =
        tx.query_row("SELECT COUNT(*) FROM memberships WHERE project = ?1", [&id], |r| r.get(0))?;
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

pub fn projects(tx: &Transaction, c: &Caller) -> ApiResult<Vec<Project>> {
    let mut out = Vec::new();
    for p in user_projects(tx, &c.uuid)? {
        if let Some(p) = project_row(tx, &p)? {
            out.push(p);
        }
    }
    Ok(out)
}

pub fn project(tx: &Transaction, c: &Caller, uuid: &str) -> ApiResult<Project> {
    let not_found = || ApiError::not_found(format!("Project {uuid} does not exist."));
    if !is_member(tx, &c.uuid, uuid)? {
        return Err(not_found());
    }
    project_row(tx, uuid)?.ok_or_else(not_found)
}

// ---------------------------------------------------------------- networks

struct NetRow {
    id: i64,
    name: String,
    kind: String,
    user: Option<String>,
    project: Option<String>,
    public: bool,
    fip_pool: bool,
    status: String,
    deleted: bool,
    instantiated: bool,
    shared: bool,
    created: i64,
    updated: i64,
}

const NET_COLS: &str =
    "id, name, type, user, project, public, fip_pool, status, deleted, instantiated, shared_to_project, created, updated";

fn net_from_row(r: &rusqlite::Row) -> rusqlite::Result<NetRow> {
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

/// A network the caller may see (own or public), deleted ones included.
fn visible_network(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Option<NetRow>> {
    Ok(tx
        .query_row(
            &format!("SELECT {NET_COLS} FROM networks WHERE id = ?1 AND (public = 1 OR user = ?2)"),
            params![id, c.uuid],
            net_from_row,
        )
        .optional()?)
}

fn network_or_404(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<NetRow> {
    visible_network(tx, c, id)?
        .ok_or_else(|| ApiError::not_found(format!("Network {id} not found.")))
}

fn render_network(tx: &Transaction, c: &Caller, n: &NetRow) -> ApiResult<Network> {
    let mut st = tx.prepare("SELECT id FROM subnets WHERE network = ?1 ORDER BY id")?;
    let subnets = st.query_map([n.id], |r| r.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(Network {
        project_id: None,
        id: n.id.to_string(),
        name: n.name.clone(),
        links: Link::pair(&format!("{}/network/v2.0/networks/{}", c.base, n.id)),
        user_id: n.user.clone(),
        tenant_id: n.project.clone(),
        shared_to_project: n.shared,
        kind: n.kind.clone(),
        status: n.status.clone(),
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

pub fn list_networks(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<Network>> {
    let mut st = tx.prepare(&format!(
        "SELECT {NET_COLS} FROM networks WHERE (public = 1 OR user = ?1)
         AND (CASE WHEN ?2 IS NULL THEN deleted = 0 ELSE updated >= ?2 END) ORDER BY id"
    ))?;
    let rows =
        st.query_map(params![c.uuid, since], net_from_row)?.collect::<Result<Vec<_>, _>>()?;
    rows.iter().map(|n| render_network(tx, c, n)).collect()
}

pub fn get_network(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Network> {
    let n = network_or_404(tx, c, id)?;
    render_network(tx, c, &n)
}

pub fn create_network(tx: &Transaction, c: &Caller, body: &Value) -> ApiResult<Network> {
    let obj = envelope(body, "network")?;
    // Deviation on purpose: a missing type means MAC_FILTERED (other clients omit it).
    let kind = match obj.get("type") {
        None | Some(Value::Null) => "MAC_FILTERED".to_owned(),
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(bad("Malformed request. Invalid 'type' field.")),
    };
    if !NETWORK_TYPES.contains(&kind.as_str()) {
        return Err(bad(format!("Invalid network type '{kind}'")));
    }
    if kind != "MAC_FILTERED" {
        return Err(ApiError::forbidden(format!("Cannot create network of type '{kind}'.")));
    }
    let name = name_attr(obj, "Network name is too long")?.unwrap_or_default();
    let shared = bool_attr(obj, "shared_to_project")?.unwrap_or(false);
    let project = project_attr(obj)?.unwrap_or_else(|| c.uuid.clone());
    require_member(tx, c, &project)?;
    charge(tx, &c.uuid, &project, "cyclades.network.private", 1)?;
    let id = next_id(tx, "network", "networks")?;
    let now = now_us();
    tx.execute(
        "INSERT INTO networks (id, name, type, user, project, public, fip_pool, status, shared_to_project, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 'ACTIVE', ?6, ?7, ?7)",
        params![id, name, kind, c.uuid, project, shared, now],
    )?;
    get_network(tx, c, id)
}

pub fn rename_network(tx: &Transaction, c: &Caller, id: i64, body: &Value) -> ApiResult<Network> {
    let obj = envelope(body, "network")?;
    if !obj.contains_key("name") || obj.get("name").is_some_and(Value::is_null) {
        return Err(bad("Malformed request. Missing attribute 'name'."));
    }
    let name = name_attr(obj, "Network name is too long")?.unwrap_or_default();
    let n = network_or_404(tx, c, id)?;
    if n.public {
        return Err(ApiError::forbidden("Cannot rename the public network."));
    }
    if n.deleted {
        return Err(bad("Network has been deleted."));
    }
    tx.execute(
        "UPDATE networks SET name = ?1, updated = ?2 WHERE id = ?3",
        params![name, now_us(), id],
    )?;
    get_network(tx, c, id)
}

pub fn delete_network(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<()> {
    let n = network_or_404(tx, c, id)?;
    if n.deleted {
        return Err(bad("Network has been deleted."));
    }
    if n.public {
        return Err(ApiError::forbidden("Cannot delete the public network."));
    }
    let ports: i64 =
        tx.query_row("SELECT COUNT(*) FROM ports WHERE network = ?1", [id], |r| r.get(0))?;
    if ports > 0 {
        return Err(ApiError::conflict(format!(
            "Cannot delete network. There are ports still configured on network network {id}"
        )));
    }
    let fips: i64 =
        tx.query_row("SELECT COUNT(*) FROM floating_ips WHERE network = ?1", [id], |r| r.get(0))?;
    if fips > 0 {
        return Err(ApiError::conflict(
            "Cannot delete netowrk. Network has allocated floating IPs.",
        ));
    }
    let now = now_us();
    tx.execute(
        "UPDATE networks SET deleted = 1, status = 'DELETED', updated = ?1 WHERE id = ?2",
        params![now, id],
    )?;
    tx.execute(
        "UPDATE subnets SET deleted = 1, updated = ?1 WHERE network = ?2",
        params![now, id],
    )?;
    Ok(())
}

/// The body of a `reassign` action: `{"reassign": {"project", "shared_to_project"?}}`.
fn reassign_target(body: &Value) -> ApiResult<String> {
    let obj = body.as_object().ok_or_else(|| bad("Malformed request."))?;
    if obj.len() != 1 {
        return Err(bad("Malformed request."));
    }
    let Some(action) = obj.get("reassign") else {
        let key = obj.keys().next().cloned().unwrap_or_default();
        return Err(bad(format!("Action {key} not supported.")));
    };
    let action = action.as_object().ok_or_else(|| bad("Invalid argument."))?;
    let project = match action.get("project") {
        Some(Value::String(p)) => p.clone(),
        Some(Value::Null) | None => return Err(bad("Missing 'project' attribute.")),
        Some(_) => return Err(bad("Invalid argument.")),
    };
    if bool_attr(action, "shared_to_project").map_err(|_| bad("Invalid argument."))? == Some(true) {
        return Err(ApiError::forbidden(
            "Sharing resource to the members of the project is not permitted",
        ));
    }
    Ok(project)
}

pub fn network_action(tx: &Transaction, c: &Caller, id: i64, body: &Value) -> ApiResult<()> {
    let n = network_or_404(tx, c, id)?;
    let project = reassign_target(body)?;
    if n.public {
        return Err(ApiError::forbidden("Cannot reassign public network"));
    }
    if n.user.as_deref() != Some(c.uuid.as_str()) {
        return Err(ApiError::forbidden(
            "Action 'reassign' is allowed only to the owner of the network.",
        ));
    }
    if n.deleted {
        return Err(bad("Network has been deleted."));
    }
    require_member(tx, c, &project)?;
    if n.project.as_deref() != Some(project.as_str()) {
        charge(tx, &c.uuid, &project, "cyclades.network.private", 1)?;
        tx.execute(
            "UPDATE networks SET project = ?1, updated = ?2 WHERE id = ?3",
            params![project, now_us(), id],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- subnets

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

const SUB_COLS: &str = "s.id, s.network, s.name, s.ip_version, s.cidr, s.gateway, s.dhcp, s.pools, s.dns, s.routes, s.deleted, n.user, n.public";

fn sub_from_row(r: &rusqlite::Row) -> rusqlite::Result<SubRow> {
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

fn render_subnet(c: &Caller, s: &SubRow) -> Subnet {
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

pub fn list_subnets(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<Subnet>> {
    let mut st = tx.prepare(&format!(
        "SELECT {SUB_COLS} FROM subnets s JOIN networks n ON n.id = s.network
         WHERE (n.public = 1 OR n.user = ?1)
         AND (CASE WHEN ?2 IS NULL THEN s.deleted = 0 ELSE s.updated >= ?2 END) ORDER BY s.id"
    ))?;
    let rows =
        st.query_map(params![c.uuid, since], sub_from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows.iter().map(|s| render_subnet(c, s)).collect())
}

fn subnet_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<SubRow> {
    tx.query_row(
        &format!(
            "SELECT {SUB_COLS} FROM subnets s JOIN networks n ON n.id = s.network
             WHERE s.id = ?1 AND (n.public = 1 OR n.user = ?2)"
        ),
        params![id, c.uuid],
        sub_from_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("Subnet not found"))
}

pub fn get_subnet(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Subnet> {
    Ok(render_subnet(c, &subnet_row(tx, c, id)?))
}

pub fn rename_subnet(tx: &Transaction, c: &Caller, id: i64, body: &Value) -> ApiResult<Subnet> {
    let obj = envelope(body, "subnet")?;
    if obj.len() != 1 || !obj.contains_key("name") {
        return Err(bad("Only the name of a subnet can be updated"));
    }
    let name = name_attr(obj, "Subnet name is too long")?.unwrap_or_default();
    let s = subnet_row(tx, c, id)?;
    if s.net_user.as_deref() != Some(c.uuid.as_str()) {
        return Err(ApiError::forbidden("Forbidden operation"));
    }
    tx.execute(
        "UPDATE subnets SET name = ?1, updated = ?2 WHERE id = ?3",
        params![name, now_us(), id],
    )?;
    get_subnet(tx, c, id)
}

pub fn create_subnet(tx: &Transaction, c: &Caller, body: &Value) -> ApiResult<Subnet> {
    let obj = envelope(body, "subnet")?;
    let net_id =
        id_attr(obj, "network_id", "Malformed request")?.ok_or_else(|| bad("Malformed request"))?;
    let cidr_raw = match obj.get("cidr") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(bad("Malformed request")),
    };
    let ip_version = match obj.get("ip_version") {
        None | Some(Value::Null) => 4,
        Some(Value::Number(n)) if n.as_i64() == Some(4) || n.as_i64() == Some(6) => {
            n.as_i64().unwrap_or(4)
        }
        Some(Value::String(s)) if s == "4" || s == "6" => {
            if s == "6" {
                6
            } else {
                4
            }
        }
        Some(_) => return Err(bad("Malformed IP version type")),
    };
    let name = name_attr(obj, "Subnet name is too long")?.unwrap_or_default();
    let dhcp = match obj.get("enable_dhcp") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("Malformed request, dhcp must be True or False")),
    };
    let dhcp = match (ip_version, obj.get("enable_slaac")) {
        (6, Some(Value::Bool(b))) => *b,
        _ => dhcp,
    };
    let list_attr = |key: &str| -> ApiResult<String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok("[]".into()),
            Some(v @ Value::Array(_)) => Ok(v.to_string()),
            Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
        }
    };
    let dns = list_attr("dns_nameservers")?;
    let routes = list_attr("host_routes")?;
    let n = visible_network(tx, c, net_id)?
        .ok_or_else(|| ApiError::not_found("No network found with that ID"))?;
    if n.deleted {
        return Err(bad("Network has been deleted"));
    }
    if n.user.as_deref() != Some(c.uuid.as_str()) {
        return Err(ApiError::forbidden("Forbidden operation"));
    }
    let same: i64 = tx.query_row(
        "SELECT COUNT(*) FROM subnets WHERE network = ?1 AND ip_version = ?2 AND deleted = 0",
        params![net_id, ip_version],
        |r| r.get(0),
    )?;
    if same > 0 {
        return Err(bad(format!("Only one subnet of IPv{ip_version} per network is allowed")));
    }
    if n.instantiated {
        return Err(bad(format!(
            "Cannot create subnet in network {net_id}, VMs are already connected to this network"
        )));
    }
    let (gateway, pools) = if ip_version == 6 {
        if parse_v6_64(&cidr_raw).is_none() {
            return Err(bad("Invalid network IPv6 subnet"));
        }
        if obj.get("allocation_pools").is_some_and(|v| !v.is_null()) {
            return Err(ApiError::conflict("Can't allocate an IP Pool in IPv6"));
        }
        let gw = match obj.get("gateway_ip") {
            None => None,
            Some(Value::Null) => None,
            Some(Value::String(g)) if g.parse::<std::net::Ipv6Addr>().is_ok() => Some(g.clone()),
            Some(_) => return Err(bad("Invalid network IPv6 gateway")),
        };
        (gw, "[]".to_owned())
    } else {
        let (cidr, clean) =
            Cidr4::parse(&cidr_raw).ok_or_else(|| bad("Invalid network IPv4 subnet"))?;
        if !clean {
            return Err(bad("Invalid network IPv4 subnet"));
        }
        if cidr.prefix < 22 || cidr.prefix > 29 {
            return Err(ApiError::over_limit(
                "Unsupported network size",
                "Netmask must be in range: [22, 29]",
            ));
        }
        let gateway = match obj.get("gateway_ip") {
            None => Some(cidr.first_host()),
            Some(Value::Null) => None,
            Some(Value::String(g)) => match v4(g) {
                Some(g) if cidr.is_host(g) => Some(g),
                _ => return Err(bad("Invalid network IPv4 gateway")),
            },
            Some(_) => return Err(bad("Invalid network IPv4 gateway")),
        };
        let pools = match obj.get("allocation_pools") {
            None | Some(Value::Null) => cidr.default_pools(gateway),
            Some(Value::Array(list)) => {
                let mut pools = Vec::new();
                for p in list {
                    let (Some(start), Some(end)) = (
                        p.get("start").and_then(Value::as_str),
                        p.get("end").and_then(Value::as_str),
                    ) else {
                        return Err(bad("Malformed allocation pool."));
                    };
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
                pools
            }
            Some(_) => return Err(bad("Malformed allocation pool.")),
        };
        (gateway.map(v4_str), pools_json(&pools))
    };
    let id = next_id(tx, "subnet", "subnets")?;
    let now = now_us();
    tx.execute(
        "INSERT INTO subnets (id, network, name, ip_version, cidr, gateway, dhcp, pools, dns, routes, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![id, net_id, name, ip_version, cidr_raw, gateway, dhcp, pools, dns, routes, now],
    )?;
    tx.execute("UPDATE networks SET updated = ?1 WHERE id = ?2", params![now, net_id])?;
    get_subnet(tx, c, id)
}

// ---------------------------------------------------------------- servers

struct ServerRow {
    id: i64,
    name: String,
    status: String,
    user: String,
    project: String,
    cpu: i64,
    ram: i64,
    disk: i64,
    image: Option<String>,
    created: i64,
    updated: i64,
}

const SERVER_COLS: &str =
    "id, name, status, user, project, cpu, ram, disk, image, created, updated";

fn server_from_row(r: &rusqlite::Row) -> rusqlite::Result<ServerRow> {
    Ok(ServerRow {
        id: r.get(0)?,
        name: r.get(1)?,
        status: r.get(2)?,
        user: r.get(3)?,
        project: r.get(4)?,
        cpu: r.get(5)?,
        ram: r.get(6)?,
        disk: r.get(7)?,
        image: r.get(8)?,
        created: r.get(9)?,
        updated: r.get(10)?,
    })
}

fn server_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<ServerRow> {
    tx.query_row(
        &format!("SELECT {SERVER_COLS} FROM servers WHERE id = ?1 AND user = ?2"),
        params![id, c.uuid],
        server_from_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("Server not found."))
}

/// The in-flight port action of a server (`CONNECT`/`DISCONNECT`), if any.
fn pending_action(tx: &Transaction, server: i64) -> ApiResult<Option<&'static str>> {
    let kind: Option<String> = tx
        .query_row(
            "SELECT kind FROM pending WHERE server = ?1 ORDER BY id LIMIT 1",
            [server],
            |r| r.get(0),
        )
        .optional()?;
    Ok(kind.map(|k| if k == "connect" { "CONNECT" } else { "DISCONNECT" }))
}

fn render_server(tx: &Transaction, c: &Caller, s: &ServerRow) -> ApiResult<Server> {
    let task_state = match pending_action(tx, s.id)? {
        Some("CONNECT") => "CONNECTING",
        Some(_) => "DISCONNECTING",
        None => "",
    };
    let mut attachments = Vec::new();
    let mut addresses: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    for p in port_rows(tx, "p.device = ?1 AND p.status = 'ACTIVE'", params![s.id])? {
        let ip_type = if p.floating.is_some() { "floating" } else { "fixed" };
        let v6 = port_ipv6(tx, &p)?;
        let entry = addresses.entry(p.network.to_string()).or_default();
        if let Some(ip) = &p.ip {
            entry.push(Address { version: 4, addr: ip.clone(), ip_type: ip_type.into() });
        }
        if let Some((ip, _)) = &v6 {
            entry.push(Address { version: 6, addr: ip.clone(), ip_type: ip_type.into() });
        }
        attachments.push(Attachment {
            id: p.id.to_string(),
            network_id: p.network.to_string(),
            mac_address: p.mac.clone(),
            firewall_profile: None,
            ipv4: p.ip.clone().unwrap_or_default(),
            ipv6: v6.map(|v| v.0).unwrap_or_default(),
            ip_type: ip_type.into(),
        });
    }
    let href = |kind: &str, id: &str| Link::pair(&format!("{}/compute/v2.0/{kind}/{id}", c.base));
    let flavor_id = format!("C{}R{}D{}", s.cpu, s.ram >> 20, s.disk >> 30);
    Ok(Server {
        id: s.id.to_string(),
        name: s.name.clone(),
        links: href("servers", &s.id.to_string()),
        status: s.status.clone(),
        task_state: task_state.into(),
        user_id: s.user.clone(),
        tenant_id: s.project.clone(),
        shared_to_project: false,
        suspended: false,
        deleted: s.status == "DELETED",
        progress: if s.status == "BUILD" { 0 } else { 100 },
        created: iso(s.created),
        updated: iso(s.updated),
        flavor: json!({"id": flavor_id, "links": href("flavors", &flavor_id),
                       "SNF:cpu": s.cpu, "SNF:ram": s.ram >> 20, "SNF:disk": s.disk >> 30}),
        image: json!({"id": s.image.clone().unwrap_or_default(), "links": []}),
        metadata: json!({}),
        tags: Vec::new(),
        attachments,
        addresses,
        volumes: Vec::new(),
        security_groups: vec![json!({"name": "default"})],
        key_name: None,
        key_names: Vec::new(),
        fqdn: format!("snf-{}.vm.local", s.id),
        port_forwarding: json!({}),
        rescue: false,
        host_id: String::new(),
        access_ipv4: String::new(),
        access_ipv6: String::new(),
        config_drive: String::new(),
        diagnostics: Vec::new(),
    })
}

fn server_rows(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<ServerRow>> {
    let mut st = tx.prepare(&format!(
        "SELECT {SERVER_COLS} FROM servers WHERE user = ?1
         AND (CASE WHEN ?2 IS NULL THEN status != 'DELETED' ELSE updated >= ?2 END) ORDER BY id"
    ))?;
    let rows =
        st.query_map(params![c.uuid, since], server_from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn list_servers(
    tx: &Transaction,
    c: &Caller,
    since: Option<i64>,
) -> ApiResult<Vec<ServerSummary>> {
    Ok(server_rows(tx, c, since)?
        .into_iter()
        .map(|s| ServerSummary {
            id: s.id.to_string(),
            name: s.name,
            links: Link::pair(&format!("{}/compute/v2.0/servers/{}", c.base, s.id)),
        })
        .collect())
}

pub fn list_servers_detail(
    tx: &Transaction,
    c: &Caller,
    since: Option<i64>,
) -> ApiResult<Vec<Server>> {
    server_rows(tx, c, since)?.iter().map(|s| render_server(tx, c, s)).collect()
}

pub fn get_server(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Server> {
    let s = server_row(tx, c, id)?;
    render_server(tx, c, &s)
}

// ---------------------------------------------------------------- ports

struct PortRow {
    id: i64,
    network: i64,
    user: String,
    device: Option<i64>,
    name: String,
    status: String,
    mac: Option<String>,
    ip: Option<String>,
    subnet: Option<i64>,
    created: i64,
    updated: i64,
    /// The floating IP this port holds, if any.
    floating: Option<i64>,
    net_public: bool,
}

fn port_rows(
    tx: &Transaction,
    filter: &str,
    args: impl rusqlite::Params,
) -> ApiResult<Vec<PortRow>> {
    let mut st = tx.prepare(&format!(
        "SELECT p.id, p.network, p.user, p.device, p.name, p.status, p.mac, p.ip, p.subnet, p.created, p.updated,
                (SELECT f.id FROM floating_ips f WHERE f.port = p.id), n.public
         FROM ports p JOIN networks n ON n.id = p.network WHERE {filter} ORDER BY p.id"
    ))?;
    let rows = st
        .query_map(args, |r| {
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
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

const PORT_VISIBLE: &str = "(p.user = ?1 OR p.device IN (SELECT id FROM servers WHERE user = ?1))";

/// The IPv6 address (EUI-64 from the MAC, so only once known) and subnet of a port.
fn port_ipv6(tx: &Transaction, p: &PortRow) -> ApiResult<Option<(String, i64)>> {
    let Some(mac) = &p.mac else { return Ok(None) };
    let v6: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, cidr FROM subnets WHERE network = ?1 AND ip_version = 6 AND deleted = 0",
            [p.network],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(v6
        .and_then(|(id, cidr)| parse_v6_64(&cidr).and_then(|net| eui64(net, mac)).map(|a| (a, id))))
}

fn render_port(tx: &Transaction, c: &Caller, p: &PortRow) -> ApiResult<Port> {
    let mut fixed_ips = Vec::new();
    if let Some(ip) = &p.ip {
        fixed_ips.push(FixedIp {
            ip_address: ip.clone(),
            subnet: p.subnet.map(|s| s.to_string()).unwrap_or_default(),
        });
    }
    if let Some((ip, subnet)) = port_ipv6(tx, p)? {
        fixed_ips.push(FixedIp { ip_address: ip, subnet: subnet.to_string() });
    }
    Ok(Port {
        project_id: None,
        id: p.id.to_string(),
        name: p.name.clone(),
        links: Link::pair(&format!("{}/network/v2.0/ports/{}", c.base, p.id)),
        user_id: p.user.clone(),
        tenant_id: p.user.clone(),
        device_id: p.device.map(|d| d.to_string()),
        device_owner: p.device.map(|_| "vm".to_owned()),
        network_id: p.network.to_string(),
        status: p.status.clone(),
        mac_address: p.mac.clone(),
        fixed_ips,
        security_groups: Vec::new(),
        admin_state_up: true,
        created: iso(p.created),
        updated: iso(p.updated),
    })
}

pub fn list_ports(tx: &Transaction, c: &Caller) -> ApiResult<Vec<Port>> {
    port_rows(tx, PORT_VISIBLE, params![c.uuid])?.iter().map(|p| render_port(tx, c, p)).collect()
}

fn port_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<PortRow> {
    port_rows(tx, &format!("{PORT_VISIBLE} AND p.id = ?2"), params![c.uuid, id])?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("Port {id} not found.")))
}

pub fn get_port(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Port> {
    let p = port_row(tx, c, id)?;
    render_port(tx, c, &p)
}

/// Validate a server action (`CONNECT`/`DISCONNECT`) as Cyclades' commands do.
fn validate_server_action(tx: &Transaction, server: &ServerRow, action: &str) -> ApiResult<()> {
    if let Some(pending) = pending_action(tx, server.id)? {
        return Err(bad(format!(
            "Cannot perform '{action}' action while there is a pending '{pending}'."
        )));
    }
    match server.status.as_str() {
        "ACTIVE" | "STOPPED" => Ok(()),
        "BUILD" => {
            Err(ApiError::build_in_progress(format!("Server '{}' is being built.", server.id)))
        }
        other => Err(bad(format!(
            "Cannot perform '{action}' action while server is in '{other}' state."
        ))),
    }
}

fn security_groups_attr(obj: &Map<String, Value>) -> ApiResult<()> {
    match obj.get("security_groups") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list)) if list.is_empty() => Ok(()),
        Some(Value::Array(_)) => Err(ApiError::not_found("Not valid security group")),
        Some(_) => Err(bad("Invalid 'security_groups' field.")),
    }
}

/// Addresses of a network's pools, in order, that no port or floating IP holds.
fn free_address(tx: &Transaction, network: i64, pools: &str) -> ApiResult<Option<u32>> {
    let pools: Vec<AllocationPool> = serde_json::from_str(pools).unwrap_or_default();
    let used = used_addresses(tx, network)?;
    for p in pools {
        let (Some(a), Some(b)) = (v4(&p.start), v4(&p.end)) else { continue };
        if let Some(ip) = (a..=b).find(|ip| !used.contains(ip)) {
            return Ok(Some(ip));
        }
    }
    Ok(None)
}

fn used_addresses(tx: &Transaction, network: i64) -> ApiResult<HashSet<u32>> {
    let mut st = tx.prepare(
        "SELECT ip FROM ports WHERE network = ?1 AND ip IS NOT NULL
         UNION SELECT address FROM floating_ips WHERE network = ?1",
    )?;
    let used = st
        .query_map([network], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter_map(|s| v4(s))
        .collect();
    Ok(used)
}

fn in_pools(pools: &str, ip: u32) -> bool {
    let pools: Vec<AllocationPool> = serde_json::from_str(pools).unwrap_or_default();
    pools
        .iter()
        .any(|p| matches!((v4(&p.start), v4(&p.end)), (Some(a), Some(b)) if ip >= a && ip <= b))
}

pub fn create_port(
    tx: &Transaction,
    c: &Caller,
    body: &Value,
    build_delay_us: i64,
) -> ApiResult<Port> {
    let obj = envelope(body, "port")?;
    let net_id = id_attr(obj, "network_id", "Invalid network ID.")?
        .ok_or_else(|| bad("Malformed request. Missing attribute 'network_id'."))?;
    let device = id_attr(obj, "device_id", "Invalid server ID.")?;
    let name = name_attr(obj, "Port name is too long")?.unwrap_or_default();
    let address: Option<String> = match obj.get("fixed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => match list.as_slice() {
            [] => None,
            [Value::Object(ip)] => match ip.get("ip_address") {
                None | Some(Value::Null) => None,
                Some(Value::String(a)) if v4(a).is_some() => Some(a.clone()),
                Some(Value::String(a)) => {
                    return Err(bad(format!("{a} is not a valid IPv4 Address")))
                }
                Some(_) => return Err(bad("Invalid 'fixed_ips' field.")),
            },
            [_] => return Err(bad("Invalid 'fixed_ips' field.")),
            _ => return Err(bad("'fixed_ips' attribute must contain only one fixed IP.")),
        },
        Some(_) => return Err(bad("Invalid 'fixed_ips' field.")),
    };
    security_groups_attr(obj)?;
    let server = match device {
        Some(d) => {
            let s = server_row(tx, c, d)?;
            if s.status == "DELETED" {
                return Err(bad("Server has been deleted."));
            }
            let nics: i64 =
                tx.query_row("SELECT COUNT(*) FROM ports WHERE device = ?1", [d], |r| r.get(0))?;
            if nics >= MAX_PORTS {
                return Err(bad("Maximum ports per server limit reached"));
            }
            Some(s)
        }
        None => None,
    };
    let net = network_or_404(tx, c, net_id)?;
    if net.deleted {
        return Err(bad("Network has been deleted."));
    }
    let mut floating: Option<i64> = None;
    let (ip, subnet) = if net.public {
        let msg = "'fixed_ips' attribute must contain a floating IP address in order to connect to a public network.";
        let addr = address.ok_or_else(|| bad(msg))?;
        let fip: (i64, i64, Option<i64>) = tx
            .query_row(
                "SELECT id, network, port FROM floating_ips WHERE address = ?1 AND user = ?2",
                params![addr, c.uuid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| ApiError::not_found("Floating IP does not exist."))?;
        if fip.1 != net_id {
            return Err(ApiError::conflict(format!(
                "IP Address {addr} does not belong to network {net_id}"
            )));
        }
        if fip.2.is_some() {
            return Err(ApiError::conflict(format!("IP address '{addr}' is already in use")));
        }
        floating = Some(fip.0);
        let subnet: Option<i64> = tx
            .query_row(
                "SELECT id FROM subnets WHERE network = ?1 AND ip_version = 4",
                [net_id],
                |r| r.get(0),
            )
            .optional()?;
        (Some(addr), subnet)
    } else {
        let sub: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, cidr, pools FROM subnets WHERE network = ?1 AND ip_version = 4 AND deleted = 0",
                [net_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match (sub, address) {
            (None, Some(a)) => {
                return Err(bad(format!(
                    "Address {a} is not a valid IP for the defined network subnets"
                )))
            }
            (None, None) => (None, None),
            (Some((sid, cidr, _)), Some(a)) => {
                let ok =
                    Cidr4::parse(&cidr).zip(v4(&a)).is_some_and(|((c4, _), ip)| c4.is_host(ip));
                if !ok {
                    return Err(bad(format!("Address {a} does not belong to network {net_id}")));
                }
                if v4(&a)
                    .is_some_and(|ip| used_addresses(tx, net_id).is_ok_and(|u| u.contains(&ip)))
                {
                    return Err(ApiError::conflict(format!("IP address {a} is already used.")));
                }
                (Some(a), Some(sid))
            }
            (Some((sid, _, pools)), None) => {
                let ip = free_address(tx, net_id, &pools)?.ok_or_else(|| {
                    ApiError::conflict(format!(
                        "No more IP addresses available on network {net_id}"
                    ))
                })?;
                (Some(v4_str(ip)), Some(sid))
            }
        }
    };
    if let Some(s) = &server {
        validate_server_action(tx, s, "CONNECT")?;
    }
    let id = next_id(tx, "port", "ports")?;
    let now = now_us();
    let status = if server.is_some() { "BUILD" } else { "DOWN" };
    tx.execute(
        "INSERT INTO ports (id, network, user, device, name, status, mac, ip, subnet, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?9)",
        params![id, net_id, c.uuid, device, name, status, ip, subnet, now],
    )?;
    if let Some(f) = floating {
        tx.execute(
            "UPDATE floating_ips SET port = ?1, updated = ?2 WHERE id = ?3",
            params![id, now, f],
        )?;
    }
    if let Some(s) = &server {
        tx.execute("UPDATE networks SET instantiated = 1 WHERE id = ?1", [net_id])?;
        tx.execute("UPDATE servers SET updated = ?1 WHERE id = ?2", params![now, s.id])?;
        tx.execute(
            "INSERT INTO pending (kind, port, server, due) VALUES ('connect', ?1, ?2, ?3)",
            params![id, s.id, now.saturating_add(build_delay_us)],
        )?;
    }
    get_port(tx, c, id)
}

pub fn update_port(tx: &Transaction, c: &Caller, id: i64, body: &Value) -> ApiResult<Port> {
    let obj = envelope(body, "port")?;
    let name = name_attr(obj, "Port name is too long")?;
    security_groups_attr(obj)?;
    port_row(tx, c, id)?;
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        tx.execute(
            "UPDATE ports SET name = ?1, updated = ?2 WHERE id = ?3",
            params![name, now_us(), id],
        )?;
    }
    get_port(tx, c, id)
}

/// Delete a port: at once when unattached, else 204 now and gone after the delay.
/// Returns whether a transition was scheduled.
pub fn delete_port(tx: &Transaction, c: &Caller, id: i64, build_delay_us: i64) -> ApiResult<bool> {
    let p = port_row(tx, c, id)?;
    if p.net_public && p.floating.is_none() {
        return Err(ApiError::forbidden("Cannot disconnect from public network."));
    }
    let server = match p.device {
        Some(d) => tx
            .query_row(
                &format!("SELECT {SERVER_COLS} FROM servers WHERE id = ?1"),
                [d],
                server_from_row,
            )
            .optional()?
            .filter(|s| s.status != "DELETED"),
        None => None,
    };
    let Some(server) = server else {
        remove_port(tx, id, now_us())?;
        return Ok(false);
    };
    validate_server_action(tx, &server, "DISCONNECT")?;
    let now = now_us();
    tx.execute("UPDATE servers SET updated = ?1 WHERE id = ?2", params![now, server.id])?;
    tx.execute(
        "INSERT INTO pending (kind, port, server, due) VALUES ('disconnect', ?1, ?2, ?3)",
        params![id, server.id, now.saturating_add(build_delay_us)],
    )?;
    Ok(true)
}

/// Remove a port: its floating IP stays reserved (detached), other addresses go back.
fn remove_port(tx: &Transaction, id: i64, now: i64) -> ApiResult<()> {
    tx.execute(
        "UPDATE floating_ips SET port = NULL, updated = ?1 WHERE port = ?2",
        params![now, id],
    )?;
    tx.execute("DELETE FROM ports WHERE id = ?1", [id])?;
    tx.execute("DELETE FROM pending WHERE port = ?1", [id])?;
    Ok(())
}

// ---------------------------------------------------------------- lifecycle

/// Apply every pending transition due at `now`; returns the next due time, if any.
pub fn apply_due(tx: &Transaction, now: i64) -> ApiResult<Option<i64>> {
    let due: Vec<(i64, String, i64, i64)> = {
        let mut st = tx.prepare(
            "SELECT id, kind, port, server FROM pending WHERE due <= ?1 ORDER BY due, id",
        )?;
        let rows = st
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    for (pid, kind, port, server) in due {
        if kind == "connect" {
            tx.execute(
                "UPDATE ports SET status = 'ACTIVE', mac = ?1, updated = ?2 WHERE id = ?3",
                params![mac_for(port), now, port],
            )?;
        } else {
            remove_port(tx, port, now)?;
        }
        tx.execute("UPDATE servers SET updated = ?1 WHERE id = ?2", params![now, server])?;
        tx.execute("DELETE FROM pending WHERE id = ?1", [pid])?;
    }
    Ok(tx.query_row("SELECT MIN(due) FROM pending", [], |r| r.get(0))?)
}

// ---------------------------------------------------------------- floating IPs

struct FipRow {
    id: i64,
    network: i64,
    address: String,
    user: String,
    project: String,
    port: Option<i64>,
    device: Option<i64>,
}

fn fip_rows(tx: &Transaction, filter: &str, args: impl rusqlite::Params) -> ApiResult<Vec<FipRow>> {
    let mut st = tx.prepare(&format!(
        "SELECT f.id, f.network, f.address, f.user, f.project, f.port, p.device
         FROM floating_ips f LEFT JOIN ports p ON p.id = f.port WHERE {filter} ORDER BY f.id"
    ))?;
    let rows = st
        .query_map(args, |r| {
            Ok(FipRow {
                id: r.get(0)?,
                network: r.get(1)?,
                address: r.get(2)?,
                user: r.get(3)?,
                project: r.get(4)?,
                port: r.get(5)?,
                device: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn render_fip(f: &FipRow) -> FloatingIp {
    FloatingIp {
        project_id: None,
        id: f.id.to_string(),
        floating_ip_address: f.address.clone(),
        floating_network_id: Some(f.network.to_string()),
        fixed_ip_address: None,
        port_id: f.port.map(|p| p.to_string()),
        instance_id: f.device.map(|d| d.to_string()),
        user_id: f.user.clone(),
        tenant_id: f.project.clone(),
        shared_to_project: false,
        deleted: false,
    }
}

pub fn list_fips(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<FloatingIp>> {
    Ok(fip_rows(tx, "f.user = ?1 AND (?2 IS NULL OR f.updated >= ?2)", params![c.uuid, since])?
        .iter()
        .map(render_fip)
        .collect())
}

fn fip_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<FipRow> {
    fip_rows(tx, "f.user = ?1 AND f.id = ?2", params![c.uuid, id])?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("Floating IP with ID {id} does not exist.")))
}

pub fn get_fip(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<FloatingIp> {
    Ok(render_fip(&fip_row(tx, c, id)?))
}

pub fn create_fip(tx: &Transaction, c: &Caller, body: &Value) -> ApiResult<FloatingIp> {
    let obj = envelope(body, "floatingip")?;
    let net_id = id_attr(obj, "floating_network_id", "Invalid networkd ID.")?;
    let address = match obj.get("floating_ip_address") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) if v4(a).is_some() => Some(a.clone()),
        Some(Value::String(a)) => return Err(bad(format!("{a} is not a valid IPv4 Address"))),
        Some(_) => return Err(bad("Malformed request. Invalid 'floating_ip_address' field.")),
    };
    bool_attr(obj, "shared_to_project")?;
    let project = project_attr(obj)?.unwrap_or_else(|| c.uuid.clone());
    require_member(tx, c, &project)?;
    let (network, ip) = match net_id {
        Some(nid) => {
            let n = network_or_404(tx, c, nid)?;
            if n.deleted {
                return Err(bad("Network has been deleted."));
            }
            if !n.fip_pool {
                return Err(ApiError::conflict(format!(
                    "Cannot allocate floating IP. Network {nid} is not a floating IP pool."
                )));
            }
            let pools: String = tx
                .query_row(
                    "SELECT pools FROM subnets WHERE network = ?1 AND ip_version = 4",
                    [nid],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_else(|| "[]".into());
            let ip = match address {
                Some(a) => {
                    let ip = v4(&a).unwrap_or(0);
                    if !in_pools(&pools, ip) {
                        return Err(bad(format!("Address {a} does not belong to network {nid}")));
                    }
                    if used_addresses(tx, nid)?.contains(&ip) {
                        return Err(ApiError::conflict(format!("IP address {a} is already used.")));
                    }
                    ip
                }
                None => free_address(tx, nid, &pools)?.ok_or_else(|| {
                    ApiError::conflict(format!("No more IP addresses available on network {nid}"))
                })?,
            };
            (nid, ip)
        }
        None => {
            let mut st = tx.prepare(
                "SELECT n.id, s.pools FROM networks n JOIN subnets s ON s.network = n.id AND s.ip_version = 4
                 WHERE n.public = 1 AND n.fip_pool = 1 AND n.deleted = 0 ORDER BY n.id",
            )?;
            let nets = st
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut found = None;
            for (nid, pools) in nets {
                if let Some(ip) = free_address(tx, nid, &pools)? {
                    found = Some((nid, ip));
                    break;
                }
            }
            found.ok_or_else(|| ApiError::conflict("Cannot allocate a floating IP address."))?
        }
    };
    charge(tx, &c.uuid, &project, "cyclades.floating_ip", 1)?;
    let id = next_id(tx, "floating_ip", "floating_ips")?;
    let now = now_us();
    tx.execute(
        "INSERT INTO floating_ips (id, network, address, user, project, port, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6)",
        params![id, network, v4_str(ip), c.uuid, project, now],
    )?;
    get_fip(tx, c, id)
}

pub fn delete_fip(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<()> {
    let f = fip_row(tx, c, id)?;
    if let Some(port) = f.port {
        return Err(ApiError::conflict(match f.device {
            Some(vm) => format!("IP '{id}' is used by server '{vm}'"),
            None => format!("IP '{id}' is used by port '{port}'"),
        }));
    }
    tx.execute("DELETE FROM floating_ips WHERE id = ?1", [id])?;
    Ok(())
}

pub fn fip_action(tx: &Transaction, c: &Caller, id: i64, body: &Value) -> ApiResult<()> {
    let f = fip_row(tx, c, id)?;
    let project = reassign_target(body)?;
    if f.user != c.uuid {
        return Err(ApiError::forbidden(
            "Action 'reassign' is allowed only to the owner of the floating IP.",
        ));
    }
    require_member(tx, c, &project)?;
    if f.project != project {
        charge(tx, &c.uuid, &project, "cyclades.floating_ip", 1)?;
        tx.execute(
            "UPDATE floating_ips SET project = ?1, updated = ?2 WHERE id = ?3",
            params![project, now_us(), id],
        )?;
    }
    Ok(())
}
