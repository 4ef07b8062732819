//! Block lists (M6.4): the confirmed malicious IP addresses, domains and URLs a member
//! may see, for ISPs and members to block, as a plain list, a DNS response policy zone
//! (RPZ) and JSON.
//!
//! A block list is collected from [`ItemView`]s only, so it holds exactly what the
//! policy view lets the caller see. An item contributes when it is still shared, its
//! confidence is confirmed, and it is a countermeasure or evidences a published entry
//! of the exploited-vulnerability catalogue ([`qualifies`]); its network indicators
//! (`ipv4`, `ipv6`, `cidr`, `domain`, `url`) become entries, each value once with the
//! items it came from.
//!
//! Entries are sorted: IP addresses and ranges numerically (IPv4 first, then by
//! address and prefix), then domains, then URLs, each lexicographically. The rendered
//! bytes depend only on what the caller sees: the "generated" time they carry is the
//! list's last change ([`BlockList::updated_at`]), not the time of the request, so an
//! unchanged list is byte for byte the same and a cache validator over it stays valid.
//!
//! The RPZ form follows draft-vixie-dnsop-dns-rpz: a domain `example.jp` blocks itself
//! and its subdomains (`example.jp CNAME .` and `*.example.jp CNAME .`); an address or
//! range is a response-IP trigger ([`rpz_ip_trigger`]). URLs cannot be expressed in a
//! zone and are left out, with a comment saying how many.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use ipnet::IpNet;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::ItemId;
use crate::indicator::{Indicator, IndicatorKind, Tlp};
use crate::item::{Confidence, ItemKind, ItemStatus};
use crate::view::ItemView;

/// What RPZ answers for every trigger: `CNAME .`, i.e. NXDOMAIN.
const NXDOMAIN: &str = "CNAME .";

/// The three families of values a block list carries (`?type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// IPv4 and IPv6 addresses and CIDR ranges.
    Ip,
    /// Domain names.
    Domain,
    /// URLs.
    Url,
}

impl ValueType {
    /// All families, in list order.
    pub const ALL: [Self; 3] = [Self::Ip, Self::Domain, Self::Url];

    /// The identifier used in the query string: `ip`, `domain`, `url`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Domain => "domain",
            Self::Url => "url",
        }
    }

    /// Parses [`ValueType::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The family of an indicator kind; `None` for kinds no block list carries
    /// (e-mail addresses and subjects, file hashes).
    #[must_use]
    pub fn of(kind: IndicatorKind) -> Option<Self> {
        match kind {
            IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr => Some(Self::Ip),
            IndicatorKind::Domain => Some(Self::Domain),
            IndicatorKind::Url => Some(Self::Url),
            IndicatorKind::Email
            | IndicatorKind::EmailSubject
            | IndicatorKind::Md5
            | IndicatorKind::Sha1
            | IndicatorKind::Sha256 => None,
        }
    }

    /// What the family is called in a list's title.
    fn label(self) -> &'static str {
        match self {
            Self::Ip => "IP addresses and ranges",
            Self::Domain => "domains",
            Self::Url => "URLs",
        }
    }
}

/// Whether the values of an item seen as `view` belong in block lists: it is shared
/// (not retracted), confirmed, and a countermeasure or, when `in_catalogue`, evidence
/// of a published entry of the exploited-vulnerability catalogue.
#[must_use]
pub fn qualifies(view: &ItemView, in_catalogue: bool) -> bool {
    view.status == ItemStatus::Shared
        && view.confidence == Confidence::Confirmed
        && (view.kind == ItemKind::Countermeasure || in_catalogue)
}

/// One value of a block list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = BlockListEntry)]
pub struct Entry {
    /// The indicator type: `ipv4`, `ipv6`, `cidr`, `domain` or `url`.
    #[serde(rename = "type")]
    pub kind: IndicatorKind,
    /// The value in canonical form.
    pub value: String,
    /// The items it came from, in id order.
    #[schema(value_type = Vec<String>)]
    pub items: BTreeSet<ItemId>,
    /// The most restrictive TLP of those items.
    pub tlp: Tlp,
    /// When the first of those items was shared.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: OffsetDateTime,
    /// When the last of those items was last updated.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: OffsetDateTime,
}

