//! Member organisations, their classes, roles and sectors, and the lifecycle rules of
//! the council (MISSION.md M1.1–M1.3, M1.7, M1.8).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::DomainError;
use crate::ids::MemberId;
use crate::text;

/// A member's class (構成員の分類).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MemberClass {
    /// 第一類: security vendors and expert bodies; analyse and advise.
    Class1,
    /// 第二類: operators that give fast feedback on task-force items.
    Class2,
    /// 一般: receives confirmed countermeasures.
    General,
    /// A partner council, sector ISAC or foreign partner (M7.2): receives only items
    /// whose provider put partners in their scope and that its agreement allows
    /// ([`crate::federation`]). Not in [`MemberClass::ALL`].
    Partner,
}

impl MemberClass {
    /// The council's own classes, in order: "everyone" in a scope or an alert target.
    /// Partners are left out on purpose: nothing reaches them unless named.
    pub const ALL: [Self; 3] = [Self::Class1, Self::Class2, Self::General];

    /// Every class a scope may name: the council's own, then partners.
    pub const WITH_PARTNERS: [Self; 4] = [Self::Class1, Self::Class2, Self::General, Self::Partner];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Class1 => "class1",
            Self::Class2 => "class2",
            Self::General => "general",
            Self::Partner => "partner",
        }
    }

    /// Parses [`MemberClass::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::WITH_PARTNERS.into_iter().find(|c| c.as_str() == s)
    }
}

/// A special role a member holds in the council, on top of its class.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SpecialRole {
    /// 政令指定法人: the hub that relays items and knows real identities.
    Coordinator,
    /// 事務局: runs the council's administration; sees real names.
    Secretariat,
    /// 運営委員会: approves applications, class changes and expulsions.
    Committee,
    /// 所管省庁: regulates the sectors in the member's `regulator_of`.
    Regulator,
    /// Designated by the coordinator to issue council-wide alerts (M3.1).
    AlertIssuer,
    /// Runs sensors (darknet, honeypot, sinkhole, scans) and submits their
    /// observations (M6.2).
    SensorOperator,
}

impl SpecialRole {
    /// All roles, in order.
    pub const ALL: [Self; 6] = [
        Self::Coordinator,
        Self::Secretariat,
        Self::Committee,
        Self::Regulator,
        Self::AlertIssuer,
        Self::SensorOperator,
    ];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coordinator => "coordinator",
            Self::Secretariat => "secretariat",
            Self::Committee => "committee",
            Self::Regulator => "regulator",
            Self::AlertIssuer => "alert_issuer",
            Self::SensorOperator => "sensor_operator",
        }
    }

    /// Parses [`SpecialRole::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

macro_rules! sectors {
    ($($variant:ident = $id:literal, $ja:literal, $en:literal;)*) => {
        /// A member's sector: the 13 critical-infrastructure sectors of seed 002 and the
        /// other kinds of member the council has.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum Sector {
            $(
                #[doc = $en]
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl Sector {
            /// Every sector, critical-infrastructure sectors first.
            pub const ALL: &'static [Sector] = &[$(Sector::$variant),*];

            /// The stable identifier used in the API and the database.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Sector::$variant => $id),* }
            }

            /// The Japanese name used by the council.
            #[must_use]
            pub fn name_ja(self) -> &'static str {
                match self { $(Sector::$variant => $ja),* }
            }

            /// The English name.
            #[must_use]
            pub fn name_en(self) -> &'static str {
                match self { $(Sector::$variant => $en),* }
            }

            /// Parses [`Sector::as_str`] back.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

sectors! {
    InformationCommunication = "information_communication", "情報通信", "Information and communication";
    Finance = "finance", "金融", "Finance";
    Aviation = "aviation", "航空", "Aviation";
    Railway = "railway", "鉄道", "Railway";
    Electricity = "electricity", "電力", "Electric power";
    Gas = "gas", "ガス", "Gas";
    GovernmentServices = "government_services", "政府・行政サービス", "Government and administrative services";
    Medical = "medical", "医療", "Medical";
    Water = "water", "水道", "Water";
    Logistics = "logistics", "物流", "Logistics";
    Credit = "credit", "クレジット", "Credit cards";
    Petroleum = "petroleum", "石油", "Petroleum";
    Chemical = "chemical", "化学", "Chemical";
    NationalGovernment = "national_government", "国の行政機関", "National government";
    LocalGovernment = "local_government", "地方公共団体", "Local government";
    SecurityVendor = "security_vendor", "セキュリティ事業者", "Security vendor";
    Academia = "academia", "教育研究機関", "Academia";
    Other = "other", "その他", "Other";
}

impl Sector {
    /// Whether this is one of the 13 critical-infrastructure sectors.
    #[must_use]
    pub fn is_critical_infrastructure(self) -> bool {
        Self::ALL
            .iter()
            .position(|s| *s == self)
            .is_some_and(|i| i < 13)
    }
}

/// Where a member stands in the lifecycle (M1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Applied; waiting for steering-committee approval.
    Applied,
    /// A member of the council.
    Active,
    /// The application was refused.
    Rejected,
    /// Left the council by its own notification.
    Withdrawn,
    /// Removed by the steering committee.
    Expelled,
}

