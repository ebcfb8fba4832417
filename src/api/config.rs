//! The runtime configuration, `config.json` beside `index.html`.

use gloo_net::http::Method;

use super::{send_raw, ApiError};
use crate::state::config::RuntimeConfig;

/// Fetch and parse `config.json`. A missing or malformed file is an error the
/// login page explains; it never leaves a blank screen.
pub async fn load() -> Result<RuntimeConfig, String> {
    let text =
        send_raw::<()>(Method::GET, "/config.json", None, None).await.map_err(|e| match e {
            ApiError::Status { status: 404, .. } => {
                "config.json is missing from the portal's files.".to_owned()
            }
            other => format!("config.json could not be loaded: {other}"),
        })?;
    RuntimeConfig::parse(&text)
}
