//! `tsunagu bench`: end-to-end figures measured on a real database through the real
//! HTTP server. Nothing here asserts a speed; it prints what it measured, and people
//! record the figures with the machine and the date in BENCHMARKS.md.
//!
//! `tsunagu bench search` fills a SQLite store with items and indicators (or reuses a
//! data directory that already holds the same bench data), serves it on 127.0.0.1:0 and
//! times indicator searches sent one after another over HTTP, as a member that is not
//! the provider. It then times the parts of a request on their own (token lookup, the
//! store's search query, the read-recording transaction), so that the share of SQL in
//! the end-to-end time can be seen.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::indicator::{Indicator, IndicatorKind, Tlp, guess_kind};
use tsunagu_core::item::{Confidence, Item, ItemContent, ItemKind, ItemStatus};
use tsunagu_core::member::{MemberClass, Sector};
use tsunagu_core::scope::Scope;
use tsunagu_core::user::UserRole;
use tsunagu_server::auth::{hash_password, hash_token, issue_token};
use tsunagu_server::bootstrap::{self, Founding, found_member, found_user, random_password};
use tsunagu_server::{AppState, Config, serve};
use tsunagu_store::{IndicatorMatch, ItemQuery, ItemRead, Store};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Indicator search on SQLite through the HTTP API: exact values, IP addresses,
    /// IP-in-CIDR both ways. Fills (or reuses) a bench database first.
    Search(SearchArgs),
}

/// The TLP marking of every bench item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchTlp {
    /// TLP:GREEN: reads are counted, not audited one by one.
    Green,
    /// TLP:AMBER: confidential, so every read also writes an audit entry.
    Amber,
}

impl BenchTlp {
    fn tlp(self) -> Tlp {
        match self {
            Self::Green => Tlp::Green,
            Self::Amber => Tlp::Amber,
        }
    }
}

/// Options of `tsunagu bench search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Data directory of the bench database; reused when it already holds bench data of
    /// the same size and TLP (and was made by a build with the same migrations).
    /// Default: a new temporary directory, removed at the end unless --keep.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Items to store.
    #[arg(long, default_value_t = 100_000)]
    pub items: u64,
    /// Indicators per item.
    #[arg(long, default_value_t = 10)]
    pub indicators_per_item: u64,
    /// Timed requests per query type.
    #[arg(long, default_value_t = 2000)]
    pub lookups: usize,
    /// TLP of the stored items.
    #[arg(long, value_enum, default_value_t = BenchTlp::Green)]
    pub tlp: BenchTlp,
    /// Items per insert transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch: u64,
    /// Keep the temporary data directory (and print where it is) to reuse it with
    /// --data-dir.
    #[arg(long)]
    pub keep: bool,
}

/// Runs a benchmark.
///
/// # Errors
/// When the database, the server or a request fails, or a response is not as expected.
pub async fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Search(args) => search(args).await,
    }
}

/// The meta key recording which bench data a database holds.
const BENCH_META: &str = "bench_items";
/// Login of the member user that reads in the benchmark.
const READER_LOGIN: &str = "bench-reader";

/// Deterministic pseudo-random numbers (splitmix64): the same run picks the same values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection on `u32`, so distinct indicator numbers give distinct addresses spread
/// over the whole IPv4 space.
fn scramble32(x: u64) -> u32 {
    // Truncation is intended: indicator numbers stay far below 2^32.
    let mut x = (x & 0xFFFF_FFFF) as u32;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^ (x >> 16)
}

/// The kind of the `g`-th indicator: 40% IPv4, 5% CIDR, 20% domain, 15% URL, 10%
/// SHA-256, 10% MD5, interleaved so that every item gets a mix.
fn kind_of(g: u64) -> IndicatorKind {
    match (g * 7) % 20 {
        0..=7 => IndicatorKind::Ipv4,
        8 => IndicatorKind::Cidr,
        9..=12 => IndicatorKind::Domain,
        13..=15 => IndicatorKind::Url,
        16 | 17 => IndicatorKind::Sha256,
        _ => IndicatorKind::Md5,
    }
}

