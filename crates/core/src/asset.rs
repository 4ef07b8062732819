//! The asset registry (M4.2): the products and devices a member runs — by form, API,
//! CSV or as the components of an SBOM — and how a product criterion (a CPE match
//! with version ranges, or a package URL) finds the ones that are affected.
//!
//! Assets are private to their member. Matching runs inside the server, and what
//! leaves it is each member's own list of affected assets, or anonymised counts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::BTreeSet;

use crate::DomainError;
use crate::cpe::{AttrValue, Cpe, CpeMatch};
use crate::csaf::Advisory;
use crate::purl::{Comparator, Purl, PurlMatch, Vers};
use crate::sbom::Component;
use crate::text;

/// An asset as sent by form, API or a CSV line.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetForm {
    /// Vendor ("Fortinet"). Taken from the CPE or purl when empty.
    #[serde(default)]
    pub vendor: String,
    /// Product ("FortiOS"). Taken from the CPE or purl when empty.
    #[serde(default)]
    pub product: String,
    /// Version as the vendor writes it ("7.0.12", "9.1R18", "9.8(4)").
    #[serde(default)]
    pub version: String,
    /// Model number ("FG-60F").
    #[serde(default)]
    pub model: String,
    /// CPE 2.3 name (`cpe:2.3:o:fortinet:fortios:7.0.12:*:*:*:*:*:*:*`).
    #[serde(default)]
    pub cpe: Option<String>,
    /// Package URL (`pkg:npm/lodash@4.17.20`).
    #[serde(default)]
    pub purl: Option<String>,
    /// The sector service it supports ("電力制御 / grid control", "payments").
    #[serde(default)]
    pub sector_service: String,
    /// Reachable from the internet.
    #[serde(default)]
    pub internet_facing: bool,
}

/// A checked asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetSpec {
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Version.
    pub version: String,
    /// Model number.
    pub model: String,
    /// CPE: given, or built from vendor, product and version.
    pub cpe: Option<Cpe>,
    /// The CPE was built from the text fields: its part (application, OS, hardware) is
    /// unknown, so matching ignores it.
    pub cpe_derived: bool,
    /// Package URL.
    pub purl: Option<Purl>,
    /// Sector service.
    pub sector_service: String,
    /// Internet-facing.
    pub internet_facing: bool,
}

impl AssetForm {
    /// Checks every field; the error names the field and the value.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] for a bad CPE or purl, an asset that names no product
    /// (neither vendor and product, nor a CPE, nor a purl), or an overlong text.
    pub fn parse(self) -> Result<AssetSpec, DomainError> {
        let cpe = match self.cpe.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(parse_cpe_any(s)?),
            None => None,
        };
        let purl = match self
            .purl
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(s.parse::<Purl>()?),
            None => None,
        };
        let mut vendor = text::optional("vendor", &self.vendor, 200)?;
        let mut product = text::optional("product", &self.product, 200)?;
        let mut version = text::optional("version", &self.version, 100)?;
        if let Some(c) = &cpe {
            if vendor.is_empty() {
                vendor = plain(c.vendor());
            }
            if product.is_empty() {
                product = plain(c.product());
            }
            if version.is_empty() {
                version = plain(c.version());
            }
        }
        if let Some(p) = &purl {
            if vendor.is_empty() {
                vendor = p.namespace().unwrap_or(p.ty()).to_owned();
            }
            if product.is_empty() {
                product = p.name().to_owned();
            }
            if version.is_empty() {
                version = p.version().unwrap_or_default().to_owned();
            }
        }
        if product.is_empty() {
            return Err(DomainError::invalid(
                "product",
                "name the product: vendor and product, a CPE or a purl",
            ));
        }
        let cpe_derived = cpe.is_none() && !vendor.is_empty();
        let cpe = match cpe {
            Some(c) => Some(c),
            None if cpe_derived => Some(Cpe::from_parts('a', &vendor, &product, &version)?),
            None => None,
        };
        Ok(AssetSpec {
            vendor,
            product,
            version,
            model: text::optional("model", &self.model, 100)?,
            cpe,
            cpe_derived,
            purl,
            sector_service: text::optional("sector_service", &self.sector_service, 200)?,
            internet_facing: self.internet_facing,
        })
    }
}

