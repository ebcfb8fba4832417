//! Typed calls to the signed-in user's cloud. Each uses the session's token and
//! endpoints; a 401 from any of them ends the session here, in one place, and the
//! layout then returns the user to the login page.

use gloo_net::http::Method;
use leptos::prelude::untrack;
use nephele_model::account::{Project, Resources};
use nephele_model::floating_ip::{FloatingIp, FloatingIpEnvelope, FloatingIpList};
use nephele_model::id::{NetworkId, ServerId};
use nephele_model::identity::Family;
use nephele_model::network::{Network, NetworkEnvelope, NetworkList};
use nephele_model::neutron::{
    openstack_quotas, NeutronQuotaDetails, NovaQuotaSet, Owner, Router, RouterEnvelope, RouterList,
};
use nephele_model::port::{Port, PortEnvelope, PortList};
use nephele_model::quota::Quotas;
use nephele_model::server::{
    InterfaceAttachment, InterfaceAttachmentEnvelope, InterfaceAttachmentList, Server, ServerList,
};
use nephele_model::subnet::{Subnet, SubnetEnvelope, SubnetList};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use futures::future::LocalBoxFuture;

use super::{exchange, ApiError};
use crate::state::session::{Session, SessionContext, SignedOutReason};

/// Waits before the one retry of an idempotent read.
const RETRY_BACKOFF_MS: u32 = 600;

/// What to create a network with (and, optionally, its IPv4 subnet).
#[derive(Debug, Clone, PartialEq)]
pub struct NewNetwork {
    pub name: String,
    pub kind: nephele_model::NetworkKind,
    pub project: Option<String>,
    pub subnet: Option<NewSubnet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSubnet {
    pub cidr: String,
    /// `None`: the cloud picks the first host; `Some(None)`: no gateway.
    pub gateway: Option<Option<String>>,
    pub dhcp: bool,
}

/// A port to create: a server's connection to a network, optionally with a
/// fixed address (on a public network: one of the user's floating IPs).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPort {
    pub network_id: String,
    pub device_id: String,
    pub ip_address: Option<String>,
}

impl NewPort {
    /// Connect a server to a network.
    pub fn connect(network: NetworkId, server: ServerId) -> NewPort {
        NewPort {
            network_id: network.0.to_owned(),
            device_id: server.0.to_owned(),
            ip_address: None,
        }
    }

    /// Attach floating IP `ip` to a server: on Synnefo, a port on the IP's
    /// network that carries the address.
    pub fn floating_ip(ip: &FloatingIp, server: ServerId) -> NewPort {
        NewPort {
            network_id: ip.floating_network_id.clone().unwrap_or_default(),
            device_id: server.0.to_owned(),
            ip_address: Some(ip.floating_ip_address.clone()),
        }
    }
}

/// What the signed-in cloud offers where the two families differ. Pages ask
/// these questions rather than which family it is (see ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Synnefo: a network's `type` is chosen when it is made (Neutron: admin-only).
    pub network_types: bool,
    /// Synnefo: each object is charged to a project chosen when it is made;
    /// OpenStack: to the project the token is scoped to.
    pub project_per_object: bool,
    /// One token per project, so the header offers a project switcher.
    pub project_switch: bool,
    /// Neutron's routers: a floating IP reaches a port only through one.
    pub routers: bool,
    /// Neutron: a floating IP is associated with a port (and moved, and released
    /// while attached, in one request). Synnefo: it is made as a server's port.
    pub associate_ips: bool,
    /// Servers can be connected to a network and disconnected here. Synnefo:
    /// by making and deleting a port for them; OpenStack: through Nova's
    /// `os-interface` (so only when the catalog lists a compute service).
    pub connect_servers: bool,
    /// Neutron: a port can be made on its own, for no server (Synnefo's ports
    /// are servers' connections, so its port form asks for the server).
    pub standalone_ports: bool,
    /// There is a compute service to list servers from.
    pub compute: bool,
    /// The port list takes `?id=…&id=…` filters, so the poller asks for
    /// exactly the pending ports.
    pub filter_ports_by_id: bool,
    /// A tenant's own port is gone when its DELETE is answered (Neutron);
    /// Synnefo removes an attached port later, and Nova detaches a server's
    /// interface later, so the poller watches those go ([`Removal`]).
    pub ports_delete_at_once: bool,
}

