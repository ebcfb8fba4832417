//! `GET /metrics`: Prometheus text with requests counted by method, route
//! template (e.g. `/network/v2.0/ports/{id}`) and status.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{Key, Label, Level, Metadata, Recorder};

use crate::state::{AppState, Shared};

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    super::route(r, "/metrics", "GET", get(render))
}

async fn render(State(st): State<Shared>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        st.metrics.handle().render(),
    )
        .into_response()
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// Count one request (and its latency) on this server's own recorder.
pub fn record(st: &AppState, method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = vec![
        Label::new("method", method.to_owned()),
        Label::new("route", route.to_owned()),
        Label::new("status", status.to_string()),
    ];
    let counter = Key::from_parts("nephele_http_requests_total", labels.clone());
    st.metrics.register_counter(&counter, &METADATA).increment(1);
    let hist = Key::from_parts("nephele_http_request_duration_seconds", labels);
    st.metrics.register_histogram(&hist, &METADATA).record(elapsed.as_secs_f64());
}
