//! The tamper-evident audit log (M2.7): each entry's hash covers its content and the
//! previous entry's hash, so editing or deleting any entry breaks the chain from there.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// When it happened (UTC, millisecond precision).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The user who acted, if any (none for the public application form and the system).
    pub actor_user: Option<String>,
    /// The actor's member, if any.
    pub actor_member: Option<String>,
    /// What happened, e.g. `member.approve`.
    pub action: String,
    /// The kind of object acted on.
    pub target_type: String,
    /// The object's id.
    pub target_id: String,
    /// Details as JSON text.
    pub details: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The content of an entry before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The acting user.
    pub actor_user: Option<String>,
    /// The acting member.
    pub actor_member: Option<String>,
    /// Action name.
    pub action: String,
    /// Target kind.
    pub target_type: String,
    /// Target id.
    pub target_id: String,
    /// Details (JSON).
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// Computes the entry's hash from its content and `prev_hash` (not from `hash`).
    /// Fields are length-prefixed so no two different entries serialise alike.
    #[must_use]
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |b: &[u8]| {
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        };
        field(self.prev_hash.as_bytes());
        field(&self.seq.to_be_bytes());
        field(&millis(self.at).to_be_bytes());
        field(self.actor_user.as_deref().unwrap_or("").as_bytes());
        field(self.actor_member.as_deref().unwrap_or("").as_bytes());
        field(self.action.as_bytes());
        field(self.target_type.as_bytes());
        field(self.target_id.as_bytes());
        field(self.details.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Milliseconds since the Unix epoch, the precision the chain is computed at.
#[must_use]
pub fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// What verification found wrong, naming the first entry where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry's content no longer matches its hash: it was modified.
    #[error("audit entry {seq} was modified: its content does not match its hash")]
    Modified {
        /// The entry.
        seq: i64,
    },
    /// An entry is missing before this one (deleted), or entries were reordered.
    #[error("audit entry {expected} is missing (the chain continues at entry {found})")]
    Missing {
        /// The sequence number that should have come next.
        expected: i64,
        /// The one found instead.
        found: i64,
    },
    /// The entry does not link to its predecessor's hash.
    #[error("audit entry {seq} does not link to the entry before it")]
    Unlinked {
        /// The entry.
        seq: i64,
    },
    /// Entries at the end of the chain were removed.
    #[error(
        "the audit log ends at entry {last} but its head records entry {head}: later entries were deleted"
    )]
    Truncated {
        /// The last entry found.
        last: i64,
        /// The head's record.
        head: i64,
    },
}

/// Incremental verifier: feed entries in `seq` order, then [`Verifier::finish`] with the
/// head the store recorded.
#[derive(Debug)]
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }
}

impl Verifier {
    /// Checks the next entry.
    ///
    /// # Errors
    /// The first [`ChainBreak`] found.
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.next_seq {
            return Err(ChainBreak::Missing {
                expected: self.next_seq,
                found: e.seq,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainBreak::Modified { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        self.prev_hash.clone_from(&e.hash);
        self.next_seq += 1;
        Ok(())
    }

    /// Checks that the chain reached the head the store recorded.
    ///
    /// # Errors
    /// [`ChainBreak::Truncated`] when entries at the end are gone.
    pub fn finish(self, head_seq: i64) -> Result<i64, ChainBreak> {
        let last = self.next_seq - 1;
        if last == head_seq {
            Ok(last)
        } else {
            Err(ChainBreak::Truncated {
                last,
                head: head_seq,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + seq).unwrap(),
                    actor_user: Some("u".into()),
                    actor_member: None,
                    action: "member.approve".into(),
                    target_type: "member".into(),
                    target_id: "m".into(),
                    details: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: i64) -> Result<i64, ChainBreak> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        v.finish(head)
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5), 5), Ok(5));
    }

    #[test]
    fn detects_modification_deletion_and_truncation() {
        let mut c = chain(5);
        c[2].details = "{\"n\":99}".into();
        assert_eq!(verify(&c, 5), Err(ChainBreak::Modified { seq: 3 }));

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c, 5),
            Err(ChainBreak::Missing {
                expected: 2,
                found: 3
            })
        );

        let c = chain(5);
        assert_eq!(
            verify(&c[..4], 5),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );

        // Rewriting an entry and its hash still breaks the link to the next one.
        let mut c = chain(5);
        c[1].action = "member.expel".into();
        c[1].hash = c[1].compute_hash();
        assert_eq!(verify(&c, 5), Err(ChainBreak::Unlinked { seq: 3 }));
    }
}
