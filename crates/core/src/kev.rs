//! The council's catalogue of known-exploited vulnerabilities (M4.1): entries with
//! CISA KEV's fields under KEV's own names, plus the council's (national due date, JVN
//! ids, sectors seen exploited, affected CPE match criteria, the shared items that
//! evidence exploitation), published in exactly KEV's JSON and CSV layout so existing
//! KEV tooling reads it unchanged.
//!
//! The public catalogue carries the KEV fields and the council's public ones; the
//! evidence items are never in it (they exist only for members who may see them).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::DomainError;
use crate::cpe::CpeMatch;
use crate::ids::ItemId;
use crate::indicator::CveId;
use crate::member::Sector;
use crate::text;

/// The KEV fields, in KEV's order: the CSV columns.
pub const KEV_FIELDS: [&str; 11] = [
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "shortDescription",
    "requiredAction",
    "dueDate",
    "knownRansomwareCampaignUse",
    "notes",
    "cwes",
];

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// One catalogue entry as sent to the API or read from a KEV feed, in KEV's field
/// names (and the council's, in the same style).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    /// `CVE-YYYY-NNNN`.
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// The vendor or project.
    pub vendor_project: String,
    /// The product.
    pub product: String,
    /// The vulnerability's name.
    pub vulnerability_name: String,
    /// When it was added, `YYYY-MM-DD`.
    pub date_added: String,
    /// A short description.
    pub short_description: String,
    /// What to do.
    pub required_action: String,
    /// By when, `YYYY-MM-DD`.
    pub due_date: String,
    /// `Known` or `Unknown`.
    #[serde(default = "unknown")]
    pub known_ransomware_campaign_use: String,
    /// Notes.
    #[serde(default)]
    pub notes: String,
    /// CWE ids, `CWE-NNN`.
    #[serde(default)]
    pub cwes: Vec<String>,
    /// The council's due date for its members, `YYYY-MM-DD`, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_due_date: Option<String>,
    /// JVN ids (`JVNDB-2024-001234`, `JVN#12345678`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jvn_ids: Vec<String>,
    /// Sectors in which exploitation was seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub sectors_exploited: Vec<Sector>,
    /// Affected products as CPE 2.3 match criteria: a name (`cpe:2.3:a:vendor:product:…`)
    /// or an NVD `cpeMatch` object with version ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub cpe_match: Vec<CpeMatch>,
    /// Shared items that evidence exploitation (shown to members through the policy
    /// view only; never published).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub evidence_items: Vec<ItemId>,
    /// Fields of an imported feed the council does not know: kept, and published again.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

fn unknown() -> String {
    "Unknown".into()
}

fn date(field: &'static str, s: &str) -> Result<Date, DomainError> {
    Date::parse(s.trim(), DATE)
        .map_err(|_| DomainError::invalid(field, format!("{s:?} is not a date YYYY-MM-DD")))
}

impl KevEntry {
    /// Checks every field and normalises it; the error names the field and the value.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] for a bad CVE id, date, CWE, ransomware value, CPE, or a
    /// missing or overlong text.
    pub fn parse(mut self) -> Result<Self, DomainError> {
        self.cve_id = CveId::parse(&self.cve_id)
            .map_err(|e| DomainError::invalid("cveID", e.to_string()))?
            .as_str()
            .to_owned();
        self.vendor_project = text::required("vendorProject", &self.vendor_project, 200)?;
        self.product = text::required("product", &self.product, 200)?;
        self.vulnerability_name =
            text::required("vulnerabilityName", &self.vulnerability_name, 500)?;
        self.short_description =
            text::required("shortDescription", &self.short_description, 5_000)?;
        self.required_action = text::required("requiredAction", &self.required_action, 2_000)?;
        self.notes = text::optional("notes", &self.notes, 5_000)?;
        date("dateAdded", &self.date_added)?;
        date("dueDate", &self.due_date)?;
        if let Some(d) = &self.national_due_date {
            date("nationalDueDate", d)?;
        }
        self.known_ransomware_campaign_use = match self.known_ransomware_campaign_use.trim() {
            "Known" | "known" => "Known".into(),
            "Unknown" | "unknown" | "" => "Unknown".into(),
            other => {
                return Err(DomainError::invalid(
                    "knownRansomwareCampaignUse",
                    format!("{other:?} is neither Known nor Unknown"),
                ));
            }
        };
        for cwe in &self.cwes {
            let ok = cwe
                .strip_prefix("CWE-")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err(DomainError::invalid(
                    "cwes",
                    format!("{cwe:?} is not a CWE id (CWE-NNN)"),
                ));
            }
        }
        for j in &self.jvn_ids {
            if !(j.starts_with("JVNDB-") || j.starts_with("JVN#") || j.starts_with("JVNVU#")) {
                return Err(DomainError::invalid(
                    "jvnIds",
                    format!("{j:?} is not a JVN id (JVNDB-…, JVN#…, JVNVU#…)"),
                ));
            }
        }
        self.sectors_exploited.sort();
        self.sectors_exploited.dedup();
        Ok(self)
    }

    /// The entry as published: KEV's fields, the council's public ones, and any kept
    /// unknown fields; never the evidence items.
    #[must_use]
    pub fn public(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("evidenceItems");
        }
        v
    }
}

