//! Loading the TOML seed into an empty database: users with their system
//! projects, projects, servers, public networks with their subnets, ports, and
//! the first ids to hand out.

use rusqlite::{params, OptionalExtension, Transaction};

use super::now_us;
use super::ports::mac_for;
use super::subnets::pools_json;
use crate::ipnet::{v4, Cidr4};
use crate::seed::Seed;

pub(super) fn insert(tx: &Transaction, seed: &Seed) -> anyhow::Result<()> {
    let now = now_us();
    for u in &seed.users {
        run(
            tx,
            "INSERT INTO users (uuid, name, token) VALUES (?1, ?2, ?3)",
            params![u.uuid, u.name, u.token],
        )?;
        run(
            tx,
            "INSERT INTO projects (uuid, name, owner, description, system, created) VALUES (?1, ?2, ?1, ?3, 1, ?4)",
            params![u.uuid, format!("system:{}", u.uuid), "System project", now],
        )?;
        run(tx, "INSERT INTO memberships (project, user) VALUES (?1, ?1)", [&u.uuid])?;
        for (r, q) in &u.limits {
            run(
                tx,
                "INSERT INTO capacities (project, resource, member, total) VALUES (?1, ?2, ?3, ?3)",
                params![u.uuid, r, q.0],
            )?;
        }
        for (r, q) in &u.usage {
            run(
                tx,
                "INSERT INTO static_usage (user, project, resource, value) VALUES (?1, ?1, ?2, ?3)",
                params![u.uuid, r, q.0],
            )?;
        }
    }
    for (i, p) in seed.projects.iter().enumerate() {
        run(
            tx,
            "INSERT INTO projects (uuid, name, owner, description, system, created) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![p.uuid, p.name, p.owner, p.description, now + i as i64 + 1],
        )?;
        let mut members: Vec<&String> = p.members.iter().collect();
        members.push(&p.owner);
        for m in members {
            run(
                tx,
                "INSERT OR IGNORE INTO memberships (project, user) VALUES (?1, ?2)",
                [&p.uuid, m],
            )?;
        }
        for (r, c) in &p.resources {
            run(
                tx,
                "INSERT INTO capacities (project, resource, member, total) VALUES (?1, ?2, ?3, ?4)",
                params![p.uuid, r, c.member.0, c.project.0],
            )?;
        }
    }
    for s in &seed.servers {
        run(
            tx,
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
        run(
            tx,
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
            run(
            tx,
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
        run(
            tx,
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
            run(tx, "INSERT INTO next_ids (kind, next) VALUES (?1, ?2)", params![kind, v])?;
        }
    }
    Ok(())
}

/// One statement, prepared once per connection however many rows the seed has.
fn run(tx: &Transaction, sql: &str, args: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(args)
}
