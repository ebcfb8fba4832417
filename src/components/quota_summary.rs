//! The header's compact quota summary: what this portal consumes (floating IPs,
//! private networks) in the default project, coloured by threshold.

use leptos::prelude::*;
use nephele_model::{usage, Resource};

use crate::state::session::SessionContext;
use crate::state::store::Store;

/// The compact summary in the header: the resources this portal consumes, for
/// the default project.
#[component]
pub fn QuotaSummary() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    leptos::task::spawn_local(async move {
        if store.quotas.get_untracked().is_none() {
            let _ = store.load_quotas().await;
        }
    });
    let item = move |resource: Resource, short: &'static str| {
        move || {
            let project = session.get().and_then(|s| s.default_project)?;
            let e = store
                .quotas
                .with(|q| q.as_ref()?.get(&project)?.get(resource.as_str()).copied())?;
            let level = usage::level(&e).class();
            Some(view! {
                <li class=format!("summary-item {level}")>
                    {short}" "<strong>{format!("{}/{}", e.usage + e.pending, usage::effective_limit(&e))}</strong>
                </li>
            })
        }
    };
    view! {
        <a href="/quotas" class="quota-summary" title="Your quotas in the default project">
            <span class="visually-hidden">"Quotas: "</span>
            <ul>
                {item(Resource::FloatingIp, "IPs")}
                {item(Resource::PrivateNetwork, "Networks")}
            </ul>
        </a>
    }
}
