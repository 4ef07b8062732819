//! Package URLs (purl, ECMA-427) naming SBOM components, `vers:` version ranges,
//! and matching a component against an affected package.
//!
//! A [`Purl`] is parsed from `pkg:type/namespace/name@version?qualifiers#subpath`,
//! percent-decoded and normalised as the spec's type definitions ask (`pypi` names
//! lower case with `_` as `-`; `github`, `bitbucket` and `golang` namespace and name
//! lower case; `npm` and `maven` are case-sensitive and left alone), so that
//! [`Purl::same_package`] can compare components from different SBOM tools. A
//! [`PurlMatch`] is an affected package: a purl plus a [`Vers`] range or an exact
//! version.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::cpe::quoted;
use crate::version;

/// Percent-encodes everything but ASCII letters, digits, `.-_~` and `extra`.
fn encode(s: &str, extra: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~') || extra.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Percent-decodes `s`; `Err` is the reason.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("has a bad percent-encoding at {:?}", &s[i..]))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decodes to invalid UTF-8".to_owned())
}

/// Checks a purl type: ASCII letters, digits, `.`, `+`, `-`, not starting with a digit.
fn check_type(ty: &str) -> Result<(), String> {
    if ty.is_empty() {
        return Err("has no type".into());
    }
    let legal = ty
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
    if !legal || ty.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "has the bad type {ty:?} (letters, digits, '.', '+', '-', not starting with a digit)"
        ));
    }
    Ok(())
}

/// Checks a qualifier key: ASCII letters, digits, `.`, `-`, `_`, not starting with a
/// digit.
fn check_key(key: &str) -> Result<(), String> {
    let legal = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if legal {
        Ok(())
    } else {
        Err(format!(
            "has the bad qualifier key {key:?} (letters, digits, '.', '-', '_', not starting with a digit)"
        ))
    }
}

/// Applies the type's case and spelling rules to namespace and name.
fn normalise(ty: &str, namespace: Option<String>, name: String) -> (Option<String>, String) {
    match ty {
        "pypi" => (namespace, name.to_lowercase().replace('_', "-")),
        "github" | "bitbucket" | "golang" => {
            (namespace.map(|n| n.to_lowercase()), name.to_lowercase())
        }
        _ => (namespace, name),
    }
}

/// Joins the non-empty segments of a path; `None` when there are none.
fn join_segments<'a>(segments: impl Iterator<Item = &'a str>) -> Option<String> {
    let joined = segments
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    (!joined.is_empty()).then_some(joined)
}

/// A package URL, percent-decoded and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

