//! The formats partners speak, over the policy view: STIX 2.1 objects of an item as one
//! caller may see it (for the TAXII server and the STIX export), and STIX imports that
//! become items provided by the importing member.
//!
//! Nothing here reads an item for output without passing it through
//! [`tsunagu_core::view::view`] first: the STIX and MISP writers in core only ever get
//! an [`ItemView`].

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use hashlink::LruCache;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_core::ids::ItemId;
use tsunagu_core::indicator::Tlp;
use tsunagu_core::item::{Item, ItemContent, ItemStatus};
use tsunagu_core::member::SpecialRole;
use tsunagu_core::misp;
use tsunagu_core::scope::Scope;
use tsunagu_core::stix::{self, ExportItem, FeedbackObject, StixOriginals};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::{Audience, ItemView, view};
use tsunagu_store::{StoreError, StoredItem};

use crate::api::items::share_item;
use crate::error::ApiError;
use crate::{AppState, audit_by};

/// `date_added` of the objects every collection starts with (the TLP 2.0 marking
/// definitions and the council's identity): the day FIRST published TLP 2.0.
pub const PREAMBLE_MS: i64 = 1_664_582_400_000;

/// The objects every export and collection carries once: TLP 2.0 marking definitions
/// and the council's identity (the `created_by_ref` of anonymised content).
#[must_use]
pub fn preamble() -> Vec<Value> {
    let mut out: Vec<Value> = Tlp::ALL.into_iter().map(stix::tlp_marking).collect();
    out.push(stix::council_identity());
    out
}

/// What the exporters need to write one item for one viewer: the view, whether the
/// viewer provided it, the STIX originals of an imported item and the feedback the
/// viewer may see. `None` when the viewer may not see the item.
pub struct Exportable {
    /// The viewer's view.
    pub view: ItemView,
    /// The viewer is the provider.
    pub own: bool,
    /// The provider's STIX originals, when the item came from a STIX import.
    pub originals: Option<StixOriginals>,
    /// Feedback under per-item pseudonyms: for the provider and the coordinator only.
    pub feedback: Vec<FeedbackObject>,
}

impl Exportable {
    /// The borrowed form the STIX writer takes.
    #[must_use]
    pub fn as_export(&self) -> ExportItem<'_> {
        ExportItem {
            view: &self.view,
            own: self.own,
            originals: self.originals.as_ref(),
            feedback: &self.feedback,
        }
    }
}

/// What an export needs beside the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extras {
    /// The STIX originals and the feedback too (STIX).
    Stix,
    /// The view alone (MISP).
    None,
}

/// Loads what exporting `item` to `v` needs, through the policy view; `originals`
/// when the caller already loaded them (`Some(None)`: the item has none).
///
/// # Errors
/// On database failure.
pub async fn exportable(
    state: &AppState,
    v: &Viewer,
    item: &Item,
    extras: Extras,
    originals: Option<Option<StixOriginals>>,
) -> Result<Option<Exportable>, StoreError> {
    let Some(shown) = view(item, v) else {
        return Ok(None);
    };
    let own = item.provider == v.member.id;
    if extras == Extras::None {
        return Ok(Some(Exportable {
            view: shown,
            own,
            originals: None,
            feedback: Vec::new(),
        }));
    }
    let originals = match originals {
        Some(known) => known,
        None => originals_of(state, item.id).await?,
    };
    let feedback = feedback_for(state, v, &shown, own).await?;
    Ok(Some(Exportable {
        view: shown,
        own,
        originals,
        feedback,
    }))
}

/// One STIX object ready to serve: the fields TAXII filters on, and its JSON.
#[derive(Debug)]
pub struct ServedObject {
    /// `id`.
    pub id: String,
    /// `type`.
    pub kind: String,
    /// Its version: `modified`, or `created` for objects never modified.
    pub version: String,
    /// `spec_version`.
    pub spec_version: String,
    /// The object, serialised.
    pub json: Box<str>,
}

impl ServedObject {
    fn new(o: &Value) -> Self {
        let s = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let version = version_of(o);
        Self {
            id: s("id"),
            kind: s("type"),
            version,
            spec_version: o
                .get("spec_version")
                .and_then(Value::as_str)
                .unwrap_or("2.1")
                .to_owned(),
            json: o.to_string().into_boxed_str(),
        }
    }
}

