//! The request bodies of the API as typed values, read at the handler edge.
//!
//! Synnefo words every malformed field its own way ("Malformed request. Invalid
//! 'name' field", "Invalid network ID.", "Malformed IP version type"), and clients
//! and tests match those words. So a body is read in two steps: [`super::json_body`]
//! decodes the JSON (serde), then `parse` checks each field in the order Cyclades
//! does and yields the typed request or the exact fault. What depends on the
//! cloud's state (is the address free, is the network ours) is left to the rules
//! in [`crate::db`].

use nephele_model::network::NETWORK_TYPES;
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::ipnet::v4;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// The object under `key` of a request body (`{"network": {...}}`).
fn envelope<'a>(body: &'a Value, key: &str) -> ApiResult<&'a Map<String, Value>> {
    match body.get(key) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
        None => Err(bad(format!("Malformed request. Missing attribute '{key}'."))),
    }
}

/// An id given as JSON string or integer; `Ok(None)` when absent or null.
fn id_attr(obj: &Map<String, Value>, key: &str, invalid: &str) -> ApiResult<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_i64().filter(|n| *n > 0).map(Some).ok_or_else(|| bad(invalid))
        }
        Some(Value::String(s)) => {
            nephele_model::id::parse_numeric_id(s).map(Some).ok_or_else(|| bad(invalid))
        }
        Some(_) => Err(bad(invalid)),
    }
}

/// A `name` of at most 128 characters; `Ok(None)` when absent or null.
fn name_attr(obj: &Map<String, Value>, too_long: &str) -> ApiResult<Option<String>> {
    match obj.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > 128 => Err(bad(too_long)),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad("Malformed request. Invalid 'name' field")),
    }
}

fn project_attr(obj: &Map<String, Value>) -> ApiResult<Option<String>> {
    match obj.get("project") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad("Malformed request. Invalid 'project' field.")),
    }
}

fn bool_attr(obj: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
    }
}

/// `security_groups`: Cyclades has none, so only an empty list (or nothing) passes.
fn security_groups_attr(obj: &Map<String, Value>) -> ApiResult<()> {
    match obj.get("security_groups") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list)) if list.is_empty() => Ok(()),
        Some(Value::Array(_)) => Err(ApiError::not_found("Not valid security group")),
        Some(_) => Err(bad("Invalid 'security_groups' field.")),
    }
}

// ---------------------------------------------------------------- identity

/// `POST /tokens` `{"auth": {"token": {"id"}} | {"passwordCredentials": {"username",
/// "password"}}, "tenantName"?}`: the password is the token, the username the UUID.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub token: String,
    /// The UUID the token must belong to (password credentials only).
    pub username: Option<String>,
    pub tenant: Option<String>,
}

impl TokenRequest {
    pub fn parse(body: &Value) -> ApiResult<TokenRequest> {
        let missing = || bad("Malformed request: missing credentials");
        let auth = body.get("auth").and_then(Value::as_object).ok_or_else(missing)?;
        let tenant = match auth.get("tenantName") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return Err(bad("Not conforming tenantName")),
        };
        let (token, username) = if let Some(t) = auth.get("token") {
            let id = t
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("Malformed request: missing token"))?;
            (id.to_owned(), None)
        } else if let Some(p) = auth.get("passwordCredentials") {
            let user = p.get("username").and_then(Value::as_str);
            let pass = p.get("password").and_then(Value::as_str);
            match (user, pass) {
                (Some(u), Some(p)) => (p.to_owned(), Some(u.to_owned())),
                _ => return Err(missing()),
            }
        } else {
            return Err(missing());
        };
        Ok(TokenRequest { token, username, tenant })
    }
}

// ---------------------------------------------------------------- networks

/// `POST /networks` `{"network": {"name", "type", "shared_to_project", "project"}}`.
#[derive(Debug, Clone)]
pub struct NetworkCreate {
    pub kind: String,
    pub name: String,
    pub shared_to_project: bool,
    /// The project to charge; the caller's system project when absent.
    pub project: Option<String>,
}

