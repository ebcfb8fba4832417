//! The create-network form: name, type, project (with how many private networks
//! each has left) and an optional IPv4 subnet. It checks everything it can before
//! anything is sent.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use nephele_model::ipnet::{v4, v4_str, Cidr4};
use nephele_model::NetworkKind;

use crate::api::cloud::{NewNetwork, NewSubnet};

/// A project the network can be charged to.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectChoice {
    pub id: String,
    pub name: String,
    /// Private networks left in this project; `None` when the quota is unknown.
    pub available: Option<i64>,
}

/// How the gateway is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMode {
    /// The cloud picks the first host address.
    Auto,
    None,
    Custom,
}

/// The form's fields as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFields {
    pub name: String,
    pub kind: NetworkKind,
    pub project: String,
    pub with_subnet: bool,
    pub cidr: String,
    pub gateway_mode: GatewayMode,
    pub gateway: String,
    pub dhcp: bool,
}

/// Check the fields; the error names the field and says what to fix.
pub fn validate(f: &NetworkFields) -> Result<NewNetwork, String> {
    let name = f.name.trim();
    if name.is_empty() {
        return Err("Give the network a name.".into());
    }
    if name.chars().count() > 128 {
        return Err("The name is too long: at most 128 characters.".into());
    }
    let subnet = if f.with_subnet { Some(validate_subnet(f)?) } else { None };
    Ok(NewNetwork {
        name: name.to_owned(),
        kind: f.kind.clone(),
        project: Some(f.project.clone()).filter(|p| !p.is_empty()),
        subnet,
    })
}

fn validate_subnet(f: &NetworkFields) -> Result<NewSubnet, String> {
    let raw = f.cidr.trim();
    let Some((cidr, clean)) = Cidr4::parse(raw) else {
        return Err(format!("“{raw}” is not an IPv4 subnet: write it like 192.168.10.0/24."));
    };
    if !clean {
        return Err(format!(
            "{raw} has host bits set: the subnet starts at {}/{}.",
            v4_str(cidr.net),
            cidr.prefix
        ));
    }
    if !(8..=29).contains(&cidr.prefix) {
        return Err(
            "The prefix length must be between /8 and /29 (most clouds accept /22 to /29).".into(),
        );
    }
    let gateway = match f.gateway_mode {
        GatewayMode::Auto => None,
        GatewayMode::None => Some(None),
        GatewayMode::Custom => {
            let g = f.gateway.trim();
            let Some(ip) = v4(g) else {
                return Err(format!("“{g}” is not an IPv4 address for the gateway."));
            };
            if !cidr.is_host(ip) {
                return Err(format!("The gateway {g} must be a host address inside {raw}."));
            }
            Some(Some(g.to_owned()))
        }
    };
    Ok(NewSubnet { cidr: raw.to_owned(), gateway, dhcp: f.dhcp })
}

