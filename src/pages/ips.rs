//! `/ips`: floating IPs. Reserve from a pool (with the quota cost shown first),
//! attach to a server, detach, move to another server in one action, release.
//! A long list is windowed (`components/table.rs`); its filter runs over every IP.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::floating_ip::FloatingIp;
use nephele_model::port::Port;
use nephele_model::{usage, PortStatus};

use crate::api::explain::Context;
use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, CopyButton, FaultView, Freshness, StatusBadge};
use crate::components::ip_dialog::{cost_line, fip_quota, IpDialog, Op};
use crate::components::table::{aria_rowcount, is_long, FilterBox, ListFilter, LongBody, Place};
use crate::state::notify::Announcer;
use crate::state::session::SessionContext;
use crate::state::store::{all, Row, Store};

/// Where a floating IP stands, from its port and what we are doing with it.
pub fn ip_state(
    ip: &FloatingIp,
    port: Option<&Port>,
    deleting: bool,
    moving: bool,
) -> &'static str {
    if moving {
        return "MOVING";
    }
    match (&ip.port_id, port) {
        (None, _) => "FREE",
        (Some(_), Some(_)) if deleting => "DETACHING",
        (Some(_), Some(p)) if p.status == PortStatus::Build => "ATTACHING",
        // Anything else is attached: a Neutron port without agents stays DOWN
        // although the association is made.
        (Some(_), _) => "ATTACHED",
    }
}

/// Does the IP's row show `needle` (lower-case): its address, the server or port
/// it is attached to, or its pool?
pub fn ip_matches(ip: &FloatingIp, attached_to: &str, pool: &str, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    needle.is_empty()
        || has(&ip.floating_ip_address)
        || has(&ip.id)
        || ip.instance_id.as_deref().is_some_and(has)
        || ip.port_id.as_deref().is_some_and(has)
        || has(attached_to)
        || has(pool)
        || (ip.port_id.is_none() && "free".contains(needle))
}

#[component]
pub fn FloatingIps() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let load = LocalResource::new(move || {
        until_view_gone(async move {
            let loaded = all(vec![
                store.load_floating_ips(),
                store.load_ports(),
                store.load_networks(),
                store.load_servers(),
                store.load_quotas(),
            ])
            .await;
            let _ = store.load_projects().await;
            loaded
        })
    });
    let op = RwSignal::new(None::<Op>);
    let moving = RwSignal::new(None::<String>);
    let reserving = RwSignal::new(false);
    let default_project = move || session.get().and_then(|s| s.default_project).unwrap_or_default();
    let quota = move || fip_quota(&store, &default_project());
    let none_left = move || quota().is_some_and(|q| usage::available(&q) == 0);
    let filter = ListFilter::from_url();
    let shown = Memo::new(move |_| {
        let needle = filter.needle();
        let rows = store.floating_ips.rows();
        if needle.is_empty() {
            return rows;
        }
        rows.into_iter()
            .filter(|r| {
                r.value.with(|ip| {
                    let attached_to = attached_label(&store, ip);
                    let pool =
                        store.network_name(ip.floating_network_id.as_deref().unwrap_or_default());
                    ip_matches(ip, &attached_to, &pool, &needle)
                })
            })
            .collect()
    });
    // Neutron names only the port, already in "Attached to": one column fewer.
    let columns = if store.cloud.capabilities_untracked().associate_ips { 6 } else { 7 };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Floating IPs"</h1>
                <div class="toolbar">
                    <Freshness updated_at=Signal::derive(move || store.floating_ips.updated_at.get())
                        busy=Signal::derive(move || load.get().is_none())
                        on_refresh=Callback::new(move |_| load.refetch()) />
                    <button type="button" class="button primary" disabled=move || reserving.get() || none_left()
                        aria-describedby=move || none_left().then_some("ip-quota-reason")
                        on:click=move |_| reserving.set(true)>
                        {move || if none_left() { "Reserve IP (quota used up)" } else { "Reserve IP" }}
                    </button>
                </div>
            </div>
            <Show when=none_left>
                <p class="notice" id="ip-quota-reason">
                    {move || quota().map(|q| format!("You have used all {} of your floating IPs. Release one you no longer need, or ask for more quota.", usage::effective_limit(&q)))}
                </p>
            </Show>
            <Show when=move || reserving.get()>
                <ReserveForm on_close=Callback::new(move |_| reserving.set(false)) />
            </Show>
            <Show when=move || !store.floating_ips.rows().is_empty()>
                <FilterBox filter=filter id="ip-filter" label="Filter floating IPs"
                    placeholder="Filter by address, server, port, pool or “free”" />
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading floating IPs…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap" class:windowed=move || shown.with(|r| is_long(r.len()))>
                                <table class="data" aria-rowcount=move || aria_rowcount(shown.with(Vec::len))>
                                    <caption class="visually-hidden">"Floating IPs"</caption>
                                    <thead><tr>
                                        <th scope="col">"Address"</th><th scope="col">"Pool"</th><th scope="col">"State"</th>
                                        <th scope="col">"Attached to"</th>{move || (!store.cloud.capabilities().associate_ips).then(|| view! { <th scope="col">"Port"</th> })}<th scope="col">"Project"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <LongBody rows=Signal::from(shown) columns=columns row=move |row, place| view! {
                                        <IpRow row=row place=place moving=moving on_op=Callback::new(move |o| op.set(Some(o))) />
                                    } />
                                </table>
                            </div>
                            <Show when=move || shown.with(Vec::is_empty)>
                                <p class="empty">{move || if store.floating_ips.rows().is_empty() {
                                    "You have no floating IPs. Reserve one to give a server a public address."
                                } else {
                                    "No floating IP matches this filter."
                                }}</p>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <IpDialog op=op moving=moving />
        </section>
    }
}

