//! Quota arithmetic for people: what is left, what an action would leave, how
//! full a holding is, and sizes in the units kamaki prints.

use crate::quota::{is_bytes, QuotaEntry};

/// What may still be taken: the smaller of the member's and the project's
/// `limit − usage − pending`, never below zero.
pub fn available(e: &QuotaEntry) -> i64 {
    let member = e.limit - e.usage - e.pending;
    let project = e.project_limit - e.project_usage - e.project_pending;
    member.min(project).max(0)
}

/// The member's usage and limit after taking `delta` more: "2 of 3 → 3 of 3".
pub fn after(e: &QuotaEntry, delta: i64) -> (i64, i64) {
    (e.usage + e.pending + delta, effective_limit(e))
}

/// The limit that binds: the member's, or less if the project has less room.
pub fn effective_limit(e: &QuotaEntry) -> i64 {
    e.limit.min(e.project_limit - (e.project_usage - e.usage))
}

/// How full a holding is, for colour (always shown with the numbers too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Normal,
    /// 80 % or more used.
    High,
    /// Nothing left.
    Full,
}

impl Level {
    pub fn class(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::High => "high",
            Level::Full => "full",
        }
    }
}

pub fn level(e: &QuotaEntry) -> Level {
    let limit = effective_limit(e);
    if limit <= 0 || available(e) == 0 {
        return Level::Full;
    }
    let used = e.usage + e.pending;
    if used * 100 >= limit * 80 {
        Level::High
    } else {
        Level::Normal
    }
}

/// Percentage used, 0–100, for a bar.
pub fn percent(e: &QuotaEntry) -> u8 {
    let limit = effective_limit(e);
    if limit <= 0 {
        return 100;
    }
    (((e.usage + e.pending).max(0) as f64 / limit as f64) * 100.0).round().clamp(0.0, 100.0) as u8
}

/// A size as kamaki prints it: `0B`, `512KiB`, `1.43GiB`, `80GiB` (two decimals at
/// most, trailing zeros dropped).
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

/// A quota value in its resource's unit.
pub fn human(resource: &str, value: i64) -> String {
    if is_bytes(resource) {
        human_bytes(value)
    } else {
        value.to_string()
    }
}

/// What people call a resource.
pub fn label(resource: &str) -> &str {
    match resource {
        "cyclades.vm" => "Virtual machines",
        "cyclades.cpu" => "CPUs",
        "cyclades.ram" => "Memory",
        "cyclades.disk" => "Disk",
        "cyclades.floating_ip" => "Floating IPs",
        "cyclades.network.private" => "Private networks",
        "pithos.diskspace" => "Storage space",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(usage: i64, limit: i64, pending: i64) -> QuotaEntry {
        QuotaEntry::per_project(usage, limit, pending)
    }

    #[test]
    fn available_counts_pending_and_the_project() {
        assert_eq!(available(&e(2, 3, 0)), 1);
        assert_eq!(available(&e(2, 3, 1)), 0);
        let shared = QuotaEntry {
            usage: 0,
            limit: 5,
            pending: 0,
            project_usage: 49,
            project_limit: 50,
            project_pending: 0,
        };
        assert_eq!(available(&shared), 1);
        assert_eq!(effective_limit(&shared), 1);
        assert_eq!(available(&e(4, 3, 0)), 0);
    }

    #[test]
    fn projections() {
        assert_eq!(after(&e(2, 3, 0), 1), (3, 3));
        assert_eq!(after(&e(0, 5, 0), 1), (1, 5));
    }

    #[test]
    fn thresholds() {
        assert_eq!(level(&e(1, 5, 0)), Level::Normal);
        assert_eq!(level(&e(4, 5, 0)), Level::High);
        assert_eq!(level(&e(2, 3, 0)), Level::Normal);
        assert_eq!(level(&e(3, 3, 0)), Level::Full);
        assert_eq!(level(&e(2, 2, 0)), Level::Full);
        assert_eq!(level(&e(0, 0, 0)), Level::Full);
        assert_eq!(percent(&e(2, 3, 0)), 67);
        assert_eq!(percent(&e(9, 40, 0)), 23);
        assert_eq!(percent(&e(0, 0, 0)), 100);
    }

    #[test]
    fn sizes_as_kamaki_prints_them() {
        const GIB: i64 = 1 << 30;
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(80 * GIB), "80GiB");
        assert_eq!(human_bytes(500 * GIB), "500GiB");
        assert_eq!(human_bytes(1_535_450_808), "1.43GiB");
        assert_eq!(human_bytes(512 * 1024), "512KiB");
        assert_eq!(human_bytes(1536 * 1024 * 1024), "1.5GiB");
        assert_eq!(human_bytes(20 * 1024 * GIB), "20TiB");
        assert_eq!(human("cyclades.ram", 9 * GIB), "9GiB");
        assert_eq!(human("cyclades.vm", 2), "2");
    }
}
