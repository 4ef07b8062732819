//! STIX 2.1 export and import.
//!
//! **Export** works on [`ItemView`]s only: the policy view has already decided what a
//! viewer may see, and this module only chooses the STIX form. For the item's own
//! provider ([`ExportItem::own`]) objects keep the provider's original ids (from
//! [`StixOriginals`] when the item came from a STIX import) and unmodelled objects are
//! returned untouched. Every other viewer gets objects re-issued by the council: ids
//! derived deterministically (UUIDv5) from the item id, `created_by_ref` the council
//! identity, and nothing that points back at the provider's originals (no
//! `derived-from`, no external ids, no original ids anywhere).
//!
//! Output is deterministic: the same input gives byte-identical output. Timestamps come
//! from the view (`created_at`, `updated_at`) with millisecond precision.
//!
//! **Import** ([`read_bundle`]) streams a bundle: objects are parsed one at a time from a
//! [`Read`] and only compact data is kept per indicator, so a bundle of a million
//! indicators fits in a few hundred megabytes. It is all or nothing: the first invalid
//! object stops it with a [`StixImportError`] naming the object.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::{self, Read, Write};

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::DomainError;
use crate::feedback::{Answer, Opinion, Sighting};
use crate::indicator::{CveId, Indicator, IndicatorKind, TechniqueId, Tlp};
use crate::item::{
    Confidence, ItemContent, ItemDraft, ItemKind, MAX_INDICATORS, MAX_REFERENCES, MAX_TEXT,
    MAX_TITLE,
};
use crate::member::Sector;
use crate::scope::Scope;
use crate::view::ItemView;

/// The namespace of the council's deterministic STIX ids (UUIDv5).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x9abb_da5a_a2e6_4fab_b15c_9274_26be_ab44);
/// The namespace of ids derived for a provider's own items that did not come from STIX.
pub const PROVIDER_NAMESPACE: Uuid = Uuid::from_u128(0x5c1e_0f4b_7d2a_4e61_9a3f_2b8c_6d1e_07f2);
/// The council identity's name.
pub const COUNCIL_NAME: &str = "tsunagu council";
/// The TLP 2.0 extension definition the marking objects use.
pub const TLP_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// When the TLP 2.0 marking definitions were created.
const TLP_CREATED: &str = "2022-10-01T00:00:00.000Z";
/// When the council identity was created (fixed, so it never changes).
const COUNCIL_CREATED: &str = "2024-01-01T00:00:00.000Z";
/// Separates the executive context from the technical details in a container's
/// description, so that an import can split them again.
const TECHNICAL_HEADING: &str = "\n\n--- Technical details ---\n\n";
/// STIX cyber-observable types: no `created_by_ref`, `created` or `modified`.
const SCO_TYPES: [&str; 18] = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];
/// TLP 1.0 marking-definition ids (STIX 2.1 §7.2.1.4) and their TLP 2.0 level.
const TLP1: [(&str, Tlp); 4] = [
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];

// ---------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------

/// A timestamp as STIX writes it: UTC, millisecond precision, `YYYY-MM-DDTHH:MM:SS.sssZ`.
#[must_use]
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The TLP level of a marking-definition id, TLP 2.0 or TLP 1.0.
#[must_use]
pub fn tlp_of_marking(id: &str) -> Option<Tlp> {
    Tlp::ALL
        .into_iter()
        .find(|t| t.stix_marking_id() == id)
        .or_else(|| TLP1.iter().find(|(m, _)| *m == id).map(|(_, t)| *t))
}

/// The official TLP 2.0 marking-definition object of `tlp`.
#[must_use]
pub fn tlp_marking(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp.stix_marking_id(),
        "created": TLP_CREATED,
        "name": tlp.label(),
        "extensions": {
            TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.as_str()}
        }
    })
}

/// The id of the council's identity.
#[must_use]
pub fn council_identity_id() -> String {
    format!("identity--{}", Uuid::new_v5(&NAMESPACE, b"council"))
}

/// The council's identity object, marked TLP:CLEAR.
#[must_use]
pub fn council_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": council_identity_id(),
        "created": COUNCIL_CREATED,
        "modified": COUNCIL_CREATED,
        "name": COUNCIL_NAME,
        "identity_class": "organization",
        "object_marking_refs": [Tlp::Clear.stix_marking_id()],
    })
}

/// The STIX industry-sector-ov value closest to a council sector.
#[must_use]
pub fn stix_sector(sector: Sector) -> &'static str {
    match sector {
        Sector::InformationCommunication => "telecommunications",
        Sector::Finance | Sector::Credit => "financial-services",
        Sector::Aviation | Sector::Railway | Sector::Logistics => "transportation",
        Sector::Electricity | Sector::Gas | Sector::Petroleum => "energy",
        Sector::GovernmentServices => "government-public-services",
        Sector::Medical => "healthcare",
        Sector::Water => "infrastructure-water",
        Sector::Chemical => "chemical",
        Sector::NationalGovernment => "government-national",
        Sector::LocalGovernment => "government-local",
        Sector::SecurityVendor => "technology",
        Sector::Academia => "education",
        Sector::Other => "other",
    }
}

fn confidence_value(c: Confidence) -> u8 {
    match c {
        Confidence::Unconfirmed => 15,
        Confidence::Probable => 50,
        Confidence::Confirmed => 85,
    }
}

fn confidence_from(value: Option<i64>, default: Confidence) -> Confidence {
    match value {
        None => default,
        Some(v) if v >= 70 => Confidence::Confirmed,
        Some(v) if v >= 30 => Confidence::Probable,
        Some(_) => Confidence::Unconfirmed,
    }
}

/// The key under which [`StixOriginals::objects`] stores an indicator's original id.
#[must_use]
pub fn indicator_key(indicator: &Indicator) -> String {
    let (kind, value) = (indicator.kind().as_str(), indicator.value());
    // Exactly as long as needed: a million of these may be held at once.
    let mut key = String::with_capacity("indicator:".len() + kind.len() + 1 + value.len());
    key.push_str("indicator:");
    key.push_str(kind);
    key.push(':');
    key.push_str(value);
    key
}

fn object_type(id: &str) -> &str {
    id.split_once("--").map_or(id, |(t, _)| t)
}

/// `type--uuid` split, when `id` has that form.
fn parse_id(id: &str) -> Option<(&str, Uuid)> {
    let (ty, uuid) = id.split_once("--")?;
    if !valid_type_name(ty) || uuid.len() != 36 {
        return None;
    }
    Uuid::try_parse(uuid).ok().map(|u| (ty, u))
}

fn valid_type_name(ty: &str) -> bool {
    (2..=250).contains(&ty.len())
        && ty
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ty.starts_with('-')
        && !ty.ends_with('-')
}

// ---------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------

/// What the provider's STIX import carried beyond the council's model, stored by the
/// caller as JSON next to the imported item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StixOriginals {
    /// The original report or grouping id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// The provider's identity (`created_by_ref`) in the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<String>,
    /// The original id (UUID part) of each modelled object, by key:
    /// `indicator:<kind>:<value>` ([`indicator_key`]), `vulnerability:<CVE>`,
    /// `attack-pattern:<T-id>`, `course-of-action`. The key's first part is the type.
    #[serde(default)]
    pub objects: BTreeMap<String, Uuid>,
    /// Objects of types the council does not model (malware, relationships, custom
    /// types, complex indicators, …). Returned untouched to the provider, re-issued for
    /// the others that see technical details.
    #[serde(default)]
    pub extra: Vec<Value>,
    /// Objects only ever returned to the provider: its identities and its own
    /// (non-TLP) marking definitions.
    #[serde(default)]
    pub provider_objects: Vec<Value>,
}

/// One feedback answer as exported. Carries no responder: only a per-item pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackObject {
    /// A pseudonym of the responder valid for this item only (e.g. `responder-3`). It
    /// must not be derived from the responder in a way a recipient could reverse; it
    /// also keys the object's id.
    pub pseudonym: String,
    /// The answer.
    pub answer: Answer,
    /// The comment (may be empty).
    pub comment: String,
    /// When it was given.
    pub at: OffsetDateTime,
}

/// One item to export, as one viewer sees it.
#[derive(Debug, Clone, Copy)]
pub struct ExportItem<'a> {
    /// The viewer's view of the item.
    pub view: &'a ItemView,
    /// Whether the viewer is the item's provider.
    pub own: bool,
    /// What the provider's STIX import carried, if the item came from one.
    pub originals: Option<&'a StixOriginals>,
    /// Feedback on the item the viewer may see.
    pub feedback: &'a [FeedbackObject],
}

/// Hands out the ids of one item's objects.
struct Ids<'a> {
    item: String,
    own: bool,
    originals: Option<&'a StixOriginals>,
}

impl Ids<'_> {
    fn derived(&self, namespace: &Uuid, ty: &str, key: &str) -> String {
        let name = format!("{}/{key}", self.item);
        format!("{ty}--{}", Uuid::new_v5(namespace, name.as_bytes()))
    }

    /// The id of a modelled object: the original one for the provider when known.
    fn object(&self, ty: &str, key: &str) -> String {
        if !self.own {
            return self.derived(&NAMESPACE, ty, key);
        }
        match self.originals.and_then(|o| o.objects.get(key)) {
            Some(uuid) => format!("{ty}--{uuid}"),
            None => self.derived(&PROVIDER_NAMESPACE, ty, key),
        }
    }

    fn container(&self, ty: &str) -> String {
        if self.own
            && let Some(id) = self.originals.and_then(|o| o.container_id.as_deref())
            && object_type(id) == ty
        {
            return id.to_owned();
        }
        self.object(ty, "container")
    }

    /// Ids the council always issues (feedback, re-issued objects).
    fn council(&self, ty: &str, key: &str) -> String {
        self.derived(&NAMESPACE, ty, key)
    }
}

/// The common properties of one exported SDO.
fn sdo(
    ty: &str,
    id: &str,
    created: &str,
    modified: &str,
    creator: Option<&str>,
    marking: &str,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), ty.into());
    m.insert("spec_version".into(), "2.1".into());
    m.insert("id".into(), id.into());
    m.insert("created".into(), created.into());
    m.insert("modified".into(), modified.into());
    if let Some(c) = creator {
        m.insert("created_by_ref".into(), c.into());
    }
    m.insert("object_marking_refs".into(), json!([marking]));
    m
}

/// Every object of one item, sorted by id, apart from the TLP marking definitions and
/// the council identity (see [`tlp_marking`], [`council_identity`]). A TAXII server can
/// serve them one by one.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn item_objects(item: &ExportItem<'_>) -> Vec<Value> {
    let v = item.view;
    let ids = Ids {
        item: v.id.to_string(),
        own: item.own,
        originals: item.originals,
    };
    let council = council_identity_id();
    let creator: Option<String> = if item.own {
        item.originals.and_then(|o| o.created_by_ref.clone())
    } else {
        Some(council.clone())
    };
    let creator = creator.as_deref();
    let marking = v.tlp.stix_marking_id();
    let created = timestamp(v.created_at);
    let modified = timestamp(v.updated_at.max(v.created_at));
    let base = |ty: &str, id: &str| sdo(ty, id, &created, &modified, creator, marking);

    let mut objects: Vec<Value> = Vec::new();
    let mut refs: BTreeSet<String> = BTreeSet::new();
    // Original id → exported id, for re-issuing unmodelled objects.
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut note_original = |key: &str, ty: &str, id: &str| {
        if let Some(uuid) = item.originals.and_then(|o| o.objects.get(key)) {
            renamed.insert(format!("{ty}--{uuid}"), id.to_owned());
        }
    };

    for ind in &v.indicators {
        let key = indicator_key(ind);
        let id = ids.object("indicator", &key);
        note_original(&key, "indicator", &id);
        let mut o = base("indicator", &id);
        o.insert(
            "name".into(),
            format!("{} {}", ind.kind(), ind.value()).into(),
        );
        o.insert("indicator_types".into(), json!(["malicious-activity"]));
        o.insert("pattern".into(), ind.stix_pattern().into());
        o.insert("pattern_type".into(), "stix".into());
        o.insert("pattern_version".into(), "2.1".into());
        o.insert("valid_from".into(), created.clone().into());
        refs.insert(id);
        objects.push(Value::Object(o));
    }
    for cve in &v.cves {
        let key = format!("vulnerability:{cve}");
        let id = ids.object("vulnerability", &key);
        note_original(&key, "vulnerability", &id);
        let mut o = base("vulnerability", &id);
        o.insert("name".into(), cve.as_str().into());
        o.insert(
            "external_references".into(),
            json!([{"source_name": "cve", "external_id": cve.as_str()}]),
        );
        refs.insert(id);
        objects.push(Value::Object(o));
    }
    for t in &v.techniques {
        let key = format!("attack-pattern:{t}");
        let id = ids.object("attack-pattern", &key);
        note_original(&key, "attack-pattern", &id);
        let mut o = base("attack-pattern", &id);
        o.insert("name".into(), t.as_str().into());
        let url = format!(
            "https://attack.mitre.org/techniques/{}/",
            t.as_str().replace('.', "/")
        );
        o.insert(
            "external_references".into(),
            json!([{"source_name": "mitre-attack", "external_id": t.as_str(), "url": url}]),
        );
        refs.insert(id);
        objects.push(Value::Object(o));
    }
    if !v.countermeasures.trim().is_empty() {
        let id = ids.object("course-of-action", "course-of-action");
        note_original("course-of-action", "course-of-action", &id);
        let mut o = base("course-of-action", &id);
        o.insert("name".into(), "Countermeasures".into());
        o.insert("description".into(), v.countermeasures.clone().into());
        refs.insert(id);
        objects.push(Value::Object(o));
    }
    if let Some(victim) = &v.victim {
        // Never the victim's name, whatever the audience: a class and a sector only.
        let id = ids.object("identity", "victim");
        let mut o = base("identity", &id);
        let name = match victim.sector {
            Some(s) => format!("victim in the {} sector", s.name_en().to_lowercase()),
            None => "victim (sector not disclosed)".to_owned(),
        };
        o.insert("name".into(), name.into());
        o.insert("identity_class".into(), "class".into());
        if let Some(s) = victim.sector {
            o.insert("sectors".into(), json!([stix_sector(s)]));
        }
        let damage = if victim.damaged {
            "Damage occurred."
        } else {
            "No damage reported."
        };
        o.insert("description".into(), damage.into());
        refs.insert(id);
        objects.push(Value::Object(o));
    }

    // The container.
    let grouping = v.kind == ItemKind::Analysis;
    let ty = if grouping { "grouping" } else { "report" };
    let container = ids.container(ty);
    if let Some(orig) = item.originals.and_then(|o| o.container_id.as_deref()) {
        renamed.insert(orig.to_owned(), container.clone());
    }

    // Unmodelled objects: untouched for the provider, re-issued for the others.
    let extra: Vec<Value> = match item.originals {
        Some(o) if item.own => o.extra.iter().chain(&o.provider_objects).cloned().collect(),
        Some(o) if v.technical_details.is_some() => {
            reissue_all(&o.extra, &ids, &renamed, marking, &created, &modified)
        }
        _ => Vec::new(),
    };
    for e in &extra {
        if let Some(id) = e.get("id").and_then(Value::as_str) {
            let ty = object_type(id);
            if ty != "identity" && ty != "marking-definition" {
                refs.insert(id.to_owned());
            }
        }
    }

    let mut description = v.executive_context.clone();
    if let Some(t) = v
        .technical_details
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        description.push_str(TECHNICAL_HEADING);
        description.push_str(t);
    }
    let mut c = base(ty, &container);
    c.insert("name".into(), v.title.clone().into());
    if !description.trim().is_empty() {
        c.insert("description".into(), description.into());
    }
    c.insert("confidence".into(), confidence_value(v.confidence).into());
    if grouping {
        c.insert("context".into(), "suspicious-activity".into());
    } else {
        let report_type = match v.kind {
            ItemKind::Countermeasure => "countermeasure",
            ItemKind::BestPractice => "best-practice",
            ItemKind::ThreatInformation | ItemKind::Analysis => "threat-report",
        };
        c.insert("report_types".into(), json!([report_type]));
        c.insert("published".into(), created.clone().into());
    }
    if refs.is_empty() {
        // object_refs must not be empty: the council relayed it.
        refs.insert(council.clone());
    }
    c.insert("object_refs".into(), json!(refs));
    objects.push(Value::Object(c));

    objects.extend(feedback_objects(item, &ids, &container, &council, marking));
    objects.extend(extra);
    objects.sort_by(|a, b| id_of(a).cmp(id_of(b)));
    objects
}

