//! The API's closed vocabularies as enums: statuses of ports, networks and
//! servers, network types, and quota resource names. Each has an `Other` arm that
//! keeps any value a real cloud sends which this version does not know, so
//! nothing is lost on the way through, and each (de)serialises as the plain
//! string the API uses.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enum of API strings with an `Other(String)` arm.
macro_rules! api_strings {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The string the API uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name::from(s.as_str())
            }
        }

        impl Default for $name {
            /// What a missing or `null` field reads as.
            fn default() -> $name {
                $name::Other(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                Ok(Option::<String>::deserialize(d)?.map($name::from).unwrap_or_default())
            }
        }
    };
}

api_strings! {
    /// A port's status (spec §5.3).
    pub enum PortStatus {
        /// Being plugged in.
        Build = "BUILD",
        Active = "ACTIVE",
        Down = "DOWN",
        Error = "ERROR",
    }
}

api_strings! {
    /// A network's status.
    pub enum NetworkStatus {
        Active = "ACTIVE",
        Build = "BUILD",
        Error = "ERROR",
        Deleted = "DELETED",
    }
}

api_strings! {
    /// A server's status (Cyclades compute).
    pub enum ServerStatus {
        Build = "BUILD",
        Active = "ACTIVE",
        Stopped = "STOPPED",
        /// Nova's word for a stopped server.
        Shutoff = "SHUTOFF",
        Error = "ERROR",
        Deleted = "DELETED",
        Unknown = "UNKNOWN",
    }
}

api_strings! {
    /// A network's `type` (Synnefo's flavors of private and public networks).
    pub enum NetworkKind {
        MacFiltered = "MAC_FILTERED",
        IpLessRouted = "IP_LESS_ROUTED",
        PhysicalVlan = "PHYSICAL_VLAN",
        CustomRouted = "CUSTOM_ROUTED",
        Custom = "CUSTOM",
    }
}

api_strings! {
    /// A quota resource, as Astakos names it (OpenStack's quotas are translated
    /// into these names by `neutron::openstack_quotas`).
    pub enum Resource {
        Vm = "cyclades.vm",
        Cpu = "cyclades.cpu",
        Ram = "cyclades.ram",
        Disk = "cyclades.disk",
        FloatingIp = "cyclades.floating_ip",
        PrivateNetwork = "cyclades.network.private",
        PithosDiskspace = "pithos.diskspace",
        /// Neutron's own quotas, which Astakos has no name for.
        Port = "neutron.port",
        Router = "neutron.router",
        Subnet = "neutron.subnet",
        SecurityGroup = "neutron.security_group",
    }
}

impl PortStatus {
    /// Still being set up by the cloud.
    pub fn is_build(&self) -> bool {
        *self == PortStatus::Build
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_values_round_trip() {
        assert_eq!(PortStatus::from("BUILD"), PortStatus::Build);
        assert_eq!(serde_json::to_string(&PortStatus::Active).unwrap(), r#""ACTIVE""#);
        let odd: PortStatus = serde_json::from_str(r#""MIGRATING""#).unwrap();
        assert_eq!(odd, PortStatus::Other("MIGRATING".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), r#""MIGRATING""#);
        let null: PortStatus = serde_json::from_str("null").unwrap();
        assert_eq!(null, PortStatus::default());
        assert_eq!(Resource::FloatingIp.as_str(), "cyclades.floating_ip");
        assert_eq!(NetworkKind::from("MAC_FILTERED").to_string(), "MAC_FILTERED");
        assert_eq!(ServerStatus::from("STOPPED"), ServerStatus::Stopped);
    }
}
