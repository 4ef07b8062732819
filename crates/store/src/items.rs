//! Shared items: their current content, every revision, the search indexes
//! (indicator values, IP ranges, CVEs, techniques) and who has read them.
//!
//! The store only finds candidates; callers pass every item through the policy view
//! before any of it leaves.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use time::OffsetDateTime;
use tsunagu_core::ids::{ItemId, MemberId, UserId};
use tsunagu_core::indicator::{Indicator, IndicatorKind, ip_key};
use tsunagu_core::item::{Item, ItemContent, ItemStatus};
use tsunagu_core::member::{MemberClass, Sector};

use crate::{Result, Sql, Store, StoreError, Tx, from_ms, parse_enum, parse_id, parse_json, to_ms};

/// How an indicator search matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorMatch {
    /// The canonical value, exactly.
    Value(String),
    /// IP addresses and ranges that contain this network or lie inside it (an address
    /// is a /32 or /128 network), so a search works "IP-in-CIDR both ways".
    Net(IpNet),
}

/// Filters of an item search; all given filters must hold.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// An indicator.
    pub indicator: Option<IndicatorMatch>,
    /// A CVE id (canonical).
    pub cve: Option<String>,
    /// An ATT&CK technique; a technique also matches its sub-techniques.
    pub technique: Option<String>,
    /// The victim's sector.
    pub victim_sector: Option<Sector>,
    /// The item kind (`as_str`).
    pub kind: Option<String>,
    /// The confidence (`as_str`).
    pub confidence: Option<String>,
    /// Shared at or after.
    pub since: Option<OffsetDateTime>,
    /// Shared before.
    pub until: Option<OffsetDateTime>,
    /// Provided by this member.
    pub provider: Option<MemberId>,
}

/// A stored item with its position in the sharing order (the keyset cursor).
#[derive(Debug, Clone)]
pub struct StoredItem {
    /// Position: larger is newer.
    pub seq: i64,
    /// The item.
    pub item: Item,
}

/// How many distinct members of each class read an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    /// Class 1 members.
    pub class1: i64,
    /// Class 2 members.
    pub class2: i64,
    /// General members.
    pub general: i64,
    /// Partners (federation).
    pub partners: i64,
}

/// One read to record: who read which item.
#[derive(Debug, Clone, Copy)]
pub struct ItemRead {
    /// The item.
    pub item: ItemId,
    /// The reader's member.
    pub member: MemberId,
    /// Its class at the time.
    pub class: MemberClass,
}

fn key_hex(addr: IpAddr) -> String {
    hex::encode(ip_key(addr))
}

/// The 16-byte keyspace puts IPv4 at `::ffff:0:0/96`; a v4 prefix is 96 longer there.
fn key_prefix(net: &IpNet) -> u8 {
    match net {
        IpNet::V4(n) => n.prefix_len() + 96,
        IpNet::V6(n) => n.prefix_len(),
    }
}

/// The network addresses of `net` at every shorter or equal prefix: the `ip_lo` a
/// containing range must have.
fn containing_los(net: &IpNet) -> Vec<String> {
    let lo = u128::from_be_bytes(ip_key(net.network()));
    let start = if matches!(net, IpNet::V4(_)) { 96 } else { 0 };
    let mut out: Vec<String> = (start..=key_prefix(net))
        .map(|p| {
            let mask = if p == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(p))
            };
            hex::encode((lo & mask).to_be_bytes())
        })
        .collect();
    out.dedup();
    out
}

const ITEM_COLUMNS: &str =
    "seq, id, provider, provider_sector, status, revision, content, created_at, updated_at";

fn item_from_row(row: &AnyRow) -> Result<StoredItem> {
    let content: ItemContent = parse_json(&row.try_get::<String, _>("content")?)?;
    Ok(StoredItem {
        seq: row.try_get("seq")?,
        item: Item {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            provider: parse_id(&row.try_get::<String, _>("provider")?)?,
            provider_sector: parse_enum(
                &row.try_get::<String, _>("provider_sector")?,
                Sector::parse,
            )?,
            content,
            status: parse_enum(&row.try_get::<String, _>("status")?, ItemStatus::parse)?,
            revision: row.try_get("revision")?,
            created_at: from_ms(row.try_get("created_at")?)?,
            updated_at: from_ms(row.try_get("updated_at")?)?,
        },
    })
}

