//! `tsunagu bench observations`: how fast sensor observations are ingested and routed
//! to the members whose verified constituency they hit (issue 10's figures: 1,000,000
//! records a minute or faster on SQLite, routing included, under 300 MB of peak
//! memory; routing one record against 100,000 registered prefixes in under 2 µs).
//!
//! Two parts. First a routing micro-benchmark, pure and on one thread: a
//! [`Routing`] table of `--prefixes` IPv4 and IPv6 ranges, 5,000 AS numbers and
//! 10,000 domains, and 5,000,000 pre-generated records (source and destination
//! address, AS number and host name each) routed through [`Routing::route_into`]
//! with one reused buffer, three times.
//!
//! Then ingestion, end to end, on a fresh SQLite data directory: a council of
//! `--members` members holding the same entries, verified, and a sensor operator;
//! a Shadowserver-style file of `--records` records (CSV or JSON lines) written before
//! the clock starts; then [`tsunagu_server::observations::ingest`] over the file,
//! exactly as `tsunagu import observations FILE --as LOGIN` runs it (the routing
//! table loaded from the database, parsing and routing off the async threads, one
//! transaction writing the hits and the council-wide daily counts). The process's
//! peak resident memory during ingestion is its high-water mark (`VmHWM` in
//! `/proc/self/status`), reset just before by writing `5` to `/proc/self/clear_refs`.
//! Afterwards each phase is timed on its own: loading the routing table, parsing,
//! parsing and routing, and writing (a second batch of the same records).
//!
//! Nothing here asserts a speed.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use time::OffsetDateTime;
use tsunagu_core::constituency::{Entry, EntryKind, Probe, Routing, Via};
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::member::{MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::observation::{self, Defaults, Format};
use tsunagu_core::user::{UserRole, Viewer};
use tsunagu_server::auth::hash_password;
use tsunagu_server::bootstrap::{self, Founding, found_member, found_user, random_password};
use tsunagu_server::observations::{ingest, route_all, routing_table};
use tsunagu_server::{AppState, Config};
use tsunagu_store::{ConstituencyRow, ConstituencyStatus, Store};

use crate::bench::{bar, cpu_model, load_average, memory_total};

/// The file format of the generated observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// Shadowserver-style CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Options of `tsunagu bench observations`.
#[derive(Debug, Args)]
pub struct ObservationsArgs {
    /// Records in the ingested file.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Registered IP ranges (about 70% IPv4 /12–/28, 30% IPv6 /24–/64).
    #[arg(long, default_value_t = 100_000)]
    pub prefixes: u64,
    /// Registered AS numbers.
    #[arg(long, default_value_t = 5_000)]
    pub asns: u64,
    /// Registered domains.
    #[arg(long, default_value_t = 10_000)]
    pub domains: u64,
    /// Members the entries belong to.
    #[arg(long, default_value_t = 500)]
    pub members: u64,
    /// Share of the ingested records whose source address lies in a registered range
    /// (the others hit nobody).
    #[arg(long, default_value_t = 0.05)]
    pub hit_ratio: f64,
    /// Records routed by the routing micro-benchmark.
    #[arg(long, default_value_t = 5_000_000)]
    pub probes: u64,
    /// Format of the ingested file.
    #[arg(long, value_enum, default_value_t = BenchFormat::Csv)]
    pub format: BenchFormat,
    /// Data directory (must not hold a council yet). Default: a new temporary
    /// directory, removed at the end unless --keep.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Keep the temporary data directory (and the generated file).
    #[arg(long)]
    pub keep: bool,
}

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index below `n`.
    fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).unwrap_or(0)
    }

    /// A uniform draw in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        u
    }

    fn u32(&mut self) -> u32 {
        u32::try_from(self.next() >> 32).unwrap_or(0)
    }

    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }

    /// A value of `table` (value, weight), drawn by weight.
    fn weighted(&mut self, table: &[(u8, u32)]) -> u8 {
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        let mut pick = u32::try_from(self.below(u64::from(total))).unwrap_or(0);
        for &(v, w) in table {
            if pick < w {
                return v;
            }
            pick -= w;
        }
        table.last().map_or(24, |(v, _)| *v)
    }
}