/// Why a KEV feed could not be read. Nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KevFeedError {
    /// Not JSON, or not a catalogue (no `vulnerabilities` list).
    #[error("not a KEV catalogue: {0}")]
    Shape(String),
    /// One entry is invalid.
    #[error("vulnerabilities[{index}] ({cve}): {reason}")]
    Entry {
        /// Its position, from 0.
        index: usize,
        /// Its `cveID` as given.
        cve: String,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a KEV catalogue (CISA's feed, or another council's): every entry is checked;
/// unknown fields are kept.
///
/// # Errors
/// [`KevFeedError`] naming the first invalid entry and why.
pub fn parse_feed(json: &str) -> Result<Vec<KevEntry>, KevFeedError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| KevFeedError::Shape(e.to_string()))?;
    let list = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| KevFeedError::Shape("there is no \"vulnerabilities\" list".into()))?;
    list.iter()
        .enumerate()
        .map(|(index, v)| {
            let cve = v
                .get("cveID")
                .and_then(Value::as_str)
                .unwrap_or("no cveID")
                .to_owned();
            let fail = |reason: String| KevFeedError::Entry {
                index,
                cve: cve.clone(),
                reason,
            };
            let entry: KevEntry =
                serde_json::from_value(v.clone()).map_err(|e| fail(e.to_string()))?;
            entry.parse().map_err(|e| fail(e.to_string()))
        })
        .collect()
}

/// `catalogVersion` as KEV writes it: the release date, `YYYY.MM.DD`.
#[must_use]
pub fn catalog_version(released: OffsetDateTime) -> String {
    format!(
        "{:04}.{:02}.{:02}",
        released.year(),
        u8::from(released.month()),
        released.day()
    )
}

/// `dateReleased` as KEV writes it: `YYYY-MM-DDTHH:mm:ss.sssZ` (STIX's timestamp form).
#[must_use]
pub fn date_released(released: OffsetDateTime) -> String {
    crate::stix::timestamp(released)
}

/// The public catalogue in KEV's JSON layout.
#[must_use]
pub fn catalog_json(title: &str, entries: &[KevEntry], released: OffsetDateTime) -> Value {
    json!({
        "title": title,
        "catalogVersion": catalog_version(released),
        "dateReleased": date_released(released),
        "count": entries.len(),
        "vulnerabilities": entries.iter().map(KevEntry::public).collect::<Vec<_>>(),
    })
}