impl NetworkCreate {
    pub fn parse(body: &Value) -> ApiResult<NetworkCreate> {
        let obj = envelope(body, "network")?;
        // Deviation on purpose: a missing type means MAC_FILTERED (other clients omit it).
        let kind = match obj.get("type") {
            None | Some(Value::Null) => "MAC_FILTERED".to_owned(),
            Some(Value::String(t)) => t.clone(),
            Some(_) => return Err(bad("Malformed request. Invalid 'type' field.")),
        };
        if !NETWORK_TYPES.contains(&kind.as_str()) {
            return Err(bad(format!("Invalid network type '{kind}'")));
        }
        // Only MAC_FILTERED is offered to users (`API_ENABLED_NETWORK_FLAVORS`).
        if kind != "MAC_FILTERED" {
            return Err(ApiError::forbidden(format!("Cannot create network of type '{kind}'.")));
        }
        Ok(NetworkCreate {
            name: name_attr(obj, "Network name is too long")?.unwrap_or_default(),
            shared_to_project: bool_attr(obj, "shared_to_project")?.unwrap_or(false),
            project: project_attr(obj)?,
            kind,
        })
    }
}

/// `PUT /networks/<id>` and `PUT /subnets/<id>`: the only update is a new name.
#[derive(Debug, Clone)]
pub struct Rename {
    pub name: String,
}

impl Rename {
    /// `{"network": {"name"}}`: the name is required.
    pub fn network(body: &Value) -> ApiResult<Rename> {
        let obj = envelope(body, "network")?;
        if !obj.contains_key("name") || obj.get("name").is_some_and(Value::is_null) {
            return Err(bad("Malformed request. Missing attribute 'name'."));
        }
        Ok(Rename { name: name_attr(obj, "Network name is too long")?.unwrap_or_default() })
    }

    /// `{"subnet": {"name"}}`: the name and nothing else.
    pub fn subnet(body: &Value) -> ApiResult<Rename> {
        let obj = envelope(body, "subnet")?;
        if obj.len() != 1 || !obj.contains_key("name") {
            return Err(bad("Only the name of a subnet can be updated"));
        }
        Ok(Rename { name: name_attr(obj, "Subnet name is too long")?.unwrap_or_default() })
    }
}

/// The body of an `action` on a network or floating IP:
/// `{"reassign": {"project", "shared_to_project"?}}`, the only action there is.
#[derive(Debug, Clone)]
pub struct Reassign {
    pub project: String,
}

impl Reassign {
    pub fn parse(body: &Value) -> ApiResult<Reassign> {
        let obj = body.as_object().ok_or_else(|| bad("Malformed request."))?;
        if obj.len() != 1 {
            return Err(bad("Malformed request."));
        }
        let Some(action) = obj.get("reassign") else {
            let key = obj.keys().next().cloned().unwrap_or_default();
            return Err(bad(format!("Action {key} not supported.")));
        };
        let action = action.as_object().ok_or_else(|| bad("Invalid argument."))?;
        let project = match action.get("project") {
            Some(Value::String(p)) => p.clone(),
            Some(Value::Null) | None => return Err(bad("Missing 'project' attribute.")),
            Some(_) => return Err(bad("Invalid argument.")),
        };
        let shared =
            bool_attr(action, "shared_to_project").map_err(|_| bad("Invalid argument."))?;
        if shared == Some(true) {
            return Err(ApiError::forbidden(
                "Sharing resource to the members of the project is not permitted",
            ));
        }
        Ok(Reassign { project })
    }
}

// ---------------------------------------------------------------- subnets

/// `gateway_ip` as sent; what it means depends on the IP version (an absent IPv4
/// gateway is the first host, an absent IPv6 one is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayIp {
    Absent,
    /// `null`: explicitly no gateway.
    Null,
    Text(String),
    /// Anything but a string or null.
    NotText,
}

