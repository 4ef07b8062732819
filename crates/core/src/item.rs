//! Shared items (M2.1): threat information, analyses, countermeasures, best practices,
//! with typed indicators, ATT&CK techniques, CVEs and affected products, a technical
//! part for analysts and a context part for executives.
//!
//! The API sends an [`ItemDraft`]; [`ItemDraft::parse`] checks every field and returns
//! the [`ItemContent`] that is stored. Item data leaves the system only through
//! [`crate::view::view`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::DomainError;
use crate::ids::{ItemId, MemberId};
use crate::indicator::{CveId, Indicator, IndicatorKind, TechniqueId, Tlp};
use crate::member::Sector;
use crate::scope::Scope;
use crate::text;

/// What kind of information an item carries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Threat information: what is happening, with indicators.
    ThreatInformation,
    /// An analysis, possibly unconfirmed.
    Analysis,
    /// Countermeasures (対策情報): what to do about a threat.
    Countermeasure,
    /// A best practice.
    BestPractice,
}

impl ItemKind {
    /// All kinds, in order.
    pub const ALL: [Self; 4] = [
        Self::ThreatInformation,
        Self::Analysis,
        Self::Countermeasure,
        Self::BestPractice,
    ];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThreatInformation => "threat_information",
            Self::Analysis => "analysis",
            Self::Countermeasure => "countermeasure",
            Self::BestPractice => "best_practice",
        }
    }

    /// Parses [`ItemKind::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How sure the provider is (M2.4). Ordered from least to most sure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Not confirmed: goes to the task force only.
    Unconfirmed,
    /// Probable.
    Probable,
    /// Confirmed.
    Confirmed,
}

impl Confidence {
    /// All levels, least sure first.
    pub const ALL: [Self; 3] = [Self::Unconfirmed, Self::Probable, Self::Confirmed];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "unconfirmed",
            Self::Probable => "probable",
            Self::Confirmed => "confirmed",
        }
    }

    /// Parses [`Confidence::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Whether an item is still shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Shared with its scope.
    Shared,
    /// Withdrawn by the provider or the coordinator (e.g. found to be wrong).
    Retracted,
}

impl ItemStatus {
    /// All statuses.
    pub const ALL: [Self; 2] = [Self::Shared, Self::Retracted];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Retracted => "retracted",
        }
    }

    /// Parses [`ItemStatus::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who was hit and how badly. The name is masked for every recipient (M2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    /// The victim's name: seen only by the provider and the coordinator.
    #[serde(default)]
    pub name: Option<String>,
    /// The victim's sector.
    #[serde(default)]
    pub sector: Option<Sector>,
    /// Whether damage occurred.
    #[serde(default)]
    pub damaged: bool,
    /// What the damage was: class 1 only.
    #[serde(default)]
    pub damage_details: String,
}

/// A product an item concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Vendor name.
    pub vendor: String,
    /// Product name.
    pub product: String,
    /// Affected version or range, free text.
    #[serde(default)]
    pub version: String,
    /// CPE 2.3 formatted string (`cpe:2.3:part:vendor:product:…`, 13 parts).
    #[serde(default)]
    pub cpe: Option<String>,
}

/// The checked content of an item: what the provider shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemContent {
    /// Kind.
    pub kind: ItemKind,
    /// Title, 1 to [`MAX_TITLE`] characters.
    pub title: String,
    /// Context for executives: background and purpose of the attack.
    pub executive_context: String,
    /// The technical part for analysts: class 1 only.
    pub technical_details: String,
    /// What to do.
    pub countermeasures: String,
    /// The victim, if the item is about an incident.
    pub victim: Option<Victim>,
    /// Indicators, without duplicates.
    pub indicators: Vec<Indicator>,
    /// ATT&CK techniques, without duplicates.
    pub techniques: Vec<TechniqueId>,
    /// CVEs, without duplicates.
    pub cves: Vec<CveId>,
    /// Affected products.
    pub products: Vec<Product>,
    /// Confidence.
    pub confidence: Confidence,
    /// TLP 2.0 marking.
    pub tlp: Tlp,
    /// Who receives it.
    pub scope: Scope,
    /// Whether recipients may see the provider's sector.
    pub show_provider_sector: bool,
    /// The clearance level a user needs to see the item at all (M2.8), on top of the
    /// scope; checked against the configured levels by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<String>,
    /// The releasable version of an item that requires clearance: a separate, ordinary
    /// item that says nothing of this one. Set by the server, never by the draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tearline: Option<ItemId>,
    /// The partner council the item came from (federation, M7.2), by the name the
    /// coordinator registered it under: recipients see it as the source. Set by the
    /// server when a partner sends the item, never by the draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An indicator as sent: its type and value, checked by [`ItemDraft::parse`] so that a
