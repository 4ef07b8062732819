//! The page shell: skip link, header with the navigation, the language switch and
//! logout (both forms with the session's CSRF token), one `<main>` with the page's
//! `<h1>`, and a footer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use tsunagu_core::alert::ensure_issuer;

use super::CSS_PATH;
use super::i18n::Lang;
use super::session::Session;

/// The navigation: path, message key.
const NAV: [(&str, &str); 14] = [
    ("/portal/", "nav_dashboard"),
    ("/portal/items", "nav_items"),
    ("/portal/items/new", "nav_new_item"),
    ("/portal/alerts", "nav_alerts"),
    ("/portal/consultations", "nav_consultations"),
    ("/portal/constituency", "nav_constituency"),
    ("/portal/observations", "nav_observations"),
    ("/portal/trends", "nav_trends"),
    ("/portal/kev", "nav_kev"),
    ("/portal/advisories", "nav_advisories"),
    ("/portal/assets", "nav_assets"),
    ("/portal/incidents", "nav_incidents"),
    ("/portal/governance", "nav_governance"),
    ("/portal/settings", "nav_settings"),
];

/// Whether navigation entry `path` is the section `here` is in.
fn is_current(path: &str, here: &str) -> bool {
    let here = here.split('?').next().unwrap_or(here);
    match path {
        "/portal/" => here == "/portal/",
        "/portal/items" => {
            here == "/portal/items"
                || (here.starts_with("/portal/items/")
                    && !here.starts_with("/portal/items/new")
                    && here != "/portal/items/preview")
        }
        "/portal/items/new" => {
            here.starts_with("/portal/items/new") || here == "/portal/items/preview"
        }
        p => here == p || here.starts_with(&format!("{p}/")),
    }
}

/// The CSRF token field of a form.
#[must_use]
pub fn csrf(s: &Session) -> Markup {
    html! { input type="hidden" name="_csrf" value=(s.csrf); }
}

/// A status message after an action.
#[must_use]
pub fn flash(msg: &str) -> Markup {
    html! { p.flash role="status" { (msg) } }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            title { (title) " — tsunagu" }
            link rel="stylesheet" href=(CSS_PATH.as_str());
        }
    }
}

/// A page for a logged-in user.
#[must_use]
pub fn page(s: &Session, here: &str, title: &str, body: Markup) -> Response {
    let lang = s.lang;
    let v = &s.viewer;
    let other = lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            (head(title))
            body {
                a.skip href="#main" { (lang.t("skip_to_main")) }
                header.top {
                    div.bar {
                        a.brand href="/portal/" { "tsunagu " span lang="ja" { "繋ぐ" } }
                        p.who {
                            span.sr { (lang.t("signed_in_as")) " " }
                            strong { (v.user.login) } " · " (v.member.pseudonym) " · " (lang.class(v.member.class))
                            @for r in &v.member.roles { " · " (lang.role(*r)) }
                        }
                        div.actions {
                            form.inline method="post" action="/portal/lang" {
                                (csrf(s))
                                input type="hidden" name="back" value=(here);
                                button.link type="submit" name="lang" value=(other.as_str()) lang=(other.as_str()) { (lang.t("switch_lang")) }
                            }
                            form.inline method="post" action="/portal/logout" {
                                (csrf(s))
                                button.link type="submit" { (lang.t("logout")) }
                            }
                        }
                    }
                    nav aria-label=(lang.t("nav_label")) {
                        ul {
                            @for (path, key) in NAV {
                                @if path != "/portal/items/new" || v.ensure_can_act().is_ok() {
                                    li { a href=(path) aria-current=[is_current(path, here).then_some("page")] { (lang.t(key)) } }
                                }
                            }
                            @if ensure_issuer(v).is_ok() {
                                li { a href="/portal/alerts/new" aria-current=[(here == "/portal/alerts/new").then_some("page")] { (lang.t("new_alert")) } }
                            }
                            @if super::members::sees_page(s) {
                                li { a href="/portal/members" aria-current=[is_current("/portal/members", here).then_some("page")] { (lang.t("nav_members")) } }
                            }
                            @if super::clearances::sees_page(s) {
                                li { a href="/portal/clearances" aria-current=[is_current("/portal/clearances", here).then_some("page")] { (lang.t("nav_clearances")) } }
                            }
                            @if super::vendors::sees_page(s) {
                                li { a href="/portal/vendor-requests" aria-current=[is_current("/portal/vendor-requests", here).then_some("page")] { (lang.t("nav_vendor_requests")) } }
                            }
                            @if super::partners::sees_page(s) {
                                li { a href="/portal/partners" aria-current=[is_current("/portal/partners", here).then_some("page")] { (lang.t("nav_partners")) } }
                            }
                            @if super::audit::is_coordinator(s) {
                                li { a href="/portal/audit" aria-current=[is_current("/portal/audit", here).then_some("page")] { (lang.t("nav_audit")) } }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer { p { (lang.t("times_in_jst")) } }
            }
        }
    };
    markup.into_response()
}

/// [`page`] answered with `status` (a form shown again with its refusal, a creation).
pub fn page_status(
    s: &Session,
    here: &str,
    title: &str,
    body: Markup,
    status: StatusCode,
) -> Response {
    let mut resp = page(s, here, title, body);
    *resp.status_mut() = status;
    resp
}

/// A page before login (login, TOTP step): the language is switched by a link.
#[must_use]
pub fn public_page(lang: Lang, title: &str, here: &str, body: Markup) -> Response {
    let other = lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            (head(title))
            body.public {
                a.skip href="#main" { (lang.t("skip_to_main")) }
                header.top {
                    div.bar {
                        span.brand { "tsunagu " span lang="ja" { "繋ぐ" } }
                        @if here == "/portal/login" {
                            a href={ "/portal/login?lang=" (other.as_str()) } lang=(other.as_str()) { (lang.t("switch_lang")) }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    markup.into_response()
}

/// An error page, in both languages (it may be shown before the language is known).
#[must_use]
pub fn error_page(status: StatusCode, ja: &str, en: &str, detail: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="ja" {
            (head(ja))
            body.public {
                header.top { div.bar { a.brand href="/portal/" { "tsunagu " span lang="ja" { "繋ぐ" } } } }
                main #main {
                    h1 { (ja) " / " span lang="en" { (en) } }
                    p.error lang="en" { (detail) }
                    p { a href="/portal/" { "ダッシュボードへ戻る" } " / " a href="/portal/" lang="en" { "Back to the dashboard" } }
                }
            }
        }
    };
    (status, markup).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_navigation_entry_has_its_messages() {
        for (_, key) in NAV {
            assert_ne!(Lang::Ja.t(key), key);
            assert_ne!(Lang::En.t(key), key);
        }
    }

    #[test]
    fn current_section() {
        assert!(is_current("/portal/", "/portal/"));
        assert!(!is_current("/portal/", "/portal/items"));
        assert!(is_current("/portal/items", "/portal/items?kind=analysis"));
        assert!(is_current("/portal/items", "/portal/items/0191"));
        assert!(!is_current("/portal/items", "/portal/items/new"));
        assert!(is_current("/portal/items/new", "/portal/items/preview"));
        assert!(!is_current("/portal/items", "/portal/items/preview"));
        assert!(is_current("/portal/alerts", "/portal/alerts/abc"));
    }
}
