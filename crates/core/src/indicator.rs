//! Typed, normalised indicators of compromise, and the identifiers that travel with
//! them: CVE ids, MITRE ATT&CK technique ids and TLP 2.0 levels.
//!
//! Parse, don't validate: an [`Indicator`] can only be built by [`Indicator::parse`],
//! which checks the value against its [`IndicatorKind`] and rewrites it to one canonical
//! form. The same IoC sent by two members as `ＥＸＡＭＰＬＥ.jp.` and `example.jp` is
//! therefore stored, deduplicated and matched as one value. Deserialising goes through
//! the same parser, so an invalid value never gets past the edge.
//!
//! | type | canonical form |
//! |---|---|
//! | `ipv4`, `ipv6` | as `std::net` displays it: dotted decimal; RFC 5952 compressed lower-case IPv6 |
//! | `cidr` | network address and prefix (`10.1.2.3/8` → `10.0.0.0/8`); a bare address becomes `/32` or `/128` |
//! | `domain` | IDNA to ASCII (punycode), lower-case, no trailing dot, letter-digit-hyphen labels, at least two labels |
//! | `url` | the `url` crate's serialisation: lower-case scheme and host, punycode, default port dropped, `..` resolved; a host is required |
//! | `email` | `local@domain`: the local part as given, the domain as for `domain` |
//! | `email_subject` | trimmed text, at most 998 characters, no control characters |
//! | `md5`, `sha1`, `sha256` | lower-case hex of exactly 32, 40 or 64 digits |
//!
//! Defanged values (`hxxp://`, `example[.]com`) are refused, not guessed at: the reason
//! asks the sender to refang them, so nobody turns an inert string live by accident.
//!
//! For IP search, [`Indicator::ip_range_key`] maps addresses and ranges of both families
//! into one 16-byte big-endian key space (IPv4 as `::ffff:a.b.c.d`). A store can then
//! find the stored ranges that contain an address, and the stored addresses that lie in
//! a range, by byte comparison alone.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// The longest value, in bytes after trimming, that [`Indicator::parse`] accepts.
pub const MAX_VALUE_BYTES: usize = 8192;
/// The longest e-mail subject, in characters (the RFC 5322 line limit).
pub const MAX_SUBJECT_CHARS: usize = 998;
const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;
const MAX_EMAIL_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
/// How much of a refused value an error message quotes.
const QUOTED_CHARS: usize = 200;
/// Markers that defanging tools put into domains, addresses and URLs.
const DEFANG_MARKERS: [&str; 12] = [
    "[.]", "(.)", "{.}", "[dot]", "(dot)", "[:]", "[://]", "[/]", "[@]", "(@)", "[at]", "(at)",
];

/// What an indicator's value is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An IPv4 or IPv6 network in CIDR notation.
    Cidr,
    /// A domain name.
    Domain,
    /// An absolute URL with a host.
    Url,
    /// An e-mail address.
    Email,
    /// The subject line of an e-mail.
    EmailSubject,
    /// An MD5 file hash.
    Md5,
    /// A SHA-1 file hash.
    Sha1,
    /// A SHA-256 file hash.
    Sha256,
}

impl IndicatorKind {
    /// The network a canonical value of this kind covers (see [`Indicator::ip_net`]),
    /// for code that keeps values without their [`Indicator`].
    #[must_use]
    pub fn ip_net(self, value: &str) -> Option<IpNet> {
        match self {
            Self::Ipv4 | Self::Ipv6 => value.parse::<IpAddr>().ok().map(IpNet::from),
            Self::Cidr => value.parse().ok(),
            _ => None,
        }
    }

