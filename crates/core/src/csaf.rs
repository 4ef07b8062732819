//! CSAF 2.0 advisories (OASIS Common Security Advisory Framework): validating a
//! vendor's or a coordinator's advisory and reading from it the products it names and
//! which of them each vulnerability affects, so the council can match them against
//! members' assets.
//!
//! Validation is hand-written: the CSAF 2.0 JSON schema's rules that matter for
//! reading an advisory (required properties, enumerations, patterns, closed objects
//! where unknown properties signal a malformed or mislabelled document), the
//! mandatory tests 6.1.1 (every referenced product is defined), 6.1.2 (no product is
//! defined twice), 6.1.3 (no relationship combines a product with itself), 6.1.4 and
//! 6.1.5 (6.1.1 and 6.1.2 for product groups), 6.1.6 (no contradicting product
//! statuses), and the profile rules of `csaf_security_advisory`, `csaf_vex`,
//! `csaf_informational_advisory` and `csaf_security_incident_response`. Every error
//! found is reported (up to [`MAX_ERRORS`]), each with the JSON pointer (RFC 6901) of
//! the offending value, so a publisher can fix a document in one round.
//!
//! Not checked: the contents of CVSS scores, hashes, acknowledgments and generator
//! objects, the other mandatory tests (6.1.7 onwards), and the optional and
//! informative tests (6.2, 6.3).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most products (branch products, full product names and relationships) one
/// advisory may define.
pub const MAX_PRODUCTS: usize = 50_000;

/// The deepest nesting of `branches` in a product tree.
pub const MAX_BRANCH_DEPTH: usize = 30;

/// The most errors reported for one document; the rest are counted in a last error.
pub const MAX_ERRORS: usize = 100;

const SECURITY_ADVISORY: &str = "csaf_security_advisory";
const VEX: &str = "csaf_vex";
const INFORMATIONAL: &str = "csaf_informational_advisory";
const INCIDENT_RESPONSE: &str = "csaf_security_incident_response";

const DOCUMENT_KEYS: [&str; 12] = [
    "acknowledgments",
    "aggregate_severity",
    "category",
    "csaf_version",
    "distribution",
    "lang",
    "notes",
    "publisher",
    "references",
    "source_lang",
    "title",
    "tracking",
];
const PUBLISHER_KEYS: [&str; 5] = [
    "category",
    "contact_details",
    "issuing_authority",
    "name",
    "namespace",
];
const TRACKING_KEYS: [&str; 8] = [
    "aliases",
    "current_release_date",
    "generator",
    "id",
    "initial_release_date",
    "revision_history",
    "status",
    "version",
];
const FULL_PRODUCT_NAME_KEYS: [&str; 3] = ["name", "product_id", "product_identification_helper"];
const PRODUCT_TREE_KEYS: [&str; 4] = [
    "branches",
    "full_product_names",
    "product_groups",
    "relationships",
];
const BRANCH_KEYS: [&str; 4] = ["branches", "category", "name", "product"];
const VULNERABILITY_KEYS: [&str; 15] = [
    "acknowledgments",
    "cve",
    "cwe",
    "discovery_date",
    "flags",
    "ids",
    "involvements",
    "notes",
    "product_status",
    "references",
    "release_date",
    "remediations",
    "scores",
    "threats",
    "title",
];

const PUBLISHER_CATEGORIES: [&str; 6] = [
    "coordinator",
    "discoverer",
    "other",
    "translator",
    "user",
    "vendor",
];
const TRACKING_STATUSES: [&str; 3] = ["draft", "final", "interim"];
const TLP_LABELS: [&str; 4] = ["AMBER", "GREEN", "RED", "WHITE"];
const NOTE_CATEGORIES: [&str; 7] = [
    "description",
    "details",
    "faq",
    "general",
    "legal_disclaimer",
    "other",
    "summary",
];
const REFERENCE_CATEGORIES: [&str; 2] = ["external", "self"];
const BRANCH_CATEGORIES: [&str; 12] = [
    "architecture",
    "host_name",
    "language",
    "legacy",
    "patch_level",
    "product_family",
    "product_name",
    "product_version",
    "product_version_range",
    "service_pack",
    "specification",
    "vendor",
];
const RELATIONSHIP_CATEGORIES: [&str; 5] = [
    "default_component_of",
    "external_component_of",
    "installed_on",
    "installed_with",
    "optional_component_of",
];
const PRODUCT_STATUSES: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];
const VEX_STATUSES: [&str; 4] = [
    "fixed",
    "known_affected",
    "known_not_affected",
    "under_investigation",
];
const REMEDIATION_CATEGORIES: [&str; 5] = [
    "mitigation",
    "no_fix_planned",
    "none_available",
    "vendor_fix",
    "workaround",
];
const THREAT_CATEGORIES: [&str; 3] = ["exploit_status", "impact", "target_set"];
const FLAG_LABELS: [&str; 5] = [
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
];
const INVOLVEMENT_PARTIES: [&str; 5] = ["coordinator", "discoverer", "other", "user", "vendor"];
const INVOLVEMENT_STATUSES: [&str; 6] = [
    "completed",
    "contact_attempted",
    "disputed",
    "in_progress",
    "not_contacted",
    "open",
];

const CVE_PATTERN: &str = "^CVE-[0-9]{4}-[0-9]{4,}$";
const CWE_PATTERN: &str = "^CWE-[1-9]\\d{0,5}$";

/// One way a CSAF document breaks the schema, a mandatory test or its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafError {
    /// The JSON pointer (RFC 6901) of the offending value, or of the object missing a
    /// property; empty for the whole document.
    pub pointer: String,
    /// What is wrong, for the publisher to read.
    pub reason: String,
}

/// `pointer: reason`, or only the reason when it is about the whole document.
impl fmt::Display for CsafError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.pointer, self.reason)
        }
    }
}

impl std::error::Error for CsafError {}

/// What the council keeps of a valid CSAF advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    /// `document.tracking.id`, unique per publisher.
    pub id: String,
    /// `document.title`.
    pub title: String,
    /// `document.publisher.name`.
    pub publisher: String,
    /// `document.category`: the profile (`csaf_security_advisory`, `csaf_vex`…).
    pub category: String,
    /// `document.distribution.tlp.label` (`WHITE`, `GREEN`, `AMBER`, `RED`).
    pub tlp: Option<String>,
    /// `document.tracking.current_release_date`: which revision this is.
    #[serde(with = "time::serde::rfc3339")]
    pub current_release_date: OffsetDateTime,
    /// Every product the product tree defines, by product id.
    pub products: BTreeMap<String, Product>,
    /// The vulnerabilities, in document order.
    pub vulnerabilities: Vec<Vulnerability>,
}

/// A product the advisory defines, with what its place in the product tree says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Its id within the advisory.
    pub product_id: String,
    /// Its full name.
    pub name: String,
    /// The `vendor` branch above it.
    pub vendor: Option<String>,
    /// The `product_name` branch above it (or, lacking one, the `product_family`).
    pub product: Option<String>,
    /// The `product_version` branch above it.
    pub version: Option<String>,
    /// The `product_version_range` branch above it, usually in `vers:` syntax.
    pub version_range: Option<String>,
    /// Its CPE (2.2 URI or 2.3 string).
    pub cpe: Option<String>,
    /// Its package URL.
    pub purl: Option<String>,
    /// The hardware model numbers it applies to.
    pub model_numbers: Vec<String>,
}

/// One vulnerability and the products it affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vulnerability {
    /// Its CVE id.
    pub cve: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Products affected: `known_affected`, `first_affected` and `last_affected`.
    pub known_affected: Vec<String>,
    /// Products with the fix: `fixed` and `first_fixed`.
    pub fixed: Vec<String>,
    /// Products not affected.
    pub known_not_affected: Vec<String>,
    /// Products still being investigated.
    pub under_investigation: Vec<String>,
    /// A threat of category `exploit_status` says it is exploited.
    pub exploited: bool,
    /// What to do about it.
    pub remediations: Vec<Remediation>,
}

/// A remediation, with its product groups expanded into product ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// `vendor_fix`, `mitigation`, `workaround`, `no_fix_planned` or `none_available`.
    pub category: String,
    /// What to do.
    pub details: String,
    /// Where to read more or get the fix.
    pub url: Option<String>,
    /// The products it applies to.
    pub product_ids: Vec<String>,
}

/// Validates a CSAF 2.0 JSON document and reads it, or returns every error found
/// (at most [`MAX_ERRORS`] and one counting the rest).
pub fn parse(bytes: &[u8]) -> Result<Advisory, Vec<CsafError>> {
    let whole = |reason: String| {
        vec![CsafError {
            pointer: String::new(),
            reason,
        }]
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| whole(format!("not JSON: {e}")))?;
    let Some(root) = doc.as_object() else {
        return Err(whole(format!("{} is not an object", short(&doc))));
    };
    check_size(root).map_err(|e| vec![e])?;
    Checker::default().run(root)
}

