//! MISP interchange: items as MISP events and MISP feeds, and MISP events as drafts.
//!
//! **Export** starts from an [`ItemView`], so the policy view has already removed what
//! the recipient may not see; this module adds nothing the view does not hold. The
//! event's creator ([`COUNCIL_ORG_NAME`]) is always the council, never the provider,
//! even for [`Audience::Full`](crate::view::Audience::Full); a victim appears at most
//! as a sector tag. [`event`] builds `{"Event": {…}}`, and [`manifest_entry`] and
//! [`hashes_lines`] the per-event parts of a feed's `manifest.json` and `hashes.csv`.
//!
//! | council | MISP attribute (category) |
//! |---|---|
//! | `ipv4`, `ipv6`, `cidr` | `ip-dst` (Network activity) |
//! | `domain` | `domain` (Network activity) |
//! | `url` | `url` (Network activity) |
//! | `email` | `email-src` (Payload delivery) |
//! | `email_subject` | `email-subject` (Payload delivery) |
//! | `md5`, `sha1`, `sha256` | same name (Payload delivery) |
//! | CVE | `vulnerability` (External analysis) |
//! | texts, products | `text` (Other), the comment names the part |
//! | technique | tag `misp-galaxy:mitre-attack-pattern="T1566 - T1566"` |
//! | TLP | tag `tlp:clear` … `tlp:red` |
//!
//! **Import** ([`parse_event`], [`parse_events`], [`parse_manifest`]) turns MISP JSON
//! into [`ImportedItem`]s, which the caller turns into [`ItemDraft`]s with the scope it
//! chooses. Every value goes through the council's parsers; the first bad one is
//! reported with its place, type and value, e.g. `Event.Attribute[3] (ip-dst
//! "999.1.1.1"): not an IPv4/IPv6 address`. Attributes with no council counterpart are
//! listed in [`ImportedEvent::skipped`] with the reason.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{Map, Value, json};
use time::UtcOffset;
use uuid::Uuid;

use crate::DomainError;
use crate::indicator::{CveId, Indicator, IndicatorKind, TechniqueId, Tlp};
use crate::item::{
    Confidence, ItemDraft, ItemKind, ItemStatus, MAX_INDICATORS, MAX_REFERENCES, MAX_TEXT,
    MAX_TITLE, RawIndicator, Victim,
};
use crate::member::{MemberClass, Sector};
use crate::scope::Scope;
use crate::view::ItemView;

/// The namespace of every UUIDv5 this module derives (event and attribute uuids), so
/// the same item always becomes the same MISP event.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x5e7c_a1a5_3f0e_4c4b_9d5e_7473_756e_6167);
/// The organisation every exported event names as its creator (`Orgc`).
pub const COUNCIL_ORG_NAME: &str = "tsunagu council";
/// The fixed uuid of [`COUNCIL_ORG_NAME`].
pub const COUNCIL_ORG_UUID: Uuid = Uuid::from_u128(0x0c0f_fee0_7a5a_4e11_8b1d_636f_756e_6369);

/// Machine-tag namespace of the council's own tags (kind, confidence, victim sector,
/// status), which [`parse_event`] reads back.
const TAG_NS: &str = "tsunagu";
/// Galaxy tag prefix of ATT&CK techniques.
const ATTACK_TAG: &str = "misp-galaxy:mitre-attack-pattern";

/// The comments of the `text` attributes that carry an item's texts.
const EXECUTIVE: &str = "Executive context";
const TECHNICAL: &str = "Technical details";
const COUNTERMEASURES: &str = "Countermeasures";
const PRODUCTS: &str = "Affected products";

// ---------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------

/// The MISP event uuid of the item `view` shows: the item's own id, the same for every
/// viewer and revision (members who see the event already see the item's id), so a
/// feed serves `<uuid>.json` by a direct lookup.
#[must_use]
pub fn event_uuid(view: &ItemView) -> Uuid {
    view.id.as_uuid()
}

/// The MISP type and category of an indicator.
fn misp_type(kind: IndicatorKind) -> (&'static str, &'static str) {
    const NET: &str = "Network activity";
    const PAYLOAD: &str = "Payload delivery";
    match kind {
        // MISP accepts CIDR ranges in ip-dst.
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr => ("ip-dst", NET),
        IndicatorKind::Domain => ("domain", NET),
        IndicatorKind::Url => ("url", NET),
        IndicatorKind::Email => ("email-src", PAYLOAD),
        IndicatorKind::EmailSubject => ("email-subject", PAYLOAD),
        IndicatorKind::Md5 => ("md5", PAYLOAD),
        IndicatorKind::Sha1 => ("sha1", PAYLOAD),
        IndicatorKind::Sha256 => ("sha256", PAYLOAD),
    }
}

/// `"2"` (completed) for confirmed items, `"1"` (ongoing) otherwise.
fn analysis(view: &ItemView) -> &'static str {
    if view.confidence == Confidence::Confirmed {
        "2"
    } else {
        "1"
    }
}

/// MISP's threat level (1 high, 2 medium, 3 low, 4 undefined): threat information
/// and analyses by confidence; countermeasures and best practices carry no threat.
fn threat_level(view: &ItemView) -> &'static str {
    match (view.kind, view.confidence) {
        (ItemKind::Countermeasure | ItemKind::BestPractice, _) => "4",
        (_, Confidence::Confirmed) => "1",
        (_, Confidence::Probable) => "2",
        (_, Confidence::Unconfirmed) => "3",
    }
}

/// The event's tags: TLP, techniques, and the council's own machine tags.
fn tags(view: &ItemView) -> Vec<String> {
    let mut tags = vec![format!("tlp:{}", view.tlp.as_str())];
    tags.extend(
        view.techniques
            .iter()
            .map(|t| format!("{ATTACK_TAG}=\"{t} - {t}\"")),
    );
    tags.push(format!("{TAG_NS}:kind=\"{}\"", view.kind.as_str()));
    tags.push(format!(
        "{TAG_NS}:confidence=\"{}\"",
        view.confidence.as_str()
    ));
    if let Some(sector) = view.victim.as_ref().and_then(|v| v.sector) {
        tags.push(format!("{TAG_NS}:victim-sector=\"{}\"", sector.as_str()));
    }
    if view.status == ItemStatus::Retracted {
        tags.push(format!("{TAG_NS}:status=\"retracted\""));
    }
    tags
}

/// One exported attribute before it becomes JSON.
struct Attr {
    /// Names the attribute within the event, for its UUIDv5.
    key: String,
    kind: &'static str,
    category: &'static str,
    value: String,
    to_ids: bool,
    comment: &'static str,
}

