//! The generic mapping engine: a small TOML file names which column (CSV) or key (JSON) of an
//! export holds each part of a connection, how to read its values, which records the mapping
//! applies to and how to recognise the export by its first bytes. The built-in SIEM/EDR formats
//! are mapping files (`crates/ingest/mappings/*.toml`); a hunter loads another export with
//! `--mapping FILE` through [`load_mapping`]. Field names live in the mapping, the reading rules
//! live here, so one engine reads every such export the same way.
//!
//! Rules a mapping cannot change (they follow the event model):
//!
//! - Every field reference is one name or a list of names; the first name whose value is
//!   present (not empty, not `-`, not JSON `null`) wins. For addresses the first value that
//!   parses as an address wins (CIM `src` may hold a host name where `src_ip` is absent).
//! - A destination address and port are required: a record the mapping applies to without them
//!   is malformed. Everything else is optional and stays `None`/`Unknown` when absent; byte
//!   counts are never made up (a missing column is `None`, not 0).
//! - IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as Defender writes them) are read as IPv4.
//! - Value lists compare without regard to case; a value may start and/or end with `*` to match
//!   a suffix, a prefix or a substring (`Tcp*`, `stream:*`).

use pubsub_hunt_core::time::{Micros, parse_epoch_seconds, parse_rfc3339};
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Protocol, Transport};
use pubsub_hunt_reader::{CERTAIN, Confidence, FormatSpec, LIKELY, POSSIBLE, Reader, Record};
use serde::Deserialize;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

/// Why a mapping file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("mapping file is not valid TOML for a mapping: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("mapping {name:?}: {problem}")]
    Invalid { name: String, problem: String },
}

/// Longest mapping file accepted: mappings are a few kilobytes; anything larger is a mistake.
pub const MAX_MAPPING_BYTES: usize = 256 * 1024;
/// Most names, values or rules in any one list of a mapping.
const MAX_LIST: usize = 256;

// ---------------------------------------------------------------------------------------------
// The file as written.

/// One name or a list of names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    name: String,
    description: String,
    kind: Kind,
    sniff: Option<SniffFile>,
    json: Option<JsonFile>,
    #[serde(default, rename = "match")]
    conditions: Vec<ConditionFile>,
    timestamp: Option<TimeFile>,
    end: Option<TimeFile>,
    fields: FieldsFile,
    transport: Option<TransportFile>,
    outcome: Option<OutcomeFile>,
    direction: Option<DirectionFile>,
    bytes: Option<BytesFile>,
}