fn hex_words(g: u64, words: u64) -> String {
    let mut s = String::with_capacity(usize::try_from(words * 16).unwrap_or(64));
    for w in 0..words {
        let _ = write!(s, "{:016x}", mix64(g * 8 + w + 1));
    }
    s
}

const TLDS: [&str; 8] = ["com", "net", "org", "jp", "info", "ru", "cn", "xyz"];

/// The CIDR of the `g`-th indicator: /16 to /24.
fn cidr_of(g: u64) -> (Ipv4Addr, u8) {
    let prefix = 16 + u8::try_from(mix64(g) % 9).unwrap_or(0);
    let mask = u32::MAX << (32 - u32::from(prefix));
    (Ipv4Addr::from(scramble32(g ^ 0x5A5A_5A5A) & mask), prefix)
}

/// The value of the `g`-th indicator, already in canonical form.
fn value_of(g: u64) -> String {
    let h = mix64(g);
    let tld = TLDS[usize::try_from(h % 8).unwrap_or(0)];
    match kind_of(g) {
        IndicatorKind::Ipv4 => Ipv4Addr::from(scramble32(g)).to_string(),
        IndicatorKind::Cidr => {
            let (net, prefix) = cidr_of(g);
            format!("{net}/{prefix}")
        }
        IndicatorKind::Domain => format!("c2-{g:x}.update-{:x}.{tld}", h & 0xFFFF),
        IndicatorKind::Url => format!(
            "https://cdn-{g:x}.files-{:x}.{tld}/dl/{:x}/payload.bin?id={g}",
            h & 0xFFF,
            h >> 40
        ),
        IndicatorKind::Sha256 => hex_words(g, 4),
        _ => hex_words(g, 2),
    }
}

fn indicator_of(g: u64) -> Result<Indicator> {
    let ind = Indicator::parse(kind_of(g), &value_of(g))?;
    if ind.value() != value_of(g) {
        bail!(
            "generated value {:?} is not canonical ({:?})",
            value_of(g),
            ind.value()
        );
    }
    Ok(ind)
}

fn bench_item(
    i: u64,
    k: u64,
    tlp: Tlp,
    provider: MemberId,
    sector: Sector,
    at: OffsetDateTime,
) -> Result<Item> {
    let indicators = (i * k..(i + 1) * k)
        .map(indicator_of)
        .collect::<Result<Vec<_>>>()?;
    let content = ItemContent {
        kind: ItemKind::ThreatInformation,
        title: format!("Bench campaign {i}: loader infrastructure and payload hashes"),
        executive_context: "A criminal group distributes a loader through phishing mail \
            aimed at operators; the infrastructure below was seen in the last 48 hours."
            .into(),
        technical_details: format!(
            "Stage one fetches the payload over HTTPS from the URLs listed; the C2 rotates \
             across the addresses and domains below every few hours. Sample set {i}."
        ),
        countermeasures: "Block the indicators at the perimeter and search proxy logs for \
            the domains and URLs over the last 30 days."
            .into(),
        victim: None,
        indicators,
        techniques: Vec::new(),
        cves: Vec::new(),
        products: Vec::new(),
        confidence: Confidence::Confirmed,
        tlp,
        scope: Scope {
            classes: BTreeSet::from([
                MemberClass::Class1,
                MemberClass::Class2,
                MemberClass::General,
            ]),
            ..Scope::default()
        },
        show_provider_sector: false,
        clearance: None,
        tearline: None,
        source: None,
    };
    Ok(Item {
        id: ItemId::new(),
        provider,
        provider_sector: sector,
        content,
        status: ItemStatus::Shared,
        revision: 1,
        created_at: at,
        updated_at: at,
    })
}

pub(crate) fn bar(len: u64, what: &str) -> Result<ProgressBar> {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>18} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .context("progress bar template")?,
    );
    pb.set_message(what.to_owned());
    Ok(pb)
}

/// The bench data of a size and TLP, as recorded in the meta table.
fn bench_tag(args: &SearchArgs) -> String {
    format!(
        "items={} indicators_per_item={} tlp={}",
        args.items,
        args.indicators_per_item,
        args.tlp.tlp().as_str()
    )
}

