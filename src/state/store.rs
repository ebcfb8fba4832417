//! The cloud's objects as the portal holds them: one keyed collection per kind,
//! each row its own signal, so a status change re-renders one row and nothing
//! else. Pages load into these collections; the poller updates them.

use std::collections::HashMap;

use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use nephele_model::account::Project;
use nephele_model::floating_ip::FloatingIp;
use nephele_model::network::Network;
use nephele_model::neutron::Router;
use nephele_model::port::Port;
use nephele_model::quota::Quotas;
use nephele_model::server::Server;
use nephele_model::subnet::Subnet;

use crate::api::cloud::Cloud;
use crate::api::ApiError;
use crate::state::pending::PendingPorts;

/// How to connect a subnet to a floating-IP pool: through `router` (which
/// has its gateway on the pool), or through a new router when `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFix {
    pub subnet: String,
    pub network: String,
    pub router: Option<String>,
    pub pool: String,
}

/// Write a signal only when the value really changes (a set always notifies).
/// Both outcomes run one function (`maybe_update`), so a poll that brings news
/// runs code its quiet ticks have already run (and V8 has already compiled).
pub fn set_if_changed<T: PartialEq>(signal: &impl Update<Value = T>, value: T) {
    signal.maybe_update(|old| {
        let changed = *old != value;
        if changed {
            *old = value;
        }
        changed
    });
}

/// Objects with an id.
pub trait Keyed {
    fn key(&self) -> &str;
}

macro_rules! keyed {
    ($($t:ty),*) => {$(impl Keyed for $t { fn key(&self) -> &str { &self.id } })*};
}
keyed!(Network, Subnet, Port, Server, FloatingIp, Router);

/// One row: its id and a signal with the object. The signal is reference
/// counted, not owned by whichever page happened to load it: rows outlive the
/// views that show them. A row's view takes its own handle with [`Row::signal`].
pub struct Row<T: Send + Sync + 'static> {
    pub id: String,
    pub value: ArcRwSignal<T>,
}

impl<T: Send + Sync + 'static> Clone for Row<T> {
    fn clone(&self) -> Self {
        Row { id: self.id.clone(), value: self.value.clone() }
    }
}

/// Two rows are the same row when they hold the same signal.
impl<T: Send + Sync + 'static> PartialEq for Row<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.value == other.value
    }
}

impl<T: Send + Sync + 'static> Row<T> {
    /// A `Copy` handle on the row's signal, owned by the calling view.
    pub fn signal(&self) -> RwSignal<T> {
        RwSignal::from(self.value.clone())
    }
}

/// A keyed list: membership is one signal, each row another.
pub struct Collection<T: Send + Sync + 'static> {
    rows: RwSignal<Vec<Row<T>>>,
    /// Each row's place in `rows`, by id: a lookup is a hash, not a scan of
    /// every row (50,000 ports, each naming a network and a server).
    places: StoredValue<HashMap<String, usize>>,
    /// When the list was last loaded in full (ms since the epoch).
    pub updated_at: RwSignal<Option<f64>>,
}

impl<T: Send + Sync + 'static> Clone for Collection<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Collection<T> {}