impl Capabilities {
    pub fn of(family: Family, has_compute: bool) -> Capabilities {
        match family {
            Family::Synnefo => Capabilities {
                network_types: true,
                project_per_object: true,
                project_switch: false,
                routers: false,
                associate_ips: false,
                connect_servers: true,
                standalone_ports: false,
                compute: has_compute,
                filter_ports_by_id: false,
                ports_delete_at_once: false,
            },
            Family::OpenStack => Capabilities {
                network_types: false,
                project_per_object: false,
                project_switch: true,
                routers: true,
                associate_ips: true,
                connect_servers: has_compute,
                standalone_ports: true,
                compute: has_compute,
                filter_ports_by_id: true,
                ports_delete_at_once: true,
            },
        }
    }
}

/// How the cloud took a request to remove a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Gone when answered (Neutron's DELETE of a tenant's port).
    Gone,
    /// Going: the cloud unplugs it first (Synnefo's attached ports, Nova's
    /// interface detach, 202), so the poller watches it go.
    Later,
}

/// Nova's microversion for reads: 2.47 puts the flavor's name in the server.
const COMPUTE_MICROVERSION: &str = "compute 2.47";

/// The cloud as the signed-in user sees it. Cheap to copy; provided by `App`.
#[derive(Clone, Copy)]
pub struct Cloud {
    session: SessionContext,
}

impl Cloud {
    pub fn new(session: SessionContext) -> Cloud {
        Cloud { session }
    }

    /// What this cloud offers (tracked: it changes when another cloud is signed in to).
    pub fn capabilities(&self) -> Capabilities {
        self.session.read(|s| {
            s.map(|s| Capabilities::of(s.family, s.endpoints.compute.is_some())).unwrap_or_default()
        })
    }

    /// [`Cloud::capabilities`] without tracking (inside workflows).
    pub fn capabilities_untracked(&self) -> Capabilities {
        untrack(|| self.capabilities())
    }

