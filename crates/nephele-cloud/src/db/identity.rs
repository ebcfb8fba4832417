//! Users, their tokens and the projects they belong to (Astakos' side).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;

use super::Caller;
use crate::api::requests::UserCatalogsQuery;
use crate::error::{ApiError, ApiResult};

/// `(uuid, display name)` of the user a token belongs to.
pub fn user_by_token(tx: &Transaction, token: &str) -> ApiResult<Option<(String, String)>> {
    Ok(tx
        .prepare_cached("SELECT uuid, name FROM users WHERE token = ?1")?
        .query_row([token], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Project UUIDs the user is a member of (the system project first).
pub fn user_projects(tx: &Transaction, user: &str) -> ApiResult<Vec<String>> {
    let mut st = tx.prepare_cached(
        "SELECT m.project FROM memberships m JOIN projects p ON p.uuid = m.project
         WHERE m.user = ?1 ORDER BY p.system DESC, p.created, p.uuid",
    )?;
    let rows = st.query_map([user], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

pub(super) fn is_member(tx: &Transaction, user: &str, project: &str) -> ApiResult<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM memberships WHERE user = ?1 AND project = ?2")?
        .query_row([user, project], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Only a member may charge a resource to a project.
pub(super) fn require_member(tx: &Transaction, c: &Caller, project: &str) -> ApiResult<()> {
    if is_member(tx, &c.uuid, project)? {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("User {} not in project {}", c.uuid, project)))
    }
}

/// Astakos' answer to `user_catalogs` (keys in the order the answer always had).
#[derive(Debug, Serialize)]
pub struct UserCatalogs {
    pub displayname_catalog: BTreeMap<String, String>,
    pub uuid_catalog: BTreeMap<String, String>,
}

/// Display names of the given UUIDs and UUIDs of the given names; unknown ones are left out.
pub fn user_catalogs(tx: &Transaction, q: &UserCatalogsQuery) -> ApiResult<UserCatalogs> {
    let mut uuid_catalog = BTreeMap::new();
    let mut by_uuid = tx.prepare_cached("SELECT name FROM users WHERE uuid = ?1")?;
    for uuid in &q.uuids {
        let name: Option<String> = by_uuid.query_row([uuid], |r| r.get(0)).optional()?;
        if let Some(name) = name {
            uuid_catalog.insert(uuid.clone(), name);
        }
    }
    let mut displayname_catalog = BTreeMap::new();
    let mut by_name = tx.prepare_cached("SELECT uuid FROM users WHERE name = ?1")?;
    for name in &q.displaynames {
        let uuid: Option<String> = by_name.query_row([name], |r| r.get(0)).optional()?;
        if let Some(uuid) = uuid {
            displayname_catalog.insert(name.clone(), uuid);
        }
    }
    Ok(UserCatalogs { uuid_catalog, displayname_catalog })
}
