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
use nephele_model::neutron::{Owner, Router};
use nephele_model::port::Port;

use crate::api::cloud::{NewNetwork, NewPort, Removal};
use crate::api::ApiError;
use crate::state::store::{RouteFix, Store};

/// Where a floating IP is attached: a server (Synnefo) or a port (Neutron).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpTarget {
    Server(String),
    Port(String),
}

/// The first 8 characters of a UUID: enough to tell ports apart on screen.
pub fn short(id: &str) -> &str {
    if id.len() > 12 && id.is_char_boundary(8) {
        &id[..8]
    } else {
        id
    }
}

/// Something that keeps a network from being deleted.
#[derive(Debug, Clone, PartialEq)]
pub enum Hold {
    /// A port the tenant can remove (Synnefo: a server's connection).
    Port(Port),
    /// Neutron: a floating IP associated with a port on the network.
    FloatingIp(FloatingIp),
    /// Neutron: a router's interface on one of the network's subnets.
    RouterInterface { router: String, subnet: String, port: String },
    /// Neutron without a compute service in the catalog: a server's
    /// interface, which only Nova can remove.
    ServerPort(Port),
}

impl Hold {
    /// The step's key in a progress list.
    pub fn key(&self) -> String {
        match self {
            Hold::Port(p) | Hold::ServerPort(p) => p.id.clone(),
            Hold::FloatingIp(ip) => format!("ip:{}", ip.id),
            Hold::RouterInterface { port, .. } => port.clone(),
        }
    }

    /// Only Nova can clear it: the dialog says so and cannot go on.
    pub fn blocks(&self) -> bool {
        matches!(self, Hold::ServerPort(_))
    }
}

