use leptos::prelude::*;

use super::NotBuiltYet;

#[component]
pub fn Servers() -> impl IntoView {
    view! { <NotBuiltYet title="Servers" /> }
}