fn id_of(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or("")
}

/// Sightings, opinions and notes for the item's feedback. They name no responder: only
/// the per-item pseudonym, and no `where_sighted_refs`.
fn feedback_objects(
    item: &ExportItem<'_>,
    ids: &Ids<'_>,
    container: &str,
    council: &str,
    marking: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    for f in item.feedback {
        let at = timestamp(f.at);
        let base = |ty: &str, key: &str| {
            let id = ids.council(ty, &format!("feedback/{key}/{}", f.pseudonym));
            sdo(ty, &id, &at, &at, Some(council), marking)
        };
        let comment = f.comment.trim();
        let authors = json!([f.pseudonym]);
        let o = match &f.answer {
            Answer::Sighting {
                sighting: Sighting::Unknown,
                ..
            } => {
                let mut o = base("note", "sighting");
                o.insert(
                    "abstract".into(),
                    "Cannot tell whether this was seen".into(),
                );
                let mut content =
                    "A task-force member cannot tell whether this reached it.".to_owned();
                if !comment.is_empty() {
                    content.push_str("\n\n");
                    content.push_str(comment);
                }
                o.insert("content".into(), content.into());
                o.insert("authors".into(), authors);
                o.insert("object_refs".into(), json!([container]));
                o
            }
            Answer::Sighting {
                sighting,
                count,
                first_seen,
                last_seen,
            } => {
                let mut o = base("sighting", "sighting");
                o.insert("sighting_of_ref".into(), container.into());
                let n = if *sighting == Sighting::Seen {
                    count.unwrap_or(1).clamp(1, 999_999_999)
                } else {
                    0
                };
                o.insert("count".into(), n.into());
                let (first, last) = match (*first_seen, *last_seen) {
                    (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                    other => other,
                };
                if let Some(t) = first {
                    o.insert("first_seen".into(), timestamp(t).into());
                }
                if let Some(t) = last {
                    o.insert("last_seen".into(), timestamp(t).into());
                }
                if !comment.is_empty() {
                    o.insert("description".into(), comment.into());
                }
                o
            }
            Answer::Opinion {
                opinion: Opinion::Supplement,
            } => {
                let mut o = base("note", "opinion");
                o.insert("abstract".into(), "Supplement".into());
                let content = if comment.is_empty() {
                    "(no text)"
                } else {
                    comment
                };
                o.insert("content".into(), content.into());
                o.insert("authors".into(), authors);
                o.insert("object_refs".into(), json!([container]));
                o
            }
            Answer::Opinion { opinion } => {
                let mut o = base("opinion", "opinion");
                let stance = if *opinion == Opinion::Agree {
                    "agree"
                } else {
                    "disagree"
                };
                o.insert("opinion".into(), stance.into());
                if !comment.is_empty() {
                    o.insert("explanation".into(), comment.into());
                }
                o.insert("authors".into(), authors);
                o.insert("object_refs".into(), json!([container]));
                o
            }
        };
        out.push(Value::Object(o));
    }
    out
}

/// Re-issues unmodelled objects for a viewer that is not the provider: new council
/// ids, the council as creator, the item's TLP, no external references, every
/// reference rewritten or dropped. Objects whose required references are all dropped
/// are dropped too (to a fixed point). Identities and marking definitions are never
/// re-issued.
fn reissue_all(
    extra: &[Value],
    ids: &Ids<'_>,
    modelled: &HashMap<String, String>,
    marking: &str,
    created: &str,
    modified: &str,
) -> Vec<Value> {
    let candidates: Vec<(&Value, String, String)> = extra
        .iter()
        .filter_map(|o| {
            let orig = o.get("id")?.as_str()?;
            let ty = object_type(orig);
            (ty != "identity" && ty != "marking-definition").then(|| {
                let new = ids.council(ty, &format!("extra:{orig}"));
                (o, orig.to_owned(), new)
            })
        })
        .collect();
    let mut keep: Vec<bool> = vec![true; candidates.len()];
    loop {
        let mut map = modelled.clone();
        map.insert(council_identity_id(), council_identity_id());
        for ((_, orig, new), k) in candidates.iter().zip(&keep) {
            if *k {
                map.insert(orig.clone(), new.clone());
            }
        }
        let mut out = Vec::new();
        let mut changed = false;
        for ((o, _, new), k) in candidates.iter().zip(keep.iter_mut()) {
            if !*k {
                continue;
            }
            match reissue(o, new, &map, marking, created, modified) {
                Some(v) => out.push(v),
                None => {
                    *k = false;
                    changed = true;
                }
            }
        }
        if !changed {
            return out;
        }
    }
}

/// Properties whose reference a re-issued object cannot lose.
const REQUIRED_REFS: [&str; 3] = ["source_ref", "target_ref", "sighting_of_ref"];
/// Properties whose list of references a re-issued object cannot have empty.
const REQUIRED_REF_LISTS: [&str; 1] = ["object_refs"];

fn reissue(
    o: &Value,
    new_id: &str,
    map: &HashMap<String, String>,
    marking: &str,
    created: &str,
    modified: &str,
) -> Option<Value> {
    let src = o.as_object()?;
    let ty = src.get("type")?.as_str()?;
    let sco = SCO_TYPES.contains(&ty);
    let mut out = Map::new();
    for (k, v) in src {
        match k.as_str() {
            "id"
            | "created_by_ref"
            | "external_references"
            | "granular_markings"
            | "object_marking_refs"
            | "created"
            | "modified" => {}
            key if key.ends_with("_ref") => match v.as_str().and_then(|r| map.get(r)) {
                Some(new) => {
                    out.insert(k.clone(), new.clone().into());
                }
                None if REQUIRED_REFS.contains(&key) => return None,
                None => {}
            },
            key if key.ends_with("_refs") => {
                let list: Vec<Value> = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| r.as_str().and_then(|r| map.get(r)).cloned())
                            .map(Value::from)
                            .collect()
                    })
                    .unwrap_or_default();
                if list.is_empty() {
                    if REQUIRED_REF_LISTS.contains(&key) {
                        return None;
                    }
                } else {
                    out.insert(k.clone(), Value::Array(list));
                }
            }
            _ => {
                out.insert(k.clone(), scrub(v, map));
            }
        }
    }
    out.insert("id".into(), new_id.into());
    if !sco {
        if src.contains_key("created") {
            out.insert("created".into(), created.into());
        }
        if src.contains_key("modified") {
            out.insert("modified".into(), modified.into());
        }
        out.insert("created_by_ref".into(), council_identity_id().into());
    }
    out.insert("object_marking_refs".into(), json!([marking]));
    Some(Value::Object(out))
}

/// Rewrites every STIX id inside `v` (in any string, at any depth): a re-issued one to
/// its new id, a TLP marking or extension definition kept, any other withheld.
fn scrub(v: &Value, map: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(scrub_str(s, map)),
        Value::Array(a) => Value::Array(a.iter().map(|x| scrub(x, map)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (scrub_str(k, map), scrub(x, map)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn scrub_str(s: &str, map: &HashMap<String, String>) -> String {
    if !s.contains("--") {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while let Some(pos) = s[i..].find("--").map(|p| p + i) {
        let uuid_end = pos + 2 + 36;
        let mut start = pos;
        while start > last
            && (bytes[start - 1].is_ascii_lowercase()
                || bytes[start - 1].is_ascii_digit()
                || bytes[start - 1] == b'-')
        {
            start -= 1;
        }
        let candidate = s.get(start..uuid_end);
        match candidate.filter(|c| start < pos && parse_id(c).is_some()) {
            Some(id) => {
                out.push_str(&s[last..start]);
                let keep = tlp_of_marking(id).is_some() || id.starts_with("extension-definition--");
                match map.get(id) {
                    Some(new) => out.push_str(new),
                    None if keep => out.push_str(id),
                    None => out.push_str("[withheld]"),
                }
                last = uuid_end;
                i = uuid_end;
            }
            None => i = pos + 2,
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Writes each object of `items` to `emit`: the TLP:CLEAR marking and the council
/// identity first, then per item the marking it needs (once) and its objects.
fn for_each_object<'a>(
    items: impl IntoIterator<Item = ExportItem<'a>>,
    mut emit: impl FnMut(&Value) -> io::Result<()>,
) -> io::Result<()> {
    let mut markings: BTreeSet<Tlp> = BTreeSet::new();
    emit(&tlp_marking(Tlp::Clear))?;
    markings.insert(Tlp::Clear);
    emit(&council_identity())?;
    // Only the provider's original ids can repeat across items.
    let mut seen: HashSet<String> = HashSet::new();
    for item in items {
        if markings.insert(item.view.tlp) {
            emit(&tlp_marking(item.view.tlp))?;
        }
        let dedupe = item.own && item.originals.is_some();
        for o in item_objects(&item) {
            if dedupe && !seen.insert(id_of(&o).to_owned()) {
                continue;
            }
            emit(&o)?;
        }
    }
    Ok(())
}

fn bundle_id(hash: Sha256) -> String {
    let digest = hex::encode(hash.finalize());
    format!(
        "bundle--{}",
        Uuid::new_v5(&NAMESPACE, format!("bundle/{digest}").as_bytes())
    )
}

/// Streams a STIX 2.1 bundle of `items` to `out`:
/// `{"type":"bundle","objects":[…],"id":"bundle--…"}`. The bundle id is derived from
/// the objects, so the same input always gives the same bytes. Markings and the
/// council identity appear once.
///
/// # Errors
/// Those of `out`.
pub fn write_bundle<'a>(
    items: impl IntoIterator<Item = ExportItem<'a>>,
    mut out: impl Write,
) -> io::Result<()> {
    out.write_all(br#"{"type":"bundle","objects":["#)?;
    let mut hash = Sha256::new();
    let mut first = true;
    for_each_object(items, |o| {
        let bytes = serde_json::to_vec(o).map_err(io::Error::other)?;
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        hash.update(&bytes);
        out.write_all(&bytes)
    })?;
    write!(out, r#"],"id":"{}"}}"#, bundle_id(hash))?;
    out.flush()
}

/// The bundle [`write_bundle`] writes, as a value.
#[must_use]
pub fn bundle<'a>(items: impl IntoIterator<Item = ExportItem<'a>>) -> Value {
    let mut objects = Vec::new();
    let mut hash = Sha256::new();
    let written = for_each_object(items, |o| {
        hash.update(serde_json::to_vec(o).map_err(io::Error::other)?);
        objects.push(o.clone());
        Ok(())
    });
    debug_assert!(written.is_ok(), "collecting into memory cannot fail");
    json!({"type": "bundle", "objects": objects, "id": bundle_id(hash)})
}

// ---------------------------------------------------------------------------------
// STIX patterns
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Str(String),
    /// A number, boolean, or `t'…'`, `h'…'`, `b'…'` literal.
    Literal,
    /// A timestamp literal `t'…'`.
    Time,
    Op(&'static str),
    Word(String),
    Path(String, Vec<String>),
}

fn read_quoted(chars: &[char], i: &mut usize) -> Result<String, String> {
    // chars[*i] is the opening quote.
    *i += 1;
    let mut s = String::new();
    loop {
        match chars.get(*i) {
            None => return Err("unterminated string literal".into()),
            Some('\'') => {
                *i += 1;
                return Ok(s);
            }
            Some('\\') => match chars.get(*i + 1) {
                Some(c @ ('\'' | '\\')) => {
                    s.push(*c);
                    *i += 2;
                }
                _ => return Err("bad escape in string literal (only \\' and \\\\)".into()),
            },
            Some(c) => {
                s.push(*c);
                *i += 1;
            }
        }
    }
}

fn tokenize(p: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    while let Some(&c) = chars.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '[' => {
                toks.push(Tok::LBrack);
                i += 1;
            }
            ']' => {
                toks.push(Tok::RBrack);
                i += 1;
            }
            '(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            '\'' => toks.push(Tok::Str(read_quoted(&chars, &mut i)?)),
            '=' => {
                toks.push(Tok::Op("="));
                i += 1;
            }
            '!' | '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => return Err("'!' must be followed by '='".into()),
                };
                toks.push(Tok::Op(op));
                i += if eq { 2 } else { 1 };
            }
            c if c.is_ascii_digit() || ((c == '-' || c == '+') && i + 1 < chars.len()) => {
                i += 1;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    i += 1;
                }
                toks.push(Tok::Literal);
            }
            c if word_char(c) => {
                let start = i;
                while chars.get(i).is_some_and(|c| word_char(*c)) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'\'') && matches!(word.as_str(), "t" | "h" | "b") {
                    read_quoted(&chars, &mut i)?;
                    toks.push(if word == "t" { Tok::Time } else { Tok::Literal });
                } else if chars.get(i) == Some(&':') {
                    i += 1;
                    toks.push(read_path(&chars, &mut i, word)?);
                } else {
                    toks.push(Tok::Word(word));
                }
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(toks)
}

fn read_path(chars: &[char], i: &mut usize, ty: String) -> Result<Tok, String> {
    if !valid_type_name(&ty) {
        return Err(format!("{ty:?} is not an object type"));
    }
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut parts = Vec::new();
    let start = *i;
    while chars.get(*i).is_some_and(|c| ident(*c)) {
        *i += 1;
    }
    if start == *i {
        return Err(format!("missing property after {ty}:"));
    }
    parts.push(chars[start..*i].iter().collect());
    loop {
        match chars.get(*i) {
            Some('.') => {
                *i += 1;
                if chars.get(*i) == Some(&'\'') {
                    parts.push(read_quoted(chars, i)?);
                } else {
                    let s = *i;
                    while chars.get(*i).is_some_and(|c| ident(*c) || *c == '-') {
                        *i += 1;
                    }
                    if s == *i {
                        return Err("empty path component".into());
                    }
                    parts.push(chars[s..*i].iter().collect());
                }
            }
            Some('[') => {
                let s = *i + 1;
                let mut j = s;
                while chars
                    .get(j)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '*')
                {
                    j += 1;
                }
                if j == s || chars.get(j) != Some(&']') {
                    // A '[' after a path that is not an index: leave it to the parser.
                    break;
                }
                parts.push(chars[s - 1..=j].iter().collect());
                *i = j + 1;
            }
            _ => break,
        }
    }
    Ok(Tok::Path(ty, parts))
}

/// What [`check_pattern`] learned about a pattern.
struct PatternShape {
    observations: usize,
    comparisons: usize,
    complex: bool,
    first: Option<(String, Vec<String>, String)>,
}

struct PatternParser {
    toks: Vec<Tok>,
    pos: usize,
    shape: PatternShape,
}

impl PatternParser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn expect(&mut self, t: &Tok, what: &str) -> Result<(), String> {
        if self.peek() == Some(t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }

    fn obs_or(&mut self) -> Result<(), String> {
        self.obs_and()?;
        while self.word("OR") {
            self.pos += 1;
            self.shape.complex = true;
            self.obs_and()?;
        }
        Ok(())
    }

    fn obs_and(&mut self) -> Result<(), String> {
        self.obs_qualified()?;
        while self.word("AND") || self.word("FOLLOWEDBY") {
            self.pos += 1;
            self.shape.complex = true;
            self.obs_qualified()?;
        }
        Ok(())
    }

    fn obs_qualified(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(Tok::LBrack) => {
                self.pos += 1;
                self.shape.observations += 1;
                self.comp_or()?;
                self.expect(&Tok::RBrack, "']'")?;
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                self.shape.complex = true;
                self.obs_or()?;
                self.expect(&Tok::RParen, "')'")?;
            }
            _ => return Err("expected '[' or '('".into()),
        }
        loop {
            if self.word("WITHIN") {
                self.pos += 1;
                self.expect(&Tok::Literal, "a number after WITHIN")?;
                self.expect(&Tok::Word("SECONDS".into()), "SECONDS")?;
            } else if self.word("REPEATS") {
                self.pos += 1;
                self.expect(&Tok::Literal, "a number after REPEATS")?;
                self.expect(&Tok::Word("TIMES".into()), "TIMES")?;
            } else if self.word("START") {
                self.pos += 1;
                self.expect(&Tok::Time, "a t'…' timestamp after START")?;
                self.expect(&Tok::Word("STOP".into()), "STOP")?;
                self.expect(&Tok::Time, "a t'…' timestamp after STOP")?;
            } else {
                return Ok(());
            }
            self.shape.complex = true;
        }
    }

    fn comp_or(&mut self) -> Result<(), String> {
        self.comp_and()?;
        while self.word("OR") {
            self.pos += 1;
            self.shape.complex = true;
            self.comp_and()?;
        }
        Ok(())
    }

    fn comp_and(&mut self) -> Result<(), String> {
        self.comparison()?;
        while self.word("AND") {
            self.pos += 1;
            self.shape.complex = true;
            self.comparison()?;
        }
        Ok(())
    }

    fn literal(&mut self) -> Result<Option<String>, String> {
        match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Some(s))
            }
            Some(Tok::Literal | Tok::Time) => {
                self.pos += 1;
                Ok(None)
            }
            Some(Tok::Word(w)) if w == "true" || w == "false" => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err("expected a literal".into()),
        }
    }

    fn comparison(&mut self) -> Result<(), String> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.shape.complex = true;
            self.comp_or()?;
            return self.expect(&Tok::RParen, "')'");
        }
        self.shape.comparisons += 1;
        if self.word("EXISTS") {
            self.pos += 1;
            self.shape.complex = true;
            return match self.peek() {
                Some(Tok::Path(..)) => {
                    self.pos += 1;
                    Ok(())
                }
                _ => Err("expected an object path after EXISTS".into()),
            };
        }
        let Some(Tok::Path(ty, parts)) = self.peek().cloned() else {
            return Err("expected an object path such as ipv4-addr:value".into());
        };
        self.pos += 1;
        if self.word("NOT") {
            self.pos += 1;
            self.shape.complex = true;
        }
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.pos += 1;
                let lit = self.literal()?;
                match lit {
                    Some(value) if op == "=" => {
                        if self.shape.first.is_none() {
                            self.shape.first = Some((ty, parts, value));
                        }
                    }
                    _ => self.shape.complex = true,
                }
            }
            Some(Tok::Word(w)) if w == "IN" => {
                self.pos += 1;
                self.shape.complex = true;
                self.expect(&Tok::LParen, "'(' after IN")?;
                self.literal()?;
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    self.literal()?;
                }
                self.expect(&Tok::RParen, "')' closing IN")?;
            }
            Some(Tok::Word(w))
                if matches!(w.as_str(), "LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET") =>
            {
                self.pos += 1;
                self.shape.complex = true;
                match self.peek() {
                    Some(Tok::Str(_)) => self.pos += 1,
                    _ => return Err(format!("expected a string after {w}")),
                }
            }
            _ => return Err("expected a comparison operator".into()),
        }
        Ok(())
    }
}