/// A STIX object's version: `modified`, or `created` for objects never modified
/// (marking definitions).
#[must_use]
pub fn version_of(o: &Value) -> String {
    o.get("modified")
        .or_else(|| o.get("created"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The objects of one item for one kind of viewer.
pub type Served = Arc<[ServedObject]>;

/// The preamble, served.
#[must_use]
pub fn served_preamble() -> Served {
    static PREAMBLE: LazyLock<Served> =
        LazyLock::new(|| preamble().iter().map(ServedObject::new).collect());
    PREAMBLE.clone()
}

/// What decides an item's objects for a viewer: the item at a revision (its content
/// and originals are fixed then), the audience (the view is built from the item and the
/// audience alone), whether the viewer provided it (ids), and the feedback it sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    item: ItemId,
    revision: i64,
    audience: Audience,
    own: bool,
    feedback: Option<(usize, i64)>,
}

/// Recently served objects, so paging through an item with thousands of indicators,
/// or many members of one class reading the same items, generates them once. Bounded
/// by the number of objects held; least recently used items go first.
pub struct ObjectCache {
    inner: Mutex<(LruCache<CacheKey, Served>, usize)>,
    max_objects: usize,
}

impl Default for ObjectCache {
    fn default() -> Self {
        Self {
            inner: Mutex::new((LruCache::new_unbounded(), 0)),
            max_objects: 100_000,
        }
    }
}

impl ObjectCache {
    fn get(&self, key: &CacheKey) -> Option<Served> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.0.get(key).cloned()
    }

    fn put(&self, key: CacheKey, objects: Served) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.1 += objects.len();
        if let Some(old) = inner.0.insert(key, objects) {
            inner.1 -= old.len();
        }
        while inner.1 > self.max_objects {
            match inner.0.remove_lru() {
                Some((_, gone)) => inner.1 -= gone.len(),
                None => break,
            }
        }
    }
}

/// The STIX objects of `stored` as `v` may see them, sorted by id, or `None` when it
/// may not see the item.
///
/// # Errors
/// On database failure.
pub async fn served_objects(
    state: &AppState,
    v: &Viewer,
    stored: &StoredItem,
) -> Result<Option<Served>, StoreError> {
    let item = &stored.item;
    let Some(shown) = view(item, v) else {
        return Ok(None);
    };
    let own = item.provider == v.member.id;
    let feedback = feedback_for(state, v, &shown, own).await?;
    let key = CacheKey {
        item: item.id,
        revision: item.revision,
        audience: shown.audience,
        own,
        feedback: (!feedback.is_empty()).then(|| {
            (
                feedback.len(),
                feedback
                    .iter()
                    .map(|f| tsunagu_core::audit::millis(f.at))
                    .max()
                    .unwrap_or(0),
            )
        }),
    };
    if let Some(hit) = state.objects.get(&key) {
        return Ok(Some(hit));
    }
    let e = Exportable {
        originals: originals_of(state, item.id).await?,
        view: shown,
        own,
        feedback,
    };
    let served: Served = stix::item_objects(&e.as_export())
        .iter()
        .map(ServedObject::new)
        .collect();
    state.objects.put(key, served.clone());
    Ok(Some(served))
}

async fn originals_of(state: &AppState, item: ItemId) -> Result<Option<StixOriginals>, StoreError> {
    Ok(match state.store.item_stix(item).await? {
        Some(json) => serde_json::from_str(&json).ok(),
        None => None,
    })
}

/// The feedback `v` sees on an item it sees as `shown`: the provider and the
/// coordinator, under per-item pseudonyms.
async fn feedback_for(
    state: &AppState,
    v: &Viewer,
    shown: &ItemView,
    own: bool,
) -> Result<Vec<FeedbackObject>, StoreError> {
    if shown.audience != Audience::Full || !(own || v.member.has_role(SpecialRole::Coordinator)) {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .item_feedback(shown.id)
        .await?
        .into_iter()
        .map(|f| FeedbackObject {
            pseudonym: f.responder,
            answer: f.feedback.answer,
            comment: f.feedback.comment,
            at: f.updated_at,
        })
        .collect())
}

