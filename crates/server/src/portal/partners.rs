//! `/portal/partners`: the partners (federation, M7.2) through the API's handlers. The
//! coordinator and the secretariat see every partner and its agreement; the
//! coordinator registers one and is shown its credentials once.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use tsunagu_core::federation::Agreement;
use tsunagu_core::indicator::Tlp;
use tsunagu_core::member::{MemberClass, Sector, SpecialRole};

use super::items::checkbox;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message};
use crate::AppState;
use crate::api::partners::{
    PartnerCreated, PartnerForm, list as api_list, register as api_register,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

const HERE: &str = "/portal/partners";

/// Whether the navigation offers the page: the coordinator and the secretariat.
#[must_use]
pub fn sees_page(s: &Session) -> bool {
    s.viewer.member.sees_real_names()
}

async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    error: Option<&str>,
    created: Option<&PartnerCreated>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(partners) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let coordinator = s.viewer.member.has_role(SpecialRole::Coordinator);
    let body = html! {
        @if let Some(c) = created {
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
                    }
                } }
            } }
        }
        @if coordinator {
            section aria-labelledby="h-register" {
                h2 #h-register { (lang.t("register_partner")) }
                form.card #register-partner method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = error { p.error #partner-error role="alert" { (e) } }
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
    let mut resp = layout::page(s, HERE, lang.t("partners_title"), body);
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /portal/partners`: 403 for anyone but the coordinator and the secretariat.
pub async fn page(State(state): State<AppState>, s: Session) -> PortalResult {
    render(&state, &s, &FormData::default(), None, None, StatusCode::OK).await
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
                Some(&created),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e @ (ApiError::Unprocessable(_) | ApiError::Conflict(_))) => {
            render(
                &state,
                &s,
                &f,
                Some(&api_message(&e)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
