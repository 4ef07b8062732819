//! CPE 2.3 names (NISTIR 7695 formatted strings), name matching (NISTIR 7696) and
//! NVD-style match criteria with version ranges.
//!
//! A [`Cpe`] is parsed from `cpe:2.3:part:vendor:product:version:update:edition:
//! language:sw_edition:target_sw:target_hw:other` and kept in a normalised form
//! (lower case; `.`, `-` and `_` unquoted, every other punctuation character quoted
//! with a backslash), so two spellings of the same name compare equal. A
//! [`CpeMatch`] is what NVD's `cpeMatch` entries and the KEV catalogue's `cpeMatch`
//! list carry: a criterion name plus an optional version range, which is what an
//! asset's CPE is tested against.

use std::fmt;
use std::ops::Bound;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::version::VersionRange;

const PREFIX: &str = "cpe:2.3:";

/// The attributes of a CPE 2.3 name, in formatted-string order.
const ATTRS: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

const VERSION: usize = 3;

/// The longest part of an input quoted back in an error message.
const QUOTE_MAX: usize = 200;

/// Quotes a refused input for an error message, cut short when very long.
pub(crate) fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTE_MAX) {
        Some((at, _)) => format!("\"{}…\"", &value[..at]),
        None => format!("\"{value}\""),
    }
}

/// The value of one attribute of a CPE name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum AttrValue {
    /// `*`: any value.
    #[default]
    Any,
    /// `-`: not applicable.
    Na,
    /// A value in normalised formatted-string form: lower case, punctuation other
    /// than `.`, `-` and `_` quoted with `\`, and unquoted `*` / `?` wildcards only at
    /// the start or end (a lone hyphen is kept as `\-` so it is not read as NA).
    Value(String),
}

/// One character of a value: a literal or an unquoted wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glyph {
    Lit(char),
    /// `*`: zero or more characters.
    Many,
    /// `?`: exactly one character.
    One,
}

fn glyphs(value: &str) -> Vec<Glyph> {
    let mut out = Vec::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => Glyph::Lit(chars.next().unwrap_or('\\')),
            '*' => Glyph::Many,
            '?' => Glyph::One,
            c => Glyph::Lit(c),
        });
    }
    out
}

/// Whether `pattern` (with wildcards) matches all of `target`.
fn glob(pattern: &[Glyph], target: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while t < target.len() {
        match pattern.get(p) {
            Some(Glyph::Many) => {
                retry = Some((p, t));
                p += 1;
                continue;
            }
            Some(Glyph::One) => {
                p += 1;
                t += 1;
                continue;
            }
            Some(Glyph::Lit(c)) if *c == target[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match retry {
            Some((star, from)) => {
                p = star + 1;
                t = from + 1;
                retry = Some((star, from + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|g| *g == Glyph::Many)
}

impl AttrValue {
    /// Whether the value contains an unquoted `*` or `?` wildcard.
    pub fn has_wildcards(&self) -> bool {
        match self {
            AttrValue::Value(v) => glyphs(v).iter().any(|g| !matches!(g, Glyph::Lit(_))),
            AttrValue::Any | AttrValue::Na => false,
        }
    }

    /// The value with its quoting removed (`foo\:bar` → `foo:bar`), for a plain
    /// value without wildcards; `None` for ANY, NA and wildcard values.
    pub fn unescaped(&self) -> Option<String> {
        let AttrValue::Value(v) = self else {
            return None;
        };
        glyphs(v)
            .into_iter()
            .map(|g| match g {
                Glyph::Lit(c) => Some(c),
                Glyph::Many | Glyph::One => None,
            })
            .collect()
    }

    /// Normalises one attribute of a formatted string; the `Err` is the reason.
    fn parse(raw: &str) -> Result<AttrValue, String> {
        match raw {
            "" => return Err("is empty".into()),
            "*" => return Ok(AttrValue::Any),
            "-" => return Ok(AttrValue::Na),
            _ => {}
        }
        let mut out = String::with_capacity(raw.len());
        // The unquoted wildcards, by position in `out` and in the glyph sequence.
        let mut wild = Vec::new();
        let mut count = 0;
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    None => return Err("ends with a lone backslash".into()),
                    Some(q) if q.is_ascii_alphanumeric() => {
                        return Err(format!("quotes the letter or digit '{q}'"));
                    }
                    Some(q @ ('.' | '-' | '_')) => out.push(q),
                    Some(q) if q.is_ascii_graphic() => {
                        out.push('\\');
                        out.push(q);
                    }
                    Some(q) => return Err(format!("quotes the illegal character {q:?}")),
                },
                '*' | '?' => {
                    wild.push((count, c));
                    out.push(c);
                }
                c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => {
                    out.push(c.to_ascii_lowercase());
                }
                c if c.is_ascii_graphic() => {
                    return Err(format!(
                        "has the character '{c}' unquoted (write it as \\{c})"
                    ));
                }
                c => return Err(format!("has the illegal character {c:?}")),
            }
            count += 1;
        }
        check_wildcards(&wild, count)?;
        if out == "-" {
            out.insert(0, '\\');
        }
        Ok(AttrValue::Value(out))
    }

    /// Builds a plain value from free text the way NVD names things: lower case,
    /// spaces as `_`, punctuation quoted. `Err` is the reason.
    fn from_text(text: &str) -> Result<AttrValue, String> {
        let mut out = String::with_capacity(text.len());
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push('_');
            }
            for c in word.chars() {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    out.push(c.to_ascii_lowercase());
                } else if c.is_ascii_graphic() {
                    out.push('\\');
                    out.push(c);
                } else {
                    return Err(format!("has the non-ASCII character {c:?}"));
                }
            }
        }
        match out.as_str() {
            "" => Err("is empty".into()),
            "-" => Ok(AttrValue::Value("\\-".into())),
            _ => Ok(AttrValue::Value(out)),
        }
    }
}

