//! Astakos resources and projects (`/account/v1.0/resources`, `/projects`), spec §7.2-7.3.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::network::null_default;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Resource {
    #[serde(default, deserialize_with = "null_default")]
    pub service: String,
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub ui_visible: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub api_visible: bool,
}

/// `GET /account/v1.0/resources`: resource name → description.
pub type Resources = BTreeMap<String, Resource>;

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectResource {
    #[serde(default, deserialize_with = "null_default")]
    pub member_capacity: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub project_capacity: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub homepage: String,
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    #[serde(default)]
    pub creation_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub join_policy: Option<String>,
    #[serde(default)]
    pub leave_policy: Option<String>,
    #[serde(default)]
    pub max_members: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub private: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub system_project: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub resources: BTreeMap<String, ProjectResource>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_round_trip() {
        let p: Project = serde_json::from_str(
            r#"{"id": "3f1d", "state": "active", "name": "lab", "owner": "a9dc", "max_members": null,
                "system_project": false, "resources": {"cyclades.floating_ip": {"member_capacity": 5, "project_capacity": 50}}, "x": 1}"#,
        )
        .unwrap();
        assert_eq!(p.resources["cyclades.floating_ip"].project_capacity, 50);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["resources"]["cyclades.floating_ip"]["member_capacity"], 5);
        let r: Resource = serde_json::from_str(
            r#"{"service": "cyclades_network", "unit": null, "api_visible": true}"#,
        )
        .unwrap();
        assert!(r.api_visible && r.unit.is_none());
    }
}
