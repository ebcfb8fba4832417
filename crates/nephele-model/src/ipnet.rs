//! IPv4/IPv6 address arithmetic for subnets and allocation pools (pure functions).

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 CIDR: network address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr4 {
    pub net: u32,
    pub prefix: u8,
}

impl Cidr4 {
    /// Parse `a.b.c.d/n`; `Err` when malformed; host bits must be zero.
    pub fn parse(s: &str) -> Option<(Cidr4, bool)> {
        let (addr, len) = s.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let prefix: u8 = len.parse().ok()?;
        if prefix > 32 || len.starts_with('+') {
            return None;
        }
        let mask = mask(prefix);
        let raw = u32::from(addr);
        Some((Cidr4 { net: raw & mask, prefix }, raw & !mask == 0))
    }
    pub fn broadcast(&self) -> u32 {
        self.net | !mask(self.prefix)
    }
    pub fn contains(&self, ip: u32) -> bool {
        ip & mask(self.prefix) == self.net
    }
    /// A usable host address (not network, not broadcast).
    pub fn is_host(&self, ip: u32) -> bool {
        self.contains(ip) && ip != self.net && ip != self.broadcast()
    }
    pub fn first_host(&self) -> u32 {
        self.net.saturating_add(1)
    }
    /// The default allocation pools: all hosts minus the gateway (split around it).
    pub fn default_pools(&self, gateway: Option<u32>) -> Vec<(u32, u32)> {
        let (lo, hi) = (self.net + 1, self.broadcast().saturating_sub(1));
        if lo > hi {
            return Vec::new();
        }
        match gateway {
            Some(g) if g >= lo && g <= hi => {
                let mut v = Vec::new();
                if g > lo {
                    v.push((lo, g - 1));
                }
                if g < hi {
                    v.push((g + 1, hi));
                }
                v
            }
            _ => vec![(lo, hi)],
        }
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

pub fn v4(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

pub fn v4_str(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

/// Parse an IPv6 `/64` network; `None` when malformed or not /64 with zero host bits.
pub fn parse_v6_64(s: &str) -> Option<Ipv6Addr> {
    let (addr, len) = s.split_once('/')?;
    let addr: Ipv6Addr = addr.parse().ok()?;
    if len != "64" || u128::from(addr) & u128::from(u64::MAX) != 0 {
        return None;
    }
    Some(addr)
}

/// The EUI-64 address of `mac` in a /64 network (how Synnefo derives IPv6 from the MAC).
pub fn eui64(net: Ipv6Addr, mac: &str) -> Option<String> {
    let bytes: Vec<u8> =
        mac.split(':').map(|h| u8::from_str_radix(h, 16)).collect::<Result<_, _>>().ok()?;
    if bytes.len() != 6 {
        return None;
    }
    let iid = [bytes[0] ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]];
    let mut raw = u128::from(net).to_be_bytes();
    raw[8..].copy_from_slice(&iid);
    Some(Ipv6Addr::from(u128::from_be_bytes(raw)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_pools() {
        let (c, clean) = Cidr4::parse("192.168.3.0/24").unwrap();
        assert!(clean);
        assert_eq!(v4_str(c.first_host()), "192.168.3.1");
        assert_eq!(
            c.default_pools(Some(c.first_host())),
            vec![(v4("192.168.3.2").unwrap(), v4("192.168.3.254").unwrap())]
        );
        assert!(!Cidr4::parse("10.0.0.1/24").unwrap().1);
        assert!(Cidr4::parse("10.0.0.0/33").is_none());
        assert!(Cidr4::parse("nope").is_none());
        assert_eq!(
            eui64("2001:db8::".parse().unwrap(), "aa:00:00:12:34:56").unwrap(),
            "2001:db8::a800:ff:fe12:3456"
        );
    }
}
