//! Component tests in headless Chromium: mount a component, act on the DOM or a
//! signal, and check what the DOM shows.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use nephele::components::login_form::{Credentials, LoginForm};
use nephele::state::config::CloudChoice;
use nephele::state::notify::{Announcer, LiveRegion};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> HtmlElement {
    let doc = document();
    let el = doc.create_element("section").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el.unchecked_into()
}

fn input(root: &HtmlElement, css: &str) -> HtmlInputElement {
    root.query_selector(css).unwrap().unwrap_or_else(|| panic!("no {css}")).unchecked_into()
}

fn type_into(root: &HtmlElement, css: &str, value: &str) {
    let el = input(root, css);
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
}

fn click(root: &HtmlElement, css: &str) {
    root.query_selector(css).unwrap().unwrap().unchecked_into::<HtmlElement>().click();
}

fn text(root: &HtmlElement, css: &str) -> Option<String> {
    root.query_selector(css).unwrap().map(|e| e.text_content().unwrap_or_default())
}

struct Form {
    root: HtmlElement,
    sent: RwSignal<Vec<Credentials>>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    clouds: RwSignal<Vec<CloudChoice>>,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

fn mount_form(initial_url: &str) -> Form {
    let root = container();
    let sent = RwSignal::new(Vec::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let clouds = RwSignal::new(Vec::<CloudChoice>::new());
    let url = initial_url.to_owned();
    let handle = mount_to(root.clone(), move || {
        view! {
            <LoginForm
                initial_url=url.clone()
                clouds=clouds
                busy=busy
                error=error
                on_submit=Callback::new(move |c| sent.update(|v| v.push(c)))
            />
        }
        .into_any()
    });
    Form { root, sent, busy, error, clouds, _handle: handle }
}

#[wasm_bindgen_test]
async fn login_form_refuses_an_empty_token_and_sends_nothing() {
    let f = mount_form("https://cloud.example.org/identity/v2.0");
    tick().await;
    assert_eq!(input(&f.root, "#identity-url").value(), "https://cloud.example.org/identity/v2.0");
    assert_eq!(text(&f.root, "[role=alert]"), None);
    click(&f.root, "button[type=submit]");
    tick().await;
    assert!(text(&f.root, "[role=alert]").unwrap().contains("Enter your API token"));
    assert!(f.sent.get_untracked().is_empty());

    type_into(&f.root, "#identity-url", "ftp://nope");
    type_into(&f.root, "#token", "secret");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert!(text(&f.root, "[role=alert]").unwrap().contains("https://"));
    assert!(f.sent.get_untracked().is_empty());
}

#[wasm_bindgen_test]
async fn login_form_sends_trimmed_credentials() {
    let f = mount_form("/identity/v2.0");
    tick().await;
    type_into(&f.root, "#token", "  tok-123  ");
    let remember: HtmlInputElement = input(&f.root, "input[type=checkbox]");
    remember.click();
    click(&f.root, "button[type=submit]");
    tick().await;
    assert_eq!(
        f.sent.get_untracked(),
        vec![Credentials { identity_url: "/identity/v2.0".into(), token: "tok-123".into(), remember: true }]
    );
    assert_eq!(text(&f.root, "[role=alert]"), None);
}

#[wasm_bindgen_test]
async fn login_form_follows_busy_and_error_signals() {
    let f = mount_form("/identity/v2.0");
    tick().await;
    let button = || f.root.query_selector("button[type=submit]").unwrap().unwrap();
    assert!(!button().has_attribute("disabled"));
    f.busy.set(true);
    tick().await;
    assert!(button().has_attribute("disabled"));
    assert_eq!(button().text_content().unwrap(), "Signing in…");
    f.busy.set(false);
    f.error.set(Some("The cloud did not accept this token.".into()));
    tick().await;
    assert_eq!(text(&f.root, "[role=alert]").unwrap(), "The cloud did not accept this token.");
    assert_eq!(button().text_content().unwrap(), "Sign in");
}

#[wasm_bindgen_test]
async fn login_form_offers_configured_clouds() {
    let f = mount_form("https://b.example.org/identity/v2.0");
    f.clouds.set(vec![
        CloudChoice { name: "Cloud A".into(), identity_url: "https://a.example.org/identity/v2.0".into() },
        CloudChoice { name: "Cloud B".into(), identity_url: "https://b.example.org/identity/v2.0".into() },
    ]);
    tick().await;
    assert!(f.root.query_selector("#identity-url").unwrap().is_none());
    let select: web_sys::HtmlSelectElement = f.root.query_selector("#cloud").unwrap().unwrap().unchecked_into();
    assert_eq!(select.options().length(), 2);
    assert_eq!(select.value(), "https://b.example.org/identity/v2.0");
}

#[wasm_bindgen_test]
async fn live_region_announces_status_changes() {
    let root = container();
    let announcer = Announcer::new();
    let _handle = mount_to(root.clone(), move || {
        provide_context(announcer);
        view! { <LiveRegion /> }
    });
    let region = root.query_selector("[aria-live=polite]").unwrap().unwrap();
    assert_eq!(region.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(region.text_content().unwrap(), "");
    announcer.announce("Port 11 is now ACTIVE");
    tick().await;
    assert_eq!(region.text_content().unwrap(), "Port 11 is now ACTIVE");
}
