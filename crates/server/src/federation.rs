//! Federation with partner councils (M7.2), both ways over TAXII 2.1.
//!
//! **Out**: for each partner with a push link, a sync loop sends the partner's policy
//! view, item by item, to the partner's TAXII collection with the token the partner
//! issued: what changed since the last sync (a watermark over the items' change order,
//! re-read with an overlap so that no late commit is missed), checked against what the
//! partner was last sent ([`federation::due`]). An item the partner may no longer see
//! (retracted, narrowed, agreement changed) is revoked: its container is sent again
//! with `"revoked": true`. A partner that does not answer is retried with exponential
//! backoff; it never holds up local delivery or the other partners.
//!
//! **In**: what a partner posts to the submissions collection becomes items of the
//! partner (never of a local member), scoped by the agreement ([`Agreement::inbound_scope`]):
//! its TLP is kept, anything beyond the agreement is refused with nothing stored, and
//! objects that claim a local member or another partner as their creator are refused
//! and audited. A revoked container retracts the copy and takes away its audience (the
//! partner may have narrowed the item away from this council); a later version revives it.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tsunagu_core::federation::{self, Agreement, Push, Sent};
use tsunagu_core::ids::ItemId;
use tsunagu_core::item::{Item, ItemStatus};
use tsunagu_core::member::MemberClass;
use tsunagu_core::stix;
use tsunagu_core::user::Viewer;
use tsunagu_store::{
    OutboxEntry, OutboxState, PartnerLink, Store, StoreError, SyncCounts, SyncOutcome,
};

use crate::error::ApiError;
use crate::interop::{self, Extras, ImportSummary, Incoming, Reimport};
use crate::taxii::MEDIA_TYPE;
use crate::{AppState, audit_by};

/// The container property that says partners may pass the item on to their own
/// partners, once (the provider's `scope.onward`).
pub const ONWARD: &str = "x_tsunagu_onward";
/// How often the sync loop looks for changes.
const POLL: Duration = Duration::from_secs(1);
/// How far back each sync re-reads changes, so that an item committed late with an
/// earlier timestamp is not missed (what was already sent is not sent again).
const OVERLAP_MS: i64 = 10_000;
/// How long one server holds a partner's sync.
const LEASE: time::Duration = time::Duration::seconds(120);
/// The longest wait between attempts at a failing partner.
const MAX_BACKOFF_SECS: i64 = 300;
/// Items read per database round trip.
const BATCH: i64 = 200;
/// How often an idle link is checked.
const IDLE_CHECK: time::Duration = time::Duration::seconds(60);
/// How long a push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the sync loop until `shutdown`.
pub fn start(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        loop {
            if let Err(e) = sync_due(&state, &http).await {
                tracing::error!(error = %e, "federation sync failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(POLL) => {},
            }
        }
    });
}

/// Syncs every partner whose attempt is due, side by side.
async fn sync_due(state: &AppState, http: &reqwest::Client) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    let mut running = JoinSet::new();
    for link in state.store.partner_links().await? {
        if link.next_attempt > now
            || !state
                .store
                .claim_partner_link(link.partner, now, now + LEASE)
                .await?
        {
            continue;
        }
        let (state, http) = (state.clone(), http.clone());
        running.spawn(async move {
            let partner = link.partner;
            let (outcome, tally) = match sync_partner(&state, &http, &link).await {
                Ok(done) => done,
                Err(e) => (
                    failed(&link, format!("database: {e}")),
                    SyncCounts::default(),
                ),
            };
            if let SyncOutcome::Failed { error, .. } = &outcome {
                tracing::warn!(%partner, %error, "partner sync failed; retrying with backoff");
            }
            state
                .store
                .record_partner_sync(
                    partner,
                    &link.url,
                    OffsetDateTime::now_utc(),
                    &outcome,
                    tally,
                )
                .await
        });
    }
    while let Some(done) = running.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "recording a partner sync failed"),
            Err(e) => tracing::error!(error = %e, "a partner sync panicked"),
        }
    }
    Ok(())
}