/// Every attribute of the event, in a fixed order: indicators, CVEs, texts.
fn attributes(view: &ItemView) -> Vec<Attr> {
    // A retracted item stays visible as such, but no longer drives detection.
    let live = view.status != ItemStatus::Retracted;
    let mut out = Vec::new();
    for i in &view.indicators {
        let (kind, category) = misp_type(i.kind());
        out.push(Attr {
            key: format!("indicator:{}:{}", i.kind(), i.value()),
            kind,
            category,
            value: i.value().to_owned(),
            to_ids: live,
            comment: "",
        });
    }
    for c in &view.cves {
        out.push(Attr {
            key: format!("cve:{c}"),
            kind: "vulnerability",
            category: "External analysis",
            value: c.to_string(),
            to_ids: false,
            comment: "",
        });
    }
    let products = view
        .products
        .iter()
        .map(|p| {
            let mut line = format!("{} {}", p.vendor, p.product);
            if !p.version.is_empty() {
                line = format!("{line} {}", p.version);
            }
            match &p.cpe {
                Some(cpe) => format!("{line} ({cpe})"),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let texts = [
        (EXECUTIVE, view.executive_context.as_str()),
        (TECHNICAL, view.technical_details.as_deref().unwrap_or("")),
        (COUNTERMEASURES, view.countermeasures.as_str()),
        (PRODUCTS, products.as_str()),
    ];
    for (comment, text) in texts {
        if !text.trim().is_empty() {
            out.push(Attr {
                key: format!("text:{comment}"),
                kind: "text",
                category: "Other",
                value: text.to_owned(),
                to_ids: false,
                comment,
            });
        }
    }
    out
}

/// The item `view` shows as a MISP event, `{"Event": {…}}`.
///
/// - `uuid` is [`event_uuid`]; attribute uuids are UUIDv5s of the attribute's type
///   and value (texts: of their part) in the event uuid, so they are stable across
///   revisions.
/// - `info` is the title, prefixed `[RETRACTED] ` for a retracted item, whose
///   attributes also lose `to_ids`.
/// - `date` is the day it was shared (UTC); `timestamp` and `publish_timestamp` are
///   when it last changed (every revision is shared, that is published, at once), in
///   unix seconds as strings.
/// - `distribution` is `"0"` (this organisation only): what a receiving MISP may pass
///   on is governed by the TLP tag and the council's rules, so the event must not be
///   synchronised onwards by MISP itself. Attributes inherit it (`"5"`).
/// - `Orgc` is the council, never the provider.
#[must_use]
pub fn event(view: &ItemView) -> Value {
    let uuid = event_uuid(view);
    let timestamp = view.updated_at.unix_timestamp().to_string();
    let attributes: Vec<Value> = attributes(view)
        .into_iter()
        .map(|a| {
            json!({
                "uuid": Uuid::new_v5(&uuid, a.key.as_bytes()).to_string(),
                "type": a.kind,
                "category": a.category,
                "value": a.value,
                "to_ids": a.to_ids,
                "comment": a.comment,
                "timestamp": timestamp,
                "distribution": "5",
                "disable_correlation": false,
            })
        })
        .collect();
    json!({
        "Event": {
            "uuid": uuid.to_string(),
            "info": info(view),
            "date": date(view),
            "timestamp": timestamp,
            "publish_timestamp": timestamp,
            "published": true,
            "analysis": analysis(view),
            "threat_level_id": threat_level(view),
            "distribution": "0",
            "Orgc": org(),
            "Tag": tag_objects(view),
            "Attribute": attributes,
        }
    })
}

fn info(view: &ItemView) -> String {
    match view.status {
        ItemStatus::Shared => view.title.clone(),
        ItemStatus::Retracted => format!("[RETRACTED] {}", view.title),
    }
}

fn date(view: &ItemView) -> String {
    view.created_at.to_offset(UtcOffset::UTC).date().to_string()
}

fn org() -> Value {
    json!({"name": COUNCIL_ORG_NAME, "uuid": COUNCIL_ORG_UUID.to_string()})
}

fn tag_objects(view: &ItemView) -> Vec<Value> {
    tags(view)
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect()
}

/// The entry of the item `view` shows in a feed's `manifest.json`: the event uuid and
/// `{info, date, analysis, threat_level_id, timestamp, Orgc, Tag}` as in [`event`].
#[must_use]
pub fn manifest_entry(view: &ItemView) -> (String, Value) {
    let entry = json!({
        "info": info(view),
        "date": date(view),
        "analysis": analysis(view),
        "threat_level_id": threat_level(view),
        "timestamp": view.updated_at.unix_timestamp().to_string(),
        "Orgc": org(),
        "Tag": tag_objects(view),
    });
    (event_uuid(view).to_string(), entry)
}

/// The lines of the item `view` shows in a feed's `hashes.csv`: for every attribute of
/// [`event`], `<md5 of the value in hex>,<event uuid>`.
#[must_use]
pub fn hashes_lines(view: &ItemView) -> Vec<String> {
    let uuid = event_uuid(view);
    attributes(view)
        .iter()
        .map(|a| format!("{},{uuid}", md5_hex(a.value.as_bytes())))
        .collect()
}

/// MD5 (RFC 1321) in lower-case hex. Used only for the lookup keys of `hashes.csv`,
/// which MISP defines as MD5; never for anything that needs collision resistance.
fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

// ---------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------

/// MISP input that cannot be imported. Each message says what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MispError {
    /// The input is not JSON at all.
    #[error("not JSON: {message}")]
    Json {
        /// serde_json's message, with the line and column.
        message: String,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
    },
    /// The JSON is not a MISP event (or response, or manifest): a key is missing or has
    /// the wrong shape.
    #[error("not a MISP {what}: {reason}")]
    Shape {
        /// `event` or `feed manifest`.
        what: &'static str,
        /// Which key is missing or wrong, e.g. `Event.info is missing`.
        reason: String,
    },
    /// An attribute's value is not valid for its type.
    #[error("{at} ({kind} {value:?}): {reason}")]
    Attribute {
        /// Where, e.g. `Event.Object[1].Attribute[0]`.
        at: String,
        /// The MISP type, e.g. `ip-dst`.
        kind: String,
        /// The value (at most its first 200 characters).
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

fn shape(reason: impl Into<String>) -> MispError {
    MispError::Shape {
        what: "event",
        reason: reason.into(),
    }
}

/// An item built from (part of) a MISP event: everything an [`ItemDraft`] needs but
/// the scope. See [`ImportedItem::into_draft`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedItem {
    /// `threat_information` for MISP analysis `2` (completed), `analysis` for `0`, `1`
    /// or none, unless the event carries a `tsunagu:kind` tag.
    pub kind: ItemKind,
    /// The event's `info`, cut to [`MAX_TITLE`] characters; `(part i/n)` is appended
    /// when the event was split.
    pub title: String,
    /// The `text` and `comment` attributes (those exported as executive context, or
    /// of unknown role).
    pub executive_context: String,
    /// The `text` attributes exported as technical details or affected products.
    pub technical_details: String,
    /// The `text` attributes exported as countermeasures.
    pub countermeasures: String,
    /// The victim's sector, from a `tsunagu:victim-sector` tag.
    pub victim_sector: Option<Sector>,
    /// Indicators, without duplicates, at most [`MAX_INDICATORS`].
    pub indicators: Vec<Indicator>,
    /// ATT&CK techniques from galaxy tags and clusters, without duplicates.
    pub techniques: Vec<TechniqueId>,
    /// CVEs from `vulnerability` attributes, without duplicates.
    pub cves: Vec<CveId>,
    /// From a `tsunagu:confidence` tag, else probable for completed events and
    /// unconfirmed for others.
    pub confidence: Confidence,
    /// The most restrictive `tlp:*` tag on the event or its attributes; amber if none.
    pub tlp: Tlp,
}

impl ImportedItem {
    /// The draft to share this item to `scope` (for instance [`task_force_scope`]).
    /// Indicators, techniques and CVEs are already valid and texts within bounds, so
    /// [`ItemDraft::parse`] fails only on the scope.
    #[must_use]
    pub fn into_draft(self, scope: Scope) -> ItemDraft {
        ItemDraft {
            kind: self.kind,
            title: self.title,
            executive_context: self.executive_context,
            technical_details: self.technical_details,
            countermeasures: self.countermeasures,
            victim: self.victim_sector.map(|sector| Victim {
                name: None,
                sector: Some(sector),
                damaged: false,
                damage_details: String::new(),
            }),
            indicators: self
                .indicators
                .iter()
                .map(|i| RawIndicator {
                    kind: i.kind().as_str().to_owned(),
                    value: i.value().to_owned(),
                })
                .collect(),
            techniques: self.techniques.into_iter().map(String::from).collect(),
            cves: self.cves.into_iter().map(String::from).collect(),
            products: Vec::new(),
            confidence: self.confidence,
            tlp: self.tlp,
            scope,
            show_provider_sector: false,
            clearance: None,
        }
    }
}

/// The default scope of imported items: class 1 and class 2, the task force's classes
/// (an unconfirmed item is further limited to the task force by the policy view).
#[must_use]
pub fn task_force_scope() -> Scope {
    Scope {
        classes: [MemberClass::Class1, MemberClass::Class2].into(),
        ..Scope::default()
    }
}

/// A MISP event as the council can take it in.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    /// The event's uuid (lower-case).
    pub uuid: String,
    /// The event's `timestamp` (unix seconds), to tell whether it changed since the
    /// last import.
    pub timestamp: Option<i64>,
    /// One item, or several when the event has more than [`MAX_INDICATORS`]
    /// indicators (each part carries the texts, techniques and CVEs).
    pub items: Vec<ImportedItem>,
    /// The attributes that were not taken, as (`where (type "value")`, reason).
    pub skipped: Vec<(String, String)>,
}

fn parse_json(json: &str) -> Result<Value, MispError> {
    serde_json::from_str(json).map_err(|e| MispError::Json {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })
}

/// Parses one MISP event: `{"Event": {…}}`, a bare event object (with `info` or
/// `Attribute`), or a REST response `{"response": [{"Event": {…}}]}` holding exactly
/// one event.
///
/// # Errors
/// [`MispError`] when the input is not JSON, not an event (naming the missing key), or
/// holds an attribute whose value is invalid for its type (naming the attribute).
pub fn parse_event(json: &str) -> Result<ImportedEvent, MispError> {
    let root = parse_json(json)?;
    if let Some(response) = root.get("response") {
        let list = response
            .as_array()
            .ok_or_else(|| shape("response is not an array"))?;
        return match list.as_slice() {
            [one] => import_wrapped(one, "response[0]."),
            _ => Err(shape(format!(
                "response holds {} events; use parse_events",
                list.len()
            ))),
        };
    }
    import_wrapped(&root, "")
}

/// Parses several MISP events: a REST search response `{"response": [{"Event": …},
/// …]}`, a JSON array of events, or a single event as for [`parse_event`].
///
/// # Errors
/// As [`parse_event`], for the first bad event, named by its index
/// (`response[2].Event.info is missing`).
pub fn parse_events(json: &str) -> Result<Vec<ImportedEvent>, MispError> {
    let root = parse_json(json)?;
    let (list, name) = match &root {
        Value::Array(list) => (list, ""),
        Value::Object(o) => match o.get("response") {
            Some(Value::Array(list)) => (list, "response"),
            Some(_) => return Err(shape("response is not an array")),
            None => return import_wrapped(&root, "").map(|e| vec![e]),
        },
        _ => return Err(shape("expected an object or an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, e)| import_wrapped(e, &format!("{name}[{i}].")))
        .collect()
}

/// Unwraps `{"Event": {…}}` or takes a bare event, then imports it. `prefix` names
/// where `value` is, ending in `.` unless empty.
fn import_wrapped(value: &Value, prefix: &str) -> Result<ImportedEvent, MispError> {
    let whole = if prefix.is_empty() {
        "the document".to_owned()
    } else {
        prefix.trim_end_matches('.').to_owned()
    };
    let object = value
        .as_object()
        .ok_or_else(|| shape(format!("{whole} is not a JSON object")))?;
    match object.get("Event") {
        Some(Value::Object(event)) => import(event, &format!("{prefix}Event")),
        Some(_) => Err(shape(format!("{prefix}Event is not an object"))),
        None if object.contains_key("info") || object.contains_key("Attribute") => {
            import(object, prefix.trim_end_matches('.'))
        }
        None => Err(shape(format!(
            "{whole} has no \"Event\" key (nor \"info\" or \"Attribute\" of a bare event)"
        ))),
    }
}

/// `path.key`, or `key` at the top.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A string field, also accepting numbers (MISP writes ids and enums either way).
fn text_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An optional array field: absent or null is empty; anything else must be an array.
fn array_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a [Value], MispError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(list)) => Ok(list),
        Some(_) => Err(shape(format!("{} is not an array", join(path, key)))),
    }
}

/// MISP booleans: `true`, `1`, `"1"`, `"true"`.
fn truthy(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// At most the first 200 characters of `s`, to quote it in a message.
fn clip(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// What an error of the core's parsers says, without its field name.
fn reason(e: DomainError) -> String {
    match e {
        DomainError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Text made fit for an item: CR LF and CR become LF, other control characters but
/// tab become spaces, trimmed, at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    let s = s.replace("\r\n", "\n");
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.trim().chars().take(max).collect::<String>()
}

/// The value of a machine tag `namespace:predicate="value"` (quotes optional).
fn machine_tag<'a>(tag: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = tag.trim().strip_prefix(prefix)?.strip_prefix('=')?;
    Some(
        rest.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(rest),
    )
}

/// Which part of an item a `text`/`comment` attribute carries.
#[derive(Clone, Copy)]
enum Part {
    Executive,
    Technical,
    Countermeasures,
}

/// What the attributes and tags of one event add up to.
#[derive(Default)]
struct Collected {
    indicators: Vec<Indicator>,
    seen: BTreeSet<Indicator>,
    cves: Vec<CveId>,
    techniques: Vec<TechniqueId>,
    executive: Vec<String>,
    technical: Vec<String>,
    countermeasures: Vec<String>,
    tlp: Option<Tlp>,
    kind: Option<ItemKind>,
    confidence: Option<Confidence>,
    victim_sector: Option<Sector>,
    skipped: Vec<(String, String)>,
}

/// How one MISP attribute type maps to the council.
enum Mapping {
    /// The value is an IP address or CIDR range.
    Ip,
    /// The value is of this indicator kind.
    Kind(IndicatorKind),
    /// `domain|ip`: both.
    DomainIp,
    /// A CVE.
    Vulnerability,
    /// Text for the item.
    Text,
}

fn mapping(misp_type: &str) -> Option<Mapping> {
    use IndicatorKind as K;
    Some(match misp_type {
        "ip-src" | "ip-dst" | "ip-src|port" | "ip-dst|port" => Mapping::Ip,
        "domain" | "hostname" | "hostname|port" => Mapping::Kind(K::Domain),
        "domain|ip" => Mapping::DomainIp,
        "url" => Mapping::Kind(K::Url),
        "email" | "email-src" | "email-dst" | "email-reply-to" => Mapping::Kind(K::Email),
        "email-subject" => Mapping::Kind(K::EmailSubject),
        "md5" | "filename|md5" | "malware-sample" => Mapping::Kind(K::Md5),
        "sha1" | "filename|sha1" => Mapping::Kind(K::Sha1),
        "sha256" | "filename|sha256" => Mapping::Kind(K::Sha256),
        "vulnerability" => Mapping::Vulnerability,
        "text" | "comment" => Mapping::Text,
        _ => return None,
    })
}

/// An IP address (IPv4 or IPv6) or, with a `/`, a CIDR range.
fn ip_indicator(value: &str) -> Result<Indicator, String> {
    let v = value.trim();
    let kind = if v.contains('/') {
        IndicatorKind::Cidr
    } else {
        match v.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => IndicatorKind::Ipv4,
            Ok(IpAddr::V6(_)) => IndicatorKind::Ipv6,
            Err(_) => return Err("not an IPv4/IPv6 address".to_owned()),
        }
    };
    Indicator::parse(kind, v).map_err(|e| e.reason)
}

impl Collected {
    fn add_indicator(&mut self, indicator: Indicator) {
        if self.seen.insert(indicator.clone()) {
            self.indicators.push(indicator);
        }
    }

    fn add_technique(&mut self, id: TechniqueId) {
        if !self.techniques.contains(&id) {
            self.techniques.push(id);
        }
    }

    /// Reads a tag name: TLP, ATT&CK technique, or one of the council's own tags.
    fn tag(&mut self, name: &str) {
        let name = name.trim();
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("tlp:") {
            if let Some(tlp) = Tlp::parse(name) {
                self.tlp = Some(self.tlp.map_or(tlp, |t| t.max(tlp)));
            }
        } else if lower.starts_with("misp-galaxy:mitre-") {
            let id = name
                .split_once('=')
                .map(|(_, v)| v.trim().trim_matches('"'))
                .and_then(|v| v.rsplit_once(" - "))
                .and_then(|(_, id)| TechniqueId::parse(id).ok());
            if let Some(id) = id {
                self.add_technique(id);
            }
        } else if let Some(kind) = machine_tag(name, "tsunagu:kind") {
            self.kind = ItemKind::parse(kind).or(self.kind);
        } else if let Some(c) = machine_tag(name, "tsunagu:confidence") {
            self.confidence = Confidence::parse(c).or(self.confidence);
        } else if let Some(s) = machine_tag(name, "tsunagu:victim-sector") {
            self.victim_sector = Sector::parse(s).or(self.victim_sector);
        }
    }

    /// Reads `Tag[]` of an event or attribute.
    fn tags(&mut self, object: &Map<String, Value>, path: &str) -> Result<(), MispError> {
        for (i, tag) in array_field(object, "Tag", path)?.iter().enumerate() {
            let name = match tag {
                Value::String(s) => Some(s.as_str()),
                Value::Object(o) => o.get("name").and_then(Value::as_str),
                _ => None,
            };
            let name =
                name.ok_or_else(|| shape(format!("{}[{i}].name is missing", join(path, "Tag"))))?;
            self.tag(name);
        }
        Ok(())
    }

    /// Reads `Galaxy[].GalaxyCluster[]`: techniques from `meta.external_id` and
    /// `tag_name`.
    fn galaxies(&mut self, object: &Map<String, Value>, path: &str) -> Result<(), MispError> {
        for (g, galaxy) in array_field(object, "Galaxy", path)?.iter().enumerate() {
            let galaxy_path = format!("{}[{g}]", join(path, "Galaxy"));
            let Some(galaxy) = galaxy.as_object() else {
                return Err(shape(format!("{galaxy_path} is not an object")));
            };
            for cluster in array_field(galaxy, "GalaxyCluster", &galaxy_path)? {
                let ids = match cluster.pointer("/meta/external_id") {
                    Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).collect(),
                    Some(Value::String(id)) => vec![id.as_str()],
                    _ => Vec::new(),
                };
                for id in ids {
                    if let Ok(id) = TechniqueId::parse(id) {
                        self.add_technique(id);
                    }
                }
                if let Some(tag) = cluster.get("tag_name").and_then(Value::as_str) {
                    self.tag(tag);
                }
            }
        }
        Ok(())
    }

    /// Reads one attribute at `at` (e.g. `Event.Attribute[3]`).
    fn attribute(&mut self, attribute: &Value, at: &str) -> Result<(), MispError> {
        let object = attribute
            .as_object()
            .ok_or_else(|| shape(format!("{at} is not an object")))?;
        let misp_type =
            text_field(object, "type").ok_or_else(|| shape(format!("{at}.type is missing")))?;
        let value = text_field(object, "value")
            .ok_or_else(|| shape(format!("{at}.value is missing ({misp_type})")))?;
        let here = || format!("{at} ({misp_type} {:?})", clip(&value));
        let bad = |reason: String| MispError::Attribute {
            at: at.to_owned(),
            kind: misp_type.clone(),
            value: clip(&value),
            reason,
        };
        if truthy(object.get("deleted")) == Some(true) {
            self.skipped.push((here(), "deleted".to_owned()));
            return Ok(());
        }
        self.tags(object, at)?;
        self.galaxies(object, at)?;
        let Some(mapping) = mapping(&misp_type) else {
            self.skipped.push((
                here(),
                format!("MISP type {misp_type} has no council counterpart"),
            ));
            return Ok(());
        };
        let for_detection = truthy(object.get("to_ids")).unwrap_or(true);
        match mapping {
            Mapping::Text => {
                let comment = text_field(object, "comment").unwrap_or_default();
                let part = match comment.trim().to_ascii_lowercase().as_str() {
                    c if c == TECHNICAL.to_ascii_lowercase() => Part::Technical,
                    c if c == PRODUCTS.to_ascii_lowercase() => Part::Technical,
                    c if c == COUNTERMEASURES.to_ascii_lowercase() => Part::Countermeasures,
                    _ => Part::Executive,
                };
                let text = value.trim().to_owned();
                if !text.is_empty() {
                    match part {
                        Part::Executive => self.executive.push(text),
                        Part::Technical => self.technical.push(text),
                        Part::Countermeasures => self.countermeasures.push(text),
                    }
                }
            }
            Mapping::Vulnerability => {
                if value.trim().to_ascii_uppercase().starts_with("CVE-") {
                    let cve = CveId::parse(&value).map_err(|e| bad(reason(e)))?;
                    if !self.cves.contains(&cve) {
                        self.cves.push(cve);
                    }
                } else {
                    self.skipped.push((here(), "not a CVE id".to_owned()));
                }
            }
            _ if !for_detection => {
                self.skipped.push((
                    here(),
                    "to_ids is false: context, not meant for detection".to_owned(),
                ));
            }
            Mapping::Ip => {
                // `ip-dst|port`: the address is before the `|`.
                let ip = value.split_once('|').map_or(value.as_str(), |(ip, _)| ip);
                self.add_indicator(ip_indicator(ip).map_err(bad)?);
            }
            Mapping::DomainIp => {
                let (domain, ip) = value
                    .split_once('|')
                    .ok_or_else(|| bad("expected domain|ip".to_owned()))?;
                let domain =
                    Indicator::parse(IndicatorKind::Domain, domain).map_err(|e| bad(e.reason))?;
                let ip = ip_indicator(ip).map_err(bad)?;
                self.add_indicator(domain);
                self.add_indicator(ip);
            }
            Mapping::Kind(kind) => {
                let part = match (kind, misp_type.as_str()) {
                    // `filename|md5`: the hash is after the last `|`.
                    (IndicatorKind::Md5 | IndicatorKind::Sha1 | IndicatorKind::Sha256, _) => {
                        value.rsplit_once('|').map_or(value.as_str(), |(_, h)| h)
                    }
                    (_, "hostname|port") => {
                        value.split_once('|').map_or(value.as_str(), |(h, _)| h)
                    }
                    _ => value.as_str(),
                };
                self.add_indicator(Indicator::parse(kind, part).map_err(|e| bad(e.reason))?);
            }
        }
        Ok(())
    }
}

/// Imports the event object found at `path`.
fn import(event: &Map<String, Value>, path: &str) -> Result<ImportedEvent, MispError> {
    let info = match event.get("info") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(shape(format!("{} is not a string", join(path, "info")))),
        None => return Err(shape(format!("{} is missing", join(path, "info")))),
    };
    let uuid_text = text_field(event, "uuid")
        .ok_or_else(|| shape(format!("{} is missing", join(path, "uuid"))))?;
    let uuid = Uuid::parse_str(uuid_text.trim()).map_err(|_| {
        shape(format!(
            "{} {:?} is not a UUID",
            join(path, "uuid"),
            clip(&uuid_text)
        ))
    })?;
    let analysis = text_field(event, "analysis");
    let timestamp = text_field(event, "timestamp").and_then(|t| t.trim().parse().ok());

    let mut c = Collected::default();
    c.tags(event, path)?;
    c.galaxies(event, path)?;
    let attribute_path = join(path, "Attribute");
    for (i, attribute) in array_field(event, "Attribute", path)?.iter().enumerate() {
        c.attribute(attribute, &format!("{attribute_path}[{i}]"))?;
    }
    let object_path = join(path, "Object");
    for (o, object) in array_field(event, "Object", path)?.iter().enumerate() {
        let here = format!("{object_path}[{o}]");
        let object = object
            .as_object()
            .ok_or_else(|| shape(format!("{here} is not an object")))?;
        if truthy(object.get("deleted")) == Some(true) {
            continue;
        }
        for (i, attribute) in array_field(object, "Attribute", &here)?.iter().enumerate() {
            c.attribute(attribute, &format!("{here}.Attribute[{i}]"))?;
        }
    }

    let completed = analysis.as_deref().map(str::trim) == Some("2");
    let kind = c.kind.unwrap_or(if completed {
        ItemKind::ThreatInformation
    } else {
        ItemKind::Analysis
    });
    let confidence = c.confidence.unwrap_or(if completed {
        Confidence::Probable
    } else {
        Confidence::Unconfirmed
    });
    let mut techniques = c.techniques;
    for t in techniques.drain(MAX_REFERENCES.min(techniques.len())..) {
        c.skipped.push((
            format!("technique {t}"),
            format!("more than {MAX_REFERENCES} techniques"),
        ));
    }
    let mut cves = c.cves;
    for cve in cves.drain(MAX_REFERENCES.min(cves.len())..) {
        c.skipped.push((
            format!("vulnerability {cve}"),
            format!("more than {MAX_REFERENCES} CVEs"),
        ));
    }
    let title = clean(&info, MAX_TITLE);
    let title = if title.is_empty() {
        format!("MISP event {uuid}")
    } else {
        title
    };
    let chunks: Vec<&[Indicator]> = if c.indicators.is_empty() {
        vec![&[]]
    } else {
        c.indicators.chunks(MAX_INDICATORS).collect()
    };
    let parts = chunks.len();
    let items = chunks
        .into_iter()
        .enumerate()
        .map(|(i, indicators)| ImportedItem {
            kind,
            title: part_title(&title, i, parts),
            executive_context: clean(&c.executive.join("\n\n"), MAX_TEXT),
            technical_details: clean(&c.technical.join("\n\n"), MAX_TEXT),
            countermeasures: clean(&c.countermeasures.join("\n\n"), MAX_TEXT),
            victim_sector: c.victim_sector,
            indicators: indicators.to_vec(),
            techniques: techniques.clone(),
            cves: cves.clone(),
            confidence,
            tlp: c.tlp.unwrap_or(Tlp::Amber),
        })
        .collect();
    Ok(ImportedEvent {
        uuid: uuid.to_string(),
        timestamp,
        items,
        skipped: c.skipped,
    })
}

/// `title`, with ` (part i/n)` when the event was split, within [`MAX_TITLE`].
fn part_title(title: &str, i: usize, parts: usize) -> String {
    if parts == 1 {
        return title.to_owned();
    }
    let suffix = format!(" (part {}/{parts})", i + 1);
    let keep = MAX_TITLE.saturating_sub(suffix.chars().count());
    let base: String = title.chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end())
}