/// bad one is reported with its position.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    /// The indicator type (`ipv4`, `domain`, `sha256`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value.
    pub value: String,
}

/// An item as sent to the API, before its fields are checked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDraft {
    /// Kind.
    pub kind: ItemKind,
    /// Title.
    pub title: String,
    /// Context for executives.
    #[serde(default)]
    pub executive_context: String,
    /// The technical part for analysts.
    #[serde(default)]
    pub technical_details: String,
    /// What to do.
    #[serde(default)]
    pub countermeasures: String,
    /// The victim.
    #[serde(default)]
    pub victim: Option<Victim>,
    /// Indicators.
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    /// ATT&CK technique ids (`T1566.001`).
    #[serde(default)]
    pub techniques: Vec<String>,
    /// CVE ids (`CVE-2017-0144`).
    #[serde(default)]
    pub cves: Vec<String>,
    /// Affected products.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Confidence.
    pub confidence: Confidence,
    /// TLP 2.0 marking.
    pub tlp: Tlp,
    /// Who receives it.
    pub scope: Scope,
    /// Whether recipients may see the provider's sector.
    #[serde(default)]
    pub show_provider_sector: bool,
    /// The clearance level a user needs to see the item, if any (`confidential`, …).
    #[serde(default)]
    pub clearance: Option<String>,
}

/// Longest title.
pub const MAX_TITLE: usize = 300;
/// Longest executive context, technical details and countermeasures text.
pub const MAX_TEXT: usize = 20_000;
/// Longest victim name.
pub const MAX_VICTIM_NAME: usize = 200;
/// Longest description of the damage.
pub const MAX_DAMAGE_DETAILS: usize = 5_000;
/// Most indicators in one item.
pub const MAX_INDICATORS: usize = 5_000;
/// Most techniques, CVEs and products (each) in one item.
pub const MAX_REFERENCES: usize = 200;

/// Refuses a list longer than `max` before any element is looked at.
fn bounded<T>(field: &'static str, list: &[T], max: usize) -> Result<(), DomainError> {
    if list.len() > max {
        return Err(DomainError::invalid(
            field,
            format!("has {} entries; at most {max} are allowed", list.len()),
        ));
    }
    Ok(())
}

/// Parses each element of `list`, naming the first bad one by its index, and drops
/// repeated values (by `key`), keeping the first occurrence.
fn parse_list<R, T, K: Ord>(
    field: &'static str,
    list: &[R],
    parse: impl Fn(&R) -> Result<T, String>,
    key: impl Fn(&T) -> K,
) -> Result<Vec<T>, DomainError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let value = parse(raw).map_err(|e| DomainError::invalid(field, format!("[{i}]: {e}")))?;
        if seen.insert(key(&value)) {
            out.push(value);
        }
    }
    Ok(out)
}

/// At most the first 100 characters of `s`, to quote input back in a message.
fn clip(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// The reason of an error about one element of a list, without the element's field name.
fn reason(e: DomainError) -> String {
    match e {
        DomainError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Renames a text-field error of an element so that it names the list and the index.
fn in_list(field: &'static str, i: usize, e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid {
            field: inner,
            reason,
        } => DomainError::invalid(field, format!("[{i}].{inner}: {reason}")),
        other => other,
    }
}

/// Whether `cpe` is a CPE 2.3 formatted string: `cpe:2.3:` and 13 colon-separated
/// components (a colon escaped with `\` belongs to its component), without spaces.
fn is_cpe23(cpe: &str) -> bool {
    if !cpe.starts_with("cpe:2.3:") || cpe.chars().any(char::is_whitespace) {
        return false;
    }
    let mut parts = 1;
    let mut escaped = false;
    for c in cpe.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, ':') => parts += 1,
            (false, _) => {}
        }
    }
    parts == 13 && !escaped
}

