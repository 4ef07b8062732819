//! Incidents and every version of their reports, each with the members it was routed
//! to when it was submitted. Reports are not items: no export or feed reads them.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tsunagu_core::ids::MemberId;
use tsunagu_core::incident::{
    Incident, IncidentId, IncidentKind, Recipient, RecipientRole, Regime, Report,
};
use tsunagu_core::member::Sector;

use crate::{Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, parse_json, to_ms};

fn incident_from_row(r: &AnyRow) -> Result<Incident> {
    Ok(Incident {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        reporter: parse_id(&r.try_get::<String, _>("reporter")?)?,
        reporter_sector: parse_enum(&r.try_get::<String, _>("reporter_sector")?, Sector::parse)?,
        kind: parse_enum(&r.try_get::<String, _>("kind")?, IncidentKind::parse)?,
        regime: parse_enum(&r.try_get::<String, _>("regime")?, Regime::parse)?,
        title: r.try_get("title")?,
        aware_at: from_ms(r.try_get("aware_at")?)?,
        consent_to_share: r.try_get::<i64, _>("consent_to_share")? != 0,
        shared_item: r
            .try_get::<Option<String>, _>("shared_item")?
            .map(|s| parse_id(&s))
            .transpose()?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

/// Recipients keyed by (incident, version).
type Routing = BTreeMap<(String, i64), BTreeSet<Recipient>>;

fn routing_from_rows(rows: &[AnyRow]) -> Result<Routing> {
    let mut out = Routing::new();
    for r in rows {
        let member: MemberId = parse_id(&r.try_get::<String, _>("member_id")?)?;
        let role = parse_enum(&r.try_get::<String, _>("role")?, RecipientRole::parse)?;
        out.entry((r.try_get("incident_id")?, r.try_get("version")?))
            .or_default()
            .insert(Recipient { member, role });
    }
    Ok(out)
}

fn report_from_row(r: &AnyRow, routing: &mut Routing) -> Result<Report> {
    let incident: String = r.try_get("incident_id")?;
    let version: i64 = r.try_get("version")?;
    Ok(Report {
        incident: parse_id(&incident)?,
        version,
        content: parse_json(&r.try_get::<String, _>("document")?)?,
        submitted_by: parse_id(&r.try_get::<String, _>("submitted_by")?)?,
        submitted_at: from_ms(r.try_get("submitted_at")?)?,
        routed_to: routing.remove(&(incident, version)).unwrap_or_default(),
    })
}

/// Every report of `id`, oldest first, with its recipients.
async fn reports_of(conn: &mut AnyConnection, id: IncidentId) -> Result<Vec<Report>> {
    let routing = sqlx::query(
        "SELECT incident_id, version, member_id, role FROM incident_recipients WHERE incident_id = $1",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut routing = routing_from_rows(&routing)?;
    let rows =
        sqlx::query("SELECT * FROM incident_reports WHERE incident_id = $1 ORDER BY version")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| report_from_row(r, &mut routing))
        .collect()
}

async fn incident_of(conn: &mut AnyConnection, id: IncidentId) -> Result<Option<Incident>> {
    sqlx::query("SELECT * FROM incidents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(incident_from_row)
        .transpose()
}

/// The incidents a member may know of: those it reported and those with a report
/// routed to it (the member's id bound as `$1` and `$2`).
const VISIBLE: &str = "SELECT id FROM incidents WHERE reporter = $1 \
     UNION SELECT incident_id FROM incident_recipients WHERE member_id = $2";

impl Store {
    /// One incident.
    ///
    /// # Errors
    /// On database failure.
    pub async fn incident(&self, id: IncidentId) -> Result<Option<Incident>> {
        let mut conn = self.pool.acquire().await?;
        incident_of(&mut conn, id).await
    }

    /// Every report of an incident, oldest first, with whom each was routed to.
    ///
    /// # Errors
    /// On database failure.
    pub async fn incident_reports(&self, id: IncidentId) -> Result<Vec<Report>> {
        let mut conn = self.pool.acquire().await?;
        reports_of(&mut conn, id).await
    }

    /// The incidents `member` reported or received a report of, newest first, each
    /// with all its reports (the caller shows only those routed to the member).
    ///
    /// # Errors
    /// On database failure.
    pub async fn incidents_for(&self, member: MemberId) -> Result<Vec<(Incident, Vec<Report>)>> {
        let m = member.to_string();
        let mut conn = self.pool.acquire().await?;
        let incidents = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM incidents WHERE id IN ({VISIBLE}) ORDER BY created_at DESC, id DESC"
        )))
        .bind(&m)
        .bind(&m)
        .fetch_all(&mut *conn)
        .await?;
        let routing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT incident_id, version, member_id, role FROM incident_recipients \
             WHERE incident_id IN ({VISIBLE})"
        )))
        .bind(&m)
        .bind(&m)
        .fetch_all(&mut *conn)
        .await?;
        let mut routing = routing_from_rows(&routing)?;
        let reports = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM incident_reports WHERE incident_id IN ({VISIBLE}) \
             ORDER BY incident_id, version"
        )))
        .bind(&m)
        .bind(&m)
        .fetch_all(&mut *conn)
        .await?;
        let mut by_incident: BTreeMap<IncidentId, Vec<Report>> = BTreeMap::new();
        for r in &reports {
            let report = report_from_row(r, &mut routing)?;
            by_incident.entry(report.incident).or_default().push(report);
        }
        incidents
            .iter()
            .map(|r| {
                let i = incident_from_row(r)?;
                let reports = by_incident.remove(&i.id).unwrap_or_default();
                Ok((i, reports))
            })
            .collect()
    }
}

