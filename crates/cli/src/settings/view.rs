//! Settings of what a hunt looks at and how its table is drawn ([`ViewSettings`]): the time
//! range (`--since`/`--until`, applied to the records), the alert filters (`--host`, `--dst`,
//! `--top`, applied to the alerts), the table's colour, details and width, and whether progress
//! is shown. Each is decided here once, from the flags, the environment and the terminal.

use crate::args::{ColorArg, ViewArgs};
use anyhow::{Result, bail};
use ipnet::IpNet;
use pubsub_hunt_core::Alert;
use pubsub_hunt_core::analytics::TimeRange;
use pubsub_hunt_core::time::parse_rfc3339;
use std::io::IsTerminal;
use std::net::IpAddr;

/// A `--host` value: an address or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostFilter {
    Address(IpAddr),
    Name(String),
}

/// A `--dst` value: a network (an address is one) or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DstFilter {
    Network(IpNet),
    Name(String),
}

impl HostFilter {
    pub fn parse(s: &str) -> HostFilter {
        match s.parse::<IpAddr>() {
            Ok(ip) => HostFilter::Address(ip),
            Err(_) => HostFilter::Name(s.to_ascii_lowercase()),
        }
    }

    pub fn matches(&self, a: &Alert) -> bool {
        match self {
            HostFilter::Address(ip) => {
                a.src_ip == Some(*ip) || a.host.parse::<IpAddr>().is_ok_and(|h| h == *ip)
            }
            HostFilter::Name(n) => a.host.eq_ignore_ascii_case(n),
        }
    }
}

impl DstFilter {
    pub fn parse(s: &str) -> DstFilter {
        if let Some(net) = pubsub_hunt_core::config::parse_network(s) {
            return DstFilter::Network(net);
        }
        DstFilter::Name(s.trim_end_matches('.').to_ascii_lowercase())
    }

    pub fn matches(&self, a: &Alert) -> bool {
        match self {
            DstFilter::Network(net) => net.contains(&a.dst_ip),
            DstFilter::Name(n) => {
                let server_names = a.app.iter().flat_map(|app| app.server_names.iter());
                a.destination_names
                    .iter()
                    .chain(server_names)
                    .any(|d| name_matches(d, n))
            }
        }
    }
}

/// `name` is `want` or a name under it (`a.broker.example.net` under `example.net`).
fn name_matches(name: &str, want: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == want
        || name
            .strip_suffix(want)
            .is_some_and(|head| head.ends_with('.'))
}

/// What a hunt looks at and how the table is drawn, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSettings {
    pub range: TimeRange,
    pub top: Option<usize>,
    pub hosts: Vec<HostFilter>,
    pub dsts: Vec<DstFilter>,
    pub color: ColorArg,
    pub details: bool,
}

impl ViewSettings {
    pub fn from_args(a: &ViewArgs) -> Result<ViewSettings> {
        let now = jiff::Timestamp::now().as_microsecond();
        let since = a
            .since
            .as_deref()
            .map(|s| parse_time(s, now, "--since"))
            .transpose()?;
        let until = a
            .until
            .as_deref()
            .map(|s| parse_time(s, now, "--until"))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            bail!("--since is after --until: no record could be in range");
        }
        if a.top == Some(0) {
            bail!("--top must be at least 1");
        }
        Ok(ViewSettings {
            range: TimeRange { since, until },
            top: a.top,
            hosts: a.hosts.iter().map(|h| HostFilter::parse(h)).collect(),
            dsts: a.dsts.iter().map(|d| DstFilter::parse(d)).collect(),
            color: a.color,
            details: a.details,
        })
    }

    /// Whether an alert passes `--host` and `--dst` (each, when given, must match).
    pub fn keeps(&self, a: &Alert) -> bool {
        (self.hosts.is_empty() || self.hosts.iter().any(|h| h.matches(a)))
            && (self.dsts.is_empty() || self.dsts.iter().any(|d| d.matches(a)))
    }

    /// Whether the table is coloured when written to standard output (`to_terminal`) or not.
    /// `NO_COLOR` (set and not empty) turns off `auto`; `--color always` still colours.
    pub fn colored(&self, to_terminal: bool) -> bool {
        match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The table's width: `COLUMNS` when set (it overrides the terminal, as for other tools), else
/// the terminal on standard output, else the one on standard error (output piped to a pager),
/// else `None` (the writer's fixed default).
pub fn table_width(to_stdout: bool) -> Option<u16> {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c > 0)
    {
        return Some(c);
    }
    let out = if to_stdout {
        terminal_size::terminal_size_of(std::io::stdout())
    } else {
        None
    };
    out.or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
        .map(|(w, _)| w.0)
}

/// Whether progress may be drawn: standard error is a terminal and this is not a CI job
/// (where a terminal may be emulated but nobody watches it).
pub fn progress_allowed() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// An RFC 3339 time, or a duration before `now` (`90m`, `24h`, `7d`).
fn parse_time(s: &str, now: i64, flag: &str) -> Result<i64> {
    if let Some(t) = parse_rfc3339(s.trim()) {
        return Ok(t);
    }
    match s.parse::<pubsub_hunt_core::WindowSpec>() {
        Ok(w) => match w.micros() {
            Some(d) => Ok(now - d),
            None => bail!("{flag} {s:?}: expected an RFC 3339 time or a duration like 24h"),
        },
        Err(_) => bail!(
            "{flag} {s:?}: expected an RFC 3339 time (2026-11-02T08:00:00Z) or a duration \
             before now (90m, 24h, 7d)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_relative() {
        let now = 1_800_000_000_000_000;
        assert_eq!(
            parse_time("2026-11-02T08:00:00Z", now, "--since").unwrap(),
            1_793_606_400_000_000
        );
        assert_eq!(
            parse_time("24h", now, "--since").unwrap(),
            now - 86_400_000_000
        );
        let e = parse_time("yesterday", now, "--since").unwrap_err();
        assert!(e.to_string().contains("--since"), "{e}");
        assert!(parse_time("none", now, "--until").is_err());
    }

    #[test]
    fn names_match_themselves_and_their_subdomains() {
        assert!(name_matches("broker.example.net", "example.net"));
        assert!(name_matches("Example.NET.", "example.net"));
        assert!(!name_matches("badexample.net", "example.net"));
    }
}
