//! The app's one poller. Every pending port (BUILD, or being deleted) in any view
//! is watched with at most one request per tick: `GET /ports/<id>` when one is
//! pending, the port list when several are. It stops when nothing is pending,
//! pauses while the tab is hidden, and gives up on a port after the configured
//! time (the row then offers to keep waiting).

use std::collections::{HashMap, HashSet};

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nephele_model::port::Port;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::state::config::Config;
use crate::state::notify::Announcer;
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

/// Decide one tick. `pending` holds each pending port with when it was first
/// seen pending; `stuck` are ports already given up on.
pub fn plan(
    pending: &[(String, f64)],
    stuck: &HashSet<String>,
    visible: bool,
    now: f64,
    give_up_ms: f64,
) -> Plan {
    let mut newly_stuck = Vec::new();
    let mut watch = Vec::new();
    for (id, since) in pending {
        if stuck.contains(id) {
            continue;
        }
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

/// Is this port waiting for the cloud?
pub fn is_pending(port: &Port, deleting: &HashMap<String, f64>) -> bool {
    port.status == "BUILD" || deleting.contains_key(&port.id)
}

/// One port's pending state, as its row reads it. Each row subscribes to its own
/// cell only: with thousands of rows, a change to one port must not wake the
/// others (and nothing but a pending row reads the clock).
#[derive(Clone)]
pub struct PortCell {
    /// When the port was first seen pending; `None` when it is not pending.
    pub since: ArcRwSignal<Option<f64>>,
    /// Pending for longer than the give-up time.
    pub stuck: ArcRwSignal<bool>,
    /// The user deleted it and it still exists.
    pub deleting: ArcRwSignal<bool>,
}

/// How a pending port is doing, for its row.
#[derive(Clone, Copy)]
pub struct Poller {
    /// When each pending port was first seen pending (ms since the epoch).
    since: RwSignal<HashMap<String, f64>>,
    stuck: RwSignal<HashSet<String>>,
    visible: RwSignal<bool>,
    cells: StoredValue<HashMap<String, PortCell>>,
}

impl Poller {
    /// Wire the poller once for the whole app.
    pub fn start(store: Store) -> Poller {
        let config = expect_context::<Config>();
        let announcer = expect_context::<Announcer>();
        let poller = Poller {
            since: RwSignal::new(HashMap::new()),
            stuck: RwSignal::new(HashSet::new()),
            visible: RwSignal::new(document_visible()),
            cells: StoredValue::new(HashMap::new()),
        };
        watch_visibility(poller.visible);

        // Keep `since` in step with what is pending.
        Effect::new(move |_| {
            let deleting = store.deleting.get();
            // Read in place: with thousands of ports, cloning them all on every
            // change would dominate the cost of one status update.
            let pending: Vec<String> = store
                .ports
                .ids_where(|p| is_pending(p, &deleting))
                .into_iter()
                .chain(deleting.keys().cloned())
                .collect();
            // Notify only when the pending set really changed: most port updates
            // (a MAC filled in, a list refresh) leave it as it was.
            let now = js_sys::Date::now();
            let next: HashMap<String, f64> = poller.since.with_untracked(|since| {
                pending
                    .into_iter()
                    .map(|id| (id.clone(), since.get(&id).copied().unwrap_or(now)))
                    .collect()
            });
            if poller.since.with_untracked(|since| since != &next) {
                poller.since.set(next);
            }
            let stale = poller.stuck.with_untracked(|stuck| {
                stuck.iter().any(|id| poller.since.with_untracked(|s| !s.contains_key(id)))
            });
            if stale {
                poller.stuck.update(|stuck| {
                    stuck.retain(|id| poller.since.with_untracked(|s| s.contains_key(id)))
                });
            }
        });

        // Push changes into the rows' cells, setting only those that changed.
        Effect::new(move |_| {
            let deleting = store.deleting.get();
            poller.since.with(|since| {
                poller.stuck.with(|stuck| {
                    poller.cells.with_value(|cells| {
                        for (id, cell) in cells {
                            let s = since.get(id).copied();
                            if cell.since.get_untracked() != s {
                                cell.since.set(s);
                            }
                            let k = stuck.contains(id);
                            if cell.stuck.get_untracked() != k {
                                cell.stuck.set(k);
                            }
                            let d = deleting.contains_key(id);
                            if cell.deleting.get_untracked() != d {
                                cell.deleting.set(d);
                            }
                        }
                    })
                })
            });
        });

        let anything_to_poll = Memo::new(move |_| {
            let stuck = poller.stuck.get();
            poller.since.with(|s| s.keys().any(|id| !stuck.contains(id)))
        });
        let timer = StoredValue::new_local(None::<Interval>);
        let in_flight = StoredValue::new_local(false);
        Effect::new(move |_| {
            let run = anything_to_poll.get() && poller.visible.get();
            let interval_ms = config.current().poll.interval_ms;
            timer.set_value(None);
            if run {
                let tick = move || {
                    if in_flight.get_value() {
                        return;
                    }
                    in_flight.set_value(true);
                    spawn_local(async move {
                        poll_once(
                            store,
                            poller,
                            announcer,
                            config.current().poll.give_up_ms as f64,
                        )
                        .await;
                        in_flight.set_value(false);
                    });
                };
                timer.set_value(Some(Interval::new(interval_ms, tick)));
            }
        });
        poller
    }

    /// The signals a port's row reads (made on first use).
    pub fn cell(&self, port_id: &str, store: &Store) -> PortCell {
        if let Some(cell) = self.cells.with_value(|c| c.get(port_id).cloned()) {
            return cell;
        }
        let cell = PortCell {
            since: ArcRwSignal::new(self.since.with_untracked(|s| s.get(port_id).copied())),
            stuck: ArcRwSignal::new(self.stuck.with_untracked(|s| s.contains(port_id))),
            deleting: ArcRwSignal::new(store.deleting.with_untracked(|d| d.contains_key(port_id))),
        };
        self.cells.update_value(|c| {
            c.insert(port_id.to_owned(), cell.clone());
        });
        cell
    }

    /// The user wants to keep waiting for a port given up on.
    pub fn keep_waiting(&self, port_id: &str) {
        let now = js_sys::Date::now();
        self.since.update(|s| {
            s.insert(port_id.to_owned(), now);
        });
        self.stuck.update(|s| {
            s.remove(port_id);
        });
    }
}

async fn poll_once(store: Store, poller: Poller, announcer: Announcer, give_up_ms: f64) {
    let pending: Vec<(String, f64)> =
        poller.since.with_untracked(|s| s.iter().map(|(k, v)| (k.clone(), *v)).collect());
    let stuck = poller.stuck.get_untracked();
    let plan =
        plan(&pending, &stuck, poller.visible.get_untracked(), js_sys::Date::now(), give_up_ms);
    if !plan.newly_stuck.is_empty() {
        for id in &plan.newly_stuck {
            announcer.announce(format!("Port {id} is taking longer than expected."));
        }
        poller.stuck.update(|s| s.extend(plan.newly_stuck.iter().cloned()));
    }
    let before: HashMap<String, String> = pending
        .iter()
        .filter_map(|(id, _)| store.ports.get_untracked(id).map(|p| (id.clone(), p.status)))
        .collect();
    let outcome = match &plan.request {
        Request::Nothing => return,
        Request::One(id) => match store.cloud.port(id).await {
            Ok(port) => {
                store.ports.upsert(port);
                Ok(())
            }
            Err(e) if e.status() == Some(404) => {
                store.ports.remove(id);
                store.deleting.update(|d| {
                    d.remove(id);
                });
                Ok(())
            }
            Err(e) => Err(e),
        },
        Request::List => store.load_ports().await,
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

fn watch_visibility(visible: RwSignal<bool>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let on_change = Closure::<dyn Fn()>::new(move || visible.set(document_visible()));
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    // The poller lives as long as the page.
    on_change.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(ids: &[(&str, f64)]) -> Vec<(String, f64)> {
        ids.iter().map(|(id, t)| (id.to_string(), *t)).collect()
    }

    #[test]
    fn one_request_per_tick_whatever_is_pending() {
        let none = HashSet::new();
        assert_eq!(plan(&[], &none, true, 0.0, 1e9).request, Request::Nothing);
        assert_eq!(
            plan(&pending(&[("11", 0.0)]), &none, true, 0.0, 1e9).request,
            Request::One("11".into())
        );
        let many = pending(&[("11", 0.0), ("12", 0.0), ("13", 0.0)]);
        assert_eq!(plan(&many, &none, true, 0.0, 1e9).request, Request::List);
    }

    #[test]
    fn nothing_while_hidden() {
        let p = pending(&[("11", 0.0), ("12", 0.0)]);
        assert_eq!(plan(&p, &HashSet::new(), false, 10.0, 1e9).request, Request::Nothing);
    }

    #[test]
    fn gives_up_after_the_configured_time() {
        let p = pending(&[("11", 0.0), ("12", 5_000.0)]);
        let tick = plan(&p, &HashSet::new(), true, 120_001.0, 120_000.0);
        assert_eq!(tick.newly_stuck, ["11"]);
        assert_eq!(tick.request, Request::One("12".into()));
        let stuck: HashSet<String> = ["11".to_owned()].into();
        let next = plan(&p, &stuck, true, 120_002.0, 120_000.0);
        assert!(next.newly_stuck.is_empty());
        assert_eq!(next.request, Request::One("12".into()));
        let all = plan(&pending(&[("11", 0.0)]), &stuck, true, 200_000.0, 120_000.0);
        assert_eq!(all.request, Request::Nothing);
    }

    #[test]
    fn pending_means_build_or_deleting() {
        let port = |id: &str, status: &str| Port {
            id: id.into(),
            status: status.into(),
            ..Port::default()
        };
        let deleting: HashMap<String, f64> = [("12".to_owned(), 0.0)].into();
        assert!(is_pending(&port("11", "BUILD"), &deleting));
        assert!(is_pending(&port("12", "ACTIVE"), &deleting));
        assert!(!is_pending(&port("13", "ACTIVE"), &deleting));
        assert!(!is_pending(&port("14", "DOWN"), &deleting));
    }
}
