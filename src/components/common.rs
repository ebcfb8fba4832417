//! Small pieces every page uses: status badges, faults in plain words, copy
//! buttons, "updated 3 min ago" with a refresh button.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::{PortStatus, ServerStatus};

use crate::api::explain::{explain, Context};
use crate::api::ApiError;
use crate::state::clock::{ago, elapsed, Clock};

/// The CSS class for a status word: ok, pending, error or neutral. The API's
/// words come through the model's enums; the others are the portal's own
/// (`ATTACHED`, `DELETING`, …) or Synnefo's task states.
pub fn status_class(status: &str) -> &'static str {
    let word = status.to_ascii_uppercase();
    let port = PortStatus::from(word.as_str());
    let server = ServerStatus::from(word.as_str());
    if port == PortStatus::Active || word == "ATTACHED" {
        "badge ok"
    } else if port == PortStatus::Build
        || matches!(
            word.as_str(),
            "PENDING"
                | "CONNECTING"
                | "DISCONNECTING"
                | "DELETING"
                | "ATTACHING"
                | "DETACHING"
                | "MOVING"
        )
    {
        "badge pending"
    } else if port == PortStatus::Error || server == ServerStatus::Deleted || word == "STUCK" {
        "badge error"
    } else {
        "badge neutral"
    }
}

/// A status word with colour, a spinner while pending and, if known, how long
/// it has been pending. The text carries the meaning; colour only repeats it.
#[component]
pub fn StatusBadge(
    #[prop(into)] status: Signal<String>,
    /// How long it has been pending (ms), shown beside the status.
    #[prop(optional, into)]
    pending_for: Signal<Option<f64>>,
) -> impl IntoView {
    let time = Memo::new(move |_| pending_for.get().map(elapsed).unwrap_or_default());
    // The spinner and the time are always there; the stylesheet shows the
    // spinner only on a pending badge and the time only when it has text. A
    // status change then sets one class and two texts, and builds nothing.
    view! {
        <span class=move || status.with(|s| status_class(s))>
            <span class="spinner" aria-hidden="true"></span>
            {move || status.get()}
            <span class="elapsed">{move || time.get()}</span>
        </span>
    }
}

/// A fault in plain words, with the next step and the raw answer one click away.
#[component]
pub fn FaultView(error: ApiError, #[prop(optional)] context: Context) -> impl IntoView {
    let x = explain(&error, &context);
    let raw = match &error {
        ApiError::Fault { status, path, fault } => {
            format!("{status} {path}\n{}", serde_json::to_string_pretty(fault).unwrap_or_default())
        }
        ApiError::Status { status, path, body } => format!("{status} {path}\n{body}"),
        other => format!("{}\n{other}", other.path()),
    };
    view! {
        <div class="fault" role="alert">
            <p class="fault-summary">{x.summary}</p>
            {x.next_step.map(|n| view! { <p class="fault-next">{n}</p> })}
            <details>
                <summary>"Show the cloud's answer"</summary>
                <pre>{raw}</pre>
            </details>
        </div>
    }
}

/// Copies `text` to the clipboard; `label` names what is copied for screen readers.
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let text = text.clone();
        spawn_local(async move {
            let Some(window) = web_sys::window() else { return };
            let promise = window.navigator().clipboard().write_text(&text);
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                copied.set(true);
                gloo_timers::future::TimeoutFuture::new(1500).await;
                copied.set(false);
            }
        });
    };
    view! {
        <button type="button" class="icon-button" aria-label=format!("Copy {label}") title=format!("Copy {label}") on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// "Updated just now" (then "under a minute ago", "3 min ago") and a refresh button.
#[component]
pub fn Freshness(
    #[prop(into)] updated_at: Signal<Option<f64>>,
    #[prop(into)] busy: Signal<bool>,
    on_refresh: Callback<()>,
) -> impl IntoView {
    let clock = expect_context::<Clock>();
    let text = move || match updated_at.get() {
        Some(at) => format!("Updated {}", ago(clock.now() - at)),
        None => "Loading…".to_owned(),
    };
    view! {
        <div class="freshness">
            <span class="muted">{text}</span>
            <button type="button" class="button" disabled=move || busy.get() on:click=move |_| on_refresh.run(())>
                {move || if busy.get() { "Refreshing…" } else { "Refresh" }}
            </button>
        </div>
    }
}

/// The errors an `ErrorBoundary` caught, each in plain words.
pub fn errors_view(errors: ArcRwSignal<Errors>) -> impl IntoView {
    move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<ApiError>() {
                Some(api) => view! { <FaultView error=api.clone() /> }.into_any(),
                None => view! { <p class="fault" role="alert">{e.to_string()}</p> }.into_any(),
            })
            .collect_view()
    }
}
