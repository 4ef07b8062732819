//! The demo council's constituencies and observations: most operators and many general
//! members register their ranges, ASNs and domains (the coordinator verified most;
//! some wait, one is held for overlapping another member's range), and a research
//! institute's darknet, honeypot and sinkhole sensors report 30 days of synthetic
//! traffic — mostly from unregistered space, a few percent from members' ranges, and a
//! new MikroTik campaign in the last three days — through the same paths as the API.
//!
//! Addresses are documentation (RFC 5737, RFC 3849), benchmarking (198.18.0.0/15) and
//! private space, ASNs are private-use, domains are under `.example`.

use axum::Json;
use time::OffsetDateTime;
use tsunagu_core::constituency::EntryKind;
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::member::{Member, MemberClass, SpecialRole};
use tsunagu_core::observation::Defaults;
use tsunagu_core::user::Viewer;
use tsunagu_store::Store;

use crate::api::constituency::{self, ConstituencyDraft, Decision};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, Config};

/// Days of synthetic sensor data.
const DAYS: i64 = 30;
/// Records per day from unregistered space (members' ranges add a few percent).
const BACKGROUND_PER_DAY: u64 = 1500;

/// A small deterministic generator, so every demo has the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Scanned ports with their usual tag and share of the background traffic.
const PORTS: [(u16, &str, &str, u64); 8] = [
    (23, "tcp", "mirai", 30),
    (2323, "tcp", "mirai", 8),
    (445, "tcp", "smb-scan", 18),
    (22, "tcp", "ssh-brute-force", 16),
    (3389, "tcp", "rdp-scan", 12),
    (6379, "tcp", "redis-scan", 6),
    (53, "udp", "dns-amplification", 6),
    (8080, "tcp", "http-scan", 4),
];

fn registrar(m: &Member) -> String {
    format!(
        "{} allocation (JPNIC), registered to {}",
        if m.class == MemberClass::Class1 {
            "PA"
        } else {
            "Assignment"
        },
        m.name
    )
}

async fn register(
    state: &AppState,
    v: &Viewer,
    kind: EntryKind,
    value: String,
) -> ApiResult<String> {
    let (_, Json(entry)) = constituency::register(
        axum::extract::State(state.clone()),
        Auth(v.clone()),
        ApiJson(ConstituencyDraft {
            kind,
            value,
            ownership: registrar(&v.member),
        }),
    )
    .await?;
    Ok(entry.id)
}

async fn verify(state: &AppState, coordinator: &Viewer, id: String) -> ApiResult<()> {
    let _verified = constituency::verify(
        axum::extract::State(state.clone()),
        Auth(coordinator.clone()),
        axum::extract::Path(id),
        ApiJson(Decision {
            note: "allocation checked against the registry".into(),
            accept_overlap: false,
        }),
    )
    .await?;
    Ok(())
}

/// A /24 whose hosts the sensors see as sources.
struct Source {
    prefix: [u8; 3],
}

impl Source {
    fn address(&self, rng: &mut Lcg) -> String {
        let [a, b, c] = self.prefix;
        format!("{a}.{b}.{c}.{}", 1 + rng.below(254))
    }
}

/// Registers the demo constituencies and ingests the synthetic sensor data.
///
/// # Errors
/// On database failure.
pub(crate) async fn populate(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
) -> ApiResult<()> {
    let state = AppState::new(store.clone(), Config::default());
    let coordinator_member = founded
        .iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .ok_or_else(|| ApiError::Internal("the demo has no coordinator".into()))?;
    let coordinator = crate::demo::member_viewer(store, coordinator_member, sharers).await?;
    let sensors = founded
        .iter()
        .find(|m| m.has_role(SpecialRole::SensorOperator))
        .ok_or_else(|| ApiError::Internal("the demo has no sensor operator".into()))?;
    let sensors = crate::demo::member_viewer(store, sensors, sharers).await?;

    // The ISPs among the experts hold the documentation ranges; operators and general
    // members a private /16 or /20 each, an ASN and a domain.
    let isps: Vec<&Member> = founded
        .iter()
        .filter(|m| {
            m.class == MemberClass::Class1
                && m.sector == tsunagu_core::member::Sector::InformationCommunication
        })
        .collect();
    let mut hit_sources: Vec<Source> = Vec::new();
    for (i, m) in isps.iter().enumerate() {
        let v = crate::demo::member_viewer(store, m, sharers).await?;
        let ranges: &[&str] = if i == 0 {
            &["203.0.113.0/24", "198.51.100.0/24", "2001:db8:100::/40"]
        } else {
            &["192.0.2.0/24", "2001:db8:200::/40"]
        };
        for r in ranges {
            let id = register(&state, &v, EntryKind::Cidr, (*r).to_owned()).await?;
            verify(&state, &coordinator, id).await?;
        }
        let id = register(&state, &v, EntryKind::Asn, format!("AS{}", 64500 + i)).await?;
        verify(&state, &coordinator, id).await?;
        let id = register(
            &state,
            &v,
            EntryKind::Domain,
            format!("isp{}.example", i + 1),
        )
        .await?;
        verify(&state, &coordinator, id).await?;
    }
    if !isps.is_empty() {
        hit_sources.push(Source {
            prefix: [203, 0, 113],
        });
    }
    let registrants: Vec<&Member> = founded
        .iter()
        .filter(|m| {
            matches!(m.class, MemberClass::Class2 | MemberClass::General)
                && !m.has_role(SpecialRole::Regulator)
        })
        .take(70)
        .collect();
    for (i, m) in registrants.iter().enumerate() {
        let v = crate::demo::member_viewer(store, m, sharers).await?;
        let octet = u8::try_from(i + 1).map_err(|e| ApiError::Internal(e.to_string()))?;
        let (range, asn) = if m.class == MemberClass::Class2 {
            (format!("10.{octet}.0.0/16"), 64_512 + i)
        } else {
            (format!("10.{}.0.0/20", 100 + u16::from(octet)), 64_512 + i)
        };
        let mut ids = vec![register(&state, &v, EntryKind::Cidr, range).await?];
        ids.push(register(&state, &v, EntryKind::Asn, format!("AS{asn}")).await?);
        let slug: String = m
            .name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        ids.push(register(&state, &v, EntryKind::Domain, format!("{slug}.example")).await?);
        // Every tenth member's registration still waits for the coordinator.
        if i % 10 != 9 {
            for id in ids {
                verify(&state, &coordinator, id).await?;
            }
        }
        if i < 3 && m.class == MemberClass::Class2 {
            hit_sources.push(Source {
                prefix: [10, octet, u8::try_from(i * 7).unwrap_or(0)],
            });
        }
    }
    // A general member states a range inside the first operator's: held for the
    // coordinator, not applied.
    if let Some(general) = registrants.iter().find(|m| m.class == MemberClass::General) {
        let v = crate::demo::member_viewer(store, general, sharers).await?;
        register(&state, &v, EntryKind::Cidr, "10.1.128.0/17".into()).await?;
    }

    ingest_days(&state, &sensors, &hit_sources).await
}

