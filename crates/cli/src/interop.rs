//! `tsunagu import …` and `tsunagu export …`: STIX 2.1 bundles, MISP events and feeds,
//! and incremental pulls from TAXII 2.1 sources, run against the database directly as
//! one of the council's users (whose member provides what is imported, and whose view
//! bounds what is exported).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use tsunagu_core::user::Viewer;
use tsunagu_server::api::interop::visible;
use tsunagu_server::interop::{self, Exportable, Extras, ImportSummary};
use tsunagu_server::{AppState, Config};

use crate::DbArgs;

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A STIX 2.1 bundle file, streamed (it is never held whole in memory); all or
    /// nothing: the first invalid object is named and nothing changes.
    Stix(ImportFile),
    /// A MISP event JSON file, or a MISP feed directory (manifest.json + <uuid>.json).
    Misp(ImportFile),
    /// Pull a collection of a TAXII 2.1 server, from where the last pull stopped.
    Taxii(ImportTaxii),
    /// A KEV catalogue in CISA's JSON layout (CISA's own feed, for a start) into the
    /// council's catalogue, as published entries; the council's own fields of existing
    /// entries are kept. The user must be the coordinator's.
    Kev(ImportFile),
    /// Sensor observations (darknet, honeypot, sinkhole, scan records): a CSV with
    /// Shadowserver-style columns or JSON lines, streamed and routed to the members
    /// whose verified constituency each record hits; all or nothing, a malformed
    /// record named by line and column. The user must be a sensor operator's or the
    /// coordinator's.
    Observations(ImportObservations),
    /// A CSAF 2.0 advisory (security advisory or VEX profile) into the council's
    /// advisories, validated (every error named by JSON pointer) and linked to the
    /// catalogue entries of its CVEs. The user must be a curator's (class 1 or the
    /// coordinator).
    Csaf(ImportFile),
}

/// An import from a file or directory.
#[derive(Debug, Args)]
pub struct ImportFile {
    /// The file (or, for MISP, a feed directory).
    pub path: PathBuf,
    #[command(flatten)]
    pub who: Who,
}

/// Whose member provides what is imported (or whose view bounds an export).
#[derive(Debug, Args)]
pub struct Who {
    /// Login of the council user acting: imported items are provided by its member,
    /// and the audit log names it.
    #[arg(long = "as", value_name = "LOGIN")]
    pub login: String,
    #[command(flatten)]
    pub db: DbArgs,
}

/// An import of observations.
#[derive(Debug, Args)]
pub struct ImportObservations {
    /// The CSV or JSON-lines file.
    pub path: PathBuf,
    /// The sensor type of records without a `sensor_type` column
    /// (darknet, honeypot, sinkhole, scan).
    #[arg(long)]
    pub sensor_type: Option<String>,
    /// The sensor id of records without a `sensor_id` column.
    #[arg(long = "sensor")]
    pub sensor_id: Option<String>,
    #[command(flatten)]
    pub who: Who,
}

/// A pull from a TAXII 2.1 source.
#[derive(Debug, Args)]
pub struct ImportTaxii {
    /// The API root URL of the source (e.g. https://partner.example/taxii2/root/).
    pub url: String,
    /// The collection id.
    #[arg(long)]
    pub collection: String,
    /// Login for HTTP Basic at the source.
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Password for HTTP Basic at the source.
    #[arg(long, env = "TSUNAGU_TAXII_PASSWORD")]
    pub password: Option<String>,
    /// API token at the source (sent as Authorization: Bearer).
    #[arg(long, env = "TSUNAGU_TAXII_TOKEN", conflicts_with = "user")]
    pub token: Option<String>,
    /// Objects per page.
    #[arg(long, default_value_t = 1000)]
    pub page: usize,
    #[command(flatten)]
    pub who: Who,
}

/// What to export.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A STIX 2.1 bundle of everything the user's member may see, as it may see it.
    Stix(ExportStix),
    /// A MISP feed directory (manifest.json, hashes.csv, <uuid>.json per event).
    Misp(ExportMisp),
}

/// A STIX export.
#[derive(Debug, Args)]
pub struct ExportStix {
    /// Where to write the bundle (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub who: Who,
}