/// Checks the syntax of a STIX pattern and describes its shape.
fn check_pattern(pattern: &str) -> Result<PatternShape, String> {
    let mut p = PatternParser {
        toks: tokenize(pattern)?,
        pos: 0,
        shape: PatternShape {
            observations: 0,
            comparisons: 0,
            complex: false,
            first: None,
        },
    };
    p.obs_or()?;
    if p.pos != p.toks.len() {
        return Err("unexpected text after the pattern".into());
    }
    Ok(p.shape)
}

/// `[type:path = 'literal']` with a plain path (`value`, `hashes.MD5`,
/// `hashes.'SHA-256'`), or `None` for anything else (left to the general parser).
fn simple_pattern(p: &str) -> Option<(&str, Vec<String>, String)> {
    let inner = p.trim().strip_prefix('[')?.strip_suffix(']')?.trim_start();
    let (ty, rest) = inner.split_once(':')?;
    if !valid_type_name(ty) {
        return None;
    }
    let end = rest.find(|c: char| c.is_whitespace() || c == '=')?;
    let (path, rest) = rest.split_at(end);
    let mut parts = Vec::new();
    for part in path.split('.') {
        let part = match part.strip_prefix('\'').and_then(|q| q.strip_suffix('\'')) {
            Some(q) if !q.is_empty() && !q.contains(['\'', '\\']) => q,
            _ if !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                part
            }
            _ => return None,
        };
        parts.push(part.to_owned());
    }
    let lit = rest
        .trim_start()
        .strip_prefix('=')?
        .trim_start()
        .strip_prefix('\'')?;
    let mut value = String::with_capacity(lit.len());
    let mut chars = lit.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('\'' | '\\'))) => value.push(e),
                _ => return None,
            },
            '\'' => return lit[i + 1..].trim().is_empty().then_some((ty, parts, value)),
            c => value.push(c),
        }
    }
    None
}

/// The council's indicator kind for an object path, if it models it.
fn kind_of_path(ty: &str, parts: &[String], value: &str) -> Option<IndicatorKind> {
    let path: Vec<&str> = parts.iter().map(String::as_str).collect();
    let cidr = value.contains('/');
    Some(match (ty, path.as_slice()) {
        ("ipv4-addr", ["value"]) if cidr => IndicatorKind::Cidr,
        ("ipv4-addr", ["value"]) => IndicatorKind::Ipv4,
        ("ipv6-addr", ["value"]) if cidr => IndicatorKind::Cidr,
        ("ipv6-addr", ["value"]) => IndicatorKind::Ipv6,
        ("domain-name", ["value"]) => IndicatorKind::Domain,
        ("url", ["value"]) => IndicatorKind::Url,
        ("email-addr", ["value"]) => IndicatorKind::Email,
        ("email-message", ["subject"]) => IndicatorKind::EmailSubject,
        ("file", ["hashes", h]) => match h.to_ascii_uppercase().replace('-', "").as_str() {
            "MD5" => IndicatorKind::Md5,
            "SHA1" => IndicatorKind::Sha1,
            "SHA256" => IndicatorKind::Sha256,
            _ => return None,
        },
        _ => return None,
    })
}

/// The council indicator a STIX pattern stands for: `Ok(None)` when the pattern is
/// valid but not one simple comparison the council models.
///
/// # Errors
/// The reason when the pattern is not valid STIX patterning, or its value is not
/// valid for the indicator kind its object path names.
pub fn indicator_from_pattern(pattern: &str) -> Result<Option<Indicator>, String> {
    if let Some((ty, parts, value)) = simple_pattern(pattern) {
        // The common case, without the general parser.
        return match kind_of_path(ty, &parts, &value) {
            Some(kind) => Indicator::parse(kind, &value)
                .map(Some)
                .map_err(|e| format!("value invalid for its indicator kind: {e}")),
            None => Ok(None),
        };
    }
    let shape = check_pattern(pattern).map_err(|e| format!("pattern unparseable: {e}"))?;
    if shape.complex || shape.observations != 1 || shape.comparisons != 1 {
        return Ok(None);
    }
    let Some((ty, parts, value)) = shape.first else {
        return Ok(None);
    };
    let Some(kind) = kind_of_path(&ty, &parts, &value) else {
        return Ok(None);
    };
    Indicator::parse(kind, &value)
        .map(Some)
        .map_err(|e| format!("value invalid for its indicator kind: {e}"))
}

// ---------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------

/// Why an import failed. Nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StixImportError {
    /// One object is invalid.
    #[error("objects[{index}] ({}): {reason}", .id.as_deref().unwrap_or("no id"))]
    Object {
        /// Its position in `objects`, from 0.
        index: u64,
        /// Its `id`, if it has one.
        id: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// The input is not a bundle (not JSON, no `"type": "bundle"`, a bad bundle id, …).
    #[error("not a STIX 2.1 bundle: {0}")]
    Bundle(String),
    /// Reading failed.
    #[error("reading the bundle failed: {0}")]
    Io(String),
}

/// One item an import produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedItem {
    /// Kind: a report gives threat information (or the countermeasure or best practice
    /// its `report_types` names), a grouping an analysis.
    pub kind: ItemKind,
    /// Title: the container's name, or a description of the loose objects.
    pub title: String,
    /// Context for executives: the container's description.
    pub executive_context: String,
    /// Technical details, when the description carries tsunagu's technical section.
    pub technical_details: String,
    /// Countermeasures: the course-of-action texts.
    pub countermeasures: String,
    /// Indicators, without duplicates, at most [`MAX_INDICATORS`].
    pub indicators: Vec<Indicator>,
    /// CVEs, without duplicates, at most [`MAX_REFERENCES`].
    pub cves: Vec<CveId>,
    /// ATT&CK techniques, without duplicates, at most [`MAX_REFERENCES`].
    pub techniques: Vec<TechniqueId>,
    /// Confidence (STIX `confidence` ≥ 70 confirmed, ≥ 30 probable).
    pub confidence: Confidence,
    /// The most restrictive TLP among the objects (AMBER when none is marked).
    pub tlp: Tlp,
    /// What to store next to the item for re-export.
    pub originals: StixOriginals,
}

impl ImportedItem {
    /// The item's content with the scope the caller chose, and the originals to keep:
    /// texts and references are checked as any draft's ([`ItemDraft::parse`]); the
    /// indicators, already parsed, deduplicated and bounded by the reader, are moved
    /// rather than written out and parsed again (a 1M-indicator import held both
    /// copies at its memory peak).
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the field at fault.
    pub fn into_content(
        mut self,
        scope: Scope,
    ) -> Result<(ItemContent, StixOriginals), DomainError> {
        let indicators = std::mem::take(&mut self.indicators);
        let mut content = self.draft(scope).parse()?;
        content.indicators = indicators;
        Ok((content, self.originals))
    }

    /// The draft of everything but the indicators.
    fn draft(&self, scope: Scope) -> ItemDraft {
        ItemDraft {
            kind: self.kind,
            title: self.title.clone(),
            executive_context: self.executive_context.clone(),
            technical_details: self.technical_details.clone(),
            countermeasures: self.countermeasures.clone(),
            victim: None,
            indicators: Vec::new(),
            techniques: self
                .techniques
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            cves: self.cves.iter().map(|c| c.as_str().to_owned()).collect(),
            products: Vec::new(),
            confidence: self.confidence,
            tlp: self.tlp,
            scope,
            show_provider_sector: false,
            clearance: None,
        }
    }
}

/// What an import would create.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    /// The items, containers first (in file order), then the loose objects.
    pub items: Vec<ImportedItem>,
    /// Objects read, per type.
    pub counts: BTreeMap<String, u64>,
    /// Objects left out: (id, why).
    pub skipped: Vec<(String, String)>,
}

/// A reference to an object: interned type and UUID.
type ObjKey = (u16, u128);

/// Hashes UUIDs (already random) and indicators cheaply.
#[derive(Default, Clone, Copy)]
struct UuidHasher(u64);

impl std::hash::Hasher for UuidHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0; 8];
            b.copy_from_slice(w);
            self.write_u64(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(b) ^ 0xff);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(23) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Where each object went, per interned type, by UUID (as two words, to keep entries
/// small).
#[derive(Default)]
struct Slots(Vec<HashMap<(u64, u64), Slot, std::hash::BuildHasherDefault<UuidHasher>>>);

impl Slots {
    fn split(key: ObjKey) -> (usize, (u64, u64)) {
        #[allow(clippy::cast_possible_truncation)]
        let words = ((key.1 >> 64) as u64, key.1 as u64);
        (usize::from(key.0), words)
    }
    fn get(&self, key: &ObjKey) -> Option<&Slot> {
        let (t, k) = Self::split(*key);
        self.0.get(t)?.get(&k)
    }
    fn contains_key(&self, key: &ObjKey) -> bool {
        self.get(key).is_some()
    }
    /// Files `key` unless it is there already: whether it was new.
    fn insert_new(&mut self, key: ObjKey, slot: Slot) -> bool {
        let (t, k) = Self::split(key);
        if self.0.len() <= t {
            self.0.resize_with(t + 1, HashMap::default);
        }
        match self.0[t].entry(k) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(slot);
                true
            }
        }
    }
    fn insert(&mut self, key: ObjKey, slot: Slot) {
        let (t, k) = Self::split(key);
        if self.0.len() <= t {
            self.0.resize_with(t + 1, HashMap::default);
        }
        self.0[t].insert(k, slot);
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Indicator(u32),
    Vulnerability(u32),
    AttackPattern(u32),
    Course(u32),
    Extra(u32),
    Provider(u32),
    Container,
    Ignored,
}

/// A modelled object, compactly.
struct Modelled<T> {
    value: T,
    uuid: Uuid,
    tlp: Option<Tlp>,
    creator: u32,
    used: bool,
}

struct Container {
    id: String,
    kind: ItemKind,
    title: String,
    description: String,
    confidence: Confidence,
    tlp: Option<Tlp>,
    creator: Option<String>,
    markings: Vec<String>,
    refs: Vec<ObjKey>,
}

#[derive(Default)]
struct State {
    read: u64,
    saw_bundle_type: bool,
    counts: BTreeMap<String, u64>,
    skipped: Vec<(String, String)>,
    types: Vec<String>,
    slots: Slots,
    creators: Vec<String>,
    creator_index: HashMap<String, u32>,
    indicators: Vec<Modelled<Indicator>>,
    vulnerabilities: Vec<Modelled<CveId>>,
    techniques: Vec<Modelled<TechniqueId>>,
    courses: Vec<Modelled<String>>,
    extras: Vec<(String, Value, Option<Tlp>, bool)>,
    provider: Vec<(String, Value, bool)>,
    containers: Vec<Container>,
}

const TIMESTAMP_PROPS: [&str; 9] = [
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "published",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
];

/// Whether `s` is a STIX timestamp: `YYYY-MM-DDTHH:MM:SS[.s+]Z`, a real date and time.
fn valid_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return false;
    }
    let num = |i: usize, n: usize| -> Option<u32> {
        b.get(i..i + n)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if [b[4], b[7], b[10], b[13], b[16]] != [b'-', b'-', b'T', b':', b':'] {
        return false;
    }
    let frac = &b[19..b.len() - 1];
    if !(frac.is_empty()
        || (frac.len() >= 2 && frac[0] == b'.' && frac[1..].iter().all(u8::is_ascii_digit)))
    {
        return false;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && h < 24 && mi < 60 && sec <= 60
}

fn required_props(ty: &str) -> &'static [&'static str] {
    match ty {
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "report" => &["name", "published", "object_refs"],
        "grouping" => &["context", "object_refs"],
        "identity" | "vulnerability" | "attack-pattern" | "course-of-action" | "campaign"
        | "intrusion-set" | "threat-actor" | "tool" | "infrastructure" | "location" => &["name"],
        "malware" => &["is_family"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        "note" => &["content", "object_refs"],
        "opinion" => &["opinion", "object_refs"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        _ => &[],
    }
}

/// Cleans imported text into what [`ItemDraft::parse`] accepts: no control characters
/// but newlines and tabs, at most `max` characters.
fn clean_text(s: &str, max: usize, one_line: bool) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if one_line && c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let t = cleaned.trim();
    match t.char_indices().nth(max) {
        Some((end, _)) => {
            let cut: String = t[..end].chars().take(max.saturating_sub(1)).collect();
            format!("{}…", cut.trim_end())
        }
        None => t.to_owned(),
    }
}

fn max_tlp(a: Option<Tlp>, b: Option<Tlp>) -> Option<Tlp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A string property, borrowed when it has no escapes. Only a JSON string is accepted
/// (not `null`): anything else makes [`FastIndicator`] fail, and the object then takes
/// the general path, which gives the exact error.
#[derive(Default)]
struct Str<'a>(Option<std::borrow::Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowVisitor).map(|s| Str(Some(s)))
    }
}

impl Str<'_> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

struct CowVisitor;

impl<'de> Visitor<'de> for CowVisitor {
    type Value = std::borrow::Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v))
    }
}

/// `confidence`, accepted only as an integer from 0 to 100.
#[derive(Default)]
struct ValidConfidence;

impl<'de> Deserialize<'de> for ValidConfidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ValidConfidence;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer from 0 to 100")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ValidConfidence, E> {
                if v <= 100 {
                    Ok(ValidConfidence)
                } else {
                    Err(E::custom("out of range"))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ValidConfidence, E> {
                if (0..=100).contains(&v) {
                    Ok(ValidConfidence)
                } else {
                    Err(E::custom("out of range"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `object_marking_refs`, accepted only as a list of marking-definition ids: the most
/// restrictive TLP among them.
#[derive(Default)]
struct MarkingTlp(Option<Tlp>);

impl<'de> Deserialize<'de> for MarkingTlp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MarkingTlp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of marking-definition ids")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MarkingTlp, A::Error> {
                use serde::de::Error;
                let mut tlp = None;
                while let Some(Str(r)) = seq.next_element::<Str<'de>>()? {
                    let r = r.as_deref().unwrap_or("");
                    if parse_id(r).is_none_or(|(t, _)| t != "marking-definition") {
                        return Err(A::Error::custom("bad marking id"));
                    }
                    if let Some(t) = tlp_of_marking(r) {
                        tlp = max_tlp(tlp, Some(t));
                    }
                }
                Ok(MarkingTlp(tlp))
            }
        }
        d.deserialize_seq(V)
    }
}