/// Fills the store, or checks that it already holds the same bench data. Returns the
/// insert figures when it inserted.
async fn fill(store: &Store, args: &SearchArgs) -> Result<Option<(Duration, u64)>> {
    let tag = bench_tag(args);
    match store.meta(BENCH_META).await? {
        Some(existing) if existing == tag => {
            println!("reusing the bench data in the directory ({tag})");
            return Ok(None);
        }
        Some(existing) => bail!(
            "the directory holds other bench data ({existing}); use another --data-dir for {tag}"
        ),
        None => {
            let n = store.item_count().await?;
            if n > 0 {
                bail!(
                    "the directory holds a database with {n} items that is not a complete \
                     bench database; use an empty --data-dir"
                );
            }
        }
    }
    let admin = store
        .user_by_login("admin")
        .await?
        .context("the bootstrapped `admin` user is missing")?
        .user;
    let provider = store
        .member(admin.member_id)
        .await?
        .context("the secretariat member is missing")?;
    let k = args.indicators_per_item;
    let batch = args.batch.max(1);
    let tlp = args.tlp.tlp();
    println!(
        "inserting {} items x {k} indicators = {} indicators (TLP:{}), {batch} items per transaction",
        args.items,
        args.items * k,
        tlp.as_str().to_uppercase()
    );
    let pb = bar(args.items, "items inserted")?;
    let start = Instant::now();
    let base = OffsetDateTime::now_utc() - time::Duration::days(30);
    let mut i = 0;
    while i < args.items {
        let end = (i + batch).min(args.items);
        let mut tx = store.begin().await?;
        for n in i..end {
            let at = base + time::Duration::milliseconds(i64::try_from(n).unwrap_or(0) * 20);
            let item = bench_item(n, k, tlp, provider.id, provider.sector, at)?;
            tx.insert_item(&item, admin.id).await?;
        }
        if end == args.items {
            tx.set_meta(BENCH_META, &tag).await?;
        }
        tx.commit().await?;
        pb.set_position(end);
        i = end;
    }
    if args.items == 0 {
        let mut tx = store.begin().await?;
        tx.set_meta(BENCH_META, &tag).await?;
        tx.commit().await?;
    }
    pb.finish();
    Ok(Some((start.elapsed(), args.items * k)))
}

/// The reader: an active class-1 analyst of its own member, in every item's scope and
/// not the provider. Created on first use; every run gets a fresh token.
async fn reader_token(store: &Store) -> Result<(String, MemberId)> {
    if let Some(u) = store.user_by_login(READER_LOGIN).await? {
        let mut tx = store.begin().await?;
        let issued = issue_token(&mut tx, u.user.id, u.user.member_id, "bench", 1, None).await?;
        tx.commit().await?;
        return Ok((issued.token, u.user.member_id));
    }
    let hash = hash_password(random_password()).await?;
    let mut tx = store.begin().await?;
    let member = found_member(
        &mut tx,
        Founding {
            name: "Bench Reader Security Co.".into(),
            class: MemberClass::Class1,
            roles: BTreeSet::new(),
            sector: Sector::InformationCommunication,
            category: "security_vendor".into(),
            foreign_affiliated: false,
            regulator_of: BTreeSet::new(),
        },
    )
    .await?;
    let (_, token) = found_user(&mut tx, member.id, READER_LOGIN, UserRole::Analyst, &hash).await?;
    tx.commit().await?;
    Ok((token, member.id))
}

/// The query types measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryType {
    /// A stored domain, URL, SHA-256 or MD5: exact match on the value.
    Value,
    /// A stored IPv4 address: the address itself and the ranges that contain it.
    Address,
    /// An address inside a stored CIDR that is not itself stored.
    AddressInCidr,
    /// The /24 around a stored address: the addresses inside and the ranges around it.
    CidrContains,
}

impl QueryType {
    const ALL: [Self; 4] = [
        Self::Value,
        Self::Address,
        Self::AddressInCidr,
        Self::CidrContains,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Value => "value (exact)",
            Self::Address => "ipv4 address",
            Self::AddressInCidr => "ip-in-cidr",
            Self::CidrContains => "/24 contains ip",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Value => "a stored domain, URL, SHA-256 or MD5 value",
            Self::Address => "a stored IPv4 address (matches itself and stored CIDRs around it)",
            Self::AddressInCidr => {
                "an address inside a stored /16../24 CIDR (not itself stored): IP-in-CIDR"
            }
            Self::CidrContains => {
                "the /24 around a stored address: finds the addresses in it and CIDRs around it"
            }
        }
    }
}

