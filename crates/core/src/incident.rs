//! Unified incident reporting (MISSION.md M5.1–M5.4, seed 003): one reporting format
//! and one route. A member opens an [`Incident`] with a quick initial report (速報) and
//! follows it with notifications, updates and a final report (確報); every version is
//! kept. Each report goes to the secretariat and the regulators of the reporter's
//! sector and to nobody else ([`route`]); deadline clocks run per regime from the time
//! the reporter became aware ([`deadlines`]); every report states its purpose of use.
//! With one action a report becomes an anonymised shared item ([`anonymised_item`]).
//!
//! The type-specific parts follow Japan's common forms in use since 2025-10-01
//! (ランサムウェア事案共通様式 and DDoS攻撃事案共通様式).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use crate::DomainError;
use crate::ids::{ItemId, MemberId, UserId};
use crate::indicator::{Indicator, TechniqueId, Tlp};
use crate::item::{Confidence, ItemContent, ItemDraft, ItemKind, RawIndicator, Victim};
use crate::member::{Member, Sector, SpecialRole};
use crate::scope::Scope;
use crate::text;
use crate::user::Viewer;

/// An incident: the event one member reports, with its sequence of reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, format = "uuid")]
pub struct IncidentId(uuid::Uuid);

impl IncidentId {
    /// A fresh, time-ordered identifier (UUIDv7).
    #[must_use]
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for IncidentId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for IncidentId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $id:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(
                $(#[$vdoc])*
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The stable identifier used in the API and the database.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $id),* }
            }

            /// Parses [`Self::as_str`] back.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

named_enum!(
    /// Where a report stands in the sequence (NIS2 Art. 23(4); APPI 速報/確報).
    Stage {
        /// 速報 / early warning: what is known in a few fields.
        Initial = "initial",
        /// Incident notification: a first assessment of severity and impact.
        Notification = "notification",
        /// An intermediate update.
        Update = "update",
        /// 確報 / final report: cause, method, techniques, indicators, damage, measures.
        Final = "final",
    }
);

impl Stage {
    /// The Japanese name used in the forms.
    #[must_use]
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Initial => "速報",
            Self::Notification => "通知",
            Self::Update => "続報",
            Self::Final => "確報",
        }
    }
}

named_enum!(
    /// What kind of incident it is; ransomware and DDoS have a part of their own.
    IncidentKind {
        /// Ransomware (ランサムウェア事案共通様式).
        Ransomware = "ransomware",
        /// A denial-of-service attack (DDoS攻撃事案共通様式).
        Ddos = "ddos",
        /// Any other incident.
        Other = "other",
    }
);

named_enum!(
    /// The reporting regime whose deadline clocks apply to an incident.
    #[derive(Default)]
    Regime {
        /// NIS2-like: early warning 24 h, notification 72 h, final 1 month after the
        /// notification (the default).
        #[default]
        Nis2 = "nis2",
        /// 個人情報保護委員会 (APPI): 速報 within 3–5 days (5 used), 確報 within 30 days.
        Appi = "appi",
    }
);

named_enum!(
    /// The purpose of use a report is given for (M5.4): it is never used beyond it.
    Purpose {
        /// Responding to this incident.
        IncidentResponse = "incident_response",
        /// Statistics, without identifying the reporter.
        Statistics = "statistics",
        /// The regulator's supervision under sector law.
        Regulatory = "regulatory",
        /// Sharing with other members, anonymised, with the reporter's consent.
        SharingWithConsent = "sharing_with_consent",
    }
);

named_enum!(
    /// Yes, no, or not known yet.
    Tristate {
        /// Yes.
        Yes = "yes",
        /// No.
        No = "no",
        /// Not known yet.
        Unknown = "unknown",
    }
);

named_enum!(
    /// Why a member receives a report.
    RecipientRole {
        /// The council's secretariat receives every report.
        Secretariat = "secretariat",
        /// A regulator of the reporter's sector.
        Regulator = "regulator",
    }
);

/// The ransomware part (ランサムウェア事案共通様式).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RansomwarePart {
    /// The ransom note's text (脅迫文).
    #[serde(default)]
    pub ransom_note: String,
    /// The extension of encrypted files (`.lockbit`).
    #[serde(default)]
    pub encrypted_extension: String,
    /// The ransomware family, if known.
    #[serde(default)]
    pub family: String,
    /// How the attacker got in (VPN appliance, RDP, phishing, …).
    #[serde(default)]
    pub intrusion_route: String,
}

/// The DDoS techniques of the common form: ATT&CK T1498 (network DoS) with its
/// sub-techniques, and T1499 (endpoint DoS) with its sub-techniques.
pub const DDOS_TECHNIQUES: &[&str] = &[
    "T1498",
    "T1498.001",
    "T1498.002",
    "T1499",
    "T1499.001",
    "T1499.002",
    "T1499.003",
    "T1499.004",
];

/// The DDoS part (DDoS攻撃事案共通様式).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DdosPart {
    /// One of [`DDOS_TECHNIQUES`].
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "T1498.001")]
    pub technique: Option<String>,
    /// Peak traffic in Gbit/s.
    #[serde(default)]
    pub peak_gbps: Option<f64>,
    /// Peak traffic in packets per second.
    #[serde(default)]
    pub peak_pps: Option<u64>,
    /// How long the attack lasted, in minutes.
    #[serde(default)]
    pub duration_minutes: Option<u64>,
}

/// A report as sent to the API: one JSON document. Which fields are required depends
/// on the stage; [`ReportForm::parse`] names the first one missing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    /// The stage.
    pub stage: Stage,
    /// The purpose of use the report is given for (every stage).
    #[serde(default)]
    pub purpose: Option<Purpose>,
    /// The purpose in the reporter's words.
    #[serde(default)]
    pub purpose_text: String,
    /// When the reporter became aware (initial report only; RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub aware_at: Option<OffsetDateTime>,
    /// What is affected (initial report).
    #[serde(default)]
    pub affected: String,
    /// Whether the incident is suspected to be malicious (initial report).
    #[serde(default)]
    pub suspected_malicious: Option<Tristate>,
    /// Whether a service is affected (initial report).
    #[serde(default)]
    pub service_impact: Option<bool>,
    /// Whether other countries may be affected (NIS2's early warning).
    #[serde(default)]
    pub cross_border: Option<Tristate>,
    /// Assessment of severity and impact, or what changed (notification and update).
    #[serde(default)]
    pub summary: String,
    /// The cause (final report).
    #[serde(default)]
    pub cause: String,
    /// How the attacker got in (final report).
    #[serde(default)]
    pub intrusion_method: String,
    /// ATT&CK technique ids (`T1486`, `T1566.001`).
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Indicators of compromise.
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    /// The damage (final report).
    #[serde(default)]
    pub damage: String,
    /// Measures taken and ongoing (final report).
    #[serde(default)]
    pub measures: String,
    /// Whether the sector's service-maintenance level (重要インフラサービス維持レベル) was
    /// deviated from (final report).
    #[serde(default)]
    pub service_level_deviation: Option<bool>,
    /// The ransomware part (ransomware incidents; required in their final report).
    #[serde(default)]
    pub ransomware: Option<RansomwarePart>,
    /// The DDoS part (DDoS incidents; required in their final report).
    #[serde(default)]
    pub ddos: Option<DdosPart>,
}

