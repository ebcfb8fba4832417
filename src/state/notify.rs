//! Status announcements: one polite `aria-live` region for the whole app, so a
//! screen reader hears "Port 11 is now ACTIVE" without the user hunting for it.
//!
//! Announcing is an act, not state that views derive from: the announcer keeps
//! the region's one text node and writes it itself, through the same DOM call
//! that every reactive text uses, instead of a signal and an effect that only
//! copy the sentence across. (A status change is one row's update and this
//! sentence; issue 15 keeps the pair under 1 ms.)

use leptos::html::Div;
use leptos::prelude::*;
use leptos::tachys::renderer::dom::Dom;

thread_local! {
    /// The live region's text: one per app (the browser runs one thread).
    static SAID: web_sys::Text = Dom::create_text_node("");
}

#[derive(Clone, Copy, Default)]
pub struct Announcer;

impl Announcer {
    pub fn new() -> Announcer {
        Announcer
    }

    /// Say `text` in the live region.
    pub fn announce(&self, text: impl Into<String>) {
        say(&text.into());
    }
}

/// Not generic, so one copy serves every caller.
fn say(text: &str) {
    SAID.with(|node| Dom::set_text(node, text));
}

/// The live region itself; `App` renders it once.
#[component]
pub fn LiveRegion() -> impl IntoView {
    let region = NodeRef::<Div>::new();
    region.on_load(|el| {
        SAID.with(|text| {
            let _ = el.append_child(text);
        });
    });
    view! {
        <div id="announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"
            node_ref=region></div>
    }
}