#[component]
fn IpRow(
    row: Row<FloatingIp>,
    place: Place,
    moving: RwSignal<Option<String>>,
    on_op: Callback<Op>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let ip = row.signal();
    let id = row.id.clone();
    let port = move || ip.with(|i| i.port_id.clone()).and_then(|p| store.ports.get(&p));
    let state = {
        let id = id.clone();
        Memo::new(move |_| {
            let p = port();
            let deleting = p.as_ref().is_some_and(|p| store.is_deleting(&p.id));
            let is_moving = moving.with(|m| m.as_deref() == Some(id.as_str()));
            ip.with(|i| ip_state(i, p.as_ref(), deleting, is_moving)).to_owned()
        })
    };
    let server = move || ip.with(|i| attached_label(&store, i));
    let to_ports = move || store.cloud.capabilities().associate_ips;
    let where_to = move || if to_ports() { "port" } else { "server" };
    let pool = move || {
        let net = ip.with(|i| i.floating_network_id.clone()).unwrap_or_default();
        store.network_name(&net)
    };
    let project = move || {
        ip.with(|i| i.project().map(str::to_owned))
            .map(|p| store.project_name(&p))
            .unwrap_or_default()
    };
    let address = move || ip.with(|i| i.floating_ip_address.clone());
    let busy = move || matches!(state.get().as_str(), "ATTACHING" | "DETACHING" | "MOVING");
    let free = move || state.get() == "FREE";
    let act = move |make: fn(FloatingIp) -> Op| move |_| on_op.run(make(ip.get_untracked()));
    view! {
        <tr aria-rowindex=place.aria_rowindex>
            <th scope="row" class="mono">{address}<CopyButton text=address() label=format!("address {}", address()) /></th>
            <td>{pool}</td>
            <td><StatusBadge status=Signal::derive(move || state.get().to_lowercase()) /></td>
            <td>{server}</td>
            // Neutron names only the port, already in "Attached to".
            {(!untrack(to_ports)).then(|| view! {
                <td class="mono">{move || ip.with(|i| i.port_id.as_deref().map(|p| crate::state::actions::short(p).to_owned())).unwrap_or_else(|| "—".into())}</td>
            })}
            <td>{project}</td>
            <td class="actions">
                <div class="actions-cell">
                    <Show when=free fallback=move || view! {
                        <button type="button" class="button" disabled=busy on:click=act(Op::Move)
                            aria-label=move || format!("Move {} to another {}", address(), where_to())>"Move"</button>
                        <button type="button" class="button" disabled=busy on:click=act(Op::Detach)
                            aria-label=move || format!("Detach {}", address())>"Detach"</button>
                        <button type="button" class="button danger" disabled=busy on:click=act(Op::Release)
                            aria-label=move || if to_ports() { format!("Release {}", address()) } else { format!("Detach and release {}", address()) }>"Release"</button>
                    }>
                        <button type="button" class="button" on:click=act(Op::Attach)
                            aria-label=move || format!("Attach {} to a {}", address(), where_to())>"Attach"</button>
                        <button type="button" class="button danger" on:click=act(Op::Release)
                            aria-label=move || format!("Release {}", address())>"Release"</button>
                    </Show>
                </div>
            </td>
        </tr>
    }
}

