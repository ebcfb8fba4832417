//! Which ports are waiting for the cloud, one entry per port, kept by the store.
//!
//! A port is pending while it is in BUILD, or after the user asked to delete it
//! and until it is gone. The store tells [`PendingPorts::observe`] about every
//! port row it adds, changes or removes (and only those), so the pending state is
//! updated incrementally from the rows that changed: no effect re-reads the whole
//! port list. Each port's [`PortCell`] is what its table row reads, so a change to
//! one port wakes one row; the poller reads [`PendingPorts::watched_since`].
//!
//! A port settling runs the same code as its poll ticks and as its becoming
//! pending: every write is a [`set_if_changed`] and watching is a flag on the
//! cell, never a set insert on one path and a remove on the other. WebAssembly
//! functions are compiled on their first call, so code that ran first on the
//! status change itself cost more than the change (issue 15: ≤ 1 ms per change).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use nephele_model::port::Port;
use nephele_model::PortStatus;

use crate::state::store::set_if_changed;

/// One port's pending state, as its row reads it.
#[derive(Clone)]
pub struct PortCell {
    /// When the port was first seen pending; `None` when it is not pending.
    pub since: ArcRwSignal<Option<f64>>,
    /// Pending for longer than the give-up time.
    pub stuck: ArcRwSignal<bool>,
    /// The user deleted it and it still exists.
    pub deleting: ArcRwSignal<bool>,
    /// The poller asks about it (pending and not given up on). Not reactive: the
    /// poller reads it on each tick, and [`PendingPorts::anything_watched`] is
    /// what its timer follows.
    watched: Arc<AtomicBool>,
}

impl PortCell {
    fn new() -> PortCell {
        PortCell {
            since: ArcRwSignal::new(None),
            stuck: ArcRwSignal::new(false),
            deleting: ArcRwSignal::new(false),
            watched: Arc::new(AtomicBool::new(false)),
        }
    }
}

#[derive(Clone, Copy)]
pub struct PendingPorts {
    cells: StoredValue<HashMap<String, PortCell>>,
    /// How many rows on screen hold each port's cell ([`PendingPorts::hold`]).
    holders: StoredValue<HashMap<String, usize>>,
    /// How many cells are watched (their `watched` flag), and whether any is:
    /// the one signal the poller's timer follows.
    watched_count: StoredValue<usize>,
    any_watched: RwSignal<bool>,
    /// Ports the user made on a cloud where they start DOWN (Neutron): watched
    /// while DOWN, since binding may bring them up. Without agents they never
    /// come up, and once given up on the row says so instead of spinning.
    awaiting_up: StoredValue<HashSet<String>>,
}

impl Default for PendingPorts {
    fn default() -> Self {
        PendingPorts::new()
    }
}

impl PendingPorts {
    pub fn new() -> PendingPorts {
        PendingPorts {
            cells: StoredValue::new(HashMap::new()),
            holders: StoredValue::new(HashMap::new()),
            watched_count: StoredValue::new(0),
            any_watched: RwSignal::new(false),
            awaiting_up: StoredValue::new(HashSet::new()),
        }
    }

    /// The cell of a port (made on first use).
    pub fn cell(&self, id: &str) -> PortCell {
        if let Some(cell) = self.cells.with_value(|c| c.get(id).cloned()) {
            return cell;
        }
        let cell = PortCell::new();
        self.cells.update_value(|c| {
            c.insert(id.to_owned(), cell.clone());
        });
        cell
    }

    /// The cell of a port, for a row that shows it until [`PendingPorts::release`].
    pub fn hold(&self, id: &str) -> PortCell {
        self.holders.update_value(|h| *h.entry(id.to_owned()).or_default() += 1);
        self.cell(id)
    }

    /// A row that held this port's cell is gone. The last one drops the cell
    /// unless the port is pending: scrolling through 50,000 rows leaves no cell
    /// for every row once seen.
    pub fn release(&self, id: &str) {
        let left = self.holders.try_update_value(|h| {
            let n = h.get_mut(id)?;
            *n = n.saturating_sub(1);
            let left = *n;
            if left == 0 {
                h.remove(id);
            }
            Some(left)
        });
        if left.flatten() != Some(0) {
            return;
        }
        let idle = self.cells.with_value(|c| {
            c.get(id).is_some_and(|cell| {
                cell.since.get_untracked().is_none()
                    && !cell.stuck.get_untracked()
                    && !cell.deleting.get_untracked()
                    && !cell.watched.load(Ordering::Relaxed)
            })
        });
        if idle && !self.is_awaiting_up(id) {
            self.cells.update_value(|c| {
                c.remove(id);
            });
        }
    }

    /// How many ports have a cell (tests: rows seen leave none behind).
    pub fn cell_count(&self) -> usize {
        self.cells.with_value(HashMap::len)
    }