/// IPv4 prefix lengths registered, with their weights (per ten thousand): mostly
/// /19–/24 allocations, a few large blocks, some small assignments.
const V4_LENGTHS: [(u8, u32); 17] = [
    (12, 10),
    (13, 20),
    (14, 40),
    (15, 80),
    (16, 400),
    (17, 300),
    (18, 400),
    (19, 600),
    (20, 800),
    (21, 900),
    (22, 1200),
    (23, 1000),
    (24, 3000),
    (25, 350),
    (26, 350),
    (27, 300),
    (28, 250),
];

/// IPv6 prefix lengths registered, with their weights: LIR /29–/32s, end-site /48s
/// and /56s, some /64s.
const V6_LENGTHS: [(u8, u32); 12] = [
    (24, 5),
    (28, 10),
    (29, 20),
    (32, 200),
    (36, 30),
    (40, 50),
    (44, 50),
    (48, 400),
    (52, 30),
    (56, 100),
    (60, 20),
    (64, 85),
];

/// The sensors' own addresses (198.18.0.0/15, benchmarking space): never registered,
/// so a record's destination hits nobody.
const SENSOR_NET: u32 = 0xC612_0000;

/// What the sensors see: tag, sensor type, protocol, the main port, malware family,
/// severity. Each tag also sees nine other ports, so about 200 ports in all.
const TAGS: [(&str, &str, &str, u16, &str, &str); 20] = [
    ("ssh-brute-force", "honeypot", "tcp", 22, "", "medium"),
    ("telnet-brute-force", "honeypot", "tcp", 23, "", "medium"),
    ("mirai", "darknet", "tcp", 23, "mirai", "high"),
    ("gafgyt", "darknet", "tcp", 2323, "gafgyt", "high"),
    ("http-scan", "darknet", "tcp", 80, "", "low"),
    ("https-scan", "darknet", "tcp", 443, "", "low"),
    ("smb-scan", "darknet", "tcp", 445, "", "medium"),
    ("rdp-scan", "darknet", "tcp", 3389, "", "medium"),
    ("sip-scan", "darknet", "udp", 5060, "", "low"),
    ("redis-scan", "darknet", "tcp", 6379, "", "low"),
    ("backscatter", "darknet", "tcp", 8080, "", "info"),
    ("ssdp-amplifier", "scan", "udp", 1900, "", "medium"),
    ("ntp-amplifier", "scan", "udp", 123, "", "medium"),
    ("open-resolver", "scan", "udp", 53, "", "medium"),
    ("snmp-exposed", "scan", "udp", 161, "", "low"),
    ("memcached-exposed", "scan", "udp", 11211, "", "high"),
    ("emotet", "sinkhole", "tcp", 443, "emotet", "critical"),
    ("qakbot", "sinkhole", "tcp", 443, "qakbot", "critical"),
    ("adb-exploit", "honeypot", "tcp", 5555, "", "high"),
    ("tr069-exploit", "honeypot", "tcp", 7547, "mozi", "high"),
];

/// The registered constituency: the entries with their owner (a member index), and
/// what generating records needs to know of them.
struct Constituency {
    entries: Vec<(Entry, u32)>,
    v4: Vec<(u32, u8)>,
    v6: Vec<(u128, u8)>,
    asns: HashSet<u32>,
    domains: Vec<String>,
}