/// What the importer needs of an indicator with a plain form: the fast path that
/// spares building a [`Value`] for the overwhelmingly common object. Anything it does
/// not accept, or any check that fails, sends the object down the general path
/// ([`State::object`]) instead, so the result and the errors stay the same.
#[derive(Default, Deserialize)]
#[serde(default)]
struct FastIndicator<'a> {
    #[serde(rename = "type", borrow)]
    ty: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    spec_version: Str<'a>,
    #[serde(borrow)]
    created: Str<'a>,
    #[serde(borrow)]
    modified: Str<'a>,
    #[serde(borrow)]
    valid_from: Str<'a>,
    #[serde(borrow)]
    valid_until: Str<'a>,
    #[serde(borrow)]
    published: Str<'a>,
    #[serde(borrow)]
    first_seen: Str<'a>,
    #[serde(borrow)]
    last_seen: Str<'a>,
    #[serde(borrow)]
    first_observed: Str<'a>,
    #[serde(borrow)]
    last_observed: Str<'a>,
    #[serde(borrow)]
    pattern: Str<'a>,
    #[serde(borrow)]
    pattern_type: Str<'a>,
    #[serde(borrow)]
    created_by_ref: Str<'a>,
    #[allow(dead_code)]
    confidence: ValidConfidence,
    object_marking_refs: MarkingTlp,
    revoked: Option<bool>,
}

impl FastIndicator<'_> {
    /// Whether every check [`State::object`] makes before filing an indicator passes.
    fn valid(&self) -> bool {
        let timestamps = [
            &self.created,
            &self.modified,
            &self.valid_from,
            &self.valid_until,
            &self.published,
            &self.first_seen,
            &self.last_seen,
            &self.first_observed,
            &self.last_observed,
        ];
        self.ty.get() == Some("indicator")
            && self
                .id
                .get()
                .and_then(parse_id)
                .is_some_and(|(t, _)| t == "indicator")
            && self.spec_version.get() == Some("2.1")
            && timestamps
                .iter()
                .all(|t| t.get().is_none_or(valid_timestamp))
            && [&self.created, &self.modified, &self.valid_from]
                .iter()
                .all(|t| t.0.is_some())
            && self.pattern.0.is_some()
            && self.pattern_type.0.is_some()
            && self
                .created_by_ref
                .get()
                .is_none_or(|c| parse_id(c).is_some_and(|(t, _)| t == "identity"))
    }
}

impl State {
    fn intern_type(&mut self, ty: &str) -> u16 {
        // Bundles use a handful of types: a scan beats hashing.
        if let Some(i) = self.types.iter().position(|t| t == ty) {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        self.types.push(ty.to_owned());
        u16::try_from(self.types.len() - 1).unwrap_or(u16::MAX)
    }

    fn intern_creator(&mut self, creator: Option<&str>) -> u32 {
        let Some(c) = creator else { return 0 };
        if let Some(i) = self.creator_index.get(c) {
            return *i;
        }
        self.creators.push(c.to_owned());
        let i = u32::try_from(self.creators.len()).unwrap_or(u32::MAX);
        self.creator_index.insert(c.to_owned(), i);
        i
    }

    fn key(&mut self, id: &str) -> Option<ObjKey> {
        let (ty, uuid) = parse_id(id)?;
        Some((self.intern_type(ty), uuid.as_u128()))
    }

    /// Reads one element of `objects` (`raw`, at offset `at` of the input).
    fn element(&mut self, raw: &[u8], at: u64, odd: bool) -> Result<(), StixImportError> {
        let index = self.read;
        self.read += 1;
        if !odd
            && let Ok(text) = std::str::from_utf8(raw)
            && self.fast_indicator(text)
        {
            return Ok(());
        }
        let v: Value = serde_json::from_slice(raw).map_err(|e| {
            StixImportError::Bundle(format!("{e} in objects[{index}] at byte {at}"))
        })?;
        let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        self.object(v)
            .map_err(|reason| StixImportError::Object { index, id, reason })
    }

    /// Files a valid indicator with a plain form without building a [`Value`]; `false`
    /// (having changed nothing) when the object needs the general path.
    fn fast_indicator(&mut self, text: &str) -> bool {
        let Ok(f) = serde_json::from_str::<FastIndicator<'_>>(text) else {
            return false;
        };
        if !f.valid() {
            return false;
        }
        let (Some(id), Some(pattern), Some(pattern_type)) =
            (f.id.get(), f.pattern.get(), f.pattern_type.get())
        else {
            return false;
        };
        let Some((_, uuid)) = parse_id(id) else {
            return false;
        };
        let revoked = f.revoked == Some(true);
        // The pattern is read before the id is looked up (one look-up, not two): a
        // duplicate whose pattern needs the general path takes it, which skips it all
        // the same.
        let ind = if revoked {
            None
        } else if pattern_type != "stix" {
            // Kept whole among the unmodelled objects.
            return false;
        } else {
            match indicator_from_pattern(pattern) {
                Ok(Some(ind)) => Some(ind),
                Ok(None) | Err(_) => return false,
            }
        };
        match self.counts.get_mut("indicator") {
            Some(n) => *n += 1,
            None => {
                self.counts.insert("indicator".into(), 1);
            }
        }
        let key = (self.intern_type("indicator"), uuid.as_u128());
        let slot = match ind {
            Some(_) => Slot::Indicator(index(self.indicators.len() + 1)),
            None => Slot::Ignored,
        };
        if !self.slots.insert_new(key, slot) {
            self.skipped.push((
                id.to_owned(),
                "duplicate id; the first object is kept".into(),
            ));
            return true;
        }
        match ind {
            Some(value) => {
                let creator = self.intern_creator(f.created_by_ref.get());
                self.indicators.push(Modelled {
                    value,
                    uuid,
                    tlp: f.object_marking_refs.0,
                    creator,
                    used: false,
                });
            }
            None => self.skipped.push((id.to_owned(), "revoked".into())),
        }
        true
    }

    /// Checks and files one object.
    fn object(&mut self, v: Value) -> Result<(), String> {
        let Value::Object(obj) = v else {
            return Err("not a JSON object".into());
        };
        let ty = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or("missing required property type")?
            .to_owned();
        if !valid_type_name(&ty) {
            return Err(format!("{ty:?} is not a valid object type"));
        }
        match self.counts.get_mut(&ty) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(ty.clone(), 1);
            }
        }
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or("missing required property id")?
            .to_owned();
        match parse_id(&id) {
            Some((t, _)) if t == ty => {}
            _ => return Err(format!("bad id format: expected {ty}--<uuid>")),
        }
        let sco = SCO_TYPES.contains(&ty.as_str());
        match obj.get("spec_version") {
            None if sco => {}
            None => return Err("missing required property spec_version".into()),
            Some(Value::String(s)) if s == "2.1" => {}
            Some(other) => return Err(format!("spec_version is not 2.1 (got {other})")),
        }
        for prop in TIMESTAMP_PROPS {
            if let Some(t) = obj.get(prop) {
                match t.as_str() {
                    Some(s) if valid_timestamp(s) => {}
                    _ => return Err(format!("bad timestamp in {prop}: {t}")),
                }
            }
        }
        let mut required: Vec<&str> = required_props(&ty).to_vec();
        if ty == "marking-definition" {
            required.push("created");
        } else if !sco {
            required.extend(["created", "modified"]);
        }
        if let Some(p) = required.iter().find(|p| !obj.contains_key(**p)) {
            return Err(format!("missing required property {p}"));
        }
        if let Some(c) = obj.get("confidence")
            && !c.as_i64().is_some_and(|c| (0..=100).contains(&c))
        {
            return Err(format!(
                "confidence must be an integer from 0 to 100, got {c}"
            ));
        }
        let creator = obj.get("created_by_ref").and_then(Value::as_str);
        if let Some(c) = creator
            && parse_id(c).is_none_or(|(t, _)| t != "identity")
        {
            return Err(format!("created_by_ref {c:?} is not an identity id"));
        }
        let mut tlp = None;
        let mut markings = Vec::new();
        if let Some(refs) = obj.get("object_marking_refs") {
            let list = refs.as_array().ok_or("object_marking_refs is not a list")?;
            for r in list {
                let r = r
                    .as_str()
                    .filter(|r| parse_id(r).is_some_and(|(t, _)| t == "marking-definition"))
                    .ok_or_else(|| format!("object_marking_refs has a bad id {r}"))?;
                match tlp_of_marking(r) {
                    Some(t) => tlp = max_tlp(tlp, Some(t)),
                    None => markings.push(r.to_owned()),
                }
            }
        }

        let key = self.key(&id).ok_or("bad id")?;
        if self.slots.contains_key(&key) {
            self.skipped
                .push((id, "duplicate id; the first object is kept".into()));
            return Ok(());
        }
        if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
            self.slots.insert(key, Slot::Ignored);
            self.skipped.push((id, "revoked".into()));
            return Ok(());
        }
        let creator_ix = self.intern_creator(creator);
        let uuid = Uuid::from_u128(key.1);
        let slot = match ty.as_str() {
            "marking-definition" if tlp_of_marking(&id).is_some() => Slot::Ignored,
            "marking-definition" | "identity" => {
                self.provider.push((id, Value::Object(obj), false));
                Slot::Provider(index(self.provider.len()))
            }
            "indicator" => {
                let pattern_type = obj
                    .get("pattern_type")
                    .and_then(Value::as_str)
                    .ok_or("pattern_type is not a string")?;
                let pattern = obj
                    .get("pattern")
                    .and_then(Value::as_str)
                    .ok_or("pattern is not a string")?;
                let parsed = if pattern_type == "stix" {
                    indicator_from_pattern(pattern)?
                } else {
                    None
                };
                match parsed {
                    Some(ind) => {
                        self.indicators.push(Modelled {
                            value: ind,
                            uuid,
                            tlp,
                            creator: creator_ix,
                            used: false,
                        });
                        Slot::Indicator(index(self.indicators.len()))
                    }
                    None => self.extra(id, obj, tlp),
                }
            }
            "vulnerability" => match cve_of(&obj) {
                Some(cve) => {
                    self.vulnerabilities.push(Modelled {
                        value: cve,
                        uuid,
                        tlp,
                        creator: creator_ix,
                        used: false,
                    });
                    Slot::Vulnerability(index(self.vulnerabilities.len()))
                }
                None => self.extra(id, obj, tlp),
            },
            "attack-pattern" => match technique_of(&obj) {
                Some(t) => {
                    self.techniques.push(Modelled {
                        value: t,
                        uuid,
                        tlp,
                        creator: creator_ix,
                        used: false,
                    });
                    Slot::AttackPattern(index(self.techniques.len()))
                }
                None => self.extra(id, obj, tlp),
            },
            "course-of-action" => {
                let text = obj
                    .get("description")
                    .or_else(|| obj.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.courses.push(Modelled {
                    value: text,
                    uuid,
                    tlp,
                    creator: creator_ix,
                    used: false,
                });
                Slot::Course(index(self.courses.len()))
            }
            "report" | "grouping" => {
                let c = self.container(&ty, id, &obj, tlp, markings)?;
                self.containers.push(c);
                Slot::Container
            }
            _ => self.extra(id, obj, tlp),
        };
        self.slots.insert(key, slot);
        Ok(())
    }

    fn extra(&mut self, id: String, obj: Map<String, Value>, tlp: Option<Tlp>) -> Slot {
        self.extras.push((id, Value::Object(obj), tlp, false));
        Slot::Extra(index(self.extras.len()))
    }

    fn container(
        &mut self,
        ty: &str,
        id: String,
        obj: &Map<String, Value>,
        tlp: Option<Tlp>,
        markings: Vec<String>,
    ) -> Result<Container, String> {
        let refs = obj
            .get("object_refs")
            .and_then(Value::as_array)
            .ok_or("object_refs is not a list")?;
        let mut keys = Vec::with_capacity(refs.len());
        for (i, r) in refs.iter().enumerate() {
            let key = r
                .as_str()
                .and_then(|r| self.key(r))
                .ok_or_else(|| format!("object_refs[{i}] is not an identifier"))?;
            keys.push(key);
        }
        let grouping = ty == "grouping";
        let kind = if grouping {
            ItemKind::Analysis
        } else {
            let types: Vec<&str> = obj
                .get("report_types")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if types.contains(&"countermeasure") {
                ItemKind::Countermeasure
            } else if types.contains(&"best-practice") {
                ItemKind::BestPractice
            } else {
                ItemKind::ThreatInformation
            }
        };
        let name = obj.get("name").and_then(Value::as_str).unwrap_or("");
        let mut title = clean_text(name, MAX_TITLE, true);
        if title.is_empty() {
            title = format!("Imported STIX {ty}");
        }
        let default = if grouping {
            Confidence::Unconfirmed
        } else {
            Confidence::Confirmed
        };
        Ok(Container {
            id,
            kind,
            title,
            description: obj
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            confidence: confidence_from(obj.get("confidence").and_then(Value::as_i64), default),
            tlp,
            creator: obj
                .get("created_by_ref")
                .and_then(Value::as_str)
                .map(str::to_owned),
            markings,
            refs: keys,
        })
    }

    /// Builds the items once every object has been read.
    #[allow(clippy::too_many_lines)]
    fn finish(mut self) -> ImportPlan {
        let mut items: Vec<ImportedItem> = Vec::new();
        let containers = std::mem::take(&mut self.containers);
        for c in containers {
            let mut parts = Parts::default();
            let mut tlp = c.tlp;
            let mut provider_refs: Vec<String> = c.markings.clone();
            provider_refs.extend(c.creator.clone());
            for key in &c.refs {
                match self.slots.get(key).copied() {
                    Some(Slot::Indicator(i)) => {
                        let m = &mut self.indicators[i as usize];
                        m.used = true;
                        tlp = max_tlp(tlp, m.tlp);
                        parts.indicators.push(i);
                    }
                    Some(Slot::Vulnerability(i)) => {
                        let m = &mut self.vulnerabilities[i as usize];
                        m.used = true;
                        tlp = max_tlp(tlp, m.tlp);
                        parts.vulnerabilities.push(i);
                    }
                    Some(Slot::AttackPattern(i)) => {
                        let m = &mut self.techniques[i as usize];
                        m.used = true;
                        tlp = max_tlp(tlp, m.tlp);
                        parts.techniques.push(i);
                    }
                    Some(Slot::Course(i)) => {
                        let m = &mut self.courses[i as usize];
                        m.used = true;
                        tlp = max_tlp(tlp, m.tlp);
                        parts.courses.push(i);
                    }
                    Some(Slot::Extra(i)) => {
                        let e = &mut self.extras[i as usize];
                        e.3 = true;
                        tlp = max_tlp(tlp, e.2);
                        parts.extras.push(i);
                    }
                    Some(Slot::Provider(i)) => {
                        provider_refs.push(self.provider[i as usize].0.clone());
                    }
                    Some(Slot::Container | Slot::Ignored) | None => {}
                }
            }
            for r in &provider_refs {
                if let Some(i) = self.provider.iter().position(|(id, ..)| id == r) {
                    self.provider[i].2 = true;
                    if !parts.provider.contains(&index(i + 1)) {
                        parts.provider.push(index(i + 1));
                    }
                }
            }
            let (executive_context, technical_details) =
                match c.description.split_once(TECHNICAL_HEADING) {
                    Some((e, t)) => (e.to_owned(), t.to_owned()),
                    None => (c.description.clone(), String::new()),
                };
            let header = Header {
                kind: c.kind,
                title: c.title.clone(),
                executive_context,
                technical_details,
                confidence: c.confidence,
                tlp: tlp.unwrap_or(Tlp::Amber),
                container_id: Some(c.id.clone()),
                created_by_ref: c.creator.clone(),
            };
            let inds = parts
                .indicators
                .iter()
                .map(|i| {
                    let m = &self.indicators[*i as usize];
                    (m.value.clone(), m.uuid)
                })
                .collect();
            self.build(&header, &parts, inds, &mut items);
        }
        // Every reference is resolved: free the index before building the loose items.
        self.slots = Slots::default();

        // Loose objects, grouped by TLP so no object is shared wider than marked. The
        // indicators are moved out of the list, which is freed before the items grow.
        let mut groups: BTreeMap<Tlp, Loose> = BTreeMap::new();
        let level = |t: Option<Tlp>| t.unwrap_or(Tlp::Amber);
        let indicators = std::mem::take(&mut self.indicators);
        let mut sizes: BTreeMap<Tlp, usize> = BTreeMap::new();
        for m in indicators.iter().filter(|m| !m.used) {
            *sizes.entry(level(m.tlp)).or_default() += 1;
        }
        for (tlp, n) in sizes {
            groups.entry(tlp).or_default().indicators.reserve_exact(n);
        }
        for m in indicators {
            if !m.used {
                let group = groups.entry(level(m.tlp)).or_default();
                group.creator.get_or_insert(m.creator);
                group.indicators.push((m.value, m.uuid));
            }
        }
        for (i, m) in self.vulnerabilities.iter().enumerate() {
            if !m.used {
                groups
                    .entry(level(m.tlp))
                    .or_default()
                    .parts
                    .vulnerabilities
                    .push(index(i + 1));
            }
        }
        for (i, m) in self.techniques.iter().enumerate() {
            if !m.used {
                groups
                    .entry(level(m.tlp))
                    .or_default()
                    .parts
                    .techniques
                    .push(index(i + 1));
            }
        }
        for (i, m) in self.courses.iter().enumerate() {
            if !m.used {
                groups
                    .entry(level(m.tlp))
                    .or_default()
                    .parts
                    .courses
                    .push(index(i + 1));
            }
        }
        for (i, e) in self.extras.iter().enumerate() {
            if !e.3 {
                groups
                    .entry(level(e.2))
                    .or_default()
                    .parts
                    .extras
                    .push(index(i + 1));
            }
        }
        let unused_provider: Vec<u32> = self
            .provider
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.2)
            .map(|(i, _)| index(i + 1))
            .collect();
        if let Some(first) = groups.values_mut().next() {
            first.parts.provider.extend(&unused_provider);
        } else if !unused_provider.is_empty() {
            for i in &unused_provider {
                let (id, _, _) = &self.provider[*i as usize];
                self.skipped
                    .push((id.clone(), "not referenced by any imported object".into()));
            }
        }
        for (tlp, group) in groups {
            let parts = group.parts;
            let creator = group
                .creator
                .or_else(|| {
                    parts
                        .vulnerabilities
                        .first()
                        .map(|i| self.vulnerabilities[*i as usize].creator)
                })
                .or_else(|| {
                    parts
                        .techniques
                        .first()
                        .map(|i| self.techniques[*i as usize].creator)
                })
                .filter(|c| *c > 0)
                .and_then(|c| self.creators.get(c as usize - 1).cloned());
            let header = Header {
                kind: ItemKind::ThreatInformation,
                title: String::new(),
                executive_context: "Imported from a STIX 2.1 bundle.".into(),
                technical_details: String::new(),
                confidence: Confidence::Probable,
                tlp,
                container_id: None,
                created_by_ref: creator,
            };
            self.build(&header, &parts, group.indicators, &mut items);
        }
        ImportPlan {
            items,
            counts: self.counts,
            skipped: self.skipped,
        }
    }

    /// Turns one container's (or one TLP group's) objects into one or more items, split
    /// at [`MAX_INDICATORS`] indicators and [`MAX_REFERENCES`] CVEs or techniques.
    /// `inds`: the indicators (`parts.indicators` is not used) with their original
    /// ids. They are consumed from the end, so that their memory goes as the items
    /// grow.
    fn build(
        &self,
        header: &Header,
        parts: &Parts,
        mut inds: Vec<(Indicator, Uuid)>,
        items: &mut Vec<ImportedItem>,
    ) {
        // Deduplicate by value, keeping the first.
        dedup_first(&mut inds);
        let mut seen = HashSet::new();
        let vulns: Vec<u32> = parts
            .vulnerabilities
            .iter()
            .copied()
            .filter(|i| seen.insert(self.vulnerabilities[*i as usize].value.clone()))
            .collect();
        let mut seen = HashSet::new();
        let techs: Vec<u32> = parts
            .techniques
            .iter()
            .copied()
            .filter(|i| seen.insert(self.techniques[*i as usize].value.clone()))
            .collect();
        let n = inds
            .len()
            .div_ceil(MAX_INDICATORS)
            .max(vulns.len().div_ceil(MAX_REFERENCES))
            .max(techs.len().div_ceil(MAX_REFERENCES))
            .max(1);
        let total = inds.len();
        let first_item = items.len();
        for part in (0..n).rev() {
            let chunk = inds.split_off((part * MAX_INDICATORS).min(inds.len()));
            inds.shrink_to_fit();
            let slice = |list: &[u32], size: usize| -> Vec<u32> {
                list.iter().skip(part * size).take(size).copied().collect()
            };
            let mut originals = StixOriginals {
                container_id: if part == 0 {
                    header.container_id.clone()
                } else {
                    None
                },
                created_by_ref: header.created_by_ref.clone(),
                ..StixOriginals::default()
            };
            // Keys are unique (the lists are deduplicated), so collecting them gives
            // the same map as inserting them one by one, with full nodes.
            let mut keys: Vec<(String, Uuid)> = Vec::with_capacity(chunk.len() + 1);
            let mut indicators = Vec::with_capacity(chunk.len());
            for (value, uuid) in chunk {
                keys.push((indicator_key(&value), uuid));
                indicators.push(value);
            }
            let mut cves = Vec::new();
            for i in slice(&vulns, MAX_REFERENCES) {
                let m = &self.vulnerabilities[i as usize];
                keys.push((format!("vulnerability:{}", m.value), m.uuid));
                cves.push(m.value.clone());
            }
            let mut techniques = Vec::new();
            for i in slice(&techs, MAX_REFERENCES) {
                let m = &self.techniques[i as usize];
                keys.push((format!("attack-pattern:{}", m.value), m.uuid));
                techniques.push(m.value.clone());
            }
            let mut countermeasures = String::new();
            if part == 0 {
                if let Some(first) = parts.courses.first() {
                    keys.push((
                        "course-of-action".into(),
                        self.courses[*first as usize].uuid,
                    ));
                }
                let mut texts = Vec::new();
                for i in &parts.courses {
                    let m = &self.courses[*i as usize];
                    if !m.value.trim().is_empty() {
                        texts.push(m.value.trim().to_owned());
                    }
                }
                countermeasures = clean_text(&texts.join("\n\n"), MAX_TEXT, false);
                originals.extra = parts
                    .extras
                    .iter()
                    .map(|i| self.extras[*i as usize].1.clone())
                    .collect();
                originals.provider_objects = parts
                    .provider
                    .iter()
                    .map(|i| self.provider[*i as usize].1.clone())
                    .collect();
            }
            originals.objects = keys.into_iter().collect();
            let mut title = if header.title.is_empty() {
                let first = part * MAX_INDICATORS + 1;
                let last = (first + indicators.len()).saturating_sub(1);
                if indicators.is_empty() {
                    format!(
                        "STIX import (TLP:{}): other objects",
                        header.tlp.as_str().to_uppercase()
                    )
                } else {
                    format!(
                        "STIX import (TLP:{}): indicators {first}–{last} of {total}",
                        header.tlp.as_str().to_uppercase()
                    )
                }
            } else {
                header.title.clone()
            };
            if n > 1 && !header.title.is_empty() {
                let suffix = format!(" (part {} of {n})", part + 1);
                let keep = MAX_TITLE.saturating_sub(suffix.chars().count());
                title = format!("{}{suffix}", title.chars().take(keep).collect::<String>());
            }
            items.push(ImportedItem {
                kind: header.kind,
                title,
                executive_context: clean_text(&header.executive_context, MAX_TEXT, false),
                technical_details: clean_text(&header.technical_details, MAX_TEXT, false),
                countermeasures,
                indicators,
                cves,
                techniques,
                confidence: header.confidence,
                tlp: header.tlp,
                originals,
            });
        }
        items[first_item..].reverse();
    }
}

