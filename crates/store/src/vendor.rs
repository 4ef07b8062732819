//! Vendor coordination: the council's requests to a product vendor about a catalogue
//! entry, where the fix stands, and the history of answers. The vendor is a member of
//! the council (it answers itself) or an outside contact reached by e-mail (curators
//! record its answers).

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tsunagu_core::ids::MemberId;
use uuid::Uuid;

use crate::{Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, to_ms};

/// Where a vendor request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorStatus {
    /// Sent to the vendor, no answer yet.
    Sent,
    /// The vendor confirmed it received the request.
    Acknowledged,
    /// The vendor plans a fix (with a date).
    FixPlanned,
    /// A fixed version exists (final).
    Fixed,
    /// The vendor will not fix it (final).
    NoFix,
}

impl VendorStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 5] = [
        Self::Sent,
        Self::Acknowledged,
        Self::FixPlanned,
        Self::Fixed,
        Self::NoFix,
    ];

    /// The stored and API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Acknowledged => "acknowledged",
            Self::FixPlanned => "fix_planned",
            Self::Fixed => "fixed",
            Self::NoFix => "no_fix",
        }
    }

    /// The status named `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the request is settled: no further status changes.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Fixed | Self::NoFix)
    }
}

/// Who the request is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorContact {
    /// A member of the council: it sees the request and answers itself.
    Member(MemberId),
    /// A vendor outside the council, reached by e-mail.
    Outside {
        /// The vendor's name.
        name: String,
        /// Where the request is mailed.
        email: String,
    },
}

/// One entry of a request's history: the opening, an answer, an update or a note.
#[derive(Debug, Clone)]
pub struct VendorUpdate {
    /// When.
    pub at: OffsetDateTime,
    /// Who, as shown: a member id, `vendor by e-mail` or `council`.
    pub by: String,
    /// The member whose user wrote the entry (none for the server's own notes).
    pub recorded_by: Option<MemberId>,
    /// The request's status after this entry.
    pub status: VendorStatus,
    /// What was said or done.
    pub text: String,
}

