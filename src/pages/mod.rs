//! One component per route.

pub mod ips;
pub mod login;
pub mod network_detail;
pub mod networks;
pub mod not_found;
pub mod ports;
pub mod quotas;
pub mod routers;
pub mod server_detail;
pub mod servers;

use leptos::prelude::*;

/// A page heading plus a note that the view is not built yet.
#[component]
pub fn NotBuiltYet(#[prop(into)] title: String) -> impl IntoView {
    view! {
        <section class="page">
            <h1>{title}</h1>
            <p class="empty">"This view is not built yet."</p>
        </section>
    }
}
