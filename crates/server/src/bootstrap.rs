//! First start: the secretariat, the coordinator and an admin who can log in.

use std::collections::BTreeSet;

use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::member::{Member, MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::user::{User, UserRole};
use tsunagu_store::{Store, Tx};

use crate::api::members::new_pseudonym;
use crate::audit_by;
use crate::auth::{MAX_TOKEN_DAYS, hash_password, issue_token, random_bytes};
use crate::error::{ApiError, ApiResult};

/// The meta key that records that the council was set up.
pub const BOOTSTRAPPED: &str = "bootstrapped_at";

/// How to log in for the first time: shown once, never stored in clear.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FirstLogin {
    /// The admin's login.
    pub login: String,
    /// Its one-time password: change it after logging in.
    pub password: String,
    /// An API token for it.
    pub api_token: String,
}

/// A member to create directly (not through an application).
#[derive(Debug, Clone)]
pub struct Founding {
    /// Real name.
    pub name: String,
    /// Class.
    pub class: MemberClass,
    /// Special roles.
    pub roles: BTreeSet<SpecialRole>,
    /// Sector.
    pub sector: Sector,
    /// Category.
    pub category: String,
    /// Foreign-affiliated.
    pub foreign_affiliated: bool,
    /// Regulated sectors.
    pub regulator_of: BTreeSet<Sector>,
}

/// Inserts an active member, audited as created by the system.
///
/// # Errors
/// On database failure or a duplicate name.
pub async fn found_member(tx: &mut Tx, f: Founding) -> ApiResult<Member> {
    let m = Member {
        id: MemberId::new(),
        name: f.name,
        pseudonym: new_pseudonym(),
        class: f.class,
        roles: f.roles,
        sector: f.sector,
        category: f.category,
        foreign_affiliated: f.foreign_affiliated,
        tf_special_approval: false,
        tf_suspended: false,
        regulator_of: f.regulator_of,
        confidential_opt_out: false,
        status: MemberStatus::Active,
        created_at: OffsetDateTime::now_utc(),
        agreement: None,
    };
    tx.insert_member(&m, "", "", "", None).await?;
    tx.audit(&audit_by(
        None,
        "member.found",
        "member",
        &m.id.to_string(),
        json!({ "class": m.class, "roles": m.roles, "sector": m.sector }),
    ))
    .await?;
    Ok(m)
}

/// Inserts a user with an already-hashed password and gives it a long-lived token;
/// returns the new user's id and the token secret.
///
/// # Errors
/// On database failure or a taken login.
pub async fn found_user(
    tx: &mut Tx,
    member: MemberId,
    login: &str,
    role: UserRole,
    password_hash: &str,
) -> ApiResult<(UserId, String)> {
    let user = User {
        id: UserId::new(),
        member_id: member,
        login: login.to_owned(),
        role,
        disabled: false,
    };
    tx.insert_user(&user, password_hash).await?;
    tx.audit(&audit_by(
        None,
        "user.create",
        "user",
        &user.id.to_string(),
        json!({ "member": member, "role": role }),
    ))
    .await?;
    let token = issue_token(tx, user.id, member, "bootstrap", MAX_TOKEN_DAYS, None).await?;
    Ok((user.id, token.token))
}

/// A random password of 24 characters from an unambiguous alphabet.
#[must_use]
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    random_bytes::<24>()
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Creates the secretariat, the coordinator and the `admin` user (of the secretariat)
/// when the database is new. Returns `None` when it was already set up.
///
/// # Errors
/// On database failure.
pub async fn bootstrap(store: &Store) -> ApiResult<Option<FirstLogin>> {
    if store.meta(BOOTSTRAPPED).await?.is_some() {
        return Ok(None);
    }
    let password = random_password();
    let hash = hash_password(password.clone()).await?;
    let mut tx = store.begin().await?;
    let secretariat = found_member(
        &mut tx,
        Founding {
            name: "Council Secretariat".into(),
            class: MemberClass::Class1,
            roles: [SpecialRole::Secretariat, SpecialRole::Committee].into(),
            sector: Sector::NationalGovernment,
            category: "secretariat".into(),
            foreign_affiliated: false,
            regulator_of: BTreeSet::new(),
        },
    )
    .await?;
    found_member(
        &mut tx,
        Founding {
            name: "Council Coordinator".into(),
            class: MemberClass::Class1,
            roles: [SpecialRole::Coordinator, SpecialRole::Committee].into(),
            sector: Sector::Other,
            category: "coordinator".into(),
            foreign_affiliated: false,
            regulator_of: BTreeSet::new(),
        },
    )
    .await?;
    let (_, api_token) =
        found_user(&mut tx, secretariat.id, "admin", UserRole::Admin, &hash).await?;
    tx.set_meta(
        BOOTSTRAPPED,
        &OffsetDateTime::now_utc().unix_timestamp().to_string(),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(Some(FirstLogin {
        login: "admin".into(),
        password,
        api_token,
    }))
}
