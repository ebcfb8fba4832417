use leptos::prelude::*;

use super::NotBuiltYet;

#[component]
pub fn FloatingIps() -> impl IntoView {
    view! { <NotBuiltYet title="Floating IPs" /> }
}