impl Victim {
    fn parse(&self) -> Result<Self, DomainError> {
        let name = text::optional(
            "victim.name",
            self.name.as_deref().unwrap_or(""),
            MAX_VICTIM_NAME,
        )?;
        Ok(Self {
            name: (!name.is_empty()).then_some(name),
            sector: self.sector,
            damaged: self.damaged,
            damage_details: text::optional(
                "victim.damage_details",
                &self.damage_details,
                MAX_DAMAGE_DETAILS,
            )?,
        })
    }
}

impl Product {
    fn parse(&self) -> Result<Self, DomainError> {
        let cpe = match self.cpe.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(cpe) if cpe.len() <= 1000 && is_cpe23(cpe) => Some(cpe.to_owned()),
            Some(cpe) => {
                return Err(DomainError::invalid(
                    "cpe",
                    format!(
                        "{:?} is not a CPE 2.3 name (cpe:2.3: and 13 colon-separated parts)",
                        clip(cpe)
                    ),
                ));
            }
        };
        Ok(Self {
            vendor: text::required("vendor", &self.vendor, 200)?,
            product: text::required("product", &self.product, 200)?,
            version: text::optional("version", &self.version, 200)?,
            cpe,
        })
    }
}

/// Parses sent indicators into their types, refusing more than [`MAX_INDICATORS`],
/// naming the first bad one by its index (`indicators: [3]: invalid sha256 …`) and
/// dropping repeated values (the first occurrence keeps its place).
///
/// # Errors
/// [`DomainError::Invalid`] naming `indicators`.
pub fn parse_indicators(list: &[RawIndicator]) -> Result<Vec<Indicator>, DomainError> {
    bounded("indicators", list, MAX_INDICATORS)?;
    parse_list(
        "indicators",
        list,
        |raw| {
            let kind = IndicatorKind::parse(raw.kind.trim()).ok_or_else(|| {
                let known: Vec<_> = IndicatorKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown indicator type {:?}; expected one of {}",
                    clip(&raw.kind),
                    known.join(", ")
                )
            })?;
            Indicator::parse(kind, &raw.value).map_err(|e| e.to_string())
        },
        |i| (i.kind(), i.value().to_owned()),
    )
}