/// One item an import wants to exist, keyed by where it came from.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The source's id for it: a STIX container id, `misp:<event uuid>#<part>`, …
    pub external_id: String,
    /// Its content; the scope is used only when the item is new (a re-import keeps
    /// the scope the provider chose since).
    pub content: ItemContent,
    /// The STIX originals to keep, for items that came from STIX.
    pub originals: Option<StixOriginals>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// Items created.
    pub created: Vec<ItemId>,
    /// Items updated (a new revision) because their source changed.
    pub updated: Vec<ItemId>,
    /// Items whose source had not changed since the last import.
    pub unchanged: Vec<ItemId>,
    /// What was left out, with why.
    pub skipped: Vec<(String, String)>,
    /// Objects (or attributes) read, per type.
    pub counts: BTreeMap<String, u64>,
}

impl ImportSummary {
    /// The summary as the API and the CLI print it.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let ids = |v: &[ItemId]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        json!({
            "created": ids(&self.created),
            "updated": ids(&self.updated),
            "unchanged": ids(&self.unchanged),
            "skipped": self.skipped.iter().map(|(id, why)| json!({"id": id, "why": why})).collect::<Vec<_>>(),
            "objects": self.counts,
        })
    }
}

/// What identifies an import's content, scope aside.
pub(crate) fn fingerprint(content: &ItemContent, originals: Option<&StixOriginals>) -> String {
    let mut c = content.clone();
    c.scope = Scope::default();
    c.show_provider_sector = false;
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(&c).unwrap_or_default());
    h.update(serde_json::to_vec(&originals).unwrap_or_default());
    hex::encode(h.finalize())
}

/// How a source's new version of an item it sent before is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reimport {
    /// A member's import: the scope the provider chose since is kept, and a retracted
    /// item stays retracted.
    KeepScope,
    /// A partner council's push: the version replaces the item whole, its scope too
    /// (derived from the agreement and the partner's say), and revives a copy the
    /// partner had revoked.
    FromPartner,
}

/// Creates or updates, in `tx`, the items `v`'s member's source sent, keyed by the
/// source's ids; records what happened in `summary`.
///
/// # Errors
/// On database failure.
pub(crate) async fn upsert_incoming(
    tx: &mut tsunagu_store::Tx,
    v: &Viewer,
    incoming: Vec<Incoming>,
    summary: &mut ImportSummary,
    mode: Reimport,
) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    let partner = mode == Reimport::FromPartner;
    for inc in incoming {
        let print = fingerprint(&inc.content, inc.originals.as_ref());
        let existing = match tx.external_item(v.member.id, &inc.external_id).await? {
            Some((id, old_print)) => tx.item(id).await?.map(|s| (s, old_print)),
            None => None,
        };
        let id = match existing {
            Some((stored, _)) if !partner && stored.item.status == ItemStatus::Retracted => {
                summary.skipped.push((
                    inc.external_id,
                    format!(
                        "item {} was retracted; a re-import does not revive it",
                        stored.item.id
                    ),
                ));
                continue;
            }
            Some((stored, old_print))
                if old_print == print
                    && stored.item.status == ItemStatus::Shared
                    && (!partner || stored.item.content.scope == inc.content.scope) =>
            {
                summary.unchanged.push(stored.item.id);
                continue;
            }
            Some((stored, _)) => {
                let mut item = stored.item;
                let revived = item.status == ItemStatus::Retracted;
                let mut content = inc.content;
                if !partner {
                    content.scope = item.content.scope.clone();
                    content.show_provider_sector = item.content.show_provider_sector;
                }
                item.content = content;
                item.status = ItemStatus::Shared;
                item.revision += 1;
                item.updated_at = now;
                tx.update_item(stored.seq, &item, v.user.id).await?;
                let mut details = json!({ "revision": item.revision, "source": inc.external_id });
                if partner {
                    details["partner"] = true.into();
                    details["revived"] = revived.into();
                }
                tx.audit(&audit_by(
                    Some(v),
                    "item.update",
                    "item",
                    &item.id.to_string(),
                    details,
                ))
                .await?;
                summary.updated.push(item.id);
                item.id
            }
            None => {
                let item = share_item(tx, v, inc.content, &[]).await?;
                summary.created.push(item.id);
                tx.hand_over_indicators(item.id, item.content.indicators);
                item.id
            }
        };
        if let Some(originals) = &inc.originals {
            let json =
                serde_json::to_string(originals).map_err(|e| ApiError::Internal(e.to_string()))?;
            tx.put_item_stix(id, &json).await?;
        }
        tx.put_external_item(v.member.id, &inc.external_id, id, &print)
            .await?;
    }
    Ok(())
}