async fn fetch_item<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: ItemId,
) -> Result<Option<StoredItem>> {
    let mut sql = Sql::default();
    sql.push("SELECT ");
    sql.text.push_str(ITEM_COLUMNS);
    sql.push(" FROM items WHERE id = ")
        .bind_text(id.to_string());
    sql.query()
        .fetch_optional(e)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

fn content_json(c: &ItemContent) -> Result<String> {
    serde_json::to_string(c).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// One item with its sequence number.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item(&self, id: ItemId) -> Result<Option<StoredItem>> {
        fetch_item(&self.pool, id).await
    }

    /// Candidates for a search, newest first, with `seq < before`; at most `limit`.
    /// The caller filters them through the policy view.
    ///
    /// # Errors
    /// On database failure.
    pub async fn search_items(
        &self,
        q: &ItemQuery,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredItem>> {
        let mut sql = Sql::default();
        sql.push("SELECT ");
        sql.text.push_str(ITEM_COLUMNS);
        sql.push(" FROM items WHERE seq < ")
            .bind_int(before.unwrap_or(i64::MAX));
        if let Some(k) = &q.kind {
            sql.push(" AND kind = ").bind_text(k.as_str());
        }
        if let Some(c) = &q.confidence {
            sql.push(" AND confidence = ").bind_text(c.as_str());
        }
        if let Some(s) = q.victim_sector {
            sql.push(" AND victim_sector = ").bind_text(s.as_str());
        }
        if let Some(t) = q.since {
            sql.push(" AND created_at >= ").bind_int(to_ms(t));
        }
        if let Some(t) = q.until {
            sql.push(" AND created_at < ").bind_int(to_ms(t));
        }
        if let Some(p) = q.provider {
            sql.push(" AND provider = ").bind_text(p.to_string());
        }
        match &q.indicator {
            None => {}
            Some(IndicatorMatch::Value(v)) => {
                sql.push(" AND seq IN (SELECT item_seq FROM item_indicators WHERE value = ")
                    .bind_text(v.as_str())
                    .push(")");
            }
            Some(IndicatorMatch::Net(net)) => {
                let lo = key_hex(net.network());
                let hi = key_hex(net.broadcast());
                sql.push(" AND seq IN (SELECT item_seq FROM item_indicators WHERE (ip_lo IN (");
                for (i, l) in containing_los(net).into_iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_text(l);
                }
                sql.push(") AND ip_hi >= ").bind_text(hi.clone());
                sql.push(") OR (ip_lo >= ").bind_text(lo);
                sql.push(" AND ip_lo <= ").bind_text(hi.clone());
                sql.push(" AND ip_hi <= ").bind_text(hi).push("))");
            }
        }
        if let Some(c) = &q.cve {
            sql.push(
                " AND seq IN (SELECT item_seq FROM item_refs WHERE ref_type = 'cve' AND value = ",
            )
            .bind_text(c.as_str())
            .push(")");
        }
        if let Some(t) = &q.technique {
            sql.push(" AND seq IN (SELECT item_seq FROM item_refs WHERE ref_type = 'technique' AND (value = ")
                .bind_text(t.as_str())
                .push(" OR value LIKE ")
                .bind_text(format!("{t}.%"))
                .push("))");
        }
        sql.push(" ORDER BY seq DESC LIMIT ").bind_int(limit);
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Every stored revision of an item, oldest first, as items (status and content of
    /// that revision).
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_revisions(&self, current: &Item) -> Result<Vec<Item>> {
        let rows = sqlx::query("SELECT revision, content, status, at FROM item_revisions WHERE item_id = $1 ORDER BY revision")
            .bind(current.id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Item {
                    content: parse_json(&r.try_get::<String, _>("content")?)?,
                    status: parse_enum(&r.try_get::<String, _>("status")?, ItemStatus::parse)?,
                    revision: r.try_get("revision")?,
                    updated_at: from_ms(r.try_get("at")?)?,
                    ..current.clone()
                })
            })
            .collect()
    }

    /// How many distinct members of each class read an item.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_read_counts(&self, id: ItemId) -> Result<ReadCounts> {
        let rows = sqlx::query("SELECT member_class, COUNT(*) AS n FROM item_reads WHERE item_id = $1 GROUP BY member_class")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut c = ReadCounts::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match MemberClass::parse(&r.try_get::<String, _>("member_class")?) {
                Some(MemberClass::Class1) => c.class1 = n,
                Some(MemberClass::Class2) => c.class2 = n,
                Some(MemberClass::General) => c.general = n,
                Some(MemberClass::Partner) => c.partners = n,
                None => return Err(StoreError::Corrupt("unknown class in item_reads".into())),
            }
        }
        Ok(c)
    }

    /// The number of items stored.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM items")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// What [`Tx::defer_indicator_index`] keeps until commit: the items inserted since