impl Purl {
    /// Parses `pkg:type/namespace/name@version?qualifiers#subpath`.
    pub fn parse(s: &str) -> Result<Purl, DomainError> {
        let refuse = |why: String| DomainError::invalid("purl", format!("{}: {why}", quoted(s)));
        let input = s.trim();
        let (rest, subpath) = match input.rsplit_once('#') {
            Some((rest, sub)) => (rest, Some(sub)),
            None => (input, None),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((rest, q)) => (rest, Some(q)),
            None => (rest, None),
        };
        let rest = rest
            .split_once(':')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("pkg"))
            .map(|(_, rest)| rest.trim_start_matches('/'))
            .ok_or_else(|| refuse("must start with pkg:".into()))?;
        let (ty, rest) = rest.split_once('/').unwrap_or((rest, ""));
        check_type(ty).map_err(refuse)?;
        let ty = ty.to_ascii_lowercase();
        let (rest, version) = match rest.rsplit_once('@') {
            Some((rest, v)) if !v.contains('/') => (rest, Some(v)),
            _ => (rest, None),
        };
        let rest = rest.trim_matches('/');
        let (namespace, name) = rest.rsplit_once('/').unwrap_or(("", rest));
        let name = decode(name).map_err(|why| refuse(format!("the name {why}")))?;
        if name.is_empty() {
            return Err(refuse("has no name".into()));
        }
        let segments = namespace
            .split('/')
            .map(decode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|why| refuse(format!("the namespace {why}")))?;
        let namespace = join_segments(segments.iter().map(String::as_str));
        let version = match version {
            Some(v) => Some(decode(v).map_err(|why| refuse(format!("the version {why}")))?),
            None => None,
        }
        .filter(|v| !v.is_empty());
        let (namespace, name) = normalise(&ty, namespace, name);
        let mut purl = Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers: BTreeMap::new(),
            subpath: None,
        };
        for pair in qualifiers.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| refuse(format!("the qualifier {pair:?} has no '='")))?;
            let key = key.to_ascii_lowercase();
            check_key(&key).map_err(refuse)?;
            let value = decode(value).map_err(|why| refuse(format!("qualifier {key} {why}")))?;
            if purl.qualifiers.contains_key(&key) {
                return Err(refuse(format!("has the qualifier {key} twice")));
            }
            if !value.is_empty() {
                purl.qualifiers.insert(key, value);
            }
        }
        if let Some(sub) = subpath {
            let segments = sub
                .split('/')
                .filter(|s| !matches!(*s, "" | "." | ".."))
                .map(decode)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|why| refuse(format!("the subpath {why}")))?;
            purl.subpath = join_segments(segments.iter().map(String::as_str));
        }
        Ok(purl)
    }

    /// Builds a purl from its decoded parts (namespace segments separated by `/`),
    /// normalised as [`Purl::parse`] would; an empty version is none.
    pub fn new(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Result<Purl, DomainError> {
        let refuse = |why: String| DomainError::invalid("purl", format!("{}: {why}", quoted(name)));
        check_type(ty).map_err(refuse)?;
        if name.is_empty() {
            return Err(refuse("has no name".into()));
        }
        let ty = ty.to_ascii_lowercase();
        let (namespace, name) = normalise(
            &ty,
            namespace.and_then(|n| join_segments(n.split('/'))),
            name.to_owned(),
        );
        Ok(Purl {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
            qualifiers: BTreeMap::new(),
            subpath: None,
        })
    }

    /// Adds a qualifier (key lower-cased; an empty value removes it).
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Result<Purl, DomainError> {
        let key = key.to_ascii_lowercase();
        check_key(&key)
            .map_err(|why| DomainError::invalid("purl", format!("{}: {why}", quoted(&key))))?;
        if value.is_empty() {
            self.qualifiers.remove(&key);
        } else {
            self.qualifiers.insert(key, value.to_owned());
        }
        Ok(self)
    }

    /// Sets the subpath (empty, `.` and `..` segments dropped).
    pub fn with_subpath(mut self, subpath: &str) -> Purl {
        self.subpath = join_segments(subpath.split('/').filter(|s| !matches!(*s, "." | "..")));
        self
    }

    /// The same purl without a version, e.g. to key the package.
    pub fn without_version(&self) -> Purl {
        Purl {
            version: None,
            ..self.clone()
        }
    }

    /// The package type (`npm`, `maven`, `pypi`), lower case.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace (npm scope, Maven group id, GitHub owner), decoded.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name, decoded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, decoded and otherwise untouched.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The qualifiers (`arch`, `distro`, `repository_url`), keys lower case.
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    /// The path inside the package, decoded.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// Whether both name the same package: type, namespace and name equal after
    /// normalisation; version, qualifiers and subpath are ignored.
    pub fn same_package(&self, other: &Purl) -> bool {
        self.ty == other.ty && self.namespace == other.namespace && self.name == other.name
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/') {
                write!(f, "{}/", encode(segment, ":"))?;
            }
        }
        f.write_str(&encode(&self.name, ":"))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v, ":"))?;
        }
        for (i, (key, value)) in self.qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{key}={}", encode(value, ":/"))?;
        }
        if let Some(sub) = &self.subpath {
            let segments: Vec<String> = sub.split('/').map(|s| encode(s, ":")).collect();
            write!(f, "#{}", segments.join("/"))?;
        }
        Ok(())
    }
}

impl FromStr for Purl {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}

impl TryFrom<String> for Purl {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Purl::parse(&s)
    }
}

impl From<Purl> for String {
    fn from(purl: Purl) -> Self {
        purl.to_string()
    }
}