    /// All kinds, in order.
    pub const ALL: [Self; 10] = [
        Self::Ipv4,
        Self::Ipv6,
        Self::Cidr,
        Self::Domain,
        Self::Url,
        Self::Email,
        Self::EmailSubject,
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The stable identifier used in the API and the database (`"email_subject"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Cidr => "cidr",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Email => "email",
            Self::EmailSubject => "email_subject",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    /// The kind named by `s` ([`IndicatorKind::as_str`], ignoring ASCII case and
    /// surrounding whitespace), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value was refused as an indicator of the given kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {:?}: {reason}", quoted(.value))]
pub struct IndicatorError {
    /// The kind the value was parsed as.
    pub kind: IndicatorKind,
    /// The value as given. The message quotes at most its first 200 characters.
    pub value: String,
    /// Why the value was refused, written for the person who sent it.
    pub reason: String,
}

/// An indicator of compromise: a kind and a valid value in canonical form.
///
/// The only constructor is [`Indicator::parse`]; see the [module docs](self) for the
/// canonical form of each kind. It serialises as `{"type": "domain", "value":
/// "example.jp"}` and deserialises from the same shape through the same parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "RawIndicator")]
#[schema(example = json!({"type": "domain", "value": "example.jp"}))]
pub struct Indicator {
    /// What the value is.
    #[serde(rename = "type")]
    kind: IndicatorKind,
    /// The value in canonical form.
    value: String,
}

/// An indicator as it arrives, before its value is checked.
#[derive(Deserialize)]
struct RawIndicator {
    #[serde(rename = "type")]
    kind: IndicatorKind,
    value: String,
}

impl TryFrom<RawIndicator> for Indicator {
    type Error = IndicatorError;

    fn try_from(raw: RawIndicator) -> Result<Self, Self::Error> {
        Self::parse(raw.kind, &raw.value)
    }
}

impl Indicator {
    /// Checks `value` as an indicator of `kind` and normalises it. Surrounding
    /// whitespace is ignored.
    ///
    /// ```
    /// use tsunagu_core::indicator::{Indicator, IndicatorKind};
    ///
    /// let url = Indicator::parse(IndicatorKind::Url, "HTTP://Example.COM:80/a/../b").unwrap();
    /// assert_eq!(url.value(), "http://example.com/b");
    /// let err = Indicator::parse(IndicatorKind::Sha256, "abc").unwrap_err();
    /// assert_eq!(err.to_string(), r#"invalid sha256 "abc": expected 64 hex characters, got 3"#);
    /// ```
    ///
    /// # Errors
    /// [`IndicatorError`] with the reason when `value` is not a valid `kind`.
    pub fn parse(kind: IndicatorKind, value: &str) -> Result<Self, IndicatorError> {
        match normalise(kind, value) {
            Ok(canonical) => Ok(Self {
                kind,
                value: canonical,
            }),
            Err(reason) => Err(IndicatorError {
                kind,
                value: value.to_owned(),
                reason,
            }),
        }
    }

    /// What the value is.
    #[must_use]
    pub fn kind(&self) -> IndicatorKind {
        self.kind
    }

    /// The value in canonical form.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The network an IP indicator covers: a `/32` or `/128` for an address, the
    /// network itself for a CIDR range, and `None` for other kinds.
    #[must_use]
    pub fn ip_net(&self) -> Option<IpNet> {
        self.kind.ip_net(&self.value)
    }

    /// The first and last address an IP indicator covers, as [`ip_key`]s, and `None`
    /// for other kinds.
    ///
    /// A stored range `(lo, hi)` contains address key `k` when `lo <= k <= hi`, and
    /// contains another range when it encloses both of its ends, so a store can index
    /// both directions of IP-in-CIDR search with byte comparisons. IPv4 keys lie in
    /// `::ffff:0:0/96`, so an IPv4 address and its IPv4-mapped IPv6 form share a key.
    #[must_use]
    pub fn ip_range_key(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let net = self.ip_net()?;
        Some((
            ip_key(net.network()).to_vec(),
            ip_key(net.broadcast()).to_vec(),
        ))
    }

    /// The indicator as a STIX 2.1 pattern, e.g. `[domain-name:value = 'example.jp']`
    /// or `[file:hashes.'SHA-256' = '…']`, with `'` and `\` escaped.
    #[must_use]
    pub fn stix_pattern(&self) -> String {
        let path = match self.kind {
            IndicatorKind::Ipv4 => "ipv4-addr:value",
            IndicatorKind::Ipv6 => "ipv6-addr:value",
            IndicatorKind::Cidr if self.value.contains(':') => "ipv6-addr:value",
            IndicatorKind::Cidr => "ipv4-addr:value",
            IndicatorKind::Domain => "domain-name:value",
            IndicatorKind::Url => "url:value",
            IndicatorKind::Email => "email-addr:value",
            IndicatorKind::EmailSubject => "email-message:subject",
            IndicatorKind::Md5 => "file:hashes.MD5",
            IndicatorKind::Sha1 => "file:hashes.'SHA-1'",
            IndicatorKind::Sha256 => "file:hashes.'SHA-256'",
        };
        let literal = self.value.replace('\\', "\\\\").replace('\'', "\\'");
        format!("[{path} = '{literal}']")
    }
}

/// The search key of an address: 16 bytes, big-endian, with IPv4 mapped into IPv6 as
/// `::ffff:a.b.c.d`, so that keys of both families sort in one space.
#[must_use]
pub fn ip_key(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// The kind a free-text search value most likely is, trying in turn IPv4, IPv6, CIDR,
/// MD5, SHA-1 and SHA-256 (by length), URL (with a scheme), e-mail (with `@`) and
/// domain; the first kind the value parses as wins. E-mail subjects are never guessed.
#[must_use]
pub fn guess_kind(value: &str) -> Option<IndicatorKind> {
    use IndicatorKind as K;
    [
        K::Ipv4,
        K::Ipv6,
        K::Cidr,
        K::Md5,
        K::Sha1,
        K::Sha256,
        K::Url,
        K::Email,
        K::Domain,
    ]
    .into_iter()
    .find(|&kind| normalise(kind, value).is_ok())
}

/// The canonical form of `value` as a `kind`, or the reason it is not one.
fn normalise(kind: IndicatorKind, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if v.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_VALUE_BYTES} are allowed",
            v.len()
        ));
    }
    match kind {
        IndicatorKind::Ipv4 => ipv4(v),
        IndicatorKind::Ipv6 => ipv6(v),
        IndicatorKind::Cidr => cidr(v),
        IndicatorKind::Domain => domain(v),
        IndicatorKind::Url => url(v),
        IndicatorKind::Email => email(v),
        IndicatorKind::EmailSubject => subject(v),
        IndicatorKind::Md5 => hex_digest(v, 32),
        IndicatorKind::Sha1 => hex_digest(v, 40),
        IndicatorKind::Sha256 => hex_digest(v, 64),
    }
}

/// Says which other IP kind `v` would be valid as, for a helpful reason.
fn other_ip_kind(v: &str) -> Option<&'static str> {
    if v.parse::<Ipv4Addr>().is_ok() {
        Some("is an IPv4 address; use type ipv4")
    } else if v.parse::<Ipv6Addr>().is_ok() {
        Some("is an IPv6 address; use type ipv6")
    } else if v.parse::<IpNet>().is_ok() {
        Some("is a CIDR range; use type cidr")
    } else {
        None
    }
}

fn ipv4(v: &str) -> Result<String, String> {
    refuse_defanged(v)?;
    match v.parse::<Ipv4Addr>() {
        Ok(addr) => Ok(addr.to_string()),
        Err(_) => Err(other_ip_kind(v)
            .unwrap_or(
                "is not an IPv4 address (dotted decimal such as 192.0.2.1, no leading zeros)",
            )
            .to_owned()),
    }
}

fn ipv6(v: &str) -> Result<String, String> {
    refuse_defanged(v)?;
    match v.parse::<Ipv6Addr>() {
        Ok(addr) => Ok(addr.to_string()),
        Err(_) => Err(other_ip_kind(v)
            .unwrap_or("is not an IPv6 address (such as 2001:db8::1, without brackets or zone)")
            .to_owned()),
    }
}

fn cidr(v: &str) -> Result<String, String> {
    refuse_defanged(v)?;
    let net = match v.split_once('/') {
        None => v.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
            "is not a CIDR range (such as 10.0.0.0/8 or 2001:db8::/32) or an IP address".to_owned()
        })?,
        Some((addr, prefix)) => {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{:?} is not an IP address", quoted(addr)))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = Some(prefix)
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u8>().ok())
                .filter(|&len| len <= max)
                .ok_or_else(|| {
                    format!(
                        "prefix length {:?} is not a number from 0 to {max}",
                        quoted(prefix)
                    )
                })?;
            IpNet::new(addr, len).map_err(|e| e.to_string())?
        }
    };
    Ok(net.trunc().to_string())
}

