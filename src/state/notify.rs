//! Status announcements: one polite `aria-live` region for the whole app, so a
//! screen reader hears "Port 11 is now ACTIVE" without the user hunting for it.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Announcer {
    message: RwSignal<String>,
}

impl Announcer {
    pub fn new() -> Announcer {
        Announcer { message: RwSignal::new(String::new()) }
    }

    pub fn announce(&self, text: impl Into<String>) {
        self.message.set(text.into());
    }

    pub fn message(&self) -> String {
        self.message.get()
    }
}

impl Default for Announcer {
    fn default() -> Self {
        Announcer::new()
    }
}

/// The live region itself; `App` renders it once.
#[component]
pub fn LiveRegion() -> impl IntoView {
    let announcer = expect_context::<Announcer>();
    view! {
        <div id="announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
            {move || announcer.message()}
        </div>
    }
}
