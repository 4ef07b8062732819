//! The portal's two languages: Japanese by default, English by a switch each user's
//! account remembers; times are shown in Japan Standard Time.

use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};
use tsunagu_core::alert::Severity;
use tsunagu_core::item::{Confidence, ItemKind, ItemStatus};
use tsunagu_core::member::{MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::view::Audience;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 日本語 (the default).
    #[default]
    Ja,
    /// English.
    En,
}

/// Japan Standard Time.
pub const JST: UtcOffset = offset!(+9);

/// `2026-11-29 17:40 JST`.
#[must_use]
pub fn jst(t: OffsetDateTime) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.to_offset(JST)
        .format(&f)
        .map(|s| format!("{s} JST"))
        .unwrap_or_default()
}

impl Lang {
    /// The stored and `lang` attribute value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// Parses [`Lang::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ja" => Some(Self::Ja),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language, for the switch.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::Ja => Self::En,
            Self::En => Self::Ja,
        }
    }

    /// The language's own name.
    #[must_use]
    pub fn own_name(self) -> &'static str {
        match self {
            Self::Ja => "日本語",
            Self::En => "English",
        }
    }

    /// The message `key` in this language; the key itself when the table lacks it (a
    /// test checks every key the portal uses is in the table).
    #[must_use]
    pub fn t(self, key: &'static str) -> &'static str {
        match message(key) {
            Some((ja, en)) => match self {
                Self::Ja => ja,
                Self::En => en,
            },
            None => key,
        }
    }

    /// A sector's name.
    #[must_use]
    pub fn sector(self, s: Sector) -> &'static str {
        match self {
            Self::Ja => s.name_ja(),
            Self::En => s.name_en(),
        }
    }

    /// A member class's name.
    #[must_use]
    pub fn class(self, c: MemberClass) -> &'static str {
        self.t(match c {
            MemberClass::Class1 => "class1",
            MemberClass::Class2 => "class2",
            MemberClass::General => "general",
            MemberClass::Partner => "partner",
        })
    }

    /// A member status's name.
    #[must_use]
    pub fn member_status(self, s: MemberStatus) -> &'static str {
        self.t(match s {
            MemberStatus::Applied => "status_applied",
            MemberStatus::Active => "status_active",
            MemberStatus::Rejected => "status_rejected",
            MemberStatus::Withdrawn => "status_withdrawn",
            MemberStatus::Expelled => "status_expelled",
        })
    }

    /// A special role's name.
    #[must_use]
    pub fn role(self, r: SpecialRole) -> &'static str {
        self.t(match r {
            SpecialRole::Coordinator => "role_coordinator",
            SpecialRole::Secretariat => "role_secretariat",
            SpecialRole::Committee => "role_committee",
            SpecialRole::Regulator => "role_regulator",
            SpecialRole::AlertIssuer => "role_alert_issuer",
            SpecialRole::SensorOperator => "role_sensor_operator",
        })
    }

    /// An item kind's name.
    #[must_use]
    pub fn kind(self, k: ItemKind) -> &'static str {
        self.t(match k {
            ItemKind::ThreatInformation => "kind_threat_information",
            ItemKind::Analysis => "kind_analysis",
            ItemKind::Countermeasure => "kind_countermeasure",
            ItemKind::BestPractice => "kind_best_practice",
        })
    }

    /// A confidence level's name.
    #[must_use]
    pub fn confidence(self, c: Confidence) -> &'static str {
        self.t(match c {
            Confidence::Unconfirmed => "confidence_unconfirmed",
            Confidence::Probable => "confidence_probable",
            Confidence::Confirmed => "confidence_confirmed",
        })
    }

    /// An item status's name.
    #[must_use]
    pub fn status(self, s: ItemStatus) -> &'static str {
        self.t(match s {
            ItemStatus::Shared => "status_shared",
            ItemStatus::Retracted => "status_retracted",
        })
    }

    /// An alert severity's name.
    #[must_use]
    pub fn severity(self, s: Severity) -> &'static str {
        self.t(match s {
            Severity::Critical => "severity_critical",
            Severity::High => "severity_high",
            Severity::Medium => "severity_medium",
            Severity::Low => "severity_low",
        })
    }

    /// An audience's name (who sees which parts of an item).
    #[must_use]
    pub fn audience(self, a: Audience) -> &'static str {
        self.t(match a {
            Audience::Full => "audience_full",
            Audience::Class1 => "audience_class1",
            Audience::Class2 => "audience_class2",
            Audience::General => "audience_general",
        })
    }
}

