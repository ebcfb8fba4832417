use leptos::prelude::*;

use super::NotBuiltYet;

#[component]
pub fn Ports() -> impl IntoView {
    view! { <NotBuiltYet title="Ports" /> }
}