pub(crate) fn domain(v: &str) -> Result<String, String> {
    refuse_defanged(v)?;
    if v.parse::<IpAddr>().is_ok() {
        return Err("is an IP address; use type ipv4 or ipv6".to_owned());
    }
    let ascii = idna::domain_to_ascii(v)
        .map_err(|_| "is not a valid internationalised domain name".to_owned())?;
    let name = ascii.strip_suffix('.').unwrap_or(&ascii);
    if name.len() > MAX_DOMAIN_LEN {
        return Err(format!(
            "is {} characters long in ASCII; at most {MAX_DOMAIN_LEN} are allowed",
            name.len()
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        check_label(label)?;
    }
    match labels.last() {
        _ if labels.len() < 2 => {
            Err("must have at least two labels, such as example.jp".to_owned())
        }
        Some(tld) if tld.bytes().all(|b| b.is_ascii_digit()) => {
            Err("ends in a numeric label, so it reads as an IP address".to_owned())
        }
        _ => Ok(name.to_owned()),
    }
}

fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("has an empty label".to_owned());
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(format!(
            "has a label of {} characters; at most {MAX_LABEL_LEN} are allowed",
            label.len()
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
    {
        return Err(format!(
            "label {label:?} contains {c:?}; only letters, digits and hyphens are allowed"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!("label {label:?} starts or ends with a hyphen"));
    }
    Ok(())
}

fn url(v: &str) -> Result<String, String> {
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "must not contain spaces or control characters; percent-encode them".to_owned(),
        );
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("hxxp") {
        return Err(defanged("hxxp"));
    }
    // Only the scheme and authority: a path or query may hold brackets legitimately.
    let start = lower.find("://").map_or(0, |i| i + 3);
    let head = lower
        .get(start..)
        .and_then(|rest| rest.find(['/', '?', '#']))
        .map_or(lower.as_str(), |end| &lower[..start + end]);
    refuse_defanged(head)?;
    let url = url::Url::parse(v).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            "has no scheme; write it in full, such as http://example.jp/".to_owned()
        }
        e => format!("is not a valid URL: {e}"),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    Ok(url.into())
}

fn email(v: &str) -> Result<String, String> {
    refuse_defanged(v)?;
    let Some((local, domain_part)) = v.split_once('@') else {
        return Err("must have the form local@domain".to_owned());
    };
    if domain_part.contains('@') {
        return Err("contains more than one '@'".to_owned());
    }
    check_local_part(local)?;
    let domain = domain(domain_part).map_err(|reason| format!("its domain {reason}"))?;
    let address = format!("{local}@{domain}");
    if address.len() > MAX_EMAIL_LEN {
        return Err(format!(
            "is {} characters long; at most {MAX_EMAIL_LEN} are allowed",
            address.len()
        ));
    }
    Ok(address)
}

/// Checks an unquoted (dot-atom) local part; UTF-8 is allowed as in RFC 6531.
fn check_local_part(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err("has an empty local part".to_owned());
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(format!(
            "has a local part of {} bytes; at most {MAX_LOCAL_LEN} are allowed",
            local.len()
        ));
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || !(c.is_ascii() || c.is_control() || c.is_whitespace())
    };
    if let Some(c) = local.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "has {c:?} in its local part; quoted local parts are not accepted"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("has a leading, trailing or doubled dot in its local part".to_owned());
    }
    Ok(())
}

fn subject(v: &str) -> Result<String, String> {
    let n = v.chars().count();
    if n > MAX_SUBJECT_CHARS {
        return Err(format!(
            "is {n} characters long; at most {MAX_SUBJECT_CHARS} are allowed"
        ));
    }
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters such as line breaks or tabs".to_owned());
    }
    Ok(v.to_owned())
}

fn hex_digest(v: &str, digits: usize) -> Result<String, String> {
    let n = v.chars().count();
    if n != digits {
        return Err(format!("expected {digits} hex characters, got {n}"));
    }
    if let Some(c) = v.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("contains {c:?}, which is not a hex digit"));
    }
    Ok(v.to_ascii_lowercase())
}

fn refuse_defanged(text: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    match DEFANG_MARKERS.into_iter().find(|m| lower.contains(m)) {
        Some(marker) => Err(defanged(marker)),
        None => Ok(()),
    }
}

fn defanged(marker: &str) -> String {
    format!("looks defanged ({marker:?}); refang it (hxxp → http, [.] → .) before submitting")
}

/// At most [`QUOTED_CHARS`] characters of `value`, with `…` when cut.
fn quoted(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => Cow::Owned(format!("{}…", &value[..end])),
        None => Cow::Borrowed(value),
    }
}

/// A CVE identifier in canonical upper-case form, such as `CVE-2017-0144`.
///
/// Ordered by year, then numerically by sequence number, so `CVE-2017-9999` sorts
/// before `CVE-2017-10000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "CVE-2017-0144")]
pub struct CveId(String);

impl CveId {
    /// Parses `CVE-YYYY-NNNN…` in any case: a year from 1999 to 2100 and a sequence
    /// number of 4 to 19 digits, without a leading zero when longer than 4.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] on field `cve` when `s` is not such an id.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let bad = || {
            DomainError::invalid(
                "cve",
                format!("{:?} is not a CVE id such as CVE-2017-0144", quoted(s)),
            )
        };
        let upper = s.to_ascii_uppercase();
        let (year, seq) = upper
            .strip_prefix("CVE-")
            .and_then(|rest| rest.split_once('-'))
            .ok_or_else(bad)?;
        let year_n: u16 = Some(year)
            .filter(|y| all_digits(y, 4..=4))
            .and_then(|y| y.parse().ok())
            .ok_or_else(bad)?;
        if !(1999..=2100).contains(&year_n) {
            return Err(DomainError::invalid(
                "cve",
                format!("year {year_n} is outside 1999–2100"),
            ));
        }
        if !all_digits(seq, 4..=19) {
            return Err(DomainError::invalid(
                "cve",
                format!("sequence number {:?} must be 4 to 19 digits", quoted(seq)),
            ));
        }
        if seq.len() > 4 && seq.starts_with('0') {
            return Err(DomainError::invalid(
                "cve",
                format!("sequence number {seq} is longer than 4 digits and starts with 0"),
            ));
        }
        Ok(Self(format!("CVE-{year}-{seq}")))
    }

    /// The id in canonical form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "CVE-YYYY", the length of the whole id (longer means a larger sequence number,
    /// as only 4-digit ones may start with 0), then the id.
    fn sort_key(&self) -> (&str, usize, &str) {
        (self.0.get(..8).unwrap_or(&self.0), self.0.len(), &self.0)
    }
}

