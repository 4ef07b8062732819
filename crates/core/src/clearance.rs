//! Security clearance (M2.8): information only cleared individuals may see.
//!
//! A clearance belongs to a user, never to a member: the coordinator grants a level for
//! a period, on a recorded basis, and may revoke it. An item may require a level on top
//! of its scope; [`crate::view::view`] then shows it only to users who hold that level
//! (or a higher one) at the moment of the request, so an expiry ends access without
//! anything being restarted.
//!
//! Levels are configured per council, lowest first (by default `confidential`,
//! `top_secret`). A grant or an item naming a level the configuration no longer has
//! fails closed: the grant confers nothing and the item is visible to nobody.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::DomainError;
use crate::ids::{ClearanceId, UserId};
use crate::text;

/// The council's clearance levels, lowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels(Vec<String>);

impl Default for Levels {
    fn default() -> Self {
        Self(vec!["confidential".into(), "top_secret".into()])
    }
}

impl Levels {
    /// Checks a configured list: 1 to 10 distinct names of lower-case letters, digits
    /// and `_`, lowest first.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming `clearance_levels`.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, DomainError> {
        let field = "clearance_levels";
        if names.is_empty() || names.len() > 10 {
            return Err(DomainError::invalid(
                field,
                "give 1 to 10 levels, lowest first",
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(names.len());
        for n in names {
            let n = n.as_ref().trim();
            if n.is_empty()
                || n.len() > 40
                || !n
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(DomainError::invalid(
                    field,
                    format!("{n:?} is not a level name (a-z, 0-9 and _, at most 40)"),
                ));
            }
            if out.iter().any(|o| o == n) {
                return Err(DomainError::invalid(field, format!("{n:?} is given twice")));
            }
            out.push(n.to_owned());
        }
        Ok(Self(out))
    }

    /// The names, lowest first.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.0
    }

    fn rank(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    /// Checks that `name`, given in `field`, is a configured level and returns it.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming `field` and listing the levels.
    pub fn parse(&self, field: &'static str, name: &str) -> Result<String, DomainError> {
        let name = name.trim();
        if self.rank(name).is_some() {
            Ok(name.to_owned())
        } else {
            Err(DomainError::invalid(
                field,
                format!(
                    "there is no clearance level {name:?}; the levels are {}",
                    self.0.join(", ")
                ),
            ))
        }
    }

    /// `name` and every level below it: what holding `name` lets a user see. Empty
    /// for a name that is not configured.
    #[must_use]
    pub fn covered_by(&self, name: &str) -> Vec<String> {
        self.rank(name)
            .map(|r| self.0[..=r].to_vec())
            .unwrap_or_default()
    }
}

/// A clearance granted to a user, as stored and as its holder, its member's admins,
/// the coordinator and the secretariat see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    /// Identifier.
    pub id: ClearanceId,
    /// The cleared user.
    pub user: UserId,
    /// The level.
    pub level: String,
    /// From when it counts.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    /// When it ends by itself.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// The reference of the decision it rests on.
    pub basis: String,
    /// When it was granted.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

/// Where a grant stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    /// Granted, not yet started.
    Pending,
    /// In force.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

impl Grant {
    /// Where the grant stands at `now`.
    #[must_use]
    pub fn state(&self, now: OffsetDateTime) -> GrantState {
        if self.revoked_at.is_some() {
            GrantState::Revoked
        } else if now >= self.expires_at {
            GrantState::Expired
        } else if now < self.starts_at {
            GrantState::Pending
        } else {
            GrantState::Active
        }
    }
}

/// A request to grant a clearance, before it is checked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// The user to clear.
    pub user: String,
    /// The level, one of the configured ones.
    pub level: String,
    /// From when it counts; now when left out.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<OffsetDateTime>,
    /// When it ends by itself: required, in the future.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// The reference of the decision (e.g. the vetting file number).
    pub basis: String,
}

/// Longest basis reference.
pub const MAX_BASIS: usize = 500;

impl GrantRequest {
    /// Checks the request at `now`: a configured level, a basis, an expiry after both
    /// now and the start. Returns the grant to store (its user id is parsed by the
    /// caller, which must also check the user exists).
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming `user`, `level`, `basis` or `expires_at`.
    pub fn check(&self, levels: &Levels, now: OffsetDateTime) -> Result<Grant, DomainError> {
        let user: UserId = self
            .user
            .parse()
            .map_err(|_| DomainError::invalid("user", "is not a user id"))?;
        let level = levels.parse("level", &self.level)?;
        let basis = text::required("basis", &self.basis, MAX_BASIS)?;
        let starts_at = self.starts_at.unwrap_or(now);
        if self.expires_at <= now {
            return Err(DomainError::invalid(
                "expires_at",
                "is already past: a clearance must expire in the future",
            ));
        }
        if self.expires_at <= starts_at {
            return Err(DomainError::invalid(
                "expires_at",
                "must be after starts_at",
            ));
        }
        Ok(Grant {
            id: ClearanceId::new(),
            user,
            level,
            starts_at,
            expires_at: self.expires_at,
            basis,
            granted_at: now,
            revoked_at: None,
            revoke_reason: None,
        })
    }
}

/// One held clearance as the policy view uses it: the levels it covers and when.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    covers: Vec<String>,
    starts_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