impl Tx {
    /// One incident, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn incident(&mut self, id: IncidentId) -> Result<Option<Incident>> {
        incident_of(&mut self.tx, id).await
    }

    /// Every report of an incident, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn incident_reports(&mut self, id: IncidentId) -> Result<Vec<Report>> {
        reports_of(&mut self.tx, id).await
    }

    /// Stores a new incident (its reports follow with [`Tx::insert_report`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_incident(&mut self, i: &Incident) -> Result<()> {
        sqlx::query(
            "INSERT INTO incidents (id, reporter, reporter_sector, kind, regime, title, aware_at, \
             consent_to_share, shared_item, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(i.id.to_string())
        .bind(i.reporter.to_string())
        .bind(i.reporter_sector.as_str())
        .bind(i.kind.as_str())
        .bind(i.regime.as_str())
        .bind(&i.title)
        .bind(to_ms(i.aware_at))
        .bind(i64::from(i.consent_to_share))
        .bind(i.shared_item.map(|s| s.to_string()))
        .bind(to_ms(i.created_at))
        .bind(to_ms(i.updated_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Saves an incident's consent, shared item and time of change.
    ///
    /// # Errors
    /// On database failure.
    pub async fn update_incident(&mut self, i: &Incident) -> Result<()> {
        sqlx::query(
            "UPDATE incidents SET consent_to_share = $2, shared_item = $3, updated_at = $4 \
             WHERE id = $1",
        )
        .bind(i.id.to_string())
        .bind(i64::from(i.consent_to_share))
        .bind(i.shared_item.map(|s| s.to_string()))
        .bind(to_ms(i.updated_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a new version of an incident's reports with its recipients; a version
    /// that exists already is refused ([`StoreError::Duplicate`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_report(&mut self, r: &Report) -> Result<()> {
        let document =
            serde_json::to_string(&r.content).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let incident = r.incident.to_string();
        sqlx::query(
            "INSERT INTO incident_reports (incident_id, version, stage, purpose, document, \
             submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&incident)
        .bind(r.version)
        .bind(r.content.stage.as_str())
        .bind(r.content.purpose.as_str())
        .bind(document)
        .bind(r.submitted_by.to_string())
        .bind(to_ms(r.submitted_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        for to in &r.routed_to {
            sqlx::query(
                "INSERT INTO incident_recipients (incident_id, version, member_id, role) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&incident)
            .bind(r.version)
            .bind(to.member.to_string())
            .bind(to.role.as_str())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}
