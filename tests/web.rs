//! Component tests in headless Chromium: mount a component, act on the DOM or a
//! signal, and check what the DOM shows.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use nephele::components::login_form::{Credentials, LoginForm, Secret};
use nephele::state::config::CloudChoice;
use nephele::state::notify::{Announcer, LiveRegion};
use nephele_model::identity::Family;
use nephele_model::keystone::Method;
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

/// Yield to the browser until `condition` holds (events such as `close` are
/// delivered as tasks, after the current one).
async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    panic!("condition never held");
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
        vec![Credentials {
            identity_url: "/identity/v2.0".into(),
            family: Family::Synnefo,
            secret: Secret::Token("tok-123".into()),
            remember: true
        }]
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
async fn login_form_asks_keystone_for_what_it_needs() {
    // A Keystone URL (…/v3): user name, domain and password instead of a token.
    let f = mount_form("https://keystone.example.org:5000/v3");
    tick().await;
    assert!(f.root.query_selector("#token").unwrap().is_none());
    assert_eq!(input(&f.root, "#ks-domain").value(), "Default");
    type_into(&f.root, "#ks-user", "demo");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert!(text(&f.root, "[role=alert]").unwrap().contains("password"));
    assert!(f.sent.get_untracked().is_empty());
    type_into(&f.root, "#ks-password", "demo-password");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert_eq!(
        f.sent.get_untracked(),
        vec![Credentials {
            identity_url: "https://keystone.example.org:5000/v3".into(),
            family: Family::OpenStack,
            secret: Secret::Keystone(Method::Password {
                user: "demo".into(),
                domain: "Default".into(),
                password: "demo-password".into()
            }),
            remember: false
        }]
    );
    // An application credential instead.
    let radios = f.root.query_selector_all("input[name=method]").unwrap();
    let app: HtmlInputElement = radios.item(1).unwrap().unchecked_into();
    app.click();
    tick().await;
    assert!(f.root.query_selector("#ks-user").unwrap().is_none());
    type_into(&f.root, "#ks-credential", "ac-1");
    type_into(&f.root, "#ks-secret", "s3cret");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert_eq!(
        f.sent.get_untracked().last().map(|c| c.secret.clone()),
        Some(Secret::Keystone(Method::ApplicationCredential {
            id: "ac-1".into(),
            secret: "s3cret".into()
        }))
    );
}