/// Whether the export is CSV with a header row, or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Csv,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SniffFile {
    /// Header columns (CSV) or keys of the first record (JSON) that must all be present; an
    /// entry that is a list is satisfied by any one of its names.
    required: Vec<OneOrMany>,
    confidence: ConfidenceName,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ConfidenceName {
    Certain,
    Likely,
    Possible,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFile {
    #[serde(default)]
    records: Vec<String>,
    #[serde(default)]
    unwrap: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    field: OneOrMany,
    values: Option<Vec<String>>,
    not_values: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeFile {
    field: OneOrMany,
    #[serde(default)]
    formats: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsFile {
    host: Option<OneOrMany>,
    process_path: Option<OneOrMany>,
    process_name: Option<OneOrMany>,
    user: Option<OneOrMany>,
    user_domain: Option<OneOrMany>,
    src_ip: Option<OneOrMany>,
    src_port: Option<OneOrMany>,
    dst_ip: OneOrMany,
    dst_port: OneOrMany,
    dst_name: Option<OneOrMany>,
    app_label: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportFile {
    field: OneOrMany,
    #[serde(default)]
    tcp: Vec<String>,
    #[serde(default)]
    udp: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeFile {
    field: OneOrMany,
    #[serde(default)]
    success: Vec<String>,
    #[serde(default)]
    failure: Vec<String>,
    /// What a present value in neither list means.
    #[serde(default = "default_other")]
    other: OutcomeName,
}

fn default_other() -> OutcomeName {
    OutcomeName::Unknown
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OutcomeName {
    Succeeded,
    Failed,
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectionFile {
    field: OneOrMany,
    #[serde(default)]
    inbound: Vec<String>,
    #[serde(default)]
    outbound: Vec<String>,
    #[serde(default)]
    inbound_swaps_endpoints: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BytesFile {
    to_server: Option<OneOrMany>,
    to_client: Option<OneOrMany>,
    #[serde(default)]
    when: Vec<BytesRuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BytesRuleFile {
    field: OneOrMany,
    values: Vec<String>,
    to_server: Option<OneOrMany>,
    to_client: Option<OneOrMany>,
}

// ---------------------------------------------------------------------------------------------
// The compiled mapping.

/// A value pattern: exact, prefix (`abc*`), suffix (`*abc`) or substring (`*abc*`), compared
/// without regard to ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePattern {
    text: String,
    prefix_wild: bool,
    suffix_wild: bool,
}

impl ValuePattern {
    pub fn new(p: &str) -> ValuePattern {
        let prefix_wild = p.starts_with('*');
        let rest = p.strip_prefix('*').unwrap_or(p);
        let suffix_wild = rest.ends_with('*');
        let text = rest.strip_suffix('*').unwrap_or(rest).to_ascii_lowercase();
        ValuePattern {
            text,
            prefix_wild,
            suffix_wild,
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        let v = value.trim().as_bytes();
        let t = self.text.as_bytes();
        match (self.prefix_wild, self.suffix_wild) {
            (false, false) => v.eq_ignore_ascii_case(t),
            (false, true) => v.get(..t.len()).is_some_and(|h| h.eq_ignore_ascii_case(t)),
            (true, false) => v
                .len()
                .checked_sub(t.len())
                .and_then(|s| v.get(s..))
                .is_some_and(|h| h.eq_ignore_ascii_case(t)),
            (true, true) => t.is_empty() || v.windows(t.len()).any(|w| w.eq_ignore_ascii_case(t)),
        }
    }
}

fn any_match(patterns: &[ValuePattern], value: &str) -> bool {
    patterns.iter().any(|p| p.matches(value))
}

/// How a timestamp value is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 / ISO-8601, with or without a zone (no zone means UTC).
    Rfc3339,
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    /// A strftime-like pattern (jiff); without an offset in it the time is read as UTC.
    Pattern(String),
}

impl TimeFormat {
    fn from_name(s: &str) -> Result<TimeFormat, String> {
        Ok(match s {
            "rfc3339" | "iso8601" => TimeFormat::Rfc3339,
            "epoch_s" | "epoch" => TimeFormat::EpochSeconds,
            "epoch_ms" => TimeFormat::EpochMillis,
            "epoch_us" => TimeFormat::EpochMicros,
            p if p.contains('%') => TimeFormat::Pattern(p.to_string()),
            other => {
                return Err(format!(
                    "unknown time format {other:?} (rfc3339, epoch_s, epoch_ms, epoch_us, or a strftime pattern with %)"
                ));
            }
        })
    }

    fn parse(&self, s: &str) -> Option<Micros> {
        let s = s.trim();
        match self {
            TimeFormat::Rfc3339 => parse_rfc3339(s),
            TimeFormat::EpochSeconds => parse_epoch_seconds(s),
            TimeFormat::EpochMillis => parse_epoch_scaled(s, 1_000),
            TimeFormat::EpochMicros => parse_epoch_scaled(s, 1),
            TimeFormat::Pattern(p) => {
                let tm = jiff::fmt::strtime::parse(p, s).ok()?;
                if let Ok(ts) = tm.to_timestamp() {
                    return Some(ts.as_microsecond());
                }
                let dt = tm.to_datetime().ok()?;
                let z = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
                Some(z.timestamp().as_microsecond())
            }
        }
    }
}

/// Parses a decimal count of a unit (`micros_per_unit` microseconds each), keeping integer
/// precision; digits finer than a microsecond are dropped.
fn parse_epoch_scaled(s: &str, micros_per_unit: i64) -> Option<Micros> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty()
        || int_part.len() > 18
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int_part.parse().ok()?;
    let mut v = whole.checked_mul(micros_per_unit)?;
    // Fractional digits that still amount to whole microseconds.
    let mut scale = micros_per_unit;
    for b in frac_part.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        v = v.checked_add(i64::from(b - b'0') * scale)?;
    }
    Some(if neg { -v } else { v })
}

#[derive(Debug, Clone)]
struct Condition {
    field: Vec<String>,
    values: Option<Vec<ValuePattern>>,
    not_values: Vec<ValuePattern>,
}

#[derive(Debug, Clone)]
struct TimeSpec {
    field: Vec<String>,
    formats: Vec<TimeFormat>,
}

#[derive(Debug, Clone)]
struct BytesRule {
    field: Vec<String>,
    values: Vec<ValuePattern>,
    to_server: Vec<String>,
    to_client: Vec<String>,
}

/// How the export is recognised.
#[derive(Debug, Clone)]
pub struct Sniff {
    /// Each entry: names of which one must be present.
    pub required: Vec<Vec<String>>,
    pub confidence: Confidence,
}

/// A compiled mapping: what [`load_mapping`] builds from a file.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Leaked once per loaded mapping, because events and formats carry `&'static str` names.
    pub name: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    pub sniff: Option<Sniff>,
    /// JSON: keys of a wrapper object whose array holds the records (`Results`, `records`).
    pub json_records: Vec<String>,
    /// JSON: keys a record's row is nested under when present (`properties`, `result`).
    pub json_unwrap: Vec<String>,
    conditions: Vec<Condition>,
    timestamp: Option<TimeSpec>,
    end: Option<TimeSpec>,
    host: Vec<String>,
    process_path: Vec<String>,
    process_name: Vec<String>,
    user: Vec<String>,
    user_domain: Vec<String>,
    src_ip: Vec<String>,
    src_port: Vec<String>,
    dst_ip: Vec<String>,
    dst_port: Vec<String>,
    dst_name: Vec<String>,
    app_label: Vec<String>,
    transport_field: Vec<String>,
    transport_tcp: Vec<ValuePattern>,
    transport_udp: Vec<ValuePattern>,
    outcome_field: Vec<String>,
    outcome_success: Vec<ValuePattern>,
    outcome_failure: Vec<ValuePattern>,
    outcome_other: Outcome,
    direction_field: Vec<String>,
    direction_inbound: Vec<ValuePattern>,
    direction_outbound: Vec<ValuePattern>,
    inbound_swaps_endpoints: bool,
    bytes_to_server: Vec<String>,
    bytes_to_client: Vec<String>,
    bytes_rules: Vec<BytesRule>,
}

/// Access to one record's values by column name or JSON key.
pub trait Row {
    /// The value of `name`, or `None` when the record has no such field. Values are returned
    /// as text (numbers in their JSON spelling).
    fn get(&self, name: &str) -> Option<Cow<'_, str>>;
}

/// Whether a value counts as present.
fn present(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty() && t != "-" && !t.eq_ignore_ascii_case("null")
}

/// The first present value among `names`, with the name it came from.
fn first<'r>(row: &'r dyn Row, names: &'r [String]) -> Option<(&'r str, Cow<'r, str>)> {
    names
        .iter()
        .find_map(|n| row.get(n).filter(|v| present(v)).map(|v| (n.as_str(), v)))
}

fn first_string(row: &dyn Row, names: &[String]) -> Option<String> {
    first(row, names).map(|(_, v)| v.trim().to_string())
}

/// Shortens input for an error message.
fn short(s: &str) -> String {
    s.chars().take(48).collect()
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    // `[::1]` as some exports bracket IPv6.
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn parse_port(name: &str, s: &str) -> Result<u16, String> {
    let t = s.trim();
    // JSON numbers written as floats by some exporters (`1883.0`).
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse::<u16>()
        .map_err(|_| format!("bad {name} {:?}", short(s)))
}

impl Mapping {
    fn compile(f: MappingFile) -> Result<Mapping, MappingError> {
        let name = f.name.clone();
        let invalid = |problem: String| MappingError::Invalid {
            name: name.clone(),
            problem,
        };
        if f.name.is_empty()
            || f.name.len() > 64
            || !f
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "the name must be 1-64 characters of a-z, 0-9, - and _".into(),
            ));
        }
        if f.kind == Kind::Csv && f.json.is_some() {
            return Err(invalid(
                "a [json] table only applies to kind = \"json\"".into(),
            ));
        }
        let names = |v: OneOrMany, what: &str| -> Result<Vec<String>, MappingError> {
            let v = v.into_vec();
            if v.is_empty() || v.len() > MAX_LIST || v.iter().any(|s| s.trim().is_empty()) {
                return Err(invalid(format!(
                    "{what} must name 1 to {MAX_LIST} non-empty fields"
                )));
            }
            Ok(v)
        };
        let opt_names = |v: Option<OneOrMany>, what: &str| -> Result<Vec<String>, MappingError> {
            v.map_or(Ok(Vec::new()), |v| names(v, what))
        };
        let patterns = |v: Vec<String>, what: &str| -> Result<Vec<ValuePattern>, MappingError> {
            if v.len() > MAX_LIST {
                return Err(invalid(format!("{what} has more than {MAX_LIST} values")));
            }
            Ok(v.iter().map(|s| ValuePattern::new(s)).collect())
        };
        let time = |t: Option<TimeFile>, what: &str| -> Result<Option<TimeSpec>, MappingError> {
            let Some(t) = t else { return Ok(None) };
            let field = names(t.field, what)?;
            let formats = if t.formats.is_empty() {
                vec![TimeFormat::Rfc3339]
            } else {
                t.formats
                    .iter()
                    .map(|s| TimeFormat::from_name(s))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(&invalid)?
            };
            Ok(Some(TimeSpec { field, formats }))
        };

        let sniff = match f.sniff {
            None => None,
            Some(s) => {
                if s.required.is_empty() || s.required.len() > MAX_LIST {
                    return Err(invalid("sniff.required must list 1 or more fields".into()));
                }
                let required = s
                    .required
                    .into_iter()
                    .map(|r| names(r, "a sniff.required entry"))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(Sniff {
                    required,
                    confidence: match s.confidence {
                        ConfidenceName::Certain => CERTAIN,
                        ConfidenceName::Likely => LIKELY,
                        ConfidenceName::Possible => POSSIBLE,
                    },
                })
            }
        };
        let json = f.json.unwrap_or_default();
        if json.records.len() > MAX_LIST || json.unwrap.len() > MAX_LIST {
            return Err(invalid("json lists are too long".into()));
        }
        let mut conditions = Vec::new();
        for c in f.conditions {
            conditions.push(Condition {
                field: names(c.field, "match.field")?,
                values: c.values.map(|v| patterns(v, "match.values")).transpose()?,
                not_values: patterns(c.not_values.unwrap_or_default(), "match.not_values")?,
            });
        }
        let (transport_field, transport_tcp, transport_udp) = match f.transport {
            None => (Vec::new(), Vec::new(), Vec::new()),
            Some(t) => (
                names(t.field, "transport.field")?,
                patterns(t.tcp, "transport.tcp")?,
                patterns(t.udp, "transport.udp")?,
            ),
        };
        let (outcome_field, outcome_success, outcome_failure, outcome_other) = match f.outcome {
            None => (Vec::new(), Vec::new(), Vec::new(), Outcome::Unknown),
            Some(o) => (
                names(o.field, "outcome.field")?,
                patterns(o.success, "outcome.success")?,
                patterns(o.failure, "outcome.failure")?,
                match o.other {
                    OutcomeName::Succeeded => Outcome::Succeeded,
                    OutcomeName::Failed => Outcome::Failed,
                    OutcomeName::Unknown => Outcome::Unknown,
                },
            ),
        };
        let (direction_field, direction_inbound, direction_outbound, swaps) = match f.direction {
            None => (Vec::new(), Vec::new(), Vec::new(), false),
            Some(d) => (
                names(d.field, "direction.field")?,
                patterns(d.inbound, "direction.inbound")?,
                patterns(d.outbound, "direction.outbound")?,
                d.inbound_swaps_endpoints,
            ),
        };
        let (bytes_to_server, bytes_to_client, bytes_rules) = match f.bytes {
            None => (Vec::new(), Vec::new(), Vec::new()),
            Some(b) => {
                if b.when.len() > MAX_LIST {
                    return Err(invalid("too many bytes.when rules".into()));
                }
                let mut rules = Vec::new();
                for r in b.when {
                    rules.push(BytesRule {
                        field: names(r.field, "bytes.when.field")?,
                        values: patterns(r.values, "bytes.when.values")?,
                        to_server: opt_names(r.to_server, "bytes.when.to_server")?,
                        to_client: opt_names(r.to_client, "bytes.when.to_client")?,
                    });
                }
                (
                    opt_names(b.to_server, "bytes.to_server")?,
                    opt_names(b.to_client, "bytes.to_client")?,
                    rules,
                )
            }
        };
        let fields = f.fields;
        Ok(Mapping {
            name: Box::leak(f.name.into_boxed_str()),
            description: Box::leak(f.description.into_boxed_str()),
            kind: f.kind,
            sniff,
            json_records: json.records,
            json_unwrap: json.unwrap,
            conditions,
            timestamp: time(f.timestamp, "timestamp.field")?,
            end: time(f.end, "end.field")?,
            host: opt_names(fields.host, "fields.host")?,
            process_path: opt_names(fields.process_path, "fields.process_path")?,
            process_name: opt_names(fields.process_name, "fields.process_name")?,
            user: opt_names(fields.user, "fields.user")?,
            user_domain: opt_names(fields.user_domain, "fields.user_domain")?,
            src_ip: opt_names(fields.src_ip, "fields.src_ip")?,
            src_port: opt_names(fields.src_port, "fields.src_port")?,
            dst_ip: names(fields.dst_ip, "fields.dst_ip")?,
            dst_port: names(fields.dst_port, "fields.dst_port")?,
            dst_name: opt_names(fields.dst_name, "fields.dst_name")?,
            app_label: opt_names(fields.app_label, "fields.app_label")?,
            transport_field,
            transport_tcp,
            transport_udp,
            outcome_field,
            outcome_success,
            outcome_failure,
            outcome_other,
            direction_field,
            direction_inbound,
            direction_outbound,
            inbound_swaps_endpoints: swaps,
            bytes_to_server,
            bytes_to_client,
            bytes_rules,
        })
    }

    /// Parses and checks a mapping file.
    pub fn from_toml(text: &str) -> Result<Mapping, MappingError> {
        if text.len() > MAX_MAPPING_BYTES {
            return Err(MappingError::Invalid {
                name: String::new(),
                problem: format!("the file is larger than {MAX_MAPPING_BYTES} bytes"),
            });
        }
        let f: MappingFile = toml::from_str(text)?;
        Mapping::compile(f)
    }

    /// How sure the sniff is that a record with these names is this export: every required
    /// entry must be among `has`.
    pub fn sniff_names(&self, has: &dyn Fn(&str) -> bool) -> Option<Confidence> {
        let s = self.sniff.as_ref()?;
        s.required
            .iter()
            .all(|any| any.iter().any(|n| has(n)))
            .then_some(s.confidence)
    }

    /// The fields that must be resolvable for a record to be read at all (for checking a CSV
    /// header when the format is forced).
    pub fn destination_fields(&self) -> (&[String], &[String]) {
        (&self.dst_ip, &self.dst_port)
    }

    fn applies(&self, row: &dyn Row) -> bool {
        self.conditions.iter().all(|c| match first(row, &c.field) {
            None => false,
            Some((_, v)) => {
                c.values.as_ref().is_none_or(|p| any_match(p, &v)) && !any_match(&c.not_values, &v)
            }
        })
    }

    fn time(spec: &Option<TimeSpec>, row: &dyn Row) -> Result<Option<Micros>, String> {
        let Some(spec) = spec else { return Ok(None) };
        let Some((name, v)) = first(row, &spec.field) else {
            return Ok(None);
        };
        spec.formats
            .iter()
            .find_map(|f| f.parse(&v))
            .map(Some)
            .ok_or_else(|| format!("bad {name} {:?}", short(&v)))
    }

    fn transport(&self, row: &dyn Row) -> Transport {
        match first(row, &self.transport_field) {
            None => Transport::Unknown,
            Some((_, v)) if any_match(&self.transport_tcp, &v) => Transport::Tcp,
            Some((_, v)) if any_match(&self.transport_udp, &v) => Transport::Udp,
            Some((_, v)) => Transport::from_label(&v),
        }
    }

    fn outcome(&self, row: &dyn Row) -> Outcome {
        match first(row, &self.outcome_field) {
            None => Outcome::Unknown,
            Some((_, v)) if any_match(&self.outcome_success, &v) => Outcome::Succeeded,
            Some((_, v)) if any_match(&self.outcome_failure, &v) => Outcome::Failed,
            Some(_) => self.outcome_other,
        }
    }

    fn direction(&self, row: &dyn Row) -> Direction {
        match first(row, &self.direction_field) {
            Some((_, v)) if any_match(&self.direction_inbound, &v) => Direction::Inbound,
            Some((_, v)) if any_match(&self.direction_outbound, &v) => Direction::Outbound,
            _ => Direction::Unknown,
        }
    }

    /// Bytes (to server, to client) as the mapped source/destination columns give them; a rule
    /// whose condition holds picks other columns (Splunk Stream's reversed `bytes_in`).
    fn bytes(&self, row: &dyn Row) -> Result<(Option<u64>, Option<u64>), String> {
        let (to_server, to_client) = self
            .bytes_rules
            .iter()
            .find(|r| first(row, &r.field).is_some_and(|(_, v)| any_match(&r.values, &v)))
            .map_or((&self.bytes_to_server, &self.bytes_to_client), |r| {
                (&r.to_server, &r.to_client)
            });
        let count = |names: &[String]| -> Result<Option<u64>, String> {
            match first(row, names) {
                None => Ok(None),
                Some((name, v)) => {
                    let t = v.trim();
                    let t = t.strip_suffix(".0").unwrap_or(t);
                    t.parse::<u64>()
                        .map(Some)
                        .map_err(|_| format!("bad {name} {:?}", short(&v)))
                }
            }
        };
        Ok((count(to_server)?, count(to_client)?))
    }

    fn ip(row: &dyn Row, names: &[String]) -> Result<Option<IpAddr>, (String, String)> {
        let mut bad = None;
        for n in names {
            if let Some(v) = row.get(n).filter(|v| present(v)) {
                match parse_ip(&v) {
                    Some(ip) => return Ok(Some(ip)),
                    None => {
                        bad.get_or_insert((n.clone(), short(&v)));
                    }
                }
            }
        }
        match bad {
            Some(b) => Err(b),
            None => Ok(None),
        }
    }

    fn process(&self, row: &dyn Row) -> Option<String> {
        let path = first_string(row, &self.process_path);
        let name = first_string(row, &self.process_name);
        match (path, name) {
            (Some(p), Some(n)) => {
                // Some exports give the folder only; join it with the file name then.
                let base = p.rsplit(['\\', '/']).next().unwrap_or(&p);
                if base.eq_ignore_ascii_case(&n) {
                    Some(p)
                } else {
                    let sep = if p.contains('\\') { '\\' } else { '/' };
                    let folder = p.trim_end_matches(['\\', '/']);
                    Some(format!("{folder}{sep}{n}"))
                }
            }
            (Some(p), None) => Some(p),
            (None, n) => n,
        }
    }

    fn user(&self, row: &dyn Row) -> Option<String> {
        let user = first_string(row, &self.user)?;
        match first_string(row, &self.user_domain) {
            Some(d) if !user.contains('\\') && !user.contains('@') => Some(format!("{d}\\{user}")),
            _ => Some(user),
        }
    }

    /// Reduces one record to an event, [`Record::Other`] when the mapping's `match` conditions
    /// do not hold.
    pub fn record(&self, row: &dyn Row) -> Result<Record, String> {
        if !self.applies(row) {
            return Ok(Record::Other);
        }
        let dst_ip = match Self::ip(row, &self.dst_ip) {
            Ok(Some(ip)) => ip,
            Ok(None) => return Err(format!("{} is missing", self.dst_ip.join("/"))),
            Err((name, v)) => return Err(format!("bad {name} {v:?}")),
        };
        let dst_port = match first(row, &self.dst_port) {
            Some((name, v)) => parse_port(name, &v)?,
            None => return Err(format!("{} is missing", self.dst_port.join("/"))),
        };
        // The source side is optional: a value that is not an address (a CIM `src` host name)
        // leaves it unknown rather than losing the record.
        let src_ip = Self::ip(row, &self.src_ip).unwrap_or(None);
        let src_port = match first(row, &self.src_port) {
            Some((name, v)) => Some(parse_port(name, &v)?),
            None => None,
        };
        let direction = self.direction(row);
        let (mut bytes_out, mut bytes_in) = self.bytes(row)?;
        let mut ev = ConnEvent {
            ts: Self::time(&self.timestamp, row)?,
            end: Self::time(&self.end, row)?,
            host: first_string(row, &self.host),
            process: self.process(row),
            user: self.user(row),
            src_ip,
            src_port,
            transport: self.transport(row),
            outcome: self.outcome(row),
            direction,
            app_label: first_string(row, &self.app_label),
            dst_name: first_string(row, &self.dst_name).and_then(|n| {
                host_of(&n).map(|h| pubsub_hunt_core::app::bounded_name(h).to_string())
            }),
            source_format: Some(self.name),
            ..ConnEvent::new(dst_ip, dst_port)
        };
        if direction == Direction::Inbound && self.inbound_swaps_endpoints {
            // The mapped source is the local side; in an inbound record the remote side
            // started the connection, so it becomes the initiator.
            match ev.src_ip {
                Some(local_ip) => {
                    ev.src_ip = Some(ev.dst_ip);
                    ev.dst_ip = local_ip;
                }
                None => return Err("inbound record without a local address".into()),
            }
            match ev.src_port {
                Some(local_port) => {
                    ev.src_port = Some(ev.dst_port);
                    ev.dst_port = local_port;
                }
                None => return Err("inbound record without a local port".into()),
            }
            std::mem::swap(&mut bytes_out, &mut bytes_in);
        }
        ev.bytes_out = bytes_out;
        ev.bytes_in = bytes_in;
        if let Some(label) = &ev.app_label {
            ev.identified = protocols_in_label(label);
        }
        Ok(Record::Conn(Box::new(ev)))
    }
}

/// The pub/sub protocols named in an application label (`mqtt`, `ssl,xmpp`, `ip:tcp:amqp`).
pub fn protocols_in_label(label: &str) -> Vec<Protocol> {
    let mut out = Vec::new();
    for part in label.split([',', ':', ';', '/', '|', ' ']) {
        if let Some(p) = Protocol::from_label(part)
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

/// A format read through a mapping.
pub struct MappedFormat {
    pub mapping: Arc<Mapping>,
}

impl FormatSpec for MappedFormat {
    fn name(&self) -> &'static str {
        self.mapping.name
    }

    fn description(&self) -> &'static str {
        self.mapping.description
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        match self.mapping.kind {
            Kind::Csv => super::csv::sniff(&self.mapping, head),
            Kind::Json => super::json::sniff(&self.mapping, head),
        }
    }

    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        match self.mapping.kind {
            Kind::Csv => super::csv::open(&self.mapping, head),
            Kind::Json => super::json::open(&self.mapping, head),
        }
    }
}

/// Loads a mapping file (the text of `--mapping FILE`) as an input format.
pub fn load_mapping(toml_text: &str) -> Result<Arc<dyn FormatSpec>, MappingError> {
    let mapping = Mapping::from_toml(toml_text)?;
    Ok(Arc::new(MappedFormat {
        mapping: Arc::new(mapping),
    }))
}

/// The host name in a URL or bare name (`https://broker.example:8883/mqtt` → `broker.example`);
/// `None` for an empty value.
fn host_of(value: &str) -> Option<&str> {
    let v = value.trim();
    let v = v.split_once("://").map_or(v, |(_, rest)| rest);
    let v = v.split(['/', '?', '#']).next().unwrap_or(v);
    let v = v.rsplit_once('@').map_or(v, |(_, host)| host);
    let v = match v.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => v,
    };
    (!v.is_empty() && v != "-").then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapRow(HashMap<&'static str, &'static str>);

    impl Row for MapRow {
        fn get(&self, name: &str) -> Option<Cow<'_, str>> {
            self.0.get(name).map(|v| Cow::Borrowed(*v))
        }
    }

    fn row(pairs: &[(&'static str, &'static str)]) -> MapRow {
        MapRow(pairs.iter().copied().collect())
    }

    const SMALL: &str = r#"
