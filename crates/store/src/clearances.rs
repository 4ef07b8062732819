//! Security clearances of users (M2.8).

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::clearance::Grant;
use tsunagu_core::ids::{ClearanceId, MemberId, UserId};

use crate::{Result, Store, Tx, from_ms, parse_id, to_ms};

fn grant_from_row(row: &AnyRow) -> Result<Grant> {
    Ok(Grant {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        user: parse_id(&row.try_get::<String, _>("user_id")?)?,
        level: row.try_get("level")?,
        starts_at: from_ms(row.try_get("starts_at")?)?,
        expires_at: from_ms(row.try_get("expires_at")?)?,
        basis: row.try_get("basis")?,
        granted_at: from_ms(row.try_get("granted_at")?)?,
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_ms)
            .transpose()?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}

/// A grant with the user it clears, for the coordinator's list.
#[derive(Debug, Clone)]
pub struct ClearanceRow {
    /// The grant.
    pub grant: Grant,
    /// The user's login.
    pub login: String,
    /// The user's member.
    pub member: MemberId,
}

const LISTED: &str =
    "SELECT c.*, u.login, u.member_id FROM clearances c JOIN users u ON u.id = c.user_id";

fn listed_from_row(row: &AnyRow) -> Result<ClearanceRow> {
    Ok(ClearanceRow {
        grant: grant_from_row(row)?,
        login: row.try_get("login")?,
        member: parse_id(&row.try_get::<String, _>("member_id")?)?,
    })
}

impl Store {
    /// Every grant of a user, revoked and expired ones included, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn clearances_of(&self, user: UserId) -> Result<Vec<Grant>> {
        let rows =
            sqlx::query("SELECT * FROM clearances WHERE user_id = $1 ORDER BY granted_at DESC")
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(grant_from_row).collect()
    }

    /// Every grant, or those of one member's users, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn clearances(&self, member: Option<MemberId>) -> Result<Vec<ClearanceRow>> {
        let rows = match member {
            Some(m) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{LISTED} WHERE u.member_id = $1 ORDER BY c.granted_at DESC"
                )))
                .bind(m.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{LISTED} ORDER BY c.granted_at DESC"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(listed_from_row).collect()
    }

    /// One grant with its user.
    ///
    /// # Errors
    /// On database failure.
    pub async fn clearance(&self, id: ClearanceId) -> Result<Option<ClearanceRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{LISTED} WHERE c.id = $1")))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(listed_from_row)
            .transpose()
    }
}

impl Tx {
    /// Stores a new grant.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_clearance(&mut self, g: &Grant, by: UserId) -> Result<()> {
        sqlx::query(
            "INSERT INTO clearances (id, user_id, level, starts_at, expires_at, basis, granted_by, granted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(g.id.to_string())
        .bind(g.user.to_string())
        .bind(&g.level)
        .bind(to_ms(g.starts_at))
        .bind(to_ms(g.expires_at))
        .bind(&g.basis)
        .bind(by.to_string())
        .bind(to_ms(g.granted_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Changes an unrevoked grant's level, expiry and basis; false when there is none.
    /// A new expiry is audited again when it passes.
    ///
    /// # Errors
    /// On database failure.
    pub async fn change_clearance(&mut self, g: &Grant) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE clearances SET level = $1, expires_at = $2, basis = $3, expiry_audited = 0 \
             WHERE id = $4 AND revoked_at IS NULL",
        )
        .bind(&g.level)
        .bind(to_ms(g.expires_at))
        .bind(&g.basis)
        .bind(g.id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes a grant; false when it is already revoked or does not exist.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_clearance(
        &mut self,
        id: ClearanceId,
        by: UserId,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE clearances SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
             WHERE id = $4 AND revoked_at IS NULL",
        )
        .bind(to_ms(at))
        .bind(by.to_string())
        .bind(reason)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Unrevoked grants that expired by `now` and whose expiry is not yet audited,
    /// marked audited (each by one server only): the caller writes their audit entries in the same transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn take_expired_clearances(&mut self, now: OffsetDateTime) -> Result<Vec<Grant>> {
        let rows = sqlx::query(
            "SELECT * FROM clearances WHERE expiry_audited = 0 AND expires_at <= $1 \
             AND revoked_at IS NULL ORDER BY expires_at LIMIT 500",
        )
        .bind(to_ms(now))
        .fetch_all(&mut *self.tx)
        .await?;
        let mut taken = Vec::with_capacity(rows.len());
        for row in &rows {
            let g = grant_from_row(row)?;
            // Another server may be sweeping too: only the one that marks it audits it.
            let r = sqlx::query(
                "UPDATE clearances SET expiry_audited = 1 WHERE id = $1 AND expiry_audited = 0",
            )
            .bind(g.id.to_string())
            .execute(&mut *self.tx)
            .await?;
            if r.rows_affected() == 1 {
                taken.push(g);
            }
        }
        Ok(taken)
    }
}
