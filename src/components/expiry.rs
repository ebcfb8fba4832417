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

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the
/// form Astakos writes (`2018-06-19T15:23:59.975572+00:00`); `None` otherwise.
pub fn parse_iso8601_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let part = s.get(a..b)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let seps = s.as_bytes();
    if seps.get(4) != Some(&b'-')
        || seps.get(7) != Some(&b'-')
        || !matches!(seps.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    if seps.get(13) != Some(&b':') || seps.get(16) != Some(&b':') {
        return None;
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0.0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        millis = format!("0.{}", &frac[..digits]).parse::<f64>().ok()? * 1000.0;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(4..6)?.parse().ok()?;
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            sign * (hh * 60 + mm)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(secs as f64 * 1000.0 + millis)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_astakos_timestamps() {
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_iso8601_ms("2018-06-19T15:23:59.975572+00:00"),
            Some(1_529_421_839_975.572)
        );
        assert_eq!(parse_iso8601_ms("2018-06-19T17:23:59+02:00"), Some(1_529_421_839_000.0));
        assert_eq!(parse_iso8601_ms("2000-03-01T00:00:00-00:30"), Some(951_870_600_000.0));
        for bad in [
            "",
            "tomorrow",
            "2018-13-01T00:00:00Z",
            "2018-06-19 15:23",
            "2018-06-19T15:23:59+0200",
            "2018-06-19T15:23:59.",
        ] {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn warns_in_the_last_ten_minutes() {
        let at = parse_iso8601_ms("2030-01-01T00:00:00Z").unwrap();
        let e = |now: f64| expiry(Some("2030-01-01T00:00:00Z"), now);
        assert_eq!(e(at - 11.0 * 60_000.0), Expiry::Fine);
        assert_eq!(e(at - 10.0 * 60_000.0), Expiry::Soon { minutes: 10 });
        assert_eq!(e(at - 90_000.0), Expiry::Soon { minutes: 2 });
        assert_eq!(e(at - 1.0), Expiry::Soon { minutes: 1 });
        assert_eq!(e(at), Expiry::Expired);
        assert_eq!(expiry(None, 0.0), Expiry::Fine);
        assert_eq!(expiry(Some("garbage"), 0.0), Expiry::Fine);
    }
}
