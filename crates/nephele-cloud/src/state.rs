//! The state every handler shares: the database, the build delay, the wake-up
//! signal of the lifecycle task and the metrics recorder.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusRecorder;
use rusqlite::Transaction;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};

pub struct AppState {
    pub db: Arc<Db>,
    pub build_delay: Duration,
    /// Signalled when a transition is scheduled, so the lifecycle task re-plans.
    pub wake: Arc<Notify>,
    pub metrics: PrometheusRecorder,
    /// Stops the lifecycle task when the server (and so this state) goes away.
    pub lifecycle: AbortOnDrop,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// Run `f` in one write transaction (the one writer) on the blocking pool.
    /// Every check-then-act of a request belongs in one such call.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.transaction(f))
            .await
            .map_err(|e| ApiError::Internal(format!("request task failed: {e}")))?
    }

    /// Run `f` in one read transaction on a pooled reader: it never waits for a write.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.read(f))
            .await
            .map_err(|e| ApiError::Internal(format!("request task failed: {e}")))?
    }

    /// The build delay with ±20 % jitter, in microseconds.
    pub fn delay_us(&self) -> i64 {
        let base = self.build_delay.as_micros() as f64;
        (base * rand::random_range(0.8..=1.2)) as i64
    }

    /// Tell the lifecycle task a transition was scheduled.
    pub fn scheduled(&self) {
        self.wake.notify_one();
    }
}

pub struct AbortOnDrop(pub AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
