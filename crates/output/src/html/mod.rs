//! The HTML report: one self-contained page (inline CSS, script and SVG pictures; a content
//! security policy that forbids every request, so it opens offline and leaks nothing) to hand
//! to a colleague or print. It holds the run summary, the ranked alerts with client-side
//! filters, and per alert its evidence, timeline and interval histogram, topics and client ids,
//! samples back to file and line, pivots to the packets and the SIEM, and investigation and
//! response steps written for its evidence. Alerts are buffered and the page is written at the
//! end, since the summary comes first.
//!
//! Every piece of text from the data is escaped on the way out ([`esc`]); the page holds no
//! times of its own (no "generated at"), so the same data gives the same report.

mod charts;
mod pivots;
mod steps;
mod text;

use super::{AlertWriter, RunSummary, time};
use crate::attack;
use pubsub_hunt_core::{Alert, Suspicion};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use text::{esc, human_secs};

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
/// Hosts listed in the summary's by-host table.
const TOP_HOSTS: usize = 15;

/// Buffers the alerts and writes the report when finished.
pub struct HtmlWriter<'a> {
    out: Box<dyn Write + 'a>,
    alerts: Vec<Alert>,
}

impl<'a> HtmlWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        HtmlWriter {
            out,
            alerts: Vec::new(),
        }
    }

    fn write_page(&mut self, summary: Option<&RunSummary>) -> io::Result<()> {
        let page = page(&self.alerts, summary);
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}

impl AlertWriter for HtmlWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        self.alerts.push(alert.clone());
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        self.write_page(None)
    }
    fn finish_with_summary(&mut self, summary: &RunSummary) -> io::Result<()> {
        self.write_page(Some(summary))
    }
}

/// The whole page.
pub fn page(alerts: &[Alert], summary: Option<&RunSummary>) -> String {
    let mut s = String::with_capacity(64 * 1024 + alerts.len() * 16 * 1024);
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>pubsub-hunt report: {} alerts</title><style>{CSS}</style></head><body>",
        alerts.len()
    );
    let _ = writeln!(
        s,
        "<header><h1>pubsub-hunt report</h1><p class=\"muted\">Command and control over \
         publish/subscribe protocols (ATT&amp;CK {} {}){}</p></header>",
        attack::TACTIC_ID,
        pubsub_hunt_core::TECHNIQUE,
        summary
            .map(|r| format!(" · pubsub-hunt {}", esc(&r.version)))
            .unwrap_or_default()
    );
    summary_section(&mut s, alerts, summary);
    ranking(&mut s, alerts);
    for (i, a) in alerts.iter().enumerate() {
        alert_section(&mut s, i + 1, a);
    }
    let _ = writeln!(s, "<script>{SCRIPT}</script>\n</body></html>");
    s
}

fn card(s: &mut String, value: impl std::fmt::Display, label: &str) {
    let _ = write!(
        s,
        "<div class=\"card\"><b>{}</b>{}</div>",
        esc(&value.to_string()),
        esc(label)
    );
}

/// `first to last (duration)`, or `no times`.
fn span_text(first: Option<i64>, last: Option<i64>) -> String {
    match (first, last) {
        (Some(f), Some(l)) => format!(
            "{} to {} ({})",
            time(Some(f)),
            time(Some(l)),
            human_secs((l - f) as f64 / 1e6)
        ),
        _ => "no times".to_string(),
    }
}

fn badge(sus: Suspicion) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", sus.as_str())
}