/// The JSON form of a block list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = BlockListDocument)]
pub struct Document {
    /// The list's last change ([`BlockList::updated_at`]); `null` when nothing has
    /// ever contributed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub generated_at: Option<OffsetDateTime>,
    /// The number of entries.
    pub count: usize,
    /// The entries, in list order.
    pub entries: Vec<Entry>,
}

/// Where an entry sorts: addresses and ranges by family, address, prefix length (and
/// kind, so `192.0.2.1` and `192.0.2.1/32` stay two entries), then domains, then URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Position {
    Ip {
        v6: bool,
        address: u128,
        prefix: u8,
        kind: IndicatorKind,
    },
    Domain(String),
    Url(String),
}

impl Position {
    fn of(indicator: &Indicator) -> Option<Self> {
        match ValueType::of(indicator.kind())? {
            ValueType::Ip => {
                let net = indicator.ip_net()?;
                let (v6, address) = match net.network() {
                    std::net::IpAddr::V4(a) => (false, u128::from(u32::from(a))),
                    std::net::IpAddr::V6(a) => (true, u128::from(a)),
                };
                Some(Self::Ip {
                    v6,
                    address,
                    prefix: net.prefix_len(),
                    kind: indicator.kind(),
                })
            }
            ValueType::Domain => Some(Self::Domain(indicator.value().to_owned())),
            ValueType::Url => Some(Self::Url(indicator.value().to_owned())),
        }
    }
}

/// A block list being collected for one caller: [`BlockList::add`] each item view,
/// then render it.
#[derive(Debug, Clone, Default)]
pub struct BlockList {
    only: Option<ValueType>,
    entries: BTreeMap<Position, Entry>,
    updated_at: Option<OffsetDateTime>,
}

impl BlockList {
    /// An empty list of every family, or of `only` that one.
    #[must_use]
    pub fn new(only: Option<ValueType>) -> Self {
        Self {
            only,
            ..Self::default()
        }
    }

    /// Adds the network values of `view` when the item [`qualifies`]. `listed` is the
    /// newest update of the published catalogue entries that list the item as
    /// evidence, `None` when none does. Adding the same view again changes nothing.
    /// Returns whether the item contributed a value.
    ///
    /// A candidate (a countermeasure or listed evidence with a value of the list's
    /// families) dates the list even when it no longer qualifies: its retraction or a
    /// lower confidence removed values, and a poller comparing dates must see that.
    /// Being listed dates it too, with the entry's update.
    pub fn add(&mut self, view: &ItemView, listed: Option<OffsetDateTime>) -> bool {
        let candidate = view.kind == ItemKind::Countermeasure || listed.is_some();
        let values: Vec<(&Indicator, Position)> = view
            .indicators
            .iter()
            .filter(|i| {
                ValueType::of(i.kind()).is_some_and(|t| self.only.is_none_or(|only| only == t))
            })
            .filter_map(|i| Position::of(i).map(|p| (i, p)))
            .collect();
        if !candidate || values.is_empty() {
            return false;
        }
        let changed = listed.map_or(view.updated_at, |t| t.max(view.updated_at));
        self.updated_at = Some(self.updated_at.map_or(changed, |t| t.max(changed)));
        if !qualifies(view, listed.is_some()) {
            return false;
        }
        for (indicator, position) in values {
            let entry = self.entries.entry(position).or_insert_with(|| Entry {
                kind: indicator.kind(),
                value: indicator.value().to_owned(),
                items: BTreeSet::new(),
                tlp: view.tlp,
                first_seen: view.created_at,
                last_seen: view.updated_at,
            });
            entry.items.insert(view.id);
            entry.tlp = entry.tlp.max(view.tlp);
            entry.first_seen = entry.first_seen.min(view.created_at);
            entry.last_seen = entry.last_seen.max(view.updated_at);
        }
        true
    }

    /// The entries, in list order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The list's last change: the newest update of a contributing item, of a
    /// candidate whose change removed its values, or of a catalogue entry listing a
    /// candidate (see [`BlockList::add`]). It is the list's `Last-Modified`, its RPZ
    /// serial and its "generated" time; `None` when no candidate was added.
    #[must_use]
    pub fn updated_at(&self) -> Option<OffsetDateTime> {
        self.updated_at
    }