impl Ord for CveId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for CveId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CveId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CveId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CveId> for String {
    fn from(id: CveId) -> Self {
        id.0
    }
}

/// A MITRE ATT&CK technique or sub-technique id in canonical upper-case form, such as
/// `T1566` or `T1566.001` (ATT&CK for ICS ids such as `T0800` fit the same pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "T1566.001")]
pub struct TechniqueId(String);

impl TechniqueId {
    /// Parses `T` and 4 digits, optionally followed by `.` and 3 digits, in any case.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] on field `technique` when `s` is not such an id.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let upper = s.to_ascii_uppercase();
        let valid = upper
            .strip_prefix('T')
            .is_some_and(|rest| match rest.split_once('.') {
                Some((base, sub)) => all_digits(base, 4..=4) && all_digits(sub, 3..=3),
                None => all_digits(rest, 4..=4),
            });
        if valid {
            Ok(Self(upper))
        } else {
            Err(DomainError::invalid(
                "technique",
                format!(
                    "{:?} is not an ATT&CK technique id such as T1566 or T1566.001",
                    quoted(s)
                ),
            ))
        }
    }

    /// The id in canonical form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a sub-technique (`T1566.001`).
    #[must_use]
    pub fn is_subtechnique(&self) -> bool {
        self.0.contains('.')
    }

    /// The technique itself: `T1566` for `T1566.001`, and the id unchanged otherwise.
    #[must_use]
    pub fn parent(&self) -> Self {
        match self.0.split_once('.') {
            Some((base, _)) => Self(base.to_owned()),
            None => self.clone(),
        }
    }
}

impl fmt::Display for TechniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TechniqueId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TechniqueId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TechniqueId> for String {
    fn from(id: TechniqueId) -> Self {
        id.0
    }
}

fn all_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A Traffic Light Protocol 2.0 level (FIRST, 2022), from the least to the most
/// restricted, so `Clear < Green < Amber < AmberStrict < Red`.
///
/// Serialises as `"clear"`, `"green"`, `"amber"`, `"amber+strict"` or `"red"`, and
/// deserialises from anything [`Tlp::parse`] accepts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "String")]
pub enum Tlp {
    /// TLP:CLEAR (formerly WHITE): anyone may see it, subject to copyright.
    #[serde(rename = "clear")]
    Clear,
    /// TLP:GREEN: the recipients' community, not through public channels.
    #[serde(rename = "green")]
    Green,
    /// TLP:AMBER: the recipients' organisations and their clients, on a need-to-know basis.
    #[serde(rename = "amber")]
    Amber,
    /// TLP:AMBER+STRICT: the recipients' own organisations only, on a need-to-know basis.
    #[serde(rename = "amber+strict")]
    AmberStrict,
    /// TLP:RED: the individual recipients only, no further disclosure.
    #[serde(rename = "red")]
    Red,
}

impl Tlp {
    /// All levels, from the least to the most restricted.
    pub const ALL: [Self; 5] = [
        Self::Clear,
        Self::Green,
        Self::Amber,
        Self::AmberStrict,
        Self::Red,
    ];

    /// The stable identifier used in the API and the database (`"amber+strict"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::Green => "green",
            Self::Amber => "amber",
            Self::AmberStrict => "amber+strict",
            Self::Red => "red",
        }
    }

    /// The label as people write it (`"TLP:AMBER+STRICT"`), also the STIX marking name.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Clear => "TLP:CLEAR",
            Self::Green => "TLP:GREEN",
            Self::Amber => "TLP:AMBER",
            Self::AmberStrict => "TLP:AMBER+STRICT",
            Self::Red => "TLP:RED",
        }
    }

    /// The level named by `s`, ignoring case and surrounding whitespace: `amber`,
    /// `TLP:AMBER`, `tlp-amber`, `amber+strict` (or `amber_strict`, `amber-strict`), and
    /// `white` as the TLP 1.0 name of `clear`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let level = ["tlp:", "tlp-", "tlp "]
            .into_iter()
            .find_map(|prefix| s.strip_prefix(prefix))
            .unwrap_or(&s)
            .trim();
        match level {
            "clear" | "white" => Some(Self::Clear),
            "green" => Some(Self::Green),
            "amber" => Some(Self::Amber),
            "amber+strict" | "amber_strict" | "amber-strict" => Some(Self::AmberStrict),
            "red" => Some(Self::Red),
            _ => None,
        }
    }

    /// Whether the level keeps the information within the recipients' organisations
    /// (AMBER, AMBER+STRICT and RED).
    #[must_use]
    pub fn is_confidential(self) -> bool {
        matches!(self, Self::Amber | Self::AmberStrict | Self::Red)
    }

    /// The id of the official STIX 2.1 TLP 2.0 marking definition for this level
    /// (oasis-open/cti-stix-common-objects).
    #[must_use]
    pub fn stix_marking_id(self) -> &'static str {
        match self {
            Self::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Self::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Self::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Self::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Self::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            DomainError::invalid(
                "tlp",
                format!(
                    "{:?} is not a TLP level (clear, green, amber, amber+strict or red)",
                    quoted(s)
                ),
            )
        })
    }
}

impl TryFrom<String> for Tlp {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use IndicatorKind as K;
    use proptest::prelude::*;

    fn ok(kind: IndicatorKind, value: &str) -> String {
        match Indicator::parse(kind, value) {
            Ok(ind) => ind.value,
            Err(e) => panic!("{e}"),
        }
    }

    fn reason(kind: IndicatorKind, value: &str) -> String {
        match Indicator::parse(kind, value) {
            Ok(ind) => panic!("{kind} {value:?} was accepted as {:?}", ind.value),
            Err(e) => e.reason,
        }
    }