/// Refuses product trees nested deeper than [`MAX_BRANCH_DEPTH`] or defining more
/// than [`MAX_PRODUCTS`] products, before validating anything.
fn check_size(root: &Map<String, Value>) -> Result<(), CsafError> {
    let Some(tree) = root.get("product_tree").and_then(Value::as_object) else {
        return Ok(());
    };
    let len = |key: &str| tree.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let mut products = len("full_product_names") + len("relationships");
    let mut stack: Vec<(&Value, String, usize)> = tree
        .get("branches")
        .map(|b| (b, "/product_tree/branches".to_owned(), 1))
        .into_iter()
        .collect();
    while let Some((branches, at, depth)) = stack.pop() {
        let Some(branches) = branches.as_array() else {
            continue;
        };
        if depth > MAX_BRANCH_DEPTH {
            return Err(CsafError {
                pointer: at,
                reason: format!("branches nested deeper than {MAX_BRANCH_DEPTH} levels"),
            });
        }
        for (i, b) in branches.iter().enumerate() {
            if b.get("product").is_some() {
                products += 1;
            }
            if let Some(nested) = b.get("branches") {
                stack.push((nested, format!("{at}/{i}/branches"), depth + 1));
            }
        }
    }
    if products > MAX_PRODUCTS {
        return Err(CsafError {
            pointer: "/product_tree".to_owned(),
            reason: format!("defines more than {MAX_PRODUCTS} products"),
        });
    }
    Ok(())
}

/// A pointer to `key` inside the value at `at`, escaped per RFC 6901.
fn child(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A value for an error message, cut short so a huge one does not flood it.
fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// What the branches above a product say about it.
#[derive(Debug, Clone, Default)]
struct BranchPath {
    vendor: Option<String>,
    family: Option<String>,
    product: Option<String>,
    version: Option<String>,
    version_range: Option<String>,
}

/// A relationship's product, completed from the products it combines once the whole
/// tree is read.
struct Combination<'a> {
    product_id: &'a str,
    component: &'a str,
    platform: &'a str,
}

/// The document-level fields kept.
struct Header {
    id: String,
    title: String,
    publisher: String,
    category: String,
    tlp: Option<String>,
    current_release_date: OffsetDateTime,
}

