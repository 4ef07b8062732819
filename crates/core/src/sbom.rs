//! Reading software bills of materials: the components a member's product is built
//! from, so advisories about those components can be matched against it.
//!
//! Two JSON formats are read: CycloneDX (spec versions 1.4 to 1.7) and SPDX (2.2 and
//! 2.3). Only the fields needed for matching are kept: names, versions, purls, CPEs,
//! suppliers. A malformed SBOM imports nothing, so any broken component fails the
//! whole parse with the JSON pointer of the component at fault. Documents are
//! bounded (see [`MAX_COMPONENTS`] and [`MAX_DEPTH`]) to protect the server.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::DomainError;

/// The most components (CycloneDX, nested ones included) or packages (SPDX) one SBOM
/// may hold.
pub const MAX_COMPONENTS: usize = 200_000;

/// The deepest JSON nesting (objects and arrays) an SBOM may have. Each level of
/// nested CycloneDX components takes two, so this allows about 30 levels of them,
/// far more than real SBOMs use.
pub const MAX_DEPTH: usize = 64;

const CYCLONEDX_VERSIONS: [&str; 4] = ["1.4", "1.5", "1.6", "1.7"];
const SPDX_VERSIONS: [&str; 2] = ["SPDX-2.2", "SPDX-2.3"];

/// The format an SBOM was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SbomFormat {
    /// OWASP CycloneDX, JSON.
    CycloneDx,
    /// SPDX 2.x, JSON.
    Spdx,
}

/// The parts of an SBOM needed to match its components against advisories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sbom {
    /// CycloneDX or SPDX.
    pub format: SbomFormat,
    /// The spec version as written (`1.6`, `SPDX-2.3`).
    pub spec_version: String,
    /// What the SBOM describes: the name of CycloneDX's `metadata.component`, or the
    /// SPDX document's `name`. Empty when a CycloneDX SBOM has no `metadata.component`.
    pub name: String,
    /// CycloneDX's `serialNumber` (`urn:uuid:…`) or SPDX's `documentNamespace`.
    pub serial: Option<String>,
    /// The product or device described: CycloneDX's `metadata.component`, or the
    /// package the SPDX document DESCRIBES (the first, if several).
    pub subject: Option<Component>,
    /// Every other component, nested ones included, in document order.
    pub components: Vec<Component>,
}

/// One component (CycloneDX) or package (SPDX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Its name.
    pub name: String,
    /// CycloneDX's `group` (a Maven group id, an npm scope…); SPDX has none.
    pub group: Option<String>,
    /// Its version, as written.
    pub version: Option<String>,
    /// Its package URL (`pkg:…`), unchecked.
    pub purl: Option<String>,
    /// Its CPE (2.2 URI or 2.3 string), unchecked.
    pub cpe: Option<String>,
    /// Its supplier's name.
    pub supplier: Option<String>,
    /// CycloneDX's `type` (`library`, `firmware`…) or SPDX's `primaryPackagePurpose`.
    pub kind: Option<String>,
    /// The JSON pointer where it was found, e.g. `/components/3/components/0`.
    pub path: String,
}

fn invalid(reason: impl Into<String>) -> DomainError {
    DomainError::invalid("sbom", reason)
}

/// Parses a CycloneDX or SPDX JSON SBOM, refusing it whole if it is malformed, of an
/// unsupported version or larger than the caps.
pub fn parse(bytes: &[u8]) -> Result<Sbom, DomainError> {
    check_depth(bytes)?;
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let neither = || invalid("neither a CycloneDX nor an SPDX 2.3 JSON document");
    let root = doc.as_object().ok_or_else(neither)?;
    if let Some(format) = root.get("bomFormat") {
        if format.as_str() != Some("CycloneDX") {
            return Err(invalid(format!(
                "/bomFormat: {format} is not \"CycloneDX\""
            )));
        }
        return cyclonedx(root);
    }
    if root.contains_key("spdxVersion") {
        return spdx(root);
    }
    Err(neither())
}