/// A random indicator number of one of `kinds`.
fn pick(rng: &mut Rng, total: u64, kinds: &[IndicatorKind]) -> u64 {
    loop {
        let g = rng.below(total);
        if kinds.contains(&kind_of(g)) {
            return g;
        }
    }
}

/// `n` query strings of a type, drawn at random among the stored indicators.
fn queries(qt: QueryType, total: u64, n: usize, rng: &mut Rng) -> Vec<String> {
    (0..n)
        .map(|_| match qt {
            QueryType::Value => value_of(pick(
                rng,
                total,
                &[
                    IndicatorKind::Domain,
                    IndicatorKind::Url,
                    IndicatorKind::Sha256,
                    IndicatorKind::Md5,
                ],
            )),
            QueryType::Address => value_of(pick(rng, total, &[IndicatorKind::Ipv4])),
            QueryType::AddressInCidr => {
                let (net, prefix) = cidr_of(pick(rng, total, &[IndicatorKind::Cidr]));
                let size = 1_u64 << (32 - u32::from(prefix));
                // Neither the network nor the broadcast address.
                let offset = 1 + rng.below(size - 2);
                let addr = u32::from(net) | u32::try_from(offset).unwrap_or(1);
                Ipv4Addr::from(addr).to_string()
            }
            QueryType::CidrContains => {
                let g = pick(rng, total, &[IndicatorKind::Ipv4]);
                let net = Ipv4Addr::from(scramble32(g) & 0xFFFF_FF00);
                format!("{net}/24")
            }
        })
        .collect()
}

/// The store query the API builds for `?indicator=value`.
fn store_query(value: &str) -> Result<ItemQuery> {
    let kind = guess_kind(value).with_context(|| format!("no kind for {value:?}"))?;
    let ind = Indicator::parse(kind, value)?;
    Ok(ItemQuery {
        indicator: Some(match ind.ip_net() {
            Some(net) => IndicatorMatch::Net(net),
            None => IndicatorMatch::Value(ind.value().to_owned()),
        }),
        ..ItemQuery::default()
    })
}

/// Latency figures of a series.
struct Stats {
    n: usize,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
}

impl Stats {
    fn of(samples: &[Duration]) -> Self {
        let mut s = samples.to_vec();
        s.sort_unstable();
        // Nearest rank.
        let at = |p: usize| {
            if s.is_empty() {
                Duration::ZERO
            } else {
                s[((s.len() * p).div_ceil(100)).clamp(1, s.len()) - 1]
            }
        };
        let total: Duration = s.iter().sum();
        Self {
            n: s.len(),
            p50: at(50),
            p90: at(90),
            p99: at(99),
            max: s.last().copied().unwrap_or_default(),
            mean: total / u32::try_from(s.len().max(1)).unwrap_or(u32::MAX),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// One measured query type.
struct Measured {
    qt: QueryType,
    http: Stats,
    items_min: usize,
    items_max: usize,
    items_mean: f64,
    sql: Stats,
}

/// Sends the queries over HTTP one at a time and times each; returns the latencies and
/// the number of items in each response.
async fn time_http(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    values: &[String],
    pb: &ProgressBar,
) -> Result<(Vec<Duration>, Vec<usize>)> {
    let mut lat = Vec::with_capacity(values.len());
    let mut counts = Vec::with_capacity(values.len());
    for v in values {
        let start = Instant::now();
        let resp = client
            .get(url)
            .bearer_auth(token)
            .query(&[("indicator", v.as_str())])
            .send()
            .await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        lat.push(start.elapsed());
        if !status.is_success() {
            bail!(
                "GET {url}?indicator={v}: {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let page: serde_json::Value = serde_json::from_slice(&body)?;
        let n = page["items"].as_array().map_or(0, Vec::len);
        if n == 0 {
            bail!("GET {url}?indicator={v} found nothing, but the value is stored");
        }
        counts.push(n);
        pb.inc(1);
    }
    Ok((lat, counts))
}

pub(crate) fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0),
        )
}

pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

async fn search(args: SearchArgs) -> Result<()> {
    let temp = match &args.data_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("tsunagu-bench-")
                .tempdir()
                .context("creating a temporary directory")?,
        ),
    };
    let dir = match (&args.data_dir, &temp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("no data directory"),
    };
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!(
        "machine: {cpus} CPUs ({}), {} RAM, load average {} at start",
        cpu_model(),
        memory_total(),
        load_average()
    );
    println!("data directory: {}", dir.display());
    let store = Store::open_data_dir(&dir)
        .await
        .with_context(|| format!("opening the database in {}", dir.display()))?;
    if bootstrap::bootstrap(&store).await?.is_some() {
        println!("bootstrapped a new council (secretariat, coordinator, admin)");
    }
    let inserted = fill(&store, &args).await?;
    let (token, reader_member) = reader_token(&store).await?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let config = Config {
        public_rate_per_minute: 1_000_000,
        ..Config::default()
    };
    let server = tokio::spawn(serve(
        listener,
        AppState::new(store.clone(), config),
        shutdown.clone(),
    ));
    let url = format!("http://{addr}/api/v1/items");
    let client = reqwest::Client::new();
    println!(
        "server on http://{addr}; reader: user {READER_LOGIN} of a class-1 member (not the provider, not the coordinator)"
    );

