//! Deleting a network, dependency-aware: the dialog first shows what holds the
//! network (ports and the servers they connect, floating IPs reserved from it)
//! and offers "Disconnect everything and delete", which removes the ports (one
//! per server at a time, as Synnefo allows), waits until they are gone, then
//! deletes the network, showing each step.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::network::Network;
use nephele_model::port::Port;

use crate::api::explain::Context;
use crate::api::ApiError;
use crate::components::common::FaultView;
use crate::components::dialog::{open_for, Dialog};
use crate::state::actions::StepState;
use crate::state::config::Config;
use crate::state::notify::Announcer;
use crate::state::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub label: String,
    pub state: StepState,
}

/// What holds a network, in words ("port 11 (server 141 “web”)").
pub fn blockers(store: &Store, network_id: &str) -> Vec<String> {
    let mut out: Vec<String> = ports_on(store, network_id)
        .into_iter()
        .map(|p| match &p.device_id {
            Some(d) => format!("port {} ({})", p.id, store.server_label(d)),
            None => format!("port {}", p.id),
        })
        .collect();
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

fn ports_on(store: &Store, network_id: &str) -> Vec<Port> {
    store.ports.values().into_iter().filter(|p| p.network_id == network_id).collect()
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
        let ports = ports_on(&store, &network.id);
        let mut plan: Vec<(String, Step)> = ports
            .iter()
            .map(|p| {
                let what = p
                    .device_id
                    .as_deref()
                    .map(|d| format!(" from {}", store.server_label(d)))
                    .unwrap_or_default();
                (
                    p.id.clone(),
                    Step {
                        label: format!("Disconnect port {}{what}", p.id),
                        state: StepState::Waiting,
                    },
                )
            })
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
        let give_up = config.current().poll.give_up_ms;
        spawn_local(async move {
            let outcome =
                store.disconnect_all_and_delete(&network.id, ports, give_up, set_state).await;
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
            disabled=Signal::derive(move || running.get())
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
                    <p>"This network is in use. These will be disconnected first:"</p>
                    <ul class="blockers">
                        {move || holders.get().into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                    </ul>
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