/// Refuses JSON nested deeper than [`MAX_DEPTH`] before building any value from it.
fn check_depth(bytes: &[u8]) -> Result<(), DomainError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(invalid(format!(
                        "JSON nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A property that must be a non-empty string when present.
fn optional_str(
    o: &Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<Option<String>, DomainError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(invalid(format!(
            "{at}/{key}: {} is not a string",
            short(other)
        ))),
    }
}

/// A property that must be present and a non-empty string.
fn required_str(o: &Map<String, Value>, at: &str, key: &str) -> Result<String, DomainError> {
    match o.get(key) {
        None if at.is_empty() => Err(invalid(format!("missing required property \"{key}\""))),
        None => Err(invalid(format!(
            "{at}: missing required property \"{key}\""
        ))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(invalid(format!("{at}/{key}: must not be empty")))
        }
        Some(_) => optional_str(o, at, key).map(Option::unwrap_or_default),
    }
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, DomainError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{at}: {} is not an object", short(v))))
}

fn array<'a>(o: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a [Value], DomainError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(invalid(format!(
            "{at}/{key}: {} is not an array",
            short(other)
        ))),
    }
}

/// A value for an error message, cut short so a huge one does not flood it.
fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn cyclonedx(root: &Map<String, Value>) -> Result<Sbom, DomainError> {
    let spec_version = required_str(root, "", "specVersion")?;
    if !CYCLONEDX_VERSIONS.contains(&spec_version.as_str()) {
        return Err(invalid(format!(
            "/specVersion: CycloneDX {spec_version:?} is not supported (only {})",
            CYCLONEDX_VERSIONS.join(", ")
        )));
    }
    let serial = optional_str(root, "", "serialNumber")?;
    let mut components = Vec::new();
    let subject = match root.get("metadata") {
        None | Some(Value::Null) => None,
        Some(metadata) => {
            let metadata = object(metadata, "/metadata")?;
            match metadata.get("component") {
                None | Some(Value::Null) => None,
                Some(c) => {
                    let at = "/metadata/component";
                    let subject = cyclonedx_component(c, at.to_owned())?;
                    nested_components(object(c, at)?, at, &mut components)?;
                    Some(subject)
                }
            }
        }
    };
    nested_components(root, "", &mut components)?;
    Ok(Sbom {
        format: SbomFormat::CycloneDx,
        spec_version,
        name: subject.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        serial,
        subject,
        components,
    })
}

/// Appends the components under `parent.components`, recursively, depth first.
fn nested_components(
    parent: &Map<String, Value>,
    at: &str,
    out: &mut Vec<Component>,
) -> Result<(), DomainError> {
    for (i, c) in array(parent, at, "components")?.iter().enumerate() {
        if out.len() == MAX_COMPONENTS {
            return Err(invalid(format!("more than {MAX_COMPONENTS} components")));
        }
        let path = format!("{at}/components/{i}");
        out.push(cyclonedx_component(c, path.clone())?);
        nested_components(object(c, &path)?, &path, out)?;
    }
    Ok(())
}

fn cyclonedx_component(v: &Value, path: String) -> Result<Component, DomainError> {
    let o = object(v, &path)?;
    let kind = required_str(o, &path, "type")?;
    let name = required_str(o, &path, "name")?;
    let supplier = match o.get("supplier") {
        None | Some(Value::Null) => None,
        Some(s) => optional_str(object(s, &format!("{path}/supplier"))?, &path, "name")?,
    };
    Ok(Component {
        name,
        group: optional_str(o, &path, "group")?,
        version: optional_str(o, &path, "version")?,
        purl: optional_str(o, &path, "purl")?,
        cpe: optional_str(o, &path, "cpe")?,
        supplier,
        kind: Some(kind),
        path,
    })
}

fn spdx(root: &Map<String, Value>) -> Result<Sbom, DomainError> {
    let spec_version = required_str(root, "", "spdxVersion")?;
    if !SPDX_VERSIONS.contains(&spec_version.as_str()) {
        return Err(invalid(format!(
            "/spdxVersion: {spec_version:?} is not supported (only {})",
            SPDX_VERSIONS.join(", ")
        )));
    }
    let name = required_str(root, "", "name")?;
    let serial = optional_str(root, "", "documentNamespace")?;
    let document_id =
        optional_str(root, "", "SPDXID")?.unwrap_or_else(|| "SPDXRef-DOCUMENT".to_owned());
    let packages = array(root, "", "packages")?;
    if packages.len() > MAX_COMPONENTS {
        return Err(invalid(format!("more than {MAX_COMPONENTS} packages")));
    }
    let mut parsed = Vec::with_capacity(packages.len());
    for (i, p) in packages.iter().enumerate() {
        parsed.push(spdx_package(p, format!("/packages/{i}"))?);
    }
    let described = described_ids(root, &document_id)?;
    let subject_at = described
        .iter()
        .find_map(|id| parsed.iter().position(|(spdx_id, _)| spdx_id == id));
    let mut subject = None;
    let mut components = Vec::with_capacity(parsed.len());
    for (i, (_, package)) in parsed.into_iter().enumerate() {
        if Some(i) == subject_at {
            subject = Some(package);
        } else {
            components.push(package);
        }
    }
    Ok(Sbom {
        format: SbomFormat::Spdx,
        spec_version,
        name,
        serial,
        subject,
        components,
    })
}

