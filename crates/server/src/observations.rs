//! Observation ingestion (M6.2): records from any source (a file, the API, a sensor's
//! push) are parsed as a stream, routed by IP-in-CIDR, ASN and domain suffix against
//! the verified constituencies, counted into the council-wide daily figures, and
//! written with their hits in one transaction — a batch is stored whole or not at all,
//! and a malformed record stores nothing and is named by line and column.
//!
//! Parsing and routing run without touching the database, so the write lock is held
//! only for the short final transaction; a record costs a routing lookup and, when it
//! hits nobody, a counter increment.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::RwLock;
use tsunagu_core::constituency::{Entry, EntryKind, Probe, Routing, Via};
use tsunagu_core::ids::MemberId;
use tsunagu_core::indicator::{Indicator, IndicatorKind};
use tsunagu_core::item::ItemStatus;
use tsunagu_core::member::{Member, MemberStatus};
use tsunagu_core::observation::{self, Defaults, Format, Observation, ParseError, SensorType};
use tsunagu_core::trends::Daily;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;
use tsunagu_store::{BatchRow, HitRow, Notice, NoticeKind, Store, StoreError, day_of};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{AppState, audit_by};

/// A routing table over the verified constituencies, rebuilt when any changes.
#[derive(Default)]
pub struct RoutingCache(RwLock<Option<(i64, Arc<Routing<MemberId>>)>>);

impl RoutingCache {
    /// The current table: the cached one while no constituency changed since it was
    /// built (one small query to check), else a fresh one.
    ///
    /// # Errors
    /// On database failure.
    pub async fn get(&self, store: &Store) -> Result<Arc<Routing<MemberId>>, StoreError> {
        let version = store.constituency_version().await?;
        if let Some((v, table)) = self.0.read().await.as_ref()
            && *v == version
        {
            return Ok(table.clone());
        }
        let table = Arc::new(routing_table(store).await?);
        *self.0.write().await = Some((version, table.clone()));
        Ok(table)
    }
}

/// Builds the routing table of every verified constituency entry.
///
/// # Errors
/// On database failure, or when a stored entry no longer parses.
pub async fn routing_table(store: &Store) -> Result<Routing<MemberId>, StoreError> {
    const PAGE: i64 = 10_000;
    let mut table = Routing::new();
    let mut after = String::new();
    loop {
        let page = store.verified_constituency_page(&after, PAGE).await?;
        for (_, member, kind, value) in &page {
            let kind = EntryKind::parse(kind)
                .ok_or_else(|| StoreError::Corrupt(format!("constituency kind {kind:?}")))?;
            let entry = Entry::parse(kind, value)
                .map_err(|e| StoreError::Corrupt(format!("constituency {value:?}: {e}")))?;
            table.insert(&entry, *member);
        }
        match page.last() {
            Some((id, ..)) if page.len() == usize::try_from(PAGE).unwrap_or(0) => {
                after.clone_from(id)
            }
            _ => return Ok(table),
        }
    }
}

/// What an ingestion stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IngestSummary {
    /// The batch's identifier.
    pub batch_id: String,
    /// Records read.
    pub records: u64,
    /// Hits on members' constituencies (a record hitting two members counts twice).
    pub hits: u64,
    /// How many members were hit.
    pub members_hit: usize,
    /// Earliest record.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_at: Option<OffsetDateTime>,
    /// Latest record.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_at: Option<OffsetDateTime>,
}

/// The key of a council-wide daily count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DailyKey {
    day: String,
    sensor_type: &'static str,
    protocol: String,
    port: i64,
    tag: String,
}

/// What routing leaves once the hits are handed on: the council-wide daily counts
/// and the batch's figures.
pub struct Counted {
    daily: HashMap<DailyKey, (i64, i64)>,
    records: u64,
    hits: u64,
    members: std::collections::BTreeSet<MemberId>,
    first_at: Option<OffsetDateTime>,
    last_at: Option<OffsetDateTime>,
}

impl Counted {
    /// Records read.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Hits handed on.
    #[must_use]
    pub fn hits(&self) -> u64 {
        self.hits
    }
}

/// Hits handed on together: one multi-row statement's worth.
pub const HIT_CHUNK: usize = 1000;

/// The port a record is counted under in the trends: the port probed (destination)
/// when there is one, else the record's own (a scan report's exposed service port).
fn trend_port(o: &Observation) -> i64 {
    o.dst_port.or(o.src_port).map_or(-1, i64::from)
}