impl MemberStatus {
    /// All statuses.
    pub const ALL: [Self; 5] = [
        Self::Applied,
        Self::Active,
        Self::Rejected,
        Self::Withdrawn,
        Self::Expelled,
    ];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Active => "active",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Expelled => "expelled",
        }
    }

    /// Parses [`MemberStatus::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A member organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Identifier.
    pub id: MemberId,
    /// The organisation's real name: seen only by the coordinator and the secretariat (M1.7).
    pub name: String,
    /// The stable pseudonym by which other members see it.
    pub pseudonym: String,
    /// Class.
    pub class: MemberClass,
    /// Special roles.
    pub roles: BTreeSet<SpecialRole>,
    /// Sector.
    pub sector: Sector,
    /// Free category within the sector (e.g. "regional bank").
    pub category: String,
    /// Foreign-affiliated organisations stay out of the task force unless approved (M1.3).
    pub foreign_affiliated: bool,
    /// The committee's special approval for a foreign-affiliated member to join the TF.
    pub tf_special_approval: bool,
    /// Moved out of the task force by the committee (a free rider, M1.4).
    pub tf_suspended: bool,
    /// Sectors this member regulates (only meaningful with [`SpecialRole::Regulator`]).
    pub regulator_of: BTreeSet<Sector>,
    /// Opted out of receiving confidential information (M1.8).
    pub confidential_opt_out: bool,
    /// Lifecycle status.
    pub status: MemberStatus,
    /// When it applied or was created.
    pub created_at: OffsetDateTime,
    /// A partner's sharing agreement (`None` for the council's own members).
    pub agreement: Option<crate::federation::Agreement>,
}

impl Member {
    /// Whether the member holds `role`.
    #[must_use]
    pub fn has_role(&self, role: SpecialRole) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the member is active.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }

    /// Whether the member may see real names of other members (M1.7).
    #[must_use]
    pub fn sees_real_names(&self) -> bool {
        self.is_active()
            && (self.has_role(SpecialRole::Coordinator) || self.has_role(SpecialRole::Secretariat))
    }

    /// Task-force membership (M1.3): active class 1 or class 2, and, when
    /// foreign-affiliated, only with the committee's special approval.
    #[must_use]
    pub fn in_task_force(&self) -> bool {
        self.is_active()
            && matches!(self.class, MemberClass::Class1 | MemberClass::Class2)
            && (!self.foreign_affiliated || self.tf_special_approval)
            && !self.tf_suspended
    }

    /// Whether this member regulates `sector`.
    #[must_use]
    pub fn regulates(&self, sector: Sector) -> bool {
        self.has_role(SpecialRole::Regulator) && self.regulator_of.contains(&sector)
    }
}

/// Derives a member's pseudonym from 32 random bits: `M-` and 7 characters of Crockford
/// base32, short enough to read out on the phone, stable for the member's life.
#[must_use]
pub fn pseudonym_from(bits: u32) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut out = String::from("M-");
    let mut v = u64::from(bits);
    for _ in 0..7 {
        out.push(char::from(ALPHABET[(v & 31) as usize]));
        v >>= 5;
    }
    out
}

/// What an application to join the council must say (M1.2).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    /// Organisation name.
    pub name: String,
    /// Sector.
    pub sector: Sector,
    /// Class applied for.
    pub class: MemberClass,
    /// Category within the sector.
    #[serde(default)]
    pub category: String,
    /// Whether the organisation is foreign-affiliated.
    pub foreign_affiliated: bool,
    /// Contact person.
    pub contact_name: String,
    /// Contact e-mail address.
    pub contact_email: String,
    /// Why the organisation wants to join.
    #[serde(default)]
    pub reason: String,
}

/// An application after its fields were checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Organisation name, trimmed.
    pub name: String,
    /// Sector.
    pub sector: Sector,
    /// Class applied for.
    pub class: MemberClass,
    /// Category, trimmed.
    pub category: String,
    /// Foreign-affiliated flag.
    pub foreign_affiliated: bool,
    /// Contact person.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Reason.
    pub reason: String,
}

/// Longest organisation name accepted.
pub const MAX_NAME: usize = 200;