fn v4_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn v6_mask(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// A routable IPv4 address: not in 0/8, 127/8, 198/8 (the sensors'), 224/3.
fn v4_address(rng: &mut Rng) -> u32 {
    loop {
        let a = rng.u32();
        let first = a >> 24;
        if first != 0 && first != 127 && first != 198 && first < 224 {
            return a;
        }
    }
}

/// A global unicast IPv6 address (2000::/3).
fn v6_address(rng: &mut Rng) -> u128 {
    (rng.u128() & (u128::MAX >> 3)) | (1u128 << 125)
}

fn entry(kind: EntryKind, value: &str) -> Result<Entry> {
    Entry::parse(kind, value).map_err(|e| anyhow!("generated entry {value:?}: {e}"))
}

/// Generates the constituency: `args.prefixes` ranges (7 in 10 IPv4), `args.asns`
/// AS numbers and `args.domains` domains, each owned by a random member.
fn constituency(rng: &mut Rng, args: &ObservationsArgs) -> Result<Constituency> {
    let mut c = Constituency {
        entries: Vec::new(),
        v4: Vec::new(),
        v6: Vec::new(),
        asns: HashSet::new(),
        domains: Vec::new(),
    };
    let owner = |rng: &mut Rng| u32::try_from(rng.below(args.members)).unwrap_or(0);
    let mut seen = HashSet::new();
    while ((c.v4.len() + c.v6.len()) as u64) < args.prefixes {
        let value = if rng.below(10) < 7 {
            let len = rng.weighted(&V4_LENGTHS);
            let net = v4_address(rng) & v4_mask(len);
            if !seen.insert((u128::from(net), len, 4u8)) {
                continue;
            }
            c.v4.push((net, len));
            format!("{}/{len}", Ipv4Addr::from(net))
        } else {
            let len = rng.weighted(&V6_LENGTHS);
            let net = v6_address(rng) & v6_mask(len);
            if !seen.insert((net, len, 6u8)) {
                continue;
            }
            c.v6.push((net, len));
            format!("{}/{len}", Ipv6Addr::from(net))
        };
        c.entries
            .push((entry(EntryKind::Cidr, &value)?, owner(rng)));
    }
    while (c.asns.len() as u64) < args.asns {
        let asn = u32::try_from(1 + rng.below(399_999)).unwrap_or(1);
        if asn == 23_456 || asn == 65_535 || !c.asns.insert(asn) {
            continue;
        }
        c.entries
            .push((entry(EntryKind::Asn, &format!("AS{asn}"))?, owner(rng)));
    }
    for i in 0..args.domains {
        let domain = format!("corp{i:05}.co.jp");
        c.entries
            .push((entry(EntryKind::Domain, &domain)?, owner(rng)));
        c.domains.push(domain);
    }
    Ok(c)
}

impl Constituency {
    /// An address inside a random registered range (a range drawn uniformly).
    fn inside(&self, rng: &mut Rng) -> IpAddr {
        let i = rng.index(self.v4.len() + self.v6.len());
        match self.v4.get(i) {
            Some(&(net, len)) => IpAddr::V4(Ipv4Addr::from(net | (rng.u32() & !v4_mask(len)))),
            None => {
                let (net, len) = self.v6[i - self.v4.len()];
                IpAddr::V6(Ipv6Addr::from(net | (rng.u128() & !v6_mask(len))))
            }
        }
    }

    /// A random address, nine in ten IPv4; it may or may not hit.
    fn anywhere(rng: &mut Rng) -> IpAddr {
        if rng.below(10) < 9 {
            IpAddr::V4(Ipv4Addr::from(v4_address(rng)))
        } else {
            IpAddr::V6(Ipv6Addr::from(v6_address(rng)))
        }
    }

    /// A random address in no registered range.
    fn outside(&self, rng: &mut Rng, table: &Routing<u32>, routes: &mut Vec<(u32, Via)>) -> IpAddr {
        loop {
            let ip = Self::anywhere(rng);
            table.route_into(
                &Probe {
                    src_ip: Some(ip),
                    ..Probe::default()
                },
                routes,
            );
            if routes.is_empty() {
                return ip;
            }
        }
    }

    /// A random AS number nobody registered.
    fn unregistered_asn(&self, rng: &mut Rng) -> u32 {
        loop {
            let asn = u32::try_from(1 + rng.below(399_999)).unwrap_or(1);
            if !self.asns.contains(&asn) {
                return asn;
            }
        }
    }
}

fn sensor_address(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(SENSOR_NET | (rng.u32() & 0x1_FFFF)))
}

/// The process's resident memory figure `field` (`VmHWM`, `VmRSS`) in MiB.
fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the resident high-water mark; returns the resident memory now.
fn peak_reset() -> String {
    let now = mib(proc_status_mib("VmRSS"));
    // Failure shows as a peak that never falls; the timed run says so explicitly.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    now
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| format!("{v:.0} MiB"))
}

#[allow(clippy::cast_precision_loss)]
fn per_record_ns(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1e9 / n.max(1) as f64
}