    /// A port row was added or changed (`Some`), or is gone (`None`).
    pub fn observe(&self, id: &str, port: Option<&Port>) {
        let Some(port) = port else {
            if let Some(cell) = self.cells.with_value(|c| c.get(id).cloned()) {
                set_if_changed(&cell.deleting, false);
                set_if_changed(&cell.stuck, false);
                set_if_changed(&cell.since, None);
                self.set_watched(&cell, false);
            }
            self.awaiting_up.update_value(|a| {
                a.remove(id);
            });
            return;
        };
        let build = port.status.is_build();
        let known = self.cells.with_value(|c| c.get(id).cloned());
        // Most rows are neither pending nor shown: they need no cell at all.
        if !build && known.is_none() && !self.is_awaiting_up(id) {
            return;
        }
        let cell = known.unwrap_or_else(|| self.cell(id));
        if port.status != PortStatus::Down {
            self.awaiting_up.update_value(|a| {
                a.remove(id);
            });
        }
        let pending = build || cell.deleting.get_untracked() || self.is_awaiting_up(id);
        self.settle(&cell, pending);
    }

    /// The user just made this port and the cloud reports it DOWN: watch it
    /// until it comes up or the give-up time passes.
    pub fn mark_awaiting_up(&self, port: &Port) {
        if port.status == PortStatus::Down {
            self.awaiting_up.update_value(|a| {
                a.insert(port.id.clone());
            });
        }
    }

    /// Was this port made by the user and is it still DOWN? Not tracked: the
    /// row reads it when `stuck` changes, which comes after. (A set, not a
    /// signal per row: thousands of rows would each carry one.)
    pub fn is_awaiting_up(&self, id: &str) -> bool {
        self.awaiting_up.with_value(|a| a.contains(id))
    }

    /// The user asked to delete this port: it is pending until it is gone.
    pub fn mark_deleting(&self, id: &str) {
        let cell = self.cell(id);
        set_if_changed(&cell.deleting, true);
        self.settle(&cell, true);
    }

    /// Is the user's deletion of this port still in progress? (Tracked.)
    pub fn is_deleting(&self, id: &str) -> bool {
        self.cells.with_value(|c| c.get(id).cloned()).is_some_and(|cell| cell.deleting.get())
    }

    /// The ports to ask about, each with when it was first seen pending.
    pub fn watched_since(&self) -> Vec<(String, f64)> {
        self.cells.with_value(|cells| {
            cells
                .iter()
                .filter(|(_, cell)| cell.watched.load(Ordering::Relaxed))
                .filter_map(|(id, cell)| Some((id.clone(), cell.since.get_untracked()?)))
                .collect()
        })
    }

    /// Is any port waiting and not given up on? (Tracked: the poller's timer.)
    pub fn anything_watched(&self) -> bool {
        self.any_watched.get()
    }

    /// [`PendingPorts::anything_watched`], untracked (the poller's tick).
    pub fn anything_watched_untracked(&self) -> bool {
        self.any_watched.get_untracked()
    }

    /// These ports have been pending too long: stop asking, let the row say so.
    pub fn give_up(&self, ids: &[String]) {
        for id in ids {
            let cell = self.cell(id);
            set_if_changed(&cell.stuck, true);
            self.set_watched(&cell, false);
        }
    }

    /// The user wants to keep waiting for a port given up on.
    pub fn keep_waiting(&self, id: &str) {
        let cell = self.cell(id);
        set_if_changed(&cell.stuck, false);
        set_if_changed(&cell.since, Some(js_sys::Date::now()));
        self.set_watched(&cell, true);
    }

    /// Forget everything (the session ended).
    pub fn clear(&self) {
        let cells = self.cells.with_value(|c| c.values().cloned().collect::<Vec<_>>());
        self.awaiting_up.set_value(HashSet::new());
        for cell in cells {
            set_if_changed(&cell.deleting, false);
            set_if_changed(&cell.stuck, false);
            set_if_changed(&cell.since, None);
            self.set_watched(&cell, false);
        }
    }

    /// One path for a port that is pending and for one that settled: the same
    /// writes, with other values.
    fn settle(&self, cell: &PortCell, pending: bool) {
        let since = cell.since.get_untracked();
        let stuck = cell.stuck.get_untracked();
        set_if_changed(
            &cell.since,
            if pending { since.or_else(|| Some(js_sys::Date::now())) } else { None },
        );
        set_if_changed(&cell.stuck, pending && stuck);
        self.set_watched(cell, pending && !stuck);
    }

    /// Watch a port or stop: a flag on its cell and the count beside it.
    fn set_watched(&self, cell: &PortCell, on: bool) {
        if cell.watched.swap(on, Ordering::Relaxed) == on {
            return;
        }
        self.watched_count.update_value(|n| *n = if on { *n + 1 } else { n.saturating_sub(1) });
        set_if_changed(&self.any_watched, self.watched_count.get_value() > 0);
    }
}
