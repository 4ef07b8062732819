//! Members' constituencies (issue 10): the IP ranges, AS numbers and domains a member
//! answers for, and the routing table that finds whose constituency an observation hits.
//!
//! A member registers [`Entry`]s; the coordinator checks [`overlapping`] entries of
//! other members before approving them. Sensor observations (darknet, honeypot,
//! sinkhole and scan records) and shared indicators are then routed through a
//! [`Routing`] table to every member whose constituency they hit, like Shadowserver's
//! network reports or JPCERT/CC's DAEDALUS, and each member is told why
//! ([`Via`]: "the source address is in your 203.0.113.0/24").
//!
//! Entries are validated for the member who typed them: a range must be routable
//! space someone can own (no loopback, multicast or `0.0.0.0/8`, but private and
//! documentation ranges are fine), no wider than an IPv4 `/8` or an IPv6 `/19`, and
//! written as its network address; an AS number must not be a reserved one; a domain
//! covers its subdomains, so wildcards are refused.
//!
//! Routing is on the hot path of bulk ingestion. IPv4 and IPv6 ranges live in two
//! prefix tries (`prefix_trie::PrefixMap`), so finding every range that contains an
//! address costs one walk down the trie whatever the table's size; domains are found
//! by looking up each suffix of the host name, at label boundaries, in a hash map; AS
//! numbers by a hash map. An IPv4-mapped IPv6 address (`::ffff:203.0.113.5`) is
//! routed as the IPv4 address it carries.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::indicator;

/// The longest value, in bytes after trimming, that [`Entry::parse`] looks at.
const MAX_ENTRY_BYTES: usize = 1024;
/// The widest IPv4 range a member may register.
const MIN_V4_PREFIX: u8 = 8;
/// The widest IPv6 range a member may register.
const MIN_V6_PREFIX: u8 = 19;
/// Where IPv4-mapped IPv6 addresses live (RFC 4291 §2.5.5.2).
const V4_MAPPED: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);
/// IPv4 space no member can own, with what it is.
const UNOWNABLE_V4: [(Ipv4Net, &str); 4] = [
    (
        Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8),
        "\"this network\"",
    ),
    (
        Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8),
        "loopback",
    ),
    (
        Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4),
        "multicast",
    ),
    (
        Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4),
        "reserved (including broadcast)",
    ),
];
/// IPv6 space no member can own, with what it is.
const UNOWNABLE_V6: [(Ipv6Net, &str); 3] = [
    (
        Ipv6Net::new_assert(Ipv6Addr::UNSPECIFIED, 128),
        "unspecified",
    ),
    (Ipv6Net::new_assert(Ipv6Addr::LOCALHOST, 128), "loopback"),
    (
        Ipv6Net::new_assert(Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
        "multicast",
    ),
];

/// What a constituency entry names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// An IPv4 or IPv6 range in CIDR notation.
    Cidr,
    /// An autonomous system number.
    Asn,
    /// A domain and all its subdomains.
    Domain,
}

impl EntryKind {
    /// All kinds, in order.
    pub const ALL: [Self; 3] = [Self::Cidr, Self::Asn, Self::Domain];

    /// The stable identifier used in the API and the database: `"cidr"`, `"asn"` or
    /// `"domain"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cidr => "cidr",
            Self::Asn => "asn",
            Self::Domain => "domain",
        }
    }

    /// The kind named by `s` ([`EntryKind::as_str`], ignoring ASCII case and
    /// surrounding whitespace), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated constituency entry in canonical form.
///
/// Build it with [`Entry::parse`], which applies the rules in the [module docs](self);
/// [`Entry::value`] is its canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// A network, with its host bits zero.
    Cidr(IpNet),
    /// An AS number.
    Asn(u32),
    /// A domain: IDNA ASCII, lower-case, without the trailing dot.
    Domain(String),
}

impl Entry {
    /// Checks `value` as an entry of `kind` and normalises it. Surrounding whitespace
    /// is ignored.
    ///
    /// - `cidr`: `203.0.113.0/24` or `2001:db8::/32`; a bare address is a `/32` or
    ///   `/128`. At most an IPv4 `/8` or an IPv6 `/19`, no host bits, not IPv4-mapped,
    ///   and not in `0.0.0.0/8`, `127.0.0.0/8`, `224.0.0.0/4`, `240.0.0.0/4`, `::`,
    ///   `::1` or `ff00::/8`. Private and documentation ranges are accepted.
    /// - `asn`: `AS64500`, `as64500`, `AS 64500` or `64500`, from 1 to 4294967294,
    ///   except 23456 (`AS_TRANS`) and 65535.
    /// - `domain`: as a `domain` indicator (IDNA to ASCII, lower-case, one trailing dot
    ///   dropped, at least two labels); no wildcard, since a domain covers its
    ///   subdomains.
    ///
    /// ```
    /// use tsunagu_core::constituency::{Entry, EntryKind};
    ///
    /// let net = Entry::parse(EntryKind::Cidr, "2001:DB8::/32").unwrap();
    /// assert_eq!(net.value(), "2001:db8::/32");
    /// let err = Entry::parse(EntryKind::Cidr, "203.0.113.5/24").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "value: 203.0.113.5/24 has host bits set; did you mean 203.0.113.0/24?"
    /// );
    /// ```
    ///
    /// # Errors
    /// [`DomainError::Invalid`] on field `value`, saying why the value was refused.
    pub fn parse(kind: EntryKind, value: &str) -> Result<Self, DomainError> {
        let v = value.trim();
        let checked = if v.is_empty() {
            Err(format!("must not be empty; enter {}", example(kind)))
        } else if v.len() > MAX_ENTRY_BYTES {
            Err(format!(
                "is {} bytes long; no {kind} entry needs more than {MAX_ENTRY_BYTES}",
                v.len()
            ))
        } else {
            match kind {
                EntryKind::Cidr => parse_cidr(v).map(Self::Cidr),
                EntryKind::Asn => parse_asn(v).map(Self::Asn),
                EntryKind::Domain => parse_domain(v).map(Self::Domain),
            }
        };
        checked.map_err(|reason| DomainError::invalid("value", reason))
    }

    /// What the entry names.
    #[must_use]
    pub fn kind(&self) -> EntryKind {
        match self {
            Self::Cidr(_) => EntryKind::Cidr,
            Self::Asn(_) => EntryKind::Asn,
            Self::Domain(_) => EntryKind::Domain,
        }
    }

    /// The canonical text: `203.0.113.0/24`, `2001:db8::/32`, `AS64500`,
    /// `example.co.jp`.
    #[must_use]
    pub fn value(&self) -> String {
        match self {
            Self::Cidr(net) => net.to_string(),
            Self::Asn(asn) => format!("AS{asn}"),
            Self::Domain(domain) => domain.clone(),
        }
    }

