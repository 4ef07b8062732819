//! Governance (M1.5, M1.6): declarations of a large-scale cyber attack, requests for
//! information with their recipients and answers, and general-assembly votes.
//!
//! A vote's secrecy rests on storage: who voted ([`Tx::cast_ballot`] writes
//! `vote_voters`) and what was voted (`vote_ballots`: a receipt hash and a choice, no
//! time) are kept in two tables that share nothing but the vote, so no query joins a
//! member to a choice. The residual risk is timing: the voters' times (and the audit
//! log's) against the physical order in which ballot rows were written.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::governance::{Declaration, DeclarationTerms, Rfi, RfiAnswer, Vote};
use tsunagu_core::ids::MemberId;
use uuid::Uuid;

use crate::{Result, Store, StoreError, Tx, from_ms, parse_id, parse_json, to_ms};

fn opt_ms(r: &AnyRow, col: &str) -> Result<Option<OffsetDateTime>> {
    r.try_get::<Option<i64>, _>(col)?.map(from_ms).transpose()
}

fn opt_id<T: std::str::FromStr>(r: &AnyRow, col: &str) -> Result<Option<T>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| parse_id(&s))
        .transpose()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn declaration_from_row(r: &AnyRow) -> Result<Declaration> {
    Ok(Declaration {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        terms: DeclarationTerms {
            reason: r.try_get("reason")?,
            starts_at: from_ms(r.try_get("starts_at")?)?,
            ends_at: opt_ms(r, "ends_at")?,
        },
        ended_early: r.try_get::<i64, _>("ended_early")? != 0,
        proposed_by: parse_id(&r.try_get::<String, _>("proposed_by")?)?,
        confirmed_by: opt_id(r, "confirmed_by")?,
        confirmed_at: opt_ms(r, "confirmed_at")?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

fn rfi_from_row(r: &AnyRow) -> Result<Rfi> {
    Ok(Rfi {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        title: r.try_get("title")?,
        question: r.try_get("question")?,
        target: parse_json(&r.try_get::<String, _>("target")?)?,
        declaration: opt_id(r, "declaration_id")?,
        sent_by: parse_id(&r.try_get::<String, _>("sent_by")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

fn answer_from_row(r: &AnyRow) -> Result<RfiAnswer> {
    Ok(RfiAnswer {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        rfi: parse_id(&r.try_get::<String, _>("rfi_id")?)?,
        member: parse_id(&r.try_get::<String, _>("member_id")?)?,
        user: parse_id(&r.try_get::<String, _>("user_id")?)?,
        text: r.try_get("body")?,
        items: parse_json(&r.try_get::<String, _>("items")?)?,
        late: r.try_get::<i64, _>("late")? != 0,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

fn vote_from_row(r: &AnyRow) -> Result<Vote> {
    Ok(Vote {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        question: r.try_get("question")?,
        choices: parse_json(&r.try_get::<String, _>("choices")?)?,
        closes_at: from_ms(r.try_get("closes_at")?)?,
        opened_by: parse_id(&r.try_get::<String, _>("opened_by")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

impl Store {
    /// Every declaration, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn declarations(&self) -> Result<Vec<Declaration>> {
        sqlx::query("SELECT * FROM declarations ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(declaration_from_row)
            .collect()
    }

    /// One declaration.
    ///
    /// # Errors
    /// On database failure.
    pub async fn declaration(&self, id: Uuid) -> Result<Option<Declaration>> {
        sqlx::query("SELECT * FROM declarations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(declaration_from_row)
            .transpose()
    }

    /// Requests for information, newest first: all of them, or those addressed to
    /// `recipient`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn rfis(&self, recipient: Option<MemberId>) -> Result<Vec<Rfi>> {
        let rows = match recipient {
            Some(m) => {
                sqlx::query(
                    "SELECT r.* FROM rfis r JOIN rfi_recipients t ON t.rfi_id = r.id \
                     WHERE t.member_id = $1 ORDER BY r.created_at DESC, r.id DESC",
                )
                .bind(m.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT * FROM rfis ORDER BY created_at DESC, id DESC")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(rfi_from_row).collect()
    }

    /// One request for information.
    ///
    /// # Errors
    /// On database failure.
    pub async fn rfi(&self, id: Uuid) -> Result<Option<Rfi>> {
        sqlx::query("SELECT * FROM rfis WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(rfi_from_row)
            .transpose()
    }

    /// The members a request was sent to.
    ///
    /// # Errors
    /// On database failure.
    pub async fn rfi_recipients(&self, id: Uuid) -> Result<Vec<MemberId>> {
        sqlx::query_scalar::<_, String>(
            "SELECT member_id FROM rfi_recipients WHERE rfi_id = $1 ORDER BY member_id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|s| parse_id(s))
        .collect()
    }

    /// Whether a request was sent to `member`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn is_rfi_recipient(&self, id: Uuid, member: MemberId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rfi_recipients WHERE rfi_id = $1 AND member_id = $2",
        )
        .bind(id.to_string())
        .bind(member.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The answers to a request, oldest first: all, or those of one member.
    ///
    /// # Errors
    /// On database failure.
    pub async fn rfi_answers(&self, id: Uuid, member: Option<MemberId>) -> Result<Vec<RfiAnswer>> {
        let rows = match member {
            Some(m) => {
                sqlx::query(
                    "SELECT * FROM rfi_answers WHERE rfi_id = $1 AND member_id = $2 \
                     ORDER BY created_at, id",
                )
                .bind(id.to_string())
                .bind(m.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT * FROM rfi_answers WHERE rfi_id = $1 ORDER BY created_at, id")
                    .bind(id.to_string())
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(answer_from_row).collect()
    }

    /// Every vote, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn votes(&self) -> Result<Vec<Vote>> {
        sqlx::query("SELECT * FROM votes ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(vote_from_row)
            .collect()
    }

    /// One vote.
    ///
    /// # Errors
    /// On database failure.
    pub async fn vote(&self, id: Uuid) -> Result<Option<Vote>> {
        sqlx::query("SELECT * FROM votes WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(vote_from_row)
            .transpose()
    }

    /// When `member` voted in a vote, if it did.
    ///
    /// # Errors
    /// On database failure.
    pub async fn voted_at(&self, vote: Uuid, member: MemberId) -> Result<Option<OffsetDateTime>> {
        sqlx::query_scalar::<_, i64>(
            "SELECT voted_at FROM vote_voters WHERE vote_id = $1 AND member_id = $2",
        )
        .bind(vote.to_string())
        .bind(member.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(from_ms)
        .transpose()
    }

    /// The members that voted (not what they voted).
    ///
    /// # Errors
    /// On database failure.
    pub async fn voters(&self, vote: Uuid) -> Result<Vec<MemberId>> {
        sqlx::query_scalar::<_, String>("SELECT member_id FROM vote_voters WHERE vote_id = $1")
            .bind(vote.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|s| parse_id(s))
            .collect()
    }

    /// The bulletin board: every ballot as (receipt hash, choice), by receipt hash.
    ///
    /// # Errors
    /// On database failure, or a stored choice that is not a number of choices.
    pub async fn ballots(&self, vote: Uuid) -> Result<Vec<(String, u32)>> {
        sqlx::query(
            "SELECT receipt_hash, choice FROM vote_ballots WHERE vote_id = $1 ORDER BY receipt_hash",
        )
        .bind(vote.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let choice: i64 = r.try_get("choice")?;
            Ok((
                r.try_get("receipt_hash")?,
                u32::try_from(choice)
                    .map_err(|_| StoreError::Corrupt(format!("ballot choice {choice}")))?,
            ))
        })
        .collect()
    }
}

impl Tx {
    /// One declaration, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn declaration(&mut self, id: Uuid) -> Result<Option<Declaration>> {
        sqlx::query("SELECT * FROM declarations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?
            .as_ref()
            .map(declaration_from_row)
            .transpose()
    }

    /// Every declaration, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn declarations(&mut self) -> Result<Vec<Declaration>> {
        sqlx::query("SELECT * FROM declarations")
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(declaration_from_row)
            .collect()
    }

    /// Stores a declaration, new or changed (confirmed, ended).
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_declaration(&mut self, d: &Declaration) -> Result<()> {
        sqlx::query(
            "INSERT INTO declarations (id, reason, starts_at, ends_at, ended_early, proposed_by, \
             confirmed_by, confirmed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, \
             ended_early = excluded.ended_early, confirmed_by = excluded.confirmed_by, \
             confirmed_at = excluded.confirmed_at",
        )
        .bind(d.id.to_string())
        .bind(&d.terms.reason)
        .bind(to_ms(d.terms.starts_at))
        .bind(d.terms.ends_at.map(to_ms))
        .bind(i64::from(d.ended_early))
        .bind(d.proposed_by.to_string())
        .bind(d.confirmed_by.map(|m| m.to_string()))
        .bind(d.confirmed_at.map(to_ms))
        .bind(to_ms(d.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a new request and the members it is sent to.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_rfi(&mut self, rfi: &Rfi, recipients: &[MemberId]) -> Result<()> {
        sqlx::query(
            "INSERT INTO rfis (id, title, question, target, declaration_id, sent_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(rfi.id.to_string())
        .bind(&rfi.title)
        .bind(&rfi.question)
        .bind(to_json(&rfi.target)?)
        .bind(rfi.declaration.map(|d| d.to_string()))
        .bind(rfi.sent_by.to_string())
        .bind(to_ms(rfi.created_at))
        .execute(&mut *self.tx)
        .await?;
        for m in recipients {
            sqlx::query("INSERT INTO rfi_recipients (rfi_id, member_id) VALUES ($1, $2)")
                .bind(rfi.id.to_string())
                .bind(m.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Stores an answer.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_rfi_answer(&mut self, a: &RfiAnswer) -> Result<()> {
        sqlx::query(
            "INSERT INTO rfi_answers (id, rfi_id, member_id, user_id, body, items, late, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.id.to_string())
        .bind(a.rfi.to_string())
        .bind(a.member.to_string())
        .bind(a.user.to_string())
        .bind(&a.text)
        .bind(to_json(&a.items)?)
        .bind(i64::from(a.late))
        .bind(to_ms(a.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a new vote.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_vote(&mut self, v: &Vote) -> Result<()> {
        sqlx::query(
            "INSERT INTO votes (id, question, choices, closes_at, opened_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(v.id.to_string())
        .bind(&v.question)
        .bind(to_json(&v.choices)?)
        .bind(to_ms(v.closes_at))
        .bind(v.opened_by.to_string())
        .bind(to_ms(v.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// When `member` voted, read inside the transaction (which serialises voting).
    ///
    /// # Errors
    /// On database failure.
    pub async fn voted_at(
        &mut self,
        vote: Uuid,
        member: MemberId,
    ) -> Result<Option<OffsetDateTime>> {
        sqlx::query_scalar::<_, i64>(
            "SELECT voted_at FROM vote_voters WHERE vote_id = $1 AND member_id = $2",
        )
        .bind(vote.to_string())
        .bind(member.to_string())
        .fetch_optional(&mut *self.tx)
        .await?
        .map(from_ms)
        .transpose()
    }

    /// Records that `member` voted (through `user`, at `at`) and, in a separate table
    /// with nothing that names the member, the ballot: the receipt's hash and the
    /// choice. [`StoreError::Duplicate`] when the member already voted.
    ///
    /// # Errors
    /// On database failure or a second vote.
    pub async fn cast_ballot(
        &mut self,
        vote: Uuid,
        member: MemberId,
        user: tsunagu_core::ids::UserId,
        at: OffsetDateTime,
        receipt_hash: &str,
        choice: u32,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO vote_voters (vote_id, member_id, user_id, voted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(vote.to_string())
        .bind(member.to_string())
        .bind(user.to_string())
        .bind(to_ms(at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        sqlx::query("INSERT INTO vote_ballots (vote_id, receipt_hash, choice) VALUES ($1, $2, $3)")
            .bind(vote.to_string())
            .bind(receipt_hash)
            .bind(i64::from(choice))
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_write)?;
        Ok(())
    }
}
