//! The TOML seed: users, tokens, projects and their limits, servers, public
//! networks, pre-existing ports, static usage and the first ids to hand out.
//! Parsed with serde + toml (syntax and type errors name line and field) and then
//! checked for meaning (a server owned by an unknown user names that server).
//! See `demo/seed.toml` for a commented example.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use nephele_model::ServerStatus;
use serde::Deserialize;

use crate::ipnet::{v4, Cidr4};

/// The resources Astakos registers (visible ones), in the order we list them.
pub const RESOURCES: [&str; 7] = [
    "cyclades.cpu",
    "cyclades.disk",
    "cyclades.floating_ip",
    "cyclades.network.private",
    "cyclades.ram",
    "cyclades.vm",
    "pithos.diskspace",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub next_ids: NextIds,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub projects: Vec<SeedProject>,
    #[serde(default)]
    pub servers: Vec<SeedServer>,
    #[serde(default)]
    pub networks: Vec<SeedNetwork>,
    #[serde(default)]
    pub ports: Vec<SeedPort>,
}

/// The first id handed out for each kind (later ids count up from there).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextIds {
    pub network: Option<i64>,
    pub subnet: Option<i64>,
    pub port: Option<i64>,
    pub floating_ip: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub uuid: String,
    pub name: String,
    pub token: String,
    /// Limits in the user's system project (whose UUID is the user's UUID).
    #[serde(default)]
    pub limits: BTreeMap<String, Quantity>,
    /// Static usage not derived from resources (e.g. `pithos.diskspace`).
    #[serde(default)]
    pub usage: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProject {
    pub uuid: String,
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<String>,
    /// resource → `{member = N, project = M}` (per-member and whole-project limits).
    #[serde(default)]
    pub resources: BTreeMap<String, Capacity>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub member: Quantity,
    pub project: Quantity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedServer {
    pub id: i64,
    pub name: String,
    pub owner: String,
    /// Defaults to the owner's system project.
    pub project: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    pub cpu: i64,
    /// Bytes; "4GiB" style strings are accepted.
    pub ram: Quantity,
    pub disk: Quantity,
    #[serde(default)]
    pub image: Option<String>,
}

fn active() -> String {
    ServerStatus::Active.as_str().into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedNetwork {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type", default = "ip_less_routed")]
    pub kind: String,
    #[serde(default)]
    pub floating_ip_pool: bool,
    pub subnet: Option<SeedSubnet>,
}

fn ip_less_routed() -> String {
    "IP_LESS_ROUTED".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSubnet {
    pub id: i64,
    pub cidr: String,
    pub gateway: Option<String>,
    /// `[start, end]` of the allocation pool; default: the whole subnet minus the gateway.
    pub pool: Option<[String; 2]>,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPort {
    pub id: i64,
    pub network: i64,
    pub server: i64,
    /// A plain (non-floating) address on the network's subnet.
    pub ip: Option<String>,
    #[serde(default)]
    pub name: String,
}

/// A count, or a byte size written as an integer or as "1.5GiB" / "512MiB".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(pub i64);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) if n >= 0 => Ok(Quantity(n)),
            Raw::Int(n) => Err(serde::de::Error::custom(format!("negative quantity {n}"))),
            Raw::Str(s) => parse_size(&s).map(Quantity).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "invalid size {s:?} (write e.g. 40GiB, 512MiB or an integer)"
                ))
            }),
        }
    }
}

pub fn parse_size(s: &str) -> Option<i64> {
    let s = s.trim();
    let units =
        [("TiB", 1i64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)];
    for (suffix, mult) in units {
        if let Some(num) = s.strip_suffix(suffix) {
            let v: f64 = num.trim().parse().ok()?;
            if !v.is_finite() || v < 0.0 {
                return None;
            }
            return Some((v * mult as f64).round() as i64);
        }
    }
    s.parse().ok().filter(|n: &i64| *n >= 0)
}