    /// Whether the two entries name common ground: one range contains the other (an
    /// IPv4 and an IPv6 range never overlap), the same AS number, or the same domain
    /// or one a subdomain of the other (`a.example.jp` and `example.jp`, but not
    /// `badexample.jp` and `example.jp`). Entries of different kinds never overlap.
    #[must_use]
    pub fn overlaps(&self, other: &Entry) -> bool {
        match (self, other) {
            (Self::Cidr(a), Self::Cidr(b)) => {
                let (a, b) = (a.trunc(), b.trunc());
                a.contains(&b) || b.contains(&a)
            }
            (Self::Asn(a), Self::Asn(b)) => a == b,
            (Self::Domain(a), Self::Domain(b)) => is_within(a, b) || is_within(b, a),
            _ => false,
        }
    }

    /// How many addresses a range holds (saturating at `u128::MAX` for `::/0`), for
    /// display; `None` for other kinds.
    #[must_use]
    pub fn addresses(&self) -> Option<u128> {
        match self {
            Self::Cidr(net) => {
                let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
                Some(1u128.checked_shl(host_bits).unwrap_or(u128::MAX))
            }
            Self::Asn(_) | Self::Domain(_) => None,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value())
    }
}

/// An example value of `kind`, for messages.
fn example(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Cidr => "a range such as 203.0.113.0/24 or 2001:db8::/32",
        EntryKind::Asn => "an AS number such as AS64500",
        EntryKind::Domain => "a domain such as example.jp",
    }
}

fn parse_cidr(v: &str) -> Result<IpNet, String> {
    let (given, net) = match v.split_once('/') {
        None => {
            let addr: IpAddr = v.parse().map_err(|_| {
                format!(
                    "{v:?} is not an IP range; enter {}",
                    example(EntryKind::Cidr)
                )
            })?;
            (IpNet::from(addr), IpNet::from(addr))
        }
        Some((addr, prefix)) => {
            let addr: IpAddr = addr.parse().map_err(|_| {
                format!(
                    "{addr:?} is not an IP address; enter {}",
                    example(EntryKind::Cidr)
                )
            })?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = Some(prefix)
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u8>().ok())
                .and_then(|len| IpNet::new(addr, len).ok())
                .ok_or_else(|| {
                    format!("prefix length {prefix:?} is not a number from 0 to {max}")
                })?;
            (len, len.trunc())
        }
    };
    match net {
        IpNet::V4(n) if n.prefix_len() < MIN_V4_PREFIX => {
            return Err(format!("an IPv4 range may be at most a /{MIN_V4_PREFIX}"));
        }
        IpNet::V6(n) if n.prefix_len() < MIN_V6_PREFIX => {
            return Err(format!("an IPv6 range may be at most a /{MIN_V6_PREFIX}"));
        }
        IpNet::V6(n) if V4_MAPPED.contains(&n) => {
            return Err(format!(
                "{given} is an IPv4-mapped IPv6 range; write the IPv4 range instead: {}",
                unmap(net)
            ));
        }
        _ => {}
    }
    if given.addr() != net.addr() {
        return Err(format!("{given} has host bits set; did you mean {net}?"));
    }
    let unownable = match net {
        IpNet::V4(n) => UNOWNABLE_V4
            .iter()
            .find(|(block, _)| block.contains(&n) || n.contains(block))
            .map(|&(block, what)| (IpNet::V4(block), what)),
        IpNet::V6(n) => UNOWNABLE_V6
            .iter()
            .find(|(block, _)| block.contains(&n) || n.contains(block))
            .map(|&(block, what)| (IpNet::V6(block), what)),
    };
    match unownable {
        Some((block, what)) => {
            let relation = if block.contains(&net) {
                "lies in"
            } else {
                "contains"
            };
            Err(format!(
                "{net} {relation} {block} ({what}), which is not routable space a member can own"
            ))
        }
        None => Ok(net),
    }
}

fn parse_asn(v: &str) -> Result<u32, String> {
    let digits = match v.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("as") => v[2..].trim_start(),
        _ => v,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{v:?} is not an AS number; write it as AS64500 or 64500"
        ));
    }
    let asn = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!("AS{digits} is out of range; AS numbers run from 1 to 4294967294")
        })?;
    match asn {
        0 => Err("AS0 is reserved (RFC 7607) and never identifies a network".to_owned()),
        23456 => Err(
            "AS23456 is AS_TRANS (RFC 6793), a stand-in for 4-byte AS numbers; \
             register your real AS number"
                .to_owned(),
        ),
        65535 | u32::MAX => Err(format!(
            "AS{asn} is reserved (RFC 7300) and never identifies a network"
        )),
        _ => Ok(asn),
    }
}

fn parse_domain(v: &str) -> Result<String, String> {
    if let Some(rest) = v.strip_prefix("*.") {
        let suggestion = indicator::domain(rest).unwrap_or_else(|_| rest.to_owned());
        return Err(format!("register {suggestion}: it covers its subdomains"));
    }
    if v.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "{v:?} is an IP address; register it as a cidr entry"
        ));
    }
    indicator::domain(v).map_err(|reason| format!("{v:?} {reason}"))
}

/// Whether `name` is `domain` or a subdomain of it, at a label boundary.
fn is_within(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain)
        .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

/// The network with its host bits cleared, and an IPv4-mapped IPv6 network rewritten
/// as the IPv4 network it carries.
fn unmap(net: IpNet) -> IpNet {
    match net.trunc() {
        IpNet::V6(n) if V4_MAPPED.contains(&n) => n
            .network()
            .to_ipv4_mapped()
            .and_then(|a| Ipv4Net::new(a, n.prefix_len() - V4_MAPPED.prefix_len()).ok())
            .map_or(IpNet::V6(n), IpNet::V4),
        net => net,
    }
}

/// A host name as a domain-table key: without one trailing dot, lower-case, IDNA
/// ASCII. Borrows when the name already is one, so routing does not allocate for
/// canonical names; `None` when a non-ASCII name is not a valid IDN.
fn host_key(host: &str) -> Option<Cow<'_, str>> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if !host.is_ascii() {
        idna::domain_to_ascii(host).ok().map(Cow::Owned)
    } else if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(host.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(host))
    }
}

/// Which part of a record hit, and the registered entry it hit, so a member can be told
/// why it receives the record ("the source address is in your 203.0.113.0/24").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Via {
    /// The source address lies in this registered range.
    SourceAddress(IpNet),
    /// The destination address lies in this registered range.
    DestinationAddress(IpNet),
    /// The host name is this registered domain or under it.
    Hostname(String),
    /// The record's AS number is this registered one.
    Asn(u32),
}