/// A comparator of a `vers:` constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=` (written without a sign): exactly this version.
    Eq,
    /// `!=`: any version but this one.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Comparator {
    fn sign(self) -> &'static str {
        match self {
            Comparator::Eq => "",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// Whether `version` satisfies `version <op> bound`.
    fn holds(self, version: &str, bound: &str) -> bool {
        let ord = version::compare(version, bound);
        match self {
            Comparator::Eq => ord.is_eq(),
            Comparator::Ne => ord.is_ne(),
            Comparator::Lt => ord.is_lt(),
            Comparator::Le => ord.is_le(),
            Comparator::Gt => ord.is_gt(),
            Comparator::Ge => ord.is_ge(),
        }
    }
}

/// One constraint of a `vers:` range: a comparator and a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersConstraint {
    /// How the version is compared.
    pub comparator: Comparator,
    /// The version, decoded.
    pub version: String,
}

/// A version range in the purl project's `vers` syntax (`vers:npm/>=1.0.0|<1.2.3`,
/// `vers:generic/1.0|1.1`, `vers:pypi/*`), versions compared with
/// [`version::compare`] whatever the scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vers {
    scheme: String,
    /// Sorted by version; empty for `*`.
    constraints: Vec<VersConstraint>,
}

impl Vers {
    /// Parses `vers:<scheme>/<constraint>|<constraint>…` (spaces ignored).
    pub fn parse(s: &str) -> Result<Vers, DomainError> {
        let refuse = |why: String| DomainError::invalid("vers", format!("{}: {why}", quoted(s)));
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '\t')).collect();
        let rest = compact
            .split_once(':')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("vers"))
            .map(|(_, rest)| rest)
            .ok_or_else(|| refuse("must start with vers:".into()))?;
        let (scheme, list) = rest
            .split_once('/')
            .filter(|(scheme, _)| !scheme.is_empty())
            .ok_or_else(|| refuse("has no scheme (vers:<scheme>/…)".into()))?;
        if list.is_empty() {
            return Err(refuse("has no constraints".into()));
        }
        let scheme = scheme.to_ascii_lowercase();
        if list == "*" {
            return Ok(Vers {
                scheme,
                constraints: Vec::new(),
            });
        }
        let mut constraints = Vec::new();
        for item in list.split('|') {
            let (comparator, raw) = [
                (">=", Comparator::Ge),
                ("<=", Comparator::Le),
                ("!=", Comparator::Ne),
                ("<", Comparator::Lt),
                (">", Comparator::Gt),
                ("=", Comparator::Eq),
            ]
            .into_iter()
            .find_map(|(sign, c)| item.strip_prefix(sign).map(|v| (c, v)))
            .unwrap_or((Comparator::Eq, item));
            if raw == "*" {
                return Err(refuse("has * alongside other constraints".into()));
            }
            let version = decode(raw).map_err(|why| refuse(format!("a version {why}")))?;
            if version.is_empty() {
                return Err(refuse(format!("the constraint {item:?} has no version")));
            }
            constraints.push(VersConstraint {
                comparator,
                version,
            });
        }
        constraints.sort_by(|a, b| version::compare(&a.version, &b.version));
        Ok(Vers {
            scheme,
            constraints,
        })
    }

    /// The versioning scheme (`npm`, `pypi`, `generic`), lower case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The constraints, sorted by version; empty for `*` (every version).
    pub fn constraints(&self) -> &[VersConstraint] {
        &self.constraints
    }

    /// Whether `version` is in the range, following the vers spec's algorithm: an
    /// `=` match is in and a `!=` match is out; otherwise the `<`/`<=`/`>`/`>=`
    /// constraints, in version order, bound intervals (below the first if it is an
    /// upper bound, above the last if it is a lower bound, between a lower bound and
    /// the upper bound that follows it). Without such constraints a version is in
    /// only when the range is nothing but `!=` exclusions.
    pub fn contains(&self, version: &str) -> bool {
        if self.constraints.is_empty() {
            return true;
        }
        let mut has_eq = false;
        for c in &self.constraints {
            match c.comparator {
                Comparator::Eq if c.comparator.holds(version, &c.version) => return true,
                Comparator::Ne if !c.comparator.holds(version, &c.version) => return false,
                Comparator::Eq => has_eq = true,
                _ => {}
            }
        }
        let bounds: Vec<&VersConstraint> = self
            .constraints
            .iter()
            .filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        let is_upper = |c: &VersConstraint| matches!(c.comparator, Comparator::Lt | Comparator::Le);
        let holds = |c: &VersConstraint| c.comparator.holds(version, &c.version);
        let (Some(&first), Some(&last)) = (bounds.first(), bounds.last()) else {
            return !has_eq;
        };
        (is_upper(first) && holds(first))
            || (!is_upper(last) && holds(last))
            || bounds
                .windows(2)
                .any(|w| !is_upper(w[0]) && is_upper(w[1]) && holds(w[0]) && holds(w[1]))
    }
}

