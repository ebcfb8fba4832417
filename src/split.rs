//! Where the release build splits the portal (see scripts/build-portal).
//!
//! With the `split` feature each route here is a split point: its page's code,
//! and whatever only it uses, is a separate WebAssembly module that the router
//! fetches the first time the route is opened, and that [`prefetch`] fetches
//! while the browser is idle once the first page has shown. `/networks` (the
//! landing page) and the shell stay in the main module; the sign-in page is
//! split off too, since a returning user with a session never needs it.
//!
//! Without the feature (dev builds, `cargo test --target wasm32`) the same
//! `LazyRoute`s resolve at once, so routing behaves alike in both builds and only
//! the download differs. The split macros have to be gated: an unsplit build
//! would keep their placeholder imports and could not start.

// The split macro declares each chunk's loader as an `extern "C"` import: the one
// place the portal allows `unsafe`, and only in that generated code.
#![cfg_attr(feature = "split", allow(unsafe_code))]

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::pages;

macro_rules! split_pages {
    ($($route:ident => $page:path),* $(,)?) => {
        $(
            #[doc = concat!("The route of `", stringify!($page), "`, loaded on first use.")]
            pub struct $route;

            #[cfg(feature = "split")]
            #[leptos_router::lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }
                fn view(_this: Self) -> AnyView {
                    view! { <$page /> }.into_any()
                }
            }

            #[cfg(not(feature = "split"))]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }
                async fn view(_this: Self) -> AnyView {
                    view! { <$page /> }.into_any()
                }
            }
        )*
    };
}

split_pages! {
    LoginPage => pages::login::Login,
    NetworkDetailPage => pages::network_detail::NetworkDetail,
    PortsPage => pages::ports::Ports,
    RoutersPage => pages::routers::Routers,
    FloatingIpsPage => pages::ips::FloatingIps,
    QuotasPage => pages::quotas::Quotas,
    ServersPage => pages::servers::Servers,
    ServerDetailPage => pages::server_detail::ServerDetail,
}

/// Fetch the signed-in pages' modules while the browser is idle, so that a later
/// first open waits for nothing (a no-op without the `split` feature). One after
/// another, so they never compete with what the user is doing; each module is
/// fetched once, and a failed fetch is tried again when its page opens. Not the
/// sign-in page: a signed-in user needs it only after signing out.
///
/// It waits [`PREFETCH_AFTER`] first: the browser is "idle" as soon as the first
/// page's reads are in flight, and modules instantiated then compete with that
/// page's rendering (a `make bench` trace of `/ports` cold showed the prefetch
/// starting while the 5,000 ports were still arriving).
pub fn prefetch() {
    set_timeout(
        || {
            request_idle_callback(|| {
                leptos::task::spawn_local(prefetch_all());
            })
        },
        PREFETCH_AFTER,
    );
}

/// How long after the shell is up the prefetch may start.
pub const PREFETCH_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

async fn prefetch_all() {
    NetworkDetailPage::preload().await;
    PortsPage::preload().await;
    ServersPage::preload().await;
    ServerDetailPage::preload().await;
    FloatingIpsPage::preload().await;
    QuotasPage::preload().await;
    RoutersPage::preload().await;
}