fn failed(link: &PartnerLink, error: String) -> SyncOutcome {
    let wait = 1_i64 << link.failures.clamp(0, 9);
    SyncOutcome::Failed {
        error,
        retry_at: OffsetDateTime::now_utc() + time::Duration::seconds(wait.min(MAX_BACKOFF_SECS)),
    }
}

/// Sends one partner what is due; stops at the first push that fails for a reason
/// that is not the item's (unreachable, refused credentials, server error).
async fn sync_partner(
    state: &AppState,
    http: &reqwest::Client,
    link: &PartnerLink,
) -> Result<(SyncOutcome, SyncCounts), StoreError> {
    let mut tally = SyncCounts::default();
    let member = state.store.member(link.partner).await?;
    let Some(member) = member.filter(|m| m.class == MemberClass::Partner && m.is_active()) else {
        return Ok((
            failed(link, "the partner is not an active partner".into()),
            tally,
        ));
    };
    let partner = Viewer::for_member(member);
    let mut after = if link.watermark == (0, 0) {
        (0, 0)
    } else {
        ((link.watermark.0 - OVERLAP_MS).max(0), 0)
    };
    let mut work: Vec<(Item, Push, Option<OutboxEntry>)> = Vec::new();
    loop {
        let batch = state.store.items_by_change(after, &[], BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = (tsunagu_core::audit::millis(last.item.updated_at), last.seq);
        let ids: Vec<ItemId> = batch.iter().map(|s| s.item.id).collect();
        let mut sent = state.store.partner_outbox(link.partner, &ids).await?;
        let full = batch.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
        for stored in batch {
            let entry = sent.remove(&stored.item.id);
            let last = entry.as_ref().map(|e| match e.state {
                OutboxState::Sent => Sent::Item(e.revision),
                OutboxState::Revoked => Sent::Revoked,
                OutboxState::Refused => Sent::Refused(e.revision),
            });
            match federation::due(&stored.item, &partner, last) {
                Push::Nothing => {}
                push => work.push((stored.item, push, entry)),
            }
        }
        if !full {
            break;
        }
    }
    let watermark = after.max(link.watermark);
    tally.backlog = i64::try_from(work.len()).unwrap_or(i64::MAX);
    // With nothing to send, the link itself is checked now and then, so that a wrong
    // address or token shows before the first item is due.
    let idle_check = link
        .last_success
        .is_none_or(|t| OffsetDateTime::now_utc() - t > IDLE_CHECK);
    let mut contacted = false;
    if work.is_empty() && idle_check {
        if let Err(why) = probe(http, link).await {
            return Ok((failed(link, why), tally));
        }
        contacted = true;
    }
    for (item, push, entry) in work {
        tally.backlog -= 1;
        let had = entry.as_ref().map(|e| e.state);
        let (container, objects) = match push {
            Push::Item => match item_envelope(state, &partner, &item).await? {
                Some(found) => found,
                None => continue,
            },
            Push::Revocation | Push::Nothing => {
                let Some(container) = entry.map(|e| e.container) else {
                    continue;
                };
                let objects = vec![revocation(&container, &item)];
                (container, objects)
            }
        };
        contacted = true;
        let (state_after, detail) = match post(http, link, objects).await {
            Posted::Accepted => (
                if push == Push::Item {
                    OutboxState::Sent
                } else {
                    OutboxState::Revoked
                },
                String::new(),
            ),
            // A partner that holds an earlier version but refuses this one (the
            // provider tightened the TLP beyond the partner's side of the agreement)
            // is told to hide the earlier version: it must not keep what the
            // provider no longer lets it have.
            Posted::Refused(why) if had == Some(OutboxState::Sent) => {
                tally.refused += 1;
                match post(http, link, vec![revocation(&container, &item)]).await {
                    Posted::Accepted => (
                        OutboxState::Revoked,
                        format!("{why}; the earlier version was revoked"),
                    ),
                    Posted::Refused(again) | Posted::Failed(again) => {
                        tally.backlog += 1;
                        return Ok((failed(link, again), tally));
                    }
                }
            }
            Posted::Refused(why) => {
                tally.refused += 1;
                (OutboxState::Refused, why)
            }
            Posted::Failed(why) => {
                tally.backlog += 1;
                return Ok((failed(link, why), tally));
            }
        };
        if state_after != OutboxState::Refused {
            tally.pushed += 1;
        }
        state
            .store
            .put_partner_outbox(
                link.partner,
                &link.url,
                item.id,
                &OutboxEntry {
                    container,
                    revision: item.revision,
                    state: state_after,
                },
                &detail,
                OffsetDateTime::now_utc(),
            )
            .await?;
    }
    Ok((
        SyncOutcome::Done {
            watermark,
            contacted,
        },
        tally,
    ))
}

/// The item's objects as the partner's view shows them, with its container's id; the
/// container says whether the partner may pass the item on.
async fn item_envelope(
    state: &AppState,
    partner: &Viewer,
    item: &Item,
) -> Result<Option<(String, Vec<Value>)>, StoreError> {
    let Some(e) = interop::exportable(state, partner, item, Extras::Stix, None).await? else {
        return Ok(None);
    };
    let mut objects = stix::item_objects(&e.as_export());
    // A copy of a partner's item never travels on, whatever its scope says.
    let onward = item.content.scope.onward && item.content.source.is_none();
    let mut container = None;
    for o in &mut objects {
        let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
        if ty == "report" || ty == "grouping" {
            container = o.get("id").and_then(Value::as_str).map(str::to_owned);
            if onward && let Some(map) = o.as_object_mut() {
                map.insert(ONWARD.into(), true.into());
            }
        }
    }
    let Some(container) = container else {
        return Ok(None);
    };
    let mut all = interop::preamble();
    all.extend(objects);
    Ok(Some((container, all)))
}

/// A container's revocation: the same id, a later `modified`, `"revoked": true`.
fn revocation(container: &str, item: &Item) -> Value {
    let now = OffsetDateTime::now_utc().max(item.updated_at);
    let created = stix::timestamp(item.created_at);
    let mut o = Map::new();
    let ty = container.split("--").next().unwrap_or("report");
    o.insert("type".into(), ty.into());
    o.insert("spec_version".into(), "2.1".into());
    o.insert("id".into(), container.into());
    o.insert("created".into(), created.clone().into());
    o.insert("modified".into(), stix::timestamp(now).into());
    o.insert("created_by_ref".into(), stix::council_identity_id().into());
    o.insert("name".into(), "Revoked".into());
    if ty == "grouping" {
        o.insert("context".into(), "suspicious-activity".into());
    } else {
        o.insert("published".into(), created.into());
    }
    o.insert("object_refs".into(), json!([stix::council_identity_id()]));
    o.insert("revoked".into(), true.into());
    Value::Object(o)
}

/// How a push ended.
enum Posted {
    /// The partner took it.
    Accepted,
    /// The partner refused this item (its agreement does not take it): recorded, and
    /// the sync goes on.
    Refused(String),
    /// The partner could not be reached, refused the credentials or failed: the sync
    /// stops and is retried.
    Failed(String),
}

/// Reads the partner's collection resource with the token: the link works.
async fn probe(http: &reqwest::Client, link: &PartnerLink) -> Result<(), String> {
    let resp = http
        .get(&link.url)
        .bearer_auth(&link.token)
        .header("accept", MEDIA_TYPE)
        .send()
        .await
        .map_err(|e| format!("{}: {e}", link.url))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("{} answered {}", link.url, resp.status()))
    }
}

