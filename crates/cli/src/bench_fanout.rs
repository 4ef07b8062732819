//! `tsunagu bench fanout`: the time from publishing one alert to the last acknowledged
//! webhook delivery, and the live-stream latency, on SQLite through the real server.
//!
//! It creates a council of `--members` active members in a SQLite store, each with one
//! webhook channel pointing at a receiver in this process on 127.0.0.1 (one port, path
//! `/hook/{i}`; it reads the body, checks the signature, records the arrival and answers
//! 204). It serves the council on 127.0.0.1:0, connects `--subscribers` live-stream
//! clients (`GET /api/v1/stream`, one user of a distinct member each), publishes one
//! alert to every member as the coordinator and measures:
//!
//! - the webhook fan-out: the first, median and last arrival at the receiver, and when
//!   the store has marked every delivery delivered;
//! - the live stream: when each subscriber got the alert's `data:` line.
//!
//! Every time is measured from the instant just before the `POST /api/v1/alerts` is
//! sent; the time that POST took (until its 201) is shown too, so figures "after the
//! 201" are the difference.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use clap::Args;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tsunagu_core::ids::AlertId;
use tsunagu_core::member::{MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::user::UserRole;
use tsunagu_server::auth::hash_password;

use crate::bench;
use tsunagu_server::bootstrap::{self, Founding, found_member, found_user, random_password};
use tsunagu_server::delivery::{DeliveryConfig, sign};
use tsunagu_server::error::ApiError;
use tsunagu_server::{AppState, Config, serve};
use tsunagu_store::{Channel, Store, Tx};

/// Options of `tsunagu bench fanout`.
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Members, each with one webhook channel (the secretariat and the coordinator come
    /// on top, without channels).
    #[arg(long, default_value_t = 10_000)]
    pub members: usize,
    /// Live-stream subscribers connected while publishing (one user each of the first
    /// members; at most --members).
    #[arg(long, default_value_t = 1_000)]
    pub subscribers: usize,
    /// Data directory of the bench database; it must not hold a council yet.
    /// Default: a new temporary directory, removed at the end.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The server's delivery concurrency (deliveries in flight at once).
    #[arg(long, default_value_t = DeliveryConfig::default().concurrency)]
    pub concurrency: usize,
    /// Alerts published one after another, each measured (the first one is cold: the
    /// server opens its connections to the receiver then).
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
}

/// Members created per transaction.
const SETUP_BATCH: usize = 2_000;
/// Live-stream connections opened at once.
const CONNECT_AT_ONCE: usize = 64;
/// The listen backlog of the server and the receiver (the default of 128 overflows
/// when a thousand clients connect at once; see the reference limits).
const BACKLOG: u32 = 1_024;

/// The webhook signing secret of member `i`.
fn secret_of(i: usize) -> String {
    format!("whsec_bench_{i:06}")
}

/// What the webhook receiver saw in the current round.
struct Receiver {
    /// The origin of the arrival times.
    base: Instant,
    /// Per member: nanoseconds since `base` + 1 of the first arrival (0: none yet).
    arrived: Vec<AtomicU64>,
    /// Members reached this round.
    reached: AtomicUsize,
    /// Requests this round (repeats included).
    requests: AtomicUsize,
    /// Requests with a missing or wrong signature (over all rounds).
    bad_signatures: AtomicUsize,
    /// Signalled when every member was reached.
    all: Notify,
}

impl Receiver {
    fn new(n: usize) -> Self {
        Self {
            base: Instant::now(),
            arrived: (0..n).map(|_| AtomicU64::new(0)).collect(),
            reached: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            bad_signatures: AtomicUsize::new(0),
            all: Notify::new(),
        }
    }

    fn reset(&self) {
        for a in &self.arrived {
            a.store(0, Ordering::Relaxed);
        }
        self.reached.store(0, Ordering::SeqCst);
        self.requests.store(0, Ordering::SeqCst);
    }

    /// The arrival instants of this round, in no particular order.
    fn arrivals(&self) -> Vec<Instant> {
        self.arrived
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .filter(|&t| t > 0)
            .map(|t| self.base + Duration::from_nanos(t - 1))
            .collect()
    }
}

fn signature_ok(i: usize, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(got) = headers
        .get("tsunagu-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(ts) = got
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return false;
    };
    sign(&secret_of(i), ts, body) == got
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    Path(i): Path<usize>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = u64::try_from(r.base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1;
    r.requests.fetch_add(1, Ordering::Relaxed);
    if !signature_ok(i, &headers, &body) {
        r.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let Some(slot) = r.arrived.get(i) else {
        return StatusCode::NOT_FOUND;
    };
    if slot
        .compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
        && r.reached.fetch_add(1, Ordering::SeqCst) + 1 == r.arrived.len()
    {
        r.all.notify_one();
    }
    StatusCode::NO_CONTENT
}

/// A listener on 127.0.0.1 with a backlog of [`BACKLOG`].
fn loopback_listener() -> Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    Ok(socket.listen(BACKLOG)?)
}

/// Founds a bench member; a new random pseudonym is drawn again when it collides with
/// an existing one (about one in four runs of 50,000 members draws a collision).
async fn found_bench_member(tx: &mut Tx, i: usize) -> Result<tsunagu_core::member::Member> {
    let classes = MemberClass::ALL;
    let sectors = Sector::ALL;
    let mut tries = 0;
    loop {
        let founding = Founding {
            name: format!("Bench Member {i:06} Co."),
            class: classes[i % classes.len()],
            roles: Default::default(),
            sector: sectors[i % sectors.len()],
            category: "bench".into(),
            foreign_affiliated: false,
            regulator_of: Default::default(),
        };
        match found_member(tx, founding).await {
            Ok(m) => return Ok(m),
            Err(ApiError::Conflict(_)) if tries < 5 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The council: returns the coordinator's token and the subscribers' tokens.
async fn setup(
    store: &Store,
    args: &FanoutArgs,
    hooks: SocketAddr,
) -> Result<(String, Vec<String>)> {
    if bootstrap::bootstrap(store).await?.is_none() {
        bail!("the data directory already holds a council; use an empty --data-dir");
    }
    // One hash for every bench user: hashing is deliberately slow and is not measured.
    let hash = hash_password(random_password()).await?;
    let coordinator = store
        .members(Some(MemberStatus::Active))
        .await?
        .into_iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .context("the bootstrapped coordinator is missing")?;
    let mut tx = store.begin().await?;
    let (_, coordinator_token) = found_user(
        &mut tx,
        coordinator.id,
        "bench-coordinator",
        UserRole::Analyst,
        &hash,
    )
    .await?;
    tx.commit().await?;

    let pb = bench::bar(args.members as u64, "members")?;
    let mut tokens = Vec::with_capacity(args.subscribers);
    let mut i = 0;
    while i < args.members {
        let end = (i + SETUP_BATCH).min(args.members);
        let mut tx = store.begin().await?;
        for n in i..end {
            let m = found_bench_member(&mut tx, n).await?;
            tx.insert_channel(&Channel {
                id: format!("bench-channel-{n:06}"),
                member: m.id,
                kind: "webhook".into(),
                address: format!("http://{hooks}/hook/{n}"),
                secret: Some(secret_of(n)),
                max_in_flight: 4,
                active: true,
                user: None,
                cleared_level: None,
            })
            .await?;
            if n < args.subscribers {
                let (_, token) = found_user(
                    &mut tx,
                    m.id,
                    &format!("bench-sub-{n:06}"),
                    UserRole::Viewer,
                    &hash,
                )
                .await?;
                tokens.push(token);
            }
        }
        tx.commit().await?;
        pb.set_position(end as u64);
        i = end;
    }
    pb.finish();
    Ok((coordinator_token, tokens))
}

/// Opens the live streams, [`CONNECT_AT_ONCE`] at a time; returns when every one
/// answered 200. Each stream's reader sends (subscriber, event number, arrival) for
/// every `data:` line.
async fn subscribe(
    url: &str,
    tokens: Vec<String>,
    events: &mpsc::UnboundedSender<(usize, usize, Instant)>,
) -> Result<JoinSet<()>> {
    let client = reqwest::Client::new();
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let mut connecting = JoinSet::new();
    for (s, token) in tokens.into_iter().enumerate() {
        let (client, gate, url) = (client.clone(), gate.clone(), url.to_owned());
        connecting.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let resp = client.get(&url).bearer_auth(&token).send().await?;
            if resp.status() != StatusCode::OK {
                bail!("GET {url} as subscriber {s}: {}", resp.status());
            }
            Ok((s, resp))
        });
    }
    let mut readers = JoinSet::new();
    while let Some(joined) = connecting.join_next().await {
        let (s, mut resp) = joined??;
        let events = events.clone();
        readers.spawn(async move {
            let mut buf: Vec<u8> = Vec::new();
            let mut k = 0;
            while let Ok(Some(chunk)) = resp.chunk().await {
                let now = Instant::now();
                buf.extend_from_slice(&chunk);
                while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                    if buf.starts_with(b"data:") {
                        let _ = events.send((s, k, now));
                        k += 1;
                    }
                    buf.drain(..=end);
                }
            }
        });
    }
    Ok(readers)
}

/// The figures of one published alert, in milliseconds after the POST was sent.
struct Round {
    /// Until the POST's 201.
    publish: f64,
    /// Webhook arrivals: first, median, last.
    first: f64,
    median: f64,
    last: f64,
    /// Until the store had every delivery marked delivered.
    marked: f64,
    /// CPU time this process (server, receiver and subscribers) used until then.
    cpu: f64,
    /// Webhook requests (repeats included).
    requests: usize,
    /// Live-stream arrivals, sorted.
    stream: Vec<f64>,
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(sorted.len() * p).div_ceil(100).clamp(1, sorted.len()) - 1]
}

/// CPU time (user and system) this process has used so far, in milliseconds; NaN when
/// /proc is not there.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime, fields 14 and 15 of the line, in USER_HZ (100) ticks.
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks * 10.0)
        })
        .unwrap_or(f64::NAN)
}

