//! `/servers`: the user's servers with status, flavor and what they are
//! connected to (addresses by network, floating ones beside the port they are
//! on); each links to its own page (`/servers/:id`).

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::until_view_gone;
use leptos_router::components::A;
use nephele_model::port::Port;
use nephele_model::server::Server;
use nephele_model::PortStatus;

use crate::components::common::{errors_view, Freshness, StatusBadge};
use crate::state::store::{all, Row, Store};

#[component]
pub fn Servers() -> impl IntoView {
    let store = expect_context::<Store>();
    let load = LocalResource::new(move || {
        until_view_gone(async move {
            let loaded =
                all(vec![store.load_servers(), store.load_networks(), store.load_ports()]).await;
            // Neutron's floating IPs name a port, not a server: shown beside it.
            let _ = store.load_floating_ips().await;
            loaded
        })
    });
    // Each server's ports, computed once per change of the port list.
    let ports_by_server = Memo::new(move |_| {
        let mut by_server: HashMap<String, Vec<Port>> = HashMap::new();
        for p in store.ports.values() {
            if let Some(d) = p.device_id.clone() {
                by_server.entry(d).or_default().push(p);
            }
        }
        by_server
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Servers"</h1>
                <div class="toolbar">
                    <Freshness updated_at=Signal::derive(move || store.servers.updated_at.get())
                        busy=Signal::derive(move || load.get().is_none())
                        on_refresh=Callback::new(move |_| load.refetch()) />
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading servers…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <caption class="visually-hidden">"Servers"</caption>
                                    <thead><tr>
                                        <th scope="col">"ID"</th><th scope="col">"Name"</th><th scope="col">"Status"</th>
                                        <th scope="col">"Flavor"</th><th scope="col">"Networks and addresses"</th>
                                    </tr></thead>
                                    <tbody>
                                        <For each=move || store.servers.rows() key=|r| r.id.clone() let:row>
                                            <ServerRow row=row ports_by_server=ports_by_server />
                                        </For>
                                    </tbody>
                                </table>
                            </div>
                            <Show when=move || store.servers.rows().is_empty()>
                                <p class="empty">{move || if store.cloud.capabilities().compute {
                                    "You have no servers."
                                } else {
                                    "This cloud's catalog lists no compute service, so there are no servers to show."
                                }}</p>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn ServerRow(row: Row<Server>, ports_by_server: Memo<HashMap<String, Vec<Port>>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let server = row.signal();
    let id = row.id.clone();
    let status = Signal::derive(move || {
        server.with(|s| {
            if s.task_state.is_empty() {
                s.status.to_string()
            } else {
                s.task_state.clone()
            }
        })
    });
    // Connections from the port list, so ports still in BUILD show too.
    let connections = move || {
        let mut ports: Vec<Port> =
            ports_by_server.with(|m| m.get(&id).cloned()).unwrap_or_default();
        ports.sort_by(|a, b| a.network_id.cmp(&b.network_id));
        ports
            .into_iter()
            .map(|p| {
                let net = store.network_name(&p.network_id);
                let mut addrs: Vec<String> = p.fixed_ips.iter().map(|f| f.ip_address.clone()).collect();
                // Neutron: a floating IP associated with this port.
                addrs.extend(
                    store
                        .floating_ips
                        .values()
                        .into_iter()
                        .filter(|ip| ip.port_id.as_deref() == Some(p.id.as_str()) && ip.instance_id.is_none())
                        .map(|ip| format!("{} (floating)", ip.floating_ip_address)),
                );
                let addrs = addrs.join(", ");
                let pending = (p.status != PortStatus::Active).then(|| format!(" ({})", p.status.as_str().to_lowercase()));
                view! {
                    <li>
                        <A href=format!("/networks/{}", p.network_id)>{net}</A>
                        {(!addrs.is_empty()).then(|| view! { ": "<span class="mono">{addrs}</span> })}
                        {pending}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <tr>
            <th scope="row" class="mono" title=row.id.clone()>{crate::state::actions::short(&row.id).to_owned()}</th>
            <td><A href=format!("/servers/{}", row.id)>{move || server.with(|s| if s.name.is_empty() { "(no name)".to_owned() } else { s.name.clone() })}</A></td>
            <td><StatusBadge status=status /></td>
            <td>{move || server.with(|s| s.flavor_label())}</td>
            <td class="wrap"><ul class="plain">{connections}</ul></td>
        </tr>
    }
}
