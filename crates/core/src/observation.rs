//! Sensor observations (issue 10): the flat records that darknet sensors, honeypots,
//! sinkholes and internet scans produce (Shadowserver's daily reports, JPCERT's
//! TSUBAME, NICT's nicter), and the streaming parsers that read them from CSV or JSON
//! lines.
//!
//! Files are large and a million records a minute must go through, so [`records`] never
//! holds a whole file: it reads one line at a time into buffers it reuses, refuses a
//! line longer than 64 KiB, and yields each record as soon as it is read. Each record is
//! checked and brought to one canonical form, an [`Observation`], whatever the source
//! called its columns; a refused record is a [`ParseError`] naming the physical line and
//! the column as the file's header spells it, so the sender can find and fix it. Which
//! member a record concerns is decided elsewhere, from its addresses, ASN and hostname.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};
use utoipa::ToSchema;

use crate::indicator::{Indicator, IndicatorKind};

/// The longest line (CSV record or JSON line) accepted, in bytes, line ending excluded.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Longest sensor id, in characters.
const MAX_SENSOR_ID: usize = 64;
/// Longest protocol name, in characters.
const MAX_PROTOCOL: usize = 16;
/// Longest tag or malware family, in characters.
const MAX_LABEL: usize = 128;
/// The UTF-8 byte order mark some tools write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Kind of sensor that saw the record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SensorType {
    /// Unused address space: whatever arrives is a scan, a backscatter or a worm.
    Darknet,
    /// A decoy service that records who logs in and what they try.
    Honeypot,
    /// A seized or registered malware domain: whoever connects is infected.
    Sinkhole,
    /// An internet-wide scan: the record names a host that exposes a service.
    Scan,
}

impl SensorType {
    /// All sensor types, in order.
    pub const ALL: [Self; 4] = [Self::Darknet, Self::Honeypot, Self::Sinkhole, Self::Scan];

    /// The stable identifier used in files, the API and the database (`"darknet"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Darknet => "darknet",
            Self::Honeypot => "honeypot",
            Self::Sinkhole => "sinkhole",
            Self::Scan => "scan",
        }
    }

    /// The sensor type named by `s` ([`SensorType::as_str`], ignoring ASCII case and
    /// surrounding whitespace), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for SensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shadowserver's severity scale. Ordered by gravity: `Info < Low < Medium < High <
/// Critical`, so the most severe of several records is their maximum.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information; what a record without a severity gets.
    #[default]
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical: act now.
    Critical,
}

impl Severity {
    /// All severities, the most severe first.
    pub const ALL: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Info,
    ];

    /// The stable identifier used in files, the API and the database (`"critical"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }

    /// The severity named by `s` ([`Severity::as_str`], ignoring ASCII case and
    /// surrounding whitespace), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation, validated and canonical. Only [`records`] checks the rules below;
/// deserialising trusts its input (the store and the API's own output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Observation {
    /// When the sensor saw it, in UTC.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: OffsetDateTime,
    /// The sensor or source (`"tsubame-03"`, Shadowserver's `public_source`): 1 to 64
    /// characters among letters, digits and `. _ : -`.
    pub sensor_id: String,
    /// Kind of sensor.
    pub sensor_type: SensorType,
    /// The source address; for a scan, the scanned host the record is about. An
    /// IPv4-mapped IPv6 address is given as IPv4.
    #[schema(value_type = Option<String>)]
    pub src_ip: Option<IpAddr>,
    /// The source port; for a scan, the exposed service's port.
    pub src_port: Option<u16>,
    /// The destination address (the sensor, or the sinkhole).
    #[schema(value_type = Option<String>)]
    pub dst_ip: Option<IpAddr>,
    /// The destination port.
    pub dst_port: Option<u16>,
    /// Lower-case protocol (`"tcp"`, `"udp"`, `"icmp"`, `"ipv6-icmp"`, or an unnamed
    /// protocol's number); empty when not given.
    pub protocol: String,
    /// Autonomous system number of the source.
    pub asn: Option<u32>,
    /// Host name, lower-case ASCII (international names in their `xn--` form), without
    /// a trailing dot.
    pub hostname: Option<String>,
    /// What was seen, lower-case (`"mirai"`, `"ssh-brute-force"`); empty when not given.
    pub tag: String,
    /// Malware family, lower-case; empty when not given.
    pub family: String,
    /// Severity; [`Severity::Info`] when not given.
    pub severity: Severity,
    /// How many packets or events the record stands for; at least 1.
    pub count: u64,
}

impl Observation {
    /// The UTC day the record was seen.
    #[must_use]
    pub fn day(&self) -> Date {
        self.timestamp.to_offset(UtcOffset::UTC).date()
    }
}

/// Values an import gives for columns a file lacks (`--sensor-type scan --sensor
/// shodan-x`). A value in the file wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    /// Sensor id for records that name none.
    pub sensor_id: Option<String>,
    /// Sensor type for records that name none.
    pub sensor_type: Option<SensorType>,
}

/// Where and why a record was refused: `line 12, column ip: "1.2.3" is not an IP
/// address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The physical line, from 1 (a CSV file's header line counts). For a CSV record
    /// spanning lines (a quoted cell with a line break), its first line.
    pub line: u64,
    /// The column as the file names it (`ip`, not `src_ip`); `None` when the problem is
    /// the line as a whole.
    pub column: Option<String>,
    /// Why, written for the person who sent the file.
    pub message: String,
}

impl ParseError {
    fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Adds `more` to the message.
    fn with(mut self, more: &str) -> Self {
        self.message.push_str(more);
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values (RFC 4180) with a header line naming the columns.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// Guesses the format from the start of a file: JSON lines when the first byte that
    /// is not whitespace (after a UTF-8 byte order mark) is `{`, CSV otherwise.
    #[must_use]
    pub fn detect(first_bytes: &[u8]) -> Self {
        let rest = first_bytes.strip_prefix(BOM).unwrap_or(first_bytes);
        match rest.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// Reads observations from `reader`, one at a time, in file order.
///
/// Column names (CSV header cells, JSON keys) are matched ignoring ASCII case and
/// surrounding whitespace; unknown columns are ignored, empty cells and `null` mean
/// absent. Where a file has several columns for one field (`tag` and `infection`), the
/// first non-empty one in the order listed wins:
///
/// | field | columns |
/// |---|---|
/// | `timestamp` (required) | `timestamp`, `time`, `ts` |
/// | `sensor_id` | `sensor_id`, `sensor`, `public_source`; else [`Defaults::sensor_id`] |
/// | `sensor_type` | `sensor_type`, `type`; else [`Defaults::sensor_type`] |
/// | `src_ip` | `src_ip`, `ip`, `source_ip` |
/// | `src_port` | `src_port`, `port`, `source_port` |
/// | `dst_ip` | `dst_ip`, `destination_ip` |
/// | `dst_port` | `dst_port`, `destination_port` |
/// | `protocol` | `protocol`, `proto` |
/// | `asn` | `asn`, `src_asn` |
/// | `hostname` | `hostname`, `src_hostname`, `host` |
/// | `tag` | `tag`, `infection` (the first of several separated by `;` or `,`) |
/// | `family` | `family`, `malware_family`, `malware` |
/// | `severity` | `severity` |
/// | `count` | `count`, `packets`, `events` |
///
/// Times are RFC 3339, Shadowserver's `2026-11-20 03:04:05` (UTC), or Unix seconds. A
/// record must name an address, an ASN or a hostname. In a Shadowserver scan report,
/// `ip` and `port` are the scanned host's and so become `src_ip` and `src_port`.
///
/// CSV: a header line first, which blank lines and `#` comment lines may precede;
/// cells may be quoted (RFC 4180, a quoted line break inside a cell is read as `\n`).
/// JSON lines: one object per line; ports, ASN, count and Unix times may be numbers or
/// numeric strings. Both skip blank lines and a leading UTF-8 byte order mark. An empty
/// input has no records.
///
/// A bad record is an `Err` item and reading goes on with the next one, so a caller may
/// stop at the first error or count them. A line over [`MAX_LINE_BYTES`] is refused
/// without being held in memory. A read failure, or a CSV header that lacks a needed
/// column, is the last item.
pub fn records<R: Read>(reader: R, format: Format, defaults: &Defaults) -> Records<R> {
    let lines = Lines::new(reader);
    Records {
        source: match format {
            Format::Csv => Source::Csv {
                reader: CsvReader::new(lines),
                header: None,
            },
            Format::JsonLines => Source::Json(lines),
        },
        defaults: defaults.clone(),
        done: false,
    }
}

/// The streaming iterator [`records`] returns.
pub struct Records<R> {
    source: Source<R>,
    defaults: Defaults,
    done: bool,
}

enum Source<R> {
    Csv {
        reader: CsvReader<R>,
        header: Option<Header>,
    },
    Json(Lines<R>),
}

/// What reading one more item gave.
enum Step {
    Item(Result<Observation, ParseError>),
    /// The input cannot be read any further: this is the last item.
    Last(ParseError),
    End,
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<Observation, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = match &mut self.source {
            Source::Csv { reader, header } => next_csv(reader, header, &self.defaults),
            Source::Json(lines) => next_json(lines, &self.defaults),
        };
        match step {
            Step::Item(item) => Some(item),
            Step::Last(e) => {
                self.done = true;
                Some(Err(e))
            }
            Step::End => {
                self.done = true;
                None
            }
        }
    }
}

/// Writes the canonical header: `timestamp,sensor_id,sensor_type,src_ip,src_port,
/// dst_ip,dst_port,protocol,asn,hostname,tag,family,severity,count`.
///
/// # Errors
/// The writer's.
pub fn write_csv_header<W: Write>(w: &mut csv::Writer<W>) -> csv::Result<()> {
    w.write_record(Field::ALL.map(Field::name))
}

/// Writes `o` under [`write_csv_header`]'s columns, absent values as empty cells and the
/// time as `2026-11-20 03:04:05` (with a fraction of a second only when it has one).
/// [`records`] reads the row back to the same observation.
///
/// # Errors
/// The writer's.
pub fn write_csv_row<W: Write>(w: &mut csv::Writer<W>, o: &Observation) -> csv::Result<()> {
    fn opt<T: ToString>(v: Option<T>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    w.write_record([
        shadowserver_time(o.timestamp),
        o.sensor_id.clone(),
        o.sensor_type.as_str().to_owned(),
        opt(o.src_ip),
        opt(o.src_port),
        opt(o.dst_ip),
        opt(o.dst_port),
        o.protocol.clone(),
        opt(o.asn),
        o.hostname.clone().unwrap_or_default(),
        o.tag.clone(),
        o.family.clone(),
        o.severity.as_str().to_owned(),
        o.count.to_string(),
    ])
}

/// `2026-11-20 03:04:05`, with `.5` etc. when the time has a fraction of a second.
fn shadowserver_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut s = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if t.nanosecond() != 0 {
        let fraction = format!("{:09}", t.nanosecond());
        s.push('.');
        s.push_str(fraction.trim_end_matches('0'));
    }
    s
}

/// A field of [`Observation`], as columns name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Timestamp,
    SensorId,
    SensorType,
    SrcIp,
    SrcPort,
    DstIp,
    DstPort,
    Protocol,
    Asn,
    Hostname,
    Tag,
    Family,
    Severity,
    Count,
}

/// How many fields there are.
const FIELDS: usize = 14;

impl Field {
    /// All fields, in the canonical column order.
    const ALL: [Self; FIELDS] = [
        Self::Timestamp,
        Self::SensorId,
        Self::SensorType,
        Self::SrcIp,
        Self::SrcPort,
        Self::DstIp,
        Self::DstPort,
        Self::Protocol,
        Self::Asn,
        Self::Hostname,
        Self::Tag,
        Self::Family,
        Self::Severity,
        Self::Count,
    ];