fn ms_since(from: Instant, t: Instant) -> f64 {
    t.saturating_duration_since(from).as_secs_f64() * 1000.0
}

/// How long to wait for a round's deliveries before giving up.
fn patience(members: usize) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(u64::try_from(members).unwrap_or(0) * 10)
}

/// What every round works with.
struct Bench<'a> {
    client: reqwest::Client,
    base_url: String,
    coordinator: String,
    store: &'a Store,
    receiver: &'a Receiver,
    members: usize,
    subscribers: usize,
}

async fn one_round(
    b: &Bench<'_>,
    round: usize,
    events: &mut mpsc::UnboundedReceiver<(usize, usize, Instant)>,
) -> Result<(Round, AlertId)> {
    let (receiver, store, members) = (b.receiver, b.store, b.members);
    receiver.reset();
    let form = json!({
        "title": format!("Bench fan-out {round}: actively exploited VPN appliance vulnerability"),
        "severity": "critical",
        "action_required": "Apply the vendor's fix or disconnect the appliance before 08:30 JST",
        "deadline_text": "before 08:30 JST tomorrow",
        "body_executive": "A remote code execution flaw in a widely used VPN appliance is being \
            exploited against operators in several sectors. Expect disruption if unpatched.",
        "body_analyst": "Unauthenticated requests to the management interface lead to code \
            execution; exploitation leaves web shells under the portal directory. Search for \
            the indicators below and rotate credentials of any appliance found exposed.",
        "target": { "all": true },
    });
    let cpu_before = cpu_ms();
    let sent = Instant::now();
    let resp = b
        .client
        .post(format!("{}/api/v1/alerts", b.base_url))
        .bearer_auth(&b.coordinator)
        .json(&form)
        .send()
        .await?;
    let answered = Instant::now();
    let status = resp.status();
    let body: Value = resp.json().await?;
    if status != StatusCode::CREATED {
        bail!("POST /api/v1/alerts: {status}: {body}");
    }
    let id: AlertId = body["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("the 201 carries no alert id")?;

    if members > 0 {
        let wait = patience(members);
        if tokio::time::timeout(wait, receiver.all.notified())
            .await
            .is_err()
        {
            bail!(
                "round {round}: only {} of {members} members reached after {} s",
                receiver.reached.load(Ordering::SeqCst),
                wait.as_secs()
            );
        }
    }
    let mut arrivals = receiver.arrivals();
    arrivals.sort_unstable();
    // When the store has marked them all: polled (cheaply) only from now on.
    let marked_by = Instant::now() + patience(members);
    let (marked, cpu) = loop {
        let counts = store.delivery_counts(id).await?;
        let delivered = counts
            .iter()
            .find(|(s, _)| s == "delivered")
            .map_or(0, |(_, n)| *n);
        if usize::try_from(delivered).unwrap_or(0) == members {
            break (Instant::now(), cpu_ms() - cpu_before);
        }
        if Instant::now() > marked_by {
            bail!("round {round}: only {delivered} of {members} deliveries marked delivered");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let requests = receiver.requests.load(Ordering::SeqCst);

    let mut stream = Vec::with_capacity(b.subscribers);
    let stream_by = tokio::time::Instant::now() + Duration::from_secs(30);
    while stream.len() < b.subscribers {
        match tokio::time::timeout_at(stream_by, events.recv()).await {
            Ok(Some((_, k, at))) if k == round => stream.push(ms_since(sent, at)),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    stream.sort_by(f64::total_cmp);
    let first = arrivals.first().map_or(f64::NAN, |t| ms_since(sent, *t));
    let median = arrivals
        .get(arrivals.len() / 2)
        .map_or(f64::NAN, |t| ms_since(sent, *t));
    let last = arrivals.last().map_or(f64::NAN, |t| ms_since(sent, *t));
    Ok((
        Round {
            publish: ms_since(sent, answered),
            first,
            median,
            last,
            marked: ms_since(sent, marked),
            cpu,
            requests,
            stream,
        },
        id,
    ))
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "{cpus} CPUs ({}), {} RAM",
        bench::cpu_model(),
        bench::memory_total()
    )
}

/// Runs `tsunagu bench fanout`.
///
/// # Errors
/// When the database, the server, the receiver or a request fails, or a round does not
/// reach every member in time.
pub async fn run(args: FanoutArgs) -> Result<()> {
    if args.subscribers > args.members {
        bail!("--subscribers must not exceed --members (each is a user of its own member)");
    }
    let temp = match &args.data_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("tsunagu-bench-fanout-")
                .tempdir()
                .context("creating a temporary directory")?,
        ),
    };
    let dir = match (&args.data_dir, &temp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => bail!("no data directory"),
    };
    println!(
        "machine: {}, load average {} at start",
        machine(),
        bench::load_average()
    );
    println!("data directory: {}", dir.display());

    // The webhook receiver.
    let receiver = Arc::new(Receiver::new(args.members));
    let hooks_listener = loopback_listener()?;
    let hooks = hooks_listener.local_addr()?;
    let hooks_app = axum::Router::new()
        .route("/hook/{i}", axum::routing::post(hook))
        .with_state(receiver.clone());
    let hooks_server = tokio::spawn(async move { axum::serve(hooks_listener, hooks_app).await });

    let store = Store::open_data_dir(&dir)
        .await
        .with_context(|| format!("opening the database in {}", dir.display()))?;
    let started = Instant::now();
    let (coordinator, tokens) = setup(&store, &args, hooks).await?;
    let setup_took = started.elapsed();

    // The server.
    let listener = loopback_listener()?;
    let addr = listener.local_addr()?;
    let config = Config {
        public_rate_per_minute: 1_000_000,
        listen: Some(addr),
        delivery: DeliveryConfig {
            concurrency: args.concurrency.max(1),
            ..DeliveryConfig::default()
        },
        ..Config::default()
    };
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(
        listener,
        AppState::new(store.clone(), config),
        shutdown.clone(),
    ));
    let base_url = format!("http://{addr}");

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut readers = subscribe(&format!("{base_url}/api/v1/stream"), tokens, &events_tx).await?;
    let connect_took = started.elapsed();
    drop(events_tx);

    let bench = Bench {
        client: reqwest::Client::new(),
        base_url,
        coordinator,
        store: &store,
        receiver: &receiver,
        members: args.members,
        subscribers: args.subscribers,
    };
    let mut rounds = Vec::with_capacity(args.rounds);
    let mut last_alert = None;
    for round in 0..args.rounds.max(1) {
        let (r, id) = one_round(&bench, round, &mut events).await?;
        rounds.push(r);
        last_alert = Some(id);
    }
    // The issuer's own view agrees.
    let progress: Value = match last_alert {
        Some(id) => {
            bench
                .client
                .get(format!("{}/api/v1/alerts/{id}/progress", bench.base_url))
                .bearer_auth(&bench.coordinator)
                .send()
                .await?
                .json()
                .await?
        }
        None => Value::Null,
    };

    readers.abort_all();
    while readers.join_next().await.is_some() {}
    shutdown.cancel();
    if tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .is_err()
    {
        println!("(the server did not stop within 30 s)");
    }
    hooks_server.abort();
    store.close().await;

    println!();
    println!("== tsunagu bench fanout ==");
    println!(
        "{} members with one webhook each (receiver: one port on 127.0.0.1, answers 204), \
         {} live-stream subscribers, delivery concurrency {}, SQLite",
        args.members, args.subscribers, args.concurrency
    );
    println!(
        "setup: {:.1} s (members, channels, users); {} streams connected in {:.2} s",
        setup_took.as_secs_f64(),
        args.subscribers,
        connect_took.as_secs_f64()
    );
    println!();
    println!("milliseconds after the POST /api/v1/alerts was sent:");
    println!(
        "{:>5} {:>8} | {:>8} {:>8} {:>8} {:>8} {:>9} {:>5} | {:>6} {:>8} {:>8} {:>8} {:>8}",
        "round",
        "201",
        "hook 1st",
        "hook p50",
        "hook max",
        "all mkd",
        "hooks/s",
        "cores",
        "stream",
        "p50",
        "p99",
        "max",
        "max-201"
    );
    for (k, r) in rounds.iter().enumerate() {
        let rate = args.members as f64 / ((r.last - r.publish) / 1000.0);
        let max = r.stream.last().copied().unwrap_or(f64::NAN);
        println!(
            "{k:>5} {:>8.1} | {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9.0} {:>5.2} | {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            r.publish,
            r.first,
            r.median,
            r.last,
            r.marked,
            rate,
            r.cpu / r.marked,
            r.stream.len(),
            pct(&r.stream, 50),
            pct(&r.stream, 99),
            max,
            max - r.publish,
        );
    }
    println!(
        "  201: the POST answered (the alert and its {} deliveries committed); hook: arrivals at the \
         receiver; all mkd: the store had every delivery marked delivered; hooks/s: members / \
         (last arrival - 201); cores: CPU time of this process (server, receiver and \
         subscribers) / wall time until all mkd; stream: subscribers that got it (of {}); max-201: the last \
         subscriber after the 201",
        args.members, args.subscribers
    );
    let repeats: usize = rounds
        .iter()
        .map(|r| r.requests - args.members.min(r.requests))
        .sum();
    println!(
        "webhook requests beyond one per member: {repeats}; bad signatures: {}",
        receiver.bad_signatures.load(Ordering::Relaxed)
    );
    println!(
        "progress of the last alert: deliveries {}, recipients delivered {} of {} targeted",
        progress["deliveries"], progress["total"]["delivered"], progress["total"]["targeted"]
    );
    println!(
        "targets: 10,000 members: last delivery acknowledged < 2,000 ms; 1,000 subscribers: last \
         one < 200 ms after publication"
    );
    println!(
        "machine: {}, load average {} at the end",
        machine(),
        bench::load_average()
    );
    if let Some(temp) = temp {
        temp.close().context("removing the temporary directory")?;
    }
    Ok(())
}