impl ApplicationForm {
    /// Checks every field and returns the normalised application.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first bad field.
    pub fn parse(self) -> Result<Application, DomainError> {
        if self.class == MemberClass::Partner {
            return Err(DomainError::invalid(
                "class",
                "partners do not apply: the coordinator registers them (POST /api/v1/partners)",
            ));
        }
        Ok(Application {
            name: text::required("name", &self.name, MAX_NAME)?,
            sector: self.sector,
            class: self.class,
            category: text::optional("category", &self.category, 100)?,
            foreign_affiliated: self.foreign_affiliated,
            contact_name: text::required("contact_name", &self.contact_name, 200)?,
            contact_email: text::email("contact_email", &self.contact_email)?,
            reason: text::optional("reason", &self.reason, 4000)?,
        })
    }
}

/// The key under which duplicate applications are detected: case- and space-insensitive.
#[must_use]
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The outcome of counting steering-committee approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// More approvals are needed.
    Pending {
        /// Approvals so far.
        have: usize,
        /// Approvals needed.
        need: usize,
    },
    /// Enough approvals: the change takes effect.
    Carried,
}

/// Whether `have` distinct committee approvals carry a decision needing `need`.
#[must_use]
pub fn tally(have: usize, need: usize) -> Approval {
    if have >= need.max(1) {
        Approval::Carried
    } else {
        Approval::Pending { have, need }
    }
}

/// Checks that `actor` may vote on committee decisions (approve applications and class
/// changes, expel, grant TF special approval).
///
/// # Errors
/// [`DomainError::Forbidden`] when the actor's member is not an active committee member.
pub fn ensure_committee(actor: &Member) -> Result<(), DomainError> {
    if actor.is_active() && actor.has_role(SpecialRole::Committee) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the steering committee may decide this".into(),
        ))
    }
}

/// Checks that `actor` runs the council's administration (coordinator or secretariat).
///
/// # Errors
/// [`DomainError::Forbidden`] otherwise.
pub fn ensure_administration(actor: &Member) -> Result<(), DomainError> {
    if actor.sees_real_names() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the coordinator or the secretariat may do this".into(),
        ))
    }
}

/// Checks that an applicant may be approved or rejected.
///
/// # Errors
/// [`DomainError::Conflict`] when the member is not (any longer) an application.
pub fn ensure_pending(target: &Member) -> Result<(), DomainError> {
    if target.status == MemberStatus::Applied {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "member is {}, not an open application",
            target.status.as_str()
        )))
    }
}

/// Checks that a member can leave (withdraw) or be expelled: it must be active.
///
/// # Errors
/// [`DomainError::Conflict`] when it is not active.
pub fn ensure_can_leave(target: &Member) -> Result<(), DomainError> {
    if target.is_active() {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "member is {}, not active",
            target.status.as_str()
        )))
    }
}

/// Checks a class-change request: the member must be active and ask for another class.
///
/// # Errors
/// [`DomainError::Conflict`] when the member is not active or already has that class.
pub fn ensure_class_change(target: &Member, to: MemberClass) -> Result<(), DomainError> {
    if to == MemberClass::Partner || target.class == MemberClass::Partner {
        return Err(DomainError::invalid(
            "class",
            "a member does not become a partner, nor a partner a member: the coordinator registers partners",
        ));
    }
    ensure_can_leave(target)?;
    if target.class == to {
        return Err(DomainError::Conflict(format!(
            "member is already {}",
            to.as_str()
        )));
    }
    Ok(())
}

/// How one member appears to a viewer: real name and details for the administration
/// and for the member itself, the pseudonym and class for everyone else (M1.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberView {
    /// Identifier.
    pub id: MemberId,
    /// Pseudonym.
    pub pseudonym: String,
    /// Class.
    pub class: MemberClass,
    /// Special roles (public within the council: members must know who coordinates).
    pub roles: Vec<SpecialRole>,
    /// Real name: only for the coordinator, the secretariat, the committee on
    /// applications, and the member itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Details only the same audience sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<MemberDetails>,
}

/// The parts of a member only the administration and the member itself see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberDetails {
    /// Sector.
    pub sector: Sector,
    /// Category.
    pub category: String,
    /// Foreign-affiliated flag.
    pub foreign_affiliated: bool,
    /// TF special approval.
    pub tf_special_approval: bool,
    /// Moved out of the task force by the committee.
    pub tf_suspended: bool,
    /// Whether the member is in the task force.
    pub in_task_force: bool,
    /// Regulated sectors.
    pub regulator_of: Vec<Sector>,
    /// Confidential-information opt-out.
    pub confidential_opt_out: bool,
    /// Lifecycle status.
    pub status: MemberStatus,
    /// Created (or applied) at.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// The view of `target` for a user of `viewer`; `None` when the viewer may not know the
