//! Pending port transitions: connecting a port to a server (BUILD → ACTIVE, when
//! it gets its MAC) and disconnecting one (removed when done) take the build
//! delay. Each is a row of `pending` with a due time; [`apply_due`] applies them
//! (the lifecycle task calls it), so they survive a restart.

use rusqlite::{params, OptionalExtension, Transaction};

use super::ports::{mac_for, remove_port};
use crate::error::ApiResult;

/// A port action under way on a server; at most one at a time (see
/// [`super::servers::validate_server_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pending {
    Connect,
    Disconnect,
}

impl Pending {
    fn kind(self) -> &'static str {
        match self {
            Pending::Connect => "connect",
            Pending::Disconnect => "disconnect",
        }
    }

    /// How Cyclades names the action in its faults.
    pub fn action(self) -> &'static str {
        match self {
            Pending::Connect => "CONNECT",
            Pending::Disconnect => "DISCONNECT",
        }
    }
}

/// Schedule `what` for `port` of `server` at `due`.
pub(super) fn schedule(
    tx: &Transaction,
    what: Pending,
    port: i64,
    server: i64,
    due: i64,
) -> ApiResult<()> {
    tx.prepare_cached("INSERT INTO pending (kind, port, server, due) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![what.kind(), port, server, due])?;
    Ok(())
}

/// The action under way on `server`, if any.
pub(super) fn pending_on(tx: &Transaction, server: i64) -> ApiResult<Option<Pending>> {
    let kind: Option<String> = tx
        .prepare_cached("SELECT kind FROM pending WHERE server = ?1 ORDER BY id LIMIT 1")?
        .query_row([server], |r| r.get(0))
        .optional()?;
    Ok(kind.map(|k| if k == "connect" { Pending::Connect } else { Pending::Disconnect }))
}

/// Apply every pending transition due at `now`; returns the next due time, if any.
pub fn apply_due(tx: &Transaction, now: i64) -> ApiResult<Option<i64>> {
    let due: Vec<(i64, String, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, kind, port, server FROM pending WHERE due <= ?1 ORDER BY due, id",
        )?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (pid, kind, port, server) in due {
        if kind == Pending::Connect.kind() {
            tx.prepare_cached(
                "UPDATE ports SET status = 'ACTIVE', mac = ?1, updated = ?2 WHERE id = ?3",
            )?
            .execute(params![mac_for(port), now, port])?;
        } else {
            remove_port(tx, port, now)?;
        }
        tx.prepare_cached("UPDATE servers SET updated = ?1 WHERE id = ?2")?
            .execute(params![now, server])?;
        tx.prepare_cached("DELETE FROM pending WHERE id = ?1")?.execute([pid])?;
    }
    Ok(tx.prepare_cached("SELECT MIN(due) FROM pending")?.query_row([], |r| r.get(0))?)
}
