//! `/networks`: every network the user can see, with subnets and connected
//! servers; sort and filter live in the URL so a link reproduces the view.
//! Create (with subnet and project), rename in place, dependency-aware delete.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::query_signal_with_options;
use leptos_router::NavigateOptions;
use nephele_model::network::Network;
use nephele_model::{PortStatus, Resource};

use crate::api::cloud::NewNetwork;
use crate::api::explain::Context;
use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, CopyButton, FaultView, Freshness, StatusBadge};
use crate::components::network_delete::DeleteNetworkDialog;
use crate::components::network_form::{NetworkForm, ProjectChoice};
use crate::components::table::{aria_rowcount, is_long, LongBody, Place};
use crate::state::notify::Announcer;
use crate::state::session::SessionContext;
use crate::state::store::{all, Row, Store};

/// Why the public network's delete button is disabled.
pub const PUBLIC_REASON: &str =
    "Public networks belong to the cloud and cannot be deleted by tenants.";

/// Columns the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Id,
    Status,
    Type,
}

impl SortKey {
    pub fn parse(s: &str) -> SortKey {
        match s {
            "id" => SortKey::Id,
            "status" => SortKey::Status,
            "type" => SortKey::Type,
            _ => SortKey::Name,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Id => "id",
            SortKey::Status => "status",
            SortKey::Type => "type",
        }
    }
}

/// For the `?sort=` query parameter ([`query_signal`]); unknown values sort by name.
impl std::str::FromStr for SortKey {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<SortKey, Self::Err> {
        Ok(SortKey::parse(s))
    }
}

impl std::fmt::Display for SortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Filter by a case-insensitive match on name, id, type or CIDR, then sort.
pub fn arrange(
    mut nets: Vec<(Network, Vec<String>)>,
    query: &str,
    key: SortKey,
    descending: bool,
) -> Vec<String> {
    let q = query.trim().to_lowercase();
    if !q.is_empty() {
        nets.retain(|(n, cidrs)| {
            n.name.to_lowercase().contains(&q)
                || n.id == q
                || n.kind.as_str().to_lowercase().contains(&q)
                || cidrs.iter().any(|c| c.contains(&q))
                || (q == "public" && n.public)
                || (q == "private" && !n.public)
        });
    }
    let numeric = |id: &str| id.parse::<u64>().unwrap_or(u64::MAX);
    nets.sort_by(|(a, _), (b, _)| {
        let primary = match key {
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Id => std::cmp::Ordering::Equal,
            SortKey::Status => a.status.cmp(&b.status),
            SortKey::Type => a.kind.cmp(&b.kind),
        };
        primary.then_with(|| numeric(&a.id).cmp(&numeric(&b.id)))
    });
    if descending {
        nets.reverse();
    }
    nets.into_iter().map(|(n, _)| n.id).collect()
}

