//! The background applier: pending port transitions (BUILD → ACTIVE, removal of a
//! deleted attached port) are rows with a due time; this task applies them when due.
//! It starts by applying whatever is already due, so transitions survive a restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::db::{self, Db};

pub fn spawn(db: Arc<Db>, wake: Arc<Notify>) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            let d = db.clone();
            let next = tokio::task::spawn_blocking(move || {
                d.transaction(|tx| db::apply_due(tx, db::now_us()))
            })
            .await;
            let next = match next {
                Ok(Ok(next)) => next,
                Ok(Err(e)) => {
                    tracing::error!("lifecycle: {e:?}");
                    Some(db::now_us() + 1_000_000)
                }
                Err(e) => {
                    tracing::error!("lifecycle task: {e}");
                    Some(db::now_us() + 1_000_000)
                }
            };
            match next {
                Some(due) => {
                    let wait =
                        Duration::from_micros(due.saturating_sub(db::now_us()).max(0) as u64);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = wake.notified() => {}
                    }
                }
                None => wake.notified().await,
            }
        }
    })
    .abort_handle()
}
