//! Shared items: the list with search and filters, one item as the caller's policy
//! view, the feedback buttons 来ている / 来ていない / わからない, and the submit form
//! with its scope editor and the preview of who will see what.
//!
//! Lists and items come from the API's handlers (`GET /api/v1/items`, `GET
//! /api/v1/items/{id}`), feedback goes through `POST /api/v1/items/{id}/feedback`'s
//! handler and sharing through `POST /api/v1/items`' handler. The preview runs
//! [`tsunagu_core::view::view`] over today's active members for the draft item.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use time::OffsetDateTime;
use tsunagu_core::feedback::{Answer, FeedbackForm, Opinion, Sighting, owes_feedback};
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::indicator::{IndicatorKind, Tlp, guess_kind};
use tsunagu_core::item::{
    Confidence, Item, ItemContent, ItemDraft, ItemKind, ItemStatus, RawIndicator, Victim,
};
use tsunagu_core::member::{Member, MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::scope::Scope;
use tsunagu_core::trends::bar_chart;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::{Audience, ItemView, view};

use super::i18n::{Lang, jst};
use super::layout::{self, csrf, flash};
use super::{
    FormData, PortalError, PortalResult, Posted, Session, api_message, api_status, see_other,
};
use crate::AppState;
use crate::api::items::{SearchParams, create, get_one, search};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

/// Items per page.
const PAGE: i64 = 25;

/// The list's search form.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// An indicator value.
    pub indicator: Option<String>,
    /// Item kind.
    pub kind: Option<String>,
    /// Confidence.
    pub confidence: Option<String>,
    /// Victim's sector.
    pub sector: Option<String>,
    /// Only the member's own items.
    pub mine: Option<String>,
    /// The next page's cursor.
    pub cursor: Option<String>,
}

fn some(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn select(
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    current: &str,
    any: Option<&str>,
) -> Markup {
    html! {
        label for=(name) { (label) }
        select #(name) name=(name) {
            @if let Some(any) = any { option value="" selected[current.is_empty()] { (any) } }
            @for (value, text) in options {
                option value=(value) selected[*value == current] { (text) }
            }
        }
    }
}

fn kind_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    ItemKind::ALL
        .iter()
        .map(|k| (k.as_str(), lang.kind(*k)))
        .collect()
}

fn confidence_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Confidence::ALL
        .iter()
        .map(|c| (c.as_str(), lang.confidence(*c)))
        .collect()
}

fn sector_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Sector::ALL
        .iter()
        .map(|s| (s.as_str(), lang.sector(*s)))
        .collect()
}

fn tlp_options() -> Vec<(&'static str, &'static str)> {
    Tlp::ALL.iter().map(|t| (t.as_str(), t.label())).collect()
}