/// What an IP is attached to, as its row says: Synnefo names the server;
/// Neutron only the port (which may be a server's).
fn attached_label(store: &Store, ip: &FloatingIp) -> String {
    match (&ip.instance_id, &ip.port_id) {
        (Some(s), _) => store.server_label(s),
        (None, Some(p)) => store.port_label(p),
        (None, None) => "—".into(),
    }
}

#[component]
fn ReserveForm(on_close: Callback<()>) -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let announcer = expect_context::<Announcer>();
    let pools = move || {
        store.networks.values().into_iter().filter(|n| n.floating_ip_pool).collect::<Vec<_>>()
    };
    let pool = RwSignal::new(String::new());
    let project =
        RwSignal::new(session.get_untracked().and_then(|s| s.default_project).unwrap_or_default());
    Effect::new(move |_| {
        if pool.with_untracked(String::is_empty) {
            if let Some(first) = pools().first() {
                pool.set(first.id.clone());
            }
        }
    });
    let projects = move || {
        let ids: Vec<String> = store
            .quotas
            .with(|q| q.as_ref().map(|q| q.keys().cloned().collect()).unwrap_or_default());
        let user = session.get().map(|s| s.user_id).unwrap_or_default();
        ids.into_iter()
            .map(|id| {
                let left = fip_quota(&store, &id).map(|q| usage::available(&q));
                let name = if id == user {
                    "Personal (system project)".to_owned()
                } else {
                    store.project_name(&id)
                };
                (id, name, left)
            })
            .collect::<Vec<_>>()
    };
    let quota = move || fip_quota(&store, &project.get());
    let none_left = move || quota().is_some_and(|q| usage::available(&q) == 0);
    let error = RwSignal::new(None::<ApiError>);
    let reserve = Action::new_local(move |(pool, project): &(String, String)| {
        let (pool, project) = (pool.clone(), project.clone());
        async move {
            store.reserve_floating_ip(&pool, Some(project.as_str()).filter(|p| !p.is_empty())).await
        }
    });
    Effect::new(move |_| match reserve.value().get() {
        Some(Ok(ip)) => {
            announcer.announce(format!("Reserved {}.", ip.floating_ip_address));
            on_close.run(());
            spawn_local(async move {
                let _ = store.load_quotas().await;
            });
        }
        Some(Err(e)) => {
            error.set(Some(e));
            spawn_local(async move {
                let _ = store.load_quotas().await;
            });
        }
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pool.with_untracked(String::is_empty) || none_left() {
            return;
        }
        error.set(None);
        reserve.dispatch_local((pool.get_untracked(), project.get_untracked()));
    };
    view! {
        <form class="panel form-grid" on:submit=submit novalidate aria-label="Reserve a floating IP">
            <h2>"Reserve a floating IP"</h2>
            <div>
                <label for="ip-pool">"Pool (public network)"</label>
                <select id="ip-pool" on:change=move |ev| pool.set(event_target_value(&ev))>
                    {move || pools().into_iter().map(|n| {
                        let selected = n.id == pool.get_untracked();
                        let id = crate::state::actions::short(&n.id);
                        let label = if n.name.is_empty() { id.to_owned() } else { format!("{} ({id})", n.name) };
                        view! { <option value=n.id.clone() selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="ip-project">{move || if store.cloud.capabilities().project_per_object { "Charge to project" } else { "Project" }}</label>
                <select id="ip-project" on:change=move |ev| project.set(event_target_value(&ev))>
                    {move || projects().into_iter().map(|(id, name, left)| {
                        let selected = id == project.get_untracked();
                        let label = match left { Some(0) => format!("{name} (none left)"), Some(n) => format!("{name} ({n} left)"), None => name };
                        view! { <option value=id selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || store.cloud.capabilities().associate_ips>
                <div>
                    <label for="ip-address">"Address"</label>
                    <input id="ip-address" type="text" disabled placeholder="Picked by the cloud"
                        aria-describedby="ip-address-reason" />
                    <p class="hint" id="ip-address-reason">"The cloud picks a free address: only its administrators may choose one."</p>
                </div>
            </Show>
            <p class="cost" id="ip-cost">{move || quota().map(|q| cost_line(&q)).unwrap_or_else(|| "The cloud did not report a floating-IP quota for this project.".into())}</p>
            <Show when=none_left>
                <p class="form-error" id="ip-none-left">"This project has no floating IPs left. Release one you no longer need, pick another project, or ask for more quota."</p>
            </Show>
            {move || error.get().map(|e| {
                let limit = quota().map(|q| usage::effective_limit(&q));
                view! { <div class="form-actions-full"><FaultView error=e context=Context { floating_ip_limit: limit, ..Context::default() } /></div> }
            })}
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || reserve.pending().get() || none_left()
                    aria-describedby=move || if none_left() { "ip-cost ip-none-left" } else { "ip-cost" }>
                    {move || if reserve.pending().get() { "Reserving…" } else { "Reserve" }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(port: Option<&str>) -> FloatingIp {
        FloatingIp { id: "8".into(), port_id: port.map(Into::into), ..FloatingIp::default() }
    }

    #[test]
    fn the_filter_finds_ips_by_address_attachment_pool_or_free() {
        let mut attached = ip(Some("5f3c9a11"));
        attached.floating_ip_address = "203.0.113.7".into();
        attached.instance_id = Some("141".into());
        let m = |i: &FloatingIp, to: &str, needle: &str| ip_matches(i, to, "public", needle);
        for hit in ["", "203.0.113", "141", "5f3c", "server 1", "public"] {
            assert!(m(&attached, "Server 1 (141)", hit), "{hit}");
        }
        assert!(!m(&attached, "Server 1 (141)", "free"));
        assert!(!m(&attached, "Server 1 (141)", "198.51"));
        let free = ip(None);
        assert!(m(&free, "—", "free"));
    }

    #[test]
    fn states() {
        let port = |status: PortStatus| Port { id: "13".into(), status, ..Port::default() };
        assert_eq!(ip_state(&ip(None), None, false, false), "FREE");
        assert_eq!(
            ip_state(&ip(Some("13")), Some(&port(PortStatus::Build)), false, false),
            "ATTACHING"
        );
        assert_eq!(
            ip_state(&ip(Some("13")), Some(&port(PortStatus::Active)), false, false),
            "ATTACHED"
        );
        assert_eq!(
            ip_state(&ip(Some("13")), Some(&port(PortStatus::Active)), true, false),
            "DETACHING"
        );
        assert_eq!(ip_state(&ip(Some("13")), None, false, false), "ATTACHED");
        assert_eq!(ip_state(&ip(None), None, false, true), "MOVING");
    }
}