/// Validation state: the errors so far and what the product tree defined.
#[derive(Default)]
struct Checker<'a> {
    errors: Vec<CsafError>,
    dropped: usize,
    category: &'a str,
    products: BTreeMap<String, Product>,
    defined: HashMap<&'a str, String>,
    product_refs: Vec<(&'a str, String)>,
    groups: HashMap<&'a str, Vec<&'a str>>,
    group_defs: HashMap<&'a str, String>,
    group_refs: Vec<(&'a str, String)>,
    combinations: Vec<Combination<'a>>,
}

impl<'a> Checker<'a> {
    fn run(mut self, root: &'a Map<String, Value>) -> Result<Advisory, Vec<CsafError>> {
        let header = self
            .object_property(root, "", "document", true)
            .and_then(|(d, at)| self.document(d, &at));
        if let Some((tree, at)) = self.object_property(root, "", "product_tree", false) {
            self.product_tree(tree, &at);
        }
        let mut vulnerabilities = Vec::new();
        if let Some((list, at)) = self.list(root, "", "vulnerabilities", false, 1) {
            for (i, v) in list.iter().enumerate() {
                if let Some(v) = self.vulnerability(v, &format!("{at}/{i}")) {
                    vulnerabilities.push(v);
                }
            }
        }
        self.resolve_references();
        self.profile(root);
        match header {
            Some(h) if self.errors.is_empty() && self.dropped == 0 => Ok(Advisory {
                id: h.id,
                title: h.title,
                publisher: h.publisher,
                category: h.category,
                tlp: h.tlp,
                current_release_date: h.current_release_date,
                products: self.products,
                vulnerabilities,
            }),
            _ => Err(self.into_errors()),
        }
    }

    fn into_errors(mut self) -> Vec<CsafError> {
        if self.dropped > 0 {
            self.errors.push(CsafError {
                pointer: String::new(),
                reason: format!("{} more errors not shown", self.dropped),
            });
        }
        // Defensive: every missing header field has already been reported.
        if self.errors.is_empty() {
            self.errors.push(CsafError {
                pointer: "/document".to_owned(),
                reason: "incomplete document".to_owned(),
            });
        }
        self.errors
    }

    fn fail(&mut self, pointer: impl Into<String>, reason: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(CsafError {
                pointer: pointer.into(),
                reason: reason.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    /// Reports every property of `o` not in `allowed`.
    fn closed(&mut self, o: &Map<String, Value>, at: &str, allowed: &[&str]) {
        for key in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.fail(child(at, key), "is not a property CSAF 2.0 allows here");
        }
    }

    fn property(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a Value> {
        let v = o.get(key);
        if v.is_none() && required {
            self.fail(at, format!("missing required property {key:?}"));
        }
        v
    }

    fn object(&mut self, v: &'a Value, at: &str) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.fail(at, format!("{} is not an object", short(v)));
        }
        o
    }

    fn object_property(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<(&'a Map<String, Value>, String)> {
        let v = self.property(o, at, key, required)?;
        let at = child(at, key);
        self.object(v, &at).map(|o| (o, at))
    }

    /// A string property of one or more characters.
    fn text(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        let v = self.property(o, at, key, required)?;
        match v.as_str() {
            Some("") => {
                self.fail(child(at, key), "must not be empty");
                None
            }
            Some(s) => Some(s),
            None => {
                self.fail(child(at, key), format!("{} is not a string", short(v)));
                None
            }
        }
    }

    fn one_of(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        allowed: &[&str],
        required: bool,
    ) -> Option<&'a str> {
        let s = self.text(o, at, key, required)?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.fail(
                child(at, key),
                format!("{:?} is not one of {}", s, allowed.join(", ")),
            );
            None
        }
    }

    fn matching(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
        test: fn(&str) -> bool,
        pattern: &str,
    ) -> Option<&'a str> {
        let s = self.text(o, at, key, required)?;
        if test(s) {
            Some(s)
        } else {
            self.fail(child(at, key), format!("{s:?} does not match {pattern}"));
            None
        }
    }

    fn uri(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        self.matching(o, at, key, required, is_uri, "an absolute URI")
    }

    fn date(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<OffsetDateTime> {
        let s = self.text(o, at, key, required)?;
        let date = OffsetDateTime::parse(s, &Rfc3339).ok();
        if date.is_none() {
            self.fail(
                child(at, key),
                format!("{s:?} is not an RFC 3339 date-time"),
            );
        }
        date
    }

    fn list(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
        min: usize,
    ) -> Option<(&'a [Value], String)> {
        let v = self.property(o, at, key, required)?;
        let at = child(at, key);
        match v.as_array() {
            Some(a) if a.len() < min => {
                self.fail(
                    at,
                    format!(
                        "must have at least {min} item{}",
                        if min == 1 { "" } else { "s" }
                    ),
                );
                None
            }
            Some(a) => Some((a, at)),
            None => {
                self.fail(at, format!("{} is not an array", short(v)));
                None
            }
        }
    }

    /// Each item of a list property, as an object with its pointer.
    fn objects(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
    ) -> Vec<(&'a Map<String, Value>, String)> {
        let Some((list, at)) = self.list(o, at, key, required, 1) else {
            return Vec::new();
        };
        list.iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let at = format!("{at}/{i}");
                self.object(v, &at).map(|o| (o, at))
            })
            .collect()
    }

    /// A list of distinct, non-empty strings (product or group ids), with pointers.
    fn ids(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
        min: usize,
    ) -> Vec<(&'a str, String)> {
        let Some((list, at)) = self.list(o, at, key, required, min) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let at = format!("{at}/{i}");
            match v.as_str() {
                Some("") => self.fail(at, "must not be empty"),
                Some(id) if !seen.insert(id) => self.fail(at, format!("{id:?} is listed twice")),
                Some(id) => out.push((id, at)),
                None => self.fail(at, format!("{} is not a string", short(v))),
            }
        }
        out
    }

    /// Product ids referenced from `o[key]`, recorded for test 6.1.1.
    fn product_ids(
        &mut self,
        o: &'a Map<String, Value>,
        at: &str,
        key: &str,
        required: bool,
        min: usize,
    ) -> Vec<&'a str> {
        let ids = self.ids(o, at, key, required, min);
        let out = ids.iter().map(|(id, _)| *id).collect();
        self.product_refs.extend(ids);
        out
    }

    /// Product group ids referenced from `o.group_ids`, recorded for test 6.1.4.
    fn group_ids(&mut self, o: &'a Map<String, Value>, at: &str) -> Vec<&'a str> {
        let ids = self.ids(o, at, "group_ids", false, 1);
        let out = ids.iter().map(|(id, _)| *id).collect();
        self.group_refs.extend(ids);
        out
    }

    /// The products named directly or through groups, each once, in order.
    fn expand(&self, products: &[&'a str], groups: &[&'a str]) -> Vec<&'a str> {
        let mut seen = HashSet::new();
        let grouped = groups
            .iter()
            .flat_map(|g| self.groups.get(g).into_iter().flatten());
        products
            .iter()
            .chain(grouped)
            .copied()
            .filter(|p| seen.insert(*p))
            .collect()
    }

    fn notes(&mut self, o: &'a Map<String, Value>, at: &str) {
        for (note, at) in self.objects(o, at, "notes", false) {
            self.one_of(note, &at, "category", &NOTE_CATEGORIES, true);
            self.text(note, &at, "text", true);
            self.text(note, &at, "title", false);
            self.text(note, &at, "audience", false);
        }
    }

    fn references(&mut self, o: &'a Map<String, Value>, at: &str) {
        for (reference, at) in self.objects(o, at, "references", false) {
            self.uri(reference, &at, "url", true);
            self.text(reference, &at, "summary", true);
            self.one_of(reference, &at, "category", &REFERENCE_CATEGORIES, false);
        }
    }

    fn document(&mut self, d: &'a Map<String, Value>, at: &str) -> Option<Header> {
        self.closed(d, at, &DOCUMENT_KEYS);
        let category = self.text(d, at, "category", true);
        self.category = category.unwrap_or_default();
        self.one_of(d, at, "csaf_version", &["2.0"], true);
        let title = self.text(d, at, "title", true);
        self.text(d, at, "lang", false);
        self.text(d, at, "source_lang", false);
        let publisher = self
            .object_property(d, at, "publisher", true)
            .and_then(|(p, at)| {
                self.closed(p, &at, &PUBLISHER_KEYS);
                self.one_of(p, &at, "category", &PUBLISHER_CATEGORIES, true);
                self.uri(p, &at, "namespace", true);
                self.text(p, &at, "contact_details", false);
                self.text(p, &at, "issuing_authority", false);
                self.text(p, &at, "name", true)
            });
        let tracking = self
            .object_property(d, at, "tracking", true)
            .and_then(|(t, at)| self.tracking(t, &at));
        let mut tlp = None;
        if let Some((distribution, at)) = self.object_property(d, at, "distribution", false) {
            self.text(distribution, &at, "text", false);
            if let Some((t, at)) = self.object_property(distribution, &at, "tlp", false) {
                tlp = self.one_of(t, &at, "label", &TLP_LABELS, true);
                self.uri(t, &at, "url", false);
            }
        }
        if let Some((severity, at)) = self.object_property(d, at, "aggregate_severity", false) {
            self.text(severity, &at, "text", true);
        }
        self.notes(d, at);
        self.references(d, at);
        let (id, current_release_date) = tracking?;
        Some(Header {
            id: id.to_owned(),
            title: title?.to_owned(),
            publisher: publisher?.to_owned(),
            category: category?.to_owned(),
            tlp: tlp.map(str::to_owned),
            current_release_date,
        })
    }

    /// Validates `document.tracking`, returning its id and current release date.
    fn tracking(
        &mut self,
        t: &'a Map<String, Value>,
        at: &str,
    ) -> Option<(&'a str, OffsetDateTime)> {
        self.closed(t, at, &TRACKING_KEYS);
        let id = self.matching(t, at, "id", true, |s| s.trim() == s, "^[\\S](.*[\\S])?$");
        let current = self.date(t, at, "current_release_date", true);
        self.date(t, at, "initial_release_date", true);
        self.one_of(t, at, "status", &TRACKING_STATUSES, true);
        self.matching(
            t,
            at,
            "version",
            true,
            is_version,
            "an integer or semantic version",
        );
        for (revision, at) in self.objects(t, at, "revision_history", true) {
            self.date(revision, &at, "date", true);
            self.matching(
                revision,
                &at,
                "number",
                true,
                is_version,
                "an integer or semantic version",
            );
            self.text(revision, &at, "summary", true);
            self.text(revision, &at, "legacy_version", false);
        }
        Some((id?, current?))
    }

    fn product_tree(&mut self, tree: &'a Map<String, Value>, at: &str) {
        self.closed(tree, at, &PRODUCT_TREE_KEYS);
        for (branch, at) in self.objects(tree, at, "branches", false) {
            self.branch(branch, &at, &BranchPath::default());
        }
        for (name, at) in self.objects(tree, at, "full_product_names", false) {
            self.full_product_name(name, &at, &BranchPath::default());
        }
        for (group, at) in self.objects(tree, at, "product_groups", false) {
            self.text(group, &at, "summary", false);
            let products = self.product_ids(group, &at, "product_ids", true, 2);
            if let Some(id) = self.text(group, &at, "group_id", true) {
                let at = child(&at, "group_id");
                if let Some(first) = self.group_defs.get(id) {
                    let reason =
                        format!("product group {id:?} is already defined at {first} (6.1.5)");
                    self.fail(at, reason);
                } else {
                    self.group_defs.insert(id, at);
                    self.groups.insert(id, products);
                }
            }
        }
        for (relationship, at) in self.objects(tree, at, "relationships", false) {
            self.one_of(
                relationship,
                &at,
                "category",
                &RELATIONSHIP_CATEGORIES,
                true,
            );
            let component = self.text(relationship, &at, "product_reference", true);
            let platform = self.text(relationship, &at, "relates_to_product_reference", true);
            for (id, key) in [
                (component, "product_reference"),
                (platform, "relates_to_product_reference"),
            ] {
                if let Some(id) = id {
                    self.product_refs.push((id, child(&at, key)));
                }
            }
            let defined = self
                .object_property(relationship, &at, "full_product_name", true)
                .and_then(|(name, at)| self.full_product_name(name, &at, &BranchPath::default()));
            if let (Some(product_id), Some(component), Some(platform)) =
                (defined, component, platform)
            {
                if product_id == component || product_id == platform {
                    let at = child(&at, "full_product_name");
                    let reason = format!(
                        "product {product_id:?} is defined as a combination with itself (6.1.3)"
                    );
                    self.fail(child(&at, "product_id"), reason);
                }
                self.combinations.push(Combination {
                    product_id,
                    component,
                    platform,
                });
            }
        }
        self.combine();
    }

    /// Completes each relationship's product from the component and the platform it
    /// combines: identifiers it lacks come from the component, model numbers from
    /// the platform (which is the hardware) and then the component.
    fn combine(&mut self) {
        for c in std::mem::take(&mut self.combinations) {
            let component = self.products.get(c.component).cloned();
            let platform_models = self
                .products
                .get(c.platform)
                .map(|p| p.model_numbers.clone())
                .unwrap_or_default();
            let (Some(product), Some(component)) = (self.products.get_mut(c.product_id), component)
            else {
                continue;
            };
            product.vendor = product.vendor.take().or(component.vendor);
            product.product = product.product.take().or(component.product);
            product.version = product.version.take().or(component.version);
            product.version_range = product.version_range.take().or(component.version_range);
            product.cpe = product.cpe.take().or(component.cpe);
            product.purl = product.purl.take().or(component.purl);
            if product.model_numbers.is_empty() {
                product.model_numbers = if platform_models.is_empty() {
                    component.model_numbers
                } else {
                    platform_models
                };
            }
        }
    }

    fn branch(&mut self, b: &'a Map<String, Value>, at: &str, path: &BranchPath) {
        self.closed(b, at, &BRANCH_KEYS);
        let category = self.one_of(b, at, "category", &BRANCH_CATEGORIES, true);
        let name = self.text(b, at, "name", true);
        let mut path = path.clone();
        if let (Some(category), Some(name)) = (category, name) {
            let slot = match category {
                "vendor" => Some(&mut path.vendor),
                "product_family" => Some(&mut path.family),
                "product_name" => Some(&mut path.product),
                "product_version" => Some(&mut path.version),
                "product_version_range" => Some(&mut path.version_range),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = Some(name.to_owned());
            }
        }
        match (b.contains_key("branches"), b.contains_key("product")) {
            (true, true) => self.fail(
                at,
                "has both \"branches\" and \"product\"; a branch has one",
            ),
            (false, false) => self.fail(
                at,
                "has neither \"branches\" nor \"product\"; a branch needs one",
            ),
            (true, false) => {
                for (nested, at) in self.objects(b, at, "branches", true) {
                    self.branch(nested, &at, &path);
                }
            }
            (false, true) => {
                if let Some((product, at)) = self.object_property(b, at, "product", true) {
                    self.full_product_name(product, &at, &path);
                }
            }
        }
    }

    /// Validates a full product name and defines its product (test 6.1.2).
    fn full_product_name(
        &mut self,
        p: &'a Map<String, Value>,
        at: &str,
        path: &BranchPath,
    ) -> Option<&'a str> {
        self.closed(p, at, &FULL_PRODUCT_NAME_KEYS);
        let name = self.text(p, at, "name", true);
        let id = self.text(p, at, "product_id", true);
        let mut cpe = None;
        let mut purl = None;
        let mut model_numbers = Vec::new();
        if let Some((helper, at)) =
            self.object_property(p, at, "product_identification_helper", false)
        {
            if helper.is_empty() {
                self.fail(&at, "must have at least one property");
            }
            cpe = self.matching(
                helper,
                &at,
                "cpe",
                false,
                is_cpe,
                "a CPE 2.2 URI or CPE 2.3 formatted string",
            );
            purl = self.matching(
                helper,
                &at,
                "purl",
                false,
                is_purl,
                "^pkg:[A-Za-z\\.\\-\\+][A-Za-z0-9\\.\\-\\+]*/.+",
            );
            if let Some((models, at)) = self.list(helper, &at, "model_numbers", false, 1) {
                for (i, m) in models.iter().enumerate() {
                    match m.as_str() {
                        Some(s) if !s.is_empty() => model_numbers.push(s.to_owned()),
                        _ => self.fail(
                            format!("{at}/{i}"),
                            format!("{} is not a non-empty string", short(m)),
                        ),
                    }
                }
            }
        }
        let id = id?;
        let id_at = child(at, "product_id");
        if let Some(first) = self.defined.get(id) {
            let reason = format!("product {id:?} is already defined at {first} (6.1.2)");
            self.fail(id_at, reason);
            return None;
        }
        self.defined.insert(id, id_at);
        self.products.insert(
            id.to_owned(),
            Product {
                product_id: id.to_owned(),
                name: name.unwrap_or_default().to_owned(),
                vendor: path.vendor.clone(),
                product: path.product.clone().or_else(|| path.family.clone()),
                version: path.version.clone(),
                version_range: path.version_range.clone(),
                cpe: cpe.map(str::to_owned),
                purl: purl.map(str::to_owned),
                model_numbers,
            },
        );
        Some(id)
    }

    fn vulnerability(&mut self, v: &'a Value, at: &str) -> Option<Vulnerability> {
        let v = self.object(v, at)?;
        self.closed(v, at, &VULNERABILITY_KEYS);
        let cve = self.matching(v, at, "cve", false, is_cve, CVE_PATTERN);
        let title = self.text(v, at, "title", false);
        if let Some((cwe, at)) = self.object_property(v, at, "cwe", false) {
            self.matching(cwe, &at, "id", true, is_cwe, CWE_PATTERN);
            self.text(cwe, &at, "name", true);
        }
        for (id, at) in self.objects(v, at, "ids", false) {
            self.text(id, &at, "system_name", true);
            self.text(id, &at, "text", true);
        }
        self.notes(v, at);
        self.references(v, at);
        self.date(v, at, "discovery_date", false);
        self.date(v, at, "release_date", false);
        for (involvement, at) in self.objects(v, at, "involvements", false) {
            self.one_of(involvement, &at, "party", &INVOLVEMENT_PARTIES, true);
            self.one_of(involvement, &at, "status", &INVOLVEMENT_STATUSES, true);
            self.date(involvement, &at, "date", false);
            self.text(involvement, &at, "summary", false);
        }
        for (score, at) in self.objects(v, at, "scores", false) {
            self.product_ids(score, &at, "products", true, 1);
        }

        let mut statuses: HashMap<&str, Vec<(&'a str, String)>> = HashMap::new();
        let product_status = self.object_property(v, at, "product_status", false);
        if let Some((status, at)) = &product_status {
            self.closed(status, at, &PRODUCT_STATUSES);
            for key in PRODUCT_STATUSES {
                let ids = self.ids(status, at, key, false, 1);
                self.product_refs.extend(ids.iter().cloned());
                statuses.insert(key, ids);
            }
        }
        self.contradictions(&statuses);

        let mut remediations = Vec::new();
        let mut remediated = HashSet::new();
        for (remediation, at) in self.objects(v, at, "remediations", false) {
            let category = self.one_of(remediation, &at, "category", &REMEDIATION_CATEGORIES, true);
            let details = self.text(remediation, &at, "details", true);
            let url = self.uri(remediation, &at, "url", false);
            self.date(remediation, &at, "date", false);
            let products = self.product_ids(remediation, &at, "product_ids", false, 1);
            let groups = self.group_ids(remediation, &at);
            let products = self.expand(&products, &groups);
            remediated.extend(products.iter().copied());
            if let (Some(category), Some(details)) = (category, details) {
                remediations.push(Remediation {
                    category: category.to_owned(),
                    details: details.to_owned(),
                    url: url.map(str::to_owned),
                    product_ids: products.into_iter().map(str::to_owned).collect(),
                });
            }
        }

        let mut justified = HashSet::new();
        let mut exploited = false;
        for (threat, at) in self.objects(v, at, "threats", false) {
            let category = self.one_of(threat, &at, "category", &THREAT_CATEGORIES, true);
            let details = self.text(threat, &at, "details", true);
            self.date(threat, &at, "date", false);
            let products = self.product_ids(threat, &at, "product_ids", false, 1);
            let groups = self.group_ids(threat, &at);
            match category {
                Some("impact") => justified.extend(self.expand(&products, &groups)),
                Some("exploit_status") => exploited |= details.is_some_and(mentions_exploitation),
                _ => {}
            }
        }
        for (flag, at) in self.objects(v, at, "flags", false) {
            self.one_of(flag, &at, "label", &FLAG_LABELS, true);
            self.date(flag, &at, "date", false);
            let products = self.product_ids(flag, &at, "product_ids", false, 1);
            let groups = self.group_ids(flag, &at);
            justified.extend(self.expand(&products, &groups));
        }

        let profile = self.category;
        if profile == SECURITY_ADVISORY || profile == VEX {
            let because = format!("(required by the {profile} profile)");
            if !v.contains_key("notes") {
                self.fail(at, format!("missing required property \"notes\" {because}"));
            }
            if !v.contains_key("product_status") {
                self.fail(
                    at,
                    format!("missing required property \"product_status\" {because}"),
                );
            }
        }
        if profile == VEX {
            let because = "(required by the csaf_vex profile)";
            if !v.contains_key("cve") && !v.contains_key("ids") {
                self.fail(at, format!("needs \"cve\" or \"ids\" {because}"));
            }
            if let Some((_, status_at)) = &product_status
                && VEX_STATUSES
                    .iter()
                    .all(|s| statuses.get(s).is_none_or(Vec::is_empty))
            {
                let reason = format!(
                    "needs at least one of {} {because}",
                    VEX_STATUSES.join(", ")
                );
                self.fail(status_at, reason);
            }
            for (id, at) in statuses.get("known_affected").into_iter().flatten() {
                if !remediated.contains(id) {
                    self.fail(
                        at,
                        format!("{id:?} is known_affected but has no remediation {because}"),
                    );
                }
            }
            for (id, at) in statuses.get("known_not_affected").into_iter().flatten() {
                if !justified.contains(id) {
                    let reason = format!(
                        "{id:?} is known_not_affected but has neither a flag nor an impact threat {because}"
                    );
                    self.fail(at, reason);
                }
            }
        }

        let mut merged = |keys: &[&'static str]| -> Vec<String> {
            let mut seen = HashSet::new();
            keys.iter()
                .flat_map(|k| statuses.remove(k).unwrap_or_default())
                .filter(|(id, _)| seen.insert(*id))
                .map(|(id, _)| id.to_owned())
                .collect()
        };
        Some(Vulnerability {
            cve: cve.map(str::to_owned),
            title: title.map(str::to_owned),
            known_affected: merged(&["known_affected", "first_affected", "last_affected"]),
            fixed: merged(&["fixed", "first_fixed"]),
            known_not_affected: merged(&["known_not_affected"]),
            under_investigation: merged(&["under_investigation"]),
            exploited,
            remediations,
        })
    }

    /// Test 6.1.6: no product is in two contradicting groups of statuses (affected,
    /// not affected, fixed, under investigation) of one vulnerability.
    fn contradictions(&mut self, statuses: &HashMap<&str, Vec<(&'a str, String)>>) {
        const GROUPS: [(&str, &str); 7] = [
            ("known_affected", "affected"),
            ("first_affected", "affected"),
            ("last_affected", "affected"),
            ("known_not_affected", "not affected"),
            ("fixed", "fixed"),
            ("first_fixed", "fixed"),
            ("under_investigation", "under investigation"),
        ];
        let mut first: HashMap<&str, (&str, &str)> = HashMap::new();
        for (key, group) in GROUPS {
            for (id, at) in statuses.get(key).into_iter().flatten() {
                match first.get(id) {
                    Some(&(other, first_at)) if other != group => {
                        let reason = format!(
                            "product {id:?} is {group} here but {other} at {first_at} (6.1.6)"
                        );
                        self.fail(at, reason);
                    }
                    Some(_) => {}
                    None => {
                        first.insert(id, (group, at));
                    }
                }
            }
        }
    }

    /// Tests 6.1.1 and 6.1.4: every referenced product and group is defined.
    fn resolve_references(&mut self) {
        for (id, at) in std::mem::take(&mut self.product_refs) {
            if !self.defined.contains_key(id) {
                self.fail(
                    at,
                    format!("product {id:?} is not defined in the product tree (6.1.1)"),
                );
            }
        }
        for (id, at) in std::mem::take(&mut self.group_refs) {
            if !self.group_defs.contains_key(id) {
                self.fail(
                    at,
                    format!("product group {id:?} is not defined in the product tree (6.1.4)"),
                );
            }
        }
    }

    /// The document-level rules of the profile named by `document.category`.
    fn profile(&mut self, root: &'a Map<String, Value>) {
        let profile = self.category;
        let because = format!("(required by the {profile} profile)");
        if profile == SECURITY_ADVISORY || profile == VEX {
            for key in ["product_tree", "vulnerabilities"] {
                if !root.contains_key(key) {
                    self.fail("", format!("missing required property {key:?} {because}"));
                }
            }
        }
        if profile == INFORMATIONAL || profile == INCIDENT_RESPONSE {
            // A reference's category defaults to external.
            let has = |key: &str, default: &str, wanted: &[&str]| {
                let items = root
                    .get("document")
                    .and_then(|d| d.get(key))
                    .and_then(Value::as_array);
                items.into_iter().flatten().any(|i| {
                    let category = i.get("category").and_then(Value::as_str);
                    wanted.contains(&category.unwrap_or(default))
                })
            };
            if !has(
                "notes",
                "",
                &["description", "details", "general", "summary"],
            ) {
                let reason = format!(
                    "needs a note of category description, details, general or summary {because}"
                );
                self.fail("/document", reason);
            }
            if !has("references", "external", &["external"]) {
                self.fail(
                    "/document",
                    format!("needs a reference of category external {because}"),
                );
            }
        }
        if profile == INFORMATIONAL && root.contains_key("vulnerabilities") {
            self.fail(
                "/vulnerabilities",
                "must not be present in a csaf_informational_advisory",
            );
        }
    }
}

fn is_uri(s: &str) -> bool {
    url::Url::parse(s).is_ok()
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number without leading zeros.
fn is_number(s: &str) -> bool {
    is_digits(s) && (s == "0" || !s.starts_with('0'))
}

/// CSAF's `version_t`: an integer or a semantic version.
fn is_version(s: &str) -> bool {
    if is_number(s) {
        return true;
    }
    let identifiers = |s: &str| {
        s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let (rest, build) = s.split_once('+').map_or((s, None), |(r, b)| (r, Some(b)));
    let (core, pre) = rest
        .split_once('-')
        .map_or((rest, None), |(c, p)| (c, Some(p)));
    let core: Vec<&str> = core.split('.').collect();
    core.len() == 3
        && core.iter().all(|p| is_number(p))
        && build.is_none_or(identifiers)
        && pre.is_none_or(|p| identifiers(p) && p.split('.').all(|i| !is_digits(i) || is_number(i)))
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4 && is_digits(year) && number.len() >= 4 && is_digits(number)
}

fn is_cwe(s: &str) -> bool {
    s.strip_prefix("CWE-")
        .is_some_and(|n| (1..=6).contains(&n.len()) && is_digits(n) && !n.starts_with('0'))
}

fn is_purl(s: &str) -> bool {
    let Some((kind, rest)) = s.strip_prefix("pkg:").and_then(|r| r.split_once('/')) else {
        return false;
    };
    let mut chars = kind.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || ".-+".contains(c))
        && chars.all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
        && !rest.is_empty()
}

/// A CPE 2.2 URI (`cpe:/a:vendor:product:…`) or CPE 2.3 formatted string
/// (`cpe:2.3:` and 11 attributes), checked as CSAF 2.0's pattern does.
fn is_cpe(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("cpe:2.3:") {
        return is_cpe23(rest);
    }
    let Some(rest) = ["cpe:/", "cpE:/", "cPe:/", "cPE:/"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
    else {
        return false;
    };
    let rest = rest
        .strip_prefix(['a', 'h', 'o', 'A', 'H', 'O'])
        .unwrap_or(rest);
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(':') else {
        return false;
    };
    rest.split(':').count() <= 6
        && rest
            .chars()
            .all(|c| c == ':' || c.is_ascii_alphanumeric() || "._-~%".contains(c))
}

fn is_cpe23(s: &str) -> bool {
    let mut attributes = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => attributes.push(String::new()),
            '\\' => {
                let Some(next) = chars.next() else {
                    return false;
                };
                if let Some(last) = attributes.last_mut() {
                    last.push('\\');
                    last.push(next);
                }
            }
            _ => {
                if let Some(last) = attributes.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    attributes.len() == 11
        && ["a", "h", "o", "*", "-"].contains(&attributes[0].as_str())
        && attributes.iter().enumerate().skip(1).all(|(i, a)| {
            if i == 6 {
                is_cpe23_language(a)
            } else {
                is_cpe23_value(a)
            }
        })
}

fn is_cpe23_language(s: &str) -> bool {
    if s == "*" || s == "-" {
        return true;
    }
    let (language, region) = s.split_once('-').map_or((s, None), |(l, r)| (l, Some(r)));
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// One CPE 2.3 attribute: `*`, `-`, or a value of alphanumerics, `-`, `.`, `_` and
/// backslash-escaped punctuation, with wildcards (`*` or `?`s) only at its ends.
fn is_cpe23_value(s: &str) -> bool {
    if s == "*" || s == "-" {
        return true;
    }
    let mut tokens = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if n.is_ascii_punctuation() => tokens.push((n, true)),
                _ => return false,
            }
        } else {
            tokens.push((c, false));
        }
    }
    let mut body = tokens.as_slice();
    if let Some((('*', false), rest)) = body.split_first() {
        body = rest;
    } else {
        while let Some((('?', false), rest)) = body.split_first() {
            body = rest;
        }
    }
    if let Some((('*', false), rest)) = body.split_last() {
        body = rest;
    } else {
        while let Some((('?', false), rest)) = body.split_last() {
            body = rest;
        }
    }
    !body.is_empty()
        && body
            .iter()
            .all(|&(c, escaped)| escaped || c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// Whether an `exploit_status` threat's details say the vulnerability is exploited
/// (rather than that it is not, or that only exploit code exists).
fn mentions_exploitation(details: &str) -> bool {
    const DENIALS: [&str; 10] = [
        "not exploited",
        "not been exploited",
        "not aware",
        "no known",
        "no evidence",
        "no exploitation",
        "unexploited",
        "exploited: no",
        "exploitation: no",
        "exploitation: none",
    ];
    let d = details.to_lowercase();
    if DENIALS.iter().any(|n| d.contains(n)) {
        return false;
    }
    ["exploited", "exploitation", "in the wild"]
        .iter()
        .any(|w| d.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ssl_vpn_advisory() -> Value {
        json!({
            "document": {
                "category": "csaf_security_advisory",
                "csaf_version": "2.0",
                "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
                "lang": "en",
                "notes": [{"category": "summary", "title": "Summary",
                           "text": "A heap-based buffer overflow in the SSL-VPN daemon of EN-VPN OS allows a remote unauthenticated attacker to execute code."}],
                "publisher": {"category": "vendor", "name": "Example Networks PSIRT",
                              "namespace": "https://psirt.example.net"},
                "references": [{"category": "self", "summary": "EN-SA-2025-0007",
                                "url": "https://psirt.example.net/advisories/EN-SA-2025-0007.json"}],
                "title": "Heap-based buffer overflow in the EN-VPN OS SSL-VPN daemon",
                "tracking": {
                    "current_release_date": "2025-03-04T09:00:00+09:00",
                    "generator": {"engine": {"name": "Secvisogram", "version": "2.5.0"}},
                    "id": "EN-SA-2025-0007",
                    "initial_release_date": "2025-03-03T09:00:00+09:00",
                    "revision_history": [
                        {"date": "2025-03-03T09:00:00+09:00", "number": "1", "summary": "Initial release"},
                        {"date": "2025-03-04T09:00:00+09:00", "number": "2", "summary": "Exploitation observed"}
                    ],
                    "status": "final",
                    "version": "2"
                }
            },
            "product_tree": {
                "branches": [{
                    "category": "vendor",
                    "name": "Example Networks",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": "EN-VPN OS",
                            "branches": [
                                {
                                    "category": "product_version_range",
                                    "name": "vers:generic/>=7.0.0|<7.0.13",
                                    "product": {
                                        "name": "EN-VPN OS 7.0.0 to 7.0.12",
                                        "product_id": "ENVPN-7.0-AFFECTED",
                                        "product_identification_helper": {
                                            "cpe": "cpe:2.3:o:examplenetworks:en-vpn_os:*:*:*:*:*:*:*:*",
                                            "model_numbers": ["EN-VPN 3000", "EN-VPN 5000"]
                                        }
                                    }
                                },
                                {
                                    "category": "product_version",
                                    "name": "7.0.13",
                                    "product": {
                                        "name": "EN-VPN OS 7.0.13",
                                        "product_id": "ENVPN-7.0.13",
                                        "product_identification_helper": {
                                            "cpe": "cpe:2.3:o:examplenetworks:en-vpn_os:7.0.13:*:*:*:*:*:*:*",
                                            "model_numbers": ["EN-VPN 3000", "EN-VPN 5000"]
                                        }
                                    }
                                }
                            ]
                        },
                        {
                            "category": "product_name",
                            "name": "EN-VPN Client",
                            "branches": [{
                                "category": "product_version",
                                "name": "4.2.1",
                                "product": {
                                    "name": "EN-VPN Client 4.2.1",
                                    "product_id": "ENVPN-CLIENT-4.2.1",
                                    "product_identification_helper": {
                                        "purl": "pkg:generic/examplenetworks/en-vpn-client@4.2.1"
                                    }
                                }
                            }]
                        }
                    ]
                }],
                "full_product_names": [{
                    "name": "EN-VPN 3000 appliance",
                    "product_id": "ENVPN-3000-HW",
                    "product_identification_helper": {
                        "cpe": "cpe:/h:examplenetworks:en-vpn_3000",
                        "model_numbers": ["EN-VPN 3000"]
                    }
                }],
                "relationships": [{
                    "category": "installed_on",
                    "full_product_name": {
                        "name": "EN-VPN OS 7.0.0 to 7.0.12 on the EN-VPN 3000",
                        "product_id": "ENVPN-7.0-AFFECTED-ON-3000"
                    },
                    "product_reference": "ENVPN-7.0-AFFECTED",
                    "relates_to_product_reference": "ENVPN-3000-HW"
                }],
                "product_groups": [{
                    "group_id": "GRP-AFFECTED",
                    "product_ids": ["ENVPN-7.0-AFFECTED", "ENVPN-7.0-AFFECTED-ON-3000"],
                    "summary": "Affected releases"
                }]
            },
            "vulnerabilities": [{
                "cve": "CVE-2025-24472",
                "cwe": {"id": "CWE-122", "name": "Heap-based Buffer Overflow"},
                "title": "SSL-VPN heap overflow",
                "notes": [{"category": "description", "text": "A crafted HTTP request to the SSL-VPN portal overflows a heap buffer."}],
                "product_status": {
                    "known_affected": ["ENVPN-7.0-AFFECTED", "ENVPN-7.0-AFFECTED-ON-3000"],
                    "fixed": ["ENVPN-7.0.13"],
                    "known_not_affected": ["ENVPN-CLIENT-4.2.1"]
                },
                "remediations": [
                    {"category": "vendor_fix", "details": "Upgrade to EN-VPN OS 7.0.13 or later.",
                     "group_ids": ["GRP-AFFECTED"],
                     "url": "https://support.example.net/downloads/en-vpn-os/7.0.13"},
                    {"category": "workaround", "details": "Disable the SSL-VPN web portal.",
                     "product_ids": ["ENVPN-7.0-AFFECTED"]}
                ],
                "scores": [{
                    "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                "baseScore": 9.8, "baseSeverity": "CRITICAL"},
                    "products": ["ENVPN-7.0-AFFECTED"]
                }],
                "threats": [
                    {"category": "exploit_status",
                     "details": "Example Networks is aware of instances where this vulnerability was exploited in the wild.",
                     "date": "2025-03-04T09:00:00+09:00"},
                    {"category": "impact", "details": "Remote code execution as root.", "group_ids": ["GRP-AFFECTED"]}
                ]
            }]
        })
    }

    fn vex() -> Value {
        json!({
            "document": {
                "category": "csaf_vex",
                "csaf_version": "2.0",
                "publisher": {"category": "vendor", "name": "Example Networks PSIRT",
                              "namespace": "https://psirt.example.net"},
                "title": "EN-VPN OS and the xz backdoor (CVE-2024-3094)",
                "tracking": {
                    "current_release_date": "2024-04-02T12:00:00Z",
                    "id": "EN-VEX-2024-0001",
                    "initial_release_date": "2024-04-01T12:00:00Z",
                    "revision_history": [{"date": "2024-04-01T12:00:00Z", "number": "1.0.0", "summary": "Initial"}],
                    "status": "final",
                    "version": "1.0.0"
                }
            },
            "product_tree": {
                "branches": [{"category": "vendor", "name": "Example Networks", "branches": [
                    {"category": "product_family", "name": "EN-VPN OS", "branches": [
                        {"category": "product_version", "name": "7.1.0",
                         "product": {"name": "EN-VPN OS 7.1.0", "product_id": "ENVPN-7.1.0"}},
                        {"category": "product_version", "name": "6.4.15",
                         "product": {"name": "EN-VPN OS 6.4.15", "product_id": "ENVPN-6.4.15"}},
                        {"category": "product_version", "name": "7.2.0-beta",
                         "product": {"name": "EN-VPN OS 7.2.0 beta", "product_id": "ENVPN-7.2.0-beta"}}
                    ]}
                ]}]
            },
            "vulnerabilities": [{
                "cve": "CVE-2024-3094",
                "notes": [{"category": "description", "text": "Malicious code in xz/liblzma 5.6.0 and 5.6.1."}],
                "product_status": {
                    "known_not_affected": ["ENVPN-7.1.0"],
                    "known_affected": ["ENVPN-6.4.15"],
                    "under_investigation": ["ENVPN-7.2.0-beta"]
                },
                "flags": [{"label": "component_not_present", "product_ids": ["ENVPN-7.1.0"]}],
                "remediations": [{"category": "no_fix_planned",
                                  "details": "6.4 is out of support; upgrade to 7.1.0.",
                                  "product_ids": ["ENVPN-6.4.15"]}],
                "threats": [{"category": "exploit_status", "details": "No known exploitation against EN-VPN OS."}]
            }]
        })
    }

    fn informational() -> Value {
        json!({
            "document": {
                "category": "csaf_informational_advisory",
                "csaf_version": "2.0",
                "distribution": {"tlp": {"label": "GREEN"}},
                "notes": [{"category": "summary", "text": "Phishing campaign impersonating the EN-VPN client update site."}],
                "publisher": {"category": "coordinator", "name": "Example National CSIRT",
                              "namespace": "https://csirt.example.jp"},
                "references": [{"summary": "Vendor notice", "url": "https://psirt.example.net/notices/2025-02"}],
                "title": "Fake EN-VPN client update site",
                "tracking": {
                    "current_release_date": "2025-02-10T00:00:00Z",
                    "id": "EXCSIRT-IA-2025-003",
                    "initial_release_date": "2025-02-10T00:00:00Z",
                    "revision_history": [{"date": "2025-02-10T00:00:00Z", "number": "1", "summary": "Initial"}],
                    "status": "interim",
                    "version": "1"
                }
            }
        })
    }

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }

    fn errors(v: &Value) -> Vec<CsafError> {
        parse(&bytes(v)).unwrap_err()
    }

    /// The one error at `pointer`, asserting there is exactly one.
    fn error_at(errors: &[CsafError], pointer: &str) -> String {
        let at: Vec<&CsafError> = errors.iter().filter(|e| e.pointer == pointer).collect();
        assert_eq!(at.len(), 1, "no single error at {pointer} in {errors:#?}");
        at[0].reason.clone()
    }

    fn remove(v: &mut Value, key: &str) {
        v.as_object_mut().unwrap().remove(key);
    }

    #[test]
    fn vendor_security_advisory() {
        let a = parse(&bytes(&ssl_vpn_advisory())).unwrap();
        assert_eq!(a.id, "EN-SA-2025-0007");
        assert_eq!(
            a.title,
            "Heap-based buffer overflow in the EN-VPN OS SSL-VPN daemon"
        );
        assert_eq!(a.publisher, "Example Networks PSIRT");
        assert_eq!(a.category, "csaf_security_advisory");
        assert_eq!(a.tlp.as_deref(), Some("WHITE"));
        assert_eq!(
            a.current_release_date,
            time::macros::datetime!(2025-03-04 09:00 +09:00)
        );
        assert_eq!(a.products.len(), 5);

        let affected = &a.products["ENVPN-7.0-AFFECTED"];
        assert_eq!(affected.name, "EN-VPN OS 7.0.0 to 7.0.12");
        assert_eq!(affected.vendor.as_deref(), Some("Example Networks"));
        assert_eq!(affected.product.as_deref(), Some("EN-VPN OS"));
        assert_eq!(affected.version, None);
        assert_eq!(
            affected.version_range.as_deref(),
            Some("vers:generic/>=7.0.0|<7.0.13")
        );
        assert_eq!(
            affected.cpe.as_deref(),
            Some("cpe:2.3:o:examplenetworks:en-vpn_os:*:*:*:*:*:*:*:*")
        );
        assert_eq!(affected.model_numbers, ["EN-VPN 3000", "EN-VPN 5000"]);

        let fixed = &a.products["ENVPN-7.0.13"];
        assert_eq!(fixed.version.as_deref(), Some("7.0.13"));
        assert_eq!(fixed.version_range, None);

        let client = &a.products["ENVPN-CLIENT-4.2.1"];
        assert_eq!(client.product.as_deref(), Some("EN-VPN Client"));
        assert_eq!(
            client.purl.as_deref(),
            Some("pkg:generic/examplenetworks/en-vpn-client@4.2.1")
        );

        let hardware = &a.products["ENVPN-3000-HW"];
        assert_eq!(hardware.vendor, None);
        assert_eq!(
            hardware.cpe.as_deref(),
            Some("cpe:/h:examplenetworks:en-vpn_3000")
        );

        let combined = &a.products["ENVPN-7.0-AFFECTED-ON-3000"];
        assert_eq!(
            combined.name,
            "EN-VPN OS 7.0.0 to 7.0.12 on the EN-VPN 3000"
        );
        assert_eq!(combined.vendor.as_deref(), Some("Example Networks"));
        assert_eq!(combined.product.as_deref(), Some("EN-VPN OS"));
        assert_eq!(combined.version_range, affected.version_range);
        assert_eq!(combined.cpe, affected.cpe);
        assert_eq!(combined.model_numbers, ["EN-VPN 3000"]);

        let [v] = a.vulnerabilities.as_slice() else {
            panic!("one vulnerability expected");
        };
        assert_eq!(v.cve.as_deref(), Some("CVE-2025-24472"));
        assert_eq!(v.title.as_deref(), Some("SSL-VPN heap overflow"));
        assert_eq!(
            v.known_affected,
            ["ENVPN-7.0-AFFECTED", "ENVPN-7.0-AFFECTED-ON-3000"]
        );
        assert_eq!(v.fixed, ["ENVPN-7.0.13"]);
        assert_eq!(v.known_not_affected, ["ENVPN-CLIENT-4.2.1"]);
        assert!(v.under_investigation.is_empty());
        assert!(v.exploited);
        assert_eq!(v.remediations.len(), 2);
        let fix = &v.remediations[0];
        assert_eq!(fix.category, "vendor_fix");
        assert_eq!(
            fix.url.as_deref(),
            Some("https://support.example.net/downloads/en-vpn-os/7.0.13")
        );
        assert_eq!(
            fix.product_ids,
            ["ENVPN-7.0-AFFECTED", "ENVPN-7.0-AFFECTED-ON-3000"]
        );
        assert_eq!(v.remediations[1].product_ids, ["ENVPN-7.0-AFFECTED"]);
    }

    #[test]
    fn first_and_last_affected_count_as_affected() {
        let mut doc = ssl_vpn_advisory();
        doc["vulnerabilities"][0]["product_status"] = json!({
            "first_affected": ["ENVPN-7.0-AFFECTED"],
            "known_affected": ["ENVPN-7.0-AFFECTED-ON-3000"],
            "last_affected": ["ENVPN-7.0-AFFECTED"],
            "first_fixed": ["ENVPN-7.0.13"]
        });
        let a = parse(&bytes(&doc)).unwrap();
        let v = &a.vulnerabilities[0];
        assert_eq!(
            v.known_affected,
            ["ENVPN-7.0-AFFECTED-ON-3000", "ENVPN-7.0-AFFECTED"]
        );
        assert_eq!(v.fixed, ["ENVPN-7.0.13"]);
    }

    #[test]
    fn vex_document() {
        let a = parse(&bytes(&vex())).unwrap();
        assert_eq!(a.category, "csaf_vex");
        assert_eq!(a.tlp, None);
        let p = &a.products["ENVPN-6.4.15"];
        assert_eq!(p.vendor.as_deref(), Some("Example Networks"));
        assert_eq!(
            p.product.as_deref(),
            Some("EN-VPN OS"),
            "product_family stands in"
        );
        assert_eq!(p.version.as_deref(), Some("6.4.15"));
        let v = &a.vulnerabilities[0];
        assert_eq!(v.known_not_affected, ["ENVPN-7.1.0"]);
        assert_eq!(v.known_affected, ["ENVPN-6.4.15"]);
        assert_eq!(v.under_investigation, ["ENVPN-7.2.0-beta"]);
        assert!(!v.exploited);
        assert_eq!(v.remediations[0].category, "no_fix_planned");
    }

    #[test]
    fn informational_advisory() {
        let a = parse(&bytes(&informational())).unwrap();
        assert_eq!(a.category, "csaf_informational_advisory");
        assert_eq!(a.publisher, "Example National CSIRT");
        assert_eq!(a.tlp.as_deref(), Some("GREEN"));
        assert!(a.products.is_empty());
        assert!(a.vulnerabilities.is_empty());
    }

    #[test]
    fn missing_publisher_namespace() {
        let mut doc = ssl_vpn_advisory();
        remove(&mut doc["document"]["publisher"], "namespace");
        let e = errors(&doc);
        assert_eq!(
            e,
            [CsafError {
                pointer: "/document/publisher".into(),
                reason: "missing required property \"namespace\"".into()
            }]
        );
        assert_eq!(
            e[0].to_string(),
            "/document/publisher: missing required property \"namespace\""
        );
    }

    #[test]
    fn bad_tracking_status() {
        let mut doc = ssl_vpn_advisory();
        doc["document"]["tracking"]["status"] = json!("done");
        assert_eq!(
            errors(&doc)[0].to_string(),
            "/document/tracking/status: \"done\" is not one of draft, final, interim"
        );
    }

    #[test]
    fn bad_cve() {
        let mut doc = ssl_vpn_advisory();
        doc["vulnerabilities"][0]["cve"] = json!("CVE-17-1");
        assert_eq!(
            errors(&doc)[0].to_string(),
            "/vulnerabilities/0/cve: \"CVE-17-1\" does not match ^CVE-[0-9]{4}-[0-9]{4,}$"
        );
    }

    #[test]
    fn undefined_product_in_known_affected() {
        let mut doc = ssl_vpn_advisory();
        doc["vulnerabilities"][0]["product_status"]["known_affected"][1] = json!("ENVPN-9.9");
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].to_string(),
            "/vulnerabilities/0/product_status/known_affected/1: product \"ENVPN-9.9\" is not defined in the product tree (6.1.1)"
        );
    }

    #[test]
    fn undefined_references_everywhere() {
        let mut doc = ssl_vpn_advisory();
        doc["product_tree"]["relationships"][0]["relates_to_product_reference"] = json!("HW-X");
        doc["product_tree"]["product_groups"][0]["product_ids"][0] = json!("P-X");
        doc["vulnerabilities"][0]["scores"][0]["products"][0] = json!("P-Y");
        doc["vulnerabilities"][0]["remediations"][0]["group_ids"][0] = json!("GRP-X");
        let e = errors(&doc);
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            error_at(
                &e,
                "/product_tree/relationships/0/relates_to_product_reference"
            )
            .contains("\"HW-X\"")
        );
        assert!(error_at(&e, "/product_tree/product_groups/0/product_ids/0").contains("(6.1.1)"));
        assert!(error_at(&e, "/vulnerabilities/0/scores/0/products/0").contains("(6.1.1)"));
        assert!(error_at(&e, "/vulnerabilities/0/remediations/0/group_ids/0").contains("(6.1.4)"));
    }

    #[test]
    fn duplicate_product_id() {
        let mut doc = ssl_vpn_advisory();
        doc["product_tree"]["full_product_names"][0]["product_id"] = json!("ENVPN-7.0.13");
        doc["product_tree"]["relationships"][0]["relates_to_product_reference"] =
            json!("ENVPN-7.0.13");
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].to_string(),
            "/product_tree/full_product_names/0/product_id: product \"ENVPN-7.0.13\" is already defined at /product_tree/branches/0/branches/0/branches/1/product/product_id (6.1.2)"
        );
    }

    #[test]
    fn circular_relationship_and_contradicting_statuses() {
        let mut doc = ssl_vpn_advisory();
        doc["product_tree"]["relationships"][0]["product_reference"] =
            json!("ENVPN-7.0-AFFECTED-ON-3000");
        doc["vulnerabilities"][0]["product_status"]["fixed"] =
            json!(["ENVPN-7.0.13", "ENVPN-7.0-AFFECTED"]);
        let e = errors(&doc);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(
            error_at(
                &e,
                "/product_tree/relationships/0/full_product_name/product_id"
            )
            .ends_with("(6.1.3)")
        );
        assert_eq!(
            error_at(&e, "/vulnerabilities/0/product_status/fixed/1"),
            "product \"ENVPN-7.0-AFFECTED\" is fixed here but affected at /vulnerabilities/0/product_status/known_affected/0 (6.1.6)"
        );
    }

    #[test]
    fn duplicate_group_id() {
        let mut doc = ssl_vpn_advisory();
        let group = doc["product_tree"]["product_groups"][0].clone();
        doc["product_tree"]["product_groups"]
            .as_array_mut()
            .unwrap()
            .push(group);
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(error_at(&e, "/product_tree/product_groups/1/group_id").ends_with("(6.1.5)"));
    }

    #[test]
    fn vex_known_affected_without_remediation() {
        let mut doc = vex();
        remove(&mut doc["vulnerabilities"][0], "remediations");
        let e = errors(&doc);
        assert_eq!(
            e,
            [CsafError {
                pointer: "/vulnerabilities/0/product_status/known_affected/0".into(),
                reason: "\"ENVPN-6.4.15\" is known_affected but has no remediation (required by the csaf_vex profile)".into()
            }]
        );
    }

    #[test]
    fn vex_known_not_affected_needs_flag_or_impact() {
        let mut doc = vex();
        remove(&mut doc["vulnerabilities"][0], "flags");
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(
            error_at(&e, "/vulnerabilities/0/product_status/known_not_affected/0")
                .contains("neither a flag nor an impact threat")
        );

        doc["vulnerabilities"][0]["threats"] = json!([{"category": "impact",
            "details": "liblzma is not linked into sshd on EN-VPN OS.", "product_ids": ["ENVPN-7.1.0"]}]);
        assert!(parse(&bytes(&doc)).is_ok());
    }

    #[test]
    fn vex_profile_requirements() {
        let mut doc = vex();
        let v = &mut doc["vulnerabilities"][0];
        remove(v, "cve");
        remove(v, "notes");
        v["product_status"] = json!({"recommended": ["ENVPN-7.1.0"]});
        let e = errors(&doc);
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(e.iter().any(|e| e.pointer == "/vulnerabilities/0"
            && e.reason.starts_with("needs \"cve\" or \"ids\"")));
        assert!(e.iter().any(|e| e.pointer == "/vulnerabilities/0"
            && e.reason.starts_with("missing required property \"notes\"")));
        assert!(
            error_at(&e, "/vulnerabilities/0/product_status")
                .starts_with("needs at least one of fixed")
        );

        let mut doc = vex();
        remove(&mut doc, "product_tree");
        remove(&mut doc, "vulnerabilities");
        let e = errors(&doc);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e.iter().all(|e| e.pointer.is_empty()));
        assert_eq!(
            e[0].reason,
            "missing required property \"product_tree\" (required by the csaf_vex profile)"
        );
    }

    #[test]
    fn security_advisory_profile_requirements() {
        let mut doc = ssl_vpn_advisory();
        remove(&mut doc["vulnerabilities"][0], "notes");
        remove(&mut doc["vulnerabilities"][0], "product_status");
        let e = errors(&doc);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(
            e[1].to_string(),
            "/vulnerabilities/0: missing required property \"product_status\" (required by the csaf_security_advisory profile)"
        );

        let mut doc = ssl_vpn_advisory();
        remove(&mut doc, "vulnerabilities");
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].pointer, "");

        // The same document is valid CSAF base.
        doc["document"]["category"] = json!("generic_csaf");
        assert!(parse(&bytes(&doc)).is_ok());
    }

    #[test]
    fn informational_advisory_with_vulnerabilities() {
        let mut doc = informational();
        doc["vulnerabilities"] = json!([{"cve": "CVE-2025-0001"}]);
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].to_string(),
            "/vulnerabilities: must not be present in a csaf_informational_advisory"
        );
    }

    #[test]
    fn informational_advisory_needs_summary_and_external_reference() {
        let mut doc = informational();
        doc["document"]["notes"][0]["category"] = json!("legal_disclaimer");
        doc["document"]["references"][0]["category"] = json!("self");
        let e = errors(&doc);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e.iter().all(|e| e.pointer == "/document"));
        assert!(
            e[1].reason
                .starts_with("needs a reference of category external")
        );
    }

    #[test]
    fn unknown_properties() {
        let mut doc = ssl_vpn_advisory();
        doc["document"]["summary"] = json!("not a CSAF field");
        doc["document"]["tracking"]["a/b~c"] = json!(1);
        doc["document"]["publisher"]["url"] = json!("https://example.net");
        doc["product_tree"]["full_product_names"][0]["vendor"] = json!("Example");
        doc["vulnerabilities"][0]["severity"] = json!("high");
        doc["vulnerabilities"][0]["product_status"]["affected"] = json!(["ENVPN-7.0.13"]);
        let e = errors(&doc);
        let pointers: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/document/summary",
                "/document/publisher/url",
                "/document/tracking/a~1b~0c",
                "/product_tree/full_product_names/0/vendor",
                "/vulnerabilities/0/severity",
                "/vulnerabilities/0/product_status/affected",
            ]
        );
        assert_eq!(e[0].reason, "is not a property CSAF 2.0 allows here");
    }

    #[test]
    fn several_errors_at_once() {
        let mut doc = ssl_vpn_advisory();
        let d = &mut doc["document"];
        d["csaf_version"] = json!("2.1");
        d["distribution"]["tlp"]["label"] = json!("CLEAR");
        d["tracking"]["current_release_date"] = json!("2025-03-04");
        d["tracking"]["revision_history"] = json!([]);
        d["tracking"]["version"] = json!("02");
        remove(d, "title");
        let tree = &mut doc["product_tree"];
        tree["branches"][0]["branches"][0]["category"] = json!("model");
        tree["branches"][0]["branches"][1]["branches"][0]["product"]["product_identification_helper"]
            ["purl"] = json!("generic/en-vpn-client@4.2.1");
        tree["full_product_names"][0]["product_identification_helper"]["cpe"] =
            json!("cpe:2.3:h:examplenetworks");
        tree["product_groups"][0]["product_ids"] = json!(["ENVPN-7.0-AFFECTED"]);
        let v = &mut doc["vulnerabilities"][0];
        v["cwe"]["id"] = json!("CWE-0122");
        v["remediations"][1]["category"] = json!("upgrade");
        v["threats"][0]["category"] = json!("exploited");
        v["product_status"]["fixed"] = json!(["ENVPN-7.0.13", "ENVPN-7.0.13"]);
        let e = errors(&doc);
        let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "/document/csaf_version: \"2.1\" is not one of 2.0",
                "/document: missing required property \"title\"",
                "/document/tracking/current_release_date: \"2025-03-04\" is not an RFC 3339 date-time",
                "/document/tracking/version: \"02\" does not match an integer or semantic version",
                "/document/tracking/revision_history: must have at least 1 item",
                "/document/distribution/tlp/label: \"CLEAR\" is not one of AMBER, GREEN, RED, WHITE",
                "/product_tree/branches/0/branches/0/category: \"model\" is not one of architecture, host_name, language, legacy, patch_level, product_family, product_name, product_version, product_version_range, service_pack, specification, vendor",
                "/product_tree/branches/0/branches/1/branches/0/product/product_identification_helper/purl: \"generic/en-vpn-client@4.2.1\" does not match ^pkg:[A-Za-z\\.\\-\\+][A-Za-z0-9\\.\\-\\+]*/.+",
                "/product_tree/full_product_names/0/product_identification_helper/cpe: \"cpe:2.3:h:examplenetworks\" does not match a CPE 2.2 URI or CPE 2.3 formatted string",
                "/product_tree/product_groups/0/product_ids: must have at least 2 items",
                "/vulnerabilities/0/cwe/id: \"CWE-0122\" does not match ^CWE-[1-9]\\d{0,5}$",
                "/vulnerabilities/0/product_status/fixed/1: \"ENVPN-7.0.13\" is listed twice",
                "/vulnerabilities/0/remediations/1/category: \"upgrade\" is not one of mitigation, no_fix_planned, none_available, vendor_fix, workaround",
                "/vulnerabilities/0/threats/0/category: \"exploited\" is not one of exploit_status, impact, target_set",
            ]
        );
    }

    #[test]
    fn branch_needs_exactly_one_of_branches_or_product() {
        let mut doc = ssl_vpn_advisory();
        let client = &mut doc["product_tree"]["branches"][0]["branches"][1];
        client["product"] = json!({"name": "EN-VPN Client", "product_id": "ENVPN-CLIENT"});
        remove(
            &mut doc["product_tree"]["branches"][0]["branches"][0]["branches"][1],
            "product",
        );
        let e = errors(&doc);
        assert!(error_at(&e, "/product_tree/branches/0/branches/1").starts_with("has both"));
        assert!(
            error_at(&e, "/product_tree/branches/0/branches/0/branches/1")
                .starts_with("has neither")
        );
        // The product the removed branch defined is now undefined where it is used.
        assert!(error_at(&e, "/vulnerabilities/0/product_status/fixed/0").contains("(6.1.1)"));
    }

    #[test]
    fn errors_are_capped() {
        let mut doc = ssl_vpn_advisory();
        let bad: Vec<String> = (0..150).map(|i| format!("P-{i}")).collect();
        doc["vulnerabilities"][0]["product_status"]["under_investigation"] = json!(bad);
        let e = errors(&doc);
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert_eq!(e[MAX_ERRORS].to_string(), "50 more errors not shown");
    }

    #[test]
    fn size_caps() {
        let mut branch = json!({"category": "product_version", "name": "1", "product": {"name": "x", "product_id": "x"}});
        for _ in 0..MAX_BRANCH_DEPTH {
            branch = json!({"category": "product_family", "name": "f", "branches": [branch]});
        }
        let mut doc = informational();
        doc["product_tree"] = json!({"branches": [branch]});
        let e = errors(&doc);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].reason, "branches nested deeper than 30 levels");
        assert!(
            e[0].pointer
                .starts_with("/product_tree/branches/0/branches/0/branches")
        );

        let names: Vec<Value> = (0..=MAX_PRODUCTS)
            .map(|i| json!({"name": "x", "product_id": format!("P-{i}")}))
            .collect();
        doc["product_tree"] = json!({"full_product_names": names});
        let e = errors(&doc);
        assert_eq!(
            e[0].to_string(),
            "/product_tree: defines more than 50000 products"
        );
    }

    #[test]
    fn not_an_advisory() {
        assert!(
            parse(b"not json").unwrap_err()[0]
                .reason
                .starts_with("not JSON")
        );
        assert_eq!(
            parse(b"[]").unwrap_err()[0].to_string(),
            "[] is not an object"
        );
        assert_eq!(
            parse(b"{}").unwrap_err()[0].to_string(),
            "missing required property \"document\""
        );
    }

    #[test]
    fn cpe_patterns() {
        for good in [
            "cpe:2.3:o:examplenetworks:en-vpn_os:7.0.13:*:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            "cpe:2.3:a:foo\\:bar:baz\\!:1.*:*:*:en-us:*:*:*:*",
            "cpe:2.3:a:vendor:product:?1.0??:*:*:*:*:*:*:*",
            "cpe:/a:openssl:openssl:3.0.13",
            "cpe:/o:examplenetworks:en-vpn_os:7.0",
            "cpe:/",
        ] {
            assert!(is_cpe(good), "{good}");
        }
        for bad in [
            "cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1:*:*:english:*:*:*:*",
            "cpe:2.3:a:ven dor:product:1:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:pro*duct:1:*:*:*:*:*:*:*",
            "cpe:/a:open ssl",
            "cpe:/a:1:2:3:4:5:6:7",
            "CPE:/a:vendor",
            "pkg:generic/openssl",
        ] {
            assert!(!is_cpe(bad), "{bad}");
        }
    }

    #[test]
    fn small_patterns() {
        assert!(is_version("0") && is_version("12") && is_version("1.0.0-rc.1+build.5"));
        assert!(
            !is_version("01") && !is_version("1.0") && !is_version("1.0.0-01") && !is_version("")
        );
        assert!(is_cve("CVE-2025-24472") && is_cve("CVE-2021-1234567"));
        assert!(!is_cve("CVE-2025-123") && !is_cve("cve-2025-1234"));
        assert!(is_cwe("CWE-79") && is_cwe("CWE-999999") && !is_cwe("CWE-1234567"));
        assert!(
            is_purl("pkg:npm/%40angular/core@12.0.0")
                && !is_purl("pkg:npm")
                && !is_purl("pkg:1x/a")
        );
    }

    #[test]
    fn exploitation_wording() {
        assert!(mentions_exploitation("Exploited in the wild."));
        assert!(mentions_exploitation(
            "Active exploitation has been observed."
        ));
        assert!(mentions_exploitation("CISA KEV: exploitation confirmed"));
        assert!(!mentions_exploitation(
            "Proof of concept exploit code is publicly available."
        ));
        assert!(!mentions_exploitation(
            "We are not aware of any exploitation."
        ));
        assert!(!mentions_exploitation("Exploitation: none"));
    }
}