#[wasm_bindgen_test]
async fn login_form_offers_configured_clouds() {
    let f = mount_form("https://b.example.org/identity/v2.0");
    f.clouds.set(vec![
        CloudChoice {
            name: "Cloud A".into(),
            identity_url: "https://a.example.org/identity/v2.0".into(),
            family: None,
        },
        CloudChoice {
            name: "Cloud B".into(),
            identity_url: "https://b.example.org/identity/v2.0".into(),
            family: None,
        },
    ]);
    tick().await;
    assert!(f.root.query_selector("#identity-url").unwrap().is_none());
    let select: web_sys::HtmlSelectElement =
        f.root.query_selector("#cloud").unwrap().unwrap().unchecked_into();
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

// ---- Issue 5: rows, badges, dialogs, the create-network form ----

use nephele::api::cloud::{Cloud, NewNetwork};
use nephele::components::common::StatusBadge;
use nephele::components::dialog::Dialog;
use nephele::components::network_form::{NetworkForm, ProjectChoice};
use nephele::components::ports::PortRow;
use nephele::state::clock::Clock;
use nephele::state::config::{Config, ConfigState, RuntimeConfig};
use nephele::state::poller::Poller;
use nephele::state::session::SessionContext;
use nephele::state::store::Store;
use nephele_model::port::Port;

fn provide_app_contexts() -> Store {
    provide_context(Config(RwSignal::new(ConfigState::Ready(RuntimeConfig::default()))));
    let session = SessionContext::with(None);
    provide_context(session);
    provide_context(Announcer::new());
    provide_context(Clock::fixed(0.0));
    let store = Store::new(Cloud::new(session));
    provide_context(store);
    provide_context(Poller::start(store));
    store
}

fn port(id: &str, status: &str) -> Port {
    Port { id: id.into(), status: status.into(), network_id: "2".into(), ..Port::default() }
}

/// Records which table rows the DOM changes under `root` touch.
fn watch_rows(root: &HtmlElement) -> js_sys::Function {
    let start = js_sys::Function::new_with_args(
        "root",
        "const touched = new Set();\
         const o = new MutationObserver(rs => rs.forEach(r => { const n = r.target.nodeType === 1 ? r.target : r.target.parentElement; const tr = n && n.closest('tr'); touched.add(tr ? tr.dataset.row || tr.querySelector('th').textContent : 'outside'); }));\
         o.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});\
         return () => { o.takeRecords().forEach(r => { const n = r.target.nodeType === 1 ? r.target : r.target.parentElement; const tr = n && n.closest('tr'); touched.add(tr ? tr.querySelector('th').textContent : 'outside'); }); o.disconnect(); return [...touched]; };",
    );
    start.call1(&wasm_bindgen::JsValue::NULL, root).unwrap().unchecked_into()
}

#[wasm_bindgen_test]
async fn one_port_status_change_touches_one_row() {
    let root = container();
    let store = std::rc::Rc::new(std::cell::Cell::new(None::<Store>));
    let slot = store.clone();
    let _handle = mount_to(root.clone(), move || {
        let store = provide_app_contexts();
        slot.set(Some(store));
        view! {
            <table><tbody>
                <For each=move || store.ports.rows() key=|r| r.id.clone() let:row>
                    <PortRow row=row on_delete=Callback::new(|_| ()) />
                </For>
            </tbody></table>
        }
    });
    let store = store.get().unwrap();
    store.apply_ports(vec![port("11", "BUILD"), port("12", "BUILD"), port("13", "ACTIVE")]);
    tick().await;
    assert_eq!(root.query_selector_all("tbody tr").unwrap().length(), 3);
    let row12 = root.query_selector_all("tbody tr").unwrap().get(1).unwrap();

    let stop = watch_rows(&root);
    // The poller's answer: only port 11 changed.
    store.apply_ports(vec![port("11", "ACTIVE"), port("12", "BUILD"), port("13", "ACTIVE")]);
    tick().await;
    let touched: js_sys::Array = stop.call0(&wasm_bindgen::JsValue::NULL).unwrap().unchecked_into();
    let touched: Vec<String> = touched.iter().filter_map(|v| v.as_string()).collect();
    assert_eq!(touched.len(), 1, "rows touched: {touched:?}");
    assert!(touched[0].starts_with("11"), "rows touched: {touched:?}");
    let badges: Vec<String> = (0..3)
        .map(|i| {
            root.query_selector_all("tbody tr .badge")
                .unwrap()
                .get(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert!(badges[0].starts_with("ACTIVE") && badges[1].starts_with("BUILD"), "{badges:?}");
    // Row 12's element is the same one: nothing was re-created.
    assert!(root
        .query_selector_all("tbody tr")
        .unwrap()
        .get(1)
        .unwrap()
        .is_same_node(Some(&row12)));
}

#[wasm_bindgen_test]
async fn status_badge_follows_its_signal() {
    let root = container();
    let status = RwSignal::new("BUILD".to_owned());
    let pending = RwSignal::new(Some(3_400.0));
    let _handle =
        mount_to(root.clone(), move || view! { <StatusBadge status=status pending_for=pending /> });
    let badge = root.query_selector(".badge").unwrap().unwrap();
    assert_eq!(badge.class_name(), "badge pending");
    // The stylesheet shows the spinner on `.pending` badges only and the time
    // when it has text (e2e_networks checks what is displayed); both stay in
    // the DOM, so a change builds nothing.
    let spinner = root.query_selector(".spinner").unwrap().unwrap();
    let time = root.query_selector(".elapsed").unwrap().unwrap();
    assert_eq!(time.text_content().unwrap(), "3 s");
    assert_eq!(badge.text_content().unwrap(), "BUILD3 s");
    status.set("ACTIVE".into());
    pending.set(None);
    tick().await;
    assert_eq!(badge.class_name(), "badge ok");
    assert_eq!(time.text_content().unwrap(), "");
    assert_eq!(badge.text_content().unwrap(), "ACTIVE");
    assert!(spinner.is_connected() && time.is_connected(), "the badge rebuilt its pieces");
    status.set("ERROR".into());
    tick().await;
    assert_eq!(badge.class_name(), "badge error");
}

#[wasm_bindgen_test]
async fn confirmation_dialog_confirms_and_closes() {
    let root = container();
    let open = RwSignal::new(false);
    let confirmed = RwSignal::new(0);
    let busy = RwSignal::new(false);
    let _handle = mount_to(root.clone(), move || {
        view! {
            <Dialog open=open title="Delete port 11" confirm="Delete port" danger=true disabled=busy
                on_confirm=Callback::new(move |_| confirmed.update(|n| *n += 1))>
                <p>"port 11 (Server 1 (141))"</p>
            </Dialog>
        }
    });
    let dialog: web_sys::HtmlDialogElement =
        root.query_selector("dialog").unwrap().unwrap().unchecked_into();
    assert!(!dialog.open());
    open.set(true);
    tick().await;
    assert!(dialog.open(), "showModal was not called");
    let title_id = dialog.get_attribute("aria-labelledby").unwrap();
    assert_eq!(
        document().get_element_by_id(&title_id).unwrap().text_content().unwrap(),
        "Delete port 11"
    );
    // Enter in the dialog submits its form, like the confirm button.
    let form: web_sys::HtmlFormElement =
        dialog.query_selector("form").unwrap().unwrap().unchecked_into();
    form.request_submit().unwrap();
    tick().await;
    assert_eq!(confirmed.get_untracked(), 1);
    // While busy, confirming does nothing.
    busy.set(true);
    tick().await;
    form.request_submit().unwrap();
    tick().await;
    assert_eq!(confirmed.get_untracked(), 1);
    // Esc closes the dialog (the browser fires `close`): the signal follows.
    dialog.close();
    wait_until(|| !open.get_untracked()).await;
    assert!(!dialog.open());
}

struct NetForm {
    root: HtmlElement,
    sent: RwSignal<Vec<NewNetwork>>,
    projects: RwSignal<Vec<ProjectChoice>>,
}

fn mount_network_form() -> NetForm {
    let root = container();
    let sent = RwSignal::new(Vec::new());
    let projects = RwSignal::new(vec![
        ProjectChoice { id: "u-1".into(), name: "Personal".into(), available: Some(5) },
        ProjectChoice { id: "p-2".into(), name: "Lab".into(), available: Some(0) },
    ]);
    mount_to(root.clone(), move || {
        view! {
            <NetworkForm projects=projects default_project=Some("u-1".to_owned()) busy=false
                on_submit=Callback::new(move |n| sent.update(|v| v.push(n)))
                on_cancel=Callback::new(|_| ()) />
        }
    })
    .forget();
    NetForm { root, sent, projects }
}

#[wasm_bindgen_test]
async fn create_network_form_validates_before_sending() {
    let f = mount_network_form();
    tick().await;
    click(&f.root, "button[type=submit]");
    tick().await;
    assert_eq!(text(&f.root, "[role=alert]").as_deref(), Some("Give the network a name."));
    assert!(f.sent.get_untracked().is_empty());

    type_into(&f.root, "#net-name", "My Private Net");
    type_into(&f.root, "#net-cidr", "10.0.0.1/24");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert_eq!(
        text(&f.root, "[role=alert]").as_deref(),
        Some("10.0.0.1/24 has host bits set: the subnet starts at 10.0.0.0/24.")
    );
    type_into(&f.root, "#net-cidr", "banana");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert!(text(&f.root, "[role=alert]").unwrap().contains("is not an IPv4 subnet"));
    assert!(f.sent.get_untracked().is_empty());

    type_into(&f.root, "#net-cidr", "10.0.0.0/24");
    click(&f.root, "button[type=submit]");
    tick().await;
    let sent = f.sent.get_untracked();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].name.as_str(), sent[0].project.as_deref()),
        ("My Private Net", Some("u-1"))
    );
    assert_eq!(sent[0].subnet.as_ref().unwrap().cidr, "10.0.0.0/24");
    assert!(text(&f.root, "[role=alert]").is_none());
}

#[wasm_bindgen_test]
async fn create_network_form_explains_when_no_project_has_quota() {
    let f = mount_network_form();
    tick().await;
    let hint = f.root.query_selector(".hint:last-of-type").unwrap();
    assert!(
        f.root
            .text_content()
            .unwrap()
            .contains("Private networks: 5 left in this project → 4 after this."),
        "{hint:?}"
    );
    let lab = f.root.query_selector("#net-project option[value='p-2']").unwrap().unwrap();
    assert!(lab.has_attribute("disabled"));
    assert!(lab.text_content().unwrap().contains("no private networks left"));

    f.projects.update(|p| p[0].available = Some(0));
    tick().await;
    let button = f.root.query_selector("button[type=submit]").unwrap().unwrap();
    assert!(button.has_attribute("disabled"));
    assert_eq!(button.get_attribute("aria-describedby").as_deref(), Some("net-quota-reason"));
    assert!(text(&f.root, "#net-quota-reason")
        .unwrap()
        .contains("None of your projects has private networks left"));
    type_into(&f.root, "#net-name", "x");
    click(&f.root, "button[type=submit]");
    tick().await;
    assert!(f.sent.get_untracked().is_empty());
}

#[wasm_bindgen_test]
async fn reads_are_cancelled_when_their_view_goes() {
    use nephele::api::{until_view_gone, ApiError};
    let owner = Owner::new();
    let read = owner.with(|| until_view_gone(futures::future::pending::<Result<(), ApiError>>()));
    owner.cleanup();
    assert_eq!(read.await, Err(ApiError::Cancelled));
    let owner = Owner::new();
    let read = owner.with(|| until_view_gone(async { Ok::<_, ApiError>(7) }));
    assert_eq!(read.await, Ok(7));
    drop(owner);
}

/// Issue 11, holes 5 and 6: `next` values that once left the portal after sign-in
/// (`/\t/evil.example` became `//evil.example`) or crashed it (a dot segment left
/// `//evil.example` as the path, and `history.replaceState` threw). Each must come
/// back as a path on the portal's own origin that the History API accepts.
#[wasm_bindgen_test]
fn hostile_next_values_land_inside_the_portal() {
    use nephele::state::session::safe_next;
    let window = web_sys::window().unwrap();
    let origin = window.location().origin().unwrap();
    let history = window.history().unwrap();
    let before = window.location().href().unwrap();
    let hostile = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\t\n\r/evil.example/x?y#z",
        "\t//evil.example",
        "/%09/evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/.//evil.example",
        "/./\\evil.example",
        "/networks/..//evil.example",
        "/networks/%2e%2e//evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example/networks",
        "http:evil.example",
        "https:/\\evil.example",
        "/login?next=//evil.example",
        "",
        "   ",
    ];
    for next in hostile {
        let dest = safe_next(Some(next));
        assert!(dest.starts_with('/') && !dest.starts_with("//"), "{next:?} → {dest:?}");
        let url = web_sys::Url::new_with_base(&dest, &origin).unwrap();
        assert_eq!(url.origin(), origin, "{next:?} → {dest:?}");
        assert!(
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&dest)).is_ok(),
            "{next:?} → {dest:?} is refused by the History API"
        );
        assert_eq!(web_sys::window().unwrap().location().origin().unwrap(), origin);
    }
    // Ordinary destinations are kept as they are.
    let own = format!("{origin}/ips");
    for (next, dest) in [
        ("/ports?sort=status", "/ports?sort=status"),
        ("/networks/2#ports", "/networks/2#ports"),
        (own.as_str(), "/ips"),
    ] {
        assert_eq!(safe_next(Some(next)), dest);
    }
    assert_eq!(safe_next(None), "/networks");
    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&before)).unwrap();
}