    let total = args.items * args.indicators_per_item;
    if total == 0 {
        bail!("nothing to search: --items and --indicators-per-item must be above 0");
    }
    let mut rng = Rng(0x0074_7375_6E61_6775);
    // Warm the caches (SQLite's and the OS's pages, the connection pool, the TCP
    // connection); not timed.
    let warm = queries(QueryType::Value, total, args.lookups.min(200), &mut rng);
    let pb = ProgressBar::hidden();
    time_http(&client, &url, &token, &warm, &pb).await?;

    let mut results = Vec::new();
    for qt in QueryType::ALL {
        let values = queries(qt, total, args.lookups, &mut rng);
        let pb = bar(values.len() as u64, qt.label())?;
        let (lat, counts) = time_http(&client, &url, &token, &values, &pb).await?;
        pb.finish();
        // The same searches straight on the store: the SQL (through sqlx) and the
        // decoding of the rows, without HTTP, authentication, the view or JSON.
        let mut sql = Vec::with_capacity(values.len());
        for v in &values {
            let q = store_query(v)?;
            let start = Instant::now();
            // 100: the batch the API asks for with its default page size of 50.
            let found = store.search_items(&q, None, 100).await?;
            sql.push(start.elapsed());
            if found.is_empty() {
                bail!("the store found nothing for {v}, but it is stored");
            }
        }
        results.push(Measured {
            qt,
            http: Stats::of(&lat),
            items_min: counts.iter().copied().min().unwrap_or(0),
            items_max: counts.iter().copied().max().unwrap_or(0),
            items_mean: counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64,
            sql: Stats::of(&sql),
        });
    }

    // The other parts of a request on their own.
    let parts_n = args.lookups.clamp(1, 500);
    let mut auth = Vec::with_capacity(parts_n);
    let mut reader = None;
    for _ in 0..parts_n {
        let start = Instant::now();
        let viewer = store
            .viewer_by_token_hash(&hash_token(&token), OffsetDateTime::now_utc())
            .await?
            .context("the reader's token is not found")?;
        auth.push(start.elapsed());
        reader = Some(viewer);
    }
    let reader = reader.context("no token lookup was made")?;
    if reader.member.id != reader_member {
        bail!("the token belongs to another member");
    }
    let some_items = store
        .search_items(&ItemQuery::default(), None, i64::try_from(parts_n)?)
        .await?;
    let mut reads = Vec::with_capacity(some_items.len());
    for s in &some_items {
        let start = Instant::now();
        let mut tx = store.begin().await?;
        tx.record_reads(&[ItemRead {
            item: s.item.id,
            member: reader.member.id,
            class: reader.member.class,
        }])
        .await?;
        if s.item.content.tlp.is_confidential() {
            tx.audit(&tsunagu_server::audit_by(
                Some(&reader),
                "item.read",
                "item",
                &s.item.id.to_string(),
                serde_json::json!({ "tlp": s.item.content.tlp }),
            ))
            .await?;
        }
        tx.commit().await?;
        reads.push(start.elapsed());
    }
    let auth = Stats::of(&auth);
    let reads = Stats::of(&reads);