fn summary_section(s: &mut String, alerts: &[Alert], summary: Option<&RunSummary>) {
    s.push_str("<section id=\"summary\"><h2>Run summary</h2>");
    if let Some(r) = summary {
        let inputs: Vec<String> = r
            .inputs
            .iter()
            .map(|i| format!("<code>{}</code>", esc(i)))
            .collect();
        let formats: Vec<String> = r
            .streams_by_format
            .iter()
            .map(|(f, n)| format!("{} {n}", esc(f)))
            .collect();
        let _ = write!(
            s,
            "<dl class=\"facts\"><dt>Inputs</dt><dd>{}</dd><dt>Read</dt><dd>{} ({}), {} \
             skipped; {} records, {:.1} MB; {} records skipped for a problem</dd>\
             <dt>Channels</dt><dd>{} groups: {} below {} connections, {} below {} suspicion, \
             {} suppressed by the allowlist</dd>",
            if inputs.is_empty() {
                "none".to_string()
            } else {
                inputs.join(" ")
            },
            r.streams_by_format.iter().map(|(_, n)| n).sum::<u64>(),
            if formats.is_empty() {
                "none".to_string()
            } else {
                formats.join(", ")
            },
            r.streams_skipped,
            r.records,
            r.bytes as f64 / 1e6,
            r.problems,
            r.groups,
            r.below_threshold,
            r.min_connections,
            r.below_min_suspicion,
            esc(&r.min_suspicion),
            r.suppressed
        );
        let _ = write!(
            s,
            "<dt>Time span of the input</dt><dd>{}</dd>",
            span_text(r.first_record, r.last_record)
        );
        if !r.view.is_empty() {
            // A report of part of the run says so, beside counts that are of that part only.
            let _ = write!(
                s,
                "<dt>View</dt><dd>only {}{}; the counts below are of the alerts shown</dd>",
                esc(&r.view.join(", ")),
                if r.omitted > 0 {
                    format!(", {} more alerts left out", r.omitted)
                } else {
                    String::new()
                }
            );
        }
    } else {
        s.push_str("<dl class=\"facts\">");
    }
    let first = alerts.iter().filter_map(|a| a.first_seen).min();
    let last = alerts
        .iter()
        .filter_map(|a| a.last_seen.or(a.first_seen))
        .max();
    let _ = write!(
        s,
        "<dt>Time span of the alerts</dt><dd>{}</dd></dl>",
        match (first, last) {
            (Some(_), Some(_)) => span_text(first, last),
            _ => "no times".to_string(),
        }
    );
    let mut by_sus: BTreeMap<Suspicion, usize> = BTreeMap::new();
    let mut by_proto: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_host: BTreeMap<&str, (usize, u8)> = BTreeMap::new();
    for a in alerts.iter().filter(|a| a.suppressed_by.is_none()) {
        *by_sus.entry(a.suspicion).or_default() += 1;
        *by_proto.entry(a.protocol.as_str()).or_default() += 1;
        let h = by_host.entry(&a.host).or_default();
        h.0 += 1;
        h.1 = h.1.max(a.score);
    }
    let live: usize = by_sus.values().sum();
    s.push_str("<div class=\"cards\">");
    card(s, live, "alerts");
    for sus in [Suspicion::High, Suspicion::Medium, Suspicion::Low] {
        card(s, by_sus.get(&sus).copied().unwrap_or(0), sus.as_str());
    }
    card(s, by_host.len(), "hosts");
    if alerts.len() > live {
        card(s, alerts.len() - live, "suppressed (shown)");
    }
    s.push_str("</div><div class=\"cols\"><div><h3>By protocol</h3><table><tr><th>Protocol</th><th class=\"num\">Alerts</th></tr>");
    for (p, n) in &by_proto {
        let _ = write!(s, "<tr><td>{}</td><td class=\"num\">{n}</td></tr>", esc(p));
    }
    s.push_str("</table></div><div><h3>By suspicion</h3><table><tr><th>Suspicion</th><th class=\"num\">Alerts</th></tr>");
    for (sus, n) in by_sus.iter().rev() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
            badge(*sus)
        );
    }
    s.push_str("</table></div><div><h3>By host</h3><table><tr><th>Host</th><th class=\"num\">Alerts</th><th class=\"num\">Top score</th></tr>");
    let mut hosts: Vec<(&&str, &(usize, u8))> = by_host.iter().collect();
    hosts.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(b.1.0.cmp(&a.1.0)).then(a.0.cmp(b.0)));
    for (h, (n, top)) in hosts.iter().take(TOP_HOSTS) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{n}</td><td class=\"num\">{top}</td></tr>",
            esc(h)
        );
    }
    if hosts.len() > TOP_HOSTS {
        let _ = write!(
            s,
            "<tr><td colspan=\"3\" class=\"muted\">and {} more</td></tr>",
            hosts.len() - TOP_HOSTS
        );
    }
    s.push_str("</table></div></div></section>\n");
}

