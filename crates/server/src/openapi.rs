//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, auth};

/// The API description served at `/api/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(title = "tsunagu API", description = "Cyber-threat information sharing and early warning for the council's members."),
    paths(
        api::sectors,
        api::members::apply, api::members::list_applications, api::members::approve_application,
        api::members::reject_application, api::members::activate, api::members::list_members,
        api::members::get_member, api::members::request_class_change, api::members::list_class_requests,
        api::members::approve_class_request, api::members::reject_class_request,
        api::members::task_force_approval, api::members::task_force_suspension, api::members::expel, api::members::withdraw,
        api::members::set_roles, api::members::set_settings, api::members::list_users,
        api::members::create_user, api::members::disable_user, api::members::reset_second_factor,
        api::audit::list,
        api::clearances::levels, api::clearances::list, api::clearances::grant, api::clearances::change, api::clearances::revoke,
        api::partners::register, api::partners::list, api::partners::set_agreement,
        api::partners::set_link, api::partners::delete_link,
        api::items::create, api::items::get_one, api::items::update, api::items::change_scope,
        api::items::retract, api::items::tearline, api::items::revisions, api::items::reads, api::items::search,
        api::feedback::give, api::feedback::summary, api::feedback::owed, api::feedback::unanswered,
        api::feedback::my_standing, api::feedback::ledger, api::feedback::promote, api::feedback::sources,
        api::alerts::issue, api::alerts::update, api::alerts::withdraw, api::alerts::list, api::alerts::get_one,
        api::alerts::ack, api::alerts::progress, api::alerts::add_channel, api::alerts::list_channels,
        api::alerts::remove_channel, api::alerts::set_channel_clearance, crate::stream::stream,
        api::consultations::open, api::consultations::list, api::consultations::get_one,
        api::consultations::reply, api::consultations::close, api::consultations::share,
        api::interop::export_stix, api::interop::import_stix, api::interop::import_misp, api::interop::misp_feed,
        crate::feeds::blocklist_txt, crate::feeds::blocklist_rpz, crate::feeds::blocklist_json,
        api::kev::public_json, api::kev::public_csv, api::kev::list, api::kev::propose, api::kev::approve, api::kev::import,
        api::vendor::open, api::vendor::list, api::vendor::get_one, api::vendor::update,
        api::assets::list, api::assets::add, api::assets::import_csv, api::assets::remove, api::assets::upload_sbom,
        api::advisories::import, api::advisories::list, api::advisories::get_one,
        api::constituency::register, api::constituency::list, api::constituency::remove, api::constituency::verify, api::constituency::reject, api::constituency::overlaps,
        api::observations::ingest, api::observations::hits, api::observations::summary, api::observations::digest, api::observations::indicator_notices, api::observations::trends_json, api::observations::ports_svg, api::observations::tags_svg,
        api::assets::list_sboms, api::assets::remove_sbom, api::assets::exposure, api::assets::products, api::assets::match_count, api::assets::item_affected,
        api::governance::propose_declaration, api::governance::confirm_declaration, api::governance::end_declaration, api::governance::list_declarations, api::governance::get_declaration, api::governance::create_rfi, api::governance::list_rfis, api::governance::get_rfi, api::governance::create_answer, api::governance::tracking, api::governance::create_vote, api::governance::list_votes, api::governance::get_vote, api::governance::create_ballot, api::governance::results,
        api::incidents::open, api::incidents::report, api::incidents::list, api::incidents::overdue, api::incidents::get_one, api::incidents::get_report, api::incidents::consent, api::incidents::share,
        auth::login, auth::me, auth::change_password, auth::create_token, auth::list_tokens, auth::revoke_token,
    ),
    modifiers(&BearerAuth),
    tags((name = "members", description = "Membership and governance"), (name = "auth", description = "Logins and API tokens"), (name = "audit", description = "The tamper-evident audit log"), (name = "clearance", description = "Security clearances of users, and items only cleared users may see"), (name = "federation", description = "Partner councils, ISACs and foreign partners, each with a sharing agreement; they pull their view over TAXII 2.1"), (name = "items", description = "Shared items, always through the policy view"), (name = "task force", description = "Feedback, the give-and-take ledger"), (name = "alerts", description = "Early warning: alerts, channels, the live stream"), (name = "consultation", description = "Private consultations with the class-1 group, through the consultation view"), (name = "interop", description = "STIX 2.1 and MISP export and import; TAXII 2.1 is served at /taxii2/"), (name = "feeds", description = "Block lists of confirmed malicious IPs, domains and URLs for ISPs and members: plain text, RPZ and JSON, with ETag and If-Modified-Since"), (name = "vulnerabilities", description = "The catalogue of known-exploited vulnerabilities, published in CISA KEV's layout"), (name = "assets", description = "Each member's products, devices and SBOMs: private, matched against the catalogue and advisories"), (name = "incidents", description = "Incident reports routed to the secretariat and the sector's regulators only, with deadline clocks"), (name = "observations", description = "Constituencies, sensor observations routed to the members they hit (privately), and council-wide trends"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