async fn post(http: &reqwest::Client, link: &PartnerLink, objects: Vec<Value>) -> Posted {
    let url = format!("{}objects/", link.url);
    let sent = http
        .post(&url)
        .bearer_auth(&link.token)
        .header("accept", MEDIA_TYPE)
        .header("content-type", MEDIA_TYPE)
        .body(json!({ "objects": objects }).to_string())
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Posted::Failed(format!("{url}: {e}")),
    };
    let status = resp.status();
    if status.is_success() {
        return Posted::Accepted;
    }
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let why = body
        .get("description")
        .or_else(|| body.get("title"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let why = format!("{url} answered {status}: {why}");
    if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY
        || status == reqwest::StatusCode::PAYLOAD_TOO_LARGE
    {
        Posted::Refused(why)
    } else {
        Posted::Failed(why)
    }
}

// ---------------------------------------------------------------------------- in

/// Takes what partner `v` posted: refuses objects that claim another creator and
/// anything beyond the agreement (nothing stored then), retracts the copies of revoked
/// containers and stores the rest as the partner's items, in one transaction.
///
/// # Errors
/// 403 when the partner has no agreement; 422 naming the object at fault; database
/// failures.
pub async fn receive(
    store: &Store,
    v: &Viewer,
    objects: &[Value],
) -> Result<ImportSummary, ApiError> {
    let agreement = v
        .member
        .agreement
        .clone()
        .ok_or_else(|| ApiError::Forbidden("this partner has no sharing agreement".into()))?;
    let identities = check_creators(store, v, objects).await?;
    let mut revoked: Vec<String> = Vec::new();
    let mut onward: HashSet<String> = HashSet::new();
    let mut rest: Vec<&Value> = Vec::new();
    for o in objects {
        let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
        let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
        let container = ty == "report" || ty == "grouping";
        if container && o.get("revoked").and_then(Value::as_bool) == Some(true) {
            revoked.push(id.to_owned());
            continue;
        }
        if container && o.get(ONWARD).and_then(Value::as_bool) == Some(true) {
            onward.insert(id.to_owned());
        }
        rest.push(o);
    }
    let mut incoming = Vec::new();
    let mut summary = ImportSummary::default();
    if !rest.is_empty() {
        let bundle = json!({
            "type": "bundle",
            "id": format!("bundle--{}", uuid::Uuid::new_v4()),
            "objects": rest,
        });
        let bytes = serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(e.to_string()))?;
        let plan = tokio::task::spawn_blocking(move || {
            stix::read_bundle(std::io::Cursor::new(bytes), |_| {})
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        summary.skipped = plan.skipped;
        summary.counts = plan.counts;
        for imported in plan.items {
            let title = imported.title.clone();
            let external_id = imported
                .originals
                .container_id
                .clone()
                .unwrap_or_else(|| format!("stix:{title}"));
            let scope = agreement.inbound_scope(onward.contains(&external_id));
            let (mut content, originals) = imported
                .into_content(scope)
                .map_err(|e| ApiError::Unprocessable(format!("{external_id}: {e}")))?;
            content.source = Some(v.member.name.clone());
            let candidate = Item {
                id: ItemId::new(),
                provider: v.member.id,
                provider_sector: v.member.sector,
                content,
                status: ItemStatus::Shared,
                revision: 1,
                created_at: OffsetDateTime::now_utc(),
                updated_at: OffsetDateTime::now_utc(),
            };
            if let Some(why) = beyond(&agreement, &candidate) {
                return Err(ApiError::Unprocessable(format!(
                    "{external_id} ({title:?}) is beyond the sharing agreement: {why}; nothing was stored"
                )));
            }
            incoming.push(Incoming {
                external_id,
                content: candidate.content,
                originals: Some(originals),
            });
        }
    }
    apply(store, v, incoming, &revoked, &mut summary).await?;
    for identity in identities {
        store
            .pin_partner_identity(&identity, v.member.id, OffsetDateTime::now_utc())
            .await?;
    }
    Ok(summary)
}

/// Why an item is beyond the agreement, if it is.
fn beyond(agreement: &Agreement, item: &Item) -> Option<String> {
    if agreement.allows(item) {
        return None;
    }
    let tlp = item.content.tlp;
    Some(
        if tlp > agreement.max_tlp || tlp == tsunagu_core::indicator::Tlp::Red {
            format!(
                "{} is more restricted than the agreement's {}",
                tlp.label(),
                agreement.max_tlp.label()
            )
        } else {
            "its sector is not one the agreement names".into()
        },
    )
}

/// The identities the objects are created by, once checked: none may be a local
/// member's, this council's name, or pinned to another partner. Refusals are audited.
async fn check_creators(
    store: &Store,
    v: &Viewer,
    objects: &[Value],
) -> Result<Vec<String>, ApiError> {
    let named: BTreeMap<&str, &str> = objects
        .iter()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("identity"))
        .filter_map(|o| {
            Some((
                o.get("id")?.as_str()?,
                o.get("name").and_then(Value::as_str).unwrap_or_default(),
            ))
        })
        .collect();
    let council = stix::council_identity_id();
    let speaks_for_itself = objects.iter().all(|o| {
        o.get("created_by_ref")
            .and_then(Value::as_str)
            .is_none_or(|c| c == council)
    });
    if speaks_for_itself {
        // A tsunagu council relays as itself: nothing to check, no member list to load.
        return Ok(Vec::new());
    }
    let members = store.members(None).await?;
    let mut out = Vec::new();
    for o in objects {
        let Some(creator) = o.get("created_by_ref").and_then(Value::as_str) else {
            continue;
        };
        if creator == council || out.iter().any(|c| c == creator) {
            continue;
        }
        let name = named.get(creator).copied().unwrap_or_default().trim();
        let claimed = members.iter().find(|m| {
            m.id != v.member.id
                && (creator == format!("identity--{}", m.id)
                    || (!name.is_empty() && m.name.eq_ignore_ascii_case(name)))
        });
        let why = match (claimed, store.partner_of_identity(creator).await?) {
            (Some(m), _) if m.class == MemberClass::Partner => {
                Some((m.id, "claims to be another partner"))
            }
            (Some(m), _) => Some((m.id, "claims to be a member of this council")),
            (None, Some(p)) if p != v.member.id => Some((p, "is another partner's identity")),
            _ => None,
        };
        if let Some((claimed, why)) = why {
            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
            tracing::warn!(partner = %v.member.id, object = id, %why, "refused a partner's objects");
            let mut tx = store.begin().await?;
            tx.audit(&audit_by(
                Some(v),
                "partner.refused",
                "member",
                &v.member.id.to_string(),
                json!({ "object": id, "created_by_ref": creator, "claimed": claimed, "why": why }),
            ))
            .await?;
            tx.commit().await?;
            return Err(ApiError::Unprocessable(format!(
                "{id}: its creator {creator} {why}; a partner sends only what it created or relays as itself; nothing was stored"
            )));
        }
        out.push(creator.to_owned());
    }
    Ok(out)
}

/// Stores the partner's items and retracts the revoked ones, in one transaction.
async fn apply(
    store: &Store,
    v: &Viewer,
    incoming: Vec<Incoming>,
    revoked: &[String],
    summary: &mut ImportSummary,
) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut tx = store.begin().await?;
    interop::upsert_incoming(&mut tx, v, incoming, summary, Reimport::FromPartner).await?;
    for external_id in revoked {
        let Some((id, _)) = tx.external_item(v.member.id, external_id).await? else {
            summary.skipped.push((
                external_id.clone(),
                "revoked, and never received here".into(),
            ));
            continue;
        };
        let Some(stored) = tx.item(id).await? else {
            continue;
        };
        if stored.item.status == ItemStatus::Retracted {
            summary.unchanged.push(id);
            continue;
        }
        // Hidden from every local recipient: the partner may have narrowed it away from
        // this council, so the copy keeps no audience (a later version restores one).
        let mut item = stored.item;
        item.status = ItemStatus::Retracted;
        item.content.scope = tsunagu_core::scope::Scope::default();
        item.revision += 1;
        item.updated_at = now;
        tx.update_item(stored.seq, &item, v.user.id).await?;
        tx.audit(&audit_by(
            Some(v),
            "item.retract",
            "item",
            &id.to_string(),
            json!({ "revision": item.revision, "source": external_id, "partner": true }),
        ))
        .await?;
        summary.updated.push(id);
    }
    tx.commit().await?;
    Ok(())
}
