//! One logical connection written in every log format the tool reads (fixtures in
//! `tests/fixtures/same_connection/`, written by hand from the vendors' documented schemas; see
//! the README there and docs/inputs.md) must give the same normalized event.
//!
//! The connection: started 2024-05-14T08:00:00Z, 10.1.2.3:50000 → 198.51.100.7:1883, TCP,
//! established, outbound; host `ws-1`, process `C:\Tools\agent.exe` (Linux: `/opt/agent/agent`),
//! user `CORP\bob`, 1200 bytes sent and 340 received, wherever the format has such fields.
//!
//! Each fixture is read the way the pipeline reads it: the Zeek detector must recognise the Zeek
//! files (and must not claim the others, since it runs before the registry), the registry's
//! sniffers must pick the intended format among all built-in formats, and the chosen reader
//! (line or stream) produces the events. The [`CASES`] table says, per format, which optional
//! fields it carries: those must hold the expected value, the others must be `None`.

use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Transport};
use pubsub_hunt_ingest::ProblemKind;
use pubsub_hunt_ingest::zeek::header::{Directive, HeaderState};
use pubsub_hunt_ingest::zeek::{Detected, detect};
use pubsub_hunt_ingest::{builtin_formats, zeek};
use pubsub_hunt_reader::DETECT_BYTES;
use pubsub_hunt_reader::{Reader, Record, RecordSink, choose};
use std::net::{IpAddr, Ipv4Addr};

/// 2024-05-14T08:00:00Z in microseconds since the epoch.
const START: Micros = 1_715_673_600_000_000;
const SRC_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
const SRC_PORT: u16 = 50000;
const DST_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
const DST_PORT: u16 = 1883;

const HOST: Option<&str> = Some("ws-1");
const WINDOWS_PROCESS: Option<&str> = Some(r"C:\Tools\agent.exe");
const LINUX_PROCESS: Option<&str> = Some("/opt/agent/agent");
const USER: Option<&str> = Some(r"CORP\bob");
/// (bytes_out, bytes_in): initiator → responder, responder → initiator.
const BYTES: Option<(u64, u64)> = Some((1200, 340));

/// One format's fixture and what the event read from it must carry beyond the common core.
struct Case {
    format: &'static str,
    file: &'static str,
    /// The direction the format can express: `Outbound` unless the format has no notion of it.
    direction: Direction,
    host: Option<&'static str>,
    process: Option<&'static str>,
    user: Option<&'static str>,
    bytes: Option<(u64, u64)>,
}

/// Format name → fixture and the optional fields it carries (`None`: the format or its reader
/// has no such field, and the event must not make one up).
const CASES: &[Case] = &[
    // Zeek conn.log: network view only, no host/process/user; `local_orig` T gives outbound.
    Case {
        format: "zeek-tsv",
        file: "zeek_conn.log",
        direction: Direction::Outbound,
        host: None,
        process: None,
        user: None,
        bytes: BYTES,
    },
    Case {
        format: "zeek-json",
        file: "zeek_conn.json",
        direction: Direction::Outbound,
        host: None,
        process: None,
        user: None,
        bytes: BYTES,
    },
    // Sysmon event 3 has no byte counters.
    Case {
        format: "sysmon-xml",
        file: "sysmon_export.xml",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: None,
    },
    Case {
        format: "sysmon-json",
        file: "sysmon_winlogbeat.ndjson",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: None,
    },
    // Sysmon for Linux writes the bare account name (no domain).
    Case {
        format: "sysmon-linux",
        file: "sysmon_linux_syslog.log",
        direction: Direction::Outbound,
        host: HOST,
        process: LINUX_PROCESS,
        user: Some("bob"),
        bytes: None,
    },
    // DeviceNetworkEvents has no byte counters; user is joined from domain + account name.
    Case {
        format: "defender-csv",
        file: "defender_portal.csv",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: None,
    },
    Case {
        format: "defender-json",
        file: "defender_streaming.jsonl",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: None,
    },
    // CIM Network_Traffic carries everything (`src` is the client host name).
    Case {
        format: "splunk-csv",
        file: "splunk_export.csv",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: BYTES,
    },
    Case {
        format: "splunk-json",
        file: "splunk_export.json",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: BYTES,
    },
    // PAN-OS: the firewall is the observer (no host), no process; TRAFFIC logs have no
    // direction column, so the reader leaves it unknown (src/dst still say who initiated).
    Case {
        format: "panos",
        file: "panos_traffic.log",
        direction: Direction::Unknown,
        host: None,
        process: None,
        user: USER,
        bytes: BYTES,
    },
    // Cisco ASA logs one total (`bytes 1540`) for both directions, so no per-direction counts;
    // the syslog host is the firewall, and there is no process.
    Case {
        format: "cisco-asa",
        file: "asa.log",
        direction: Direction::Outbound,
        host: None,
        process: None,
        user: USER,
        bytes: None,
    },
    Case {
        format: "chronicle-udm",
        file: "udm.jsonl",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: BYTES,
    },
    Case {
        format: "ecs",
        file: "ecs.ndjson",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: BYTES,
    },
    Case {
        format: "ocsf",
        file: "ocsf.jsonl",
        direction: Direction::Outbound,
        host: HOST,
        process: WINDOWS_PROCESS,
        user: USER,
        bytes: BYTES,
    },
    // Suricata is a network sensor: no host/process/user, and no notion of a monitored side,
    // so the reader documents the direction as unknown.
    Case {
        format: "suricata-eve",
        file: "eve.json",
        direction: Direction::Unknown,
        host: None,
        process: None,
        user: None,
        bytes: BYTES,
    },
];