/// What the free-text filter searches: the fields a hunter types.
fn search_text(a: &Alert) -> String {
    let mut parts = vec![
        a.id.clone(),
        a.host.clone(),
        a.dst_ip.to_string(),
        a.dst_port.to_string(),
        a.protocol.to_string(),
        a.analytic.to_string(),
    ];
    parts.extend(a.process.iter().cloned());
    parts.extend(a.destination_names.iter().cloned());
    parts.extend(a.users.iter().cloned());
    parts.extend(a.signals.keys().map(|k| k.to_string()));
    if let Some(app) = &a.app {
        parts.extend(app.client_ids.iter().cloned());
        parts.extend(app.topics.iter().map(|t| t.name.clone()));
    }
    parts.join(" ").to_lowercase()
}

fn data_attrs(a: &Alert) -> String {
    format!(
        "data-alert=\"{}\" data-suspicion=\"{}\" data-protocol=\"{}\" data-suppressed=\"{}\" data-text=\"{}\"",
        esc(&a.id),
        a.suspicion.as_str(),
        a.protocol.as_str(),
        a.suppressed_by.is_some(),
        esc(&search_text(a))
    )
}

fn ranking(s: &mut String, alerts: &[Alert]) {
    s.push_str("<section id=\"alerts\"><h2>Alerts, ranked</h2>");
    if alerts.is_empty() {
        s.push_str("<p>No alerts.</p></section>\n");
        return;
    }
    let protocols: std::collections::BTreeSet<&str> =
        alerts.iter().map(|a| a.protocol.as_str()).collect();
    s.push_str(
        "<form id=\"filters\" onsubmit=\"return false\"><label>Search <input type=\"search\" name=\"q\" \
         placeholder=\"host, address, process, topic, id\"></label>",
    );
    for sus in ["high", "medium", "low"] {
        let _ = write!(
            s,
            "<label><input type=\"checkbox\" name=\"suspicion\" value=\"{sus}\" checked> {sus}</label>"
        );
    }
    s.push_str("<label>Protocol <select name=\"protocol\"><option value=\"\">all</option>");
    for p in &protocols {
        let _ = write!(s, "<option>{}</option>", esc(p));
    }
    s.push_str(
        "</select></label><label><input type=\"checkbox\" name=\"suppressed\" checked> suppressed</label>\
         <span id=\"shown\" class=\"muted\"></span></form>",
    );
    s.push_str(
        "<table id=\"ranking\"><tr><th class=\"num\">#</th><th>Id</th><th>Suspicion</th><th class=\"num\">Score</th>\
         <th>Host</th><th>Process</th><th>Destination</th><th>Protocol</th><th class=\"num\">Conns</th>\
         <th>First – last</th><th>Signals</th></tr>",
    );
    for (i, a) in alerts.iter().enumerate() {
        let signals: Vec<String> = a
            .signals
            .iter()
            .filter(|(_, w)| **w != 0.0)
            .map(|(k, w)| format!("{k} {w:+.0}"))
            .collect();
        let _ = write!(
            s,
            "<tr {}{}><td class=\"num\">{}</td><td><a class=\"mono\" href=\"#a-{}\">{}</a></td><td>{}{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"mono\">{}<br>{}</td><td>{}</td></tr>",
            data_attrs(a),
            if a.suppressed_by.is_some() {
                " class=\"suppressed\""
            } else {
                ""
            },
            i + 1,
            esc(&a.id),
            esc(&a.id),
            badge(a.suspicion),
            if a.suppressed_by.is_some() {
                " <span class=\"badge suppressed\">suppressed</span>"
            } else {
                ""
            },
            a.score,
            esc(&a.host),
            esc(a.process.as_deref().map_or("", attack::process_name)),
            esc(&attack::destination(a)),
            a.protocol,
            a.connections,
            esc(&time(a.first_seen)),
            esc(&time(a.last_seen)),
            esc(&signals.join(", "))
        );
    }
    s.push_str("</table></section>\n");
}

