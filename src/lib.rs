//! Nephele, the portal: a Leptos single-page app compiled to WebAssembly.
//!
//! `App` provides the app-wide contexts (configuration, session, announcer) and
//! the route table; each route is one file under `pages/`.

pub mod api;
pub mod components;
pub mod pages;
pub mod split;
pub mod state;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy};

use crate::api::cloud::Cloud;
use crate::components::layout::Shell;
use crate::pages::{networks::Networks, not_found::NotFound};
use crate::split::{
    FloatingIpsPage, LoginPage, NetworkDetailPage, PortsPage, QuotasPage, RoutersPage,
    ServerDetailPage, ServersPage,
};
use crate::state::clock::Clock;
use crate::state::config::{Config, ConfigState};
use crate::state::notify::{Announcer, LiveRegion};
use crate::state::poller::Poller;
use crate::state::session::SessionContext;
use crate::state::store::Store;

#[component]
pub fn App() -> impl IntoView {
    let config = Config(RwSignal::new(ConfigState::Loading));
    provide_context(config);
    let session = SessionContext::restore();
    session.follow_other_tabs();
    provide_context(session);
    provide_context(Announcer::new());
    provide_context(Clock::start());
    crate::components::table::ScrollPlaces::provide();
    let store = Store::new(Cloud::new(session));
    provide_context(store);
    provide_context(Poller::start(store));

    spawn_local(async move {
        let loaded = api::config::load().await;
        config.0.set(match loaded {
            Ok(c) => ConfigState::Ready(c),
            Err(message) => ConfigState::Failed(message),
        });
    });
    Effect::new(move |_| {
        let title = config.current().title;
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&title);
        }
    });

    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view={Lazy::<LoginPage>::new()} />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/networks" /> } />
                    <Route path=path!("networks") view=Networks />
                    <Route path=path!("networks/:id") view={Lazy::<NetworkDetailPage>::new()} />
                    <Route path=path!("ports") view={Lazy::<PortsPage>::new()} />
                    <Route path=path!("routers") view={Lazy::<RoutersPage>::new()} />
                    <Route path=path!("ips") view={Lazy::<FloatingIpsPage>::new()} />
                    <Route path=path!("quotas") view={Lazy::<QuotasPage>::new()} />
                    <Route path=path!("servers") view={Lazy::<ServersPage>::new()} />
                    <Route path=path!("servers/:id") view={Lazy::<ServerDetailPage>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
        <LiveRegion />
    }
}
