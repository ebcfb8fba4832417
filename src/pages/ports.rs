//! `/ports`: every port with network, server, addresses, MAC and live status;
//! create one (network, server, optional fixed IP) and delete, waiting until gone.
//! A long list is windowed (`components/table.rs`); its filter runs over every port.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use nephele_model::ipnet::v4;
use nephele_model::port::Port;

use crate::api::cloud::NewPort;
use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, FaultView, Freshness};
use crate::components::ports::{DisconnectDialog, PortRow};
use crate::components::table::{aria_rowcount, is_long, FilterBox, ListFilter, LongBody};
use crate::state::notify::Announcer;
use crate::state::store::{all, Store};

/// Check the form. `server_required`: the port connects a server (Synnefo);
/// elsewhere a port can stand alone until something uses it.
pub fn validate(
    network_id: &str,
    server_id: &str,
    ip: &str,
    server_required: bool,
) -> Result<NewPort, String> {
    if network_id.is_empty() {
        return Err("Choose the network to connect.".into());
    }
    if server_id.is_empty() && server_required {
        return Err("Choose the server to connect.".into());
    }
    let ip = ip.trim();
    if !ip.is_empty() && v4(ip).is_none() {
        return Err(format!("“{ip}” is not an IPv4 address."));
    }
    Ok(NewPort {
        network_id: network_id.to_owned(),
        device_id: server_id.to_owned(),
        ip_address: Some(ip.to_owned()).filter(|s| !s.is_empty()),
    })
}

/// Does the port's row show `needle` (lower-case): its id, network, server,
/// an address, its MAC or its status?
pub fn port_matches(p: &Port, network: &str, server: &str, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    needle.is_empty()
        || has(&p.id)
        || has(&p.network_id)
        || has(network)
        || p.device_id.as_deref().is_some_and(has)
        || has(server)
        || p.fixed_ips.iter().any(|f| has(&f.ip_address))
        || p.mac_address.as_deref().is_some_and(has)
        || has(p.status.as_str())
}