/// Creates or updates the items of an import, provided by `v`'s member, in one
/// transaction: all of them or none.
///
/// # Errors
/// When the viewer may not act; on database failure.
pub async fn apply_import(
    state: &AppState,
    v: &Viewer,
    incoming: Vec<Incoming>,
    mut summary: ImportSummary,
) -> Result<ImportSummary, ApiError> {
    v.ensure_can_act()?;
    let mut tx = state.store.begin().await?;
    // A large import writes its indicator index rows at commit, sorted, so the index
    // grows in key order (16.5 s → 7.2 s for 1M indicators with random values), with a
    // 16 MiB page cache for the pages still touched at random (the IP index; 32 MiB
    // was no faster and cost 16 MiB of the 300 MB budget).
    let indicators: usize = incoming.iter().map(|i| i.content.indicators.len()).sum();
    if indicators > 100_000 {
        tx.bulk(16).await?;
        tx.defer_indicator_index();
    }
    upsert_incoming(&mut tx, v, incoming, &mut summary, Reimport::KeepScope).await?;
    tx.commit().await?;
    Ok(summary)
}

/// Imports a STIX 2.1 bundle as items provided by `v`'s member, new ones shared with
/// the task force at the TLP the bundle marks (AMBER when unmarked); the provider can
/// change the scope later. All or nothing: the first invalid object is named and
/// nothing changes. The bundle is parsed as it streams, on a blocking thread;
/// `progress` gets the number of objects read so far.
///
/// # Errors
/// [`ApiError::Unprocessable`] naming the invalid object; database failures.
pub async fn import_stix<R: Read + Send + 'static>(
    state: &AppState,
    v: &Viewer,
    reader: R,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<ImportSummary, ApiError> {
    v.ensure_can_act()?;
    let plan = tokio::task::spawn_blocking(move || stix::read_bundle(reader, progress))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let mut incoming = Vec::with_capacity(plan.items.len());
    for (n, imported) in plan.items.into_iter().enumerate() {
        let title = imported.title.clone();
        let external_id = imported
            .originals
            .container_id
            .clone()
            .unwrap_or_else(|| format!("stix:{title}"));
        let (content, originals) =
            imported
                .into_content(misp::task_force_scope())
                .map_err(|e| {
                    ApiError::Unprocessable(format!("imported item {} ({title:?}): {e}", n + 1))
                })?;
        incoming.push(Incoming {
            external_id,
            content,
            originals: Some(originals),
        });
    }
    let summary = ImportSummary {
        skipped: plan.skipped,
        counts: plan.counts,
        ..ImportSummary::default()
    };
    apply_import(state, v, incoming, summary).await
}

/// Imports MISP events (event JSON, a bare event, or a REST search response) as items
/// provided by `v`'s member, new ones shared with the task force. All or nothing.
///
/// # Errors
/// [`ApiError::Unprocessable`] naming the key or attribute at fault; database failures.
pub async fn import_misp(
    state: &AppState,
    v: &Viewer,
    documents: &[(String, String)],
) -> Result<ImportSummary, ApiError> {
    let mut incoming = Vec::new();
    let mut summary = ImportSummary::default();
    for (name, text) in documents {
        let events = misp::parse_events(text)
            .map_err(|e| ApiError::Unprocessable(format!("{name}: {e}")))?;
        for event in events {
            *summary.counts.entry("misp-event".into()).or_insert(0) += 1;
            for (id, why) in event.skipped {
                summary.skipped.push((format!("{}/{id}", event.uuid), why));
            }
            for (part, item) in event.items.into_iter().enumerate() {
                *summary.counts.entry("misp-attribute".into()).or_insert(0) +=
                    u64::try_from(item.indicators.len() + item.cves.len()).unwrap_or(0);
                let title = item.title.clone();
                let content = item
                    .into_draft(misp::task_force_scope())
                    .parse()
                    .map_err(|e| {
                        ApiError::Unprocessable(format!(
                            "{name}: event {} ({title:?}): {e}",
                            event.uuid
                        ))
                    })?;
                incoming.push(Incoming {
                    external_id: format!("misp:{}#{part}", event.uuid),
                    content,
                    originals: None,
                });
            }
        }
    }
    apply_import(state, v, incoming, summary).await
}
