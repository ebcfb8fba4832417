use leptos::prelude::*;

use super::NotBuiltYet;

#[component]
pub fn Quotas() -> impl IntoView {
    view! { <NotBuiltYet title="Quotas" /> }
}