/// The plain text of an attribute (empty for ANY and NA).
fn plain(v: &AttrValue) -> String {
    match v {
        AttrValue::Value(s) => s.replace('\\', "").replace('_', " "),
        AttrValue::Any | AttrValue::Na => String::new(),
    }
}

/// Parses a CPE 2.3 formatted string, or a CPE 2.2 URI (`cpe:/a:vendor:product:1.0`,
/// still common in SBOMs) converted to 2.3.
///
/// # Errors
/// [`DomainError::Invalid`] naming `cpe` and the value.
pub fn parse_cpe_any(s: &str) -> Result<Cpe, DomainError> {
    let Some(rest) = s.strip_prefix("cpe:/") else {
        return Cpe::parse(s);
    };
    let mut parts: Vec<String> = rest
        .split(':')
        .map(|p| {
            let decoded = url::form_urlencoded::parse(format!("x={p}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match decoded.as_str() {
                "" => "*".to_owned(),
                "-" => "-".to_owned(),
                d => escape_23(d),
            }
        })
        .collect();
    if parts.len() > 7 || parts.first().is_none_or(|p| p.len() != 1) {
        return Err(DomainError::invalid(
            "cpe",
            format!(
                "{s:?}: not a CPE 2.2 URI (cpe:/part:vendor:product:version:update:edition:language)"
            ),
        ));
    }
    parts.resize(11, "*".to_owned());
    Cpe::parse(&format!("cpe:2.3:{}", parts.join(":")))
}

/// Escapes a 2.2 value's characters for a 2.3 formatted string.
fn escape_23(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl AssetSpec {
    /// The SBOM component as an asset, with its SBOM's placement. Components without a
    /// CPE or purl are registered by name, so a criterion naming them still finds them.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the component's JSON pointer when its CPE or purl
    /// is malformed (a malformed SBOM imports nothing).
    pub fn from_component(
        c: &Component,
        sector_service: &str,
        internet_facing: bool,
    ) -> Result<Self, DomainError> {
        let form = AssetForm {
            vendor: c
                .supplier
                .clone()
                .or_else(|| c.group.clone())
                .unwrap_or_default(),
            product: c.name.clone(),
            version: c.version.clone().unwrap_or_default(),
            model: String::new(),
            cpe: c.cpe.clone(),
            purl: c.purl.clone(),
            sector_service: sector_service.to_owned(),
            internet_facing,
        };
        form.parse()
            .map_err(|e| DomainError::invalid("sbom", format!("{}: {e}", c.path)))
    }

    /// The CPE's `vendor:product`, lower-cased and unescaped: how matching finds it.
    #[must_use]
    pub fn cpe_key(&self) -> Option<String> {
        self.cpe.as_ref().and_then(cpe_key)
    }

    /// The purl's `type/namespace/name`: how matching finds it.
    #[must_use]
    pub fn purl_key(&self) -> Option<String> {
        self.purl.as_ref().map(purl_key)
    }

    /// The [`crate::version::sort_key`] of the version a CPE range is checked against
    /// (the CPE's version attribute): the database narrows a range to these first.
    #[must_use]
    pub fn version_key(&self) -> Option<String> {
        self.cpe
            .as_ref()
            .and_then(|c| c.version().unescaped())
            .map(|v| crate::version::sort_key(&v))
    }

    /// How people name it: "Fortinet FortiOS 7.0.12 (FG-60F)".
    #[must_use]
    pub fn label(&self) -> String {
        label(&self.vendor, &self.product, &self.version, &self.model)
    }
}

/// "Vendor Product Version (Model)", skipping what is empty.
#[must_use]
pub fn label(vendor: &str, product: &str, version: &str, model: &str) -> String {
    let mut out = [vendor, product, version]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !model.is_empty() {
        out.push_str(&format!(" ({model})"));
    }
    out
}

/// A CPE's lookup key: `vendor:product`, when both are plain values.
#[must_use]
pub fn cpe_key(c: &Cpe) -> Option<String> {
    c.vendor_product_key().map(|(v, p)| format!("{v}:{p}"))
}

/// A purl's lookup key: `type/namespace/name`.
#[must_use]
pub fn purl_key(p: &Purl) -> String {
    match p.namespace() {
        Some(ns) => format!("{}/{}/{}", p.ty(), ns, p.name()),
        None => format!("{}/{}", p.ty(), p.name()),
    }
}

/// Parses assets from CSV with a header line naming the columns `vendor, product,
/// version, model, cpe, purl, sector_service, internet_facing` (any order; only the
/// ones used are needed). All or nothing.
///
/// # Errors
/// [`DomainError::Invalid`] naming the line (`line 7: cpe: …`) or the unknown column.
pub fn parse_csv(text: &str) -> Result<Vec<AssetSpec>, DomainError> {
    const COLUMNS: [&str; 8] = [
        "vendor",
        "product",
        "version",
        "model",
        "cpe",
        "purl",
        "sector_service",
        "internet_facing",
    ];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| DomainError::invalid("csv", format!("line 1: {e}")))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    for h in &header {
        if !COLUMNS.contains(&h.as_str()) {
            return Err(DomainError::invalid(
                "csv",
                format!(
                    "line 1: unknown column {h:?} (known: {})",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record =
            record.map_err(|e| DomainError::invalid("csv", format!("line {line}: {e}")))?;
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|p| record.get(p))
                .unwrap_or("")
                .to_owned()
        };
        let internet_facing = match get("internet_facing").to_ascii_lowercase().as_str() {
            "" | "no" | "false" | "0" | "いいえ" => false,
            "yes" | "true" | "1" | "はい" => true,
            other => {
                return Err(DomainError::invalid(
                    "csv",
                    format!("line {line}: internet_facing: {other:?} is neither yes nor no"),
                ));
            }
        };
        let opt = |s: String| (!s.is_empty()).then_some(s);
        let form = AssetForm {
            vendor: get("vendor"),
            product: get("product"),
            version: get("version"),
            model: get("model"),
            cpe: opt(get("cpe")),
            purl: opt(get("purl")),
            sector_service: get("sector_service"),
            internet_facing,
        };
        out.push(
            form.parse()
                .map_err(|e| DomainError::invalid("csv", format!("line {line}: {e}")))?,
        );
    }
    Ok(out)
}

/// What finds affected assets: CPE match criteria (with version ranges) and package
/// URL criteria.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCriteria {
    /// CPE 2.3 match criteria, as strings or NVD `cpeMatch` objects.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub cpe: Vec<CpeMatch>,
    /// Package URL criteria (`pkg:npm/lodash@4.17.20`, or with a `vers:` range).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub purl: Vec<PurlMatch>,
}

impl ProductCriteria {
    /// Names no product.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cpe.is_empty() && self.purl.is_empty()
    }
}

/// A registered asset as matching sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its CPE.
    pub cpe: Option<Cpe>,
    /// Its CPE was built from text: the part is unknown.
    pub cpe_derived: bool,
    /// Its purl.
    pub purl: Option<Purl>,
}