/// The projects a network can be charged to, with private networks left.
pub fn project_choices(store: &Store, session: &SessionContext) -> Vec<ProjectChoice> {
    let quotas = store.quotas.get();
    // OpenStack: objects go to the project the token is scoped to, no other.
    if !store.cloud.capabilities().project_per_object {
        let current = session.get().and_then(|s| s.default_project).unwrap_or_default();
        let available = quotas
            .as_ref()
            .and_then(|q| q.get(&current))
            .and_then(|r| r.get(Resource::PrivateNetwork.as_str()))
            .map(|e| e.available());
        let name = store.project_name(&current);
        return vec![ProjectChoice { id: current, name, available }];
    }
    let mut ids: Vec<String> = session.get().map(|s| s.projects).unwrap_or_default();
    if let Some(q) = &quotas {
        for id in q.keys() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let user = session.get().map(|s| s.user_id).unwrap_or_default();
    ids.into_iter()
        .map(|id| {
            let available = quotas
                .as_ref()
                .and_then(|q| q.get(&id))
                .and_then(|r| r.get(Resource::PrivateNetwork.as_str()))
                .map(|e| e.available());
            let name = if id == user {
                "Personal (system project)".to_owned()
            } else {
                store.project_name(&id)
            };
            ProjectChoice { id, name, available }
        })
        .collect()
}

#[component]
pub fn Networks() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let announcer = expect_context::<Announcer>();
    // Filter and sort live in the URL (`?q=…&sort=status&dir=desc`): shareable,
    // and kept on reload and back. Typing replaces the entry instead of adding one.
    let in_place = || NavigateOptions { replace: true, scroll: false, ..Default::default() };
    let (q_param, set_q) = query_signal_with_options::<String>("q", in_place());
    let (sort_param, set_sort) = query_signal_with_options::<SortKey>("sort", in_place());
    let (dir_param, set_dir) = query_signal_with_options::<String>("dir", in_place());

    let load = LocalResource::new(move || {
        until_view_gone(async move {
            let loaded = all(vec![
                store.load_networks(),
                store.load_subnets(),
                store.load_ports(),
                store.load_servers(),
                store.load_floating_ips(),
            ])
            .await;
            // Quotas and project names help, but the list stands without them.
            let _ = all(vec![store.load_quotas(), store.load_projects()]).await;
            loaded
        })
    });
    let refreshing = Signal::derive(move || load.get().is_none());

    let q = move || q_param.get().unwrap_or_default();
    let sort = move || sort_param.get().unwrap_or(SortKey::Name);
    let descending = move || dir_param.get().as_deref() == Some("desc");
    let set_query = Callback::new(move |(q, sort, desc): (String, SortKey, bool)| {
        set_q.set(Some(q).filter(|q| !q.is_empty()));
        set_sort.set(Some(sort).filter(|s| *s != SortKey::Name));
        set_dir.set(desc.then(|| "desc".to_owned()));
    });

    let cidrs_of = move |n: &Network| -> Vec<String> {
        n.subnets.iter().filter_map(|s| store.subnets.get(s).map(|s| s.cidr)).collect()
    };
    let ordered = Memo::new(move |_| {
        let nets = store.networks.values().into_iter().map(|n| {
            let c = cidrs_of(&n);
            (n, c)
        });
        arrange(nets.collect(), &q(), sort(), descending())
    });
    let columns = if store.cloud.capabilities_untracked().network_types { 8 } else { 7 };
    // The rows in the filter's order: a lookup each, not a scan.
    let rows = Memo::new(move |_| {
        ordered.get().iter().filter_map(|id| store.networks.row(id)).collect::<Vec<_>>()
    });

    let creating = RwSignal::new(false);
    let create = Action::new_local(move |new: &NewNetwork| {
        let new = new.clone();
        async move { store.create_network(&new).await }
    });
    let create_error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match create.value().get() {
        Some(Ok(network)) => {
            announcer.announce(format!("Network “{}” created.", network.name));
            creating.set(false);
            create_error.set(None);
            spawn_local(async move {
                let _ = all(vec![store.load_subnets(), store.load_quotas()]).await;
            });
        }
        Some(Err(e)) => create_error.set(Some(e)),
        None => {}
    });
    let network_limit = move || {
        let project = session.get().and_then(|s| s.default_project);
        store.quotas.with(|q| {
            q.as_ref()
                .and_then(|q| q.get(project.as_deref()?))
                .and_then(|r| r.get(Resource::PrivateNetwork.as_str()))
                .map(|e| e.limit)
        })
    };

    let deleting = RwSignal::new(None::<Network>);
    let connections = connections_by_network(store);
    let header = move |key: SortKey, label: &'static str| {
        let aria = move || {
            if sort() == key {
                if descending() {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            }
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button type="button" class="sort" on:click=move |_| {
                    let desc = sort() == key && !descending();
                    set_query.run((q(), key, desc));
                }>
                    {label}
                    <span class="sort-mark" aria-hidden="true">
                        {move || if sort() != key { "" } else if descending() { " ▼" } else { " ▲" }}
                    </span>
                </button>
            </th>
        }
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Networks"</h1>
                <div class="toolbar">
                    <Freshness
                        updated_at=Signal::derive(move || store.networks.updated_at.get())
                        busy=refreshing
                        on_refresh=Callback::new(move |_| load.refetch())
                    />
                    <button type="button" class="button primary" on:click=move |_| creating.set(true)
                        disabled=move || creating.get()>
                        "Create network"
                    </button>
                </div>
            </div>
            <Show when=move || creating.get()>
                <NetworkForm
                    projects=Signal::derive(move || project_choices(&store, &session))
                    default_project=Signal::derive(move || session.get().and_then(|s| s.default_project))
                    busy=create.pending()
                    on_submit=Callback::new(move |n| { create.dispatch_local(n); })
                    on_cancel=Callback::new(move |_| { creating.set(false); create_error.set(None); })
                />
                {move || create_error.get().map(|e| view! {
                    <FaultView error=e context=Context { network_limit: network_limit(), ..Context::default() } />
                })}
            </Show>
            <div class="filters">
                <label for="net-filter" class="visually-hidden">"Filter networks"</label>
                <input id="net-filter" type="search" placeholder="Filter by name, id, type, CIDR, public/private"
                    prop:value=q on:input=move |ev| set_query.run((event_target_value(&ev), sort(), descending())) />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading networks…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap" class:windowed=move || rows.with(|r| is_long(r.len()))>
                                <table class="data" aria-rowcount=move || aria_rowcount(rows.with(Vec::len))>
                                    <caption class="visually-hidden">"Networks"</caption>
                                    <thead>
                                        <tr>
                                            {header(SortKey::Name, "Name")}
                                            {header(SortKey::Id, "ID")}
                                            {move || store.cloud.capabilities().network_types.then(|| header(SortKey::Type, "Type"))}
                                            {header(SortKey::Status, "Status")}
                                            <th scope="col">"Access"</th>
                                            <th scope="col">"Subnets"</th>
                                            <th scope="col">"Connected servers"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <LongBody rows=Signal::from(rows) columns=columns row=move |row, place| view! {
                                        <NetworkRow row=row place=place connections=connections on_delete=Callback::new(move |n| deleting.set(Some(n))) />
                                    } />
                                </table>
                            </div>
                            <Show when=move || ordered.with(Vec::is_empty)>
                                <p class="empty">
                                    {move || if q().is_empty() { "You have no networks yet." } else { "No network matches this filter." }}
                                </p>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <DeleteNetworkDialog target=deleting on_deleted=Callback::new(|_| ()) />
        </section>
    }
}