#[allow(clippy::cast_precision_loss)]
fn per_minute(n: u64, d: Duration) -> f64 {
    n as f64 * 60.0 / d.as_secs_f64().max(1e-9)
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{cpus} CPUs ({}), {} RAM", cpu_model(), memory_total())
}

/// Runs `tsunagu bench observations` and prints the figures.
///
/// # Errors
/// On database failure, an unwritable data directory, or a record the parser refuses.
pub async fn run(args: ObservationsArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.hit_ratio) {
        bail!("--hit-ratio must be between 0 and 1");
    }
    if args.members == 0 || args.prefixes == 0 {
        bail!("--members and --prefixes must be at least 1");
    }
    println!(
        "machine: {}, load average {} at start",
        machine(),
        load_average()
    );
    let mut rng = Rng(10);
    let c = constituency(&mut rng, &args)?;
    println!(
        "constituency: {} ranges ({} IPv4, {} IPv6), {} AS numbers, {} domains, over {} members",
        thousands(args.prefixes),
        thousands(c.v4.len() as u64),
        thousands(c.v6.len() as u64),
        thousands(args.asns),
        thousands(args.domains),
        args.members
    );
    let table = micro(&args, &c, &mut rng);
    ingestion(&args, &c, table, &mut rng).await
}

/// The routing micro-benchmark; returns the table, which the record generator uses to
/// find addresses that hit nobody.
fn micro(args: &ObservationsArgs, c: &Constituency, rng: &mut Rng) -> Routing<u32> {
    println!();
    println!("routing micro-benchmark (one thread, no I/O)");
    let start = Instant::now();
    let mut table = Routing::new();
    for (entry, owner) in &c.entries {
        table.insert(entry, *owner);
    }
    let build = start.elapsed();
    println!(
        "  table built in {:.1} ms: {} entries ({:.2} µs an entry)",
        build.as_secs_f64() * 1000.0,
        thousands(table.len() as u64),
        per_record_ns(build, table.len() as u64) / 1000.0
    );
    // Host names: a quarter under a registered domain, the rest not.
    let hosts: Vec<String> = (0..100_000u64)
        .map(|i| {
            if i % 4 == 0 {
                format!("www{}.{}", i % 7, c.domains[rng.index(c.domains.len())])
            } else {
                format!("c2-{i}.botnet{}.example.net", i % 97)
            }
        })
        .collect();
    let probes: Vec<Probe<'_>> = (0..args.probes)
        .map(|i| Probe {
            src_ip: Some(if i % 2 == 0 {
                c.inside(rng)
            } else {
                Constituency::anywhere(rng)
            }),
            dst_ip: Some(sensor_address(rng)),
            asn: Some(u32::try_from(1 + rng.below(399_999)).unwrap_or(1)),
            hostname: Some(hosts[rng.index(hosts.len())].as_str()),
        })
        .collect();
    println!(
        "  {} records: each a source address (half inside a registered range), a \
         destination address, an AS number and a host name (a quarter under a registered domain)",
        thousands(args.probes)
    );
    let full = time_routing(&table, &probes);
    println!(
        "  route_into, whole records: {}; {:.1}% of records hit someone, {} hits in all",
        full.ns(),
        full.hit_rate(),
        thousands(full.hits)
    );
    // The same records with one field each, to see what each part costs.
    let parts: [(&str, OneField); 4] = [
        ("source address only", |p| Probe {
            src_ip: p.src_ip,
            ..Probe::default()
        }),
        ("destination address only", |p| Probe {
            dst_ip: p.dst_ip,
            ..Probe::default()
        }),
        ("AS number only", |p| Probe {
            asn: p.asn,
            ..Probe::default()
        }),
        ("host name only", |p| Probe {
            hostname: p.hostname,
            ..Probe::default()
        }),
    ];
    for (what, keep) in parts {
        let only: Vec<Probe<'_>> = probes.iter().map(keep).collect();
        let t = time_routing(&table, &only);
        println!("  route_into, {what}: {}; {:.1}% hit", t.ns(), t.hit_rate());
    }
    println!(
        "  (min / median / max of 3 runs of {} records each)",
        thousands(args.probes)
    );
    table
}

