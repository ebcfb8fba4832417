//! Port rows (used by `/ports` and a network's detail page) and the dialogs to
//! connect servers to a network and to disconnect ports.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::id::NetworkId;
use nephele_model::network::Network;
use nephele_model::port::Port;
use nephele_model::server::Server;
use nephele_model::{usage, Resource, ServerStatus};

use crate::api::ApiError;
use crate::components::common::{CopyButton, FaultView, StatusBadge};
use crate::components::dialog::{open_for, Dialog};
use crate::components::table::Place;
use crate::state::clock::Clock;
use crate::state::config::Config;
use crate::state::notify::Announcer;
use crate::state::poller::Poller;
use crate::state::store::{Row, Store};

/// How a port is shown: its status, or DELETING while we wait for it to go.
pub fn shown_status(port: &Port, deleting: bool) -> String {
    if deleting {
        "DELETING".to_owned()
    } else {
        port.status.to_string()
    }
}

/// The addresses of a port, comma-separated.
pub fn addresses(port: &Port) -> String {
    port.fixed_ips
        .iter()
        .map(|ip| ip.ip_address.clone())
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What connecting `count` servers costs, in words: Neutron counts ports
/// against the project's `port` quota; Synnefo does not count them.
pub fn port_cost(store: &Store, count: i64) -> String {
    let entry = store
        .quotas
        .with(|q| q.as_ref()?.values().find_map(|t| t.get(Resource::Port.as_str()).copied()));
    match entry {
        Some(e) => {
            let (after, limit) = usage::after(&e, count);
            format!(
                "Ports: {} of {} used → {} of {} after this.",
                e.usage + e.pending,
                usage::effective_limit(&e),
                after,
                limit
            )
        }
        None => "Ports cost no quota.".to_owned(),
    }
}

/// Why a server cannot be connected right now, if it cannot.
pub fn not_connectable(server: &Server, network_id: &str, ports: &[Port]) -> Option<String> {
    if ports
        .iter()
        .any(|p| p.network_id == network_id && p.device_id.as_deref() == Some(server.id.as_str()))
    {
        return Some("already connected".into());
    }
    if !matches!(
        server.status,
        ServerStatus::Active | ServerStatus::Stopped | ServerStatus::Shutoff
    ) {
        return Some(format!("server is {}", server.status));
    }
    if !server.task_state.is_empty() {
        return Some(format!("busy ({})", server.task_state.to_lowercase()));
    }
    if ports.iter().filter(|p| p.device_id.as_deref() == Some(server.id.as_str())).count() >= 8 {
        return Some("has the maximum of 8 connections".into());
    }
    None
}

#[component]
pub fn PortRow(
    row: Row<Port>,
    /// Show the network column (the `/ports` page does; a network's page does not).
    #[prop(optional)]
    show_network: bool,
    /// Leave out the server column (a server's own page).
    #[prop(optional)]
    hide_server: bool,
    /// Ports ticked for a bulk action, if the table offers one.
    #[prop(optional)]
    selection: Option<RwSignal<HashSet<String>>>,
    /// Its place in a long (windowed) table.
    #[prop(optional)]
    place: Option<Place>,
    on_delete: Callback<Port>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let poller = expect_context::<Poller>();
    let clock = expect_context::<Clock>();
    let port = row.signal();
    let id = row.id.clone();
    // This row's own signals: a change to another port does not touch it, and
    // only a pending row follows the clock.
    let cell = poller.hold(&id);
    let held = id.clone();
    on_cleanup(move || poller.release(&held));
    let deleting = RwSignal::from(cell.deleting);
    let since = RwSignal::from(cell.since);
    let stuck = RwSignal::from(cell.stuck);
    let pending = poller.pending();
    let awaiting_id = StoredValue::new(id.clone());
    let awaiting_up = move || awaiting_id.with_value(|id| pending.is_awaiting_up(id));
    // Memos: a poll that brings the same status or MAC redraws nothing, and
    // the badge's pieces share one computation.
    let status = Memo::new(move |_| port.with(|p| shown_status(p, deleting.get())));
    let mac = Memo::new(move |_| port.with(|p| p.mac_address.clone()));
    let pending_for = Memo::new(move |_| since.get().map(|t| clock.now() - t));
    // A port's network, server and addresses never change: read them once, so a
    // row holds only the reactive pieces that can move (status, MAC, pending).
    let (network_id, device_id, addrs) =
        port.with_untracked(|p| (p.network_id.clone(), p.device_id.clone(), addresses(p)));
    let server = untrack(|| port.with(|p| store.holder_label(p)));
    // A server's port links to the server's page. Row links are plain `<a>`s:
    // the router handles their clicks all the same, while `<A>` would give each
    // of thousands of rows its own route and location tracking.
    let server_page =
        device_id.filter(|d| store.servers.contains_untracked(d)).map(|d| format!("/servers/{d}"));
    // Who may remove a port never changes: a server's or a router's cannot be
    // deleted here on Neutron, and the row says why.
    let undeletable = untrack(|| port.with(|p| store.cloud.port_not_deletable(p)));
    let network_name = untrack(|| store.network_name(&network_id));
    let keep_id = id.clone();
    let select_id = id.clone();
    let label = format!("port {id}");
    view! {
        <tr aria-rowindex=place.and_then(|p| p.aria_rowindex)>
            {selection.map(|sel| {
                let sid = select_id.clone();
                let sid2 = select_id.clone();
                view! {
                    <td>
                        <input type="checkbox" aria-label=format!("Select port {sid}")
                            prop:checked=move || sel.with(|s| s.contains(&sid))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                sel.update(|s| { if on { s.insert(sid2.clone()); } else { s.remove(&sid2); } });
                            } />
                    </td>
                }
            })}
            <th scope="row" class="mono" title=id.clone()>{crate::state::actions::short(&id).to_owned()}<CopyButton text=id.clone() label=label /></th>
            {show_network.then(|| view! {
                <td><a href=format!("/networks/{network_id}")>{network_name}</a></td>
            })}
            {(!hide_server).then(|| view! {
                <td>{match server_page {
                    Some(href) => view! { <a href=href>{server}</a> }.into_any(),
                    None => server.into_any(),
                }}</td>
            })}
            <td class="mono">
                {if addrs.is_empty() {
                    view! { <span class="muted">"none"</span> }.into_any()
                } else {
                    view! { {addrs.clone()}<CopyButton text=addrs.clone() label=format!("addresses {addrs}") /> }.into_any()
                }}
            </td>
            <td class="mono">{move || mac.get().unwrap_or_else(|| "—".into())}</td>
            <td>
                <StatusBadge status=status pending_for=pending_for />
                <Show when=move || stuck.get() && awaiting_up()>
                    <span class="stuck">
                        " Not bound: it stays DOWN until a server uses it."
                    </span>
                </Show>
                <Show when=move || stuck.get() && !awaiting_up()>
                    <span class="stuck">
                        " Taking longer than expected. "
                        <button type="button" class="button subtle" on:click={
                            let keep_id = keep_id.clone();
                            move |_| poller.keep_waiting(&keep_id)
                        }>"Keep waiting"</button>
                    </span>
                </Show>
            </td>
            <td class="actions">
                <button type="button" class="button danger" disabled=move || deleting.get() || undeletable.is_some()
                    aria-label=format!("Delete port {id}")
                    aria-describedby=undeletable.map(|_| format!("port-undeletable-{id}"))
                    on:click=move |_| on_delete.run(port.get_untracked())>
                    {move || if deleting.get() { "Deleting…" } else { "Delete" }}
                </button>
                {undeletable.map(|why| view! { <p class="hint" id=format!("port-undeletable-{}", row.id)>{why}</p> })}
            </td>
        </tr>
    }
}

