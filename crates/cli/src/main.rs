//! `tsunagu`: serve the council, run the demo council, administer the database, and
//! measure it (`tsunagu bench`).

mod bench;
mod bench_fanout;
mod bench_matching;
mod bench_observations;
mod interop;

/// mimalloc rather than the system allocator: imports and exports churn through large
/// buffers, which glibc's allocator maps and unmaps (and the kernel zeroes) each time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tsunagu_server::demo::{self, DemoCredentials};
use tsunagu_server::demo_items;
use tsunagu_server::{AppState, Config, bootstrap, serve, shutdown_signal};
use tsunagu_store::Store;

/// tsunagu: cyber-threat information sharing and early warning for a national council.
#[derive(Debug, Parser)]
#[command(name = "tsunagu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the council: the REST API on --listen, with the database in --data-dir
    /// (embedded SQLite) or at --database-url (PostgreSQL). The first start creates
    /// the secretariat, the coordinator and an `admin` user and prints how to log in.
    Serve(ServeArgs),
    /// Create a demo council in --data-dir when it is empty (about 250 members across
    /// every sector, each with working logins and API tokens written to
    /// DIR/demo-credentials.json), then serve it.
    Demo(DemoArgs),
    /// Import STIX 2.1 bundles, MISP events and feeds, or pull a TAXII 2.1 collection,
    /// as items provided by the member of the user given with --as. Every import
    /// prints what it created, updated, left unchanged and skipped, and why.
    Import {
        #[command(subcommand)]
        command: interop::ImportCommand,
    },
    /// Export what the member of the user given with --as may see, as a STIX 2.1
    /// bundle or a MISP feed directory.
    Export {
        #[command(subcommand)]
        command: interop::ExportCommand,
    },
    /// Administration of the database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// End-to-end benchmarks on a real database through the real HTTP server; they
    /// print their figures (record them in BENCHMARKS.md). Logs at warn unless
    /// TSUNAGU_LOG says otherwise.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// Benchmarks: those of [`bench`], the alert fan-out, product matching and observation
