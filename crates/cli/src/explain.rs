//! `pubsub-hunt explain`: runs the same hunt as `hunt` with the same options, then prints, for
//! the alert id, host or destination asked about, the full evidence of every matching group and
//! its fate: reported, below the connection threshold, rated below the least suspicion (and
//! which signals lowered it), suppressed (by which allowlist entry), or never a group at all
//! (the records' fate: not a candidate, excluded, outside the time range).

use crate::exit;
use crate::hunt::{open_output, read_inputs};
use crate::settings::{ExplainSettings, ExplainTarget};
use anyhow::{Context, Result};
use pubsub_hunt_core::analytics::{Fate, GroupFate, Probe, ProbeCounts};
use pubsub_hunt_core::time::format_rfc3339;
use pubsub_hunt_core::{Alert, Engine};
use std::fmt::Write as _;
use std::io::Write;

pub fn run(s: ExplainSettings) -> Result<u8> {
    let h = &s.hunt;
    let mut engine = Engine::new(h.config.clone()).with_range(h.view.range);
    let probes = s.target.probes();
    if !probes.is_empty() {
        engine = engine.with_probe(Probe { targets: probes });
    }
    let Some((mut acc, report)) = read_inputs(h, &engine) else {
        return Ok(exit::FATAL);
    };
    let probe = std::mem::take(&mut acc.probe);
    let (_, summary, fates) = engine.finish_explained(acc);
    crate::summary::print_bounds(&summary, &h.config);
    let mut matching: Vec<GroupFate> = fates
        .into_iter()
        .filter(|f| matches(&s.target, &f.alert))
        .collect();
    // Reported groups first, each part in report order; the id settles ties.
    matching.sort_by(|a, b| {
        b.fate
            .alerted()
            .cmp(&a.fate.alerted())
            .then(Alert::report_order(&a.alert, &b.alert))
            .then(a.alert.id.cmp(&b.alert.id))
    });
    let text = render(&s.target, &matching, &probe, h.config.min_connections);
    let mut out = open_output(h.output.as_deref())?;
    out.write_all(text.as_bytes())
        .context("writing the explanation")?;
    out.flush().context("writing the explanation")?;
    Ok(
        if report.problem_count() > 0 || crate::summary::bound_reached(&summary) {
            exit::INPUT_PROBLEMS
        } else {
            exit::SUCCESS
        },
    )
}

/// Whether a group is one the target names.
fn matches(t: &ExplainTarget, a: &Alert) -> bool {
    match t {
        ExplainTarget::Id(prefix) => a.id.starts_with(prefix.as_str()),
        ExplainTarget::Address(ip) => {
            a.dst_ip == *ip || a.src_ip == Some(*ip) || a.host == ip.to_string()
        }
        ExplainTarget::Network(net) => net.contains(&a.dst_ip),
        ExplainTarget::Name(n) => {
            let under = |name: &String| {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == *n || name.ends_with(&format!(".{n}"))
            };
            a.host.eq_ignore_ascii_case(n)
                || a.destination_names.iter().any(under)
                || a.app.iter().any(|app| app.server_names.iter().any(under))
        }
    }
}

fn describe_target(t: &ExplainTarget) -> String {
    match t {
        ExplainTarget::Id(p) => format!("alert id {p}"),
        ExplainTarget::Address(ip) => format!("address {ip} (as host or destination)"),
        ExplainTarget::Network(n) => format!("destination network {n}"),
        ExplainTarget::Name(n) => format!("name {n} (as host or destination)"),
    }
}

/// The fate in one sentence.
fn fate_line(g: &GroupFate) -> String {
    let a = &g.alert;
    match &g.fate {
        Fate::Alerted => format!("REPORTED as {} suspicion (score {})", a.suspicion, a.score),
        Fate::BelowThreshold { exchanges, needed } => format!(
            "NOT ALERTED: below the threshold: {exchanges} connections or messages, \
             {needed} needed (analytics.min_connections / --min-connections), and no evidence \
             strong enough to report a single one"
        ),
        Fate::NoBehaviourFinding => "NOT ALERTED: only behaviour analytics ran, and none \
                                     found anything in this group"
            .to_string(),
        Fate::BelowMinSuspicion { least } => format!(
            "NOT ALERTED: rated {} (score {}), below the least suspicion reported ({least}; \
             --min-suspicion)",
            a.suspicion, a.score
        ),
        Fate::Suppressed {
            reason,
            entry,
            default,
        } => format!(
            "SUPPRESSED by {} entry \"{reason}\" ({entry}); --show-suppressed reports it, \
             --no-default-allowlist turns the shipped entries off",
            if *default {
                "the default allowlist's"
            } else {
                "your allowlist's"
            }
        ),
        Fate::NoWindowHoldsEnough { window, needed } => format!(
            "NOT ALERTED: no {window} window holds {needed} connections and the channel does \
             not beacon across windows (a longer --window, or none, reports it)"
        ),
        Fate::PastAlertLimit { limit } => format!(
            "NOT REPORTED: an alert ({} suspicion, score {}), but after the first {limit} in \
             report order (limits.max_alerts)",
            a.suspicion, a.score
        ),
    }
}