/// What a viewer is cleared for: its unrevoked grants, each with the levels it covers.
/// Whether a grant counts is decided at the moment of each request ([`Self::allows`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clearance(Vec<Held>);

impl Clearance {
    /// No clearance at all: the default for a member acting as a whole.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// A user's clearance from its grants; revoked ones and unknown levels confer nothing.
    #[must_use]
    pub fn of(grants: &[Grant], levels: &Levels) -> Self {
        Self(
            grants
                .iter()
                .filter(|g| g.revoked_at.is_none())
                .map(|g| Held {
                    covers: levels.covered_by(&g.level),
                    starts_at: g.starts_at,
                    expires_at: g.expires_at,
                })
                .filter(|h| !h.covers.is_empty())
                .collect(),
        )
    }

    /// A standing clearance at `level` with no end: what the coordinator registers for
    /// a member-wide delivery endpoint it has cleared.
    #[must_use]
    pub fn standing(level: &str, levels: &Levels) -> Self {
        let covers = levels.covered_by(level);
        if covers.is_empty() {
            return Self::none();
        }
        Self(vec![Held {
            covers,
            starts_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: time::PrimitiveDateTime::MAX.assume_utc(),
        }])
    }

    /// The levels the viewer holds at `now`, lowest first: what it may require of an
    /// item it shares.
    #[must_use]
    pub fn held(&self, now: OffsetDateTime) -> Vec<String> {
        self.0
            .iter()
            .filter(|h| h.starts_at <= now && now < h.expires_at)
            .max_by_key(|h| h.covers.len())
            .map(|h| h.covers.clone())
            .unwrap_or_default()
    }

    /// Whether the viewer holds `level` (or a higher one) at `now`.
    #[must_use]
    pub fn allows(&self, level: &str, now: OffsetDateTime) -> bool {
        self.0.iter().any(|h| {
            h.starts_at <= now && now < h.expires_at && h.covers.iter().any(|c| c == level)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::Duration;

    fn grant(level: &str, from: i64, to: i64) -> Grant {
        let now = OffsetDateTime::now_utc();
        Grant {
            id: ClearanceId::new(),
            user: UserId::new(),
            level: level.into(),
            starts_at: now + Duration::seconds(from),
            expires_at: now + Duration::seconds(to),
            basis: "decision 2026-17".into(),
            granted_at: now,
            revoked_at: None,
            revoke_reason: None,
        }
    }

    #[test]
    fn a_higher_level_covers_the_lower_ones_only() {
        let levels = Levels::new(&["confidential", "secret", "top_secret"]).unwrap();
        let now = OffsetDateTime::now_utc();
        let c = Clearance::of(&[grant("secret", -10, 10)], &levels);
        assert_eq!(
            c.held(now),
            vec!["confidential".to_owned(), "secret".to_owned()]
        );
        assert!(c.allows("confidential", now));
        assert!(c.allows("secret", now));
        assert!(!c.allows("top_secret", now));
        assert!(!Clearance::none().allows("confidential", now));
    }

    #[test]
    fn a_grant_counts_only_between_its_start_and_its_expiry() {
        let levels = Levels::default();
        let now = OffsetDateTime::now_utc();
        let c = Clearance::of(&[grant("top_secret", 5, 10)], &levels);
        assert!(!c.allows("confidential", now));
        assert!(c.allows("confidential", now + Duration::seconds(6)));
        assert!(!c.allows("confidential", now + Duration::seconds(11)));
    }

    #[test]
    fn revoked_grants_and_unknown_levels_confer_nothing() {
        let levels = Levels::default();
        let now = OffsetDateTime::now_utc();
        let mut revoked = grant("top_secret", -10, 10);
        revoked.revoked_at = Some(now);
        let c = Clearance::of(&[revoked.clone(), grant("cosmic", -10, 10)], &levels);
        assert!(!c.allows("confidential", now));
        assert!(!c.allows("cosmic", now));
        assert_eq!(revoked.state(now), GrantState::Revoked);
    }

    #[test]
    fn grant_requests_are_checked_field_by_field() {
        let levels = Levels::default();
        let now = OffsetDateTime::now_utc();
        let req = |level: &str, expires: OffsetDateTime, basis: &str| GrantRequest {
            user: UserId::new().to_string(),
            level: level.into(),
            starts_at: None,
            expires_at: expires,
            basis: basis.into(),
        };
        let soon = now + Duration::days(30);
        assert!(
            req("confidential", soon, "file 12")
                .check(&levels, now)
                .is_ok()
        );
        let e = req("secret", soon, "file 12")
            .check(&levels, now)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("level: there is no clearance level"),
            "{e}"
        );
        let e = req("confidential", now - Duration::days(1), "file 12")
            .check(&levels, now)
            .unwrap_err();
        assert!(e.to_string().starts_with("expires_at:"), "{e}");
        let e = req("confidential", soon, "  ")
            .check(&levels, now)
            .unwrap_err();
        assert!(e.to_string().starts_with("basis:"), "{e}");
    }

    #[test]
    fn level_lists_are_checked() {
        assert!(Levels::new(&["a", "a"]).is_err());
        assert!(Levels::new::<&str>(&[]).is_err());
        assert!(Levels::new(&["Top Secret"]).is_err());
        assert_eq!(
            Levels::new(&["c", "s"]).unwrap().covered_by("s"),
            vec!["c".to_owned(), "s".to_owned()]
        );
    }
}
