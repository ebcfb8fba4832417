//! All of the local cloud's state: one SQLite file (WAL) and the SQL of each
//! resource in its own module. Writes go through the one writer connection, each
//! inside one IMMEDIATE transaction, so that every check-then-act (address
//! allocation, quota check and use, "IP already in use") is atomic. Reads (every
//! GET, every token check) run on a small pool of read-only connections and so
//! never wait for a write: WAL gives each its own consistent snapshot. Quotas are
//! never stored: usage is counted from what exists.

pub mod floating_ips;
pub mod identity;
pub mod networks;
pub mod ports;
pub mod quotas;
pub mod servers;
pub mod subnets;

mod addresses;
mod pool;
mod seed;
mod transitions;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

pub use self::identity::{user_by_token, user_projects};
use self::pool::ReadPool;
pub use self::transitions::apply_due;
use crate::error::{ApiError, ApiResult};

/// The schema, one file per step, in order. A step that shipped is never edited:
/// an existing `--db` file runs only the steps after its `user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_initial.sql"),
    include_str!("../../migrations/002_indexes.sql"),
];

/// How far back `changes-since` may reach (`POLL_LIMIT`).
const POLL_LIMIT_US: i64 = 3600 * 1_000_000;

/// Distinct statements the API prepares (with room to spare), per connection.
const STATEMENT_CACHE: usize = 96;

/// The database: one writer (SQLite serialises writers anyway) and a pool of readers.
pub struct Db {
    /// Declared before `writer` so the readers close first and the writer, the last
    /// connection, checkpoints the WAL into the file.
    readers: ReadPool,
    writer: Mutex<Connection>,
    /// Set when the file is ours to remove on drop.
    temp: Option<PathBuf>,
}

impl Db {
    /// Open (creating and migrating) `path`, or a fresh temporary file when `None`
    /// (a file, not `:memory:`, so that every connection sees the same data).
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
        let cannot_open =
            |e: rusqlite::Error| anyhow::anyhow!("cannot open database {}: {e}", path.display());
        let mut writer = connect(&path).map_err(cannot_open)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|m| M::up(m)).collect());
        migrations
            .to_latest(&mut writer)
            .map_err(|e| anyhow::anyhow!("cannot migrate database {}: {e}", path.display()))?;
        let readers = (0..pool::size())
            .map(|_| {
                let reader = connect(&path)?;
                // A reader that tried to write would be a bug: make it an error.
                reader.pragma_update(None, "query_only", "ON")?;
                Ok(reader)
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(cannot_open)?;
        Ok(Db { readers: ReadPool::new(readers), writer: Mutex::new(writer), temp })
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `f` in one IMMEDIATE transaction on the writer, committed when it returns
    /// `Ok`. Every check-then-act belongs in one such call.
    pub fn transaction<T>(&self, f: impl FnOnce(&Transaction) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` in one read transaction (one snapshot) on a pooled read-only connection.
    pub fn read<T>(&self, f: impl FnOnce(&Transaction) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.readers.get();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Load `seed` if the database holds no users yet; `Ok(false)` when it was not empty.
    pub fn load_seed_if_empty(&self, seed: &crate::seed::Seed) -> anyhow::Result<bool> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let users: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        if users > 0 {
            return Ok(false);
        }
        seed::insert(&tx, seed)?;
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

/// A connection with the settings every one of ours has.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The next id of a kind: the configured start, but never below what exists.
fn next_id(tx: &Transaction, kind: &str, table: &str) -> ApiResult<i64> {
    let configured: Option<i64> = tx
        .prepare_cached("SELECT next FROM next_ids WHERE kind = ?1")?
        .query_row([kind], |r| r.get(0))
        .optional()?;
    let max: i64 = tx
        .prepare_cached(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))?
        .query_row([], |r| r.get(0))?;
    let id = configured.unwrap_or(1).max(max.saturating_add(1));
    if id == i64::MAX {
        return Err(ApiError::Internal(format!("{kind} ids exhausted")));
    }
    tx.prepare_cached("INSERT OR REPLACE INTO next_ids (kind, next) VALUES (?1, ?2)")?
        .execute(params![kind, id + 1])?;
    Ok(id)
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
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let parsed = time::OffsetDateTime::parse(&s, rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&format!("{s}Z"), rfc3339))
        .or_else(|_| time::OffsetDateTime::parse(&format!("{s}:00Z"), rfc3339))
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
/// Cyclades relays Astakos' refusal in the `fault` wrapper. A read: users and
/// tokens come from the seed and never change.
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
