//! Deleting a network, dependency-aware: the dialog first shows what holds the
//! network (Synnefo: ports and the servers they connect; Neutron also floating
//! IPs on its ports and router interfaces on its subnets) and offers
//! "Disconnect everything and delete", which clears them in the order the cloud
//! needs (`Store::network_holds`, `Store::clear_and_delete_network`), waits
//! where it must, then deletes the network, showing each step. What only
//! another service can clear (a server's interface on Neutron) is named, with
//! the reason the button is disabled.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::network::Network;
use nephele_model::neutron::Owner;

use crate::api::explain::Context;
use crate::api::ApiError;
use crate::components::common::FaultView;
use crate::components::dialog::{open_for, Dialog};
use crate::state::actions::{short, Hold, StepState};
use crate::state::config::Config;
use crate::state::notify::Announcer;
use crate::state::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub label: String,
    pub state: StepState,
}

/// What a hold is, in words ("port 11 (server 141 “web”)").
pub fn describe(store: &Store, hold: &Hold) -> String {
    match hold {
        Hold::Port(p) => match p.device_id.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => format!("port {} ({})", short(&p.id), store.server_label(d)),
            None => store.port_label(&p.id),
        },
        Hold::FloatingIp(ip) => format!(
            "floating IP {} on {}",
            ip.floating_ip_address,
            ip.port_id.as_deref().map(|p| store.port_label(p)).unwrap_or_default()
        ),
        Hold::RouterInterface { router, subnet, .. } => {
            format!(
                "the interface of {} on subnet {}",
                store.router_label(router),
                subnet_label(store, subnet)
            )
        }
        Hold::ServerPort(p) => format!(
            "port {}, an interface of {} (only the compute service can detach it)",
            short(&p.id),
            p.device_id
                .as_deref()
                .map(|d| store.server_label(d))
                .unwrap_or_else(|| "a server".into())
        ),
    }
}

/// The step that clears a hold, in words.
fn step_label(store: &Store, hold: &Hold) -> String {
    match hold {
        Hold::Port(p)
            if store.cloud.capabilities_untracked().ports_delete_at_once
                && Owner::of(p.device_owner.as_deref()) != Owner::Server =>
        {
            format!("Delete {}", describe(store, hold))
        }
        Hold::Port(p) => {
            let what = p
                .device_id
                .as_deref()
                .map(|d| format!(" from {}", store.server_label(d)))
                .unwrap_or_default();
            format!("Disconnect port {}{what}", p.id)
        }
        Hold::FloatingIp(_) => format!("Detach {}", describe(store, hold)),
        Hold::RouterInterface { .. } => format!("Remove {}", describe(store, hold)),
        Hold::ServerPort(_) => describe(store, hold),
    }
}

fn subnet_label(store: &Store, id: &str) -> String {
    store
        .subnets
        .get_untracked(id)
        .map(|s| s.cidr)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| short(id).to_owned())
}

/// What holds a network, in words (for the fault sentence's context).
pub fn blockers(store: &Store, network_id: &str) -> Vec<String> {
    let mut out: Vec<String> =
        store.network_holds(network_id).iter().map(|h| describe(store, h)).collect();
    out.extend(
        store
            .floating_ips
            .values()
            .into_iter()
            .filter(|ip| ip.floating_network_id.as_deref() == Some(network_id))
            .map(|ip| format!("floating IP {}", ip.floating_ip_address)),
    );
    out
}