/// The signals that lowered the rating, strongest first.
fn demoted_by(a: &Alert) -> Option<String> {
    let mut neg: Vec<(String, f64)> = a
        .signals
        .iter()
        .filter(|(_, w)| **w < 0.0)
        .map(|(id, w)| (id.to_string(), *w))
        .collect();
    if neg.is_empty() {
        return None;
    }
    neg.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
    let list: Vec<String> = neg.iter().map(|(id, w)| format!("{id} {w:+.0}")).collect();
    Some(if a.suspicion < a.seed_suspicion {
        format!(
            "demoted from {} (the seed matrix) to {} by: {}",
            a.seed_suspicion,
            a.suspicion,
            list.join(", ")
        )
    } else {
        format!("lowered by: {}", list.join(", "))
    })
}

fn group(out: &mut String, g: &GroupFate) {
    let a = &g.alert;
    let time = |t: Option<i64>| t.map_or("-".to_string(), format_rfc3339);
    let _ = writeln!(out, "{} {}", a.id, fate_line(g));
    let dest = if a.dst_ip.is_ipv6() {
        format!("[{}]:{}", a.dst_ip, a.dst_port)
    } else {
        format!("{}:{}", a.dst_ip, a.dst_port)
    };
    let names = a
        .destination_names
        .iter()
        .chain(a.app.iter().flat_map(|app| app.server_names.iter()))
        .cloned()
        .collect::<Vec<_>>();
    let _ = writeln!(
        out,
        "  channel: {} ({}) -> {dest}{} {} [{}]",
        a.host,
        a.process.as_deref().unwrap_or("process unknown"),
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        },
        a.protocol,
        a.analytic
    );
    let _ = writeln!(
        out,
        "  {} connections, {} to {}; seed suspicion {}, {} destination",
        a.connections,
        time(a.first_seen),
        time(a.last_seen),
        a.seed_suspicion,
        if a.external { "external" } else { "internal" },
    );
    if !a.signals.is_empty() {
        let list: Vec<String> = a
            .signals
            .iter()
            .map(|(id, w)| format!("{id} {w:+.0}"))
            .collect();
        let _ = writeln!(out, "  signals: {}", list.join(", "));
    }
    if let Some(d) = demoted_by(a) {
        let _ = writeln!(out, "  {d}");
    }
    let _ = writeln!(out, "  evidence:");
    for r in &a.reasons {
        let _ = writeln!(out, "    - {r}");
    }
    if !a.samples.is_empty() {
        let s: Vec<String> = a
            .samples
            .iter()
            .map(|r| format!("{}:{}", r.file, r.line))
            .collect();
        let _ = writeln!(out, "  records: {}", s.join(" "));
    }
    // The first connections as other tools name them: what to search the sensor's logs,
    // Wireshark or Arkime for.
    for f in &a.flows {
        let mut parts = Vec::new();
        if let Some(t) = f.start {
            parts.push(pubsub_hunt_core::time::format_rfc3339(t));
        }
        if let Some(u) = &f.uid {
            parts.push(format!("uid {u}"));
        }
        if let Some(c) = &f.community_id {
            parts.push(format!("community_id {c}"));
        }
        let _ = writeln!(out, "  connection: {}", parts.join(" "));
    }
    let _ = writeln!(out);
}

fn render(
    target: &ExplainTarget,
    groups: &[GroupFate],
    probe: &ProbeCounts,
    min_connections: u64,
) -> String {
    let mut out = String::new();
    let reported = groups.iter().filter(|g| g.fate.alerted()).count();
    let _ = writeln!(
        out,
        "{}: {} group{} ({} reported, {} not)\n",
        describe_target(target),
        groups.len(),
        if groups.len() == 1 { "" } else { "s" },
        reported,
        groups.len() - reported
    );
    for g in groups {
        group(&mut out, g);
    }
    if !probe.counts.is_empty() {
        let _ = writeln!(out, "records that formed no group:");
        for ((host, ip, port, fate), n) in &probe.counts {
            let dest = if ip.is_ipv6() {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            };
            let _ = writeln!(out, "  {n} from {host} to {dest}: {}", fate.describe());
        }
        if probe.dropped > 0 {
            let _ = writeln!(out, "  {} more on other channels not listed", probe.dropped);
        }
        let _ = writeln!(out);
    }
    if groups.is_empty() && probe.counts.is_empty() {
        let _ = writeln!(
            out,
            "Nothing in the data matches: no group{}. Check the target and the inputs (a \
             destination name is only known from logs that name it: Zeek ssl.log or dns.log, \
             Sysmon, captures). A group needs {min_connections} connections to alert.",
            if matches!(target, ExplainTarget::Id(_)) {
                " has an id starting with it"
            } else {
                " and no record of it"
            }
        );
    }
    out
}
