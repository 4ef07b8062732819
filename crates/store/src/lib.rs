//! tsunagu's persistence behind one interface.
//!
//! Both backends are driven through sqlx's `Any` driver with the same SQL (numbered
//! `$n` parameters, which SQLite accepts too); only the migrations differ per backend.
//! Every write that changes membership, roles or tokens runs in a [`Tx`], which first
//! takes the audit chain's head row: that serialises writers on both backends, so the
//! audit entry is chained and committed in the same transaction as the change.
#![deny(missing_docs)]

mod advisories;
mod alerts;
mod assets;
mod audit;
mod clearances;
mod consultations;
mod federation;
mod feedback;
mod governance;
mod incidents;
mod interop;
mod items;
mod kev;
mod members;
mod notices;
mod observations;
mod portal;
#[cfg(feature = "testing")]
pub mod testing;
mod users;
mod vendor;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};
use time::OffsetDateTime;

pub use advisories::AdvisoryRow;
pub use alerts::{Channel, Delivery, Receipt, Subject};
pub use assets::{AssetRow, ProductCount, SbomRow};
pub use audit::AuditPage;
pub use clearances::ClearanceRow;
pub use consultations::{ConsultationQuery, StoredConsultation};
pub use federation::{OutboxEntry, OutboxState, PartnerLink, SyncCounts, SyncOutcome};
pub use feedback::StoredFeedback;
pub use items::{IndicatorMatch, ItemQuery, ItemRead, ReadCounts, StoredItem};
pub use kev::{KevStatus, StoredKev};
pub use members::{ApplicationRow, ClassRequest, ClassRequestStatus};
pub use notices::{Notice, NoticeKind};
pub use observations::{
    BatchRow, ConstituencyRow, ConstituencyStatus, HitCount, HitQuery, HitRow, OverlapRef,
    StoredHit, day_of,
};
pub use portal::{PortalSession, PortalUser};
pub use users::{NewToken, TokenRow, UserWithHash};
pub use vendor::{VendorContact, VendorRequest, VendorStatus, VendorStatusRow, VendorUpdate};

/// The PostgreSQL channel on which servers announce new alert revisions.
pub const ALERTS_CHANNEL: &str = "tsunagu_alerts";

/// Which database is underneath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL (scale-out).
    Postgres,
}

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be read back into a domain type.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A unique constraint refused the write.
    #[error("already exists")]
    Duplicate,
}

impl StoreError {
    fn from_write(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Duplicate,
            _ => Self::Database(e),
        }
    }
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: a pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

/// The SQLite database file inside a data directory.
pub const SQLITE_FILE: &str = "tsunagu.db";

impl Store {
    /// Opens (creating if needed) the SQLite database in `dir` and migrates it.
    ///
    /// # Errors
    /// When the directory cannot be created or the database opened or migrated.
    pub async fn open_data_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let url = format!("sqlite://{}?mode=rwc", dir.join(SQLITE_FILE).display());
        Self::open(&url).await
    }

    /// Opens the database at `url` (`sqlite://…` or `postgres://…`) and migrates it.
    ///
    /// # Errors
    /// When the URL names another database, or connecting or migrating fails.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "the database URL must start with sqlite:// or postgres://".into(),
            )));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Self {
            pool,
            backend,
            url: url.to_owned(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for read queries.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction holding the audit head, so that changes and their
    /// audit entries are serialised and committed together.
    ///
    /// # Errors
    /// When the database cannot start the transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(Tx {
            tx,
            backend: self.backend,
            bulk: false,
            deferred_indicators: None,
        })
    }

    /// Reads a value from the key/value meta table.
    ///
    /// # Errors
    /// On database failure.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction: see [`Store::begin`]. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    /// [`Tx::bulk`] enlarged the connection's page cache.
    bulk: bool,
    /// After [`Tx::defer_indicator_index`]: the items' indicators to index at commit.
    deferred_indicators: Option<items::DeferredIndicators>,
}

impl Tx {
    /// Commits every change and audit entry made in the transaction.
    ///
    /// # Errors
    /// When the commit fails; nothing is then written.
    pub async fn commit(mut self) -> Result<()> {
        if let Some(rows) = self.deferred_indicators.take() {
            self.write_deferred_indicators(rows).await?;
        }
        if self.bulk {
            // The connection returns to the pool with the default page cache.
            sqlx::query("PRAGMA cache_size = -2000")
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Prepares the transaction for a bulk write: on SQLite, a page cache of `mib`
    /// MiB, so the index pages a large import touches at random are not spilled to the
    /// WAL and read back while it runs (back to the default at commit).
    ///
    /// # Errors
    /// On database failure.
    pub async fn bulk(&mut self, mib: u32) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA cache_size = -{}",
                u64::from(mib) * 1024
            )))
            .execute(&mut *self.tx)
            .await?;
            self.bulk = true;
        }
        Ok(())
    }

    /// Sets a value in the key/value meta table.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    tsunagu_core::audit::millis(t)
}

pub(crate) fn from_ms(ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

pub(crate) fn parse_id<T: FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {s:?}")))
}

pub(crate) fn parse_enum<T>(s: &str, f: impl Fn(&str) -> Option<T>) -> Result<T> {
    f(s).ok_or_else(|| StoreError::Corrupt(format!("unknown value {s:?}")))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("json {s:?}: {e}")))
}

/// A SQL statement assembled from fixed fragments with numbered parameters (`$n`
/// works on both backends; sqlx's builder writes `?` for the Any driver).
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
    /// Anonymous `?` placeholders (SQLite only; parameters are bound in text order).
    /// SQLite treats `$n` as a named parameter whose name is looked up by a linear scan
    /// per bound value, so a statement with thousands of them binds in quadratic time.
    anonymous: bool,
}

pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

impl Sql {
    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// For a bulk statement: anonymous placeholders on SQLite.
    pub(crate) fn bulk(backend: Backend) -> Self {
        Self {
            anonymous: backend == Backend::Sqlite,
            ..Self::default()
        }
    }

    fn placeholder(&mut self) {
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push_str(&format!("${}", self.binds.len()));
        }
    }

    pub(crate) fn bind_text(&mut self, v: impl Into<String>) -> &mut Self {
        self.binds.push(Bind::Text(v.into()));
        self.placeholder();
        self
    }

    pub(crate) fn bind_int(&mut self, v: i64) -> &mut Self {
        self.binds.push(Bind::Int(v));
        self.placeholder();
        self
    }

    /// A text parameter, or `NULL`.
    pub(crate) fn bind_opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.bind_text(v),
            None => self.push("NULL"),
        }
    }

    /// An integer parameter, or `NULL`.
    pub(crate) fn bind_opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.bind_int(v),
            None => self.push("NULL"),
        }
    }

    pub(crate) fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}
