//! `/networks/:id`: overview, subnets, connected ports and servers; rename in
//! place, connect servers, disconnect ports, dependency-aware delete.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use nephele_model::network::Network;
use nephele_model::port::Port;

use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, CopyButton, FaultView, Freshness, StatusBadge};
use crate::components::network_delete::DeleteNetworkDialog;
use crate::components::ports::{ConnectDialog, DisconnectDialog, PortRow};
use crate::state::notify::Announcer;
use crate::state::store::{all, Store};

#[component]
pub fn NetworkDetail() -> impl IntoView {
    let store = expect_context::<Store>();
    let params = use_params_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());

    let load = LocalResource::new(move || {
        let id = id.get();
        until_view_gone(async move {
            // The whole list too: a router's gateway is named by its network.
            let needed = vec![
                store.load_network(&id),
                store.load_ports(),
                store.load_servers(),
                store.load_floating_ips(),
            ];
            let helpful = vec![store.load_networks(), store.load_subnets(), store.load_routers()];
            let (needed, _) = futures::future::join(all(needed), all(helpful)).await;
            let _ = store.load_projects().await;
            needed
        })
    });
    let network = Memo::new(move |_| store.networks.get(&id.get()));
    let connecting = RwSignal::new(None::<Network>);
    let deleting = RwSignal::new(None::<Network>);
    let on_deleted = Callback::new(move |_| navigate("/networks", Default::default()));

    view! {
        <section class="page">
            <p class="breadcrumb"><A href="/networks">"Networks"</A>" / "{move || id.get()}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading network…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            {move || network.get().map(|n| view! {
                                <Overview network=n
                                    on_connect=Callback::new(move |n| connecting.set(Some(n)))
                                    on_delete=Callback::new(move |n| deleting.set(Some(n)))
                                    updated_at=Signal::derive(move || store.ports.updated_at.get())
                                    on_refresh=Callback::new(move |_| load.refetch()) />
                            })}
                            <Subnets network_id=id />
                            <Show when=move || store.cloud.capabilities().routers>
                                <Reach network_id=id />
                            </Show>
                            <ConnectedPorts network_id=id />
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <ConnectDialog target=connecting />
            <DeleteNetworkDialog target=deleting on_deleted=on_deleted />
        </section>
    }
}

#[component]
fn Overview(
    network: Network,
    on_connect: Callback<Network>,
    on_delete: Callback<Network>,
    #[prop(into)] updated_at: Signal<Option<f64>>,
    on_refresh: Callback<()>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let n = network.clone();
    let project =
        n.project().map(|p| store.project_name(p)).unwrap_or_else(|| "— (the cloud's)".into());
    let (n1, n2) = (network.clone(), network.clone());
    view! {
        <div class="page-head">
            <RenameNetwork network=network.clone() />
            <div class="toolbar">
                <Freshness updated_at=updated_at busy=Signal::derive(|| false) on_refresh=on_refresh />
                <Show when=move || store.cloud.capabilities().connect_servers>
                    <button type="button" class="button primary" disabled=n.public
                        aria-describedby=n.public.then_some("net-public-reason")
                        on:click={
                            let n1 = n1.clone();
                            move |_| on_connect.run(n1.clone())
                        }>"Connect servers"</button>
                </Show>
                <button type="button" class="button danger" disabled=n.public
                    aria-describedby=n.public.then_some("net-public-reason")
                    on:click=move |_| on_delete.run(n2.clone())>"Delete network"</button>
            </div>
        </div>
        {n.public.then(|| view! {
            <p class="notice" id="net-public-reason">"This network belongs to the cloud: it cannot be deleted, and servers reach it through floating IPs."</p>
        })}
        <div class="panel">
            <dl class="facts">
                <div><dt>"ID"</dt><dd class="mono">{n.id.clone()}<CopyButton text=n.id.clone() label=format!("network id {}", n.id) /></dd></div>
                <div><dt>"Status"</dt><dd><StatusBadge status=n.status.to_string() /></dd></div>
                {store.cloud.capabilities_untracked().network_types.then(|| view! {
                    <div><dt>"Type"</dt><dd>{n.kind.to_string()}</dd></div>
                })}
                <div><dt>"Access"</dt><dd>{if n.public { "Public" } else { "Private" }}</dd></div>
                <div><dt>"Project"</dt><dd>{project}</dd></div>
                <div><dt>"Floating-IP pool"</dt><dd>{if n.floating_ip_pool { "Yes" } else { "No" }}</dd></div>
                <div><dt>"Created"</dt><dd>{crate::state::clock::timestamp(&n.created)}</dd></div>
            </dl>
        </div>
    }
}

