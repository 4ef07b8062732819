//! The asset registry: the products and devices each member runs, and the components of
//! its SBOMs, looked up by the keys matching uses.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::MemberId;

use crate::{Backend, Result, Sql, Store, StoreError, Tx, from_ms, parse_id, to_ms};

/// One registered asset or SBOM component, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRow {
    /// Identifier (a UUID).
    pub id: String,
    /// The member that runs it.
    pub member: MemberId,
    /// The SBOM it came from, if any.
    pub sbom: Option<String>,
    /// Vendor as registered.
    pub vendor: String,
    /// Product as registered.
    pub product: String,
    /// Version as registered.
    pub version: String,
    /// Model number.
    pub model: String,
    /// CPE 2.3 name, canonical.
    pub cpe: Option<String>,
    /// The CPE was built from vendor, product and version rather than given.
    pub cpe_derived: bool,
    /// Package URL, canonical.
    pub purl: Option<String>,
    /// `vendor:product` of the CPE, lower-cased and unescaped: the lookup key.
    pub cpe_key: Option<String>,
    /// `type/namespace/name` of the purl: the lookup key.
    pub purl_key: Option<String>,
    /// The sort key of the CPE's version, so a version range is an index range.
    pub version_key: Option<String>,
    /// The sector service it supports.
    pub sector_service: String,
    /// Reachable from the internet.
    pub internet_facing: bool,
    /// Registered.
    pub created_at: OffsetDateTime,
}

/// An uploaded SBOM, as stored; its components are assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomRow {
    /// Identifier (a UUID).
    pub id: String,
    /// The member that uploaded it.
    pub member: MemberId,
    /// What it describes.
    pub name: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// The format's version.
    pub spec_version: String,
    /// The document's serial number or namespace.
    pub serial: Option<String>,
    /// How many components it had.
    pub components: i64,
    /// The sector service it supports.
    pub sector_service: String,
    /// Reachable from the internet.
    pub internet_facing: bool,
    /// Uploaded.
    pub created_at: OffsetDateTime,
}

/// How many members run one product: the coordinator's anonymised view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCount {
    /// The lookup key (`vendor:product` or a purl's `type/namespace/name`).
    pub key: String,
    /// Members that run it.
    pub members: i64,
    /// Assets and components naming it.
    pub assets: i64,
}

const COLUMNS: &str = "id, member_id, sbom_id, vendor, product, version, model, cpe, cpe_derived, \
     purl, cpe_key, purl_key, version_key, sector_service, internet_facing, created_at";

fn asset_from_row(r: &AnyRow) -> Result<AssetRow> {
    Ok(AssetRow {
        id: r.try_get("id")?,
        member: parse_id(&r.try_get::<String, _>("member_id")?)?,
        sbom: r.try_get("sbom_id")?,
        vendor: r.try_get("vendor")?,
        product: r.try_get("product")?,
        version: r.try_get("version")?,
        model: r.try_get("model")?,
        cpe: r.try_get("cpe")?,
        cpe_derived: r.try_get::<i64, _>("cpe_derived")? != 0,
        purl: r.try_get("purl")?,
        cpe_key: r.try_get("cpe_key")?,
        purl_key: r.try_get("purl_key")?,
        version_key: r.try_get("version_key")?,
        sector_service: r.try_get("sector_service")?,
        internet_facing: r.try_get::<i64, _>("internet_facing")? != 0,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

/// [`COLUMNS`] as one JSON array per asset, aggregated into a single text value: the
/// start and the end of the select list. Matching a popular product reads tens of
/// thousands of candidates, and sqlx hands SQLite's rows over one at a time (about
/// 10 µs each on a quiet machine); one row carrying them all is read in a fraction of
/// that.
fn aggregated(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("SELECT json_group_array(json_array(", ")) AS agg"),
        Backend::Postgres => (
            "SELECT COALESCE(json_agg(json_build_array(",
            ")), '[]'::json)::text AS agg",
        ),
    }
}

/// One asset as [`aggregated`] writes it, in [`COLUMNS`] order.
type AggregatedAsset = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

/// The assets of an [`aggregated`] query.
fn from_aggregated(r: &AnyRow) -> Result<Vec<AssetRow>> {
    let text: String = r.try_get("agg")?;
    let rows: Vec<AggregatedAsset> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("aggregated assets: {e}")))?;
    rows.into_iter()
        .map(|a| {
            Ok(AssetRow {
                id: a.0,
                member: parse_id(&a.1)?,
                sbom: a.2,
                vendor: a.3,
                product: a.4,
                version: a.5,
                model: a.6,
                cpe: a.7,
                cpe_derived: a.8 != 0,
                purl: a.9,
                cpe_key: a.10,
                purl_key: a.11,
                version_key: a.12,
                sector_service: a.13,
                internet_facing: a.14 != 0,
                created_at: from_ms(a.15)?,
            })
        })
        .collect()
}

