//! Settings of `explain`: the hunt it runs (every `hunt` option applies, so the explanation is
//! of the same run) and what to explain, an [`ExplainTarget`] told apart here from its form.

use super::hunt::HuntSettings;
use crate::args::{ExplainArgs, FormatArg};
use anyhow::{Result, bail};
use ipnet::IpNet;
use pubsub_hunt_core::analytics::ProbeTarget;

/// What `explain` was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplainTarget {
    /// An alert id, or a prefix of one (4 to 16 hex digits).
    Id(String),
    /// A host name, or an initiator address (it may also be a destination: both are looked at).
    Address(std::net::IpAddr),
    /// A destination network.
    Network(IpNet),
    /// A host or destination name.
    Name(String),
}

impl ExplainTarget {
    pub fn parse(s: &str) -> Result<ExplainTarget> {
        let s = s.trim();
        if s.is_empty() {
            bail!("explain needs an alert id, a host or a destination");
        }
        if let Ok(ip) = s.parse() {
            return Ok(ExplainTarget::Address(ip));
        }
        if s.contains('/')
            && let Some(net) = pubsub_hunt_core::config::parse_network(s)
        {
            return Ok(ExplainTarget::Network(net));
        }
        // An id is hex only; a host name made of hex digits alone is rare, and an id wins.
        if (4..=16).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(ExplainTarget::Id(s.to_ascii_lowercase()));
        }
        Ok(ExplainTarget::Name(s.to_ascii_lowercase()))
    }

    /// The records the engine's probe watches for this target (`None` for an id: its group is
    /// found among the groups).
    pub fn probes(&self) -> Vec<ProbeTarget> {
        match self {
            ExplainTarget::Id(_) => Vec::new(),
            ExplainTarget::Address(ip) => vec![
                ProbeTarget::Host(ip.to_string()),
                ProbeTarget::Destination(IpNet::from(*ip)),
            ],
            ExplainTarget::Network(n) => vec![ProbeTarget::Destination(*n)],
            ExplainTarget::Name(n) => vec![ProbeTarget::Host(n.clone())],
        }
    }
}

/// Everything `explain` needs, validated.
#[derive(Debug)]
pub struct ExplainSettings {
    pub hunt: HuntSettings,
    pub target: ExplainTarget,
}

impl ExplainSettings {
    pub fn from_args(a: ExplainArgs) -> Result<ExplainSettings> {
        if matches!(a.hunt.format, Some(f) if f != FormatArg::Table) {
            bail!("explain writes text for people; use hunt for machine-readable alerts");
        }
        let target = ExplainTarget::parse(&a.target)?;
        let mut hunt = HuntSettings::from_args(a.hunt)?;
        // Suppressed groups are part of the answer, and so are records that were no candidate
        // (the prefilter would skip them unparsed).
        hunt.config.show_suppressed = true;
        hunt.ingest.every_record = true;
        Ok(ExplainSettings { hunt, target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_told_apart_by_form() {
        assert_eq!(
            ExplainTarget::parse("3F2A9C1D").unwrap(),
            ExplainTarget::Id("3f2a9c1d".into())
        );
        assert!(matches!(
            ExplainTarget::parse("10.0.0.23").unwrap(),
            ExplainTarget::Address(_)
        ));
        assert!(matches!(
            ExplainTarget::parse("198.51.100.0/24").unwrap(),
            ExplainTarget::Network(_)
        ));
        assert_eq!(
            ExplainTarget::parse("Broker.Example.NET").unwrap(),
            ExplainTarget::Name("broker.example.net".into())
        );
        assert!(ExplainTarget::parse(" ").is_err());
    }
}
