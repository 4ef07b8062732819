//! `/portal/partners`: the partners (federation, M7.2) through the API's handlers. The
//! coordinator and the secretariat see every partner and its agreement; the
//! coordinator registers one and is shown its credentials once.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use tsunagu_core::federation::Agreement;
use tsunagu_core::indicator::Tlp;
use tsunagu_core::member::{MemberClass, Sector, SpecialRole};

use super::alerts::Done;
use super::i18n::jst;
use super::items::checkbox;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::partners::{
    LinkForm, PartnerCreated, PartnerForm, list as api_list, register as api_register,
    set_link as api_set_link,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

const HERE: &str = "/portal/partners";
const LINK: &str = "/portal/partners/link";

/// Whether the navigation offers the page: the coordinator and the secretariat.
#[must_use]
pub fn sees_page(s: &Session) -> bool {
    s.viewer.member.sees_real_names()
}

/// What an action leaves to show once.
enum Shown<'a> {
    Nothing,
    /// A partner registered: its credentials.
    Created(&'a PartnerCreated),
    /// A push link set.
    Linked,
}

/// Which form a refusal belongs to.
enum Refused<'a> {
    Register(&'a str),
    Link(&'a str),
}

async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    error: Option<Refused<'_>>,
    shown: Shown<'_>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let register_error = match error {
        Some(Refused::Register(e)) => Some(e),
        _ => None,
    };
    let link_error = match error {
        Some(Refused::Link(e)) => Some(e),
        _ => None,
    };
    let Json(partners) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let coordinator = s.viewer.member.has_role(SpecialRole::Coordinator);
    let body = html! {
        @if matches!(shown, Shown::Linked) { (flash(lang.t("partner_linked"))) }
        @if let Shown::Created(c) = shown {
            (flash(lang.t("partner_registered")))
            section.card #partner-credentials aria-labelledby="h-credentials" {
                h2 #h-credentials { (lang.t("partner_credentials")) }
                p.warn { (lang.t("secret_once")) }
                dl.pairs {
                    dt { (lang.t("login_name")) } dd { code { (c.login) } }
                    dt { (lang.t("password")) } dd { code { (c.password) } }
                    dt { (lang.t("partner_token")) } dd { code.secret { (c.api_token) } }
                }
            }
        }
        p.intro { (lang.t("partners_intro")) }
        @if partners.is_empty() {
            p.muted { (lang.t("no_partners")) }
        } @else {
            div.table-wrap { table #partners {
                thead { tr {
                    th scope="col" { (lang.t("col_name")) }
                    th scope="col" { (lang.t("pseudonym")) }
                    th scope="col" { (lang.t("agreement_classes")) }
                    th scope="col" { (lang.t("agreement_max_tlp")) }
                    th scope="col" { (lang.t("agreement_sectors")) }
                    th scope="col" { (lang.t("sync_col")) }
                } }
                tbody { @for p in &partners {
                    tr {
                        td { (p.name) " " span.muted { "(" (lang.sector(p.sector)) ")" } }
                        td { code { (p.pseudonym) } }
                        @if let Some(a) = &p.agreement {
                            td { @for c in &a.classes { (lang.class(*c)) " " } }
                            td { code { "TLP:" (a.max_tlp.as_str().to_uppercase()) } }
                            td { @if a.sectors.is_empty() { (lang.t("all_sectors")) } @else { @for x in &a.sectors { (lang.sector(*x)) " " } } }
                        } @else {
                            td colspan="3" { "—" }
                        }
                        td.sync {
                            @match &p.sync {
                                None => span.muted { (lang.t("sync_pull_only")) },
                                Some(sync) => {
                                    div { code { (sync.url) } }
                                    @if let Some(e) = &sync.last_error {
                                        span.badge.warn { (lang.t("sync_failing")) " ×" (sync.failures) }
                                        p.error-text { (e) }
                                        @if let Some(t) = sync.next_attempt { p.muted { (lang.t("sync_next")) " " (jst(t)) } }
                                    } @else if sync.last_success.is_some() {
                                        span.badge.ok { (lang.t("sync_ok")) }
                                    }
                                    dl.pairs.compact {
                                        dt { (lang.t("sync_last_success")) }
                                        dd { @if let Some(t) = sync.last_success { (jst(t)) } @else { "—" } }
                                        dt { (lang.t("sync_backlog")) } dd.backlog { (sync.backlog) }
                                        dt { (lang.t("sync_pushed")) } dd.pushed { (sync.pushed) }
                                        dt { (lang.t("sync_refused")) } dd.refused { (sync.refused) }
                                    }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        @if coordinator && !partners.is_empty() {
            section aria-labelledby="h-link" {
                h2 #h-link { (lang.t("link_partner")) }
                form.card #link-partner method="post" action=(LINK) {
                    (csrf(s))
                    @if let Some(e) = link_error { p.error #link-error role="alert" { (e) } }
                    p.hint { (lang.t("link_hint")) }
                    p {
                        label for="partner" { (lang.t("link_which")) }
                        select #partner name="partner" {
                            @for p in &partners { option value=(p.id) selected[form.text("partner") == p.id.to_string()] { (p.name) } }
                        }
                    }
                    p {
                        label for="url" { (lang.t("link_url")) }
                        input #url type="url" name="url" value=(form.text("url")) required placeholder="https://partner.example/taxii2/root/collections/submissions/";
                    }
                    p {
                        label for="token" { (lang.t("link_token")) }
                        input #token type="password" name="token" required autocomplete="off";
                    }
                    p { button.primary type="submit" { (lang.t("link_partner")) } }
                }
            }
        }
        @if coordinator {
            section aria-labelledby="h-register" {
                h2 #h-register { (lang.t("register_partner")) }
                form.card #register-partner method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = register_error { p.error #partner-error role="alert" { (e) } }
                    p {
                        label for="name" { (lang.t("col_name")) }
                        input #name type="text" name="name" value=(form.text("name")) required maxlength="200";
                    }
                    p {
                        label for="sector" { (lang.t("partner_sector")) }
                        select #sector name="sector" {
                            @for x in Sector::ALL { option value=(x.as_str()) selected[form.text("sector") == x.as_str()] { (lang.sector(*x)) } }
                        }
                    }
                    p {
                        label for="login" { (lang.t("login_name")) }
                        input #login type="text" name="login" value=(form.text("login")) required maxlength="64" autocapitalize="none" spellcheck="false";
                    }
                    fieldset.inline-group {
                        legend { (lang.t("agreement_classes")) }
                        @for c in MemberClass::ALL { (checkbox(&format!("class.{}", c.as_str()), lang.class(c), form)) }
                    }
                    p {
                        label for="max_tlp" { (lang.t("agreement_max_tlp")) }
                        select #max_tlp name="max_tlp" {
                            @for t in &Tlp::ALL[..4] { option value=(t.as_str()) selected[form.text("max_tlp") == t.as_str()] { "TLP:" (t.as_str().to_uppercase()) } }
                        }
                    }
                    fieldset.inline-group {
                        legend { (lang.t("agreement_sectors")) }
                        @for x in Sector::ALL { (checkbox(&format!("sector.{}", x.as_str()), lang.sector(*x), form)) }
                        p.hint { (lang.t("agreement_sectors_hint")) }
                    }
                    p { button.primary type="submit" { (lang.t("register_partner")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("partners_title"),
        body,
        status,
    ))
}

/// `GET /portal/partners`: 403 for anyone but the coordinator and the secretariat.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    let shown = if done.ok.as_deref() == Some("linked") {
        Shown::Linked
    } else {
        Shown::Nothing
    };
    render(
        &state,
        &s,
        &FormData::default(),
        None,
        shown,
        StatusCode::OK,
    )
    .await
}

/// `POST /portal/partners`: the coordinator registers one through the API's handler;
/// the credentials are shown once, and a refusal in the form with the values kept.
pub async fn register(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let sector = Sector::parse(f.text("sector"));
    let max_tlp = Tlp::ALL
        .into_iter()
        .find(|t| t.as_str() == f.text("max_tlp"));
    let (Some(sector), Some(max_tlp)) = (sector, max_tlp) else {
        return Err(ApiError::Unprocessable("sector, max_tlp: unknown value".into()).into());
    };
    let form = PartnerForm {
        name: f.text("name").to_owned(),
        sector,
        login: f.text("login").to_owned(),
        agreement: Agreement {
            classes: MemberClass::ALL
                .into_iter()
                .filter(|c| f.checked(&format!("class.{}", c.as_str())))
                .collect(),
            max_tlp,
            sectors: Sector::ALL
                .iter()
                .copied()
                .filter(|x| f.checked(&format!("sector.{}", x.as_str())))
                .collect::<BTreeSet<_>>(),
        },
    };
    match api_register(State(state.clone()), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(created))) => {
            render(
                &state,
                &s,
                &FormData::default(),
                None,
                Shown::Created(&created),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e @ (ApiError::Unprocessable(_) | ApiError::Conflict(_))) => {
            render(
                &state,
                &s,
                &f,
                Some(Refused::Register(&api_message(&e))),
                Shown::Nothing,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/partners/link`: the coordinator sets where a partner's view is pushed,
/// through the API's handler; a refusal is shown in the form with the values kept (the
/// token is never sent back to the browser).
pub async fn link(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let form = LinkForm {
        url: f.text("url").to_owned(),
        token: f.text("token").to_owned(),
    };
    let id = f.text("partner").to_owned();
    match api_set_link(
        State(state.clone()),
        Auth(s.viewer.clone()),
        axum::extract::Path(id),
        ApiJson(form),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("{HERE}?ok=linked"))),
        Err(e @ ApiError::Unprocessable(_)) => {
            render(
                &state,
                &s,
                &f,
                Some(Refused::Link(&api_message(&e))),
                Shown::Nothing,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
