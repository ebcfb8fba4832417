//! `/routers` (clouds with Neutron routers): a floating IP reaches a port only
//! through a router whose gateway is on the IP's external network and which
//! has an interface on the port's subnet. Create one with its gateway, add and
//! remove subnet interfaces, delete it (its interfaces are removed first).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use nephele_model::neutron::Router;

use crate::api::explain::Context;
use crate::api::{until_view_gone, ApiError};
use crate::components::common::{errors_view, CopyButton, FaultView, Freshness, StatusBadge};
use crate::state::actions::short;
use crate::state::notify::Announcer;
use crate::state::store::{all, Row, Store};

#[component]
pub fn Routers() -> impl IntoView {
    let store = expect_context::<Store>();
    let load = LocalResource::new(move || {
        until_view_gone(async move {
            all(vec![
                store.load_routers(),
                store.load_ports(),
                store.load_networks(),
                store.load_subnets(),
                store.load_floating_ips(),
            ])
            .await
        })
    });
    let creating = RwSignal::new(false);
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Routers"</h1>
                <div class="toolbar">
                    <Freshness updated_at=Signal::derive(move || store.routers.updated_at.get())
                        busy=Signal::derive(move || load.get().is_none())
                        on_refresh=Callback::new(move |_| load.refetch()) />
                    <button type="button" class="button primary" disabled=move || creating.get()
                        on:click=move |_| creating.set(true)>"Create router"</button>
                </div>
            </div>
            <p class="hint">"A floating IP reaches a port only through a router: its gateway on the IP's external network, and an interface on the port's subnet."</p>
            <Show when=move || creating.get()>
                <CreateRouterForm on_close=Callback::new(move |_| creating.set(false)) />
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading routers…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <caption class="visually-hidden">"Routers"</caption>
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Gateway"</th>
                                        <th scope="col">"Interfaces"</th><th scope="col">"Status"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        <For each=move || store.routers.rows() key=|r| r.id.clone() let:row>
                                            <RouterRow row=row />
                                        </For>
                                    </tbody>
                                </table>
                            </div>
                            <Show when=move || store.routers.rows().is_empty()>
                                <p class="empty">"You have no routers. Create one with its gateway on the external network to give your networks floating IPs."</p>
                            </Show>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn RouterRow(row: Row<Router>) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let router = row.signal();
    let id = row.id.clone();
    let name = move || {
        router.with(|r| if r.name.is_empty() { short(&r.id).to_owned() } else { r.name.clone() })
    };
    let gateway = move || {
        router.with(|r| {
            let net = r.gateway_network()?.to_owned();
            let ip = r
                .external_gateway_info
                .as_ref()
                .and_then(|g| g.external_fixed_ips.first())
                .map(|f| format!(" ({})", f.ip_address))
                .unwrap_or_default();
            Some(format!("{}{ip}", store.network_name(&net)))
        })
    };
    let interfaces = {
        let id = id.clone();
        Memo::new(move |_| store.router_interfaces(&id))
    };
    // Subnets of the tenant's own networks that this router does not reach yet.
    let addable = move || {
        let attached: Vec<String> = interfaces.get().into_iter().map(|(_, s)| s).collect();
        store
            .subnets
            .values()
            .into_iter()
            .filter(|s| !attached.contains(&s.id))
            .filter(|s| !store.networks.get(&s.network_id).is_some_and(|n| n.public))
            .collect::<Vec<_>>()
    };
    let chosen = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let progress = RwSignal::new(None::<String>);
    let run = move |work: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<String, ApiError>>>,
    >| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = work.await;
            busy.set(false);
            progress.set(None);
            match outcome {
                Ok(message) => announcer.announce(message),
                Err(e) => {
                    announcer.announce(format!("Failed: {e}"));
                    error.set(Some(e));
                }
            }
        });
    };
    let add = {
        let id = id.clone();
        move |_| {
            let subnet = chosen.get_untracked();
            if subnet.is_empty() {
                return;
            }
            let id = id.clone();
            run(Box::pin(async move {
                store.add_router_interface(&id, &subnet).await?;
                chosen.set(String::new());
                Ok(format!(
                    "Subnet {} added to {}.",
                    store.subnet_label(&subnet),
                    store.router_label(&id)
                ))
            }));
        }
    };
    let remove = {
        let id = id.clone();
        move |subnet: String| {
            let id = id.clone();
            run(Box::pin(async move {
                store.remove_router_interface(&id, &subnet).await?;
                Ok(format!(
                    "Subnet {} removed from {}.",
                    store.subnet_label(&subnet),
                    store.router_label(&id)
                ))
            }));
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let label = store.router_label(&id);
            run(Box::pin(async move {
                store.delete_router(&id, move |p| progress.set(Some(p))).await?;
                Ok(format!("{label} deleted."))
            }));
        }
    };
    let select_id = format!("router-subnet-{id}");
    let status = Signal::derive(move || router.with(|r| r.status.to_lowercase()));
    view! {
        <tr>
            <th scope="row">{name}<CopyButton text=id.clone() label=format!("router id {id}") /></th>
            <td>{move || gateway().unwrap_or_else(|| "none".into())}</td>
            <td>
                <ul class="plain">
                    {move || interfaces.get().into_iter().map(|(port, subnet)| {
                        let label = store.subnet_label(&subnet);
                        let net = port.network_id.clone();
                        let aria = format!("Remove subnet {label} from router {}", name());
                        let remove = remove.clone();
                        let sub = subnet.clone();
                        view! {
                            <li>
                                <A href=format!("/networks/{net}")>{store.network_name(&net)}</A>" · "{label}
                                " "<button type="button" class="button subtle" disabled=move || busy.get()
                                    aria-label=aria on:click=move |_| remove(sub.clone())>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <div class="inline-form">
                    <label for=select_id.clone() class="visually-hidden">{move || format!("Subnet to add to router {}", name())}</label>
                    <select id=select_id.clone() on:change=move |ev| chosen.set(event_target_value(&ev))
                        prop:value=move || chosen.get()>
                        <option value="">{move || if addable().is_empty() { "No subnet to add" } else { "Choose a subnet" }}</option>
                        {move || addable().into_iter().map(|s| {
                            let label = format!("{} · {}", store.network_name(&s.network_id), if s.name.is_empty() { s.cidr.clone() } else { format!("{} ({})", s.name, s.cidr) });
                            view! { <option value=s.id.clone()>{label}</option> }
                        }).collect_view()}
                    </select>
                    <button type="button" class="button" disabled=move || busy.get() || chosen.with(String::is_empty)
                        aria-label=move || format!("Add interface to router {}", name()) on:click=add>"Add interface"</button>
                </div>
            </td>
            <td><StatusBadge status=status /></td>
            <td class="actions">
                <button type="button" class="button danger" disabled=move || busy.get()
                    aria-label=move || format!("Delete router {}", name()) on:click=delete>
                    {move || if busy.get() { "Working…" } else { "Delete" }}
                </button>
                {move || progress.get().map(|p| view! { <p class="muted">{p}</p> })}
                {move || error.get().map(|e| view! { <FaultView error=e context=Context::default() /> })}
            </td>
        </tr>
    }
}

const NO_GATEWAY: &str = "none";

#[component]
fn CreateRouterForm(on_close: Callback<()>) -> impl IntoView {
    let store = expect_context::<Store>();
    let announcer = expect_context::<Announcer>();
    let name = RwSignal::new(String::new());
    let externals =
        move || store.networks.values().into_iter().filter(|n| n.public).collect::<Vec<_>>();
    // `None` until the user picks: the first external network; "none": no gateway.
    let picked = RwSignal::new(None::<String>);
    let gateway = move || match picked.get() {
        Some(g) if g == NO_GATEWAY => String::new(),
        Some(g) => g,
        None => externals().first().map(|n| n.id.clone()).unwrap_or_default(),
    };
    let error = RwSignal::new(None::<ApiError>);
    let create = Action::new_local(move |(name, gateway): &(String, String)| {
        let (name, gateway) = (name.clone(), gateway.clone());
        async move { store.create_router(&name, Some(gateway.as_str()).filter(|g| !g.is_empty())).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(r)) => {
            announcer.announce(format!(
                "Router {} created.",
                if r.name.is_empty() { &r.id } else { &r.name }
            ));
            on_close.run(());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        create.dispatch_local((name.get_untracked().trim().to_owned(), untrack(gateway)));
    };
    view! {
        <form class="panel form-grid" on:submit=submit novalidate aria-label="Create a router">
            <h2>"Create a router"</h2>
            <div>
                <label for="router-name">"Name"</label>
                <input id="router-name" bind:value=name spellcheck="false" />
            </div>
            <div>
                <label for="router-gateway">"Gateway (external network)"</label>
                <select id="router-gateway" on:change=move |ev| picked.set(Some(event_target_value(&ev)))>
                    {move || externals().into_iter().map(|n| {
                        let selected = n.id == gateway();
                        let label = if n.name.is_empty() { n.id.clone() } else { n.name.clone() };
                        view! { <option value=n.id.clone() selected=selected>{label}</option> }
                    }).collect_view()}
                    <option value=NO_GATEWAY>"No gateway"</option>
                </select>
            </div>
            {move || error.get().map(|e| view! { <div class="form-actions-full"><FaultView error=e context=Context::default() /></div> })}
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create router" }}
                </button>
            </div>
        </form>
    }
}