/// The loose objects of one TLP level.
#[derive(Default)]
struct Loose {
    /// Everything but the indicators.
    parts: Parts,
    indicators: Vec<(Indicator, Uuid)>,
    /// The creator of the first indicator.
    creator: Option<u32>,
}

/// Drops indicators whose value came before, keeping the order.
fn dedup_first(inds: &mut Vec<(Indicator, Uuid)>) {
    let mut later = Vec::new();
    {
        let mut seen: HashSet<&Indicator, std::hash::BuildHasherDefault<UuidHasher>> =
            HashSet::with_capacity_and_hasher(inds.len(), std::hash::BuildHasherDefault::default());
        for (i, (ind, _)) in inds.iter().enumerate() {
            if !seen.insert(ind) {
                later.push(i);
            }
        }
    }
    if later.is_empty() {
        return;
    }
    let mut later = later.into_iter().peekable();
    let mut i = 0;
    inds.retain(|_| {
        let keep = later.peek() != Some(&i);
        if !keep {
            later.next();
        }
        i += 1;
        keep
    });
}

/// What one item (or group of items) is built from, by index into [`State`]'s lists.
#[derive(Default)]
struct Parts {
    indicators: Vec<u32>,
    vulnerabilities: Vec<u32>,
    techniques: Vec<u32>,
    courses: Vec<u32>,
    extras: Vec<u32>,
    provider: Vec<u32>,
}

struct Header {
    kind: ItemKind,
    title: String,
    executive_context: String,
    technical_details: String,
    confidence: Confidence,
    tlp: Tlp,
    container_id: Option<String>,
    created_by_ref: Option<String>,
}

/// The index of the element just pushed onto a list of `len` elements.
fn index(len: usize) -> u32 {
    u32::try_from(len.saturating_sub(1)).unwrap_or(u32::MAX)
}

fn cve_of(obj: &Map<String, Value>) -> Option<CveId> {
    let from_refs = obj
        .get("external_references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("source_name").and_then(Value::as_str) == Some("cve"))
        .find_map(|r| r.get("external_id").and_then(Value::as_str))
        .and_then(|id| CveId::parse(id).ok());
    from_refs.or_else(|| {
        obj.get("name")
            .and_then(Value::as_str)
            .and_then(|n| CveId::parse(n).ok())
    })
}

fn technique_of(obj: &Map<String, Value>) -> Option<TechniqueId> {
    obj.get("external_references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("source_name")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("mitre-") && s.ends_with("attack"))
        })
        .find_map(|r| r.get("external_id").and_then(Value::as_str))
        .and_then(|id| TechniqueId::parse(id).ok())
}

/// How deep an element of `objects` may nest (itself at depth 1). Matches what
/// `serde_json` allows for a value two levels inside the bundle.
const ELEMENT_DEPTH: u32 = 125;
/// How much is asked of the reader at a time.
const CHUNK: usize = 1 << 20;

/// Finds where one JSON value ends, resumably, without checking it: every value it
/// frames is then parsed by `serde_json`, which does. Positions are relative to the
/// start of the value.
struct Scan {
    limit: u32,
    at: usize,
    started: bool,
    scalar: bool,
    in_str: bool,
    depth: u32,
    /// One bit per open level below 128: set for an object.
    stack: u128,
    digits: u32,
    prev_digit: bool,
    /// A `\u` escape or a number that might be out of range: such values take the
    /// general path, whose checks on them are stricter than skipping.
    odd: bool,
}

impl Scan {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            at: 0,
            started: false,
            scalar: false,
            in_str: false,
            depth: 0,
            stack: 0,
            digits: 0,
            prev_digit: false,
            odd: false,
        }
    }

    /// The end of the value in `b`, `None` when `b` ends first.
    fn run(&mut self, b: &[u8]) -> Result<Option<usize>, &'static str> {
        let mut i = self.at;
        if !self.started {
            let Some(&c) = b.first() else {
                return Ok(None);
            };
            self.started = true;
            match c {
                b'{' | b'[' => {}
                b'"' => {
                    self.in_str = true;
                    i = 1;
                }
                _ => self.scalar = true,
            }
        }
        if self.scalar {
            while let Some(&c) = b.get(i) {
                if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                    self.at = i;
                    return Ok(Some(i));
                }
                i += 1;
            }
            self.at = i;
            return Ok(None);
        }
        loop {
            if self.in_str {
                i = quote_or_backslash(b, i);
                match b.get(i) {
                    None => {
                        self.at = i;
                        return Ok(None);
                    }
                    Some(b'\\') => {
                        let Some(&e) = b.get(i + 1) else {
                            self.at = i;
                            return Ok(None);
                        };
                        if e == b'u' {
                            self.odd = true;
                        }
                        i += 2;
                        continue;
                    }
                    Some(_) => {
                        i += 1;
                        self.in_str = false;
                        if self.depth == 0 {
                            self.at = i;
                            return Ok(Some(i));
                        }
                        continue;
                    }
                }
            }
            let Some(&c) = b.get(i) else {
                self.at = i;
                return Ok(None);
            };
            match c {
                b'"' => self.in_str = true,
                b'{' | b'[' => {
                    if self.depth < 128 && c == b'{' {
                        self.stack |= 1 << self.depth;
                    } else if self.depth < 128 {
                        self.stack &= !(1 << self.depth);
                    }
                    self.depth += 1;
                    if self.depth > self.limit {
                        self.at = i;
                        return Err("recursion limit exceeded");
                    }
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        self.at = i;
                        return Err("unexpected closing bracket");
                    }
                    self.depth -= 1;
                    if self.depth < 128 && ((self.stack >> self.depth) & 1 == 1) != (c == b'}') {
                        self.at = i;
                        return Err("mismatched closing bracket");
                    }
                    if self.depth == 0 {
                        self.at = i + 1;
                        return Ok(Some(i + 1));
                    }
                }
                b'0'..=b'9' => {
                    self.digits += 1;
                    if self.digits > 18 {
                        self.odd = true;
                    }
                }
                b'e' | b'E' if self.prev_digit => self.odd = true,
                _ => {}
            }
            self.prev_digit = c.is_ascii_digit();
            if !self.prev_digit {
                self.digits = 0;
            }
            i += 1;
        }
    }
}

/// The index of the first `"` or `\\` in `b` from `i` (`b.len()` if none), eight bytes
/// at a time.
fn quote_or_backslash(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let q = w ^ (ONES * u64::from(b'"'));
        let s = w ^ (ONES * u64::from(b'\\'));
        // The lowest flagged byte is the first zero byte of q or s.
        let found = (q.wrapping_sub(ONES) & !q | s.wrapping_sub(ONES) & !s) & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

/// The input, read in large chunks.
struct Input<R> {
    r: R,
    buf: Vec<u8>,
    /// The first byte still needed.
    pos: usize,
    /// The end of what has been read into `buf`.
    end: usize,
    /// Bytes dropped from the front of `buf` so far.
    dropped: u64,
    eof: bool,
}

fn bundle_error(what: impl fmt::Display, at: u64) -> StixImportError {
    StixImportError::Bundle(format!("{what} at byte {at}"))
}

impl<R: Read> Input<R> {
    fn new(r: R) -> Self {
        Self {
            r,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            dropped: 0,
            eof: false,
        }
    }

    /// The offset in the input of `buf[self.pos + rel]`.
    fn offset(&self, rel: usize) -> u64 {
        self.dropped + (self.pos + rel) as u64
    }

    /// Reads more; `false` at the end of the input. Moves what is still needed to the
    /// front of the buffer first.
    fn more(&mut self) -> Result<bool, StixImportError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.dropped += self.pos as u64;
            self.pos = 0;
        }
        if self.buf.len() - self.end < CHUNK / 2 {
            let len = (self.buf.len() * 2).max(CHUNK);
            self.buf.resize(len, 0);
        }
        loop {
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StixImportError::Io(e.to_string())),
            }
        }
    }

    /// The next byte that is not whitespace, left unread; `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, StixImportError> {
        loop {
            while self.pos < self.end {
                let c = self.buf[self.pos];
                if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                    return Ok(Some(c));
                }
                self.pos += 1;
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// The next byte that is not whitespace, left unread; an error at the end.
    fn expect_more(&mut self) -> Result<u8, StixImportError> {
        self.peek()?
            .ok_or_else(|| bundle_error("EOF while parsing", self.offset(0)))
    }

    /// Frames the value at `pos` and reads past it: its range in `buf`, its offset in
    /// the input, and whether it is [`Scan::odd`].
    fn value(
        &mut self,
        limit: u32,
    ) -> Result<(std::ops::Range<usize>, u64, bool), StixImportError> {
        let mut scan = Scan::new(limit);
        loop {
            let found = match scan.run(&self.buf[self.pos..self.end]) {
                Ok(found) => found,
                Err(e) => return Err(bundle_error(e, self.offset(scan.at))),
            };
            let len = match found {
                Some(len) => len,
                None if self.more()? => continue,
                None if scan.scalar => self.end - self.pos,
                None => {
                    return Err(bundle_error(
                        "EOF while parsing a value",
                        self.offset(scan.at),
                    ));
                }
            };
            let at = self.offset(0);
            let start = self.pos;
            self.pos += len;
            return Ok((start..start + len, at, scan.odd));
        }
    }

    /// Reads one value with `serde_json`.
    fn parse<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, StixImportError> {
        let (range, at, _) = self.value(u32::MAX)?;
        serde_json::from_slice(&self.buf[range]).map_err(|e| bundle_error(e, at))
    }

    /// Reads `c` (after whitespace).
    fn punct(&mut self, c: u8, what: &str) -> Result<(), StixImportError> {
        if self.expect_more()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(bundle_error(format!("expected {what}"), self.offset(0)))
        }
    }
}