/// The day of a record, cached: records of one file come in time order, so most
/// share the previous record's day.
fn day_cached(cache: &mut Option<(time::Date, String)>, t: OffsetDateTime) -> String {
    let date = t.date();
    match cache {
        Some((d, s)) if *d == date => s.clone(),
        _ => {
            let s = day_of(t);
            *cache = Some((date, s.clone()));
            s
        }
    }
}

/// Parses and routes every record of `records` (a stream), calling `progress` with the
/// count read every 10,000 records and handing the hits to `sink` a chunk at a time
/// as they are found, so memory does not grow with the hits. Stops at the first
/// malformed record, or when `sink` answers false (its writer stopped).
///
/// # Errors
/// The first record that does not parse, by line and column.
pub fn route_all(
    table: &Routing<MemberId>,
    records: impl Iterator<Item = Result<Observation, ParseError>>,
    mut progress: impl FnMut(u64),
    mut sink: impl FnMut(Vec<HitRow>) -> bool,
) -> Result<Counted, ParseError> {
    let mut out = Counted {
        daily: HashMap::new(),
        records: 0,
        hits: 0,
        members: std::collections::BTreeSet::new(),
        first_at: None,
        last_at: None,
    };
    let mut routes: Vec<(MemberId, Via)> = Vec::new();
    let mut chunk: Vec<HitRow> = Vec::with_capacity(HIT_CHUNK);
    let mut day = None;
    for record in records {
        let o = record?;
        out.records += 1;
        if out.records.is_multiple_of(10_000) {
            progress(out.records);
        }
        out.first_at = Some(out.first_at.map_or(o.timestamp, |t| t.min(o.timestamp)));
        out.last_at = Some(out.last_at.map_or(o.timestamp, |t| t.max(o.timestamp)));
        let key = DailyKey {
            day: day_cached(&mut day, o.timestamp),
            sensor_type: o.sensor_type.as_str(),
            protocol: o.protocol.clone(),
            port: trend_port(&o),
            tag: o.tag.clone(),
        };
        let packets = i64::try_from(o.count).unwrap_or(i64::MAX);
        let slot = out.daily.entry(key).or_insert((0, 0));
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(packets);
        table.route_into(
            &Probe {
                src_ip: o.src_ip,
                dst_ip: o.dst_ip,
                asn: o.asn,
                hostname: o.hostname.as_deref(),
            },
            &mut routes,
        );
        for (member, via) in routes.drain(..) {
            out.hits += 1;
            out.members.insert(member);
            chunk.push(HitRow {
                member,
                observation: o.clone(),
                via: via.as_str().to_owned(),
                matched: via.entry(),
            });
        }
        if chunk.len() >= HIT_CHUNK
            && !sink(std::mem::replace(&mut chunk, Vec::with_capacity(HIT_CHUNK)))
        {
            return Ok(out);
        }
    }
    if !chunk.is_empty() {
        sink(chunk);
    }
    progress(out.records);
    Ok(out)
}