/// A report's checked content, as stored and shown to its readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportContent {
    /// The stage.
    pub stage: Stage,
    /// The purpose of use.
    pub purpose: Purpose,
    /// The purpose in the reporter's words.
    pub purpose_text: String,
    /// When the reporter became aware (initial report).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub aware_at: Option<OffsetDateTime>,
    /// What is affected.
    pub affected: String,
    /// Suspected malicious.
    pub suspected_malicious: Option<Tristate>,
    /// Service impact.
    pub service_impact: Option<bool>,
    /// Possible cross-border impact.
    pub cross_border: Option<Tristate>,
    /// Assessment or what changed.
    pub summary: String,
    /// Cause.
    pub cause: String,
    /// Intrusion method.
    pub intrusion_method: String,
    /// ATT&CK techniques, without duplicates.
    pub techniques: Vec<TechniqueId>,
    /// Indicators, without duplicates.
    pub indicators: Vec<Indicator>,
    /// Damage.
    pub damage: String,
    /// Measures.
    pub measures: String,
    /// Deviation from the service-maintenance level.
    pub service_level_deviation: Option<bool>,
    /// The ransomware part.
    pub ransomware: Option<RansomwarePart>,
    /// The DDoS part.
    pub ddos: Option<DdosPart>,
}

/// Longest free text of a report field.
pub const MAX_TEXT: usize = 20_000;
/// Most techniques in one report.
pub const MAX_TECHNIQUES: usize = 200;

fn missing(field: &'static str, stage: Stage) -> DomainError {
    DomainError::invalid(
        field,
        format!(
            "is required in the {} report ({})",
            stage.as_str(),
            stage.name_ja()
        ),
    )
}

fn required_text(field: &'static str, value: &str, stage: Stage) -> Result<String, DomainError> {
    let v = text::optional(field, value, MAX_TEXT)?;
    if v.is_empty() {
        Err(missing(field, stage))
    } else {
        Ok(v)
    }
}

impl RansomwarePart {
    fn parse(&self, stage: Stage) -> Result<Self, DomainError> {
        let part = Self {
            ransom_note: text::optional("ransomware.ransom_note", &self.ransom_note, MAX_TEXT)?,
            encrypted_extension: text::optional(
                "ransomware.encrypted_extension",
                &self.encrypted_extension,
                100,
            )?,
            family: text::optional("ransomware.family", &self.family, 200)?,
            intrusion_route: text::optional(
                "ransomware.intrusion_route",
                &self.intrusion_route,
                MAX_TEXT,
            )?,
        };
        if stage == Stage::Final {
            if part.ransom_note.is_empty() {
                return Err(missing("ransomware.ransom_note", stage));
            }
            if part.intrusion_route.is_empty() {
                return Err(missing("ransomware.intrusion_route", stage));
            }
        }
        Ok(part)
    }
}

impl DdosPart {
    fn parse(&self, stage: Stage) -> Result<Self, DomainError> {
        let technique = match self.technique.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let t = TechniqueId::parse(raw)
                    .map_err(|e| DomainError::invalid("ddos.technique", e.to_string()))?;
                if !DDOS_TECHNIQUES.contains(&t.as_str()) {
                    return Err(DomainError::invalid(
                        "ddos.technique",
                        format!(
                            "{} is not a denial-of-service technique; expected one of {}",
                            t.as_str(),
                            DDOS_TECHNIQUES.join(", ")
                        ),
                    ));
                }
                Some(t.as_str().to_owned())
            }
        };
        if let Some(g) = self.peak_gbps
            && !(g.is_finite() && (0.0..=1_000_000.0).contains(&g))
        {
            return Err(DomainError::invalid(
                "ddos.peak_gbps",
                "must be a number between 0 and 1000000",
            ));
        }
        if stage == Stage::Final {
            if technique.is_none() {
                return Err(missing("ddos.technique", stage));
            }
            if self.peak_gbps.is_none() && self.peak_pps.is_none() {
                return Err(missing("ddos.peak_gbps", stage));
            }
            if self.duration_minutes.is_none() {
                return Err(missing("ddos.duration_minutes", stage));
            }
        }
        Ok(Self {
            technique,
            ..self.clone()
        })
    }
}