/// Reads the bundle's top level: `type` and `id` are checked, `objects` streamed, the
/// rest checked as JSON and skipped.
fn read_top<R: Read>(
    input: &mut Input<R>,
    state: &mut State,
    on_progress: &mut impl FnMut(u64),
) -> Result<(), StixImportError> {
    match input.peek()? {
        Some(b'{') => input.pos += 1,
        Some(_) => {
            return Err(bundle_error(
                "invalid type: expected a STIX bundle object",
                input.offset(0),
            ));
        }
        None => return Err(bundle_error("EOF while parsing a value", input.offset(0))),
    }
    if input.expect_more()? == b'}' {
        input.pos += 1;
    } else {
        loop {
            if input.expect_more()? != b'"' {
                return Err(bundle_error("key must be a string", input.offset(0)));
            }
            let key: String = input.parse()?;
            input.punct(b':', "':'")?;
            input.expect_more()?;
            let at = input.offset(0);
            match key.as_str() {
                "type" => {
                    let t: String = input.parse()?;
                    if t != "bundle" {
                        return Err(bundle_error(format!("type is {t:?}, not \"bundle\""), at));
                    }
                    state.saw_bundle_type = true;
                }
                "id" => {
                    let id: String = input.parse()?;
                    if parse_id(&id).is_none_or(|(t, _)| t != "bundle") {
                        return Err(bundle_error(
                            format!("bundle id {id:?} is not bundle--<uuid>"),
                            at,
                        ));
                    }
                }
                "objects" => read_objects(input, state, on_progress)?,
                _ => {
                    input.parse::<IgnoredAny>()?;
                }
            }
            match input.expect_more()? {
                b',' => input.pos += 1,
                b'}' => {
                    input.pos += 1;
                    break;
                }
                _ => return Err(bundle_error("expected ',' or '}'", input.offset(0))),
            }
        }
    }
    if input.peek()?.is_some() {
        return Err(bundle_error("trailing characters", input.offset(0)));
    }
    Ok(())
}

fn read_objects<R: Read>(
    input: &mut Input<R>,
    state: &mut State,
    on_progress: &mut impl FnMut(u64),
) -> Result<(), StixImportError> {
    if input.expect_more()? != b'[' {
        return Err(bundle_error(
            "invalid type: expected a list of STIX objects",
            input.offset(0),
        ));
    }
    input.pos += 1;
    if input.expect_more()? == b']' {
        input.pos += 1;
    } else {
        loop {
            input.expect_more()?;
            let (range, at, odd) = input.value(ELEMENT_DEPTH)?;
            state.element(&input.buf[range], at, odd)?;
            if state.read.is_multiple_of(4096) {
                on_progress(state.read);
            }
            match input.expect_more()? {
                b',' => input.pos += 1,
                b']' => {
                    input.pos += 1;
                    break;
                }
                _ => return Err(bundle_error("expected ',' or ']'", input.offset(0))),
            }
        }
    }
    on_progress(state.read);
    Ok(())
}

