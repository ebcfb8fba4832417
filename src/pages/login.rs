//! `/login`: exchange a token for a session, then go back where the user was.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api;
use crate::components::login_form::{absolute, Credentials, LoginForm, Secret};
use crate::state::config::{Config, ConfigState};
use crate::state::session::{safe_next, Session, SessionContext, SignedOutReason};
use crate::state::store::Store;

#[component]
pub fn Login() -> impl IntoView {
    let config = expect_context::<Config>();
    let session = expect_context::<SessionContext>();
    // Whoever signs in next starts from nothing: the last session's objects are
    // forgotten here, once the signed-in views that showed them are gone.
    expect_context::<Store>().clear();
    let query = use_query_map();
    let navigate = use_navigate();
    let next = move || safe_next(query.read().get("next").as_deref());

    let sign_in = Action::new_local(move |c: &Credentials| {
        let c = c.clone();
        async move {
            let url = absolute(&c.identity_url);
            match &c.secret {
                Secret::Keystone(method) => api::openstack::sign_in(&url, method, c.remember).await,
                Secret::Token(token) => {
                    let access = api::identity::authenticate(&url, token).await.map_err(|e| match e.status() {
                        Some(401) => "The cloud did not accept this token. Check that it is complete and not expired.".to_owned(),
                        _ => e.to_string(),
                    })?;
                    Session::from_access(&url, token, &access, c.remember)
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = sign_in.value().get() {
            session.sign_in(s);
            navigate(&next(), NavigateOptions { replace: true, ..Default::default() });
        }
    });
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    let busy = sign_in.pending();
    let initial_url = Signal::derive(move || {
        config.current().identity_url.map(|u| absolute(&u)).unwrap_or_default()
    });
    let initial_family = Signal::derive(move || config.current().family);
    let clouds = Signal::derive(move || config.current().clouds);

    view! {
        <main id="main" class="centered">
            <section class="card narrow" aria-labelledby="login-title">
                <h1 id="login-title">"Sign in to " {move || config.current().title}</h1>
                {move || match session.signed_out_reason() {
                    Some(SignedOutReason::Expired) => {
                        Some(view! { <p class="notice">"Your session has ended. Sign in again to continue."</p> }.into_any())
                    }
                    Some(SignedOutReason::SignedOut) => {
                        Some(view! { <p class="notice">"You have signed out."</p> }.into_any())
                    }
                    None => None,
                }}
                {move || match config.0.get() {
                    ConfigState::Failed(message) => Some(view! {
                        <p class="form-error" role="alert">
                            {message} " Enter your cloud's identity URL below."
                        </p>
                    }),
                    _ => None,
                }}
                <LoginForm
                    initial_url=initial_url
                    initial_family=initial_family
                    clouds=clouds
                    busy=busy
                    error=error
                    on_submit=Callback::new(move |c| {
                        sign_in.dispatch_local(c);
                    })
                />
            </section>
        </main>
    }
}
