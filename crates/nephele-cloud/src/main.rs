use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A local Synnefo cloud for the Nephele portal: identity, compute, network and
/// account APIs on SQLite, plus the portal's static files.
///
/// It speaks the Synnefo API closely enough that the real `kamaki` client and the
/// portal cannot tell it from a real cloud. Users, tokens, projects, quotas,
/// servers and public networks come from a TOML seed (see demo/seed.toml; the
/// demo user's token is `demo-token-0123456789`).
///
/// Examples:
///
///   nephele-cloud --seed demo/seed.toml
///       API on http://127.0.0.1:8080, state in a temporary database.
///
///   nephele-cloud --seed demo/seed.toml --db cloud.db --dist dist
///       Keep state in cloud.db (the seed is loaded only into an empty database)
///       and serve the built portal at /.
///
///   nephele-cloud --upstream https://cloud.example.org/identity/v2.0 --dist dist
///       Gateway mode: serve the portal and forward /identity, /compute, /network
///       and /account to a real cloud, rewriting its service catalog so the
///       browser only talks to this server (no CORS needed).
///
///   nephele-cloud --upstream https://keystone.example.org:5000/v3 \
///       --upstream-origin https://neutron.example.org:9696 --dist dist
///       Gateway mode for OpenStack (the URL ends in /v3): /identity/v3 goes to
///       Keystone, /network/<region>/… and /compute/<region>/v2.1/… to the
///       catalog's public Neutron and Nova endpoints.
///
///   nephele-cloud print-csp --dist dist
///       Print the Content-Security-Policy for dist/ (for nginx or a CDN).
///
/// Point kamaki at it with `kamaki config set cloud.local.url
/// http://127.0.0.1:8080/identity/v2.0` and the token. Metrics: GET /metrics.
/// Logs: one line per request; set RUST_LOG (e.g. RUST_LOG=debug) for more.
#[derive(Debug, Parser)]
#[command(
    name = "nephele-cloud",
    version,
    about,
    long_about,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// SQLite database file (created if missing). Without it the state lives in a
    /// temporary file that is removed on exit.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Seed file (TOML) with users, tokens, projects, quotas, servers and public networks.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Directory with the built portal (Trunk's dist/) to serve at /.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// How long a new port stays in BUILD, and a deleted attached port stays
    /// visible, in milliseconds (about ±20 % jitter is added).
    #[arg(long, default_value_t = 1500, value_name = "N")]
    build_delay_ms: u64,
    /// Allow a portal on this origin (e.g. http://127.0.0.1:8081 for `make dev`) to
    /// call the API (CORS). Repeat for several.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Gateway mode: the identity URL of a real Synnefo cloud (e.g.
    /// https://accounts.example.org/astakos/identity/v2.0), or of an OpenStack
    /// cloud's Keystone (ending in /v3, e.g. https://keystone.example.org:5000/v3).
    /// The API paths are then forwarded there instead of served by the local cloud.
    #[arg(long, value_name = "URL", value_parser = parse_upstream, conflicts_with_all = ["db", "seed"])]
    upstream: Option<String>,
    /// Gateway mode: seconds to wait for the cloud's answer (and any pause in a body).
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    upstream_timeout_secs: u64,
    /// Gateway mode: the origin browsers use (e.g. https://portal.example.org),
    /// for the rewritten catalog, when a CDN or proxy in front does not pass the
    /// browser's Host header. By default: Host and X-Forwarded-Proto.
    #[arg(long, value_name = "ORIGIN", requires = "upstream")]
    public_origin: Option<String>,
    /// Gateway mode: another origin the cloud's catalog may point at (e.g.
    /// https://cyclades.example.org when compute and network live apart from
    /// identity; on OpenStack, Neutron's and Nova's, such as
    /// https://neutron.example.org:9696: another port is another origin).
    /// Catalog entries on any other origin are ignored. Repeat for several.
    #[arg(long = "upstream-origin", value_name = "ORIGIN", requires = "upstream")]
    upstream_origins: Vec<String>,
    /// Seconds a client may take to send a request's headers; also how long a
    /// kept-alive connection may wait idle for its next request.
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a request body may pause before the request is refused (408).
    /// Bodies larger than 1 MiB are refused (413) before they are read.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print the Content-Security-Policy for a built portal: the hash of Trunk's
    /// inline script from index.html, and connect-src from config.json.
    PrintCsp {
        /// The built portal.
        #[arg(long, default_value = "dist", value_name = "DIR")]
        dist: PathBuf,
    },
}

fn parse_upstream(s: &str) -> Result<String, String> {
    nephele_cloud::gateway::parse_upstream(s).map(|u| u.to_string())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("nephele-cloud: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let cli = Cli::parse();
    if let Some(Command::PrintCsp { dist }) = &cli.command {
        println!("{}", nephele_cloud::web::csp_for_dist(dist)?);
        return Ok(());
    }
    if let Some(dist) = &cli.dist {
        anyhow::ensure!(
            dist.join("index.html").is_file(),
            "--dist {}: no index.html there",
            dist.display()
        );
    }
    let options = nephele_cloud::Options {
        listen: cli.listen,
        db: cli.db,
        seed: cli.seed,
        dist: cli.dist,
        build_delay: Duration::from_millis(cli.build_delay_ms),
        allow_origins: cli.allow_origins,
        upstream: cli.upstream,
        upstream_timeout: Duration::from_secs(cli.upstream_timeout_secs),
        public_origin: cli.public_origin,
        upstream_origins: cli.upstream_origins,
        timeouts: nephele_cloud::serve::Timeouts {
            header: Duration::from_secs(cli.header_timeout_secs),
            body: Duration::from_secs(cli.body_timeout_secs),
        },
    };
    let running =
        nephele_cloud::start_with_shutdown(options, nephele_cloud::shutdown_signal()).await?;
    tracing::info!("nephele-cloud listening on {}", running.url());
    running.wait().await?;
    tracing::info!("stopped");
    Ok(())
}