fn list(s: &mut String, tag: &str, items: &[String]) {
    let _ = write!(s, "<{tag}>");
    for i in items {
        let _ = write!(s, "<li>{}</li>", esc(i));
    }
    let _ = write!(s, "</{tag}>");
}

fn alert_section(s: &mut String, rank: usize, a: &Alert) {
    let suppressed = a.suppressed_by.is_some();
    let _ = write!(
        s,
        "<section class=\"alert {}{}\" id=\"a-{}\" {}><h2>#{rank} {} {} · score {} · {}</h2>",
        a.suspicion.as_str(),
        if suppressed { " suppressed" } else { "" },
        esc(&a.id),
        data_attrs(a),
        badge(a.suspicion),
        if suppressed {
            "<span class=\"badge suppressed\">suppressed</span>"
        } else {
            ""
        },
        a.score,
        esc(&attack::title(a)),
    );
    let mut facts: Vec<(&str, String)> = vec![
        ("Alert id", a.id.clone()),
        (
            "Analytics",
            a.analytics
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Technique",
            format!("{} {}", a.technique, attack::SUBTECHNIQUE_NAME),
        ),
        (
            "Suspicion",
            format!("{} (seed matrix: {})", a.suspicion, a.seed_suspicion),
        ),
        ("Host", a.host.clone()),
    ];
    if let Some(ip) = a.src_ip {
        facts.push(("Source address", ip.to_string()));
    }
    if let Some(p) = &a.process {
        facts.push(("Process", p.clone()));
    }
    if !a.users.is_empty() {
        facts.push(("Users", a.users.join(", ")));
    }
    facts.push(("Destination", attack::destination(a)));
    facts.push((
        "Scope",
        if a.external {
            "external (outside the internal networks)"
        } else {
            "internal"
        }
        .to_string(),
    ));
    facts.push(("Connections", a.connections.to_string()));
    facts.push((
        "First / last seen",
        format!("{} / {}", time(a.first_seen), time(a.last_seen)),
    ));
    let bytes = |v: Option<u64>| v.map_or("unknown".to_string(), |b| b.to_string());
    facts.push((
        "Bytes sent / received",
        format!("{} / {}", bytes(a.bytes_sent), bytes(a.bytes_received)),
    ));
    facts.push((
        "Sources",
        format!("{} ({})", a.sources.join(", "), a.source_format),
    ));
    if let Some(r) = &a.suppressed_by {
        facts.push(("Suppressed by", r.clone()));
    }
    s.push_str("<dl class=\"facts\">");
    for (k, v) in &facts {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    s.push_str("</dl><h3>Evidence</h3>");
    list(s, "ul", &a.reasons);
    if !a.signals.is_empty() {
        s.push_str("<table class=\"signals\"><tr><th>Signal</th><th>Analytic</th><th class=\"num\">Points</th></tr>");
        for (k, w) in &a.signals {
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{k}</td><td>{}</td><td class=\"num\">{w:+.1}</td></tr>",
                k.analytic()
            );
        }
        s.push_str("</table>");
    }
    let series = charts::rhythm(a);
    let iv = charts::intervals(&series.times);
    let period = charts::median(&iv);
    let beacon = a.signals.keys().any(|k| {
        matches!(
            k,
            pubsub_hunt_core::SignalId::Beacon | pubsub_hunt_core::SignalId::MessageBeacon
        )
    });
    let _ = write!(
        s,
        "<h3>Timeline</h3><p class=\"muted\">{}{}</p>",
        if a.timeline.len() == pubsub_hunt_core::MAX_TIMELINE
            && (a.timeline.len() as u64) < a.connections
        {
            format!(
                "{} of {} connection starts drawn (an even sample; intervals are of the sample). ",
                a.timeline.len(),
                a.connections
            )
        } else {
            String::new()
        },
        match (period, beacon) {
            (Some(p), true) => format!(
                "Beacon period ≈ {} (median interval between {}), marked by the dashed lines.",
                human_secs(p),
                series.what
            ),
            (Some(p), false) => format!(
                "Median interval between {} {} (dashed lines); no beacon signal.",
                series.what,
                human_secs(p)
            ),
            _ => String::new(),
        }
    );
    s.push_str(&charts::timeline(a, period));
    s.push_str("<h3>Intervals</h3>");
    s.push_str(&charts::histogram(&iv, series.what));
    topics(s, a);
    s.push_str("<h3>Samples</h3>");
    if a.samples.is_empty() {
        s.push_str(
            "<p class=\"muted\">No record references (built in memory or a live capture).</p>",
        );
    } else {
        let items: Vec<String> = a
            .samples
            .iter()
            .map(|r| format!("{}:{}", r.file, r.line))
            .collect();
        s.push_str("<ul class=\"mono\">");
        for i in &items {
            let _ = write!(s, "<li>{}</li>", esc(i));
        }
        s.push_str("</ul>");
    }
    s.push_str("<h3>Pivots</h3>");
    for p in pivots::pivots(a) {
        let _ = write!(
            s,
            "<div class=\"pivot\">{}<pre>{}</pre></div>",
            esc(p.label),
            esc(&p.text)
        );
    }
    let st = steps::steps(a, if beacon { period } else { None });
    s.push_str("<h3>Investigate</h3>");
    list(s, "ol", &st.investigate);
    s.push_str("<h3>Collect</h3>");
    list(s, "ul", &st.collect);
    s.push_str("<h3>Respond</h3><ol>");
    for r in &st.respond {
        match r.split_once('\n') {
            Some((head, code)) => {
                let _ = write!(s, "<li>{}<pre>{}</pre></li>", esc(head), esc(code));
            }
            None => {
                let _ = write!(s, "<li>{}</li>", esc(r));
            }
        }
    }
    s.push_str(
        "</ol><p class=\"noprint\"><a href=\"#alerts\">back to the ranking</a></p></section>\n",
    );
}