/// The event uuids a feed's `manifest.json` lists (`{"<uuid>": {…}, …}`), lower-case
/// and sorted.
///
/// # Errors
/// [`MispError`] when the input is not JSON, not an object, a key is not a UUID or an
/// entry is not an object.
pub fn parse_manifest(json: &str) -> Result<Vec<String>, MispError> {
    let bad = |reason: String| MispError::Shape {
        what: "feed manifest",
        reason,
    };
    let root = parse_json(json)?;
    let object = root
        .as_object()
        .ok_or_else(|| bad("expected an object keyed by event uuid".to_owned()))?;
    let mut uuids = object
        .iter()
        .map(|(key, entry)| {
            let uuid = Uuid::parse_str(key)
                .map_err(|_| bad(format!("key {:?} is not an event uuid", clip(key))))?;
            if !entry.is_object() {
                return Err(bad(format!("the entry of {key} is not an object")));
            }
            Ok(uuid.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    uuids.sort();
    uuids.dedup();
    Ok(uuids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId};
    use crate::item::Product;
    use crate::view::{Audience, VIA, VictimView};
    use time::OffsetDateTime;

    fn ind(kind: IndicatorKind, value: &str) -> Indicator {
        Indicator::parse(kind, value).unwrap()
    }

    fn sample() -> ItemView {
        use IndicatorKind as K;
        ItemView {
            id: ItemId::from(Uuid::from_u128(42)),
            kind: ItemKind::ThreatInformation,
            title: "Ransomware spreads over SMB".into(),
            executive_context: "Business systems stop.".into(),
            technical_details: Some("EternalBlue, then PsExec.".into()),
            countermeasures: "Patch MS17-010.".into(),
            victim: Some(VictimView {
                name: Some("VICTIM-NAME-SECRET".into()),
                sector: Some(Sector::Medical),
                damaged: true,
                damage_details: Some("DAMAGE-SECRET".into()),
            }),
            indicators: vec![
                ind(K::Ipv4, "192.0.2.1"),
                ind(K::Ipv6, "2001:db8::1"),
                ind(K::Cidr, "198.51.100.0/24"),
                ind(K::Domain, "evil.example"),
                ind(K::Url, "http://evil.example/a"),
                ind(K::Email, "phish@evil.example"),
                ind(K::EmailSubject, "Invoice overdue"),
                ind(K::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
                ind(K::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
                ind(
                    K::Sha256,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ),
            ],
            techniques: vec![
                TechniqueId::parse("T1210").unwrap(),
                TechniqueId::parse("T1566.001").unwrap(),
            ],
            cves: vec![CveId::parse("CVE-2017-0144").unwrap()],
            products: vec![Product {
                vendor: "Microsoft".into(),
                product: "Windows".into(),
                version: "7".into(),
                cpe: None,
            }],
            confidence: Confidence::Confirmed,
            tlp: Tlp::Green,
            status: ItemStatus::Shared,
            revision: 3,
            created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            updated_at: OffsetDateTime::from_unix_timestamp(1_700_086_400).unwrap(),
            via: VIA,
            provider_sector: Some(Sector::Finance),
            provider: Some(MemberId::from(Uuid::from_u128(0xdead_beef))),
            scope: Some(task_force_scope()),
            clearance: None,
            tearline: None,
            source: None,
            audience: Audience::Full,
        }
    }

    fn attrs(event: &Value) -> &Vec<Value> {
        event["Event"]["Attribute"].as_array().unwrap()
    }

    fn tag_names(event: &Value) -> Vec<String> {
        event["Event"]["Tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn md5_matches_rfc_1321() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(md5_hex(input.as_bytes()), digest, "{input:?}");
        }
    }

    #[test]
    fn event_header() {
        let v = sample();
        let e = event(&v);
        let ev = &e["Event"];
        assert_eq!(ev["uuid"], event_uuid(&v).to_string());
        assert_eq!(event_uuid(&v), event_uuid(&sample()), "deterministic");
        assert_eq!(event_uuid(&v), v.id.as_uuid(), "the item's own id");
        assert_eq!(ev["info"], "Ransomware spreads over SMB");
        assert_eq!(ev["date"], "2023-11-14");
        assert_eq!(ev["timestamp"], "1700086400");
        assert_eq!(ev["publish_timestamp"], "1700086400");
        assert_eq!(ev["published"], true);
        assert_eq!(ev["analysis"], "2");
        assert_eq!(ev["threat_level_id"], "1");
        assert_eq!(ev["distribution"], "0");
        assert_eq!(
            ev["Orgc"],
            json!({"name": "tsunagu council", "uuid": COUNCIL_ORG_UUID.to_string()})
        );
    }

    #[test]
    fn analysis_and_threat_level() {
        let mut v = sample();
        for (kind, confidence, analysis, level) in [
            (ItemKind::ThreatInformation, Confidence::Confirmed, "2", "1"),
            (ItemKind::Analysis, Confidence::Probable, "1", "2"),
            (ItemKind::Analysis, Confidence::Unconfirmed, "1", "3"),
            (ItemKind::Countermeasure, Confidence::Confirmed, "2", "4"),
            (ItemKind::BestPractice, Confidence::Probable, "1", "4"),
        ] {
            v.kind = kind;
            v.confidence = confidence;
            let e = event(&v);
            assert_eq!(e["Event"]["analysis"], analysis, "{kind:?} {confidence:?}");
            assert_eq!(
                e["Event"]["threat_level_id"], level,
                "{kind:?} {confidence:?}"
            );
        }
    }

    #[test]
    fn attributes_have_misp_types() {
        let v = sample();
        let e = event(&v);
        let got: Vec<(&str, &str, &str, bool)> = attrs(&e)
            .iter()
            .map(|a| {
                (
                    a["type"].as_str().unwrap(),
                    a["category"].as_str().unwrap(),
                    a["value"].as_str().unwrap(),
                    a["to_ids"].as_bool().unwrap(),
                )
            })
            .collect();
        let net = "Network activity";
        let pay = "Payload delivery";
        assert_eq!(
            got[..10],
            [
                ("ip-dst", net, "192.0.2.1", true),
                ("ip-dst", net, "2001:db8::1", true),
                ("ip-dst", net, "198.51.100.0/24", true),
                ("domain", net, "evil.example", true),
                ("url", net, "http://evil.example/a", true),
                ("email-src", pay, "phish@evil.example", true),
                ("email-subject", pay, "Invoice overdue", true),
                ("md5", pay, "d41d8cd98f00b204e9800998ecf8427e", true),
                (
                    "sha1",
                    pay,
                    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                    true
                ),
                (
                    "sha256",
                    pay,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    true
                ),
            ]
        );
        assert_eq!(
            got[10],
            ("vulnerability", "External analysis", "CVE-2017-0144", false)
        );
        let texts: Vec<_> = attrs(&e)[11..]
            .iter()
            .map(|a| {
                assert_eq!(
                    (a["type"].as_str(), a["category"].as_str()),
                    (Some("text"), Some("Other"))
                );
                assert_eq!(a["to_ids"], false);
                (a["comment"].as_str().unwrap(), a["value"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("Executive context", "Business systems stop."),
                ("Technical details", "EternalBlue, then PsExec."),
                ("Countermeasures", "Patch MS17-010."),
                ("Affected products", "Microsoft Windows 7"),
            ]
        );
        let uuids: BTreeSet<&str> = attrs(&e)
            .iter()
            .map(|a| a["uuid"].as_str().unwrap())
            .collect();
        assert_eq!(uuids.len(), attrs(&e).len(), "attribute uuids are distinct");
        assert_eq!(event(&v), e, "export is deterministic");
        for a in attrs(&e) {
            assert_eq!(a["timestamp"], "1700086400");
            assert_eq!(a["distribution"], "5");
        }
    }

    #[test]
    fn attribute_uuids_survive_revisions_and_audiences() {
        let v = sample();
        let mut other = sample();
        other.audience = Audience::Class2;
        other.technical_details = None;
        other.updated_at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        other.revision = 4;
        let uuid_of = |e: &Value, value: &str| {
            attrs(e)
                .iter()
                .find(|a| a["value"] == value)
                .map(|a| a["uuid"].clone())
                .unwrap()
        };
        let (a, b) = (event(&v), event(&other));
        assert_eq!(a["Event"]["uuid"], b["Event"]["uuid"]);
        assert_eq!(uuid_of(&a, "evil.example"), uuid_of(&b, "evil.example"));
        assert_eq!(
            uuid_of(&a, "Patch MS17-010."),
            uuid_of(&b, "Patch MS17-010.")
        );
        assert!(!b.to_string().contains("Technical details"));
    }

    #[test]
    fn tags_carry_tlp_techniques_and_sector_only() {
        let v = sample();
        let e = event(&v);
        assert_eq!(
            tag_names(&e),
            [
                "tlp:green",
                "misp-galaxy:mitre-attack-pattern=\"T1210 - T1210\"",
                "misp-galaxy:mitre-attack-pattern=\"T1566.001 - T1566.001\"",
                "tsunagu:kind=\"threat_information\"",
                "tsunagu:confidence=\"confirmed\"",
                "tsunagu:victim-sector=\"medical\"",
            ]
        );
        for tlp in Tlp::ALL {
            let mut v = sample();
            v.tlp = tlp;
            assert_eq!(tag_names(&event(&v))[0], format!("tlp:{}", tlp.as_str()));
        }
    }

    #[test]
    fn never_the_provider_nor_the_victim_name() {
        let v = sample();
        let text = event(&v).to_string();
        let provider = v.provider.unwrap().to_string();
        for secret in [
            "VICTIM-NAME-SECRET",
            "DAMAGE-SECRET",
            provider.as_str(),
            "finance",
        ] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        let (_, manifest) = manifest_entry(&v);
        assert!(!manifest.to_string().contains(&provider));
        let mut nobody = sample();
        nobody.victim = None;
        assert!(!event(&nobody).to_string().contains("victim-sector"));
    }

    #[test]
    fn empty_texts_are_left_out() {
        let mut v = sample();
        v.executive_context = String::new();
        v.technical_details = None;
        v.countermeasures = "  ".into();
        v.products.clear();
        v.cves.clear();
        let e = event(&v);
        assert_eq!(attrs(&e).len(), 10);
        assert!(attrs(&e).iter().all(|a| a["type"] != "text"));
    }

    #[test]
    fn retracted_items_stop_driving_detection() {
        let mut v = sample();
        v.status = ItemStatus::Retracted;
        let e = event(&v);
        assert_eq!(
            e["Event"]["info"],
            "[RETRACTED] Ransomware spreads over SMB"
        );
        assert!(attrs(&e).iter().all(|a| a["to_ids"] == false));
        assert!(tag_names(&e).contains(&"tsunagu:status=\"retracted\"".to_owned()));
    }

    #[test]
    fn manifest_and_hashes() {
        let v = sample();
        let (uuid, entry) = manifest_entry(&v);
        assert_eq!(uuid, event_uuid(&v).to_string());
        let ev = &event(&v)["Event"];
        for key in [
            "info",
            "date",
            "analysis",
            "threat_level_id",
            "timestamp",
            "Orgc",
            "Tag",
        ] {
            assert_eq!(entry[key], ev[key], "{key}");
        }
        let lines = hashes_lines(&v);
        assert_eq!(lines.len(), attrs(&event(&v)).len());
        assert_eq!(
            lines[0],
            format!("{},{uuid}", md5_hex(b"192.0.2.1")),
            "md5 of the value, then the event uuid"
        );
        let md5_of_md5 = md5_hex(b"d41d8cd98f00b204e9800998ecf8427e");
        assert!(lines.contains(&format!("{md5_of_md5},{uuid}")));
        let uuids = parse_manifest(&json!({uuid.clone(): entry}).to_string()).unwrap();
        assert_eq!(uuids, [uuid]);
    }

    #[test]
    fn round_trip() {
        let v = sample();
        let imported = parse_event(&event(&v).to_string()).unwrap();
        assert_eq!(imported.uuid, event_uuid(&v).to_string());
        assert_eq!(imported.timestamp, Some(1_700_086_400));
        assert_eq!(imported.skipped, []);
        let [item] = imported.items.as_slice() else {
            panic!("{:?}", imported.items)
        };
        assert_eq!(item.indicators, v.indicators);
        assert_eq!(item.cves, v.cves);
        assert_eq!(item.techniques, v.techniques);
        assert_eq!(item.tlp, v.tlp);
        assert_eq!(item.kind, v.kind);
        assert_eq!(item.confidence, v.confidence);
        assert_eq!(item.title, v.title);
        assert_eq!(item.executive_context, v.executive_context);
        assert_eq!(
            item.technical_details,
            "EternalBlue, then PsExec.\n\nMicrosoft Windows 7"
        );
        assert_eq!(item.countermeasures, v.countermeasures);
        assert_eq!(item.victim_sector, Some(Sector::Medical));
        let content = item.clone().into_draft(task_force_scope()).parse().unwrap();
        assert_eq!(content.indicators, v.indicators);
        assert_eq!(content.tlp, Tlp::Green);
        assert_eq!(content.victim.unwrap().name, None);
    }

    fn misp(attributes: Value) -> String {
        json!({"Event": {
            "uuid": "5e7ca1a5-0000-4000-8000-000000000001",
            "info": "External event",
            "analysis": "2",
            "Attribute": attributes,
        }})
        .to_string()
    }

    fn one(json: &str) -> ImportedItem {
        let mut e = parse_event(json).unwrap();
        assert_eq!(e.items.len(), 1);
        e.items.remove(0)
    }

    fn values(item: &ImportedItem) -> Vec<(IndicatorKind, &str)> {
        item.indicators
            .iter()
            .map(|i| (i.kind(), i.value()))
            .collect()
    }

    #[test]
    fn import_maps_attribute_types() {
        use IndicatorKind as K;
        let a = |t: &str, v: &str| json!({"type": t, "value": v, "to_ids": true});
        let item = one(&misp(json!([
            a("ip-src", "192.0.2.1"),
            a("ip-dst", "2001:DB8::1"),
            a("ip-dst", "10.1.2.3/8"),
            a("ip-dst|port", "192.0.2.2|443"),
            a("ip-src|port", "2001:db8::2|8080"),
            a("domain", "Evil.Example"),
            a("hostname", "www.evil.example"),
            a("hostname|port", "mail.evil.example|25"),
            a("domain|ip", "c2.evil.example|192.0.2.3"),
            a("url", "HTTP://evil.example:80/a/../b"),
            a("email-src", "a@evil.example"),
            a("email-dst", "b@evil.example"),
            a("email", "c@evil.example"),
            a("email-subject", "Invoice"),
            a("md5", "D41D8CD98F00B204E9800998ECF8427E"),
            a("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            a(
                "sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ),
            a("filename|md5", "x.exe|0cc175b9c0f1b6a831c399e269772661"),
            a(
                "filename|sha1",
                "a|b.exe|a9993e364706816aba3e25717850c26c9cd0d89d"
            ),
            a(
                "filename|sha256",
                "y.dll|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ),
        ])));
        assert_eq!(
            values(&item),
            [
                (K::Ipv4, "192.0.2.1"),
                (K::Ipv6, "2001:db8::1"),
                (K::Cidr, "10.0.0.0/8"),
                (K::Ipv4, "192.0.2.2"),
                (K::Ipv6, "2001:db8::2"),
                (K::Domain, "evil.example"),
                (K::Domain, "www.evil.example"),
                (K::Domain, "mail.evil.example"),
                (K::Domain, "c2.evil.example"),
                (K::Ipv4, "192.0.2.3"),
                (K::Url, "http://evil.example/b"),
                (K::Email, "a@evil.example"),
                (K::Email, "b@evil.example"),
                (K::Email, "c@evil.example"),
                (K::EmailSubject, "Invoice"),
                (K::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
                (K::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
                (
                    K::Sha256,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                ),
                (K::Md5, "0cc175b9c0f1b6a831c399e269772661"),
                (K::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
                (
                    K::Sha256,
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                ),
            ]
        );
        assert_eq!(item.kind, ItemKind::ThreatInformation);
        assert_eq!(item.confidence, Confidence::Probable);
        assert_eq!(item.tlp, Tlp::Amber, "amber when untagged");
        assert_eq!(item.title, "External event");
    }

    #[test]
    fn objects_count_and_duplicates_drop() {
        let item = one(
            &json!({"Event": {
                "uuid": "5e7ca1a5-0000-4000-8000-000000000001",
                "info": "objects",
                "Attribute": [{"type": "domain", "value": "evil.example", "to_ids": true}],
                "Object": [{"name": "domain-ip", "Attribute": [
                    {"type": "domain", "value": "EVIL.example.", "to_ids": true},
                    {"type": "ip-dst", "value": "192.0.2.9", "to_ids": "1"},
                ]}, {"name": "file", "Attribute": [
                    {"type": "filename", "value": "x.exe", "to_ids": false},
                    {"type": "sha256", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "to_ids": 1},
                ]}],
            }})
            .to_string(),
        );
        assert_eq!(
            values(&item),
            [
                (IndicatorKind::Domain, "evil.example"),
                (IndicatorKind::Ipv4, "192.0.2.9"),
                (
                    IndicatorKind::Sha256,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                ),
            ]
        );
        assert_eq!(item.kind, ItemKind::Analysis, "no analysis: not completed");
        assert_eq!(item.confidence, Confidence::Unconfirmed);
    }

    #[test]
    fn skipped_attributes_say_why() {
        let e = parse_event(&misp(json!([
            {"type": "ssdeep", "value": "3:abc:def", "to_ids": true},
            {"type": "domain", "value": "benign.example", "to_ids": false},
            {"type": "ip-dst", "value": "192.0.2.1", "to_ids": true, "deleted": true},
            {"type": "vulnerability", "value": "GHSA-abcd-efgh-ijkl"},
            {"type": "domain", "value": "evil.example", "to_ids": true},
        ])))
        .unwrap();
        assert_eq!(e.items[0].indicators.len(), 1);
        assert_eq!(
            e.skipped,
            [
                (
                    "Event.Attribute[0] (ssdeep \"3:abc:def\")".to_owned(),
                    "MISP type ssdeep has no council counterpart".to_owned()
                ),
                (
                    "Event.Attribute[1] (domain \"benign.example\")".to_owned(),
                    "to_ids is false: context, not meant for detection".to_owned()
                ),
                (
                    "Event.Attribute[2] (ip-dst \"192.0.2.1\")".to_owned(),
                    "deleted".to_owned()
                ),
                (
                    "Event.Attribute[3] (vulnerability \"GHSA-abcd-efgh-ijkl\")".to_owned(),
                    "not a CVE id".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn cves_texts_and_kind() {
        let item = one(&json!({"Event": {
            "uuid": "5E7CA1A5-0000-4000-8000-000000000001",
            "info": "  Log4Shell\r\nexploited ",
            "analysis": 1,
            "Attribute": [
                {"type": "vulnerability", "value": "cve-2021-44228"},
                {"type": "vulnerability", "value": "CVE-2021-44228"},
                {"type": "text", "value": "Widely exploited.", "comment": ""},
                {"type": "comment", "value": "Seen in Japan."},
                {"type": "text", "value": "Upgrade to 2.17.", "comment": "countermeasures"},
                {"type": "text", "value": "JNDI lookup.", "comment": "Technical details"},
            ],
        }})
        .to_string());
        assert_eq!(item.cves, [CveId::parse("CVE-2021-44228").unwrap()]);
        assert_eq!(
            item.executive_context,
            "Widely exploited.\n\nSeen in Japan."
        );
        assert_eq!(item.countermeasures, "Upgrade to 2.17.");
        assert_eq!(item.technical_details, "JNDI lookup.");
        assert_eq!(item.title, "Log4Shell\nexploited");
        assert_eq!(item.kind, ItemKind::Analysis);
        assert_eq!(item.confidence, Confidence::Unconfirmed);
    }

    #[test]
    fn tags_give_tlp_and_techniques() {
        let item = one(
            &json!({"Event": {
                "uuid": "5e7ca1a5-0000-4000-8000-000000000001",
                "info": "tags",
                "analysis": "0",
                "Tag": [
                    {"name": "tlp:white"},
                    {"name": "misp-galaxy:mitre-attack-pattern=\"Spearphishing Attachment - T1566.001\""},
                    {"name": "misp-galaxy:mitre-malware=\"WannaCry - S0366\""},
                    {"name": "tsunagu:kind=\"countermeasure\""},
                    {"name": "tsunagu:confidence=\"confirmed\""},
                    {"name": "tsunagu:victim-sector=\"aviation\""},
                    {"name": "tlp:ex:chr"},
                ],
                "Galaxy": [{"type": "mitre-attack-pattern", "GalaxyCluster": [
                    {"tag_name": "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\"",
                     "meta": {"external_id": ["T1566"]}},
                    {"meta": {"external_id": ["T1059.001", "CAPEC-1"]}},
                    {"meta": {"external_id": "T1190"}},
                ]}],
                "Attribute": [{"type": "domain", "value": "evil.example", "to_ids": true,
                    "Tag": [{"name": "tlp:amber+strict"},
                            {"name": "misp-galaxy:mitre-attack-pattern=\"x - T1204\""}]}],
            }})
            .to_string(),
        );
        let t: Vec<_> = item.techniques.iter().map(TechniqueId::as_str).collect();
        assert_eq!(t, ["T1566.001", "T1566", "T1059.001", "T1190", "T1204"]);
        assert_eq!(item.tlp, Tlp::AmberStrict, "the most restrictive tag wins");
        assert_eq!(item.kind, ItemKind::Countermeasure);
        assert_eq!(item.confidence, Confidence::Confirmed);
        assert_eq!(item.victim_sector, Some(Sector::Aviation));

        for (tag, tlp) in [
            ("tlp:clear", Tlp::Clear),
            ("tlp:green", Tlp::Green),
            ("TLP:AMBER", Tlp::Amber),
            ("tlp:amber+strict", Tlp::AmberStrict),
            ("tlp:red", Tlp::Red),
        ] {
            let json = json!({"info": "x", "uuid": Uuid::nil().to_string(), "Tag": [tag]});
            assert_eq!(one(&json.to_string()).tlp, tlp, "{tag}");
        }
    }

    #[test]
    fn accepted_shapes() {
        let bare = json!({"uuid": Uuid::nil().to_string(), "info": "bare",
            "Attribute": [{"type": "domain", "value": "evil.example"}]});
        let item = one(&bare.to_string());
        assert_eq!(item.indicators.len(), 1, "to_ids absent counts as true");
        let response = json!({"response": [{"Event": bare.clone()}, {"Event": bare.clone()}]});
        assert_eq!(parse_events(&response.to_string()).unwrap().len(), 2);
        assert_eq!(parse_events(r#"{"response": []}"#).unwrap(), []);
        let single = json!({"response": [{"Event": bare.clone()}]});
        assert_eq!(
            parse_event(&single.to_string()).unwrap().uuid,
            Uuid::nil().to_string()
        );
        assert_eq!(
            parse_event(&response.to_string()).unwrap_err().to_string(),
            "not a MISP event: response holds 2 events; use parse_events"
        );
        assert_eq!(
            parse_events(&json!([bare.clone()]).to_string())
                .unwrap()
                .len(),
            1
        );
        assert_eq!(parse_events(&bare.to_string()).unwrap().len(), 1);
        let empty = one(&json!({"uuid": Uuid::nil().to_string(), "info": " "}).to_string());
        assert_eq!(empty.title, format!("MISP event {}", Uuid::nil()));
        assert!(empty.indicators.is_empty());
    }

    fn err(json: &str) -> String {
        parse_event(json).unwrap_err().to_string()
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = parse_event("{\n  \"Event\": {,}\n}").unwrap_err();
        let MispError::Json { line, column, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((*line, *column), (2, 13));
        assert!(e.to_string().starts_with("not JSON: "), "{e}");
        assert!(e.to_string().contains("line 2 column 13"), "{e}");

        assert_eq!(
            err(r#"{"event": {}}"#),
            "not a MISP event: the document has no \"Event\" key (nor \"info\" or \"Attribute\" of a bare event)"
        );
        assert_eq!(
            err("[1]"),
            "not a MISP event: the document is not a JSON object"
        );
        assert_eq!(
            err(r#"{"Event": {"uuid": "5e7ca1a5-0000-4000-8000-000000000001"}}"#),
            "not a MISP event: Event.info is missing"
        );
        assert_eq!(
            err(r#"{"Event": {"info": "x"}}"#),
            "not a MISP event: Event.uuid is missing"
        );
        assert_eq!(
            err(r#"{"Event": {"info": "x", "uuid": "nope"}}"#),
            "not a MISP event: Event.uuid \"nope\" is not a UUID"
        );
        assert_eq!(
            err(&misp(json!({"type": "domain"}))),
            "not a MISP event: Event.Attribute is not an array"
        );
        assert_eq!(
            err(&misp(json!([{"value": "x"}]))),
            "not a MISP event: Event.Attribute[0].type is missing"
        );
        assert_eq!(
            err(&misp(json!([{"type": "domain"}]))),
            "not a MISP event: Event.Attribute[0].value is missing (domain)"
        );
        assert_eq!(
            parse_events(&json!({"response": [{"Event": {"uuid": Uuid::nil().to_string(), "info": "x"}}, {"Event": {"uuid": Uuid::nil().to_string()}}]}).to_string())
                .unwrap_err()
                .to_string(),
            "not a MISP event: response[1].Event.info is missing"
        );
    }

    #[test]
    fn bad_values_name_the_attribute() {
        let a = |t: &str, v: &str| json!({"type": t, "value": v, "to_ids": true});
        let filler = json!([
            a("domain", "ok.example"),
            a("domain", "ok2.example"),
            a("domain", "ok3.example"),
        ]);
        let with = |bad: Value| {
            let mut list = filler.as_array().unwrap().clone();
            list.push(bad);
            misp(Value::Array(list))
        };
        assert_eq!(
            err(&with(a("ip-dst", "999.1.1.1"))),
            "Event.Attribute[3] (ip-dst \"999.1.1.1\"): not an IPv4/IPv6 address"
        );
        let e = parse_event(&with(a("ip-dst", "999.1.1.1"))).unwrap_err();
        assert_eq!(
            e,
            MispError::Attribute {
                at: "Event.Attribute[3]".into(),
                kind: "ip-dst".into(),
                value: "999.1.1.1".into(),
                reason: "not an IPv4/IPv6 address".into(),
            }
        );
        assert_eq!(
            err(&with(a("sha256", "abc"))),
            "Event.Attribute[3] (sha256 \"abc\"): expected 64 hex characters, got 3"
        );
        assert_eq!(
            err(&with(a("filename|md5", "x.exe|abc"))),
            "Event.Attribute[3] (filename|md5 \"x.exe|abc\"): expected 32 hex characters, got 3"
        );
        assert!(
            err(&with(a("domain", "evil[.]example")))
                .starts_with("Event.Attribute[3] (domain \"evil[.]example\"): ")
        );
        assert!(
            err(&with(a("ip-dst", "10.0.0.0/33")))
                .starts_with("Event.Attribute[3] (ip-dst \"10.0.0.0/33\"): prefix length")
        );
        assert_eq!(
            err(&with(json!({"type": "vulnerability", "value": "CVE-17-1"}))),
            "Event.Attribute[3] (vulnerability \"CVE-17-1\"): \"CVE-17-1\" is not a CVE id such as CVE-2017-0144"
        );
        assert_eq!(
            err(&with(a("domain|ip", "evil.example"))),
            "Event.Attribute[3] (domain|ip \"evil.example\"): expected domain|ip"
        );
        let in_object = json!({"Event": {
            "uuid": Uuid::nil().to_string(), "info": "x",
            "Object": [{"Attribute": []}, {"name": "file", "Attribute": [
                a("md5", "0cc175b9c0f1b6a831c399e269772661"), a("md5", "xyz")]}],
        }});
        assert_eq!(
            err(&in_object.to_string()),
            "Event.Object[1].Attribute[1] (md5 \"xyz\"): expected 32 hex characters, got 3"
        );
        let bare = json!({"uuid": Uuid::nil().to_string(), "info": "x",
            "Attribute": [a("email-src", "nobody")]});
        assert!(
            err(&bare.to_string()).starts_with("Attribute[0] (email-src \"nobody\"): "),
            "{}",
            err(&bare.to_string())
        );
        let long = "x".repeat(500);
        let msg = err(&with(a("md5", &long)));
        assert!(msg.len() < 300, "the value is clipped: {msg}");
    }

    #[test]
    fn large_events_are_split() {
        let n = MAX_INDICATORS + 10;
        let mut list: Vec<Value> = (0..n)
            .map(|i| {
                json!({"type": "ip-dst", "value": format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256), "to_ids": true})
            })
            .collect();
        list.push(json!({"type": "ip-dst", "value": "10.0.0.0", "to_ids": true}));
        list.push(json!({"type": "vulnerability", "value": "CVE-2017-0144"}));
        let e = parse_event(&misp(Value::Array(list))).unwrap();
        assert_eq!(e.items.len(), 2);
        assert_eq!(e.items[0].indicators.len(), MAX_INDICATORS);
        assert_eq!(e.items[1].indicators.len(), 10, "the duplicate was dropped");
        assert_eq!(e.items[0].title, "External event (part 1/2)");
        assert_eq!(e.items[1].title, "External event (part 2/2)");
        assert!(e.items.iter().all(|i| i.cves.len() == 1));
        for item in e.items {
            assert!(item.into_draft(task_force_scope()).parse().is_ok());
        }
    }

    #[test]
    fn titles_and_texts_fit_an_item() {
        let long_title = "t".repeat(MAX_TITLE + 50);
        let long_text = "y".repeat(MAX_TEXT + 50);
        let item = one(&json!({"uuid": Uuid::nil().to_string(), "info": long_title,
                "Attribute": [{"type": "text", "value": long_text},
                              {"type": "text", "value": "a\u{0}b", "comment": "Countermeasures"}]})
        .to_string());
        assert_eq!(item.title.chars().count(), MAX_TITLE);
        assert_eq!(item.executive_context.chars().count(), MAX_TEXT);
        assert_eq!(item.countermeasures, "a b");
        assert_eq!(part_title(&long_title, 0, 3).chars().count(), MAX_TITLE);
        assert!(part_title(&long_title, 2, 3).ends_with(" (part 3/3)"));
        let draft = item.into_draft(task_force_scope());
        assert!(draft.parse().is_ok());
    }

    #[test]
    fn manifests() {
        let a = "5e7ca1a5-0000-4000-8000-00000000000b";
        let b = "5E7CA1A5-0000-4000-8000-00000000000A";
        let json = json!({a: {"info": "x"}, b: {"info": "y"}}).to_string();
        assert_eq!(
            parse_manifest(&json).unwrap(),
            [b.to_ascii_lowercase(), a.to_owned()],
            "sorted, lower-case"
        );
        assert_eq!(parse_manifest("{}").unwrap(), Vec::<String>::new());
        assert!(
            parse_manifest("{")
                .unwrap_err()
                .to_string()
                .starts_with("not JSON: ")
        );
        assert_eq!(
            parse_manifest("[]").unwrap_err().to_string(),
            "not a MISP feed manifest: expected an object keyed by event uuid"
        );
        assert_eq!(
            parse_manifest(r#"{"hashes.csv": {}}"#)
                .unwrap_err()
                .to_string(),
            "not a MISP feed manifest: key \"hashes.csv\" is not an event uuid"
        );
        assert_eq!(
            parse_manifest(&json!({a: 1}).to_string())
                .unwrap_err()
                .to_string(),
            format!("not a MISP feed manifest: the entry of {a} is not an object")
        );
    }
}