/// "Server 1 (141), Server 1 (142) (build)" for each network: computed once per
/// change of the port list, so each row reads one memo instead of every port.
fn connections_by_network(store: Store) -> Memo<HashMap<String, String>> {
    Memo::new(move |_| {
        let mut by_network: HashMap<String, Vec<String>> = HashMap::new();
        for p in store.ports.values() {
            if let Some(device) = &p.device_id {
                let name = store.server_label(device);
                let label = if p.status == PortStatus::Active {
                    name
                } else {
                    format!("{name} ({})", p.status.as_str().to_lowercase())
                };
                by_network.entry(p.network_id.clone()).or_default().push(label);
            }
        }
        by_network
            .into_iter()
            .map(|(net, mut names)| {
                names.sort();
                names.dedup();
                (net, names.join(", "))
            })
            .collect()
    })
}

#[component]
fn NetworkRow(
    row: Row<Network>,
    place: Place,
    connections: Memo<HashMap<String, String>>,
    on_delete: Callback<Network>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let net = row.signal();
    let id = row.id.clone();
    let href = format!("/networks/{}", id);
    let subnets = move || {
        net.with(|n| n.subnets.clone())
            .into_iter()
            .map(|s| store.subnets.get(&s).map(|s| s.cidr).unwrap_or(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let net_id = id.clone();
    let servers = move || connections.with(|c| c.get(&net_id).cloned()).unwrap_or_default();
    let name = move || {
        net.with(|n| if n.name.is_empty() { "(no name)".to_owned() } else { n.name.clone() })
    };
    let reason_id = format!("public-reason-{id}");
    let reason_id2 = reason_id.clone();
    view! {
        <tr aria-rowindex=place.aria_rowindex>
            <th scope="row"><A href=href>{name}</A></th>
            <td class="mono" title=id.clone()>{crate::state::actions::short(&id).to_owned()}<CopyButton text=id.clone() label=format!("network id {id}") /></td>
            {untrack(|| store.cloud.capabilities().network_types).then(|| view! { <td>{move || net.with(|n| n.kind.to_string())}</td> })}
            <td><StatusBadge status=Signal::derive(move || net.with(|n| n.status.to_string())) /></td>
            <td>{move || if net.with(|n| n.public) { "Public" } else { "Private" }}</td>
            <td class="mono">{subnets}</td>
            <td>{servers}</td>
            <td class="actions">
                <button type="button" class="button danger"
                    disabled=move || net.with(|n| n.public)
                    title=move || net.with(|n| n.public).then_some(PUBLIC_REASON)
                    aria-describedby=move || net.with(|n| n.public).then(|| reason_id.clone())
                    on:click=move |_| on_delete.run(net.get_untracked())
                    aria-label=move || format!("Delete network {}", net.with(|n| if n.name.is_empty() { n.id.clone() } else { n.name.clone() }))>
                    "Delete"
                </button>
                <Show when=move || net.with(|n| n.public)>
                    <span id=reason_id2.clone() class="visually-hidden">{PUBLIC_REASON}</span>
                </Show>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nephele_model::{NetworkKind, NetworkStatus};

    fn net(id: &str, name: &str, status: NetworkStatus, public: bool) -> (Network, Vec<String>) {
        (
            Network {
                id: id.into(),
                name: name.into(),
                status,
                public,
                kind: NetworkKind::MacFiltered,
                ..Network::default()
            },
            vec![],
        )
    }

    #[test]
    fn filters_and_sorts() {
        let nets = vec![
            net("1", "public_network", NetworkStatus::Active, true),
            net("10", "b-lan", NetworkStatus::Active, false),
            net("2", "A-lan", NetworkStatus::Error, false),
        ];
        assert_eq!(arrange(nets.clone(), "", SortKey::Name, false), ["2", "10", "1"]);
        assert_eq!(arrange(nets.clone(), "", SortKey::Id, false), ["1", "2", "10"]);
        assert_eq!(arrange(nets.clone(), "", SortKey::Id, true), ["10", "2", "1"]);
        assert_eq!(arrange(nets.clone(), "", SortKey::Status, false), ["1", "10", "2"]);
        assert_eq!(arrange(nets.clone(), "LAN", SortKey::Name, false), ["2", "10"]);
        assert_eq!(arrange(nets.clone(), "private", SortKey::Id, false), ["2", "10"]);
        assert_eq!(arrange(nets, "1", SortKey::Id, false), ["1"]);
    }
}