    /// Parsing the canonical form again, and a JSON round trip, give the same indicator.
    fn round_trips(ind: &Indicator) -> Result<(), TestCaseError> {
        prop_assert_eq!(&Indicator::parse(ind.kind(), ind.value()).unwrap(), ind);
        let json = serde_json::to_string(ind).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Indicator>(&json).unwrap(), ind);
        Ok(())
    }

    #[test]
    fn kinds_have_stable_names() {
        for kind in K::ALL {
            assert_eq!(K::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(K::parse(" Email_Subject "), Some(K::EmailSubject));
        assert_eq!(K::parse("ip"), None);
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(ok(K::Ipv4, " 192.0.2.1\n"), "192.0.2.1");
        assert_eq!(ok(K::Ipv6, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
        assert_eq!(ok(K::Ipv6, "::FFFF:192.0.2.1"), "::ffff:192.0.2.1");
        assert!(reason(K::Ipv4, "010.0.0.1").contains("no leading zeros"));
        assert!(reason(K::Ipv4, "256.0.0.1").contains("not an IPv4 address"));
        assert_eq!(
            reason(K::Ipv4, "2001:db8::1"),
            "is an IPv6 address; use type ipv6"
        );
        assert_eq!(
            reason(K::Ipv4, "10.0.0.0/8"),
            "is a CIDR range; use type cidr"
        );
        assert_eq!(
            reason(K::Ipv6, "192.0.2.1"),
            "is an IPv4 address; use type ipv4"
        );
        assert!(reason(K::Ipv6, "[2001:db8::1]").contains("without brackets"));
        assert!(reason(K::Ipv4, "192.0.2[.]1").contains("refang"));
        assert_eq!(reason(K::Ipv4, "   "), "must not be empty");
    }

    #[test]
    fn cidr_ranges() {
        assert_eq!(ok(K::Cidr, "10.1.2.3/8"), "10.0.0.0/8");
        assert_eq!(ok(K::Cidr, "10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(ok(K::Cidr, "2001:DB8:1::/32"), "2001:db8::/32");
        assert_eq!(ok(K::Cidr, "192.0.2.7"), "192.0.2.7/32");
        assert_eq!(ok(K::Cidr, "2001:db8::1"), "2001:db8::1/128");
        assert_eq!(ok(K::Cidr, "0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(
            reason(K::Cidr, "10.0.0.0/33"),
            r#"prefix length "33" is not a number from 0 to 32"#
        );
        assert!(reason(K::Cidr, "10.0.0.0/+8").contains("prefix length"));
        assert!(reason(K::Cidr, "10.0.0.0/").contains("prefix length"));
        assert!(reason(K::Cidr, "2001:db8::/129").contains("0 to 128"));
        assert_eq!(
            reason(K::Cidr, "example.jp/8"),
            r#""example.jp" is not an IP address"#
        );
        assert!(reason(K::Cidr, "example.jp").contains("not a CIDR range"));
    }

    #[test]
    fn domains() {
        assert_eq!(ok(K::Domain, "ＥＸＡＭＰＬＥ.jp."), "example.jp");
        assert_eq!(ok(K::Domain, "例え.jp"), "xn--r8jz45g.jp");
        assert_eq!(ok(K::Domain, "xn--r8jz45g.JP"), "xn--r8jz45g.jp");
        assert_eq!(ok(K::Domain, "例え。jp"), "xn--r8jz45g.jp");
        assert_eq!(ok(K::Domain, " Mail.Example.CO.JP "), "mail.example.co.jp");
        assert_eq!(ok(K::Domain, "a-b.1x.example"), "a-b.1x.example");
        assert_eq!(
            reason(K::Domain, "localhost"),
            "must have at least two labels, such as example.jp"
        );
        assert_eq!(reason(K::Domain, "example.jp.."), "has an empty label");
        assert_eq!(reason(K::Domain, "a..example.jp"), "has an empty label");
        assert_eq!(
            reason(K::Domain, "_dmarc.example.jp"),
            r#"label "_dmarc" contains '_'; only letters, digits and hyphens are allowed"#
        );
        assert_eq!(
            reason(K::Domain, "-a.example.jp"),
            r#"label "-a" starts or ends with a hyphen"#
        );
        assert!(reason(K::Domain, "a b.example.jp").contains("contains ' '"));
        assert!(reason(K::Domain, &format!("{}.jp", "a".repeat(64))).contains("at most 63"));
        let long = format!("{}jp", "abcdefghi.".repeat(26));
        assert!(reason(K::Domain, &long).contains("at most 253"));
        assert_eq!(
            reason(K::Domain, "192.0.2.1"),
            "is an IP address; use type ipv4 or ipv6"
        );
        assert!(reason(K::Domain, "1.2.3").contains("numeric label"));
        assert!(reason(K::Domain, "example[.]jp").contains("refang"));
        assert!(reason(K::Domain, "http://example.jp/").contains("contains ':'"));
        assert!(reason(K::Domain, "xn--zz.jp").contains("internationalised"));
    }

    #[test]
    fn urls() {
        assert_eq!(
            ok(K::Url, "HTTP://Example.COM:80/a/../b"),
            "http://example.com/b"
        );
        assert_eq!(ok(K::Url, "https://example.jp"), "https://example.jp/");
        assert_eq!(
            ok(K::Url, "https://例え.jp:8443/パス?q=1#f"),
            "https://xn--r8jz45g.jp:8443/%E3%83%91%E3%82%B9?q=1#f"
        );
        assert_eq!(ok(K::Url, "ftp://192.0.2.1/x"), "ftp://192.0.2.1/x");
        assert_eq!(ok(K::Url, "http://[2001:DB8::1]/"), "http://[2001:db8::1]/");
        assert_eq!(ok(K::Url, "ssh://host.example.jp"), "ssh://host.example.jp");
        assert_eq!(
            ok(K::Url, "https://example.jp/search?q=[.]"),
            "https://example.jp/search?q=[.]"
        );
        assert!(reason(K::Url, "hxxp://example.jp/").contains("refang"));
        assert!(reason(K::Url, "HXXPS://example.jp/").contains("refang"));
        assert!(reason(K::Url, "http://example[.]jp/").contains("\"[.]\""));
        assert!(reason(K::Url, "http[://]example.jp/").contains("refang"));
        assert!(reason(K::Url, "example.jp/path").contains("no scheme"));
        assert_eq!(reason(K::Url, "mailto:a@example.jp"), "has no host");
        assert_eq!(reason(K::Url, "file:///etc/passwd"), "has no host");
        assert!(reason(K::Url, "http://exa mple.jp/").contains("spaces"));
        assert!(reason(K::Url, "http://example.jp:99999/").contains("not a valid URL"));
    }

    #[test]
    fn emails() {
        assert_eq!(
            ok(K::Email, " Alice@ＥＸＡＭＰＬＥ.JP "),
            "Alice@example.jp"
        );
        assert_eq!(ok(K::Email, "a.b+tag@例え.jp"), "a.b+tag@xn--r8jz45g.jp");
        assert_eq!(ok(K::Email, "用户@example.jp"), "用户@example.jp");
        assert_eq!(reason(K::Email, "alice"), "must have the form local@domain");
        assert_eq!(
            reason(K::Email, "a@b@example.jp"),
            "contains more than one '@'"
        );
        assert_eq!(reason(K::Email, "@example.jp"), "has an empty local part");
        assert_eq!(
            reason(K::Email, "alice@example"),
            "its domain must have at least two labels, such as example.jp"
        );
        assert_eq!(reason(K::Email, "alice@"), "its domain has an empty label");
        assert!(reason(K::Email, "a..b@example.jp").contains("doubled dot"));
        assert!(reason(K::Email, "\"a b\"@example.jp").contains("quoted"));
        assert!(reason(K::Email, "mailto:a@example.jp").contains("':'"));
        assert!(reason(K::Email, "alice[@]example.jp").contains("refang"));
        assert!(reason(K::Email, &format!("{}@example.jp", "a".repeat(65))).contains("64"));
    }

    #[test]
    fn email_subjects() {
        assert_eq!(
            ok(K::EmailSubject, "  【重要】請求書の送付  "),
            "【重要】請求書の送付"
        );
        assert_eq!(
            ok(K::EmailSubject, "hxxp [.] is fine here"),
            "hxxp [.] is fine here"
        );
        assert_eq!(ok(K::EmailSubject, &"あ".repeat(998)), "あ".repeat(998));
        assert!(reason(K::EmailSubject, &"a".repeat(999)).contains("at most 998"));
        assert!(reason(K::EmailSubject, "a\r\nBcc: x@example.jp").contains("control"));
        assert!(reason(K::EmailSubject, "a\tb").contains("control"));
        assert_eq!(reason(K::EmailSubject, ""), "must not be empty");
    }

    #[test]
    fn hashes() {
        let md5 = "D41D8CD98F00B204E9800998ECF8427E";
        assert_eq!(ok(K::Md5, md5), md5.to_ascii_lowercase());
        let sha1 = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709";
        assert_eq!(ok(K::Sha1, sha1), sha1.to_ascii_lowercase());
        let sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(ok(K::Sha256, sha256), sha256.to_ascii_lowercase());
        assert_eq!(
            reason(K::Sha256, &sha256[1..]),
            "expected 64 hex characters, got 63"
        );
        assert_eq!(reason(K::Md5, sha1), "expected 32 hex characters, got 40");
        assert_eq!(reason(K::Sha1, md5), "expected 40 hex characters, got 32");
        let bad = format!("g{}", &md5[1..]);
        assert_eq!(
            reason(K::Md5, &bad),
            "contains 'g', which is not a hex digit"
        );
        assert_eq!(
            reason(K::Md5, &"あ".repeat(32)),
            "contains 'あ', which is not a hex digit"
        );
    }

    #[test]
    fn error_messages_quote_the_value() {
        let err = Indicator::parse(K::Sha256, "abc").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid sha256 "abc": expected 64 hex characters, got 3"#
        );
        assert_eq!(err.value, "abc");
        let long = "x".repeat(10_000);
        let err = Indicator::parse(K::Domain, &long).unwrap_err();
        assert_eq!(err.value, long);
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("invalid domain \"{}…\": ", "x".repeat(200))));
        assert!(msg.ends_with("is 10000 bytes long; at most 8192 are allowed"));
        assert!(msg.len() < 300);
    }

    #[test]
    fn serde_shape() {
        let ind = Indicator::parse(K::Domain, "Example.JP").unwrap();
        assert_eq!(
            serde_json::to_value(&ind).unwrap(),
            serde_json::json!({"type": "domain", "value": "example.jp"})
        );
        let back: Indicator =
            serde_json::from_str(r#"{"type":"domain","value":"ＥＸＡＭＰＬＥ.jp."}"#).unwrap();
        assert_eq!(back, ind);
        let err = serde_json::from_str::<Indicator>(r#"{"type":"sha1","value":"abc"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(r#"invalid sha1 "abc": expected 40 hex characters, got 3"#),
            "{err}"
        );
        assert!(serde_json::from_str::<Indicator>(r#"{"type":"ip","value":"1.2.3.4"}"#).is_err());
        assert!(serde_json::from_str::<Indicator>(r#"{"value":"1.2.3.4"}"#).is_err());
    }

    #[test]
    fn schema_describes_type_and_value() {
        let schema = serde_json::to_value(<Indicator as utoipa::PartialSchema>::schema()).unwrap();
        let props = &schema["properties"];
        assert!(props.get("type").is_some(), "{schema}");
        assert!(props.get("value").is_some(), "{schema}");
        let tlp = serde_json::to_value(<Tlp as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            tlp["enum"],
            serde_json::json!(["clear", "green", "amber", "amber+strict", "red"])
        );
        let cve = serde_json::to_value(<CveId as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(cve["type"], "string");
    }

    #[test]
    fn ip_nets_and_keys() {
        let v4 = Indicator::parse(K::Ipv4, "192.0.2.1").unwrap();
        assert_eq!(v4.ip_net().unwrap().to_string(), "192.0.2.1/32");
        let (lo, hi) = v4.ip_range_key().unwrap();
        assert_eq!(lo, hi);
        assert_eq!(lo, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
        let mapped = Indicator::parse(K::Ipv6, "::ffff:192.0.2.1").unwrap();
        assert_eq!(mapped.ip_range_key().unwrap().0, lo);

        let net = Indicator::parse(K::Cidr, "10.1.2.3/8").unwrap();
        let (lo, hi) = net.ip_range_key().unwrap();
        assert_eq!(lo[12..], [10, 0, 0, 0]);
        assert_eq!(hi[12..], [10, 255, 255, 255]);
        let v6 = Indicator::parse(K::Cidr, "2001:db8::/32").unwrap();
        let (lo6, hi6) = v6.ip_range_key().unwrap();
        assert_eq!(lo6[..4], [0x20, 0x01, 0x0d, 0xb8]);
        assert!(hi6[4..].iter().all(|&b| b == 0xff));
        assert!(hi < lo6, "IPv4 keys sort before global IPv6 keys");

        assert!(
            Indicator::parse(K::Domain, "example.jp")
                .unwrap()
                .ip_net()
                .is_none()
        );
        assert!(
            Indicator::parse(K::Md5, &"0".repeat(32))
                .unwrap()
                .ip_range_key()
                .is_none()
        );
    }

    #[test]
    fn stix_patterns() {
        let p = |kind, value| Indicator::parse(kind, value).unwrap().stix_pattern();
        assert_eq!(p(K::Ipv4, "192.0.2.1"), "[ipv4-addr:value = '192.0.2.1']");
        assert_eq!(
            p(K::Cidr, "2001:db8::/32"),
            "[ipv6-addr:value = '2001:db8::/32']"
        );
        assert_eq!(p(K::Cidr, "10.0.0.0/8"), "[ipv4-addr:value = '10.0.0.0/8']");
        assert_eq!(
            p(K::Domain, "example.jp"),
            "[domain-name:value = 'example.jp']"
        );
        assert_eq!(
            p(K::EmailSubject, r"it's \ here"),
            r"[email-message:subject = 'it\'s \\ here']"
        );
        assert_eq!(
            p(K::Sha256, &"A".repeat(64)),
            format!("[file:hashes.'SHA-256' = '{}']", "a".repeat(64))
        );
    }

    #[test]
    fn guesses_kinds() {
        let cases = [
            ("192.0.2.1", Some(K::Ipv4)),
            ("2001:db8::1", Some(K::Ipv6)),
            ("10.0.0.0/8", Some(K::Cidr)),
            ("d41d8cd98f00b204e9800998ecf8427e", Some(K::Md5)),
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", Some(K::Sha1)),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Some(K::Sha256),
            ),
            ("https://example.jp/x", Some(K::Url)),
            ("http://user@example.jp/", Some(K::Url)),
            ("soc@example.jp", Some(K::Email)),
            ("Example.JP", Some(K::Domain)),
            ("例え.jp", Some(K::Domain)),
            ("phishing invoice", None),
            ("deadbeef", None),
            ("example[.]jp", None),
            ("", None),
        ];
        for (value, kind) in cases {
            assert_eq!(guess_kind(value), kind, "{value}");
        }
    }

    #[test]
    fn cve_ids() {
        let id = CveId::parse(" cve-2017-0144 ").unwrap();
        assert_eq!(id.as_str(), "CVE-2017-0144");
        assert_eq!(id.to_string(), "CVE-2017-0144");
        assert_eq!(
            CveId::parse("CVE-2021-44228").unwrap().as_str(),
            "CVE-2021-44228"
        );
        assert_eq!(
            CveId::parse("CVE-1999-0001").unwrap().as_str(),
            "CVE-1999-0001"
        );
        assert_eq!(
            CveId::parse("CVE-2017-144").unwrap_err().to_string(),
            r#"cve: sequence number "144" must be 4 to 19 digits"#
        );
        assert_eq!(
            CveId::parse("CVE-1998-0001").unwrap_err().to_string(),
            "cve: year 1998 is outside 1999–2100"
        );
        assert!(CveId::parse("CVE-2017-00144").is_err());
        for bad in [
            "",
            "2017-0144",
            "CVE-17-0144",
            "CVE-2017",
            "CVE-2017-01a4",
            "CVE 2017 0144",
        ] {
            assert!(CveId::parse(bad).is_err(), "{bad}");
        }
        let mut ids: Vec<CveId> = ["CVE-2018-0001", "CVE-2017-10000", "CVE-2017-9999"]
            .into_iter()
            .map(|s| s.parse().unwrap())
            .collect();
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(CveId::as_str).collect();
        assert_eq!(sorted, ["CVE-2017-9999", "CVE-2017-10000", "CVE-2018-0001"]);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"CVE-2017-0144\"");
        assert_eq!(
            serde_json::from_str::<CveId>("\"cve-2017-0144\"").unwrap(),
            id
        );
        assert!(serde_json::from_str::<CveId>("\"CVE-2017\"").is_err());
    }

    #[test]
    fn technique_ids() {
        let sub = TechniqueId::parse("t1566.001").unwrap();
        assert_eq!(sub.as_str(), "T1566.001");
        assert!(sub.is_subtechnique());
        assert_eq!(sub.parent().as_str(), "T1566");
        let ics = TechniqueId::parse("T0800").unwrap();
        assert!(!ics.is_subtechnique());
        assert_eq!(ics.parent(), ics);
        assert_eq!(
            TechniqueId::parse("T156").unwrap_err().to_string(),
            r#"technique: "T156" is not an ATT&CK technique id such as T1566 or T1566.001"#
        );
        for bad in [
            "",
            "1566",
            "T15666",
            "T1566.01",
            "T1566.0011",
            "T1566.",
            "TA0001",
            "T1566-001",
        ] {
            assert!(TechniqueId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&sub).unwrap(), "\"T1566.001\"");
        assert_eq!(
            serde_json::from_str::<TechniqueId>("\"t1566.001\"").unwrap(),
            sub
        );
        assert!(serde_json::from_str::<TechniqueId>("\"T1\"").is_err());
    }

    #[test]
    fn tlp_levels() {
        assert!(Tlp::Clear < Tlp::Green);
        assert!(Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict);
        assert!(Tlp::AmberStrict < Tlp::Red);
        for tlp in Tlp::ALL {
            assert_eq!(Tlp::parse(tlp.as_str()), Some(tlp));
            assert_eq!(Tlp::parse(tlp.label()), Some(tlp));
            let json = serde_json::to_string(&tlp).unwrap();
            assert_eq!(json, format!("\"{}\"", tlp.as_str()));
            assert_eq!(serde_json::from_str::<Tlp>(&json).unwrap(), tlp);
            assert!(tlp.stix_marking_id().starts_with("marking-definition--"));
            assert_eq!(
                tlp.stix_marking_id().len(),
                "marking-definition--".len() + 36
            );
        }
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse(" tlp:white "), Some(Tlp::Clear));
        assert_eq!(Tlp::parse("WHITE"), Some(Tlp::Clear));
        assert_eq!(Tlp::parse("amber_strict"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("Tlp-Red"), Some(Tlp::Red));
        assert_eq!(Tlp::parse("purple"), None);
        assert_eq!(
            serde_json::from_str::<Tlp>("\"TLP:WHITE\"").unwrap(),
            Tlp::Clear
        );
        assert!(
            serde_json::from_str::<Tlp>("\"blue\"")
                .unwrap_err()
                .to_string()
                .contains("not a TLP level")
        );
        let confidential: Vec<Tlp> = Tlp::ALL
            .into_iter()
            .filter(|t| t.is_confidential())
            .collect();
        assert_eq!(confidential, [Tlp::Amber, Tlp::AmberStrict, Tlp::Red]);
        assert_eq!(
            Tlp::AmberStrict.stix_marking_id(),
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
        );
    }

    fn key_in(k: &[u8; 16], (lo, hi): &(Vec<u8>, Vec<u8>)) -> bool {
        lo.as_slice() <= k.as_slice() && k.as_slice() <= hi.as_slice()
    }

    proptest! {
        #[test]
        fn ipv4_round_trips(addr in any::<Ipv4Addr>()) {
            let ind = Indicator::parse(K::Ipv4, &addr.to_string()).unwrap();
            prop_assert_eq!(ind.value(), addr.to_string());
            round_trips(&ind)?;
            prop_assert_eq!(guess_kind(ind.value()), Some(K::Ipv4));
        }

        #[test]
        fn ipv6_round_trips(addr in any::<Ipv6Addr>()) {
            let ind = Indicator::parse(K::Ipv6, &addr.to_string()).unwrap();
            prop_assert_eq!(ind.value().parse::<Ipv6Addr>().unwrap(), addr);
            round_trips(&ind)?;
            let exploded = addr.segments().map(|s| format!("{s:04X}")).join(":");
            prop_assert_eq!(&Indicator::parse(K::Ipv6, &exploded).unwrap(), &ind);
        }

        #[test]
        fn hashes_round_trip(hex in "[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}") {
            let kind = match hex.len() {
                32 => K::Md5,
                40 => K::Sha1,
                _ => K::Sha256,
            };
            let ind = Indicator::parse(kind, &hex).unwrap();
            prop_assert_eq!(ind.value(), hex.to_ascii_lowercase());
            round_trips(&ind)?;
            prop_assert_eq!(guess_kind(&hex), Some(kind));
        }

        #[test]
        fn domains_round_trip(
            labels in prop::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..4),
            tld in "[a-z]{2,6}",
        ) {
            let name = format!("{}.{tld}", labels.join("."));
            let ind = Indicator::parse(K::Domain, &name.to_ascii_uppercase()).unwrap();
            prop_assert_eq!(ind.value(), name.as_str());
            round_trips(&ind)?;
            let url = Indicator::parse(K::Url, &format!("https://{name}/p")).unwrap();
            round_trips(&url)?;
            let email = Indicator::parse(K::Email, &format!("soc@{name}")).unwrap();
            round_trips(&email)?;
        }

        #[test]
        fn v4_cidr_key_range_is_exactly_the_net(
            base in any::<Ipv4Addr>(),
            len in 0u8..=32,
            offset in any::<u32>(),
            probe in any::<Ipv4Addr>(),
        ) {
            let ind = Indicator::parse(K::Cidr, &format!("{base}/{len}")).unwrap();
            round_trips(&ind)?;
            let net = ind.ip_net().unwrap();
            let range = ind.ip_range_key().unwrap();
            let IpNet::V4(v4) = net else { panic!("{net} is not IPv4") };
            let inside = Ipv4Addr::from((u32::from(v4.network()) & u32::from(v4.netmask()))
                | (offset & u32::from(v4.hostmask())));
            prop_assert!(net.contains(&IpAddr::V4(inside)));
            prop_assert!(key_in(&ip_key(IpAddr::V4(inside)), &range));
            let probe = IpAddr::V4(probe);
            prop_assert_eq!(net.contains(&probe), key_in(&ip_key(probe), &range));
            // A subnet of the range lies inside it, key for key.
            let sub = Indicator::parse(K::Cidr, &format!("{inside}/{}", len.max(24))).unwrap();
            let (lo, hi) = sub.ip_range_key().unwrap();
            prop_assert!(range.0 <= lo && hi <= range.1);
        }

        #[test]
        fn v6_cidr_key_range_is_exactly_the_net(
            base in any::<Ipv6Addr>(),
            len in 0u8..=128,
            offset in any::<u128>(),
            probe in any::<Ipv6Addr>(),
        ) {
            let ind = Indicator::parse(K::Cidr, &format!("{base}/{len}")).unwrap();
            round_trips(&ind)?;
            let net = ind.ip_net().unwrap();
            let range = ind.ip_range_key().unwrap();
            let IpNet::V6(v6) = net else { panic!("{net} is not IPv6") };
            let inside = Ipv6Addr::from(u128::from(v6.network())
                | (offset & u128::from(v6.hostmask())));
            prop_assert!(key_in(&ip_key(IpAddr::V6(inside)), &range));
            let single = Indicator::parse(K::Ipv6, &inside.to_string()).unwrap();
            let (lo, hi) = single.ip_range_key().unwrap();
            prop_assert!(range.0 <= lo && hi <= range.1);
            let probe = IpAddr::V6(probe);
            prop_assert_eq!(net.contains(&probe), key_in(&ip_key(probe), &range));
        }

        #[test]
        fn subjects_round_trip(text in "[^\\p{Cc}]{1,200}") {
            prop_assume!(!text.trim().is_empty());
            let ind = Indicator::parse(K::EmailSubject, &text).unwrap();
            prop_assert_eq!(ind.value(), text.trim());
            round_trips(&ind)?;
        }

        #[test]
        fn urls_round_trip(
            url in "(?i:https?|ftp)://[a-zA-Z0-9.-]{1,20}(:[0-9]{1,5})?(/[a-zA-Z0-9.%~_=&?#-]{0,20}){0,3}",
        ) {
            if let Ok(ind) = Indicator::parse(K::Url, &url) {
                round_trips(&ind)?;
                prop_assert_eq!(guess_kind(&url), Some(K::Url));
            }
        }

        #[test]
        fn parse_never_panics(kind in prop::sample::select(K::ALL.to_vec()), text in "\\PC{0,80}") {
            if let Ok(ind) = Indicator::parse(kind, &text) {
                round_trips(&ind)?;
            }
        }
    }
}
