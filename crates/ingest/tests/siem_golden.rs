//! Golden tests of the built-in SIEM/EDR mappings on the synthetic fixtures in
//! `tests/fixtures/siem/` (no public sample of these exports exists; see the README there):
//! every record of every fixture, with the exact event it must give. Also: the sniffers pick the
//! right format and leave other formats alone, and no reader panics on arbitrary bytes.

use proptest::prelude::*;
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Protocol, Transport};
use pubsub_hunt_ingest::FormatSpec;
use pubsub_hunt_ingest::ProblemKind;
use pubsub_hunt_ingest::siem;
use pubsub_hunt_reader::{CERTAIN, LIKELY, Reader, Record, RecordSink, choose};
use std::net::IpAddr;
use std::sync::Arc;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/siem/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn format(name: &str) -> Arc<dyn FormatSpec> {
    siem::formats()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no format {name}"))
}

/// What one record must turn out to be.
#[derive(Debug)]
enum Want {
    Conn(Box<ConnEvent>),
    Other,
    /// A malformed record whose message contains this text.
    Err(&'static str),
}

#[derive(Default)]
struct Collect(Vec<(u64, Result<Record, String>)>);

impl RecordSink for Collect {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        self.0.push((pos, record));
    }
    fn problem(&mut self, _: Option<u64>, _: ProblemKind, _: String) {}
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _: u64) {}
}

/// Reads a whole fixture the way the pipeline would (every line, no prefilter), keeping the
/// 1-based position of every record that is not a header or blank line.
fn read_all(f: &dyn FormatSpec, data: &[u8]) -> Vec<(u64, Result<Record, String>)> {
    match f.open(data).unwrap_or_else(|e| panic!("open: {e}")) {
        Reader::Lines(l) => data
            .split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, line)| (i as u64 + 1, l.parse_line(line)))
            .filter(|(_, r)| !matches!(r, Ok(Record::Skip)))
            .collect(),
        Reader::Stream(mut s) => {
            let mut sink = Collect::default();
            s.read(&mut &data[..], &mut sink).unwrap();
            sink.0
        }
        Reader::Headered(_) => panic!("no SIEM format is a headered format"),
    }
}