impl<T: Keyed + Clone + PartialEq + Send + Sync + 'static> Collection<T> {
    pub fn new() -> Self {
        Collection {
            rows: RwSignal::new(Vec::new()),
            places: StoredValue::new(HashMap::new()),
            updated_at: RwSignal::new(None),
        }
    }

    /// Set the rows, their places first: nothing reads between the two.
    fn set_rows(&self, rows: Vec<Row<T>>) {
        self.places.set_value(rows.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect());
        self.rows.set(rows);
    }

    fn place(&self, id: &str) -> Option<usize> {
        self.places.with_value(|m| m.get(id).copied())
    }

    /// The row with this id, tracking membership only.
    pub fn row(&self, id: &str) -> Option<Row<T>> {
        self.rows.track();
        let at = self.place(id)?;
        self.rows.with_untracked(|rows| rows.get(at).cloned())
    }

    /// Read one object in place, tracking membership and that row only.
    pub fn with<R>(&self, id: &str, read: impl FnOnce(&T) -> R) -> Option<R> {
        self.rows.track();
        let at = self.place(id)?;
        self.rows.with_untracked(|rows| rows.get(at).map(|r| r.value.with(read)))
    }

    /// Read one object in place, without tracking.
    pub fn with_untracked<R>(&self, id: &str, read: impl FnOnce(&T) -> R) -> Option<R> {
        let at = self.place(id)?;
        self.rows.with_untracked(|rows| rows.get(at).map(|r| r.value.with_untracked(read)))
    }

    /// The rows, tracking membership only.
    pub fn rows(&self) -> Vec<Row<T>> {
        self.rows.get()
    }

    /// Every object, tracking every row.
    pub fn values(&self) -> Vec<T> {
        self.rows.with(|rows| rows.iter().map(|r| r.value.get()).collect())
    }

    /// Read every object in place, tracking every row, cloning none.
    pub fn for_each(&self, mut read: impl FnMut(&T)) {
        self.rows.with(|rows| rows.iter().for_each(|r| r.value.with(|v| read(v))));
    }

    /// The ids of the objects that match, tracking every row but cloning none.
    pub fn ids_where(&self, mut keep: impl FnMut(&T) -> bool) -> Vec<String> {
        self.rows.with(|rows| {
            rows.iter().filter(|r| r.value.with(|v| keep(v))).map(|r| r.id.clone()).collect()
        })
    }

    /// Is there a row with this id? Without tracking, and cloning nothing.
    pub fn contains_untracked(&self, id: &str) -> bool {
        self.place(id).is_some()
    }

    /// How many rows there are, without tracking.
    pub fn len_untracked(&self) -> usize {
        self.rows.with_untracked(Vec::len)
    }

    /// Every object, without tracking.
    pub fn values_untracked(&self) -> Vec<T> {
        self.rows.with_untracked(|rows| rows.iter().map(|r| r.value.get_untracked()).collect())
    }

    pub fn get(&self, id: &str) -> Option<T> {
        self.with(id, T::clone)
    }

    pub fn get_untracked(&self, id: &str) -> Option<T> {
        let at = self.place(id)?;
        self.rows.with_untracked(|rows| rows.get(at).map(|r| r.value.get_untracked()))
    }

    /// Replace the whole list with a fresh answer: unchanged rows are not
    /// touched, changed rows update their own signal, and membership changes only
    /// when ids come or go.
    pub fn replace_all(&self, items: Vec<T>) {
        self.replace_all_with(items, |_, _| {});
    }

    /// [`Collection::replace_all`], telling `changed` about each row that was
    /// added or changed (`Some`) or removed (`None`), and about no other.
    pub fn replace_all_with(&self, items: Vec<T>, mut changed: impl FnMut(&str, Option<&T>)) {
        let mut by_id: HashMap<String, ArcRwSignal<T>> = self
            .rows
            .with_untracked(|rows| rows.iter().map(|r| (r.id.clone(), r.value.clone())).collect());
        let same_members = self.rows.with_untracked(|rows| {
            rows.len() == items.len() && rows.iter().zip(&items).all(|(r, i)| r.id == i.key())
        });
        let mut next = Vec::with_capacity(items.len());
        for item in items {
            let id = item.key().to_owned();
            let value = match by_id.remove(&id) {
                Some(signal) => {
                    if signal.with_untracked(|old| old != &item) {
                        changed(&id, Some(&item));
                        signal.set(item);
                    }
                    signal
                }
                None => {
                    changed(&id, Some(&item));
                    ArcRwSignal::new(item)
                }
            };
            next.push(Row { id, value });
        }
        for id in by_id.keys() {
            changed(id, None);
        }
        if !same_members {
            self.set_rows(next);
        }
        self.updated_at.set(Some(js_sys::Date::now()));
    }

    /// Add an object, or update it in place.
    pub fn upsert(&self, item: T) {
        let existing = self
            .place(item.key())
            .and_then(|at| self.rows.with_untracked(|rows| rows.get(at).map(|r| r.value.clone())));
        match existing {
            Some(signal) => set_if_changed(&signal, item),
            None => {
                let id = item.key().to_owned();
                let mut rows = self.rows.get_untracked();
                let at = rows.partition_point(|r| id_order(&r.id, &id));
                rows.insert(at, Row { id, value: ArcRwSignal::new(item) });
                self.set_rows(rows);
            }
        }
    }

    pub fn remove(&self, id: &str) {
        if self.contains_untracked(id) {
            let mut rows = self.rows.get_untracked();
            rows.retain(|r| r.id != id);
            self.set_rows(rows);
        }
    }

    /// Forget every row (the session ended).
    pub fn clear(&self) {
        self.set_rows(Vec::new());
        self.updated_at.set(None);
    }
}

