//! Every write the portal makes, and every workflow of several steps, as methods
//! of the [`Store`]. Pages and components call these and never the cloud
//! directly: each puts what the cloud answered into the collections, so every
//! view that shows the object is right at once, and the poller watches what the
//! write left pending.
//!
//! A workflow that must wait for the cloud (a port to go away before the next
//! step) waits on the store reactively ([`Store::ports_gone`]): the app's one
//! poller brings the news, nothing here polls.

use std::collections::BTreeMap;
use std::future::Future;

use futures::future::{join_all, select, Either};
use leptos::prelude::*;
use nephele_model::floating_ip::FloatingIp;
use nephele_model::id::{NetworkId, ServerId};
use nephele_model::network::Network;
use nephele_model::port::Port;

use crate::api::cloud::{NewNetwork, NewPort};
use crate::api::ApiError;
use crate::state::store::Store;

/// Where one step of a workflow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    Done,
    Failed,
}

/// Resolve when `condition` holds (checked now and whenever a signal it reads
/// changes), or with `false` after `give_up_ms`.
pub fn until(
    condition: impl Fn() -> bool + 'static,
    give_up_ms: u32,
) -> impl Future<Output = bool> {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let tx = StoredValue::new_local(Some(tx));
    let effect = Effect::new(move |_| {
        if condition() {
            if let Some(tx) = tx.try_update_value(Option::take).flatten() {
                let _ = tx.send(());
            }
        }
    });
    async move {
        let held = match select(rx, gloo_timers::future::TimeoutFuture::new(give_up_ms)).await {
            Either::Left((sent, _)) => sent.is_ok(),
            Either::Right(_) => false,
        };
        effect.stop();
        tx.dispose();
        held
    }
}

impl Store {
    // Networks

    /// Create a network (and its subnet, if asked) and show it.
    pub async fn create_network(&self, new: &NewNetwork) -> Result<Network, ApiError> {
        let network = self.cloud.create_network(new).await?;
        self.networks.upsert(network.clone());
        Ok(network)
    }

    pub async fn rename_network(&self, id: &str, name: &str) -> Result<Network, ApiError> {
        let network = self.cloud.rename_network(id, name).await?;
        self.networks.upsert(network.clone());
        Ok(network)
    }

    /// Disconnect everything on the network (`ports`), then delete it. `progress`
    /// hears about each port by id and about the network as `"network"`.
    pub async fn disconnect_all_and_delete(
        &self,
        network_id: &str,
        ports: Vec<Port>,
        give_up_ms: u32,
        mut progress: impl FnMut(&str, StepState),
    ) -> Result<(), ApiError> {
        self.disconnect(ports, give_up_ms, &mut progress).await?;
        progress("network", StepState::Running);
        self.cloud.delete_network(network_id).await?;
        self.networks.remove(network_id);
        progress("network", StepState::Done);
        Ok(())
    }

    // Ports

    /// Connect each server to the network: one port each, in BUILD at first.
    /// Returns what happened per server, in the order given.
    pub async fn connect_servers(
        &self,
        network: NetworkId<'_>,
        servers: &[String],
    ) -> Vec<Result<Port, ApiError>> {
        let ports: Vec<NewPort> =
            servers.iter().map(|s| NewPort::connect(network, ServerId(s))).collect();
        let results = join_all(ports.iter().map(|p| self.cloud.create_port(p))).await;
        for port in results.iter().flatten() {
            self.upsert_port(port.clone());
        }
        results
    }

    /// Create one port as the form describes it.
    pub async fn create_port(&self, new: &NewPort) -> Result<Port, ApiError> {
        let port = self.cloud.create_port(new).await?;
        self.upsert_port(port.clone());
        Ok(port)
    }