/// Token expiry times are read with the browser's date parser (`Date.parse`).
#[wasm_bindgen_test]
fn expiry_times_are_read_and_warned_about() {
    use nephele::components::expiry::{expiry, parse_iso8601_ms, Expiry};
    assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(parse_iso8601_ms("2018-06-19T15:23:59.975+00:00"), Some(1_529_421_839_975.0));
    // Astakos writes microseconds.
    let micro = parse_iso8601_ms("2018-06-19T15:23:59.975572+00:00").unwrap();
    assert!((micro - 1_529_421_839_975.0).abs() < 1.0, "{micro}");
    assert_eq!(parse_iso8601_ms("2018-06-19T17:23:59+02:00"), Some(1_529_421_839_000.0));
    assert_eq!(parse_iso8601_ms("2000-03-01T00:00:00-00:30"), Some(951_870_600_000.0));
    for bad in ["", "tomorrow", "2018-13-01T00:00:00Z", "garbage"] {
        assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
    }

    let at = parse_iso8601_ms("2030-01-01T00:00:00Z").unwrap();
    let e = |now: f64| expiry(Some("2030-01-01T00:00:00Z"), now);
    assert_eq!(e(at - 11.0 * 60_000.0), Expiry::Fine);
    assert_eq!(e(at - 10.0 * 60_000.0), Expiry::Soon { minutes: 10 });
    assert_eq!(e(at - 90_000.0), Expiry::Soon { minutes: 2 });
    assert_eq!(e(at - 1.0), Expiry::Soon { minutes: 1 });
    assert_eq!(e(at), Expiry::Expired);
    assert_eq!(expiry(None, 0.0), Expiry::Fine);
    assert_eq!(expiry(Some("garbage"), 0.0), Expiry::Fine);
}