/// Confirm and run the removal of some ports, waiting until they are gone.
#[component]
pub fn DisconnectDialog(
    /// The ports to remove; empty keeps the dialog closed.
    target: RwSignal<Vec<Port>>,
    /// Runs once every port is gone.
    #[prop(optional)]
    on_done: Option<Callback<()>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let config = expect_context::<Config>();
    let announcer = expect_context::<Announcer>();
    let open = RwSignal::new(false);
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    open_for(
        open,
        running,
        move || !target.with(Vec::is_empty),
        move || error.set(None),
        move || target.set(Vec::new()),
    );
    let describe = move |p: &Port| match &p.device_id {
        Some(d) => format!(
            "port {} ({} on {})",
            p.id,
            store.server_label(d),
            store.network_name(&p.network_id)
        ),
        None => format!("port {} (on {})", p.id, store.network_name(&p.network_id)),
    };
    let title = Signal::derive(move || match target.with(Vec::len) {
        1 => format!("Delete port {}", target.with(|t| t[0].id.clone())),
        n => format!("Delete {n} ports"),
    });
    let confirm = Signal::derive(move || {
        if target.with(Vec::len) == 1 {
            "Delete port".to_owned()
        } else {
            "Delete ports".to_owned()
        }
    });
    let run = move || {
        let ports = target.get_untracked();
        running.set(true);
        let give_up = config.poll().give_up_ms;
        spawn_local(async move {
            let count = ports.len();
            let result = store.disconnect(ports, give_up, |_, _| {}).await;
            running.set(false);
            match result {
                Ok(()) => {
                    announcer.announce(if count == 1 {
                        "Port deleted.".to_owned()
                    } else {
                        format!("{count} ports deleted.")
                    });
                    open.set(false);
                    if let Some(done) = on_done {
                        done.run(());
                    }
                    let _ = store.load_servers().await;
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Dialog open=open title=title confirm=confirm danger=true disabled=Signal::derive(move || running.get())
            on_confirm=Callback::new(move |_| run())>
            <p>"These connections will be removed. A floating IP on them stays reserved; a private address goes back to its network."</p>
            <ul class="blockers">
                {move || target.get().iter().map(|p| view! { <li>{describe(p)}</li> }).collect_view()}
            </ul>
            <Show when=move || running.get()>
                <p class="muted" role="status"><span class="spinner" aria-hidden="true"></span>" Removing… the cloud takes a moment to unplug each one."</p>
            </Show>
            {move || error.get().map(|e| view! { <FaultView error=e /> })}
        </Dialog>
    }
}

/// Pick servers to connect to a network: one port each. Once asked, the
/// dialog follows each new port live (BUILD → ACTIVE on Synnefo; on OpenStack
/// the interface's port until Neutron has bound it) until the user closes it;
/// the network's table shows the same rows.
#[component]
pub fn ConnectDialog(target: RwSignal<Option<Network>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let open = RwSignal::new(false);
    let chosen = RwSignal::new(HashSet::<String>::new());
    let running = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<(String, ApiError)>::new());
    // (server, its new port) for each connection made, in the order asked.
    let made = RwSignal::new(Vec::<(String, String)>::new());
    open_for(
        open,
        running,
        move || target.with(Option::is_some),
        move || {
            chosen.set(HashSet::new());
            errors.set(Vec::new());
            made.set(Vec::new());
        },
        move || target.set(None),
    );
    let connected = move || !made.with(Vec::is_empty);
    // Every server asked for is connected: only the progress is left to show.
    let all_made = move || connected() && errors.with(Vec::is_empty);
    let net_id = move || target.with(|t| t.as_ref().map(|n| n.id.clone()).unwrap_or_default());
    let is_public = move || target.with(|t| t.as_ref().is_some_and(|n| n.public));
    let title = Signal::derive(move || {
        target.with(|t| {
            t.as_ref()
                .map(|n| {
                    format!(
                        "Connect servers to {}",
                        if n.name.is_empty() { &n.id } else { &n.name }
                    )
                })
                .unwrap_or_default()
        })
    });
    let confirm = Signal::derive(move || match chosen.with(HashSet::len) {
        0 => "Connect".to_owned(),
        1 => "Connect 1 server".to_owned(),
        n => format!("Connect {n} servers"),
    });
    let run = move || {
        let network = net_id();
        let mut servers: Vec<String> = chosen.get_untracked().into_iter().collect();
        servers.sort();
        running.set(true);
        errors.set(Vec::new());
        spawn_local(async move {
            let results = store.connect_servers(NetworkId(&network), &servers).await;
            let mut failed = Vec::new();
            let mut ok = Vec::new();
            for (server, result) in servers.into_iter().zip(results) {
                match result {
                    Ok(port) => ok.push((server, port.id)),
                    Err(e) => failed.push((server, e)),
                }
            }
            running.set(false);
            if !ok.is_empty() {
                announcer.announce(format!(
                    "Connecting {} server{}: their new ports are shown until they are up.",
                    ok.len(),
                    if ok.len() == 1 { "" } else { "s" }
                ));
            }
            chosen.update(|c| c.retain(|s| failed.iter().any(|(f, _)| f == s)));
            made.update(|m| m.extend(ok));
            errors.set(failed);
            let _ = store.load_servers().await;
        });
    };
    let rows = move || {
        let ports = store.ports.values();
        let net = net_id();
        store
            .servers
            .values()
            .into_iter()
            .map(|s| {
                let reason = not_connectable(&s, &net, &ports);
                (s, reason)
            })
            .collect::<Vec<_>>()
    };
    let poller = expect_context::<Poller>();
    let progress_row = move |(server, port): (String, String)| {
        let cell = poller.cell(&port);
        let since = RwSignal::from(cell.since);
        let clock = expect_context::<Clock>();
        let port_id = port.clone();
        let status = Signal::derive(move || {
            store.ports.get(&port_id).map_or_else(|| "REMOVED".to_owned(), |p| p.status.to_string())
        });
        let pending_for = Memo::new(move |_| since.get().map(|t| clock.now() - t));
        view! {
            <li>
                {store.server_label(&server)}
                <span class="muted">{format!(" — port {} ", crate::state::actions::short(&port))}</span>
                <StatusBadge status=status pending_for=pending_for />
            </li>
        }
    };
    view! {
        <Dialog open=open title=title confirm=confirm
            disabled=Signal::derive(move || running.get() || chosen.with(HashSet::is_empty))
            hide_confirm=Signal::derive(move || is_public() || all_made())
            cancel=Signal::derive(move || if connected() { "Close".to_owned() } else { "Cancel".to_owned() })
            on_confirm=Callback::new(move |_| run())>
            <Show when=connected>
                <ul class="plain connect-progress" aria-label="New connections">
                    <For each=move || made.get() key=|(_, port)| port.clone() let:item>
                        {progress_row(item)}
                    </For>
                </ul>
            </Show>
            <Show when=move || !is_public() fallback=|| view! {
                <p class="notice">"Servers reach the public network through a floating IP: reserve one and attach it on the Floating IPs page."</p>
            }>
              <Show when=move || !all_made()>
                <fieldset>
                    <legend>"Servers"</legend>
                    <ul class="choices">
                        {move || rows().into_iter().map(|(s, reason)| {
                            let id = s.id.clone();
                            let id2 = s.id.clone();
                            let text = store.server_label(&s.id);
                            view! {
                                <li>
                                    <label>
                                        <input type="checkbox" disabled=reason.is_some()
                                            prop:checked=move || chosen.with(|c| c.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                chosen.update(|c| { if on { c.insert(id2.clone()); } else { c.remove(&id2); } });
                                            } />
                                        {text}
                                        {reason.map(|r| view! { <span class="muted">" — "{r}</span> })}
                                    </label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
                <p class="hint">"Each server gets one new port on this network. It shows as pending until the cloud has plugged it in. "
                    {move || port_cost(&store, chosen.with(HashSet::len).max(1) as i64)}</p>
              </Show>
            </Show>
            {move || errors.get().into_iter().map(|(server, e)| view! {
                <p class="muted">{format!("Server {server}:")}</p>
                <FaultView error=e />
            }).collect_view()}
        </Dialog>
    }
}
