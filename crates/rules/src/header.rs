//! The header every export starts with (as comments in the target's syntax) and the plain-words
//! description of `pubsub-hunt rules show`. Both summarise the same [`Analytic`], so a hunter
//! can check at a glance that a pasted rule carries the ports, networks, threshold, window and
//! allowlist they tuned, and which config file it came from; both also list the default
//! allowlist entries `pubsub-hunt hunt` applies and the rule cannot express, so the rule and the
//! CLI never disagree silently.

use crate::analytic::{Analytic, ProcessGlob, clause_words, duration_short};
use pubsub_hunt_core::allowlist::default_groups;
use pubsub_hunt_core::{Suspicion, TECHNIQUE};

/// What the header says about one export.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// What the export is for (`Sigma rules`, `KQL for ...`).
    pub target_title: String,
    /// The `--target` value that regenerates it.
    pub target_arg: &'static str,
    /// "built-in defaults" or the config file path.
    pub config_source: String,
    summary: Vec<String>,
}

impl Header {
    pub fn new(
        a: &Analytic,
        target_title: &str,
        target_arg: &'static str,
        config_source: &str,
    ) -> Header {
        Header {
            target_title: target_title.to_string(),
            target_arg,
            config_source: config_source.to_string(),
            summary: summary(a, target_arg),
        }
    }

    /// The header as comment lines: `open` before and `close` after each line's text.
    pub fn comment_block(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        for line in self.lines() {
            if line.is_empty() {
                // A blank comment line; SPL's fenced comments have no blank form.
                if !close.is_empty() {
                    continue;
                }
                out.push_str(open.trim_end());
            } else {
                out.push_str(open);
                out.push_str(&crate::escape::comment(&line));
                out.push_str(close);
            }
            out.push('\n');
        }
        out
    }

    /// The header as lines of plain text; emitters add the comment syntax.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("pubsub-hunt rule export: {}", self.target_title),
            format!(
                "Analytic pubsub-port: repeated outbound connections to publish/subscribe ports \
                 (MITRE ATT&CK {TECHNIQUE})"
            ),
            format!("Config: {}", self.config_source),
            format!(
                "Regenerate after tuning: pubsub-hunt rules export --target {}{}",
                self.target_arg,
                if self.config_source == crate::BUILT_IN_DEFAULTS {
                    String::new()
                } else {
                    " --config FILE".to_string()
                }
            ),
            String::new(),
        ];
        out.extend(self.summary.iter().cloned());
        out
    }
}