/// A MISP feed export.
#[derive(Debug, Args)]
pub struct ExportMisp {
    /// The feed directory (created if missing).
    pub dir: PathBuf,
    #[command(flatten)]
    pub who: Who,
}

async fn acting(who: &Who) -> Result<(AppState, Viewer)> {
    let store = who.db.open().await?;
    let login = who.login.trim().to_lowercase();
    let user = store
        .user_by_login(&login)
        .await?
        .with_context(|| format!("no user with login {login:?}"))?
        .user;
    let member = store
        .member(user.member_id)
        .await?
        .context("the user's member is gone")?;
    if user.disabled || !member.is_active() {
        bail!("user {login:?} is disabled or its member is not active");
    }
    let state = AppState::new(store, Config::default());
    let viewer = state.cleared(Viewer::uncleared(user, member)).await?;
    Ok((state, viewer))
}

/// Prints what an import did: created, updated, unchanged, skipped and why.
fn print_summary(what: &str, s: &ImportSummary) {
    let read: Vec<String> = s.counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
    println!(
        "{what}: read {}",
        if read.is_empty() {
            "nothing".into()
        } else {
            read.join(", ")
        }
    );
    println!(
        "  items created {}, updated {}, unchanged {}, skipped {}",
        s.created.len(),
        s.updated.len(),
        s.unchanged.len(),
        s.skipped.len()
    );
    for id in &s.created {
        println!("  created   {id}");
    }
    for id in &s.updated {
        println!("  updated   {id}");
    }
    for id in &s.unchanged {
        println!("  unchanged {id} (its source did not change)");
    }
    for (id, why) in s.skipped.iter().take(50) {
        println!("  skipped   {id}: {why}");
    }
    if s.skipped.len() > 50 {
        println!("  … and {} more skipped", s.skipped.len() - 50);
    }
}