/// ingestion.
#[derive(Debug, Subcommand)]
enum BenchCommand {
    #[command(flatten)]
    Other(bench::BenchCommand),
    /// Alert fan-out on SQLite: N members with a loopback webhook each and live-stream
    /// subscribers; publishes one alert and times the last acknowledged delivery and
    /// the last subscriber.
    Fanout(bench_fanout::FanoutArgs),
    /// Matching catalogue entries against the asset registry on SQLite: one entry and
    /// the whole catalogue against 1,000,000 assets and SBOM components.
    Matching(bench_matching::MatchingArgs),
    /// Sensor observations on SQLite: routing one record against 100,000 registered
    /// prefixes, and ingesting 1,000,000 records (routing included) with peak memory.
    Observations(bench_observations::ObservationsArgs),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create the secretariat, the coordinator and the `admin` user now, and print the
    /// one-time password and token (refuses if the council exists).
    Bootstrap(DbArgs),
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first modified, missing or unlinked entry.
    /// Exits with status 1 when the chain is broken.
    Verify(DbArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// Data directory holding the embedded SQLite database.
    #[arg(long, env = "TSUNAGU_DATA_DIR", default_value = "./tsunagu-data")]
    data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…); overrides --data-dir.
    #[arg(long, env = "TSUNAGU_DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    async fn open(&self) -> Result<Store> {
        match &self.database_url {
            Some(url) => Store::open(url).await.context("opening the database"),
            None => Store::open_data_dir(&self.data_dir)
                .await
                .with_context(|| format!("opening the database in {}", self.data_dir.display())),
        }
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "TSUNAGU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Distinct steering-committee approvals needed to admit a member or change a class.
    #[arg(long, env = "TSUNAGU_APPROVALS_REQUIRED", default_value_t = 2)]
    approvals_required: usize,
    /// The security-clearance levels, lowest first, comma-separated. Grants and items
    /// naming a level removed from this list fail closed (they confer / show nothing).
    #[arg(
        long,
        env = "TSUNAGU_CLEARANCE_LEVELS",
        value_delimiter = ',',
        default_value = "confidential,top_secret"
    )]
    clearance_levels: Vec<String>,
    /// Requests per minute per address on the public endpoints (application, login).
    #[arg(long, env = "TSUNAGU_PUBLIC_RATE_PER_MINUTE", default_value_t = 20)]
    public_rate_per_minute: u32,
    /// Seconds a worker holds a claimed delivery; if its server dies, another (or the
    /// restarted one) retries it after this.
    #[arg(long, env = "TSUNAGU_DELIVERY_LEASE_SECS", default_value_t = 60)]
    delivery_lease_secs: u64,
    /// Attempts before a delivery is dead-lettered.
    #[arg(long, env = "TSUNAGU_DELIVERY_MAX_ATTEMPTS", default_value_t = 8)]
    delivery_max_attempts: i64,
    /// Deliveries this server sends at once (over all channels).
    #[arg(long, env = "TSUNAGU_DELIVERY_CONCURRENCY", default_value_t = 256)]
    delivery_concurrency: usize,
    /// SMTP relay for alert e-mails: smtp://host:port, or smtps://user:password@host.
    #[arg(long, env = "TSUNAGU_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of alert e-mails.
    #[arg(
        long,
        env = "TSUNAGU_MAIL_FROM",
        default_value = "tsunagu <alerts@tsunagu.invalid>"
    )]
    mail_from: String,
    /// Minutes task-force members have to answer an item (the feedback deadline).
    #[arg(long, env = "TSUNAGU_FEEDBACK_WINDOW_MINUTES", default_value_t = 240)]
    feedback_window_minutes: i64,
    /// Minutes before the deadline when members who still owe feedback are reminded
    /// through their channels.
    #[arg(long, env = "TSUNAGU_REMINDER_LEAD_MINUTES", default_value_t = 60)]
    reminder_lead_minutes: i64,
    /// Incident-report deadlines under the NIS2-like regime, counted from awareness:
    /// early warning, notification, and the final report after the notification
    /// (whole minutes `m`, hours `h` or days `d`).
    #[arg(long, env = "TSUNAGU_NIS2_CLOCKS", default_value = "24h,72h,30d")]
    nis2_clocks: String,
    /// Incident-report deadlines under the APPI regime (個人情報保護委員会), counted from
    /// awareness: 速報 and 確報.
    #[arg(long, env = "TSUNAGU_APPI_CLOCKS", default_value = "5d,30d")]
    appi_clocks: String,
    /// Days the give-and-take ledger looks back.
    #[arg(long, env = "TSUNAGU_LEDGER_WINDOW_DAYS", default_value_t = 90)]
    ledger_window_days: i64,
    /// Free rider: received at least this many task-force items…
    #[arg(long, env = "TSUNAGU_FREE_RIDER_MIN_RECEIVED", default_value_t = 5)]
    free_rider_min_received: i64,
    /// …answered less than this percentage of those past their deadline…
    #[arg(
        long,
        env = "TSUNAGU_FREE_RIDER_MIN_ANSWER_PERCENT",
        default_value_t = 50
    )]
    free_rider_min_answer_percent: i64,
    /// …and provided fewer originals than this.
    #[arg(long, env = "TSUNAGU_FREE_RIDER_MIN_ORIGINALS", default_value_t = 1)]
    free_rider_min_originals: i64,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Data directory of the demo council (created and populated when empty).
    #[arg(long, env = "TSUNAGU_DATA_DIR", default_value = "./tsunagu-demo")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "TSUNAGU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TSUNAGU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("TSUNAGU_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    // A benchmark would otherwise log every one of its requests.
    init_tracing(if matches!(cli.command, Command::Bench { .. }) {
        "warn"
    } else {
        "info,sqlx=warn"
    });
    match cli.command {
        Command::Bench { command } => match command {
            BenchCommand::Other(command) => bench::run(command).await,
            BenchCommand::Fanout(args) => bench_fanout::run(args).await,
            BenchCommand::Matching(args) => bench_matching::run(args).await,
            BenchCommand::Observations(args) => bench_observations::run(args).await,
        },
        Command::Serve(args) => run_serve(args).await,
        Command::Demo(args) => run_demo(args).await,
        Command::Import { command } => interop::import(command).await,
        Command::Export { command } => interop::export(command).await,
        Command::Admin { command } => match command {
            AdminCommand::Bootstrap(db) => {
                let store = db.open().await?;
                match bootstrap::bootstrap(&store)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Some(first) => {
                        print_first_login(&first);
                        Ok(())
                    }
                    None => bail!("the council already exists; nothing was changed"),
                }
            }
            AdminCommand::Audit {
                command: AuditCommand::Verify(db),
            } => {
                let store = db.open().await?;
                match store.verify_audit().await? {
                    Ok(n) => {
                        println!("audit log intact: {n} entries, every hash and link verified");
                        Ok(())
                    }
                    Err(broken) => {
                        eprintln!("AUDIT LOG BROKEN: {broken}");
                        std::process::exit(1);
                    }
                }
            }
        },
    }
}

fn print_first_login(first: &bootstrap::FirstLogin) {
    println!("The council was created. Log in once with these and change the password:");
    println!("  login:     {}", first.login);
    println!("  password:  {}", first.password);
    println!("  API token: {}", first.api_token);
    println!("They are shown this once and stored only as hashes.");
}