name = "test-map"
description = "a test"
kind = "csv"

[[match]]
field = "kind"
values = ["conn*"]
not_values = ["*probe"]

[timestamp]
field = ["when", "time"]
formats = ["epoch_ms", "%d/%m/%Y %H:%M:%S"]

[fields]
host = "host"
process_path = "folder"
process_name = "exe"
user = "acct"
user_domain = "dom"
src_ip = ["sip", "src"]
src_port = "sport"
dst_ip = ["dip", "dest"]
dst_port = "dport"
app_label = "app"

[transport]
field = "proto"
tcp = ["Tcp*"]
udp = ["Udp*"]

[outcome]
field = "kind"
success = ["conn-ok", "conn-in"]
other = "failed"

[direction]
field = "kind"
inbound = ["conn-in"]
outbound = ["conn-ok", "conn-fail"]
inbound_swaps_endpoints = true

[bytes]
to_server = "sent"
to_client = "recv"

[[bytes.when]]
field = "st"
values = ["stream:*"]
to_server = "recv"
to_client = "sent"
"#;

    fn small() -> Mapping {
        Mapping::from_toml(SMALL).unwrap()
    }

    fn conn(m: &Mapping, r: &MapRow) -> ConnEvent {
        match m.record(r).unwrap() {
            Record::Conn(e) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn patterns() {
        assert!(ValuePattern::new("Tcp*").matches("TcpV4"));
        assert!(ValuePattern::new("Tcp*").matches("tcp"));
        assert!(!ValuePattern::new("Tcp*").matches("udp"));
        assert!(ValuePattern::new("*Inspected").matches("DnsConnectionInspected"));
        assert!(ValuePattern::new("*conn*").matches("xConNy"));
        assert!(ValuePattern::new("allowed").matches(" Allowed "));
        assert!(!ValuePattern::new("allowed").matches("allowedx"));
        assert!(ValuePattern::new("*").matches("anything"));
    }

    #[test]
    fn epoch_units() {
        assert_eq!(
            parse_epoch_scaled("1714557600123", 1_000),
            Some(1_714_557_600_123_000)
        );
        assert_eq!(
            parse_epoch_scaled("1714557600123.456", 1_000),
            Some(1_714_557_600_123_456)
        );
        assert_eq!(
            parse_epoch_scaled("1714557600123456", 1),
            Some(1_714_557_600_123_456)
        );
        assert_eq!(parse_epoch_scaled("-5", 1_000), Some(-5_000));
        assert_eq!(parse_epoch_scaled("", 1_000), None);
        assert_eq!(parse_epoch_scaled("1e9", 1_000), None);
        assert_eq!(parse_epoch_scaled("999999999999999999", 1_000), None);
    }

    #[test]
    fn a_full_record() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("when", "1714557600123"),
                ("host", "ws01"),
                ("folder", r"C:\Tools\mosquitto_pub.exe"),
                ("exe", "mosquitto_pub.exe"),
                ("acct", "alice"),
                ("dom", "CORP"),
                ("sip", "::ffff:10.0.0.5"),
                ("sport", "50000"),
                ("dip", "203.0.113.7"),
                ("dport", "1883"),
                ("app", "ssl,MQTT"),
                ("proto", "TcpV4"),
                ("sent", "10"),
                ("recv", "20"),
            ]),
        );
        assert_eq!(e.ts, Some(1_714_557_600_123_000));
        assert_eq!(e.host.as_deref(), Some("ws01"));
        assert_eq!(e.process.as_deref(), Some(r"C:\Tools\mosquitto_pub.exe"));
        assert_eq!(e.user.as_deref(), Some(r"CORP\alice"));
        assert_eq!(e.src_ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(e.src_port, Some(50000));
        assert_eq!(e.dst_ip, "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst_port, 1883);
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.outcome, Outcome::Succeeded);
        assert_eq!(e.direction, Direction::Outbound);
        assert_eq!(e.identified, vec![Protocol::Mqtt]);
        assert_eq!(e.app_label.as_deref(), Some("ssl,MQTT"));
        assert_eq!((e.bytes_out, e.bytes_in), (Some(10), Some(20)));
        assert_eq!(e.source_format, Some("test-map"));
    }

    #[test]
    fn folder_only_paths_are_joined_and_names_alone_kept() {
        let m = small();
        let base = [
            ("kind", "conn-ok"),
            ("dip", "203.0.113.7"),
            ("dport", "1883"),
        ];
        let mut r = row(&base);
        r.0.insert("folder", r"C:\Tools\");
        r.0.insert("exe", "nc.exe");
        assert_eq!(conn(&m, &r).process.as_deref(), Some(r"C:\Tools\nc.exe"));
        let mut r = row(&base);
        r.0.insert("exe", "nc.exe");
        assert_eq!(conn(&m, &r).process.as_deref(), Some("nc.exe"));
        let mut r = row(&base);
        r.0.insert("folder", "/usr/bin");
        r.0.insert("exe", "nc");
        assert_eq!(conn(&m, &r).process.as_deref(), Some("/usr/bin/nc"));
    }

    #[test]
    fn missing_values_stay_unknown() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-x"),
                ("dest", "2001:db8::1"),
                ("dport", "5222"),
                ("sent", ""),
            ]),
        );
        assert_eq!(e.ts, None);
        assert_eq!(e.host, None);
        assert_eq!(e.process, None);
        assert_eq!(e.user, None);
        assert_eq!(e.src_ip, None);
        assert_eq!(e.transport, Transport::Unknown);
        // A value in neither list: `other = "failed"`.
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.direction, Direction::Unknown);
        assert_eq!((e.bytes_out, e.bytes_in), (None, None));
        assert_eq!(e.dst_ip, "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn user_with_domain_already_is_kept() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("acct", r"X\bob"),
                ("dom", "CORP"),
            ]),
        );
        assert_eq!(e.user.as_deref(), Some(r"X\bob"));
    }

    #[test]
    fn inbound_records_are_turned_around() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-in"),
                ("sip", "10.0.0.5"),
                ("sport", "1883"),
                ("dip", "198.51.100.9"),
                ("dport", "40000"),
                ("sent", "1"),
                ("recv", "2"),
            ]),
        );
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.src_ip, Some("198.51.100.9".parse().unwrap()));
        assert_eq!(e.src_port, Some(40000));
        assert_eq!(e.dst_ip, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst_port, 1883);
        assert_eq!((e.bytes_out, e.bytes_in), (Some(2), Some(1)));
    }

    #[test]
    fn byte_rules_pick_other_columns() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("st", "stream:tcp"),
                ("sent", "5"),
                ("recv", "7"),
            ]),
        );
        assert_eq!((e.bytes_out, e.bytes_in), (Some(7), Some(5)));
    }

    #[test]
    fn match_conditions_and_errors() {
        let m = small();
        assert!(matches!(
            m.record(&row(&[("dip", "1.2.3.4"), ("dport", "1")])),
            Ok(Record::Other)
        ));
        assert!(matches!(
            m.record(&row(&[
                ("kind", "conn-probe"),
                ("dip", "1.2.3.4"),
                ("dport", "1")
            ])),
            Ok(Record::Other)
        ));
        assert!(matches!(
            m.record(&row(&[("kind", "other"), ("dip", "1.2.3.4")])),
            Ok(Record::Other)
        ));
        let err = |pairs: &[(&'static str, &'static str)]| m.record(&row(pairs)).unwrap_err();
        assert!(err(&[("kind", "conn-ok"), ("dport", "1")]).contains("missing"));
        assert!(err(&[("kind", "conn-ok"), ("dip", "1.2.3.4")]).contains("missing"));
        assert!(err(&[("kind", "conn-ok"), ("dip", "nope"), ("dport", "1")]).contains("bad dip"));
        assert!(
            err(&[("kind", "conn-ok"), ("dip", "1.2.3.4"), ("dport", "70000")])
                .contains("bad dport")
        );
        assert!(
            err(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("when", "yesterday")
            ])
            .contains("bad when")
        );
        assert!(
            err(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("sent", "-5")
            ])
            .contains("bad sent")
        );
        // A host name where an address is optional leaves it unknown.
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("src", "ws01"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
            ]),
        );
        assert_eq!(e.src_ip, None);
    }

    #[test]
    fn strftime_patterns_read_as_utc() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("time", "01/05/2024 10:00:00"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
            ]),
        );
        assert_eq!(e.ts, Some(1_714_557_600_000_000));
    }

    #[test]
    fn bad_mappings_are_refused() {
        assert!(matches!(
            Mapping::from_toml("name = 1"),
            Err(MappingError::Toml(_))
        ));
        let with = |extra: &str| {
            format!(
                "name = \"x\"\ndescription = \"d\"\nkind = \"csv\"\n{extra}\n[fields]\ndst_ip = \"a\"\ndst_port = \"b\"\n"
            )
        };
        assert!(Mapping::from_toml(&with("")).is_ok());
        assert!(Mapping::from_toml(&with("surprise = 1")).is_err());
        assert!(
            Mapping::from_toml(&with("[timestamp]\nfield = \"t\"\nformats = [\"julian\"]"))
                .is_err()
        );
        assert!(Mapping::from_toml(&with("[json]\nrecords = [\"r\"]")).is_err());
        assert!(
            Mapping::from_toml(&with("[sniff]\nrequired = []\nconfidence = \"certain\"")).is_err()
        );
        assert!(Mapping::from_toml(&with("[outcome]\nfield = []")).is_err());
        let bad_name = "name = \"Bad Name\"\ndescription = \"d\"\nkind = \"csv\"\n[fields]\ndst_ip = \"a\"\ndst_port = \"b\"\n";
        assert!(matches!(
            Mapping::from_toml(bad_name),
            Err(MappingError::Invalid { .. })
        ));
        let missing_dst =
            "name = \"x\"\ndescription = \"d\"\nkind = \"csv\"\n[fields]\ndst_ip = \"a\"\n";
        assert!(Mapping::from_toml(missing_dst).is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(protocols_in_label("ip:tcp:mqtt"), vec![Protocol::Mqtt]);
        assert_eq!(protocols_in_label("xmpp,ssl"), vec![Protocol::Xmpp]);
        assert_eq!(protocols_in_label("ssl"), vec![]);
    }
}

#[cfg(test)]
mod host_tests {
    use super::host_of;

    #[test]
    fn names_and_urls() {
        assert_eq!(
            host_of("telemetry.example.net"),
            Some("telemetry.example.net")
        );
        assert_eq!(
            host_of("https://user@broker.example:8884/mqtt?x=1"),
            Some("broker.example")
        );
        assert_eq!(host_of("broker.example:1883"), Some("broker.example"));
        assert_eq!(host_of("  "), None);
        assert_eq!(host_of("-"), None);
    }
}
