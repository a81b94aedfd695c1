//! The mapping schema: a small TOML file names which column (CSV) or key (JSON) of an export
//! holds each part of a connection, how to read its values, which records the mapping applies
//! to and how to recognise the export by its first bytes. The built-in SIEM/EDR formats are
//! mapping files (`crates/ingest/mappings/*.toml`); a hunter loads another export with
//! `--mapping FILE` through `siem::load_mapping`. This module owns the file as written, its
//! checks, and the compiled [`Mapping`] they produce; applying a mapping to a row is
//! `siem::apply`, and choosing the CSV or JSON reader for it is `siem::spec`. Field names
//! live in the mapping, the reading rules live in the engine, so one engine reads every such
//! export the same way.
//!
//! - Every field reference is one name or a list of names (at most 256, none empty).
//! - A destination address and port must be mapped; everything else is optional.

use super::values::{TimeFormat, ValuePattern};
use pubsub_hunt_core::Outcome;
use pubsub_hunt_reader::{CERTAIN, Confidence, LIKELY, POSSIBLE};
use serde::Deserialize;

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

#[derive(Debug, Clone)]
pub(super) struct Condition {
    pub(super) field: Vec<String>,
    pub(super) values: Option<Vec<ValuePattern>>,
    pub(super) not_values: Vec<ValuePattern>,
}

#[derive(Debug, Clone)]
pub(super) struct TimeSpec {
    pub(super) field: Vec<String>,
    pub(super) formats: Vec<TimeFormat>,
}

#[derive(Debug, Clone)]
pub(super) struct BytesRule {
    pub(super) field: Vec<String>,
    pub(super) values: Vec<ValuePattern>,
    pub(super) to_server: Vec<String>,
    pub(super) to_client: Vec<String>,
}

/// How the export is recognised.
#[derive(Debug, Clone)]
pub struct Sniff {
    /// Each entry: names of which one must be present.
    pub required: Vec<Vec<String>>,
    pub confidence: Confidence,
}

/// A compiled mapping: what `load_mapping` builds from a file.
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
    pub(super) conditions: Vec<Condition>,
    pub(super) timestamp: Option<TimeSpec>,
    pub(super) end: Option<TimeSpec>,
    pub(super) host: Vec<String>,
    pub(super) process_path: Vec<String>,
    pub(super) process_name: Vec<String>,
    pub(super) user: Vec<String>,
    pub(super) user_domain: Vec<String>,
    pub(super) src_ip: Vec<String>,
    pub(super) src_port: Vec<String>,
    pub(super) dst_ip: Vec<String>,
    pub(super) dst_port: Vec<String>,
    pub(super) dst_name: Vec<String>,
    pub(super) app_label: Vec<String>,
    pub(super) transport_field: Vec<String>,
    pub(super) transport_tcp: Vec<ValuePattern>,
    pub(super) transport_udp: Vec<ValuePattern>,
    pub(super) outcome_field: Vec<String>,
    pub(super) outcome_success: Vec<ValuePattern>,
    pub(super) outcome_failure: Vec<ValuePattern>,
    pub(super) outcome_other: Outcome,
    pub(super) direction_field: Vec<String>,
    pub(super) direction_inbound: Vec<ValuePattern>,
    pub(super) direction_outbound: Vec<ValuePattern>,
    pub(super) inbound_swaps_endpoints: bool,
    pub(super) bytes_to_server: Vec<String>,
    pub(super) bytes_to_client: Vec<String>,
    pub(super) bytes_rules: Vec<BytesRule>,
}

impl Mapping {
    /// Whether the format names the initiating program (a path or a file name).
    pub fn records_programs(&self) -> bool {
        !self.process_path.is_empty() || !self.process_name.is_empty()
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
