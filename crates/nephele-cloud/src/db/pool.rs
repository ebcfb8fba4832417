//! The read-only connections: a fixed set handed out one request at a time. A
//! request that finds none idle waits for one (a connection per waiting request
//! would only add contention on a machine with few cores).

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

/// How many readers: two per core, at least two, at most eight. Rendering a list
/// is CPU work, so more readers than that would only take turns.
pub fn size() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2).clamp(2, 8)
}

pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl ReadPool {
    pub fn new(connections: Vec<Connection>) -> ReadPool {
        ReadPool { idle: Mutex::new(connections), returned: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle connection, waiting for one if all are in use.
    pub fn get(&self) -> Pooled<'_> {
        let mut idle = self.lock();
        loop {
            if let Some(conn) = idle.pop() {
                return Pooled { pool: self, conn: Some(conn) };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// A connection on loan; back to the pool on drop (also when a request panics).
pub struct Pooled<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("pooled connection taken"))
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("pooled connection taken"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().push(conn);
            self.pool.returned.notify_one();
        }
    }
}