    /// What the list holds, for its title.
    fn title(&self) -> String {
        let families: Vec<_> = match self.only {
            Some(only) => vec![only.label()],
            None => ValueType::ALL.iter().map(|t| t.label()).collect(),
        };
        format!(
            "tsunagu block list: confirmed malicious {}",
            families.join(", ")
        )
    }

    fn generated(&self) -> String {
        self.updated_at.map_or_else(
            || "never (nothing has been listed)".to_owned(),
            |t| format!("{} (the list's last change)", rfc3339(t)),
        )
    }

    /// The plain list: `#` comment lines (title, generated time, count), then one
    /// value per line.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "# {}\n# Generated: {}\n# Entries: {}\n",
            self.title(),
            self.generated(),
            self.len()
        );
        for e in self.entries() {
            out.push_str(&e.value);
            out.push('\n');
        }
        out
    }

    /// The list as a DNS response policy zone: `$TTL 300`, the SOA (serial: the
    /// list's last change, [`BlockList::updated_at`], as Unix seconds; 1 when none), the NS,
    /// then `CNAME .` (NXDOMAIN) for each domain and its subdomains and for each
    /// address and range as a response-IP trigger. URLs are left out, and so are
    /// domains that would read as other RPZ triggers (a last label starting with
    /// `rpz-`); comments say how many.
    #[must_use]
    pub fn to_rpz(&self) -> String {
        let serial = self
            .updated_at
            .and_then(|t| u32::try_from(t.unix_timestamp()).ok())
            .filter(|s| *s > 0)
            .unwrap_or(1);
        let mut records = String::new();
        let mut written = 0_usize;
        let mut urls = 0_usize;
        let mut reserved = 0_usize;
        let mut last_ip = None;
        for e in self.entries() {
            match ValueType::of(e.kind) {
                Some(ValueType::Url) | None => urls += 1,
                Some(ValueType::Domain) => {
                    if is_rpz_reserved(&e.value) {
                        reserved += 1;
                        continue;
                    }
                    let _ = writeln!(records, "{} {NXDOMAIN}\n*.{} {NXDOMAIN}", e.value, e.value);
                    written += 1;
                }
                Some(ValueType::Ip) => {
                    let Some(net) = Indicator::parse(e.kind, &e.value)
                        .ok()
                        .and_then(|i| i.ip_net())
                    else {
                        continue;
                    };
                    // An address and its /32 or /128 range are one trigger.
                    if last_ip == Some(net) {
                        continue;
                    }
                    last_ip = Some(net);
                    let _ = writeln!(records, "{} {NXDOMAIN}", rpz_ip_trigger(&net));
                    written += 1;
                }
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "; {} as a DNS response policy zone (RPZ)",
            self.title()
        );
        let _ = writeln!(out, "; Generated: {}", self.generated());
        let _ = writeln!(out, "; Entries: {written}");
        let _ = writeln!(
            out,
            "; {urls} URL(s) left out: a response policy zone matches names and addresses, not URLs (see /feeds/blocklist.txt?type=url)"
        );
        if reserved > 0 {
            let _ = writeln!(
                out,
                "; {reserved} domain(s) left out: their last label starts with rpz-, which a resolver would read as another kind of trigger"
            );
        }
        let _ = writeln!(
            out,
            "$TTL 300\n@ SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 300\n@ NS localhost."
        );
        out.push_str(&records);
        out
    }

    /// The JSON form.
    #[must_use]
    pub fn into_document(self) -> Document {
        Document {
            generated_at: self.updated_at,
            count: self.entries.len(),
            entries: self.entries.into_values().collect(),
        }
    }
}

/// Whether a domain would be read as another kind of RPZ trigger (`…rpz-ip`,
/// `…rpz-nsdname`, `…rpz-client-ip`, …) rather than as a name.
fn is_rpz_reserved(domain: &str) -> bool {
    domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with("rpz-"))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// The RPZ response-IP trigger name of an address or range (draft-vixie-dnsop-dns-rpz,