    /// Nova's calls name the microversion they are written for; Synnefo's
    /// compute API has none (and a same-origin Cyclades needs no new header).
    fn microversion_for(&self, url: &str) -> Option<&'static str> {
        let s = self.session.get_untracked()?;
        let compute = s.endpoints.compute.as_deref()?;
        (s.family == Family::OpenStack && url.starts_with(compute)).then_some(COMPUTE_MICROVERSION)
    }

    fn has_compute(&self) -> bool {
        self.session.get_untracked().is_some_and(|s| s.endpoints.compute.is_some())
    }

    fn family(&self) -> Family {
        self.session.get_untracked().map(|s| s.family).unwrap_or_default()
    }

    /// The request that revokes this session's token, where the identity
    /// service has one (Keystone: `DELETE /v3/auth/tokens`).
    pub fn revoke_token(&self) -> Option<LocalBoxFuture<'static, Result<(), ApiError>>> {
        let s = self.session.get_untracked()?;
        (s.family == Family::OpenStack)
            .then(|| super::openstack::revoke(s.identity_url.clone(), s.token.clone()))
    }

    /// End the session (the user signed out).
    pub fn end_session(&self) {
        self.session.sign_out(SignedOutReason::SignedOut);
    }

    /// Work in `project` from now on: a token scoped to it (OpenStack), put in
    /// the session. Nothing changes if Keystone refuses.
    pub async fn switch_project(&self, project: &str) -> Result<(), ApiError> {
        let region = self.session()?.region;
        let next = self.rescope(project, region.as_deref()).await?;
        self.session.sign_in(next);
        Ok(())
    }

    /// Use the catalog's endpoints of another region (OpenStack): a fresh token
    /// for the same project brings the catalog, read for that region.
    pub async fn switch_region(&self, region: &str) -> Result<(), ApiError> {
        let project = self.project_id()?;
        let next = self.rescope(&project, Some(region)).await?;
        self.session.sign_in(next);
        Ok(())
    }

    /// A session like this one, with a token scoped to `project` (OpenStack).
    async fn rescope(&self, project: &str, region: Option<&str>) -> Result<Session, ApiError> {
        let current = self.session()?;
        let issued =
            super::openstack::rescope(&current.identity_url, &current.token, project).await?;
        Session::from_keystone(
            &current.identity_url,
            &issued.token,
            &issued.body,
            current.projects.clone(),
            current.can_rescope,
            current.remember,
            region,
        )
        .map_err(|reason| ApiError::Decode { path: "/auth/tokens".into(), reason })
    }

    fn session(&self) -> Result<Session, ApiError> {
        self.session.get_untracked().ok_or_else(|| ApiError::Status {
            path: String::new(),
            status: 401,
            body: "not signed in".into(),
        })
    }

    fn check<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(e) = &result {
            if e.is_unauthorized() {
                self.session.sign_out(SignedOutReason::Expired);
            }
        }
        result
    }

    /// GET with one retry after a pause when the network failed or the cloud
    /// answered 5xx: reads are idempotent, so trying again is safe.
    async fn get<T: DeserializeOwned>(&self, url: String) -> Result<T, ApiError> {
        let text = self.get_text(url.clone()).await?;
        super::decode(&url, &text)
    }

    /// [`Cloud::get`]'s request, boxed so that one copy serves every answer type.
    fn get_text(&self, url: String) -> LocalBoxFuture<'static, Result<String, ApiError>> {
        let this = *self;
        Box::pin(async move {
            let token = this.session()?.token;
            let version = this.microversion_for(&url);
            let once = || exchange(Method::GET, url.clone(), Some(token.clone()), None, version);
            let result = match once().await {
                Err(e) if is_transient(&e) => {
                    gloo_timers::future::TimeoutFuture::new(RETRY_BACKOFF_MS).await;
                    once().await
                }
                other => other,
            };
            this.check(result.map(|(text, _)| text))
        })
    }

    /// A write: sent once, never retried (a retry could act twice).
    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let body = body
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ApiError::Decode { path: super::path_of(&url), reason: e.to_string() })?;
        let text = self.write_text(method, url.clone(), body).await?;
        super::decode(&url, &text)
    }

    /// [`Cloud::write`]'s request, boxed like [`Cloud::get_text`].
    fn write_text(
        &self,
        method: Method,
        url: String,
        body: Option<String>,
    ) -> LocalBoxFuture<'static, Result<String, ApiError>> {
        let this = *self;
        Box::pin(async move {
            let token = this.session()?.token;
            let version = this.microversion_for(&url);
            this.check(
                exchange(method, url, Some(token), body, version).await.map(|(text, _)| text),
            )
        })
    }

    async fn delete(&self, url: String) -> Result<(), ApiError> {
        self.write_text(Method::DELETE, url, None).await.map(drop)
    }

    fn network_url(&self, path: &str) -> Result<String, ApiError> {
        Ok(format!("{}{path}", self.session()?.endpoints.network))
    }

    fn compute_url(&self, path: &str) -> Result<String, ApiError> {
        let base = self.session()?.endpoints.compute.ok_or_else(|| missing("compute"))?;
        Ok(format!("{base}{path}"))
    }

    fn account_url(&self, path: &str) -> Result<String, ApiError> {
        let base = self.session()?.endpoints.account.ok_or_else(|| missing("account"))?;
        Ok(format!("{base}{path}"))
    }

    fn project_id(&self) -> Result<String, ApiError> {
        self.session()?.default_project.ok_or_else(|| ApiError::Status {
            path: String::new(),
            status: 400,
            body: "no project".into(),
        })
    }

    // Networks

    pub async fn networks(&self) -> Result<Vec<Network>, ApiError> {
        let list: NetworkList = self.get(self.network_url("/networks")?).await?;
        Ok(list.networks.into_iter().map(|n| self.normalise(n)).collect())
    }

    pub async fn network(&self, id: &str) -> Result<Network, ApiError> {
        let one: NetworkEnvelope =
            self.get(self.network_url(&format!("/networks/{}", seg(id)))?).await?;
        Ok(self.normalise(one.network))
    }

    /// Neutron's external networks are what Synnefo calls public networks and
    /// floating-IP pools: the cloud's, reached through floating IPs. Read them
    /// as such, so every view treats both families alike.
    fn normalise(&self, mut n: Network) -> Network {
        if self.family() == Family::OpenStack && n.router_external {
            n.public = true;
            n.floating_ip_pool = true;
        }
        n
    }

    /// Why the tenant may not delete this port here, if they may not.
    pub fn port_not_deletable(&self, port: &Port) -> Option<&'static str> {
        if self.family() == Family::Synnefo {
            return None;
        }
        match Owner::of(port.device_owner.as_deref()) {
            Owner::Tenant => None,
            // Nova detaches it (`Cloud::remove_port`), when there is a Nova.
            Owner::Server if self.has_compute() => None,
            Owner::Server => Some(
                "A server's interface: only the compute service (Nova) can detach it, \
                 and this cloud's catalog lists none.",
            ),
            Owner::RouterInterface => {
                Some("A router's interface: remove it from the router on the Routers page.")
            }
            Owner::Cloud => Some("Made and removed by the cloud itself."),
        }
    }

    /// Create a network and, if asked, its subnet. If the subnet is refused the
    /// network is deleted again, so nothing half-made is left behind (as Synnefo's
    /// own UI does).
    pub async fn create_network(&self, new: &NewNetwork) -> Result<Network, ApiError> {
        let mut network = json!({"name": new.name});
        // Neutron refuses both attributes ("Unrecognized attribute(s)"): its
        // network types are admin-only and the token says the project.
        if self.family() == Family::Synnefo {
            network["type"] = json!(new.kind);
            if let Some(project) = &new.project {
                network["project"] = json!(project);
            }
        }
        let created: NetworkEnvelope = self
            .write(
                Method::POST,
                self.network_url("/networks")?,
                Some(&json!({ "network": network })),
            )
            .await?;
        let mut network = created.network;
        if let Some(subnet) = &new.subnet {
            match self.create_subnet(&network.id, subnet).await {
                Ok(s) => network.subnets.push(s.id),
                Err(e) => {
                    let _ = self.delete_network(&network.id).await;
                    return Err(e);
                }
            }
        }
        Ok(network)
    }

    pub async fn rename_network(&self, id: &str, name: &str) -> Result<Network, ApiError> {
        let body = json!({"network": {"name": name}});
        let one: NetworkEnvelope = self
            .write(Method::PUT, self.network_url(&format!("/networks/{}", seg(id)))?, Some(&body))
            .await?;
        Ok(one.network)
    }

    pub async fn delete_network(&self, id: &str) -> Result<(), ApiError> {
        self.delete(self.network_url(&format!("/networks/{}", seg(id)))?).await
    }

    // Subnets

    pub async fn subnets(&self) -> Result<Vec<Subnet>, ApiError> {
        let list: SubnetList = self.get(self.network_url("/subnets")?).await?;
        Ok(list.subnets)
    }

    pub async fn create_subnet(
        &self,
        network_id: &str,
        new: &NewSubnet,
    ) -> Result<Subnet, ApiError> {
        let mut subnet = json!({"network_id": network_id, "cidr": new.cidr, "ip_version": 4, "enable_dhcp": new.dhcp});
        match &new.gateway {
            None => {}
            Some(None) => subnet["gateway_ip"] = Value::Null,
            Some(Some(ip)) => subnet["gateway_ip"] = json!(ip),
        }
        let one: SubnetEnvelope = self
            .write(Method::POST, self.network_url("/subnets")?, Some(&json!({ "subnet": subnet })))
            .await?;
        Ok(one.subnet)
    }

    // Ports

    pub async fn ports(&self) -> Result<Vec<Port>, ApiError> {
        let list: PortList = self.get(self.network_url("/ports")?).await?;
        Ok(list.ports)
    }

    pub async fn port(&self, id: &str) -> Result<Port, ApiError> {
        let one: PortEnvelope = self.get(self.network_url(&format!("/ports/{}", seg(id)))?).await?;
        Ok(one.port)
    }

    /// Connect a server to a network (or attach a floating IP: `ip_address` on
    /// the IP's network). The port starts in BUILD.
    pub async fn create_port(&self, new: &NewPort) -> Result<Port, ApiError> {
        let mut port = json!({"network_id": new.network_id});
        if !new.device_id.is_empty() {
            port["device_id"] = json!(new.device_id);
        }
        if let Some(ip) = &new.ip_address {
            port["fixed_ips"] = json!([{ "ip_address": ip }]);
        }
        let one: PortEnvelope = self
            .write(Method::POST, self.network_url("/ports")?, Some(&json!({ "port": port })))
            .await?;
        Ok(one.port)
    }

    /// Exactly these ports (Neutron's `?id=…&id=…` filter): what the poller asks
    /// for when several are pending.
    pub async fn ports_with_ids(&self, ids: &[String]) -> Result<Vec<Port>, ApiError> {
        let query: Vec<String> = ids.iter().map(|id| format!("id={}", seg(id))).collect();
        let list: PortList =
            self.get(self.network_url(&format!("/ports?{}", query.join("&")))?).await?;
        Ok(list.ports)
    }

    /// Ask for a port's removal. An attached port goes away later: poll it.
    pub async fn delete_port(&self, id: &str) -> Result<(), ApiError> {
        self.delete(self.network_url(&format!("/ports/{}", seg(id)))?).await
    }

    /// Connect a server to a network: the new port, as Neutron shows it.
    /// Synnefo: a port made for the server (BUILD at first). OpenStack: Nova
    /// attaches an interface (`POST /servers/{id}/os-interface`; Neutron refuses
    /// a member a port for someone else's device), and Neutron's port is read.
    pub async fn connect_server(&self, network: &str, server: &str) -> Result<Port, ApiError> {
        if self.family() == Family::Synnefo {
            return self.create_port(&NewPort::connect(NetworkId(network), ServerId(server))).await;
        }
        let body = json!({"interfaceAttachment": {"net_id": network}});
        let made: InterfaceAttachmentEnvelope = self
            .write(
                Method::POST,
                self.compute_url(&format!("/servers/{}/os-interface", seg(server)))?,
                Some(&body),
            )
            .await?;
        let made = made.interface_attachment;
        // The attach is done: if the read fails, Nova's answer still says enough.
        Ok(self.port(&made.port_id).await.unwrap_or_else(|_| made.into_port(server)))
    }

    /// A server's interfaces as Nova lists them (OpenStack).
    pub async fn server_interfaces(
        &self,
        server: &str,
    ) -> Result<Vec<InterfaceAttachment>, ApiError> {
        let list: InterfaceAttachmentList =
            self.get(self.compute_url(&format!("/servers/{}/os-interface", seg(server)))?).await?;
        Ok(list.interface_attachments)
    }

    /// Remove a port: a server's through Nova on OpenStack (`DELETE
    /// …/os-interface/{port}`, 202: it goes a moment later), any other with
    /// Neutron's DELETE.
    pub async fn remove_port(&self, port: &Port) -> Result<Removal, ApiError> {
        let server = port.device_id.as_deref().filter(|d| !d.is_empty());
        match (self.family(), Owner::of(port.device_owner.as_deref()), server) {
            (Family::Synnefo, ..) => self.delete_port(&port.id).await.map(|()| Removal::Later),
            (Family::OpenStack, Owner::Server, Some(server)) if self.has_compute() => {
                let url = self.compute_url(&format!(
                    "/servers/{}/os-interface/{}",
                    seg(server),
                    seg(&port.id)
                ))?;
                self.delete(url).await.map(|()| Removal::Later)
            }
            (Family::OpenStack, ..) => self.delete_port(&port.id).await.map(|()| Removal::Gone),
        }
    }

    // Floating IPs

    pub async fn floating_ips(&self) -> Result<Vec<FloatingIp>, ApiError> {
        let list: FloatingIpList = self.get(self.network_url("/floatingips")?).await?;
        Ok(list.floatingips)
    }

    pub async fn reserve_floating_ip(
        &self,
        network_id: &str,
        project: Option<&str>,
    ) -> Result<FloatingIp, ApiError> {
        let mut ip = json!({"floating_network_id": network_id});
        if let (Some(project), Family::Synnefo) = (project, self.family()) {
            ip["project"] = json!(project);
        }
        let one: FloatingIpEnvelope = self
            .write(
                Method::POST,
                self.network_url("/floatingips")?,
                Some(&json!({ "floatingip": ip })),
            )
            .await?;
        Ok(one.floatingip)
    }

    pub async fn release_floating_ip(&self, id: &str) -> Result<(), ApiError> {
        self.delete(self.network_url(&format!("/floatingips/{}", seg(id)))?).await
    }

    /// Neutron: associate a floating IP with a port (`Some`), move it to another
    /// port in the same request, or detach it (`None`).
    pub async fn associate_floating_ip(
        &self,
        id: &str,
        port: Option<&str>,
    ) -> Result<FloatingIp, ApiError> {
        let body = json!({"floatingip": {"port_id": port}});
        let one: FloatingIpEnvelope = self
            .write(
                Method::PUT,
                self.network_url(&format!("/floatingips/{}", seg(id)))?,
                Some(&body),
            )
            .await?;
        Ok(one.floatingip)
    }

    // Routers (Neutron)

    pub async fn routers(&self) -> Result<Vec<Router>, ApiError> {
        let list: RouterList = self.get(self.network_url("/routers")?).await?;
        Ok(list.routers)
    }

    /// A router whose gateway is on `external_network` (when given).
    pub async fn create_router(
        &self,
        name: &str,
        external_network: Option<&str>,
    ) -> Result<Router, ApiError> {
        let mut router = json!({"name": name});
        if let Some(net) = external_network {
            router["external_gateway_info"] = json!({"network_id": net});
        }
        let one: RouterEnvelope = self
            .write(Method::POST, self.network_url("/routers")?, Some(&json!({ "router": router })))
            .await?;
        Ok(one.router)
    }

    pub async fn delete_router(&self, id: &str) -> Result<(), ApiError> {
        self.delete(self.network_url(&format!("/routers/{}", seg(id)))?).await
    }

    /// Connect (`add`) or disconnect a router and a subnet. The interface is a
    /// port on the subnet's network, owned by the router.
    pub async fn router_interface(
        &self,
        router: &str,
        subnet: &str,
        add: bool,
    ) -> Result<(), ApiError> {
        let verb = if add { "add_router_interface" } else { "remove_router_interface" };
        let _: Value = self
            .write(
                Method::PUT,
                self.network_url(&format!("/routers/{}/{verb}", seg(router)))?,
                Some(&json!({ "subnet_id": subnet })),
            )
            .await?;
        Ok(())
    }

    // Compute

    pub async fn servers(&self) -> Result<Vec<Server>, ApiError> {
        // A network-only OpenStack cloud has no compute service: no servers.
        if self.session()?.endpoints.compute.is_none() {
            return Ok(Vec::new());
        }
        let list: ServerList = self.get(self.compute_url("/servers/detail")?).await?;
        Ok(list.servers)
    }

    /// One server (`GET /servers/{id}`).
    pub async fn server(&self, id: &str) -> Result<Server, ApiError> {
        let one: nephele_model::server::ServerEnvelope =
            self.get(self.compute_url(&format!("/servers/{}", seg(id)))?).await?;
        Ok(one.server)
    }

    // Account (Synnefo's Astakos; on OpenStack, Keystone, Neutron and Nova)

    pub async fn quotas(&self) -> Result<Quotas, ApiError> {
        if self.family() == Family::Synnefo {
            return self.get(self.account_url("/quotas")?).await;
        }
        let project = self.project_id()?;
        let p = seg(&project);
        let neutron = self
            .get::<NeutronQuotaDetails>(self.network_url(&format!("/quotas/{p}/details.json"))?);
        let nova = async {
            match self.session()?.endpoints.compute {
                Some(_) => self
                    .get::<NovaQuotaSet>(self.compute_url(&format!("/os-quota-sets/{p}/detail"))?)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        };
        let (neutron, nova) = futures::join!(neutron, nova);
        Ok(openstack_quotas(&project, &neutron?, nova?.as_ref()))
    }

    pub async fn projects(&self) -> Result<Vec<Project>, ApiError> {
        if self.family() == Family::Synnefo {
            return self.get(self.account_url("/projects")?).await;
        }
        let s = self.session()?;
        self.check(super::openstack::projects(&s.identity_url, &s.token).await)
    }

    /// Astakos' descriptions of the quota resources (OpenStack has none).
    pub async fn resources(&self) -> Result<Resources, ApiError> {
        if self.family() == Family::OpenStack {
            return Ok(Resources::new());
        }
        self.get(self.account_url("/resources")?).await
    }
}

