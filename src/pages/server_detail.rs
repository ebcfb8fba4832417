//! `/servers/:id`: one server in one place, on both families: what it is
//! (status, flavor), its connections (connect it to a network, disconnect a
//! port) and its floating IPs (attach, detach, move, release). The steps run in
//! the store; on OpenStack, connecting and disconnecting go through Nova's
//! `os-interface` (`Cloud::connect_server`, `Cloud::remove_port`).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use nephele_model::floating_ip::FloatingIp;
use nephele_model::id::NetworkId;
use nephele_model::port::Port;
use nephele_model::server::Server;

use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, CopyButton, FaultView, Freshness, StatusBadge};
use crate::components::ip_dialog::{IpDialog, Op};
use crate::components::ports::{not_connectable, port_cost, DisconnectDialog, PortRow};
use crate::state::notify::Announcer;
use crate::state::store::{all, Store};

#[component]
pub fn ServerDetail() -> impl IntoView {
    let store = expect_context::<Store>();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let load = LocalResource::new(move || {
        let id = id.get();
        until_view_gone(async move {
            let needed = vec![
                store.load_server(&id),
                store.load_ports(),
                store.load_networks(),
                store.load_floating_ips(),
            ];
            // Routers and subnets say which ports can take a floating IP; Nova's
            // interface list shows a port Neutron's list may not have yet; the
            // other servers are where a floating IP can move to.
            let helpful = vec![
                store.load_servers(),
                store.load_subnets(),
                store.load_routers(),
                store.load_quotas(),
                store.load_server_interfaces(&id),
            ];
            let (needed, _) = futures::future::join(all(needed), all(helpful)).await;
            needed
        })
    });
    let server = Memo::new(move |_| store.servers.get(&id.get()));
    let removing = RwSignal::new(Vec::<Port>::new());
    let ip_op = RwSignal::new(None::<Op>);
    let moving = RwSignal::new(None::<String>);
    let title = move || {
        server
            .get()
            .map(|s| if s.name.is_empty() { s.id } else { s.name })
            .unwrap_or_else(|| id.get())
    };
    view! {
        <section class="page">
            <p class="breadcrumb"><A href="/servers">"Servers"</A>" / "{title}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading server…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            {move || server.get().map(|s| view! {
                                <Overview server=s
                                    updated_at=Signal::derive(move || store.ports.updated_at.get())
                                    on_refresh=Callback::new(move |_| load.refetch()) />
                            })}
                            <Connections server_id=id removing=removing />
                            <ServerIps server_id=id op=ip_op moving=moving />
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <DisconnectDialog target=removing />
            <IpDialog op=ip_op moving=moving server=Signal::derive(move || Some(id.get())) />
        </section>
    }
}

#[component]
fn Overview(
    server: Server,
    #[prop(into)] updated_at: Signal<Option<f64>>,
    on_refresh: Callback<()>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let status = if server.task_state.is_empty() {
        server.status.to_string()
    } else {
        server.task_state.clone()
    };
    let flavor = server.flavor_label();
    let project = (!server.tenant_id.is_empty()).then(|| store.project_name(&server.tenant_id));
    view! {
        <div class="page-head">
            <h1>{if server.name.is_empty() { format!("Server {}", server.id) } else { server.name.clone() }}</h1>
            <div class="toolbar">
                <Freshness updated_at=updated_at busy=Signal::derive(|| false) on_refresh=on_refresh />
            </div>
        </div>
        <div class="panel">
            <dl class="facts">
                <div><dt>"ID"</dt><dd class="mono">{server.id.clone()}<CopyButton text=server.id.clone() label=format!("server id {}", server.id) /></dd></div>
                <div><dt>"Status"</dt><dd><StatusBadge status=status /></dd></div>
                <div><dt>"Flavor"</dt><dd>{if flavor.is_empty() { "—".to_owned() } else { flavor }}</dd></div>
                {project.map(|p| view! { <div><dt>"Project"</dt><dd>{p}</dd></div> })}
                <div><dt>"Created"</dt><dd>{crate::state::clock::timestamp(&server.created)}</dd></div>
            </dl>
        </div>
    }
}

