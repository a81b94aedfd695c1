//! pySigma as an independent oracle for the Sigma export.
//!
//! For the default, the tuned and an all-levels configuration, the exported Sigma text must
//! parse with pySigma, pass every installed pySigma validator, and convert without error with
//! the Splunk backend (correlations included), the Kusto backend with the Microsoft XDR pipeline
//! and the ES|QL backend with the ECS Windows pipeline. The converted queries are then compared
//! with pubsub-hunt's own exports of the same config: the same ports per level, threshold,
//! window, internal networks, Mosquitto exclusion and allowlist values, and every table column
//! or ECS field pySigma's query reads is one our KQL / ES|QL query reads too.
//!
//! Needs `PUBSUB_HUNT_PYTHON` (a Python with `tests/python/requirements-sigma.txt` installed;
//! `scripts/test.sh` sets it up). Without it the test skips with a message, unless
//! `PUBSUB_HUNT_REQUIRE_ORACLES=1`, in which case it fails.

mod common;

use pubsub_hunt_core::{HuntConfig, Protocol, Suspicion};
use pubsub_hunt_rules::{BUILT_IN_DEFAULTS, Target, export};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Columns of `DeviceNetworkEvents` (Microsoft's documented schema) that a Sigma backend could
/// map a network_connection field to.
const DEFENDER_COLUMNS: &[&str] = &[
    "Timestamp",
    "DeviceId",
    "DeviceName",
    "ActionType",
    "RemoteIP",
    "RemotePort",
    "RemoteUrl",
    "LocalIP",
    "LocalPort",
    "Protocol",
    "LocalIPType",
    "RemoteIPType",
    "InitiatingProcessFileName",
    "InitiatingProcessFolderPath",
    "InitiatingProcessId",
    "InitiatingProcessCommandLine",
    "InitiatingProcessAccountDomain",
    "InitiatingProcessAccountName",
    "InitiatingProcessAccountSid",
];

/// ECS fields a Sigma backend could map a network_connection field to.
const ECS_FIELDS: &[&str] = &[
    "destination.ip",
    "destination.port",
    "destination.domain",
    "source.ip",
    "source.port",
    "process.executable",
    "process.name",
    "process.pid",
    "host.name",
    "user.name",
    "network.transport",
    "network.direction",
];

fn require_oracles() -> bool {
    std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

fn skip_or_fail(why: &str) {
    if require_oracles() {
        panic!("pySigma oracle unavailable and PUBSUB_HUNT_REQUIRE_ORACLES=1: {why}");
    }
    eprintln!("SKIPPED pySigma oracle test: {why}");
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/pysigma_oracle.py")
}

/// Runs the oracle on `sigma`; `None` when the oracle is not available (after skip_or_fail).
fn run_oracle(python: &Path, sigma: &str) -> Option<Value> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sigma.as_bytes()).unwrap();
    let output = Command::new(python)
        .arg(script())
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Some(
            serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("oracle printed no JSON ({e}):\n{stdout}\n{stderr}")),
        ),
        Some(3) => {
            skip_or_fail(&format!("pySigma modules missing: {stdout}"));
            None
        }
        _ => panic!("pySigma rejected the export:\n{stderr}\n--- rules ---\n{sigma}"),
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("oracle output has no {key}: {v}"))
        .iter()
        .map(|q| q.as_str().unwrap().to_string())
        .collect()
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Ports each reported level's detection rule must select, from the config (not from the
/// exporter's own model): the seeds' matrix by protocol. A level a configuration cannot reach
/// (no internal network, no Mosquitto client, no port) has no rule.
fn level_ports(cfg: &HuntConfig) -> Vec<(Suspicion, Vec<u16>)> {
    use Protocol::*;
    let ports = |ps: &[Protocol]| -> Vec<u16> {
        ps.iter()
            .flat_map(|p| cfg.standard_ports(*p).iter().copied())
            .collect()
    };
    let internal = !cfg.internal.networks().is_empty();
    let clients = !cfg.mosquitto_clients.is_empty();
    let mut medium = ports(&[Amqp]);
    let mut low = ports(&[Nats, Kafka, OpenWire]);
    if internal {
        medium.extend(ports(&[Xmpp, Stomp]));
        low.extend(ports(&[Amqp]));
    }
    if internal || clients {
        low.extend(ports(&[Mqtt]));
    }
    let all = [
        (Suspicion::High, ports(&[Xmpp, Stomp, Mqtt])),
        (Suspicion::Medium, medium),
        // XMPP and STOMP are never low: external is high, internal medium.
        (Suspicion::Low, low),
    ];
    all.into_iter()
        .filter(|(s, p)| *s >= cfg.min_suspicion && !p.is_empty())
        .collect()
}

/// The lines of a query that are not whole-line comments.
fn code_only(text: &str, comment: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(comment))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Text with escapes and case taken out, to find a config value in any target's quoting.
fn loose(text: &str) -> String {
    text.replace('\\', "").to_lowercase()
}