impl ItemDraft {
    /// Checks every field and returns the content to store.
    ///
    /// Texts are trimmed and bounded; indicators, techniques and CVEs are parsed into
    /// their types and repeated ones dropped (the first occurrence keeps its place);
    /// the scope must be valid ([`Scope::validate`]).
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first bad field, and for lists the index of
    /// the bad element, e.g. `indicators: [3]: invalid sha256 …`.
    pub fn parse(self) -> Result<ItemContent, DomainError> {
        bounded("indicators", &self.indicators, MAX_INDICATORS)?;
        bounded("techniques", &self.techniques, MAX_REFERENCES)?;
        bounded("cves", &self.cves, MAX_REFERENCES)?;
        bounded("products", &self.products, MAX_REFERENCES)?;
        let title = text::required("title", &self.title, MAX_TITLE)?;
        let executive_context =
            text::optional("executive_context", &self.executive_context, MAX_TEXT)?;
        let technical_details =
            text::optional("technical_details", &self.technical_details, MAX_TEXT)?;
        let countermeasures = text::optional("countermeasures", &self.countermeasures, MAX_TEXT)?;
        let victim = self.victim.as_ref().map(Victim::parse).transpose()?;
        let indicators = parse_indicators(&self.indicators)?;
        let techniques = parse_list(
            "techniques",
            &self.techniques,
            |raw| TechniqueId::parse(raw).map_err(reason),
            |t| t.as_str().to_owned(),
        )?;
        let cves = parse_list(
            "cves",
            &self.cves,
            |raw| CveId::parse(raw).map_err(reason),
            |c| c.as_str().to_owned(),
        )?;
        let products = self
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| p.parse().map_err(|e| in_list("products", i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        self.scope.validate()?;
        Ok(ItemContent {
            kind: self.kind,
            title,
            executive_context,
            technical_details,
            countermeasures,
            victim,
            indicators,
            techniques,
            cves,
            products,
            confidence: self.confidence,
            tlp: self.tlp,
            scope: self.scope,
            show_provider_sector: self.show_provider_sector,
            clearance: self
                .clearance
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            tearline: None,
            source: None,
        })
    }
}

/// A shared item as stored. Never sent as is: see [`crate::view::view`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Identifier.
    pub id: ItemId,
    /// The member that provided it: known only to itself and the coordinator.
    pub provider: MemberId,
    /// The provider's sector when it shared the item.
    pub provider_sector: Sector,
    /// What is shared.
    pub content: ItemContent,
    /// Shared or retracted.
    pub status: ItemStatus,
    /// Incremented by every change, starting at 1.
    pub revision: i64,
    /// When it was shared.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::member::MemberClass;

    fn draft(extra: serde_json::Value) -> ItemDraft {
        let mut json = serde_json::json!({
            "kind": "threat_information",
            "title": "  WannaCry spreading over SMB  ",
            "confidence": "confirmed",
            "tlp": "amber",
            "scope": {"classes": ["class1", "class2"]},
        });
        for (k, v) in extra.as_object().unwrap() {
            json[k] = v.clone();
        }
        serde_json::from_value(json).unwrap()
    }

    fn err(extra: serde_json::Value) -> String {
        draft(extra).parse().unwrap_err().to_string()
    }

    #[test]
    fn enums_round_trip() {
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        for c in Confidence::ALL {
            assert_eq!(Confidence::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        for s in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!(Confidence::Unconfirmed < Confidence::Probable);
        assert!(Confidence::Probable < Confidence::Confirmed);
        assert_eq!(ItemKind::parse("rumour"), None);
    }

    #[test]
    fn a_minimal_draft() {
        let c = draft(serde_json::json!({})).parse().unwrap();
        assert_eq!(c.title, "WannaCry spreading over SMB");
        assert_eq!(c.kind, ItemKind::ThreatInformation);
        assert_eq!(c.tlp, Tlp::Amber);
        assert_eq!(c.victim, None);
        assert!(c.indicators.is_empty() && c.products.is_empty());
        assert!(!c.show_provider_sector);
        assert_eq!(
            c.scope.classes,
            [MemberClass::Class1, MemberClass::Class2].into()
        );
    }

    #[test]
    fn serde_refuses_unknown_fields_and_values() {
        let base = serde_json::json!({
            "kind": "analysis", "title": "t", "confidence": "probable", "tlp": "green",
            "scope": {"classes": ["class1"]},
        });
        assert!(serde_json::from_value::<ItemDraft>(base.clone()).is_ok());
        for (k, v) in [
            ("kind", serde_json::json!("rumour")),
            ("confidence", serde_json::json!("certain")),
            ("tlp", serde_json::json!("purple")),
            ("provider", serde_json::json!("someone")),
            (
                "indicators",
                serde_json::json!([{"type": "ipv4", "value": "192.0.2.1", "x": 1}]),
            ),
            ("victim", serde_json::json!({"name": "x", "address": "y"})),
        ] {
            let mut json = base.clone();
            json[k] = v;
            assert!(serde_json::from_value::<ItemDraft>(json).is_err(), "{k}");
        }
        let mut no_title = base;
        no_title.as_object_mut().unwrap().remove("title");
        assert!(serde_json::from_value::<ItemDraft>(no_title).is_err());
    }

    #[test]
    fn text_bounds() {
        assert_eq!(
            err(serde_json::json!({"title": "   "})),
            "title: must not be empty"
        );
        assert!(
            draft(serde_json::json!({"title": "x".repeat(MAX_TITLE)}))
                .parse()
                .is_ok()
        );
        assert_eq!(
            err(serde_json::json!({"title": "x".repeat(MAX_TITLE + 1)})),
            "title: is 301 characters long; at most 300 are allowed"
        );
        for field in ["executive_context", "technical_details", "countermeasures"] {
            let e = err(serde_json::json!({field: "x".repeat(MAX_TEXT + 1)}));
            assert!(e.starts_with(&format!("{field}: ")), "{e}");
        }
        let e = err(serde_json::json!({"victim": {"name": "x".repeat(201)}}));
        assert!(e.starts_with("victim.name: "), "{e}");
        let e = err(serde_json::json!({"victim": {"damage_details": "x".repeat(5001)}}));
        assert!(e.starts_with("victim.damage_details: "), "{e}");
    }

    #[test]
    fn victims() {
        let c = draft(serde_json::json!({
            "victim": {"name": "  ", "sector": "finance", "damaged": true,
                       "damage_details": " files encrypted "}
        }))
        .parse()
        .unwrap();
        assert_eq!(
            c.victim,
            Some(Victim {
                name: None,
                sector: Some(Sector::Finance),
                damaged: true,
                damage_details: "files encrypted".into(),
            })
        );
        let c = draft(serde_json::json!({"victim": {"name": " Acme Bank "}}))
            .parse()
            .unwrap();
        assert_eq!(c.victim.unwrap().name.as_deref(), Some("Acme Bank"));
    }

    #[test]
    fn indicators_are_parsed_with_their_index() {
        let e = draft(serde_json::json!({"indicators": [
            {"type": "ipv4", "value": "192.0.2.1"},
            {"type": "domain", "value": "example.jp"},
            {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
            {"type": "sha256", "value": "abc"},
        ]}))
        .parse()
        .unwrap_err();
        assert_eq!(
            e,
            DomainError::Invalid {
                field: "indicators",
                reason: "[3]: invalid sha256 \"abc\": expected 64 hex characters, got 3".into(),
            }
        );
        let e = err(serde_json::json!({"indicators": [{"type": "ssdeep", "value": "x"}]}));
        assert!(
            e.starts_with(
                "indicators: [0]: unknown indicator type \"ssdeep\"; expected one of ipv4, "
            ),
            "{e}"
        );
    }

    #[test]
    fn duplicates_are_dropped_in_order() {
        let c = draft(serde_json::json!({
            "indicators": [
                {"type": "domain", "value": "Example.JP"},
                {"type": "ipv4", "value": "192.0.2.1"},
                {"type": "domain", "value": "example.jp"},
                {"type": "ipv4", "value": " 192.0.2.1 "},
            ],
            "techniques": ["t1566.001", "T1059", "T1566.001"],
            "cves": ["cve-2017-0144", "CVE-2021-44228", "CVE-2017-0144"],
        }))
        .parse()
        .unwrap();
        let values: Vec<_> = c.indicators.iter().map(Indicator::value).collect();
        assert_eq!(values, ["example.jp", "192.0.2.1"]);
        let techniques: Vec<_> = c.techniques.iter().map(TechniqueId::as_str).collect();
        assert_eq!(techniques, ["T1566.001", "T1059"]);
        let cves: Vec<_> = c.cves.iter().map(CveId::as_str).collect();
        assert_eq!(cves, ["CVE-2017-0144", "CVE-2021-44228"]);
    }

    #[test]
    fn techniques_and_cves_name_the_bad_one() {
        assert_eq!(
            err(serde_json::json!({"techniques": ["T1566", "T15"]})),
            "techniques: [1]: \"T15\" is not an ATT&CK technique id such as T1566 or T1566.001"
        );
        assert_eq!(
            err(serde_json::json!({"cves": ["CVE-17-1"]})),
            "cves: [0]: \"CVE-17-1\" is not a CVE id such as CVE-2017-0144"
        );
    }

    #[test]
    fn list_limits() {
        let many: Vec<_> = (0..=MAX_INDICATORS)
            .map(|i| {
                let value = format!("10.0.{}.{}", i / 256, i % 256);
                serde_json::json!({"type": "ipv4", "value": value})
            })
            .collect();
        assert_eq!(
            err(serde_json::json!({"indicators": many})),
            "indicators: has 5001 entries; at most 5000 are allowed"
        );
        let cves: Vec<_> = (0..=MAX_REFERENCES)
            .map(|i| format!("CVE-2024-{:04}", i + 1000))
            .collect();
        assert_eq!(
            err(serde_json::json!({"cves": cves})),
            "cves: has 201 entries; at most 200 are allowed"
        );
        let techniques = vec!["T1566"; MAX_REFERENCES + 1];
        assert!(
            err(serde_json::json!({"techniques": techniques})).starts_with("techniques: has 201")
        );
        let products = vec![serde_json::json!({"vendor": "v", "product": "p"}); MAX_REFERENCES + 1];
        assert!(err(serde_json::json!({"products": products})).starts_with("products: has 201"));
    }

    #[test]
    fn products_and_cpe() {
        let good = "cpe:2.3:a:fortinet:fortios:7.0.1:*:*:*:*:*:*:*";
        let escaped = r"cpe:2.3:a:acme:vpn\:gateway:1.0:*:*:*:*:*:*:*";
        let c = draft(serde_json::json!({"products": [
            {"vendor": " Fortinet ", "product": "FortiOS", "version": "7.0.1", "cpe": good},
            {"vendor": "Acme", "product": "VPN:Gateway", "cpe": escaped},
            {"vendor": "Acme", "product": "Router", "cpe": ""},
        ]}))
        .parse()
        .unwrap();
        assert_eq!(c.products[0].vendor, "Fortinet");
        assert_eq!(c.products[0].cpe.as_deref(), Some(good));
        assert_eq!(c.products[1].cpe.as_deref(), Some(escaped));
        assert_eq!(c.products[2].cpe, None);

        for bad in [
            "cpe:/a:fortinet:fortios:7.0.1",
            "cpe:2.3:a:fortinet:fortios:7.0.1:*:*:*:*:*:*",
            "cpe:2.3:a:fortinet:fortios:7.0.1:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:fortinet:forti os:7.0.1:*:*:*:*:*:*:*",
        ] {
            let e = err(serde_json::json!({"products": [
                {"vendor": "v", "product": "p"},
                {"vendor": "v", "product": "p", "cpe": bad},
            ]}));
            assert!(e.starts_with("products: [1].cpe: "), "{bad}: {e}");
        }
        assert_eq!(
            err(serde_json::json!({"products": [{"vendor": " ", "product": "p"}]})),
            "products: [0].vendor: must not be empty"
        );
    }

    #[test]
    fn any_kind_with_any_confidence() {
        for kind in ItemKind::ALL {
            for confidence in Confidence::ALL {
                let c = draft(serde_json::json!({
                    "kind": kind, "confidence": confidence, "countermeasures": ""
                }))
                .parse()
                .unwrap();
                assert_eq!((c.kind, c.confidence), (kind, confidence));
            }
        }
    }

    #[test]
    fn the_scope_must_name_an_audience() {
        assert_eq!(
            err(serde_json::json!({"scope": {}})),
            "scope: names no audience"
        );
        assert!(
            serde_json::from_value::<ItemDraft>(serde_json::json!({
                "kind": "analysis", "title": "t", "confidence": "probable", "tlp": "green",
            }))
            .is_err(),
            "the scope is required"
        );
    }

    #[test]
    fn items_round_trip_through_json() {
        let content = draft(serde_json::json!({
            "indicators": [{"type": "url", "value": "http://example.jp/x"}],
            "cves": ["CVE-2017-0144"],
            "victim": {"name": "Acme", "damaged": true},
        }))
        .parse()
        .unwrap();
        let item = Item {
            id: ItemId::new(),
            provider: MemberId::new(),
            provider_sector: Sector::Finance,
            content,
            status: ItemStatus::Shared,
            revision: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        let json = serde_json::to_string(&item).unwrap();
        assert_eq!(serde_json::from_str::<Item>(&json).unwrap(), item);
    }
}