/// The message table: `(日本語, English)` per key.
#[allow(clippy::too_many_lines)]
fn message(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        // Shell.
        "skip_to_main" => ("本文へ移動", "Skip to main content"),
        "nav_label" => ("メインメニュー", "Main menu"),
        "nav_dashboard" => ("ダッシュボード", "Dashboard"),
        "nav_items" => ("共有情報", "Shared items"),
        "nav_new_item" => ("情報を共有", "Share an item"),
        "nav_alerts" => ("早期警戒", "Alerts"),
        "nav_consultations" => ("相談", "Consultations"),
        "nav_constituency" => ("自組織の範囲", "My constituency"),
        "nav_observations" => ("観測", "Observations"),
        "nav_trends" => ("観測動向", "Trends"),
        "nav_kev" => ("悪用脆弱性カタログ", "Exploited vulnerabilities"),
        "nav_assets" => ("自組織の資産", "My assets"),
        "nav_incidents" => ("インシデント報告", "Incidents"),
        // Incidents.
        "incidents_title" => ("インシデント報告", "Incident reports"),
        "new_incident" => ("インシデントを報告（速報）", "Report an incident"),
        "new_incident_intro" => (
            "速報は事務局と自組織の業種の所管省庁だけに届きます。分かっていることだけで構いません。続報・確報は後から追加します。",
            "The initial report reaches only the secretariat and your sector's regulators. Report what you know now; notifications, updates and the final report follow.",
        ),
        "my_incidents" => ("自組織の報告", "My incidents"),
        "incidents_received" => ("受領した報告", "Reports routed to us"),
        "incidents_overdue" => ("期限切れの報告", "Overdue"),
        "no_incidents" => ("ありません。", "None."),
        "no_overdue_incidents" => ("期限切れはありません。", "Nothing is overdue."),
        "col_reporter" => ("報告者", "Reporter"),
        "col_latest_stage" => ("最新の報告", "Latest report"),
        "col_deadlines" => ("報告期限", "Deadlines"),
        "due_at" => ("期限", "due"),
        "submitted" => ("提出済み", "Submitted"),
        "late" => ("期限後に提出", "Late"),
        "not_yet_due" => ("未提出（期限前）", "Not yet due"),
        "stage_initial" => ("速報", "Initial report"),
        "stage_notification" => ("通知", "Notification"),
        "stage_update" => ("続報", "Update"),
        "stage_final" => ("確報", "Final report"),
        "incident_ransomware" => ("ランサムウェア", "Ransomware"),
        "incident_ddos" => ("DDoS 攻撃", "DDoS"),
        "incident_other" => ("その他", "Other"),
        "purpose" => ("利用目的", "Purpose of use"),
        "purpose_text" => ("利用目的（詳細）", "Purpose in your words"),
        "purpose_incident_response" => ("インシデント対応", "Incident response"),
        "purpose_statistics" => ("統計", "Statistics"),
        "purpose_regulatory" => ("法令に基づく報告", "Regulatory report"),
        "purpose_sharing_with_consent" => ("同意に基づく共有", "Sharing with consent"),
        "regime" => ("報告制度", "Regime"),
        "incident_about" => ("インシデント", "The incident"),
        "initial_report_required" => ("速報の必須項目", "The initial report's required fields"),
        "aware_at" => ("認知日時 (JST)", "Became aware at (JST)"),
        "aware_at_hint" => (
            "日本時間で入力してください（例: 2026-11-29T09:30）。",
            "In Japan Standard Time (for example 2026-11-29T09:30).",
        ),
        "affected" => ("影響を受けたもの", "What is affected"),
        "suspected_malicious" => ("悪意ある攻撃の疑い", "Suspected malicious"),
        "service_impact" => ("サービスへの影響", "Impact on the service"),
        "unknown" => ("不明", "Unknown"),
        "consent_to_share" => (
            "調整機関が匿名化して共有することに同意する",
            "The coordinator may share it anonymised",
        ),
        "submit_initial_report" => ("速報を提出", "Submit the initial report"),
        "incident_opened" => ("速報を提出しました。", "Initial report submitted."),
        "routed_to" => ("送付先", "Routed to"),
        "cross_border" => ("国外への影響", "Cross-border impact"),
        "summary" => ("概要", "Summary"),
        "cause" => ("原因", "Cause"),
        "intrusion_method" => ("侵入手法", "Intrusion method"),
        "damage" => ("被害", "Damage"),
        "measures" => ("対策", "Measures"),
        // Catalogue.
        "kev_title" => (
            "既知の悪用された脆弱性カタログ",
            "Known exploited vulnerabilities",
        ),
        "kev_search" => (
            "CVE・ベンダー・製品で検索",
            "Search by CVE, vendor or product",
        ),
        "kev_search_hint" => (
            "例: CVE-2024-3400、Fortinet",
            "For example CVE-2024-3400, Fortinet",
        ),
        "search_button" => ("検索", "Search"),
        "kev_entries" => ("件", "entries"),
        "kev_none" => ("該当するエントリはありません。", "No entries match."),
        "kev_proposed" => ("提案中", "Proposed"),
        "col_vendor_product" => ("ベンダー・製品", "Vendor and product"),
        "col_vulnerability" => ("脆弱性", "Vulnerability"),
        "col_date_added" => ("追加日", "Added"),
        "col_due" => ("対応期限", "Due"),
        "col_vendor_status" => ("ベンダーの対応状況", "Vendor status"),
        "required_action" => ("必要な対応", "Required action"),
        "ransomware" => ("ランサムウェアで悪用", "Used by ransomware"),
        "national_due" => ("国内の対応期限", "national due date"),
        "kev_due" => ("KEV の期限", "KEV due date"),
        "vendor_sent" => ("連絡済み", "Notified"),
        "vendor_acknowledged" => ("受領確認", "Acknowledged"),
        "vendor_fix_planned" => ("修正予定", "Fix planned"),
        "vendor_fixed" => ("修正済み", "Fixed"),
        "vendor_no_fix" => ("修正なし", "No fix"),
        // Assets.
        "assets_title" => ("自組織の資産", "My assets"),
        "exposure_title" => ("影響を受ける資産", "Which of my assets are affected"),
        "no_exposure" => (
            "カタログのエントリに該当する資産はありません。",
            "No catalogue entry affects your assets.",
        ),
        "my_assets" => ("登録済みの資産", "My assets"),
        "no_assets" => (
            "資産はまだ登録されていません。",
            "No assets registered yet.",
        ),
        "col_version" => ("バージョン", "Version"),
        "col_identifier" => ("CPE・purl", "CPE and purl"),
        "sector_service" => ("支える重要サービス", "Sector service it supports"),
        "internet_facing" => ("インターネットに公開", "Internet-facing"),
        "prev_page" => ("前のページ", "Previous page"),
        "my_sboms" => ("登録済みの SBOM", "My SBOMs"),
        "col_format" => ("形式", "Format"),
        "col_components" => ("コンポーネント数", "Components"),
        "add_asset" => ("資産を追加", "Add an asset"),
        "vendor" => ("ベンダー", "Vendor"),
        "product" => ("製品", "Product"),
        "model" => ("型番", "Model"),
        "cpe_hint" => (
            "例: cpe:2.3:o:fortinet:fortios:7.0.12:*:*:*:*:*:*:*（空欄ならベンダー・製品から推定）",
            "For example cpe:2.3:o:fortinet:fortios:7.0.12:*:*:*:*:*:*:* (derived from vendor and product when empty)",
        ),
        "purl_hint" => (
            "例: pkg:npm/lodash@4.17.20",
            "For example pkg:npm/lodash@4.17.20",
        ),
        "add_asset_button" => ("追加", "Add"),
        "asset_added" => ("資産を追加しました。", "Asset added."),
        "asset_removed" => ("削除しました。", "Removed."),
        "import_csv" => ("CSV で一括登録", "Import from CSV"),
        "csv_text" => ("または CSV を貼り付け", "or paste the CSV"),
        "csv_hint" => (
            "1 行目は見出し: vendor,product,version,model,cpe,purl,sector_service,internet_facing（使う列だけ、順不同）。1 行でも誤りがあれば何も登録しません。",
            "First line is the header: vendor,product,version,model,cpe,purl,sector_service,internet_facing (only the columns used, any order). A bad line imports nothing.",
        ),
        "import_button" => ("一括登録", "Import"),
        "assets_imported" => ("登録した資産の数:", "Assets imported:"),
        "upload_sbom" => ("SBOM を登録", "Register an SBOM"),
        "sbom_text" => ("または SBOM を貼り付け", "or paste the SBOM"),
        "sbom_hint" => (
            "CycloneDX 1.5/1.6 または SPDX 2.3 の JSON。16 MiB まで。それより大きいものは API で登録してください。",
            "CycloneDX 1.5/1.6 or SPDX 2.3 JSON, up to 16 MiB; larger ones through the API.",
        ),
        "upload_button" => ("登録", "Register"),
        "sbom_uploaded" => ("SBOM を登録しました。", "SBOM registered."),
        // Constituency.
        "constituency_title" => ("自組織の範囲（コンスティチュエンシー）", "My constituency"),
        "constituency_intro" => (
            "自組織が保有する IP アドレス範囲・AS 番号・ドメインを登録します。調整機関が確認した登録だけが有効になり、観測記録と共有指標の振り分けに使われます。登録は自組織と調整機関だけが見られます。",
            "Register the IP ranges, AS numbers and domains your organisation owns. Only entries the coordinator has verified take effect and route observations and shared indicators to you. Only you and the coordinator see them.",
        ),
        "my_entries" => ("登録済みの範囲", "My entries"),
        "no_entries" => ("登録はまだありません。", "No entries yet."),
        "col_value" => ("値", "Value"),
        "col_in_effect" => ("有効", "In effect"),
        "col_registered" => ("登録日時", "Registered"),
        "col_note" => ("調整機関のメモ", "Coordinator's note"),
        "col_member" => ("会員", "Member"),
        "kind_cidr" => ("IP アドレス範囲 (CIDR)", "IP range (CIDR)"),
        "kind_asn" => ("AS 番号", "AS number"),
        "kind_domain" => ("ドメイン", "Domain"),
        "cstatus_pending" => ("確認待ち", "Pending"),
        "cstatus_held" => ("保留（重複）", "Held (overlap)"),
        "cstatus_verified" => ("確認済み", "Verified"),
        "cstatus_rejected" => ("却下", "Rejected"),
        "overlaps_another" => (
            "他の会員の登録と重複しています",
            "overlaps another member's entry",
        ),
        "remove" => ("削除", "Remove"),
        "register_entry" => ("範囲を登録", "Register an entry"),
        "entry_value_hint" => (
            "例: 192.0.2.0/24、2001:db8::/32、AS64500、example.jp",
            "For example 192.0.2.0/24, 2001:db8::/32, AS64500, example.jp",
        ),
        "ownership" => ("保有の根拠", "Ownership statement"),
        "ownership_hint" => (
            "割り当て元、登録者、契約など、保有を確認できる情報を書いてください。",
            "How you own it: the allocation, the registrant, the contract.",
        ),
        "register_button" => ("登録を申請", "Register"),
        "constituency_registered" => (
            "登録しました。調整機関の確認後に有効になります。",
            "Registered. It takes effect once the coordinator verifies it.",
        ),
        "constituency_removed" => ("登録を削除しました。", "Entry removed."),
        "constituency_verified" => ("登録を確認しました。", "Entry verified."),
        "constituency_rejected" => ("登録を却下しました。", "Entry rejected."),
        "constituency_queue" => ("確認待ちの登録", "Entries awaiting a decision"),
        "queue_empty" => ("確認待ちの登録はありません。", "Nothing is waiting."),
        "overlaps_with" => ("重複先", "Overlaps with"),
        "accept_overlap" => ("重複を承知で確認する", "Accept the overlap"),
        "verify_button" => ("確認する", "Verify"),
        "reject_note" => ("却下の理由", "Reason to reject"),
        "reject_button" => ("却下する", "Reject"),
        "overlaps_title" => ("会員間の重複", "Overlaps between members"),
        "no_overlaps" => ("重複はありません。", "No overlaps."),
        // Observations.
        "observations_title" => ("観測（自組織への該当）", "My observations"),
        "observations_intro" => (
            "センサーの観測記録のうち、自組織の確認済みの範囲に該当したものです。他の会員には見えません。範囲の登録は",
            "Sensor records that hit your verified constituency. No other member sees them. Register ranges under",
        ),
        "last_30_days" => ("直近 30 日", "Last 30 days"),
        "col_records" => ("記録数", "Records"),
        "packets" => ("パケット・イベント数", "Packets or events"),
        "records_per_day" => ("日別の該当記録数", "Records per day"),
        "by_tag" => ("タグ別", "By tag"),
        "by_sensor_type" => ("センサー種別別", "By sensor type"),
        "col_name" => ("名前", "Name"),
        "sensor_darknet" => ("ダークネット", "Darknet"),
        "sensor_honeypot" => ("ハニーポット", "Honeypot"),
        "sensor_sinkhole" => ("シンクホール", "Sinkhole"),
        "sensor_scan" => ("インターネットスキャン", "Internet scan"),
        "untagged" => ("（タグなし）", "(untagged)"),
        "digest_title" => ("日次ダイジェスト (CSV)", "Daily digest (CSV)"),
        "digest_day" => ("日付 (UTC)", "Day (UTC)"),
        "digest_download" => ("CSV をダウンロード", "Download the CSV"),
        "latest_hits" => ("最近の該当", "Latest hits"),
        "no_hits" => (
            "直近 7 日間の該当はありません。",
            "No hits in the last 7 days.",
        ),
        "col_time" => ("日時", "Time"),
        "col_sensor_type" => ("センサー種別", "Sensor type"),
        "col_source" => ("送信元", "Source"),
        "col_port" => ("ポート", "Port"),
        "col_tag" => ("タグ", "Tag"),
        "col_matched" => ("該当した範囲", "What matched"),
        "col_precision" => ("精度", "Precision"),
        "indicators_in_constituency" => (
            "自組織の範囲内の共有指標",
            "Shared indicators inside my constituency",
        ),
        "no_indicator_hits" => ("ありません。", "None."),
        // Trends.
        "trends_title" => ("観測動向（協議会全体）", "Council-wide trends"),
        "trends_intro" => (
            "全センサーの観測を日別に集計したものです。会員名は含みません。",
            "All sensors' observations counted by day. They name no member.",
        ),
        "packets_per_port" => ("ポート別パケット数", "Packets per port"),
        "top_tags" => ("タグ別観測数", "Top tags"),
        "campaigns" => ("新規・急増キャンペーン", "New and surging campaigns"),
        "no_campaigns" => ("ありません。", "None."),
        "col_campaign_kind" => ("種類", "Kind"),
        "col_target" => ("対象", "Target"),
        "col_first_seen" => ("初観測日", "First seen"),
        "col_recent_packets" => ("直近 3 日のパケット数", "Packets, last 3 days"),
        "col_baseline" => ("それ以前の 1 日平均", "Daily mean before"),
        "campaign_new" => ("新規", "New"),
        "campaign_surge" => ("急増", "Surge"),
        "nav_settings" => ("設定", "Settings"),
        "logout" => ("ログアウト", "Log out"),
        "switch_lang" => ("English", "日本語"),
        "signed_in_as" => ("ログイン中", "Signed in as"),
        "times_in_jst" => (
            "時刻はすべて日本標準時 (JST) です。",
            "All times are Japan Standard Time (JST).",
        ),
        // Login.
        "login_title" => ("ログイン", "Log in"),
        "login_name" => ("ログイン名", "Login"),
        "password" => ("パスワード", "Password"),
        "login_button" => ("ログイン", "Log in"),
        "login_failed" => (
            "ログイン名またはパスワードが違います。",
            "Wrong login or password.",
        ),
        "login_expired" => (
            "セッションの有効期限が切れました。もう一度ログインしてください。",
            "Your session has ended. Please log in again.",
        ),
        "too_many_attempts" => (
            "試行回数が多すぎます。しばらく待ってからやり直してください。",
            "Too many attempts. Wait a moment and try again.",
        ),
        "totp_title" => ("二要素認証", "Two-factor authentication"),
        "totp_code" => (
            "認証アプリの6桁のコード",
            "6-digit code from your authenticator app",
        ),
        "totp_button" => ("確認", "Verify"),
        "totp_wrong" => (
            "コードが正しくないか、すでに使用されています。",
            "The code is wrong or was already used.",
        ),
        "totp_too_many" => (
            "誤ったコードが多すぎます。最初からログインしてください。",
            "Too many wrong codes. Please log in again from the start.",
        ),
        "totp_hint" => (
            "認証アプリ (Google Authenticator、Microsoft Authenticator など) に表示されている6桁のコード、または認証アプリを失った場合は回復コードを入力してください。",
            "Enter the 6-digit code your authenticator app (Google Authenticator, Microsoft Authenticator, …) shows, or, if you lost it, one of your recovery codes.",
        ),
        // Dashboard.
        "dashboard_title" => ("ダッシュボード", "Dashboard"),
        "totp_nag" => (
            "二要素認証が設定されていません。パスワードだけのログインは安全ではありません。",
            "Two-factor authentication is not set up. Logging in with a password alone is not safe.",
        ),
        "totp_nag_link" => ("今すぐ設定する", "Set it up now"),
        "new_alerts" => ("未確認の早期警戒", "Unacknowledged alerts"),
        "no_new_alerts" => (
            "未確認の早期警戒はありません。",
            "No unacknowledged alerts.",
        ),
        "owed_feedback" => ("フィードバック待ちの情報", "Items awaiting your feedback"),
        "no_owed_feedback" => (
            "フィードバック待ちの情報はありません。",
            "Nothing awaits your feedback.",
        ),
        "deadline" => ("期限", "Deadline"),
        "overdue" => ("期限切れ", "Overdue"),
        "my_consultations" => ("自組織の相談", "Your consultations"),
        "open_consultations" => ("受付中", "open"),
        "all_consultations" => ("件 (全体)", "in all"),
        "ledger_title" => ("貢献度 (ギブアンドテイク)", "Give and take"),
        "ledger_originals" => ("提供した情報", "Items provided"),
        "ledger_received" => ("受け取ったタスクフォース情報", "Task-force items received"),
        "ledger_on_time" => ("期限内の回答", "Answered on time"),
        "ledger_late" => ("期限後の回答", "Answered late"),
        "ledger_missing" => ("未回答 (期限切れ)", "Unanswered (past deadline)"),
        "ledger_owed" => ("回答待ち", "Still open"),
        "free_rider_warning" => (
            "現在の基準ではフリーライダーと判定されています。フィードバックと情報提供をお願いします。",
            "By the council's rule you currently count as a free rider: please give feedback and share.",
        ),
        "ledger_ok" => ("基準を満たしています。", "You meet the council's rule."),
        // Items.
        "items_title" => ("共有情報", "Shared items"),
        "search" => ("検索", "Search"),
        "search_indicator" => (
            "指標 (IP・ドメイン・ハッシュなど)",
            "Indicator (IP, domain, hash, …)",
        ),
        "filter_kind" => ("種別", "Kind"),
        "filter_confidence" => ("確度", "Confidence"),
        "filter_sector" => ("被害分野", "Victim's sector"),
        "any" => ("すべて", "Any"),
        "mine_only" => ("自組織の提供分のみ", "Only items my member provided"),
        "no_items" => ("該当する情報はありません。", "No items match."),
        "next_page" => ("次のページ", "Next page"),
        "first_page" => ("最初のページ", "First page"),
        "col_title" => ("件名", "Title"),
        "col_kind" => ("種別", "Kind"),
        "col_confidence" => ("確度", "Confidence"),
        "col_tlp" => ("TLP", "TLP"),
        "col_shared" => ("共有日時", "Shared"),
        "col_status" => ("状態", "Status"),
        "kind_threat_information" => ("脅威情報", "Threat information"),
        "kind_analysis" => ("分析情報", "Analysis"),
        "kind_countermeasure" => ("対策情報", "Countermeasure"),
        "kind_best_practice" => ("ベストプラクティス", "Best practice"),
        "confidence_unconfirmed" => ("未確認", "Unconfirmed"),
        "confidence_probable" => ("可能性高", "Probable"),
        "confidence_confirmed" => ("確認済み", "Confirmed"),
        "status_shared" => ("共有中", "Shared"),
        "status_retracted" => ("撤回済み", "Retracted"),
        "via_coordinator" => (
            "提供元: 調整機関経由 (提供者は非公開)",
            "Source: relayed by the coordinator (provider not disclosed)",
        ),
        "provided_by_you" => (
            "自組織が提供した情報です。",
            "Your member provided this item.",
        ),
        "provider" => ("提供者", "Provider"),
        "provider_sector" => ("提供者の分野", "Provider's sector"),
        "your_view" => ("あなたへの表示範囲", "What you see"),
        "executive_context" => ("経営層向けの背景", "Context for executives"),
        "technical_details" => ("技術詳細", "Technical details"),
        "technical_hidden" => (
            "技術詳細はあなたの区分には開示されません。",
            "Technical details are not disclosed to your class.",
        ),
        "countermeasures" => ("対策", "Countermeasures"),
        "victim" => ("被害", "Victim"),
        "victim_name" => ("被害組織名", "Victim's name"),
        "victim_name_hidden" => (
            "被害組織名は開示されません。",
            "The victim's name is not disclosed.",
        ),
        "victim_sector" => ("被害組織の分野", "Victim's sector"),
        "damaged" => ("被害の有無", "Damage"),
        "damage_yes" => ("あり", "Yes"),
        "damage_no" => ("なし", "No"),
        "damage_details" => ("被害の詳細", "Damage details"),
        "damage_details_hidden" => (
            "被害の詳細はあなたの区分には開示されません。",
            "Damage details are not disclosed to your class.",
        ),
        "indicators" => ("指標 (IoC)", "Indicators"),
        "indicator_type" => ("種類", "Type"),
        "indicator_value" => ("値", "Value"),
        "techniques" => ("ATT&CK 手法", "ATT&CK techniques"),
        "cves" => ("CVE", "CVEs"),
        "products" => ("影響製品", "Affected products"),
        "scope" => ("共有範囲", "Scope"),
        "revision" => ("版", "Revision"),
        "updated" => ("更新", "Updated"),
        "feedback_title" => ("フィードバック", "Feedback"),
        "feedback_ask" => (
            "この情報はあなたの組織に来ていますか?",
            "Has this reached your organisation?",
        ),
        "sighting_seen" => ("来ている", "Seen here"),
        "sighting_not_seen" => ("来ていない", "Not seen"),
        "sighting_unknown" => ("わからない", "Can't tell"),
        "feedback_comment" => ("コメント (任意)", "Comment (optional)"),
        "opinion" => ("専門家としての意見", "Expert opinion"),
        "opinion_agree" => ("同意", "Agree"),
        "opinion_disagree" => ("異議", "Disagree"),
        "opinion_supplement" => ("補足", "Supplement"),
        "opinion_comment" => ("意見の内容", "Your opinion"),
        "send_opinion" => ("意見を送る", "Send opinion"),
        "feedback_thanks" => (
            "回答を記録しました。ありがとうございます。",
            "Your answer was recorded. Thank you.",
        ),
        "your_answer" => ("あなたの組織の回答", "Your member's answer"),
        "change_answer" => ("回答を変更できます。", "You may change it."),
        "feedback_tally" => ("回答の集計", "Answers so far"),
        "tally_total" => ("回答数", "Answers"),
        "shared_ok" => ("共有しました。", "Shared."),
        // Submit.
        "new_item_title" => ("情報を共有する", "Share an item"),
        "preview_title" => (
            "共有前の確認: 誰に何が見えるか",
            "Before sharing: who will see what",
        ),
        "content" => ("内容", "Content"),
        "title" => ("件名", "Title"),
        "kind" => ("種別", "Kind"),
        "confidence" => ("確度", "Confidence"),
        "tlp" => ("TLP", "TLP"),
        "indicators_help" => (
            "1行に1つ。「種類 値」(例: ipv4 192.0.2.1) または値のみ (種類は自動判定)。",
            "One per line: \"type value\" (e.g. ipv4 192.0.2.1) or just the value (its type is guessed).",
        ),
        "cves_help" => (
            "空白またはカンマ区切り (例: CVE-2024-3400)",
            "Separated by spaces or commas (e.g. CVE-2024-3400)",
        ),
        "techniques_help" => (
            "空白またはカンマ区切り (例: T1566.001)",
            "Separated by spaces or commas (e.g. T1566.001)",
        ),
        "victim_section" => ("被害 (任意)", "Victim (optional)"),
        "victim_damaged" => ("被害が発生した", "Damage occurred"),
        "none_selected" => ("指定なし", "Not given"),
        "scope_editor" => ("共有範囲 (誰に届けるか)", "Scope (who receives it)"),
        "scope_classes" => ("届ける区分", "Classes that receive it"),
        "scope_sectors" => (
            "分野で絞り込む (未選択ならすべての分野)",
            "Only these sectors (none ticked: every sector)",
        ),
        "scope_members" => (
            "個別に追加する構成員 (仮名、1行に1つ)",
            "Also these members (pseudonyms, one per line)",
        ),
        "scope_excluded" => (
            "除外する構成員 (仮名、1行に1つ)",
            "Never these members (pseudonyms, one per line)",
        ),
        "regulators_box" => ("所管省庁への共有", "Regulators (所管省庁)"),
        "exclude_my_regulators" => (
            "自組織の分野の所管省庁には共有しない",
            "Keep it from the regulators of my sector",
        ),
        "exclude_all_regulators" => (
            "すべての所管省庁に共有しない",
            "Keep it from every regulator",
        ),
        "regulators_note" => (
            "チェックしない場合、範囲内の所管省庁もこの情報を受け取ります。",
            "Unless ticked, regulators in the scope receive this item too.",
        ),
        "show_provider_sector" => ("受信者に自組織の分野を示す", "Let recipients see my sector"),
        "preview_button" => ("誰に何が見えるかを確認する", "Preview who will see what"),
        "edit_button" => ("修正する", "Edit"),
        "share_button" => ("この内容で共有する", "Share it"),
        "preview_intro" => (
            "現在の構成員に対して実際の開示ルールを適用した結果です。まだ共有されていません。",
            "This is the council's disclosure rule run over today's members. Nothing has been shared yet.",
        ),
        "recipients_by_class" => ("区分ごとの受信者", "Recipients by class"),
        "recipients_by_role" => ("役割ごとの受信者", "Recipients by role"),
        "reached" => ("届く", "Receive it"),
        "of_members" => ("対象構成員数", "Members"),
        "regulators_excluded" => ("所管省庁には届きません。", "No regulator will receive it."),
        "regulators_reached" => ("所管省庁にも届きます。", "Regulators will receive it."),
        "what_each_sees" => ("受信者ごとに見える項目", "What each audience sees"),
        "part" => ("項目", "Part"),
        "part_summary" => (
            "件名・背景・対策・指標",
            "Title, context, countermeasures, indicators",
        ),
        "part_technical" => ("技術詳細", "Technical details"),
        "part_damage" => ("被害の詳細", "Damage details"),
        "part_victim_name" => ("被害組織名", "Victim's name"),
        "part_provider" => ("提供者", "Provider"),
        "shown" => ("表示", "shown"),
        "hidden" => ("非表示", "hidden"),
        "audience_full" => ("調整機関", "Coordinator"),
        "audience_class1" => ("第一類", "Class 1"),
        "audience_class2" => ("第二類 (マスク済み)", "Class 2 (masked)"),
        "audience_general" => ("一般", "General"),
        "nobody_else" => (
            "他の構成員には届きません。",
            "No other member will receive it.",
        ),
        "unknown_pseudonym" => (
            "この仮名の構成員は見つかりません",
            "No active member has this pseudonym",
        ),
        "fix_errors" => ("入力内容を確認してください", "Please check the form"),
        // Alerts.
        "alerts_title" => ("早期警戒", "Alerts"),
        "new_alert" => ("早期警戒を発出する", "Issue an alert"),
        "no_alerts" => ("早期警戒はありません。", "No alerts."),
        "col_severity" => ("重要度", "Severity"),
        "col_issued" => ("発出日時", "Issued"),
        "col_receipt" => ("自組織の状況", "Your status"),
        "severity_critical" => ("緊急", "Critical"),
        "severity_high" => ("高", "High"),
        "severity_medium" => ("中", "Medium"),
        "severity_low" => ("低", "Low"),
        "exercise" => ("訓練", "Exercise"),
        "exercise_flag" => ("訓練として発出する", "This is an exercise"),
        "receipt_none" => ("未確認", "Not acknowledged"),
        "receipt_read" => ("確認済み", "Acknowledged"),
        "receipt_acted" => ("対応済み", "Handled"),
        "ack_button" => ("確認", "Acknowledge"),
        "acted_button" => ("対応済み", "Handled"),
        "withdrawn" => ("撤回済み", "Withdrawn"),
        "alert_via" => (
            "発出: 協議会 (調整機関経由)",
            "Issued by the council, through the coordinator",
        ),
        "action_required" => ("求める対応", "Action required"),
        "deadline_text" => ("対応期限", "Deadline"),
        "body_executive" => ("経営層向け", "For executives"),
        "body_analyst" => ("担当者向け", "For analysts"),
        "related_items" => ("関連する共有情報", "Related items"),
        "affected_assets" => ("影響を受ける自組織の資産", "Your affected assets"),
        "progress" => ("配信状況", "Delivery progress"),
        "targeted" => ("対象", "Targeted"),
        "delivered" => ("配信済み", "Delivered"),
        "read" => ("確認済み", "Acknowledged"),
        "acted" => ("対応済み", "Handled"),
        "total" => ("合計", "Total"),
        "by_class" => ("区分別", "By class"),
        "by_sector" => ("分野別", "By sector"),
        "deliveries" => ("配信 (チャネル別の状態)", "Deliveries by status"),
        "not_reached" => ("未到達の構成員", "Members not reached"),
        "not_reached_by_product" => (
            "製品条件で対象となった未到達の構成員数",
            "Members targeted by product not yet reached",
        ),
        "target" => ("対象", "Target"),
        "target_all" => ("すべての構成員", "Every member"),
        "target_classes" => ("区分", "Classes"),
        "target_sectors" => ("分野", "Sectors"),
        "issue_button" => ("発出する", "Issue"),
        "only_issuers" => (
            "早期警戒を発出できるのは調整機関と指定された構成員のみです。",
            "Only the coordinator and the members it designates issue alerts.",
        ),
        "issued_ok" => ("発出しました。", "Issued."),
        "acked_ok" => ("記録しました。", "Recorded."),
        // Consultations.
        "consultations_title" => ("相談", "Consultations"),
        "no_consultations" => ("相談はありません。", "No consultations."),
        "col_subject" => ("件名", "Subject"),
        "col_asked" => ("相談日時", "Asked"),
        "col_replies" => ("回答数", "Replies"),
        "col_mine" => ("自組織", "Mine"),
        "consultation_open" => ("受付中", "Open"),
        "consultation_closed" => ("終了", "Closed"),
        "yes" => ("はい", "Yes"),
        "no" => ("いいえ", "No"),
        // Settings.
        "settings_title" => ("設定", "Settings"),
        "language" => ("表示言語", "Language"),
        "save" => ("保存", "Save"),
        "totp_status_on" => ("二要素認証は有効です。", "Two-factor authentication is on."),
        "totp_status_off" => (
            "二要素認証は設定されていません。",
            "Two-factor authentication is off.",
        ),
        "totp_setup" => ("二要素認証を設定する", "Set up two-factor authentication"),
        "totp_enrol_title" => ("二要素認証の設定", "Set up two-factor authentication"),
        "totp_enrol_steps" => (
            "認証アプリで QR コードを読み取り、表示された6桁のコードを入力してください。",
            "Scan the QR code with your authenticator app, then enter the 6-digit code it shows.",
        ),
        "totp_secret_text" => (
            "QR コードを読み取れない場合は、このキーを手入力してください",
            "If you cannot scan the code, type this key",
        ),
        "totp_enrolled" => (
            "二要素認証を設定しました。次回から、ログイン時にコードを入力します。",
            "Two-factor authentication is on. From now on you enter a code when you log in.",
        ),
        "sessions" => ("セッション", "Sessions"),
        "logout_everywhere" => ("すべての端末からログアウト", "Log out everywhere"),
        "logout_everywhere_help" => (
            "このアカウントのすべてのブラウザのセッションを終了します。",
            "Ends every browser session of this account.",
        ),
        "lang_saved" => ("表示言語を保存しました。", "Language saved."),
        // One consultation, asking.
        "new_consultation" => ("第一類に相談する", "Ask the class-1 group"),
        "consultation_intro" => (
            "質問は調整機関を経由して第一類の専門家に届きます。専門家には貴会員の名前は伝わりません。",
            "The question reaches the class-1 experts through the coordinator; they are not told your member's name.",
        ),
        "consultation_question" => ("質問", "Question"),
        "ask_button" => ("相談を送る", "Send the question"),
        "consultation_asked" => ("相談を送りました。", "Question sent."),
        "consultation_replied" => ("回答を送りました。", "Reply sent."),
        "consultation_closed_ok" => ("相談を終了しました。", "Consultation closed."),
        "consultation_via" => ("調整機関経由", "Relayed by the coordinator"),
        "consultation_asker" => ("相談者", "Asked by"),
        "consultation_mine" => ("自会員", "Your member"),
        "no_replies" => ("まだ回答はありません。", "No replies yet."),
        "reply_title" => ("回答する", "Reply"),
        "reply_text" => ("助言", "Advice"),
        "reply_hint" => (
            "相談者には、この相談限りの仮名で表示されます。",
            "The asker sees you under a pseudonym for this consultation only.",
        ),
        "reply_button" => ("回答を送る", "Send the reply"),
        "close_consultation" => ("相談を終了する", "Close the consultation"),
        "back_to_consultations" => ("相談の一覧へ", "Back to consultations"),
        // Member administration.
        "nav_members" => ("会員管理", "Members"),
        "members_title" => ("会員管理", "Member administration"),
        "applications" => ("審査待ちの入会申請", "Applications waiting"),
        "no_applications" => ("審査待ちの申請はありません。", "No applications waiting."),
        "class_requests" => ("区分変更の申請", "Class-change requests"),
        "no_class_requests" => (
            "審査待ちの区分変更はありません。",
            "No class-change requests waiting.",
        ),
        "member_list" => ("会員一覧", "Members"),
        "pseudonym" => ("仮名", "Pseudonym"),
        "member_class" => ("区分", "Class"),
        "member_roles" => ("役割", "Roles"),
        "foreign_affiliated" => ("外資系", "Foreign-affiliated"),
        "contact" => ("連絡先", "Contact"),
        "approvals" => ("承認数", "Approvals"),
        "approve" => ("承認", "Approve"),
        "reject" => ("却下", "Reject"),
        "reject_reason" => ("却下の理由", "Reason for rejecting"),
        "vote_recorded" => ("承認を記録しました。", "Approval recorded."),
        "rejection_recorded" => ("却下を記録しました。", "Rejection recorded."),
        // The audit log.
        "nav_audit" => ("監査ログ", "Audit log"),
        "audit_title" => ("監査ログ", "Audit log"),
        "audit_intro" => (
            "すべての操作の記録です（新しい順）。各記録は前の記録のハッシュで連鎖しています。連鎖の検証は tsunagu audit verify で行います。",
            "Every action recorded, newest first. Each entry is chained to the one before by its hash; tsunagu audit verify checks the chain.",
        ),
        "audit_target_filter" => ("対象の ID", "Target id"),
        "audit_empty" => ("記録はありません。", "No entries."),
        "audit_system" => ("システム", "System"),
        "col_actor" => ("実行者", "Actor"),
        "col_action" => ("操作", "Action"),
        "col_details" => ("詳細", "Details"),
        "col_hash" => ("ハッシュ", "Hash"),
        // Delivery channels and API tokens.
        "settings_api" => ("配信先と API", "Delivery and API"),
        "channels_title" => ("配信先", "Delivery channels"),
        "channels_intro" => (
            "早期警戒は、ここに登録した Webhook とメールアドレスにも配信されます。",
            "Alerts are also delivered to the webhooks and e-mail addresses registered here.",
        ),
        "no_channels" => (
            "配信先は登録されていません。",
            "No delivery channels registered.",
        ),
        "col_address" => ("URL またはアドレス", "URL or address"),
        "col_in_flight" => ("同時配信数", "In flight at most"),
        "kind_webhook" => ("Webhook", "Webhook"),
        "kind_email" => ("メール", "E-mail"),
        "active" => ("有効", "Active"),
        "inactive" => ("無効", "Inactive"),
        "deactivate" => ("無効にする", "Deactivate"),
        "add_channel" => ("配信先を追加", "Add a channel"),
        "channel_address_hint" => (
            "Webhook は http(s):// の URL、メールはアドレスを入力してください。",
            "A webhook takes an http(s):// URL, e-mail an address.",
        ),
        "channel_added" => ("配信先を追加しました", "Channel added"),
        "channel_removed" => ("配信先を無効にしました。", "Channel deactivated."),
        "channels_admin_only" => (
            "ここで追加する配信先は、あなた個人の宛先です。会員全体の配信先は管理者が追加します。",
            "A channel you add here is your own address; the member's admins add member-wide ones.",
        ),
        "col_channel_owner" => ("宛先", "For"),
        "clearance_required" => ("必要なクリアランス", "Clearance required"),
        "clearance_none" => ("不要", "None"),
        "clearance_hint" => (
            "指定すると、範囲内の会員でもこのレベル以上のクリアランスを持つ利用者にしか存在すら見えません。",
            "If set, even users of members in scope see the item only when they hold this level or a higher one.",
        ),
        "clearance_preview" => (
            "この情報は、下の会員のうち次のクリアランスを持つ利用者だけに届きます:",
            "Only users of the members below who hold this clearance will see it:",
        ),
        "clearance_badge" => ("要クリアランス", "Clearance"),
        "tearline_link" => ("公開版（ティアライン）", "Releasable version (tearline)"),
        "my_clearances" => ("自分のクリアランス", "My clearances"),
        "no_clearances" => ("クリアランスはありません。", "You hold no clearance."),
        "col_level" => ("レベル", "Level"),
        "users_title" => ("利用者", "Users"),
        "users_intro" => (
            "この会員の利用者です。認証アプリを失くした利用者の二要素認証を解除すると、その利用者はパスワードでログインし、新しい認証アプリを登録します。",
            "This member's users. Resetting the second factor of a user who lost its authenticator lets it log in with its password and enrol a new one.",
        ),
        "col_role" => ("役割", "Role"),
        "actions" => ("操作", "Actions"),
        "totp_on" => ("有効", "On"),
        "totp_off" => ("未設定", "Not set"),
        "reset_second_factor" => ("二要素認証を解除", "Reset second factor"),
        "second_factor_reset_done" => (
            "二要素認証を解除しました。その利用者のセッションは終了しました。",
            "Second factor reset; the user's sessions ended.",
        ),
        "disable_user" => ("無効にする", "Disable"),
        "user_disabled_done" => (
            "利用者を無効にしました。トークンとセッションは失効しました。",
            "User disabled; its tokens and sessions ended.",
        ),
        "manage_users" => ("利用者の管理", "Manage users"),
        "nav_clearances" => ("クリアランス", "Clearances"),
        "clearances_title" => ("セキュリティ・クリアランス", "Security clearances"),
        "clearances_intro" => (
            "クリアランスは利用者個人に付与されます。要クリアランスの情報は、そのレベル以上のクリアランスを有効期間中に持つ利用者にしか存在すら見えません。",
            "Clearances belong to users. An item requiring a level exists only for users who hold that level, or a higher one, while it is valid.",
        ),
        "grant_clearance" => ("クリアランスを付与", "Grant a clearance"),
        "clearance_granted" => ("クリアランスを付与しました。", "Clearance granted."),
        "clearance_revoked" => ("クリアランスを取り消しました。", "Clearance revoked."),
        "clearance_pending" => ("開始前", "Not yet started"),
        "clearance_expires_hint" => (
            "この日の終わり（日本時間）まで有効です。",
            "Valid until the end of this day (JST).",
        ),
        "revoke_reason" => ("取消の理由", "Reason for revoking"),
        "col_from" => ("開始", "From"),
        "col_basis" => ("根拠", "Basis"),
        "channel_personal" => ("個人", "Personal"),
        "channel_member_wide" => ("会員全体", "Whole member"),
        "cleared_at" => ("クリアランス登録", "Cleared at"),
        "channel_personal_box" => (
            "自分個人の宛先として登録する（自分が閲覧を許可された情報だけが届きます）",
            "My own address (it receives only what I may see, cleared items included)",
        ),
        "webhook_secret" => ("署名用シークレット", "Signing secret"),
        "secret_once" => (
            "この値は今回だけ表示されます。今すぐ安全な場所に保管してください。",
            "This is shown only this once: store it somewhere safe now.",
        ),
        "tokens_title" => ("API トークン", "API tokens"),
        "tokens_intro" => (
            "API トークンで、スクリプトやツールからこのアカウントとして API を利用できます。",
            "An API token lets scripts and tools use the API as this account.",
        ),
        "no_tokens" => ("トークンはありません。", "No tokens."),
        "col_created" => ("作成", "Created"),
        "col_expires" => ("有効期限", "Expires"),
        "revoke" => ("失効させる", "Revoke"),
        "new_token" => ("トークンを作成", "Create a token"),
        "token_name_hint" => (
            "用途が分かる名前（例: 取込スクリプト）",
            "A name that says what uses it (e.g. the import script)",
        ),
        "token_days" => ("有効日数", "Lifetime in days"),
        "token_created" => ("トークンを作成しました", "Token created"),
        "token_secret" => ("トークン", "Token"),
        "token_revoked" => ("トークンを失効させました。", "Token revoked."),
        "token_revoked_badge" => ("失効", "Revoked"),
        "token_expired" => ("期限切れ", "Expired"),
        // Classes and roles.
        "class1" => ("第一類", "Class 1"),
        "class2" => ("第二類", "Class 2"),
        "general" => ("一般", "General"),
        "partner" => ("連携先", "Partner"),
        "nav_partners" => ("連携先", "Partners"),
        "partners_title" => (
            "連携先（他の協議会・ISAC・海外の連携機関）",
            "Partners (other councils, ISACs, foreign partners)",
        ),
        "partners_intro" => (
            "連携先には、提供者が範囲に「連携先」を含めた情報のうち、協定（対象の分類・TLP の上限・分野）が認めるものだけが、提供者と被害組織名を伏せて届きます。連携先はトークンで TAXII 2.1 から取得します。",
            "Partners receive only items whose provider put partners in the scope and that their agreement allows (audience classes, highest TLP, sectors), with the provider and the victim's name masked. They pull them over TAXII 2.1 with their token.",
        ),
        "no_partners" => ("連携先はまだありません。", "No partners yet."),
        "agreement_classes" => ("対象の分類", "Audience classes"),
        "agreement_max_tlp" => ("TLP の上限", "Highest TLP"),
        "agreement_sectors" => ("分野", "Sectors"),
        "partner_linked" => (
            "送信先を設定しました。数秒以内に送信が始まります。",
            "Push link set: sending starts within seconds.",
        ),
        "sync_col" => ("送信の状況", "Push status"),
        "sync_pull_only" => (
            "送信先未設定（連携先が取得）",
            "No push link (the partner pulls)",
        ),
        "sync_failing" => ("送信できていません", "Failing"),
        "sync_ok" => ("正常", "OK"),
        "sync_next" => ("次の再試行:", "Next retry:"),
        "sync_last_success" => ("最終成功", "Last success"),
        "sync_backlog" => ("未送信", "Backlog"),
        "sync_pushed" => ("送信済み", "Sent"),
        "sync_refused" => ("先方が拒否", "Refused by the partner"),
        "link_partner" => ("送信先を設定", "Set the push link"),
        "link_hint" => (
            "連携先の TAXII 2.1 コレクション（受付用）と、連携先がこの協議会に発行した API トークンを入力します。連携先に見せてよいものだけが、取り消し・範囲の縮小も含めて数秒以内に送られます。",
            "The partner's TAXII 2.1 collection that takes submissions, and the API token the partner issued to this council. Only what the partner may see is sent, with retractions and narrowings, within seconds.",
        ),
        "link_which" => ("連携先", "Partner"),
        "link_url" => ("コレクションの URL", "Collection URL"),
        "link_token" => ("連携先が発行したトークン", "Token the partner issued"),
        "agreement_sectors_hint" => (
            "選ばなければすべての分野。提供者または被害組織の分野で判定します。",
            "None selected means every sector; the provider's or the victim's sector counts.",
        ),
        "all_sectors" => ("すべて", "All"),
        "partner_sector" => ("連携先の分野", "The partner's sector"),
        "register_partner" => ("連携先を登録する", "Register a partner"),
        "partner_registered" => ("連携先を登録しました。", "The partner is registered."),
        "partner_credentials" => ("連携先の認証情報", "The partner's credentials"),
        "partner_token" => ("API トークン", "API token"),
        "activity_title" => ("過去30日の情報と警報", "Items and alerts, last 30 days"),
        "activity_items" => ("共有された情報", "Items shared with you"),
        "activity_alerts" => ("受け取った警報", "Alerts received"),
        "nav_governance" => ("運営", "Governance"),
        "withdraw_member" => ("協議会から退会する", "Withdraw from the council"),
        "withdraw_member_help" => (
            "退会すると、この会員のすべての利用者のセッションと API トークンが直ちに無効になり、共有情報は受け取れなくなります。提供した情報は協議会に残ります。",
            "Withdrawing ends every session and API token of this member's users at once, and nothing more is received. What the member shared stays with the council.",
        ),
        "withdraw_reason" => ("理由（任意）", "Reason (optional)"),
        "withdraw_confirm" => ("退会することを確認しました", "I confirm the withdrawal"),
        "withdraw_alert" => ("警報を撤回する", "Withdraw the alert"),
        "withdraw_hint" => (
            "撤回はすべての受信者に配信されます。",
            "The withdrawal is delivered to every recipient.",
        ),
        "withdrawn_ok" => ("警報を撤回しました。", "Alert withdrawn."),
        "nav_vendor_requests" => ("ベンダー調整", "Vendor requests"),
        "vendor_requests_title" => ("ベンダーへの問い合わせ", "Vendor requests"),
        "vendor_intro_curator" => (
            "カタログの脆弱性について製品ベンダーに問い合わせ、回答を追跡します。会員でないベンダーにはメールで送り、届いた回答をここに記録します。",
            "Ask a product vendor about a catalogue entry and track its answers. An outside vendor gets the request by e-mail; record the answers it sends here.",
        ),
        "vendor_intro_vendor" => (
            "貴組織の製品について協議会から届いた問い合わせです。対応状況を回答してください。カタログには状況だけが表示されます。",
            "The council's requests about your products: answer with where you stand. The catalogue shows the status only.",
        ),
        "no_vendor_requests" => ("問い合わせはありません。", "No vendor requests."),
        "vendor_col" => ("ベンダー", "Vendor"),
        "vendor_updated" => ("更新", "Updated"),
        "vendor_ask" => ("ベンダーに問い合わせる", "Ask a vendor"),
        "vendor_entry" => ("カタログのエントリ", "Catalogue entry"),
        "vendor_member" => ("会員のベンダー", "Vendor (member)"),
        "vendor_outside" => (
            "会員以外（名前とメールアドレスを入力）",
            "Outside the council (give its name and e-mail)",
        ),
        "vendor_name" => ("ベンダー名（会員以外）", "Vendor name (outside)"),
        "vendor_email" => (
            "ベンダーのメールアドレス（会員以外）",
            "Vendor e-mail (outside)",
        ),
        "vendor_product" => ("製品", "Product"),
        "vendor_message" => ("問い合わせ内容", "What the council asks"),
        "vendor_history" => ("経過", "History"),
        "vendor_answer" => ("回答する", "Answer"),
        "vendor_record" => (
            "メールで届いた回答を記録",
            "Record an answer received by e-mail",
        ),
        "vendor_planned" => ("修正予定日", "Planned fix date"),
        "vendor_fixed_version" => ("修正版", "Fixed version"),
        "vendor_text" => ("コメント", "Comment"),
        "vendor_send" => ("送信", "Send"),
        "vendor_opened" => ("問い合わせました。", "Request sent."),
        "vendor_updated_ok" => ("回答を記録しました。", "Answer recorded."),
        "back_to_vendor_requests" => ("問い合わせの一覧へ", "Back to vendor requests"),
        "nav_advisories" => ("セキュリティアドバイザリ", "Advisories"),
        "advisories_title" => (
            "セキュリティアドバイザリ（CSAF）",
            "Security advisories (CSAF)",
        ),
        "advisories_intro" => (
            "ベンダーの CSAF 2.0 アドバイザリと VEX です。開くと、自組織の資産のうち影響を受ける製品を使っているものが分かります。",
            "Vendors' CSAF 2.0 advisories and VEX documents. Open one to see which of your own assets run an affected product.",
        ),
        "no_advisories" => ("アドバイザリはまだありません。", "No advisories yet."),
        "advisory_title" => ("件名", "Title"),
        "advisory_publisher" => ("発行者", "Publisher"),
        "advisory_released" => ("公開日時", "Released"),
        "advisory_category" => ("種別", "Category"),
        "advisory_upload" => ("アドバイザリを登録", "Upload an advisory"),
        "advisory_file" => ("CSAF 2.0 の JSON ファイル", "CSAF 2.0 JSON file"),
        "advisory_hint" => (
            "検証の誤りはすべて JSON ポインタで示されます。新しい版は古い版を置き換えます。",
            "Every validation error is named by JSON pointer. A newer release replaces the older one.",
        ),
        "advisory_created" => ("アドバイザリを登録しました。", "Advisory uploaded."),
        "advisory_unchanged" => (
            "この版は登録済みです。",
            "This release was uploaded already.",
        ),
        "advisory_my_assets" => ("影響を受ける自組織の資産", "Your affected assets"),
        "advisory_none_affected" => (
            "登録されている資産に該当するものはありません。",
            "None of your registered assets is affected.",
        ),
        "advisory_vulnerabilities" => ("脆弱性", "Vulnerabilities"),
        "back_to_advisories" => ("アドバイザリの一覧へ", "Back to advisories"),
        "csv_file" => ("CSV ファイルを選ぶ", "Choose a CSV file"),
        "sbom_file" => (
            "SBOM ファイルを選ぶ（CycloneDX・SPDX の JSON または XML）",
            "Choose an SBOM file (CycloneDX or SPDX, JSON or XML)",
        ),
        "recovery_title" => ("回復コード", "Recovery codes"),
        "recovery_once" => (
            "認証アプリを失ったときに、6桁のコードの代わりに1回ずつ使えます。この画面でしか表示されません。印刷するか安全な場所に保管してください。",
            "Each one works once, in place of the 6-digit code, if you lose your authenticator. They are shown only now: print them or keep them somewhere safe.",
        ),
        "recovery_saved" => ("保管しました", "I have kept them"),
        "recovery_left" => ("未使用の回復コード", "Recovery codes left"),
        "recovery_new" => ("回復コードを作り直す", "New recovery codes"),
        "recovery_new_hint" => (
            "作り直すと、これまでの回復コードはすべて使えなくなります。",
            "New codes replace the old ones: those stop working.",
        ),
        "recovery_replaced" => ("新しい回復コードを作りました。", "New recovery codes made."),
        "recovery_used" => (
            "回復コードでログインしました。認証アプリを設定し直してください。未使用の回復コード:",
            "You logged in with a recovery code; set up your authenticator again. Recovery codes left:",
        ),
        "kev_proposed_ok" => (
            "提案しました。別のキュレーターか調整機関が公開します。",
            "Proposed: another curator or the coordinator publishes it.",
        ),
        "kev_published_ok" => ("カタログに公開しました。", "Published in the catalogue."),
        "kev_publish" => ("公開する", "Publish"),
        "kev_propose" => ("カタログに提案する", "Propose an entry"),
        "kev_propose_hint" => (
            "CISA KEV と同じ項目です。掲載日は今日（JST）。公開すると影響を受ける資産の保有者に警報が届きます。",
            "The same fields as CISA's KEV; added today (JST). Once published, the owners of affected assets are alerted.",
        ),
        "kev_cve" => ("CVE 番号", "CVE ID"),
        "kev_vendor" => ("ベンダー", "Vendor"),
        "kev_product" => ("製品", "Product"),
        "kev_description" => ("概要", "Short description"),
        "kev_cpe" => ("影響を受ける製品（CPE）", "Affected products (CPE)"),
        "kev_cpe_hint" => (
            "1行に1つ（cpe:2.3:…）。資産との照合に使います。",
            "One per line (cpe:2.3:…); matched against the asset registry.",
        ),
        "kev_sectors" => ("悪用が確認された分野", "Sectors where it was exploited"),
        "kev_evidence" => ("根拠となる共有情報", "Evidence items"),
        "kev_evidence_hint" => (
            "共有情報の ID を1行に1つ（見られるものに限ります）。",
            "Item ids, one per line (items you may see).",
        ),
        "incident_reported" => (
            "報告を送信しました。宛先は事務局と所管省庁のみです。",
            "Report sent, to the secretariat and the sector's regulators only.",
        ),
        "incident_consent_saved" => (
            "共有への同意を更新しました。",
            "Consent to sharing updated.",
        ),
        "incident_shared_as" => ("共有", "Shared as"),
        "incident_shared_item" => ("匿名化した共有情報", "the anonymised item"),
        "consent_give" => (
            "調整機関による匿名化共有に同意する",
            "Consent to the coordinator sharing it anonymised",
        ),
        "consent_withdraw" => ("共有への同意を取り消す", "Withdraw the consent to sharing"),
        "next_report" => ("次の報告", "Next report"),
        "report_stage" => ("報告の段階", "Stage"),
        "final_report_part" => ("確報の項目", "Final report"),
        "final_report_hint" => (
            "確報では原因・侵入方法・被害・対策（ランサムウェアとDDoSはその様式の項目も）が必要です。足りない項目は送信時に示されます。",
            "A final report needs the cause, the way in, the damage and the measures (and, for ransomware and DDoS, their part); what is missing is named when you send it.",
        ),
        "service_level_deviation" => (
            "サービス維持レベルからの逸脱",
            "Deviation from the service-maintenance level",
        ),
        "ransomware_part" => ("ランサムウェア事案共通様式", "Ransomware part"),
        "ransom_note" => ("脅迫文", "Ransom note"),
        "encrypted_extension" => ("暗号化ファイルの拡張子", "Extension of encrypted files"),
        "family" => ("ランサムウェアの種類", "Ransomware family"),
        "intrusion_route" => ("侵入経路", "Way in"),
        "ddos_part" => ("DDoS攻撃事案共通様式", "DDoS part"),
        "ddos_technique" => ("攻撃手法（ATT&CK）", "Technique (ATT&CK)"),
        "peak_gbps" => ("最大トラフィック（Gbit/s）", "Peak traffic (Gbit/s)"),
        "peak_pps" => ("最大パケット数（pps）", "Peak packets per second"),
        "duration_minutes" => ("継続時間（分）", "Duration (minutes)"),
        "submit_report" => ("報告を送信", "Send the report"),
        "share_incident" => ("匿名化して共有する", "Share it anonymised"),
        "share_incident_hint" => (
            "報告者・被害組織名を伏せた共有情報を、通常の共有の経路で作ります。報告そのものは共有されません。",
            "Makes a shared item without the reporter's or the victim's name, through the normal sharing path; the reports themselves are never shared.",
        ),
        "share_title_default" => (
            "空欄ならインシデントの件名（伏せ字）",
            "Empty: the incident's title, masked",
        ),
        "status_applied" => ("申請中", "Applied"),
        "status_active" => ("会員", "Active"),
        "status_rejected" => ("申請却下", "Rejected"),
        "status_withdrawn" => ("退会", "Withdrawn"),
        "status_expelled" => ("除名", "Expelled"),
        "committee_decisions" => ("運営委員会の決定", "Committee decisions"),
        "member_expelled" => (
            "会員を除名しました。その利用者のセッションとトークンはすべて無効です。",
            "Member expelled: every session and token of its users has ended.",
        ),
        "task_force_changed" => (
            "タスクフォースの扱いを変更しました。",
            "Task-force standing changed.",
        ),
        "in_task_force" => ("タスクフォース", "Task force"),
        "not_in_task_force" => ("タスクフォース外", "Not in the task force"),
        "tf_suspend" => ("タスクフォースから外す", "Move out of the task force"),
        "tf_restore" => ("タスクフォースに戻す", "Back into the task force"),
        "tf_approve" => ("タスクフォース参加を特別承認", "Approve for the task force"),
        "tf_unapprove" => ("特別承認を取り消す", "Withdraw the special approval"),
        "expel" => ("除名する", "Expel"),
        "expel_reason" => ("除名の理由", "Reason for expulsion"),
        "governance_title" => (
            "運営（宣言・情報提供要請・議決）",
            "Governance: declarations, requests, votes",
        ),
        "governance_intro" => (
            "運営委員会による大規模サイバー攻撃等の宣言、調整機関からの情報提供要請（宣言の発効中のみ義務）、総会の議決です。",
            "The steering committee's declarations of a large-scale attack, the coordinator's requests for information (binding only while a declaration is in force), and general-assembly votes.",
        ),
        "declarations_title" => (
            "大規模サイバー攻撃等の宣言",
            "Declarations of a large-scale attack",
        ),
        "no_declarations" => ("宣言はありません。", "No declarations."),
        "decl_reason" => ("理由", "Reason"),
        "decl_period" => ("期間", "Period"),
        "decl_approvals" => ("委員の決定", "Committee decisions"),
        "decl_until_ended" => ("終了の決定まで", "until ended"),
        "decl_proposed" => (
            "提案中（2人目の委員の確認待ち）",
            "Proposed (awaiting a second member)",
        ),
        "decl_lapsed" => ("確認されずに失効", "Lapsed unconfirmed"),
        "decl_scheduled" => ("発効予定", "Scheduled"),
        "decl_in_force" => ("発効中", "In force"),
        "decl_ended" => ("終了", "Ended"),
        "decl_confirm" => ("確認して発効させる", "Confirm"),
        "decl_end" => ("終了させる", "End now"),
        "decl_propose" => ("宣言を提案する", "Propose a declaration"),
        "decl_hint" => (
            "別の運営委員が確認すると発効します。発効中は情報提供要請が義務になります。",
            "It takes effect once another committee member confirms it; while in force, requests for information are binding.",
        ),
        "decl_ends_at" => (
            "終了日時（JST・空欄は終了の決定まで）",
            "Ends (JST; empty: until the committee ends it)",
        ),
        "decl_proposed_ok" => ("宣言を提案しました。", "Declaration proposed."),
        "decl_confirmed_ok" => ("宣言を確認しました。", "Declaration confirmed."),
        "decl_ended_ok" => ("宣言を終了しました。", "Declaration ended."),
        "col_actions" => ("操作", "Actions"),
        "rfis_title" => ("情報提供要請", "Requests for information"),
        "no_rfis" => ("情報提供要請はありません。", "No requests for information."),
        "rfi_title" => ("件名", "Title"),
        "rfi_kind" => ("種別", "Kind"),
        "rfi_sent_at" => ("送信日時", "Sent"),
        "rfi_binding" => ("義務", "Binding"),
        "rfi_voluntary" => ("任意", "Voluntary"),
        "rfi_recipients" => ("会員に送信", "members asked"),
        "rfi_unanswered" => ("未回答", "Not answered"),
        "rfi_answered" => ("回答済み", "Answered"),
        "rfi_answered_count" => ("会員が回答", "members answered"),
        "rfi_my_answers" => ("回答", "Answers"),
        "rfi_send" => ("情報提供を要請する", "Send a request"),
        "rfi_question" => ("要請の内容", "What is asked"),
        "rfi_target" => ("送信先", "Addressees"),
        "rfi_all" => ("全会員", "Every member"),
        "rfi_binding_box" => ("義務として要請する", "Binding request"),
        "rfi_binding_hint" => (
            "義務の要請は宣言の発効中のみ送れます。",
            "A binding request can be sent only while a declaration is in force.",
        ),
        "rfi_under" => ("宣言", "Declaration"),
        "rfi_late" => ("宣言終了後の回答", "After the declaration ended"),
        "rfi_tracking" => ("回答状況", "Who has answered"),
        "rfi_answer" => ("回答する", "Answer"),
        "rfi_answer_text" => ("回答", "Your answer"),
        "rfi_sent_ok" => ("要請を送信しました。", "Request sent."),
        "rfi_answered_ok" => ("回答を送信しました。", "Answer sent."),
        "back_to_governance" => ("運営の一覧へ", "Back to governance"),
        "votes_title" => ("総会の議決", "General-assembly votes"),
        "no_votes" => ("議決はありません。", "No votes."),
        "vote_question" => ("議案", "Question"),
        "vote_closes" => ("締切（JST）", "Closes (JST)"),
        "vote_closed" => ("締切済み・結果公開", "Closed, results published"),
        "vote_voted" => ("投票済み", "Voted"),
        "vote_open" => ("投票受付中", "Open"),
        "vote_open_form" => ("議決を開始する", "Open a vote"),
        "vote_choices" => ("選択肢", "Choices"),
        "vote_choices_hint" => ("1行に1つ、2〜20個。", "One per line, 2 to 20."),
        "vote_opened_ok" => ("議決を開始しました。", "Vote opened."),
        "vote_voted_at" => ("当会員の投票:", "Your member voted:"),
        "vote_choose" => ("会員として1票を投じます", "Cast your member's one vote"),
        "vote_secret_hint" => (
            "投票は秘密です。誰が何に投票したかは記録されません。",
            "Voting is secret: who voted for what is never recorded.",
        ),
        "vote_cast_button" => ("投票する", "Vote"),
        "vote_receipt" => ("投票の控え", "Your receipt"),
        "vote_cast" => ("投票した選択肢", "You voted"),
        "vote_receipt_once" => (
            "控えのコードは一度だけ表示され、協議会には保存されません。締切後、掲示板でハッシュを探せば自分の票が数えられたことを確認できます。",
            "The receipt code is shown once and the council does not keep it. After closing, find its hash on the bulletin board to check that your vote was counted.",
        ),
        "vote_receipt_code" => ("控えのコード", "Receipt code"),
        "vote_receipt_hash" => ("ハッシュ（SHA-256）", "Its hash (SHA-256)"),
        "vote_results" => ("結果", "Results"),
        "vote_turnout" => ("会員が投票", "members voted"),
        "vote_board" => ("掲示板", "Bulletin board"),
        "vote_board_hint" => (
            "控えのコードのハッシュと数えられた選択肢です。会員とは結び付きません。",
            "The hash of each receipt code and the choice counted for it; nothing links it to a member.",
        ),
        "vote_results_after" => (
            "結果は締切後に公開されます。",
            "Results are published after closing.",
        ),
        "scope_partners" => ("連携先への提供", "Partners"),
        "share_with_partners" => (
            "連携先（他の協議会・ISAC・海外の連携機関）にも提供する",
            "Also share with partners (other councils, ISACs, foreign partners)",
        ),
        "share_onward" => (
            "連携先がさらにその連携先へ一度だけ再提供することを認める",
            "Let partners pass it on to their own partners, once",
        ),
        "partners_note" => (
            "各連携先には、その協定（対象の分類・TLP の上限・分野）の範囲内でのみ届きます。提供者と被害組織名は伏せられます。",
            "Each partner receives it only within its agreement (audience classes, highest TLP, sectors), with the provider and the victim's name masked.",
        ),
        "role_coordinator" => ("調整機関", "Coordinator"),
        "role_secretariat" => ("事務局", "Secretariat"),
        "role_committee" => ("運営委員会", "Steering committee"),
        "role_regulator" => ("所管省庁", "Regulator"),
        "role_alert_issuer" => ("早期警戒発出者", "Alert issuer"),
        "role_sensor_operator" => ("センサー運用者", "Sensor operator"),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every literal key the portal's sources pass to `Lang::t` is in the table, in both
    /// languages.
    #[test]
    fn every_key_used_is_in_the_table() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("layout.rs"),
            include_str!("session.rs"),
            include_str!("dashboard.rs"),
            include_str!("items.rs"),
            include_str!("alerts.rs"),
            include_str!("settings.rs"),
            include_str!("audit.rs"),
            include_str!("members.rs"),
            include_str!("channels.rs"),
            include_str!("tokens.rs"),
            include_str!("consultations.rs"),
            include_str!("constituency.rs"),
            include_str!("observations.rs"),
            include_str!("kev.rs"),
            include_str!("assets.rs"),
            include_str!("incidents.rs"),
            include_str!("i18n.rs"),
        ];
        let mut checked = 0;
        for src in sources {
            for part in src.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                let (ja, en) = message(key).unwrap_or_else(|| panic!("no message {key:?}"));
                assert!(!ja.is_empty() && !en.is_empty(), "{key}");
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn times_are_shown_in_jst() {
        let t = OffsetDateTime::from_unix_timestamp(1_796_028_000).unwrap();
        assert_eq!(jst(t), "2026-11-30 17:40 JST");
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::default(), Lang::Ja);
        assert_eq!(Lang::En.t("logout"), "Log out");
        assert_eq!(Lang::Ja.t("sighting_seen"), "来ている");
    }
}
