//! Faults in plain words: what happened, and what the tenant can do about it.
//! The raw fault stays available next to the sentence (see `components::fault`).

use nephele_model::FaultKind;

use super::ApiError;

/// A sentence a tenant understands, and the next step where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub summary: String,
    pub next_step: Option<String>,
}

/// What the page knows that the fault does not say (numbers from the quota).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The floating-IP limit of the project the request was charged to.
    pub floating_ip_limit: Option<i64>,
    /// The private-network limit of that project.
    pub network_limit: Option<i64>,
    /// What holds a network that cannot be deleted, e.g. ["port 11 (server 141)"].
    pub blockers: Vec<String>,
}

fn say(summary: impl Into<String>, next: Option<&str>) -> Explanation {
    Explanation { summary: summary.into(), next_step: next.map(str::to_owned) }
}

/// The text between the first pair of single quotes: Synnefo quotes the address,
/// type or server in its messages (`IP address '192.168.3.5' is already in use`).
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('\'')? + 1;
    let len = message[start..].find('\'')?;
    Some(&message[start..start + len])
}

/// `Available: 0, Requested: 1` from an overLimit fault's details.
pub fn over_limit_numbers(details: &str) -> Option<(i64, i64)> {
    let number_after = |key: &str| -> Option<i64> {
        let rest = &details[details.find(key)? + key.len()..];
        let digits: String =
            rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
        digits.parse().ok()
    };
    Some((number_after("Available:")?, number_after("Requested:")?))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

pub fn explain(error: &ApiError, context: &Context) -> Explanation {
    let (status, fault) = match error {
        ApiError::Unreachable { .. } => {
            return say("Could not reach the cloud.", Some("Check your connection and try again."));
        }
        ApiError::Timeout { .. } => {
            return say(
                "The cloud did not answer in time.",
                Some("Try again in a moment; the list shows what really happened."),
            );
        }
        ApiError::Decode { .. } => {
            return say(
                "The cloud sent an answer this portal cannot read.",
                Some("Try again; if it persists, tell your cloud's operators."),
            );
        }
        ApiError::Cancelled => return say("The request was cancelled.", None),
        ApiError::Status { status, .. } => (*status, None),
        ApiError::Fault { status, fault, .. } => (*status, Some(fault)),
    };
    let message = fault.map_or("", |f| f.message.as_str());
    let details = fault.map_or("", |f| f.details.as_str());
    let kind = fault.map(|f| f.kind.clone());

    if let Some(FaultKind::Other(name)) = &kind {
        if let Some(x) = neutron(name, message, context) {
            return x;
        }
    }
    match (status, kind) {
        (401, _) => say("Your session has ended.", Some("Sign in again to continue.")),
        (413, _) if details.contains("Floating IP") => {
            let used_all = match context.floating_ip_limit {
                Some(limit) => format!("You have used all {} of your floating IPs.", limit),
                None => "You have no floating IPs left in your quota.".to_owned(),
            };
            say(used_all, Some("Release one you no longer need, or ask for more quota."))
        }
        (413, _) if details.contains("Private Network") => {
            let used_all = match context.network_limit {
                Some(limit) => format!("You have used all {} of your private networks.", limit),
                None => "You have no private networks left in your quota.".to_owned(),
            };
            say(used_all, Some("Delete a network you no longer need, or charge this one to another project."))
        }
        (413, _) if message.contains("network size") || details.contains("Netmask") => say(
            format!("The cloud does not allow a subnet of that size. {details}"),
            Some("Choose a prefix length in the range shown, e.g. /24."),
        ),
        (413, _) => match over_limit_numbers(details) {
            Some((available, requested)) => say(
                format!("This needs {requested} more than your quota allows ({} left).", available),
                Some("Free something up, or ask for more quota."),
            ),
            None => say("This would go over your quota.", Some("Free something up, or ask for more quota.")),
        },
        (409, _) if message.contains("already in use") => {
            let address = quoted(message).unwrap_or("This address");
            say(
                format!("{address} is already attached to a server."),
                Some("Detach it there first (or use Move), or reserve another address."),
            )
        }
        (409, _) if message.contains("ports still configured") => {
            let holders = if context.blockers.is_empty() {
                "ports that are still connected".to_owned()
            } else {
                context.blockers.join(", ")
            };
            say(
                format!("This network is still in use by {holders}."),
                Some("Disconnect them first, or use “Disconnect everything and delete”."),
            )
        }
        (409, _) if message.contains("allocated floating IPs") => say(
            "Floating IPs are still reserved from this network.",
            Some("Release them first, then delete the network."),
        ),
        (409, _) if message.contains("is used by") => say(
            "This floating IP is still attached.",
            Some("Detach it first, or use “Detach and release”."),
        ),
        (409, _) if message.contains("No more IP addresses") || message.contains("Cannot allocate") => say(
            "There are no free addresses left on that network.",
            Some("Release an address you no longer need, or pick another network."),
        ),
        (409, Some(FaultKind::BuildInProgress)) => {
            say("The server is still being built.", Some("Wait until it is ACTIVE, then try again."))
        }
        (409, _) => say(format!("The cloud refused this because of a conflict: {message}"), Some("Refresh and try again.")),
        (403, _) if message.contains("Cannot disconnect from public network") => {
            say("This connection to the public network was made by the cloud and cannot be removed here.", None)
        }
        (403, _) if message.contains("public network") => {
            say("Public networks belong to the cloud: tenants cannot delete or rename them.", None)
        }
        (403, _) if message.contains("Cannot create network of type") => say(
            format!("This cloud does not let tenants create {} networks.", quoted(message).unwrap_or("such")),
            Some("Choose MAC_FILTERED."),
        ),
        (403, _) => say(format!("You are not allowed to do this: {message}"), None),
        (404, _) => say("This does not exist (any more): it may have been deleted meanwhile.", None),
        (400, _) if message.contains("pending") => say(
            "The server is busy with another connection change.",
            Some("Wait until its current change finishes, then try again."),
        ),
        (400, _) if message.contains("not in project") => {
            say("You are not a member of that project.", Some("Choose one of your projects."))
        }
        (400, _) if message.contains("VMs are already connected") => say(
            "A subnet can only be added before any server is connected to the network.",
            Some("Create a new network with the subnet, then connect servers to it."),
        ),
        (400, _) if !message.is_empty() => say(format!("The cloud refused the request: {message}"), None),
        (400, _) => say("The cloud refused the request.", None),
        (501, _) => say("This cloud does not support that operation.", None),
        (503, _) => say("The cloud has no capacity for this right now.", Some("Try again later.")),
        (s, _) if s >= 500 => say(format!("The cloud had a problem ({s})."), Some("Try again in a moment.")),
        (s, _) => say(format!("The cloud answered {s}: {message}"), None),
    }
}

/// Neutron's fault types (`NeutronError.type`) in words. `None`: not one of
/// these, so the status-based sentences apply.
fn neutron(kind: &str, message: &str, context: &Context) -> Option<Explanation> {
    use nephele_model::neutron::{over_quota_resources, ports_in_use};
    use nephele_model::Resource;
    Some(match kind {
        "OverQuota" => {
            let resources = over_quota_resources(message);
            if resources.contains(&Resource::FloatingIp) {
                let used_all = match context.floating_ip_limit {
                    Some(limit) => format!("You have used all {limit} of your floating IPs in this project."),
                    None => "You have no floating IPs left in this project's quota.".to_owned(),
                };
                say(used_all, Some("Release one you no longer need, or ask for more quota."))
            } else if resources.contains(&Resource::PrivateNetwork) {
                let used_all = match context.network_limit {
                    Some(limit) => format!("You have used all {limit} of your networks in this project."),
                    None => "You have no networks left in this project's quota.".to_owned(),
                };
                say(used_all, Some("Delete a network you no longer need, or ask for more quota."))
            } else {
                let names: Vec<&str> = resources.iter().map(|r| nephele_model::quota::display_name(r.as_str())).collect();
                let what = if names.is_empty() { "this".to_owned() } else { names.join(", ").to_lowercase() };
                say(format!("This project's quota for {what} is used up."), Some("Free something up, or ask for more quota."))
            }
        }
        "NetworkInUse" => {
            let holders = if !context.blockers.is_empty() {
                context.blockers.join(", ")
            } else {
                let ports = ports_in_use(message);
                if ports.is_empty() { "ports that are still on it".to_owned() } else { format!("ports {}", ports.join(", ")) }
            };
            say(
                format!("This network is still in use by {holders}."),
                Some("Remove them first, or use “Disconnect everything and delete”."),
            )
        }
        "SubnetInUse" => say(
            "This subnet still has ports with addresses on it.",
            Some("Delete those ports (or remove the subnet from its router) first."),
        ),
        "FloatingIPPortAlreadyAssociated" => say(
            "That port already has a floating IP.",
            Some("Choose another port, or detach the floating IP it has."),
        ),
        "IpAddressAlreadyAllocated" | "IpAddressInUse" => say(
            "That address is already in use on this network.",
            Some("Choose another address, or leave it empty so the cloud picks one."),
        ),
        "PolicyNotAuthorized" => say(
            "This cloud does not let you do this (it is for administrators, or the object is not yours).",
            None,
        ),
        "ExternalGatewayForFloatingIPNotFound" => say(
            "No router connects this port's network to the floating IP's network.",
            Some("Create a router with its gateway on that network and add the port's subnet to it (Routers page)."),
        ),
        "RouterInUse" => say(
            "This router still has interfaces.",
            Some("Remove its subnets first (Delete does that for you)."),
        ),
        "RouterInterfaceInUseByFloatingIP" => say(
            "A floating IP still reaches a port through this interface.",
            Some("Detach that floating IP first."),
        ),
        "BadRequest" if message.contains("Router already has a port on subnet") => say(
            "This router is already connected to that subnet.",
            None,
        ),
        k if k.ends_with("NotFound") => {
            say("This does not exist (any more): it may have been deleted meanwhile.", Some("Refresh the list."))
        }
        _ => return None,
    })
}

/// Count a noun: "1 port", "2 ports".
pub fn count(n: usize, one: &str, many: &str) -> String {
    plural(n as i64, one, many)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nephele_model::Fault;

    fn fault(kind: FaultKind, message: &str, details: &str) -> ApiError {
        let f = Fault::new(kind, message).with_details(details);
        ApiError::Fault { path: "/p".into(), status: f.code, fault: f }
    }

    fn summary(e: &ApiError) -> String {
        explain(e, &Context::default()).summary
    }

    fn neutron_fault(status: u16, kind: &str, message: &str) -> ApiError {
        let body =
            serde_json::json!({"NeutronError": {"type": kind, "message": message, "detail": ""}});
        crate::api::error_from("/v2.0/x".into(), status, body.to_string())
    }

    #[test]
    fn neutron_faults_in_words() {
        let over = neutron_fault(409, "OverQuota", "Quota exceeded for resources: ['floatingip'].");
        let x = explain(&over, &Context { floating_ip_limit: Some(3), ..Context::default() });
        assert_eq!(x.summary, "You have used all 3 of your floating IPs in this project.");
        assert!(x.next_step.unwrap().contains("Release one"));
        let in_use = neutron_fault(409, "NetworkInUse", "Unable to complete operation on network n. There are one or more ports still in use on the network, id for these ports is: p1, p2.");
        assert_eq!(summary(&in_use), "This network is still in use by ports p1, p2.");
        assert!(summary(&neutron_fault(404, "ExternalGatewayForFloatingIPNotFound", "x"))
            .contains("No router connects"));
        assert!(summary(&neutron_fault(
            403,
            "PolicyNotAuthorized",
            "rule:delete_network is disallowed by policy"
        ))
        .contains("does not let you"));
        assert!(summary(&neutron_fault(409, "FloatingIPPortAlreadyAssociated", "x"))
            .contains("already has a floating IP"));
        assert!(summary(&neutron_fault(409, "SubnetInUse", "x")).contains("subnet still has ports"));
        assert!(summary(&neutron_fault(409, "IpAddressAlreadyAllocated", "x"))
            .contains("already in use"));
        assert!(summary(&neutron_fault(404, "NetworkNotFound", "x")).contains("does not exist"));
        // Keystone's shape follows the status.
        let ks = crate::api::error_from(
            "/v3/auth/tokens".into(),
            401,
            r#"{"error": {"code": 401, "title": "Unauthorized", "message": "x"}}"#.into(),
        );
        assert_eq!(summary(&ks), "Your session has ended.");
    }

    #[test]
    fn floating_ip_quota_uses_the_limit() {
        let e = fault(
            FaultKind::OverLimit,
            "Resource Limit Exceeded for your account.",
            "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1",
        );
        let ctx = Context { floating_ip_limit: Some(3), ..Context::default() };
        let x = explain(&e, &ctx);
        assert_eq!(x.summary, "You have used all 3 of your floating IPs.");
        assert_eq!(
            x.next_step.as_deref(),
            Some("Release one you no longer need, or ask for more quota.")
        );
        assert_eq!(summary(&e), "You have no floating IPs left in your quota.");
    }

    #[test]
    fn network_quota_and_subnet_size() {
        let e = fault(FaultKind::OverLimit, "Resource Limit Exceeded for your account.",
            "Limit for resource 'Private Network' exceeded for your account. Available: 0, Requested: 1");
        let ctx = Context { network_limit: Some(5), ..Context::default() };
        assert_eq!(explain(&e, &ctx).summary, "You have used all 5 of your private networks.");
        let e = fault(
            FaultKind::OverLimit,
            "Unsupported network size",
            "Netmask must be in range: [22, 29]",
        );
        assert!(summary(&e).contains("Netmask must be in range: [22, 29]"));
        let e = fault(
            FaultKind::OverLimit,
            "x",
            "Limit for resource 'CPU' exceeded for your account. Available: 2, Requested: 4",
        );
        assert_eq!(summary(&e), "This needs 4 more than your quota allows (2 left).");
    }

    #[test]
    fn conflicts() {
        assert_eq!(
            summary(&fault(FaultKind::Conflict, "IP address '192.168.3.5' is already in use", "")),
            "192.168.3.5 is already attached to a server."
        );
        let e = fault(
            FaultKind::Conflict,
            "Cannot delete network. There are ports still configured on network network 2",
            "",
        );
        let ctx = Context {
            blockers: vec!["port 11 (server 141)".into(), "port 12 (server 142)".into()],
            ..Context::default()
        };
        assert_eq!(
            explain(&e, &ctx).summary,
            "This network is still in use by port 11 (server 141), port 12 (server 142)."
        );
        assert_eq!(
            summary(&fault(
                FaultKind::Conflict,
                "Cannot delete netowrk. Network has allocated floating IPs.",
                ""
            )),
            "Floating IPs are still reserved from this network."
        );
        assert_eq!(
            summary(&fault(FaultKind::Conflict, "IP '8' is used by server '141'", "")),
            "This floating IP is still attached."
        );
        assert_eq!(
            summary(&fault(FaultKind::Conflict, "No more IP addresses available on network 1", "")),
            "There are no free addresses left on that network."
        );
        assert_eq!(
            summary(&fault(FaultKind::Conflict, "Cannot allocate a floating IP address.", "")),
            "There are no free addresses left on that network."
        );
        assert_eq!(
            summary(&fault(FaultKind::BuildInProgress, "Server '9' is being built.", "")),
            "The server is still being built."
        );
    }

    #[test]
    fn forbidden_and_bad_requests() {
        assert!(summary(&fault(FaultKind::Forbidden, "Cannot delete the public network.", ""))
            .starts_with("Public networks belong to the cloud"));
        assert_eq!(
            summary(&fault(FaultKind::Forbidden, "Cannot create network of type 'CUSTOM'.", "")),
            "This cloud does not let tenants create CUSTOM networks."
        );
        assert!(summary(&fault(
            FaultKind::Forbidden,
            "Cannot disconnect from public network.",
            ""
        ))
        .contains("made by the cloud"));
        assert_eq!(
            summary(&fault(
                FaultKind::BadRequest,
                "Cannot perform 'CONNECT' action while there is a pending 'CONNECT'.",
                ""
            )),
            "The server is busy with another connection change."
        );
        assert_eq!(
            summary(&fault(FaultKind::BadRequest, "User u not in project p", "")),
            "You are not a member of that project."
        );
        assert_eq!(
            summary(&fault(FaultKind::BadRequest, "Invalid network type 'X'", "")),
            "The cloud refused the request: Invalid network type 'X'"
        );
        assert!(summary(&fault(
            FaultKind::BadRequest,
            "Cannot create subnet in network 2, VMs are already connected to this network",
            ""
        ))
        .contains("before any server"));
    }

    #[test]
    fn everything_else() {
        assert_eq!(
            summary(&fault(FaultKind::Unauthorized, "Invalid token", "")),
            "Your session has ended."
        );
        assert!(summary(&fault(FaultKind::ItemNotFound, "Network 9 not found.", ""))
            .starts_with("This does not exist"));
        assert_eq!(
            summary(&fault(
                FaultKind::NotImplemented,
                "Updating a floating IP is not supported.",
                ""
            )),
            "This cloud does not support that operation."
        );
        assert_eq!(
            summary(&fault(
                FaultKind::ServiceUnavailable,
                "Failed to allocate resources for network.",
                ""
            )),
            "The cloud has no capacity for this right now."
        );
        assert_eq!(
            summary(&fault(FaultKind::InternalServerError, "Unexpected error", "")),
            "The cloud had a problem (500)."
        );
        assert_eq!(
            summary(&ApiError::Unreachable { path: "/p".into(), reason: "x".into() }),
            "Could not reach the cloud."
        );
        assert_eq!(
            summary(&ApiError::Timeout { path: "/p".into() }),
            "The cloud did not answer in time."
        );
        assert_eq!(
            summary(&ApiError::Status { path: "/p".into(), status: 502, body: String::new() }),
            "The cloud had a problem (502)."
        );
        let conflict = fault(FaultKind::Conflict, "Something new", "");
        assert!(summary(&conflict).contains("Something new"));
    }

    #[test]
    fn over_limit_numbers_parse() {
        assert_eq!(over_limit_numbers("… Available: 0, Requested: 1"), Some((0, 1)));
        assert_eq!(over_limit_numbers("Available: 12, Requested: 3"), Some((12, 3)));
        assert_eq!(over_limit_numbers("nothing"), None);
    }
}
