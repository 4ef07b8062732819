//! Members, applications, committee approvals and class-change requests.

use std::collections::BTreeSet;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use time::OffsetDateTime;
use tsunagu_core::ids::{ClassRequestId, MemberId, UserId};
use tsunagu_core::member::{Member, MemberClass, MemberStatus, Sector, SpecialRole};

use crate::{Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, parse_json, to_ms};

macro_rules! member_columns {
    () => {
        "id, name, pseudonym, class, roles, sector, category, foreign_affiliated, \
         tf_special_approval, tf_suspended, regulator_of, confidential_opt_out, status, created_at, \
         agreement"
    };
}

fn member_from_row(row: &AnyRow) -> Result<Member> {
    let roles: Vec<String> = parse_json(&row.try_get::<String, _>("roles")?)?;
    let regulator_of: Vec<String> = parse_json(&row.try_get::<String, _>("regulator_of")?)?;
    Ok(Member {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        pseudonym: row.try_get("pseudonym")?,
        class: parse_enum(&row.try_get::<String, _>("class")?, MemberClass::parse)?,
        roles: roles
            .iter()
            .map(|r| parse_enum(r, SpecialRole::parse))
            .collect::<Result<BTreeSet<_>>>()?,
        sector: parse_enum(&row.try_get::<String, _>("sector")?, Sector::parse)?,
        category: row.try_get("category")?,
        foreign_affiliated: row.try_get::<i64, _>("foreign_affiliated")? != 0,
        tf_special_approval: row.try_get::<i64, _>("tf_special_approval")? != 0,
        tf_suspended: row.try_get::<i64, _>("tf_suspended")? != 0,
        regulator_of: regulator_of
            .iter()
            .map(|s| parse_enum(s, Sector::parse))
            .collect::<Result<BTreeSet<_>>>()?,
        confidential_opt_out: row.try_get::<i64, _>("confidential_opt_out")? != 0,
        status: parse_enum(&row.try_get::<String, _>("status")?, MemberStatus::parse)?,
        created_at: from_ms(row.try_get("created_at")?)?,
        agreement: row
            .try_get::<Option<String>, _>("agreement")?
            .map(|a| parse_json(&a))
            .transpose()?,
    })
}

fn agreement_json(m: &Member) -> Result<Option<String>> {
    m.agreement
        .as_ref()
        .map(|a| serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

fn roles_json(m: &Member) -> String {
    serde_json::Value::from(m.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()).to_string()
}

fn regulator_of_json(m: &Member) -> String {
    serde_json::Value::from(
        m.regulator_of
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    )
    .to_string()
}

async fn fetch_member<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: MemberId,
) -> Result<Option<Member>> {
    sqlx::query(concat!(
        "SELECT ",
        member_columns!(),
        " FROM members WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(e)
    .await?
    .as_ref()
    .map(member_from_row)
    .transpose()
}

/// An application as the committee sees it: the member and its contact details.
#[derive(Debug, Clone)]
pub struct ApplicationRow {
    /// The applying organisation (status `applied`, or its later status).
    pub member: Member,
    /// Contact person.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Why it applied.
    pub reason: String,
    /// Approvals so far.
    pub approvals: i64,
}

/// Whether a class-change request is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassRequestStatus {
    /// Waiting for the committee.
    Pending,
    /// Carried: the class changed.
    Approved,
    /// Refused.
    Rejected,
}

impl ClassRequestStatus {
    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A member's request to change its class.
#[derive(Debug, Clone)]
pub struct ClassRequest {
    /// Identifier.
    pub id: ClassRequestId,
    /// The member asking.
    pub member_id: MemberId,
    /// Class when asked.
    pub from_class: MemberClass,
    /// Class asked for.
    pub to_class: MemberClass,
    /// Why.
    pub reason: String,
    /// Status.
    pub status: ClassRequestStatus,
    /// When asked.
    pub created_at: OffsetDateTime,
}

fn class_request_from_row(row: &AnyRow) -> Result<ClassRequest> {
    Ok(ClassRequest {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        member_id: parse_id(&row.try_get::<String, _>("member_id")?)?,
        from_class: parse_enum(&row.try_get::<String, _>("from_class")?, MemberClass::parse)?,
        to_class: parse_enum(&row.try_get::<String, _>("to_class")?, MemberClass::parse)?,
        reason: row.try_get("reason")?,
        status: parse_enum(
            &row.try_get::<String, _>("status")?,
            ClassRequestStatus::parse,
        )?,
        created_at: from_ms(row.try_get("created_at")?)?,
    })
}

impl Store {
    /// One member, in any status.
    ///
    /// # Errors
    /// On database failure.
    pub async fn member(&self, id: MemberId) -> Result<Option<Member>> {
        fetch_member(&self.pool, id).await
    }

    /// Members with the given status, oldest first; all members when `status` is `None`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn members(&self, status: Option<MemberStatus>) -> Result<Vec<Member>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members WHERE status = $1 ORDER BY created_at, id"
                ))
                .bind(s.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM members ORDER BY created_at, id"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(member_from_row).collect()
    }

    /// Applications with their contact details and approval counts, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn applications(&self, status: MemberStatus) -> Result<Vec<ApplicationRow>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            ", contact_name, contact_email, reason, \
             (SELECT COUNT(*) FROM approvals a WHERE a.subject_type = 'application' AND a.subject_id = members.id) AS approvals \
             FROM members WHERE status = $1 AND application_secret_hash IS NOT NULL ORDER BY created_at DESC"
        )).bind(status.as_str()).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(ApplicationRow {
                    member: member_from_row(row)?,
                    contact_name: row.try_get("contact_name")?,
                    contact_email: row.try_get("contact_email")?,
                    reason: row.try_get("reason")?,
                    approvals: row.try_get("approvals")?,
                })
            })
            .collect()
    }

    /// The hash of the secret an applicant received, while it has not been used.
    ///
    /// # Errors
    /// On database failure.
    pub async fn application_secret_hash(&self, id: MemberId) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT application_secret_hash FROM members WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    /// Open class-change requests, oldest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn class_requests(&self, status: ClassRequestStatus) -> Result<Vec<ClassRequest>> {
        let rows =
            sqlx::query("SELECT * FROM class_requests WHERE status = $1 ORDER BY created_at")
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(class_request_from_row).collect()
    }
}