    /// The column names a file may use, the preferred (and canonical) first.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Timestamp => &["timestamp", "time", "ts"],
            Self::SensorId => &["sensor_id", "sensor", "public_source"],
            Self::SensorType => &["sensor_type", "type"],
            Self::SrcIp => &["src_ip", "ip", "source_ip"],
            Self::SrcPort => &["src_port", "port", "source_port"],
            Self::DstIp => &["dst_ip", "destination_ip"],
            Self::DstPort => &["dst_port", "destination_port"],
            Self::Protocol => &["protocol", "proto"],
            Self::Asn => &["asn", "src_asn"],
            Self::Hostname => &["hostname", "src_hostname", "host"],
            Self::Tag => &["tag", "infection"],
            Self::Family => &["family", "malware_family", "malware"],
            Self::Severity => &["severity"],
            Self::Count => &["count", "packets", "events"],
        }
    }

    /// The canonical column name.
    fn name(self) -> &'static str {
        self.columns()[0]
    }

    /// The field a column named `name` gives, and its rank among the field's columns.
    fn of_column(name: &str) -> Option<(Self, usize)> {
        let name = name.trim();
        Self::ALL.into_iter().find_map(|f| {
            f.columns()
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
                .map(|rank| (f, rank))
        })
    }

    /// The column names as a phrase for a message: `timestamp, time or ts`.
    fn listed(self) -> String {
        let columns = self.columns();
        match columns.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => columns.join(", "),
        }
    }
}

/// One field of a record being read: the best column seen so far and its value.
struct Slot<'a> {
    field: Field,
    rank: usize,
    column: Option<&'a str>,
    value: Option<Cow<'a, str>>,
}

/// The fields of a record being read, indexed by `Field as usize`.
type Raw<'a> = [Slot<'a>; FIELDS];

fn empty_raw<'a>() -> Raw<'a> {
    Field::ALL.map(|field| Slot {
        field,
        rank: usize::MAX,
        column: None,
        value: None,
    })
}

/// Why a record was refused, before its line is known.
struct Refusal {
    column: Option<String>,
    message: String,
}

impl Refusal {
    fn at(self, line: u64) -> ParseError {
        ParseError {
            line,
            column: self.column,
            message: self.message,
        }
    }
}

impl<'a> Slot<'a> {
    /// Offers a column's value (`None` when empty): a value beats none, then the
    /// preferred column wins. Without any value, the preferred column is kept to name
    /// in the error.
    fn offer(&mut self, rank: usize, column: &'a str, value: Option<Cow<'a, str>>) {
        let better = match (&self.value, &value) {
            (None, Some(_)) => true,
            (Some(_), None) => false,
            _ => rank < self.rank,
        };
        if better {
            self.rank = rank;
            self.column = Some(column);
            self.value = value;
        }
    }

    /// The column to name: the file's, or the canonical name when the file has none.
    fn column(&self) -> &str {
        self.column.unwrap_or(self.field.name())
    }

    fn refuse(&self, message: impl Into<String>) -> Refusal {
        Refusal {
            column: Some(self.column().to_owned()),
            message: message.into(),
        }
    }

    /// The value parsed by `parse`, if there is one.
    fn parse<T>(
        &self,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Refusal> {
        self.value
            .as_deref()
            .map(parse)
            .transpose()
            .map_err(|m| self.refuse(m))
    }
}

/// Checks the fields of a record and builds the observation.
fn build(raw: &Raw<'_>, defaults: &Defaults) -> Result<Observation, Refusal> {
    let slot = |f: Field| &raw[f as usize];

    let time = slot(Field::Timestamp);
    let timestamp = time
        .parse(parse_time)?
        .ok_or_else(|| time.refuse("the record has no time"))?;

    let sensor = slot(Field::SensorId);
    let sensor_id = match (sensor.parse(parse_sensor_id)?, &defaults.sensor_id) {
        (Some(id), _) => id,
        (None, Some(default)) => parse_sensor_id(default)
            .map_err(|m| sensor.refuse(format!("the default sensor {m}")))?,
        (None, None) => {
            return Err(sensor.refuse(format!(
                "the record names no sensor; fill in the column or give a default sensor \
                 (columns: {})",
                Field::SensorId.listed()
            )));
        }
    };

    let kind = slot(Field::SensorType);
    let sensor_type = match kind.parse(parse_sensor_type)?.or(defaults.sensor_type) {
        Some(t) => t,
        None => {
            return Err(kind.refuse(format!(
                "the record names no sensor type ({}); fill in the column or give a default",
                sensor_types()
            )));
        }
    };

    let src_ip = slot(Field::SrcIp).parse(parse_ip)?;
    let dst_ip = slot(Field::DstIp).parse(parse_ip)?;
    let asn = slot(Field::Asn).parse(parse_asn)?;
    let hostname = slot(Field::Hostname).parse(parse_hostname)?;
    let observation = Observation {
        timestamp,
        sensor_id,
        sensor_type,
        src_ip,
        src_port: slot(Field::SrcPort).parse(parse_port)?,
        dst_ip,
        dst_port: slot(Field::DstPort).parse(parse_port)?,
        protocol: slot(Field::Protocol)
            .parse(parse_protocol)?
            .unwrap_or_default(),
        asn,
        hostname,
        tag: slot(Field::Tag).parse(parse_tag)?.unwrap_or_default(),
        family: slot(Field::Family)
            .parse(|v| parse_label(v, v))?
            .unwrap_or_default(),
        severity: slot(Field::Severity)
            .parse(parse_severity)?
            .unwrap_or_default(),
        count: slot(Field::Count).parse(parse_count)?.unwrap_or(1),
    };
    if observation.src_ip.is_none()
        && observation.dst_ip.is_none()
        && observation.asn.is_none()
        && observation.hostname.is_none()
    {
        return Err(Refusal {
            column: None,
            message: "the record names no address, ASN or hostname".to_owned(),
        });
    }
    Ok(observation)
}

/// At most 80 characters of `v`, quoted, with `…` when cut: long cells make unreadable
/// messages.
fn shown(v: &str) -> String {
    const MAX: usize = 80;
    match v.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &v[..cut]),
        None => format!("{v:?}"),
    }
}