impl ReportForm {
    /// Checks every field against the stage and the incident's kind, and returns the
    /// content to store.
    ///
    /// Every stage states its purpose. The initial report needs `aware_at` (not in the
    /// future), `affected`, `suspected_malicious` and `service_impact`; a notification
    /// and an update need `summary`; the final report needs `cause`,
    /// `intrusion_method`, `damage`, `measures` and `service_level_deviation`, and for
    /// ransomware and DDoS incidents their part with its own required fields.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first missing or bad field.
    pub fn parse(
        self,
        kind: IncidentKind,
        now: OffsetDateTime,
    ) -> Result<ReportContent, DomainError> {
        let stage = self.stage;
        let purpose = self.purpose.ok_or_else(|| missing("purpose", stage))?;
        let purpose_text = text::optional("purpose_text", &self.purpose_text, 2000)?;
        let affected = text::optional("affected", &self.affected, MAX_TEXT)?;
        let summary = text::optional("summary", &self.summary, MAX_TEXT)?;
        let cause = text::optional("cause", &self.cause, MAX_TEXT)?;
        let intrusion_method =
            text::optional("intrusion_method", &self.intrusion_method, MAX_TEXT)?;
        let damage = text::optional("damage", &self.damage, MAX_TEXT)?;
        let measures = text::optional("measures", &self.measures, MAX_TEXT)?;
        match stage {
            Stage::Initial => {
                let aware_at = self.aware_at.ok_or_else(|| missing("aware_at", stage))?;
                if aware_at > now + Duration::minutes(5) {
                    return Err(DomainError::invalid("aware_at", "is in the future"));
                }
                required_text("affected", &affected, stage)?;
                if self.suspected_malicious.is_none() {
                    return Err(missing("suspected_malicious", stage));
                }
                if self.service_impact.is_none() {
                    return Err(missing("service_impact", stage));
                }
            }
            Stage::Notification | Stage::Update => {
                required_text("summary", &summary, stage)?;
            }
            Stage::Final => {
                required_text("cause", &cause, stage)?;
                required_text("intrusion_method", &intrusion_method, stage)?;
                required_text("damage", &damage, stage)?;
                required_text("measures", &measures, stage)?;
                if self.service_level_deviation.is_none() {
                    return Err(missing("service_level_deviation", stage));
                }
            }
        }
        if stage != Stage::Initial && self.aware_at.is_some() {
            return Err(DomainError::invalid(
                "aware_at",
                "is stated by the initial report only",
            ));
        }
        let ransomware = match (&self.ransomware, kind) {
            (Some(_), IncidentKind::Ddos | IncidentKind::Other) => {
                return Err(DomainError::invalid(
                    "ransomware",
                    "belongs to ransomware incidents only",
                ));
            }
            (None, IncidentKind::Ransomware) if stage == Stage::Final => {
                return Err(missing("ransomware", stage));
            }
            (part, _) => part.as_ref().map(|p| p.parse(stage)).transpose()?,
        };
        let ddos = match (&self.ddos, kind) {
            (Some(_), IncidentKind::Ransomware | IncidentKind::Other) => {
                return Err(DomainError::invalid(
                    "ddos",
                    "belongs to DDoS incidents only",
                ));
            }
            (None, IncidentKind::Ddos) if stage == Stage::Final => {
                return Err(missing("ddos", stage));
            }
            (part, _) => part.as_ref().map(|p| p.parse(stage)).transpose()?,
        };
        if self.techniques.len() > MAX_TECHNIQUES {
            return Err(DomainError::invalid(
                "techniques",
                format!(
                    "has {} entries; at most {MAX_TECHNIQUES} are allowed",
                    self.techniques.len()
                ),
            ));
        }
        let mut techniques: Vec<TechniqueId> = Vec::with_capacity(self.techniques.len());
        for (i, raw) in self.techniques.iter().enumerate() {
            let t = TechniqueId::parse(raw).map_err(|e| {
                let reason = match e {
                    DomainError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                };
                DomainError::invalid("techniques", format!("[{i}]: {reason}"))
            })?;
            if !techniques.contains(&t) {
                techniques.push(t);
            }
        }
        Ok(ReportContent {
            stage,
            purpose,
            purpose_text,
            aware_at: self.aware_at,
            affected,
            suspected_malicious: self.suspected_malicious,
            service_impact: self.service_impact,
            cross_border: self.cross_border,
            summary,
            cause,
            intrusion_method,
            techniques,
            indicators: crate::item::parse_indicators(&self.indicators)?,
            damage,
            measures,
            service_level_deviation: self.service_level_deviation,
            ransomware,
            ddos,
        })
    }
}

/// An incident as opened through the API: its title, kind, regime and consent, with
/// the initial report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentForm {
    /// A short title.
    pub title: String,
    /// The kind.
    pub kind: IncidentKind,
    /// The regime whose deadlines apply (default `nis2`).
    #[serde(default)]
    pub regime: Regime,
    /// The reporter agrees that the coordinator may turn the report into an
    /// anonymised shared item.
    #[serde(default)]
    pub consent_to_share: bool,
    /// The initial report (速報).
    pub report: ReportForm,
}

/// An incident's checked opening: what [`IncidentForm::parse`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: IncidentKind,
    /// Regime.
    pub regime: Regime,
    /// Consent to share.
    pub consent_to_share: bool,
    /// When the reporter became aware (from the initial report).
    pub aware_at: OffsetDateTime,
    /// The initial report.
    pub report: ReportContent,
}

impl IncidentForm {
    /// Checks the incident's fields and its initial report.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first missing or bad field.
    pub fn parse(self, now: OffsetDateTime) -> Result<Opening, DomainError> {
        let title = text::required("title", &self.title, 300)?;
        if self.report.stage != Stage::Initial {
            return Err(DomainError::invalid(
                "report.stage",
                "an incident opens with its initial report (速報)",
            ));
        }
        let report = self.report.parse(self.kind, now)?;
        let aware_at = report
            .aware_at
            .ok_or_else(|| missing("aware_at", Stage::Initial))?;
        Ok(Opening {
            title,
            kind: self.kind,
            regime: self.regime,
            consent_to_share: self.consent_to_share,
            aware_at,
            report,
        })
    }
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Identifier.
    pub id: IncidentId,
    /// The reporting member.
    pub reporter: MemberId,
    /// The reporter's sector when it opened the incident: it decides the regulators.
    pub reporter_sector: Sector,
    /// Kind.
    pub kind: IncidentKind,
    /// Regime.
    pub regime: Regime,
    /// Title.
    pub title: String,
    /// When the reporter became aware: the deadline clocks start here.
    pub aware_at: OffsetDateTime,
    /// The reporter's consent that the coordinator may share it, anonymised.
    pub consent_to_share: bool,
    /// The shared item made from it, once shared.
    pub shared_item: Option<ItemId>,
    /// Opened.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// One member a report was routed to, and why.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub struct Recipient {
    /// The member.
    pub member: MemberId,
    /// Secretariat or regulator of the reporter's sector.
    pub role: RecipientRole,
}

/// A report as stored: one version of an incident's reporting, never changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The incident.
    pub incident: IncidentId,
    /// Version, from 1.
    pub version: i64,
    /// What was reported.
    pub content: ReportContent,
    /// The user who submitted it.
    pub submitted_by: UserId,
    /// When.
    pub submitted_at: OffsetDateTime,
    /// Whom it was routed to when it was submitted.
    pub routed_to: BTreeSet<Recipient>,
}

/// The members a report of `reporter` goes to (M5.2): every active member holding the
/// secretariat role and every active regulator of the reporter's sector — and nobody
/// else, whatever other roles a member holds.
#[must_use]
pub fn route(reporter: &Member, members: &[Member]) -> BTreeSet<Recipient> {
    members
        .iter()
        .filter(|m| m.is_active())
        .filter_map(|m| {
            let role = if m.has_role(SpecialRole::Secretariat) {
                RecipientRole::Secretariat
            } else if m.regulates(reporter.sector) {
                RecipientRole::Regulator
            } else {
                return None;
            };
            Some(Recipient { member: m.id, role })
        })
        .collect()
}

/// Checks that a report of `stage` may follow `reports`: the initial report opens the
/// incident and comes once.
///
/// # Errors
/// [`DomainError::Conflict`] for a second initial report.
pub fn check_next(reports: &[Report], stage: Stage) -> Result<(), DomainError> {
    if stage == Stage::Initial && !reports.is_empty() {
        return Err(DomainError::Conflict(
            "the incident already has its initial report; send an update".into(),
        ));
    }
    Ok(())
}

/// When a deadline clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// When the reporter became aware.
    Awareness,
    /// When a report of this stage was submitted, or, until then, when it was due.
    After(Stage),
}