impl<T: Keyed + Clone + PartialEq + Send + Sync + 'static> Default for Collection<T> {
    fn default() -> Self {
        Collection::new()
    }
}

/// Synnefo lists objects by numeric id: keep inserted rows in that order.
fn id_order(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x < y,
        _ => a < b,
    }
}

/// One read of the store: every `load_*` returns this same boxed type.
pub type Read = LocalBoxFuture<'static, Result<(), ApiError>>;

/// Run reads side by side and give the first error, if any. Every page uses
/// this one `JoinAll` of one boxed type rather than a `join!` of its own, so
/// the bundle holds one copy of the joining code instead of one per page.
pub async fn all(reads: Vec<Read>) -> Result<(), ApiError> {
    futures::future::join_all(reads).await.into_iter().collect()
}

/// Everything the portal knows about the cloud, provided by `App`.
///
/// Its reads return boxed futures: a page's `join!` of several holds pointers,
/// not a copy of each read's state machine (a large share of the bundle).
#[derive(Clone, Copy)]
pub struct Store {
    pub cloud: Cloud,
    pub networks: Collection<Network>,
    pub subnets: Collection<Subnet>,
    pub ports: Collection<Port>,
    pub servers: Collection<Server>,
    pub floating_ips: Collection<FloatingIp>,
    /// Neutron's routers (empty on Synnefo, which has none).
    pub routers: Collection<Router>,
    pub quotas: RwSignal<Option<Quotas>>,
    pub projects: RwSignal<Vec<Project>>,
    /// Which ports are waiting for the cloud (BUILD, or being deleted).
    pub pending: PendingPorts,
    /// The project being switched to (OpenStack), while its token is fetched:
    /// the page is hidden meanwhile, so nothing is done in the old project.
    pub switching: RwSignal<Option<String>>,
}

impl Store {
    pub fn new(cloud: Cloud) -> Store {
        Store {
            cloud,
            networks: Collection::new(),
            subnets: Collection::new(),
            ports: Collection::new(),
            servers: Collection::new(),
            floating_ips: Collection::new(),
            routers: Collection::new(),
            quotas: RwSignal::new(None),
            projects: RwSignal::new(Vec::new()),
            pending: PendingPorts::new(),
            switching: RwSignal::new(None),
        }
    }

    /// Forget everything the last session loaded: after a sign-out (in this tab or
    /// another) no tenant data stays in memory for the next user to glimpse.
    pub fn clear(&self) {
        self.networks.clear();
        self.subnets.clear();
        self.ports.clear();
        self.servers.clear();
        self.floating_ips.clear();
        self.routers.clear();
        self.quotas.set(None);
        self.projects.set(Vec::new());
        self.pending.clear();
    }