/// whose indicators are still to be handed over, and the indicators handed over, with
/// their items' sequence numbers (moved, not copied: a million indicators are a
/// hundred megabytes).
#[derive(Debug, Default)]
pub(crate) struct DeferredIndicators {
    awaited: HashMap<ItemId, i64>,
    items: Vec<(i64, Vec<Indicator>)>,
}

impl Tx {
    /// One item, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item(&mut self, id: ItemId) -> Result<Option<StoredItem>> {
        fetch_item(&mut *self.tx, id).await
    }

    /// Stores a new item (revision 1) and indexes it; returns its sequence number.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_item(&mut self, item: &Item, by: UserId) -> Result<i64> {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO items (id, provider, provider_sector, kind, confidence, tlp, status, victim_sector, revision, content, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq",
        )
        .bind(item.id.to_string())
        .bind(item.provider.to_string())
        .bind(item.provider_sector.as_str())
        .bind(item.content.kind.as_str())
        .bind(item.content.confidence.as_str())
        .bind(item.content.tlp.as_str())
        .bind(item.status.as_str())
        .bind(victim_sector(item))
        .bind(item.revision)
        .bind(content_json(&item.content)?)
        .bind(to_ms(item.created_at))
        .bind(to_ms(item.updated_at))
        .fetch_one(&mut *self.tx)
        .await?;
        let deferred = match &mut self.deferred_indicators {
            Some(d) => {
                d.awaited.insert(item.id, seq);
                true
            }
            None => false,
        };
        self.index_item(seq, &item.content, !deferred).await?;
        self.insert_revision(item, by).await?;
        Ok(seq)
    }

    /// Writes a new revision of an item (content and status), re-indexing it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn update_item(&mut self, seq: i64, item: &Item, by: UserId) -> Result<()> {
        sqlx::query(
            "UPDATE items SET kind = $2, confidence = $3, tlp = $4, status = $5, victim_sector = $6, revision = $7, content = $8, updated_at = $9 \
             WHERE seq = $1",
        )
        .bind(seq)
        .bind(item.content.kind.as_str())
        .bind(item.content.confidence.as_str())
        .bind(item.content.tlp.as_str())
        .bind(item.status.as_str())
        .bind(victim_sector(item))
        .bind(item.revision)
        .bind(content_json(&item.content)?)
        .bind(to_ms(item.updated_at))
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("DELETE FROM item_indicators WHERE item_seq = $1")
            .bind(seq)
            .execute(&mut *self.tx)
            .await?;
        if let Some(d) = &mut self.deferred_indicators {
            d.awaited.remove(&item.id);
            d.items.retain(|(s, _)| *s != seq);
        }
        sqlx::query("DELETE FROM item_refs WHERE item_seq = $1")
            .bind(seq)
            .execute(&mut *self.tx)
            .await?;
        self.index_item(seq, &item.content, true).await?;
        self.insert_revision(item, by).await
    }

    async fn insert_revision(&mut self, item: &Item, by: UserId) -> Result<()> {
        sqlx::query("INSERT INTO item_revisions (item_id, revision, content, status, changed_by, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(item.id.to_string())
            .bind(item.revision)
            .bind(content_json(&item.content)?)
            .bind(item.status.as_str())
            .bind(by.to_string())
            .bind(to_ms(item.updated_at))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Writes the index rows of new items' indicators at commit instead of with each
    /// item, sorted by value, for a transaction that stores hundreds of thousands of
    /// them: the value index then grows in key order instead of at random pages (a
    /// 1M-indicator import spent most of its time on random index pages). After
    /// [`Tx::insert_item`], the caller hands the item's indicators over with
    /// [`Tx::hand_over_indicators`]; the commit fails if it did not. Reads of the
    /// indicator index inside this transaction do not see those rows.
    pub fn defer_indicator_index(&mut self) {
        self.deferred_indicators = Some(DeferredIndicators::default());
    }

    /// Hands over the indicators of an item inserted since
    /// [`Tx::defer_indicator_index`], to be indexed at commit; does nothing otherwise
    /// (their rows are then written already).
    pub fn hand_over_indicators(&mut self, item: ItemId, indicators: Vec<Indicator>) {
        if let Some(d) = &mut self.deferred_indicators
            && let Some(seq) = d.awaited.remove(&item)
        {
            d.items.push((seq, indicators));
        }
    }

    pub(crate) async fn write_deferred_indicators(
        &mut self,
        mut d: DeferredIndicators,
    ) -> Result<()> {
        if let Some(item) = d.awaited.keys().next() {
            return Err(StoreError::Corrupt(format!(
                "the indicators of item {item} were never handed over to be indexed"
            )));
        }
        // Each item's indicators sorted in place, then merged: no copy of a million
        // rows, only a heap with one entry per item.
        for (_, indicators) in &mut d.items {
            indicators.sort_unstable_by(|a, b| a.value().cmp(b.value()));
        }
        let mut heads: BinaryHeap<Reverse<(&str, i64, usize, usize)>> = d
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, (seq, inds))| inds.first().map(|f| Reverse((f.value(), *seq, i, 0))))
            .collect();
        let mut chunk: Vec<(i64, IndicatorKind, &str)> = Vec::with_capacity(500);
        while let Some(Reverse((_, seq, i, j))) = heads.pop() {
            let inds = &d.items[i].1;
            chunk.push((seq, inds[j].kind(), inds[j].value()));
            if let Some(next) = inds.get(j + 1) {
                heads.push(Reverse((next.value(), seq, i, j + 1)));
            }
            if chunk.len() == 500 || heads.is_empty() {
                self.insert_indicator_rows(chunk.drain(..)).await?;
            }
        }
        Ok(())
    }

    /// One multi-row insert into the indicator index (well under SQLite's limit on
    /// parameters per statement for 500 rows).
    async fn insert_indicator_rows<'a>(
        &mut self,
        rows: impl Iterator<Item = (i64, IndicatorKind, &'a str)>,
    ) -> Result<()> {
        let mut sql = Sql::bulk(self.backend);
        sql.push("INSERT INTO item_indicators (item_seq, kind, value, ip_lo, ip_hi) VALUES ");
        for (i, (seq, kind, value)) in rows.enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind_int(seq)
                .push(", ")
                .bind_text(kind.as_str());
            sql.push(", ").bind_text(value);
            match kind.ip_net(value) {
                Some(n) => {
                    sql.push(", ").bind_text(key_hex(n.network()));
                    sql.push(", ").bind_text(key_hex(n.broadcast())).push(")");
                }
                None => {
                    sql.push(", NULL, NULL)");
                }
            }
        }
        sql.query().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Writes an item's index rows: its CVEs and techniques, and its indicators unless
    /// they are deferred to the commit.
    async fn index_item(&mut self, seq: i64, c: &ItemContent, indicators: bool) -> Result<()> {
        if indicators {
            for chunk in c.indicators.chunks(500) {
                self.insert_indicator_rows(chunk.iter().map(|ind| (seq, ind.kind(), ind.value())))
                    .await?;
            }
        }
        let refs: Vec<(&'static str, &str)> = c
            .cves
            .iter()
            .map(|v| ("cve", v.as_str()))
            .chain(c.techniques.iter().map(|t| ("technique", t.as_str())))
            .collect();
        for chunk in refs.chunks(500) {
            let mut sql = Sql::bulk(self.backend);
            sql.push("INSERT INTO item_refs (item_seq, ref_type, value) VALUES ");
            for (i, (t, v)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind_int(seq).push(", ").bind_text(*t);
                sql.push(", ").bind_text(*v).push(")");
            }
            sql.query().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Records reads: each member counts once per item.
    ///
    /// # Errors
    /// On database failure.
    pub async fn record_reads(&mut self, reads: &[ItemRead]) -> Result<()> {
        let now = to_ms(OffsetDateTime::now_utc());
        for r in reads {
            sqlx::query(
                "INSERT INTO item_reads (item_id, member_id, member_class, first_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (item_id, member_id) DO NOTHING",
            )
            .bind(r.item.to_string())
            .bind(r.member.to_string())
            .bind(r.class.as_str())
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}

fn victim_sector(item: &Item) -> Option<&'static str> {
    item.content
        .victim
        .as_ref()
        .and_then(|v| v.sector)
        .map(Sector::as_str)
}

impl Store {
    /// Items in the order they were added or last changed (TAXII's `date_added`),
    /// after the position `after` = (updated_at in ms, seq), at most `limit`: their
    /// positions and ids only, so a reader decodes just the items it needs. The caller
    /// loads each and filters it through the policy view.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_positions_by_change(
        &self,
        after: (i64, i64),
        kinds: &[&'static str],
        limit: i64,
    ) -> Result<Vec<(i64, i64, ItemId)>> {
        by_change("updated_at, seq, id", after, kinds, limit)
            .query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("updated_at")?,
                    r.try_get("seq")?,
                    parse_id(&r.try_get::<String, _>("id")?)?,
                ))
            })
            .collect()
    }

    /// The items with these ids (those that exist), in one query.
    ///
    /// # Errors
    /// On database failure.
    pub async fn items_by_ids(&self, ids: &[ItemId]) -> Result<HashMap<ItemId, StoredItem>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::default();
            sql.push("SELECT ")
                .push(ITEM_COLUMNS)
                .push(" FROM items WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(id.to_string());
            }
            sql.push(")");
            for row in sql.query().fetch_all(&self.pool).await? {
                let stored = item_from_row(&row)?;
                out.insert(stored.item.id, stored);
            }
        }
        Ok(out)
    }

    /// Like [`Store::item_positions_by_change`], with the items themselves (for reading
    /// everything in that order, as exports do).
    ///
    /// # Errors
    /// On database failure.
    pub async fn items_by_change(
        &self,
        after: (i64, i64),
        kinds: &[&'static str],
        limit: i64,
    ) -> Result<Vec<StoredItem>> {
        by_change(ITEM_COLUMNS, after, kinds, limit)
            .query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(item_from_row)
            .collect()
    }
}