/// Keeps one field of a record, for timing the parts of routing.
type OneField = for<'a> fn(&Probe<'a>) -> Probe<'a>;

/// Three timed runs of routing `probes` through `table`.
struct Timing {
    runs: Vec<Duration>,
    records: u64,
    hit: u64,
    hits: u64,
}

impl Timing {
    /// `912 / 922 / 969 ns a record`.
    fn ns(&self) -> String {
        let ns: Vec<String> = self
            .runs
            .iter()
            .map(|d| format!("{:.0}", per_record_ns(*d, self.records)))
            .collect();
        format!("{} ns a record", ns.join(" / "))
    }

    #[allow(clippy::cast_precision_loss)]
    fn hit_rate(&self) -> f64 {
        100.0 * self.hit as f64 / self.records.max(1) as f64
    }
}

fn time_routing(table: &Routing<u32>, probes: &[Probe<'_>]) -> Timing {
    let mut routes: Vec<(u32, Via)> = Vec::new();
    let mut runs = Vec::new();
    let (mut hit, mut hits) = (0u64, 0u64);
    for _ in 0..3 {
        let start = Instant::now();
        (hit, hits) = (0, 0);
        for p in probes {
            table.route_into(std::hint::black_box(p), &mut routes);
            hit += u64::from(!routes.is_empty());
            hits += routes.len() as u64;
            std::hint::black_box(&routes);
        }
        runs.push(start.elapsed());
    }
    runs.sort();
    Timing {
        runs,
        records: probes.len() as u64,
        hit,
        hits,
    }
}

/// The ingestion benchmark on a fresh SQLite data directory.
async fn ingestion(
    args: &ObservationsArgs,
    c: &Constituency,
    table: Routing<u32>,
    rng: &mut Rng,
) -> Result<()> {
    println!();
    let temp = match &args.data_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("tsunagu-bench-observations-")
                .tempdir()
                .context("creating a temporary directory")?,
        ),
    };
    let dir = match (&args.data_dir, &temp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("no data directory"),
    };
    println!("ingestion on SQLite, data directory {}", dir.display());
    let store = Store::open_data_dir(&dir)
        .await
        .with_context(|| format!("opening the database in {}", dir.display()))?;
    let viewer = council(&store, args, c).await?;

    let path = dir.join(match args.format {
        BenchFormat::Csv => "observations.csv",
        BenchFormat::Jsonl => "observations.jsonl",
    });
    let start = Instant::now();
    let expected = write_records(&path, args, c, &table, rng)?;
    drop(table);
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "  wrote {} records ({} with a source address in a registered range) to {} \
         ({:.0} MB) in {:.1} s",
        thousands(args.records),
        thousands(expected),
        path.display(),
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );

    // The timed run: what `tsunagu import observations FILE --as LOGIN` does.
    let state = AppState::new(store.clone(), Config::default());
    let rss_before = proc_status_mib("VmRSS");
    let reset = std::fs::write("/proc/self/clear_refs", "5");
    println!(
        "  load average {} before ingesting; resident memory {}{}",
        load_average(),
        mib(rss_before),
        match &reset {
            Ok(()) => " (high-water mark reset)".to_owned(),
            Err(e) => format!(" (could not reset the high-water mark: {e})"),
        }
    );
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let pb = bar(bytes, "reading bytes")?;
    let reader = pb.wrap_read(file);
    let shown = pb.clone();
    let start = Instant::now();
    let summary = ingest(
        &state,
        &viewer,
        reader,
        None,
        Defaults::default(),
        "bench",
        move |n| shown.set_message(format!("{n} records")),
    )
    .await
    .map_err(|e| anyhow!("ingesting {}: {e}", path.display()))?;
    let took = start.elapsed();
    pb.finish_and_clear();
    let hwm = proc_status_mib("VmHWM");
    let rss = proc_status_mib("VmRSS");
    println!(
        "  ingested {} records in {:.2} s: {} records a minute; {} hits on {} members",
        thousands(summary.records),
        took.as_secs_f64(),
        thousands(per_minute(summary.records, took) as u64),
        thousands(summary.hits),
        summary.members_hit
    );
    println!(
        "  peak resident memory during ingestion (VmHWM{}): {}; resident after: {}",
        if reset.is_ok() {
            ", reset before"
        } else {
            ", NOT reset: the peak of the whole process"
        },
        mib(hwm),
        mib(rss)
    );

    phases(&store, &viewer, &path, args.records).await?;

    let db: u64 = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "  data directory now {:.0} MB (the file, and the database with both batches)",
        db as f64 / 1e6
    );
    store.close().await;
    println!();
    println!(
        "machine: {}, load average {} at the end (the machine may be shared)",
        machine(),
        load_average()
    );
    if let Some(temp) = temp {
        if args.keep {
            let kept = temp.keep();
            println!("kept the data directory {}", kept.display());
        } else {
            temp.close().context("removing the temporary directory")?;
        }
    }
    Ok(())
}

