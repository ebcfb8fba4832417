//! Nephele, the portal: a Leptos single-page app compiled to WebAssembly.
//!
//! `App` provides the app-wide contexts (configuration, session, announcer) and
//! the route table; each route is one file under `pages/`.

pub mod api;
pub mod components;
pub mod pages;
pub mod state;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api::cloud::Cloud;
use crate::components::layout::Shell;
use crate::pages::{
    ips::FloatingIps, login::Login, network_detail::NetworkDetail, networks::Networks,
    not_found::NotFound, ports::Ports, quotas::Quotas, routers::Routers, servers::Servers,
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
                <Route path=path!("/login") view=Login />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/networks" /> } />
                    <Route path=path!("networks") view=Networks />
                    <Route path=path!("networks/:id") view=NetworkDetail />
                    <Route path=path!("ports") view=Ports />
                    <Route path=path!("routers") view=Routers />
                    <Route path=path!("ips") view=FloatingIps />
                    <Route path=path!("quotas") view=Quotas />
                    <Route path=path!("servers") view=Servers />
                </ParentRoute>
            </Routes>
        </Router>
        <LiveRegion />
    }
}