/// The first criterion that matches the asset, as text (what a member is told).
#[must_use]
pub fn first_match(criteria: &ProductCriteria, asset: &Candidate) -> Option<String> {
    if let Some(c) = &asset.cpe {
        for m in &criteria.cpe {
            let hit = if asset.cpe_derived {
                m.matches(&c.with_part(m.criteria.part().clone()))
            } else {
                m.matches(c)
            };
            if hit {
                return Some(describe(m));
            }
        }
    }
    if let Some(p) = &asset.purl {
        for m in &criteria.purl {
            if m.matches(p) {
                return Some(m.to_string());
            }
        }
    }
    None
}

/// A CPE criterion as people read it: the name, then its version range.
#[must_use]
pub fn describe(m: &CpeMatch) -> String {
    let bounds: Vec<String> = [
        (">=", &m.version_start_including),
        (">", &m.version_start_excluding),
        ("<=", &m.version_end_including),
        ("<", &m.version_end_excluding),
    ]
    .into_iter()
    .filter_map(|(op, v)| v.as_ref().map(|v| format!("{op} {v}")))
    .collect();
    if bounds.is_empty() {
        m.criteria.to_string()
    } else {
        format!("{} (versions {})", m.criteria, bounds.join(", "))
    }
}

/// One of the recipient's own assets that an alert or advisory affects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct AffectedAsset {
    /// The asset's identifier.
    pub asset_id: String,
    /// How the member named it ("Fortinet FortiOS 7.0.12 (FG-60F)").
    pub label: String,
    /// The SBOM it is a component of, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom_id: Option<String>,
    /// The criterion that matched.
    pub matched: String,
}

