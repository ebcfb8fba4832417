//! `/quotas`: every resource the account API reports, per project, with usage,
//! limit and pending as numbers and as a bar coloured by threshold.

use leptos::prelude::*;

use crate::api::until_view_gone;
use nephele_model::quota::QuotaEntry;
use nephele_model::usage::{self, Level};
use nephele_model::Resource;

use crate::components::common::{errors_view, Freshness};
use crate::state::session::SessionContext;
use crate::state::store::Store;

/// Resources in the order people think of them; others follow by name.
const ORDER: [Resource; 11] = [
    Resource::Vm,
    Resource::Cpu,
    Resource::Ram,
    Resource::Disk,
    Resource::FloatingIp,
    Resource::PrivateNetwork,
    Resource::Subnet,
    Resource::Router,
    Resource::Port,
    Resource::SecurityGroup,
    Resource::PithosDiskspace,
];

pub fn rank(resource: &str) -> (usize, &str) {
    (ORDER.iter().position(|r| r.as_str() == resource).unwrap_or(ORDER.len()), resource)
}

/// "2 of 3 used" in the resource's unit, plus the state in words.
pub fn describe(resource: &str, e: &QuotaEntry) -> String {
    let used = usage::human(resource, e.usage);
    let limit = usage::human(resource, usage::effective_limit(e));
    let state = match usage::level(e) {
        Level::Full => " — none left",
        Level::High => " — almost full",
        Level::Normal => "",
    };
    format!("{used} of {limit} used ({} %){state}", usage::percent(e))
}

#[component]
pub fn Quotas() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let load = LocalResource::new(move || {
        until_view_gone(async move {
            let (quotas, _) =
                futures::future::join(store.load_quotas(), store.load_projects()).await;
            quotas
        })
    });
    let projects = move || {
        let default = session.get().and_then(|s| s.default_project);
        let mut ids: Vec<String> = store
            .quotas
            .with(|q| q.as_ref().map(|q| q.keys().cloned().collect()).unwrap_or_default());
        ids.sort_by_key(|id| (Some(id) != default.as_ref(), store.project_name(id)));
        ids
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Quotas"</h1>
                <div class="toolbar">
                    <Freshness updated_at=Signal::derive(move || load.get().map(|_| js_sys::Date::now()))
                        busy=Signal::derive(move || load.get().is_none())
                        on_refresh=Callback::new(move |_| load.refetch()) />
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading quotas…"</p> }>
                <ErrorBoundary fallback=errors_view>
                    {move || Suspend::new(async move {
                        load.await.map(|_| view! {
                            <For each=projects key=|id| id.clone() let:project>
                                <ProjectQuotas project=project />
                            </For>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn ProjectQuotas(project: String) -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let is_personal = session.get_untracked().is_some_and(|s| s.user_id == project);
    let title = if is_personal {
        "Personal (system project)".to_owned()
    } else {
        store.project_name(&project)
    };
    let heading_id = format!("quota-{project}");
    let labelled_by = heading_id.clone();
    let project_id = project.clone();
    let rows = move || {
        let mut entries: Vec<(String, QuotaEntry)> = store
            .quotas
            .with(|q| {
                q.as_ref()
                    .and_then(|q| q.get(&project_id))
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            })
            .unwrap_or_default();
        entries.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)));
        entries
    };
    view! {
        <section class="quota-project" aria-labelledby=labelled_by>
            <h2 id=heading_id>{title}<span class="muted mono small">" "{project.clone()}</span></h2>
            <div class="table-wrap">
                <table class="data quotas">
                    <thead><tr>
                        <th scope="col">"Resource"</th><th scope="col">"Usage"</th><th scope="col">"Used"</th>
                        <th scope="col">"Limit"</th><th scope="col">"Pending"</th><th scope="col">"Left"</th>
                    </tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|(resource, e)| {
                            let level = usage::level(&e).class();
                            let limit = usage::effective_limit(&e).max(0);
                            let text = describe(&resource, &e);
                            view! {
                                <tr class=format!("quota {level}") data-resource=resource.clone()>
                                    <th scope="row">{usage::label(&resource).to_owned()}<br/><span class="muted mono small">{resource.clone()}</span></th>
                                    <td class="bar-cell">
                                        <progress class=format!("bar {level}") max=limit.max(1) value=(e.usage + e.pending).clamp(0, limit.max(1)) aria-label=format!("{} usage", usage::label(&resource))></progress>
                                        <span class="bar-text">{text}</span>
                                    </td>
                                    <td>{usage::human(&resource, e.usage)}</td>
                                    <td>{usage::human(&resource, e.limit)}</td>
                                    <td>{usage::human(&resource, e.pending)}</td>
                                    <td>{usage::human(&resource, usage::available(&e))}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_usage_in_words_and_units() {
        let gib = 1_i64 << 30;
        let ram = QuotaEntry {
            usage: 9 * gib,
            limit: 40 * gib,
            project_usage: 9 * gib,
            project_limit: 40 * gib,
            ..QuotaEntry::default()
        };
        assert_eq!(describe("cyclades.ram", &ram), "9GiB of 40GiB used (23 %)");
        let vm = QuotaEntry {
            usage: 2,
            limit: 2,
            project_usage: 2,
            project_limit: 2,
            ..QuotaEntry::default()
        };
        assert_eq!(describe("cyclades.vm", &vm), "2 of 2 used (100 %) — none left");
        let nets = QuotaEntry {
            usage: 4,
            limit: 5,
            project_usage: 4,
            project_limit: 5,
            ..QuotaEntry::default()
        };
        assert_eq!(describe("cyclades.network.private", &nets), "4 of 5 used (80 %) — almost full");
        assert!(rank("cyclades.vm") < rank("pithos.diskspace"));
        assert!(rank("pithos.diskspace") < rank("astakos.pending_app"));
    }
}