/// The SPDXIDs the document describes, in document order: `documentDescribes`, then
/// `DESCRIBES` relationships from the document, then `DESCRIBED_BY` ones to it.
fn described_ids(root: &Map<String, Value>, document_id: &str) -> Result<Vec<String>, DomainError> {
    let mut ids = Vec::new();
    for (i, id) in array(root, "", "documentDescribes")?.iter().enumerate() {
        match id.as_str() {
            Some(id) => ids.push(id.to_owned()),
            None => {
                return Err(invalid(format!(
                    "/documentDescribes/{i}: {} is not a string",
                    short(id)
                )));
            }
        }
    }
    for (i, r) in array(root, "", "relationships")?.iter().enumerate() {
        let at = format!("/relationships/{i}");
        let r = object(r, &at)?;
        let from = required_str(r, &at, "spdxElementId")?;
        let kind = required_str(r, &at, "relationshipType")?;
        let to = required_str(r, &at, "relatedSpdxElement")?;
        match kind.as_str() {
            "DESCRIBES" if from == document_id => ids.push(to),
            "DESCRIBED_BY" if to == document_id => ids.push(from),
            _ => {}
        }
    }
    Ok(ids)
}

/// One package and its SPDXID.
fn spdx_package(v: &Value, path: String) -> Result<(String, Component), DomainError> {
    let o = object(v, &path)?;
    let spdx_id = required_str(o, &path, "SPDXID")?;
    let name = required_str(o, &path, "name")?;
    required_str(o, &path, "downloadLocation")?;
    let mut purl = None;
    let mut cpe23 = None;
    let mut cpe22 = None;
    for (i, r) in array(o, &path, "externalRefs")?.iter().enumerate() {
        let at = format!("{path}/externalRefs/{i}");
        let r = object(r, &at)?;
        let category = required_str(r, &at, "referenceCategory")?;
        let kind = required_str(r, &at, "referenceType")?;
        let locator = required_str(r, &at, "referenceLocator")?;
        let slot = match (category.as_str(), kind.as_str()) {
            ("PACKAGE-MANAGER" | "PACKAGE_MANAGER", "purl") => &mut purl,
            ("SECURITY", "cpe23Type") => &mut cpe23,
            ("SECURITY", "cpe22Type") => &mut cpe22,
            _ => continue,
        };
        slot.get_or_insert(locator);
    }
    let supplier = optional_str(o, &path, "supplier")?.and_then(|s| spdx_agent(&s));
    Ok((
        spdx_id,
        Component {
            name,
            group: None,
            version: optional_str(o, &path, "versionInfo")?,
            purl,
            cpe: cpe23.or(cpe22),
            supplier,
            kind: optional_str(o, &path, "primaryPackagePurpose")?,
            path,
        },
    ))
}