/// A vendor request as stored.
#[derive(Debug, Clone)]
pub struct VendorRequest {
    /// Identifier (UUIDv7).
    pub id: Uuid,
    /// The catalogue entry it is about.
    pub cve: String,
    /// The vendor.
    pub vendor: VendorContact,
    /// The vendor's product concerned.
    pub product: String,
    /// What the council asks.
    pub message: String,
    /// Where it stands.
    pub status: VendorStatus,
    /// When the vendor plans the fix (YYYY-MM-DD).
    pub planned_fix_date: Option<String>,
    /// The version that fixes it.
    pub fixed_version: Option<String>,
    /// Every entry, oldest first; the first is the opening.
    pub history: Vec<VendorUpdate>,
    /// The curator's member that opened it.
    pub created_by: MemberId,
    /// Opened.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// A vendor's latest status on a catalogue entry, as the catalogue shows it.
#[derive(Debug, Clone)]
pub struct VendorStatusRow {
    /// The vendor's name (a member vendor's member name).
    pub vendor: String,
    /// Where its request stands.
    pub status: VendorStatus,
    /// When it plans the fix.
    pub planned_fix_date: Option<String>,
    /// The version that fixes it.
    pub fixed_version: Option<String>,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

fn status_of(s: &str) -> Result<VendorStatus> {
    parse_enum(s, VendorStatus::parse)
}

fn request_from_row(r: &AnyRow, history: Vec<VendorUpdate>) -> Result<VendorRequest> {
    let vendor = match r.try_get::<Option<String>, _>("vendor_member")? {
        Some(m) => VendorContact::Member(parse_id(&m)?),
        None => VendorContact::Outside {
            name: r
                .try_get::<Option<String>, _>("vendor_name")?
                .unwrap_or_default(),
            email: r
                .try_get::<Option<String>, _>("contact_email")?
                .unwrap_or_default(),
        },
    };
    Ok(VendorRequest {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        cve: r.try_get("cve_id")?,
        vendor,
        product: r.try_get("product")?,
        message: r.try_get("message")?,
        status: status_of(&r.try_get::<String, _>("status")?)?,
        planned_fix_date: r.try_get("planned_fix_date")?,
        fixed_version: r.try_get("fixed_version")?,
        history,
        created_by: parse_id(&r.try_get::<String, _>("created_by")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

fn update_from_row(r: &AnyRow) -> Result<VendorUpdate> {
    Ok(VendorUpdate {
        at: from_ms(r.try_get("at")?)?,
        by: r.try_get("by_label")?,
        recorded_by: r
            .try_get::<Option<String>, _>("recorded_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        status: status_of(&r.try_get::<String, _>("status")?)?,
        text: r.try_get("text")?,
    })
}

/// One request with its history.
async fn fetch_request(conn: &mut AnyConnection, id: Uuid) -> Result<Option<VendorRequest>> {
    let Some(row) = sqlx::query("SELECT * FROM vendor_requests WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let history =
        sqlx::query("SELECT * FROM vendor_request_updates WHERE request_id = $1 ORDER BY n")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(update_from_row)
            .collect::<Result<Vec<_>>>()?;
    request_from_row(&row, history).map(Some)
}

impl Store {
    /// Every request, or those addressed to member `to`, newest first, with their
    /// histories.
    ///
    /// # Errors
    /// On database failure.
    pub async fn vendor_requests(&self, to: Option<MemberId>) -> Result<Vec<VendorRequest>> {
        let (rows, updates) = match to {
            Some(m) => {
                let rows = sqlx::query(
                    "SELECT * FROM vendor_requests WHERE vendor_member = $1 ORDER BY id DESC",
                )
                .bind(m.to_string())
                .fetch_all(&self.pool)
                .await?;
                let updates = sqlx::query(
                    "SELECT u.* FROM vendor_request_updates u JOIN vendor_requests r \
                     ON r.id = u.request_id WHERE r.vendor_member = $1 ORDER BY u.request_id, u.n",
                )
                .bind(m.to_string())
                .fetch_all(&self.pool)
                .await?;
                (rows, updates)
            }
            None => (
                sqlx::query("SELECT * FROM vendor_requests ORDER BY id DESC")
                    .fetch_all(&self.pool)
                    .await?,
                sqlx::query("SELECT * FROM vendor_request_updates ORDER BY request_id, n")
                    .fetch_all(&self.pool)
                    .await?,
            ),
        };
        let mut histories: HashMap<String, Vec<VendorUpdate>> = HashMap::new();
        for u in &updates {
            histories
                .entry(u.try_get("request_id")?)
                .or_default()
                .push(update_from_row(u)?);
        }
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                request_from_row(r, histories.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// One request with its history.
    ///
    /// # Errors
    /// On database failure.
    pub async fn vendor_request(&self, id: Uuid) -> Result<Option<VendorRequest>> {
        let mut conn = self.pool.acquire().await?;
        fetch_request(&mut conn, id).await
    }

    /// The vendors' statuses on catalogue entry `cve` (every entry's for `None`), one
    /// per request with its CVE, oldest request first; a member vendor is named by its
    /// member name.
    ///
    /// # Errors
    /// On database failure.
    pub async fn vendor_statuses(
        &self,
        cve: Option<&str>,
    ) -> Result<Vec<(String, VendorStatusRow)>> {
        let rows = sqlx::query(
            "SELECT r.cve_id, COALESCE(m.name, r.vendor_name) AS vendor, r.status, r.planned_fix_date, \
             r.fixed_version, r.updated_at FROM vendor_requests r \
             LEFT JOIN members m ON m.id = r.vendor_member \
             WHERE $1 IS NULL OR r.cve_id = $1 ORDER BY r.id",
        )
        .bind(cve)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("cve_id")?,
                    VendorStatusRow {
                        vendor: r
                            .try_get::<Option<String>, _>("vendor")?
                            .unwrap_or_default(),
                        status: status_of(&r.try_get::<String, _>("status")?)?,
                        planned_fix_date: r.try_get("planned_fix_date")?,
                        fixed_version: r.try_get("fixed_version")?,
                        updated_at: from_ms(r.try_get("updated_at")?)?,
                    },
                ))
            })
            .collect()
    }
}

impl Tx {
    /// One request with its history, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn vendor_request(&mut self, id: Uuid) -> Result<Option<VendorRequest>> {
        fetch_request(&mut self.tx, id).await
    }

    /// Stores a new request with its history.
    ///
    /// # Errors
    /// On database failure; [`StoreError::Duplicate`] when the id exists.
    pub async fn insert_vendor_request(&mut self, r: &VendorRequest) -> Result<()> {
        let (member, name, email) = match &r.vendor {
            VendorContact::Member(m) => (Some(m.to_string()), None, None),
            VendorContact::Outside { name, email } => {
                (None, Some(name.clone()), Some(email.clone()))
            }
        };
        sqlx::query(
            "INSERT INTO vendor_requests (id, cve_id, vendor_member, vendor_name, contact_email, \
             product, message, status, planned_fix_date, fixed_version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(r.id.to_string())
        .bind(&r.cve)
        .bind(member)
        .bind(name)
        .bind(email)
        .bind(&r.product)
        .bind(&r.message)
        .bind(r.status.as_str())
        .bind(r.planned_fix_date.clone())
        .bind(r.fixed_version.clone())
        .bind(r.created_by.to_string())
        .bind(to_ms(r.created_at))
        .bind(to_ms(r.updated_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        for (n, u) in r.history.iter().enumerate() {
            self.insert_update(r.id, n, u).await?;
        }
        Ok(())
    }

    /// Saves a request's current status, date, version and time, and the last entry of
    /// its history (just appended).
    ///
    /// # Errors
    /// On database failure; [`StoreError::Corrupt`] when the history is empty.
    pub async fn save_vendor_update(&mut self, r: &VendorRequest) -> Result<()> {
        let last = r.history.last().ok_or_else(|| {
            StoreError::Corrupt(format!("vendor request {} has no history", r.id))
        })?;
        sqlx::query(
            "UPDATE vendor_requests SET status = $1, planned_fix_date = $2, fixed_version = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(r.status.as_str())
        .bind(r.planned_fix_date.clone())
        .bind(r.fixed_version.clone())
        .bind(to_ms(r.updated_at))
        .bind(r.id.to_string())
        .execute(&mut *self.tx)
        .await?;
        self.insert_update(r.id, r.history.len() - 1, last).await
    }

    async fn insert_update(&mut self, id: Uuid, n: usize, u: &VendorUpdate) -> Result<()> {
        let n = i64::try_from(n).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO vendor_request_updates (request_id, n, at, by_label, recorded_by, status, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(n)
        .bind(to_ms(u.at))
        .bind(&u.by)
        .bind(u.recorded_by.map(|m| m.to_string()))
        .bind(u.status.as_str())
        .bind(&u.text)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }
}