/// `v` as a `T` when it is only ASCII digits (no sign, no spaces).
fn digits<T: std::str::FromStr>(v: &str) -> Option<T> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn parse_time(v: &str) -> Result<OffsetDateTime, String> {
    let refused = || {
        format!(
            "{} is not a time: use RFC 3339 (2026-11-20T03:04:05Z), \
             2026-11-20 03:04:05 (UTC) or Unix seconds",
            shown(v)
        )
    };
    let t = if v.bytes().all(|b| b.is_ascii_digit()) {
        digits::<i64>(v)
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or_else(refused)?
    } else {
        match OffsetDateTime::parse(v, &Rfc3339) {
            Ok(t) => t,
            // Shadowserver's form: RFC 3339 with a space and no offset, meaning UTC.
            Err(_) if v.as_bytes().get(10) == Some(&b' ') => {
                OffsetDateTime::parse(&format!("{v}Z"), &Rfc3339).map_err(|_| refused())?
            }
            Err(_) => return Err(refused()),
        }
    };
    Ok(t.to_offset(UtcOffset::UTC))
}

fn parse_sensor_id(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("is empty".to_owned());
    }
    let len = v.chars().count();
    if len > MAX_SENSOR_ID {
        return Err(format!(
            "{} is {len} characters long; at most {MAX_SENSOR_ID} are allowed",
            shown(v)
        ));
    }
    match v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        Some(c) => Err(format!(
            "{} contains {c:?}; use letters, digits and . _ : - only",
            shown(v)
        )),
        None => Ok(v.to_owned()),
    }
}

fn sensor_types() -> String {
    SensorType::ALL.map(SensorType::as_str).join(", ")
}

fn parse_sensor_type(v: &str) -> Result<SensorType, String> {
    SensorType::parse(v).ok_or_else(|| {
        format!(
            "{} is not a sensor type; use one of {}",
            shown(v),
            sensor_types()
        )
    })
}

fn parse_ip(v: &str) -> Result<IpAddr, String> {
    v.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| format!("{} is not an IP address", shown(v)))
}

fn parse_port(v: &str) -> Result<u16, String> {
    digits(v).ok_or_else(|| format!("{} is not a port number (0 to 65535)", shown(v)))
}

fn parse_protocol(v: &str) -> Result<String, String> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return match digits::<u8>(v) {
            Some(1) => Ok("icmp".to_owned()),
            Some(6) => Ok("tcp".to_owned()),
            Some(17) => Ok("udp".to_owned()),
            Some(58) => Ok("ipv6-icmp".to_owned()),
            Some(n) => Ok(n.to_string()),
            None => Err(format!("{} is not a protocol number (0 to 255)", shown(v))),
        };
    }
    let name = v.to_ascii_lowercase();
    if name.len() > MAX_PROTOCOL
        || name.starts_with('-')
        || name.ends_with('-')
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!(
            "{} is not a protocol: give a name of at most {MAX_PROTOCOL} letters, digits \
             and inner hyphens (tcp, udp, icmp) or a protocol number",
            shown(v)
        ));
    }
    Ok(name)
}

fn parse_asn(v: &str) -> Result<u32, String> {
    let number = match v.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("as") => &v[2..],
        _ => v,
    };
    digits(number).ok_or_else(|| format!("{} is not an AS number (64500 or AS64500)", shown(v)))
}

fn parse_hostname(v: &str) -> Result<String, String> {
    if v.trim_end_matches('.').parse::<IpAddr>().is_ok() {
        return Err(format!(
            "{} is an IP address, not a host name; put it in an address column",
            shown(v)
        ));
    }
    Indicator::parse(IndicatorKind::Domain, v)
        .map(|d| d.value().to_owned())
        .map_err(|e| format!("{} {}", shown(v), e.reason))
}

/// The first of the tags `v` lists (separated by `;` or `,`).
fn parse_tag(v: &str) -> Result<String, String> {
    let first = v
        .split([';', ','])
        .map(str::trim)
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    parse_label(first, v)
}

/// A lower-cased tag or family; `whole` is the cell, for the message.
fn parse_label(v: &str, whole: &str) -> Result<String, String> {
    let v = v.trim();
    let len = v.chars().count();
    if len > MAX_LABEL {
        return Err(format!(
            "{} is {len} characters long; at most {MAX_LABEL} are allowed",
            shown(whole)
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{} contains a control character", shown(whole)));
    }
    Ok(v.to_lowercase())
}

fn parse_severity(v: &str) -> Result<Severity, String> {
    Severity::parse(v).ok_or_else(|| {
        format!(
            "{} is not a severity; use one of {}",
            shown(v),
            Severity::ALL.map(Severity::as_str).join(", ")
        )
    })
}

fn parse_count(v: &str) -> Result<u64, String> {
    digits(v).filter(|n| *n >= 1).ok_or_else(|| {
        format!(
            "{} is not a count: give a whole number of at least 1",
            shown(v)
        )
    })
}

/// Physical lines of the input, read into one reused buffer. A line longer than
/// [`MAX_LINE_BYTES`] is skipped to its end without being stored.
struct Lines<R> {
    input: BufReader<R>,
    /// The current line, without its `\n` or `\r\n` (and, on the first line, without a
    /// byte order mark).
    buf: Vec<u8>,
    /// The current line's number, from 1; 0 before the first.
    number: u64,
}

/// What [`Lines::advance`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line, in `buf`.
    Text,
    /// A line too long to keep; `buf` is empty.
    TooLong,
    /// The end of the input.
    End,
}

impl<R: Read> Lines<R> {
    fn new(reader: R) -> Self {
        Self {
            input: BufReader::with_capacity(MAX_LINE_BYTES, reader),
            buf: Vec::new(),
            number: 0,
        }
    }

    /// Reads the next line.
    fn advance(&mut self) -> io::Result<Line> {
        // Room for the line, a `\r` and a first line's byte order mark.
        let room = MAX_LINE_BYTES + 1 + if self.number == 0 { BOM.len() } else { 0 };
        self.buf.clear();
        let mut seen = false;
        let mut too_long = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                if !seen {
                    return Ok(Line::End);
                }
                break;
            }
            seen = true;
            let (piece, used, complete) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            if !too_long {
                if self.buf.len() + piece.len() > room {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(piece);
                }
            }
            self.input.consume(used);
            if complete {
                break;
            }
        }
        self.number += 1;
        if too_long {
            return Ok(Line::TooLong);
        }
        if self.number == 1 && self.buf.starts_with(BOM) {
            self.buf.drain(..BOM.len());
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.buf.len() > MAX_LINE_BYTES {
            self.buf.clear();
            return Ok(Line::TooLong);
        }
        Ok(Line::Text)
    }

    fn failed(&self, e: &io::Error) -> ParseError {
        ParseError::new(
            self.number + 1,
            None,
            format!("reading the input failed: {e}"),
        )
    }
}

fn too_long(line: u64) -> ParseError {
    ParseError::new(
        line,
        None,
        format!("the line is longer than {MAX_LINE_BYTES} bytes"),
    )
}

/// Where the CSV lexer is within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    /// At the start of a cell.
    CellStart,
    /// In a cell that is not quoted.
    Plain,
    /// In a quoted cell.
    Quoted,
    /// Just after a quote in a quoted cell: the cell's end, or the first of `""`.
    QuoteInQuoted,
}

/// What [`CsvReader::advance`] found.
enum CsvRecord {
    /// A record starting on this line, in `cells` and `ends`.
    Read(u64),
    /// A refused record; reading can go on.
    Refused(ParseError),
    /// The input cannot be read further.
    Failed(ParseError),
    End,
}

