//! The web portal's browser sessions, and each user's second factor (TOTP) and
//! language.
//!
//! A session is stored under the SHA-256 of its random id; the raw id exists only in
//! the browser's cookie. Sessions of a user go when the user is disabled, when its
//! member leaves the council, and on logout.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::{MemberId, UserId};

use crate::{Result, Store, Tx, from_ms, parse_id, to_ms};

/// A stored portal session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    /// SHA-256 of the session id, hex.
    pub id_hash: String,
    /// The user it authenticates.
    pub user_id: UserId,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last request.
    pub last_seen_at: OffsetDateTime,
    /// Absolute expiry.
    pub expires_at: OffsetDateTime,
    /// Whether the TOTP step passed (or the user has no second factor yet).
    pub second_factor_done: bool,
    /// A TOTP secret being enrolled, until a code confirms it.
    pub totp_pending: Option<String>,
    /// Wrong TOTP codes entered in this session.
    pub failures: i64,
}

/// What the portal keeps about a user beyond [`tsunagu_core::user::User`].
#[derive(Debug, Clone, Default)]
pub struct PortalUser {
    /// `ja` or `en`.
    pub lang: String,
    /// The RFC 6238 secret (base32), once enrolled.
    pub totp_secret: Option<String>,
    /// When the second factor was enrolled.
    pub totp_enabled_at: Option<OffsetDateTime>,
}

fn session_from_row(row: &AnyRow) -> Result<PortalSession> {
    Ok(PortalSession {
        id_hash: row.try_get("id_hash")?,
        user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        last_seen_at: from_ms(row.try_get("last_seen_at")?)?,
        expires_at: from_ms(row.try_get("expires_at")?)?,
        second_factor_done: row.try_get::<i64, _>("second_factor_done")? != 0,
        totp_pending: row.try_get("totp_pending")?,
        failures: row.try_get("failures")?,
    })
}

impl Store {
    /// The session stored under `id_hash`, whatever its age (the caller checks expiry).
    ///
    /// # Errors
    /// On database failure.
    pub async fn portal_session(&self, id_hash: &str) -> Result<Option<PortalSession>> {
        sqlx::query("SELECT * FROM portal_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    /// Records a request in a session (its idle clock restarts).
    ///
    /// # Errors
    /// On database failure.
    pub async fn touch_portal_session(&self, id_hash: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE portal_sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(to_ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts a wrong TOTP code in a session; returns the failures so far.
    ///
    /// # Errors
    /// On database failure.
    pub async fn portal_session_failed(&self, id_hash: &str) -> Result<i64> {
        sqlx::query("UPDATE portal_sessions SET failures = failures + 1 WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT failures FROM portal_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(i64::MAX),
        )
    }

    /// Sets (or clears) the TOTP secret a session is enrolling.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_portal_totp_pending(&self, id_hash: &str, secret: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE portal_sessions SET totp_pending = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(secret)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes one session (a pending login that failed too often, an expired one).
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_portal_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The portal settings of a user (the defaults when it has none).
    ///
    /// # Errors
    /// On database failure.
    pub async fn portal_user(&self, user: UserId) -> Result<PortalUser> {
        let row = sqlx::query(
            "SELECT portal_lang, totp_secret, totp_enabled_at FROM users WHERE id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(PortalUser::default());
        };
        Ok(PortalUser {
            lang: row.try_get("portal_lang")?,
            totp_secret: row.try_get("totp_secret")?,
            totp_enabled_at: row
                .try_get::<Option<i64>, _>("totp_enabled_at")?
                .map(from_ms)
                .transpose()?,
        })
    }

    /// Takes TOTP time step `step` for `user`: true when no code of this step or a
    /// later one was accepted before, so each code works once.
    ///
    /// # Errors
    /// On database failure.
    pub async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE users SET totp_last_step = $2 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(user.to_string())
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Uses one of `user`'s recovery codes, by its hash: true when it existed and was
    /// not used before (then it never works again).
    ///
    /// # Errors
    /// On database failure.
    pub async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user.to_string())
        .bind(code_hash)
        .bind(to_ms(at))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// How many of `user`'s recovery codes are still unused.
    ///
    /// # Errors
    /// On database failure.
    pub async fn recovery_codes_left(&self, user: UserId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user.to_string())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Stores a user's portal language (`ja` or `en`).
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_portal_lang(&self, user: UserId, lang: &str) -> Result<()> {
        sqlx::query("UPDATE users SET portal_lang = $2 WHERE id = $1")
            .bind(user.to_string())
            .bind(lang)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Tx {
    /// Stores a new session, and drops every session that expired.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_portal_session(&mut self, s: &PortalSession) -> Result<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE expires_at <= $1")
            .bind(to_ms(s.created_at))
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO portal_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, \
             expires_at, second_factor_done, totp_pending, failures) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&s.id_hash)
        .bind(s.user_id.to_string())
        .bind(&s.csrf_token)
        .bind(to_ms(s.created_at))
        .bind(to_ms(s.last_seen_at))
        .bind(to_ms(s.expires_at))
        .bind(i64::from(s.second_factor_done))
        .bind(s.totp_pending.as_deref())
        .bind(s.failures)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes one session; true when it existed.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_portal_session(&mut self, id_hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes every session of a user (log out everywhere, the user disabled);
    /// returns how many there were.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_user_portal_sessions(&mut self, user: UserId) -> Result<u64> {
        let r = sqlx::query("DELETE FROM portal_sessions WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    /// Deletes every session of every user of a member (withdrawal, expulsion);
    /// returns how many there were.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_member_portal_sessions(&mut self, member: MemberId) -> Result<u64> {
        let r = sqlx::query(
            "DELETE FROM portal_sessions WHERE user_id IN (SELECT id FROM users WHERE member_id = $1)",
        )
        .bind(member.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected())
    }

    /// Removes a user's enrolled TOTP secret and its recovery codes (a lost
    /// authenticator), so that it logs in with its password and enrols a new one; false
    /// when it had none. The last used step is kept.
    ///
    /// # Errors
    /// On database failure.
    pub async fn reset_totp(&mut self, user: UserId) -> Result<bool> {
        self.set_recovery_codes(user, &[]).await?;
        let r = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL \
             WHERE id = $1 AND totp_secret IS NOT NULL",
        )
        .bind(user.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Replaces every recovery code of `user` with these (their hashes).
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_recovery_codes(&mut self, user: UserId, hashes: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.to_string())
                .bind(h)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Enrols a user's TOTP secret (base32). The step of the confirming code is taken,
    /// so that code cannot log in again.
    ///
    /// # Errors
    /// On database failure.
    pub async fn enable_totp(
        &mut self,
        user: UserId,
        secret: &str,
        confirmed_step: i64,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE users SET totp_secret = $2, totp_enabled_at = $3, totp_last_step = $4 WHERE id = $1",
        )
        .bind(user.to_string())
        .bind(secret)
        .bind(to_ms(at))
        .bind(confirmed_step)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