/// Checks that unquoted wildcards only lead or trail a value: at each end either a
/// single `*` or a run of `?`, and a value of wildcards alone is a run of `?`.
fn check_wildcards(wild: &[(usize, char)], len: usize) -> Result<(), String> {
    let mut lead = 0;
    while lead < wild.len() && wild[lead].0 == lead {
        lead += 1;
    }
    let mut trail = 0;
    while trail < wild.len() - lead && wild[wild.len() - 1 - trail].0 == len - 1 - trail {
        trail += 1;
    }
    if lead + trail < wild.len() {
        return Err("has an unquoted * or ? in the middle (quote it as \\* or \\?)".into());
    }
    let run_ok = |run: &[(usize, char)]| run.len() <= 1 || run.iter().all(|(_, c)| *c == '?');
    let (leading, trailing) = wild.split_at(lead);
    if lead == len {
        if !leading.iter().all(|(_, c)| *c == '?') {
            return Err("is only wildcards, which must then all be ?".into());
        }
    } else if !run_ok(leading) || !run_ok(trailing) {
        return Err("has more than one * at an end, or * mixed with ?".into());
    }
    Ok(())
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Any => f.write_str("*"),
            AttrValue::Na => f.write_str("-"),
            AttrValue::Value(v) => f.write_str(v),
        }
    }
}

/// A CPE 2.3 name: the 11 attributes of a formatted string, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpe {
    attrs: [AttrValue; 11],
}

impl Cpe {
    /// Parses a CPE 2.3 formatted string (`cpe:2.3:a:apache:http_server:2.4.49:…`).
    pub fn parse(s: &str) -> Result<Cpe, DomainError> {
        let refuse = |why: String| DomainError::invalid("cpe", format!("{}: {why}", quoted(s)));
        let trimmed = s.trim();
        let body = trimmed
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &trimmed[PREFIX.len()..])
            .ok_or_else(|| refuse("must start with cpe:2.3:".into()))?;
        let raw = split_unquoted(body);
        if raw.len() != ATTRS.len() {
            return Err(refuse(format!(
                "has {} attributes, a CPE 2.3 name has 11",
                raw.len()
            )));
        }
        let mut attrs: [AttrValue; 11] = Default::default();
        for (i, value) in raw.iter().enumerate() {
            attrs[i] = AttrValue::parse(value)
                .map_err(|why| refuse(format!("the {} attribute {why}", ATTRS[i])))?;
        }
        match &attrs[0] {
            AttrValue::Any => {}
            AttrValue::Value(p) if matches!(p.as_str(), "a" | "o" | "h") => {}
            _ => return Err(refuse("part must be a, o, h or *".into())),
        }
        Ok(Cpe { attrs })
    }

    /// Builds a name from free text, as for an asset registered only by vendor,
    /// product and version: lower case, spaces as `_`, punctuation quoted. `part` is
    /// `a`, `o` or `h`; an empty or `*` version is ANY and `-` is NA. Every other
    /// attribute is ANY.
    pub fn from_parts(
        part: char,
        vendor: &str,
        product: &str,
        version: &str,
    ) -> Result<Cpe, DomainError> {
        let part = part.to_ascii_lowercase();
        if !matches!(part, 'a' | 'o' | 'h') {
            return Err(DomainError::invalid(
                "cpe",
                format!("{}: part must be a, o or h", quoted(&part.to_string())),
            ));
        }
        let text = |field: &'static str, value: &str| {
            AttrValue::from_text(value).map_err(|why| {
                DomainError::invalid("cpe", format!("{}: the {field} {why}", quoted(value)))
            })
        };
        let mut attrs: [AttrValue; 11] = Default::default();
        attrs[0] = AttrValue::Value(part.to_string());
        attrs[1] = text("vendor", vendor)?;
        attrs[2] = text("product", product)?;
        attrs[VERSION] = version_value(version).map_err(|why| {
            DomainError::invalid("cpe", format!("{}: the version {why}", quoted(version)))
        })?;
        Ok(Cpe { attrs })
    }

    /// The same name with another part, e.g. to match a name built by
    /// [`Cpe::from_parts`] whose part was a guess.
    #[must_use]
    pub fn with_part(&self, part: AttrValue) -> Cpe {
        let mut attrs = self.attrs.clone();
        attrs[0] = part;
        Cpe { attrs }
    }

    /// All 11 attributes in formatted-string order.
    pub fn attrs(&self) -> &[AttrValue; 11] {
        &self.attrs
    }

    /// `a` (application), `o` (operating system), `h` (hardware), or ANY.
    pub fn part(&self) -> &AttrValue {
        &self.attrs[0]
    }

    /// The vendor.
    pub fn vendor(&self) -> &AttrValue {
        &self.attrs[1]
    }

    /// The product.
    pub fn product(&self) -> &AttrValue {
        &self.attrs[2]
    }

    /// The version.
    pub fn version(&self) -> &AttrValue {
        &self.attrs[VERSION]
    }

    /// The update (`sp1`, `r18`).
    pub fn update(&self) -> &AttrValue {
        &self.attrs[4]
    }

    /// The (legacy) edition.
    pub fn edition(&self) -> &AttrValue {
        &self.attrs[5]
    }

    /// The language tag.
    pub fn language(&self) -> &AttrValue {
        &self.attrs[6]
    }

    /// The software edition (`online`, `enterprise`).
    pub fn sw_edition(&self) -> &AttrValue {
        &self.attrs[7]
    }

    /// The software environment the product runs in (`win2003`, `node.js`).
    pub fn target_sw(&self) -> &AttrValue {
        &self.attrs[8]
    }

    /// The hardware architecture (`x64`).
    pub fn target_hw(&self) -> &AttrValue {
        &self.attrs[9]
    }

    /// Any other qualifier.
    pub fn other(&self) -> &AttrValue {
        &self.attrs[10]
    }

    /// The unquoted vendor and product (`("foo:bar", "baz")`), for indexing; `None`
    /// unless both are plain values without wildcards.
    pub fn vendor_product_key(&self) -> Option<(String, String)> {
        Some((self.vendor().unescaped()?, self.product().unescaped()?))
    }

    /// Whether this name, as a criterion, matches `target` by NISTIR 7696: every
    /// attribute SUPERSET or EQUAL.
    pub fn matches(&self, target: &Cpe) -> bool {
        compare(self, target).iter().all(|r| r.is_match())
    }
}

