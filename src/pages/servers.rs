//! `/servers`: the user's servers with status, flavor and what they are
//! connected to (addresses by network, floating ones beside the port they are
//! on); each links to its own page (`/servers/:id`). A long list is windowed
//! (`components/table.rs`); its filter runs over every server.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::until_view_gone;
use leptos_router::components::A;
use nephele_model::port::Port;
use nephele_model::server::Server;
use nephele_model::PortStatus;

use crate::components::common::{errors_view, Freshness, StatusBadge};
use crate::components::table::{aria_rowcount, is_long, FilterBox, ListFilter, LongBody, Place};
use crate::state::store::{all, Row, Store};

/// Does the server's row show `needle` (lower-case): its id, name, status,
/// flavor, or one of its addresses or networks?
pub fn server_matches(s: &Server, networks_and_addresses: &str, needle: &str) -> bool {
    let has = |t: &str| t.to_lowercase().contains(needle);
    needle.is_empty()
        || has(&s.id)
        || has(&s.name)
        || has(s.status.as_str())
        || has(&s.flavor_label())
        || has(networks_and_addresses)
}

/// A floating IP's address by the port it is associated with (Neutron names the
/// port, not the server).
type FloatingByPort = HashMap<String, Vec<String>>;

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
    let floating_by_port = Memo::new(move |_| {
        let mut by_port = FloatingByPort::new();
        store.floating_ips.for_each(|ip| {
            if let (Some(port), None) = (&ip.port_id, &ip.instance_id) {
                by_port.entry(port.clone()).or_default().push(ip.floating_ip_address.clone());
            }
        });
        by_port
    });
    let filter = ListFilter::from_url();
    let shown = Memo::new(move |_| {
        let needle = filter.needle();
        let rows = store.servers.rows();
        if needle.is_empty() {
            return rows;
        }
        rows.into_iter()
            .filter(|r| {
                r.value.with(|s| {
                    let text = ports_by_server.with(|m| {
                        m.get(&s.id)
                            .into_iter()
                            .flatten()
                            .flat_map(|p| {
                                let net = store.network_name(&p.network_id);
                                std::iter::once(net)
                                    .chain(p.fixed_ips.iter().map(|f| f.ip_address.clone()))
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    });
                    server_matches(s, &text, &needle)
                })
            })
            .collect()
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
            <Show when=move || !store.servers.rows().is_empty()>
                <FilterBox filter=filter id="server-filter" label="Filter servers"
                    placeholder="Filter by id, name, status, flavor, network or address" />
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading servers…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap" class:windowed=move || shown.with(|r| is_long(r.len()))>
                                <table class="data" aria-rowcount=move || aria_rowcount(shown.with(Vec::len))>
                                    <caption class="visually-hidden">"Servers"</caption>
                                    <thead><tr>
                                        <th scope="col">"ID"</th><th scope="col">"Name"</th><th scope="col">"Status"</th>
                                        <th scope="col">"Flavor"</th><th scope="col">"Networks and addresses"</th>
                                    </tr></thead>
                                    <LongBody rows=Signal::from(shown) columns=5 row=move |row, place| view! {
                                        <ServerRow row=row place=place ports_by_server=ports_by_server floating_by_port=floating_by_port />
                                    } />
                                </table>
                            </div>
                            <Show when=move || shown.with(Vec::is_empty)>
                                <p class="empty">{move || if !store.servers.rows().is_empty() {
                                    "No server matches this filter."
                                } else if store.cloud.capabilities().compute {
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
fn ServerRow(
    row: Row<Server>,
    place: Place,
    ports_by_server: Memo<HashMap<String, Vec<Port>>>,
    floating_by_port: Memo<FloatingByPort>,
) -> impl IntoView {
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
                floating_by_port.with(|m| {
                    addrs.extend(m.get(&p.id).into_iter().flatten().map(|a| format!("{a} (floating)")));
                });
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
        <tr aria-rowindex=place.aria_rowindex>
            <th scope="row" class="mono" title=row.id.clone()>{crate::state::actions::short(&row.id).to_owned()}</th>
            <td><A href=format!("/servers/{}", row.id)>{move || server.with(|s| if s.name.is_empty() { "(no name)".to_owned() } else { s.name.clone() })}</A></td>
            <td><StatusBadge status=status /></td>
            <td>{move || server.with(|s| s.flavor_label())}</td>
            <td class="wrap"><ul class="plain">{connections}</ul></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_finds_servers_by_what_their_row_shows() {
        let s = Server {
            id: "141".into(),
            name: "Server 1".into(),
            status: "ACTIVE".into(),
            ..Server::default()
        };
        let m = |needle: &str| server_matches(&s, "guide-net 192.168.1.3", needle);
        for hit in ["", "141", "server 1", "active", "guide", "192.168.1"] {
            assert!(m(hit), "{hit}");
        }
        for miss in ["stopped", "10.0.0", "web-2"] {
            assert!(!m(miss), "{miss}");
        }
    }
}
