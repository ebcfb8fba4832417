//! A coarse clock for "updated 3 min ago" and elapsed times: one timer for the app,
//! ticking once a second; only the texts that read it re-render.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Clock {
    now: RwSignal<f64>,
}

impl Clock {
    pub fn start() -> Clock {
        let now = RwSignal::new(js_sys::Date::now());
        let tick = move || now.set(js_sys::Date::now());
        // The clock goes with the app (or test) that made it.
        if let Ok(timer) = set_interval_with_handle(tick, Duration::from_secs(1)) {
            on_cleanup(move || timer.clear());
        }
        Clock { now }
    }

    /// A clock that only moves when told (component tests).
    pub fn fixed(at: f64) -> Clock {
        Clock { now: RwSignal::new(at) }
    }

    pub fn now(&self) -> f64 {
        self.now.get()
    }
}

/// "just now", "under a minute ago", "3 min ago", "2 h ago". Coarse on purpose:
/// a text that changed every second repainted an idle page every second.
pub fn ago(ms: f64) -> String {
    let s = (ms / 1000.0).max(0.0).floor() as u64;
    match s {
        0..=9 => "just now".into(),
        10..=59 => "under a minute ago".into(),
        60..=3599 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

/// "3 s", "1 min 5 s".
pub fn elapsed(ms: f64) -> String {
    let s = (ms / 1000.0).max(0.0).floor() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// An API timestamp for people: `2026-11-27T22:21:24.39+00:00` → `2026-11-27 22:21 UTC`.
pub fn timestamp(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16)) {
        (Some(day), Some(time)) if iso.ends_with("+00:00") || iso.ends_with('Z') => {
            format!("{day} {time} UTC")
        }
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2026-11-27T22:21:24.393880+00:00"), "2026-11-27 22:21 UTC");
        assert_eq!(timestamp("2026-11-27T22:21:24Z"), "2026-11-27 22:21 UTC");
        assert_eq!(timestamp("2026-11-27T22:21:24+02:00"), "2026-11-27 22:21");
        assert_eq!(timestamp(""), "");
    }

    #[test]
    fn human_times() {
        assert_eq!(ago(400.0), "just now");
        assert_eq!(ago(5_200.0), "just now");
        assert_eq!(ago(42_000.0), "under a minute ago");
        assert_eq!(ago(185_000.0), "3 min ago");
        assert_eq!(ago(7_300_000.0), "2 h ago");
        assert_eq!(elapsed(3_900.0), "3 s");
        assert_eq!(elapsed(65_000.0), "1 min 5 s");
    }
}
