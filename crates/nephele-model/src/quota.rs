//! Astakos quotas (`GET /account/v1.0/quotas`), spec §7.1, and their arithmetic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::network::null_default;

/// One holding: six integers. Bytes for `cyclades.ram`, `cyclades.disk`, `pithos.diskspace`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuotaEntry {
    #[serde(default, deserialize_with = "null_default")]
    pub usage: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub limit: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub pending: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub project_usage: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub project_limit: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub project_pending: i64,
}

/// `{<project uuid>: {<resource>: QuotaEntry}}`.
pub type Quotas = BTreeMap<String, BTreeMap<String, QuotaEntry>>;

/// The holding that refused a commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// `limit - usage` of the failing holding (member first, then project).
    pub available: i64,
    pub requested: i64,
}

impl QuotaEntry {
    /// An entry whose member share is the whole project's (OpenStack's
    /// quotas are per project; Astakos gives both).
    pub fn per_project(usage: i64, limit: i64, pending: i64) -> QuotaEntry {
        QuotaEntry {
            usage,
            limit,
            pending,
            project_usage: usage,
            project_limit: limit,
            project_pending: pending,
        }
    }

    /// What this member may still take here: `min(limit - usage, project_limit - project_usage)`.
    pub fn available(&self) -> i64 {
        (self.limit - self.usage).min(self.project_limit - self.project_usage).max(0)
    }

    /// Check a commission of `requested` units the way Astakos does.
    pub fn check(&self, requested: i64) -> Result<(), OverLimit> {
        if self.usage + requested > self.limit {
            return Err(OverLimit { available: (self.limit - self.usage).max(0), requested });
        }
        if self.project_usage + requested > self.project_limit {
            return Err(OverLimit {
                available: (self.project_limit - self.project_usage).max(0),
                requested,
            });
        }
        Ok(())
    }
}

/// Resources whose values are bytes.
pub fn is_bytes(resource: &str) -> bool {
    matches!(resource, "cyclades.ram" | "cyclades.disk" | "pithos.diskspace" | "cyclades.total_ram")
}

/// The name Astakos uses in over-limit messages.
pub fn display_name(resource: &str) -> &str {
    match resource {
        "cyclades.disk" => "Disk",
        "cyclades.vm" => "Virtual Machine",
        "cyclades.cpu" => "CPU",
        "cyclades.ram" => "RAM",
        "cyclades.floating_ip" => "Floating IP address",
        "cyclades.network.private" => "Private Network",
        "pithos.diskspace" => "Storage space",
        "astakos.pending_app" => "Pending Applications",
        "neutron.port" => "Port",
        "neutron.router" => "Router",
        "neutron.subnet" => "Subnet",
        "neutron.security_group" => "Security group",
        other => other,
    }
}

/// The `details` text of a 413 overLimit fault.
pub fn over_limit_details(resource: &str, o: OverLimit) -> String {
    format!(
        "Limit for resource '{}' exceeded for your account. Available: {}, Requested: {}",
        display_name(resource),
        o.available,
        o.requested
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(usage: i64, limit: i64, pu: i64, pl: i64) -> QuotaEntry {
        QuotaEntry { usage, limit, project_usage: pu, project_limit: pl, ..QuotaEntry::default() }
    }

    #[test]
    fn available_is_the_smaller_headroom() {
        assert_eq!(e(2, 3, 2, 3).available(), 1);
        assert_eq!(e(0, 5, 7, 8).available(), 1);
        assert_eq!(e(4, 3, 0, 9).available(), 0);
    }

    #[test]
    fn check_reports_failing_holding() {
        assert_eq!(e(2, 3, 2, 3).check(1), Ok(()));
        assert_eq!(e(3, 3, 3, 3).check(1), Err(OverLimit { available: 0, requested: 1 }));
        assert_eq!(e(0, 5, 49, 50).check(2), Err(OverLimit { available: 1, requested: 2 }));
        assert_eq!(
            over_limit_details("cyclades.floating_ip", OverLimit { available: 0, requested: 1 }),
            "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1"
        );
    }

    #[test]
    fn parses_quota_map() {
        let q: Quotas = serde_json::from_str(
            r#"{"u": {"cyclades.ram": {"usage": 4294967296, "limit": 8589934592, "pending": 0, "project_usage": 1, "project_limit": 2, "project_pending": null}}}"#,
        )
        .unwrap();
        assert_eq!(q["u"]["cyclades.ram"].limit, 8589934592);
        assert!(is_bytes("cyclades.ram") && !is_bytes("cyclades.vm"));
    }
}