fn step_result(
    progress: &mut impl FnMut(&str, StepState),
    key: &str,
    result: Result<(), ApiError>,
) -> Result<(), ApiError> {
    progress(key, if result.is_ok() { StepState::Done } else { StepState::Failed });
    result
}

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
    // Session

    /// Sign out here and in the other tabs. A Keystone token is also revoked,
    /// so it stops working at once rather than at the end of its hour (the
    /// request is sent on its way; signing out does not wait for it).
    pub fn sign_out(&self) {
        if let Some(revoke) = self.cloud.revoke_token() {
            leptos::task::spawn_local(async move {
                let _ = revoke.await;
            });
        }
        self.cloud.end_session();
    }

    // Projects

    /// Switch to another project (OpenStack: one token per project). The last
    /// project's objects are forgotten only once the new token is in hand, so
    /// a refusal leaves everything as it was; the pages reload for the new one.
    pub async fn switch_project(&self, project: &str) -> Result<(), ApiError> {
        self.switch(project.to_owned(), self.cloud.switch_project(project)).await
    }

    /// Work in another region of the catalog (OpenStack): its endpoints from
    /// now on, and nothing of the last region's objects kept.
    pub async fn switch_region(&self, region: &str) -> Result<(), ApiError> {
        self.switch(String::new(), self.cloud.switch_region(region)).await
    }

    /// Run a switch of session (`to`: the project, empty for a region): the page
    /// is hidden meanwhile; on success the store starts afresh, keeping the
    /// projects' names, and the header's quotas are read again.
    async fn switch(
        &self,
        to: String,
        session_switch: impl Future<Output = Result<(), ApiError>>,
    ) -> Result<(), ApiError> {
        let projects = self.projects.get_untracked();
        self.switching.set(Some(to));
        let switched = session_switch.await;
        self.switching.set(None);
        switched?;
        self.clear();
        self.projects.set(projects);
        let _ = self.load_quotas().await;
        Ok(())
    }

    // Routers (Neutron)

    /// Create a router, its gateway on `external_network` when given.
    pub async fn create_router(
        &self,
        name: &str,
        external_network: Option<&str>,
    ) -> Result<Router, ApiError> {
        let router = self.cloud.create_router(name, external_network).await?;
        self.routers.upsert(router.clone());
        Ok(router)
    }

    /// Connect a subnet to a router; its interface port appears in the ports.
    pub async fn add_router_interface(&self, router: &str, subnet: &str) -> Result<(), ApiError> {
        self.cloud.router_interface(router, subnet, true).await?;
        self.load_ports().await
    }

    pub async fn remove_router_interface(
        &self,
        router: &str,
        subnet: &str,
    ) -> Result<(), ApiError> {
        self.cloud.router_interface(router, subnet, false).await?;
        self.load_ports().await
    }

    /// The router's interfaces: (interface port, subnet) pairs, tracked.
    pub fn router_interfaces(&self, router: &str) -> Vec<(Port, String)> {
        self.ports
            .values()
            .into_iter()
            .filter(|p| Owner::of(p.device_owner.as_deref()) == Owner::RouterInterface)
            .filter(|p| p.device_id.as_deref() == Some(router))
            .flat_map(|p| {
                let subnets: Vec<String> = p.fixed_ips.iter().map(|f| f.subnet.clone()).collect();
                subnets.into_iter().map(move |s| (p.clone(), s))
            })
            .collect()
    }

    /// Remove the router's interfaces (Neutron refuses to delete a router that
    /// has any), then delete it. `progress` hears each step in words.
    pub async fn delete_router(
        &self,
        router: &str,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        for (_, subnet) in untrack(|| self.router_interfaces(router)) {
            progress(format!("Removing the interface on subnet {}…", self.subnet_label(&subnet)));
            self.cloud.router_interface(router, &subnet, false).await?;
        }
        progress("Deleting the router…".into());
        self.cloud.delete_router(router).await?;
        self.routers.remove(router);
        self.load_ports().await
    }

    /// "10.0.0.0/24" (or the subnet's id when unknown).
    pub fn subnet_label(&self, id: &str) -> String {
        self.subnets
            .get_untracked(id)
            .map(|s| if s.name.is_empty() { s.cidr } else { format!("{} ({})", s.name, s.cidr) })
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| short(id).to_owned())
    }

    /// Give a subnet a way to floating IPs from a pool (Neutron): add it to
    /// the router that `fix` names, or first create one with its gateway on
    /// the pool. `progress` hears each step in words.
    pub async fn route_to_pool(
        &self,
        fix: &RouteFix,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        let router = match &fix.router {
            Some(r) => r.clone(),
            None => {
                let name = format!("{}-router", self.network_name(&fix.network));
                progress(format!(
                    "Creating router “{name}” with its gateway on {}…",
                    self.network_name(&fix.pool)
                ));
                self.create_router(&name, Some(&fix.pool)).await?.id
            }
        };
        progress(format!(
            "Adding subnet {} to {}…",
            self.subnet_label(&fix.subnet),
            self.router_label(&router)
        ));
        self.add_router_interface(&router, &fix.subnet).await
    }

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

    /// What holds a network, in the order it must be cleared (tracked).
    /// Synnefo: its ports (servers' connections). Neutron: floating IPs on its
    /// ports, the tenant's ports and servers' interfaces (detached through
    /// Nova), router interfaces on its subnets; without a Nova in the catalog,
    /// servers' interfaces block the delete here. The cloud's own ports (DHCP)
    /// go with the network.
    pub fn network_holds(&self, network_id: &str) -> Vec<Hold> {
        let ports: Vec<Port> =
            self.ports.values().into_iter().filter(|p| p.network_id == network_id).collect();
        if !self.cloud.capabilities().routers {
            return ports.into_iter().map(Hold::Port).collect();
        }
        let mut holds: Vec<Hold> = self
            .floating_ips
            .values()
            .into_iter()
            .filter(|ip| ip.port_id.as_ref().is_some_and(|p| ports.iter().any(|x| &x.id == p)))
            .map(Hold::FloatingIp)
            .collect();
        let mut interfaces = Vec::new();
        let mut servers = Vec::new();
        // With Nova in the catalog, a server's interface is detached through it.
        let nova = self.cloud.capabilities().connect_servers;
        for p in ports {
            match Owner::of(p.device_owner.as_deref()) {
                Owner::Tenant => holds.push(Hold::Port(p)),
                Owner::Server if nova => holds.push(Hold::Port(p)),
                Owner::Server => servers.push(Hold::ServerPort(p)),
                Owner::RouterInterface => interfaces.push(Hold::RouterInterface {
                    router: p.device_id.clone().unwrap_or_default(),
                    subnet: p.fixed_ips.first().map(|f| f.subnet.clone()).unwrap_or_default(),
                    port: p.id,
                }),
                Owner::Cloud => {}
            }
        }
        holds.extend(interfaces);
        holds.extend(servers);
        holds
    }

    /// Clear what holds the network (`holds`, from [`Store::network_holds`]),
    /// in order, then delete it. `progress` hears about each hold by its
    /// [`Hold::key`] and about the network as `"network"`.
    pub async fn clear_and_delete_network(
        &self,
        network_id: &str,
        holds: Vec<Hold>,
        give_up_ms: u32,
        mut progress: impl FnMut(&str, StepState),
    ) -> Result<(), ApiError> {
        let mut ports = Vec::new();
        for hold in holds {
            let key = hold.key();
            match hold {
                Hold::Port(p) => ports.push(p),
                Hold::FloatingIp(ip) => {
                    progress(&key, StepState::Running);
                    let updated = self.cloud.associate_floating_ip(&ip.id, None).await;
                    step_result(
                        &mut progress,
                        &key,
                        updated.map(|ip| self.floating_ips.upsert(ip)),
                    )?;
                }
                Hold::RouterInterface { router, subnet, port } => {
                    // Ports before interfaces: an interface a floating IP still
                    // routes through cannot be removed.
                    self.disconnect(std::mem::take(&mut ports), give_up_ms, &mut progress).await?;
                    progress(&key, StepState::Running);
                    let removed = self.cloud.router_interface(&router, &subnet, false).await;
                    step_result(&mut progress, &key, removed.map(|()| self.remove_port(&port)))?;
                }
                Hold::ServerPort(p) => {
                    progress(&key, StepState::Failed);
                    return Err(ApiError::Status {
                        path: format!("/ports/{}", p.id),
                        status: 409,
                        body: "a server's interface holds the network".into(),
                    });
                }
            }
        }
        self.disconnect(ports, give_up_ms, &mut progress).await?;
        progress("network", StepState::Running);
        self.cloud.delete_network(network_id).await?;
        self.networks.remove(network_id);
        self.subnets.replace_all(
            self.subnets
                .values_untracked()
                .into_iter()
                .filter(|s| s.network_id != network_id)
                .collect(),
        );
        progress("network", StepState::Done);
        Ok(())
    }

    // Ports

    /// Connect each server to the network: one port each, watched until it is
    /// up (Synnefo: BUILD → ACTIVE; Nova: the interface's port, DOWN until
    /// Neutron has bound it). Returns what happened per server, in the order given.
    pub async fn connect_servers(
        &self,
        network: NetworkId<'_>,
        servers: &[String],
    ) -> Vec<Result<Port, ApiError>> {
        let results =
            join_all(servers.iter().map(|s| self.cloud.connect_server(network.0, s))).await;
        for port in results.iter().flatten() {
            self.pending.mark_awaiting_up(port);
            self.upsert_port(port.clone());
        }
        results
    }

    /// Create one port as the form describes it. On Neutron a new port is
    /// DOWN until something binds it: it is watched for a while, then the row
    /// says why it stays down.
    pub async fn create_port(&self, new: &NewPort) -> Result<Port, ApiError> {
        let port = self.cloud.create_port(new).await?;
        self.pending.mark_awaiting_up(&port);
        self.upsert_port(port.clone());
        Ok(port)
    }

    /// Delete a port the tenant made (Neutron deletes at once: 204, then 404).
    pub async fn delete_port(&self, id: &str, give_up_ms: u32) -> Result<(), ApiError> {
        self.request_port_removal(id).await?;
        self.ports_gone(vec![id.to_owned()], give_up_ms).await
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
        let port = self
            .ports
            .get_untracked(id)
            .unwrap_or_else(|| Port { id: id.to_owned(), ..Port::default() });
        match self.cloud.remove_port(&port).await {
            // Neutron deletes a tenant's port at once (404 right after the 204).
            Ok(Removal::Gone) => {
                self.remove_port(id);
                Ok(())
            }
            Ok(Removal::Later) => {
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

    /// Attach a free floating IP. Synnefo: to a server, as a port on the IP's
    /// network that carries the address. Neutron: to a port, by association.
    pub async fn attach_floating_ip(
        &self,
        ip: &FloatingIp,
        target: &IpTarget,
    ) -> Result<(), ApiError> {
        match target {
            IpTarget::Server(server) => {
                self.create_port(&NewPort::floating_ip(ip, ServerId(server))).await.map(drop)
            }
            IpTarget::Port(port) => {
                let updated = self.cloud.associate_floating_ip(&ip.id, Some(port)).await?;
                self.floating_ips.upsert(updated);
                Ok(())
            }
        }
    }

    /// Detach a floating IP; the address stays reserved. Synnefo: remove its
    /// port and wait until it is gone. Neutron: one request.
    pub async fn detach_floating_ip(
        &self,
        ip: &FloatingIp,
        give_up_ms: u32,
    ) -> Result<(), ApiError> {
        let Some(port) = ip.port_id.clone() else { return Ok(()) };
        if self.cloud.capabilities_untracked().associate_ips {
            let updated = self.cloud.associate_floating_ip(&ip.id, None).await?;
            self.floating_ips.upsert(updated);
            return Ok(());
        }
        self.request_port_removal(&port).await?;
        self.ports_gone(vec![port], give_up_ms).await?;
        self.load_floating_ips().await
    }

    /// Move a floating IP elsewhere. Neutron re-associates in one request;
    /// Synnefo refuses that, so: detach, wait, attach. If attaching fails the
    /// address stays reserved and detached, and `progress` says so.
    pub async fn move_floating_ip(
        &self,
        ip: &FloatingIp,
        target: &IpTarget,
        give_up_ms: u32,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        let to = self.target_label(target);
        if self.cloud.capabilities_untracked().associate_ips {
            progress(format!("Moving to {to}…"));
            self.attach_floating_ip(ip, target).await?;
            progress(format!("Moved to {to}."));
            return Ok(());
        }
        let from = ip.instance_id.as_deref().map(|s| self.server_label(s)).unwrap_or_default();
        progress(format!("Detaching from {from}…"));
        self.detach_floating_ip(ip, give_up_ms).await?;
        progress("Detached.".into());
        progress(format!("Attaching to {to}…"));
        match self.attach_floating_ip(ip, target).await {
            Ok(()) => {
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

    /// "server web (141)" or "port 1a2b (on network “lan”)".
    pub fn target_label(&self, target: &IpTarget) -> String {
        match target {
            IpTarget::Server(s) => self.server_label(s),
            IpTarget::Port(p) => self.port_label(p),
        }
    }

    /// A port in words: its name or id, and what it belongs to.
    pub fn port_label(&self, id: &str) -> String {
        let Some(port) = self.ports.get_untracked(id) else { return format!("port {id}") };
        let name = if port.name.is_empty() {
            format!("port {}", short(id))
        } else {
            format!("port “{}”", port.name)
        };
        let address =
            port.fixed_ips.first().map(|f| format!(" {}", f.ip_address)).unwrap_or_default();
        match port.device_id.as_deref().filter(|d| !d.is_empty()) {
            Some(d) if self.servers.get_untracked(d).is_some() => {
                format!("{name}{address} of {}", self.server_label(d))
            }
            _ => format!("{name}{address}"),
        }
    }

    /// Release a floating IP. Synnefo refuses to release an attached one, so it
    /// is detached first; Neutron releases it as it is.
    pub async fn release_floating_ip(
        &self,
        ip: &FloatingIp,
        give_up_ms: u32,
        mut progress: impl FnMut(String),
    ) -> Result<(), ApiError> {
        if ip.port_id.is_some() && !self.cloud.capabilities_untracked().associate_ips {
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
