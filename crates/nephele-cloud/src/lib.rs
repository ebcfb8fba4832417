//! `nephele-cloud`: a local Synnefo cloud (identity, compute, network, account) on
//! SQLite, the Nephele portal's static host, and a same-origin gateway to a real
//! cloud (`--upstream`, see [`gateway`]).
//!
//! [`start`] binds, spawns the server on the current Tokio runtime and returns its
//! address: `main.rs` and the end-to-end tests use it the same way.

#[deny(clippy::unwrap_used)]
pub mod api;
#[deny(clippy::unwrap_used)]
pub mod db;
#[deny(clippy::unwrap_used)]
pub mod error;
#[deny(clippy::unwrap_used)]
pub mod gateway;
#[deny(clippy::unwrap_used)]
pub mod ipnet;
#[deny(clippy::unwrap_used)]
pub mod lifecycle;
#[deny(clippy::unwrap_used)]
pub mod redact;
#[deny(clippy::unwrap_used)]
pub mod seed;
#[deny(clippy::unwrap_used)]
pub mod serve;
#[deny(clippy::unwrap_used)]
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Everything the server needs to start. `main.rs` fills it from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    /// SQLite database file; a temporary one when `None`.
    pub db: Option<PathBuf>,
    /// TOML seed with users, tokens, projects, quotas, servers and public networks.
    pub seed: Option<PathBuf>,
    /// The built portal (`dist/`) to serve; the API alone when `None`.
    pub dist: Option<PathBuf>,
    /// How long a port stays in BUILD (and a deleted port stays visible).
    pub build_delay: Duration,
    /// Origins allowed to call the API from another origin (CORS), e.g. `make dev`.
    pub allow_origins: Vec<String>,
    /// Gateway mode: the identity URL of a real cloud (Astakos, or Keystone when it
    /// ends in `/v3`). When set, the API paths are forwarded there (see
    /// [`gateway`]) and `db`, `seed` and `build_delay` are unused.
    pub upstream: Option<String>,
    /// Gateway mode: how long to wait for the cloud's answer (and any pause in a body).
    pub upstream_timeout: Duration,
    /// Gateway mode: the origin browsers use (e.g. `https://portal.example.org`
    /// behind a CDN); by default each request's `Host`.
    pub public_origin: Option<String>,
    /// Gateway mode: origins besides `--upstream`'s own that the catalog may send
    /// the gateway to (a cloud whose compute and network APIs live on another host).
    pub upstream_origins: Vec<String>,
    /// How long a client may take to send headers or pause in a body.
    pub timeouts: serve::Timeouts,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: None,
            seed: None,
            dist: None,
            build_delay: Duration::from_millis(1500),
            allow_origins: Vec::new(),
            upstream: None,
            upstream_timeout: Duration::from_secs(30),
            public_origin: None,
            upstream_origins: Vec::new(),
            timeouts: serve::Timeouts::default(),
        }
    }
}

/// A server running in the background of the current Tokio runtime.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting, let in-flight requests finish, and wait until the server is gone.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Wait until the server ends (after [`shutdown_signal`] or an error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Build the whole application router for these options.
pub async fn app(options: &Options) -> anyhow::Result<Router> {
    let csp = match &options.dist {
        Some(dir) => web::csp_for_dist(dir)?,
        None => web::content_security_policy(None, &[]),
    };
    let mut router = match &options.upstream {
        Some(upstream) => {
            let gw = gateway::Gateway::with_public_origin(
                upstream,
                options.upstream_timeout,
                options.public_origin.as_deref(),
            )?
            .with_upstream_origins(&options.upstream_origins)?;
            tracing::info!(target: "nephele_cloud::gateway", "gateway mode ({:?}): forwarding to {}", gw.family(), gw.identity_url());
            gateway::router(std::sync::Arc::new(gw))
        }
        None => api::router(options).await?,
    };
    if let Some(dir) = &options.dist {
        router = router.merge(web::router(dir));
    }
    router = serve::with_request_policy(router, options.timeouts);
    for (name, value) in web::security_headers(&csp) {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    Ok(router.layer(CompressionLayer::new()))
}

/// Bind `options.listen` (port 0 picks a free port) and serve until stopped.
pub async fn start(options: Options) -> anyhow::Result<Running> {
    start_with_shutdown(options, std::future::pending()).await
}

/// Like [`start`], also stopping when `signal` completes (Ctrl-C, SIGTERM in `main`).
pub async fn start_with_shutdown(
    options: Options,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    let router = app(&options).await?;
    let listener = TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let stop = async move {
        tokio::select! {
            _ = rx => {}
            () = signal => {}
        }
    };
    let task = tokio::spawn(serve::serve(listener, router, options.timeouts, stop));
    Ok(Running { addr, shutdown: Some(tx), task })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