#[component]
fn RenameNetwork(network: Network) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(network.name.clone());
    let error = RwSignal::new(None::<ApiError>);
    let id = network.id.clone();
    let rename = Action::new_local(move |name: &String| {
        let (id, name) = (id.clone(), name.clone());
        async move { store.rename_network(&id, &name).await }
    });
    Effect::new(move |_| match rename.value().get() {
        Some(Ok(n)) => {
            announcer.announce(format!("Network renamed to “{}”.", n.name));
            editing.set(false);
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let save = move || {
        let name = draft.get_untracked().trim().to_owned();
        if !name.is_empty() && name.chars().count() <= 128 {
            rename.dispatch_local(name);
        }
    };
    let title = if network.name.is_empty() {
        format!("Network {}", network.id)
    } else {
        network.name.clone()
    };
    let public = network.public;
    view! {
        <div>
            <Show when=move || editing.get() fallback=move || view! {
                <div class="inline-edit">
                    <h1>{title.clone()}</h1>
                    <button type="button" class="button subtle" disabled=public
                        title=if public { "The public network cannot be renamed" } else { "" }
                        on:click=move |_| editing.set(true)>"Rename"</button>
                </div>
            }>
                <form class="inline-edit" on:submit=move |ev| { ev.prevent_default(); save(); }
                    on:keydown=move |ev| if ev.key() == "Escape" { editing.set(false); }>
                    <label for="rename" class="visually-hidden">"New name"</label>
                    <input id="rename" type="text" maxlength="128" autofocus
                        bind:value=draft />
                    <button type="submit" class="button primary" disabled=move || rename.pending().get() || draft.with(|d| d.trim().is_empty())>
                        {move || if rename.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                    <button type="button" class="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <FaultView error=e /> })}
        </div>
    }
}

#[component]
fn Subnets(#[prop(into)] network_id: Signal<String>) -> impl IntoView {
    let store = expect_context::<Store>();
    let subnets = move || {
        store
            .subnets
            .values()
            .into_iter()
            .filter(|s| s.network_id == network_id.get())
            .collect::<Vec<_>>()
    };
    view! {
        <h2>"Subnets"</h2>
        <Show when=move || !subnets().is_empty() fallback=|| view! {
            <p class="empty">"No subnet: servers connected here get no IPv4 address. Synnefo only allows adding one before the first server connects."</p>
        }>
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th scope="col">"ID"</th><th scope="col">"CIDR"</th><th scope="col">"Gateway"</th>
                        <th scope="col">"DHCP"</th><th scope="col">"Allocation pools"</th>
                    </tr></thead>
                    <tbody>
                        {move || subnets().into_iter().map(|s| view! {
                            <tr>
                                <th scope="row" class="mono">{s.id.clone()}</th>
                                <td class="mono">{s.cidr.clone()}</td>
                                <td class="mono">{s.gateway_ip.clone().unwrap_or_else(|| "none".into())}</td>
                                <td>{if s.enable_dhcp { "on" } else { "off" }}</td>
                                <td class="mono">{s.allocation_pools.iter().map(|p| format!("{}–{}", p.start, p.end)).collect::<Vec<_>>().join(", ")}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn ConnectedPorts(#[prop(into)] network_id: Signal<String>) -> impl IntoView {
    let store = expect_context::<Store>();
    let selection = RwSignal::new(HashSet::<String>::new());
    let removing = RwSignal::new(Vec::<Port>::new());
    let rows = move || {
        let net = network_id.get();
        store
            .ports
            .rows()
            .into_iter()
            .filter(|r| r.value.with(|p| p.network_id == net))
            .collect::<Vec<_>>()
    };
    let disconnect_selected = move |_| {
        let chosen = selection.get_untracked();
        removing.set(
            store.ports.values_untracked().into_iter().filter(|p| chosen.contains(&p.id)).collect(),
        );
    };
    view! {
        <h2>"Connected ports"</h2>
        <div class="section-actions">
            <button type="button" class="button" disabled=move || selection.with(HashSet::is_empty) on:click=disconnect_selected>
                {move || match selection.with(HashSet::len) { 0 => "Disconnect selected".to_owned(), n => format!("Disconnect selected ({n})") }}
            </button>
        </div>
        <Show when=move || !rows().is_empty() fallback=|| view! { <p class="empty">"No server is connected to this network."</p> }>
            <div class="table-wrap">
                <table class="data">
                    <caption class="visually-hidden">"Ports on this network"</caption>
                    <thead><tr>
                        <th scope="col"><span class="visually-hidden">"Select"</span></th>
                        <th scope="col">"Port"</th><th scope="col">"Server"</th><th scope="col">"Addresses"</th>
                        <th scope="col">"MAC"</th><th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=rows key=|r| r.id.clone() let:row>
                            <PortRow row=row selection=selection on_delete=Callback::new(move |p| removing.set(vec![p])) />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        <DisconnectDialog target=removing on_done=Callback::new(move |_| selection.set(HashSet::new())) />
    }
}

/// Neutron: which routers connect this network's subnets (and to which
/// external network), and which floating IPs reach its ports through them.
#[component]
fn Reach(network_id: Memo<String>) -> impl IntoView {
    let store = expect_context::<Store>();
    let routers = Memo::new(move |_| {
        let id = network_id.get();
        let mut out: Vec<(String, String)> = store
            .ports
            .values()
            .into_iter()
            .filter(|p| p.network_id == id)
            .filter(|p| {
                nephele_model::neutron::Owner::of(p.device_owner.as_deref())
                    == nephele_model::neutron::Owner::RouterInterface
            })
            .filter_map(|p| {
                let router = p.device_id.clone()?;
                let subnet = p.fixed_ips.first().map(|f| f.subnet.clone()).unwrap_or_default();
                Some((router, subnet))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    });
    let floating = Memo::new(move |_| {
        let id = network_id.get();
        let ports: Vec<String> =
            store.ports.values().into_iter().filter(|p| p.network_id == id).map(|p| p.id).collect();
        store
            .floating_ips
            .values()
            .into_iter()
            .filter(|ip| ip.port_id.as_ref().is_some_and(|p| ports.contains(p)))
            .collect::<Vec<_>>()
    });
    view! {
        <section class="panel" aria-labelledby="reach-title">
            <h2 id="reach-title">"Routers and floating IPs"</h2>
            <Show when=move || !routers.with(Vec::is_empty) fallback=|| view! {
                <p class="muted">"No router connects this network: its ports cannot take floating IPs. Add one of its subnets to a router on the "<A href="/routers">"Routers"</A>" page."</p>
            }>
                <ul class="plain">
                    {move || routers.get().into_iter().map(|(router, subnet)| {
                        let gateway = store
                            .routers
                            .get(&router)
                            .and_then(|r| r.gateway_network().map(|g| store.network_name(g)))
                            .map(|g| format!(", gateway on {g}"))
                            .unwrap_or_else(|| ", no gateway".into());
                        view! { <li><A href="/routers">{store.router_label(&router)}</A>{format!(" on subnet {}{gateway}", store.subnet_label(&subnet))}</li> }
                    }).collect_view()}
                </ul>
            </Show>
            <Show when=move || !floating.with(Vec::is_empty)>
                <ul class="plain">
                    {move || floating.get().into_iter().map(|ip| {
                        let to = ip.port_id.as_deref().map(|p| store.port_label(p)).unwrap_or_default();
                        view! { <li><A href="/ips">{ip.floating_ip_address.clone()}</A>{format!(" → {to}")}</li> }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}
