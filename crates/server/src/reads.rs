//! Recording who was shown which item (M2.7), with group commit.
//!
//! Every response that carries item data waits until its reads are durably recorded
//! (read counts per class, and an audit entry for each confidential item) — but
//! concurrent requests share one transaction, so a busy council does not pay one
//! commit per request.
//!
//! A member reading the same non-confidential item again within [`RECENT`] (paging
//! through a large item over TAXII, a feed polled every minute) writes nothing: read
//! counts count each member once anyway. Every access to a confidential item is still
//! audited, each time.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hashlink::LruCache;
use tokio::sync::{mpsc, oneshot};
use tsunagu_core::audit::AuditRecord;
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_store::{ItemRead, Store};

use crate::error::{ApiError, ApiResult};

/// Reads and audit entries of one response.
struct Job {
    reads: Vec<ItemRead>,
    audits: Vec<AuditRecord>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Most jobs committed together.
const GROUP: usize = 256;

/// How long a recorded read of an item by a member stands for its re-reads.
pub const RECENT: Duration = Duration::from_secs(15 * 60);

/// Reads recorded lately, by (member, item, revision).
type Recent = LruCache<(MemberId, ItemId, i64), Instant>;

/// Handle to the background writer; cheap to clone.
#[derive(Clone)]
pub struct ReadRecorder {
    jobs: mpsc::Sender<Job>,
    recent: Arc<Mutex<Recent>>,
}

impl ReadRecorder {
    /// Starts the writer on `store`; it stops when every handle is dropped.
    #[must_use]
    pub fn start(store: Store) -> Self {
        let (jobs, rx) = mpsc::channel(1024);
        tokio::spawn(run(store, rx));
        Self {
            jobs,
            recent: Arc::new(Mutex::new(LruCache::new(100_000))),
        }
    }

    /// Whether `member`'s read of `item` at `revision` was recorded within [`RECENT`]
    /// (the caller still records every access to a confidential item).
    #[must_use]
    pub fn recorded_lately(&self, member: MemberId, item: ItemId, revision: i64) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .get(&(member, item, revision))
            .is_some_and(|at| at.elapsed() < RECENT)
    }

    /// Notes reads that were committed.
    pub fn remember(&self, member: MemberId, items: impl IntoIterator<Item = (ItemId, i64)>) {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        for (item, revision) in items {
            recent.insert((member, item, revision), now);
        }
    }

    /// Records reads and audit entries and returns once they are committed.
    ///
    /// # Errors
    /// When the writer is gone or the commit failed: the caller must not answer with
    /// the data then.
    pub async fn record(&self, reads: Vec<ItemRead>, audits: Vec<AuditRecord>) -> ApiResult<()> {
        if reads.is_empty() && audits.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job {
                reads,
                audits,
                done,
            })
            .await
            .map_err(|_| ApiError::Internal("the read recorder has stopped".into()))?;
        wait.await
            .map_err(|_| ApiError::Internal("the read recorder has stopped".into()))?
            .map_err(ApiError::Internal)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = commit(&store, &batch).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, jobs = batch.len(), "recording item reads failed");
        }
        for job in batch {
            let _ = job.done.send(result.clone());
        }
    }
}

async fn commit(store: &Store, batch: &[Job]) -> Result<(), tsunagu_store::StoreError> {
    let mut tx = store.begin().await?;
    for job in batch {
        tx.record_reads(&job.reads).await?;
        for a in &job.audits {
            tx.audit(a).await?;
        }
    }
    tx.commit().await
}
