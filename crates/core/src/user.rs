//! Users of member organisations and what their role lets them do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::clearance::Clearance;
use crate::ids::{MemberId, UserId};
use crate::member::Member;
use crate::text;

/// A user's role inside its member organisation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Manages the member's users, tokens and settings; acts for the member.
    Admin,
    /// Shares and works with information.
    Analyst,
    /// Reads only.
    Viewer,
}

impl UserRole {
    /// All roles.
    pub const ALL: [Self; 3] = [Self::Admin, Self::Analyst, Self::Viewer];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Viewer => "viewer",
        }
    }

    /// Parses [`UserRole::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A user as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// The member it belongs to.
    pub member_id: MemberId,
    /// Login name.
    pub login: String,
    /// Role.
    pub role: UserRole,
    /// Disabled users cannot log in and their tokens do not work.
    pub disabled: bool,
}

/// Who is asking: a user, its member and the user's security clearance. Every rule and
/// the policy view decide on this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user.
    pub user: User,
    /// Its member organisation.
    pub member: Member,
    /// What the user is cleared for (M2.8); none for a member acting as a whole.
    pub clearance: Clearance,
}

impl Viewer {
    /// Any enabled user of `member`: for rules that depend on the member alone (who
    /// received an item, who owes feedback), evaluated on the member's behalf.
    #[must_use]
    pub fn for_member(member: Member) -> Self {
        Self {
            user: User {
                id: UserId::new(),
                member_id: member.id,
                login: String::new(),
                role: UserRole::Viewer,
                disabled: false,
            },
            member,
            clearance: Clearance::none(),
        }
    }

    /// A user of `member` without any clearance: the viewer a user is until its
    /// clearance is loaded.
    #[must_use]
    pub fn uncleared(user: User, member: Member) -> Self {
        Self {
            user,
            member,
            clearance: Clearance::none(),
        }
    }

    /// Checks the viewer acts for an active member with the admin role, or the given
    /// member's own admin when `of` is given.
    ///
    /// # Errors
    /// [`DomainError::Forbidden`] otherwise.
    pub fn ensure_admin_of(&self, of: MemberId) -> Result<(), DomainError> {
        if self.member.id == of && self.user.role == UserRole::Admin && self.member.is_active() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "only an admin of the member may do this".into(),
            ))
        }
    }

    /// Checks the viewer may act (not a read-only viewer).
    ///
    /// # Errors
    /// [`DomainError::Forbidden`] for viewers.
    pub fn ensure_can_act(&self) -> Result<(), DomainError> {
        if self.user.role == UserRole::Viewer {
            Err(DomainError::Forbidden(
                "read-only users cannot do this".into(),
            ))
        } else {
            Ok(())
        }
    }
}

/// Checks a login name: 3–64 characters of letters, digits, `.`, `_`, `-` and `@`,
/// lower-cased so logins compare without case.
///
/// # Errors
/// [`DomainError::Invalid`] naming `login`.
pub fn parse_login(login: &str) -> Result<String, DomainError> {
    let v = text::required("login", login, 64)?.to_lowercase();
    if v.chars().count() < 3 {
        return Err(DomainError::invalid(
            "login",
            "must be at least 3 characters",
        ));
    }
    if let Some(c) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(DomainError::invalid(
            "login",
            format!("must not contain {c:?}"),
        ));
    }
    Ok(v)
}

/// Checks a new password: 12 to 256 characters (length beats composition rules).
///
/// # Errors
/// [`DomainError::Invalid`] naming `password`.
pub fn check_password(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if n < 12 {
        return Err(DomainError::invalid(
            "password",
            "must be at least 12 characters",
        ));
    }
    if n > 256 {
        return Err(DomainError::invalid(
            "password",
            "must be at most 256 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert_eq!(parse_login(" Alice.Soc ").unwrap(), "alice.soc");
        assert!(parse_login("ab").is_err());
        assert!(parse_login("a b c").is_err());
        assert!(parse_login("ali<ce").is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}