/// The product criteria of an advisory's known-affected products: by purl (with the
/// product's `vers:` range when it has one), by CPE, or else by the vendor and product
/// names of the product tree (any part: the advisory does not say which). What the
/// advisory names in a way that cannot be matched is left out.
#[must_use]
pub fn advisory_criteria(a: &Advisory) -> ProductCriteria {
    let mut out = ProductCriteria::default();
    let affected: BTreeSet<&str> = a
        .vulnerabilities
        .iter()
        .flat_map(|v| v.known_affected.iter().map(String::as_str))
        .collect();
    for id in affected {
        let Some(p) = a.products.get(id) else {
            continue;
        };
        let range = p.version_range.as_deref().and_then(|r| Vers::parse(r).ok());
        if let Some(purl) = p.purl.as_deref().and_then(|s| Purl::parse(s).ok()) {
            out.purl.push(match range {
                Some(r) => PurlMatch {
                    package: purl.without_version(),
                    range: Some(r),
                },
                None => PurlMatch {
                    package: purl,
                    range: None,
                },
            });
            continue;
        }
        let named = p.cpe.as_deref().and_then(|s| parse_cpe_any(s).ok());
        let cpe = match (named, &p.vendor, &p.product) {
            (Some(c), _, _) => c,
            (None, Some(vendor), Some(product)) => {
                let version = if range.is_some() {
                    ""
                } else {
                    p.version.as_deref().unwrap_or("")
                };
                match Cpe::from_parts('a', vendor, product, version) {
                    Ok(c) => c.with_part(AttrValue::Any),
                    Err(_) => continue,
                }
            }
            _ => continue,
        };
        match range {
            Some(r) => out.cpe.extend(cpe_ranges(&cpe, &r)),
            None => out.cpe.push(CpeMatch::from(cpe)),
        }
    }
    out
}