async fn run_serve(args: ServeArgs) -> Result<()> {
    let store = args.db.open().await?;
    if let Some(first) = bootstrap::bootstrap(&store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        print_first_login(&first);
    }
    let mut incident_clocks = tsunagu_core::incident::ClockTable::default();
    incident_clocks
        .set(tsunagu_core::incident::Regime::Nis2, &args.nis2_clocks)
        .map_err(|e| anyhow::anyhow!("--nis2-clocks: {e}"))?;
    incident_clocks
        .set(tsunagu_core::incident::Regime::Appi, &args.appi_clocks)
        .map_err(|e| anyhow::anyhow!("--appi-clocks: {e}"))?;
    let config = Config {
        incident_clocks,
        approvals_required: args.approvals_required,
        public_rate_per_minute: args.public_rate_per_minute,
        delivery: tsunagu_server::delivery::DeliveryConfig {
            lease: std::time::Duration::from_secs(args.delivery_lease_secs.max(1)),
            max_attempts: args.delivery_max_attempts.max(1),
            concurrency: args.delivery_concurrency.max(1),
            ..Default::default()
        },
        smtp_url: args.smtp_url,
        mail_from: args.mail_from,
        feedback_window: time::Duration::minutes(args.feedback_window_minutes.max(1)),
        reminder_lead: time::Duration::minutes(args.reminder_lead_minutes.max(0)),
        ledger_window: time::Duration::days(args.ledger_window_days.max(1)),
        free_rider: tsunagu_core::feedback::FreeRiderRule {
            min_received: args.free_rider_min_received.max(0),
            min_answer_percent: args.free_rider_min_answer_percent.clamp(0, 100),
            min_originals: args.free_rider_min_originals.max(0),
        },
        clearance_levels: tsunagu_core::clearance::Levels::new(&args.clearance_levels)
            .map_err(|e| anyhow::anyhow!("--{e}"))?,
        ..Config::default()
    };
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    run_until_signal(listener, store, config).await
}

async fn run_until_signal(listener: TcpListener, store: Store, mut config: Config) -> Result<()> {
    let addr = listener.local_addr()?;
    config.listen = Some(addr);
    tracing::info!(%addr, backend = ?store.backend(), "tsunagu is serving");
    println!("listening on http://{addr}");
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    serve(listener, AppState::new(store.clone(), config), shutdown).await?;
    store.close().await;
    Ok(())
}

async fn run_demo(args: DemoArgs) -> Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let store = Store::open_data_dir(&args.data_dir)
        .await
        .with_context(|| format!("opening the database in {}", args.data_dir.display()))?;
    let path = args.data_dir.join("demo-credentials.json");
    let creds = if store.meta(bootstrap::BOOTSTRAPPED).await?.is_none() {
        println!("Creating the demo council in {} …", args.data_dir.display());
        let creds = demo::populate(&store, &base_url)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        demo::write_credentials(&path, &creds)?;
        creds
    } else {
        let mut creds = read_credentials(&path)?;
        creds.base_url.clone_from(&base_url);
        demo::write_credentials(&path, &creds)?;
        creds
    };
    let items = store.item_count().await?;
    print_demo_banner(&creds, &path, items);
    run_until_signal(listener, store, Config::default()).await
}

fn read_credentials(path: &Path) -> Result<DemoCredentials> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{} is missing: this data directory was not made by `tsunagu demo`",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
}