/// One deadline of a regime: a report of `stage` is due `within` after `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The stage due.
    pub stage: Stage,
    /// When the clock starts.
    pub from: Anchor,
    /// How long the reporter has.
    pub within: Duration,
}

/// NIS2 Art. 23(4): early warning within 24 h of awareness, notification within
/// 72 h, final report within one month (30 days) of the notification.
pub const NIS2_CLOCKS: [Clock; 3] = [
    Clock {
        stage: Stage::Initial,
        from: Anchor::Awareness,
        within: Duration::hours(24),
    },
    Clock {
        stage: Stage::Notification,
        from: Anchor::Awareness,
        within: Duration::hours(72),
    },
    Clock {
        stage: Stage::Final,
        from: Anchor::After(Stage::Notification),
        within: Duration::days(30),
    },
];

/// APPI (個人情報保護委員会): 速報 within 3–5 days (5 days used), 確報 within 30 days.
pub const APPI_CLOCKS: [Clock; 2] = [
    Clock {
        stage: Stage::Initial,
        from: Anchor::Awareness,
        within: Duration::days(5),
    },
    Clock {
        stage: Stage::Final,
        from: Anchor::Awareness,
        within: Duration::days(30),
    },
];

/// The deadline clocks of every regime: NIS2's and APPI's periods by default; an
/// operator sets others (`tsunagu serve --nis2-clocks 24h,72h,30d --appi-clocks 5d,30d`)
/// when a law or the council's rules say otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTable {
    nis2: [Clock; 3],
    appi: [Clock; 2],
}

impl Default for ClockTable {
    fn default() -> Self {
        Self {
            nis2: NIS2_CLOCKS,
            appi: APPI_CLOCKS,
        }
    }
}

impl ClockTable {
    /// A regime's clocks, each anchor before the clocks that depend on it.
    #[must_use]
    pub fn clocks(&self, regime: Regime) -> &[Clock] {
        match regime {
            Regime::Nis2 => &self.nis2,
            Regime::Appi => &self.appi,
        }
    }