fn topics(s: &mut String, a: &Alert) {
    s.push_str("<h3>Topics and client ids</h3>");
    let Some(app) = &a.app else {
        s.push_str(
            "<p class=\"muted\">The source carries no content (a connection log): topics and \
             client ids come from packet captures or Zeek's MQTT logs.</p>",
        );
        return;
    };
    let mut facts: Vec<(&str, String)> = Vec::new();
    let join =
        |v: &std::collections::BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>().join(", ");
    if let Some(v) = &app.protocol_version {
        facts.push(("Protocol version", v.clone()));
    }
    for (k, v) in [
        ("Client ids", &app.client_ids),
        ("User names", &app.usernames),
        ("Server names", &app.server_names),
        ("Peers", &app.peers),
    ] {
        if !v.is_empty() {
            facts.push((k, join(v)));
        }
    }
    if let Some(k) = app.keepalive_secs {
        facts.push(("Keepalive", format!("{k} s ({} pings)", app.pings)));
    }
    if app.tls {
        facts.push(("Encryption", "TLS".to_string()));
    }
    s.push_str("<dl class=\"facts\">");
    for (k, v) in &facts {
        let _ = write!(s, "<dt>{}</dt><dd class=\"mono\">{}</dd>", esc(k), esc(v));
    }
    s.push_str("</dl>");
    if app.topics.is_empty() {
        s.push_str("<p class=\"muted\">No topics seen.</p>");
        return;
    }
    s.push_str("<table><tr><th>Topic</th><th>Direction</th><th class=\"num\">Messages</th></tr>");
    for t in &app.topics {
        let _ = write!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&t.name),
            match t.direction {
                pubsub_hunt_core::TopicDirection::Publish => "published",
                pubsub_hunt_core::TopicDirection::Subscribe => "subscribed / received",
            },
            t.messages
        );
    }
    s.push_str("</table>");
}
