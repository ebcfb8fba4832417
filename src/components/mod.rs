//! Reusable pieces, each with explicit props.

pub mod common;
pub mod dialog;
pub mod expiry;
pub mod ip_dialog;
pub mod layout;
pub mod login_form;
pub mod network_delete;
pub mod network_form;
pub mod ports;
pub mod project_switcher;
pub mod quota_summary;
pub mod table;
