use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::NotBuiltYet;

#[component]
pub fn NetworkDetail() -> impl IntoView {
    let params = use_params_map();
    let title = move || format!("Network {}", params.read().get("id").unwrap_or_default());
    view! { {move || view! { <NotBuiltYet title=title() /> }} }
}
