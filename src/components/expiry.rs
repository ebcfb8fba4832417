//! A warning before the token expires, when the identity service said when
//! (`access.token.expires`), and a notice once it has. Real Synnefo tokens expire
//! (`auth_token_expires`); without the warning the first sign would be a 401 in the
//! middle of an edit.

use leptos::prelude::*;

use crate::state::clock::Clock;
use crate::state::session::{SessionContext, SignedOutReason};

/// Warn this long before the token expires.
pub const WARN_BEFORE_MS: f64 = 10.0 * 60.0 * 1000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expiry {
    /// No expiry known, or more than [`WARN_BEFORE_MS`] away.
    Fine,
    /// Expires within the warning window; whole minutes left, rounded up.
    Soon {
        minutes: u64,
    },
    Expired,
}

/// Where a token that expires at `expires` (ISO 8601) stands at `now_ms`.
pub fn expiry(expires: Option<&str>, now_ms: f64) -> Expiry {
    let Some(at) = expires.and_then(parse_iso8601_ms) else { return Expiry::Fine };
    let left = at - now_ms;
    if left <= 0.0 {
        Expiry::Expired
    } else if left <= WARN_BEFORE_MS {
        Expiry::Soon { minutes: (left / 60_000.0).ceil() as u64 }
    } else {
        Expiry::Fine
    }
}

/// Milliseconds since the epoch of an ISO 8601 timestamp as Astakos writes it
/// (`2018-06-19T15:23:59.975572+00:00`), read by the browser's own date parser;
/// `None` for anything it cannot read.
pub fn parse_iso8601_ms(s: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(s.trim());
    ms.is_finite().then_some(ms)
}

/// The banner in the signed-in layout; nothing while the token is fine.
#[component]
pub fn ExpiryBanner() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let clock = expect_context::<Clock>();
    let state =
        Memo::new(move |_| expiry(session.get().and_then(|s| s.expires).as_deref(), clock.now()));
    let sign_in_again = move |_| session.sign_out(SignedOutReason::Expired);
    move || {
        match state.get() {
        Expiry::Fine => None,
        Expiry::Soon { minutes } => {
            let left = if minutes <= 1 { "less than a minute".to_owned() } else { format!("{minutes} minutes") };
            Some(
                view! {
                    <div class="notice expiry" role="status">
                        "Your session expires in " {left} ". Sign in again to keep working without interruption. "
                        <button type="button" class="button subtle" on:click=sign_in_again>"Sign in again"</button>
                    </div>
                }
                .into_any(),
            )
        }
        Expiry::Expired => Some(
            view! {
                <div class="form-error expiry" role="alert">
                    "Your session has expired: the cloud will refuse further changes. "
                    <button type="button" class="button subtle" on:click=sign_in_again>"Sign in again"</button>
                </div>
            }
            .into_any(),
        ),
    }
    }
}
