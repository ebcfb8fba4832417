use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFound() -> impl IntoView {
    let location = use_location();
    view! {
        <main id="main" class="centered">
            <section class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is nothing at " <code>{move || location.pathname.get()}</code> "."</p>
                <p><A href="/networks">"Go to your networks"</A></p>
            </section>
        </main>
    }
}