fn fixture(file: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/same_connection/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of a fixture without their line ends, dropping the empty tail after the last
/// newline.
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

#[derive(Default)]
struct Collect {
    records: Vec<Result<Record, String>>,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
}

impl RecordSink for Collect {
    fn record(&mut self, _pos: u64, record: Result<Record, String>) {
        self.records.push(record);
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push((pos, kind, detail));
    }
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _: u64) {}
}

/// The connection events of records, failing on any malformed record.
fn conns(format: &str, records: Vec<Result<Record, String>>) -> Vec<ConnEvent> {
    records
        .into_iter()
        .filter_map(|r| match r {
            Ok(Record::Conn(e)) => Some(*e),
            Ok(
                Record::Other
                | Record::Skip
                | Record::DestName { .. }
                | Record::AddrNames { .. }
                | Record::SessionFacts { .. },
            ) => None,
            Err(e) => panic!("{format}: malformed record: {e}"),
        })
        .collect()
}

fn read_zeek_tsv(data: &[u8]) -> Vec<ConnEvent> {
    assert_eq!(detect(data), Detected::ZeekTsv);
    let mut header = HeaderState::default();
    let mut schema = None;
    let mut out = Vec::new();
    for line in lines(data) {
        if line.starts_with(b"#") {
            match header.apply(line) {
                Ok(Directive::Schema(s)) => schema = Some(s),
                Ok(Directive::Other) => {}
                Err(e) => panic!("zeek-tsv header: {e}"),
            }
            continue;
        }
        let Some(s) = &schema else {
            panic!("zeek-tsv: record before #fields");
        };
        assert!(s.is_conn());
        out.push(
            s.parse_line(line)
                .unwrap_or_else(|e| panic!("zeek-tsv: {e}")),
        );
    }
    out
}

fn read_zeek_json(data: &[u8]) -> Vec<ConnEvent> {
    assert_eq!(detect(data), Detected::ZeekJson);
    lines(data)
        .map(|l| match zeek::json::parse_line(l) {
            Ok(Record::Conn(e)) => *e,
            Ok(Record::Other | Record::Skip) => panic!("zeek-json: not a conn record"),
            Ok(
                Record::DestName { .. } | Record::AddrNames { .. } | Record::SessionFacts { .. },
            ) => {
                panic!("zeek-json: not a conn record")
            }
            Err(e) => panic!("zeek-json: {e}"),
        })
        .collect()
}