fn port_summary(a: &Analytic) -> String {
    a.protocols
        .iter()
        .map(|(p, ports)| {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!("{p} {}", list.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn levels_reported(a: &Analytic) -> String {
    let names: Vec<&str> = [Suspicion::High, Suspicion::Medium, Suspicion::Low]
        .into_iter()
        .filter(|s| *s >= a.min_suspicion)
        .map(|s| s.as_str())
        .collect();
    format!("{} (min_suspicion = {})", names.join(", "), a.min_suspicion)
}

fn window_words(a: &Analytic) -> String {
    match a.window_secs {
        Some(w) => format!(
            "{} tumbling windows aligned to the UTC epoch",
            duration_short(w)
        ),
        None => format!(
            "none: pubsub-hunt counts over its whole input; the exports use {} where a \
             period is needed",
            duration_short(a.timespan_secs())
        ),
    }
}

/// What the rule says about the default allowlist: which entries `pubsub-hunt hunt` applies
/// that `what` (this export, this rule) does not carry, and why; or that there are none.
fn default_allow_lines(a: &Analytic, what: &str, indent: &str) -> Vec<String> {
    if a.default_allow.is_empty() {
        return vec![format!(
            "Default allowlist: none applied by pubsub-hunt hunt with this configuration (turned \
             off, or behaviour scoring off), so {what} and the hunt allowlist the same traffic."
        )];
    }
    let mut out = vec![format!(
        "Default allowlist: {} entries applied by pubsub-hunt hunt, none carried by {what}: each \
         yields to behaviour evidence it does not explain (timing, process, content, how many \
         hosts reach the destination), which a query over connection records cannot compute, \
         and entries on server names, topics or client ids need packet content besides. So \
         {what} reports what pubsub-hunt hunt --analytic pubsub-port reports. Not carried \
         (pubsub-hunt config defaults explains each):",
        a.default_allow.len()
    )];
    for g in default_groups(&a.default_allow) {
        out.push(format!(
            "{indent}d{}. {} [{}]",
            g.numbers(),
            g.reason(),
            g.matches()
        ));
    }
    out
}

fn summary(a: &Analytic, target_arg: &str) -> Vec<String> {
    let mut out = vec![
        format!("Ports: {}", port_summary(a)),
        format!("Internal networks: {}", a.internal_cidrs().join(", ")),
        format!(
            "Threshold: at least {} connections per host, process, destination address and port",
            a.min_connections
        ),
        format!("Window: {}", window_words(a)),
        format!("Suspicion reported: {}", levels_reported(a)),
        format!(
            "Mosquitto clients (external MQTT from them is low): {}",
            if a.mosquitto_clients.is_empty() {
                "none".to_string()
            } else {
                a.mosquitto_clients.join(", ")
            }
        ),
    ];
    if a.allow.is_empty() {
        out.push("Allowlist (configured): none".to_string());
    } else {
        out.push(format!(
            "Allowlist (configured): {} entries, carried by this export",
            a.allow.len()
        ));
        for rule in &a.allow {
            out.push(format!(
                "  {}. {} [{}]",
                rule.number,
                rule.reason,
                allow_words(rule)
            ));
        }
    }
    for s in &a.allow_skipped {
        out.push(format!(
            "Allowlist entry {} ({}) is left out: {}",
            s.number, s.reason, s.why
        ));
    }
    out.extend(default_allow_lines(
        a,
        &format!("this {target_arg} export"),
        "  ",
    ));
    if !a.enabled {
        out.push(
            "Note: pubsub-port is not in [analytics] enabled of this config; exported anyway."
                .to_string(),
        );
    }
    if a.unusual_port_enabled {
        out.push(
            "Not exported: pubsub-unusual-port (it needs the source's own protocol \
             identification, such as Zeek's service column)."
                .to_string(),
        );
    }
    out
}

/// One allowlist entry in words (`process home-assistant*, destination 10.20.0.0/16`).
pub(crate) fn allow_words(rule: &crate::analytic::AllowRule) -> String {
    let mut parts = Vec::new();
    match &rule.process {
        Some(ProcessGlob::FullPath(g)) => parts.push(format!("process path {g}")),
        Some(ProcessGlob::Basename(g)) => parts.push(format!("process file name {g}")),
        None => {}
    }
    if let Some(h) = &rule.host {
        parts.push(format!("host {h}"));
    }
    if let Some(d) = &rule.destination {
        parts.push(format!("destination {d}"));
    }
    if let Some(ports) = &rule.ports {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        parts.push(format!("port {}", list.join(", ")));
    }
    parts.join(", ")
}

/// The effective analytic in plain words (`pubsub-hunt rules show`).
pub(crate) fn describe(a: &Analytic) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "pubsub-port: repeated outbound connections to publish/subscribe ports (MITRE ATT&CK \
         {TECHNIQUE})"
    ));
    if !a.enabled {
        line("  (not enabled in this config's [analytics] enabled; shown as it would run)".into());
    }
    line(String::new());
    line("1. Candidates: a connection counts when".into());
    line(format!(
        "   - its destination port is a pub/sub port: {}",
        port_summary(a)
    ));
    line("   - its transport is TCP, or the source does not say".into());
    line("   - it succeeded, or the source does not say (refused, reset or blocked ones do not count)".into());
    line(
        "   - it was outbound, or the source does not say (connections from outside do not count)"
            .into(),
    );
    line("2. The protocol is the one whose ports include the destination port.".into());
    line(format!(
        "3. A destination is internal when it is in one of: {}; otherwise external. An \
         IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged by its IPv4 address.",
        a.internal_cidrs().join(", ")
    ));
    line(
        "4. Connections are grouped by host, process, destination address, port and protocol."
            .into(),
    );
    line(format!("5. Window: {}.", window_words(a)));
    line(format!(
        "6. A group is reported when it has at least {} connections.",
        a.min_connections
    ));
    line("7. Suspicion, first match wins:".into());
    line("   - high: XMPP or STOMP to an external destination".into());
    line(
        "   - high: MQTT to an external destination from a process that is not a Mosquitto client"
            .into(),
    );
    line("   - medium: AMQP to an external destination".into());
    line("   - medium: XMPP or STOMP to an internal destination".into());
    line("   - low: everything else".into());
    line(format!(
        "   Mosquitto clients: {} (the process file name, with or without .exe, any case; an \
         unknown process is not one).",
        if a.mosquitto_clients.is_empty() {
            "none".to_string()
        } else {
            a.mosquitto_clients.join(", ")
        }
    ));
    line(format!("   Reported: {}.", levels_reported(a)));
    for level in &a.levels {
        let words: Vec<String> = level.clauses.iter().map(clause_words).collect();
        line(format!(
            "   With this config, {} means: {}.",
            level.suspicion,
            words.join("; or ")
        ));
    }
    if a.levels.is_empty() {
        line(
            "   With this config no configured port reaches a reported level: nothing is reported."
                .into(),
        );
    }
    if !a.uses_scope() && !a.levels.is_empty() {
        line("   (No reported level depends on the destination scope.)".into());
    }
    if a.allow.is_empty() && a.allow_skipped.is_empty() {
        line("8. Allowlist (configured): none.".into());
    } else {
        line(
            "8. Allowlist: a group is not reported when every field an entry sets matches it"
                .into(),
        );
        line(
            "   (patterns ignore case and * matches any run of characters; a destination entry"
                .into(),
        );
        line("   tests the address as recorded, so ::ffff:a.b.c.d is not unmapped there):".into());
        for rule in &a.allow {
            line(format!(
                "   {}. {} [{}]",
                rule.number,
                rule.reason,
                allow_words(rule)
            ));
        }
        for s in &a.allow_skipped {
            line(format!(
                "   {}. {} [never applies to pubsub-port: {}]",
                s.number, s.reason, s.why
            ));
        }
    }
    for (i, l) in default_allow_lines(a, "this rule", "     ")
        .into_iter()
        .enumerate()
    {
        line(if i == 0 { format!("   {l}") } else { l });
    }
    line(format!(
        "9. pubsub-unusual-port is {} (it is not part of the rule exports).",
        if a.unusual_port_enabled {
            "enabled"
        } else {
            "disabled"
        }
    ));
    out
}