/// Why an ingestion stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A record is malformed (named by line and column).
    #[error("{0}")]
    Record(#[from] ParseError),
    /// The input holds no record.
    #[error("the input holds no records")]
    Empty,
    /// Reading the input failed.
    #[error("reading the input: {0}")]
    Read(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Ingests every record of `reader` (CSV or JSON lines; detected from the first bytes
/// when `format` is `None`) as one batch submitted by `v`'s member, in one transaction:
/// records are parsed and routed as a stream off the async threads while their hits
/// are written, a thousand at a time, into the open transaction; the batch's figures,
/// its council-wide daily counts and the audit entry complete it. A malformed record
/// rolls everything back. `progress` is told the records read every 10,000.
///
/// # Errors
/// The first malformed record, an empty input, or database failure: nothing is stored.
pub async fn ingest<R: std::io::Read + Send + 'static>(
    state: &AppState,
    v: &Viewer,
    reader: R,
    format: Option<Format>,
    defaults: Defaults,
    source: &str,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<IngestSummary, IngestError> {
    let table = state.routing.get(&state.store).await?;
    let mut batch = BatchRow {
        id: Uuid::now_v7().to_string(),
        source: source.to_owned(),
        submitted_by: v.member.id,
        records: 0,
        hits: 0,
        first_at: None,
        last_at: None,
        created_at: OffsetDateTime::now_utc(),
    };
    let mut tx = state.store.begin().await?;
    tx.insert_batch(&batch).await?;
    let (chunks, mut received) = tokio::sync::mpsc::channel::<Vec<HitRow>>(8);
    let routing = tokio::task::spawn_blocking(move || -> Result<Counted, IngestError> {
        let mut reader = std::io::BufReader::with_capacity(256 * 1024, reader);
        let format = match format {
            Some(f) => f,
            None => Format::detect(
                std::io::BufRead::fill_buf(&mut reader)
                    .map_err(|e| IngestError::Read(e.to_string()))?,
            ),
        };
        Ok(route_all(
            &table,
            observation::records(reader, format, &defaults),
            progress,
            |chunk| chunks.blocking_send(chunk).is_ok(),
        )?)
    });
    let mut written = 0_usize;
    let mut failed = None;
    while let Some(chunk) = received.recv().await {
        if written == HIT_CHUNK {
            // Many hits: a larger page cache for the index pages they touch.
            tx.bulk(16).await?;
        }
        written += chunk.len();
        if let Err(e) = tx.insert_hits(&batch.id, &chunk).await {
            failed = Some(e);
            break;
        }
    }
    drop(received);
    let counted = routing
        .await
        .map_err(|e| IngestError::Read(e.to_string()))??;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if counted.records == 0 {
        return Err(IngestError::Empty);
    }
    batch.records = i64::try_from(counted.records).unwrap_or(i64::MAX);
    batch.hits = i64::try_from(counted.hits).unwrap_or(i64::MAX);
    batch.first_at = counted.first_at;
    batch.last_at = counted.last_at;
    let daily: Vec<Daily> = counted
        .daily
        .into_iter()
        .map(|(k, (records, packets))| Daily {
            day: k.day,
            sensor_type: k.sensor_type.to_owned(),
            protocol: k.protocol,
            port: k.port,
            tag: k.tag,
            records,
            packets,
        })
        .collect();
    tx.finish_batch(&batch, &daily).await?;
    tx.audit(&audit_by(
        Some(v),
        "observations.ingest",
        "observation_batch",
        &batch.id,
        serde_json::json!({ "source": source, "records": batch.records, "hits": batch.hits, "members_hit": counted.members.len() }),
    ))
    .await?;
    tx.commit().await?;
    Ok(IngestSummary {
        batch_id: batch.id,
        records: counted.records,
        hits: counted.hits,
        members_hit: counted.members.len(),
        first_at: counted.first_at,
        last_at: counted.last_at,
    })
}

/// A shared indicator that falls inside a member's constituency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorHit {
    /// The indicator, as the member sees it.
    pub indicator: Indicator,
    /// The member's entry it falls inside.
    pub matched: String,
}

/// The members whose verified constituency one indicator falls inside, each with the
/// entry it falls in: addresses and ranges by IP-in-CIDR both ways, domains and the
/// hosts of URLs and e-mail addresses by domain suffix.
fn indicator_targets(table: &Routing<MemberId>, i: &Indicator) -> Vec<(MemberId, String)> {
    let nets = |v: Vec<(MemberId, ipnet::IpNet)>| -> Vec<(MemberId, String)> {
        v.into_iter().map(|(m, n)| (m, n.to_string())).collect()
    };
    match i.kind() {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr => i
            .ip_net()
            .map(|net| nets(table.owners_of_net(net)))
            .unwrap_or_default(),
        IndicatorKind::Domain => table.owners_of_domain(i.value()),
        IndicatorKind::Url => match url::Url::parse(i.value())
            .ok()
            .as_ref()
            .and_then(url::Url::host)
        {
            Some(url::Host::Domain(d)) => table.owners_of_domain(d),
            Some(url::Host::Ipv4(a)) => nets(table.owners_of_ip(a.into())),
            Some(url::Host::Ipv6(a)) => nets(table.owners_of_ip(a.into())),
            None => Vec::new(),
        },
        IndicatorKind::Email => i
            .value()
            .rsplit_once('@')
            .map(|(_, d)| table.owners_of_domain(d))
            .unwrap_or_default(),
        IndicatorKind::EmailSubject
        | IndicatorKind::Md5
        | IndicatorKind::Sha1
        | IndicatorKind::Sha256 => Vec::new(),
    }
}

/// The indicators of `indicators` (a member's own view of an item) that fall inside
/// `member`'s verified constituency.
#[must_use]
pub fn indicator_hits(
    table: &Routing<MemberId>,
    member: MemberId,
    indicators: &[Indicator],
) -> Vec<IndicatorHit> {
    indicators
        .iter()
        .filter_map(|i| {
            indicator_targets(table, i)
                .into_iter()
                .find(|(m, _)| *m == member)
                .map(|(_, matched)| IndicatorHit {
                    indicator: i.clone(),
                    matched,
                })
        })
        .collect()
}

/// The meta key of the indicator sweep's position in the items' change order.
const WATERMARK: &str = "constituency_indicator_watermark";

/// How far back a newly verified constituency entry is checked against shared items.
pub const REWIND_ON_VERIFY: time::Duration = time::Duration::days(30);

/// Moves the indicator sweep back to items changed since `since` (when it is past that
/// point), so a constituency entry verified now is checked against recently shared
/// items too; members already told about an item are not told again.
///
/// # Errors
/// On database failure.
pub async fn rewind_indicator_sweep(
    tx: &mut tsunagu_store::Tx,
    store: &Store,
    since: OffsetDateTime,
) -> Result<(), StoreError> {
    let to = audit_ms(since);
    let current = store
        .meta(WATERMARK)
        .await?
        .and_then(|w| w.split_once(':').and_then(|(a, _)| a.parse::<i64>().ok()));
    if current.is_some_and(|c| c > to) {
        tx.set_meta(WATERMARK, &format!("{to}:0")).await?;
    }
    Ok(())
}

/// Items read per indicator sweep step.
const SWEEP_PAGE: i64 = 500;

/// Tells members about shared indicators inside their constituency: every item
/// added or changed since the last sweep is checked against the verified
/// constituencies, and each member that may see it, and whose own view of it holds
/// an indicator inside its constituency, gets one notice (once per item) through its
/// delivery channels. Returns how many notices were written.
///
/// # Errors
/// On database failure.
pub async fn sweep_indicators(state: &AppState) -> Result<usize, StoreError> {
    let table = state.routing.get(&state.store).await?;
    let mut written = 0;
    loop {
        let after = state
            .store
            .meta(WATERMARK)
            .await?
            .and_then(|w| {
                let (a, b) = w.split_once(':')?;
                Some((a.parse().ok()?, b.parse().ok()?))
            })
            .unwrap_or((0_i64, 0_i64));
        let page = state.store.items_by_change(after, &[], SWEEP_PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(written);
        };
        let next = format!("{}:{}", audit_ms(last.item.updated_at), last.seq);
        let mut notices = Vec::new();
        if !table.is_empty() {
            let members = state.store.members(Some(MemberStatus::Active)).await?;
            let by_id: HashMap<MemberId, &Member> = members.iter().map(|m| (m.id, m)).collect();
            let now = OffsetDateTime::now_utc();
            for stored in &page {
                let item = &stored.item;
                if item.status != ItemStatus::Shared {
                    continue;
                }
                // Candidates from the item's own indicators; each is then checked
                // against its own view of the item.
                let mut candidates: Vec<MemberId> = item
                    .content
                    .indicators
                    .iter()
                    .flat_map(|i| indicator_targets(&table, i))
                    .map(|(m, _)| m)
                    .collect();
                candidates.sort_unstable();
                candidates.dedup();
                for member in candidates {
                    let Some(m) = by_id.get(&member) else {
                        continue;
                    };
                    let Some(shown) = view(item, &Viewer::for_member((*m).clone())) else {
                        continue;
                    };
                    if indicator_hits(&table, member, &shown.indicators).is_empty() {
                        continue;
                    }
                    notices.push(Notice {
                        id: Uuid::now_v7().to_string(),
                        kind: NoticeKind::ConstituencyIndicator,
                        member,
                        item: item.id,
                        due_at: now,
                    });
                }
            }
        }
        let mut tx = state.store.begin().await?;
        if !notices.is_empty() {
            let mut channels: HashMap<MemberId, Vec<_>> = HashMap::new();
            for c in tx.active_channels().await? {
                channels.entry(c.member).or_default().push(c);
            }
            written += tx
                .add_notices(&notices, &channels, OffsetDateTime::now_utc())
                .await?
                .len();
        }
        tx.set_meta(WATERMARK, &next).await?;
        tx.commit().await?;
        if page.len() < usize::try_from(SWEEP_PAGE).unwrap_or(usize::MAX) {
            return Ok(written);
        }
    }
}

fn audit_ms(t: OffsetDateTime) -> i64 {
    tsunagu_core::audit::millis(t)
}

/// What a hit means, stated for the member: which sensor saw the record and which
/// part of it is the member's, so it can judge how sure the attribution is.
#[must_use]
pub fn precision(hit: &HitRow) -> String {
    precision_of(&hit.observation, &hit.via, &hit.matched, false)
}

/// [`precision`] of a record, in Japanese when `japanese`, else in English.
#[must_use]
pub fn precision_of(o: &Observation, via: &str, matched: &str, japanese: bool) -> String {
    let seen = match (o.sensor_type, japanese) {
        (SensorType::Darknet, false) => "observed on a darknet sensor",
        (SensorType::Honeypot, false) => "observed by a honeypot",
        (SensorType::Sinkhole, false) => "connected to a sinkhole",
        (SensorType::Scan, false) => "found by an internet-wide scan",
        (SensorType::Darknet, true) => "ダークネットのセンサーで観測",
        (SensorType::Honeypot, true) => "ハニーポットで観測",
        (SensorType::Sinkhole, true) => "シンクホールへの接続",
        (SensorType::Scan, true) => "インターネット全体のスキャンで検出",
    };
    let ip = |a: Option<std::net::IpAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    let host = o.hostname.as_deref().unwrap_or_default();
    let what = match (via, japanese) {
        ("source_address", false) => {
            format!(
                "the source address {} is yours (in {matched})",
                ip(o.src_ip)
            )
        }
        ("destination_address", false) => {
            format!(
                "the destination address {} is yours (in {matched})",
                ip(o.dst_ip)
            )
        }
        ("hostname", false) => format!("the hostname {host} is under your domain {matched}"),
        (_, false) => format!(
            "the record's network is your {matched}; the address itself may be a customer's"
        ),
        ("source_address", true) => {
            format!(
                "送信元アドレス {} は貴組織のもの（{matched} 内）",
                ip(o.src_ip)
            )
        }
        ("destination_address", true) => {
            format!(
                "宛先アドレス {} は貴組織のもの（{matched} 内）",
                ip(o.dst_ip)
            )
        }
        ("hostname", true) => format!("ホスト名 {host} は貴組織のドメイン {matched} の配下"),
        (_, true) => format!(
            "記録のネットワークは貴組織の {matched}（アドレス自体は顧客のものの可能性があります）"
        ),
    };
    if japanese {
        format!("{seen}：{what}")
    } else {
        format!("{seen}: {what}")
    }
}

/// Columns a hit adds to the record's own in CSV downloads and digests.
const HIT_CSV_EXTRA: [&str; 3] = ["via", "matched", "precision"];

/// A member's hits as CSV: the record's Shadowserver-style columns, then what hit.
///
/// # Errors
/// When writing fails (it writes to memory: never in practice).
pub fn hits_csv(hits: &[HitRow]) -> Result<Vec<u8>, csv::Error> {
    let mut header = csv::Writer::from_writer(Vec::new());
    observation::write_csv_header(&mut header)?;
    let header = header.into_inner().map_err(|e| e.into_error())?;
    let mut out = Vec::with_capacity(hits.len() * 160);
    out.extend_from_slice(header.strip_suffix(b"\n").unwrap_or(&header));
    for extra in HIT_CSV_EXTRA {
        out.push(b',');
        out.extend_from_slice(extra.as_bytes());
    }
    out.push(b'\n');
    for h in hits {
        let mut row = csv::Writer::from_writer(Vec::new());
        observation::write_csv_row(&mut row, &h.observation)?;
        let row = row.into_inner().map_err(|e| e.into_error())?;
        out.extend_from_slice(row.strip_suffix(b"\n").unwrap_or(&row));
        let mut tail = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        tail.write_record([h.via.as_str(), h.matched.as_str(), precision(h).as_str()])?;
        let tail = tail.into_inner().map_err(|e| e.into_error())?;
        out.push(b',');
        out.extend_from_slice(&tail);
    }
    Ok(out)
}

/// Most hits put in one digest or CSV download.
pub const DIGEST_LIMIT: i64 = 100_000;

/// Sends the daily digests of `day` (`YYYY-MM-DD`): each member hit that day, with an
/// active e-mail channel, gets one e-mail per address with its counts and its hits as
/// a CSV attachment — once, whichever server sends it. Returns how many were sent.
///
/// # Errors
/// On database failure (a failed e-mail is logged and retried by a later sweep).
pub async fn send_digests(state: &AppState, day: &str) -> Result<usize, StoreError> {
    if state.config.smtp_url.is_none() {
        return Ok(0);
    }
    let mut sent = 0;
    for (member, count) in state.store.members_hit_on(day).await? {
        let addresses: Vec<String> = state
            .store
            .channels_of(member)
            .await?
            .into_iter()
            .filter(|c| c.active && c.kind == "email")
            .map(|c| c.address)
            .collect();
        if addresses.is_empty()
            || !state
                .store
                .claim_digest(member, day, count, OffsetDateTime::now_utc())
                .await?
        {
            continue;
        }
        let q = tsunagu_store::HitQuery {
            from_day: Some(day.to_owned()),
            to_day: Some(day.to_owned()),
            ..Default::default()
        };
        let hits: Vec<HitRow> = state
            .store
            .hits_of(member, &q, DIGEST_LIMIT)
            .await?
            .into_iter()
            .map(|s| s.hit)
            .collect();
        let mut failed = None;
        for to in &addresses {
            if let Err(e) = send_digest(state, to, day, &hits).await {
                failed = Some(e);
            }
        }
        match failed {
            None => sent += 1,
            Some(e) => {
                tracing::warn!(%member, day, error = %e, "observation digest not sent; retried by the next sweep");
                state.store.release_digest(member, day).await?;
            }
        }
    }
    Ok(sent)
}

/// The plain-text part of a digest: counts by sensor type and tag, and how to read it.
#[must_use]
pub fn digest_text(day: &str, hits: &[HitRow]) -> String {
    use std::fmt::Write;
    let mut by: std::collections::BTreeMap<(&str, &str), (u64, u64)> = Default::default();
    for h in hits {
        let tag = if h.observation.tag.is_empty() {
            "(untagged)"
        } else {
            h.observation.tag.as_str()
        };
        let slot = by
            .entry((h.observation.sensor_type.as_str(), tag))
            .or_default();
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(h.observation.count);
    }
    let mut b = String::new();
    let _ = writeln!(
        b,
        "観測レポート / Observation report for {day} (UTC)\n\n\
         {} records from the council's sensors hit your registered constituency.",
        hits.len()
    );
    let _ = writeln!(b, "\nBy sensor type and tag (records / packets):");
    for ((sensor, tag), (records, packets)) in &by {
        let _ = writeln!(b, "- {sensor} / {tag}: {records} / {packets}");
    }
    if let Some(first) = hits.first() {
        let _ = writeln!(b, "\nFor example: {}", precision(first));
    }
    let _ = writeln!(
        b,
        "\nEvery record is in the attached CSV, with the part of it that is yours (via, matched) \
         and what that means (precision). Only your own constituency is reported to you.\n\
         — via the coordinator."
    );
    b
}

async fn send_digest(state: &AppState, to: &str, day: &str, hits: &[HitRow]) -> Result<(), String> {
    use lettre::Message;
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let csv = hits_csv(hits).map_err(|e| e.to_string())?;
    let message = Message::builder()
        .from(crate::delivery::mail_from(state)?)
        .to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?)
        .subject(format!(
            "[tsunagu] Observation report {day}: {} records hit your constituency",
            hits.len()
        ))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(digest_text(day, hits)))
                .singlepart(
                    Attachment::new(format!("tsunagu-observations-{day}.csv")).body(
                        csv,
                        ContentType::parse("text/csv; charset=utf-8").map_err(|e| e.to_string())?,
                    ),
                ),
        )
        .map_err(|e| e.to_string())?;
    crate::delivery::send_message(state, message).await
}

/// Runs the observation sweeps every `config.observation_sweep` until `shutdown`:
/// shared indicators inside members' constituencies, then yesterday's digests.
pub fn start(state: AppState, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        loop {
            match sweep_indicators(&state).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(
                        notices = n,
                        "shared indicators inside constituencies notified"
                    );
                    state.workers.wake();
                }
                Err(e) => tracing::error!(error = %e, "indicator sweep failed"),
            }
            let yesterday = day_of(OffsetDateTime::now_utc() - time::Duration::days(1));
            match send_digests(&state, &yesterday).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(digests = n, day = yesterday, "observation digests sent"),
                Err(e) => tracing::error!(error = %e, "observation digest sweep failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(state.config.observation_sweep) => {},
            }
        }
    });
}
