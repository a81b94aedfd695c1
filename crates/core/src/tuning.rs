//! The tuning report behind `pubsub-hunt tune`: which allowlist entries fire most, and which new
//! entries would remove the most low-value alerts at the least cost.
//!
//! It works on the alerts of a finished hunt run with `show_suppressed`, so it needs nothing but
//! what every alert already explains. A *low-value* alert is one reported below high suspicion
//! (the engine's, or the seed's that only the prior's cap holds at medium) with no positive
//! behaviour evidence (only the seed's port rule speaks for it, and it does not
//! speak loudly). Every other reported alert is worth keeping: a high-suspicion channel with no
//! behaviour evidence is still what the seed rule exists to find (C2 over an external XMPP or
//! MQTT server). A candidate entry's *cost* is the alerts worth keeping it would also hide, each
//! listed, so a hunter sees what a suggestion would throw away before pasting it into the
//! configuration, and "without cost" means that nothing of the kind is hidden.

use crate::alert::Alert;
use crate::event::process_basename;
use crate::verdict::Suspicion;
use serde::Serialize;
use std::collections::BTreeMap;

/// How often one allowlist entry suppressed something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryUse {
    pub reason: String,
    pub alerts: usize,
    pub connections: u64,
}

/// A suggested allowlist entry and its effect on this data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The field the entry would set (`process`, `destination`, `server_name`, `topic_prefix`,
    /// `client_id_prefix`, `host`).
    pub field: &'static str,
    pub value: String,
    /// Low-value alerts it would remove.
    pub removes: usize,
    /// Alerts worth keeping (high suspicion, or positive behaviour evidence) it would also
    /// remove: `cost_alerts.len()`.
    pub cost: usize,
    /// Each of those alerts, in report order.
    pub cost_alerts: Vec<CostAlert>,
    /// Connections covered by the removed low-value alerts.
    pub connections: u64,
    /// The entry, ready to paste into the configuration.
    pub toml: String,
}

/// An alert worth keeping that a candidate entry would hide.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostAlert {
    pub host: String,
    pub process: Option<String>,
    /// `address:port`.
    pub destination: String,
    pub protocol: crate::protocol::Protocol,
    pub suspicion: Suspicion,
    pub score: u8,
    /// Why it is worth keeping: its suspicion, its positive evidence.
    pub why: String,
}