impl Seed {
    pub fn load(path: &Path) -> anyhow::Result<Seed> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read seed {}: {e}", path.display()))?;
        Seed::parse(&text).map_err(|e| anyhow::anyhow!("seed {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Seed, String> {
        let seed: Seed = toml::from_str(text).map_err(|e| e.to_string())?;
        seed.validate()?;
        Ok(seed)
    }

    /// Checks of meaning the types cannot express; each error names the entry.
    pub fn validate(&self) -> Result<(), String> {
        let mut uuids = HashSet::new();
        let mut tokens = HashSet::new();
        for (i, u) in self.users.iter().enumerate() {
            let at = format!("users[{i}] (uuid {:?})", u.uuid);
            if u.uuid.trim().is_empty() || u.token.trim().is_empty() {
                return Err(format!("{at}: uuid and token must not be empty"));
            }
            if !uuids.insert(u.uuid.clone()) {
                return Err(format!("{at}: duplicate user uuid"));
            }
            if !tokens.insert(u.token.clone()) {
                return Err(format!("{at}: token already used by another user"));
            }
            for r in u.limits.keys().chain(u.usage.keys()) {
                known_resource(r).map_err(|e| format!("{at}: {e}"))?;
            }
        }
        let mut projects: HashSet<String> = uuids.clone();
        for (i, p) in self.projects.iter().enumerate() {
            let at = format!("projects[{i}] (uuid {:?})", p.uuid);
            if !projects.insert(p.uuid.clone()) {
                return Err(format!("{at}: duplicate project uuid (or equal to a user uuid)"));
            }
            if !uuids.contains(&p.owner) {
                return Err(format!("{at}: owner {:?} is not a user of this seed", p.owner));
            }
            for m in &p.members {
                if !uuids.contains(m) {
                    return Err(format!("{at}: member {m:?} is not a user of this seed"));
                }
            }
            for r in p.resources.keys() {
                known_resource(r).map_err(|e| format!("{at}: {e}"))?;
            }
        }
        let mut servers = HashSet::new();
        for (i, s) in self.servers.iter().enumerate() {
            let at = format!("servers[{i}] (id {})", s.id);
            if s.id <= 0 || !servers.insert(s.id) {
                return Err(format!("{at}: ids must be positive and unique"));
            }
            if !uuids.contains(&s.owner) {
                return Err(format!("{at}: owner {:?} is not a user of this seed", s.owner));
            }
            if let Some(p) = &s.project {
                let member = p == &s.owner
                    || self.projects.iter().any(|q| {
                        &q.uuid == p && (q.members.contains(&s.owner) || q.owner == s.owner)
                    });
                if !member {
                    return Err(format!(
                        "{at}: project {p:?} is unknown or the owner is not a member"
                    ));
                }
            }
            let known = [
                ServerStatus::Active,
                ServerStatus::Stopped,
                ServerStatus::Build,
                ServerStatus::Error,
            ];
            if !known.contains(&ServerStatus::from(s.status.as_str())) {
                return Err(format!(
                    "{at}: status {:?} must be ACTIVE, STOPPED, BUILD or ERROR",
                    s.status
                ));
            }
            if s.cpu < 0 {
                return Err(format!("{at}: cpu must not be negative"));
            }
        }
        let mut networks = HashSet::new();
        let mut subnets = HashSet::new();
        for (i, n) in self.networks.iter().enumerate() {
            let at = format!("networks[{i}] (id {})", n.id);
            if n.id <= 0 || !networks.insert(n.id) {
                return Err(format!("{at}: ids must be positive and unique"));
            }
            if !nephele_model::network::NETWORK_TYPES.contains(&n.kind.as_str()) {
                return Err(format!("{at}: unknown type {:?}", n.kind));
            }
            if let Some(s) = &n.subnet {
                if s.id <= 0 || !subnets.insert(s.id) {
                    return Err(format!("{at}: subnet ids must be positive and unique"));
                }
                let (cidr, clean) = Cidr4::parse(&s.cidr)
                    .ok_or(format!("{at}: subnet cidr {:?} is not IPv4 CIDR", s.cidr))?;
                if !clean {
                    return Err(format!("{at}: subnet cidr {:?} has host bits set", s.cidr));
                }
                if let Some(g) = &s.gateway {
                    if !v4(g).is_some_and(|g| cidr.is_host(g)) {
                        return Err(format!("{at}: gateway {g:?} is not a host of {}", s.cidr));
                    }
                }
                if let Some([a, b]) = &s.pool {
                    match (v4(a), v4(b)) {
                        (Some(a), Some(b)) if a <= b && cidr.is_host(a) && cidr.is_host(b) => {}
                        _ => {
                            return Err(format!(
                                "{at}: pool [{a:?}, {b:?}] must be two ascending hosts of {}",
                                s.cidr
                            ))
                        }
                    }
                }
            } else if n.floating_ip_pool {
                return Err(format!("{at}: a floating-IP pool needs a subnet"));
            }
        }
        let mut ports = HashSet::new();
        let mut ips = HashSet::new();
        for (i, p) in self.ports.iter().enumerate() {
            let at = format!("ports[{i}] (id {})", p.id);
            if p.id <= 0 || !ports.insert(p.id) {
                return Err(format!("{at}: ids must be positive and unique"));
            }
            let Some(net) = self.networks.iter().find(|n| n.id == p.network) else {
                return Err(format!("{at}: network {} is not a network of this seed", p.network));
            };
            if !servers.contains(&p.server) {
                return Err(format!("{at}: server {} is not a server of this seed", p.server));
            }
            if let Some(ip) = &p.ip {
                let ok = net
                    .subnet
                    .as_ref()
                    .and_then(|s| Cidr4::parse(&s.cidr))
                    .zip(v4(ip))
                    .is_some_and(|((c, _), a)| c.is_host(a));
                if !ok {
                    return Err(format!(
                        "{at}: ip {ip:?} is not a host of network {}'s subnet",
                        p.network
                    ));
                }
                if !ips.insert((p.network, ip.clone())) {
                    return Err(format!("{at}: ip {ip:?} is used twice"));
                }
            }
        }
        Ok(())
    }
}

fn known_resource(r: &str) -> Result<(), String> {
    if RESOURCES.contains(&r) {
        Ok(())
    } else {
        Err(format!("unknown resource {r:?} (known: {})", RESOURCES.join(", ")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("40GiB"), Some(40 << 30));
        assert_eq!(parse_size("1.5 KiB"), Some(1536));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn syntax_errors_name_line_and_field() {
        let e = Seed::parse("[[users]]\nuuid = \"u\"\nname = \"n\"\ntoken = 5\n").unwrap_err();
        assert!(e.contains("line 4") && e.contains("token"), "{e}");
        let e = Seed::parse("[[users]]\nuuid = \"u\"\nname = \"n\"\ntoken = \"t\"\ncolour = 1\n")
            .unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_entry() {
        let text = "[[users]]\nuuid = \"u\"\nname = \"n\"\ntoken = \"t\"\n\n[[servers]]\nid = 141\nname = \"s\"\nowner = \"ghost\"\ncpu = 1\nram = \"1GiB\"\ndisk = 1\n";
        let e = Seed::parse(text).unwrap_err();
        assert!(e.contains("servers[0] (id 141)") && e.contains("ghost"), "{e}");
    }

    #[test]
    fn demo_seed_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/seed.toml");
        let seed = Seed::load(Path::new(path)).unwrap();
        assert!(seed.users.len() >= 2);
    }
}