/// `allocation_pools` as sent. Checked only after the network is found (Cyclades'
/// order), so malformed entries are kept (`None`) rather than refused here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolsField {
    /// Absent or `null`: the default pool.
    Default,
    /// `(start, end)` of each entry; `None` for an entry without both as text.
    List(Vec<Option<(String, String)>>),
    /// Not a list.
    NotList,
}

/// `POST /subnets` `{"subnet": {...}}`.
#[derive(Debug, Clone)]
pub struct SubnetCreate {
    pub network_id: i64,
    /// As sent: its validity is a rule of the IP version, checked after the network.
    pub cidr: String,
    /// 4 or 6.
    pub ip_version: i64,
    pub name: String,
    /// `enable_dhcp`, or for IPv6 `enable_slaac` when that is given.
    pub dhcp: bool,
    pub dns_nameservers: Vec<Value>,
    pub host_routes: Vec<Value>,
    pub gateway_ip: GatewayIp,
    pub allocation_pools: PoolsField,
}

impl SubnetCreate {
    pub fn parse(body: &Value) -> ApiResult<SubnetCreate> {
        let obj = envelope(body, "subnet")?;
        let network_id = id_attr(obj, "network_id", "Malformed request")?
            .ok_or_else(|| bad("Malformed request"))?;
        let cidr = match obj.get("cidr") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(bad("Malformed request")),
        };
        let ip_version = match obj.get("ip_version") {
            None | Some(Value::Null) => 4,
            Some(Value::Number(n)) if n.as_i64() == Some(4) => 4,
            Some(Value::Number(n)) if n.as_i64() == Some(6) => 6,
            Some(Value::String(s)) if s == "4" => 4,
            Some(Value::String(s)) if s == "6" => 6,
            Some(_) => return Err(bad("Malformed IP version type")),
        };
        let name = name_attr(obj, "Subnet name is too long")?.unwrap_or_default();
        let dhcp = match obj.get("enable_dhcp") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("Malformed request, dhcp must be True or False")),
        };
        let dhcp = match (ip_version, obj.get("enable_slaac")) {
            (6, Some(Value::Bool(b))) => *b,
            _ => dhcp,
        };
        let list_attr = |key: &str| -> ApiResult<Vec<Value>> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(list)) => Ok(list.clone()),
                Some(_) => Err(bad(format!("Malformed request. Invalid '{key}' field."))),
            }
        };
        let dns_nameservers = list_attr("dns_nameservers")?;
        let host_routes = list_attr("host_routes")?;
        let gateway_ip = match obj.get("gateway_ip") {
            None => GatewayIp::Absent,
            Some(Value::Null) => GatewayIp::Null,
            Some(Value::String(g)) => GatewayIp::Text(g.clone()),
            Some(_) => GatewayIp::NotText,
        };
        let allocation_pools = match obj.get("allocation_pools") {
            None | Some(Value::Null) => PoolsField::Default,
            Some(Value::Array(list)) => PoolsField::List(
                list.iter()
                    .map(|p| {
                        let start = p.get("start").and_then(Value::as_str)?;
                        let end = p.get("end").and_then(Value::as_str)?;
                        Some((start.to_owned(), end.to_owned()))
                    })
                    .collect(),
            ),
            Some(_) => PoolsField::NotList,
        };
        Ok(SubnetCreate {
            network_id,
            cidr,
            ip_version,
            name,
            dhcp,
            dns_nameservers,
            host_routes,
            gateway_ip,
            allocation_pools,
        })
    }
}

// ---------------------------------------------------------------- ports

/// `POST /ports` `{"port": {"network_id", "device_id"?, "name"?, "fixed_ips"?}}`.
#[derive(Debug, Clone)]
pub struct PortCreate {
    pub network_id: i64,
    /// The server to attach to; an unattached port when absent.
    pub device_id: Option<i64>,
    pub name: String,
    /// The one IPv4 address asked for in `fixed_ips`, if any.
    pub address: Option<String>,
}