impl CostAlert {
    fn of(a: &Alert) -> CostAlert {
        let mut evidence: Vec<String> = a
            .signals
            .iter()
            .filter(|(_, w)| **w > 0.0)
            .map(|(id, w)| format!("{id} {w:+.0}"))
            .collect();
        let suspicion = kept_suspicion(a);
        let whose = if suspicion > a.suspicion { " seed" } else { "" };
        let why = if evidence.is_empty() {
            format!("{suspicion}{whose} suspicion, no behaviour evidence")
        } else {
            evidence.insert(0, format!("{suspicion}{whose} suspicion"));
            evidence.join(", ")
        };
        CostAlert {
            host: a.host.clone(),
            process: a.process.clone(),
            destination: std::net::SocketAddr::new(a.dst_ip, a.dst_port).to_string(),
            protocol: a.protocol,
            suspicion,
            score: a.score,
            why,
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneReport {
    /// Alerts reported (not suppressed).
    pub alerts: usize,
    /// Of those, alerts below high suspicion with no positive behaviour evidence.
    pub low_value: usize,
    /// Alerts suppressed, in total.
    pub suppressed: usize,
    /// Allowlist entries by alerts suppressed, most first.
    pub entries: Vec<EntryUse>,
    /// Suggestions, best first (most low-value alerts removed, then least cost).
    pub candidates: Vec<Candidate>,
}

fn positive_evidence(a: &Alert) -> f64 {
    a.signals.values().filter(|w| **w > 0.0).sum()
}

/// The suspicion an alert is kept for: the engine's, or the seed's where only the prior's cap
/// (`behaviour.score.prior_at_most`) holds the engine's at medium — no benign evidence lowered
/// it, and the seed rule exists to find such channels (C2 over an external XMPP or MQTT server
/// with nothing else to show).
fn kept_suspicion(a: &Alert) -> Suspicion {
    if a.seed_suspicion > a.suspicion && a.suspicion >= Suspicion::Medium {
        a.seed_suspicion
    } else {
        a.suspicion
    }
}

/// Below high suspicion and no positive behaviour evidence: what an entry may remove for free.
fn is_low_value(a: &Alert) -> bool {
    kept_suspicion(a) < Suspicion::High && positive_evidence(a) <= 0.0
}

/// The values each candidate field would take to cover this alert.
fn keys_of(a: &Alert) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(p) = a.process.as_deref() {
        out.push(("process", process_basename(p).to_string()));
    }
    out.push(("destination", a.dst_ip.to_string()));
    out.push(("host", a.host.clone()));
    // A server-name entry covers the alert only when one pattern covers all its names.
    let suffixes: Vec<String> = a
        .destination_names
        .iter()
        .chain(a.app.iter().flat_map(|app| app.server_names.iter()))
        .map(|n| parent_domain(n))
        .collect();
    if let Some(first) = suffixes.first()
        && suffixes.iter().all(|s| s == first)
    {
        out.push(("server_name", format!("*.{first}")));
    }
    if let Some(app) = &a.app {
        if let Some(prefix) = common_first_level(app.topics.iter().map(|t| t.name.as_str())) {
            out.push(("topic_prefix", prefix));
        }
        if let Some(prefix) = common_id_prefix(app.client_ids.iter().map(String::as_str)) {
            out.push(("client_id_prefix", prefix));
        }
    }
    out
}

/// The last two labels of a name (`a.b.example.com` → `example.com`).
fn parent_domain(name: &str) -> String {
    let n = crate::behaviour::destination::normalize_name(name);
    let labels: Vec<&str> = n.split('.').collect();
    if labels.len() <= 2 {
        return n;
    }
    labels[labels.len() - 2..].join(".")
}

/// The first topic level with its separator (`tele/`) when every topic starts with it.
fn common_first_level<'a>(mut topics: impl Iterator<Item = &'a str>) -> Option<String> {
    let first = topics.next()?;
    let cut = first.find(['/', '.'])?;
    let prefix = first.get(..=cut)?;
    if prefix.len() < 2 {
        return None;
    }
    topics
        .all(|t| t.starts_with(prefix))
        .then(|| prefix.to_string())
}

/// The part of a client id before its first `_`, `-` or `/` (with it: `DVES_`), when every id
/// shares it.
fn common_id_prefix<'a>(mut ids: impl Iterator<Item = &'a str>) -> Option<String> {
    let first = ids.next()?;
    let cut = first.find(['_', '-', '/'])?;
    let prefix = first.get(..=cut)?;
    if prefix.len() < 3 {
        return None;
    }
    ids.all(|i| i.starts_with(prefix))
        .then(|| prefix.to_string())
}

fn toml_entry(field: &str, value: &str) -> String {
    let v = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("[[allowlist]]\nreason = \"TODO: why this is legitimate\"\n{field} = \"{v}\"\n")
}