/// The server's ports, and a form to connect it to another network.
#[component]
fn Connections(server_id: Memo<String>, removing: RwSignal<Vec<Port>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let rows = move || {
        let id = server_id.get();
        store
            .ports
            .rows()
            .into_iter()
            .filter(|r| r.value.with(|p| p.device_id.as_deref() == Some(id.as_str())))
            .collect::<Vec<_>>()
    };
    view! {
        <h2>"Networks"</h2>
        <Show when=move || store.cloud.capabilities().connect_servers>
            <ConnectToNetwork server_id=server_id />
        </Show>
        <Show when=move || !rows().is_empty() fallback=|| view! { <p class="empty">"This server is connected to no network."</p> }>
            <div class="table-wrap">
                <table class="data">
                    <caption class="visually-hidden">"This server's ports"</caption>
                    <thead><tr>
                        <th scope="col">"Port"</th><th scope="col">"Network"</th>
                        <th scope="col">"Addresses"</th><th scope="col">"MAC"</th><th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=rows key=|r| r.id.clone() let:row>
                            <PortRow row=row show_network=true hide_server=true on_delete=Callback::new(move |p| removing.set(vec![p])) />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn ConnectToNetwork(server_id: Memo<String>) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let chosen = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    // Private networks; a public one is reached through a floating IP.
    let networks = move || {
        let ports = store.ports.values();
        let server = store.servers.get(&server_id.get());
        let mut nets: Vec<(String, String, Option<String>)> = store
            .networks
            .values()
            .into_iter()
            .filter(|n| !n.public)
            .map(|n| {
                let reason = server.as_ref().and_then(|s| not_connectable(s, &n.id, &ports));
                let name = if n.name.is_empty() { n.id.clone() } else { n.name.clone() };
                (n.id, name, reason)
            })
            .collect();
        nets.sort_by(|a, b| a.1.cmp(&b.1));
        nets
    };
    let connect = Action::new_local(move |network: &String| {
        let network = network.clone();
        let server = server_id.get_untracked();
        async move {
            let mut results = store.connect_servers(NetworkId(&network), &[server]).await;
            results.pop().unwrap_or(Err(ApiError::Cancelled)).map(|port| (network, port))
        }
    });
    Effect::new(move |_| match connect.value().get() {
        Some(Ok((network, port))) => {
            announcer.announce(format!(
                "Connecting to {}: port {} is {}.",
                store.network_name(&network),
                crate::state::actions::short(&port.id),
                port.status
            ));
            chosen.set(String::new());
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let can_connect = move || {
        let c = chosen.get();
        !c.is_empty() && networks().iter().any(|(id, _, reason)| id == &c && reason.is_none())
    };
    view! {
        <form class="inline-form" aria-label="Connect to a network"
            on:submit=move |ev| { ev.prevent_default(); if can_connect() { connect.dispatch_local(chosen.get_untracked()); } }>
            <label for="server-network">"Connect to"</label>
            <select id="server-network" on:change=move |ev| chosen.set(event_target_value(&ev))>
                <option value="">"Choose a network"</option>
                {move || networks().into_iter().map(|(id, name, reason)| {
                    let label = match &reason { Some(r) => format!("{name} — {r}"), None => name };
                    let selected_id = id.clone();
                    view! { <option value=id disabled=reason.is_some() selected=move || chosen.with(|c| c == &selected_id)>{label}</option> }
                }).collect_view()}
            </select>
            <button type="submit" class="button primary" disabled=move || connect.pending().get() || !can_connect()>
                {move || if connect.pending().get() { "Connecting…" } else { "Connect" }}
            </button>
            <p class="hint">{move || port_cost(&store, 1)}</p>
        </form>
        {move || error.get().map(|e| view! { <FaultView error=e /> })}
    }
}

/// The floating IPs on the server's ports, and a way to attach a free one.
#[component]
fn ServerIps(
    server_id: Memo<String>,
    op: RwSignal<Option<Op>>,
    moving: RwSignal<Option<String>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let on_server = move || {
        let id = server_id.get();
        let ports: Vec<String> = store.ports.ids_where(|p| p.device_id.as_deref() == Some(&id));
        store
            .floating_ips
            .values()
            .into_iter()
            .filter(|ip| {
                ip.instance_id.as_deref() == Some(id.as_str())
                    || ip.port_id.as_ref().is_some_and(|p| ports.contains(p))
            })
            .collect::<Vec<_>>()
    };
    let free = move || {
        store
            .floating_ips
            .values()
            .into_iter()
            .filter(|ip| ip.port_id.is_none())
            .collect::<Vec<_>>()
    };
    let chosen = RwSignal::new(String::new());
    let attach = move |_| {
        let c = chosen.get_untracked();
        if let Some(ip) = store.floating_ips.get_untracked(&c) {
            op.set(Some(Op::Attach(ip)));
        }
    };
    let row = move |ip: FloatingIp| {
        let address = ip.floating_ip_address.clone();
        let via = ip.port_id.as_deref().map(|p| store.port_label(p)).unwrap_or_default();
        let busy = {
            let id = ip.id.clone();
            move || moving.with(|m| m.as_deref() == Some(id.as_str()))
        };
        let (a1, a2, a3) = (address.clone(), address.clone(), address.clone());
        let (i1, i2, i3) = (ip.clone(), ip.clone(), ip.clone());
        view! {
            <li>
                <span class="mono">{address.clone()}</span>{format!(" on {via}")}
                " "
                <button type="button" class="button" disabled=busy.clone() aria-label=format!("Move {a1} to another server or port")
                    on:click=move |_| op.set(Some(Op::Move(i1.clone())))>"Move"</button>
                <button type="button" class="button" disabled=busy.clone() aria-label=format!("Detach {a2}")
                    on:click=move |_| op.set(Some(Op::Detach(i2.clone())))>"Detach"</button>
                <button type="button" class="button danger" disabled=busy aria-label=format!("Release {a3}")
                    on:click=move |_| op.set(Some(Op::Release(i3.clone())))>"Release"</button>
            </li>
        }
    };
    view! {
        <h2 id="server-ips">"Floating IPs"</h2>
        <Show when=move || !on_server().is_empty() fallback=|| view! { <p class="empty">"No floating IP is attached to this server."</p> }>
            <ul class="plain">{move || on_server().into_iter().map(row).collect_view()}</ul>
        </Show>
        <Show when=move || !free().is_empty() fallback=|| view! {
            <p class="hint">"You have no free floating IP to attach. Reserve one on the "<A href="/ips">"Floating IPs"</A>" page."</p>
        }>
            <form class="inline-form" aria-label="Attach a floating IP" on:submit=move |ev| { ev.prevent_default(); attach(()); }>
                <label for="server-ip">"Attach"</label>
                <select id="server-ip" on:change=move |ev| chosen.set(event_target_value(&ev))>
                    <option value="">"Choose a free floating IP"</option>
                    {move || free().into_iter().map(|ip| view! {
                        <option value=ip.id.clone()>{format!("{} ({})", ip.floating_ip_address, store.network_name(ip.floating_network_id.as_deref().unwrap_or_default()))}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button" disabled=move || chosen.with(String::is_empty)>"Attach…"</button>
            </form>
        </Show>
    }
}