/// The name in an SPDX agent (`Organization: Acme (contact@acme.example)`), or none
/// for `NOASSERTION`.
fn spdx_agent(s: &str) -> Option<String> {
    if s == "NOASSERTION" || s == "NONE" {
        return None;
    }
    let name = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|prefix| s.strip_prefix(prefix))
        .unwrap_or(s);
    let name = match name.rfind(" (") {
        Some(i) if name.ends_with(')') => &name[..i],
        _ => name,
    };
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }

    fn reason(e: DomainError) -> String {
        match e {
            DomainError::Invalid { field, reason } => {
                assert_eq!(field, "sbom");
                reason
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    fn vpn_firmware_1_6() -> Value {
        json!({
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
            "version": 1,
            "metadata": {
                "timestamp": "2025-03-02T10:00:00Z",
                "component": {
                    "type": "firmware",
                    "bom-ref": "fw",
                    "supplier": {"name": "Example Networks K.K.", "url": ["https://example.net"]},
                    "name": "EN-VPN 3000 firmware",
                    "version": "7.0.12",
                    "cpe": "cpe:2.3:o:examplenetworks:en-vpn_3000_firmware:7.0.12:*:*:*:*:*:*:*",
                    "components": [
                        {"type": "device", "name": "EN-VPN 3000", "version": "rev B"}
                    ]
                }
            },
            "components": [
                {
                    "type": "library",
                    "bom-ref": "openssl",
                    "supplier": {"name": "OpenSSL Software Foundation"},
                    "name": "openssl",
                    "version": "3.0.13",
                    "purl": "pkg:generic/openssl@3.0.13",
                    "cpe": "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*",
                    "hashes": [{"alg": "SHA-256", "content": "88525753f79d3bec27d2fa7c66aa0b92b3aa9498dafd93d7cfa4b3780cdae313"}]
                },
                {
                    "type": "application",
                    "name": "busybox",
                    "version": "1.36.1",
                    "purl": "pkg:generic/busybox@1.36.1"
                },
                {
                    "type": "library",
                    "group": "org.example.vpn",
                    "name": "vpn-core",
                    "version": "7.0.12",
                    "components": [
                        {
                            "type": "library",
                            "name": "zlib",
                            "version": "1.2.13",
                            "purl": "pkg:generic/zlib@1.2.13"
                        },
                        {
                            "type": "library",
                            "name": "libxml2",
                            "version": "2.11.5",
                            "components": [
                                {"type": "library", "name": "libiconv", "version": "1.17"}
                            ]
                        }
                    ]
                }
            ],
            "dependencies": [{"ref": "fw", "dependsOn": ["openssl"]}]
        })
    }

    #[test]
    fn cyclonedx_1_6_firmware() {
        let sbom = parse(&bytes(&vpn_firmware_1_6())).unwrap();
        assert_eq!(sbom.format, SbomFormat::CycloneDx);
        assert_eq!(sbom.spec_version, "1.6");
        assert_eq!(sbom.name, "EN-VPN 3000 firmware");
        assert_eq!(
            sbom.serial.as_deref(),
            Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79")
        );
        let subject = sbom.subject.as_ref().unwrap();
        assert_eq!(subject.kind.as_deref(), Some("firmware"));
        assert_eq!(subject.version.as_deref(), Some("7.0.12"));
        assert_eq!(subject.supplier.as_deref(), Some("Example Networks K.K."));
        assert_eq!(subject.path, "/metadata/component");
        let paths: Vec<&str> = sbom.components.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/metadata/component/components/0",
                "/components/0",
                "/components/1",
                "/components/2",
                "/components/2/components/0",
                "/components/2/components/1",
                "/components/2/components/1/components/0",
            ]
        );
        let openssl = &sbom.components[1];
        assert_eq!(openssl.name, "openssl");
        assert_eq!(openssl.version.as_deref(), Some("3.0.13"));
        assert_eq!(openssl.purl.as_deref(), Some("pkg:generic/openssl@3.0.13"));
        assert_eq!(
            openssl.cpe.as_deref(),
            Some("cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*")
        );
        assert_eq!(
            openssl.supplier.as_deref(),
            Some("OpenSSL Software Foundation")
        );
        assert_eq!(sbom.components[3].group.as_deref(), Some("org.example.vpn"));
        assert_eq!(sbom.components[6].name, "libiconv");
        assert_eq!(sbom.components[6].purl, None);
    }

    #[test]
    fn cyclonedx_1_5_without_metadata_component() {
        let doc = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "components": [
                {"type": "library", "name": "log4j-core", "group": "org.apache.logging.log4j",
                 "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
                {"type": "framework", "name": "spring-core", "version": "5.3.18"}
            ]
        });
        let sbom = parse(&bytes(&doc)).unwrap();
        assert_eq!(sbom.spec_version, "1.5");
        assert_eq!(sbom.name, "");
        assert_eq!(sbom.serial, None);
        assert_eq!(sbom.subject, None);
        assert_eq!(sbom.components.len(), 2);
        assert_eq!(sbom.components[1].kind.as_deref(), Some("framework"));
        assert_eq!(
            sbom.components[0].group.as_deref(),
            Some("org.apache.logging.log4j")
        );
    }

    fn spdx_2_3() -> Value {
        json!({
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "en-vpn-3000-7.0.12",
            "documentNamespace": "https://example.net/spdx/en-vpn-3000-7.0.12-4b1c",
            "creationInfo": {"created": "2025-03-02T10:00:00Z", "creators": ["Tool: example-sbom-1.0"]},
            "packages": [
                {
                    "SPDXID": "SPDXRef-firmware",
                    "name": "EN-VPN 3000 firmware",
                    "versionInfo": "7.0.12",
                    "downloadLocation": "NOASSERTION",
                    "supplier": "Organization: Example Networks K.K. (psirt@example.net)",
                    "primaryPackagePurpose": "FIRMWARE"
                },
                {
                    "SPDXID": "SPDXRef-openssl",
                    "name": "openssl",
                    "versionInfo": "3.0.13",
                    "downloadLocation": "https://www.openssl.org/source/openssl-3.0.13.tar.gz",
                    "supplier": "NOASSERTION",
                    "primaryPackagePurpose": "LIBRARY",
                    "externalRefs": [
                        {"referenceCategory": "SECURITY", "referenceType": "cpe22Type",
                         "referenceLocator": "cpe:/a:openssl:openssl:3.0.13"},
                        {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                         "referenceLocator": "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*"},
                        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:generic/openssl@3.0.13"}
                    ]
                },
                {
                    "SPDXID": "SPDXRef-busybox",
                    "name": "busybox",
                    "versionInfo": "1.36.1",
                    "downloadLocation": "NONE",
                    "externalRefs": [
                        {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:generic/busybox@1.36.1"},
                        {"referenceCategory": "OTHER", "referenceType": "swh",
                         "referenceLocator": "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2"}
                    ]
                }
            ],
            "relationships": [
                {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                 "relatedSpdxElement": "SPDXRef-firmware"},
                {"spdxElementId": "SPDXRef-firmware", "relationshipType": "CONTAINS",
                 "relatedSpdxElement": "SPDXRef-openssl"},
                {"spdxElementId": "SPDXRef-firmware", "relationshipType": "CONTAINS",
                 "relatedSpdxElement": "SPDXRef-busybox"}
            ]
        })
    }

    #[test]
    fn spdx_2_3_with_refs_and_describes() {
        let sbom = parse(&bytes(&spdx_2_3())).unwrap();
        assert_eq!(sbom.format, SbomFormat::Spdx);
        assert_eq!(sbom.spec_version, "SPDX-2.3");
        assert_eq!(sbom.name, "en-vpn-3000-7.0.12");
        assert_eq!(
            sbom.serial.as_deref(),
            Some("https://example.net/spdx/en-vpn-3000-7.0.12-4b1c")
        );
        let subject = sbom.subject.as_ref().unwrap();
        assert_eq!(subject.name, "EN-VPN 3000 firmware");
        assert_eq!(subject.supplier.as_deref(), Some("Example Networks K.K."));
        assert_eq!(subject.kind.as_deref(), Some("FIRMWARE"));
        assert_eq!(subject.path, "/packages/0");
        assert_eq!(sbom.components.len(), 2);
        let openssl = &sbom.components[0];
        assert_eq!(openssl.path, "/packages/1");
        assert_eq!(openssl.version.as_deref(), Some("3.0.13"));
        assert_eq!(openssl.purl.as_deref(), Some("pkg:generic/openssl@3.0.13"));
        assert_eq!(
            openssl.cpe.as_deref(),
            Some("cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*")
        );
        assert_eq!(openssl.supplier, None);
        let busybox = &sbom.components[1];
        assert_eq!(busybox.purl.as_deref(), Some("pkg:generic/busybox@1.36.1"));
        assert_eq!(busybox.cpe, None);
        assert_eq!(busybox.kind, None);
    }

    #[test]
    fn spdx_2_2_document_describes_and_no_subject() {
        let mut doc = spdx_2_3();
        doc["spdxVersion"] = json!("SPDX-2.2");
        doc["relationships"] = json!([]);
        doc["documentDescribes"] = json!(["SPDXRef-busybox"]);
        let sbom = parse(&bytes(&doc)).unwrap();
        assert_eq!(sbom.subject.unwrap().name, "busybox");
        assert_eq!(sbom.components.len(), 2);

        doc["documentDescribes"] = json!([]);
        let sbom = parse(&bytes(&doc)).unwrap();
        assert_eq!(sbom.subject, None);
        assert_eq!(sbom.components.len(), 3);
    }

    #[test]
    fn missing_name_at_a_nested_pointer() {
        let mut doc = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                {"type": "library", "name": "openssl"},
                {"type": "library", "name": "vpn-core", "components": [{"type": "library", "version": "1.2.13"}]}
            ]
        });
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(
            why,
            "/components/1/components/0: missing required property \"name\""
        );

        doc["components"][1]["components"][0]["name"] = json!("zlib");
        doc["components"][0].as_object_mut().unwrap().remove("type");
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(why, "/components/0: missing required property \"type\"");
    }

    #[test]
    fn spdx_package_without_download_location() {
        let mut doc = spdx_2_3();
        doc["packages"][2]
            .as_object_mut()
            .unwrap()
            .remove("downloadLocation");
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(
            why,
            "/packages/2: missing required property \"downloadLocation\""
        );
    }

    #[test]
    fn wrong_format_version_or_not_json() {
        let mut doc = vpn_firmware_1_6();
        doc["bomFormat"] = json!("SPDX");
        assert!(reason(parse(&bytes(&doc)).unwrap_err()).starts_with("/bomFormat: \"SPDX\""));

        let mut doc = vpn_firmware_1_6();
        doc["specVersion"] = json!("1.2");
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert!(why.contains("\"1.2\" is not supported"), "{why}");

        for spec in ["1.4", "1.7"] {
            doc["specVersion"] = json!(spec);
            assert!(parse(&bytes(&doc)).is_ok(), "{spec}");
        }

        let mut doc = spdx_2_3();
        doc["spdxVersion"] = json!("SPDX-3.0");
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert!(why.contains("\"SPDX-3.0\" is not supported"), "{why}");

        let why = reason(parse(br#"{"bomFormat": "CycloneDX"}"#).unwrap_err());
        assert_eq!(why, "missing required property \"specVersion\"");

        let why = reason(parse(br#"{"kind": "something else"}"#).unwrap_err());
        assert_eq!(why, "neither a CycloneDX nor an SPDX 2.3 JSON document");
        assert_eq!(
            reason(parse(b"[1, 2]").unwrap_err()),
            "neither a CycloneDX nor an SPDX 2.3 JSON document"
        );
        assert!(reason(parse(b"<bom/>").unwrap_err()).starts_with("not JSON"));
    }

    #[test]
    fn wrong_types_are_refused() {
        let mut doc = vpn_firmware_1_6();
        doc["components"][1]["version"] = json!(1.36);
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(why, "/components/1/version: 1.36 is not a string");

        let mut doc = vpn_firmware_1_6();
        doc["components"][2]["components"] = json!({"type": "library"});
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert!(why.starts_with("/components/2/components: "), "{why}");
    }

    #[test]
    fn too_deep_is_refused() {
        let mut component = json!({"type": "library", "name": "leaf"});
        for i in 0..40 {
            component =
                json!({"type": "library", "name": format!("level {i}"), "components": [component]});
        }
        let doc =
            json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component]});
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(why, "JSON nested deeper than 64 levels");
        // Brackets inside strings do not count.
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [{"type": "file", "name": "[".repeat(100) + "\\\"{"}]});
        assert!(parse(&bytes(&doc)).is_ok());
    }

    #[test]
    fn too_many_components_is_refused() {
        let components: Vec<Value> = (0..=MAX_COMPONENTS)
            .map(|_| json!({"type": "library", "name": "x"}))
            .collect();
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components});
        let why = reason(parse(&bytes(&doc)).unwrap_err());
        assert_eq!(why, "more than 200000 components");
    }

    #[test]
    fn spdx_agents() {
        assert_eq!(
            spdx_agent("Person: Jane Doe (jane@example.org)").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(spdx_agent("Organization: ACME").as_deref(), Some("ACME"));
        assert_eq!(spdx_agent("NOASSERTION"), None);
    }
}