impl PortCreate {
    pub fn parse(body: &Value) -> ApiResult<PortCreate> {
        let obj = envelope(body, "port")?;
        let network_id = id_attr(obj, "network_id", "Invalid network ID.")?
            .ok_or_else(|| bad("Malformed request. Missing attribute 'network_id'."))?;
        let device_id = id_attr(obj, "device_id", "Invalid server ID.")?;
        let name = name_attr(obj, "Port name is too long")?.unwrap_or_default();
        let address = match obj.get("fixed_ips") {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) => match list.as_slice() {
                [] => None,
                [Value::Object(ip)] => match ip.get("ip_address") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(a)) if v4(a).is_some() => Some(a.clone()),
                    Some(Value::String(a)) => {
                        return Err(bad(format!("{a} is not a valid IPv4 Address")))
                    }
                    Some(_) => return Err(bad("Invalid 'fixed_ips' field.")),
                },
                [_] => return Err(bad("Invalid 'fixed_ips' field.")),
                _ => return Err(bad("'fixed_ips' attribute must contain only one fixed IP.")),
            },
            Some(_) => return Err(bad("Invalid 'fixed_ips' field.")),
        };
        security_groups_attr(obj)?;
        Ok(PortCreate { network_id, device_id, name, address })
    }
}

/// `PUT /ports/<id>` `{"port": {"name"?}}`: an empty or absent name changes nothing.
#[derive(Debug, Clone)]
pub struct PortUpdate {
    pub name: Option<String>,
}

impl PortUpdate {
    pub fn parse(body: &Value) -> ApiResult<PortUpdate> {
        let obj = envelope(body, "port")?;
        let name = name_attr(obj, "Port name is too long")?;
        security_groups_attr(obj)?;
        Ok(PortUpdate { name })
    }
}

// ---------------------------------------------------------------- floating IPs

/// `POST /floatingips` `{"floatingip": {"floating_network_id"?, "floating_ip_address"?, "project"?}}`.
#[derive(Debug, Clone)]
pub struct FloatingIpCreate {
    /// The pool network; any public pool with a free address when absent.
    pub network_id: Option<i64>,
    pub address: Option<String>,
    pub project: Option<String>,
}

impl FloatingIpCreate {
    pub fn parse(body: &Value) -> ApiResult<FloatingIpCreate> {
        let obj = envelope(body, "floatingip")?;
        let network_id = id_attr(obj, "floating_network_id", "Invalid networkd ID.")?;
        let address = match obj.get("floating_ip_address") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) if v4(a).is_some() => Some(a.clone()),
            Some(Value::String(a)) => return Err(bad(format!("{a} is not a valid IPv4 Address"))),
            Some(_) => return Err(bad("Malformed request. Invalid 'floating_ip_address' field.")),
        };
        // Checked for its type only: create does not look at the sharing setting.
        bool_attr(obj, "shared_to_project")?;
        Ok(FloatingIpCreate { network_id, address, project: project_attr(obj)? })
    }
}

// ---------------------------------------------------------------- account

/// `POST /user_catalogs` `{"uuids": [...], "displaynames": [...]}`.
#[derive(Debug, Clone, Default)]
pub struct UserCatalogsQuery {
    pub uuids: Vec<String>,
    pub displaynames: Vec<String>,
}

impl UserCatalogsQuery {
    pub fn parse(body: &Value) -> ApiResult<UserCatalogsQuery> {
        if !body.is_object() {
            return Err(bad("Malformed request."));
        }
        let list = |key: &str| -> ApiResult<Vec<String>> {
            let invalid = || bad(format!("Malformed request. Invalid '{key}' field."));
            match body.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => {
                    a.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid)).collect()
                }
                Some(_) => Err(invalid()),
            }
        };
        Ok(UserCatalogsQuery { uuids: list("uuids")?, displaynames: list("displaynames")? })
    }
}
