//! The app's one poller. Every pending port (BUILD, or being deleted) in any view
//! is watched with one timer. Each tick asks for what is pending and little else:
//! `GET /ports/<id>` when one port is pending; when several are, exactly those in
//! one filtered list where the cloud can (Neutron's `?id=…&id=…`), else a
//! rotating handful of `GET /ports/<id>` (Synnefo has no list filters), and the
//! whole list only when most of it is pending anyway. It stops when nothing is pending,
//! pauses while the tab is hidden, and gives up on a port after the configured
//! time (the row then offers to keep waiting). What is pending is kept by the
//! store (`state::pending`); the poller only asks and reports.
//!
//! The tick that brings a port's news does no more than apply it: the servers
//! that settled ports belong to are re-read on the next tick, and the timer
//! stops itself on a tick that finds nothing left to do, so a status change
//! costs the row's update and its announcement (issue 15: ≤ 1 ms).

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
    /// Exactly these ports, in one filtered list (`?id=…&id=…`).
    Ids(Vec<String>),
    /// These ports one by one, at once (at most [`HANDFUL`]).
    Each(Vec<String>),
    /// The whole port list.
    List,
}

/// How many single-port reads one tick may send where the cloud cannot filter
/// the list: with more pending, they take turns, so each is still read every
/// few ticks and a tick's cost stays bounded.
pub const HANDFUL: usize = 4;

/// What the tick's choice depends on besides the pending ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// The cloud filters the port list by id (Neutron).
    pub filter_by_id: bool,
    /// How many ports the store holds (the size of a full list).
    pub total: usize,
    /// Counts the ticks, so the handful rotates.
    pub tick: u64,
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
pub fn plan(
    watched: &[(String, f64)],
    visible: bool,
    now: f64,
    give_up_ms: f64,
    listing: Listing,
) -> Plan {
    let mut newly_stuck = Vec::new();
    let mut watch = Vec::new();
    for (id, since) in watched {
        if now - since > give_up_ms {
            newly_stuck.push(id.clone());
        } else {
            watch.push(id);
        }
    }
    // A stable order, so the handful rotates through every port.
    watch.sort();
    let request = if !visible {
        Request::Nothing
    } else {
        match watch.as_slice() {
            [] => Request::Nothing,
            [one] => Request::One((*one).clone()),
            many if listing.filter_by_id => {
                Request::Ids(many.iter().map(|id| (*id).clone()).collect())
            }
            // Most of the list is pending: one list is cheaper than its rows one by one.
            many if many.len() * 2 > listing.total => Request::List,
            many => {
                let start = (listing.tick as usize * HANDFUL) % many.len();
                let take = HANDFUL.min(many.len());
                Request::Each((0..take).map(|i| many[(start + i) % many.len()].clone()).collect())
            }
        }
    };
    Plan { request, newly_stuck }
}

