//! Address allocation on a network: the first address of its pools, in order,
//! that no port and no floating IP holds. Called inside the transaction that then
//! takes the address, so two requests can never get the same one.

use std::collections::HashSet;

use nephele_model::subnet::AllocationPool;
use rusqlite::Transaction;

use crate::error::ApiResult;
use crate::ipnet::v4;

fn parse_pools(pools: &str) -> Vec<AllocationPool> {
    serde_json::from_str(pools).unwrap_or_default()
}

/// The first free address of `pools` (as stored) on `network`, if any is left.
pub(super) fn free_address(tx: &Transaction, network: i64, pools: &str) -> ApiResult<Option<u32>> {
    let used = used_addresses(tx, network)?;
    for p in parse_pools(pools) {
        let (Some(a), Some(b)) = (v4(&p.start), v4(&p.end)) else { continue };
        if let Some(ip) = (a..=b).find(|ip| !used.contains(ip)) {
            return Ok(Some(ip));
        }
    }
    Ok(None)
}

/// Every IPv4 address on `network` held by a port or a floating IP.
pub(super) fn used_addresses(tx: &Transaction, network: i64) -> ApiResult<HashSet<u32>> {
    let mut st = tx.prepare_cached(
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

/// Is `ip` inside one of `pools` (as stored)?
pub(super) fn in_pools(pools: &str, ip: u32) -> bool {
    parse_pools(pools)
        .iter()
        .any(|p| matches!((v4(&p.start), v4(&p.end)), (Some(a), Some(b)) if ip >= a && ip <= b))
}
