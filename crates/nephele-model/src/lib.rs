//! The Synnefo API as types and pure functions, shared by the portal (compiled to
//! WebAssembly) and `nephele-cloud` (the local cloud), so the two cannot drift.
//!
//! Nothing here touches a browser, a socket or a clock: every function is
//! deterministic and tested on the host.

pub mod account;
pub mod fault;
pub mod floating_ip;
pub mod id;
pub mod identity;
pub mod ipnet;
pub mod keystone;
pub mod network;
pub mod neutron;
pub mod port;
pub mod quota;
pub mod server;
pub mod status;
pub mod subnet;

pub use fault::{Fault, FaultKind};
pub use status::{NetworkKind, NetworkStatus, PortStatus, Resource, ServerStatus};
pub mod usage;