/// Where the time goes: loading the table, parsing, and parsing with routing, each on
/// its own; then the whole ingestion again (as a second batch), whose remainder is the
/// writing (hits are written while parsing goes on).
async fn phases(store: &Store, viewer: &Viewer, path: &Path, records: u64) -> Result<()> {
    println!(
        "  where the time goes (each phase run again on its own; peak = resident \
         high-water mark during the phase, reset before it):"
    );
    let before = peak_reset();
    let start = Instant::now();
    let table = routing_table(store).await?;
    let load = start.elapsed();
    println!(
        "    loading the routing table from the database: {:.2} s ({} entries); resident \
         {} before, peak {}",
        load.as_secs_f64(),
        thousands(table.len() as u64),
        before,
        mib(proc_status_mib("VmHWM"))
    );
    let open = || -> Result<_> {
        let mut reader = BufReader::with_capacity(
            256 * 1024,
            File::open(path).with_context(|| format!("opening {}", path.display()))?,
        );
        let format = Format::detect(std::io::BufRead::fill_buf(&mut reader)?);
        Ok(observation::records(reader, format, &Defaults::default()))
    };
    let before = peak_reset();
    let start = Instant::now();
    let mut n = 0u64;
    for record in open()? {
        std::hint::black_box(record.map_err(|e| anyhow!("{e}"))?);
        n += 1;
    }
    let parse = start.elapsed();
    println!(
        "    parsing alone: {:.2} s ({:.0} ns a record); resident {before} before, peak {}",
        parse.as_secs_f64(),
        per_record_ns(parse, n),
        mib(proc_status_mib("VmHWM"))
    );
    let records_iter = open()?;
    let before = peak_reset();
    let start = Instant::now();
    let counted = route_all(&table, records_iter, |_| {}, |_| true).map_err(|e| anyhow!("{e}"))?;
    let both = start.elapsed();
    let route = both.saturating_sub(parse);
    println!(
        "    parsing and routing ({} hits made and dropped, daily counts summed): {:.2} s; \
         so routing and counting ≈ {:.2} s ({:.0} ns a record); resident {before} before, \
         peak {}",
        thousands(counted.hits()),
        both.as_secs_f64(),
        route.as_secs_f64(),
        per_record_ns(route, records),
        mib(proc_status_mib("VmHWM"))
    );
    let state = AppState::new(store.clone(), Config::default());
    let before = peak_reset();
    let start = Instant::now();
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let summary = ingest(
        &state,
        viewer,
        file,
        None,
        Defaults::default(),
        "bench-phase",
        |_| {},
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    let whole = start.elapsed();
    let write = whole.saturating_sub(load + both);
    println!(
        "    the whole ingestion again (a second batch): {:.2} s; so writing {} hits and the \
         daily counts ≈ {:.2} s; resident {before} before, peak {}",
        whole.as_secs_f64(),
        thousands(summary.hits),
        write.as_secs_f64(),
        mib(proc_status_mib("VmHWM"))
    );
    Ok(())
}

/// The council: the bootstrapped coordinator, `args.members` members with the
/// constituency entries (registered, then verified by the coordinator), and a sensor
/// operator whose user submits the records. Returns that user's viewer.
async fn council(store: &Store, args: &ObservationsArgs, c: &Constituency) -> Result<Viewer> {
    if bootstrap::bootstrap(store).await?.is_none() {
        bail!("the data directory already holds a council; use an empty --data-dir");
    }
    let hash = hash_password(random_password())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let coordinator = store
        .members(Some(MemberStatus::Active))
        .await?
        .into_iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .context("the bootstrapped coordinator is missing")?;
    let start = Instant::now();
    let mut tx = store.begin().await?;
    let (coordinator_user, _) = found_user(
        &mut tx,
        coordinator.id,
        "bench-coordinator",
        UserRole::Analyst,
        &hash,
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    let operator = found_member(
        &mut tx,
        Founding {
            name: "Bench sensor operator".into(),
            class: MemberClass::General,
            roles: BTreeSet::from([SpecialRole::SensorOperator]),
            sector: Sector::ALL[0],
            category: "member".into(),
            foreign_affiliated: false,
            regulator_of: BTreeSet::new(),
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    found_user(
        &mut tx,
        operator.id,
        "bench-sensor",
        UserRole::Analyst,
        &hash,
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    let mut members: Vec<MemberId> = Vec::new();
    for i in 0..args.members {
        let m = found_member(
            &mut tx,
            Founding {
                name: format!("Bench member {i}"),
                class: MemberClass::General,
                roles: BTreeSet::new(),
                sector: Sector::ALL[usize::try_from(i).unwrap_or(0) % Sector::ALL.len()],
                category: "member".into(),
                foreign_affiliated: false,
                regulator_of: BTreeSet::new(),
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        members.push(m.id);
    }
    tx.commit().await?;
    register(store, c, &members, coordinator_user).await?;
    println!(
        "  council: {} members and a sensor operator, {} verified constituency entries, \
         set up in {:.1} s",
        args.members,
        thousands(c.entries.len() as u64),
        start.elapsed().as_secs_f64()
    );
    let user = store
        .user_by_login("bench-sensor")
        .await?
        .context("the sensor operator's user is missing")?
        .user;
    let member = store
        .member(operator.id)
        .await?
        .context("the sensor operator is missing")?;
    Ok(Viewer::uncleared(user, member))
}

/// Writes every entry as registered and then verified by the coordinator, 10,000 to a
/// transaction.
async fn register(
    store: &Store,
    c: &Constituency,
    members: &[MemberId],
    coordinator: UserId,
) -> Result<()> {
    let pb = bar(c.entries.len() as u64, "entries verified")?;
    for chunk in c.entries.chunks(10_000) {
        let now = OffsetDateTime::now_utc();
        let mut tx = store.begin().await?;
        tx.bulk(64).await?;
        for (entry, owner) in chunk {
            let row = ConstituencyRow {
                id: uuid::Uuid::now_v7().to_string(),
                member: members[usize::try_from(*owner).unwrap_or(0)],
                kind: entry.kind().as_str().to_owned(),
                value: entry.value(),
                ownership: "allocation".to_owned(),
                status: ConstituencyStatus::Pending,
                overlaps: Vec::new(),
                note: String::new(),
                decided_by: None,
                decided_at: None,
                created_at: now,
            };
            tx.insert_constituency(&row).await?;
            tx.decide_constituency(
                &row.id,
                ConstituencyStatus::Verified,
                "bench",
                coordinator,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(())
}

/// `2026-11-20 03:04:05` (Shadowserver's form, UTC) or `2026-11-20T03:04:05Z`.
fn timestamp(t: OffsetDateTime, rfc3339: bool) -> String {
    format!(
        "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        if rfc3339 { 'T' } else { ' ' },
        t.hour(),
        t.minute(),
        t.second(),
        if rfc3339 { "Z" } else { "" }
    )
}

/// One generated record, as text cells (empty when absent).
struct Cells {
    timestamp: String,
    src_ip: String,
    src_port: String,
    dst_ip: String,
    dst_port: String,
    protocol: &'static str,
    asn: String,
    hostname: String,
    tag: &'static str,
    family: &'static str,
    severity: &'static str,
    count: String,
    sensor_id: String,
    sensor_type: &'static str,
}

/// The CSV columns, in Shadowserver's event-report order.
const CSV_HEADER: &str = "timestamp,src_ip,src_port,dst_ip,dst_port,protocol,asn,hostname,\
                          tag,family,severity,count,sensor_id,sensor_type";

impl Cells {
    fn csv(&self, w: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.timestamp,
            self.src_ip,
            self.src_port,
            self.dst_ip,
            self.dst_port,
            self.protocol,
            self.asn,
            self.hostname,
            self.tag,
            self.family,
            self.severity,
            self.count,
            self.sensor_id,
            self.sensor_type
        )
    }

    /// A JSON line: numbers as numbers, absent values left out.
    fn json(&self, w: &mut impl Write) -> std::io::Result<()> {
        let mut line = format!("{{\"timestamp\":\"{}\"", self.timestamp);
        let text = [
            ("src_ip", self.src_ip.as_str()),
            ("dst_ip", self.dst_ip.as_str()),
            ("protocol", self.protocol),
            ("hostname", self.hostname.as_str()),
            ("tag", self.tag),
            ("family", self.family),
            ("severity", self.severity),
            ("sensor_id", self.sensor_id.as_str()),
            ("sensor_type", self.sensor_type),
        ];
        for (k, v) in text {
            if !v.is_empty() {
                line.push_str(&format!(",\"{k}\":\"{v}\""));
            }
        }
        let numbers = [
            ("src_port", self.src_port.as_str()),
            ("dst_port", self.dst_port.as_str()),
            ("asn", self.asn.as_str()),
            ("count", self.count.as_str()),
        ];
        for (k, v) in numbers {
            if !v.is_empty() {
                line.push_str(&format!(",\"{k}\":{v}"));
            }
        }
        line.push('}');
        writeln!(w, "{line}")
    }
}

/// Writes `args.records` records, in time order over the last 30 days; returns how
/// many have a source address inside a registered range.
fn write_records(
    path: &Path,
    args: &ObservationsArgs,
    c: &Constituency,
    table: &Routing<u32>,
    rng: &mut Rng,
) -> Result<u64> {
    let mut w = BufWriter::with_capacity(
        1 << 20,
        File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    let json = args.format == BenchFormat::Jsonl;
    if !json {
        writeln!(w, "{CSV_HEADER}")?;
    }
    let span: i64 = 30 * 86_400;
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0)? - time::Duration::seconds(span);
    let records = i64::try_from(args.records).unwrap_or(i64::MAX).max(1);
    let mut routes: Vec<(u32, Via)> = Vec::new();
    let mut inside = 0u64;
    for i in 0..args.records {
        let offset = i64::try_from(i).unwrap_or(0) * span / records;
        let t = t0 + time::Duration::seconds(offset);
        let tag_index = rng.index(TAGS.len());
        let (tag, sensor_type, protocol, main_port, family, severity) = TAGS[tag_index];
        // Half the records on the tag's main port, the rest on nine others.
        let port = match rng.below(18) {
            j @ 0..9 => {
                1024 + u16::try_from(((tag_index as u64 * 9 + j) * 317) % 60_000).unwrap_or(0)
            }
            _ => main_port,
        };
        let src = if rng.unit() < args.hit_ratio {
            inside += 1;
            c.inside(rng)
        } else {
            c.outside(rng, table, &mut routes)
        };
        let scan = sensor_type == "scan";
        let cells = Cells {
            timestamp: timestamp(t, json),
            src_ip: src.to_string(),
            src_port: if scan {
                port.to_string()
            } else {
                (1024 + rng.below(64_000)).to_string()
            },
            dst_ip: if scan {
                String::new()
            } else {
                sensor_address(rng).to_string()
            },
            dst_port: if scan {
                String::new()
            } else {
                port.to_string()
            },
            protocol,
            asn: c.unregistered_asn(rng).to_string(),
            hostname: if sensor_type == "sinkhole" {
                format!("c2-{}.{family}-dga.example.net", rng.below(5_000))
            } else {
                String::new()
            },
            tag,
            family,
            severity,
            count: (1 + rng.below(20)).to_string(),
            sensor_id: format!("{sensor_type}-{:02}", rng.below(4)),
            sensor_type,
        };
        if json {
            cells.json(&mut w)?;
        } else {
            cells.csv(&mut w)?;
        }
    }
    w.flush()?;
    Ok(inside)
}