/// A `vers:` range as CPE match criteria: one per interval (`>=a|<b`), one per
/// listed version (`=v`); exclusions (`!=`) are not expressible and are dropped,
/// which errs towards alerting.
fn cpe_ranges(cpe: &Cpe, vers: &Vers) -> Vec<CpeMatch> {
    let base = CpeMatch::from(cpe.clone());
    let mut out = Vec::new();
    let mut lower: Option<(bool, String)> = None;
    for c in vers.constraints() {
        let v = Some(c.version.clone());
        match c.comparator {
            Comparator::Eq => out.push(CpeMatch {
                version_start_including: v.clone(),
                version_end_including: v,
                ..base.clone()
            }),
            Comparator::Ge => lower = Some((true, c.version.clone())),
            Comparator::Gt => lower = Some((false, c.version.clone())),
            Comparator::Le | Comparator::Lt => {
                let (start_in, start_ex) = match lower.take() {
                    Some((true, l)) => (Some(l), None),
                    Some((false, l)) => (None, Some(l)),
                    None => (None, None),
                };
                let (end_in, end_ex) = if c.comparator == Comparator::Le {
                    (v, None)
                } else {
                    (None, v)
                };
                out.push(CpeMatch {
                    version_start_including: start_in,
                    version_start_excluding: start_ex,
                    version_end_including: end_in,
                    version_end_excluding: end_ex,
                    ..base.clone()
                });
            }
            Comparator::Ne => {}
        }
    }
    if let Some((including, l)) = lower {
        out.push(if including {
            CpeMatch {
                version_start_including: Some(l),
                ..base.clone()
            }
        } else {
            CpeMatch {
                version_start_excluding: Some(l),
                ..base.clone()
            }
        });
    }
    if vers.constraints().is_empty() {
        out.push(base);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(spec: &AssetSpec) -> Candidate {
        Candidate {
            cpe: spec.cpe.clone(),
            cpe_derived: spec.cpe_derived,
            purl: spec.purl.clone(),
        }
    }

    fn criteria(cpe: &[&str], purl: &[&str]) -> ProductCriteria {
        serde_json::from_value(serde_json::json!({"cpe": cpe, "purl": purl})).expect("criteria")
    }

    #[test]
    fn an_asset_named_in_words_matches_a_criterion_of_any_part() {
        let fortigate = AssetForm {
            vendor: "Fortinet".into(),
            product: "FortiOS".into(),
            version: "6.0.2".into(),
            ..AssetForm::default()
        }
        .parse()
        .expect("asset");
        assert!(fortigate.cpe_derived);
        assert_eq!(fortigate.cpe_key().as_deref(), Some("fortinet:fortios"));
        let ranged: ProductCriteria = serde_json::from_value(serde_json::json!({"cpe": [
            {"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "versionStartIncluding": "6.0.0", "versionEndIncluding": "6.0.4"}
        ]}))
        .expect("criteria");
        let hit = first_match(&ranged, &candidate(&fortigate)).expect("6.0.2 is affected");
        assert!(
            hit.contains(">= 6.0.0") && hit.contains("<= 6.0.4"),
            "{hit}"
        );
        let fixed = AssetForm {
            cpe: Some("cpe:2.3:o:fortinet:fortios:7.0.12:*:*:*:*:*:*:*".into()),
            ..AssetForm::default()
        }
        .parse()
        .expect("asset");
        assert!(!fixed.cpe_derived);
        assert_eq!(fixed.vendor, "fortinet");
        assert!(first_match(&ranged, &candidate(&fixed)).is_none());
        // A given CPE keeps its part: an application criterion does not match an OS.
        let app = criteria(&["cpe:2.3:a:fortinet:fortios:7.0.12:*:*:*:*:*:*:*"], &[]);
        assert!(first_match(&app, &candidate(&fixed)).is_none());
    }

    #[test]
    fn sbom_components_match_by_purl_and_cpe_22_uris_are_read() {
        let log4j = AssetForm {
            purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into()),
            ..AssetForm::default()
        }
        .parse()
        .expect("asset");
        assert_eq!(
            log4j.purl_key().as_deref(),
            Some("maven/org.apache.logging.log4j/log4j-core")
        );
        let c = candidate(&log4j);
        let exact = criteria(
            &[],
            &["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"],
        );
        assert!(first_match(&exact, &c).is_some());
        let range = criteria(
            &[],
            &["pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/>=2.0.0|<2.15.0"],
        );
        assert!(first_match(&range, &c).is_some());
        let later = criteria(
            &[],
            &["pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/>=2.17.0"],
        );
        assert!(first_match(&later, &c).is_none());
        let cpe = parse_cpe_any("cpe:/a:apache:http_server:2.4.49").expect("2.2 URI");
        assert_eq!(
            cpe.to_string(),
            "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"
        );
        assert!(parse_cpe_any("cpe:/a:b:c:d:e:f:g:h:i").is_err());
    }

    #[test]
    fn csv_lines_and_bad_values_are_named() {
        let ok = parse_csv("vendor,product,version,internet_facing\nCisco,ASA,9.16(4),yes\n")
            .expect("csv");
        assert_eq!(ok.len(), 1);
        assert!(ok[0].internet_facing);
        let err = parse_csv("vendor,product,purl\nA,B,\nA,B,npm/x\n").expect_err("bad purl");
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_csv("vendor,product,internet_facing\nA,B,perhaps\n").expect_err("bad flag");
        assert!(err.to_string().contains("perhaps"), "{err}");
        let err = parse_csv("vendor,colour\nA,B\n").expect_err("unknown column");
        assert!(err.to_string().contains("colour"), "{err}");
        let err = AssetForm::default().parse().expect_err("no product");
        assert!(err.to_string().starts_with("product:"), "{err}");
    }

    #[test]
    fn an_advisory_range_becomes_one_criterion_per_interval() {
        let cpe = Cpe::parse("cpe:2.3:o:examplenetworks:en-vpn_os:*:*:*:*:*:*:*:*").expect("cpe");
        let vers =
            Vers::parse("vers:generic/>=6.0.0|<=6.0.4|>=7.0.0|<7.0.13|=8.0.1").expect("vers");
        let out = cpe_ranges(&cpe, &vers);
        assert_eq!(out.len(), 3, "{out:?}");
        let matches = |v: &str| {
            let asset = Cpe::parse(&format!(
                "cpe:2.3:o:examplenetworks:en-vpn_os:{v}:*:*:*:*:*:*:*"
            ))
            .expect("asset");
            out.iter().any(|m| m.matches(&asset))
        };
        for v in ["6.0.0", "6.0.4", "7.0.12", "8.0.1"] {
            assert!(matches(v), "{v} is affected");
        }
        for v in ["5.9.9", "6.0.5", "7.0.13", "8.0.2"] {
            assert!(!matches(v), "{v} is not affected");
        }
    }
}