fn missing(service: &str) -> ApiError {
    ApiError::Status {
        path: String::new(),
        status: 501,
        body: format!("the service catalog has no {service} service"),
    }
}

/// Network failures and 5xx answers may pass; 4xx answers will not.
pub fn is_transient(e: &ApiError) -> bool {
    match e {
        ApiError::Unreachable { .. } => true,
        ApiError::Fault { status, .. } | ApiError::Status { status, .. } => *status >= 500,
        ApiError::Timeout { .. } | ApiError::Decode { .. } | ApiError::Cancelled => false,
    }
}

/// An id as one URL path segment: ids come from the cloud or the address bar, so
/// anything that is not a plain id character is percent-encoded.
pub fn seg(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nephele_model::Fault;

    #[test]
    fn ids_cannot_escape_their_segment() {
        assert_eq!(seg("141"), "141");
        assert_eq!(seg("../tokens"), "..%2Ftokens");
        assert_eq!(seg("1?X-Auth-Token=x"), "1%3FX-Auth-Token%3Dx");
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let fault =
            |status| ApiError::Fault { path: "/p".into(), status, fault: Fault::conflict("x") };
        assert!(is_transient(&ApiError::Unreachable {
            path: "/p".into(),
            reason: "offline".into()
        }));
        assert!(is_transient(&ApiError::Status {
            path: "/p".into(),
            status: 502,
            body: String::new()
        }));
        assert!(is_transient(&fault(503)));
        assert!(!is_transient(&fault(409)));
        assert!(!is_transient(&ApiError::Timeout { path: "/p".into() }));
    }
}