fn check(format_name: &str, file: &str, want: Vec<(u64, Want)>) {
    let f = format(format_name);
    let got = read_all(&*f, &fixture(file));
    assert_eq!(
        got.len(),
        want.len(),
        "{file}: records {:?}",
        got.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((gp, g), (wp, w)) in got.into_iter().zip(want) {
        assert_eq!(gp, wp, "{file}: record position");
        match (g, w) {
            (Ok(Record::Conn(g)), Want::Conn(w)) => assert_eq!(g, w, "{file}:{gp}"),
            (Ok(Record::Other), Want::Other) => {}
            (Err(g), Want::Err(w)) => assert!(g.contains(w), "{file}:{gp}: {g:?} lacks {w:?}"),
            (g, w) => panic!("{file}:{gp}: got {g:?}, want {w:?}"),
        }
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An event with nothing known but its destination, read by `fmt`.
fn blank(fmt: &'static str, dst: &str, dst_port: u16) -> ConnEvent {
    ConnEvent {
        ts: None,
        end: None,
        host: None,
        process: None,
        user: None,
        src_ip: None,
        src_port: None,
        dst_ip: ip(dst),
        dst_port,
        transport: Transport::Unknown,
        outcome: Outcome::Unknown,
        direction: Direction::Unknown,
        identified: Vec::new(),
        app_label: None,
        bytes_out: None,
        bytes_in: None,
        packets_out: None,
        packets_in: None,
        dst_name: None,
        origin: None,
        source_format: Some(fmt),
        app: None,
        uid: None,
        community_id: None,
    }
}

struct Def {
    fmt: &'static str,
    ts: i64,
    host: &'static str,
    process: &'static str,
    user: &'static str,
    src: (&'static str, u16),
    dst: (&'static str, u16),
    transport: Transport,
    outcome: Outcome,
    direction: Direction,
}

/// The `RemoteUrl` the Defender fixtures give each destination they name.
fn remote_url(dst: &str) -> Option<String> {
    match dst {
        "198.51.100.23" => Some("telemetry.example.net"),
        "2001:db8:85a3::8a2e:370:7334" => Some("chat.example.org"),
        "192.0.2.10" => Some("www.example.com"),
        "2001:db8:4::1883" => Some("broker.example.org"),
        _ => None,
    }
    .map(String::from)
}

fn defender(d: Def) -> Want {
    Want::Conn(Box::new(ConnEvent {
        dst_name: remote_url(d.dst.0),
        ts: Some(d.ts),
        host: Some(d.host.into()),
        process: Some(d.process.into()),
        user: Some(d.user.into()),
        src_ip: Some(ip(d.src.0)),
        src_port: Some(d.src.1),
        transport: d.transport,
        outcome: d.outcome,
        direction: d.direction,
        ..blank(d.fmt, d.dst.0, d.dst.1)
    }))
}

const PYTHON: &str = r"c:\users\jdoe\appdata\local\programs\python\python311\python.exe";
const WS_FIN: &str = "ws-fin-07.corp.example.com";
const PIDGIN: &str = r"c:\program files (x86)\pidgin\pidgin.exe";

#[test]
fn defender_portal_csv() {
    let ok = |ts, sport, dst: &'static str, dport, process, transport| {
        defender(Def {
            fmt: "defender-csv",
            ts,
            host: WS_FIN,
            process,
            user: r"corp\jdoe",
            src: (
                if dst.contains(':') {
                    "fd00:10:20::41"
                } else {
                    "10.20.30.41"
                },
                sport,
            ),
            dst: (dst, dport),
            transport,
            outcome: Outcome::Succeeded,
            direction: Direction::Outbound,
        })
    };
    check(
        "defender-csv",
        "defender-portal.csv",
        vec![
            (
                2,
                ok(
                    1_715_673_662_123_456,
                    52114,
                    "198.51.100.23",
                    8883,
                    PYTHON,
                    Transport::Tcp,
                ),
            ),
            (
                3,
                ok(
                    1_715_673_962_500_000,
                    52190,
                    "198.51.100.23",
                    8883,
                    PYTHON,
                    Transport::Tcp,
                ),
            ),
            (
                4,
                defender(Def {
                    fmt: "defender-csv",
                    ts: 1_715_674_262_000_000,
                    host: WS_FIN,
                    process: PYTHON,
                    user: r"corp\jdoe",
                    src: ("10.20.30.41", 52230),
                    dst: ("198.51.100.23", 8883),
                    transport: Transport::Tcp,
                    outcome: Outcome::Failed,
                    direction: Direction::Outbound,
                }),
            ),
            // Inbound: the remote peer is the initiator; IPv4-mapped addresses read as IPv4.
            (
                5,
                defender(Def {
                    fmt: "defender-csv",
                    ts: 1_715_674_360_000_000,
                    host: "mqtt-broker01.corp.example.com",
                    process: r"c:\program files\mosquitto\mosquitto.exe",
                    user: r"nt authority\system",
                    src: ("203.0.113.50", 51544),
                    dst: ("10.20.30.40", 1883),
                    transport: Transport::Tcp,
                    outcome: Outcome::Succeeded,
                    direction: Direction::Inbound,
                }),
            ),
            (6, Want::Other),
            (
                7,
                ok(
                    1_715_677_200_000_000,
                    49800,
                    "2001:db8:85a3::8a2e:370:7334",
                    5222,
                    PIDGIN,
                    Transport::Tcp,
                ),
            ),
            (
                8,
                ok(
                    1_715_679_000_000_000,
                    49950,
                    "2001:db8:85a3::8a2e:370:7334",
                    5222,
                    PIDGIN,
                    Transport::Tcp,
                ),
            ),
            (9, Want::Other),
            (
                10,
                ok(
                    1_715_679_900_000_000,
                    52400,
                    "192.0.2.10",
                    443,
                    r"c:\program files (x86)\microsoft\edge\application\msedge.exe",
                    Transport::Tcp,
                ),
            ),
        ],
    );
}

#[test]
fn defender_sentinel_csv_with_other_columns_and_times() {
    let row = |ts, sport, transport, outcome| {
        defender(Def {
            fmt: "defender-csv",
            ts,
            host: "ws-eng-12.corp.example.com",
            // The export has the folder only: the file name is joined to it.
            process: r"C:\ProgramData\svc\svchelper.exe",
            user: r"corp\svc_backup",
            src: ("10.20.31.12", sport),
            dst: ("203.0.113.99", 61614),
            transport,
            outcome,
            direction: Direction::Outbound,
        })
    };
    check(
        "defender-csv",
        "defender-sentinel.csv",
        vec![
            (
                2,
                row(
                    1_715_674_805_250_000,
                    50001,
                    Transport::Tcp,
                    Outcome::Succeeded,
                ),
            ),
            (
                3,
                row(
                    1_715_719_805_750_000,
                    50077,
                    Transport::Tcp,
                    Outcome::Succeeded,
                ),
            ),
            (
                4,
                row(
                    1_715_720_400_000_000,
                    50078,
                    Transport::Udp,
                    Outcome::Failed,
                ),
            ),
            (5, Want::Err("bad RemotePort \"http\"")),
            // The file was cut inside a quoted field.
            (6, Want::Err("quoted field")),
        ],
    );
}

#[test]
fn defender_api_json_document() {
    let rundll = |ts, dst: &'static str, sport, outcome, transport| {
        defender(Def {
            fmt: "defender-json",
            ts,
            host: "ws-hr-03.corp.example.com",
            process: r"c:\windows\system32\rundll32.exe",
            user: r"corp\mlee",
            src: (
                if dst.contains(':') {
                    "fd00:10:20::3"
                } else {
                    "10.20.32.3"
                },
                sport,
            ),
            dst: (dst, 5671),
            transport,
            outcome,
            direction: Direction::Outbound,
        })
    };
    check(
        "defender-json",
        "defender-api.json",
        vec![
            (
                28,
                rundll(
                    1_715_680_800_100_000,
                    "198.51.100.140",
                    60001,
                    Outcome::Succeeded,
                    Transport::Tcp,
                ),
            ),
            (
                42,
                rundll(
                    1_715_681_700_200_000,
                    "198.51.100.140",
                    60044,
                    Outcome::Succeeded,
                    Transport::Tcp,
                ),
            ),
            (
                56,
                rundll(
                    1_715_681_760_000_000,
                    "2001:db8:ffff::140",
                    60050,
                    Outcome::Failed,
                    Transport::Tcp,
                ),
            ),
            (
                70,
                defender(Def {
                    fmt: "defender-json",
                    ts: 1_715_681_820_000_000,
                    host: "amqp-01.corp.example.com",
                    process: r"c:\program files\erl-26\bin\erl.exe",
                    user: r"nt authority\network service",
                    src: ("10.20.32.3", 60061),
                    dst: ("10.20.40.5", 5672),
                    transport: Transport::Tcp,
                    outcome: Outcome::Succeeded,
                    direction: Direction::Inbound,
                }),
            ),
        ],
    );
}

#[test]
fn defender_streaming_json_lines() {
    let sub = |ts, sport| {
        defender(Def {
            fmt: "defender-json",
            ts,
            host: "ws-ops-21.corp.example.com",
            process: r"c:\program files\mosquitto\mosquitto_sub.exe",
            user: r"corp\opsbot",
            src: ("10.20.33.21", sport),
            dst: ("203.0.113.200", 1883),
            transport: Transport::Tcp,
            outcome: Outcome::Succeeded,
            direction: Direction::Outbound,
        })
    };
    check(
        "defender-json",
        "defender-streaming.jsonl",
        vec![
            (1, sub(1_715_684_400_000_000, 55001)),
            (2, sub(1_715_684_700_000_000, 55002)),
            (3, Want::Other),
            (
                4,
                defender(Def {
                    fmt: "defender-json",
                    ts: 1_715_685_000_000_000,
                    host: "ws-ops-21.corp.example.com",
                    process: r"c:\program files\nodejs\node.exe",
                    user: r"corp\opsbot",
                    src: ("fd00:10:20::21", 55010),
                    dst: ("2001:db8:4::1883", 1883),
                    transport: Transport::Tcp,
                    outcome: Outcome::Failed,
                    direction: Direction::Outbound,
                }),
            ),
        ],
    );
}

struct Spl {
    fmt: &'static str,
    ts: i64,
    host: Option<&'static str>,
    user: Option<&'static str>,
    src: (&'static str, u16),
    dst: (&'static str, u16),
    outcome: Outcome,
    direction: Direction,
    app: Option<&'static str>,
    identified: Vec<Protocol>,
    out_in: (Option<u64>, Option<u64>),
}

fn splunk(s: Spl) -> Want {
    Want::Conn(Box::new(ConnEvent {
        ts: Some(s.ts),
        host: s.host.map(str::to_string),
        user: s.user.map(str::to_string),
        src_ip: Some(ip(s.src.0)),
        src_port: Some(s.src.1),
        transport: Transport::Tcp,
        outcome: s.outcome,
        direction: s.direction,
        identified: s.identified,
        app_label: s.app.map(str::to_string),
        bytes_out: s.out_in.0,
        bytes_in: s.out_in.1,
        packets_out: None,
        packets_in: None,
        dst_name: None,
        ..blank(s.fmt, s.dst.0, s.dst.1)
    }))
}

#[test]
fn splunk_csv_export() {
    let pan_amqp = |ts, sport, outcome, out_in| {
        splunk(Spl {
            fmt: "splunk-csv",
            ts,
            host: Some("10.30.1.5"),
            user: Some(r"corp\alice"),
            src: ("10.30.1.5", sport),
            dst: ("203.0.113.80", 5672),
            outcome,
            direction: Direction::Outbound,
            app: Some("amqp"),
            identified: vec![Protocol::Amqp],
            out_in,
        })
    };
    // Splunk Stream: bytes_in is what the client sent.
    let stream_stomp = |ts, sport, out_in| {
        splunk(Spl {
            fmt: "splunk-csv",
            ts,
            host: None,
            user: None,
            src: ("10.30.1.9", sport),
            dst: ("198.51.100.77", 61613),
            outcome: Outcome::Unknown,
            direction: Direction::Unknown,
            app: Some("stomp"),
            identified: vec![Protocol::Stomp],
            out_in,
        })
    };
    let lab = |ts, sport, out_in| {
        splunk(Spl {
            fmt: "splunk-csv",
            ts,
            host: Some("ws-lab-4"),
            user: None,
            src: ("fd00:30::4", sport),
            dst: ("2001:db8:77::9", 9001),
            outcome: Outcome::Succeeded,
            direction: Direction::Outbound,
            app: Some("mqtt"),
            identified: vec![Protocol::Mqtt],
            out_in,
        })
    };
    check(
        "splunk-csv",
        "splunk-export.csv",
        vec![
            (
                2,
                pan_amqp(
                    1_715_688_000_000_000,
                    49152,
                    Outcome::Succeeded,
                    (Some(1200), Some(5400)),
                ),
            ),
            (
                3,
                pan_amqp(
                    1_715_688_600_000_000,
                    49160,
                    Outcome::Succeeded,
                    (Some(300), Some(600)),
                ),
            ),
            (
                4,
                pan_amqp(
                    1_715_688_660_000_000,
                    49161,
                    Outcome::Failed,
                    (Some(74), Some(0)),
                ),
            ),
            (
                5,
                stream_stomp(1_715_689_200_123_000, 50500, (Some(800), Some(150))),
            ),
            (
                6,
                stream_stomp(1_715_689_500_456_000, 50510, (Some(900), Some(250))),
            ),
            (
                7,
                splunk(Spl {
                    fmt: "splunk-csv",
                    ts: 1_715_689_800_000_000,
                    host: Some("198.51.100.3"),
                    user: None,
                    src: ("198.51.100.3", 40001),
                    dst: ("10.30.2.2", 8883),
                    outcome: Outcome::Succeeded,
                    direction: Direction::Inbound,
                    app: Some("secure-mqtt"),
                    identified: vec![Protocol::Mqtt],
                    out_in: (Some(200), Some(100)),
                }),
            ),
            (8, lab(1_715_690_400_000_000, 40100, (Some(20), Some(10)))),
            (9, lab(1_715_690_700_000_000, 40101, (Some(40), Some(30)))),
        ],
    );
}

#[test]
fn splunk_json_export() {
    let xmpp = |ts, sport, out_in| {
        splunk(Spl {
            fmt: "splunk-json",
            ts,
            host: None,
            user: None,
            src: ("10.30.5.5", sport),
            dst: ("192.0.2.88", 5222),
            outcome: Outcome::Unknown,
            direction: Direction::Unknown,
            app: Some("xmpp"),
            identified: vec![Protocol::Xmpp],
            out_in,
        })
    };
    check(
        "splunk-json",
        "splunk-export.json",
        vec![
            (
                1,
                xmpp(1_715_691_600_000_000, 51000, (Some(700), Some(3100))),
            ),
            (
                2,
                xmpp(1_715_693_400_000_000, 51022, (Some(650), Some(2900))),
            ),
            (
                3,
                splunk(Spl {
                    fmt: "splunk-json",
                    ts: 1_715_693_460_000_000,
                    host: Some("10.30.5.6"),
                    user: Some(r"CORP\bob"),
                    src: ("10.30.5.6", 51030),
                    dst: ("2001:db8:5::22", 5222),
                    outcome: Outcome::Failed,
                    direction: Direction::Unknown,
                    app: None,
                    identified: vec![],
                    out_in: (None, None),
                }),
            ),
            (
                4,
                splunk(Spl {
                    fmt: "splunk-json",
                    ts: 1_715_693_520_000_000,
                    host: Some("ws-dev-8.corp.example.com"),
                    user: Some(r"CORP\carol"),
                    src: ("10.30.5.8", 51040),
                    dst: ("10.30.9.9", 61613),
                    outcome: Outcome::Succeeded,
                    direction: Direction::Outbound,
                    app: Some("stomp"),
                    identified: vec![Protocol::Stomp],
                    out_in: (Some(90), Some(40)),
                }),
            ),
            // A statistics row: not a connection.
            (5, Want::Other),
        ],
    );
}

#[test]
fn splunk_results_document() {
    let doc = br#"{"preview":false,"init_offset":0,"messages":[],"fields":[{"name":"_time"},{"name":"dest_ip"},{"name":"dest_port"}],"results":[{"_time":"1715691600","src_ip":"10.0.0.1","dest_ip":"192.0.2.1","dest_port":"1883","action":"allowed"},{"_time":"1715691601.5","dest":"192.0.2.2","dest_port":"8883","action":"teardown"}]}"#;
    let f = format("splunk-json");
    assert_eq!(f.sniff(doc), Some(LIKELY));
    let got = read_all(&*f, doc);
    let events: Vec<ConnEvent> = got
        .into_iter()
        .map(|(_, r)| match r {
            Ok(Record::Conn(e)) => *e,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].ts, Some(1_715_691_600_000_000));
    assert_eq!(events[0].outcome, Outcome::Succeeded);
    assert_eq!(events[0].src_ip, Some(ip("10.0.0.1")));
    assert_eq!(events[1].ts, Some(1_715_691_601_500_000));
    assert_eq!(events[1].dst_ip, ip("192.0.2.2"));
    // Only `allowed` is an established connection.
    assert_eq!(events[1].outcome, Outcome::Failed);
    // No byte columns: unknown, not zero.
    assert_eq!((events[1].bytes_out, events[1].bytes_in), (None, None));
}

#[test]
fn sniffers_pick_their_own_fixtures() {
    let reg = siem::formats();
    for (file, want, conf) in [
        ("defender-portal.csv", "defender-csv", CERTAIN),
        ("defender-sentinel.csv", "defender-csv", CERTAIN),
        ("defender-api.json", "defender-json", CERTAIN),
        ("defender-streaming.jsonl", "defender-json", CERTAIN),
        ("splunk-export.csv", "splunk-csv", LIKELY),
        ("splunk-export.json", "splunk-json", LIKELY),
    ] {
        let head = fixture(file);
        let picked = choose(&reg, None, &head).map(|f| f.name());
        assert_eq!(picked, Some(want), "{file}");
        assert_eq!(format(want).sniff(&head), Some(conf), "{file}");
    }
}

#[test]
fn sniffers_leave_other_formats_alone() {
    let others: [&[u8]; 8] = [
        // Zeek TSV and JSON.
        b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n",
        br#"{"ts":1461170596.65,"uid":"C","id.orig_h":"10.0.1.4","id.orig_p":49330,"id.resp_h":"198.41.30.241","id.resp_p":1883,"proto":"tcp"}"#,
        // Suricata EVE flow.
        br#"{"timestamp":"2023-09-18T06:13:21.216460+0000","flow_id":1,"event_type":"flow","src_ip":"10.0.0.1","src_port":5000,"dest_ip":"10.0.0.2","dest_port":1883,"proto":"TCP"}"#,
        // ECS.
        br#"{"@timestamp":"2019-03-18T16:57:48.07Z","source":{"ip":"10.0.0.1","port":5000},"destination":{"ip":"10.0.0.2","port":1883},"network":{"transport":"tcp"}}"#,
        // Azure VMConnection.
        br#"{"TimeGenerated":"2022-05-11T18:09:38.868Z","Computer":"UBUNTU5","Direction":"outbound","ProcessName":"java","SourceIp":"192.168.2.5","DestinationIp":"192.168.2.6","DestinationPort":1389,"Protocol":"tcp","RemoteIp":"192.168.2.6"}"#,
        // Sysmon flat JSON.
        br#"{"EventID":3,"Image":"C:\\x.exe","SourceIp":"10.0.0.1","DestinationIp":"10.0.0.2","DestinationPort":1883,"Initiated":"true"}"#,
        // PAN-OS syslog CSV.
        b"Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:07,192.168.15.207,175.16.199.1\n",
        // A CSV of something else.
        b"name,address,port\nbroker,10.0.0.1,1883\n",
    ];
    for head in others {
        for f in siem::formats() {
            assert_eq!(
                f.sniff(head),
                None,
                "{} on {:?}",
                f.name(),
                String::from_utf8_lossy(head)
            );
        }
    }
}

#[test]
fn forced_formats_refuse_what_they_cannot_read() {
    let err = |name: &str, head: &[u8]| match format(name).open(head) {
        Err(e) => e,
        Ok(_) => panic!("{name} opened {:?}", String::from_utf8_lossy(head)),
    };
    assert!(err("defender-csv", b"a,b,c\n1,2,3\n").contains("RemoteIP"));
    assert!(err("splunk-csv", b"").contains("empty"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn line_readers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..400)) {
        let heads: [&[u8]; 4] = [
            b"Timestamp,DeviceName,ActionType,RemoteIP,RemotePort,LocalIP,LocalPort,Protocol,InitiatingProcessFolderPath,InitiatingProcessFileName\n",
            b"_time,src_ip,dest_ip,dest_port,bytes_in,bytes_out,sourcetype,action,app\n",
            br#"{"properties":{"DeviceName":"a","ActionType":"ConnectionSuccess","RemoteIP":"1.2.3.4","RemotePort":1}}"#,
            br#"{"preview":false,"result":{"_time":"1","dest_ip":"1.2.3.4","dest_port":"1"}}"#,
        ];
        for f in siem::formats() {
            for head in heads {
                if let Ok(Reader::Lines(l)) = f.open(head) {
                    let _ = l.parse_line(&line);
                }
            }
        }
    }

    #[test]
    fn csv_rows_with_random_values_never_panic(
        fields in proptest::collection::vec("[ -~]{0,24}", 10),
    ) {
        let f = format("defender-csv");
        let head = b"Timestamp,DeviceName,ActionType,RemoteIP,RemotePort,LocalIP,LocalPort,Protocol,InitiatingProcessFolderPath,InitiatingProcessFileName\n";
        let Ok(Reader::Lines(l)) = f.open(head) else { panic!("open") };
        let mut fields = fields;
        fields[2] = "InboundConnectionAccepted".into();
        let line = fields.join(",");
        let _ = l.parse_line(line.as_bytes());
    }

    #[test]
    fn document_reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        for name in ["defender-json", "splunk-json"] {
            if let Ok(Reader::Stream(mut s)) = format(name).open(b"[") {
                let mut sink = Collect::default();
                let _ = s.read(&mut &data[..], &mut sink);
            }
        }
    }

    #[test]
    fn document_reader_never_panics_on_near_json(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("{".to_string()), Just("}".to_string()), Just("[".to_string()),
                Just("]".to_string()), Just(",".to_string()), Just(":".to_string()),
                Just("\"Results\"".to_string()), Just("\"RemoteIP\"".to_string()),
                Just("\"1.2.3.4\"".to_string()), Just("1883".to_string()), Just("null".to_string()),
                Just("\n".to_string()), "\"[a-z]{0,6}\"",
            ],
            0..60,
        ),
    ) {
        let data = parts.concat();
        if let Ok(Reader::Stream(mut s)) = format("defender-json").open(b"[") {
            let mut sink = Collect::default();
            let _ = s.read(&mut data.as_bytes(), &mut sink);
        }
    }
}