fn sbom_from_row(r: &AnyRow) -> Result<SbomRow> {
    Ok(SbomRow {
        id: r.try_get("id")?,
        member: parse_id(&r.try_get::<String, _>("member_id")?)?,
        name: r.try_get("name")?,
        format: r.try_get("format")?,
        spec_version: r.try_get("spec_version")?,
        serial: r.try_get("serial")?,
        components: r.try_get("components")?,
        sector_service: r.try_get("sector_service")?,
        internet_facing: r.try_get::<i64, _>("internet_facing")? != 0,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

impl Store {
    /// A member's assets (and SBOM components, or those of one SBOM), in registration
    /// order, a page at a time.
    ///
    /// # Errors
    /// On database failure.
    pub async fn assets_of(
        &self,
        member: MemberId,
        sbom: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let rows = match sbom {
            Some(s) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM assets WHERE member_id = $1 AND sbom_id = $2 \
                     ORDER BY seq LIMIT $3 OFFSET $4"
                )))
                .bind(member.to_string())
                .bind(s)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM assets WHERE member_id = $1 \
                     ORDER BY seq LIMIT $2 OFFSET $3"
                )))
                .bind(member.to_string())
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(asset_from_row).collect()
    }

    /// How many assets and components a member registered.
    ///
    /// # Errors
    /// On database failure.
    pub async fn asset_count(&self, member: MemberId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM assets WHERE member_id = $1")
                .bind(member.to_string())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// One asset of a member.
    ///
    /// # Errors
    /// On database failure.
    pub async fn asset(&self, member: MemberId, id: &str) -> Result<Option<AssetRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM assets WHERE member_id = $1 AND id = $2"
        )))
        .bind(member.to_string())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(asset_from_row)
        .transpose()
    }

    /// A member's SBOMs, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sboms_of(&self, member: MemberId) -> Result<Vec<SbomRow>> {
        sqlx::query("SELECT * FROM sboms WHERE member_id = $1 ORDER BY created_at DESC, id")
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(sbom_from_row)
            .collect()
    }

    /// Every asset whose CPE key or purl key is one of these: the candidates a
    /// criterion naming a product can match.
    ///
    /// # Errors
    /// On database failure.
    pub async fn assets_by_keys(
        &self,
        cpe_keys: &[String],
        purl_keys: &[String],
    ) -> Result<Vec<AssetRow>> {
        let mut out = Vec::new();
        for (column, keys) in [("cpe_key", cpe_keys), ("purl_key", purl_keys)] {
            for chunk in keys.chunks(500) {
                let (open, close) = aggregated(self.backend);
                let mut sql = Sql::bulk(self.backend);
                sql.push(open)
                    .push(COLUMNS)
                    .push(close)
                    .push(" FROM assets WHERE ")
                    .push(column)
                    .push(" IN (");
                for (i, k) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_text(k.as_str());
                }
                sql.push(")");
                out.extend(from_aggregated(&sql.query().fetch_one(&self.pool).await?)?);
            }
        }
        Ok(out)
    }

    /// Every asset with this CPE key whose version lies between the bounds, by their
    /// sort keys (each bound: the key, and whether it is included): the candidates of
    /// a ranged criterion, found by an index range.
    ///
    /// # Errors
    /// On database failure.
    pub async fn assets_in_range(
        &self,
        cpe_key: &str,
        lower: Option<(&str, bool)>,
        upper: Option<(&str, bool)>,
    ) -> Result<Vec<AssetRow>> {
        let (open, close) = aggregated(self.backend);
        let mut sql = Sql::default();
        sql.push(open)
            .push(COLUMNS)
            .push(close)
            .push(" FROM assets WHERE cpe_key = ")
            .bind_text(cpe_key);
        if let Some((k, included)) = lower {
            sql.push(if included {
                " AND version_key >= "
            } else {
                " AND version_key > "
            })
            .bind_text(k);
        } else {
            sql.push(" AND version_key IS NOT NULL");
        }
        if let Some((k, included)) = upper {
            sql.push(if included {
                " AND version_key <= "
            } else {
                " AND version_key < "
            })
            .bind_text(k);
        }
        from_aggregated(&sql.query().fetch_one(&self.pool).await?)
    }

    /// Every asset with a CPE whose key starts with `prefix` (all of them for an empty
    /// prefix): the candidates of a criterion with a wildcard vendor or product.
    ///
    /// # Errors
    /// On database failure.
    pub async fn assets_by_key_prefix(&self, prefix: &str) -> Result<Vec<AssetRow>> {
        let pattern: String = prefix
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '!' => vec!['!', c],
                c => vec![c],
            })
            .chain(['%'])
            .collect();
        let (open, close) = aggregated(self.backend);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{open}{COLUMNS}{close} FROM assets WHERE cpe_key LIKE $1 ESCAPE '!'"
        )))
        .bind(pattern)
        .fetch_one(&self.pool)
        .await?;
        from_aggregated(&row)
    }

    /// How many members run each product, most-run first: anonymised counts for the
    /// coordinator ("37 members run product X").
    ///
    /// # Errors
    /// On database failure.
    pub async fn product_counts(&self, limit: i64) -> Result<Vec<ProductCount>> {
        let rows = sqlx::query(
            "SELECT k, COUNT(DISTINCT member_id) AS members, COUNT(*) AS assets FROM ( \
               SELECT cpe_key AS k, member_id FROM assets WHERE cpe_key IS NOT NULL \
               UNION ALL \
               SELECT purl_key AS k, member_id FROM assets WHERE purl_key IS NOT NULL AND cpe_key IS NULL \
             ) AS keyed GROUP BY k ORDER BY members DESC, k LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProductCount {
                    key: r.try_get("k")?,
                    members: r.try_get("members")?,
                    assets: r.try_get("assets")?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Stores assets in multi-row statements.
    ///
    /// # Errors
    /// On database failure.
    pub async fn add_assets(&mut self, assets: &[AssetRow]) -> Result<()> {
        for chunk in assets.chunks(400) {
            let mut sql = Sql::bulk(self.backend);
            sql.push("INSERT INTO assets (")
                .push(COLUMNS)
                .push(") VALUES ");
            for (i, a) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind_text(a.id.as_str());
                sql.push(", ").bind_text(a.member.to_string());
                sql.push(", ");
                sql.bind_opt_text(a.sbom.as_deref());
                for v in [&a.vendor, &a.product, &a.version, &a.model] {
                    sql.push(", ").bind_text(v.as_str());
                }
                sql.push(", ");
                sql.bind_opt_text(a.cpe.as_deref());
                sql.push(", ").bind_int(i64::from(a.cpe_derived));
                for v in [&a.purl, &a.cpe_key, &a.purl_key, &a.version_key] {
                    sql.push(", ");
                    sql.bind_opt_text(v.as_deref());
                }
                sql.push(", ").bind_text(a.sector_service.as_str());
                sql.push(", ").bind_int(i64::from(a.internet_facing));
                sql.push(", ").bind_int(to_ms(a.created_at)).push(")");
            }
            sql.query().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Stores an SBOM's record (its components go through [`Tx::add_assets`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn add_sbom(&mut self, s: &SbomRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO sboms (id, member_id, name, format, spec_version, serial, components, \
             sector_service, internet_facing, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&s.id)
        .bind(s.member.to_string())
        .bind(&s.name)
        .bind(&s.format)
        .bind(&s.spec_version)
        .bind(s.serial.as_deref())
        .bind(s.components)
        .bind(&s.sector_service)
        .bind(i64::from(s.internet_facing))
        .bind(to_ms(s.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes one of a member's assets; false when it has none by that id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_asset(&mut self, member: MemberId, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM assets WHERE member_id = $1 AND id = $2")
            .bind(member.to_string())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes one of a member's SBOMs and its components; false when it has none by
    /// that id.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_sbom(&mut self, member: MemberId, id: &str) -> Result<bool> {
        sqlx::query("DELETE FROM assets WHERE member_id = $1 AND sbom_id = $2")
            .bind(member.to_string())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        let done = sqlx::query("DELETE FROM sboms WHERE member_id = $1 AND id = $2")
            .bind(member.to_string())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