    /// Remove these ports and wait until they are gone. Synnefo refuses a second
    /// disconnect on a server while one is in flight, so ports go one per server
    /// at a time, each round waiting on the poller.
    pub async fn disconnect(
        &self,
        ports: Vec<Port>,
        give_up_ms: u32,
        mut progress: impl FnMut(&str, StepState),
    ) -> Result<(), ApiError> {
        let mut by_server: BTreeMap<String, Vec<Port>> = BTreeMap::new();
        for p in ports {
            by_server.entry(p.device_id.clone().unwrap_or_default()).or_default().push(p);
        }
        loop {
            let round: Vec<String> = by_server
                .values_mut()
                .filter_map(|v| (!v.is_empty()).then(|| v.remove(0).id))
                .collect();
            if round.is_empty() {
                return Ok(());
            }
            for id in &round {
                progress(id, StepState::Running);
            }
            let results = join_all(round.iter().map(|id| self.request_port_removal(id))).await;
            let mut failure = None;
            for (id, r) in round.iter().zip(results) {
                if let Err(e) = r {
                    progress(id, StepState::Failed);
                    failure.get_or_insert(e);
                }
            }
            self.ports_gone(round.clone(), give_up_ms).await?;
            for id in &round {
                if self.ports.get_untracked(id).is_none() {
                    progress(id, StepState::Done);
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
        }
    }

    /// Ask the cloud to remove a port. An attached port goes away later: it is
    /// marked as being deleted and the poller watches it. One that is already
    /// gone (404) is simply forgotten.
    async fn request_port_removal(&self, id: &str) -> Result<(), ApiError> {
        match self.cloud.delete_port(id).await {
            Ok(()) => {
                self.mark_deleting(id);
                Ok(())
            }
            Err(e) if e.status() == Some(404) => {
                self.remove_port(id);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Resolve when none of these ports is still being deleted, or fail with a
    /// timeout after `give_up_ms`.
    pub async fn ports_gone(&self, ids: Vec<String>, give_up_ms: u32) -> Result<(), ApiError> {
        let store = *self;
        let first = ids.first().cloned().unwrap_or_default();
        let pending = ids.clone();
        let gone = until(
            move || {
                pending.iter().all(|id| store.ports.get(id).is_none() || !store.is_deleting(id))
            },
            give_up_ms,
        )
        .await;
        if gone {
            Ok(())
        } else {
            Err(ApiError::Timeout { path: format!("/ports/{first}") })
        }
    }

    // Floating IPs

    /// Attach a free floating IP to a server: a port on the IP's network that
    /// carries the address.
    pub async fn attach_floating_ip(
        &self,
        ip: &FloatingIp,
        server: ServerId<'_>,
    ) -> Result<Port, ApiError> {
        self.create_port(&NewPort::floating_ip(ip, server)).await
    }

    /// Detach a floating IP (remove its port) and wait until the port is gone; the
    /// address stays reserved.
    pub async fn detach_floating_ip(
        &self,
        ip: &FloatingIp,
        give_up_ms: u32,
    ) -> Result<(), ApiError> {
        let Some(port) = ip.port_id.clone() else { return Ok(()) };
        self.request_port_removal(&port).await?;
        self.ports_gone(vec![port], give_up_ms).await?;
        self.load_floating_ips().await
    }

    /// Move a floating IP to another server: detach, wait, attach. If attaching
    /// fails the address stays reserved and detached, and `progress` says so.
    pub async fn move_floating_ip(
        &self,
        ip: &FloatingIp,
        server: ServerId<'_>,
        give_up_ms: u32,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        let from = ip.instance_id.as_deref().map(|s| self.server_label(s)).unwrap_or_default();
        progress(format!("Detaching from {from}…"));
        self.detach_floating_ip(ip, give_up_ms).await?;
        progress("Detached.".into());
        progress(format!("Attaching to {}…", self.server_label(server.0)));
        match self.attach_floating_ip(ip, server).await {
            Ok(_) => {
                progress("Attached: the new port is in BUILD.".into());
                Ok(())
            }
            Err(e) => {
                progress(format!(
                    "Attaching failed: {} stays reserved and detached.",
                    ip.floating_ip_address
                ));
                Err(e)
            }
        }
    }

    /// Release a floating IP, detaching it first if it is attached.
    pub async fn release_floating_ip(
        &self,
        ip: &FloatingIp,
        give_up_ms: u32,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        if ip.port_id.is_some() {
            progress("Detaching…".into());
            self.detach_floating_ip(ip, give_up_ms).await?;
            progress("Detached. Releasing…".into());
        }
        self.cloud.release_floating_ip(&ip.id).await?;
        self.floating_ips.remove(&ip.id);
        Ok(())
    }

    /// Reserve a floating IP from a public network.
    pub async fn reserve_floating_ip(
        &self,
        network_id: &str,
        project: Option<&str>,
    ) -> Result<FloatingIp, ApiError> {
        let ip = self.cloud.reserve_floating_ip(network_id, project).await?;
        self.floating_ips.upsert(ip.clone());
        Ok(ip)
    }
}
