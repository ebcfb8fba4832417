//! The sign-in form: identity URL (or a cloud to pick), then what that cloud
//! signs in with: Synnefo's API token, or Keystone's password (user name +
//! domain), application credential or token. It checks what it can before
//! anything is sent, and sends nothing when a field is wrong.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use nephele_model::identity::Family;
use nephele_model::keystone::Method;

use crate::state::config::CloudChoice;

/// What the user asked to sign in with.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub identity_url: String,
    pub family: Family,
    pub secret: Secret,
    pub remember: bool,
}

/// Synnefo's API token, or one of Keystone's methods.
#[derive(Debug, Clone, PartialEq)]
pub enum Secret {
    Token(String),
    Keystone(Method),
}

/// Which Keystone method the form shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoneChoice {
    Password,
    ApplicationCredential,
    Token,
}

/// Check Keystone's fields; the error names the field.
pub fn validate_keystone(
    choice: KeystoneChoice,
    a: &str,
    b: &str,
    c: &str,
) -> Result<Method, String> {
    let (a, b, c) = (a.trim(), b.trim(), c.to_owned());
    match choice {
        KeystoneChoice::Password => {
            if a.is_empty() {
                return Err("Enter your user name.".into());
            }
            if b.is_empty() {
                return Err("Enter your domain (often “Default”).".into());
            }
            if c.is_empty() {
                return Err("Enter your password.".into());
            }
            Ok(Method::Password { user: a.into(), domain: b.into(), password: c })
        }
        KeystoneChoice::ApplicationCredential => {
            if a.is_empty() || b.is_empty() {
                return Err("Enter the application credential's ID and its secret.".into());
            }
            Ok(Method::ApplicationCredential { id: a.into(), secret: b.into() })
        }
        KeystoneChoice::Token => {
            if a.is_empty() || a.chars().any(char::is_whitespace) {
                return Err("Enter a Keystone token (no spaces).".into());
            }
            Ok(Method::Token { id: a.into() })
        }
    }
}

/// Check the identity URL and Synnefo's token; the error names the field.
pub fn validate(identity_url: &str, token: &str) -> Result<(), String> {
    check_url(identity_url)?;
    check_token(token)
}

fn check_url(identity_url: &str) -> Result<(), String> {
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
    Ok(())
}

