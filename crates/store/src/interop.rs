//! What the interoperability formats keep beside items: the STIX originals of imported
//! items, TAXII add-status resources, server-wide signing keys, and where incremental
//! pulls from TAXII sources stopped.

use std::collections::HashMap;

use sqlx::Row;
use time::OffsetDateTime;
use tsunagu_core::ids::{ItemId, MemberId};

use crate::{Result, Store, Tx, to_ms};

impl Store {
    /// The STIX originals kept with an imported item (JSON), if it came from STIX.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_stix(&self, item: ItemId) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT originals FROM item_stix WHERE item_id = $1")
                .bind(item.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The STIX originals kept with those of `items` that came from STIX (JSON).
    ///
    /// # Errors
    /// On database failure.
    pub async fn items_stix(&self, items: &[ItemId]) -> Result<HashMap<ItemId, String>> {
        let mut out = HashMap::new();
        for chunk in items.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT item_id, originals FROM item_stix WHERE item_id IN ({list})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.insert(
                    crate::parse_id(&row.try_get::<String, _>("item_id")?)?,
                    row.try_get("originals")?,
                );
            }
        }
        Ok(out)
    }

    /// A server-wide secret by name, created (32 random bytes, hex) on first use; every
    /// server sharing the database gets the same one.
    ///
    /// # Errors
    /// On database failure.
    pub async fn server_key(&self, name: &str, fresh: impl FnOnce() -> String) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Stores a TAXII status resource (JSON) for the member that caused it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_taxii_status(
        &self,
        id: &str,
        member: MemberId,
        body: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO taxii_status (id, member_id, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(member.to_string())
        .bind(body)
        .bind(to_ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A TAXII status resource, only for the member that caused it and not older than
    /// `since`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn taxii_status(
        &self,
        id: &str,
        member: MemberId,
        since: OffsetDateTime,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT body FROM taxii_status WHERE id = $1 AND member_id = $2 AND created_at >= $3",
        )
        .bind(id)
        .bind(member.to_string())
        .bind(to_ms(since))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Where the last pull from a TAXII source's collection stopped (its
    /// `X-TAXII-Date-Added-Last`).
    ///
    /// # Errors
    /// On database failure.
    pub async fn taxii_source_position(
        &self,
        url: &str,
        collection: &str,
    ) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT added_after FROM taxii_sources WHERE url = $1 AND collection = $2")
                .bind(url)
                .bind(collection)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => r.try_get("added_after")?,
            None => None,
        })
    }

    /// Remembers where a pull from a TAXII source's collection stopped.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_taxii_source_position(
        &self,
        url: &str,
        collection: &str,
        added_after: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO taxii_sources (url, collection, added_after) VALUES ($1, $2, $3) \
             ON CONFLICT (url, collection) DO UPDATE SET added_after = excluded.added_after",
        )
        .bind(url)
        .bind(collection)
        .bind(added_after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Tx {
    /// Keeps the STIX originals (JSON) of an imported item.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_item_stix(&mut self, item: ItemId, originals: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO item_stix (item_id, originals) VALUES ($1, $2) \
             ON CONFLICT (item_id) DO UPDATE SET originals = excluded.originals",
        )
        .bind(item.to_string())
        .bind(originals)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Tx {
    /// The item a provider imported from `external_id` before, with the fingerprint of
    /// the content it was imported with.
    ///
    /// # Errors
    /// On database failure.
    pub async fn external_item(
        &mut self,
        provider: MemberId,
        external_id: &str,
    ) -> Result<Option<(ItemId, String)>> {
        let row = sqlx::query(
            "SELECT item_id, fingerprint FROM item_external WHERE provider = $1 AND external_id = $2",
        )
        .bind(provider.to_string())
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| {
            Ok((
                crate::parse_id(&r.try_get::<String, _>("item_id")?)?,
                r.try_get("fingerprint")?,
            ))
        })
        .transpose()
    }

    /// Records (or moves) where an imported item came from.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_external_item(
        &mut self,
        provider: MemberId,
        external_id: &str,
        item: ItemId,
        fingerprint: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO item_external (provider, external_id, item_id, fingerprint) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (provider, external_id) DO UPDATE SET item_id = excluded.item_id, fingerprint = excluded.fingerprint",
        )
        .bind(provider.to_string())
        .bind(external_id)
        .bind(item.to_string())
        .bind(fingerprint)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