impl Tx {
    /// One member, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn member(&mut self, id: MemberId) -> Result<Option<Member>> {
        fetch_member(&mut *self.tx, id).await
    }

    /// Inserts a member (or an application, with its contact details and the hash of
    /// the applicant's secret).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when a live member or application has the same name.
    pub async fn insert_member(
        &mut self,
        m: &Member,
        contact_name: &str,
        contact_email: &str,
        reason: &str,
        application_secret_hash: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO members (id, name, name_key, pseudonym, class, roles, sector, category, \
             foreign_affiliated, tf_special_approval, regulator_of, confidential_opt_out, status, \
             contact_name, contact_email, reason, application_secret_hash, created_at, updated_at, agreement) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$18,$19)",
        )
        .bind(m.id.to_string())
        .bind(&m.name)
        .bind(tsunagu_core::member::name_key(&m.name))
        .bind(&m.pseudonym)
        .bind(m.class.as_str())
        .bind(roles_json(m))
        .bind(m.sector.as_str())
        .bind(&m.category)
        .bind(i64::from(m.foreign_affiliated))
        .bind(i64::from(m.tf_special_approval))
        .bind(regulator_of_json(m))
        .bind(i64::from(m.confidential_opt_out))
        .bind(m.status.as_str())
        .bind(contact_name)
        .bind(contact_email)
        .bind(reason)
        .bind(application_secret_hash)
        .bind(to_ms(m.created_at))
        .bind(agreement_json(m)?)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Writes a member's mutable fields (class, roles, flags, status).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when reactivating would clash with a live name.
    pub async fn update_member(&mut self, m: &Member) -> Result<()> {
        sqlx::query(
            "UPDATE members SET class = $2, roles = $3, regulator_of = $4, tf_special_approval = $5, \
             confidential_opt_out = $6, status = $7, updated_at = $8, tf_suspended = $9, agreement = $10 \
             WHERE id = $1",
        )
        .bind(m.id.to_string())
        .bind(m.class.as_str())
        .bind(roles_json(m))
        .bind(regulator_of_json(m))
        .bind(i64::from(m.tf_special_approval))
        .bind(i64::from(m.confidential_opt_out))
        .bind(m.status.as_str())
        .bind(to_ms(OffsetDateTime::now_utc()))
        .bind(i64::from(m.tf_suspended))
        .bind(agreement_json(m)?)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Consumes an applicant's secret so it cannot be used twice.
    ///
    /// # Errors
    /// On database failure.
    pub async fn clear_application_secret(&mut self, id: MemberId) -> Result<()> {
        sqlx::query("UPDATE members SET application_secret_hash = '' WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records one committee member's approval of `subject` and returns how many
    /// distinct committee members have approved it.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when this committee member already approved it.
    pub async fn approve(
        &mut self,
        subject_type: &str,
        subject_id: &str,
        committee_member: MemberId,
        user: UserId,
    ) -> Result<usize> {
        sqlx::query(
            "INSERT INTO approvals (subject_type, subject_id, committee_member, user_id, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(subject_type)
        .bind(subject_id)
        .bind(committee_member.to_string())
        .bind(user.to_string())
        .bind(to_ms(OffsetDateTime::now_utc()))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM approvals WHERE subject_type = $1 AND subject_id = $2",
        )
        .bind(subject_type)
        .bind(subject_id)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Stores a new class-change request.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the member already has an open request.
    pub async fn insert_class_request(&mut self, r: &ClassRequest) -> Result<()> {
        sqlx::query(
            "INSERT INTO class_requests (id, member_id, from_class, to_class, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id.to_string())
        .bind(r.member_id.to_string())
        .bind(r.from_class.as_str())
        .bind(r.to_class.as_str())
        .bind(&r.reason)
        .bind(r.status.as_str())
        .bind(to_ms(r.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// One class-change request.
    ///
    /// # Errors
    /// On database failure.
    pub async fn class_request(&mut self, id: ClassRequestId) -> Result<Option<ClassRequest>> {
        sqlx::query("SELECT * FROM class_requests WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?
            .as_ref()
            .map(class_request_from_row)
            .transpose()
    }

    /// Closes a class-change request.
    ///
    /// # Errors
    /// On database failure.
    pub async fn decide_class_request(
        &mut self,
        id: ClassRequestId,
        status: ClassRequestStatus,
    ) -> Result<()> {
        sqlx::query("UPDATE class_requests SET status = $2, decided_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(status.as_str())
            .bind(to_ms(OffsetDateTime::now_utc()))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