/// IP triggers): the prefix length, then the address in reverse order, then `rpz-ip`.
///
/// IPv4 writes the four octets reversed (`203.0.113.0/24` → `24.0.113.0.203.rpz-ip`).
/// IPv6 writes the eight 16-bit groups reversed in lower-case hex without leading
/// zeros, the longest run of two or more zero groups (the first of equally long ones,
/// as RFC 5952 chooses `::`) written once as `zz` (`2001:db8::1/128` →
/// `128.1.zz.db8.2001.rpz-ip`).
#[must_use]
pub fn rpz_ip_trigger(net: &IpNet) -> String {
    let labels: Vec<String> = match net {
        IpNet::V4(n) => n
            .network()
            .octets()
            .iter()
            .rev()
            .map(u8::to_string)
            .collect(),
        IpNet::V6(n) => {
            let groups = n.network().segments();
            let run = longest_zero_run(&groups);
            let mut forward = Vec::with_capacity(8);
            let mut i = 0;
            while i < groups.len() {
                match run {
                    Some((start, len)) if i == start => {
                        forward.push("zz".to_owned());
                        i += len;
                    }
                    _ => {
                        forward.push(format!("{:x}", groups[i]));
                        i += 1;
                    }
                }
            }
            forward.reverse();
            forward
        }
    };
    format!("{}.{}.rpz-ip", net.prefix_len(), labels.join("."))
}

