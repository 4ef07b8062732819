//! Fresh, empty databases of either backend for tests (feature `testing`).
//!
//! PostgreSQL tests use the server named by `TSUNAGU_TEST_DATABASE_URL` and create a
//! database of their own in it; without that variable they are skipped loudly, unless
//! `TSUNAGU_REQUIRE_POSTGRES` is set, when they fail.

use sqlx::Connection;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the test PostgreSQL server.
    Postgres,
}

/// A fresh database; dropped (SQLite: deleted, PostgreSQL: `DROP DATABASE`) by [`TestDb::cleanup`].
#[derive(Debug)]
pub struct TestDb {
    /// Its URL, for `Store::open` or `--database-url`.
    pub url: String,
    /// The temporary directory of a SQLite database.
    pub dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// The PostgreSQL server tests use, if any.
///
/// # Panics
/// When `TSUNAGU_REQUIRE_POSTGRES` is set and no server is named.
#[must_use]
pub fn postgres_url() -> Option<String> {
    match std::env::var("TSUNAGU_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("TSUNAGU_REQUIRE_POSTGRES").is_err(),
                "TSUNAGU_REQUIRE_POSTGRES is set but TSUNAGU_TEST_DATABASE_URL is not"
            );
            eprintln!(
                "\n*** SKIPPED on PostgreSQL: TSUNAGU_TEST_DATABASE_URL is not set. \
                 Run scripts/test to test both backends. ***\n"
            );
            None
        }
    }
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    format!("{prefix}/{db}{query}")
}

impl TestDb {
    /// A fresh database; `None` when the backend is PostgreSQL and none is configured.
    ///
    /// # Panics
    /// When the database cannot be created.
    pub async fn new(db: Db) -> Option<Self> {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(crate::SQLITE_FILE).display()
                );
                Some(Self {
                    url,
                    dir: Some(dir),
                    pg: None,
                })
            }
            Db::Postgres => {
                let admin = postgres_url()?;
                sqlx::any::install_default_drivers();
                let name = format!("tsunagu_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                conn.close().await.ok();
                Some(Self {
                    url: with_database(&admin, &name),
                    dir: None,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    /// Drops a PostgreSQL test database (the SQLite directory goes with `self`).
    pub async fn cleanup(mut self) {
        if let Some((admin, name)) = self.pg.take()
            && let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}
