//! Servers (from the seed; the compute API only lists them): their rendering with
//! the addresses of their ports, and the rule for changing their ports.

use std::collections::BTreeMap;

use nephele_model::network::Link;
use nephele_model::server::{Address, Attachment, Server, ServerSummary};
use nephele_model::ServerStatus;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde_json::json;

use super::ports::{self, Ipv6Subnets};
use super::transitions::{pending_on, Pending};
use super::{iso, Caller};
use crate::error::{ApiError, ApiResult};

/// The columns [`ServerRow::from_row`] reads, in its order.
macro_rules! server_columns {
    () => {
        "id, name, status, user, project, cpu, ram, disk, image, created, updated"
    };
}

/// A row of `servers`.
pub(super) struct ServerRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub user: String,
    pub project: String,
    pub cpu: i64,
    pub ram: i64,
    pub disk: i64,
    pub image: Option<String>,
    pub created: i64,
    pub updated: i64,
}

impl ServerRow {
    fn from_row(r: &Row) -> rusqlite::Result<ServerRow> {
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
}

/// One of the caller's servers, or 404.
pub(super) fn server_row(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<ServerRow> {
    tx.prepare_cached(concat!(
        "SELECT ",
        server_columns!(),
        " FROM servers WHERE id = ?1 AND user = ?2"
    ))?
    .query_row(params![id, c.uuid], ServerRow::from_row)
    .optional()?
    .ok_or_else(|| ApiError::not_found("Server not found."))
}

/// A server whatever its owner (the device of a port the caller may see).
pub(super) fn server_by_id(tx: &Transaction, id: i64) -> ApiResult<Option<ServerRow>> {
    Ok(tx
        .prepare_cached(concat!("SELECT ", server_columns!(), " FROM servers WHERE id = ?1"))?
        .query_row([id], ServerRow::from_row)
        .optional()?)
}

/// May `action` (`CONNECT`/`DISCONNECT`) start on `server`? As Cyclades' commands
/// check: one action at a time, only on a running or stopped server.
pub(super) fn validate_server_action(
    tx: &Transaction,
    server: &ServerRow,
    action: &str,
) -> ApiResult<()> {
    if let Some(pending) = pending_on(tx, server.id)? {
        return Err(ApiError::bad_request(format!(
            "Cannot perform '{action}' action while there is a pending '{}'.",
            pending.action()
        )));
    }
    match ServerStatus::from(server.status.as_str()) {
        ServerStatus::Active | ServerStatus::Stopped => Ok(()),
        ServerStatus::Build => {
            Err(ApiError::build_in_progress(format!("Server '{}' is being built.", server.id)))
        }
        other => Err(ApiError::bad_request(format!(
            "Cannot perform '{action}' action while server is in '{other}' state."
        ))),
    }
}

fn render(tx: &Transaction, c: &Caller, s: &ServerRow, v6: &Ipv6Subnets) -> ApiResult<Server> {
    let task_state = match pending_on(tx, s.id)? {
        Some(Pending::Connect) => "CONNECTING",
        Some(Pending::Disconnect) => "DISCONNECTING",
        None => "",
    };
    let mut attachments = Vec::new();
    let mut addresses: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    for p in ports::active_on_server(tx, s.id)? {
        let ip_type = if p.floating.is_some() { "floating" } else { "fixed" };
        let ipv6 = v6.address_of(&p);
        let entry = addresses.entry(p.network.to_string()).or_default();
        if let Some(ip) = &p.ip {
            entry.push(Address { version: 4, addr: ip.clone(), ip_type: ip_type.into() });
        }
        if let Some((ip, _)) = &ipv6 {
            entry.push(Address { version: 6, addr: ip.clone(), ip_type: ip_type.into() });
        }
        attachments.push(Attachment {
            id: p.id.to_string(),
            network_id: p.network.to_string(),
            mac_address: p.mac.clone(),
            firewall_profile: None,
            ipv4: p.ip.clone().unwrap_or_default(),
            ipv6: ipv6.map(|v| v.0).unwrap_or_default(),
            ip_type: ip_type.into(),
        });
    }
    let href = |kind: &str, id: &str| Link::pair(&format!("{}/compute/v2.0/{kind}/{id}", c.base));
    let flavor_id = format!("C{}R{}D{}", s.cpu, s.ram >> 20, s.disk >> 30);
    Ok(Server {
        id: s.id.to_string(),
        name: s.name.clone(),
        links: href("servers", &s.id.to_string()),
        status: s.status.as_str().into(),
        task_state: task_state.into(),
        user_id: s.user.clone(),
        tenant_id: s.project.clone(),
        shared_to_project: false,
        suspended: false,
        deleted: s.status == "DELETED",
        progress: if ServerStatus::from(s.status.as_str()) == ServerStatus::Build {
            0
        } else {
            100
        },
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
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        server_columns!(),
        " FROM servers WHERE user = ?1
         AND (CASE WHEN ?2 IS NULL THEN status != 'DELETED' ELSE updated >= ?2 END) ORDER BY id"
    ))?;
    let rows = st
        .query_map(params![c.uuid, since], ServerRow::from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// `GET /servers`: id, name and links of the caller's servers.
pub fn list(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<ServerSummary>> {
    Ok(server_rows(tx, c, since)?
        .into_iter()
        .map(|s| ServerSummary {
            id: s.id.to_string(),
            name: s.name,
            links: Link::pair(&format!("{}/compute/v2.0/servers/{}", c.base, s.id)),
        })
        .collect())
}

/// `GET /servers/detail`.
pub fn list_detail(tx: &Transaction, c: &Caller, since: Option<i64>) -> ApiResult<Vec<Server>> {
    let v6 = Ipv6Subnets::load(tx)?;
    server_rows(tx, c, since)?.iter().map(|s| render(tx, c, s, &v6)).collect()
}

pub fn get(tx: &Transaction, c: &Caller, id: i64) -> ApiResult<Server> {
    let s = server_row(tx, c, id)?;
    render(tx, c, &s, &Ipv6Subnets::load(tx)?)
}