/// Thirty daily files of the sensors, one batch each.
async fn ingest_days(state: &AppState, sensors: &Viewer, hit_sources: &[Source]) -> ApiResult<()> {
    let mut rng = Lcg(0x7e5a_11ce);
    let today = OffsetDateTime::now_utc().date();
    let background = Source {
        prefix: [198, 18, 0],
    };
    for back in (0..DAYS).rev() {
        let day = today - time::Duration::days(back);
        let date = format!(
            "{:04}-{:02}-{:02}",
            day.year(),
            u8::from(day.month()),
            day.day()
        );
        let mut csv = String::from(
            "timestamp,src_ip,src_port,dst_ip,dst_port,protocol,asn,hostname,tag,family,severity,count,sensor_id,sensor_type\n",
        );
        let mut line = |rng: &mut Lcg,
                        src: String,
                        port: (u16, &str, &str),
                        sensor: &str,
                        kind: &str,
                        hostname: &str| {
            let (dst_port, protocol, tag) = port;
            let second = rng.below(86_400);
            csv.push_str(&format!(
                "{date} {:02}:{:02}:{:02},{src},{},192.0.2.{},{dst_port},{protocol},,{hostname},{tag},{},{},{},{sensor},{kind}\n",
                second / 3600,
                (second / 60) % 60,
                second % 60,
                1024 + rng.below(60_000),
                1 + rng.below(250),
                if tag == "mirai" { "mirai" } else { "" },
                if tag == "mirai" || tag == "webshell" { "high" } else { "medium" },
                1 + rng.below(40),
            ));
        };
        let weight: u64 = PORTS.iter().map(|p| p.3).sum();
        for _ in 0..BACKGROUND_PER_DAY {
            let mut pick = rng.below(weight);
            let port = PORTS
                .iter()
                .find(|p| {
                    if pick < p.3 {
                        true
                    } else {
                        pick -= p.3;
                        false
                    }
                })
                .unwrap_or(&PORTS[0]);
            let src = if rng.below(2) == 0 {
                background.address(&mut rng)
            } else {
                Source {
                    prefix: [198, 19, u8::try_from(rng.below(256)).unwrap_or(0)],
                }
                .address(&mut rng)
            };
            line(
                &mut rng,
                src,
                (port.0, port.1, port.2),
                "dn-tokyo-1",
                "darknet",
                "",
            );
        }
        // The new campaign: MikroTik's management port, the last three days.
        if back < 3 {
            for _ in 0..300 {
                let src = background.address(&mut rng);
                line(
                    &mut rng,
                    src,
                    (8291, "tcp", "mikrotik-winbox"),
                    "dn-osaka-2",
                    "darknet",
                    "",
                );
            }
        }
        // Infected hosts in members' ranges: a few percent of the day.
        for s in hit_sources {
            for _ in 0..(5 + rng.below(20)) {
                let src = s.address(&mut rng);
                line(
                    &mut rng,
                    src,
                    (23, "tcp", "mirai"),
                    "dn-tokyo-1",
                    "darknet",
                    "",
                );
            }
            let src = s.address(&mut rng);
            line(
                &mut rng,
                src,
                (443, "tcp", "sinkholed-c2"),
                "sh-1",
                "sinkhole",
                "",
            );
        }
        if back % 5 == 0 {
            let src = background.address(&mut rng);
            line(
                &mut rng,
                src,
                (80, "tcp", "webshell"),
                "hp-web-1",
                "honeypot",
                "portal.isp1.example",
            );
        }
        crate::observations::ingest(
            state,
            sensors,
            std::io::Cursor::new(csv.into_bytes()),
            None,
            Defaults::default(),
            "demo",
            |_| {},
        )
        .await
        .map_err(|e| ApiError::Internal(format!("demo observations of {date}: {e}")))?;
    }
    Ok(())
}