/// Builds the report from a run's alerts (including suppressed ones). `top` bounds the
/// suggestions.
pub fn tune_report(alerts: &[Alert], top: usize) -> TuneReport {
    let mut entries: BTreeMap<&str, EntryUse> = BTreeMap::new();
    let mut reported = 0;
    let mut low_value = 0;
    let mut suppressed = 0;
    // (field, value) → (removes, alerts worth keeping it hides, connections)
    let mut cands: BTreeMap<(&'static str, String), (usize, Vec<CostAlert>, u64)> = BTreeMap::new();
    for a in alerts {
        if let Some(reason) = a.suppressed_by.as_deref() {
            suppressed += 1;
            let e = entries.entry(reason).or_insert_with(|| EntryUse {
                reason: reason.to_string(),
                alerts: 0,
                connections: 0,
            });
            e.alerts += 1;
            e.connections += a.connections;
            continue;
        }
        reported += 1;
        let low = is_low_value(a);
        if low {
            low_value += 1;
        }
        for key in keys_of(a) {
            let c = cands.entry(key).or_default();
            if low {
                c.0 += 1;
                c.2 += a.connections;
            } else {
                c.1.push(CostAlert::of(a));
            }
        }
    }
    let mut entries: Vec<EntryUse> = entries.into_values().collect();
    entries.sort_by(|a, b| b.alerts.cmp(&a.alerts).then(a.reason.cmp(&b.reason)));
    let mut candidates: Vec<Candidate> = cands
        .into_iter()
        .filter(|(_, (removes, _, _))| *removes > 0)
        .map(
            |((field, value), (removes, cost_alerts, connections))| Candidate {
                field,
                toml: toml_entry(field, &value),
                value,
                removes,
                cost: cost_alerts.len(),
                cost_alerts,
                connections,
            },
        )
        .collect();
    candidates.sort_by(|a, b| {
        b.removes
            .cmp(&a.removes)
            .then(a.cost.cmp(&b.cost))
            .then(a.field.cmp(b.field))
            .then(a.value.cmp(&b.value))
    });
    candidates.truncate(top);
    TuneReport {
        alerts: reported,
        low_value,
        suppressed,
        entries,
        candidates,
    }
}

/// The report as text for a terminal.
pub fn render_text(r: &TuneReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} alerts reported, {} of them low-value (below high suspicion, no behaviour evidence \
         beyond the port rule); {} suppressed by the allowlist.",
        r.alerts, r.low_value, r.suppressed
    );
    let _ = writeln!(s, "\nAllowlist entries that fired (most first):");
    if r.entries.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for e in &r.entries {
        let _ = writeln!(
            s,
            "  {:>6} alerts {:>8} connections  {}",
            e.alerts, e.connections, e.reason
        );
    }
    let _ = writeln!(
        s,
        "\nCandidate entries (low-value alerts removed; cost = alerts of high suspicion or with \
         behaviour evidence also removed, each listed):"
    );
    if r.candidates.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for c in &r.candidates {
        let _ = writeln!(
            s,
            "  removes {:>5}  cost {:>4}  {} = {:?}",
            c.removes, c.cost, c.field, c.value
        );
        for hidden in &c.cost_alerts {
            let _ = writeln!(
                s,
                "        would hide: {} {} -> {} {} (score {}): {}",
                hidden.host,
                hidden.process.as_deref().unwrap_or("(process unknown)"),
                hidden.destination,
                hidden.protocol,
                hidden.score,
                hidden.why
            );
        }
    }
    if let Some(best) = r.candidates.iter().find(|c| c.cost == 0) {
        let _ = writeln!(
            s,
            "\nBest entry without cost, to check and paste:\n\n{}",
            best.toml
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppInfo, TopicDirection, TopicUse};
    use crate::protocol::Protocol;
    use crate::verdict::Suspicion;

    fn alert(dst: &str, process: Option<&str>, evidence: f64, suppressed: Option<&str>) -> Alert {
        let mut signals = BTreeMap::new();
        if evidence != 0.0 {
            signals.insert(crate::SignalId::Beacon, evidence);
        }
        Alert {
            signals,
            process: process.map(String::from),
            dst_ip: dst.parse().unwrap(),
            suppressed_by: suppressed.map(String::from),
            ..Alert::for_tests()
        }
    }

    #[test]
    fn counts_entries_and_ranks_candidates_by_removal_then_cost() {
        let alerts = vec![
            alert("198.51.100.1", Some(r"C:\P\pidgin.exe"), 0.0, None),
            alert("198.51.100.2", Some(r"C:\P\pidgin.exe"), 0.0, None),
            alert("198.51.100.2", Some(r"C:\x\powershell.exe"), 25.0, None),
            alert("17.1.1.1", None, 0.0, Some("Apple push")),
            alert("17.1.1.2", None, 0.0, Some("Apple push")),
        ];
        let r = tune_report(&alerts, 10);
        assert_eq!((r.alerts, r.low_value, r.suppressed), (3, 2, 2));
        assert_eq!(r.entries[0].reason, "Apple push");
        assert_eq!(r.entries[0].alerts, 2);
        assert_eq!(r.entries[0].connections, 6);
        // pidgin.exe removes both low-value alerts at no cost; host h1 removes both but costs
        // the powershell alert.
        assert_eq!(r.candidates[0].field, "process");
        assert_eq!(r.candidates[0].value, "pidgin.exe");
        assert_eq!((r.candidates[0].removes, r.candidates[0].cost), (2, 0));
        let host = r.candidates.iter().find(|c| c.field == "host").unwrap();
        assert_eq!((host.removes, host.cost), (2, 1));
        let dst = r
            .candidates
            .iter()
            .find(|c| c.field == "destination" && c.value == "198.51.100.2")
            .unwrap();
        assert_eq!((dst.removes, dst.cost), (1, 1));
        // The suggestion parses as an allowlist entry.
        let cfg = crate::config::HuntConfig::from_toml_str(&r.candidates[0].toml).unwrap();
        assert_eq!(cfg.allowlist[0].process.as_deref(), Some("pidgin.exe"));
        assert!(render_text(&r).contains("removes     2  cost    0  process = \"pidgin.exe\""));
    }

    #[test]
    fn high_suspicion_alerts_are_a_cost_each_listed_and_never_free() {
        // An external channel the seed rule rates high, with no behaviour evidence (a C2 server
        // with nothing else to show), and a medium one on the same host.
        let mut c2 = alert(
            "172.67.199.31",
            Some(r"C:\Users\Public\Music\m.exe"),
            0.0,
            None,
        );
        // The seed's high, held at medium by the prior's cap: still worth keeping.
        c2.seed_suspicion = Suspicion::High;
        c2.score = 70;
        c2.dst_port = 1883;
        c2.protocol = Protocol::Mqtt;
        let chat = alert("10.1.2.3", Some(r"C:\P\pidgin.exe"), 0.0, None);
        let r = tune_report(&[c2, chat], 10);
        assert_eq!((r.alerts, r.low_value), (2, 1));
        // Nothing proposes the C2 destination: it removes no low-value alert.
        assert!(
            !r.candidates.iter().any(|c| c.value == "172.67.199.31"),
            "{:#?}",
            r.candidates
        );
        let host = r.candidates.iter().find(|c| c.field == "host").unwrap();
        assert_eq!((host.removes, host.cost), (1, 1));
        assert_eq!(host.cost_alerts[0].destination, "172.67.199.31:1883");
        assert_eq!(
            host.cost_alerts[0].why,
            "high seed suspicion, no behaviour evidence"
        );
        let text = render_text(&r);
        assert!(
            text.contains(
                "would hide: h1 C:\\Users\\Public\\Music\\m.exe -> 172.67.199.31:1883 MQTT \
                 (score 70): high seed suspicion, no behaviour evidence"
            ),
            "{text}"
        );
        // The best entry without cost is one that hides nothing worth keeping.
        let best = text.split("Best entry without cost").nth(1).unwrap();
        assert!(
            best.contains("pidgin.exe") || best.contains("10.1.2.3"),
            "{best}"
        );
        assert!(!best.contains("host = "), "{best}");
    }

    #[test]
    fn content_candidates_need_a_shared_prefix() {
        let mut a = alert("198.51.100.1", None, 0.0, None);
        let mut app = AppInfo::default();
        app.client_ids.insert("DVES_1A2B3C".into());
        app.server_names.insert("a1.iot.example.com".into());
        for t in ["tele/plug/STATE", "tele/plug/SENSOR"] {
            app.topics
                .push(TopicUse::new(t, TopicDirection::Publish, 1));
        }
        a.app = Some(Box::new(app.clone()));
        let keys = keys_of(&a);
        assert!(keys.contains(&("topic_prefix", "tele/".into())));
        assert!(keys.contains(&("client_id_prefix", "DVES_".into())));
        assert!(keys.contains(&("server_name", "*.example.com".into())));
        app.topics
            .push(TopicUse::new("cmd/x", TopicDirection::Subscribe, 1));
        a.app = Some(Box::new(app));
        assert!(!keys_of(&a).iter().any(|(f, _)| *f == "topic_prefix"));
    }
}