    shutdown.cancel();
    server.await??;
    store.close().await;

    println!();
    println!("== tsunagu bench search ==");
    println!(
        "data: {} items x {} indicators = {total} indicators, TLP:{}; database {:.0} MiB",
        args.items,
        args.indicators_per_item,
        args.tlp.tlp().as_str().to_uppercase(),
        dir_size(&dir) as f64 / 1024.0 / 1024.0
    );
    match inserted {
        Some((took, n)) => println!(
            "insert: {n} indicators in {:.1} s = {:.0} indicators/s ({:.0} items/s)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            args.items as f64 / took.as_secs_f64()
        ),
        None => println!("insert: none (reused the data directory)"),
    }
    println!(
        "requests: {} per type, sequential, one keep-alive connection, after {} untimed warm-up requests",
        args.lookups,
        warm.len()
    );
    println!();
    println!(
        "{:<16} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>13}  {:>9} {:>9}",
        "HTTP GET (ms)",
        "n",
        "p50",
        "p90",
        "p99",
        "max",
        "mean",
        "items/resp",
        "store p50",
        "store p99"
    );
    for m in &results {
        let items = format!("{}/{:.2}/{}", m.items_min, m.items_mean, m.items_max);
        println!(
            "{:<16} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7}  {items:>13}  {:>9} {:>9}",
            m.qt.label(),
            m.http.n,
            ms(m.http.p50),
            ms(m.http.p90),
            ms(m.http.p99),
            ms(m.http.max),
            ms(m.http.mean),
            ms(m.sql.p50),
            ms(m.sql.p99),
        );
    }
    println!("  (items/resp: min/mean/max items in a response; store: search_items alone)");
    println!();
    println!("parts of one request, timed alone on the store (ms):");
    let part = |name: &str, s: &Stats| {
        println!(
            "  {name:<34} n {:>5}  p50 {:>7}  p90 {:>7}  p99 {:>7}  max {:>7}  mean {:>7}",
            s.n,
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max),
            ms(s.mean)
        );
    };
    part("token lookup (2 queries)", &auth);
    part(
        if args.tlp == BenchTlp::Amber {
            "read-recording tx + audit entry"
        } else {
            "read-recording tx (1 item)"
        },
        &reads,
    );
    for m in &results {
        part(&format!("search_items: {}", m.qt.label()), &m.sql);
    }
    println!();
    println!("where the mean time of a request goes (ms):");
    println!(
        "  {:<16} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>9}",
        "", "HTTP", "search", "token", "reads tx", "rest", "store share"
    );
    for m in &results {
        let http = m.http.mean.as_secs_f64() * 1000.0;
        let sql = m.sql.mean.as_secs_f64() * 1000.0;
        let token = auth.mean.as_secs_f64() * 1000.0;
        let tx = reads.mean.as_secs_f64() * 1000.0;
        println!(
            "  {:<16} {http:>8.3} {sql:>8.3} {token:>8.3} {tx:>8.3} {:>8.3}   {:>10.0}%",
            m.qt.label(),
            http - sql - token - tx,
            100.0 * (sql + token + tx) / http
        );
    }
    println!("  (rest: HTTP on loopback, the client, routing, the policy view, JSON, scheduling)");
    println!();
    println!("query types:");
    for qt in QueryType::ALL {
        println!("  {:<16} {}", qt.label(), qt.what());
    }
    println!();
    println!(
        "machine: {cpus} CPUs ({}), {} RAM, load average {} at the end (the machine may be shared)",
        cpu_model(),
        memory_total(),
        load_average()
    );
    if let Some(temp) = temp {
        if args.keep {
            let kept = temp.keep();
            println!(
                "kept the data directory: rerun with --data-dir {}",
                kept.display()
            );
        } else {
            temp.close().context("removing the temporary directory")?;
        }
    }
    Ok(())
}