fn print_demo_banner(creds: &DemoCredentials, path: &Path, items: i64) {
    let find = |role: &str| {
        creds
            .members
            .iter()
            .find(|m| m.roles.iter().any(|r| r == role))
    };
    println!();
    println!("tsunagu demo council: {} members", creds.members.len());
    println!(
        "  API:          {}/api/v1  (OpenAPI: {}/api/v1/openapi.json)",
        creds.base_url, creds.base_url
    );
    println!("  credentials:  {} (mode 0600)", path.display());
    for role in ["coordinator", "secretariat"] {
        if let Some(u) = find(role).and_then(|m| m.users.first()) {
            println!("  {role:<12}  login {}  password {}", u.login, u.password);
            println!(
                "  {:<12}  curl -H 'Authorization: Bearer {}' {}/api/v1/me",
                "", u.api_token, creds.base_url
            );
        }
    }
    println!(
        "  shared items: {items} (threat information, analyses, countermeasures, best practices)"
    );
    if let Some(u) = find("coordinator").and_then(|m| m.users.first()) {
        println!(
            "  search:       curl -H 'Authorization: Bearer {}' '{}/api/v1/items?indicator={}'",
            u.api_token,
            creds.base_url,
            demo_items::EXAMPLE_INDICATOR
        );
        println!(
            "  live stream:  curl -N -H 'Authorization: Bearer {}' {}/api/v1/stream   (then POST /api/v1/alerts as the coordinator)",
            u.api_token, creds.base_url
        );
        println!(
            "  past alerts:  curl -H 'Authorization: Bearer {}' {}/api/v1/alerts",
            u.api_token, creds.base_url
        );
    }
    println!(
        "  KEV catalogue: {}/kev/known_exploited_vulnerabilities.json  (and .csv; no login, CISA's layout)",
        creds.base_url
    );
    // Interchange formats, as a class-2 operator sees them (its own policy view).
    if let Some((m, u)) = creds
        .members
        .iter()
        .find(|m| m.class == "class2")
        .and_then(|m| m.users.first().map(|u| (m, u)))
    {
        println!("  as {} (class 2):", m.name);
        println!(
            "  TAXII 2.1:    curl -H 'Authorization: Bearer {}' -H 'Accept: application/taxii+json;version=2.1' {}/taxii2/root/collections/all/objects/",
            u.api_token, creds.base_url
        );
        println!(
            "                python: taxii2client.v21.Server('{}/taxii2/', user='{}', password='{}')",
            creds.base_url, u.login, u.password
        );
        println!(
            "  STIX 2.1:     curl -H 'Authorization: Bearer {}' {}/api/v1/export/stix",
            u.api_token, creds.base_url
        );
        println!(
            "  MISP feed:    {}/misp/feed/manifest.json  (MISP feed header: Authorization: Bearer {})",
            creds.base_url, u.api_token
        );
        println!(
            "  assets/SBOM:  curl -H 'Authorization: Bearer {}' {}/api/v1/assets   (its own fleet and an SBOM; /api/v1/sboms)",
            u.api_token, creds.base_url
        );
        println!(
            "  exposure:     curl -H 'Authorization: Bearer {}' {}/api/v1/assets/exposure   (catalogue entries that hit its assets; the alerts name them)",
            u.api_token, creds.base_url
        );
    }
    // Federation: a partner pulls what its agreement lets out.
    for p in &creds.partners {
        if let Some(u) = p.users.first() {
            println!(
                "  partner {} (up to TLP:{}): curl -H 'Authorization: Bearer {}' -H 'Accept: application/taxii+json;version=2.1' {}/taxii2/root/collections/all/objects/",
                p.name,
                p.agreement.max_tlp.as_str().to_uppercase(),
                u.api_token,
                creds.base_url
            );
        }
    }
    if let Some(u) = find("coordinator").and_then(|m| m.users.first()) {
        println!(
            "  partners and their agreements: curl -H 'Authorization: Bearer {}' {}/api/v1/partners",
            u.api_token, creds.base_url
        );
        println!(
            "  push to a partner council: curl -X PUT -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"url\": \"<its TAXII collection>\", \"token\": \"<the token it issued you>\"}}' {}/api/v1/partners/<id>/link   (README: Connecting two councils)",
            u.api_token, creds.base_url
        );
        println!(
            "  who runs what, anonymised: curl -H 'Authorization: Bearer {}' {}/api/v1/assets/products",
            u.api_token, creds.base_url
        );
        println!(
            "  constituencies waiting or held: curl -H 'Authorization: Bearer {}' '{}/api/v1/constituency?status=held'",
            u.api_token, creds.base_url
        );
    }
    if let Some((m, u)) = creds
        .members
        .iter()
        .find(|m| m.class == "class1" && m.sector == "information_communication")
        .and_then(|m| m.users.first().map(|u| (m, u)))
    {
        println!("  as {} (an ISP with verified ranges):", m.name);
        println!(
            "  observations: curl -H 'Authorization: Bearer {}' {}/api/v1/observations/summary   (darknet hits on its own ranges; /hits, /digest.csv, /indicator-hits)",
            u.api_token, creds.base_url
        );
        println!(
            "  trends:       curl -H 'Authorization: Bearer {}' {}/api/v1/observations/trends/ports.svg   (council-wide, no member named; /trends for JSON)",
            u.api_token, creds.base_url
        );
        println!(
            "  block list:   curl -H 'Authorization: Bearer {}' {}/feeds/blocklist.txt   (also .rpz for resolvers, .json)",
            u.api_token, creds.base_url
        );
    }
    // Clearance: a cleared analyst and an uncleared admin of the same security vendor.
    if let Some(m) = creds
        .members
        .iter()
        .find(|m| m.sector == "security_vendor" && m.roles.is_empty())
        && let (Some(cleared), Some(uncleared)) = (
            m.users.iter().find(|u| u.role == "analyst"),
            m.users.iter().find(|u| u.role == "admin"),
        )
    {
        println!(
            "  clearance:    {}/portal/ as {} (cleared: confidential) sees a cleared liaison report and its tearline;",
            creds.base_url, cleared.login
        );
        println!(
            "                as {} (same member, uncleared) only the tearline. curl -H 'Authorization: Bearer {}' {}/api/v1/clearances",
            uncleared.login, cleared.api_token, creds.base_url
        );
    }
    println!();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