/// member exists (an application or a former member seen by an ordinary member).
#[must_use]
pub fn member_view(target: &Member, viewer: &Member) -> Option<MemberView> {
    let own = target.id == viewer.id;
    let committee_on_application = target.status == MemberStatus::Applied
        && viewer.is_active()
        && viewer.has_role(SpecialRole::Committee);
    let full = own || viewer.sees_real_names() || committee_on_application;
    if !full && (!target.is_active() || !viewer.is_active()) {
        return None;
    }
    Some(MemberView {
        id: target.id,
        pseudonym: target.pseudonym.clone(),
        class: target.class,
        roles: target.roles.iter().copied().collect(),
        name: full.then(|| target.name.clone()),
        details: full.then(|| MemberDetails {
            sector: target.sector,
            category: target.category.clone(),
            foreign_affiliated: target.foreign_affiliated,
            tf_special_approval: target.tf_special_approval,
            tf_suspended: target.tf_suspended,
            in_task_force: target.in_task_force(),
            regulator_of: target.regulator_of.iter().copied().collect(),
            confidential_opt_out: target.confidential_opt_out,
            status: target.status,
            created_at: target.created_at,
        }),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn member(class: MemberClass, roles: &[SpecialRole]) -> Member {
        Member {
            id: MemberId::new(),
            name: "Kirishiro Denki".into(),
            pseudonym: pseudonym_from(42),
            class,
            roles: roles.iter().copied().collect(),
            sector: Sector::Electricity,
            category: String::new(),
            foreign_affiliated: false,
            tf_special_approval: false,
            tf_suspended: false,
            regulator_of: BTreeSet::new(),
            confidential_opt_out: false,
            status: MemberStatus::Active,
            created_at: OffsetDateTime::UNIX_EPOCH,
            agreement: None,
        }
    }

    #[test]
    fn thirteen_critical_sectors() {
        let ci: Vec<_> = Sector::ALL
            .iter()
            .filter(|s| s.is_critical_infrastructure())
            .collect();
        assert_eq!(ci.len(), 13);
        assert_eq!(Sector::Chemical.name_ja(), "化学");
        assert!(!Sector::SecurityVendor.is_critical_infrastructure());
        for s in Sector::ALL {
            assert_eq!(Sector::parse(s.as_str()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn task_force_rule() {
        let mut m = member(MemberClass::Class2, &[]);
        assert!(m.in_task_force());
        m.foreign_affiliated = true;
        assert!(!m.in_task_force());
        m.tf_special_approval = true;
        assert!(m.in_task_force());
        m.class = MemberClass::General;
        assert!(!m.in_task_force());
        let mut w = member(MemberClass::Class1, &[]);
        w.status = MemberStatus::Withdrawn;
        assert!(!w.in_task_force());
    }

    #[test]
    fn names_hidden_from_ordinary_members() {
        let target = member(MemberClass::Class1, &[]);
        let ordinary = member(MemberClass::Class1, &[]);
        let v = member_view(&target, &ordinary).unwrap();
        assert_eq!(v.name, None);
        assert_eq!(v.details, None);
        let secretariat = member(MemberClass::General, &[SpecialRole::Secretariat]);
        assert_eq!(
            member_view(&target, &secretariat).unwrap().name.as_deref(),
            Some("Kirishiro Denki")
        );
        assert!(member_view(&target, &target).unwrap().name.is_some());
        let mut gone = target.clone();
        gone.status = MemberStatus::Withdrawn;
        assert_eq!(member_view(&gone, &ordinary), None);
        let mut applicant = target;
        applicant.status = MemberStatus::Applied;
        assert_eq!(member_view(&applicant, &ordinary), None);
        let committee = member(MemberClass::Class1, &[SpecialRole::Committee]);
        assert!(member_view(&applicant, &committee).unwrap().name.is_some());
    }

    #[test]
    fn tally_counts() {
        assert_eq!(tally(1, 2), Approval::Pending { have: 1, need: 2 });
        assert_eq!(tally(2, 2), Approval::Carried);
        assert_eq!(tally(0, 0), Approval::Pending { have: 0, need: 0 });
    }

    proptest! {
        #[test]
        fn pseudonyms_are_distinct_per_input(a in any::<u32>(), b in any::<u32>()) {
            prop_assume!(a != b);
            prop_assert_ne!(pseudonym_from(a), pseudonym_from(b));
            prop_assert_eq!(pseudonym_from(a).len(), 9);
        }

        #[test]
        fn a_withdrawn_viewer_sees_no_one(class in prop::sample::select(MemberClass::ALL.to_vec())) {
            let target = member(class, &[]);
            let mut viewer = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
            viewer.status = MemberStatus::Withdrawn;
            prop_assert_eq!(member_view(&target, &viewer), None);
        }
    }
}
