//! The floating-IP dialog: attach a free IP, move an attached one, or release
//! one. On Synnefo an IP goes to a server (a move is detach, wait, attach: never
//! lost; a release detaches first); on Neutron it goes to a port that a router
//! connects to the IP's pool, and moves or is released in one request. The
//! steps run in the store (`state/actions.rs`); this shows them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::floating_ip::FloatingIp;
use nephele_model::quota::QuotaEntry;
use nephele_model::{usage, Resource};

use crate::api::explain::Context;
use crate::api::ApiError;
use crate::components::common::FaultView;
use crate::components::dialog::{open_for, Dialog};
use crate::components::ports::not_connectable;
use crate::state::actions::IpTarget;
use crate::state::config::Config;
use crate::state::notify::Announcer;
use crate::state::store::{all, Store};

/// The floating-IP holding of a project, if the cloud reported it.
pub fn fip_quota(store: &Store, project: &str) -> Option<QuotaEntry> {
    store.quotas.with(|q| q.as_ref()?.get(project)?.get(Resource::FloatingIp.as_str()).copied())
}

/// "Floating IPs: 2 of 3 used → 3 of 3 after this".
pub fn cost_line(e: &QuotaEntry) -> String {
    let (after, limit) = usage::after(e, 1);
    format!(
        "Floating IPs: {} of {} used → {} of {} after this",
        e.usage + e.pending,
        usage::effective_limit(e),
        after,
        limit
    )
}

/// What the user is doing with one IP right now.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Attach(FloatingIp),
    Move(FloatingIp),
    /// Detach and keep the address reserved.
    Detach(FloatingIp),
    Release(FloatingIp),
}

