//! The header's project switcher (OpenStack: a token is scoped to one project,
//! so working in another means a token for it). Switching re-scopes through the
//! store; a project that cannot be reached is explained beside the switcher and
//! nothing else changes.

use leptos::prelude::*;

use crate::api::explain::{explain, Context};
use crate::api::{until_view_gone, ApiError};
use crate::state::notify::Announcer;
use crate::state::session::SessionContext;
use crate::state::store::Store;

#[component]
pub fn ProjectSwitcher() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let announcer = expect_context::<Announcer>();
    let can_switch = move || session.read(|s| s.is_some_and(|s| s.can_rescope));
    let current =
        move || session.read(|s| s.and_then(|s| s.default_project.clone())).unwrap_or_default();
    // The projects' names: loaded once per sign-in (they are kept across switches).
    let _names = LocalResource::new(move || {
        let _ = session.read(|s| s.map(|s| s.user_id.clone()));
        until_view_gone(async move { store.load_projects().await })
    });
    let problem = RwSignal::new(None::<(String, ApiError)>);
    let switch = Action::new_local(move |project: &String| {
        let project = project.clone();
        async move {
            let result = store.switch_project(&project).await;
            (project, result)
        }
    });
    Effect::new(move |_| match switch.value().get() {
        Some((project, Ok(()))) => {
            problem.set(None);
            announcer.announce(format!("Now working in project {}.", store.project_name(&project)));
        }
        Some((project, Err(e))) => {
            announcer
                .announce(format!("Could not switch to project {}.", store.project_name(&project)));
            problem.set(Some((project, e)));
        }
        None => {}
    });
    let options = move || {
        let mut list = store.projects.get();
        let here = current();
        if !list.iter().any(|p| p.id == here) {
            list.insert(
                0,
                nephele_model::account::Project {
                    id: here.clone(),
                    name: String::new(),
                    ..Default::default()
                },
            );
        }
        list
    };
    let explanation = move || {
        problem.get().map(|(project, e)| {
            let name = store.project_name(&project);
            match e.status() {
                Some(401 | 403 | 404) => format!("You cannot work in project {name}: Keystone refused a token for it (you may no longer be a member, or it is disabled)."),
                _ => format!("Could not switch to project {name}: {}", explain(&e, &Context::default()).summary),
            }
        })
    };
    view! {
        <div class="project-switcher">
            <label for="project-switch">"Project"</label>
            <select id="project-switch"
                disabled=move || switch.pending().get() || !can_switch()
                aria-describedby=move || (!can_switch()).then_some("project-switch-reason")
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if chosen != current() {
                        switch.dispatch_local(chosen);
                    }
                }>
                {move || {
                    let here = current();
                    options().into_iter().map(|p| {
                        let selected = p.id == here;
                        let label = if p.name.is_empty() { p.id.clone() } else { p.name.clone() };
                        view! { <option value=p.id.clone() selected=selected>{label}</option> }
                    }).collect_view()
                }}
            </select>
            <Show when=move || switch.pending().get()>
                <span class="muted">"Switching…"</span>
            </Show>
            <Show when=move || !can_switch()>
                <span class="hint" id="project-switch-reason">"Signed in with an application credential: it works in its own project only."</span>
            </Show>
            {move || explanation().map(|text| view! { <p class="form-error switch-error" role="alert">{text}</p> })}
        </div>
    }
}

/// The catalog's regions, when it lists several (OpenStack): the portal uses
/// the chosen region's public endpoints.
#[component]
pub fn RegionSwitcher() -> impl IntoView {
    let store = expect_context::<Store>();
    let session = expect_context::<SessionContext>();
    let announcer = expect_context::<Announcer>();
    let regions = move || session.read(|s| s.map(|s| s.regions.clone()).unwrap_or_default());
    let current = move || session.read(|s| s.and_then(|s| s.region.clone())).unwrap_or_default();
    let switch = Action::new_local(move |region: &String| {
        let region = region.clone();
        async move { (region.clone(), store.switch_region(&region).await) }
    });
    Effect::new(move |_| match switch.value().get() {
        Some((region, Ok(()))) => announcer.announce(format!("Now using region {region}.")),
        Some((region, Err(e))) => {
            announcer.announce(format!("Could not switch to region {region}: {e}"))
        }
        None => {}
    });
    view! {
        <Show when=move || { regions().len() > 1 }>
            <div class="project-switcher">
                <label for="region-switch">"Region"</label>
                <select id="region-switch" disabled=move || switch.pending().get()
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        if chosen != current() {
                            switch.dispatch_local(chosen);
                        }
                    }>
                    {move || {
                        let here = current();
                        regions().into_iter().map(|r| {
                            let selected = r == here;
                            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                        }).collect_view()
                    }}
                </select>
            </div>
        </Show>
    }
}