fn check_token(token: &str) -> Result<(), String> {
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
    /// The family `config.json` gives the pre-filled URL, if it says.
    #[prop(optional, into)]
    initial_family: Signal<Option<Family>>,
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
    // Keystone's fields: the method, then its two or three inputs.
    let choice = RwSignal::new(KeystoneChoice::Password);
    let user = RwSignal::new(String::new());
    let domain = RwSignal::new("Default".to_owned());
    let password = RwSignal::new(String::new());
    let credential_id = RwSignal::new(String::new());
    let credential_secret = RwSignal::new(String::new());
    let keystone_token = RwSignal::new(String::new());
    // Follow the configured URL until the user types their own.
    let touched = RwSignal::new(false);
    let settled_url = RwSignal::new(String::new());
    Effect::new(move |_| {
        let initial = initial_url.get();
        if !touched.get_untracked() {
            settled_url.set(initial.clone());
            url.set(initial);
        }
    });
    // The family: what the configuration says of this URL, else what the URL
    // itself says (`…/v3`), else what its version document says (fetched when
    // the URL is neither; Synnefo until it answers).
    let configured = move |u: &str| {
        clouds
            .with(|cs| cs.iter().find(|c| c.identity_url == u).and_then(|c| c.family))
            .or_else(|| (u == initial_url.get()).then(|| initial_family.get()).flatten())
    };
    // Asked once the URL is settled (the field left, a cloud picked), not per keystroke.
    let detected = LocalResource::new(move || {
        let u = settled_url.get();
        let known = configured(&u).is_some();
        async move {
            if known || u.trim().is_empty() || Family::from_identity_url(&u).is_some() {
                return None;
            }
            Some(crate::api::openstack::detect_family(&absolute(&u), None).await)
        }
    });
    let family = Memo::new(move |_| {
        let u = url.get();
        configured(&u)
            .or_else(|| Family::from_identity_url(&u))
            .or_else(|| detected.get().flatten().filter(|_| settled_url.with(|s| *s == u)))
            .unwrap_or_default()
    });
    let openstack = move || family.get() == Family::OpenStack;

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let u = url.get_untracked();
        let checked = check_url(&u).and_then(|()| {
            if family.get_untracked() == Family::OpenStack {
                validate_keystone(
                    choice.get_untracked(),
                    &match choice.get_untracked() {
                        KeystoneChoice::Password => user.get_untracked(),
                        KeystoneChoice::ApplicationCredential => credential_id.get_untracked(),
                        KeystoneChoice::Token => keystone_token.get_untracked(),
                    },
                    &match choice.get_untracked() {
                        KeystoneChoice::Password => domain.get_untracked(),
                        _ => credential_secret.get_untracked(),
                    },
                    &password.get_untracked(),
                )
                .map(Secret::Keystone)
            } else {
                let t = token.get_untracked();
                check_token(&t).map(|()| Secret::Token(t.trim().to_owned()))
            }
        });
        match checked {
            Err(message) => problem.set(Some(message)),
            Ok(secret) => {
                problem.set(None);
                on_submit.run(Credentials {
                    identity_url: u.trim().to_owned(),
                    family: family.get_untracked(),
                    secret,
                    remember: remember.get_untracked(),
                });
            }
        }
    };
    let shown_error = move || problem.get().or_else(|| error.get());
    let method_radio = move |value: KeystoneChoice, label: &'static str| {
        view! {
            <label class="radio">
                <input type="radio" name="method" prop:checked=move || choice.get() == value
                    on:change=move |_| choice.set(value) />
                {label}
            </label>
        }
    };

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
                            on:change=move |ev| settled_url.set(event_target_value(&ev))
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
                        let chosen = event_target_value(&ev);
                        settled_url.set(chosen.clone());
                        url.set(chosen);
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
            <Show when=openstack fallback=move || view! {
                <label for="token">"API token"</label>
                <input
                    id="token"
                    name="token"
                    type="password"
                    autocomplete="current-password"
                    spellcheck="false"
                    bind:value=token
                />
            }>
                <fieldset class="methods">
                    <legend>"Sign in with"</legend>
                    {method_radio(KeystoneChoice::Password, "User name and password")}
                    {method_radio(KeystoneChoice::ApplicationCredential, "Application credential")}
                    {method_radio(KeystoneChoice::Token, "Token")}
                </fieldset>
                {move || match choice.get() {
                    KeystoneChoice::Password => view! {
                        <label for="ks-user">"User name"</label>
                        <input id="ks-user" type="text" name="username" autocomplete="username" spellcheck="false" bind:value=user />
                        <label for="ks-domain">"Domain"</label>
                        <input id="ks-domain" type="text" name="domain" spellcheck="false" bind:value=domain />
                        <label for="ks-password">"Password"</label>
                        <input id="ks-password" name="password" type="password" autocomplete="current-password" bind:value=password />
                    }.into_any(),
                    KeystoneChoice::ApplicationCredential => view! {
                        <label for="ks-credential">"Application credential ID"</label>
                        <input id="ks-credential" type="text" spellcheck="false" autocomplete="off" bind:value=credential_id />
                        <label for="ks-secret">"Secret"</label>
                        <input id="ks-secret" type="password" autocomplete="off" bind:value=credential_secret />
                        <p class="hint">"An application credential works in its own project only."</p>
                    }.into_any(),
                    KeystoneChoice::Token => view! {
                        <label for="ks-token">"Keystone token"</label>
                        <input id="ks-token" type="password" spellcheck="false" autocomplete="off" bind:value=keystone_token />
                    }.into_any(),
                }}
            </Show>
            <label class="checkbox">
                <input type="checkbox" bind:checked=remember />
                "Remember me on this device"
            </label>
            <p class="hint">{move || if openstack() {
                "Your password is sent to the cloud only, never stored. Without “remember me” you are signed out when you close this tab."
            } else {
                "Without it you are signed out when you close this tab."
            }}</p>
            <Show when=move || shown_error().is_some()>
                <p class="form-error" role="alert">{shown_error}</p>
            </Show>
            <button type="submit" class="button primary" disabled=move || busy.get()>
                {move || if busy.get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
    }
}

/// Resolve a relative identity URL (as `config.json` may give) against this page.
pub fn absolute(url: &str) -> String {
    let base = web_sys::window().and_then(|w| w.location().href().ok());
    match base.and_then(|b| web_sys::Url::new_with_base(url, &b).ok()) {
        Some(u) => u.href().trim_end_matches('/').to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_fields_are_checked() {
        let pw = |a, b, c| validate_keystone(KeystoneChoice::Password, a, b, c);
        assert!(pw("", "Default", "x").unwrap_err().contains("user name"));
        assert!(pw("demo", " ", "x").unwrap_err().contains("domain"));
        assert!(pw("demo", "Default", "").unwrap_err().contains("password"));
        assert_eq!(
            pw(" demo ", "Default", " pw "),
            Ok(Method::Password {
                user: "demo".into(),
                domain: "Default".into(),
                password: " pw ".into()
            })
        );
        assert!(validate_keystone(KeystoneChoice::ApplicationCredential, "id", "", "").is_err());
        assert!(validate_keystone(KeystoneChoice::Token, "a b", "", "").is_err());
    }

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