impl Via {
    /// The stable identifier: `"source_address"`, `"destination_address"`,
    /// `"hostname"` or `"asn"`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SourceAddress(_) => "source_address",
            Self::DestinationAddress(_) => "destination_address",
            Self::Hostname(_) => "hostname",
            Self::Asn(_) => "asn",
        }
    }

    /// The registered entry's canonical text, as [`Entry::value`] writes it.
    #[must_use]
    pub fn entry(&self) -> String {
        match self {
            Self::SourceAddress(net) | Self::DestinationAddress(net) => net.to_string(),
            Self::Hostname(domain) => domain.clone(),
            Self::Asn(asn) => format!("AS{asn}"),
        }
    }
}

/// The fields of a record that routing looks at, borrowed from whatever parsed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Probe<'a> {
    /// The source address.
    pub src_ip: Option<IpAddr>,
    /// The destination address.
    pub dst_ip: Option<IpAddr>,
    /// The AS number the record names (usually the source's).
    pub asn: Option<u32>,
    /// A host name: a queried or sinkholed domain, a certificate or HTTP host.
    pub hostname: Option<&'a str>,
}

/// A routing table over verified constituency entries, each owned by a `T` (a member
/// id). Several owners may hold the same entry when the coordinator approved an
/// overlap.
#[derive(Debug, Clone)]
pub struct Routing<T> {
    /// IPv4 ranges, each with its owners sorted and without repeats.
    v4: PrefixMap<Ipv4Net, Vec<T>>,
    /// IPv6 ranges (never IPv4-mapped ones), likewise.
    v6: PrefixMap<Ipv6Net, Vec<T>>,
    /// AS numbers, likewise.
    asns: HashMap<u32, Vec<T>>,
    /// Domains as table keys (see [`host_key`]), likewise.
    domains: HashMap<Box<str>, Vec<T>>,
    /// Distinct (entry, owner) pairs.
    len: usize,
}

impl<T: Copy + Eq + Hash + Ord> Default for Routing<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Eq + Hash + Ord> Routing<T> {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self {
            v4: PrefixMap::new(),
            v6: PrefixMap::new(),
            asns: HashMap::new(),
            domains: HashMap::new(),
            len: 0,
        }
    }

    /// Adds `entry`, owned by `owner`. Adding the same pair twice changes nothing. A
    /// range's host bits are ignored and an IPv4-mapped IPv6 range is stored as IPv4.
    pub fn insert(&mut self, entry: &Entry, owner: T) {
        let owners = match entry {
            Entry::Cidr(net) => match unmap(*net) {
                IpNet::V4(n) => self.v4.entry(n).or_default(),
                IpNet::V6(n) => self.v6.entry(n).or_default(),
            },
            Entry::Asn(asn) => self.asns.entry(*asn).or_default(),
            Entry::Domain(domain) => {
                let key = host_key(domain).map_or_else(|| domain.clone(), Cow::into_owned);
                self.domains.entry(key.into_boxed_str()).or_default()
            }
        };
        if let Err(at) = owners.binary_search(&owner) {
            owners.insert(at, owner);
            self.len += 1;
        }
    }

    /// How many distinct (entry, owner) pairs the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every owner whose ranges contain `ip`, with the most specific of its ranges that
    /// does, sorted by owner.
    #[must_use]
    pub fn owners_of_ip(&self, ip: IpAddr) -> Vec<(T, IpNet)> {
        let mut out: Vec<(T, IpNet)> = Vec::new();
        self.covering(IpNet::from(ip), |net, owners| {
            for &owner in owners {
                upsert(
                    &mut out,
                    owner,
                    |old| old.prefix_len() < net.prefix_len(),
                    || net,
                );
            }
        });
        out
    }

    /// Every owner with a range that contains `net` or lies inside it (a shared `/16`
    /// indicator hits the member holding a `/24` of it), sorted by owner, with the
    /// range that matches `net` most closely: the most specific range containing
    /// `net`, otherwise the widest range inside it (the lowest one on a tie).
    #[must_use]
    pub fn owners_of_net(&self, net: IpNet) -> Vec<(T, IpNet)> {
        let net = unmap(net);
        let mut out: Vec<(T, IpNet)> = Vec::new();
        self.covering(net, |range, owners| {
            for &owner in owners {
                upsert(
                    &mut out,
                    owner,
                    |old| old.prefix_len() < range.prefix_len(),
                    || range,
                );
            }
        });
        let inside = |old: &IpNet| old.prefix_len() > net.prefix_len();
        let mut offer = |range: IpNet, owners: &[T]| {
            if range.prefix_len() == net.prefix_len() {
                return; // `net` itself contains `net`: already found above.
            }
            for &owner in owners {
                let closer = |old: &IpNet| {
                    inside(old)
                        && (range.prefix_len(), range.network()) < (old.prefix_len(), old.network())
                };
                upsert(&mut out, owner, closer, || range);
            }
        };
        match net {
            IpNet::V4(n) => self
                .v4
                .children(&n)
                .for_each(|(range, owners)| offer(IpNet::V4(range), owners)),
            IpNet::V6(n) => self
                .v6
                .children(&n)
                .for_each(|(range, owners)| offer(IpNet::V6(range), owners)),
        }
        out
    }

    /// The owners of AS number `asn`, sorted.
    #[must_use]
    pub fn owners_of_asn(&self, asn: u32) -> &[T] {
        self.asns.get(&asn).map_or(&[], Vec::as_slice)
    }

    /// Every owner of a domain that `host` equals or lies under (at a label boundary),
    /// with the most specific such domain, sorted by owner. `host` may be upper-case,
    /// end in a dot or be an internationalised name.
    #[must_use]
    pub fn owners_of_domain(&self, host: &str) -> Vec<(T, String)> {
        let mut out = Vec::new();
        self.registered_suffixes(host, |domain, owners| {
            for &owner in owners {
                upsert(&mut out, owner, |_| false, || domain.to_owned());
            }
        });
        out
    }

    /// The hits of one record, into `out` (cleared first, so one buffer serves millions
    /// of records): each owner once, sorted by owner, with the most precise reason —
    /// the source address, else the destination address, else the host name, else the
    /// AS number — and within it the most specific registered range or domain.
    pub fn route_into(&self, probe: &Probe<'_>, out: &mut Vec<(T, Via)>) {
        out.clear();
        if let Some(ip) = probe.src_ip {
            self.covering(IpNet::from(ip), |net, owners| {
                for &owner in owners {
                    let wider = |old: &Via| {
                        matches!(old, Via::SourceAddress(o) if o.prefix_len() < net.prefix_len())
                    };
                    upsert(out, owner, wider, || Via::SourceAddress(net));
                }
            });
        }
        if let Some(ip) = probe.dst_ip {
            self.covering(IpNet::from(ip), |net, owners| {
                for &owner in owners {
                    let wider = |old: &Via| {
                        matches!(old, Via::DestinationAddress(o) if o.prefix_len() < net.prefix_len())
                    };
                    upsert(out, owner, wider, || Via::DestinationAddress(net));
                }
            });
        }
        if let Some(host) = probe.hostname {
            self.registered_suffixes(host, |domain, owners| {
                for &owner in owners {
                    upsert(out, owner, |_| false, || Via::Hostname(domain.to_owned()));
                }
            });
        }
        if let Some(asn) = probe.asn {
            for &owner in self.owners_of_asn(asn) {
                upsert(out, owner, |_| false, || Via::Asn(asn));
            }
        }
    }

    /// Calls `f` with every registered range that contains `net` and its owners, from
    /// the widest to the narrowest.
    fn covering(&self, net: IpNet, mut f: impl FnMut(IpNet, &[T])) {
        match unmap(net) {
            IpNet::V4(n) => self
                .v4
                .cover(&n)
                .for_each(|(range, owners)| f(IpNet::V4(range), owners)),
            IpNet::V6(n) => self
                .v6
                .cover(&n)
                .for_each(|(range, owners)| f(IpNet::V6(range), owners)),
        }
    }

    /// Calls `f` with every registered domain that `host` equals or lies under and its
    /// owners, from the most specific domain to the least. Each suffix of the name
    /// that starts at a label is one hash lookup, without allocating.
    fn registered_suffixes(&self, host: &str, mut f: impl FnMut(&str, &[T])) {
        let Some(key) = host_key(host) else {
            return;
        };
        let suffixes = std::iter::successors(Some(&*key), |name| {
            name.split_once('.').map(|(_, rest)| rest)
        });
        for suffix in suffixes {
            if let Some((domain, owners)) = self.domains.get_key_value(suffix) {
                f(domain, owners);
            }
        }
    }
}

