//! The app's one poller. Every pending port (BUILD, or being deleted) in any view
//! is watched with at most one request per tick: `GET /ports/<id>` when one is
//! pending, the port list when several are. It stops when nothing is pending,
//! pauses while the tab is hidden, and gives up on a port after the configured
//! time (the row then offers to keep waiting). What is pending is kept by the
//! store (`state::pending`); the poller only asks and reports.

use std::collections::HashMap;

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;

use nephele_model::PortStatus;

use crate::state::config::Config;
use crate::state::notify::Announcer;
use crate::state::pending::{PendingPorts, PortCell};
use crate::state::store::Store;

/// What one tick asks the cloud for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Nothing,
    One(String),
    List,
}

/// The decision for one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub request: Request,
    /// Ports that have been pending for longer than the give-up time.
    pub newly_stuck: Vec<String>,
}

/// Decide one tick. `watched` holds each port still waited for (given-up ones
/// are not), with when it was first seen pending.
pub fn plan(watched: &[(String, f64)], visible: bool, now: f64, give_up_ms: f64) -> Plan {
    let mut newly_stuck = Vec::new();
    let mut watch = Vec::new();
    for (id, since) in watched {
        if now - since > give_up_ms {
            newly_stuck.push(id.clone());
        } else {
            watch.push(id);
        }
    }
    let request = if !visible {
        Request::Nothing
    } else {
        match watch.as_slice() {
            [] => Request::Nothing,
            [one] => Request::One((*one).clone()),
            _ => Request::List,
        }
    };
    Plan { request, newly_stuck }
}

/// The app's poller: one timer, running only while some port is watched and the
/// tab is visible.
#[derive(Clone, Copy)]
pub struct Poller {
    pending: PendingPorts,
}

impl Poller {
    /// Wire the poller once for the whole app.
    pub fn start(store: Store) -> Poller {
        let config = expect_context::<Config>();
        let announcer = expect_context::<Announcer>();
        let visible = RwSignal::new(document_visible());
        watch_visibility(visible);
        let timer = StoredValue::new_local(None::<Interval>);
        let in_flight = StoredValue::new_local(false);
        // The one effect: start or stop the timer. What is pending is kept by the
        // store, port by port, as rows change (`state::pending`).
        Effect::new(move |_| {
            let run = store.pending.anything_watched() && visible.get();
            let interval_ms = config.current().poll.interval_ms;
            timer.set_value(None);
            if run {
                let tick = move || {
                    if in_flight.get_value() {
                        return;
                    }
                    in_flight.set_value(true);
                    spawn_local(async move {
                        let give_up = f64::from(config.current().poll.give_up_ms);
                        poll_once(store, announcer, visible.get_untracked(), give_up).await;
                        in_flight.set_value(false);
                    });
                };
                timer.set_value(Some(Interval::new(interval_ms, tick)));
            }
        });
        on_cleanup(move || timer.set_value(None));
        Poller { pending: store.pending }
    }

    /// The pending state of every port (what a row asks besides its cell).
    pub fn pending(&self) -> PendingPorts {
        self.pending
    }

    /// The signals a port's row reads (made on first use).
    pub fn cell(&self, port_id: &str) -> PortCell {
        self.pending.cell(port_id)
    }

    /// The user wants to keep waiting for a port given up on.
    pub fn keep_waiting(&self, port_id: &str) {
        self.pending.keep_waiting(port_id);
    }
}

async fn poll_once(store: Store, announcer: Announcer, visible: bool, give_up_ms: f64) {
    let watched = store.pending.watched_since();
    let plan = plan(&watched, visible, js_sys::Date::now(), give_up_ms);
    if !plan.newly_stuck.is_empty() {
        for id in &plan.newly_stuck {
            announcer.announce(format!("Port {id} is taking longer than expected."));
        }
        store.pending.give_up(&plan.newly_stuck);
    }
    let before: HashMap<String, PortStatus> = watched
        .iter()
        .filter_map(|(id, _)| store.ports.get_untracked(id).map(|p| (id.clone(), p.status)))
        .collect();
    let outcome = match &plan.request {
        Request::Nothing => return,
        Request::One(id) => match store.cloud.port(id).await {
            Ok(port) => {
                store.upsert_port(port);
                Ok(())
            }
            Err(e) if e.status() == Some(404) => {
                store.remove_port(id);
                Ok(())
            }
            Err(e) => Err(e),
        },
        Request::List => {
            let ids: Vec<String> = watched
                .iter()
                .map(|(id, _)| id.clone())
                .filter(|id| !plan.newly_stuck.contains(id))
                .collect();
            store.load_ports_by_id(&ids).await
        }
    };
    if outcome.is_err() {
        // A failed poll is retried on the next tick; the page shows its own errors.
        return;
    }
    let mut settled = false;
    for (id, old_status) in before {
        match store.ports.get_untracked(&id) {
            None => {
                settled = true;
                announcer.announce(format!("Port {id} has been removed."));
            }
            Some(p) if p.status != old_status => {
                settled = true;
                announcer.announce(format!("Port {id} is now {}.", p.status));
            }
            Some(_) => {}
        }
    }
    if settled {
        // Servers show their connections only once ports are ACTIVE or gone.
        let _ = store.load_servers().await;
    }
}

fn document_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// `visibilitychange` is fired at the document and bubbles to the window.
fn watch_visibility(visible: RwSignal<bool>) {
    let handle =
        window_event_listener_untyped("visibilitychange", move |_| visible.set(document_visible()));
    on_cleanup(move || handle.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(ids: &[(&str, f64)]) -> Vec<(String, f64)> {
        ids.iter().map(|(id, t)| (id.to_string(), *t)).collect()
    }

    #[test]
    fn one_request_per_tick_whatever_is_pending() {
        assert_eq!(plan(&[], true, 0.0, 1e9).request, Request::Nothing);
        assert_eq!(
            plan(&pending(&[("11", 0.0)]), true, 0.0, 1e9).request,
            Request::One("11".into())
        );
        let many = pending(&[("11", 0.0), ("12", 0.0), ("13", 0.0)]);
        assert_eq!(plan(&many, true, 0.0, 1e9).request, Request::List);
    }

    #[test]
    fn nothing_while_hidden() {
        let p = pending(&[("11", 0.0), ("12", 0.0)]);
        assert_eq!(plan(&p, false, 10.0, 1e9).request, Request::Nothing);
    }

    #[test]
    fn gives_up_after_the_configured_time() {
        let p = pending(&[("11", 0.0), ("12", 5_000.0)]);
        let tick = plan(&p, true, 120_001.0, 120_000.0);
        assert_eq!(tick.newly_stuck, ["11"]);
        assert_eq!(tick.request, Request::One("12".into()));
        // Given up on: no longer watched, so no longer asked about.
        let next = plan(&pending(&[("12", 5_000.0)]), true, 120_002.0, 120_000.0);
        assert!(next.newly_stuck.is_empty());
        assert_eq!(next.request, Request::One("12".into()));
    }
}