fn many_ports(n: usize, changed: Option<(usize, &str)>) -> Vec<Port> {
    (0..n)
        .map(|i| {
            let status = match changed {
                Some((at, status)) if at == i => status,
                _ => "ACTIVE",
            };
            // Zero-padded ids keep the store's order the list's order.
            port(&format!("{:05}", i + 1), status)
        })
        .collect()
}

/// A ports table on `LongBody` over the store's ports, as `/ports` has it; it is
/// unmounted when the returned handle is dropped.
fn mount_port_table(root: &HtmlElement) -> (Store, impl Sized) {
    use nephele::components::table::{aria_rowcount, LongBody};
    let store = std::rc::Rc::new(std::cell::Cell::new(None::<Store>));
    let slot = store.clone();
    let handle = mount_to(root.clone(), move || {
        let store = provide_app_contexts();
        slot.set(Some(store));
        let rows = Signal::derive(move || store.ports.rows());
        view! {
            <table class="data" aria-rowcount=move || aria_rowcount(rows.with(Vec::len))>
                <thead><tr><th>"Port"</th></tr></thead>
                <LongBody rows=rows columns=6 row=move |row, place| view! {
                    <PortRow row=row place=place on_delete=Callback::new(|_| ()) />
                } />
            </table>
        }
    });
    (store.get().unwrap(), handle)
}

