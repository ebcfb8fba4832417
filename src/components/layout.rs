//! The signed-in layout: header, navigation and the page. Without a session it
//! sends the visitor to the login page, remembering where they were going.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::components::quota_summary::QuotaSummary;
use crate::state::config::Config;
use crate::state::session::{SessionContext, SignedOutReason};

/// The pages in the navigation, in order.
pub const NAV: [(&str, &str); 5] = [
    ("/networks", "Networks"),
    ("/servers", "Servers"),
    ("/ports", "Ports"),
    ("/ips", "Floating IPs"),
    ("/quotas", "Quotas"),
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
    let user_name = move || session.get().map(|s| s.user_name).unwrap_or_default();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="shell">
            <header class="topbar">
                <A href="/networks" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span>{move || config.current().title}</span>
                </A>
                <div class="account">
                    <QuotaSummary />
                    <span class="user" title="Signed in as">{user_name}</span>
                    <button
                        type="button"
                        class="button subtle"
                        on:click=move |_| session.sign_out(SignedOutReason::SignedOut)
                    >
                        "Sign out"
                    </button>
                </div>
            </header>
            <nav class="sidenav" aria-label="Main">
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| view! { <li><A href=href>{label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" tabindex="-1">
                <crate::components::expiry::ExpiryBanner />
                <Outlet />
            </main>
        </div>
    }
}