/// Reads a STIX 2.1 bundle from `r`, one object at a time, and plans the items it
/// becomes. `on_progress` is called with the number of objects read so far.
///
/// Each report or grouping becomes an item with the objects its `object_refs` name
/// (before or after it in the file). Indicators, vulnerabilities, attack patterns,
/// courses of action and unmodelled objects no container names go into "loose" items,
/// one set per TLP level, split at [`MAX_INDICATORS`] indicators.
///
/// # Errors
/// [`StixImportError`] for the first invalid object (naming its index and id) or when
/// the input is not a bundle. Nothing is imported then.
pub fn read_bundle(
    r: impl Read,
    mut on_progress: impl FnMut(u64),
) -> Result<ImportPlan, StixImportError> {
    let mut state = State::default();
    let mut input = Input::new(r);
    read_top(&mut input, &mut state, &mut on_progress)?;
    drop(input);
    if !state.saw_bundle_type {
        return Err(StixImportError::Bundle(
            "missing \"type\": \"bundle\"".into(),
        ));
    }
    Ok(state.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId};
    use crate::item::ItemStatus;
    use crate::member::MemberClass;
    use crate::view::{Audience, VIA, VictimView};
    use proptest::prelude::*;

    pub(crate) fn ind(kind: IndicatorKind, v: &str) -> Indicator {
        Indicator::parse(kind, v).unwrap()
    }

    fn view(audience: Audience) -> ItemView {
        let full = audience == Audience::Full;
        let technical = matches!(audience, Audience::Full | Audience::Class1);
        ItemView {
            id: ItemId::from(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)),
            kind: ItemKind::ThreatInformation,
            title: "Ransomware over SMB".into(),
            executive_context: "Business systems stop.".into(),
            technical_details: technical.then(|| "EternalBlue, then 'psexec' \\ lateral".into()),
            countermeasures: "Patch MS17-010.".into(),
            victim: Some(VictimView {
                name: full.then(|| "VICTIM-NAME-SECRET".into()),
                sector: Some(Sector::Medical),
                damaged: true,
                damage_details: technical.then(|| "files encrypted".into()),
            }),
            indicators: vec![
                ind(IndicatorKind::Ipv4, "192.0.2.1"),
                ind(IndicatorKind::Domain, "evil.example"),
                ind(IndicatorKind::Sha256, &"ab".repeat(32)),
            ],
            techniques: vec![TechniqueId::parse("T1210").unwrap()],
            cves: vec![CveId::parse("CVE-2017-0144").unwrap()],
            products: vec![],
            confidence: Confidence::Confirmed,
            tlp: Tlp::Green,
            status: ItemStatus::Shared,
            revision: 1,
            created_at: OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
                .unwrap(),
            updated_at: OffsetDateTime::from_unix_timestamp(1_700_000_100).unwrap(),
            via: VIA,
            provider_sector: full.then_some(Sector::Finance),
            provider: full.then(|| MemberId::from(Uuid::from_u128(0xdead_beef))),
            scope: None,
            clearance: None,
            tearline: None,
            source: None,
            audience,
        }
    }

    const ORIG_REPORT: &str = "report--11111111-1111-4111-8111-111111111111";
    const ORIG_IDENTITY: &str = "identity--22222222-2222-4222-8222-222222222222";
    const ORIG_INDICATOR: &str = "33333333-3333-4333-8333-333333333333";
    const ORIG_MALWARE: &str = "malware--44444444-4444-4444-8444-444444444444";
    const ORIG_REL: &str = "relationship--55555555-5555-4555-8555-555555555555";
    const ORIG_REL2: &str = "relationship--66666666-6666-4666-8666-666666666666";
    const ORIG_CUSTOM: &str = "x-acme-thing--77777777-7777-4777-8777-777777777777";

    fn originals() -> StixOriginals {
        let ts = "2023-01-01T00:00:00.000Z";
        let mut objects = BTreeMap::new();
        objects.insert(
            indicator_key(&ind(IndicatorKind::Ipv4, "192.0.2.1")),
            Uuid::parse_str(ORIG_INDICATOR).unwrap(),
        );
        StixOriginals {
            container_id: Some(ORIG_REPORT.into()),
            created_by_ref: Some(ORIG_IDENTITY.into()),
            objects,
            extra: vec![
                json!({"type": "malware", "spec_version": "2.1", "id": ORIG_MALWARE,
                       "created": ts, "modified": ts, "name": "WannaCry", "is_family": true,
                       "created_by_ref": ORIG_IDENTITY,
                       "external_references": [{"source_name": "acme", "external_id": "ACME-1"}]}),
                json!({"type": "relationship", "spec_version": "2.1", "id": ORIG_REL,
                       "created": ts, "modified": ts, "relationship_type": "indicates",
                       "source_ref": format!("indicator--{ORIG_INDICATOR}"),
                       "target_ref": ORIG_MALWARE}),
                json!({"type": "relationship", "spec_version": "2.1", "id": ORIG_REL2,
                       "created": ts, "modified": ts, "relationship_type": "attributed-to",
                       "source_ref": ORIG_MALWARE, "target_ref": ORIG_IDENTITY}),
                json!({"type": "x-acme-thing", "spec_version": "2.1", "id": ORIG_CUSTOM,
                       "created": ts, "modified": ts,
                       "x_note": format!("see {ORIG_REPORT} and {ORIG_MALWARE} by {ORIG_IDENTITY}")}),
            ],
            provider_objects: vec![json!({"type": "identity", "spec_version": "2.1",
                "id": ORIG_IDENTITY, "created": ts, "modified": ts, "name": "ACME CSIRT"})],
        }
    }

    fn export(items: &[ExportItem<'_>]) -> String {
        let mut out = Vec::new();
        write_bundle(items.iter().copied(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn item<'a>(v: &'a ItemView, own: bool, o: Option<&'a StixOriginals>) -> ExportItem<'a> {
        ExportItem {
            view: v,
            own,
            originals: o,
            feedback: &[],
        }
    }

    fn objects_of(text: &str) -> Vec<Value> {
        let v: Value = serde_json::from_str(text).unwrap();
        v["objects"].as_array().unwrap().clone()
    }

    fn of_type<'a>(objects: &'a [Value], ty: &str) -> Vec<&'a Value> {
        objects.iter().filter(|o| o["type"] == ty).collect()
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let v = view(Audience::Full);
        assert_eq!(timestamp(v.created_at), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn exports_are_deterministic() {
        let v = view(Audience::Class1);
        let o = originals();
        let a = export(&[item(&v, false, Some(&o))]);
        let b = export(&[item(&v, false, Some(&o))]);
        assert_eq!(a, b);
        let value = bundle([item(&v, false, Some(&o))]);
        let parsed: Value = serde_json::from_str(&a).unwrap();
        assert_eq!(value, parsed);
        assert!(parsed["id"].as_str().unwrap().starts_with("bundle--"));
        // Markings and the council identity appear once, even over several items.
        let mut v2 = view(Audience::Class1);
        v2.id = ItemId::from(Uuid::from_u128(2));
        let two = objects_of(&export(&[item(&v, false, None), item(&v2, false, None)]));
        assert_eq!(of_type(&two, "marking-definition").len(), 2);
        assert_eq!(of_type(&two, "identity").len(), 3);
        assert_eq!(of_type(&two, "report").len(), 2);
        let ids: HashSet<&str> = two.iter().map(id_of).collect();
        assert_eq!(ids.len(), two.len(), "no duplicate ids");
    }

    #[test]
    fn the_shape_of_an_export() {
        let v = view(Audience::Class1);
        let objects = objects_of(&export(&[item(&v, false, None)]));
        let council = council_identity_id();
        let green = Tlp::Green.stix_marking_id();
        for o in &objects {
            let ty = o["type"].as_str().unwrap();
            if ty == "marking-definition" || o["id"] == council.as_str() {
                continue;
            }
            assert_eq!(o["created_by_ref"], council.as_str(), "{o}");
            assert_eq!(o["object_marking_refs"], json!([green]), "{o}");
            assert_eq!(o["created"], "2023-11-14T22:13:20.123Z");
            assert_eq!(o["modified"], "2023-11-14T22:15:00.000Z");
        }
        let marking = objects.iter().find(|o| o["id"] == green).unwrap();
        assert_eq!(marking, &tlp_marking(Tlp::Green));
        assert_eq!(marking["extensions"][TLP_EXTENSION]["tlp_2_0"], "green");
        assert_eq!(marking["created"], TLP_CREATED);
        let report = of_type(&objects, "report")[0];
        assert_eq!(report["name"], "Ransomware over SMB");
        assert_eq!(report["confidence"], 85);
        assert_eq!(report["object_refs"].as_array().unwrap().len(), 7);
        assert!(
            report["description"]
                .as_str()
                .unwrap()
                .contains("EternalBlue")
        );
        let vuln = of_type(&objects, "vulnerability")[0];
        assert_eq!(
            vuln["external_references"],
            json!([{"source_name": "cve", "external_id": "CVE-2017-0144"}])
        );
        let ap = of_type(&objects, "attack-pattern")[0];
        assert_eq!(ap["external_references"][0]["external_id"], "T1210");
        assert_eq!(ap["external_references"][0]["source_name"], "mitre-attack");
        let coa = of_type(&objects, "course-of-action")[0];
        assert_eq!(coa["description"], "Patch MS17-010.");
        // Class 2 sees no technical details.
        let v2 = view(Audience::Class2);
        let text = export(&[item(&v2, false, None)]);
        assert!(!text.contains("EternalBlue"));
        // An analysis is a grouping.
        let mut a = view(Audience::Class1);
        a.kind = ItemKind::Analysis;
        a.confidence = Confidence::Unconfirmed;
        let objects = objects_of(&export(&[item(&a, false, None)]));
        let g = of_type(&objects, "grouping")[0];
        assert_eq!(g["context"], "suspicious-activity");
        assert_eq!(g["confidence"], 15);
        assert!(of_type(&objects, "report").is_empty());
    }

    #[test]
    fn the_victim_is_never_named() {
        let v = view(Audience::Full);
        for own in [true, false] {
            let text = export(&[item(&v, own, None)]);
            assert!(!text.contains("VICTIM-NAME-SECRET"));
            let objects = objects_of(&text);
            let victim = objects
                .iter()
                .find(|o| o["identity_class"] == "class")
                .unwrap();
            assert_eq!(victim["sectors"], json!(["healthcare"]));
            assert_eq!(victim["name"], "victim in the medical sector");
        }
    }

    #[test]
    fn provider_and_recipient_ids_differ_and_recipients_get_no_original() {
        let own_view = view(Audience::Full);
        let other_view = view(Audience::Class1);
        let o = originals();
        let own = objects_of(&export(&[item(&own_view, true, None)]));
        let other = objects_of(&export(&[item(&other_view, false, None)]));
        let own_ids: HashSet<&str> = own.iter().map(id_of).collect();
        let shared: Vec<&str> = other
            .iter()
            .map(id_of)
            .filter(|id| own_ids.contains(id))
            .collect();
        // Only the markings and the council identity are shared.
        assert_eq!(shared.len(), 3, "{shared:?}");
        // The provider's own export has no council creator.
        assert!(
            own.iter()
                .filter(|o| o["type"] == "indicator")
                .all(|o| o.get("created_by_ref").is_none())
        );

        let text = export(&[item(&other_view, false, Some(&o))]);
        for original in [
            ORIG_REPORT,
            ORIG_IDENTITY,
            ORIG_INDICATOR,
            ORIG_MALWARE,
            ORIG_REL,
            ORIG_REL2,
            ORIG_CUSTOM,
            "ACME",
            "derived-from",
            "external_id\":\"ACME",
        ] {
            let uuid = original.split_once("--").map_or(original, |(_, u)| u);
            assert!(!text.contains(uuid), "{original} leaked: {text}");
        }
        assert!(!text.contains("deadbeef") && !text.contains("dead-beef"));
        let objects = objects_of(&text);
        // Re-issued: the malware, the relationship between re-issued objects and the
        // custom object; the relationship to the provider's identity is dropped.
        let malware = of_type(&objects, "malware")[0];
        assert_eq!(malware["created_by_ref"], council_identity_id().as_str());
        assert!(malware.get("external_references").is_none());
        assert_eq!(
            malware["object_marking_refs"],
            json!([Tlp::Green.stix_marking_id()])
        );
        let rels = of_type(&objects, "relationship");
        assert_eq!(rels.len(), 1);
        let indicator = of_type(&objects, "indicator")
            .into_iter()
            .find(|i| i["pattern"] == "[ipv4-addr:value = '192.0.2.1']")
            .unwrap();
        assert_eq!(rels[0]["source_ref"], indicator["id"]);
        assert_eq!(rels[0]["target_ref"], malware["id"]);
        let custom = of_type(&objects, "x-acme-thing")[0];
        let note = custom["x_note"].as_str().unwrap();
        let report = of_type(&objects, "report")[0];
        assert_eq!(
            note,
            format!(
                "see {} and {} by [withheld]",
                report["id"].as_str().unwrap(),
                malware["id"].as_str().unwrap()
            )
        );
        // Class 2 sees no unmodelled objects at all.
        let class2 = view(Audience::Class2);
        let objects = objects_of(&export(&[item(&class2, false, Some(&o))]));
        assert!(of_type(&objects, "malware").is_empty());
        assert!(of_type(&objects, "relationship").is_empty());
    }

    #[test]
    fn the_provider_gets_its_originals_back_untouched() {
        let v = view(Audience::Full);
        let o = originals();
        let objects = objects_of(&export(&[item(&v, true, Some(&o))]));
        let report = of_type(&objects, "report")[0];
        assert_eq!(report["id"], ORIG_REPORT);
        assert_eq!(report["created_by_ref"], ORIG_IDENTITY);
        let ind = objects
            .iter()
            .find(|i| i["pattern"] == "[ipv4-addr:value = '192.0.2.1']")
            .unwrap();
        assert_eq!(ind["id"], format!("indicator--{ORIG_INDICATOR}"));
        for e in o.extra.iter().chain(&o.provider_objects) {
            assert!(objects.contains(e), "{e} missing");
        }
    }

    #[test]
    fn feedback_becomes_sightings_opinions_and_notes() {
        let v = view(Audience::Full);
        let at = OffsetDateTime::from_unix_timestamp(1_700_001_000).unwrap();
        let sighting = |s, count| Answer::Sighting {
            sighting: s,
            count,
            first_seen: Some(at),
            last_seen: Some(at),
        };
        let fb = |p: &str, answer, comment: &str| FeedbackObject {
            pseudonym: p.into(),
            answer,
            comment: comment.into(),
            at,
        };
        let feedback = vec![
            fb("responder-1", sighting(Sighting::Seen, None), ""),
            fb("responder-2", sighting(Sighting::Seen, Some(7)), "seven"),
            fb("responder-3", sighting(Sighting::NotSeen, None), ""),
            fb("responder-4", sighting(Sighting::Unknown, None), "no logs"),
            fb(
                "responder-5",
                Answer::Opinion {
                    opinion: Opinion::Agree,
                },
                "yes",
            ),
            fb(
                "responder-6",
                Answer::Opinion {
                    opinion: Opinion::Disagree,
                },
                "no",
            ),
            fb(
                "responder-7",
                Answer::Opinion {
                    opinion: Opinion::Supplement,
                },
                "also",
            ),
        ];
        let e = ExportItem {
            view: &v,
            own: true,
            originals: None,
            feedback: &feedback,
        };
        let objects = item_objects(&e);
        let report = of_type(&objects, "report")[0]["id"].clone();
        let mut counts: Vec<i64> = of_type(&objects, "sighting")
            .iter()
            .map(|s| {
                assert_eq!(s["sighting_of_ref"], report);
                assert!(s.get("where_sighted_refs").is_none());
                s["count"].as_i64().unwrap()
            })
            .collect();
        counts.sort_unstable();
        assert_eq!(counts, [0, 1, 7]);
        let mut opinions: Vec<&str> = of_type(&objects, "opinion")
            .iter()
            .map(|o| o["opinion"].as_str().unwrap())
            .collect();
        opinions.sort_unstable();
        assert_eq!(opinions, ["agree", "disagree"]);
        let notes = of_type(&objects, "note");
        assert_eq!(notes.len(), 2);
        assert!(notes.iter().all(|n| n["object_refs"] == json!([report])));
        assert!(notes.iter().any(|n| n["content"] == "also"));
    }

    #[test]
    fn every_kind_has_its_pattern() {
        let cases = [
            (
                IndicatorKind::Ipv4,
                "192.0.2.1",
                "[ipv4-addr:value = '192.0.2.1']",
            ),
            (
                IndicatorKind::Ipv6,
                "2001:db8::1",
                "[ipv6-addr:value = '2001:db8::1']",
            ),
            (
                IndicatorKind::Cidr,
                "10.0.0.0/8",
                "[ipv4-addr:value = '10.0.0.0/8']",
            ),
            (
                IndicatorKind::Cidr,
                "2001:db8::/32",
                "[ipv6-addr:value = '2001:db8::/32']",
            ),
            (
                IndicatorKind::Domain,
                "evil.example",
                "[domain-name:value = 'evil.example']",
            ),
            (
                IndicatorKind::Url,
                "http://evil.example/a'b",
                "[url:value = 'http://evil.example/a\\'b']",
            ),
            (
                IndicatorKind::Email,
                "o'neil@evil.example",
                "[email-addr:value = 'o\\'neil@evil.example']",
            ),
            (
                IndicatorKind::EmailSubject,
                "It's a \\ trap",
                "[email-message:subject = 'It\\'s a \\\\ trap']",
            ),
            (
                IndicatorKind::Md5,
                &"a".repeat(32),
                &format!("[file:hashes.MD5 = '{}']", "a".repeat(32)),
            ),
            (
                IndicatorKind::Sha1,
                &"b".repeat(40),
                &format!("[file:hashes.'SHA-1' = '{}']", "b".repeat(40)),
            ),
            (
                IndicatorKind::Sha256,
                &"c".repeat(64),
                &format!("[file:hashes.'SHA-256' = '{}']", "c".repeat(64)),
            ),
        ];
        for (kind, value, pattern) in cases {
            let i = ind(kind, value);
            assert_eq!(i.stix_pattern(), pattern, "{kind}");
            assert_eq!(indicator_from_pattern(pattern).unwrap(), Some(i));
        }
        // Other spellings a producer may use.
        assert_eq!(
            indicator_from_pattern(&format!("[file:hashes.'MD5'='{}']", "A".repeat(32))).unwrap(),
            Some(ind(IndicatorKind::Md5, &"a".repeat(32)))
        );
        assert_eq!(
            indicator_from_pattern("[ipv4-addr:value = '192.0.2.0/24']").unwrap(),
            Some(ind(IndicatorKind::Cidr, "192.0.2.0/24"))
        );
    }

    #[test]
    fn complex_patterns_are_kept_aside_and_bad_ones_refused() {
        for complex in [
            "[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2']",
            "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']",
            "[file:name = 'x.exe']",
            "[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS",
            "[file:size > 1000]",
            "[network-traffic:dst_port IN (80, 443)]",
            "[process:command_line MATCHES '^cmd']",
            "[url:value LIKE 'http://%.example/%']",
            "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "([ipv4-addr:value = '1.2.3.4'])",
            "[x509-certificate:hashes.'SHA-256' NOT = 'ab'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
        ] {
            assert_eq!(indicator_from_pattern(complex), Ok(None), "{complex}");
        }
        for bad in [
            "",
            "ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = '1.2.3.4]",
            "[ipv4-addr:value '1.2.3.4']",
            "[value = '1.2.3.4']",
            "[ipv4-addr:value = 'a\\nb']",
            "[ipv4-addr:value = '1.2.3.4'] FOO",
        ] {
            let e = indicator_from_pattern(bad).unwrap_err();
            assert!(e.starts_with("pattern unparseable"), "{bad}: {e}");
        }
        let e = indicator_from_pattern("[ipv4-addr:value = '999.1.1.1']").unwrap_err();
        assert!(e.starts_with("value invalid for its indicator kind"), "{e}");
    }

    fn sdo_json(ty: &str, n: u128, extra: Value) -> Value {
        let mut o = json!({
            "type": ty, "spec_version": "2.1", "id": format!("{ty}--{}", Uuid::from_u128(n)),
            "created": "2023-01-01T00:00:00.000Z", "modified": "2023-01-01T00:00:00.000Z",
        });
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    }

    fn indicator_json(n: u128, pattern: &str) -> Value {
        sdo_json(
            "indicator",
            n,
            json!({"pattern": pattern, "pattern_type": "stix",
                   "valid_from": "2023-01-01T00:00:00Z"}),
        )
    }

    fn bundle_of(objects: Vec<Value>) -> String {
        json!({"type": "bundle", "id": format!("bundle--{}", Uuid::from_u128(99)), "objects": objects})
            .to_string()
    }

    fn import(objects: Vec<Value>) -> Result<ImportPlan, StixImportError> {
        read_bundle(bundle_of(objects).as_bytes(), |_| {})
    }

    /// The import as the general path alone does it (every object as a [`Value`]).
    fn general(objects: &[Value]) -> Result<ImportPlan, StixImportError> {
        let mut state = State::default();
        for v in objects {
            let index = state.read;
            state.read += 1;
            let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
            state
                .object(v.clone())
                .map_err(|reason| StixImportError::Object { index, id, reason })?;
        }
        Ok(state.finish())
    }

    /// Hands out one byte per read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if out.is_empty() {
                return Ok(0);
            }
            out[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn the_fast_path_gives_what_the_general_one_gives() {
        let id = |n: u128| format!("indicator--{}", Uuid::from_u128(n));
        let plain = |n: u128, more: &str| {
            format!(
                r#"{{"type":"indicator","spec_version":"2.1","id":"{}","created":"2023-01-01T00:00:00.000Z","modified":"2023-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.{n}']","pattern_type":"stix","valid_from":"2023-01-01T00:00:00Z"{more}}}"#,
                id(n)
            )
        };
        let red = Tlp::Red.stix_marking_id();
        let custom = "marking-definition--11111111-1111-4111-8111-111111111111";
        let identity = "identity--22222222-2222-4222-8222-222222222222";
        let variants: Vec<String> = vec![
            plain(2, ""),
            plain(2, r#","created":null"#),
            plain(2, r#","valid_until":"soon""#),
            plain(2, r#","valid_until":"2024-01-01T00:00:00Z""#),
            plain(2, r#","first_seen":"2024-02-30T00:00:00Z""#),
            plain(2, r#","revoked":true"#),
            plain(2, r#","revoked":"yes""#),
            plain(2, r#","revoked":null"#),
            plain(2, r#","confidence":75"#),
            plain(2, r#","confidence":50.0"#),
            plain(2, r#","confidence":101"#),
            plain(2, r#","confidence":-1"#),
            plain(2, r#","confidence":null"#),
            plain(2, r#","type":"malware""#),
            plain(2, r#","typ\u0065":"malware""#),
            plain(2, r#","type":"indicator""#),
            plain(2, r#","x_a":"\ud800""#),
            plain(2, r#","x_a":"\u00e9\n""#),
            plain(2, r#","x_a":1e400"#),
            plain(2, r#","x_a":1e2"#),
            plain(2, r#","x_a":123456789012345678901234567890"#),
            plain(2, r#","x_a":{"b":[1,2,{"c":null}]}"#),
            plain(2, r#","name":"a \"quoted\" \\ name""#),
            plain(2, r#","object_marking_refs":null"#),
            plain(2, r#","object_marking_refs":["nope"]"#),
            plain(2, r#","object_marking_refs":[5]"#),
            plain(
                2,
                &format!(r#","object_marking_refs":["{red}","{custom}"]"#),
            ),
            plain(2, r#","created_by_ref":5"#),
            plain(2, &format!(r#","created_by_ref":"{identity}""#)),
            plain(
                2,
                r#","created_by_ref":"malware--22222222-2222-4222-8222-222222222222""#,
            ),
            plain(2, r#","spec_version":"2.0""#),
            plain(2, r#","id":"indicator--x""#),
            plain(2, &format!(r#","id":"{}""#, id(1))),
            plain(2, &format!(r#","id":"{}","revoked":true"#, id(1))),
            plain(2, r#","pattern_type":"sigma""#),
            plain(2, r#","pattern_type":7"#),
            plain(2, r#","pattern":"[ipv4-addr:value = '1.2.3']""#),
            plain(2, r#","pattern":"[ipv4-addr:value = ""#),
            plain(
                2,
                r#","pattern":"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.jp']""#,
            ),
            plain(2, r#","pattern":"[url:value = 'http://a.jp/\u0027']""#),
            plain(2, r#","pattern":"[file:hashes.'SHA-256' = 'AB']""#),
            plain(
                2,
                &format!(r#","x_deep":{}{}"#, "[".repeat(123), "]".repeat(123)),
            ),
            plain(
                2,
                &format!(r#","x_deep":{}{}"#, "[".repeat(124), "]".repeat(124)),
            ),
            r#"{"type":"indicator"}"#.into(),
            "[1]".into(),
            "17".into(),
            r#""indicator""#.into(),
        ];
        for variant in &variants {
            let text = format!(
                r#"{{"type":"bundle","objects":[ {} ,{variant}, {}]}}"#,
                plain(1, ""),
                plain(3, r#","object_marking_refs":[]"#)
            );
            let got = read_bundle(text.as_bytes(), |_| {});
            assert_eq!(
                read_bundle(Trickle(text.as_bytes()), |_| {}),
                got,
                "{variant}"
            );
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => assert_eq!(got, general(v["objects"].as_array().unwrap()), "{variant}"),
                Err(_) => assert!(matches!(got, Err(StixImportError::Bundle(_))), "{variant}"),
            }
        }
        // As deep as serde_json allows two levels inside the bundle, and no deeper.
        for (depth, ok) in [(125, true), (126, false)] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let text = format!(r#"{{"type":"bundle","objects":[{deep}],"x":{deep}}}"#);
            let got = read_bundle(text.as_bytes(), |_| {});
            if ok {
                assert!(
                    matches!(got, Err(StixImportError::Object { .. })),
                    "{got:?}"
                );
            } else {
                assert!(matches!(got, Err(StixImportError::Bundle(_))), "{got:?}");
            }
        }
        // Invalid UTF-8, even where nothing reads it.
        let mut text = format!(
            r#"{{"type":"bundle","objects":[{}]}}"#,
            plain(1, r#","x_a":"ab""#)
        )
        .into_bytes();
        let at = text.windows(2).position(|w| w == b"ab").unwrap();
        text[at] = 0xff;
        assert!(matches!(
            read_bundle(&text[..], |_| {}),
            Err(StixImportError::Bundle(_))
        ));
    }

    #[test]
    fn the_top_level_is_read_as_json() {
        let good = indicator_json(1, "[ipv4-addr:value = '192.0.2.1']").to_string();
        for text in [
            format!(
                " \n{{ \"objects\" : [ {good} ] , \"type\" : \"bundle\" , \"x\" : [1, {{\"a\": \"]\"}}] }}\n "
            ),
            format!(r#"{{"type":"bundle","objects":[],"objects":[{good}]}}"#),
            format!(r#"{{"typ\u0065":"bundle","objects":[{good}],"spec_version":"2.0"}}"#),
        ] {
            let plan = read_bundle(text.as_bytes(), |_| {}).unwrap();
            assert_eq!(plan.counts["indicator"], 1, "{text}");
            assert_eq!(read_bundle(Trickle(text.as_bytes()), |_| {}), Ok(plan));
        }
        for text in [
            "",
            "  ",
            "{",
            r#"{"type":"bundle""#,
            r#"{"type":"bundle",}"#,
            r#"{"type":"bundle" "objects":[]}"#,
            r#"{"type":"bundle","objects":[{GOOD},]}"#,
            r#"{"type":"bundle","objects":[{GOOD} {GOOD}]}"#,
            r#"{"type":"bundle","objects":[{GOOD}}]}"#,
            r#"{"type":"bundle","objects":[{"a":[1}]]}"#,
            r#"{"type":"bundle","objects":[{"a":"#,
            r#"{"type":"bundle","objects":{}}"#,
            r#"{"type":"bundle","x":tru}"#,
            r#"{"type":"bundle","x":}"#,
            r#"{"type":5}"#,
            r#"{type:"bundle"}"#,
            r#"{"type":"bundle"}}"#,
            r#""bundle""#,
        ] {
            let text = &text.replace("{GOOD}", &good);
            assert!(
                matches!(
                    read_bundle(text.as_bytes(), |_| {}),
                    Err(StixImportError::Bundle(_))
                ),
                "{text}"
            );
            assert_eq!(
                read_bundle(Trickle(text.as_bytes()), |_| {}),
                read_bundle(text.as_bytes(), |_| {}),
                "{text}"
            );
        }
        // Every 4096 objects and at the end.
        let objects: Vec<Value> = (0..5000)
            .map(|n| indicator_json(n + 1, &format!("[domain-name:value = 'd{n}.example']")))
            .collect();
        let mut seen = Vec::new();
        read_bundle(bundle_of(objects).as_bytes(), |n| seen.push(n)).unwrap();
        assert_eq!(seen, [4096, 5000]);
    }

    #[test]
    fn one_bad_object_stops_the_import() {
        let good = indicator_json(1, "[ipv4-addr:value = '192.0.2.1']");
        let cases: Vec<(Value, &str)> = vec![
            (json!({"id": "x"}), "missing required property type"),
            (json!({"type": "indicator"}), "missing required property id"),
            (
                {
                    let mut o = good.clone();
                    o["id"] = "indicator--123".into();
                    o
                },
                "bad id format",
            ),
            (
                {
                    let mut o = good.clone();
                    o["id"] = format!("malware--{}", Uuid::from_u128(5)).into();
                    o
                },
                "bad id format",
            ),
            (
                {
                    let mut o = good.clone();
                    o["spec_version"] = "2.0".into();
                    o
                },
                "spec_version is not 2.1",
            ),
            (
                {
                    let mut o = good.clone();
                    o.as_object_mut().unwrap().remove("spec_version");
                    o
                },
                "missing required property spec_version",
            ),
            (
                {
                    let mut o = good.clone();
                    o["created"] = "2023-01-01 00:00:00".into();
                    o
                },
                "bad timestamp in created",
            ),
            (
                {
                    let mut o = good.clone();
                    o.as_object_mut().unwrap().remove("pattern");
                    o
                },
                "missing required property pattern",
            ),
            (
                indicator_json(2, "[ipv4-addr:value = '1.2.3']"),
                "value invalid for its indicator kind",
            ),
            (
                indicator_json(2, "[ipv4-addr:value = "),
                "pattern unparseable",
            ),
            (
                sdo_json(
                    "report",
                    3,
                    json!({"name": "r", "published": "2023-01-01T00:00:00Z", "object_refs": ["nope"]}),
                ),
                "object_refs[0] is not an identifier",
            ),
            (
                sdo_json("malware", 3, json!({"name": "m"})),
                "missing required property is_family",
            ),
            (
                sdo_json("identity", 3, json!({"name": "i", "confidence": 101})),
                "confidence must be",
            ),
        ];
        for (bad, reason) in cases {
            let id = bad.get("id").and_then(Value::as_str).map(str::to_owned);
            let err = import(vec![
                good.clone(),
                indicator_json(7, "[domain-name:value = 'a.example']"),
                bad.clone(),
            ])
            .unwrap_err();
            match &err {
                StixImportError::Object {
                    index,
                    id: got,
                    reason: why,
                } => {
                    assert_eq!(*index, 2, "{bad}");
                    assert_eq!(got, &id);
                    assert!(why.contains(reason), "{bad}: {why}");
                }
                other => panic!("{bad}: {other}"),
            }
            assert!(err.to_string().starts_with("objects[2] ("), "{err}");
        }
        for (text, what) in [
            ("[1, 2]", "a list"),
            (r#"{"type": "report", "objects": []}"#, "not a bundle type"),
            (r#"{"objects": []}"#, "no type"),
            (
                r#"{"type": "bundle", "id": "bundle--x", "objects": []}"#,
                "bad id",
            ),
            (r#"{"type": "bundle", "objects": [}"#, "bad JSON"),
            (
                r#"{"type": "bundle", "objects": []} trailing"#,
                "trailing text",
            ),
        ] {
            assert!(
                matches!(
                    read_bundle(text.as_bytes(), |_| {}),
                    Err(StixImportError::Bundle(_))
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn references_may_come_before_or_after_the_objects() {
        let i1 = indicator_json(1, "[ipv4-addr:value = '192.0.2.1']");
        let i2 = indicator_json(2, "[domain-name:value = 'Evil.Example']");
        let loose = indicator_json(3, "[url:value = 'http://loose.example/']");
        let report = |n, refs: Vec<&Value>| {
            sdo_json(
                "report",
                n,
                json!({
                    "name": format!("report {n}"), "published": "2023-01-01T00:00:00Z",
                    "object_refs": refs.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(),
                    "object_marking_refs": [Tlp::Red.stix_marking_id()],
                }),
            )
        };
        let r_first = report(10, vec![&i1]);
        let r_last = report(11, vec![&i2]);
        let plan = import(vec![r_first, i1.clone(), i2.clone(), loose, r_last]).unwrap();
        assert_eq!(plan.items.len(), 3);
        assert_eq!(plan.items[0].title, "report 10");
        assert_eq!(
            plan.items[0].indicators,
            [ind(IndicatorKind::Ipv4, "192.0.2.1")]
        );
        assert_eq!(plan.items[0].tlp, Tlp::Red);
        assert_eq!(
            plan.items[1].indicators,
            [ind(IndicatorKind::Domain, "evil.example")]
        );
        assert_eq!(
            plan.items[2].indicators,
            [ind(IndicatorKind::Url, "http://loose.example/")]
        );
        assert_eq!(plan.items[2].tlp, Tlp::Amber, "AMBER when unmarked");
        assert_eq!(
            plan.items[2].title,
            "STIX import (TLP:AMBER): indicators 1–1 of 1"
        );
        assert_eq!(plan.counts["indicator"], 3);
        assert_eq!(plan.counts["report"], 2);
        assert_eq!(
            plan.items[0].originals.objects[&indicator_key(&plan.items[0].indicators[0])],
            Uuid::from_u128(1)
        );
        assert_eq!(
            plan.items[0].originals.container_id.as_deref(),
            Some(format!("report--{}", Uuid::from_u128(10)).as_str())
        );
    }

    #[test]
    fn unmodelled_objects_go_to_the_referencing_item_or_the_first_loose_one() {
        let i1 = indicator_json(1, "[ipv4-addr:value = '192.0.2.1']");
        let complex = indicator_json(2, "[file:name = 'x.exe']");
        let malware = sdo_json("malware", 3, json!({"name": "m", "is_family": true}));
        let rel = sdo_json(
            "relationship",
            4,
            json!({"relationship_type": "indicates",
            "source_ref": i1["id"], "target_ref": malware["id"]}),
        );
        let ident = sdo_json(
            "identity",
            5,
            json!({"name": "ACME", "identity_class": "organization"}),
        );
        let tlp1 = json!({"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
            "definition": {"tlp": "green"}});
        let mut report = sdo_json(
            "report",
            6,
            json!({"name": "r", "published": "2023-01-01T00:00:00Z",
            "object_refs": [i1["id"], malware["id"], complex["id"]],
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}),
        );
        report["created_by_ref"] = ident["id"].clone();
        let plan = import(vec![
            ident.clone(),
            tlp1,
            report,
            i1,
            complex.clone(),
            malware.clone(),
            rel.clone(),
        ])
        .unwrap();
        assert_eq!(plan.items.len(), 2);
        let first = &plan.items[0];
        assert_eq!(first.tlp, Tlp::Green, "TLP 1.0 ids are read");
        assert_eq!(first.originals.extra, [malware, complex]);
        assert_eq!(
            first.originals.provider_objects,
            std::slice::from_ref(&ident)
        );
        assert_eq!(
            first.originals.created_by_ref.as_deref(),
            ident["id"].as_str()
        );
        assert_eq!(plan.items[1].originals.extra, [rel]);
        assert_eq!(
            plan.items[1].title,
            "STIX import (TLP:AMBER): other objects"
        );
    }

    #[test]
    fn loose_indicators_are_chunked_and_grouped_by_tlp() {
        let mut objects: Vec<Value> = (0..(MAX_INDICATORS + 1))
            .map(|i| {
                let v = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
                indicator_json(i as u128 + 1, &format!("[ipv4-addr:value = '{v}']"))
            })
            .collect();
        let mut red = indicator_json(1_000_000, "[domain-name:value = 'red.example']");
        red["object_marking_refs"] = json!([Tlp::Red.stix_marking_id()]);
        objects.push(red);
        let mut progress = Vec::new();
        let plan = read_bundle(bundle_of(objects).as_bytes(), |n| progress.push(n)).unwrap();
        assert_eq!(progress.last(), Some(&(MAX_INDICATORS as u64 + 2)));
        let sizes: Vec<(usize, Tlp)> = plan
            .items
            .iter()
            .map(|i| (i.indicators.len(), i.tlp))
            .collect();
        assert_eq!(sizes, [(5000, Tlp::Amber), (1, Tlp::Amber), (1, Tlp::Red)]);
        assert_eq!(
            plan.items[1].title,
            "STIX import (TLP:AMBER): indicators 5001–5001 of 5001"
        );
        for it in plan.items {
            let scope = Scope {
                classes: [MemberClass::Class1].into(),
                ..Scope::default()
            };
            let indicators = it.indicators.clone();
            let (content, _) = it.into_content(scope).unwrap();
            assert_eq!(content.indicators, indicators);
        }
    }

    #[test]
    fn duplicates_and_revoked_objects_are_skipped() {
        let i1 = indicator_json(1, "[ipv4-addr:value = '192.0.2.1']");
        let mut revoked = indicator_json(2, "[ipv4-addr:value = '192.0.2.2']");
        revoked["revoked"] = true.into();
        let plan = import(vec![i1.clone(), i1, revoked]).unwrap();
        assert_eq!(plan.items.len(), 1);
        assert_eq!(plan.items[0].indicators.len(), 1);
        assert_eq!(plan.skipped.len(), 2);
    }

    #[test]
    fn export_then_import_keeps_the_content() {
        let mut v = view(Audience::Full);
        v.indicators = IndicatorKind::ALL
            .iter()
            .map(|k| match k {
                IndicatorKind::Ipv4 => ind(*k, "192.0.2.1"),
                IndicatorKind::Ipv6 => ind(*k, "2001:db8::1"),
                IndicatorKind::Cidr => ind(*k, "10.0.0.0/8"),
                IndicatorKind::Domain => ind(*k, "evil.example"),
                IndicatorKind::Url => ind(*k, "https://evil.example/x?q='1'"),
                IndicatorKind::Email => ind(*k, "a@evil.example"),
                IndicatorKind::EmailSubject => ind(*k, "Invoice 'urgent' \\ now"),
                IndicatorKind::Md5 => ind(*k, &"1".repeat(32)),
                IndicatorKind::Sha1 => ind(*k, &"2".repeat(40)),
                IndicatorKind::Sha256 => ind(*k, &"3".repeat(64)),
            })
            .collect();
        v.cves.push(CveId::parse("CVE-2021-44228").unwrap());
        v.techniques.push(TechniqueId::parse("T1566.001").unwrap());
        for (kind, confidence, tlp) in [
            (
                ItemKind::ThreatInformation,
                Confidence::Confirmed,
                Tlp::Green,
            ),
            (
                ItemKind::Analysis,
                Confidence::Unconfirmed,
                Tlp::AmberStrict,
            ),
            (ItemKind::Countermeasure, Confidence::Probable, Tlp::Red),
            (ItemKind::BestPractice, Confidence::Confirmed, Tlp::Clear),
        ] {
            v.kind = kind;
            v.confidence = confidence;
            v.tlp = tlp;
            let text = export(&[item(&v, false, None)]);
            let plan = read_bundle(text.as_bytes(), |_| {}).unwrap();
            assert_eq!(plan.items.len(), 1, "{kind:?}");
            let it = &plan.items[0];
            assert_eq!(it.kind, kind);
            assert_eq!(it.confidence, confidence);
            assert_eq!(it.tlp, tlp);
            assert_eq!(it.title, v.title);
            assert_eq!(it.executive_context, v.executive_context);
            assert_eq!(Some(&it.technical_details), v.technical_details.as_ref());
            assert_eq!(it.countermeasures, v.countermeasures);
            let mut a = it.indicators.clone();
            a.sort();
            let mut b = v.indicators.clone();
            b.sort();
            assert_eq!(a, b);
            let mut cves = it.cves.clone();
            cves.sort();
            assert_eq!(cves, v.cves);
            let mut t = it.techniques.clone();
            t.sort();
            let mut vt = v.techniques.clone();
            vt.sort();
            assert_eq!(t, vt);
            // The council identity and the victim identity are not the provider's.
            assert_eq!(
                it.originals.created_by_ref.as_deref(),
                Some(council_identity_id().as_str())
            );
            // Re-exporting the import to its provider keeps the ids it arrived with.
            let mut again = v.clone();
            again.indicators = it.indicators.clone();
            let back = export(&[item(&again, true, Some(&it.originals))]);
            let first: Value = serde_json::from_str(&text).unwrap();
            let second: Value = serde_json::from_str(&back).unwrap();
            let ids = |b: &Value, ty: &str| -> BTreeSet<String> {
                b["objects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|o| o["type"] == ty)
                    .map(|o| id_of(o).to_owned())
                    .collect()
            };
            for ty in [
                "indicator",
                "vulnerability",
                "attack-pattern",
                "course-of-action",
                "report",
                "grouping",
            ] {
                assert_eq!(ids(&first, ty), ids(&second, ty), "{ty}");
            }
        }
    }

    /// Generates a bundle of `n` indicators on the fly, so that reading it measures the
    /// importer alone.
    struct Generated {
        n: u64,
        next: u64,
        buf: Vec<u8>,
        pos: usize,
    }

    impl Read for Generated {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.buf.len() {
                self.buf.clear();
                self.pos = 0;
                if self.next == 0 {
                    self.buf.extend_from_slice(
                        br#"{"type":"bundle","id":"bundle--9abbda5a-a2e6-4fab-b15c-927426beab44","objects":["#,
                    );
                }
                while self.next < self.n && self.buf.len() < 1 << 16 {
                    let i = self.next;
                    let ip = std::net::Ipv4Addr::from(0x0a00_0000 + u32::try_from(i).unwrap());
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    write!(
                        self.buf,
                        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{}","created":"2023-01-01T00:00:00.000Z","modified":"2023-01-01T00:00:00.000Z","name":"ip","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '{ip}']","pattern_type":"stix","pattern_version":"2.1","valid_from":"2023-01-01T00:00:00Z","object_marking_refs":["{}"]}}"#,
                        Uuid::from_u128(u128::from(i) + 1),
                        Tlp::Green.stix_marking_id()
                    )?;
                    self.next += 1;
                }
                if self.next == self.n && self.n != u64::MAX {
                    self.buf.extend_from_slice(b"]}");
                    self.n = u64::MAX;
                    self.next = u64::MAX;
                }
            }
            let k = out.len().min(self.buf.len() - self.pos);
            out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            Ok(k)
        }
    }

    /// `cargo test --release -p tsunagu-core --lib million -- --ignored --nocapture`
    #[test]
    #[ignore = "a benchmark: run in release"]
    fn a_million_indicators() {
        let start = std::time::Instant::now();
        let reader = Generated {
            n: 1_000_000,
            next: 0,
            buf: Vec::new(),
            pos: 0,
        };
        let plan = read_bundle(reader, |_| {}).unwrap();
        let took = start.elapsed();
        assert_eq!(plan.counts["indicator"], 1_000_000);
        assert_eq!(plan.items.len(), 200);
        assert!(plan.items.iter().all(|i| i.tlp == Tlp::Green));
        println!("1,000,000 indicators imported in {took:?}");
    }

    fn arb_indicator() -> impl Strategy<Value = Indicator> {
        use IndicatorKind as K;
        let raw = prop_oneof![
            any::<[u8; 4]>().prop_map(|b| (K::Ipv4, std::net::Ipv4Addr::from(b).to_string())),
            any::<[u16; 8]>().prop_map(|b| (K::Ipv6, std::net::Ipv6Addr::from(b).to_string())),
            (any::<[u8; 4]>(), 0u8..=32).prop_map(|(b, p)| (K::Cidr, format!("{}/{p}", std::net::Ipv4Addr::from(b)))),
            (any::<[u16; 8]>(), 0u8..=128).prop_map(|(b, p)| (K::Cidr, format!("{}/{p}", std::net::Ipv6Addr::from(b)))),
            "[a-z][a-z0-9-]{0,10}[a-z]\\.[a-z]{2,6}".prop_map(|d| (K::Domain, d)),
            "(http|https|ftp)://[a-z]{1,10}\\.example(:[0-9]{1,4})?/[a-zA-Z0-9'\\\\%._~!$&()*+,;=:@/-]{0,30}".prop_map(|u| (K::Url, u)),
            "[a-z0-9.'+_-]{1,20}@[a-z]{1,10}\\.jp".prop_map(|e| (K::Email, e)),
            "[^\\p{Cc}]{1,60}".prop_map(|s| (K::EmailSubject, s)),
            "[0-9a-fA-F]{32}".prop_map(|h| (K::Md5, h)),
            "[0-9a-fA-F]{40}".prop_map(|h| (K::Sha1, h)),
            "[0-9a-fA-F]{64}".prop_map(|h| (K::Sha256, h)),
        ];
        raw.prop_filter_map("valid indicator", |(k, v)| Indicator::parse(k, &v).ok())
    }

    proptest! {
        #[test]
        fn exported_patterns_re_import_to_the_same_indicator(i in arb_indicator()) {
            prop_assert_eq!(indicator_from_pattern(&i.stix_pattern()), Ok(Some(i)));
        }
    }
}