/// Records `owner`'s hit in `out`, which is sorted by owner: adds it when the owner has
/// none yet, replaces the owner's hit when `better_than` says the new one is better.
/// `make` runs only when the hit is kept, so a discarded hit allocates nothing.
fn upsert<T: Ord, V>(
    out: &mut Vec<(T, V)>,
    owner: T,
    better_than: impl FnOnce(&V) -> bool,
    make: impl FnOnce() -> V,
) {
    match out.binary_search_by(|(o, _)| o.cmp(&owner)) {
        Ok(at) => {
            if better_than(&out[at].1) {
                out[at].1 = make();
            }
        }
        Err(at) => out.insert(at, (owner, make())),
    }
}

/// The existing entries of owners other than `owner` that overlap `entry` (see
/// [`Entry::overlaps`]): what the coordinator must look at before approving it.
pub fn overlapping<'a, T: Copy + Eq + 'a>(
    entry: &Entry,
    owner: T,
    existing: impl IntoIterator<Item = (T, &'a Entry)>,
) -> Vec<(T, Entry)> {
    existing
        .into_iter()
        .filter(|&(other, e)| other != owner && entry.overlaps(e))
        .map(|(other, e)| (other, e.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cidr(s: &str) -> Entry {
        Entry::parse(EntryKind::Cidr, s).unwrap()
    }

    fn asn(s: &str) -> Entry {
        Entry::parse(EntryKind::Asn, s).unwrap()
    }

    fn domain(s: &str) -> Entry {
        Entry::parse(EntryKind::Domain, s).unwrap()
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The reason `value` is refused as `kind`.
    fn refused(kind: EntryKind, value: &str) -> String {
        match Entry::parse(kind, value) {
            Err(DomainError::Invalid { field, reason }) => {
                assert_eq!(field, "value");
                reason
            }
            other => panic!("{kind} {value:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<EntryKind>(&json).unwrap(), kind);
        }
        assert_eq!(EntryKind::parse(" ASN "), Some(EntryKind::Asn));
        assert_eq!(EntryKind::parse("ip"), None);
        assert!(serde_json::from_str::<EntryKind>("\"Cidr\"").is_err());
        assert_eq!(cidr("10.0.0.0/8").kind(), EntryKind::Cidr);
        assert_eq!(asn("AS1").kind(), EntryKind::Asn);
        assert_eq!(domain("example.jp").kind(), EntryKind::Domain);
    }

    #[test]
    fn cidr_accepted_in_canonical_form() {
        for (given, canonical) in [
            ("203.0.113.0/24", "203.0.113.0/24"),
            (" 198.51.100.0/24 ", "198.51.100.0/24"),
            ("192.0.2.0/24", "192.0.2.0/24"),
            ("203.0.113.5", "203.0.113.5/32"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("172.16.0.0/12", "172.16.0.0/12"),
            ("192.168.0.0/16", "192.168.0.0/16"),
            ("2001:DB8::/32", "2001:db8::/32"),
            ("2001:0db8:0000::1", "2001:db8::1/128"),
            ("2400::/19", "2400::/19"),
            ("fd00::/19", "fd00::/19"),
            ("223.255.255.0/24", "223.255.255.0/24"),
            ("1.0.0.0/8", "1.0.0.0/8"),
            ("128.0.0.0/8", "128.0.0.0/8"),
        ] {
            let entry = cidr(given);
            assert_eq!(entry.value(), canonical, "{given}");
            assert_eq!(entry.to_string(), canonical);
        }
    }

    #[test]
    fn cidr_width_is_limited() {
        assert_eq!(
            refused(EntryKind::Cidr, "8.0.0.0/7"),
            "an IPv4 range may be at most a /8"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "0.0.0.0/0"),
            "an IPv4 range may be at most a /8"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "2400::/18"),
            "an IPv6 range may be at most a /19"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "::/0"),
            "an IPv6 range may be at most a /19"
        );
        assert_eq!(
            Entry::parse(EntryKind::Cidr, "2400::/18")
                .unwrap_err()
                .to_string(),
            "value: an IPv6 range may be at most a /19"
        );
    }

    #[test]
    fn cidr_with_host_bits_suggests_the_network() {
        assert_eq!(
            refused(EntryKind::Cidr, "203.0.113.5/24"),
            "203.0.113.5/24 has host bits set; did you mean 203.0.113.0/24?"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "2001:db8::1/32"),
            "2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "10.1.0.0/8"),
            "10.1.0.0/8 has host bits set; did you mean 10.0.0.0/8?"
        );
    }

    #[test]
    fn cidr_refuses_space_no_member_can_own() {
        for (value, block) in [
            ("0.0.0.0/8", "0.0.0.0/8"),
            ("0.1.2.3", "0.0.0.0/8"),
            ("127.0.0.0/8", "127.0.0.0/8"),
            ("127.0.0.1", "127.0.0.0/8"),
            ("224.0.0.0/8", "224.0.0.0/4"),
            ("239.1.2.0/24", "224.0.0.0/4"),
            ("240.0.0.0/8", "240.0.0.0/4"),
            ("255.255.255.255", "240.0.0.0/4"),
            ("::", "::/128"),
            ("::1", "::1/128"),
            ("ff00::/19", "ff00::/8"),
            ("ff0e::/32", "ff00::/8"),
            ("ff02::1", "ff00::/8"),
        ] {
            let reason = refused(EntryKind::Cidr, value);
            assert!(
                reason.contains(&format!(" lies in {block} (")),
                "{value}: {reason}"
            );
            assert!(reason.ends_with("which is not routable space a member can own"));
        }
        assert_eq!(
            refused(EntryKind::Cidr, "ff00::/8"),
            "an IPv6 range may be at most a /19"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "::/64"),
            "::/64 contains ::/128 (unspecified), which is not routable space a member can own"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "127.0.0.0/8"),
            "127.0.0.0/8 lies in 127.0.0.0/8 (loopback), which is not routable space a member can own"
        );
    }

    #[test]
    fn cidr_refuses_ipv4_mapped_ipv6() {
        assert_eq!(
            refused(EntryKind::Cidr, "::ffff:203.0.113.0/120"),
            "::ffff:203.0.113.0/120 is an IPv4-mapped IPv6 range; \
             write the IPv4 range instead: 203.0.113.0/24"
        );
        let reason = refused(EntryKind::Cidr, "::ffff:203.0.113.5");
        assert!(
            reason.ends_with("write the IPv4 range instead: 203.0.113.5/32"),
            "{reason}"
        );
        let reason = refused(EntryKind::Cidr, "::ffff:0:0/96");
        assert!(
            reason.ends_with("write the IPv4 range instead: 0.0.0.0/0"),
            "{reason}"
        );
    }

    #[test]
    fn cidr_refuses_malformed_values() {
        assert_eq!(
            refused(EntryKind::Cidr, "  "),
            "must not be empty; enter a range such as 203.0.113.0/24 or 2001:db8::/32"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "203.0.113.0/33"),
            "prefix length \"33\" is not a number from 0 to 32"
        );
        assert_eq!(
            refused(EntryKind::Cidr, "2001:db8::/129"),
            "prefix length \"129\" is not a number from 0 to 128"
        );
        for value in [
            "203.0.113.0/",
            "203.0.113.0/+24",
            "203.0.113.0/24/1",
            "203.0.113.0/ 24",
        ] {
            assert!(
                refused(EntryKind::Cidr, value).starts_with("prefix length"),
                "{value}"
            );
        }
        for value in [
            "example.jp",
            "203.0.113",
            "[2001:db8::]/32",
            "fe80::1%eth0",
            "203.0.113.0 /24",
            "0203.0.113.0/24",
        ] {
            assert!(
                refused(EntryKind::Cidr, value).contains("enter a range such as 203.0.113.0/24"),
                "{value}"
            );
        }
        let long = "1".repeat(MAX_ENTRY_BYTES + 1);
        assert!(refused(EntryKind::Cidr, &long).starts_with("is 1025 bytes long"));
    }

    #[test]
    fn asn_accepted_in_every_usual_spelling() {
        for value in [
            "AS64500",
            "as64500",
            "As64500",
            "64500",
            "AS 64500",
            " AS64500 ",
            "AS064500",
        ] {
            assert_eq!(asn(value), Entry::Asn(64500), "{value}");
        }
        assert_eq!(asn("AS64500").value(), "AS64500");
        assert_eq!(asn("1"), Entry::Asn(1));
        assert_eq!(asn("AS4294967294"), Entry::Asn(4_294_967_294));
        assert_eq!(asn("AS65534"), Entry::Asn(65534));
        assert_eq!(asn("AS23455"), Entry::Asn(23455));
    }

    #[test]
    fn asn_refuses_reserved_and_malformed_numbers() {
        assert_eq!(
            refused(EntryKind::Asn, "AS0"),
            "AS0 is reserved (RFC 7607) and never identifies a network"
        );
        assert!(refused(EntryKind::Asn, "23456").starts_with("AS23456 is AS_TRANS"));
        assert_eq!(
            refused(EntryKind::Asn, "AS65535"),
            "AS65535 is reserved (RFC 7300) and never identifies a network"
        );
        assert_eq!(
            refused(EntryKind::Asn, "4294967295"),
            "AS4294967295 is reserved (RFC 7300) and never identifies a network"
        );
        for value in ["AS4294967296", "AS99999999999999999999999"] {
            assert!(
                refused(EntryKind::Asn, value).ends_with("AS numbers run from 1 to 4294967294"),
                "{value}"
            );
        }
        for value in [
            "AS",
            "ASX",
            "AS-FOO",
            "AS 64 500",
            "-1",
            "+1",
            "AS1.10",
            "64500AS",
            "ＡＳ64500",
        ] {
            assert!(
                refused(EntryKind::Asn, value).ends_with("write it as AS64500 or 64500"),
                "{value}"
            );
        }
        assert!(refused(EntryKind::Asn, "").starts_with("must not be empty"));
    }

    #[test]
    fn domain_accepted_in_canonical_form() {
        for (given, canonical) in [
            ("example.co.jp", "example.co.jp"),
            ("Example.CO.JP.", "example.co.jp"),
            ("ＥＸＡＭＰＬＥ.jp", "example.jp"),
            ("例え.jp", "xn--r8jz45g.jp"),
            (" a-1.example.jp ", "a-1.example.jp"),
        ] {
            assert_eq!(domain(given).value(), canonical, "{given}");
        }
    }

    #[test]
    fn domain_refuses_wildcards_and_malformed_names() {
        assert_eq!(
            refused(EntryKind::Domain, "*.example.jp"),
            "register example.jp: it covers its subdomains"
        );
        assert_eq!(
            refused(EntryKind::Domain, "*.EXAMPLE.jp."),
            "register example.jp: it covers its subdomains"
        );
        assert_eq!(
            refused(EntryKind::Domain, "203.0.113.5"),
            "\"203.0.113.5\" is an IP address; register it as a cidr entry"
        );
        assert_eq!(
            refused(EntryKind::Domain, "jp"),
            "\"jp\" must have at least two labels, such as example.jp"
        );
        for (value, says) in [
            ("-a.example.jp", "starts or ends with a hyphen"),
            ("a-.example.jp", "starts or ends with a hyphen"),
            ("exa_mple.jp", "only letters, digits and hyphens"),
            ("a*.example.jp", "only letters, digits and hyphens"),
            ("a..example.jp", "empty label"),
            ("example.jp..", "empty label"),
            ("example[.]jp", "defanged"),
        ] {
            let reason = refused(EntryKind::Domain, value);
            assert!(reason.contains(says), "{value}: {reason}");
        }
        let long = format!("{}.jp", vec!["a".repeat(60); 5].join("."));
        assert!(refused(EntryKind::Domain, &long).contains("at most 253"));
        let longest = format!(
            "{}.{}.jp",
            vec!["a".repeat(62); 3].join("."),
            "a".repeat(61)
        );
        assert_eq!(longest.len(), 253);
        assert_eq!(domain(&longest).value(), longest);
    }

    #[test]
    fn cidrs_overlap_when_one_contains_the_other() {
        let wide = cidr("10.0.0.0/8");
        let narrow = cidr("10.1.2.0/24");
        assert!(wide.overlaps(&narrow));
        assert!(narrow.overlaps(&wide));
        assert!(wide.overlaps(&wide));
        assert!(!narrow.overlaps(&cidr("10.1.3.0/24")));
        assert!(cidr("2001:db8::/32").overlaps(&cidr("2001:db8:1::/48")));
        assert!(cidr("2001:db8:1::/48").overlaps(&cidr("2001:db8::/32")));
        assert!(!cidr("2001:db8::/32").overlaps(&cidr("2001:db9::/32")));
    }

    #[test]
    fn ipv4_and_ipv6_never_overlap() {
        let v4 = cidr("10.0.0.0/8");
        assert!(!v4.overlaps(&cidr("2001:db8::/32")));
        assert!(!cidr("2001:db8::/32").overlaps(&v4));
        assert!(!v4.overlaps(&Entry::Cidr(net("::/0"))));
        assert!(!Entry::Cidr(net("0.0.0.0/0")).overlaps(&cidr("2001:db8::1")));
    }

    #[test]
    fn asns_and_domains_overlap_as_registered() {
        assert!(asn("AS64500").overlaps(&asn("64500")));
        assert!(!asn("AS64500").overlaps(&asn("AS64501")));
        let example = domain("example.jp");
        assert!(example.overlaps(&domain("example.jp")));
        assert!(example.overlaps(&domain("a.example.jp")));
        assert!(domain("a.b.example.jp").overlaps(&example));
        assert!(!example.overlaps(&domain("badexample.jp")));
        assert!(!domain("badexample.jp").overlaps(&example));
        assert!(!example.overlaps(&domain("example.com")));
        assert!(!example.overlaps(&domain("jp.example")));
        assert!(!asn("AS64500").overlaps(&cidr("203.0.113.0/24")));
        assert!(!example.overlaps(&asn("AS64500")));
    }

    #[test]
    fn addresses_count_a_range() {
        assert_eq!(cidr("203.0.113.0/24").addresses(), Some(256));
        assert_eq!(cidr("203.0.113.7").addresses(), Some(1));
        assert_eq!(cidr("10.0.0.0/8").addresses(), Some(1 << 24));
        assert_eq!(cidr("2001:db8::/32").addresses(), Some(1 << 96));
        assert_eq!(cidr("2001:db8::1").addresses(), Some(1));
        assert_eq!(Entry::Cidr(net("::/0")).addresses(), Some(u128::MAX));
        assert_eq!(Entry::Cidr(net("::/1")).addresses(), Some(1 << 127));
        assert_eq!(asn("AS64500").addresses(), None);
        assert_eq!(domain("example.jp").addresses(), None);
    }

    #[test]
    fn overlapping_lists_other_owners_entries_only() {
        let existing = [
            (1, cidr("10.0.0.0/8")),
            (2, cidr("10.1.0.0/16")),
            (3, cidr("10.2.0.0/16")),
            (2, asn("AS64500")),
            (4, domain("example.jp")),
            (5, cidr("2001:db8::/32")),
        ];
        let found = overlapping(
            &cidr("10.1.2.0/24"),
            1,
            existing.iter().map(|(o, e)| (*o, e)),
        );
        assert_eq!(found, vec![(2, cidr("10.1.0.0/16"))]);
        let found = overlapping(
            &cidr("10.1.2.0/24"),
            9,
            existing.iter().map(|(o, e)| (*o, e)),
        );
        assert_eq!(
            found,
            vec![(1, cidr("10.0.0.0/8")), (2, cidr("10.1.0.0/16"))]
        );
        let found = overlapping(
            &domain("www.example.jp"),
            9,
            existing.iter().map(|(o, e)| (*o, e)),
        );
        assert_eq!(found, vec![(4, domain("example.jp"))]);
        assert!(overlapping(&asn("AS64500"), 2, existing.iter().map(|(o, e)| (*o, e))).is_empty());
    }

    fn table(entries: &[(u32, &Entry)]) -> Routing<u32> {
        let mut routing = Routing::new();
        for &(owner, entry) in entries {
            routing.insert(entry, owner);
        }
        routing
    }

    #[test]
    fn nested_ranges_of_two_owners_are_both_found() {
        let isp = cidr("203.0.112.0/22");
        let customer = cidr("203.0.113.0/24");
        let routing = table(&[(1, &isp), (2, &customer)]);
        assert_eq!(
            routing.owners_of_ip(ip("203.0.113.9")),
            vec![(1, net("203.0.112.0/22")), (2, net("203.0.113.0/24"))]
        );
        assert_eq!(
            routing.owners_of_ip(ip("203.0.112.9")),
            vec![(1, net("203.0.112.0/22"))]
        );
        assert!(routing.owners_of_ip(ip("203.0.116.1")).is_empty());
        assert!(routing.owners_of_ip(ip("2001:db8::1")).is_empty());
    }

    #[test]
    fn each_owner_gets_its_most_specific_range() {
        let routing = table(&[
            (2, &cidr("10.0.0.0/8")),
            (2, &cidr("10.1.0.0/16")),
            (2, &cidr("10.1.2.3")),
            (1, &cidr("10.0.0.0/8")),
            (1, &cidr("2001:db8::/32")),
            (1, &cidr("2001:db8:1::/48")),
        ]);
        assert_eq!(
            routing.owners_of_ip(ip("10.1.2.3")),
            vec![(1, net("10.0.0.0/8")), (2, net("10.1.2.3/32"))]
        );
        assert_eq!(
            routing.owners_of_ip(ip("10.1.9.9")),
            vec![(1, net("10.0.0.0/8")), (2, net("10.1.0.0/16"))]
        );
        assert_eq!(
            routing.owners_of_ip(ip("2001:db8:1::5")),
            vec![(1, net("2001:db8:1::/48"))]
        );
        assert_eq!(
            routing.owners_of_ip(ip("2001:db8:2::5")),
            vec![(1, net("2001:db8::/32"))]
        );
    }

    #[test]
    fn shared_prefixes_and_repeats() {
        let mut routing = Routing::default();
        assert!(routing.is_empty());
        let range = cidr("198.51.100.0/24");
        routing.insert(&range, 3);
        routing.insert(&range, 1);
        routing.insert(&range, 3);
        routing.insert(&asn("AS64500"), 2);
        routing.insert(&asn("AS64500"), 2);
        routing.insert(&domain("example.jp"), 2);
        routing.insert(&Entry::Domain("EXAMPLE.jp.".to_owned()), 2);
        assert_eq!(routing.len(), 4);
        assert!(!routing.is_empty());
        assert_eq!(
            routing.owners_of_ip(ip("198.51.100.1")),
            vec![(1, net("198.51.100.0/24")), (3, net("198.51.100.0/24"))]
        );
    }

    #[test]
    fn ipv4_mapped_addresses_route_as_ipv4() {
        let routing = table(&[(1, &cidr("203.0.113.0/24"))]);
        let mapped = ip("::ffff:203.0.113.5");
        assert_eq!(
            routing.owners_of_ip(mapped),
            vec![(1, net("203.0.113.0/24"))]
        );
        assert_eq!(
            routing.owners_of_net(net("::ffff:203.0.113.0/120")),
            vec![(1, net("203.0.113.0/24"))]
        );
        let mut out = Vec::new();
        routing.route_into(
            &Probe {
                dst_ip: Some(mapped),
                ..Probe::default()
            },
            &mut out,
        );
        assert_eq!(
            out,
            vec![(1, Via::DestinationAddress(net("203.0.113.0/24")))]
        );
        // A mapped range inserted directly is stored as the IPv4 range it carries.
        let routing = table(&[(2, &Entry::Cidr(net("::ffff:198.51.100.0/120")))]);
        assert_eq!(
            routing.owners_of_ip(ip("198.51.100.7")),
            vec![(2, net("198.51.100.0/24"))]
        );
    }

    #[test]
    fn hostnames_match_registered_domains_at_label_boundaries() {
        let routing = table(&[
            (1, &domain("example.jp")),
            (1, &domain("mail.example.jp")),
            (2, &domain("example.jp")),
            (3, &domain("co.example.jp")),
            (4, &domain("xn--r8jz45g.jp")),
        ]);
        let example = |owner| (owner, "example.jp".to_owned());
        assert_eq!(
            routing.owners_of_domain("example.jp"),
            vec![example(1), example(2)]
        );
        assert_eq!(
            routing.owners_of_domain("www.example.jp"),
            vec![example(1), example(2)]
        );
        assert_eq!(
            routing.owners_of_domain("WWW.Example.JP."),
            vec![example(1), example(2)]
        );
        assert_eq!(
            routing.owners_of_domain("a.mail.example.jp"),
            vec![(1, "mail.example.jp".to_owned()), example(2)]
        );
        assert_eq!(
            routing.owners_of_domain("x.co.example.jp"),
            vec![example(1), example(2), (3, "co.example.jp".to_owned())]
        );
        assert_eq!(
            routing.owners_of_domain("www.例え.jp"),
            vec![(4, "xn--r8jz45g.jp".to_owned())]
        );
        for miss in [
            "badexample.jp",
            "example.jp.evil.net",
            "jp",
            "",
            ".",
            "mailexample.jp",
            "example.com",
        ] {
            assert!(routing.owners_of_domain(miss).is_empty(), "{miss}");
        }
    }

    #[test]
    fn asn_owners_are_sorted_without_repeats() {
        let routing = table(&[
            (3, &asn("AS64500")),
            (1, &asn("AS64500")),
            (3, &asn("AS64500")),
            (2, &asn("AS64501")),
        ]);
        assert_eq!(routing.owners_of_asn(64500), &[1, 3]);
        assert_eq!(routing.owners_of_asn(64501), &[2]);
        assert!(routing.owners_of_asn(64502).is_empty());
    }

    #[test]
    fn routing_names_each_owner_once_by_the_most_precise_hit() {
        let routing = table(&[
            // Owner 1 holds everything the record touches.
            (1, &cidr("10.0.0.0/8")),
            (1, &cidr("10.1.0.0/16")),
            (1, &cidr("192.168.0.0/16")),
            (1, &domain("example.jp")),
            (1, &asn("AS64500")),
            // Owner 2: the destination, the host and the ASN.
            (2, &cidr("192.168.0.0/16")),
            (2, &cidr("192.168.1.0/24")),
            (2, &domain("example.jp")),
            (2, &asn("AS64500")),
            // Owner 3: the host (twice) and the ASN.
            (3, &domain("example.jp")),
            (3, &domain("www.example.jp")),
            (3, &asn("AS64500")),
            // Owner 4: the ASN only; owner 5: nothing the record touches.
            (4, &asn("AS64500")),
            (5, &cidr("10.2.0.0/16")),
            (5, &domain("badexample.jp")),
            (5, &asn("AS64501")),
        ]);
        let probe = Probe {
            src_ip: Some(ip("10.1.2.3")),
            dst_ip: Some(ip("192.168.1.1")),
            asn: Some(64500),
            hostname: Some("www.example.jp"),
        };
        let mut out = vec![(9, Via::Asn(1))];
        routing.route_into(&probe, &mut out);
        assert_eq!(
            out,
            vec![
                (1, Via::SourceAddress(net("10.1.0.0/16"))),
                (2, Via::DestinationAddress(net("192.168.1.0/24"))),
                (3, Via::Hostname("www.example.jp".to_owned())),
                (4, Via::Asn(64500)),
            ]
        );
        let described: Vec<_> = out
            .iter()
            .map(|(_, via)| (via.as_str(), via.entry()))
            .collect();
        assert_eq!(
            described,
            vec![
                ("source_address", "10.1.0.0/16".to_owned()),
                ("destination_address", "192.168.1.0/24".to_owned()),
                ("hostname", "www.example.jp".to_owned()),
                ("asn", "AS64500".to_owned()),
            ]
        );

        // Without the source address, owner 1 is reached by the next best hit.
        routing.route_into(
            &Probe {
                src_ip: None,
                ..probe
            },
            &mut out,
        );
        assert_eq!(out[0], (1, Via::DestinationAddress(net("192.168.0.0/16"))));
        routing.route_into(
            &Probe {
                src_ip: None,
                dst_ip: None,
                ..probe
            },
            &mut out,
        );
        assert_eq!(out[0], (1, Via::Hostname("example.jp".to_owned())));
        routing.route_into(
            &Probe {
                asn: Some(64500),
                ..Probe::default()
            },
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                (1, Via::Asn(64500)),
                (2, Via::Asn(64500)),
                (3, Via::Asn(64500)),
                (4, Via::Asn(64500)),
            ]
        );
        routing.route_into(&Probe::default(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_shared_range_hits_ranges_around_it_and_inside_it() {
        let routing = table(&[
            (1, &cidr("203.0.112.0/22")),
            (2, &cidr("203.0.113.0/24")),
            (2, &cidr("203.0.113.128/25")),
            (3, &cidr("203.0.114.0/25")),
            (3, &cidr("203.0.114.0/24")),
            (4, &cidr("203.0.115.0/26")),
            (4, &cidr("203.0.115.64/26")),
            (5, &cidr("198.51.100.0/24")),
        ]);
        // An indicator inside a member's range.
        assert_eq!(
            routing.owners_of_net(net("203.0.113.128/26")),
            vec![(1, net("203.0.112.0/22")), (2, net("203.0.113.128/25"))]
        );
        // An indicator covering members' ranges: each with its widest range inside.
        assert_eq!(
            routing.owners_of_net(net("203.0.112.0/21")),
            vec![
                (1, net("203.0.112.0/22")),
                (2, net("203.0.113.0/24")),
                (3, net("203.0.114.0/24")),
                (4, net("203.0.115.0/26")),
            ]
        );
        // Equal to a registered range: that range, not one inside it.
        assert_eq!(
            routing.owners_of_net(net("203.0.113.0/24")),
            vec![(1, net("203.0.112.0/22")), (2, net("203.0.113.0/24"))]
        );
        assert!(routing.owners_of_net(net("192.0.2.0/24")).is_empty());
        assert!(routing.owners_of_net(net("2001:db8::/32")).is_empty());
    }

    /// Addresses clustered around a few bases, so random ranges nest and random
    /// addresses hit them.
    fn v4_addr() -> impl Strategy<Value = Ipv4Addr> {
        let bases = [0x0a00_0000_u32, 0x0a00_0100, 0x0a80_0000, 0xcb00_7100];
        (0..bases.len(), 0u32..0x400, any::<u32>(), 0..8).prop_map(move |(i, low, random, pick)| {
            Ipv4Addr::from(if pick == 0 { random } else { bases[i] | low })
        })
    }

    fn v6_addr() -> impl Strategy<Value = Ipv6Addr> {
        let bases = [
            0x2001_0db8_u128 << 96,
            (0x2001_0db8_u128 << 96) | (1 << 64),
            (0x2001_0db8_u128 << 96) | (1 << 90),
            0xfd00_u128 << 112,
        ];
        (0..bases.len(), 0u128..0x400, any::<u128>(), 0..8).prop_map(
            move |(i, low, random, pick)| {
                Ipv6Addr::from(if pick == 0 { random } else { bases[i] | low })
            },
        )
    }

    fn addr() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            v4_addr().prop_map(IpAddr::V4),
            v6_addr().prop_map(IpAddr::V6)
        ]
    }

    fn range() -> impl Strategy<Value = IpNet> {
        prop_oneof![
            (v4_addr(), 0u8..=32)
                .prop_map(|(a, len)| IpNet::V4(Ipv4Net::new(a, len).unwrap().trunc())),
            (v6_addr(), 0u8..=128)
                .prop_map(|(a, len)| IpNet::V6(Ipv6Net::new(a, len).unwrap().trunc())),
        ]
    }

    fn registrations() -> impl Strategy<Value = Vec<(u8, IpNet)>> {
        prop::collection::vec((0u8..5, range()), 0..60)
    }

    fn routing_of(regs: &[(u8, IpNet)]) -> Routing<u8> {
        let mut routing = Routing::new();
        for &(owner, net) in regs {
            routing.insert(&Entry::Cidr(net), owner);
        }
        routing
    }

    /// `owners_of_ip` by linear scan: each owner's longest range containing `ip`.
    fn brute_owners_of_ip(regs: &[(u8, IpNet)], ip: IpAddr) -> Vec<(u8, IpNet)> {
        let mut best: std::collections::BTreeMap<u8, IpNet> = std::collections::BTreeMap::new();
        for &(owner, net) in regs.iter().filter(|(_, net)| net.contains(&ip)) {
            let slot = best.entry(owner).or_insert(net);
            if net.prefix_len() > slot.prefix_len() {
                *slot = net;
            }
        }
        best.into_iter().collect()
    }

    /// `owners_of_net` by linear scan: each owner's longest range containing `query`,
    /// else its shortest (then lowest) range inside `query`.
    fn brute_owners_of_net(regs: &[(u8, IpNet)], query: IpNet) -> Vec<(u8, IpNet)> {
        let owners: std::collections::BTreeSet<u8> = regs.iter().map(|&(o, _)| o).collect();
        owners
            .into_iter()
            .filter_map(|owner| {
                let mine = regs.iter().filter(|&&(o, _)| o == owner).map(|&(_, n)| n);
                let around = mine
                    .clone()
                    .filter(|n| n.contains(&query))
                    .max_by_key(IpNet::prefix_len);
                let inside = mine
                    .filter(|n| query.contains(n))
                    .min_by_key(|n| (n.prefix_len(), n.network()));
                around.or(inside).map(|n| (owner, n))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn owners_of_ip_matches_a_linear_scan(regs in registrations(), ips in prop::collection::vec(addr(), 1..20)) {
            let routing = routing_of(&regs);
            for ip in ips {
                let found = routing.owners_of_ip(ip);
                prop_assert_eq!(&found, &brute_owners_of_ip(&regs, ip), "{}", ip);
                if let IpAddr::V4(v4) = ip {
                    prop_assert_eq!(&routing.owners_of_ip(IpAddr::V6(v4.to_ipv6_mapped())), &found);
                }
                let mut out = Vec::new();
                routing.route_into(&Probe { src_ip: Some(ip), ..Probe::default() }, &mut out);
                let via: Vec<_> = found.iter().map(|&(o, n)| (o, Via::SourceAddress(n))).collect();
                prop_assert_eq!(out, via);
            }
        }

        #[test]
        fn owners_of_net_matches_a_linear_scan(regs in registrations(), queries in prop::collection::vec(range(), 1..20)) {
            let routing = routing_of(&regs);
            for query in queries {
                prop_assert_eq!(routing.owners_of_net(query), brute_owners_of_net(&regs, query), "{}", query);
            }
        }
    }
}