#[component]
pub fn Ports() -> impl IntoView {
    let store = expect_context::<Store>();
    let load = LocalResource::new(move || {
        until_view_gone(async move {
            all(vec![store.load_ports(), store.load_networks(), store.load_servers()]).await
        })
    });
    let removing = RwSignal::new(Vec::<Port>::new());
    let creating = RwSignal::new(false);
    let filter = ListFilter::from_url();
    // The rows shown: every port, or those the filter matches (over all of them,
    // not only the rows built).
    let shown = Memo::new(move |_| {
        let needle = filter.needle();
        let rows = store.ports.rows();
        if needle.is_empty() {
            return rows;
        }
        rows.into_iter()
            .filter(|r| {
                r.value.with(|p| {
                    let server =
                        p.device_id.as_deref().map(|_| store.holder_label(p)).unwrap_or_default();
                    port_matches(p, &store.network_name(&p.network_id), &server, &needle)
                })
            })
            .collect()
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Ports"</h1>
                <div class="toolbar">
                    <Freshness updated_at=Signal::derive(move || store.ports.updated_at.get())
                        busy=Signal::derive(move || load.get().is_none())
                        on_refresh=Callback::new(move |_| load.refetch()) />
                    <button type="button" class="button primary" disabled=move || creating.get()
                        on:click=move |_| creating.set(true)>"Create port"</button>
                </div>
            </div>
            <Show when=move || creating.get()>
                <CreatePort on_close=Callback::new(move |_| creating.set(false)) />
            </Show>
            <Show when=move || !store.ports.rows().is_empty()>
                <FilterBox filter=filter id="port-filter" label="Filter ports"
                    placeholder="Filter by id, network, server, address, MAC or status" />
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading ports…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap" class:windowed=move || shown.with(|r| is_long(r.len()))>
                                <table class="data" aria-rowcount=move || aria_rowcount(shown.with(Vec::len))>
                                    <caption class="visually-hidden">"Ports"</caption>
                                    <thead><tr>
                                        <th scope="col">"Port"</th><th scope="col">"Network"</th><th scope="col">"Server"</th>
                                        <th scope="col">"Addresses"</th><th scope="col">"MAC"</th><th scope="col">"Status"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <LongBody rows=Signal::from(shown) columns=7 row=move |row, place| view! {
                                        <PortRow row=row place=place show_network=true on_delete=Callback::new(move |p| removing.set(vec![p])) />
                                    } />
                                </table>
                            </div>
                            <Show when=move || shown.with(Vec::is_empty)>
                                <p class="empty">{move || if filter.needle().is_empty() {
                                    "No ports yet: connect a server to a network to make one."
                                } else {
                                    "No port matches this filter."
                                }}</p>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <DisconnectDialog target=removing />
        </section>
    }
}

#[component]
fn CreatePort(on_close: Callback<()>) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let network = RwSignal::new(String::new());
    let server = RwSignal::new(String::new());
    let ip = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    // Neutron: a port stands alone (servers attach through Nova); tenants may
    // not make ports on external networks.
    let standalone = move || store.cloud.capabilities().standalone_ports;
    let create = Action::new_local(move |p: &NewPort| {
        let p = p.clone();
        async move { store.create_port(&p).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(port)) => {
            announcer.announce(format!("Port {} created: {}.", port.id, port.status));
            on_close.run(());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let needs_server = !store.cloud.capabilities_untracked().standalone_ports;
        match validate(
            &network.get_untracked(),
            &server.get_untracked(),
            &ip.get_untracked(),
            needs_server,
        ) {
            Err(m) => problem.set(Some(m)),
            Ok(p) => {
                problem.set(None);
                error.set(None);
                create.dispatch_local(p);
            }
        }
    };
    view! {
        <form class="panel form-grid" on:submit=submit novalidate aria-label="Create port">
            <h2>"Create a port"</h2>
            <div>
                <label for="port-network">"Network"</label>
                <select id="port-network" on:change=move |ev| network.set(event_target_value(&ev))>
                    <option value="">"Choose a network"</option>
                    {move || store.networks.values().into_iter().filter(|n| !standalone() || !n.public).map(|n| {
                        let label = if n.name.is_empty() { n.id.clone() } else { format!("{} ({})", n.name, n.id) };
                        view! { <option value=n.id.clone()>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || !standalone()>
            <div>
                <label for="port-server">"Server"</label>
                <select id="port-server" on:change=move |ev| server.set(event_target_value(&ev))>
                    <option value="">"Choose a server"</option>
                    {move || store.servers.values().into_iter().map(|s| {
                        view! { <option value=s.id.clone()>{format!("{} ({})", s.name, s.id)}</option> }
                    }).collect_view()}
                </select>
            </div>
            </Show>
            <div>
                <label for="port-ip">"Fixed IP address (optional)"</label>
                <input id="port-ip" type="text" inputmode="decimal" autocomplete="off"
                    bind:value=ip />
                <p class="hint">{move || if standalone() {
                    "An address on the network's subnet; the cloud picks one when empty. The port stays DOWN until a server uses it."
                } else {
                    "On the public network this must be one of your floating IPs."
                }}</p>
            </div>
            <Show when=move || problem.get().is_some()>
                <p class="form-error" role="alert">{move || problem.get()}</p>
            </Show>
            {move || error.get().map(|e| view! { <div class="form-actions-full"><FaultView error=e /></div> })}
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create port" }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_finds_ports_by_what_their_row_shows() {
        use nephele_model::port::FixedIp;
        let p = Port {
            id: "5f3c9a".into(),
            network_id: "2".into(),
            device_id: Some("141".into()),
            mac_address: Some("aa:00:00:12:34:56".into()),
            status: "BUILD".into(),
            fixed_ips: vec![FixedIp { ip_address: "192.168.1.3".into(), ..FixedIp::default() }],
            ..Port::default()
        };
        let m = |needle: &str| port_matches(&p, "guide-net", "Server 1 (141)", needle);
        for hit in ["", "5f3c", "guide", "server 1", "141", "192.168.1", "12:34", "build"] {
            assert!(m(hit), "{hit}");
        }
        for miss in ["active", "10.0.0", "other-net"] {
            assert!(!m(miss), "{miss}");
        }
    }

    #[test]
    fn port_form_validation() {
        assert_eq!(validate("", "141", "", true).unwrap_err(), "Choose the network to connect.");
        assert_eq!(validate("2", "", "", true).unwrap_err(), "Choose the server to connect.");
        assert_eq!(validate("2", "", "", false).unwrap().device_id, "");
        assert!(validate("2", "141", "10.0.0", true).unwrap_err().contains("not an IPv4 address"));
        assert_eq!(validate("2", "141", " ", true).unwrap().ip_address, None);
        assert_eq!(
            validate("1", "141", "192.168.3.5", true).unwrap().ip_address.as_deref(),
            Some("192.168.3.5")
        );
    }
}