/// The app's poller: one timer, running while some port is watched and the tab
/// is visible (and for the one tick after, which re-reads servers and stops it).
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
        // The running timer and its interval.
        let timer = StoredValue::new_local(None::<(u32, Interval)>);
        let in_flight = StoredValue::new_local(false);
        let ticks = StoredValue::new_local(0u64);
        // Servers whose ports settled, re-read on the next tick.
        let stale_servers = StoredValue::new_local(Vec::<String>::new());
        let wanted = move || store.pending.anything_watched_untracked() && visible.get_untracked();
        // The one effect: start the timer when something is watched in a visible
        // tab (or its interval changed). It does not stop it: the next tick does,
        // after the work that the last news left (`stale_servers`).
        Effect::new(move |_| {
            let run = store.pending.anything_watched() && visible.get();
            let interval_ms = config.poll().interval_ms;
            if !run || timer.with_value(|t| t.as_ref().map(|(ms, _)| *ms)) == Some(interval_ms) {
                return;
            }
            let tick = move || {
                if in_flight.get_value() {
                    return;
                }
                if !wanted() && stale_servers.with_value(Vec::is_empty) {
                    // Nothing left to do: stop, once this callback has returned
                    // (its interval's closure must not drop itself while running),
                    // unless something became pending meanwhile.
                    spawn_local(async move {
                        if !wanted() {
                            timer.set_value(None);
                        }
                    });
                    return;
                }
                in_flight.set_value(true);
                let tick = ticks.get_value();
                ticks.set_value(tick.wrapping_add(1));
                spawn_local(async move {
                    let servers =
                        stale_servers.try_update_value(std::mem::take).unwrap_or_default();
                    reread_servers(store, servers).await;
                    let give_up = f64::from(config.poll().give_up_ms);
                    let settled =
                        poll_once(store, announcer, visible.get_untracked(), give_up, tick).await;
                    stale_servers.update_value(|s| s.extend(settled));
                    in_flight.set_value(false);
                });
            };
            timer.set_value(Some((interval_ms, Interval::new(interval_ms, tick))));
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

    /// The signals a port's row reads, held until [`Poller::release`].
    pub fn hold(&self, port_id: &str) -> PortCell {
        self.pending.hold(port_id)
    }

    /// The row that held this port's signals is gone.
    pub fn release(&self, port_id: &str) {
        self.pending.release(port_id);
    }

    /// The user wants to keep waiting for a port given up on.
    pub fn keep_waiting(&self, port_id: &str) {
        self.pending.keep_waiting(port_id);
    }
}

/// Read one watched port: its news, or its removal (404).
async fn read_one(store: Store, id: &str) -> Result<(), crate::api::ApiError> {
    match store.cloud.port(id).await {
        Ok(port) => {
            store.upsert_port(port);
            Ok(())
        }
        Err(e) if e.status() == Some(404) => {
            store.remove_port(id);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Servers show their connections only once their ports are ACTIVE or gone:
/// read the servers of ports that settled (a few one by one, else the list).
async fn reread_servers(store: Store, mut servers: Vec<String>) {
    if servers.is_empty() {
        return;
    }
    servers.sort_unstable();
    servers.dedup();
    if servers.len() <= HANDFUL {
        let reads = servers.iter().map(|id| store.load_server(id));
        // A server that is gone meanwhile is the next list's news.
        let _ = futures::future::join_all(reads).await;
    } else {
        let _ = store.load_servers().await;
    }
}

/// One tick: ask about the watched ports and apply the news. Returns the
/// servers of the ports that settled, for the next tick to re-read.
async fn poll_once(
    store: Store,
    announcer: Announcer,
    visible: bool,
    give_up_ms: f64,
    tick: u64,
) -> Vec<String> {
    let watched = store.pending.watched_since();
    let listing = Listing {
        filter_by_id: store.cloud.capabilities_untracked().filter_ports_by_id,
        total: store.ports.len_untracked(),
        tick,
    };
    let plan = plan(&watched, visible, js_sys::Date::now(), give_up_ms, listing);
    if !plan.newly_stuck.is_empty() {
        for id in &plan.newly_stuck {
            announcer.announce(format!("Port {id} is taking longer than expected."));
        }
        store.pending.give_up(&plan.newly_stuck);
    }
    // Each watched port's status and server before the tick.
    let before: HashMap<String, (PortStatus, Option<String>)> = watched
        .iter()
        .filter_map(|(id, _)| {
            store
                .ports
                .with_untracked(id, |p| (id.clone(), (p.status.clone(), p.device_id.clone())))
        })
        .collect();
    let outcome = match &plan.request {
        Request::Nothing => return Vec::new(),
        Request::One(id) => read_one(store, id).await,
        Request::Each(ids) => {
            let reads = futures::future::join_all(ids.iter().map(|id| read_one(store, id))).await;
            reads.into_iter().collect::<Result<Vec<()>, _>>().map(drop)
        }
        Request::Ids(ids) => store.load_ports_by_id(ids).await,
        Request::List => store.load_ports().await,
    };
    if outcome.is_err() {
        // A failed poll is retried on the next tick; the page shows its own errors.
        return Vec::new();
    }
    // The servers whose connections the settled ports change.
    let mut servers: Vec<String> = Vec::new();
    for (id, (old_status, server)) in before {
        let news = match store
            .ports
            .with_untracked(&id, |p| (p.status != old_status).then(|| p.status.to_string()))
        {
            None => Some(format!("Port {id} has been removed.")),
            Some(Some(status)) => Some(format!("Port {id} is now {status}.")),
            Some(None) => None,
        };
        if let Some(news) = news {
            announcer.announce(news);
            servers.extend(server.filter(|s| store.servers.contains_untracked(s)));
        }
    }
    servers
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

    const SYNNEFO: Listing = Listing { filter_by_id: false, total: 5_000, tick: 0 };
    const NEUTRON: Listing = Listing { filter_by_id: true, total: 5_000, tick: 0 };

    fn ids(request: &Request) -> Vec<String> {
        match request {
            Request::Each(ids) | Request::Ids(ids) => ids.clone(),
            other => panic!("not a list of ids: {other:?}"),
        }
    }

    #[test]
    fn one_tick_asks_for_what_is_pending() {
        assert_eq!(plan(&[], true, 0.0, 1e9, SYNNEFO).request, Request::Nothing);
        assert_eq!(
            plan(&pending(&[("11", 0.0)]), true, 0.0, 1e9, SYNNEFO).request,
            Request::One("11".into())
        );
        let many = pending(&[("13", 0.0), ("11", 0.0), ("12", 0.0)]);
        // Neutron: exactly those, in one filtered list.
        assert_eq!(
            plan(&many, true, 0.0, 1e9, NEUTRON).request,
            Request::Ids(vec!["11".into(), "12".into(), "13".into()])
        );
        // Synnefo: each of them, never the 5,000-port list.
        assert_eq!(ids(&plan(&many, true, 0.0, 1e9, SYNNEFO).request), ["11", "12", "13"]);
        // Most of a small list pending: the list is cheaper.
        let small = Listing { total: 5, ..SYNNEFO };
        assert_eq!(plan(&many, true, 0.0, 1e9, small).request, Request::List);
    }

    #[test]
    fn a_bounded_handful_takes_turns() {
        let ten: Vec<(String, f64)> = (10..20).map(|i| (i.to_string(), 0.0)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for tick in 0..3 {
            let asked = ids(&plan(&ten, true, 0.0, 1e9, Listing { tick, ..SYNNEFO }).request);
            assert_eq!(asked.len(), HANDFUL, "tick {tick}: {asked:?}");
            seen.extend(asked);
        }
        // Three ticks of four cover all ten ports.
        assert_eq!(seen.len(), 10, "{seen:?}");
    }

    #[test]
    fn nothing_while_hidden() {
        let p = pending(&[("11", 0.0), ("12", 0.0)]);
        assert_eq!(plan(&p, false, 10.0, 1e9, SYNNEFO).request, Request::Nothing);
    }

    #[test]
    fn gives_up_after_the_configured_time() {
        let p = pending(&[("11", 0.0), ("12", 5_000.0)]);
        let tick = plan(&p, true, 120_001.0, 120_000.0, SYNNEFO);
        assert_eq!(tick.newly_stuck, ["11"]);
        assert_eq!(tick.request, Request::One("12".into()));
        // Given up on: no longer watched, so no longer asked about.
        let next = plan(&pending(&[("12", 5_000.0)]), true, 120_002.0, 120_000.0, SYNNEFO);
        assert!(next.newly_stuck.is_empty());
        assert_eq!(next.request, Request::One("12".into()));
    }
}