#[component]
pub fn IpDialog(
    op: RwSignal<Option<Op>>,
    moving: RwSignal<Option<String>>,
    /// The server to attach to, chosen already (a server's page).
    #[prop(optional, into)]
    server: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let config = expect_context::<Config>();
    let announcer = expect_context::<Announcer>();
    let open = RwSignal::new(false);
    let running = RwSignal::new(false);
    let target = RwSignal::new(String::new());
    let progress = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<ApiError>);
    // Neutron: the server whose port the IP goes to (the port is then found,
    // or asked for when it has several).
    let via_server = RwSignal::new(String::new());
    let preset = move || server.and_then(|s| s.get_untracked()).unwrap_or_default();
    open_for(
        open,
        running,
        move || op.with(Option::is_some),
        move || {
            // The server's page chooses the server only for a new attachment.
            let attaching = matches!(op.get_untracked(), Some(Op::Attach(_)));
            let chosen = if attaching { preset() } else { String::new() };
            // Synnefo attaches to a server: it is the target itself.
            let to_server = !store.cloud.capabilities_untracked().associate_ips;
            target.set(if to_server { chosen.clone() } else { String::new() });
            via_server.set(chosen);
            progress.set(Vec::new());
            error.set(None);
        },
        move || op.set(None),
    );
    let ip = move || {
        op.with(|o| match o {
            Some(Op::Attach(i) | Op::Move(i) | Op::Detach(i) | Op::Release(i)) => Some(i.clone()),
            None => None,
        })
    };
    let address = move || ip().map(|i| i.floating_ip_address).unwrap_or_default();
    let attached = move || ip().is_some_and(|i| i.port_id.is_some());
    let title = Signal::derive(move || match op.get() {
        Some(Op::Attach(i)) => format!("Attach {}", i.floating_ip_address),
        Some(Op::Detach(i)) => format!("Detach {}", i.floating_ip_address),
        Some(Op::Move(i)) if store.cloud.capabilities().associate_ips => {
            format!("Move {} to another port", i.floating_ip_address)
        }
        Some(Op::Move(i)) => format!("Move {} to another server", i.floating_ip_address),
        Some(Op::Release(i)) if i.port_id.is_some() && store.cloud.capabilities().associate_ips => {
            format!("Release {}", i.floating_ip_address)
        }
        Some(Op::Release(i)) if i.port_id.is_some() => {
            format!("Detach and release {}", i.floating_ip_address)
        }
        Some(Op::Release(i)) => format!("Release {}", i.floating_ip_address),
        None => String::new(),
    });
    let confirm = Signal::derive(move || match op.get() {
        Some(Op::Attach(_)) => "Attach".to_owned(),
        Some(Op::Move(_)) => "Move".to_owned(),
        Some(Op::Detach(_)) => "Detach".to_owned(),
        Some(Op::Release(i))
            if i.port_id.is_some() && !store.cloud.capabilities().associate_ips =>
        {
            "Detach and release".to_owned()
        }
        Some(Op::Release(_)) => "Release".to_owned(),
        None => String::new(),
    });
    let needs_server = move || matches!(op.get(), Some(Op::Attach(_) | Op::Move(_)));
    let to_ports = move || store.cloud.capabilities().associate_ips;
    let make_target = move |id: String| {
        if to_ports() {
            IpTarget::Port(id)
        } else {
            IpTarget::Server(id)
        }
    };
    let pool = move || ip().and_then(|i| i.floating_network_id).unwrap_or_default();
    let ports = move || {
        let Some(i) = ip() else { return Vec::new() };
        let pool = i.floating_network_id.clone().unwrap_or_default();
        let server = via_server.get();
        if server.is_empty() {
            store.ports_for_floating_ip(&pool, i.port_id.as_deref())
        } else {
            store.server_ports_for_floating_ip(&server, &pool, i.port_id.as_deref())
        }
    };
    let no_port = move || to_ports() && ports().iter().all(|(_, reason)| reason.is_some());
    // A server with exactly one port the IP can go to: that is the target.
    Effect::new(move |_| {
        if !to_ports() || via_server.with(String::is_empty) {
            return;
        }
        let ready: Vec<String> =
            ports().into_iter().filter(|(_, r)| r.is_none()).map(|(p, _)| p.id).collect();
        if let [only] = ready.as_slice() {
            target.set(only.clone());
        }
    });
    let fix = move || {
        let server = via_server.get();
        (!server.is_empty() && no_port()).then(|| store.route_fix(&server, &pool()))
    };
    let fixing = RwSignal::new(false);
    let run_fix = move |_| {
        let Some(Some(f)) = untrack(fix) else { return };
        fixing.set(true);
        error.set(None);
        spawn_local(async move {
            let result = store.route_to_pool(&f, |p| progress.update(|s| s.push(p))).await;
            fixing.set(false);
            match result {
                Ok(()) => {
                    progress.update(|s| {
                        s.push("Done: the server's port can take the address now.".into())
                    });
                    announcer.announce(format!(
                        "Subnet {} is connected to {}.",
                        store.subnet_label(&f.subnet),
                        store.network_name(&f.pool)
                    ));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let servers = move || {
        let current = ip().and_then(|i| i.instance_id).filter(|_| !to_ports());
        let ports = store.ports.values();
        // A server may hold several floating IPs, so only its state matters here.
        store
            .servers
            .values()
            .into_iter()
            .filter(|s| Some(&s.id) != current.as_ref())
            .map(|s| {
                let reason = not_connectable(&s, "", &ports);
                (s, reason)
            })
            .collect::<Vec<_>>()
    };
    let step = move |text: String| progress.update(|p| p.push(text));

    let run = move || {
        let Some(o) = op.get_untracked() else { return };
        let chosen = make_target(target.get_untracked());
        let give_up = config.poll().give_up_ms;
        running.set(true);
        error.set(None);
        progress.set(Vec::new());
        spawn_local(async move {
            let result: Result<String, ApiError> = async {
                match o {
                    Op::Attach(ip) => {
                        store.attach_floating_ip(&ip, &chosen).await?;
                        Ok(format!(
                            "{} is attached to {}.",
                            ip.floating_ip_address,
                            store.target_label(&chosen)
                        ))
                    }
                    Op::Move(ip) => {
                        moving.set(Some(ip.id.clone()));
                        let moved = store.move_floating_ip(&ip, &chosen, give_up, step).await;
                        moving.set(None);
                        moved?;
                        Ok(format!(
                            "{} moved to {}.",
                            ip.floating_ip_address,
                            store.target_label(&chosen)
                        ))
                    }
                    Op::Detach(ip) => {
                        store.detach_floating_ip(&ip, give_up).await?;
                        Ok(format!("{} is detached and stays reserved.", ip.floating_ip_address))
                    }
                    Op::Release(ip) => {
                        store.release_floating_ip(&ip, give_up, step).await?;
                        Ok(format!("{} released.", ip.floating_ip_address))
                    }
                }
            }
            .await;
            moving.set(None);
            running.set(false);
            let _ = all(vec![store.load_floating_ips(), store.load_quotas()]).await;
            match result {
                Ok(message) => {
                    announcer.announce(message);
                    open.set(false);
                }
                Err(e) => {
                    announcer.announce(format!("Failed: {e}"));
                    error.set(Some(e));
                }
            }
        });
    };
    let fip_limit = move || {
        let project = ip().map(|i| i.tenant_id).unwrap_or_default();
        fip_quota(&store, &project).map(|q| usage::effective_limit(&q))
    };

    view! {
        <Dialog open=open title=title confirm=confirm danger=false
            disabled=Signal::derive(move || running.get() || (needs_server() && target.with(String::is_empty)))
            on_confirm=Callback::new(move |_| run())>
            <Show when=needs_server fallback=move || view! {
                <p>{move || if matches!(op.get(), Some(Op::Detach(_))) {
                    format!("{} is detached and stays reserved for you: attach it again whenever you like.", address())
                } else if attached() && to_ports() {
                    format!("{} is attached: releasing it detaches it too. Released addresses go back to the pool and may be given to someone else.", address())
                } else if attached() {
                    format!("{} is attached: it will be detached first, then released. Released addresses go back to the pool and may be given to someone else.", address())
                } else {
                    format!("{} goes back to the pool and may be given to someone else.", address())
                }}</p>
            }>
                <Show when=to_ports fallback=move || view! {
                    <label for="ip-server">"Server"</label>
                    <select id="ip-server" on:change=move |ev| target.set(event_target_value(&ev))>
                        <option value="">"Choose a server"</option>
                        {move || servers().into_iter().map(|(s, reason)| {
                            let label = match &reason { Some(r) => format!("{} ({}) — {r}", s.name, s.id), None => format!("{} ({})", s.name, s.id) };
                            let id = s.id.clone();
                            view! { <option value=s.id.clone() disabled=reason.is_some() selected=move || target.with(|t| t == &id)>{label}</option> }
                        }).collect_view()}
                    </select>
                    <Show when=move || matches!(op.get(), Some(Op::Move(_)))>
                        <p class="hint">"The address is detached from its server, then attached to the new one. If attaching fails it stays reserved and detached: never lost."</p>
                    </Show>
                }>
                    <Show when=move || !store.servers.rows().is_empty()>
                        <label for="ip-server">"Server"</label>
                        <select id="ip-server" on:change=move |ev| { via_server.set(event_target_value(&ev)); target.set(String::new()); }>
                            <option value="">"Any port (choose below)"</option>
                            {move || servers().into_iter().map(|(s, _)| {
                                let id = s.id.clone();
                                view! { <option value=s.id.clone() selected=move || via_server.with(|v| v == &id)>{store.server_label(&s.id)}</option> }
                            }).collect_view()}
                        </select>
                    </Show>
                    <label for="ip-port">"Port"</label>
                    <select id="ip-port" on:change=move |ev| target.set(event_target_value(&ev))
                        aria-describedby=move || no_port().then_some("ip-no-port")>
                        <option value="">"Choose a port"</option>
                        {move || ports().into_iter().map(|(p, reason)| {
                            let base = store.port_label(&p.id);
                            let label = match &reason { Some(r) => format!("{base} — {r}"), None => base };
                            let id = p.id.clone();
                            view! { <option value=p.id.clone() disabled=reason.is_some() selected=move || target.with(|t| t == &id)>{label}</option> }
                        }).collect_view()}
                    </select>
                    {move || fix().map(|f| {
                        let server = store.server_label(&via_server.get_untracked());
                        let pool_name = store.network_name(&pool());
                        match f {
                            Some(f) => {
                                let subnet = store.subnet_label(&f.subnet);
                                let (text, button) = match &f.router {
                                    Some(r) => (
                                        format!("No port of {server} can take this address: no router connects its subnet {subnet} to {pool_name}. {} has its gateway on {pool_name}: add the subnet to it.", store.router_label(r)),
                                        format!("Add subnet {subnet} to {}", store.router_label(r)),
                                    ),
                                    None => (
                                        format!("No port of {server} can take this address: no router connects its subnet {subnet} to {pool_name}, and you have no router with its gateway on {pool_name}."),
                                        format!("Create a router to {pool_name} and add subnet {subnet}"),
                                    ),
                                };
                                view! {
                                    <div class="notice" id="ip-no-port">
                                        <p>{text}</p>
                                        <button type="button" class="button" disabled=move || fixing.get() on:click=run_fix>{button}</button>
                                    </div>
                                }.into_any()
                            }
                            None => view! {
                                <p class="notice" id="ip-no-port">{format!("{server} is on no private network with a subnet, so nothing can route this address to it. Connect it to one first (a network's page: Connect servers).")}</p>
                            }.into_any(),
                        }
                    })}
                    <Show when=move || no_port() && via_server.with(String::is_empty)>
                        <p class="notice" id="ip-no-port">{move || {
                            let pool = ip().and_then(|i| i.floating_network_id).map(|n| store.network_name(&n)).unwrap_or_default();
                            format!("No port can take this address yet: a port needs a subnet that a router connects to {pool}. Create a router with its gateway on {pool} and add your subnet to it (Routers page), then create a port on that network.")
                        }}</p>
                    </Show>
                    <Show when=move || matches!(op.get(), Some(Op::Move(_)))>
                        <p class="hint">"The cloud moves the address to the new port in one step."</p>
                    </Show>
                </Show>
            </Show>
            <Show when=move || !progress.with(Vec::is_empty)>
                <ol class="steps" aria-label="Progress">
                    {move || progress.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                </ol>
            </Show>
            {move || error.get().map(|e| view! { <FaultView error=e context=Context { floating_ip_limit: fip_limit(), ..Context::default() } /> })}
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_cost_line() {
        let q = QuotaEntry {
            usage: 2,
            limit: 3,
            project_usage: 2,
            project_limit: 3,
            ..QuotaEntry::default()
        };
        assert_eq!(cost_line(&q), "Floating IPs: 2 of 3 used → 3 of 3 after this");
    }
}