/// RFC 4180 records, read line by line into two reused buffers: the cells' bytes one
/// after the other, and where each cell ends.
struct CsvReader<R> {
    lines: Lines<R>,
    cells: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: Read> CsvReader<R> {
    fn new(lines: Lines<R>) -> Self {
        Self {
            lines,
            cells: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Reads the next record, skipping blank lines and, when `preamble`, lines starting
    /// with `#`.
    fn advance(&mut self, preamble: bool) -> CsvRecord {
        self.cells.clear();
        self.ends.clear();
        let mut first = 0;
        // Inside a quoted cell that went on past the end of a line.
        let mut open = false;
        // The record (a quoted cell spanning lines) grew too long: its lines are read to
        // find its end, not kept.
        let mut dropping = false;
        loop {
            match self.lines.advance() {
                Ok(Line::Text) => {}
                Ok(Line::TooLong) => {
                    let line = if open { first } else { self.lines.number };
                    return CsvRecord::Refused(too_long(line));
                }
                Ok(Line::End) if open => {
                    return CsvRecord::Refused(ParseError::new(
                        first,
                        None,
                        "a quoted cell starting on this line is never closed",
                    ));
                }
                Ok(Line::End) => return CsvRecord::End,
                Err(e) => return CsvRecord::Failed(self.lines.failed(&e)),
            }
            let line = &self.lines.buf;
            let state = if open {
                self.cells.push(b'\n');
                Lex::Quoted
            } else {
                let text = line.trim_ascii();
                if text.is_empty() || (preamble && text.starts_with(b"#")) {
                    continue;
                }
                first = self.lines.number;
                Lex::CellStart
            };
            open = lex(line, state, &mut self.cells, &mut self.ends) == Lex::Quoted;
            if self.cells.len() > MAX_LINE_BYTES {
                dropping = true;
                self.cells.clear();
                self.ends.clear();
            }
            if !open {
                if dropping {
                    return CsvRecord::Refused(too_long(first));
                }
                self.ends.push(self.cells.len());
                return CsvRecord::Read(first);
            }
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`th cell of the record read last, surrounding whitespace trimmed.
    fn cell(&self, i: usize) -> &[u8] {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1],
        };
        self.cells[start..self.ends[i]].trim_ascii()
    }
}

/// Splits `line` into cells from `state`, appending their bytes to `cells` and the end
/// of each finished cell to `ends`. Returns the state at the end of the line: `Quoted`
/// when a quoted cell goes on to the next line.
fn lex(line: &[u8], mut state: Lex, cells: &mut Vec<u8>, ends: &mut Vec<usize>) -> Lex {
    for &b in line {
        state = match (state, b) {
            (Lex::CellStart, b'"') => Lex::Quoted,
            (Lex::Quoted, b'"') => Lex::QuoteInQuoted,
            (Lex::Quoted, _) => {
                cells.push(b);
                Lex::Quoted
            }
            (Lex::QuoteInQuoted, b'"') => {
                cells.push(b'"');
                Lex::Quoted
            }
            (_, b',') => {
                ends.push(cells.len());
                Lex::CellStart
            }
            (_, _) => {
                cells.push(b);
                Lex::Plain
            }
        };
    }
    state
}

/// A CSV file's header: its column names and the known ones' fields.
struct Header {
    names: Vec<String>,
    /// (column, field, rank) of each known column.
    known: Vec<(usize, Field, usize)>,
}

impl Header {
    /// Reads the header from the record just read on `line`; refuses one that lacks a
    /// column no default stands in for.
    fn read<R: Read>(
        reader: &CsvReader<R>,
        line: u64,
        defaults: &Defaults,
    ) -> Result<Self, ParseError> {
        let names: Vec<String> = (0..reader.len())
            .map(|i| String::from_utf8_lossy(reader.cell(i)).into_owned())
            .collect();
        let known: Vec<(usize, Field, usize)> = names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| Field::of_column(name).map(|(f, rank)| (i, f, rank)))
            .collect();
        let has = |f: Field| known.iter().any(|(_, g, _)| *g == f);
        let lacks = |f: Field, what: &str| {
            ParseError::new(
                line,
                Some(f.name()),
                format!("the header has no {what} column (name it {})", f.listed()),
            )
        };
        if !has(Field::Timestamp) {
            return Err(lacks(Field::Timestamp, "time"));
        }
        if !has(Field::SensorId) && defaults.sensor_id.is_none() {
            return Err(lacks(Field::SensorId, "sensor").with(" or give a default sensor"));
        }
        if !has(Field::SensorType) && defaults.sensor_type.is_none() {
            return Err(lacks(Field::SensorType, "sensor type").with(" or give a default"));
        }
        Ok(Self { names, known })
    }
}

fn next_csv<R: Read>(
    reader: &mut CsvReader<R>,
    header: &mut Option<Header>,
    defaults: &Defaults,
) -> Step {
    let header = match header {
        Some(h) => h,
        None => match reader.advance(true) {
            CsvRecord::Read(line) => match Header::read(reader, line, defaults) {
                Ok(h) => header.insert(h),
                Err(e) => return Step::Last(e),
            },
            CsvRecord::Refused(e) | CsvRecord::Failed(e) => return Step::Last(e),
            CsvRecord::End => return Step::End,
        },
    };
    let line = match reader.advance(false) {
        CsvRecord::Read(line) => line,
        CsvRecord::Refused(e) => return Step::Item(Err(e)),
        CsvRecord::Failed(e) => return Step::Last(e),
        CsvRecord::End => return Step::End,
    };
    if reader.len() != header.names.len() {
        return Step::Item(Err(ParseError::new(
            line,
            None,
            format!(
                "the row has {} cells but the header names {} columns",
                reader.len(),
                header.names.len()
            ),
        )));
    }
    let mut raw = empty_raw();
    for &(i, field, rank) in &header.known {
        let column = header.names[i].trim();
        let cell = reader.cell(i);
        let value = match std::str::from_utf8(cell) {
            Ok("") => None,
            Ok(v) => Some(Cow::Borrowed(v)),
            Err(_) => {
                return Step::Item(Err(ParseError::new(
                    line,
                    Some(column),
                    "the cell is not UTF-8 text",
                )));
            }
        };
        raw[field as usize].offer(rank, column, value);
    }
    Step::Item(build(&raw, defaults).map_err(|r| r.at(line)))
}

fn next_json<R: Read>(lines: &mut Lines<R>, defaults: &Defaults) -> Step {
    loop {
        match lines.advance() {
            Ok(Line::Text) => {}
            Ok(Line::TooLong) => return Step::Item(Err(too_long(lines.number))),
            Ok(Line::End) => return Step::End,
            Err(e) => return Step::Last(lines.failed(&e)),
        }
        let text = lines.buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        return Step::Item(json_record(text, defaults).map_err(|r| r.at(lines.number)));
    }
}

/// Reads one JSON line.
fn json_record(text: &[u8], defaults: &Defaults) -> Result<Observation, Refusal> {
    let line_error = |message: String| Refusal {
        column: None,
        message,
    };
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
        let full = e.to_string();
        let reason = full
            .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
            .unwrap_or(&full);
        line_error(format!(
            "not valid JSON at character {}: {reason}",
            e.column()
        ))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(line_error(format!(
            "expected a JSON object, found {}",
            json_kind(&value)
        )));
    };
    let mut raw = empty_raw();
    for (key, value) in &map {
        let Some((field, rank)) = Field::of_column(key) else {
            continue;
        };
        let value = match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(Cow::Borrowed(s.trim())).filter(|s| !s.is_empty()),
            serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
            other => {
                return Err(Refusal {
                    column: Some(key.trim().to_owned()),
                    message: format!("expected a string or a number, found {}", json_kind(other)),
                });
            }
        };
        raw[field as usize].offer(rank, key.trim(), value);
    }
    build(&raw, defaults)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(true) => "true",
        serde_json::Value::Bool(false) => "false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use time::macros::datetime;

    type Item = Result<Observation, ParseError>;

    fn read(text: &str, format: Format, defaults: &Defaults) -> Vec<Item> {
        records(text.as_bytes(), format, defaults).collect()
    }

    fn csv(text: &str, defaults: &Defaults) -> Vec<Item> {
        read(text, Format::Csv, defaults)
    }

    fn json(text: &str) -> Vec<Item> {
        read(text, Format::JsonLines, &Defaults::default())
    }

    fn ok(item: &Item) -> &Observation {
        match item {
            Ok(o) => o,
            Err(e) => panic!("refused: {e}"),
        }
    }

    /// The line and column of a refusal.
    fn at(item: &Item) -> (u64, Option<&str>) {
        match item {
            Ok(o) => panic!("accepted: {o:?}"),
            Err(e) => (e.line, e.column.as_deref()),
        }
    }

    fn message(item: &Item) -> &str {
        match item {
            Ok(o) => panic!("accepted: {o:?}"),
            Err(e) => &e.message,
        }
    }

    fn scan_defaults() -> Defaults {
        Defaults {
            sensor_id: Some("shadowserver".to_owned()),
            sensor_type: Some(SensorType::Scan),
        }
    }

    /// A minimal valid observation, to compare against with struct update syntax.
    fn base() -> Observation {
        Observation {
            timestamp: datetime!(2026-11-20 03:04:05 UTC),
            sensor_id: "s1".to_owned(),
            sensor_type: SensorType::Darknet,
            src_ip: None,
            src_port: None,
            dst_ip: None,
            dst_port: None,
            protocol: String::new(),
            asn: None,
            hostname: None,
            tag: String::new(),
            family: String::new(),
            severity: Severity::Info,
            count: 1,
        }
    }

    #[test]
    fn names_are_stable() {
        for t in SensorType::ALL {
            assert_eq!(SensorType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
        assert_eq!(SensorType::parse(" HoneyPot "), Some(SensorType::Honeypot));
        assert_eq!(SensorType::parse("sinkhole-http"), None);
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(Severity::parse("CRITICAL"), Some(Severity::Critical));
        assert_eq!(Severity::parse("urgent"), None);
        assert_eq!(Severity::default(), Severity::Info);
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::High > Severity::Medium);
        assert!(Severity::Medium > Severity::Low);
        assert!(Severity::Low > Severity::Info);
        assert_eq!(Severity::ALL.into_iter().max(), Some(Severity::Critical));
    }

    #[test]
    fn shadowserver_scan_report() {
        let text = "\
# Shadowserver scan_telnet report, 2026-11-20
\"timestamp\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"naics\",\"sic\"
\"2026-11-20 03:04:05\",\"203.0.113.5\",\"tcp\",23,\"Router-1.Example.JP.\",\"telnet;mirai\",64500,\"JP\",\"TOKYO\",517311,
\"2026-11-20 03:04:06.25Z\",\"2001:DB8::1\",\"UDP\",161,,\"snmp\",\"AS64501\",\"JP\",\"OSAKA\",,
\"2026-11-20 03:04:07\",\"203.0.113\",\"tcp\",23,,,64500,\"JP\",\"TOKYO\",,
";
        let items = csv(text, &scan_defaults());
        assert_eq!(items.len(), 3);
        let scan = Observation {
            sensor_id: "shadowserver".to_owned(),
            sensor_type: SensorType::Scan,
            ..base()
        };
        assert_eq!(
            ok(&items[0]),
            &Observation {
                src_ip: Some("203.0.113.5".parse().unwrap()),
                src_port: Some(23),
                protocol: "tcp".to_owned(),
                asn: Some(64500),
                hostname: Some("router-1.example.jp".to_owned()),
                tag: "telnet".to_owned(),
                ..scan.clone()
            }
        );
        assert_eq!(
            ok(&items[1]),
            &Observation {
                timestamp: datetime!(2026-11-20 03:04:06.25 UTC),
                src_ip: Some("2001:db8::1".parse().unwrap()),
                src_port: Some(161),
                protocol: "udp".to_owned(),
                asn: Some(64501),
                tag: "snmp".to_owned(),
                ..scan
            }
        );
        // The comment is line 1 and the header line 2: the bad row is on line 5.
        assert_eq!(at(&items[2]), (5, Some("ip")));
        assert_eq!(message(&items[2]), "\"203.0.113\" is not an IP address");
    }

    #[test]
    fn event_report_with_quoted_cells_and_crlf() {
        let text = "timestamp,sensor,type,src_ip,src_port,dst_ip,dst_port,proto,infection,family,count\r\n\
2026-11-20T12:00:00+09:00,sinkhole-1,sinkhole,198.51.100.7,49152,192.0.2.10,80,6,\"mirai,gafgyt\",\"Mirai, \"\"Okiru\"\"\",12\r\n\
\r\n\
1763607845,sinkhole-1,Sinkhole,198.51.100.8,,192.0.2.10,,,\"\",,\r\n";
        let items = csv(text, &Defaults::default());
        assert_eq!(items.len(), 2);
        let sinkhole = Observation {
            timestamp: datetime!(2026-11-20 03:00:00 UTC),
            sensor_id: "sinkhole-1".to_owned(),
            sensor_type: SensorType::Sinkhole,
            dst_ip: Some("192.0.2.10".parse().unwrap()),
            ..base()
        };
        assert_eq!(
            ok(&items[0]),
            &Observation {
                src_ip: Some("198.51.100.7".parse().unwrap()),
                src_port: Some(49152),
                dst_port: Some(80),
                protocol: "tcp".to_owned(),
                tag: "mirai".to_owned(),
                family: "mirai, \"okiru\"".to_owned(),
                count: 12,
                ..sinkhole.clone()
            }
        );
        assert_eq!(ok(&items[0]).timestamp.offset(), UtcOffset::UTC);
        assert_eq!(
            ok(&items[1]),
            &Observation {
                timestamp: OffsetDateTime::from_unix_timestamp(1_763_607_845).unwrap(),
                src_ip: Some("198.51.100.8".parse().unwrap()),
                ..sinkhole
            }
        );
    }

    #[test]
    fn json_lines() {
        let ts = datetime!(2026-11-20 03:04:05 UTC).unix_timestamp();
        let text = format!(
            "{{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor_id\":\"nicter-1\",\"sensor_type\":\"darknet\",\
\"src_ip\":\"192.0.2.1\",\"dst_port\":\"445\",\"protocol\":17,\"asn\":\"AS64500\",\"count\":3,\
\"geo\":{{\"cc\":\"JP\"}},\"tag\":null,\"notes\":[1,2]}}\n\
\n   \n\
{{\"ts\":{ts},\"Sensor\":\"hp-2\",\"TYPE\":\"honeypot\",\"host\":\"例え.JP\",\"severity\":\"HIGH\",\
\"tag\":\"\",\"infection\":\"SSH-Brute-Force\",\"malware\":\"Gafgyt\",\"packets\":\"7\"}}\n"
        );
        let items = json(&text);
        assert_eq!(items.len(), 2);
        assert_eq!(
            ok(&items[0]),
            &Observation {
                sensor_id: "nicter-1".to_owned(),
                src_ip: Some("192.0.2.1".parse().unwrap()),
                dst_port: Some(445),
                protocol: "udp".to_owned(),
                asn: Some(64500),
                count: 3,
                ..base()
            }
        );
        assert_eq!(
            ok(&items[1]),
            &Observation {
                sensor_id: "hp-2".to_owned(),
                sensor_type: SensorType::Honeypot,
                hostname: Some("xn--r8jz45g.jp".to_owned()),
                severity: Severity::High,
                tag: "ssh-brute-force".to_owned(),
                family: "gafgyt".to_owned(),
                count: 7,
                ..base()
            }
        );
    }

    #[test]
    fn csv_errors_name_line_and_header_column() {
        let text = "\
timestamp,IP,port,dst_ip,dst_port,protocol,asn,hostname,tag,family,severity,count,sensor_type
2026-11-20 03:04:05,192.0.2.1,,,,,,,,,,,
yesterday,192.0.2.1,,,,,,,,,,,
2026-11-20 03:04:05,203.0.113,,,,,,,,,,,
2026-11-20 03:04:05,192.0.2.1,65536,,,,,,,,,,
2026-11-20 03:04:05,192.0.2.1,,,-1,,,,,,,,
2026-11-20 03:04:05,192.0.2.1,,,,300,,,,,,,
2026-11-20 03:04:05,192.0.2.1,,,,t c p,,,,,,,
2026-11-20 03:04:05,,,,,,ASX,,,,,,
2026-11-20 03:04:05,,,,,,,bad_host.example,,,,,
2026-11-20 03:04:05,192.0.2.1,,,,,,,,,urgent,,
2026-11-20 03:04:05,192.0.2.1,,,,,,,,,,0,
2026-11-20 03:04:05,192.0.2.1,,,,,,,,,,,sinkhole-http
2026-11-20 03:04:05,,,,,,,,mirai,,,,
2026-11-20 03:04:05,192.0.2.1
,192.0.2.1,,,,,,,,,,,
2026-11-20 03:04:05,,,,,,,192.0.2.1,,,,,
# not a comment after the header
2026-11-20 03:04:05,,,,,,AS64500,,,,,,
";
        let items = csv(text, &scan_defaults());
        let expected: [(u64, Option<&str>, &str); 17] = [
            (
                3,
                Some("timestamp"),
                "\"yesterday\" is not a time: use RFC 3339",
            ),
            (4, Some("IP"), "\"203.0.113\" is not an IP address"),
            (
                5,
                Some("port"),
                "\"65536\" is not a port number (0 to 65535)",
            ),
            (6, Some("dst_port"), "\"-1\" is not a port number"),
            (
                7,
                Some("protocol"),
                "\"300\" is not a protocol number (0 to 255)",
            ),
            (8, Some("protocol"), "\"t c p\" is not a protocol"),
            (9, Some("asn"), "\"ASX\" is not an AS number"),
            (
                10,
                Some("hostname"),
                "\"bad_host.example\" label \"bad_host\"",
            ),
            (
                11,
                Some("severity"),
                "\"urgent\" is not a severity; use one of critical, high, medium, low, info",
            ),
            (12, Some("count"), "\"0\" is not a count"),
            (
                13,
                Some("sensor_type"),
                "\"sinkhole-http\" is not a sensor type; use one of darknet, honeypot, sinkhole, scan",
            ),
            (14, None, "the record names no address, ASN or hostname"),
            (
                15,
                None,
                "the row has 2 cells but the header names 13 columns",
            ),
            (16, Some("timestamp"), "the record has no time"),
            (
                17,
                Some("hostname"),
                "\"192.0.2.1\" is an IP address, not a host name",
            ),
            (
                18,
                None,
                "the row has 1 cells but the header names 13 columns",
            ),
            (0, None, ""),
        ];
        assert_eq!(items.len(), 18);
        assert_eq!(ok(&items[0]).src_ip, Some("192.0.2.1".parse().unwrap()));
        for (item, (line, column, start)) in items[1..17].iter().zip(expected) {
            assert_eq!(at(item), (line, column), "{item:?}");
            assert!(message(item).starts_with(start), "{item:?}");
        }
        // Reading goes on after refused records.
        assert_eq!(ok(&items[17]).asn, Some(64500));
        assert_eq!(
            items[1].as_ref().unwrap_err().to_string(),
            "line 3, column timestamp: \"yesterday\" is not a time: use RFC 3339 \
             (2026-11-20T03:04:05Z), 2026-11-20 03:04:05 (UTC) or Unix seconds"
        );
    }

    #[test]
    fn header_errors_end_the_file() {
        let rows = "ip,port\n192.0.2.1,23\n192.0.2.2,23\n";
        let items = csv(rows, &scan_defaults());
        assert_eq!(items.len(), 1);
        assert_eq!(at(&items[0]), (1, Some("timestamp")));
        assert_eq!(
            message(&items[0]),
            "the header has no time column (name it timestamp, time or ts)"
        );

        let items = csv(&format!("# exported\n\n{rows}"), &scan_defaults());
        assert_eq!(at(&items[0]), (3, Some("timestamp")));

        let rows = "time,ip\n2026-11-20 03:04:05,192.0.2.1\n";
        let no_sensor = Defaults {
            sensor_id: None,
            ..scan_defaults()
        };
        let items = csv(rows, &no_sensor);
        assert_eq!(items.len(), 1);
        assert_eq!(at(&items[0]), (1, Some("sensor_id")));
        assert!(message(&items[0]).ends_with("or give a default sensor"));

        let no_type = Defaults {
            sensor_type: None,
            ..scan_defaults()
        };
        let items = csv(rows, &no_type);
        assert_eq!(items.len(), 1);
        assert_eq!(at(&items[0]), (1, Some("sensor_type")));

        // With the column there, an empty cell and no default refuses the record only.
        let items = csv(
            "time,ip,public_source,type\n2026-11-20 03:04:05,192.0.2.1,,scan\n\
             2026-11-20 03:04:05,192.0.2.1,cymru,\n2026-11-20 03:04:05,192.0.2.1,cymru,scan\n",
            &Defaults::default(),
        );
        assert_eq!(items.len(), 3);
        assert_eq!(at(&items[0]), (2, Some("public_source")));
        assert!(message(&items[0]).starts_with("the record names no sensor"));
        assert_eq!(at(&items[1]), (3, Some("type")));
        assert_eq!(ok(&items[2]).sensor_id, "cymru");
    }

    #[test]
    fn empty_inputs_have_no_records() {
        for text in [
            "",
            "\n\n",
            "# only a comment\n",
            "timestamp,ip\n",
            "\u{feff}",
        ] {
            assert!(csv(text, &scan_defaults()).is_empty(), "{text:?}");
        }
        for text in ["", "\n  \n", "\u{feff}\n"] {
            assert!(json(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn json_errors_name_physical_lines() {
        let good = "{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"darknet\",\"src_ip\":\"192.0.2.1\"}";
        let text = format!(
            "{good}\n\
\n\
{{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"darknet\",\"ip\":\"x\"}}\n\
[1,2]\n\
{{\"timestamp\": \n\
{{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"darknet\",\"src_ip\":\"192.0.2.1\",\"Port\":true}}\n\
{{\"TimeStamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"darknet\",\"src_ip\":\"192.0.2.1\",\"count\":\"0\"}}\n\
{{\"sensor\":\"s1\",\"type\":\"darknet\",\"src_ip\":\"192.0.2.1\"}}\n\
{{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"darknet\",\"src_ip\":\"192.0.2.1\",\"src_port\":80.5}}\n\
{{\"timestamp\":\"2026-11-20T03:04:05Z\",\"src_ip\":\"192.0.2.1\"}}\n\
{good}\n"
        );
        let items = json(&text);
        assert_eq!(items.len(), 10);
        assert_eq!(ok(&items[0]).src_ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(at(&items[1]), (3, Some("ip")));
        assert_eq!(at(&items[2]), (4, None));
        assert_eq!(message(&items[2]), "expected a JSON object, found an array");
        assert_eq!(at(&items[3]), (5, None));
        assert!(message(&items[3]).starts_with("not valid JSON at character "));
        assert!(!message(&items[3]).contains("line"));
        assert_eq!(at(&items[4]), (6, Some("Port")));
        assert_eq!(
            message(&items[4]),
            "expected a string or a number, found true"
        );
        assert_eq!(at(&items[5]), (7, Some("count")));
        assert_eq!(at(&items[6]), (8, Some("timestamp")));
        assert_eq!(message(&items[6]), "the record has no time");
        assert_eq!(at(&items[7]), (9, Some("src_port")));
        assert_eq!(at(&items[8]), (10, Some("sensor_id")));
        assert!(ok(&items[9]).src_ip.is_some());
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let text = "\u{feff}timestamp,ip\n2026-11-20 03:04:05,192.0.2.1\n";
        let items = csv(text, &scan_defaults());
        assert_eq!(ok(&items[0]).src_ip, Some("192.0.2.1".parse().unwrap()));
        let text = "\u{feff}# comment\ntimestamp,ip\n2026-11-20 03:04:05,192.0.2.1\n";
        assert!(ok(&csv(text, &scan_defaults())[0]).src_ip.is_some());
        let text = "\u{feff}{\"timestamp\":\"2026-11-20T03:04:05Z\",\"sensor\":\"s1\",\"type\":\"scan\",\"asn\":1}\n";
        assert_eq!(ok(&json(text)[0]).asn, Some(1));
        // Only at the start of the file.
        let text = "timestamp,ip\n\u{feff}2026-11-20 03:04:05,192.0.2.1\n";
        assert_eq!(at(&csv(text, &scan_defaults())[0]), (2, Some("timestamp")));
    }

    #[test]
    fn format_is_detected() {
        assert_eq!(Format::detect(b"{\"ts\":1}"), Format::JsonLines);
        assert_eq!(Format::detect(b"\xEF\xBB\xBF \r\n\t{"), Format::JsonLines);
        assert_eq!(Format::detect(b"timestamp,ip\n{"), Format::Csv);
        assert_eq!(Format::detect(b"# comment\n"), Format::Csv);
        assert_eq!(Format::detect(b"\xEF\xBB\xBF\"timestamp\""), Format::Csv);
        assert_eq!(Format::detect(b""), Format::Csv);
        assert_eq!(Format::detect(b"  \n"), Format::Csv);
    }

    #[test]
    fn protocol_numbers_are_named() {
        assert_eq!(parse_protocol("6").unwrap(), "tcp");
        assert_eq!(parse_protocol("006").unwrap(), "tcp");
        assert_eq!(parse_protocol("17").unwrap(), "udp");
        assert_eq!(parse_protocol("1").unwrap(), "icmp");
        assert_eq!(parse_protocol("58").unwrap(), "ipv6-icmp");
        assert_eq!(parse_protocol("47").unwrap(), "47");
        assert_eq!(parse_protocol("TCP").unwrap(), "tcp");
        assert_eq!(parse_protocol("IPv6-ICMP").unwrap(), "ipv6-icmp");
        assert!(parse_protocol("256").is_err());
        assert!(parse_protocol("-6").is_err());
        assert!(parse_protocol("tcp-").is_err());
        assert_eq!(parse_protocol("3PC").unwrap(), "3pc");
        assert!(parse_protocol("tcp/ip").is_err());
        assert!(parse_protocol("a-very-long-protocol").is_err());
        // Through the parser, as a JSON number.
        let text =
            "{\"ts\":0,\"sensor\":\"s\",\"type\":\"scan\",\"ip\":\"192.0.2.1\",\"proto\":6}\n";
        assert_eq!(ok(&json(text)[0]).protocol, "tcp");
    }

    #[test]
    fn times() {
        let t = datetime!(2026-11-20 03:04:05 UTC);
        for v in [
            "2026-11-20T03:04:05Z",
            "2026-11-20t03:04:05z",
            "2026-11-20T12:04:05+09:00",
            "2026-11-20 03:04:05",
            "2026-11-20 03:04:05Z",
            "2026-11-20 12:04:05+09:00",
            "1795143845",
        ] {
            let parsed = parse_time(v).unwrap();
            assert_eq!(parsed, t, "{v}");
            assert_eq!(parsed.offset(), UtcOffset::UTC, "{v}");
        }
        assert_eq!(
            parse_time("2026-11-20 03:04:05.123456").unwrap(),
            datetime!(2026-11-20 03:04:05.123456 UTC)
        );
        assert_eq!(
            parse_time("2026-11-20T03:04:05.5+00:00").unwrap(),
            datetime!(2026-11-20 03:04:05.5 UTC)
        );
        // A time without an offset is UTC only in Shadowserver's form, with a space.
        for v in [
            "2026-11-20T03:04:05",
            "2026-11-20",
            "2026-11-20 03:04",
            "2026-13-20 03:04:05",
            "-1",
            "+1763607845",
            "1763607845.5",
            "99999999999999999999",
            "253402300800",
        ] {
            assert!(parse_time(v).is_err(), "{v}");
        }
    }

    #[test]
    fn fields_are_canonical() {
        assert_eq!(parse_asn("AS64500"), Ok(64500));
        assert_eq!(parse_asn("as64500"), Ok(64500));
        assert_eq!(parse_asn("64500"), Ok(64500));
        assert_eq!(parse_asn("4294967295"), Ok(u32::MAX));
        for v in ["AS", "AS-1", "AS 64500", "4294967296", "AS64500.1", "ＡＳ1"] {
            assert!(parse_asn(v).is_err(), "{v}");
        }
        assert_eq!(parse_port("0"), Ok(0));
        assert_eq!(parse_port("65535"), Ok(65535));
        assert!(parse_port("+80").is_err());
        assert_eq!(
            parse_ip("::ffff:192.0.2.1").unwrap(),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(parse_ip("2001:DB8::1").unwrap().to_string(), "2001:db8::1");
        assert!(parse_ip("fe80::1%eth0").is_err());
        assert_eq!(parse_hostname("WWW.Example.JP.").unwrap(), "www.example.jp");
        assert!(parse_hostname("localhost").is_err());
        assert!(
            parse_hostname("example[.]jp")
                .unwrap_err()
                .contains("defanged")
        );
        assert_eq!(parse_tag("Mirai; Botnet").unwrap(), "mirai");
        assert_eq!(parse_tag(" ,ssh-brute-force,x").unwrap(), "ssh-brute-force");
        assert_eq!(parse_tag("ボット").unwrap(), "ボット");
        assert!(parse_tag(&"a".repeat(MAX_LABEL + 1)).is_err());
        assert!(parse_tag(&"a".repeat(MAX_LABEL)).is_ok());
        assert!(parse_label("a\tb", "a\tb").is_err());
        assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_count("18446744073709551616").is_err());
        assert!(parse_count("1.0").is_err());
        assert_eq!(
            parse_sensor_id(" tsubame-03.jp:a_1 "),
            Ok("tsubame-03.jp:a_1".to_owned())
        );
        assert!(parse_sensor_id(&"s".repeat(MAX_SENSOR_ID)).is_ok());
        assert!(parse_sensor_id(&"s".repeat(MAX_SENSOR_ID + 1)).is_err());
        assert!(parse_sensor_id("sensor 1").unwrap_err().contains("' '"));
    }

    #[test]
    fn preferred_columns_win_and_empty_cells_fall_back() {
        let text = "timestamp,ip,src_ip,infection,tag,sensor_id,sensor\n\
2026-11-20 03:04:05,192.0.2.1,192.0.2.2,mirai,gafgyt,a,b\n\
2026-11-20 03:04:05,192.0.2.1,,mirai,,,b\n";
        let items = csv(text, &scan_defaults());
        let first = ok(&items[0]);
        assert_eq!(first.src_ip, Some("192.0.2.2".parse().unwrap()));
        assert_eq!(first.tag, "gafgyt");
        assert_eq!(first.sensor_id, "a");
        let second = ok(&items[1]);
        assert_eq!(second.src_ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(second.tag, "mirai");
        assert_eq!(second.sensor_id, "b");
    }

    #[test]
    fn defaults_fill_missing_sensor() {
        let text = "timestamp,ip\n2026-11-20 03:04:05,192.0.2.1\n";
        let defaults = Defaults {
            sensor_id: Some("shodan-x".to_owned()),
            sensor_type: Some(SensorType::Scan),
        };
        let o = ok(&csv(text, &defaults)[0]).clone();
        assert_eq!(o.sensor_id, "shodan-x");
        assert_eq!(o.sensor_type, SensorType::Scan);
        // The file's value wins over the default; an empty cell takes the default.
        let text = "timestamp,ip,sensor,type\n2026-11-20 03:04:05,192.0.2.1,own,honeypot\n\
2026-11-20 03:04:05,192.0.2.1,,\n";
        let items = csv(text, &defaults);
        assert_eq!(ok(&items[0]).sensor_id, "own");
        assert_eq!(ok(&items[0]).sensor_type, SensorType::Honeypot);
        assert_eq!(ok(&items[1]).sensor_id, "shodan-x");
        assert_eq!(ok(&items[1]).sensor_type, SensorType::Scan);
        // A bad default is refused where it is used.
        let bad = Defaults {
            sensor_id: Some("shodan x".to_owned()),
            ..defaults
        };
        let items = read(
            "{\"ts\":0,\"type\":\"scan\",\"ip\":\"192.0.2.1\"}",
            Format::JsonLines,
            &bad,
        );
        assert_eq!(at(&items[0]), (1, Some("sensor_id")));
        assert!(message(&items[0]).starts_with("the default sensor \"shodan x\" contains ' '"));
    }

    #[test]
    fn quoted_cells_may_span_lines() {
        let text = "timestamp,src_ip,note\n\
2026-11-20 03:04:05,192.0.2.1,\"first\n\n,\"\"second\"\"\"\n\
2026-11-20 03:04:05,bad,x\n\
2026-11-20 03:04:05,192.0.2.2,\"never closed\n\
2026-11-20 03:04:05,192.0.2.3,x\n";
        let items = csv(text, &scan_defaults());
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok());
        assert_eq!(at(&items[1]), (5, Some("src_ip")));
        assert_eq!(at(&items[2]), (6, None));
        assert_eq!(
            message(&items[2]),
            "a quoted cell starting on this line is never closed"
        );
    }

    #[test]
    fn overlong_lines_are_refused_and_skipped() {
        let header = "timestamp,src_ip,note\n";
        let row = |note: &str| format!("2026-11-20 03:04:05,192.0.2.1,{note}");
        let fits = row(&"x".repeat(MAX_LINE_BYTES - row("").len()));
        assert_eq!(fits.len(), MAX_LINE_BYTES);
        let over = format!("{fits}x");
        let text = format!("{header}{fits}\r\n{over}\n{fits}\n");
        let items = csv(&text, &scan_defaults());
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok());
        assert_eq!(at(&items[1]), (3, None));
        assert_eq!(message(&items[1]), "the line is longer than 65536 bytes");
        assert!(items[2].is_ok());

        // A quoted cell across lines may not grow past the limit either.
        let half = "y".repeat(MAX_LINE_BYTES / 2 + 1);
        let text = format!(
            "{header}{}\n{half}\n{half}\"\n{}\n",
            row("\"start"),
            row("after")
        );
        let items = csv(&text, &scan_defaults());
        assert_eq!(items.len(), 2);
        assert_eq!(at(&items[0]), (2, None));
        assert_eq!(message(&items[0]), "the line is longer than 65536 bytes");
        assert!(items[1].is_ok());

        let good = "{\"ts\":0,\"sensor\":\"s\",\"type\":\"scan\",\"ip\":\"192.0.2.1\"}";
        let long = format!("{{\"note\":\"{}\"}}", "z".repeat(MAX_LINE_BYTES));
        let items = json(&format!("{good}\n{long}\n{good}\n"));
        assert_eq!(items.len(), 3);
        assert_eq!(at(&items[1]), (2, None));
        assert!(items[2].is_ok());
    }

    /// A reader that fails after handing out its text.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("connection reset"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_failures_end_the_records() {
        let text = b"timestamp,ip
2026-11-20 03:04:05,192.0.2.1
2026-11-20 03:04:05,192.0.2.2
";
        let items: Vec<Item> = records(Failing(text), Format::Csv, &scan_defaults()).collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        assert_eq!(at(&items[2]), (4, None));
        assert_eq!(
            message(&items[2]),
            "reading the input failed: connection reset"
        );
        let items: Vec<Item> =
            records(Failing(b"{\"ts\":0"), Format::JsonLines, &scan_defaults()).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(at(&items[0]), (1, None));
    }

    #[test]
    fn cells_must_be_utf8_only_where_used() {
        let text = b"timestamp,ip,city,tag
2026-11-20 03:04:05,192.0.2.1,M\xFCnchen,x
2026-11-20 03:04:05,192.0.2.1,x,\xFF
";
        let items: Vec<Item> = records(&text[..], Format::Csv, &scan_defaults()).collect();
        assert!(items[0].is_ok());
        assert_eq!(at(&items[1]), (3, Some("tag")));
        assert_eq!(message(&items[1]), "the cell is not UTF-8 text");
    }

    #[test]
    fn parse_error_display() {
        let e = ParseError::new(12, Some("ip"), "\"x\" is not an IP address");
        assert_eq!(
            e.to_string(),
            "line 12, column ip: \"x\" is not an IP address"
        );
        let e = ParseError::new(
            3,
            None,
            "the row has 2 cells but the header names 3 columns",
        );
        assert_eq!(
            e.to_string(),
            "line 3: the row has 2 cells but the header names 3 columns"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("line 3: "));
    }

    #[test]
    fn day_is_the_utc_date() {
        let o = Observation {
            timestamp: datetime!(2026-11-20 23:30:00 UTC),
            ..base()
        };
        assert_eq!(o.day(), time::macros::date!(2026 - 11 - 20));
        let o = Observation {
            timestamp: datetime!(2026-11-21 01:00:00 +09:00),
            ..base()
        };
        assert_eq!(o.day(), time::macros::date!(2026 - 11 - 20));
    }

    #[test]
    fn canonical_csv_columns() {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_csv_header(&mut w).unwrap();
        let o = Observation {
            timestamp: datetime!(2026-11-20 03:04:05 UTC),
            src_ip: Some("192.0.2.1".parse().unwrap()),
            src_port: Some(23),
            protocol: "tcp".to_owned(),
            tag: "mirai".to_owned(),
            family: "a,b".to_owned(),
            ..base()
        };
        write_csv_row(&mut w, &o).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "timestamp,sensor_id,sensor_type,src_ip,src_port,dst_ip,dst_port,protocol,asn,hostname,tag,family,severity,count\n\
2026-11-20 03:04:05,s1,darknet,192.0.2.1,23,,,tcp,,,mirai,\"a,b\",info,1\n"
        );
        assert_eq!(
            shadowserver_time(datetime!(2026-11-20 12:04:05.120 +09:00)),
            "2026-11-20 03:04:05.12"
        );
    }

    /// A reader that makes up a CSV file of `rows` rows as it is read, counting the
    /// bytes handed out.
    struct Generator {
        rows: u64,
        next: u64,
        line: Vec<u8>,
        pos: usize,
        served: Rc<Cell<u64>>,
    }

    impl Read for Generator {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.line.len() {
                if self.next > self.rows {
                    return Ok(0);
                }
                self.line.clear();
                let i = self.next;
                if i == 0 {
                    self.line.extend_from_slice(
                        b"timestamp,sensor,type,src_ip,dst_port,proto,tag,geo,city\n",
                    );
                } else {
                    writeln!(
                        self.line,
                        "{},gen-{},darknet,10.{}.{}.{},{},6,mirai;x,JP,\"Tokyo, Chiyoda\"",
                        1_763_596_800 + i % 86_400,
                        i % 7,
                        (i >> 16) & 255,
                        (i >> 8) & 255,
                        i & 255,
                        i % 65_536,
                    )?;
                }
                self.next += 1;
                self.pos = 0;
            }
            let n = buf.len().min(self.line.len() - self.pos);
            buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
            self.pos += n;
            self.served.set(self.served.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn streams_large_inputs() {
        const ROWS: u64 = 200_000;
        let served = Rc::new(Cell::new(0));
        let generator = Generator {
            rows: ROWS,
            next: 0,
            line: Vec::new(),
            pos: 0,
            served: Rc::clone(&served),
        };
        let mut it = records(generator, Format::Csv, &Defaults::default());
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.src_ip, Some("10.0.0.1".parse().unwrap()));
        // The first record came after reading at most one buffer, not the file.
        assert!(
            served.get() <= 2 * MAX_LINE_BYTES as u64,
            "{}",
            served.get()
        );
        let mut count = 1;
        let mut last = first;
        for item in it {
            last = item.unwrap();
            count += 1;
        }
        assert_eq!(count, ROWS);
        assert_eq!(last.src_ip, Some("10.3.13.64".parse().unwrap()));
        assert_eq!(last.dst_port, Some(3392));
        assert_eq!(last.tag, "mirai");
        assert!(served.get() > 10_000_000);
    }

    /// Records [`lex`] reads as `rows`, written by the csv crate.
    fn lexed(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = CsvReader::new(Lines::new(text));
        let mut rows = Vec::new();
        loop {
            match reader.advance(false) {
                CsvRecord::Read(_) => {
                    rows.push((0..reader.len()).map(|i| reader.cell(i).to_vec()).collect());
                }
                CsvRecord::End => return rows,
                CsvRecord::Refused(e) | CsvRecord::Failed(e) => panic!("{e}"),
            }
        }
    }

    fn observation() -> impl Strategy<Value = Observation> {
        let label = "([a-z0-9ぁ-ん]([a-z0-9 _.ぁ-ん-]{0,30}[a-z0-9ぁ-ん])?)?";
        let host = "[a-z][a-z0-9]{0,10}(\\.[a-z]{1,5}-[a-z0-9]{1,5})?\\.[a-z]{2,6}";
        (
            (
                0i64..4_000_000_000,
                prop_oneof![Just(0u32), 0u32..1_000_000_000],
                "[A-Za-z0-9._:-]{1,64}",
                prop::sample::select(SensorType::ALL.to_vec()),
                prop::option::of(any::<IpAddr>().prop_map(|ip| ip.to_canonical())),
                any::<Option<u16>>(),
                prop::option::of(any::<IpAddr>().prop_map(|ip| ip.to_canonical())),
            ),
            (
                any::<Option<u16>>(),
                "(|tcp|udp|icmp|ipv6-icmp|[a-z]([a-z0-9-]{0,14}[a-z0-9])?)",
                any::<Option<u32>>(),
                prop::option::of(host),
                label,
                "([a-z0-9]([a-z0-9,; \"/-]{0,20}[a-z0-9])?)?",
                prop::sample::select(Severity::ALL.to_vec()),
                1..=u64::MAX,
            ),
        )
            .prop_map(
                |(
                    (secs, nanos, sensor_id, sensor_type, src_ip, src_port, dst_ip),
                    (dst_port, protocol, asn, hostname, tag, family, severity, count),
                )| {
                    let timestamp = OffsetDateTime::from_unix_timestamp(secs)
                        .unwrap()
                        .replace_nanosecond(nanos)
                        .unwrap();
                    let named = src_ip.is_some() || dst_ip.is_some() || hostname.is_some();
                    Observation {
                        timestamp,
                        sensor_id,
                        sensor_type,
                        src_ip,
                        src_port,
                        dst_ip,
                        dst_port,
                        protocol,
                        asn: if named {
                            asn
                        } else {
                            Some(asn.unwrap_or(64500))
                        },
                        hostname,
                        tag,
                        family,
                        severity,
                        count,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn csv_rows_round_trip(o in observation()) {
            let mut w = csv::Writer::from_writer(Vec::new());
            write_csv_header(&mut w).unwrap();
            write_csv_row(&mut w, &o).unwrap();
            let bytes = w.into_inner().unwrap();
            let items: Vec<Item> = records(&bytes[..], Format::Csv, &Defaults::default()).collect();
            prop_assert_eq!(items.len(), 1);
            prop_assert_eq!(items[0].as_ref().unwrap(), &o);
            let json = serde_json::to_string(&o).unwrap();
            prop_assert_eq!(serde_json::from_str::<Observation>(&json).unwrap(), o);
        }

        #[test]
        fn lexer_reads_what_the_csv_crate_writes(
            rows in prop::collection::vec(
                prop::collection::vec("[ -~\n]{0,12}", 2..5),
                1..6,
            )
        ) {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows {
                w.write_record(row).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let expected: Vec<Vec<Vec<u8>>> = rows
                .iter()
                .map(|row| row.iter().map(|c| c.as_bytes().trim_ascii().to_vec()).collect())
                .collect();
            prop_assert_eq!(lexed(&bytes), expected);
        }
    }
}