impl fmt::Display for Vers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme)?;
        if self.constraints.is_empty() {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let sep = if i == 0 { "" } else { "|" };
            write!(
                f,
                "{sep}{}{}",
                c.comparator.sign(),
                encode(&c.version, ":+")
            )?;
        }
        Ok(())
    }
}

impl FromStr for Vers {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vers::parse(s)
    }
}

impl TryFrom<String> for Vers {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Vers::parse(&s)
    }
}

impl From<Vers> for String {
    fn from(vers: Vers) -> Self {
        vers.to_string()
    }
}

/// An affected package for matching SBOM components: a purl and either a range of
/// versions or, when there is no range, the purl's own version (or every version
/// when it has none).
///
/// As a string (and in JSON) it is the purl, with the range in the version's place
/// when there is one: `pkg:npm/lodash@4.17.20` (that version),
/// `pkg:pypi/ctx` (every version), `pkg:npm/lodash@vers:npm/>=4.0.0|<4.17.21`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PurlMatch {
    /// The package; its version, if any, is the only affected one unless `range`
    /// is set.
    pub package: Purl,
    /// The affected versions.
    pub range: Option<Vers>,
}

impl PurlMatch {
    /// Parses `pkg:…` or `pkg:…@vers:…` (see the type's docs); with a range, the
    /// purl's own version is dropped.
    pub fn parse(s: &str) -> Result<PurlMatch, DomainError> {
        let s = s.trim();
        let at = s
            .char_indices()
            .rev()
            .find(|(i, c)| {
                *c == '@'
                    && s.get(i + 1..i + 6)
                        .is_some_and(|p| p.eq_ignore_ascii_case("vers:"))
            })
            .map(|(i, _)| i);
        match at {
            Some(i) => Ok(PurlMatch {
                package: Purl::parse(&s[..i])?.without_version(),
                range: Some(Vers::parse(&s[i + 1..])?),
            }),
            None => Ok(PurlMatch {
                package: Purl::parse(s)?,
                range: None,
            }),
        }
    }

    /// Whether the component is the same package in an affected version: within
    /// the range, or equal by [`version::compare`] to the package's version. A
    /// component without a version only matches when no version is constrained.
    pub fn matches(&self, component: &Purl) -> bool {
        if !self.package.same_package(component) {
            return false;
        }
        match (&self.range, self.package.version()) {
            (Some(range), _) => component.version().is_some_and(|v| range.contains(v)),
            (None, Some(affected)) => component
                .version()
                .is_some_and(|v| version::compare(v, affected).is_eq()),
            (None, None) => true,
        }
    }
}

impl fmt::Display for PurlMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.range {
            Some(range) => write!(f, "{}@{range}", self.package.without_version()),
            None => write!(f, "{}", self.package),
        }
    }
}

impl FromStr for PurlMatch {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PurlMatch::parse(s)
    }
}

impl TryFrom<String> for PurlMatch {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        PurlMatch::parse(&s)
    }
}