/// The start and length of the first longest run of at least two zero groups.
fn longest_zero_run(groups: &[u16; 8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < groups.len() {
        if groups[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < groups.len() && groups[i] == 0 {
            i += 1;
        }
        let len = i - start;
        if len >= 2 && best.is_none_or(|(_, l)| len > l) {
            best = Some((start, len));
        }
    }
    best
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::item::{Item, ItemContent};
    use crate::member::MemberClass;
    use crate::member::tests::member;
    use crate::scope::Scope;
    use crate::user::Viewer;
    use crate::view::view;
    use time::macros::datetime;

    fn trigger(net: &str) -> String {
        rpz_ip_trigger(&net.parse().unwrap())
    }

    #[test]
    fn ipv4_triggers_reverse_the_octets() {
        assert_eq!(trigger("1.2.3.4/32"), "32.4.3.2.1.rpz-ip");
        assert_eq!(trigger("203.0.113.0/24"), "24.0.113.0.203.rpz-ip");
        assert_eq!(trigger("10.0.0.0/8"), "8.0.0.0.10.rpz-ip");
    }

    #[test]
    fn ipv6_triggers_reverse_the_groups_and_write_the_longest_zero_run_as_zz() {
        assert_eq!(trigger("2001:db8::1/128"), "128.1.zz.db8.2001.rpz-ip");
        // The draft's own kind of example: a /48 with trailing zeros.
        assert_eq!(trigger("2001:2::/48"), "48.zz.2.2001.rpz-ip");
        // Leading zeros of a group are dropped; no run, no zz.
        assert_eq!(
            trigger("2001:db8:0:1:1:1:1:1/128"),
            "128.1.1.1.1.1.0.db8.2001.rpz-ip",
            "a single zero group is not a run"
        );
        // Of two runs the longer, and of equal ones the first, becomes zz.
        assert_eq!(
            trigger("2001:0:0:1:0:0:0:1/128"),
            "128.1.zz.1.0.0.2001.rpz-ip"
        );
        assert_eq!(
            trigger("2001:db8:0:0:1:0:0:1/128"),
            "128.1.0.0.1.zz.db8.2001.rpz-ip"
        );
        assert_eq!(trigger("::1/128"), "128.1.zz.rpz-ip");
        assert_eq!(trigger("fe80::/10"), "10.zz.fe80.rpz-ip");
        assert_eq!(trigger("::/0"), "0.zz.rpz-ip");
        assert_eq!(
            trigger("2001:db8:a:b:c:d:e:f/128"),
            "128.f.e.d.c.b.a.db8.2001.rpz-ip"
        );
    }

    #[test]
    fn value_types_parse_and_cover_network_kinds_only() {
        for t in ValueType::ALL {
            assert_eq!(ValueType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ValueType::parse("hash"), None);
        assert_eq!(ValueType::parse("IP"), None);
        let carried: Vec<_> = IndicatorKind::ALL
            .into_iter()
            .filter(|k| ValueType::of(*k).is_some())
            .collect();
        assert_eq!(
            carried,
            [
                IndicatorKind::Ipv4,
                IndicatorKind::Ipv6,
                IndicatorKind::Cidr,
                IndicatorKind::Domain,
                IndicatorKind::Url
            ]
        );
    }

    fn ind(kind: IndicatorKind, value: &str) -> Indicator {
        Indicator::parse(kind, value).unwrap()
    }

    fn item(kind: ItemKind, confidence: Confidence, tlp: Tlp, indicators: Vec<Indicator>) -> Item {
        let provider = member(MemberClass::Class1, &[]);
        Item {
            id: ItemId::new(),
            provider: provider.id,
            provider_sector: provider.sector,
            content: ItemContent {
                kind,
                title: "Block these".into(),
                executive_context: String::new(),
                technical_details: String::new(),
                countermeasures: String::new(),
                victim: None,
                indicators,
                techniques: Vec::new(),
                cves: Vec::new(),
                products: Vec::new(),
                confidence,
                tlp,
                scope: Scope {
                    classes: MemberClass::ALL.into(),
                    ..Scope::default()
                },
                show_provider_sector: false,
                clearance: None,
                tearline: None,
                source: None,
            },
            status: ItemStatus::Shared,
            revision: 1,
            created_at: datetime!(2024-01-01 00:00 UTC),
            updated_at: datetime!(2024-01-02 00:00 UTC),
        }
    }

    /// The item as a class-1 member sees it.
    fn seen(item: &Item) -> ItemView {
        view(item, &Viewer::for_member(member(MemberClass::Class1, &[]))).unwrap()
    }

    fn every_kind() -> Vec<Indicator> {
        vec![
            ind(IndicatorKind::Url, "http://evil.example.jp/dl"),
            ind(IndicatorKind::Domain, "evil.example.jp"),
            ind(IndicatorKind::Ipv6, "2001:db8::1"),
            ind(IndicatorKind::Cidr, "203.0.113.0/24"),
            ind(IndicatorKind::Ipv4, "1.2.3.4"),
            ind(IndicatorKind::Email, "lure@evil.example.jp"),
            ind(IndicatorKind::EmailSubject, "Invoice"),
            ind(IndicatorKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
            ind(
                IndicatorKind::Sha256,
                "24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c",
            ),
        ]
    }

    fn values(list: &BlockList) -> Vec<&str> {
        list.entries().map(|e| e.value.as_str()).collect()
    }

    #[test]
    fn only_shared_confirmed_countermeasures_or_catalogue_evidence_qualify() {
        let confirmed = |kind| item(kind, Confidence::Confirmed, Tlp::Green, every_kind());
        for kind in ItemKind::ALL {
            let v = seen(&confirmed(kind));
            assert_eq!(qualifies(&v, false), kind == ItemKind::Countermeasure);
            assert!(qualifies(&v, true), "catalogue evidence of any kind");
        }
        for confidence in [Confidence::Unconfirmed, Confidence::Probable] {
            let it = item(
                ItemKind::Countermeasure,
                confidence,
                Tlp::Green,
                every_kind(),
            );
            assert!(!qualifies(&seen(&it), true));
        }
        let mut retracted = confirmed(ItemKind::Countermeasure);
        retracted.status = ItemStatus::Retracted;
        assert!(!qualifies(&seen(&retracted), true));
        let mut list = BlockList::new(None);
        assert!(!list.add(&seen(&retracted), Some(retracted.updated_at)));
        assert!(!list.add(&seen(&confirmed(ItemKind::Analysis)), None));
        assert!(list.is_empty());
    }

    #[test]
    fn the_date_moves_with_every_change_that_adds_or_removes_values() {
        let mut list = BlockList::new(None);
        // Neither a countermeasure nor listed: no candidate, no date.
        let mut other = item(
            ItemKind::ThreatInformation,
            Confidence::Confirmed,
            Tlp::Green,
            every_kind(),
        );
        other.updated_at = datetime!(2030-01-01 00:00 UTC);
        assert!(!list.add(&seen(&other), None));
        assert_eq!(list.updated_at(), None);
        let mut cm = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Green,
            every_kind(),
        );
        assert!(list.add(&seen(&cm), None));
        assert_eq!(list.updated_at(), Some(cm.updated_at));
        // A retraction after it removes nothing from this list but dates it: a poller
        // that kept the retracted values must not be told they are current.
        let mut retracted = cm.clone();
        retracted.id = ItemId::new();
        retracted.status = ItemStatus::Retracted;
        retracted.updated_at = datetime!(2024-02-01 00:00 UTC);
        assert!(!list.add(&seen(&retracted), None));
        assert_eq!(list.updated_at(), Some(retracted.updated_at));
        // So does a confidence lowered since.
        let mut lowered = retracted.clone();
        lowered.id = ItemId::new();
        lowered.status = ItemStatus::Shared;
        lowered.content.confidence = Confidence::Probable;
        lowered.updated_at = datetime!(2024-03-01 00:00 UTC);
        assert!(!list.add(&seen(&lowered), None));
        assert_eq!(list.updated_at(), Some(lowered.updated_at));
        // Evidence dates it by the later of its own update and its entry's.
        let published = datetime!(2024-04-01 00:00 UTC);
        assert!(list.add(&seen(&other.clone()), Some(published)));
        assert_eq!(list.updated_at(), Some(other.updated_at));
        cm.id = ItemId::new();
        cm.content.kind = ItemKind::Analysis;
        assert!(list.add(&seen(&cm), Some(published)));
        assert_eq!(list.updated_at(), Some(other.updated_at), "never backwards");
        let mut fresh = BlockList::new(None);
        assert!(fresh.add(&seen(&cm), Some(published)));
        assert_eq!(fresh.updated_at(), Some(published));
        // A candidate without a value of the list's family does not date that list.
        let mut urls = BlockList::new(Some(ValueType::Url));
        let mut no_url = cm.clone();
        no_url
            .content
            .indicators
            .retain(|i| i.kind() != IndicatorKind::Url);
        assert!(!urls.add(&seen(&no_url), Some(published)));
        assert_eq!(urls.updated_at(), None);
    }

    #[test]
    fn collects_network_values_sorted_and_deduplicated() {
        let mut a = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Green,
            every_kind(),
        );
        a.content.indicators.extend([
            ind(IndicatorKind::Ipv4, "10.0.0.1"),
            ind(IndicatorKind::Ipv4, "9.255.255.255"),
            ind(IndicatorKind::Cidr, "10.0.0.0/8"),
            ind(IndicatorKind::Ipv6, "::1"),
            ind(IndicatorKind::Domain, "a.example"),
        ]);
        let mut b = item(
            ItemKind::ThreatInformation,
            Confidence::Confirmed,
            Tlp::Amber,
            vec![
                ind(IndicatorKind::Domain, "EVIL.example.jp."),
                ind(IndicatorKind::Ipv4, "1.2.3.4"),
                ind(IndicatorKind::Cidr, "1.2.3.4/32"),
            ],
        );
        b.created_at = datetime!(2023-06-01 00:00 UTC);
        b.updated_at = datetime!(2024-03-01 12:00 UTC);
        let mut list = BlockList::new(None);
        assert!(list.add(&seen(&a), None));
        assert!(list.add(&seen(&b), Some(b.updated_at)));
        assert!(
            !list.add(&seen(&b), None),
            "not evidence, not a countermeasure"
        );
        let before = list.clone();
        assert!(list.add(&seen(&a), None));
        assert_eq!(
            list.to_text(),
            before.to_text(),
            "adding again changes nothing"
        );
        assert_eq!(
            values(&list),
            [
                "1.2.3.4",
                "1.2.3.4/32",
                "9.255.255.255",
                "10.0.0.0/8",
                "10.0.0.1",
                "203.0.113.0/24",
                "::1",
                "2001:db8::1",
                "a.example",
                "evil.example.jp",
                "http://evil.example.jp/dl",
            ]
        );
        let evil = list
            .entries()
            .find(|e| e.value == "evil.example.jp")
            .unwrap();
        assert_eq!(evil.kind, IndicatorKind::Domain);
        assert_eq!(evil.items, [a.id, b.id].into());
        assert_eq!(evil.tlp, Tlp::Amber, "the most restrictive TLP");
        assert_eq!(evil.first_seen, b.created_at);
        assert_eq!(evil.last_seen, b.updated_at);
        let only_a = list.entries().find(|e| e.value == "a.example").unwrap();
        assert_eq!(only_a.items, [a.id].into());
        assert_eq!(only_a.tlp, Tlp::Green);
        assert_eq!(list.updated_at(), Some(b.updated_at));
    }

    #[test]
    fn a_type_filter_keeps_one_family() {
        let it = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Clear,
            every_kind(),
        );
        let of = |t| {
            let mut list = BlockList::new(Some(t));
            list.add(&seen(&it), None);
            values(&list)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            of(ValueType::Ip),
            ["1.2.3.4", "203.0.113.0/24", "2001:db8::1"]
        );
        assert_eq!(of(ValueType::Domain), ["evil.example.jp"]);
        assert_eq!(of(ValueType::Url), ["http://evil.example.jp/dl"]);
        let mut hashes = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Clear,
            vec![ind(IndicatorKind::Md5, "d41d8cd98f00b204e9800998ecf8427e")],
        );
        hashes.updated_at = datetime!(2030-01-01 00:00 UTC);
        let mut list = BlockList::new(None);
        assert!(!list.add(&seen(&hashes), None), "no network value");
        assert_eq!(
            list.updated_at(),
            None,
            "a non-contributing item dates nothing"
        );
    }

    #[test]
    fn text_lists_one_value_per_line_after_comments() {
        let it = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Clear,
            every_kind(),
        );
        let mut list = BlockList::new(Some(ValueType::Domain));
        list.add(&seen(&it), None);
        assert_eq!(
            list.to_text(),
            "# tsunagu block list: confirmed malicious domains\n\
             # Generated: 2024-01-02T00:00:00Z (the list's last change)\n\
             # Entries: 1\n\
             evil.example.jp\n"
        );
        let empty = BlockList::new(None).to_text();
        assert!(empty.contains("# Entries: 0\n"), "{empty}");
        assert!(empty.lines().all(|l| l.starts_with('#')), "{empty}");
    }

    #[test]
    fn rpz_blocks_domains_and_addresses_and_leaves_urls_out() {
        let mut it = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::Clear,
            every_kind(),
        );
        it.content.indicators.extend([
            ind(IndicatorKind::Cidr, "1.2.3.4/32"),
            ind(IndicatorKind::Domain, "24.0.0.0.10.rpz-client-ip"),
        ]);
        let mut list = BlockList::new(None);
        list.add(&seen(&it), None);
        let zone = list.to_rpz();
        let records: Vec<&str> = zone.lines().filter(|l| !l.starts_with(';')).collect();
        assert_eq!(
            records,
            [
                "$TTL 300",
                "@ SOA localhost. hostmaster.localhost. 1704153600 3600 600 86400 300",
                "@ NS localhost.",
                "32.4.3.2.1.rpz-ip CNAME .",
                "24.0.113.0.203.rpz-ip CNAME .",
                "128.1.zz.db8.2001.rpz-ip CNAME .",
                "evil.example.jp CNAME .",
                "*.evil.example.jp CNAME .",
            ]
        );
        assert!(zone.contains("; 1 URL(s) left out"), "{zone}");
        assert!(zone.contains("; 1 domain(s) left out"), "{zone}");
        assert!(!zone.contains("http://"), "{zone}");
        assert!(!zone.contains("rpz-client-ip CNAME"), "{zone}");
        let empty = BlockList::new(None).to_rpz();
        assert!(
            empty.contains("@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300\n"),
            "{empty}"
        );
    }

    #[test]
    fn json_carries_entries_with_their_items() {
        let it = item(
            ItemKind::Countermeasure,
            Confidence::Confirmed,
            Tlp::AmberStrict,
            vec![ind(IndicatorKind::Domain, "evil.example.jp")],
        );
        let mut list = BlockList::new(None);
        list.add(&seen(&it), None);
        let json = serde_json::to_value(list.into_document()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "generated_at": "2024-01-02T00:00:00Z",
                "count": 1,
                "entries": [{
                    "type": "domain", "value": "evil.example.jp", "items": [it.id],
                    "tlp": "amber+strict", "first_seen": "2024-01-01T00:00:00Z",
                    "last_seen": "2024-01-02T00:00:00Z"
                }]
            })
        );
        let empty = serde_json::to_value(BlockList::new(None).into_document()).unwrap();
        assert_eq!(
            empty,
            serde_json::json!({"generated_at": null, "count": 0, "entries": []})
        );
    }
}
