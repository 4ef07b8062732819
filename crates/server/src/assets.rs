//! Matching product criteria against the asset registry: which members run an affected
//! version, and which of their assets it is. Candidates come from the registry's
//! indexes (the CPE's `vendor:product`, the purl's `type/namespace/name`); the NISTIR
//! 7696 match and the version ranges are then checked on each. A ranged criterion's
//! candidates are narrowed to the range by the index on the versions' sort keys.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use tsunagu_core::asset::{self, AffectedAsset, Candidate, ProductCriteria};
use tsunagu_core::cpe::Cpe;
use tsunagu_core::ids::MemberId;
use tsunagu_core::indicator::CveId;
use tsunagu_core::purl::Purl;
use tsunagu_core::version::sort_key;
use tsunagu_store::{AssetRow, KevStatus, Store};

/// The affected assets of each member that runs an affected product.
pub type Affected = BTreeMap<MemberId, Vec<AffectedAsset>>;

/// Loads the candidates of every criterion: by exact key, by vendor for a wildcard
/// product, and every asset with a CPE for a wildcard vendor.
async fn candidates(
    store: &Store,
    criteria: &ProductCriteria,
) -> tsunagu_store::Result<Vec<AssetRow>> {
    let mut cpe_keys = BTreeSet::new();
    let mut prefixes = BTreeSet::new();
    let mut ranged = Vec::new();
    for m in &criteria.cpe {
        match asset::cpe_key(&m.criteria) {
            Some(k) if m.range().is_some() => ranged.push((k, m)),
            Some(k) => {
                cpe_keys.insert(k);
            }
            None => {
                prefixes.insert(match m.criteria.vendor().unescaped() {
                    Some(vendor) => format!("{vendor}:"),
                    None => String::new(),
                });
            }
        }
    }
    let purl_keys: BTreeSet<String> = criteria
        .purl
        .iter()
        .map(|m| asset::purl_key(&m.package))
        .collect();
    let cpe_keys: Vec<String> = cpe_keys.into_iter().collect();
    let purl_keys: Vec<String> = purl_keys.into_iter().collect();
    let mut rows = store.assets_by_keys(&cpe_keys, &purl_keys).await?;
    for (key, m) in ranged {
        if cpe_keys.contains(&key) {
            continue;
        }
        let bound = |including: &Option<String>, excluding: &Option<String>| {
            including
                .as_deref()
                .map(|v| (sort_key(v), true))
                .or_else(|| excluding.as_deref().map(|v| (sort_key(v), false)))
        };
        let lower = bound(&m.version_start_including, &m.version_start_excluding);
        let upper = bound(&m.version_end_including, &m.version_end_excluding);
        rows.extend(
            store
                .assets_in_range(
                    &key,
                    lower.as_ref().map(|(k, i)| (k.as_str(), *i)),
                    upper.as_ref().map(|(k, i)| (k.as_str(), *i)),
                )
                .await?,
        );
    }
    // An empty prefix covers every other one.
    if prefixes.contains("") {
        prefixes.retain(String::is_empty);
    }
    for p in prefixes {
        rows.extend(store.assets_by_key_prefix(&p).await?);
    }
    let mut seen = HashSet::new();
    rows.retain(|r| seen.insert(r.id.clone()));
    Ok(rows)
}

/// The candidate form of a stored asset; stored names were checked on the way in.
#[must_use]
pub fn candidate(r: &AssetRow) -> Candidate {
    Candidate {
        cpe: r.cpe.as_deref().and_then(|c| Cpe::parse(c).ok()),
        cpe_derived: r.cpe_derived,
        purl: r.purl.as_deref().and_then(|p| p.parse::<Purl>().ok()),
    }
}

/// What a member is told of one of its affected assets.
#[must_use]
pub fn affected_asset(r: &AssetRow, matched: String) -> AffectedAsset {
    AffectedAsset {
        asset_id: r.id.clone(),
        label: asset::label(&r.vendor, &r.product, &r.version, &r.model),
        sbom_id: r.sbom.clone(),
        matched,
    }
}

/// What matching an asset depends on: its CPE, whether the CPE was derived, its purl.
type Names<'a> = (Option<&'a str>, bool, Option<&'a str>);

/// Every member running an asset the criteria match, with those assets.
///
/// # Errors
/// On database failure.
pub async fn affected(
    store: &Store,
    criteria: &ProductCriteria,
) -> tsunagu_store::Result<Affected> {
    let mut out = Affected::new();
    if criteria.is_empty() {
        return Ok(out);
    }
    let rows = candidates(store, criteria).await?;
    // Assets of one product share few distinct names: each is parsed and matched once.
    let mut decided: HashMap<Names<'_>, Option<String>> = HashMap::new();
    for r in &rows {
        let matched = decided
            .entry((r.cpe.as_deref(), r.cpe_derived, r.purl.as_deref()))
            .or_insert_with(|| asset::first_match(criteria, &candidate(r)));
        if let Some(matched) = matched {
            out.entry(r.member)
                .or_default()
                .push(affected_asset(r, matched.clone()));
        }
    }
    for assets in out.values_mut() {
        assets.sort();
    }
    Ok(out)
}

/// The product criteria of published catalogue entries, and which of the CVEs asked
/// for are published entries.
#[derive(Debug, Default)]
pub struct KevCriteria {
    /// The entries' CPE match criteria together.
    pub criteria: ProductCriteria,
    /// The CVEs found in the published catalogue.
    pub cves: BTreeSet<CveId>,
}

/// What "members running a product affected by CVE-…" means: the criteria of those
/// published catalogue entries.
///
/// # Errors
/// On database failure.
pub async fn criteria_of_cves(store: &Store, cves: &[CveId]) -> tsunagu_store::Result<KevCriteria> {
    let mut out = KevCriteria::default();
    if cves.is_empty() {
        return Ok(out);
    }
    for k in store.kev_entries(Some(KevStatus::Published)).await? {
        if let Some(cve) = cves.iter().find(|c| c.as_str() == k.entry.cve_id) {
            out.cves.insert(cve.clone());
            out.criteria.cpe.extend(k.entry.cpe_match);
        }
    }
    Ok(out)
}