/// Reads a fixture as the pipeline would when no format is forced: the Zeek detector does not
/// claim it, the registry picks `format`, and its reader gives the records.
fn read_registered(format: &str, data: &[u8]) -> Vec<ConnEvent> {
    let head = data.get(..DETECT_BYTES).unwrap_or(data);
    let zeek = detect(head);
    assert!(
        !matches!(zeek, Detected::ZeekTsv | Detected::ZeekJson),
        "{format}: the Zeek detector, which runs first, claims the fixture ({zeek:?})"
    );
    let registry = builtin_formats();
    let chosen = choose(&registry, None, head)
        .unwrap_or_else(|| panic!("{format}: no registered format sniffs the fixture"));
    assert_eq!(chosen.name(), format, "sniffing picked another format");
    match chosen.open(head) {
        Ok(Reader::Lines(reader)) => {
            assert_eq!(reader.name(), format);
            conns(format, lines(data).map(|l| reader.parse_line(l)).collect())
        }
        Ok(Reader::Stream(mut reader)) => {
            assert_eq!(reader.name(), format);
            let mut sink = Collect::default();
            reader
                .read(&mut &data[..], &mut sink)
                .unwrap_or_else(|e| panic!("{format}: read: {e}"));
            assert!(sink.problems.is_empty(), "{format}: {:?}", sink.problems);
            conns(format, sink.records)
        }
        Ok(Reader::Headered(_)) => panic!("{format}: only Zeek TSV is a headered format"),
        Err(e) => panic!("{format}: open: {e}"),
    }
}

fn read_case(case: &Case) -> ConnEvent {
    let data = fixture(case.file);
    let mut events = match case.format {
        "zeek-tsv" => read_zeek_tsv(&data),
        "zeek-json" => read_zeek_json(&data),
        other => read_registered(other, &data),
    };
    assert_eq!(
        events.len(),
        1,
        "{}: want exactly one connection, got {events:#?}",
        case.format
    );
    events.remove(0)
}

/// The fields every format carries, as one comparable value.
type Core = (
    Option<Micros>,
    Option<IpAddr>,
    Option<u16>,
    IpAddr,
    u16,
    Transport,
    Outcome,
    Direction,
);

fn core(e: &ConnEvent) -> Core {
    (
        e.ts,
        e.src_ip,
        e.src_port,
        e.dst_ip,
        e.dst_port,
        e.transport,
        e.outcome,
        e.direction,
    )
}

#[test]
fn the_table_covers_every_format_the_tool_reads() {
    let mut names: Vec<&str> = builtin_formats()
        .iter()
        .map(|f| f.name())
        .filter(|n| *n != "sysmon-evtx")
        .collect();
    names.sort_unstable();
    let mut covered: Vec<&str> = CASES.iter().map(|c| c.format).collect();
    covered.sort_unstable();
    // EVTX is a binary format that cannot be written by hand; every other reader is covered.
    assert_eq!(covered, names);
}

#[test]
fn every_format_gives_the_same_connection() {
    let mut failures = Vec::new();
    for case in CASES {
        let e = read_case(case);
        let want_core: Core = (
            Some(START),
            Some(SRC_IP),
            Some(SRC_PORT),
            DST_IP,
            DST_PORT,
            Transport::Tcp,
            Outcome::Succeeded,
            case.direction,
        );
        let got_bytes = match (e.bytes_out, e.bytes_in) {
            (None, None) => None,
            (out, inn) => Some((out, inn)),
        };
        let want_bytes = case.bytes.map(|(o, i)| (Some(o), Some(i)));
        let checks = [
            ("core", format!("{want_core:?}"), format!("{:?}", core(&e))),
            (
                "host",
                format!("{:?}", case.host),
                format!("{:?}", e.host.as_deref()),
            ),
            (
                "process",
                format!("{:?}", case.process),
                format!("{:?}", e.process.as_deref()),
            ),
            (
                "user",
                format!("{:?}", case.user),
                format!("{:?}", e.user.as_deref()),
            ),
            ("bytes", format!("{want_bytes:?}"), format!("{got_bytes:?}")),
        ];
        for (field, want, got) in checks {
            if want != got {
                failures.push(format!("{} {field}: want {want}, got {got}", case.format));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn formats_that_express_direction_agree_with_each_other() {
    // Beyond the table: every format that can say who initiated says the same thing, so the
    // core of all of them is one value once the documented unknowns are set aside.
    let cores: Vec<(&str, Core)> = CASES
        .iter()
        .filter(|c| c.direction != Direction::Unknown)
        .map(|c| (c.format, core(&read_case(c))))
        .collect();
    let Some((first_name, first)) = cores.first() else {
        panic!("no cases");
    };
    for (name, c) in &cores {
        assert_eq!(c, first, "{name} differs from {first_name}");
    }
    // Only PAN-OS and Suricata leave the direction unknown.
    assert_eq!(cores.len(), CASES.len() - 2);
}
