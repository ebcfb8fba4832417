//! The signed-in layout: header, navigation and the page. Without a session it
//! sends the visitor to the login page, remembering where they were going.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::components::project_switcher::{ProjectSwitcher, RegionSwitcher};
use crate::components::quota_summary::QuotaSummary;
use crate::split;
use crate::state::config::{Config, ConfigState};
use crate::state::session::SessionContext;
use crate::state::store::Store;

/// The pages in the navigation, in order; `true`: only where the cloud has routers.
pub const NAV: [(&str, &str, bool); 6] = [
    ("/networks", "Networks", false),
    ("/routers", "Routers", true),
    ("/servers", "Servers", false),
    ("/ports", "Ports", false),
    ("/ips", "Floating IPs", false),
    ("/quotas", "Quotas", false),
];

#[component]
pub fn Shell() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let signed_in = Memo::new(move |_| session.is_signed_in());
    let location = use_location();
    let to_login = move || {
        let here =
            format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
        let next = String::from(js_sys::encode_uri_component(&here));
        view! { <Redirect path=format!("/login?next={next}") /> }
    };
    view! {
        <Show when=move || signed_in.get() fallback=to_login>
            <Chrome />
        </Show>
    }
}

#[component]
fn Chrome() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let config = expect_context::<Config>();
    let store = expect_context::<Store>();
    let user_name = move || session.get().map(|s| s.user_name).unwrap_or_default();
    let caps = move || store.cloud.capabilities();
    // The page is made anew for each project: its reads run again with the new
    // project's token, and nothing of the last project stays on screen.
    let project = Memo::new(move |_| session.read(|s| s.and_then(|s| s.default_project.clone())));
    // Once the first page is up, fetch the other pages' code while the browser is
    // idle (once: the effect keeps `true` after it has asked).
    Effect::new(move |asked: Option<bool>| {
        if asked == Some(true) {
            return true;
        }
        let ConfigState::Ready(c) = config.0.get() else { return false };
        if c.prefetch {
            split::prefetch();
        }
        true
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="shell">
            <header class="topbar">
                <A href="/networks" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span>{move || config.current().title}</span>
                </A>
                <div class="account">
                    <Show when=move || caps().project_switch>
                        <ProjectSwitcher />
                        <RegionSwitcher />
                    </Show>
                    <QuotaSummary />
                    <span class="user" title="Signed in as">{user_name}</span>
                    <button
                        type="button"
                        class="button subtle"
                        on:click=move |_| store.sign_out()
                    >
                        "Sign out"
                    </button>
                </div>
            </header>
            <nav class="sidenav" aria-label="Main">
                <ul>
                    {move || NAV
                        .into_iter()
                        .filter(|(_, _, routers)| !routers || caps().routers)
                        .map(|(href, label, _)| view! { <li><A href=href>{label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" tabindex="-1">
                <crate::components::expiry::ExpiryBanner />
                {move || match store.switching.get() {
                    Some(to) => view! {
                        <p class="muted switching" role="status">{if to.is_empty() { "Switching region…".to_owned() } else { format!("Switching to project {}…", store.project_name(&to)) }}</p>
                    }.into_any(),
                    None => {
                        project.track();
                        view! { <Outlet /> }.into_any()
                    }
                }}
            </main>
        </div>
    }
}