/// The value for a version given as free text: empty or `*` is ANY, `-` is NA.
fn version_value(text: &str) -> Result<AttrValue, String> {
    match text.trim() {
        "" | "*" => Ok(AttrValue::Any),
        "-" => Ok(AttrValue::Na),
        t => AttrValue::from_text(t),
    }
}

/// Splits on `:` not quoted by a backslash.
fn split_unquoted(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        if quoted {
            quoted = false;
        } else if c == '\\' {
            quoted = true;
        } else if c == ':' {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpe:2.3")?;
        for attr in &self.attrs {
            write!(f, ":{attr}")?;
        }
        Ok(())
    }
}

impl FromStr for Cpe {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpe::parse(s)
    }
}

impl TryFrom<String> for Cpe {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Cpe::parse(&s)
    }
}

impl From<Cpe> for String {
    fn from(cpe: Cpe) -> Self {
        cpe.to_string()
    }
}

/// How a source attribute (or name) relates to a target, per NISTIR 7696.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// No value is in both.
    Disjoint,
    /// The same value.
    Equal,
    /// The source is part of the target (the target includes it).
    Subset,
    /// The source includes the target.
    Superset,
    /// Not decidable: the target has wildcards.
    Undefined,
}

impl Relation {
    /// SUPERSET or EQUAL: the source, as a criterion, accepts the target.
    pub fn is_match(self) -> bool {
        matches!(self, Relation::Superset | Relation::Equal)
    }
}

/// Compares one attribute of a source name with a target's, by NISTIR 7696's rules
/// in order: a target with an unquoted wildcard is UNDEFINED; equal values EQUAL; a
/// source ANY is a SUPERSET; a target ANY makes the source a SUBSET; an NA on
/// either side is DISJOINT; otherwise the source (`*` = zero or more characters,
/// `?` = exactly one) matching the whole target is a SUPERSET, else DISJOINT.
///
/// Values are compared in their normalised (lower-case) form, so case does not
/// matter. `?` follows NISTIR 7695's wording (one character each), not the NIST
/// reference code, which also lets a leading or trailing run match fewer.
pub fn compare_attr(source: &AttrValue, target: &AttrValue) -> Relation {
    if target.has_wildcards() {
        return Relation::Undefined;
    }
    match (source, target) {
        (AttrValue::Any, AttrValue::Any) | (AttrValue::Na, AttrValue::Na) => Relation::Equal,
        (AttrValue::Value(s), AttrValue::Value(t)) if s.eq_ignore_ascii_case(t) => Relation::Equal,
        (AttrValue::Any, _) => Relation::Superset,
        (_, AttrValue::Any) => Relation::Subset,
        (AttrValue::Na, _) | (_, AttrValue::Na) => Relation::Disjoint,
        (AttrValue::Value(s), AttrValue::Value(t)) => {
            let target: Vec<char> = glyphs(&t.to_ascii_lowercase())
                .into_iter()
                .filter_map(|g| match g {
                    Glyph::Lit(c) => Some(c),
                    Glyph::Many | Glyph::One => None,
                })
                .collect();
            if glob(&glyphs(&s.to_ascii_lowercase()), &target) {
                Relation::Superset
            } else {
                Relation::Disjoint
            }
        }
    }
}

/// Compares each attribute of `source` with `target`'s (see [`compare_attr`]).
pub fn compare(source: &Cpe, target: &Cpe) -> [Relation; 11] {
    std::array::from_fn(|i| compare_attr(&source.attrs[i], &target.attrs[i]))
}

/// An NVD-style match criterion: a CPE name and, optionally, a version range. When
/// a range is present the criterion's version attribute is ignored (NVD sets it to
/// `*`) and the asset's version must lie in the range by
/// [`crate::version::compare`].
///
/// In JSON it is either a plain string (the criterion without a range) or NVD's
/// object `{"criteria": "cpe:2.3:…", "versionStartIncluding": "7.0.0",
/// "versionEndExcluding": "7.0.13"}`; NVD's other fields (`vulnerable`,
/// `matchCriteriaId`) are ignored. It is written as a string when there is no range.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawCpeMatch", into = "RawCpeMatch")]
pub struct CpeMatch {
    /// The name to match.
    pub criteria: Cpe,
    /// The lowest matching version, itself included.
    pub version_start_including: Option<String>,
    /// The version above which versions match.
    pub version_start_excluding: Option<String>,
    /// The highest matching version, itself included.
    pub version_end_including: Option<String>,
    /// The version below which versions match.
    pub version_end_excluding: Option<String>,
}

