//! Users, their password hashes and API tokens.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::{MemberId, TokenId, UserId};
use tsunagu_core::user::{User, UserRole, Viewer};

use crate::{Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, to_ms};

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        member_id: parse_id(&row.try_get::<String, _>("member_id")?)?,
        login: row.try_get("login")?,
        role: parse_enum(&row.try_get::<String, _>("role")?, UserRole::parse)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

/// A user with its password hash, for logging in.
#[derive(Debug, Clone)]
pub struct UserWithHash {
    /// The user.
    pub user: User,
    /// Its argon2id PHC string.
    pub password_hash: String,
}

/// An API token to store: only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Identifier.
    pub id: TokenId,
    /// Owner.
    pub user_id: UserId,
    /// Owner's member.
    pub member_id: MemberId,
    /// A label chosen by the user.
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// Expiry.
    pub expires_at: OffsetDateTime,
}

/// A stored token as its owner sees it (never the secret).
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Identifier.
    pub id: TokenId,
    /// Owner.
    pub user_id: UserId,
    /// Label.
    pub name: String,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// When revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

fn token_from_row(row: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        name: row.try_get("name")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        expires_at: from_ms(row.try_get("expires_at")?)?,
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_ms)
            .transpose()?,
    })
}

impl Store {
    /// Looks a user up by login, with its password hash.
    ///
    /// # Errors
    /// On database failure.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserWithHash>> {
        let row = sqlx::query("SELECT * FROM users WHERE login = $1")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserWithHash {
                user: user_from_row(&r)?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// One user.
    ///
    /// # Errors
    /// On database failure.
    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// The users of a member.
    ///
    /// # Errors
    /// On database failure.
    pub async fn users_of(&self, member: MemberId) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE member_id = $1 ORDER BY login")
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Resolves a token hash to the viewer it authenticates, if the token is live: not
    /// revoked, not expired, its user enabled. The member's status is returned as is;
    /// the caller refuses inactive members. The viewer has no clearance yet: the caller
    /// loads it with the council's levels.
    ///
    /// # Errors
    /// On database failure.
    pub async fn viewer_by_token_hash(
        &self,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Viewer>> {
        let row = sqlx::query(
            "SELECT u.id, u.member_id, u.login, u.role, u.disabled FROM tokens t \
             JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.disabled = 0",
        )
        .bind(hash)
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let member = self
            .member(user.member_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("user {} has no member", user.id)))?;
        Ok(Some(Viewer::uncleared(user, member)))
    }

    /// The tokens of a user, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn tokens_of(&self, user: UserId) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE user_id = $1 ORDER BY created_at DESC")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from_row).collect()
    }
}

impl Tx {
    /// Inserts a user with its argon2id password hash.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the login is taken.
    pub async fn insert_user(&mut self, u: &User, password_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, member_id, login, password_hash, role, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(u.id.to_string())
        .bind(u.member_id.to_string())
        .bind(&u.login)
        .bind(password_hash)
        .bind(u.role.as_str())
        .bind(i64::from(u.disabled))
        .bind(to_ms(OffsetDateTime::now_utc()))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Replaces a user's password hash.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_password(&mut self, id: UserId, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(password_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Disables a user and revokes its tokens; returns how many tokens were revoked.
    ///
    /// # Errors
    /// On database failure.
    pub async fn disable_user(&mut self, id: UserId) -> Result<u64> {
        sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await?;
        let r = sqlx::query(
            "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(to_ms(OffsetDateTime::now_utc()))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected())
    }

    /// Stores a token (its hash only).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_token(&mut self, t: &NewToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, user_id, member_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.id.to_string())
        .bind(t.user_id.to_string())
        .bind(t.member_id.to_string())
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(to_ms(OffsetDateTime::now_utc()))
        .bind(to_ms(t.expires_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Revokes one token of `user`; false when there was no such live token.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_token(&mut self, id: TokenId, user: UserId) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(to_ms(OffsetDateTime::now_utc()))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes every live token of every user of a member (withdrawal, expulsion);
    /// returns how many were revoked.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_member_tokens(&mut self, member: MemberId) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE tokens SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL",
        )
        .bind(member.to_string())
        .bind(to_ms(OffsetDateTime::now_utc()))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected())
    }
}