impl From<PurlMatch> for String {
    fn from(m: PurlMatch) -> Self {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn purl(s: &str) -> Purl {
        Purl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn vers(s: &str) -> Vers {
        Vers::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints_canonically() {
        for (input, canonical) in [
            (
                "pkg:npm/%40angular/animation@12.3.1",
                "pkg:npm/%40angular/animation@12.3.1",
            ),
            (
                "pkg:npm/@angular/animation@12.3.1",
                "pkg:npm/%40angular/animation@12.3.1",
            ),
            ("pkg:npm/@angular/animation", "pkg:npm/%40angular/animation"),
            ("pkg:NPM/Foo@1.0.0", "pkg:npm/Foo@1.0.0"),
            ("pkg:pypi/Django_Allauth@0.1", "pkg:pypi/django-allauth@0.1"),
            (
                "pkg:GITHUB/Package-URL/Purl-Spec@244fd47e07d1004",
                "pkg:github/package-url/purl-spec@244fd47e07d1004",
            ),
            (
                "pkg:golang/GitHub.com/Gorilla/Context@234fd47e07d1004f0aed9c",
                "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c",
            ),
            (
                "pkg:golang/google.golang.org/genproto#/googleapis/./api/../annotations/",
                "pkg:golang/google.golang.org/genproto#googleapis/api/annotations",
            ),
            (
                "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom&Classifier=sources&empty=",
                "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&type=pom",
            ),
            (
                "pkg:maven/org.apache.commons/io@1.3.4?repository_url=repo.spring.io%2Frelease",
                "pkg:maven/org.apache.commons/io@1.3.4?repository_url=repo.spring.io/release",
            ),
            (
                "pkg:docker/customer/dockerimage@sha256%3A244fd47e07d10?repository_url=gcr.io",
                "pkg:docker/customer/dockerimage@sha256:244fd47e07d10?repository_url=gcr.io",
            ),
            (
                "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
                "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
            ),
            (
                "pkg://gem/jruby-launcher@1.1.2?Platform=java",
                "pkg:gem/jruby-launcher@1.1.2?platform=java",
            ),
            (
                "pkg:generic/openssl@1.1.1%2Bdeb",
                "pkg:generic/openssl@1.1.1%2Bdeb",
            ),
            ("pkg:cargo/rand@0.7.2", "pkg:cargo/rand@0.7.2"),
        ] {
            let p = purl(input);
            assert_eq!(p.to_string(), canonical, "{input}");
            assert_eq!(purl(canonical), p);
        }
        let p = purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar#META-INF");
        assert_eq!(p.ty(), "maven");
        assert_eq!(p.namespace(), Some("org.apache.logging.log4j"));
        assert_eq!(p.name(), "log4j-core");
        assert_eq!(p.version(), Some("2.14.1"));
        assert_eq!(p.qualifiers().get("type").map(String::as_str), Some("jar"));
        assert_eq!(p.subpath(), Some("META-INF"));
        let p = purl("pkg:npm/%40babel/core@7.24.0");
        assert_eq!(p.namespace(), Some("@babel"));
        assert_eq!(p.name(), "core");
        assert_eq!(purl("pkg:generic/foo@").version(), None);
    }

    #[test]
    fn serde_is_the_canonical_string() {
        let p = purl("pkg:pypi/Django@4.2");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            "\"pkg:pypi/django@4.2\""
        );
        assert_eq!(
            serde_json::from_str::<Purl>("\"pkg:pypi/django@4.2\"").unwrap(),
            p
        );
        assert!(serde_json::from_str::<Purl>("\"npm/foo\"").is_err());
        let v = vers("vers:npm/>=1.0.0|<1.2.3");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            "\"vers:npm/>=1.0.0|<1.2.3\""
        );
        assert_eq!(
            serde_json::from_str::<Vers>("\"vers:npm/>=1.0.0|<1.2.3\"").unwrap(),
            v
        );
    }

    #[test]
    fn refuses_malformed_purls() {
        for (input, needle) in [
            ("npm/foo@1.0", "must start with pkg:"),
            ("http://example.com/foo", "must start with pkg:"),
            ("pkg:", "has no type"),
            ("pkg:/foo", "has no name"),
            ("pkg:npm", "has no name"),
            ("pkg:npm/@1.0", "has no name"),
            ("pkg:n&m/foo", "bad type"),
            ("pkg:1npm/foo", "bad type"),
            ("pkg:npm/foo?a b=1", "bad qualifier key"),
            ("pkg:npm/foo?1a=2", "bad qualifier key"),
            ("pkg:npm/foo?=2", "bad qualifier key"),
            ("pkg:npm/foo?novalue", "has no '='"),
            ("pkg:npm/foo?a=1&A=2", "qualifier a twice"),
            ("pkg:npm/foo%zz", "bad percent-encoding"),
            ("pkg:npm/foo%2", "bad percent-encoding"),
            ("pkg:npm/%FF", "invalid UTF-8"),
            (
                "pkg:npm/%zz/foo",
                "the namespace has a bad percent-encoding",
            ),
            ("pkg:npm/foo@1%", "the version has a bad percent-encoding"),
        ] {
            match Purl::parse(input) {
                Err(DomainError::Invalid { field, reason }) => {
                    assert_eq!(field, "purl");
                    assert!(reason.contains(&format!("\"{input}\"")), "{reason}");
                    assert!(reason.contains(needle), "{reason} lacks {needle}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(Purl::new("9x", None, "foo", None).is_err());
        assert!(Purl::new("npm", None, "", None).is_err());
        assert!(purl("pkg:npm/foo").with_qualifier("1x", "y").is_err());
    }

    #[test]
    fn builds_normalised_purls() {
        let p = Purl::new("PyPI", None, "Requests_OAuthlib", Some("1.3.0"))
            .unwrap()
            .with_qualifier("Extension", "whl")
            .unwrap()
            .with_qualifier("empty", "")
            .unwrap()
            .with_subpath("/./a//b/../");
        assert_eq!(
            p.to_string(),
            "pkg:pypi/requests-oauthlib@1.3.0?extension=whl#a/b"
        );
        let p = Purl::new("github", Some("/Package-URL//"), "Purl-Spec", Some("")).unwrap();
        assert_eq!(p.to_string(), "pkg:github/package-url/purl-spec");
        assert_eq!(p.without_version(), p);
    }

    #[test]
    fn same_package_ignores_version_and_qualifiers() {
        let a = purl("pkg:pypi/Django_Allauth@0.1?extension=whl");
        assert!(a.same_package(&purl("pkg:pypi/django-allauth@0.2")));
        assert!(!a.same_package(&purl("pkg:pypi/django@0.1")));
        assert!(!a.same_package(&purl("pkg:npm/django-allauth@0.1")));
        let log4j = purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        assert!(!log4j.same_package(&purl("pkg:maven/org.apache.logging.log4j/LOG4J-core")));
        assert!(!log4j.same_package(&purl("pkg:maven/log4j-core@2.14.1")));
    }

    #[test]
    fn vers_ranges() {
        let r = vers("vers:npm/>=1.0.0|<1.2.3");
        assert_eq!(r.scheme(), "npm");
        assert_eq!(r.constraints().len(), 2);
        assert!(r.contains("1.0.0"));
        assert!(r.contains("1.2.2"));
        assert!(r.contains("1.2.3-rc1"));
        assert!(!r.contains("1.2.3"));
        assert!(!r.contains("0.9"));
        // Constraints are sorted, so their order in the input does not matter.
        assert_eq!(vers("vers:npm/<1.2.3|>=1.0.0"), r);
        assert_eq!(
            vers("vers:NPM/ >= 1.0.0 | < 1.2.3 ").to_string(),
            r.to_string()
        );

        let log4j = vers("vers:maven/>=2.0-beta9|<2.3.1|>=2.4|<2.12.2|>=2.13.0|<2.15.0");
        for v in ["2.0-beta9", "2.0", "2.3", "2.11.1", "2.14.1"] {
            assert!(log4j.contains(v), "{v}");
        }
        for v in [
            "1.2.17",
            "2.0-beta8",
            "2.3.1",
            "2.12.2",
            "2.12.4",
            "2.15.0",
            "2.17.1",
        ] {
            assert!(!log4j.contains(v), "{v}");
        }

        let list = vers("vers:generic/1.0|=1.1|1.3");
        assert!(list.contains("1.0") && list.contains("1.1") && list.contains("1.3.0"));
        assert!(!list.contains("1.2"));
        assert_eq!(list.to_string(), "vers:generic/1.0|1.1|1.3");

        let holes = vers("vers:generic/>=9.1|!=9.1r5|<9.2");
        assert!(holes.contains("9.1r4"));
        assert!(!holes.contains("9.1R5"));
        assert!(!holes.contains("9.2"));
        let except = vers("vers:generic/!=1.0|!=2.0");
        assert!(except.contains("1.5"));
        assert!(!except.contains("2.0"));

        let open = vers("vers:pypi/<2.0|>3.0");
        assert!(open.contains("1.0") && open.contains("3.1"));
        assert!(!open.contains("2.5") && !open.contains("3.0"));
        let above = vers("vers:generic/>=10.2.9-h1");
        assert!(above.contains("10.2.10") && !above.contains("10.2.9"));

        let all = vers("vers:pypi/*");
        assert!(all.contains("anything"));
        assert_eq!(all.to_string(), "vers:pypi/*");
        let odd = vers("vers:generic/1.0%7C2|<3%20a");
        assert_eq!(odd.constraints()[0].version, "1.0|2");
        assert_eq!(Vers::parse(&odd.to_string()), Ok(odd));
    }

    #[test]
    fn refuses_malformed_vers() {
        for (input, needle) in [
            ("npm/>=1.0", "must start with vers:"),
            ("vers:>=1.0", "has no scheme"),
            ("vers:/>=1.0", "has no scheme"),
            ("vers:npm/", "has no constraints"),
            ("vers:npm/>=1.0||<2.0", "has no version"),
            ("vers:npm/>=", "has no version"),
            ("vers:npm/*|>=1.0", "* alongside"),
            ("vers:npm/>=1%", "bad percent-encoding"),
        ] {
            match Vers::parse(input) {
                Err(DomainError::Invalid { field, reason }) => {
                    assert_eq!(field, "vers");
                    assert!(reason.contains(&format!("\"{input}\"")), "{reason}");
                    assert!(reason.contains(needle), "{reason} lacks {needle}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn purl_match_for_sbom_components() {
        let log4j = PurlMatch {
            package: purl("pkg:maven/org.apache.logging.log4j/log4j-core"),
            range: Some(vers("vers:maven/>=2.0-beta9|<2.15.0")),
        };
        assert!(log4j.matches(&purl(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"
        )));
        assert!(!log4j.matches(&purl(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"
        )));
        assert!(!log4j.matches(&purl("pkg:maven/org.apache.logging.log4j/log4j-core")));
        assert!(!log4j.matches(&purl("pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1")));

        let exact = PurlMatch {
            package: purl("pkg:npm/event-stream@3.3.6"),
            range: None,
        };
        assert!(exact.matches(&purl("pkg:npm/event-stream@3.3.6")));
        assert!(!exact.matches(&purl("pkg:npm/event-stream@3.3.5")));
        assert!(!exact.matches(&purl("pkg:npm/event-stream")));

        let every = PurlMatch {
            package: purl("pkg:pypi/ctx"),
            range: None,
        };
        assert!(every.matches(&purl("pkg:pypi/CTX@0.2.6")));
        assert!(every.matches(&purl("pkg:pypi/ctx")));
    }

    #[test]
    fn purl_match_strings() {
        let m: PurlMatch = "pkg:npm/lodash@vers:npm/>=4.0.0|<4.17.21".parse().unwrap();
        assert_eq!(m.package, purl("pkg:npm/lodash"));
        assert_eq!(m.range, Some(vers("vers:npm/>=4.0.0|<4.17.21")));
        assert!(m.matches(&purl("pkg:npm/lodash@4.17.20")));
        assert!(!m.matches(&purl("pkg:npm/lodash@4.17.21")));
        assert_eq!(m.to_string(), "pkg:npm/lodash@vers:npm/>=4.0.0|<4.17.21");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!("pkg:npm/lodash@vers:npm/>=4.0.0|<4.17.21")
        );
        let exact: PurlMatch =
            serde_json::from_value(serde_json::json!("pkg:npm/lodash@4.17.20")).unwrap();
        assert_eq!(exact.range, None);
        assert_eq!(exact.package.version(), Some("4.17.20"));
        assert_eq!(exact.to_string(), "pkg:npm/lodash@4.17.20");
        let q = PurlMatch::parse("pkg:maven/g/a?type=jar@VERS:maven/<2").unwrap();
        assert_eq!(q.package.qualifiers().len(), 1);
        assert_eq!(PurlMatch::parse(&q.to_string()), Ok(q));
        let err = PurlMatch::parse("pkg:npm/lodash@vers:npm")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"vers:npm\": has no scheme"), "{err}");
        let err = PurlMatch::parse("npm/lodash@4").unwrap_err().to_string();
        assert!(
            err.contains("\"npm/lodash@4\": must start with pkg:"),
            "{err}"
        );
    }

    fn arb_purl() -> impl Strategy<Value = Purl> {
        let ty = prop_oneof![
            Just("npm".to_owned()),
            Just("pypi".to_owned()),
            Just("github".to_owned()),
            Just("golang".to_owned()),
            Just("maven".to_owned()),
            "[a-zA-Z][a-zA-Z0-9.+-]{0,6}",
        ];
        let namespace = prop::option::of(prop::collection::vec("[^/]{1,6}", 1..3));
        let qualifiers = prop::collection::vec(("[a-zA-Z][a-zA-Z0-9._-]{0,5}", "\\PC{0,6}"), 0..3);
        let subpath = prop::option::of(prop::collection::vec("[^/]{1,5}", 1..3));
        (
            ty,
            namespace,
            "\\PC{1,8}",
            prop::option::of("\\PC{1,8}"),
            qualifiers,
            subpath,
        )
            .prop_map(|(ty, namespace, name, version, qualifiers, subpath)| {
                let ns = namespace.map(|segments| segments.join("/"));
                let mut p =
                    Purl::new(&ty, ns.as_deref(), &name, version.as_deref()).expect("valid parts");
                for (k, v) in qualifiers {
                    p = p.with_qualifier(&k, &v).expect("valid key");
                }
                match subpath {
                    Some(segments) => p.with_subpath(&segments.join("/")),
                    None => p,
                }
            })
    }

    fn arb_version() -> impl Strategy<Value = String> {
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-?(rc|h|p)[0-9])?"
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(p in arb_purl()) {
            let s = p.to_string();
            prop_assert_eq!(Purl::parse(&s), Ok(p.clone()), "{}", s);
            prop_assert!(p.same_package(&p.without_version()));
            let m = PurlMatch { package: p.clone(), range: None };
            prop_assert_eq!(PurlMatch::parse(&m.to_string()), Ok(m));
        }

        #[test]
        fn vers_display_then_parse_is_identity(
            items in prop::collection::vec(
                (prop_oneof![
                    Just(Comparator::Eq), Just(Comparator::Ne), Just(Comparator::Lt),
                    Just(Comparator::Le), Just(Comparator::Gt), Just(Comparator::Ge),
                ], "\\PC{1,8}"),
                1..4,
            )
        ) {
            let mut constraints: Vec<VersConstraint> = items
                .into_iter()
                .map(|(comparator, version)| VersConstraint { comparator, version })
                .collect();
            constraints.sort_by(|a, b| version::compare(&a.version, &b.version));
            let v = Vers { scheme: "generic".into(), constraints };
            prop_assert_eq!(Vers::parse(&v.to_string()), Ok(v.clone()), "{}", v);
        }

        #[test]
        fn a_half_open_vers_range_agrees_with_version_range(
            a in arb_version(), b in arb_version(), v in arb_version()
        ) {
            // Equal bounds give the empty range either way.
            let (low, high) = if version::compare(&a, &b).is_gt() { (b, a) } else { (a, b) };
            let r = vers(&format!("vers:generic/>={low}|<{high}"));
            let expected = crate::version::VersionRange {
                start: std::ops::Bound::Included(low.clone()),
                end: std::ops::Bound::Excluded(high.clone()),
            };
            prop_assert_eq!(r.contains(&v), expected.contains(&v));
            let pinned = PurlMatch {
                package: purl("pkg:generic/thing"),
                range: Some(r),
            };
            let component = purl(&format!("pkg:generic/thing@{}", encode(&v, "")));
            prop_assert_eq!(pinned.matches(&component), expected.contains(&v));
        }
    }
}
