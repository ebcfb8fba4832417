//! The sign-in form: identity URL (or a cloud to pick) and token. It checks what
//! it can before anything is sent, and sends nothing when a field is wrong.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::state::config::CloudChoice;

/// What the user asked to sign in with.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub identity_url: String,
    pub token: String,
    pub remember: bool,
}

/// Check the fields; the error names the field and what to do.
pub fn validate(identity_url: &str, token: &str) -> Result<(), String> {
    let url = identity_url.trim();
    if url.is_empty() {
        return Err("Enter the identity URL of your cloud.".into());
    }
    let absolute = url.starts_with("https://") || url.starts_with("http://");
    if !absolute && !url.starts_with('/') {
        return Err(
            "The identity URL must start with https:// (or http:// for a local cloud).".into()
        );
    }
    if token.trim().is_empty() {
        return Err(
            "Enter your API token. You find it in your cloud's dashboard, under API access.".into(),
        );
    }
    if token.trim().chars().any(char::is_whitespace) {
        return Err("A token has no spaces: check that you pasted only the token.".into());
    }
    Ok(())
}

#[component]
pub fn LoginForm(
    /// Identity URL to pre-fill.
    #[prop(into)]
    initial_url: Signal<String>,
    /// Clouds to choose from; when non-empty a picker replaces the URL field.
    #[prop(into)]
    clouds: Signal<Vec<CloudChoice>>,
    /// A sign-in is in flight: the button is disabled and says so.
    #[prop(into)]
    busy: Signal<bool>,
    /// The last failure, shown under the form.
    #[prop(into)]
    error: Signal<Option<String>>,
    on_submit: Callback<Credentials>,
) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Follow the configured URL until the user types their own.
    let touched = RwSignal::new(false);
    Effect::new(move |_| {
        let initial = initial_url.get();
        if !touched.get_untracked() {
            url.set(initial);
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (u, t) = (url.get_untracked(), token.get_untracked());
        match validate(&u, &t) {
            Err(message) => problem.set(Some(message)),
            Ok(()) => {
                problem.set(None);
                on_submit.run(Credentials {
                    identity_url: u.trim().to_owned(),
                    token: t.trim().to_owned(),
                    remember: remember.get_untracked(),
                });
            }
        }
    };
    let shown_error = move || problem.get().or_else(|| error.get());

    view! {
        <form class="login-form" on:submit=submit novalidate>
            <Show
                when=move || !clouds.with(Vec::is_empty)
                fallback=move || {
                    view! {
                        <label for="identity-url">"Identity URL"</label>
                        <input
                            id="identity-url"
                            name="identity-url"
                            type="url"
                            autocomplete="url"
                            spellcheck="false"
                            prop:value=move || url.get()
                            on:input=move |ev| {
                                touched.set(true);
                                url.set(event_target_value(&ev));
                            }
                        />
                    }
                }
            >
                <label for="cloud">"Cloud"</label>
                <select
                    id="cloud"
                    on:change=move |ev| {
                        touched.set(true);
                        url.set(event_target_value(&ev));
                    }
                >
                    {move || {
                        clouds
                            .get()
                            .into_iter()
                            .map(|c| {
                                let selected = c.identity_url == url.get_untracked();
                                view! {
                                    <option value=c.identity_url.clone() selected=selected>{c.name}</option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </Show>
            <label for="token">"API token"</label>
            <input
                id="token"
                name="token"
                type="password"
                autocomplete="current-password"
                spellcheck="false"
                bind:value=token
            />
            <label class="checkbox">
                <input type="checkbox" bind:checked=remember />
                "Remember me on this device"
            </label>
            <p class="hint">"Without it you are signed out when you close this tab."</p>
            <Show when=move || shown_error().is_some()>
                <p class="form-error" role="alert">{shown_error}</p>
            </Show>
            <button type="submit" class="button primary" disabled=move || busy.get()>
                {move || if busy.get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn validation_names_the_field() {
        assert!(validate("", "t").unwrap_err().contains("identity URL"));
        assert!(validate("ftp://x", "t").unwrap_err().contains("https://"));
        assert!(validate("https://c/identity/v2.0", " ").unwrap_err().contains("API token"));
        assert!(validate("https://c/identity/v2.0", "a b").unwrap_err().contains("no spaces"));
        assert_eq!(validate("/identity/v2.0", "tok"), Ok(()));
        assert_eq!(validate(" https://c/identity/v2.0 ", " tok "), Ok(()));
    }
}