impl From<Cpe> for CpeMatch {
    fn from(criteria: Cpe) -> Self {
        CpeMatch {
            criteria,
            version_start_including: None,
            version_start_excluding: None,
            version_end_including: None,
            version_end_excluding: None,
        }
    }
}

impl CpeMatch {
    /// The version range, when any bound is set (an including bound wins over an
    /// excluding one at the same end; deserialising refuses both).
    pub fn range(&self) -> Option<VersionRange> {
        let bound =
            |including: &Option<String>, excluding: &Option<String>| match (including, excluding) {
                (Some(v), _) => Bound::Included(v.clone()),
                (None, Some(v)) => Bound::Excluded(v.clone()),
                (None, None) => Bound::Unbounded,
            };
        let range = VersionRange {
            start: bound(&self.version_start_including, &self.version_start_excluding),
            end: bound(&self.version_end_including, &self.version_end_excluding),
        };
        (range.start != Bound::Unbounded || range.end != Bound::Unbounded).then_some(range)
    }

    /// Whether the asset's CPE matches: without a range, NISTIR 7696 SUPERSET or
    /// EQUAL; with one, every attribute but the version matches that way and the
    /// asset's version is a plain value within the range (ANY or NA does not match).
    pub fn matches(&self, asset: &Cpe) -> bool {
        let Some(range) = self.range() else {
            return self.criteria.matches(asset);
        };
        let others_match = (0..ATTRS.len())
            .filter(|&i| i != VERSION)
            .all(|i| compare_attr(&self.criteria.attrs[i], &asset.attrs[i]).is_match());
        others_match
            && asset
                .version()
                .unescaped()
                .is_some_and(|v| range.contains(&v))
    }

    /// Whether a version given as text (an asset known only by vendor, product and
    /// version) is one this criterion accepts: within the range when there is one,
    /// else matched by the criterion's version attribute (empty text is ANY, which
    /// only an ANY criterion accepts).
    pub fn version_in_range(&self, version: &str) -> bool {
        match self.range() {
            Some(range) => range.contains(version),
            None => version_value(version)
                .is_ok_and(|v| compare_attr(self.criteria.version(), &v).is_match()),
        }
    }
}

/// [`CpeMatch`]'s JSON shapes.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum RawCpeMatch {
    Plain(String),
    Object(RawCpeMatchObject),
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCpeMatchObject {
    criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version_end_excluding: Option<String>,
}

impl TryFrom<RawCpeMatch> for CpeMatch {
    type Error = DomainError;

    fn try_from(raw: RawCpeMatch) -> Result<Self, Self::Error> {
        let o = match raw {
            RawCpeMatch::Plain(s) => return Ok(Cpe::parse(&s)?.into()),
            RawCpeMatch::Object(o) => o,
        };
        let criteria = Cpe::parse(&o.criteria)?;
        for (including, excluding, end) in [
            (
                &o.version_start_including,
                &o.version_start_excluding,
                "start",
            ),
            (&o.version_end_including, &o.version_end_excluding, "end"),
        ] {
            if including.is_some() && excluding.is_some() {
                return Err(DomainError::invalid(
                    "cpe",
                    format!(
                        "{}: the version {end} is both including and excluding",
                        quoted(&o.criteria)
                    ),
                ));
            }
            if let Some(v) = including
                .iter()
                .chain(excluding)
                .find(|v| v.trim().is_empty())
            {
                return Err(DomainError::invalid(
                    "version",
                    format!(
                        "{}: the version {end} of {} is empty",
                        quoted(v),
                        quoted(&o.criteria)
                    ),
                ));
            }
        }
        Ok(CpeMatch {
            criteria,
            version_start_including: o.version_start_including,
            version_start_excluding: o.version_start_excluding,
            version_end_including: o.version_end_including,
            version_end_excluding: o.version_end_excluding,
        })
    }
}