#[component]
pub fn NetworkForm(
    /// Projects to charge the network to, with their quota left.
    #[prop(into)]
    projects: Signal<Vec<ProjectChoice>>,
    /// The project picked at first (the user's default project).
    #[prop(into)]
    default_project: Signal<Option<String>>,
    #[prop(into)] busy: Signal<bool>,
    on_submit: Callback<NewNetwork>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let with_subnet = RwSignal::new(true);
    let cidr = RwSignal::new("192.168.10.0/24".to_owned());
    let gateway_mode = RwSignal::new(GatewayMode::Auto);
    let gateway = RwSignal::new(String::new());
    let dhcp = RwSignal::new(true);
    let problem = RwSignal::new(None::<String>);

    // Pick the default project (or the first with quota) until the user picks one.
    Effect::new(move |_| {
        let choices = projects.get();
        let current = project.get_untracked();
        if choices.iter().any(|p| p.id == current && p.available != Some(0)) {
            return;
        }
        let default = default_project.get();
        let pick = choices
            .iter()
            .find(|p| Some(&p.id) == default.as_ref() && p.available != Some(0))
            .or_else(|| choices.iter().find(|p| p.available != Some(0)))
            .or_else(|| choices.first());
        if let Some(p) = pick {
            project.set(p.id.clone());
        }
    });
    let no_quota = move || {
        let choices = projects.get();
        !choices.is_empty() && choices.iter().all(|p| p.available == Some(0))
    };
    let chosen_left = move || {
        let id = project.get();
        projects.get().into_iter().find(|p| p.id == id).and_then(|p| p.available)
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || no_quota() {
            return;
        }
        let fields = NetworkFields {
            name: name.get_untracked(),
            kind: NetworkKind::MacFiltered,
            project: project.get_untracked(),
            with_subnet: with_subnet.get_untracked(),
            cidr: cidr.get_untracked(),
            gateway_mode: gateway_mode.get_untracked(),
            gateway: gateway.get_untracked(),
            dhcp: dhcp.get_untracked(),
        };
        match validate(&fields) {
            Err(message) => problem.set(Some(message)),
            Ok(new) => {
                problem.set(None);
                on_submit.run(new);
            }
        }
    };
    let store = use_context::<crate::state::store::Store>();
    let caps = move || {
        store
            .map(|s| s.cloud.capabilities())
            .unwrap_or(crate::api::cloud::Capabilities::of(Default::default(), true))
    };
    let gateway_radio = move |mode: GatewayMode, label: &'static str| {
        view! {
            <label class="checkbox">
                <input
                    type="radio"
                    name="gateway-mode"
                    prop:checked=move || gateway_mode.get() == mode
                    on:change=move |_| gateway_mode.set(mode)
                />
                {label}
            </label>
        }
    };

    view! {
        <form class="panel form-grid" on:submit=submit novalidate aria-label="Create network">
            <h2>"Create a private network"</h2>
            <div>
                <label for="net-name">"Name"</label>
                <input id="net-name" type="text" maxlength="128" autocomplete="off"
                    bind:value=name />
            </div>
            // Neutron's network types are admin-only: tenants do not choose one.
            <Show when=move || caps().network_types>
                <div>
                    <label for="net-type">"Type"</label>
                    <select id="net-type" disabled aria-describedby="net-type-hint">
                        <option value=NetworkKind::MacFiltered.as_str() selected>{NetworkKind::MacFiltered.as_str()}</option>
                    </select>
                    <p class="hint" id="net-type-hint">"The only type Synnefo lets tenants create."</p>
                </div>
            </Show>
            <div>
                <label for="net-project">{move || if caps().project_per_object { "Charge to project" } else { "Project" }}</label>
                <select id="net-project" on:change=move |ev| project.set(event_target_value(&ev))>
                    {move || {
                        projects
                            .get()
                            .into_iter()
                            .map(|p| {
                                let left = match p.available {
                                    Some(0) => " (no private networks left)".to_owned(),
                                    Some(n) => format!(" ({n} left)"),
                                    None => String::new(),
                                };
                                let selected = p.id == project.get_untracked();
                                view! {
                                    <option value=p.id.clone() selected=selected disabled=p.available == Some(0)>
                                        {format!("{}{left}", p.name)}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
                <p class="hint">
                    {move || match chosen_left() {
                        Some(n) => format!("Private networks: {} left in this project → {} after this.", n, (n - 1).max(0)),
                        None => "The cloud did not say how many private networks this project has left.".to_owned(),
                    }}
                </p>
            </div>
            <fieldset>
                <legend>"Subnet"</legend>
                <label class="checkbox">
                    <input type="checkbox" bind:checked=with_subnet />
                    "Add an IPv4 subnet (servers get addresses on it)"
                </label>
                <Show when=move || with_subnet.get()>
                    <label for="net-cidr">"Subnet (CIDR)"</label>
                    <input id="net-cidr" type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
                        bind:value=cidr />
                    <div role="radiogroup" aria-label="Gateway">
                        {gateway_radio(GatewayMode::Auto, "Gateway: first address")}
                        {gateway_radio(GatewayMode::None, "No gateway")}
                        {gateway_radio(GatewayMode::Custom, "Gateway address:")}
                    </div>
                    <Show when=move || gateway_mode.get() == GatewayMode::Custom>
                        <label for="net-gateway">"Gateway address"</label>
                        <input id="net-gateway" type="text" inputmode="decimal" autocomplete="off"
                            bind:value=gateway />
                    </Show>
                    <label class="checkbox">
                        <input type="checkbox" bind:checked=dhcp />
                        "DHCP (hand out addresses automatically)"
                    </label>
                </Show>
            </fieldset>
            <Show when=move || problem.get().is_some()>
                <p class="form-error" role="alert">{move || problem.get()}</p>
            </Show>
            <Show when=no_quota>
                <p class="form-error" id="net-quota-reason">"None of your projects has private networks left. Delete one you no longer need, or ask for more quota."</p>
            </Show>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || busy.get() || no_quota()
                    aria-describedby=move || if no_quota() { Some("net-quota-reason") } else { None }>
                    {move || if busy.get() { "Creating…" } else { "Create network" }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> NetworkFields {
        NetworkFields {
            name: "My Private Net".into(),
            kind: NetworkKind::MacFiltered,
            project: "p".into(),
            with_subnet: true,
            cidr: "192.168.10.0/24".into(),
            gateway_mode: GatewayMode::Auto,
            gateway: String::new(),
            dhcp: true,
        }
    }

    #[test]
    fn a_good_form_becomes_a_request() {
        let n = validate(&fields()).unwrap();
        assert_eq!(n.name, "My Private Net");
        assert_eq!(
            n.subnet,
            Some(NewSubnet { cidr: "192.168.10.0/24".into(), gateway: None, dhcp: true })
        );
        let n = validate(&NetworkFields { with_subnet: false, cidr: "junk".into(), ..fields() })
            .unwrap();
        assert_eq!(n.subnet, None);
        let n = validate(&NetworkFields { gateway_mode: GatewayMode::None, ..fields() }).unwrap();
        assert_eq!(n.subnet.unwrap().gateway, Some(None));
        let n = validate(&NetworkFields {
            gateway_mode: GatewayMode::Custom,
            gateway: "192.168.10.254".into(),
            ..fields()
        })
        .unwrap();
        assert_eq!(n.subnet.unwrap().gateway, Some(Some("192.168.10.254".into())));
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(
            validate(&NetworkFields { name: "  ".into(), ..fields() }).unwrap_err(),
            "Give the network a name."
        );
        assert!(validate(&NetworkFields { name: "x".repeat(129), ..fields() })
            .unwrap_err()
            .contains("128"));
        assert!(validate(&NetworkFields { cidr: "192.168.10.0".into(), ..fields() })
            .unwrap_err()
            .contains("not an IPv4 subnet"));
        assert!(validate(&NetworkFields { cidr: "300.1.1.0/24".into(), ..fields() })
            .unwrap_err()
            .contains("not an IPv4 subnet"));
        assert_eq!(
            validate(&NetworkFields { cidr: "192.168.10.5/24".into(), ..fields() }).unwrap_err(),
            "192.168.10.5/24 has host bits set: the subnet starts at 192.168.10.0/24."
        );
        assert!(validate(&NetworkFields { cidr: "10.0.0.0/30".into(), ..fields() })
            .unwrap_err()
            .contains("prefix length"));
        let custom = |g: &str| NetworkFields {
            gateway_mode: GatewayMode::Custom,
            gateway: g.into(),
            ..fields()
        };
        assert!(validate(&custom("nope")).unwrap_err().contains("not an IPv4 address"));
        assert!(validate(&custom("10.0.0.1")).unwrap_err().contains("inside 192.168.10.0/24"));
        assert!(validate(&custom("192.168.10.255")).unwrap_err().contains("host address"));
    }
}