#[component]
pub fn DeleteNetworkDialog(
    /// The network to delete; `None` keeps the dialog closed.
    target: RwSignal<Option<Network>>,
    /// Runs after the network is deleted.
    on_deleted: Callback<String>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let config = expect_context::<Config>();
    let announcer = expect_context::<Announcer>();
    let open = RwSignal::new(false);
    let running = RwSignal::new(false);
    let steps = RwSignal::new(Vec::<(String, Step)>::new());
    let error = RwSignal::new(None::<ApiError>);

    open_for(
        open,
        running,
        move || target.with(Option::is_some),
        move || {
            steps.set(Vec::new());
            error.set(None);
        },
        move || target.set(None),
    );

    let id = move || target.with(|t| t.as_ref().map(|n| n.id.clone()).unwrap_or_default());
    let is_public = move || target.with(|t| t.as_ref().is_some_and(|n| n.public));
    let holders = Memo::new(move |_| blockers(&store, &id()));
    let blocked = Memo::new(move |_| store.network_holds(&id()).iter().any(Hold::blocks));
    let title = Signal::derive(move || {
        target.with(|t| match t {
            Some(n) if !n.name.is_empty() => format!("Delete network “{}” ({})", n.name, n.id),
            Some(n) => format!("Delete network {}", n.id),
            None => String::new(),
        })
    });
    let confirm = Signal::derive(move || {
        if holders.with(Vec::is_empty) {
            "Delete network".to_owned()
        } else {
            "Disconnect everything and delete".to_owned()
        }
    });

    let run = move || {
        let Some(network) = target.get_untracked() else { return };
        running.set(true);
        error.set(None);
        let holds = untrack(|| store.network_holds(&network.id));
        let mut plan: Vec<(String, Step)> = holds
            .iter()
            .map(|h| (h.key(), Step { label: step_label(&store, h), state: StepState::Waiting }))
            .collect();
        plan.push((
            "network".into(),
            Step { label: format!("Delete network {}", network.id), state: StepState::Waiting },
        ));
        steps.set(plan);
        let set_state = move |key: &str, state: StepState| {
            steps.update(|s| {
                if let Some((_, step)) = s.iter_mut().find(|(k, _)| k == key) {
                    step.state = state;
                }
            })
        };
        let give_up = config.poll().give_up_ms;
        spawn_local(async move {
            let outcome =
                store.clear_and_delete_network(&network.id, holds, give_up, set_state).await;
            running.set(false);
            match outcome {
                Ok(()) => {
                    announcer.announce(format!("Network {} deleted.", network.id));
                    let _ = store.load_quotas().await;
                    open.set(false);
                    on_deleted.run(network.id.clone());
                }
                Err(e) => {
                    steps.update(|s| {
                        for (_, step) in s.iter_mut() {
                            if step.state == StepState::Running {
                                step.state = StepState::Failed;
                            }
                        }
                    });
                    announcer.announce(format!("Deleting network {} failed.", network.id));
                    error.set(Some(e));
                    let _ = store.load_ports().await;
                }
            }
        });
    };

    view! {
        <Dialog
            open=open
            title=title
            confirm=confirm
            danger=true
            disabled=Signal::derive(move || running.get() || blocked.get())
            hide_confirm=Signal::derive(is_public)
            cancel="Close"
            on_confirm=Callback::new(move |_| run())
        >
            <Show
                when=move || !is_public()
                fallback=|| view! {
                    <p class="notice">"This is a public network. Public networks belong to the cloud and cannot be deleted by tenants."</p>
                }
            >
                <Show
                    when=move || !holders.with(Vec::is_empty)
                    fallback=|| view! { <p>"Nothing is connected to this network. Deleting it cannot be undone."</p> }
                >
                    <p>"This network is in use. These will be disconnected first, in this order:"</p>
                    <ul class="blockers">
                        {move || holders.get().into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                    </ul>
                    <Show when=move || blocked.get()>
                        <p class="notice" role="note">"A server's interface is on this network: detach it from the server first (the compute service does that), then delete the network."</p>
                    </Show>
                </Show>
            </Show>
            <Show when=move || !steps.with(Vec::is_empty)>
                <ol class="steps" aria-label="Progress">
                    {move || {
                        steps
                            .get()
                            .into_iter()
                            .map(|(_, s)| {
                                let (class, word) = match s.state {
                                    StepState::Waiting => ("step waiting", "waiting"),
                                    StepState::Running => ("step running", "in progress"),
                                    StepState::Done => ("step done", "done"),
                                    StepState::Failed => ("step failed", "failed"),
                                };
                                view! { <li class=class>{s.label}" — "{word}</li> }
                            })
                            .collect_view()
                    }}
                </ol>
            </Show>
            {move || error.get().map(|e| view! { <FaultView error=e context=Context { blockers: holders.get(), ..Context::default() } /> })}
        </Dialog>
    }
}
