//! `tsunagu bench matching`: how fast a catalogue entry finds the members running an
//! affected version (issue 8's figure: one entry against 1,000,000 registered assets
//! in under 100 ms; the whole 1,500-entry catalogue in under 10 s).
//!
//! It fills a fresh SQLite store with members and assets — products drawn with a
//! skewed popularity (a few run by tens of thousands of members' devices, most by a
//! few hundred), a fifth of them SBOM components with purls — then times
//! [`tsunagu_server::assets::affected`], the function alerts and advisories use, for
//! single entries (median, p99, and the most popular product) and for a whole
//! catalogue of CPE ranges and purl criteria. Nothing here asserts a speed.

use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use time::OffsetDateTime;
use tsunagu_core::asset::{AssetForm, ProductCriteria};
use tsunagu_core::cpe::{Cpe, CpeMatch};
use tsunagu_core::ids::MemberId;
use tsunagu_core::member::{MemberClass, Sector};
use tsunagu_core::purl::PurlMatch;
use tsunagu_server::bootstrap::{Founding, found_member};
use tsunagu_store::{AssetRow, Store};

use crate::bench::bar;

/// What to generate.
#[derive(Debug, Args)]
pub struct MatchingArgs {
    /// Registered assets and SBOM components.
    #[arg(long, default_value_t = 1_000_000)]
    pub assets: u64,
    /// Members they belong to.
    #[arg(long, default_value_t = 2_000)]
    pub members: u64,
    /// Distinct products.
    #[arg(long, default_value_t = 5_000)]
    pub products: u64,
    /// Catalogue entries to match.
    #[arg(long, default_value_t = 1_500)]
    pub entries: u64,
}

/// A small deterministic generator, so runs are comparable.
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

    /// A product index skewed towards 0: the cube of a uniform draw.
    fn popular(&mut self, n: u64) -> u64 {
        #[allow(clippy::cast_precision_loss)]
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = (u * u * u * n as f64) as u64;
        i.min(n - 1)
    }
}

fn version(r: &mut Rng) -> String {
    format!("{}.{}.{}", r.below(12), r.below(20), r.below(40))
}

/// Runs the benchmark and prints the figures.
///
/// # Errors
/// On database failure.
pub async fn run(args: MatchingArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open_data_dir(dir.path()).await?;
    println!(
        "filling a fresh SQLite store: {} members, {} assets over {} products",
        args.members, args.assets, args.products
    );
    let mut tx = store.begin().await?;
    let mut members = Vec::new();
    for i in 0..args.members {
        let m = found_member(
            &mut tx,
            Founding {
                name: format!("Bench operator {i}"),
                class: MemberClass::General,
                roles: Default::default(),
                sector: Sector::ALL[usize::try_from(i).unwrap_or(0) % Sector::ALL.len()],
                category: "member".into(),
                foreign_affiliated: false,
                regulator_of: Default::default(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        members.push(m.id);
    }
    tx.commit().await?;
    let mut rng = Rng(8);
    let pb = bar(args.assets, "assets registered")?;
    let start = Instant::now();
    let now = OffsetDateTime::now_utc();
    let mut done = 0;
    while done < args.assets {
        let n = (args.assets - done).min(50_000);
        let mut rows = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        for k in 0..n {
            let p = rng.popular(args.products);
            let member: MemberId = members[usize::try_from(rng.below(args.members)).unwrap_or(0)];
            let v = version(&mut rng);
            let sbom = (done + k).is_multiple_of(5);
            let form = if sbom {
                AssetForm {
                    product: format!("lib{p}"),
                    version: v,
                    purl: Some(format!(
                        "pkg:maven/org.bench{p}/lib{p}@{}",
                        version(&mut rng)
                    )),
                    ..AssetForm::default()
                }
            } else {
                AssetForm {
                    vendor: format!("vendor{}", p / 3),
                    product: format!("product{p}"),
                    version: v,
                    model: format!("M-{}", rng.below(100)),
                    internet_facing: p.is_multiple_of(2),
                    ..AssetForm::default()
                }
            };
            let spec = form.parse()?;
            rows.push(AssetRow {
                id: uuid::Uuid::now_v7().to_string(),
                member,
                sbom: None,
                cpe_key: spec.cpe_key(),
                purl_key: spec.purl_key(),
                version_key: spec.version_key(),
                cpe: spec.cpe.as_ref().map(ToString::to_string),
                cpe_derived: spec.cpe_derived,
                purl: spec.purl.as_ref().map(ToString::to_string),
                vendor: spec.vendor,
                product: spec.product,
                version: spec.version,
                model: spec.model,
                sector_service: String::new(),
                internet_facing: spec.internet_facing,
                created_at: now,
            });
        }
        let mut tx = store.begin().await?;
        tx.bulk(64).await?;
        tx.add_assets(&rows).await?;
        tx.commit().await?;
        done += n;
        pb.set_position(done);
    }
    pb.finish();
    println!("filled in {:.1} s", start.elapsed().as_secs_f64());

    // The catalogue: CPE ranges over products drawn uniformly (KEV spans many
    // vendors), a tenth of them package criteria.
    let mut catalogue = Vec::new();
    for e in 0..args.entries {
        let p = rng.below(args.products);
        let mut c = ProductCriteria::default();
        if e % 10 == 0 {
            c.purl.push(PurlMatch::parse(&format!(
                "pkg:maven/org.bench{p}/lib{p}@vers:maven/>=2.0.0|<6.0.0"
            ))?);
        } else {
            c.cpe
                .push(range(&format!("vendor{}", p / 3), &format!("product{p}"))?);
        }
        catalogue.push(c);
    }
    let mut singles = Vec::new();
    let mut found = 0usize;
    let whole = Instant::now();
    for c in &catalogue {
        let t = Instant::now();
        let affected = tsunagu_server::assets::affected(&store, c).await?;
        singles.push(t.elapsed());
        found += affected.len();
    }
    let whole = whole.elapsed();
    singles.sort();
    let pct = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((singles.len() as f64 - 1.0) * q).round() as usize;
        singles.get(i).copied().unwrap_or_default()
    };
    let popular = ProductCriteria {
        cpe: vec![range("vendor0", "product0")?],
        purl: Vec::new(),
    };
    let t = Instant::now();
    let hot = tsunagu_server::assets::affected(&store, &popular).await?;
    let hot_time = t.elapsed();
    let hot_assets: usize = hot.values().map(Vec::len).sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "one entry: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );
    println!(
        "the most popular product: {:.1} ms ({hot_assets} affected assets of {} members)",
        ms(hot_time),
        hot.len()
    );
    println!(
        "the whole catalogue ({} entries): {:.2} s, {found} (entry, member) matches",
        args.entries,
        whole.as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// A criterion with an NVD-style version range over one product.
fn range(vendor: &str, product: &str) -> Result<CpeMatch> {
    Ok(CpeMatch {
        version_start_including: Some("2.0.0".into()),
        version_end_excluding: Some("6.0.0".into()),
        ..CpeMatch::from(Cpe::parse(&format!(
            "cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*"
        ))?)
    })
}