#[wasm_bindgen_test]
async fn a_long_table_builds_its_window_and_a_row_changed_off_screen_is_right_when_shown() {
    let root = container();
    let (store, _handle) = mount_port_table(&root);
    store.apply_ports(many_ports(2000, None));
    let table = || root.query_selector("table").unwrap().unwrap();
    let built = || root.query_selector_all("tbody tr[aria-rowindex]").unwrap().length();
    wait_until(|| built() > 0).await;
    assert_eq!(table().get_attribute("aria-rowcount").as_deref(), Some("2001"));
    assert!(built() < 100, "{} rows built of 2000", built());
    // The body is as tall as the whole list once the rows built are measured:
    // spacers stand for the rest.
    let body: HtmlElement = root.query_selector("tbody").unwrap().unwrap().unchecked_into();
    let row_px = || {
        f64::from(
            root.query_selector("tbody tr[aria-rowindex]")
                .unwrap()
                .unwrap()
                .unchecked_into::<HtmlElement>()
                .offset_height(),
        )
    };
    // Within 1 %: rows differ by a pixel here and there (badges, copy buttons).
    let fits = || (f64::from(body.offset_height()) - 2000.0 * row_px()).abs() < 20.0 * row_px();
    wait_until(fits).await;
    let row_px = row_px();

    // Port 1900 goes DOWN while far off screen: nothing of it is built.
    let row_1900 = || root.query_selector("tbody tr[aria-rowindex='1901']").unwrap();
    assert!(row_1900().is_none());
    store.apply_ports(many_ports(2000, Some((1899, "DOWN"))));
    tick().await;
    assert!(row_1900().is_none());
    // Scrolled into view, it is built, and right.
    let top = body.get_bounding_client_rect().top() + window().scroll_y().unwrap();
    window().scroll_to_with_x_and_y(0.0, top + 1899.0 * row_px - 100.0);
    wait_until(|| row_1900().is_some()).await;
    let badge = row_1900().unwrap().query_selector(".badge").unwrap().unwrap();
    assert!(badge.text_content().unwrap().starts_with("DOWN"), "{:?}", badge.text_content());
    assert!(built() < 100, "{} rows built after the scroll", built());
    // The rows scrolled past left no per-row state behind.
    let cells = store.pending.cell_count();
    assert!(cells <= built() as usize, "{cells} cells for {} rows built", built());
    window().scroll_to_with_x_and_y(0.0, 0.0);
    root.remove();
}

#[wasm_bindgen_test]
async fn short_tables_build_every_row_as_before() {
    let root = container();
    let (store, _handle) = mount_port_table(&root);
    store.apply_ports(many_ports(20, None));
    wait_until(|| root.query_selector_all("tbody tr").unwrap().length() == 20).await;
    assert_eq!(root.query_selector("table").unwrap().unwrap().get_attribute("aria-rowcount"), None);
    assert!(root.query_selector("tr.spacer, tr[aria-rowindex]").unwrap().is_none());
    root.remove();
}
