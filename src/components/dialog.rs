//! A modal dialog on the native `<dialog>` element: focus moves into it, Esc
//! closes it, the page behind is inert, and focus returns to the control that
//! opened it when it closes (the browser does all of this for `showModal`).

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// Open while true; the dialog sets it to false when the user closes it.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// The confirm button's label, e.g. "Delete network".
    #[prop(into)]
    confirm: Signal<String>,
    /// Runs on the confirm button or Enter.
    on_confirm: Callback<()>,
    /// Confirm is disabled while true (an action in flight, a form not valid).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Style the confirm button as destructive.
    #[prop(optional)]
    danger: bool,
    /// Hide the confirm button (e.g. when nothing can be done).
    #[prop(optional, into)]
    hide_confirm: Signal<bool>,
    /// Label of the button that closes the dialog ("Cancel" when not given).
    #[prop(optional, into)]
    cancel: Option<Signal<String>>,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !disabled.get_untracked() {
            on_confirm.run(());
        }
    };
    let id = format!("dialog-title-{}", next_id());
    let labelled_by = id.clone();
    let confirm_class = if danger { "button danger-solid" } else { "button primary" };
    let cancel = move || cancel.map_or_else(|| "Cancel".to_owned(), |c| c.get());
    view! {
        <dialog node_ref=node aria-labelledby=labelled_by on:close=move |_| open.set(false)>
            <form on:submit=submit>
                <h2 id=id>{move || title.get()}</h2>
                <div class="dialog-body">{children()}</div>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>{cancel}</button>
                    <Show when=move || !hide_confirm.get()>
                        <button type="submit" class=confirm_class disabled=move || disabled.get() autofocus>
                            {move || confirm.get()}
                        </button>
                    </Show>
                </div>
            </form>
        </dialog>
    }
}

/// Wire a dialog to the thing it acts on: when there is a target, `reset` the
/// dialog's state and open it; when the user closes it, `clear` the target,
/// unless an action is still running (it then finishes in view).
pub fn open_for(
    open: RwSignal<bool>,
    running: RwSignal<bool>,
    has_target: impl Fn() -> bool + 'static,
    reset: impl Fn() + 'static,
    clear: impl Fn() + 'static,
) {
    Effect::new(move |_| {
        if has_target() {
            reset();
            open.set(true);
        }
    });
    Effect::new(move |_| {
        if !open.get() && !running.get_untracked() {
            clear();
        }
    });
}

fn next_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