/// `SELECT columns` of the items after `after` = (updated_at, seq) in that order, of
/// `kinds` (all when empty), at most `limit`.
fn by_change(columns: &'static str, after: (i64, i64), kinds: &[&'static str], limit: i64) -> Sql {
    let mut sql = Sql::default();
    sql.push("SELECT ").push(columns);
    // Row-value comparison is spelled out: the planner uses the index for both forms.
    sql.push(" FROM items WHERE (updated_at > ")
        .bind_int(after.0)
        .push(" OR (updated_at = ")
        .bind_int(after.0)
        .push(" AND seq > ")
        .bind_int(after.1)
        .push("))");
    if !kinds.is_empty() {
        sql.push(" AND kind IN (");
        for (i, k) in kinds.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(*k);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY updated_at, seq LIMIT ").bind_int(limit);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containing_networks_of_an_ipv4_address() {
        let net: IpNet = "10.1.2.3/32".parse().unwrap();
        let los = containing_los(&net);
        assert!(los.len() <= 33);
        for n in [
            "0.0.0.0", "8.0.0.0", "10.0.0.0", "10.1.0.0", "10.1.2.0", "10.1.2.2",
        ] {
            assert!(los.contains(&key_hex(n.parse().unwrap())), "{n}");
        }
        assert!(los.contains(&key_hex("10.1.2.3".parse().unwrap())));
        let v6: IpNet = "2001:db8::1/128".parse().unwrap();
        let los6 = containing_los(&v6);
        assert!(los6.len() <= 129);
        assert!(los6.contains(&key_hex("2001:db8::".parse().unwrap())));
        assert!(los6.contains(&key_hex("2001:db8::1".parse().unwrap())));
        assert!(
            !los6
                .iter()
                .any(|l| l.starts_with("00000000000000000000ffff")),
            "no IPv4 keys"
        );
    }
}
