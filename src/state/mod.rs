//! App-wide state, each piece a small typed context struct provided once in `App`.

pub mod actions;
pub mod clock;
pub mod config;
pub mod notify;
pub mod pending;
pub mod poller;
pub mod session;
pub mod store;