/// The length of Splunk's `bin _time span=N<unit>`, in seconds.
fn span_secs(spl: &str) -> Option<u64> {
    let rest = &spl[spl.find("span=")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let unit = rest[digits.len()..].chars().next()?;
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Some(n * scale)
}

fn check(python: &Path, cfg: &HuntConfig, source: &str) -> bool {
    let sigma = export(Target::Sigma, cfg, source);
    let Some(oracle) = run_oracle(python, &sigma) else {
        return false;
    };

    // Parsed: one detection rule and one correlation per reported level, no parse errors.
    let levels = level_ports(cfg);
    let rules = oracle["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2 * levels.len(), "{oracle}");
    for r in rules {
        assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{r}");
    }
    // Every validator pySigma ships ran (the ATT&CK tag check among them) and found nothing.
    let validators = strings(&oracle, "validators");
    for v in [
        "attacktag",
        "identifier_existence",
        "dangling_detection",
        "escaped_wildcard",
    ] {
        assert!(
            validators.iter().any(|x| x == v),
            "validator {v} missing: {validators:?}"
        );
    }
    assert_eq!(
        oracle["issues"],
        Value::Array(vec![]),
        "pySigma validators complained"
    );

    let splunk = strings(&oracle, "splunk");
    let kusto = strings(&oracle, "kusto");
    let esql = strings(&oracle, "esql");
    // Splunk converts the correlations (which embed their detection rule); Kusto and ES|QL
    // convert the detection rules. Both in level order.
    assert_eq!(splunk.len(), levels.len());
    assert_eq!(kusto.len(), levels.len());
    assert_eq!(esql.len(), levels.len());

    // Comments are left out: the headers list the ports and networks, which would make every
    // "ours has it too" check below pass whatever the queries say.
    let ours_kql = code_only(&export(Target::Kql, cfg, source), "//");
    let ours_spl = code_only(&export(Target::Spl, cfg, source), "```");
    let ours_esql = code_only(&export(Target::Esql, cfg, source), "//");
    // The Defender query is the first of the two in our KQL export.
    let ours_defender = ours_kql.split("CommonSecurityLog").next().unwrap();

    for (i, (level, ports)) in levels.iter().enumerate() {
        for p in ports {
            assert!(
                has_word(&splunk[i], &p.to_string()),
                "{level}: port {p} not in SPL"
            );
            assert!(
                has_word(&kusto[i], &p.to_string()),
                "{level}: port {p} not in KQL"
            );
            assert!(
                has_word(&esql[i], &p.to_string()),
                "{level}: port {p} not in ES|QL"
            );
            assert!(
                has_word(&ours_kql, &p.to_string()),
                "our KQL lacks port {p}"
            );
            assert!(
                has_word(&ours_spl, &p.to_string()),
                "our SPL lacks port {p}"
            );
            assert!(
                has_word(&ours_esql, &p.to_string()),
                "our ES|QL lacks port {p}"
            );
        }
        // Threshold, grouping and window of the correlation, as Splunk runs it.
        assert!(
            splunk[i].contains(&format!("event_count >= {}", cfg.min_connections)),
            "{}",
            splunk[i]
        );
        assert!(
            splunk[i].contains("by _time Computer Image DestinationIp DestinationPort")
                || splunk[i].contains("by Computer Image DestinationIp DestinationPort"),
            "{}",
            splunk[i]
        );
        if let Some(us) = cfg.window.micros() {
            let want = u64::try_from(us / 1_000_000).unwrap();
            assert_eq!(span_secs(&splunk[i]), Some(want), "window: {}", splunk[i]);
        }
    }
    assert!(ours_spl.contains(&format!("connections >= {}", cfg.min_connections)));
    assert!(ours_kql.contains(&format!("MinConnections = {}", cfg.min_connections)));
    assert!(ours_esql.contains(&format!("connections >= {}", cfg.min_connections)));

    // Internal networks: in pySigma's conversion (when a reported level depends on scope at
    // all) and in our own queries.
    let scoped = sigma.contains("    internal:");
    for net in cfg.internal.networks() {
        let text = net.to_string();
        let quoted = format!("\"{text}\"");
        if scoped {
            assert!(
                splunk.iter().any(|q| q.contains(&quoted)),
                "{text} not in pySigma SPL"
            );
            assert!(
                kusto.iter().any(|q| q.contains(&quoted)),
                "{text} not in pySigma KQL"
            );
            assert!(
                esql.iter().any(|q| q.contains(&quoted)),
                "{text} not in pySigma ES|QL"
            );
        }
        assert!(
            ours_spl.contains(&format!("cidrmatch({quoted}, scope_ip)")),
            "{text}"
        );
        assert!(ours_kql.contains(&quoted), "{text}");
        assert!(ours_esql.contains(&quoted), "{text}");
    }

    // The Mosquitto exclusion: in the high rule as converted, and in ours.
    if levels[0].0 == Suspicion::High {
        for client in &cfg.mosquitto_clients {
            let name = client.to_ascii_lowercase();
            let name = name.strip_suffix(".exe").unwrap_or(&name);
            for (what, q) in [("SPL", &splunk[0]), ("KQL", &kusto[0]), ("ES|QL", &esql[0])] {
                assert!(
                    q.to_ascii_lowercase().contains(name),
                    "{client} not in pySigma {what}"
                );
            }
            for (what, q) in [
                ("SPL", &ours_spl),
                ("KQL", &ours_kql),
                ("ES|QL", &ours_esql),
            ] {
                assert!(
                    q.to_ascii_lowercase().contains(name),
                    "{client} not in our {what}"
                );
            }
        }
    }

    // Allowlist values survive conversion, and ours carry them too.
    for entry in &cfg.allowlist {
        if entry.analytic.is_some_and(|a| a.as_str() != "pubsub-port") {
            continue;
        }
        // The literal parts of each pattern (between wildcards), escapes and case aside.
        let mut values: Vec<String> = entry.destination.iter().map(ToString::to_string).collect();
        for pattern in entry.host.iter().chain(&entry.process) {
            values.extend(
                pattern
                    .split(['*', '?'])
                    .map(loose)
                    .filter(|f| f.len() >= 3),
            );
        }
        assert!(!values.is_empty(), "nothing to look for in {entry:?}");
        for v in values {
            for (what, q) in [("SPL", &splunk), ("KQL", &kusto), ("ES|QL", &esql)] {
                assert!(
                    q.iter().any(|x| loose(x).contains(&loose(&v))),
                    "allowlist {v:?} not in pySigma {what}"
                );
            }
            for (what, q) in [
                ("SPL", &ours_spl),
                ("KQL", &ours_kql),
                ("ES|QL", &ours_esql),
            ] {
                assert!(
                    loose(q).contains(&loose(&v)),
                    "allowlist {v:?} not in our {what}"
                );
            }
        }
    }

    // Field sets: every Defender column / ECS field pySigma's conversion reads, ours reads too.
    let mut defender_fields = Vec::new();
    for col in DEFENDER_COLUMNS {
        if kusto.iter().any(|q| has_word(q, col)) {
            defender_fields.push(*col);
            assert!(
                has_word(ours_defender, col),
                "our Defender KQL does not read {col}"
            );
        }
    }
    // The mapping did happen for every field our detection rules test.
    let uses_ip = sigma.contains("DestinationIp|cidr");
    // (`Image:` or `Image|...`: the correlation's group-by line is a bare `- Image`.)
    let uses_image = sigma.contains("Image:") || sigma.contains("Image|");
    for (used, must) in [
        (true, "RemotePort"),
        (uses_ip, "RemoteIP"),
        (uses_image, "InitiatingProcessFolderPath"),
    ] {
        assert!(
            !used || defender_fields.contains(&must),
            "pySigma KQL lacks {must}"
        );
    }
    let mut ecs_fields = Vec::new();
    for field in ECS_FIELDS {
        if esql.iter().any(|q| has_word(q, field)) {
            ecs_fields.push(*field);
            assert!(
                has_word(&ours_esql, field),
                "our ES|QL does not read {field}"
            );
        }
    }
    for (used, must) in [
        (true, "destination.port"),
        (true, "network.transport"),
        (uses_ip, "destination.ip"),
    ] {
        assert!(
            !used || ecs_fields.contains(&must),
            "pySigma ES|QL lacks {must}"
        );
    }
    true
}

#[test]
fn pysigma_parses_validates_and_converts_the_export() {
    let Some(python) = std::env::var_os("PUBSUB_HUNT_PYTHON").map(PathBuf::from) else {
        skip_or_fail("PUBSUB_HUNT_PYTHON is not set");
        return;
    };
    let configs = [
        (common::default_config(), BUILT_IN_DEFAULTS),
        (common::tuned_config(), common::TUNED_SOURCE),
        (common::low_config(), "low.toml"),
    ];
    let odd = common::odd_configs();
    let configs = configs
        .iter()
        .map(|(c, s)| (c, *s))
        .chain(odd.iter().map(|c| (c, "odd.toml")));
    for (cfg, source) in configs {
        if !check(&python, cfg, source) {
            return;
        }
    }
}

/// The oracle must be able to say no: a rule with a dangling selection and a broken condition
/// is refused (non-zero exit) or reported, never silently accepted.
#[test]
fn pysigma_oracle_rejects_a_broken_rule() {
    let Some(python) = std::env::var_os("PUBSUB_HUNT_PYTHON").map(PathBuf::from) else {
        skip_or_fail("PUBSUB_HUNT_PYTHON is not set");
        return;
    };
    let good = export(Target::Sigma, &HuntConfig::default(), BUILT_IN_DEFAULTS);
    // A selection nothing refers to: parses, but the dangling_detection validator objects.
    let dangling = good.replacen(
        "    transport:",
        "    unused:\n        Image: x\n    transport:",
        1,
    );
    let Some(oracle) = run_oracle(&python, &dangling) else {
        return;
    };
    let issues = oracle["issues"].as_array().unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i["validator"].as_str().unwrap_or("").contains("Dangling")),
        "{oracle}"
    );
    // A condition naming a selection that does not exist: conversion fails.
    let broken = good.replacen("transport and outbound", "transport and nosuchselection", 1);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(broken.as_bytes()).unwrap();
    let status = Command::new(&python)
        .arg(script())
        .arg(file.path())
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
}