    /// Sets a regime's periods from text, one per stage in order (`24h,72h,30d` for
    /// NIS2's early warning, notification and final report; `5d,30d` for APPI's 速報
    /// and 確報), each a whole number of minutes (`m`), hours (`h`) or days (`d`).
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the value when a period is malformed, not
    /// positive, or the count does not match the regime's stages.
    pub fn set(&mut self, regime: Regime, periods: &str) -> Result<(), DomainError> {
        let bad = |why: String| {
            DomainError::invalid("clocks", format!("{} {periods:?}: {why}", regime.as_str()))
        };
        let parsed = periods
            .split(',')
            .map(|p| {
                let p = p.trim();
                let (n, unit) = p.split_at(p.len().saturating_sub(1));
                let n: i64 =
                    n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        bad(format!("{p:?} is not a positive number of m, h or d"))
                    })?;
                match unit {
                    "m" => Ok(Duration::minutes(n)),
                    "h" => Ok(Duration::hours(n)),
                    "d" => Ok(Duration::days(n)),
                    _ => Err(bad(format!("{p:?} has no unit (m, h or d)"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let clocks: &mut [Clock] = match regime {
            Regime::Nis2 => &mut self.nis2,
            Regime::Appi => &mut self.appi,
        };
        if parsed.len() != clocks.len() {
            return Err(bad(format!(
                "give {} periods, one per stage ({})",
                clocks.len(),
                clocks
                    .iter()
                    .map(|c| c.stage.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        for (clock, within) in clocks.iter_mut().zip(parsed) {
            clock.within = within;
        }
        Ok(())
    }
}

/// What is due when, and whether it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Deadline {
    /// The stage due.
    pub stage: Stage,
    /// When it is due.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: OffsetDateTime,
    /// When it was submitted (a final report also satisfies earlier stages).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    /// Not submitted and past due.
    pub overdue: bool,
    /// Submitted after it was due.
    pub late: bool,
}

/// The deadlines of a regime's `clocks` for an incident the reporter became aware of
/// at `aware_at`, given the stages submitted so far with their times.
#[must_use]
pub fn deadlines(
    clocks: &[Clock],
    aware_at: OffsetDateTime,
    submitted: &[(Stage, OffsetDateTime)],
    now: OffsetDateTime,
) -> Vec<Deadline> {
    let mut out: Vec<Deadline> = Vec::new();
    for clock in clocks {
        let start = match clock.from {
            Anchor::Awareness => aware_at,
            Anchor::After(stage) => out
                .iter()
                .find(|d| d.stage == stage)
                .map_or(aware_at, |d| d.submitted_at.unwrap_or(d.due_at)),
        };
        let due_at = start + clock.within;
        let submitted_at = submitted
            .iter()
            .filter(|(s, _)| *s == clock.stage || *s == Stage::Final)
            .map(|(_, at)| *at)
            .min();
        out.push(Deadline {
            stage: clock.stage,
            due_at,
            submitted_at,
            overdue: submitted_at.is_none() && now > due_at,
            late: submitted_at.is_some_and(|at| at > due_at),
        });
    }
    out
}

/// A report as one of its readers sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportView {
    /// Version, from 1.
    pub version: i64,
    /// When it was submitted.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: OffsetDateTime,
    /// The user who submitted it.
    pub submitted_by: UserId,
    /// Whom it was routed to.
    pub routed_to: Vec<Recipient>,
    /// What was reported.
    #[serde(flatten)]
    pub content: ReportContent,
}

/// An incident as the reporter or one of the report's recipients sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentView {
    /// Identifier.
    pub id: IncidentId,
    /// Kind.
    pub kind: IncidentKind,
    /// Regime.
    pub regime: Regime,
    /// Title.
    pub title: String,
    /// The reporting member: reporting is by name to the secretariat and the regulator.
    pub reporter: MemberId,
    /// The reporter's name.
    pub reporter_name: String,
    /// The reporter's sector.
    pub reporter_sector: Sector,
    /// When the reporter became aware.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub aware_at: OffsetDateTime,
    /// The stage of the latest report.
    pub latest_stage: Stage,
    /// How many reports there are.
    pub versions: i64,
    /// What is due when.
    pub deadlines: Vec<Deadline>,
    /// Some deadline passed without its report.
    pub overdue: bool,
    /// Whether the reporter consents to sharing by the coordinator.
    pub consent_to_share: bool,
    /// The shared item made from it: the reporter only, so that nobody else can tie
    /// the anonymised item to the reporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_item: Option<ItemId>,
    /// The reports this viewer may read, oldest first (empty in listings).
    pub reports: Vec<ReportView>,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// Whether `report` was routed to `member`.
#[must_use]
pub fn routed_to(report: &Report, member: MemberId) -> bool {
    report.routed_to.iter().any(|r| r.member == member)
}

/// The incident as `viewer` may see it: the reporter sees every report, a recipient
/// the reports routed to it; `None` (not found) for anyone else. `with_reports` false
/// gives the listing's summary.
#[must_use]
pub fn incident_view(
    incident: &Incident,
    reporter_name: &str,
    reports: &[Report],
    viewer: &Viewer,
    now: OffsetDateTime,
    clocks: &ClockTable,
    with_reports: bool,
) -> Option<IncidentView> {
    let m = &viewer.member;
    if viewer.user.disabled || viewer.user.member_id != m.id || !m.is_active() {
        return None;
    }
    let reporter = incident.reporter == m.id;
    let readable: Vec<&Report> = reports
        .iter()
        .filter(|r| reporter || routed_to(r, m.id))
        .collect();
    if readable.is_empty() {
        return None;
    }
    let stamps: Vec<(Stage, OffsetDateTime)> = reports
        .iter()
        .map(|r| (r.content.stage, r.submitted_at))
        .collect();
    let deadlines = deadlines(
        clocks.clocks(incident.regime),
        incident.aware_at,
        &stamps,
        now,
    );
    let latest = reports.iter().max_by_key(|r| r.version)?;
    Some(IncidentView {
        id: incident.id,
        kind: incident.kind,
        regime: incident.regime,
        title: incident.title.clone(),
        reporter: incident.reporter,
        reporter_name: reporter_name.to_owned(),
        reporter_sector: incident.reporter_sector,
        aware_at: incident.aware_at,
        latest_stage: latest.content.stage,
        versions: latest.version,
        overdue: deadlines.iter().any(|d| d.overdue),
        deadlines,
        consent_to_share: incident.consent_to_share,
        shared_item: if reporter { incident.shared_item } else { None },
        reports: if with_reports {
            readable.into_iter().map(report_view).collect()
        } else {
            Vec::new()
        },
        created_at: incident.created_at,
        updated_at: incident.updated_at,
    })
}

/// One report as its readers see it.
#[must_use]
pub fn report_view(r: &Report) -> ReportView {
    ReportView {
        version: r.version,
        submitted_at: r.submitted_at,
        submitted_by: r.submitted_by,
        routed_to: r.routed_to.iter().copied().collect(),
        content: r.content.clone(),
    }
}

/// What to share, and with whom, when a report becomes a shared item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Who receives the item (the same shape as an item's scope).
    pub scope: Scope,
    /// TLP marking (default amber).
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// Confidence (default: confirmed once a final report exists, probable before).
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// The item's title (default: the incident's title, masked).
    #[serde(default)]
    pub title: String,
    /// The context for executives (default: the latest summary, masked).
    #[serde(default)]
    pub summary: String,
}

/// Checks that `viewer` may turn the incident into a shared item: the reporter, or the
/// coordinator when the reporter consented.
///
/// # Errors
/// [`DomainError::Forbidden`] otherwise (callers that may not know the incident answer
/// not found), [`DomainError::Conflict`] when it was shared already.
pub fn ensure_may_share(incident: &Incident, viewer: &Viewer) -> Result<(), DomainError> {
    viewer.ensure_can_act()?;
    let m = &viewer.member;
    let allowed = incident.reporter == m.id
        || (incident.consent_to_share && m.has_role(SpecialRole::Coordinator));
    if !allowed {
        return Err(DomainError::Forbidden(
            "only the reporter, or the coordinator with the reporter's consent, shares an incident"
                .into(),
        ));
    }
    if let Some(item) = incident.shared_item {
        return Err(DomainError::Conflict(format!(
            "the incident was already shared as item {item}"
        )));
    }
    Ok(())
}

/// What replaces the reporter's name in a shared item.
pub const MASK: &str = "[victim]";

/// Replaces every occurrence of `needle` in `text`, ignoring case, with [`MASK`].
fn mask_one(text: &str, needle: &str) -> String {
    let needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    if needle.is_empty() {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let mut folded = Vec::with_capacity(needle.len());
        let mut j = i;
        while j < chars.len() && folded.len() < needle.len() {
            folded.extend(chars[j].to_lowercase());
            j += 1;
        }
        if folded == needle {
            out.push_str(MASK);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Masks the reporter in `text`: its name, each word of its name of five or more
/// characters, its pseudonym and its id.
#[must_use]
pub fn mask_reporter(text: &str, reporter: &Member) -> String {
    let mut needles = vec![
        reporter.name.clone(),
        reporter.pseudonym.clone(),
        reporter.id.to_string(),
    ];
    needles.extend(
        reporter
            .name
            .split_whitespace()
            .filter(|w| w.chars().count() >= 5)
            .map(str::to_owned),
    );
    needles
        .iter()
        .fold(text.to_owned(), |t, n| mask_one(&t, n.trim()))
}

/// The latest non-empty value of a text field across the reports.
fn latest<'a>(reports: &'a [Report], field: impl Fn(&'a ReportContent) -> &'a str) -> &'a str {
    reports
        .iter()
        .rev()
        .map(|r| field(&r.content))
        .find(|v| !v.is_empty())
        .unwrap_or("")
}

/// The anonymised item made from an incident's reports (M5.3): the victim is only its
/// sector and whether it was damaged; the title and summary (the request's, or the
/// incident's title and the latest summary), the cause, intrusion method, type-specific
/// facts and measures are carried over with the reporter's name masked; indicators and
/// techniques of every report are carried over. What is affected, the damage, the
/// ransom note and the purpose never leave. The item then goes through the normal
/// sharing path and policy view.
///
/// # Errors
/// [`DomainError::Invalid`] when the result is not a valid item (e.g. no audience).
pub fn anonymised_item(
    incident: &Incident,
    reports: &[Report],
    reporter: &Member,
    req: ShareRequest,
) -> Result<ItemContent, DomainError> {
    let mask = |s: &str| mask_reporter(s, reporter);
    let title = if req.title.trim().is_empty() {
        incident.title.as_str()
    } else {
        req.title.as_str()
    };
    let sector = incident.reporter_sector;
    let kind_text = match incident.kind {
        IncidentKind::Ransomware => "A ransomware incident",
        IncidentKind::Ddos => "A denial-of-service attack",
        IncidentKind::Other => "An incident",
    };
    let summary = if req.summary.trim().is_empty() {
        latest(reports, |c| &c.summary)
    } else {
        req.summary.as_str()
    };
    let executive_context = format!(
        "{kind_text} reported to the council by a member of the {} sector ({}).\n\n{summary}",
        sector.name_en(),
        sector.name_ja()
    );
    let mut technical = Vec::new();
    for (label, value) in [
        ("Cause", latest(reports, |c| &c.cause)),
        ("Intrusion method", latest(reports, |c| &c.intrusion_method)),
    ] {
        if !value.is_empty() {
            technical.push(format!("{label}: {value}"));
        }
    }
    let mut techniques: Vec<String> = Vec::new();
    for r in reports {
        if let Some(rw) = &r.content.ransomware {
            for (label, value) in [
                ("Ransomware family", &rw.family),
                ("Encrypted-file extension", &rw.encrypted_extension),
                ("Intrusion route", &rw.intrusion_route),
            ] {
                let line = format!("{label}: {value}");
                if !value.is_empty() && !technical.contains(&line) {
                    technical.push(line);
                }
            }
        }
        if let Some(d) = &r.content.ddos {
            let mut parts = Vec::new();
            if let Some(t) = &d.technique {
                parts.push(format!("technique {t}"));
                techniques.push(t.clone());
            }
            if let Some(g) = d.peak_gbps {
                parts.push(format!("peak {g} Gbps"));
            }
            if let Some(p) = d.peak_pps {
                parts.push(format!("peak {p} pps"));
            }
            if let Some(m) = d.duration_minutes {
                parts.push(format!("{m} minutes"));
            }
            let line = format!("DDoS: {}", parts.join(", "));
            if !parts.is_empty() && !technical.contains(&line) {
                technical.push(line);
            }
        }
        techniques.extend(r.content.techniques.iter().map(|t| t.as_str().to_owned()));
    }
    let indicators = reports
        .iter()
        .flat_map(|r| &r.content.indicators)
        .map(|i| RawIndicator {
            kind: i.kind().as_str().to_owned(),
            value: i.value().to_owned(),
        })
        .collect();
    let damaged = reports.iter().any(|r| {
        r.content.service_impact == Some(true) || r.content.service_level_deviation == Some(true)
    });
    let has_final = reports.iter().any(|r| r.content.stage == Stage::Final);
    let draft = ItemDraft {
        kind: ItemKind::ThreatInformation,
        title: mask(title),
        executive_context: mask(&executive_context),
        technical_details: mask(&technical.join("\n")),
        countermeasures: mask(latest(reports, |c| &c.measures)),
        victim: Some(Victim {
            name: None,
            sector: Some(sector),
            damaged,
            damage_details: String::new(),
        }),
        indicators,
        techniques,
        cves: Vec::new(),
        products: Vec::new(),
        confidence: req.confidence.unwrap_or(if has_final {
            Confidence::Confirmed
        } else {
            Confidence::Probable
        }),
        tlp: req.tlp.unwrap_or(Tlp::Amber),
        scope: req.scope,
        show_provider_sector: false,
        clearance: None,
    };
    draft.parse()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::member::tests::member;
    use crate::member::{MemberClass, MemberStatus};
    use crate::user::{User, UserRole};

    fn viewer(m: &Member) -> Viewer {
        Viewer {
            user: User {
                id: UserId::new(),
                member_id: m.id,
                login: "u".into(),
                role: UserRole::Analyst,
                disabled: false,
            },
            member: m.clone(),
            clearance: crate::clearance::Clearance::none(),
        }
    }

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    fn form(json: serde_json::Value) -> ReportForm {
        serde_json::from_value(json).unwrap()
    }

    fn initial() -> serde_json::Value {
        serde_json::json!({
            "stage": "initial", "purpose": "incident_response",
            "aware_at": "2026-03-01T09:00:00+09:00", "affected": "file servers",
            "suspected_malicious": "yes", "service_impact": true
        })
    }

    fn final_report() -> serde_json::Value {
        serde_json::json!({
            "stage": "final", "purpose": "regulatory",
            "cause": "unpatched VPN appliance", "intrusion_method": "CVE-2023-46805",
            "techniques": ["t1190", "T1486", "T1190"],
            "indicators": [{"type": "ipv4", "value": "203.0.113.7"}],
            "damage": "40 servers encrypted", "measures": "rebuilt from backups",
            "service_level_deviation": false,
            "ransomware": {"ransom_note": "Your files are encrypted", "encrypted_extension": ".lockbit",
                           "family": "LockBit 3.0", "intrusion_route": "VPN appliance"}
        })
    }

    fn now() -> OffsetDateTime {
        at("2026-03-02T00:00:00Z")
    }

    fn err(json: serde_json::Value, kind: IncidentKind) -> String {
        form(json).parse(kind, now()).unwrap_err().to_string()
    }

    fn without(mut json: serde_json::Value, field: &str) -> serde_json::Value {
        json.as_object_mut().unwrap().remove(field);
        json
    }

    #[test]
    fn enums_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(*s));
        }
        for k in IncidentKind::ALL {
            assert_eq!(IncidentKind::parse(k.as_str()), Some(*k));
        }
        for r in Regime::ALL {
            assert_eq!(Regime::parse(r.as_str()), Some(*r));
        }
        for p in Purpose::ALL {
            assert_eq!(
                serde_json::to_string(p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Regime::default(), Regime::Nis2);
        let id = IncidentId::new();
        assert_eq!(id.to_string().parse::<IncidentId>().unwrap(), id);
    }

    #[test]
    fn each_stage_names_its_missing_field() {
        let k = IncidentKind::Ransomware;
        for field in [
            "aware_at",
            "affected",
            "suspected_malicious",
            "service_impact",
            "purpose",
        ] {
            let e = err(without(initial(), field), k);
            assert!(
                e.starts_with(&format!("{field}: is required in the initial report")),
                "{e}"
            );
        }
        for field in [
            "cause",
            "intrusion_method",
            "damage",
            "measures",
            "service_level_deviation",
            "ransomware",
        ] {
            let e = err(without(final_report(), field), k);
            assert!(
                e.starts_with(&format!("{field}: is required in the final report (確報)")),
                "{e}"
            );
        }
        let mut no_note = final_report();
        no_note["ransomware"]["ransom_note"] = serde_json::json!(" ");
        assert!(err(no_note, k).starts_with("ransomware.ransom_note: is required"));
        let e = err(
            serde_json::json!({"stage": "update", "purpose": "statistics"}),
            k,
        );
        assert!(
            e.starts_with("summary: is required in the update report"),
            "{e}"
        );
        let c = form(final_report()).parse(k, now()).unwrap();
        let t: Vec<_> = c.techniques.iter().map(TechniqueId::as_str).collect();
        assert_eq!(t, ["T1190", "T1486"]);
        assert_eq!(c.indicators.len(), 1);
        let mut bad = final_report();
        bad["techniques"] = serde_json::json!(["T1190", "T86"]);
        assert!(err(bad, k).starts_with("techniques: [1]: "));
    }

    #[test]
    fn initial_reports_are_few_fields_and_not_in_the_future() {
        let c = form(initial()).parse(IncidentKind::Other, now()).unwrap();
        assert_eq!(c.aware_at, Some(at("2026-03-01T00:00:00Z")));
        let mut future = initial();
        future["aware_at"] = serde_json::json!("2026-03-03T00:00:00Z");
        assert_eq!(
            err(future, IncidentKind::Other),
            "aware_at: is in the future"
        );
        let mut later =
            serde_json::json!({"stage": "update", "purpose": "statistics", "summary": "s"});
        later["aware_at"] = serde_json::json!("2026-03-01T00:00:00Z");
        assert!(err(later, IncidentKind::Other).starts_with("aware_at: "));
    }

    #[test]
    fn type_parts_belong_to_their_kind() {
        let e = err(final_report(), IncidentKind::Ddos);
        assert!(e.starts_with("ransomware: belongs to ransomware"), "{e}");
        let mut ddos = without(final_report(), "ransomware");
        assert!(err(ddos.clone(), IncidentKind::Ddos).starts_with("ddos: is required"));
        ddos["ddos"] = serde_json::json!({"technique": "t1498.001", "peak_gbps": 12.5, "duration_minutes": 90});
        let c = form(ddos.clone()).parse(IncidentKind::Ddos, now()).unwrap();
        assert_eq!(c.ddos.unwrap().technique.as_deref(), Some("T1498.001"));
        for (part, field) in [
            (
                serde_json::json!({"technique": "T1566", "peak_gbps": 1.0, "duration_minutes": 1}),
                "ddos.technique: T1566 is not",
            ),
            (
                serde_json::json!({"technique": "T14", "peak_gbps": 1.0, "duration_minutes": 1}),
                "ddos.technique: ",
            ),
            (
                serde_json::json!({"technique": "T1499.004", "duration_minutes": 1}),
                "ddos.peak_gbps: is required",
            ),
            (
                serde_json::json!({"technique": "T1499", "peak_pps": 1000}),
                "ddos.duration_minutes: is required",
            ),
            (
                serde_json::json!({"technique": "T1499", "peak_gbps": -1.0, "duration_minutes": 1}),
                "ddos.peak_gbps: must be",
            ),
        ] {
            ddos["ddos"] = part;
            let e = err(ddos.clone(), IncidentKind::Ddos);
            assert!(e.starts_with(field), "{e}");
        }
    }

    #[test]
    fn opening_needs_the_initial_report() {
        let f: IncidentForm = serde_json::from_value(serde_json::json!({
            "title": "Ransomware", "kind": "ransomware", "report": final_report()
        }))
        .unwrap();
        assert!(
            f.parse(now())
                .unwrap_err()
                .to_string()
                .starts_with("report.stage: ")
        );
        let f: IncidentForm = serde_json::from_value(serde_json::json!({
            "title": "Ransomware", "kind": "ransomware", "regime": "appi", "report": initial()
        }))
        .unwrap();
        let o = f.parse(now()).unwrap();
        assert_eq!((o.regime, o.consent_to_share), (Regime::Appi, false));
        assert_eq!(o.aware_at, at("2026-03-01T00:00:00Z"));
    }

    /// A council with every kind of member that matters to routing.
    fn council() -> (Member, Vec<Member>) {
        let reporter = member(MemberClass::Class2, &[]);
        let secretariat = member(
            MemberClass::Class1,
            &[SpecialRole::Secretariat, SpecialRole::Committee],
        );
        let coordinator = member(
            MemberClass::Class1,
            &[SpecialRole::Coordinator, SpecialRole::Committee],
        );
        let mut own = member(MemberClass::General, &[SpecialRole::Regulator]);
        own.regulator_of = [Sector::Electricity, Sector::Gas].into();
        let mut other = member(MemberClass::General, &[SpecialRole::Regulator]);
        other.regulator_of = [Sector::Finance].into();
        let mut unroled = member(MemberClass::General, &[]);
        unroled.regulator_of = [Sector::Electricity].into();
        let mut gone = member(MemberClass::General, &[SpecialRole::Regulator]);
        gone.regulator_of = [Sector::Electricity].into();
        gone.status = MemberStatus::Withdrawn;
        let peer = member(MemberClass::Class2, &[]);
        let all = vec![
            reporter.clone(),
            secretariat,
            coordinator,
            own,
            other,
            unroled,
            gone,
            peer,
        ];
        (reporter, all)
    }

    #[test]
    fn routing_reaches_the_secretariat_and_the_sectors_regulators_only() {
        let (reporter, all) = council();
        let to = route(&reporter, &all);
        let ids: BTreeSet<MemberId> = to.iter().map(|r| r.member).collect();
        assert_eq!(ids, [all[1].id, all[3].id].into());
        assert!(to.contains(&Recipient {
            member: all[1].id,
            role: RecipientRole::Secretariat
        }));
        assert!(to.contains(&Recipient {
            member: all[3].id,
            role: RecipientRole::Regulator
        }));
        // By construction: whatever the council, every recipient is an active
        // secretariat or an active regulator of the reporter's sector.
        for sector in Sector::ALL {
            let mut r = reporter.clone();
            r.sector = *sector;
            for rec in route(&r, &all) {
                let m = all.iter().find(|m| m.id == rec.member).unwrap();
                assert!(m.is_active());
                match rec.role {
                    RecipientRole::Secretariat => assert!(m.has_role(SpecialRole::Secretariat)),
                    RecipientRole::Regulator => assert!(m.regulates(*sector)),
                }
            }
        }
    }

    fn report(
        incident: &Incident,
        version: i64,
        content: ReportContent,
        to: BTreeSet<Recipient>,
        at: OffsetDateTime,
    ) -> Report {
        Report {
            incident: incident.id,
            version,
            content,
            submitted_by: UserId::new(),
            submitted_at: at,
            routed_to: to,
        }
    }

    fn incident(reporter: &Member, kind: IncidentKind) -> Incident {
        Incident {
            id: IncidentId::new(),
            reporter: reporter.id,
            reporter_sector: reporter.sector,
            kind,
            regime: Regime::Nis2,
            title: format!("Ransomware at {}", reporter.name),
            aware_at: at("2026-03-01T00:00:00Z"),
            consent_to_share: false,
            shared_item: None,
            created_at: at("2026-03-01T01:00:00Z"),
            updated_at: at("2026-03-01T01:00:00Z"),
        }
    }

    #[test]
    fn only_the_reporter_and_recipients_see_an_incident() {
        let (reporter, all) = council();
        let i = incident(&reporter, IncidentKind::Ransomware);
        let c = form(initial()).parse(i.kind, now()).unwrap();
        let reports = vec![report(
            &i,
            1,
            c,
            route(&reporter, &all),
            at("2026-03-01T02:00:00Z"),
        )];
        for (n, m) in all.iter().enumerate() {
            let seen = incident_view(
                &i,
                &reporter.name,
                &reports,
                &viewer(m),
                now(),
                &ClockTable::default(),
                true,
            );
            assert_eq!(seen.is_some(), [0, 1, 3].contains(&n), "member {n}");
        }
        let own = incident_view(
            &i,
            &reporter.name,
            &reports,
            &viewer(&reporter),
            now(),
            &ClockTable::default(),
            true,
        )
        .unwrap();
        assert_eq!(own.reports.len(), 1);
        let regulator = incident_view(
            &i,
            &reporter.name,
            &reports,
            &viewer(&all[3]),
            now(),
            &ClockTable::default(),
            false,
        )
        .unwrap();
        assert!(regulator.reports.is_empty() && regulator.shared_item.is_none());
    }

    #[test]
    fn clocks_are_configurable_and_bad_periods_named() {
        let mut table = ClockTable::default();
        table.set(Regime::Nis2, "12h, 48h, 14d").unwrap();
        let d = deadlines(
            table.clocks(Regime::Nis2),
            at("2026-03-01T00:00:00Z"),
            &[],
            at("2026-03-01T00:00:00Z"),
        );
        assert_eq!(d[0].due_at, at("2026-03-01T12:00:00Z"));
        assert_eq!(d[1].due_at, at("2026-03-03T00:00:00Z"));
        assert_eq!(d[2].due_at, at("2026-03-17T00:00:00Z"));
        assert_eq!(
            table.clocks(Regime::Appi),
            ClockTable::default().clocks(Regime::Appi)
        );
        for bad in ["5d", "5d,30", "5d,0d", "5d,x"] {
            let err = table.set(Regime::Appi, bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
        assert_eq!(
            table.clocks(Regime::Appi),
            ClockTable::default().clocks(Regime::Appi)
        );
    }

    #[test]
    fn nis2_and_appi_clocks() {
        let aware = at("2026-03-01T00:00:00Z");
        let d = deadlines(
            ClockTable::default().clocks(Regime::Nis2),
            aware,
            &[(Stage::Initial, at("2026-03-01T12:00:00Z"))],
            at("2026-03-05T00:00:00Z"),
        );
        assert_eq!(d.len(), 3);
        assert_eq!(
            (d[0].stage, d[0].due_at, d[0].overdue, d[0].late),
            (Stage::Initial, at("2026-03-02T00:00:00Z"), false, false)
        );
        assert_eq!(
            (d[1].stage, d[1].due_at, d[1].overdue),
            (Stage::Notification, at("2026-03-04T00:00:00Z"), true)
        );
        // Until the notification comes, the final report is counted from its due time.
        assert_eq!(
            (d[2].due_at, d[2].overdue),
            (at("2026-04-03T00:00:00Z"), false)
        );
        let d = deadlines(
            ClockTable::default().clocks(Regime::Nis2),
            aware,
            &[
                (Stage::Initial, at("2026-03-02T06:00:00Z")),
                (Stage::Notification, at("2026-03-03T00:00:00Z")),
            ],
            at("2026-03-05T00:00:00Z"),
        );
        assert!(d[0].late && !d[0].overdue);
        assert_eq!(d[1].submitted_at, Some(at("2026-03-03T00:00:00Z")));
        assert_eq!(d[2].due_at, at("2026-04-02T00:00:00Z"));
        let d = deadlines(
            ClockTable::default().clocks(Regime::Appi),
            aware,
            &[(Stage::Final, at("2026-03-10T00:00:00Z"))],
            at("2026-04-10T00:00:00Z"),
        );
        assert_eq!(
            d.iter().map(|d| d.stage).collect::<Vec<_>>(),
            [Stage::Initial, Stage::Final]
        );
        assert_eq!(d[0].due_at, at("2026-03-06T00:00:00Z"));
        assert_eq!(d[1].due_at, at("2026-03-31T00:00:00Z"));
        // A final report satisfies the stages before it.
        assert!(d.iter().all(|d| !d.overdue && d.submitted_at.is_some()));
        assert!(d[0].late);
    }

    #[test]
    fn sharing_masks_the_reporter_and_carries_indicators() {
        let (reporter, all) = council();
        let mut i = incident(&reporter, IncidentKind::Ransomware);
        let mut fin = final_report();
        fin["cause"] = serde_json::json!("kirishiro's VPN appliance was not patched");
        fin["damage"] = serde_json::json!("DAMAGE-SECRET");
        let to = route(&reporter, &all);
        let reports = vec![
            report(
                &i,
                1,
                form(initial()).parse(i.kind, now()).unwrap(),
                to.clone(),
                now(),
            ),
            report(&i, 2, form(fin).parse(i.kind, now()).unwrap(), to, now()),
        ];
        let req: ShareRequest =
            serde_json::from_value(serde_json::json!({"scope": {"classes": ["class1"]}})).unwrap();
        let item = anonymised_item(&i, &reports, &reporter, req.clone()).unwrap();
        let text = serde_json::to_string(&item).unwrap().to_lowercase();
        assert!(
            !text.contains("kirishiro") && !text.contains("damage-secret"),
            "{text}"
        );
        assert!(!text.contains(&reporter.id.to_string()));
        assert_eq!(item.title, "Ransomware at [victim]");
        let victim = item.victim.clone().unwrap();
        assert_eq!(
            (victim.name, victim.sector),
            (None, Some(Sector::Electricity))
        );
        assert!(victim.damaged);
        assert_eq!(item.indicators[0].value(), "203.0.113.7");
        assert_eq!(item.techniques.len(), 2);
        assert_eq!(item.confidence, Confidence::Confirmed);
        assert!(item.technical_details.contains("LockBit 3.0"));

        let coordinator = &all[2];
        assert!(matches!(
            ensure_may_share(&i, &viewer(coordinator)),
            Err(DomainError::Forbidden(_))
        ));
        i.consent_to_share = true;
        assert!(ensure_may_share(&i, &viewer(coordinator)).is_ok());
        assert!(ensure_may_share(&i, &viewer(&all[3])).is_err());
        i.shared_item = Some(ItemId::new());
        assert!(matches!(
            ensure_may_share(&i, &viewer(&reporter)),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(mask_one("ÅBC and åbc", "åbc"), "[victim] and [victim]");
    }

    #[test]
    fn a_second_initial_report_is_refused() {
        let (reporter, _) = council();
        let i = incident(&reporter, IncidentKind::Other);
        assert!(check_next(&[], Stage::Initial).is_ok());
        let c = form(initial()).parse(i.kind, now()).unwrap();
        let reports = vec![report(&i, 1, c, BTreeSet::new(), now())];
        assert!(check_next(&reports, Stage::Initial).is_err());
        assert!(check_next(&reports, Stage::Final).is_ok());
    }
}