async fn import_stix_file(state: &AppState, v: &Viewer, path: &Path) -> Result<ImportSummary> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = crate::bench::bar(len, "reading bytes")?;
    let reader = pb.wrap_read(file);
    let shown = pb.clone();
    let summary = interop::import_stix(state, v, reader, move |n| {
        if n % 10_000 == 0 {
            shown.set_message(format!("{n} objects"));
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    pb.finish_and_clear();
    Ok(summary)
}

async fn import_observations(a: ImportObservations) -> Result<()> {
    use tsunagu_core::member::SpecialRole;
    use tsunagu_core::observation::{Defaults, SensorType};
    let (state, v) = acting(&a.who).await?;
    if !v.member.has_role(SpecialRole::SensorOperator)
        && !v.member.has_role(SpecialRole::Coordinator)
    {
        bail!("only sensor operators and the coordinator submit observations");
    }
    let sensor_type = a
        .sensor_type
        .as_deref()
        .map(|s| {
            SensorType::parse(s).with_context(|| {
                format!("--sensor-type: must be darknet, honeypot, sinkhole or scan, got {s:?}")
            })
        })
        .transpose()?;
    let defaults = Defaults {
        sensor_id: a.sensor_id,
        sensor_type,
    };
    let file =
        std::fs::File::open(&a.path).with_context(|| format!("opening {}", a.path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = crate::bench::bar(len, "reading bytes")?;
    let reader = pb.wrap_read(file);
    let shown = pb.clone();
    let started = std::time::Instant::now();
    let s =
        tsunagu_server::observations::ingest(&state, &v, reader, None, defaults, "cli", move |n| {
            shown.set_message(format!("{n} records"))
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", a.path.display()))?;
    pb.finish_and_clear();
    println!(
        "{}: {} records in batch {}; {} hits on {} members' constituencies; in {:.2} s",
        a.path.display(),
        s.records,
        s.batch_id,
        s.hits,
        s.members_hit,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs an import command.
///
/// # Errors
/// On invalid input (nothing is imported then) or database failure.
pub async fn import(cmd: ImportCommand) -> Result<()> {
    match cmd {
        ImportCommand::Stix(a) => {
            let (state, v) = acting(&a.who).await?;
            let started = std::time::Instant::now();
            let s = import_stix_file(&state, &v, &a.path).await?;
            print_summary(&a.path.display().to_string(), &s);
            println!("  in {:.2} s", started.elapsed().as_secs_f64());
        }
        ImportCommand::Misp(a) => {
            let (state, v) = acting(&a.who).await?;
            let documents = misp_documents(&a.path)?;
            let s = interop::import_misp(&state, &v, &documents)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_summary(&a.path.display().to_string(), &s);
        }
        ImportCommand::Taxii(a) => pull_taxii(a).await?,
        ImportCommand::Kev(a) => {
            let (state, v) = acting(&a.who).await?;
            let text = std::fs::read_to_string(&a.path)
                .with_context(|| format!("reading {}", a.path.display()))?;
            let done = tsunagu_server::api::kev::import_feed(&state, &v, &text)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", a.path.display()))?;
            println!(
                "{}: catalogue entries created {}, updated {}, unchanged {}",
                a.path.display(),
                done.created.len(),
                done.updated.len(),
                done.unchanged.len()
            );
            for cve in &done.created {
                println!("  created   {cve}");
            }
            for cve in &done.updated {
                println!("  updated   {cve} (the council's own fields kept)");
            }
        }
        ImportCommand::Observations(a) => import_observations(a).await?,
        ImportCommand::Csaf(a) => {
            let (state, v) = acting(&a.who).await?;
            let bytes =
                std::fs::read(&a.path).with_context(|| format!("reading {}", a.path.display()))?;
            let (_, done) = tsunagu_server::api::advisories::import_advisory(&state, &v, &bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", a.path.display()))?;
            println!(
                "{}: advisory {} ({}) {}; CVEs {}; in the catalogue: {}",
                a.path.display(),
                done.advisory.tracking_id,
                done.advisory.title,
                done.status,
                done.advisory.cves.join(", "),
                if done.catalogue.is_empty() {
                    "none".to_owned()
                } else {
                    done.catalogue.join(", ")
                }
            );
            if let Some(n) = done.affected_members {
                println!("  members running a known-affected product: {n}");
            }
        }
    }
    Ok(())
}

/// The event documents of a MISP file or feed directory, named for error messages.
fn misp_documents(path: &Path) -> Result<Vec<(String, String)>> {
    let read = |p: &Path| -> Result<(String, String)> {
        Ok((
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ))
    };
    if !path.is_dir() {
        return Ok(vec![read(path)?]);
    }
    let manifest = path.join("manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("{} is not a MISP feed: no manifest.json", path.display()))?;
    let uuids = tsunagu_core::misp::parse_manifest(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest.display()))?;
    uuids
        .iter()
        .map(|u| read(&path.join(format!("{u}.json"))))
        .collect()
}

/// Pulls a TAXII collection from where the last pull stopped: every page is written to
/// one temporary bundle (objects on later pages may be referenced from earlier ones),
/// imported all or nothing, and only then is the new position remembered.
async fn pull_taxii(a: ImportTaxii) -> Result<()> {
    let (state, v) = acting(&a.who).await?;
    let root = if a.url.ends_with('/') {
        a.url.clone()
    } else {
        format!("{}/", a.url)
    };
    let objects_url = format!("{root}collections/{}/objects/", a.collection);
    let since = state
        .store
        .taxii_source_position(&root, &a.collection)
        .await?;
    let http = reqwest::Client::builder()
        .user_agent(concat!("tsunagu/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let tmp = tempfile::NamedTempFile::new()?;
    let mut out = BufWriter::new(tmp.reopen()?);
    write!(
        out,
        r#"{{"type":"bundle","id":"bundle--{}","objects":["#,
        uuid::Uuid::new_v4()
    )?;
    let mut count = 0_u64;
    let mut last_added = since.clone();
    let mut next: Option<String> = None;
    let mut added_after = since.clone();
    let pb = crate::bench::bar(0, "pulling objects")?;
    loop {
        let mut req = http
            .get(&objects_url)
            .header("accept", "application/taxii+json;version=2.1")
            .query(&[("limit", a.page.to_string())]);
        if let Some(n) = &next {
            req = req.query(&[("next", n)]);
        } else if let Some(t) = &added_after {
            req = req.query(&[("added_after", t)]);
        }
        req = match (&a.token, &a.user) {
            (Some(t), _) => req.bearer_auth(t),
            (None, Some(u)) => req.basic_auth(u, a.password.as_deref()),
            (None, None) => req,
        };
        let resp = req
            .send()
            .await
            .with_context(|| format!("GET {objects_url}"))?;
        let status = resp.status();
        let header_last = resp
            .headers()
            .get("x-taxii-date-added-last")
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let body = resp.text().await?;
        if !status.is_success() {
            bail!("{objects_url} answered {status}: {body}");
        }
        let envelope: Value = serde_json::from_str(&body)
            .with_context(|| format!("{objects_url} did not answer a TAXII envelope"))?;
        let page = envelope["objects"].as_array().cloned().unwrap_or_default();
        for o in &page {
            if count > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut out, o)?;
            count += 1;
        }
        pb.inc_length(page.len() as u64);
        pb.inc(page.len() as u64);
        if header_last.is_some() && !page.is_empty() {
            last_added = header_last.clone();
        }
        if envelope["more"] != true || page.is_empty() {
            break;
        }
        match envelope["next"].as_str() {
            Some(n) => next = Some(n.to_owned()),
            // A server that pages without `next`: continue after the last date added.
            None => {
                next = None;
                added_after = header_last;
            }
        }
    }
    out.write_all(b"]}")?;
    out.flush()?;
    drop(out);
    pb.finish_and_clear();
    println!(
        "{objects_url}: {count} new objects since {}",
        since.as_deref().unwrap_or("the beginning")
    );
    if count > 0 {
        let s = import_stix_file(&state, &v, tmp.path()).await?;
        print_summary("TAXII pull", &s);
    }
    if let Some(t) = last_added {
        state
            .store
            .set_taxii_source_position(&root, &a.collection, &t)
            .await?;
        println!("  next pull starts after {t}");
    }
    Ok(())
}

/// Runs an export command.
///
/// # Errors
/// On I/O or database failure.
pub async fn export(cmd: ExportCommand) -> Result<()> {
    match cmd {
        ExportCommand::Stix(a) => {
            let (state, v) = acting(&a.who).await?;
            let items = visible(&state, &v, Extras::Stix)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // The same bytes as GET /api/v1/export/stix.
            let mut bytes = Vec::new();
            tsunagu_core::stix::write_bundle(items.iter().map(Exportable::as_export), &mut bytes)?;
            let bundle: Value = serde_json::from_slice(&bytes)?;
            let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
            match &a.out {
                Some(path) => {
                    std::fs::write(path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => {
                    let mut w = std::io::stdout().lock();
                    w.write_all(&bytes)?;
                    w.write_all(b"\n")?;
                    w.flush()?;
                }
            }
            eprintln!(
                "exported {} items as {} objects: {}",
                items.len(),
                objects.len(),
                per_type(&objects)
            );
        }
        ExportCommand::Misp(a) => {
            let (state, v) = acting(&a.who).await?;
            let items = visible(&state, &v, Extras::None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::create_dir_all(&a.dir)
                .with_context(|| format!("creating {}", a.dir.display()))?;
            let mut manifest = serde_json::Map::new();
            let mut hashes = String::new();
            let mut attributes = 0;
            for e in &items {
                let (uuid, entry) = tsunagu_core::misp::manifest_entry(&e.view);
                let event = tsunagu_core::misp::event(&e.view);
                attributes += event["Event"]["Attribute"].as_array().map_or(0, Vec::len);
                std::fs::write(
                    a.dir.join(format!("{uuid}.json")),
                    serde_json::to_vec(&event)?,
                )?;
                for line in tsunagu_core::misp::hashes_lines(&e.view) {
                    hashes.push_str(&line);
                    hashes.push('\n');
                }
                manifest.insert(uuid, entry);
            }
            std::fs::write(
                a.dir.join("manifest.json"),
                serde_json::to_vec(&Value::Object(manifest))?,
            )?;
            std::fs::write(a.dir.join("hashes.csv"), hashes)?;
            println!(
                "{}: {} events with {attributes} attributes, manifest.json and hashes.csv",
                a.dir.display(),
                items.len()
            );
        }
    }
    Ok(())
}

fn per_type(objects: &[Value]) -> String {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for o in objects {
        *n.entry(o["type"].as_str().unwrap_or("?")).or_insert(0) += 1;
    }
    n.iter()
        .map(|(t, c)| format!("{c} {t}"))
        .collect::<Vec<_>>()
        .join(", ")
}