impl From<CpeMatch> for RawCpeMatch {
    fn from(m: CpeMatch) -> Self {
        if m.range().is_none() {
            return RawCpeMatch::Plain(m.criteria.to_string());
        }
        RawCpeMatch::Object(RawCpeMatchObject {
            criteria: m.criteria.to_string(),
            version_start_including: m.version_start_including,
            version_start_excluding: m.version_start_excluding,
            version_end_including: m.version_end_including,
            version_end_excluding: m.version_end_excluding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn cpe(s: &str) -> Cpe {
        Cpe::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn val(s: &str) -> AttrValue {
        AttrValue::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn rel(source: &str, target: &str) -> Relation {
        compare_attr(&val(source), &val(target))
    }

    #[test]
    fn parses_real_nvd_names() {
        for s in [
            "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*",
            "cpe:2.3:a:ivanti:connect_secure:9.1:r18:*:*:*:*:*:*",
            "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*",
            "cpe:2.3:h:cisco:asa_5505:-:*:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:.net_framework:4.8:*:*:*:*:*:*:*",
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            "cpe:2.3:o:paloaltonetworks:pan-os:10.2.9:h1:*:*:*:*:*:*",
            "cpe:2.3:a:jenkins:script_security:1.44:*:*:*:*:jenkins:*:*",
        ] {
            assert_eq!(cpe(s).to_string(), s);
        }
        let win7 = cpe("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*");
        assert_eq!(win7.part(), &AttrValue::Value("o".into()));
        assert_eq!(win7.vendor(), &AttrValue::Value("microsoft".into()));
        assert_eq!(win7.version(), &AttrValue::Na);
        assert_eq!(win7.update(), &AttrValue::Value("sp1".into()));
        assert_eq!(win7.edition(), &AttrValue::Any);
        let hp = cpe("cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*");
        assert_eq!(hp.update(), &AttrValue::Na);
        assert_eq!(hp.language(), &AttrValue::Any);
        assert_eq!(hp.sw_edition(), &AttrValue::Value("online".into()));
        assert_eq!(hp.target_sw(), &AttrValue::Value("win2003".into()));
        assert_eq!(hp.target_hw(), &AttrValue::Value("x64".into()));
        assert_eq!(hp.other(), &AttrValue::Any);
        assert_eq!(hp.attrs().len(), 11);
    }

    #[test]
    fn quoting_is_kept_and_normalised() {
        let c = cpe(r"cpe:2.3:a:foo\:bar:big\$money_manager:1.0\+build\.3:*:*:*:*:*:*:*");
        assert_eq!(c.vendor(), &AttrValue::Value(r"foo\:bar".into()));
        assert_eq!(c.version(), &AttrValue::Value(r"1.0\+build.3".into()));
        assert_eq!(
            c.to_string(),
            r"cpe:2.3:a:foo\:bar:big\$money_manager:1.0\+build.3:*:*:*:*:*:*:*"
        );
        assert_eq!(
            c.vendor_product_key(),
            Some(("foo:bar".into(), "big$money_manager".into()))
        );
        // Upper case and needless quoting of `.`, `-`, `_` are normalised away.
        assert_eq!(
            cpe(r"CPE:2.3:A:Microsoft:\.NET_Framework:4\.8:*:*:*:*:*:*:*"),
            cpe("cpe:2.3:a:microsoft:.net_framework:4.8:*:*:*:*:*:*:*")
        );
        // A quoted backslash does not quote the colon after it.
        let c = cpe(r"cpe:2.3:a:foo\\:bar:1:*:*:*:*:*:*:*");
        assert_eq!(c.vendor(), &AttrValue::Value(r"foo\\".into()));
        assert_eq!(c.product(), &AttrValue::Value("bar".into()));
        // A literal hyphen stays quoted so it is not NA.
        let c = cpe(r"cpe:2.3:a:vendor:product:\-:*:*:*:*:*:*:*");
        assert_eq!(c.version(), &AttrValue::Value(r"\-".into()));
        assert_eq!(Cpe::parse(&c.to_string()), Ok(c));
    }

    #[test]
    fn wildcards_only_at_the_ends() {
        let c = cpe("cpe:2.3:a:*soft:win??:1.*:?:??:*:*:*:*:*");
        assert_eq!(c.vendor(), &AttrValue::Value("*soft".into()));
        assert!(c.vendor().has_wildcards());
        assert_eq!(c.vendor_product_key(), None);
        assert!(
            !cpe(r"cpe:2.3:a:a\*b:c:*:*:*:*:*:*:*:*")
                .vendor()
                .has_wildcards()
        );
    }

    fn assert_refused(input: &str, reason: &str) {
        match Cpe::parse(input) {
            Err(DomainError::Invalid { field, reason: got }) => {
                assert_eq!(field, "cpe");
                assert!(got.contains(&format!("\"{input}\"")), "{got}");
                assert!(got.contains(reason), "{got} lacks {reason}");
            }
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn refuses_malformed_names() {
        assert_refused(
            "cpe:/a:apache:http_server:2.4.49",
            "must start with cpe:2.3:",
        );
        assert_refused("cpe:2.2:a:apache:http_server", "must start with cpe:2.3:");
        assert_refused("cpe:2.3:a:apache:http_server:2.4.49", "has 4 attributes");
        assert_refused(
            "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*:*",
            "has 12 attributes",
        );
        assert_refused(r"cpe:2.3:a:foo\:bar:*:*:*:*:*:*:*:*", "has 10 attributes");
        assert_refused(
            "cpe:2.3:x:vendor:product:*:*:*:*:*:*:*:*",
            "part must be a, o, h",
        );
        assert_refused(
            "cpe:2.3:-:vendor:product:*:*:*:*:*:*:*:*",
            "part must be a, o, h",
        );
        assert_refused("cpe:2.3:a:ven*dor:product:*:*:*:*:*:*:*:*", "in the middle");
        assert_refused("cpe:2.3:a:vendor:pro?duct:*:*:*:*:*:*:*:*", "in the middle");
        assert_refused("cpe:2.3:a:vendor:**:*:*:*:*:*:*:*:*", "only wildcards");
        assert_refused("cpe:2.3:a:vendor:*?x:*:*:*:*:*:*:*:*", "* mixed with ?");
        assert_refused(
            "cpe:2.3:a:ven dor:product:*:*:*:*:*:*:*:*",
            "illegal character",
        );
        assert_refused("cpe:2.3:a:vendor:prod$uct:*:*:*:*:*:*:*:*", "unquoted");
        assert_refused(
            "cpe:2.3:a:vendör:product:*:*:*:*:*:*:*:*",
            "illegal character",
        );
        assert_refused(
            "cpe:2.3:a::product:*:*:*:*:*:*:*:*",
            "vendor attribute is empty",
        );
        assert_refused(
            r"cpe:2.3:a:vendor:product:*:*:*:*:*:*:*:\",
            "lone backslash",
        );
        assert_refused(
            r"cpe:2.3:a:vendor:\product:*:*:*:*:*:*:*:*",
            "letter or digit",
        );
        assert_refused("", "must start with cpe:2.3:");
    }

    #[test]
    fn long_refused_input_is_cut_short() {
        let long = format!("cpe:2.3:a:{}", "x".repeat(1000));
        let Err(DomainError::Invalid { reason, .. }) = Cpe::parse(&long) else {
            panic!("accepted");
        };
        assert!(reason.len() < 300, "{reason}");
    }

    #[test]
    fn from_parts_names_like_nvd() {
        let c = Cpe::from_parts('a', "Ivanti", "Connect  Secure", "9.1R18").unwrap();
        assert_eq!(
            c.to_string(),
            "cpe:2.3:a:ivanti:connect_secure:9.1r18:*:*:*:*:*:*:*"
        );
        let c = Cpe::from_parts('O', "Microsoft", "Windows 7", "-").unwrap();
        assert_eq!(
            c.to_string(),
            "cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*"
        );
        let c = Cpe::from_parts('a', "Big$ Co: Ltd.", "a*b?", "").unwrap();
        assert_eq!(
            c.to_string(),
            r"cpe:2.3:a:big\$_co\:_ltd.:a\*b\?:*:*:*:*:*:*:*:*"
        );
        assert_eq!(Cpe::parse(&c.to_string()), Ok(c.clone()));
        assert_eq!(
            c.vendor_product_key(),
            Some(("big$_co:_ltd.".into(), "a*b?".into()))
        );
        for (part, vendor, product, needle) in [
            ('x', "v", "p", "\"x\": part must be a, o or h"),
            ('a', "  ", "p", "\"  \": the vendor is empty"),
            (
                'a',
                "v",
                "prodükt",
                "\"prodükt\": the product has the non-ASCII",
            ),
        ] {
            let err = Cpe::from_parts(part, vendor, product, "1").unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn nistir_7696_attribute_rules() {
        use Relation::*;
        // 1. A target with an unquoted wildcard is undefined, whatever the source.
        assert_eq!(rel("*", "foo*"), Undefined);
        assert_eq!(rel("foo*", "foo*"), Undefined);
        assert_eq!(rel("-", "?oo"), Undefined);
        // 2. Equal values.
        assert_eq!(rel("*", "*"), Equal);
        assert_eq!(rel("-", "-"), Equal);
        assert_eq!(rel("windows_7", "windows_7"), Equal);
        assert_eq!(rel(r"foo\:bar", r"foo\:bar"), Equal);
        // 3. Source ANY.
        assert_eq!(rel("*", "-"), Superset);
        assert_eq!(rel("*", "2.4.49"), Superset);
        // 4. Target ANY.
        assert_eq!(rel("-", "*"), Subset);
        assert_eq!(rel("2.4.49", "*"), Subset);
        assert_eq!(rel("2.4.*", "*"), Subset);
        // 5. NA against a value, either way.
        assert_eq!(rel("-", "sp1"), Disjoint);
        assert_eq!(rel("sp1", "-"), Disjoint);
        assert_eq!(rel("sp*", "-"), Disjoint);
        // 6. Wildcard match of the source against the target.
        assert_eq!(rel("sp1", "sp2"), Disjoint);
        assert_eq!(rel("2.4.*", "2.4.49"), Superset);
        assert_eq!(rel("2.4.*", "2.4."), Superset);
        assert_eq!(rel("2.4.*", "2.5.0"), Disjoint);
        assert_eq!(rel("*_server", "http_server"), Superset);
        assert_eq!(rel("*_server", "_server"), Superset);
        assert_eq!(rel("*_server", "http_client"), Disjoint);
        assert_eq!(rel("*indows*", "windows_7"), Superset);
        assert_eq!(rel("?indows_7", "windows_7"), Superset);
        assert_eq!(rel("?indows_7", "indows_7"), Disjoint);
        assert_eq!(rel("??ndows_7", "windows_7"), Superset);
        assert_eq!(rel("???ndows_7", "windows_7"), Disjoint);
        assert_eq!(rel("windows_?", "windows_7"), Superset);
        assert_eq!(rel("windows_?", "windows_10"), Disjoint);
        assert_eq!(rel("windows_??", "windows_10"), Superset);
        assert_eq!(rel("??", "10"), Superset);
        assert_eq!(rel("??", "1"), Disjoint);
        assert_eq!(rel("?", r"\:"), Superset);
        assert_eq!(rel(r"foo\*", "foox"), Disjoint);
        assert_eq!(rel(r"foo\:*", r"foo\:bar"), Superset);
        assert_eq!(rel("*bar", r"foo\:bar"), Superset);
        // Values built by hand rather than parsed still compare without case.
        let upper = AttrValue::Value("Windows_7".into());
        assert_eq!(compare_attr(&upper, &val("windows_7")), Equal);
        assert_eq!(
            compare_attr(&AttrValue::Value("WIN*".into()), &upper),
            Superset
        );
    }

    #[test]
    fn name_matching() {
        let win7_sp1 = cpe("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*");
        assert!(win7_sp1.matches(&win7_sp1));
        assert!(win7_sp1.matches(&cpe("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:x64:*")));
        assert!(!win7_sp1.matches(&cpe("cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*")));
        assert!(!win7_sp1.matches(&cpe("cpe:2.3:o:microsoft:windows_7:6.1:sp1:*:*:*:*:*:*")));
        let httpd = cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*");
        assert!(httpd.matches(&cpe("CPE:2.3:A:Apache:HTTP_Server:2.4.49:*:*:*:*:*:*:*")));
        assert!(!httpd.matches(&cpe("cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*")));
        let asa = cpe("cpe:2.3:h:cisco:asa_5505:-:*:*:*:*:*:*:*");
        assert!(asa.matches(&asa));
        assert!(!asa.matches(&cpe("cpe:2.3:h:cisco:asa_5505:1.0:*:*:*:*:*:*:*")));
        let any_asa = cpe("cpe:2.3:h:cisco:asa_55??:*:*:*:*:*:*:*:*");
        assert!(any_asa.matches(&asa));
        assert!(!any_asa.matches(&cpe("cpe:2.3:h:cisco:asa_5585-x:*:*:*:*:*:*:*:*")));
        assert_eq!(
            compare(&any_asa, &asa),
            [
                Relation::Equal,
                Relation::Equal,
                Relation::Superset,
                Relation::Superset,
                Relation::Equal,
                Relation::Equal,
                Relation::Equal,
                Relation::Equal,
                Relation::Equal,
                Relation::Equal,
                Relation::Equal,
            ]
        );
    }

    #[test]
    fn a_derived_name_takes_the_criterion_part() {
        let asset = Cpe::from_parts('a', "Fortinet", "FortiOS", "7.0.12").unwrap();
        let m = fortios_range();
        assert!(!m.matches(&asset));
        assert!(m.matches(&asset.with_part(m.criteria.part().clone())));
        assert_eq!(asset.with_part(AttrValue::Any).part(), &AttrValue::Any);
        assert_eq!(asset.with_part(AttrValue::Any).vendor(), asset.vendor());
    }

    fn fortios_range() -> CpeMatch {
        serde_json::from_value(json!({
            "vulnerable": true,
            "criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            "versionStartIncluding": "7.0.0",
            "versionEndExcluding": "7.0.13",
            "matchCriteriaId": "0A1B2C3D-0000-4000-8000-000000000000"
        }))
        .unwrap()
    }

    #[test]
    fn ranged_criteria_compare_versions() {
        let m = fortios_range();
        let fortios = |v: &str| cpe(&format!("cpe:2.3:o:fortinet:fortios:{v}:*:*:*:*:*:*:*"));
        assert!(m.matches(&fortios("7.0.0")));
        assert!(m.matches(&fortios("7.0.12")));
        assert!(!m.matches(&fortios("7.0.13")));
        assert!(!m.matches(&fortios("7.2.0")));
        assert!(!m.matches(&fortios("6.4.15")));
        assert!(!m.matches(&fortios("*")));
        assert!(!m.matches(&fortios("-")));
        assert!(!m.matches(&fortios("7.0.*")));
        assert!(!m.matches(&cpe("cpe:2.3:a:fortinet:fortiproxy:7.0.1:*:*:*:*:*:*:*")));
        assert!(m.version_in_range("7.0.1"));
        assert!(!m.version_in_range("7.0.13"));
        // NVD leaves the criterion's version at `*`, but a stray value is ignored too.
        let mut m2 = m.clone();
        m2.criteria = cpe("cpe:2.3:o:fortinet:fortios:7.0.5:*:*:*:*:*:*:*");
        assert!(m2.matches(&fortios("7.0.1")));
        let asa: CpeMatch = serde_json::from_value(json!({
            "criteria": "cpe:2.3:a:cisco:adaptive_security_appliance_software:*:*:*:*:*:*:*:*",
            "versionStartExcluding": "9.8(4)",
            "versionEndIncluding": "9.8(4.10)"
        }))
        .unwrap();
        let asa_sw = |v: &str| {
            cpe(&format!(
                "cpe:2.3:a:cisco:adaptive_security_appliance_software:{v}:*:*:*:*:*:*:*"
            ))
        };
        assert!(!asa.matches(&asa_sw("9.8\\(4\\)")));
        assert!(asa.matches(&asa_sw("9.8\\(4.10\\)")));
        assert!(!asa.matches(&asa_sw("9.12\\(1\\)")));
    }

    #[test]
    fn unranged_criteria_match_names() {
        let m: CpeMatch =
            serde_json::from_value(json!("cpe:2.3:a:ivanti:connect_secure:9.1:r18:*:*:*:*:*:*"))
                .unwrap();
        assert_eq!(m.range(), None);
        assert!(m.matches(&cpe("cpe:2.3:a:ivanti:connect_secure:9.1:r18:*:*:*:*:*:*")));
        assert!(!m.matches(&cpe("cpe:2.3:a:ivanti:connect_secure:9.1:r17:*:*:*:*:*:*")));
        assert!(m.version_in_range("9.1"));
        assert!(!m.version_in_range("9.2"));
        assert!(!m.version_in_range(""));
        let any: CpeMatch = cpe("cpe:2.3:a:ivanti:connect_secure:*:*:*:*:*:*:*:*").into();
        assert!(any.version_in_range(""));
        assert!(any.version_in_range("22.7R2.3"));
    }

    #[test]
    fn serialises_as_a_string_without_a_range() {
        let s = "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*";
        let m: CpeMatch = cpe(s).into();
        assert_eq!(serde_json::to_value(&m).unwrap(), json!(s));
        assert_eq!(serde_json::from_value::<CpeMatch>(json!(s)).unwrap(), m);
        // An object without range fields is the same criterion.
        assert_eq!(
            serde_json::from_value::<CpeMatch>(json!({ "criteria": s, "vulnerable": false }))
                .unwrap(),
            m
        );
        let ranged = fortios_range();
        let v = serde_json::to_value(&ranged).unwrap();
        assert_eq!(
            v,
            json!({
                "criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
                "versionStartIncluding": "7.0.0",
                "versionEndExcluding": "7.0.13"
            })
        );
        assert_eq!(serde_json::from_value::<CpeMatch>(v).unwrap(), ranged);
        let c = cpe("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*");
        assert_eq!(serde_json::to_value(&c).unwrap(), json!(c.to_string()));
        assert_eq!(
            serde_json::from_value::<Cpe>(json!(c.to_string())).unwrap(),
            c
        );
    }

    #[test]
    fn refuses_bad_criteria() {
        let err = serde_json::from_value::<CpeMatch>(json!("cpe:2.3:z:a:b:*:*:*:*:*:*:*:*"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"cpe:2.3:z:a:b:*:*:*:*:*:*:*:*\": part must be"),
            "{err}"
        );
        let err = serde_json::from_value::<CpeMatch>(json!({
            "criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            "versionEndIncluding": "7.0.12",
            "versionEndExcluding": "7.0.13"
        }))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("\"cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*\": the version end is both"),
            "{err}"
        );
        let err = serde_json::from_value::<CpeMatch>(json!({
            "criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            "versionStartIncluding": " "
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("the version start of"), "{err}");
        assert!(serde_json::from_value::<CpeMatch>(json!({ "versionEndExcluding": "1" })).is_err());
        assert!(serde_json::from_value::<Cpe>(json!("cpe:2.3:a")).is_err());
    }

    fn arb_plain() -> impl Strategy<Value = String> {
        (
            "[a-z0-9]",
            prop::collection::vec(prop_oneof!["[a-z0-9._-]", r"\\[!:/@+~$\\*?]"], 0..6),
        )
            .prop_map(|(first, rest)| first + &rest.concat())
    }

    fn arb_attr(wildcards: bool) -> BoxedStrategy<AttrValue> {
        let plain = arb_plain().prop_map(AttrValue::Value);
        if !wildcards {
            return prop_oneof![Just(AttrValue::Any), Just(AttrValue::Na), plain].boxed();
        }
        let ends = prop_oneof![Just(String::new()), Just("*".to_owned()), "[?]{1,3}"];
        let wild = (ends.clone(), arb_plain(), ends)
            .prop_map(|(lead, body, trail)| AttrValue::Value(lead + &body + &trail));
        prop_oneof![
            Just(AttrValue::Any),
            Just(AttrValue::Na),
            plain,
            wild,
            "[?]{1,3}".prop_map(AttrValue::Value),
        ]
        .boxed()
    }

    fn arb_cpe(wildcards: bool) -> impl Strategy<Value = Cpe> {
        let part = prop_oneof![Just(AttrValue::Any), "[aoh]".prop_map(AttrValue::Value),];
        (part, prop::collection::vec(arb_attr(wildcards), 10)).prop_map(|(part, rest)| {
            let mut attrs: [AttrValue; 11] = Default::default();
            attrs[0] = part;
            for (slot, v) in attrs[1..].iter_mut().zip(rest) {
                *slot = v;
            }
            Cpe { attrs }
        })
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(c in arb_cpe(true)) {
            prop_assert_eq!(Cpe::parse(&c.to_string()), Ok(c.clone()));
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Cpe>(&json).unwrap(), c);
        }

        #[test]
        fn a_name_without_wildcards_equals_itself(c in arb_cpe(false)) {
            prop_assert!(compare(&c, &c).iter().all(|r| *r == Relation::Equal));
            prop_assert!(c.matches(&c));
        }

        #[test]
        fn the_all_any_criterion_matches_everything(c in arb_cpe(false)) {
            let any = cpe("cpe:2.3:*:*:*:*:*:*:*:*:*:*:*");
            prop_assert!(any.matches(&c));
        }

        #[test]
        fn a_concrete_vendor_never_matches_another(
            criterion in arb_cpe(true), target in arb_cpe(false), vendor in arb_plain()
        ) {
            let mut criterion = criterion;
            criterion.attrs[1] = AttrValue::Value(vendor);
            prop_assume!(criterion.attrs[1] != target.attrs[1]);
            prop_assert!(!criterion.matches(&target));
            prop_assert!(!CpeMatch::from(criterion).matches(&target));
        }

        #[test]
        fn wildcard_criteria_match_what_they_describe(
            c in arb_cpe(false), vendor in arb_plain(), prefix in arb_plain(),
            suffix in arb_plain()
        ) {
            let mut c = c;
            c.attrs[1] = AttrValue::Value(vendor);
            let mut target = c.clone();
            target.attrs[1] = AttrValue::Value(format!("{prefix}{}{suffix}", c.vendor()));
            let mut criterion = c.clone();
            criterion.attrs[1] = AttrValue::Value(format!("*{}*", c.vendor()));
            prop_assert!(criterion.matches(&target));
            let ones = "?".repeat(glyphs(&prefix).len());
            criterion.attrs[1] = AttrValue::Value(format!("{ones}{}*", c.vendor()));
            prop_assert!(criterion.matches(&target));
            criterion.attrs[1] = AttrValue::Value(format!("{}?", c.vendor()));
            prop_assert!(!criterion.matches(&c));
        }
    }
}