/// The public catalogue in KEV's CSV layout: KEV's columns in KEV's order (CWEs joined
/// with `, `), RFC 4180 quoting.
///
/// # Errors
/// Only if writing to memory fails.
pub fn catalog_csv(entries: &[KevEntry]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(KEV_FIELDS)?;
    for e in entries {
        w.write_record([
            e.cve_id.as_str(),
            &e.vendor_project,
            &e.product,
            &e.vulnerability_name,
            &e.date_added,
            &e.short_description,
            &e.required_action,
            &e.due_date,
            &e.known_ransomware_campaign_use,
            &e.notes,
            &e.cwes.join(", "),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Merges a newer feed's entry into the council's: KEV's fields (and unknown ones)
/// come from the feed; the council's own fields are kept.
#[must_use]
pub fn merge_from_feed(council: &KevEntry, feed: KevEntry) -> KevEntry {
    KevEntry {
        national_due_date: council.national_due_date.clone(),
        jvn_ids: council.jvn_ids.clone(),
        sectors_exploited: council.sectors_exploited.clone(),
        cpe_match: council.cpe_match.clone(),
        evidence_items: council.evidence_items.clone(),
        ..feed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FEED: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
      "dateReleased": "2026-11-20T17:00:00.000Z", "count": 2, "vulnerabilities": [
      {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "SMBv1",
       "vulnerabilityName": "Microsoft Windows SMBv1 Remote Code Execution Vulnerability",
       "dateAdded": "2022-02-10", "shortDescription": "The SMBv1 server allows remote code execution, \"EternalBlue\".",
       "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-08-10",
       "knownRansomwareCampaignUse": "Known", "notes": "https://nvd.nist.gov/vuln/detail/CVE-2017-0144", "cwes": ["CWE-20"]},
      {"cveID": "CVE-2024-21887", "vendorProject": "Ivanti", "product": "Connect Secure and Policy Secure",
       "vulnerabilityName": "Ivanti Connect Secure and Policy Secure Command Injection Vulnerability",
       "dateAdded": "2024-01-10", "shortDescription": "A command injection vulnerability.",
       "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
       "dueDate": "2024-01-22", "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-77"],
       "futureCisaField": {"kept": true}}]}"#;

    #[test]
    fn a_cisa_feed_is_read_with_unknown_fields_kept() {
        let entries = parse_feed(FEED).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].cve_id, "CVE-2017-0144");
        assert_eq!(entries[0].known_ransomware_campaign_use, "Known");
        assert_eq!(entries[1].extra["futureCisaField"], json!({"kept": true}));
        let public = entries[1].public();
        assert_eq!(
            public["futureCisaField"],
            json!({"kept": true}),
            "published again"
        );
    }

    #[test]
    fn a_bad_entry_is_named_and_nothing_is_read() {
        let bad = FEED.replace("\"2024-01-22\"", "\"22/01/2024\"");
        let err = parse_feed(&bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vulnerabilities[1] (CVE-2024-21887): dueDate"),
            "{err}"
        );
        let bad = FEED.replace("CVE-2017-0144", "CVE-17-0144");
        assert!(
            parse_feed(&bad)
                .unwrap_err()
                .to_string()
                .contains("vulnerabilities[0]")
        );
        let bad = FEED.replace("\"CWE-77\"", "\"77\"");
        assert!(parse_feed(&bad).unwrap_err().to_string().contains("cwes"));
        assert!(matches!(parse_feed("[]"), Err(KevFeedError::Shape(_))));
        assert!(matches!(parse_feed("{"), Err(KevFeedError::Shape(_))));
    }

    #[test]
    fn the_catalogue_has_kev_layout_and_no_evidence() {
        let mut entries = parse_feed(FEED).unwrap();
        entries[0].evidence_items = vec![ItemId::new()];
        entries[0].national_due_date = Some("2022-03-01".into());
        let at = time::macros::datetime!(2026-11-29 08:30:05.123 UTC);
        let c = catalog_json("tsunagu council KEV", &entries, at);
        assert_eq!(c["catalogVersion"], "2026.11.29");
        assert_eq!(c["dateReleased"], "2026-11-29T08:30:05.123Z");
        assert_eq!(c["count"], 2);
        let first = &c["vulnerabilities"][0];
        assert_eq!(first["nationalDueDate"], "2022-03-01");
        assert!(
            first.get("evidenceItems").is_none(),
            "evidence is never published"
        );
        for f in KEV_FIELDS {
            assert!(first.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn csv_has_kev_columns_and_quotes() {
        let entries = parse_feed(FEED).unwrap();
        let csv = catalog_csv(&entries).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes"
        );
        let row = lines.next().unwrap();
        assert!(
            row.contains(r#","The SMBv1 server allows remote code execution, ""EternalBlue"".","#),
            "{row}"
        );
        assert!(row.ends_with(",CWE-20"), "{row}");
    }

    #[test]
    fn a_feed_refresh_keeps_the_councils_fields() {
        let mut ours = parse_feed(FEED).unwrap().remove(1);
        ours.national_due_date = Some("2024-01-15".into());
        ours.sectors_exploited = vec![Sector::Electricity];
        let mut newer = parse_feed(FEED).unwrap().remove(1);
        newer.notes = "updated by CISA".into();
        let merged = merge_from_feed(&ours, newer);
        assert_eq!(merged.notes, "updated by CISA");
        assert_eq!(merged.national_due_date.as_deref(), Some("2024-01-15"));
        assert_eq!(merged.sectors_exploited, vec![Sector::Electricity]);
    }
}
