//! Typed identifiers, so a member id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

macro_rules! new_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = "uuid")]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered identifier (UUIDv7).
            #[must_use]
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// The underlying UUID.
            #[must_use]
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }
    };
}

new_id!(
    /// A member organisation.
    MemberId
);
new_id!(
    /// A user (a person or a system account) of a member.
    UserId
);
new_id!(
    /// An API token.
    TokenId
);
new_id!(
    /// A request to change a member's class.
    ClassRequestId
);
new_id!(
    /// A shared item.
    ItemId
);
new_id!(
    /// A consultation (相談) with the class-1 group.
    ConsultationId
);
new_id!(
    /// An early-warning alert.
    AlertId
);
new_id!(
    /// A security clearance granted to a user.
    ClearanceId
);
