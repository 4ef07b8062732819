//! CSAF advisories: the documents as imported, and the CVEs they cover.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::MemberId;

use crate::{Result, Store, Tx, from_ms, parse_id, to_ms};

/// An advisory as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryRow {
    /// Identifier (a UUID).
    pub id: String,
    /// `document.publisher.namespace`.
    pub publisher_namespace: String,
    /// `document.tracking.id`.
    pub tracking_id: String,
    /// The publisher's name.
    pub publisher: String,
    /// Title.
    pub title: String,
    /// `document.category` (`csaf_security_advisory`, `csaf_vex`, …).
    pub category: String,
    /// `document.distribution.tlp.label`.
    pub tlp: Option<String>,
    /// `document.tracking.current_release_date`.
    pub release_date: OffsetDateTime,
    /// The document as sent.
    pub document: String,
    /// The CVEs it covers.
    pub cves: Vec<String>,
    /// The curator's member that imported it.
    pub imported_by: MemberId,
    /// First imported.
    pub created_at: OffsetDateTime,
    /// Last replaced by a newer release.
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "a.id, a.publisher_namespace, a.tracking_id, a.publisher, a.title, a.category, \
     a.tlp, a.release_date, a.document, a.imported_by, a.created_at, a.updated_at";

fn from_row(r: &AnyRow, cves: Vec<String>) -> Result<AdvisoryRow> {
    Ok(AdvisoryRow {
        id: r.try_get("id")?,
        publisher_namespace: r.try_get("publisher_namespace")?,
        tracking_id: r.try_get("tracking_id")?,
        publisher: r.try_get("publisher")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        tlp: r.try_get("tlp")?,
        release_date: from_ms(r.try_get("release_date")?)?,
        document: r.try_get("document")?,
        cves,
        imported_by: parse_id(&r.try_get::<String, _>("imported_by")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

impl Store {
    async fn cves_of(&self, id: &str) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT cve FROM advisory_cves WHERE advisory_id = $1 ORDER BY cve")
                .bind(id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every advisory, newest release first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn advisories(&self) -> Result<Vec<AdvisoryRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM advisories a ORDER BY a.release_date DESC, a.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            out.push(from_row(r, self.cves_of(&id).await?)?);
        }
        Ok(out)
    }

    /// One advisory.
    ///
    /// # Errors
    /// On database failure.
    pub async fn advisory(&self, id: &str) -> Result<Option<AdvisoryRow>> {
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM advisories a WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(from_row(&r, self.cves_of(id).await?)?))
    }

    /// (CVE, advisory id) for every advisory, or those covering one CVE.
    ///
    /// # Errors
    /// On database failure.
    pub async fn advisory_links(&self, cve: Option<&str>) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT cve, advisory_id FROM advisory_cves WHERE $1 IS NULL OR cve = $1 ORDER BY cve, advisory_id",
        )
        .bind(cve)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("cve")?, r.try_get("advisory_id")?)))
            .collect()
    }

    /// The ids of the advisories covering a CVE.
    ///
    /// # Errors
    /// On database failure.
    pub async fn advisories_for_cve(&self, cve: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT advisory_id FROM advisory_cves WHERE cve = $1 ORDER BY advisory_id",
        )
        .bind(cve)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Tx {
    /// The advisory a publisher issued under a tracking id, if imported.
    ///
    /// # Errors
    /// On database failure.
    pub async fn advisory_by_tracking(
        &mut self,
        namespace: &str,
        tracking_id: &str,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        let row = sqlx::query(
            "SELECT id, release_date FROM advisories WHERE publisher_namespace = $1 AND tracking_id = $2",
        )
        .bind(namespace)
        .bind(tracking_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, from_ms(r.try_get("release_date")?)?)))
            .transpose()
    }

    /// Stores an advisory, replacing the row with the same id and its CVEs.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_advisory(&mut self, a: &AdvisoryRow) -> Result<()> {
        sqlx::query("DELETE FROM advisory_cves WHERE advisory_id = $1")
            .bind(&a.id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO advisories (id, publisher_namespace, tracking_id, publisher, title, category, tlp, \
             release_date, document, imported_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET \
             publisher = excluded.publisher, title = excluded.title, category = excluded.category, tlp = excluded.tlp, \
             release_date = excluded.release_date, document = excluded.document, imported_by = excluded.imported_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&a.id)
        .bind(&a.publisher_namespace)
        .bind(&a.tracking_id)
        .bind(&a.publisher)
        .bind(&a.title)
        .bind(&a.category)
        .bind(a.tlp.as_deref())
        .bind(to_ms(a.release_date))
        .bind(&a.document)
        .bind(a.imported_by.to_string())
        .bind(to_ms(a.created_at))
        .bind(to_ms(a.updated_at))
        .execute(&mut *self.tx)
        .await?;
        for cve in &a.cves {
            sqlx::query("INSERT INTO advisory_cves (advisory_id, cve) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&a.id)
                .bind(cve)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}