    pub fn load_networks(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let list = this.cloud.networks().await?;
            this.networks.replace_all(list);
            Ok(())
        })
    }

    /// Load one network (a deep link may name one that no list has shown yet).
    pub fn load_network(&self, id: &str) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        let id = id.to_owned();
        Box::pin(async move {
            let network = this.cloud.network(&id).await?;
            this.networks.upsert(network);
            Ok(())
        })
    }

    pub fn load_subnets(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let list = this.cloud.subnets().await?;
            this.subnets.replace_all(list);
            Ok(())
        })
    }

    pub fn load_ports(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let list = this.cloud.ports().await?;
            this.apply_ports(list);
            Ok(())
        })
    }

    /// Bring these (pending) ports up to date: where the cloud filters by id,
    /// exactly them in one request; elsewhere, the whole list.
    pub fn load_ports_by_id(
        &self,
        ids: &[String],
    ) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        let ids = ids.to_vec();
        Box::pin(async move {
            if !this.cloud.capabilities_untracked().filter_ports_by_id {
                return this.load_ports().await;
            }
            let found = this.cloud.ports_with_ids(&ids).await?;
            for id in &ids {
                if !found.iter().any(|p| &p.id == id) {
                    this.remove_port(id);
                }
            }
            for port in found {
                this.upsert_port(port);
            }
            Ok(())
        })
    }

    pub fn load_routers(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            if !this.cloud.capabilities_untracked().routers {
                return Ok(());
            }
            let list = this.cloud.routers().await?;
            this.routers.replace_all(list);
            Ok(())
        })
    }

    /// A full port list: the rows that changed (only those) update what is pending.
    pub fn apply_ports(&self, list: Vec<Port>) {
        let pending = self.pending;
        self.ports.replace_all_with(list, |id, port| pending.observe(id, port));
    }

    /// One port, new or changed (a write's answer, or the poller's).
    pub fn upsert_port(&self, port: Port) {
        let id = port.id.clone();
        self.pending.observe(&id, Some(&port));
        self.ports.upsert(port);
    }

    /// A port that is gone.
    pub fn remove_port(&self, id: &str) {
        self.ports.remove(id);
        self.pending.observe(id, None);
    }

    pub fn load_servers(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let list = this.cloud.servers().await?;
            this.servers.replace_all(list);
            Ok(())
        })
    }

    /// Load one server (a deep link may name one that no list has shown yet).
    pub fn load_server(&self, id: &str) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        let id = id.to_owned();
        Box::pin(async move {
            let server = this.cloud.server(&id).await?;
            this.servers.upsert(server);
            Ok(())
        })
    }

    /// A server's interfaces as Nova lists them (OpenStack), put among the
    /// ports: one Neutron's list has not shown yet (just attached) appears at
    /// once, with what Nova says of it. Synnefo has no such list: its ports are
    /// the server's connections.
    pub fn load_server_interfaces(
        &self,
        server: &str,
    ) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        let server = server.to_owned();
        Box::pin(async move {
            if !this.cloud.capabilities_untracked().associate_ips {
                return Ok(());
            }
            for a in this.cloud.server_interfaces(&server).await? {
                if !this.ports.contains_untracked(&a.port_id) {
                    this.upsert_port(a.into_port(&server));
                }
            }
            Ok(())
        })
    }

    pub fn load_floating_ips(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let list = this.cloud.floating_ips().await?;
            this.floating_ips.replace_all(list);
            Ok(())
        })
    }

    pub fn load_quotas(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let quotas = this.cloud.quotas().await?;
            this.quotas.set(Some(quotas));
            Ok(())
        })
    }

    /// Projects only name things: a cloud that does not answer leaves ids shown.
    pub fn load_projects(&self) -> LocalBoxFuture<'static, Result<(), ApiError>> {
        let this = *self;
        Box::pin(async move {
            let projects = this.cloud.projects().await?;
            this.projects.set(projects);
            Ok(())
        })
    }

    /// A project's name, or its id when unknown.
    pub fn project_name(&self, id: &str) -> String {
        self.projects
            .with(|ps| {
                ps.iter().find(|p| p.id == id).map(|p| {
                    if p.system_project {
                        "Personal (system project)".to_owned()
                    } else {
                        p.name.clone()
                    }
                })
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.to_owned())
    }

    /// Ports a floating IP from `pool` can be associated with (Neutron), each
    /// with the reason it cannot when it cannot: the port's subnet must be
    /// connected by a router whose gateway is on the pool, and the port must not
    /// hold another floating IP. `except`: the port the IP is on now. Tracked.
    pub fn ports_for_floating_ip(
        &self,
        pool: &str,
        except: Option<&str>,
    ) -> Vec<(Port, Option<String>)> {
        use nephele_model::neutron::Owner;
        let ports = self.ports.values();
        let routed: Vec<String> = self
            .routers
            .values()
            .into_iter()
            .filter(|r| r.gateway_network() == Some(pool))
            .map(|r| r.id)
            .collect();
        // Subnets that a router with a gateway on the pool has an interface on.
        let reachable: Vec<String> = ports
            .iter()
            .filter(|p| Owner::of(p.device_owner.as_deref()) == Owner::RouterInterface)
            .filter(|p| p.device_id.as_ref().is_some_and(|d| routed.contains(d)))
            .flat_map(|p| p.fixed_ips.iter().map(|f| f.subnet.clone()))
            .collect();
        let taken: Vec<String> =
            self.floating_ips.values().into_iter().filter_map(|ip| ip.port_id).collect();
        ports
            .into_iter()
            .filter(|p| {
                matches!(Owner::of(p.device_owner.as_deref()), Owner::Tenant | Owner::Server)
            })
            .filter(|p| Some(p.id.as_str()) != except)
            .filter(|p| !self.networks.get(&p.network_id).is_some_and(|n| n.public))
            .map(|p| {
                let reason = if taken.contains(&p.id) {
                    Some("has a floating IP already".to_owned())
                } else if !p.fixed_ips.iter().any(|f| reachable.contains(&f.subnet)) {
                    Some("no router connects its subnet to this pool".to_owned())
                } else {
                    None
                };
                (p, reason)
            })
            .collect()
    }

    /// A server's ports that a floating IP from `pool` can go to (Neutron), each
    /// with the reason it cannot when it cannot. Tracked.
    pub fn server_ports_for_floating_ip(
        &self,
        server: &str,
        pool: &str,
        except: Option<&str>,
    ) -> Vec<(Port, Option<String>)> {
        self.ports_for_floating_ip(pool, except)
            .into_iter()
            .filter(|(p, _)| p.device_id.as_deref() == Some(server))
            .collect()
    }

    /// What would give `server` a way to floating IPs from `pool` (Neutron),
    /// when none of its ports has one: the first subnet of its private
    /// networks, added to a router with its gateway on the pool (an existing
    /// one when there is one). `None`: it is on no private network with a
    /// subnet, so it must be connected to one first. Tracked.
    pub fn route_fix(&self, server: &str, pool: &str) -> Option<RouteFix> {
        let subnet = self
            .ports
            .values()
            .into_iter()
            .filter(|p| p.device_id.as_deref() == Some(server))
            .filter(|p| !self.networks.get(&p.network_id).is_some_and(|n| n.public))
            .find_map(|p| p.fixed_ips.first().map(|f| (f.subnet.clone(), p.network_id.clone())))
            .filter(|(subnet, _)| !subnet.is_empty())?;
        let router = self
            .routers
            .values()
            .into_iter()
            .find(|r| r.gateway_network() == Some(pool))
            .map(|r| r.id);
        Some(RouteFix { subnet: subnet.0, network: subnet.1, router, pool: pool.to_owned() })
    }

    /// What a port belongs to, in words: a server, a router, the cloud, or "—".
    pub fn holder_label(&self, port: &Port) -> String {
        use nephele_model::neutron::Owner;
        let device = port.device_id.as_deref().filter(|d| !d.is_empty());
        match (Owner::of(port.device_owner.as_deref()), device) {
            (Owner::RouterInterface, Some(r)) => format!("{} (interface)", self.router_label(r)),
            (Owner::Cloud, _) => {
                let what =
                    port.device_owner.as_deref().unwrap_or("").trim_start_matches("network:");
                format!("the cloud ({what})")
            }
            (_, Some(d)) => self.server_label(d),
            (_, None) => "—".into(),
        }
    }

    /// "router “edge”" or "router <id>".
    pub fn router_label(&self, id: &str) -> String {
        match self.routers.with(id, |r| r.name.clone()).filter(|n| !n.is_empty()) {
            Some(name) => format!("router “{name}”"),
            None => format!("router {id}"),
        }
    }

    /// A network's name, or "network <id>" when it has none or is unknown.
    pub fn network_name(&self, id: &str) -> String {
        self.networks
            .with(id, |n| n.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("network {id}"))
    }

    /// "Server 1 (141)": names repeat, ids do not (Nova's UUIDs are cut to
    /// their first 8 characters, as everywhere on screen).
    pub fn server_label(&self, id: &str) -> String {
        let shown = crate::state::actions::short(id);
        match self.servers.with(id, |s| s.name.clone()).filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} ({shown})"),
            None => format!("server {shown}"),
        }
    }

    /// Mark a port as being deleted: the poller watches it until it is gone.
    pub fn mark_deleting(&self, port_id: &str) {
        self.pending.mark_deleting(port_id);
    }

    /// Is the user's deletion of this port still in progress? (Tracked.)
    pub fn is_deleting(&self, port_id: &str) -> bool {
        self.pending.is_deleting(port_id)
    }
}