/// `GET /portal/items`: search what the caller may see (the API's search).
pub async fn list(
    State(state): State<AppState>,
    s: Session,
    uri: axum::http::Uri,
    Query(q): Query<ListQuery>,
) -> PortalResult {
    let lang = s.lang;
    let params = SearchParams {
        indicator: some(q.indicator.as_ref()),
        kind: some(q.kind.as_ref()),
        confidence: some(q.confidence.as_ref()),
        sector: some(q.sector.as_ref()),
        mine: q.mine.as_deref().map(|m| !m.is_empty()),
        cursor: some(q.cursor.as_ref()),
        limit: Some(PAGE),
        ..SearchParams::default()
    };
    let result = search(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(params),
    )
    .await;
    let (page, error) = match result {
        Ok(Json(p)) => (Some(p), None),
        Err(e @ ApiError::BadRequest(_)) => (None, Some(api_message(&e))),
        Err(e) => return Err(e.into()),
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut next = None;
    if let Some(c) = page.as_ref().and_then(|p| p.next_cursor.as_ref()) {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("indicator", &q.indicator),
            ("kind", &q.kind),
            ("confidence", &q.confidence),
            ("sector", &q.sector),
            ("mine", &q.mine),
        ] {
            if let Some(v) = some(v.as_ref()) {
                qs.append_pair(k, &v);
            }
        }
        qs.append_pair("cursor", c);
        next = Some(format!("/portal/items?{}", qs.finish()));
    }
    let here = uri.path_and_query().map_or("/portal/items", |p| p.as_str());
    let body = html! {
        form.search.card method="get" action="/portal/items" role="search" {
            div.fields {
                p.wide {
                    label for="indicator" { (lang.t("search_indicator")) }
                    input #indicator type="search" name="indicator" value=(text(&q.indicator)) spellcheck="false";
                }
                p { (select("kind", lang.t("filter_kind"), &kind_options(lang), &text(&q.kind), Some(lang.t("any")))) }
                p { (select("confidence", lang.t("filter_confidence"), &confidence_options(lang), &text(&q.confidence), Some(lang.t("any")))) }
                p { (select("sector", lang.t("filter_sector"), &sector_options(lang), &text(&q.sector), Some(lang.t("any")))) }
                p.check {
                    input #mine type="checkbox" name="mine" value="1" checked[q.mine.as_deref().is_some_and(|m| !m.is_empty())];
                    label for="mine" { (lang.t("mine_only")) }
                }
            }
            p { button.primary type="submit" { (lang.t("search")) } }
        }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        @if let Some(p) = &page {
            @if p.items.is_empty() {
                p.muted { (lang.t("no_items")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th scope="col" { (lang.t("col_title")) }
                            th scope="col" { (lang.t("col_kind")) }
                            th scope="col" { (lang.t("col_confidence")) }
                            th scope="col" { (lang.t("col_tlp")) }
                            th scope="col" { (lang.t("col_shared")) }
                            th scope="col" { (lang.t("col_status")) }
                        } }
                        tbody {
                            @for i in &p.items {
                                tr {
                                    td { a href={ "/portal/items/" (i.id) } { (i.title) } }
                                    td { (lang.kind(i.kind)) }
                                    td { (lang.confidence(i.confidence)) }
                                    td { (tlp_badge(i.tlp)) @if let Some(l) = &i.clearance { " " span.badge.warn { (l) } } }
                                    td.nowrap { (jst(i.created_at)) }
                                    td { (lang.status(i.status)) }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label=(lang.t("next_page")) {
                @if q.cursor.as_deref().is_some_and(|c| !c.is_empty()) {
                    a href="/portal/items" { (lang.t("first_page")) }
                }
                @if let Some(n) = &next { a href=(n) rel="next" { (lang.t("next_page")) } }
            }
        }
    };
    let mut resp = layout::page(&s, here, lang.t("items_title"), body);
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

fn tlp_badge(t: Tlp) -> Markup {
    let class = format!("tlp tlp-{}", t.as_str().replace('+', "-"));
    html! { span class=(class) { (t.label()) } }
}

/// `?ok=` after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// Which action succeeded.
    pub ok: Option<String>,
}

/// `GET /portal/items/{id}`: the item exactly as the API's `GET /api/v1/items/{id}`
/// gives it to the caller (and records the read the same way); 404 for an item the
/// caller may not see.
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let auth = || Auth(s.viewer.clone());
    let Json(v) = get_one(State(state.clone()), auth(), Path(id.clone())).await?;
    // Whether the member owes feedback: the task-force rule of core, as the API's
    // feedback handlers apply it. Nothing of the stored item is shown from here.
    let stored = state.store.item(v.id).await?.ok_or(PortalError::NotFound)?;
    let owes = owes_feedback(&stored.item, &s.viewer);
    let mine = if owes {
        state
            .store
            .item_feedback(v.id)
            .await?
            .into_iter()
            .find(|f| f.member == s.viewer.member.id)
            .map(|f| f.feedback)
    } else {
        None
    };
    let tally =
        if v.audience == Audience::Full && tsunagu_core::feedback::asks_feedback(&stored.item) {
            crate::api::feedback::summary(State(state.clone()), auth(), Path(id.clone()))
                .await
                .ok()
                .map(|Json(sum)| sum.tally)
        } else {
            None
        };
    let scope_names = match &v.scope {
        Some(scope) => pseudonyms(&state, scope).await?,
        None => HashMap::new(),
    };
    let here = format!("/portal/items/{}", v.id);
    let body = html! {
        @match done.ok.as_deref() {
            Some("feedback") => (flash(lang.t("feedback_thanks"))),
            Some("shared") => (flash(lang.t("shared_ok"))),
            _ => {}
        }
        (item_body(lang, &v, &scope_names))
        @if owes {
            (feedback_form(&s, &v, mine.as_ref()))
        }
        @if let Some(t) = tally {
            section.card aria-labelledby="h-tally" {
                h2 #h-tally { (lang.t("feedback_tally")) }
                figure.chart #tally-chart {
                    (PreEscaped(bar_chart(lang.t("feedback_tally"), &[
                        (lang.t("sighting_seen").to_owned(), t.seen),
                        (lang.t("sighting_not_seen").to_owned(), t.not_seen),
                        (lang.t("sighting_unknown").to_owned(), t.unknown),
                        (lang.t("opinion_agree").to_owned(), t.agree),
                        (lang.t("opinion_disagree").to_owned(), t.disagree),
                        (lang.t("opinion_supplement").to_owned(), t.supplement),
                    ], None)))
                }
                dl.pairs {
                    dt { (lang.t("sighting_seen")) } dd { (t.seen) }
                    dt { (lang.t("sighting_not_seen")) } dd { (t.not_seen) }
                    dt { (lang.t("sighting_unknown")) } dd { (t.unknown) }
                    dt { (lang.t("opinion_agree")) } dd { (t.agree) }
                    dt { (lang.t("opinion_disagree")) } dd { (t.disagree) }
                    dt { (lang.t("opinion_supplement")) } dd { (t.supplement) }
                    dt { (lang.t("tally_total")) } dd { (t.total()) }
                }
            }
        }
    };
    Ok(layout::page(&s, &here, &v.title, body))
}

/// Pseudonyms of the members a scope names, for its provider and the coordinator.
async fn pseudonyms(state: &AppState, scope: &Scope) -> PortalResult<HashMap<MemberId, String>> {
    let mut out = HashMap::new();
    for id in scope.members.iter().chain(&scope.excluded) {
        if let Some(m) = state.store.member(*id).await? {
            out.insert(*id, m.pseudonym);
        }
    }
    Ok(out)
}

/// The item as the view gives it; a part the view leaves out is said to be withheld.
fn item_body(lang: Lang, v: &ItemView, names: &HashMap<MemberId, String>) -> Markup {
    html! {
        p.badges {
            span.badge { (lang.kind(v.kind)) }
            " " span.badge { (lang.confidence(v.confidence)) }
            " " (tlp_badge(v.tlp))
            " " span.badge class=[(v.status == ItemStatus::Retracted).then_some("warn")] { (lang.status(v.status)) }
            @if let Some(level) = &v.clearance { " " span.badge.warn #clearance-badge { (lang.t("clearance_badge")) ": " (level) } }
        }
        @if let Some(t) = v.tearline {
            p.meta { (lang.t("tearline_link")) ": " a #tearline href={ "/portal/items/" (t) } { (t) } }
        }
        p.meta {
            (lang.t("col_shared")) ": " (jst(v.created_at))
            " · " (lang.t("revision")) " " (v.revision)
            @if v.updated_at != v.created_at { " · " (lang.t("updated")) ": " (jst(v.updated_at)) }
        }
        @match v.provider {
            Some(p) => p.meta { (lang.t("provider")) ": " code { (p) } },
            None => p.meta { (lang.t("via_coordinator")) },
        }
        @if let Some(sector) = v.provider_sector { p.meta { (lang.t("provider_sector")) ": " (lang.sector(sector)) } }
        p.meta { (lang.t("your_view")) ": " strong.audience { (lang.audience(v.audience)) } }
        @if !v.executive_context.is_empty() {
            section { h2 { (lang.t("executive_context")) } p.text { (v.executive_context) } }
        }
        section {
            h2 { (lang.t("technical_details")) }
            @match &v.technical_details {
                Some(t) if !t.is_empty() => p.text { (t) },
                Some(_) => p.muted { "—" },
                None => p.masked { (lang.t("technical_hidden")) },
            }
        }
        @if !v.countermeasures.is_empty() {
            section { h2 { (lang.t("countermeasures")) } p.text { (v.countermeasures) } }
        }
        @if let Some(victim) = &v.victim {
            section {
                h2 { (lang.t("victim")) }
                dl.pairs {
                    dt { (lang.t("victim_name")) }
                    dd { @match &victim.name { Some(n) => (n), None => span.masked { (lang.t("victim_name_hidden")) } } }
                    @if let Some(sector) = victim.sector { dt { (lang.t("victim_sector")) } dd { (lang.sector(sector)) } }
                    dt { (lang.t("damaged")) } dd { (if victim.damaged { lang.t("damage_yes") } else { lang.t("damage_no") }) }
                    dt { (lang.t("damage_details")) }
                    dd { @match &victim.damage_details { Some(d) => (d), None => span.masked { (lang.t("damage_details_hidden")) } } }
                }
            }
        }
        @if !v.indicators.is_empty() {
            section {
                h2 { (lang.t("indicators")) }
                div.table-wrap { table {
                    thead { tr { th scope="col" { (lang.t("indicator_type")) } th scope="col" { (lang.t("indicator_value")) } } }
                    tbody { @for i in &v.indicators { tr { td { (i.kind().as_str()) } td { code.ioc { (i.value()) } } } } }
                } }
            }
        }
        @if !v.techniques.is_empty() {
            section { h2 { (lang.t("techniques")) } p { @for t in &v.techniques { code { (t.as_str()) } " " } } }
        }
        @if !v.cves.is_empty() {
            section { h2 { (lang.t("cves")) } p { @for c in &v.cves { code { (c.as_str()) } " " } } }
        }
        @if !v.products.is_empty() {
            section {
                h2 { (lang.t("products")) }
                ul { @for p in &v.products { li { (p.vendor) " " (p.product) " " (p.version) @if let Some(c) = &p.cpe { " " code { (c) } } } } }
            }
        }
        @if let Some(scope) = &v.scope {
            section { h2 { (lang.t("scope")) } (scope_summary(lang, scope, names)) }
        }
    }
}

fn scope_summary(lang: Lang, scope: &Scope, names: &HashMap<MemberId, String>) -> Markup {
    let name = |id: &MemberId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    html! {
        dl.pairs {
            dt { (lang.t("scope_classes")) }
            dd { @for c in &scope.classes { (lang.class(*c)) " " } }
            dt { (lang.t("target_sectors")) }
            dd { @if scope.sectors.is_empty() { (lang.t("any")) } @for x in &scope.sectors { (lang.sector(*x)) " " } }
            @if !scope.members.is_empty() { dt { (lang.t("scope_members")) } dd { @for m in &scope.members { code { (name(m)) } " " } } }
            @if !scope.excluded.is_empty() { dt { (lang.t("scope_excluded")) } dd { @for m in &scope.excluded { code { (name(m)) } " " } } }
            dt { (lang.t("regulators_box")) }
            dd {
                @if scope.exclude_all_regulators { strong { (lang.t("exclude_all_regulators")) } }
                @else if scope.exclude_regulators_of_my_sector { strong { (lang.t("exclude_my_regulators")) } }
                @else { (lang.t("regulators_reached")) }
            }
        }
    }
}

fn feedback_form(
    s: &Session,
    v: &ItemView,
    mine: Option<&tsunagu_core::feedback::Feedback>,
) -> Markup {
    let lang = s.lang;
    let action = format!("/portal/items/{}/feedback", v.id);
    let current = match mine.map(|f| &f.answer) {
        Some(Answer::Sighting { sighting, .. }) => Some(match sighting {
            Sighting::Seen => lang.t("sighting_seen"),
            Sighting::NotSeen => lang.t("sighting_not_seen"),
            Sighting::Unknown => lang.t("sighting_unknown"),
        }),
        Some(Answer::Opinion { opinion }) => Some(match opinion {
            Opinion::Agree => lang.t("opinion_agree"),
            Opinion::Disagree => lang.t("opinion_disagree"),
            Opinion::Supplement => lang.t("opinion_supplement"),
        }),
        None => None,
    };
    html! {
        section.card.feedback aria-labelledby="h-feedback" {
            h2 #h-feedback { (lang.t("feedback_title")) }
            @if let Some(c) = current {
                p { (lang.t("your_answer")) ": " strong { (c) } " — " (lang.t("change_answer")) }
            }
            @if s.viewer.member.class == MemberClass::Class1 {
                form method="post" action=(action) {
                    (csrf(s))
                    p { (select("opinion", lang.t("opinion"), &[("agree", lang.t("opinion_agree")), ("disagree", lang.t("opinion_disagree")), ("supplement", lang.t("opinion_supplement"))], "", None)) }
                    p {
                        label for="comment" { (lang.t("opinion_comment")) }
                        textarea #comment name="comment" rows="4" required {}
                    }
                    p { button.primary type="submit" { (lang.t("send_opinion")) } }
                }
            } @else {
                form method="post" action=(action) {
                    (csrf(s))
                    fieldset {
                        legend { (lang.t("feedback_ask")) }
                        p {
                            label for="fb-comment" { (lang.t("feedback_comment")) }
                            input #fb-comment type="text" name="comment" maxlength="4000";
                        }
                        div.buttons {
                            button.answer.seen type="submit" name="sighting" value="seen" { (lang.t("sighting_seen")) }
                            button.answer.not-seen type="submit" name="sighting" value="not_seen" { (lang.t("sighting_not_seen")) }
                            button.answer.unknown type="submit" name="sighting" value="unknown" { (lang.t("sighting_unknown")) }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /portal/items/{id}/feedback`: through the API's feedback handler.
pub async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let sighting = match f.get("sighting") {
        None | Some("") => None,
        Some("seen") => Some(Sighting::Seen),
        Some("not_seen") => Some(Sighting::NotSeen),
        Some("unknown") => Some(Sighting::Unknown),
        Some(other) => {
            return Err(
                ApiError::Unprocessable(format!("sighting: unknown value {other:?}")).into(),
            );
        }
    };
    let opinion = match f.get("opinion") {
        None | Some("") => None,
        Some("agree") => Some(Opinion::Agree),
        Some("disagree") => Some(Opinion::Disagree),
        Some("supplement") => Some(Opinion::Supplement),
        Some(other) => {
            return Err(
                ApiError::Unprocessable(format!("opinion: unknown value {other:?}")).into(),
            );
        }
    };
    let form = FeedbackForm {
        sighting,
        count: None,
        first_seen: None,
        last_seen: None,
        opinion,
        comment: f.text("comment").to_owned(),
    };
    let _answer = crate::api::feedback::give(
        State(state),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(form),
    )
    .await?;
    Ok(see_other(&format!("/portal/items/{id}?ok=feedback")))
}

// ---- The submit form, its preview, sharing ----

/// The form's starting values.
fn defaults() -> FormData {
    FormData(
        [
            ("kind", "threat_information"),
            ("confidence", "probable"),
            ("tlp", "amber"),
            ("class.class1", "1"),
            ("class.class2", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    )
}

/// `GET /portal/items/new`.
pub async fn new_form(s: Session) -> PortalResult {
    s.viewer.ensure_can_act()?;
    Ok(form_page(&s, &defaults(), &[], StatusCode::OK))
}

/// `POST /portal/items/new`: back from the preview to the form, as filled in.
pub async fn edit(Posted(s, f): Posted) -> PortalResult {
    s.viewer.ensure_can_act()?;
    Ok(form_page(&s, &f, &[], StatusCode::OK))
}

fn form_page(s: &Session, f: &FormData, errors: &[String], status: StatusCode) -> Response {
    let lang = s.lang;
    let body = html! {
        @if !errors.is_empty() {
            div.error role="alert" {
                p { strong { (lang.t("fix_errors")) } }
                ul { @for e in errors { li { (e) } } }
            }
        }
        form.item-form method="post" action="/portal/items/preview" {
            (csrf(s))
            (item_fields(lang, &s.viewer, f))
            p.submit { button.primary type="submit" { (lang.t("preview_button")) } }
        }
    };
    layout::page_status(
        s,
        "/portal/items/new",
        lang.t("new_item_title"),
        body,
        status,
    )
}

fn text_field(name: &str, label: &str, f: &FormData, required: bool, help: Option<&str>) -> Markup {
    let help_id = format!("{name}-help");
    html! {
        p {
            label for=(name) { (label) }
            input #(name) type="text" name=(name) value=(f.text(name)) required[required] aria-describedby=[help.map(|_| help_id.as_str())];
            @if let Some(h) = help { small.hint #(help_id) { (h) } }
        }
    }
}

fn text_area(name: &str, label: &str, f: &FormData, rows: u32, help: Option<&str>) -> Markup {
    let help_id = format!("{name}-help");
    html! {
        p {
            label for=(name) { (label) }
            textarea #(name) name=(name) rows=(rows) aria-describedby=[help.map(|_| help_id.as_str())] { (f.text(name)) }
            @if let Some(h) = help { small.hint #(help_id) { (h) } }
        }
    }
}

/// A labelled checkbox, checked as the form was sent.
pub(super) fn checkbox(name: &str, label: &str, f: &FormData) -> Markup {
    let id = name.replace('.', "-");
    html! {
        span.check {
            input #(id) type="checkbox" name=(name) value="1" checked[f.checked(name)];
            label for=(id) { (label) }
        }
    }
}

fn item_fields(lang: Lang, v: &Viewer, f: &FormData) -> Markup {
    let mut victim_sectors = vec![("", lang.t("none_selected"))];
    victim_sectors.extend(sector_options(lang));
    html! {
        fieldset {
            legend { (lang.t("content")) }
            p { (select("kind", lang.t("kind"), &kind_options(lang), f.text("kind"), None)) }
            (text_field("title", lang.t("title"), f, true, None))
            (text_area("executive_context", lang.t("executive_context"), f, 3, None))
            (text_area("technical_details", lang.t("technical_details"), f, 4, None))
            (text_area("countermeasures", lang.t("countermeasures"), f, 3, None))
            (text_area("indicators", lang.t("indicators"), f, 4, Some(lang.t("indicators_help"))))
            (text_field("cves", lang.t("cves"), f, false, Some(lang.t("cves_help"))))
            (text_field("techniques", lang.t("techniques"), f, false, Some(lang.t("techniques_help"))))
            div.row {
                p { (select("confidence", lang.t("confidence"), &confidence_options(lang), f.text("confidence"), None)) }
                p { (select("tlp", lang.t("tlp"), &tlp_options(), f.text("tlp"), None)) }
            }
            @let held = v.clearance.held(OffsetDateTime::now_utc());
            @if !held.is_empty() {
                @let options: Vec<(&str, &str)> = held.iter().map(|l| (l.as_str(), l.as_str())).collect();
                p {
                    (select("clearance", lang.t("clearance_required"), &options, f.text("clearance"), Some(lang.t("clearance_none"))))
                    span.hint { (lang.t("clearance_hint")) }
                }
            }
        }
        fieldset {
            legend { (lang.t("victim_section")) }
            (text_field("victim_name", lang.t("victim_name"), f, false, None))
            p { (select("victim_sector", lang.t("victim_sector"), &victim_sectors, f.text("victim_sector"), None)) }
            p { (checkbox("victim_damaged", lang.t("victim_damaged"), f)) }
            (text_area("damage_details", lang.t("damage_details"), f, 2, None))
        }
        fieldset.scope {
            legend { (lang.t("scope_editor")) }
            fieldset.inline-group {
                legend { (lang.t("scope_classes")) }
                @for c in MemberClass::ALL {
                    (checkbox(&format!("class.{}", c.as_str()), lang.class(c), f))
                }
            }
            fieldset.partners {
                legend { (lang.t("scope_partners")) }
                p { (checkbox("class.partner", lang.t("share_with_partners"), f)) }
                p { (checkbox("onward", lang.t("share_onward"), f)) }
                p.hint { (lang.t("partners_note")) }
            }
            fieldset.regulators {
                legend { (lang.t("regulators_box")) }
                p { (checkbox("exclude_regulators_of_my_sector", &format!("{} ({})", lang.t("exclude_my_regulators"), lang.sector(v.member.sector)), f)) }
                p { (checkbox("exclude_all_regulators", lang.t("exclude_all_regulators"), f)) }
                p.hint { (lang.t("regulators_note")) }
            }
            fieldset.inline-group.sectors {
                legend { (lang.t("scope_sectors")) }
                @for x in Sector::ALL {
                    (checkbox(&format!("sector.{}", x.as_str()), lang.sector(*x), f))
                }
            }
            (text_area("members", lang.t("scope_members"), f, 2, None))
            (text_area("excluded", lang.t("scope_excluded"), f, 2, None))
            p { (checkbox("show_provider_sector", lang.t("show_provider_sector"), f)) }
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds the API's draft from the form; pseudonyms are resolved among the active
/// members. Returns every problem found in the form's own syntax.
fn draft_from(lang: Lang, f: &FormData, members: &[Member]) -> Result<ItemDraft, Vec<String>> {
    let mut errors = Vec::new();
    let kind = ItemKind::parse(f.text("kind")).unwrap_or_else(|| {
        errors.push(format!("{}: ?", lang.t("kind")));
        ItemKind::ThreatInformation
    });
    let confidence = Confidence::parse(f.text("confidence")).unwrap_or_else(|| {
        errors.push(format!("{}: ?", lang.t("confidence")));
        Confidence::Unconfirmed
    });
    let tlp = Tlp::parse(f.text("tlp")).unwrap_or_else(|| {
        errors.push(format!("{}: ?", lang.t("tlp")));
        Tlp::Red
    });
    let mut indicators = Vec::new();
    for (n, line) in f.text("indicators").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let typed = line
            .split_once(char::is_whitespace)
            .filter(|(t, _)| IndicatorKind::parse(t).is_some());
        let raw = match typed {
            Some((t, value)) => Some(RawIndicator {
                kind: t.to_owned(),
                value: value.trim().to_owned(),
            }),
            None => guess_kind(line).map(|k| RawIndicator {
                kind: k.as_str().to_owned(),
                value: line.to_owned(),
            }),
        };
        match raw {
            Some(r) => indicators.push(r),
            None => errors.push(format!(
                "{} {}: {line:?} — {}",
                lang.t("indicators"),
                n + 1,
                lang.t("indicators_help")
            )),
        }
    }
    let by_pseudonym: HashMap<String, MemberId> = members
        .iter()
        .map(|m| (m.pseudonym.to_uppercase(), m.id))
        .collect();
    let mut resolve = |field: &str, label: &str| {
        let mut out = std::collections::BTreeSet::new();
        for p in split_list(f.text(field)) {
            match by_pseudonym.get(&p.to_uppercase()) {
                Some(id) => {
                    out.insert(*id);
                }
                None => errors.push(format!("{label}: {p} — {}", lang.t("unknown_pseudonym"))),
            }
        }
        out
    };
    let named = resolve("members", lang.t("scope_members"));
    let excluded = resolve("excluded", lang.t("scope_excluded"));
    let scope = Scope {
        classes: MemberClass::WITH_PARTNERS
            .into_iter()
            .filter(|c| f.checked(&format!("class.{}", c.as_str())))
            .collect(),
        sectors: Sector::ALL
            .iter()
            .copied()
            .filter(|x| f.checked(&format!("sector.{}", x.as_str())))
            .collect(),
        members: named,
        excluded,
        exclude_regulators_of_my_sector: f.checked("exclude_regulators_of_my_sector"),
        exclude_all_regulators: f.checked("exclude_all_regulators"),
        onward: f.checked("onward"),
    };
    let victim_sector = match f.text("victim_sector") {
        "" => None,
        x => {
            let parsed = Sector::parse(x);
            if parsed.is_none() {
                errors.push(format!("{}: ?", lang.t("victim_sector")));
            }
            parsed
        }
    };
    let has_victim = !f.text("victim_name").trim().is_empty()
        || victim_sector.is_some()
        || f.checked("victim_damaged")
        || !f.text("damage_details").trim().is_empty();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ItemDraft {
        kind,
        title: f.text("title").to_owned(),
        executive_context: f.text("executive_context").to_owned(),
        technical_details: f.text("technical_details").to_owned(),
        countermeasures: f.text("countermeasures").to_owned(),
        victim: has_victim.then(|| Victim {
            name: Some(f.text("victim_name").to_owned()),
            sector: victim_sector,
            damaged: f.checked("victim_damaged"),
            damage_details: f.text("damage_details").to_owned(),
        }),
        indicators,
        techniques: split_list(f.text("techniques")),
        cves: split_list(f.text("cves")),
        products: Vec::new(),
        confidence,
        tlp,
        scope,
        show_provider_sector: f.checked("show_provider_sector"),
        clearance: Some(f.text("clearance").to_owned()),
    })
}

/// Who receives a draft and what each audience sees: [`view`] run for every active
/// member but the provider's own.
#[derive(Debug, Default)]
pub struct Preview {
    /// Per class: (receive it, members).
    pub by_class: BTreeMap<MemberClass, (usize, usize)>,
    /// Per special role: (receive it, members).
    pub by_role: BTreeMap<SpecialRole, (usize, usize)>,
    /// Each audience reached: how many, and one of their views.
    pub audiences: Vec<(Audience, usize, ItemView)>,
}

impl Preview {
    /// (regulators that receive it, regulators).
    #[must_use]
    pub fn regulators(&self) -> (usize, usize) {
        self.by_role
            .get(&SpecialRole::Regulator)
            .copied()
            .unwrap_or((0, 0))
    }
}

/// Runs the policy view for `content`, as if `v`'s member shared it now, over the
/// active members.
#[must_use]
pub fn preview_of(v: &Viewer, content: &ItemContent, members: &[Member]) -> Preview {
    let now = OffsetDateTime::now_utc();
    // Who is reached by scope; a required clearance narrows that to cleared users,
    // which the page says separately.
    let mut content = content.clone();
    content.clearance = None;
    let item = Item {
        id: ItemId::new(),
        provider: v.member.id,
        provider_sector: v.member.sector,
        content,
        status: ItemStatus::Shared,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let mut p = Preview::default();
    for m in members
        .iter()
        .filter(|m| m.id != v.member.id && m.is_active())
    {
        let shown = view(&item, &Viewer::for_member(m.clone()));
        let reached = usize::from(shown.is_some());
        let c = p.by_class.entry(m.class).or_default();
        c.0 += reached;
        c.1 += 1;
        for r in &m.roles {
            let c = p.by_role.entry(*r).or_default();
            c.0 += reached;
            c.1 += 1;
        }
        if let Some(shown) = shown {
            match p
                .audiences
                .iter_mut()
                .find(|(a, _, _)| *a == shown.audience)
            {
                Some(entry) => entry.1 += 1,
                None => p.audiences.push((shown.audience, 1, shown)),
            }
        }
    }
    let order = |a: &Audience| match a {
        Audience::Full => 0,
        Audience::Class1 => 1,
        Audience::Class2 => 2,
        Audience::General => 3,
    };
    p.audiences.sort_by_key(|(a, _, _)| order(a));
    p
}

async fn active_members(state: &AppState) -> PortalResult<Vec<Member>> {
    Ok(state.store.members(Some(MemberStatus::Active)).await?)
}

/// `POST /portal/items/preview`: who will see what, before anything is shared.
pub async fn preview(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    s.viewer.ensure_can_act()?;
    let lang = s.lang;
    let members = active_members(&state).await?;
    let draft = match draft_from(lang, &f, &members) {
        Ok(d) => d,
        Err(errors) => return Ok(form_page(&s, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let content = match draft.parse() {
        Ok(c) => c,
        Err(e) => {
            return Ok(form_page(
                &s,
                &f,
                &[e.to_string()],
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let p = preview_of(&s.viewer, &content, &members);
    let cleared = content.clearance.clone();
    let (reg_in, reg_all) = p.regulators();
    let has_victim_name = content.victim.as_ref().is_some_and(|x| x.name.is_some());
    let has_damage = content
        .victim
        .as_ref()
        .is_some_and(|x| !x.damage_details.is_empty());
    let mark = |shown: bool| {
        html! {
            @if shown { td.shown { "✓ " (lang.t("shown")) } } @else { td.hidden { "✗ " (lang.t("hidden")) } }
        }
    };
    let body = html! {
        p.intro { (lang.t("preview_intro")) }
        section.card aria-labelledby="h-summary" {
            h2 #h-summary { (content.title) }
            p.badges {
                span.badge { (lang.kind(content.kind)) }
                " " span.badge { (lang.confidence(content.confidence)) }
                " " (tlp_badge(content.tlp))
            }
        }
        div class={ "regulator-verdict " (if reg_in == 0 { "excluded" } else { "included" }) } role="status" {
            p {
                strong { @if reg_in == 0 { (lang.t("regulators_excluded")) } @else { (lang.t("regulators_reached")) } }
                " " (lang.t("role_regulator")) ": " span.reg-count { (reg_in) " / " (reg_all) }
            }
        }
        @if let Some(level) = &cleared {
            p.warn #clearance-note { (lang.t("clearance_preview")) " " strong { (level) } }
        }
        @if p.audiences.is_empty() {
            p.warn { (lang.t("nobody_else")) }
        }
        div.grid {
            section.card aria-labelledby="h-by-class" {
                h2 #h-by-class { (lang.t("recipients_by_class")) }
                table.counts #by-class {
                    thead { tr { th scope="col" { (lang.t("target_classes")) } th.n scope="col" { (lang.t("reached")) } th.n scope="col" { (lang.t("of_members")) } } }
                    tbody {
                        @for c in MemberClass::WITH_PARTNERS {
                            @let (n, all) = p.by_class.get(&c).copied().unwrap_or((0, 0));
                            @if c != MemberClass::Partner || all > 0 {
                                tr data-class=(c.as_str()) { th scope="row" { (lang.class(c)) } td.n { (n) } td.n { (all) } }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="h-by-role" {
                h2 #h-by-role { (lang.t("recipients_by_role")) }
                table.counts #by-role {
                    thead { tr { th scope="col" { (lang.t("part")) } th.n scope="col" { (lang.t("reached")) } th.n scope="col" { (lang.t("of_members")) } } }
                    tbody {
                        @for (r, (n, all)) in &p.by_role {
                            tr data-role=(r.as_str()) class=[(*r == SpecialRole::Regulator).then_some("regulator-row")] {
                                th scope="row" { (lang.role(*r)) } td.n { (n) } td.n { (all) }
                            }
                        }
                    }
                }
            }
        }
        @if !p.audiences.is_empty() {
            section.card aria-labelledby="h-sees" {
                h2 #h-sees { (lang.t("what_each_sees")) }
                div.table-wrap {
                    table #what-each-sees {
                        thead { tr {
                            th scope="col" { (lang.t("part")) }
                            @for (a, n, _) in &p.audiences { th scope="col" data-audience=(format!("{a:?}").to_lowercase()) { (lang.audience(*a)) " (" (n) ")" } }
                        } }
                        tbody {
                            tr { th scope="row" { (lang.t("part_summary")) } @for (_, _, _) in &p.audiences { (mark(true)) } }
                            tr { th scope="row" { (lang.t("part_technical")) } @for (_, _, v) in &p.audiences { (mark(v.technical_details.is_some())) } }
                            @if has_damage {
                                tr { th scope="row" { (lang.t("part_damage")) } @for (_, _, v) in &p.audiences { (mark(v.victim.as_ref().is_some_and(|x| x.damage_details.is_some()))) } }
                            }
                            @if has_victim_name {
                                tr { th scope="row" { (lang.t("part_victim_name")) } @for (_, _, v) in &p.audiences { (mark(v.victim.as_ref().is_some_and(|x| x.name.is_some()))) } }
                            }
                            tr { th scope="row" { (lang.t("part_provider")) } @for (_, _, v) in &p.audiences { (mark(v.provider.is_some())) } }
                        }
                    }
                }
            }
        }
        form.preview-actions method="post" action="/portal/items" {
            (csrf(&s))
            @for (k, v) in f.fields() { input type="hidden" name=(k) value=(v); }
            button.primary #share type="submit" { (lang.t("share_button")) }
            " "
            button.secondary type="submit" formaction="/portal/items/new" { (lang.t("edit_button")) }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/items/preview",
        lang.t("preview_title"),
        body,
    ))
}

/// `POST /portal/items`: shares the previewed item through the API's handler.
pub async fn submit(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    s.viewer.ensure_can_act()?;
    let lang = s.lang;
    let members = active_members(&state).await?;
    let draft = match draft_from(lang, &f, &members) {
        Ok(d) => d,
        Err(errors) => return Ok(form_page(&s, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    match create(State(state), Auth(s.viewer.clone()), ApiJson(draft)).await {
        Ok((_, Json(v))) => Ok(see_other(&format!("/portal/items/{}?ok=shared", v.id))),
        Err(e @ ApiError::Unprocessable(_)) => {
            let status = api_status(&e);
            Ok(form_page(&s, &f, &[api_message(&e)], status))
        }
        Err(e) => Err(e.into()),
    }
}
