//! Sysmon readers on real samples (EVTX-ATTACK-SAMPLES, OTRF Security-Datasets, read in place
//! from `../shared/corpus`), on the fixtures in `tests/fixtures/sysmon/`, on damaged EVTX files
//! built in memory, and end to end through the pipeline. Every value asserted was checked by
//! reading the sample.

use proptest::prelude::*;
use pubsub_hunt_core::{ConnEvent, Direction, Engine, HuntConfig, Protocol, Suspicion, Transport};
use pubsub_hunt_ingest::sysmon::evtx::{CHUNK_BYTES, EvtxStream, FILE_HEADER_BYTES};
use pubsub_hunt_ingest::sysmon::xml::XmlStream;
use pubsub_hunt_ingest::sysmon::{self, json, linux};
use pubsub_hunt_ingest::{CollectProblems, ProblemKind};
use pubsub_hunt_ingest::{IngestOptions, InputPath};
use pubsub_hunt_reader::{Record, RecordSink, StreamFormat, choose};
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;

/// Collects what a stream reader hands out.
#[derive(Default)]
struct Collect {
    conns: Vec<(u64, ConnEvent)>,
    other: usize,
    errors: Vec<(u64, String)>,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
    bytes: u64,
}

impl RecordSink for Collect {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        match record {
            Ok(Record::Conn(e)) => self.conns.push((pos, *e)),
            Ok(
                Record::Other
                | Record::DestName { .. }
                | Record::AddrNames { .. }
                | Record::SessionFacts { .. },
            ) => self.other += 1,
            Ok(Record::Skip) => {}
            Err(e) => self.errors.push((pos, e)),
        }
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push((pos, kind, detail));
    }
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, n: u64) {
        self.bytes += n;
    }
}

fn corpus(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/logs/"
    ))
    .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("PUBSUB_HUNT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!("corpus file missing: {}", p.display());
    }
    eprintln!("note: corpus file {} missing; test skipped", p.display());
    None
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sysmon/"
    ))
    .join(name)
}

const TUNNA: &str =
    "evtx-attack-samples/Command and Control/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx";
const DE_RDP: &str = "evtx-attack-samples/Command and Control/DE_sysmon-3-rdp-tun.evtx";
const BITSADMIN: &str = "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/cmd_bitsadmin_download_psh_script.zip";
const COVENANT: &str = "otrf-security-datasets/datasets/atomic/windows/lateral_movement/host/covenant_copy_smb_CreateRequest.zip";
const LOG4SHELL: &str = "otrf-security-datasets/datasets/compound/Log4Shell/syslog_sysmon_log4shell_cve2021_44228_jndi_reference.zip";

fn read_evtx(data: &[u8]) -> Collect {
    let mut c = Collect::default();
    EvtxStream.read(&mut &data[..], &mut c).unwrap();
    c
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn evtx_tunna_golden() {
    let Some(p) = corpus(TUNNA) else { return };
    let data = std::fs::read(p).unwrap();
    let c = read_evtx(&data);
    assert!(
        c.errors.is_empty() && c.problems.is_empty(),
        "{:?} {:?}",
        c.errors,
        c.problems
    );
    assert_eq!(c.conns.len(), 12);
    assert_eq!(c.other, 0);
    assert_eq!(c.bytes, data.len() as u64);
    // Record 1: the file's first event 3, w3wp.exe to local RDP (docs/inputs.md, Sysmon).
    let (pos, e) = &c.conns[0];
    assert_eq!(*pos, 1);
    assert_eq!(e.ts, Some(1_567_508_645_797_000)); // 2019-09-03 11:04:05.797 UTC
    assert_eq!(e.host.as_deref(), Some("MSEDGEWIN10"));
    assert_eq!(
        e.process.as_deref(),
        Some(r"C:\Windows\System32\inetsrv\w3wp.exe")
    );
    assert_eq!(e.user.as_deref(), Some(r"IIS APPPOOL\DefaultAppPool"));
    assert_eq!((e.src_ip, e.src_port), (Some(ip("127.0.0.1")), Some(49947)));
    assert_eq!((e.dst_ip, e.dst_port), (ip("127.0.0.1"), 3389));
    assert_eq!(e.transport, Transport::Tcp);
    assert_eq!(e.direction, Direction::Outbound);
    assert_eq!((e.bytes_out, e.bytes_in), (None, None));
    // Record 2: the accepting svchost.exe (Initiated False, SourcePort 3389, DestinationPort
    // 49947), turned so that the initiator comes first.
    let (pos, e) = &c.conns[1];
    assert_eq!(*pos, 2);
    assert_eq!(
        e.process.as_deref(),
        Some(r"C:\Windows\System32\svchost.exe")
    );
    assert_eq!(e.direction, Direction::Inbound);
    assert_eq!((e.src_port, e.dst_port), (Some(49947), 3389));
    // Record 5: NetBIOS broadcast over UDP.
    let (_, e) = &c.conns[4];
    assert_eq!(e.transport, Transport::Udp);
    assert_eq!((e.dst_ip, e.dst_port), (ip("10.255.255.255"), 137));
    let outbound = c
        .conns
        .iter()
        .filter(|(_, e)| e.direction == Direction::Outbound)
        .count();
    assert_eq!(outbound, 6);
}

#[test]
fn evtx_de_rdp_golden() {
    let Some(p) = corpus(DE_RDP) else { return };
    let data = std::fs::read(p).unwrap();
    let c = read_evtx(&data);
    assert!(
        c.errors.is_empty() && c.problems.is_empty(),
        "{:?} {:?}",
        c.errors,
        c.problems
    );
    assert_eq!(c.conns.len(), 42);
    let plink = c
        .conns
        .iter()
        .find(|(pos, _)| *pos == 4)
        .map(|(_, e)| e)
        .unwrap();
    assert_eq!(
        plink.process.as_deref(),
        Some(r"C:\Users\IEUser\Desktop\plink.exe")
    );
    assert_eq!(plink.host.as_deref(), Some("PC01.example.corp"));
    assert_eq!(plink.user.as_deref(), Some(r"PC01\IEUser"));
    assert_eq!(
        (plink.src_ip, plink.src_port),
        (Some(ip("10.0.2.17")), Some(49185))
    );
    assert_eq!((plink.dst_ip, plink.dst_port), (ip("10.0.2.18"), 80));
    assert_eq!(plink.ts, Some(1_550_311_341_995_000));
    // Record 7: LLMNR over IPv6 link-local to a multicast group.
    let v6 = c
        .conns
        .iter()
        .find(|(pos, _)| *pos == 7)
        .map(|(_, e)| e)
        .unwrap();
    assert_eq!(v6.src_ip, Some(ip("fe80::80ac:4126:fa58:1b81")));
    assert_eq!((v6.dst_ip, v6.dst_port), (ip("ff02::1:3"), 5355));
    assert_eq!(v6.transport, Transport::Udp);
    let ipv6 = c.conns.iter().filter(|(_, e)| e.dst_ip.is_ipv6()).count();
    assert_eq!(ipv6, 12);
}

/// Flips bytes in the record area of chunk `n` of an EVTX image.
fn damage_chunk(data: &mut [u8], n: usize, at: usize, len: usize) {
    let start = FILE_HEADER_BYTES + n * CHUNK_BYTES + at;
    for b in &mut data[start..start + len] {
        *b ^= 0xA5;
    }
}

#[test]
fn evtx_corrupt_chunk_is_reported_and_the_others_are_read() {
    let (Some(a), Some(b)) = (corpus(TUNNA), corpus(DE_RDP)) else {
        return;
    };
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    // Both samples are one chunk each; chunks are self-contained, so a three-chunk log is the
    // tunna header and chunk, the DE chunk, and the tunna chunk again.
    let chunk = |f: &[u8]| f[FILE_HEADER_BYTES..FILE_HEADER_BYTES + CHUNK_BYTES].to_vec();
    let mut log = a[..FILE_HEADER_BYTES].to_vec();
    log.extend(chunk(&a));
    log.extend(chunk(&b));
    log.extend(chunk(&a));
    assert_eq!(read_evtx(&log).conns.len(), 12 + 42 + 12);

    // Damage the records of the middle chunk: its checksum no longer matches.
    let mut damaged = log.clone();
    damage_chunk(&mut damaged, 1, 0x400, 256);
    let c = read_evtx(&damaged);
    let corrupt: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.1 == ProblemKind::CorruptData)
        .collect();
    assert_eq!(corrupt.len(), 1, "{:?}", c.problems);
    assert!(corrupt[0].2.contains("chunk 1"), "{}", corrupt[0].2);
    let tunna: Vec<_> = c
        .conns
        .iter()
        .filter(|(_, e)| e.host.as_deref() == Some("MSEDGEWIN10"))
        .collect();
    assert_eq!(tunna.len(), 24);

    // Destroy the middle chunk's header magic: the chunk is skipped whole.
    let mut destroyed = log.clone();
    damage_chunk(&mut destroyed, 1, 0, 8);
    let c = read_evtx(&destroyed);
    assert_eq!(c.conns.len(), 24);
    assert!(c.errors.is_empty());
    assert_eq!(c.problems.len(), 1);
    assert_eq!(c.problems[0].1, ProblemKind::CorruptData);

    // A file cut inside its last chunk: the complete chunks are read, the cut is reported.
    let c = read_evtx(&log[..log.len() - 1000]);
    assert_eq!(c.conns.len(), 54);
    assert_eq!(c.problems.len(), 1);
    assert!(c.problems[0].2.contains("cut short"));
}

/// Renders an EVTX file's records as Windows XML with the evtx crate.
fn rendered_xml(data: &[u8]) -> Vec<String> {
    let mut parser = evtx::EvtxParser::from_buffer(data.to_vec()).unwrap();
    parser.records().map(|r| r.unwrap().data).collect()
}

#[test]
fn xml_exports_of_real_events_match_evtx() {
    let Some(p) = corpus(DE_RDP) else { return };
    let data = std::fs::read(p).unwrap();
    let from_evtx: Vec<ConnEvent> = read_evtx(&data).conns.into_iter().map(|(_, e)| e).collect();
    let events = rendered_xml(&data);
    let flat: Vec<String> = events.iter().map(|e| e.replace(['\n', '\r'], "")).collect();
    let shapes = [
        // wevtutil qe /f:xml: events back to back on one line.
        flat.concat(),
        // One event per line.
        flat.join("\n"),
        // Pretty-printed, wrapped in <Events>, CRLF line ends, with a declaration.
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Events>\r\n{}\r\n</Events>\r\n",
            events.join("\r\n")
        ),
    ];
    for shape in shapes {
        assert_eq!(
            choose(&sysmon::formats(), None, shape.as_bytes()).map(|f| f.name()),
            Some("sysmon-xml")
        );
        let mut c = Collect::default();
        XmlStream.read(&mut shape.as_bytes(), &mut c).unwrap();
        assert!(
            c.errors.is_empty() && c.problems.is_empty(),
            "{:?}",
            c.errors
        );
        let got: Vec<ConnEvent> = c.conns.into_iter().map(|(_, e)| e).collect();
        assert_eq!(got, from_evtx);
        assert_eq!(c.bytes, shape.len() as u64);
    }
}

#[test]
fn xml_fixture_positions_and_values() {
    let data = std::fs::read(fixture("mqtt_c2_export.xml")).unwrap();
    let mut c = Collect::default();
    XmlStream.read(&mut &data[..], &mut c).unwrap();
    assert!(c.errors.is_empty() && c.problems.is_empty());
    // Positions are the lines on which each <Event starts.
    let lines: Vec<u64> = c.conns.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 35, 67, 99]);
    assert_eq!(c.other, 1);
    let (_, e) = &c.conns[0];
    assert_eq!(e.host.as_deref(), Some("FIN-WS07.corp.example"));
    assert_eq!(e.user.as_deref(), Some(r"CORP\j.doe"));
    assert_eq!((e.dst_ip, e.dst_port), (ip("198.51.100.23"), 1883));
    let (_, rdp) = &c.conns[2];
    assert_eq!(rdp.direction, Direction::Inbound);
    assert_eq!(
        (rdp.src_ip, rdp.src_port),
        (Some(ip("192.0.2.10")), Some(61001))
    );
    assert_eq!((rdp.dst_ip, rdp.dst_port), (ip("10.20.30.40"), 3389));
}

#[test]
fn xml_stream_damage() {
    let good = r#"<Event><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID></System><EventData><Data Name="DestinationIp">192.0.2.1</Data><Data Name="DestinationPort">5672</Data></EventData></Event>"#;
    // An event that lost its end tag, a malformed one, then a good one; and an unclosed tail.
    let text = format!(
        "{good}\n<Event><System>\n{good}\n<Event><EventID>3</EventID></Evnt></Event>\n{good}\n<Event><System>"
    );
    let mut c = Collect::default();
    XmlStream.read(&mut text.as_bytes(), &mut c).unwrap();
    assert_eq!(
        c.conns.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [1, 3, 5]
    );
    assert_eq!(
        c.errors.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [2, 4, 6]
    );
    assert!(c.errors[2].1.contains("not closed"));
    // An <Event> that never closes within the bound is skipped as corrupt data.
    let padding = " ".repeat(sysmon::xml::MAX_EVENT_BYTES + 10);
    for huge in [
        format!("<Event>{padding}</Event>\n{good}"),
        format!("<Event>{padding}"),
    ] {
        let mut c = Collect::default();
        XmlStream.read(&mut huge.as_bytes(), &mut c).unwrap();
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].1, ProblemKind::CorruptData);
        assert_eq!(c.conns.len(), usize::from(huge.ends_with("</Event>")));
        assert!(c.errors.is_empty());
    }
}

/// The JSON lines of the only member of an OTRF zip.
fn zip_lines(path: &PathBuf) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    z.by_index(0).unwrap().read_to_string(&mut text).unwrap();
    text.lines().map(str::to_string).collect()
}

fn parse_all(lines: &[String], f: fn(&[u8]) -> Result<Record, String>) -> Collect {
    let mut c = Collect::default();
    for (i, l) in lines.iter().enumerate() {
        c.record(i as u64 + 1, f(l.as_bytes()));
    }
    c
}

#[test]
fn json_otrf_flat_golden() {
    let Some(p) = corpus(BITSADMIN) else { return };
    let lines = zip_lines(&p);
    assert_eq!(lines.len(), 424);
    let head = lines[..20].join("\n");
    assert_eq!(
        choose(&sysmon::formats(), None, head.as_bytes()).map(|f| f.name()),
        Some("sysmon-json")
    );
    let c = parse_all(&lines, json::parse_line);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.conns.len(), 8);
    assert_eq!(c.other, 416);
    let e = c
        .conns
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.src_port == Some(61091))
        .unwrap();
    assert_eq!(e.host.as_deref(), Some("WORKSTATION5"));
    assert_eq!(
        e.process.as_deref(),
        Some(r"C:\windows\System32\svchost.exe")
    );
    assert_eq!(e.user.as_deref(), Some(r"NT AUTHORITY\SYSTEM"));
    assert_eq!(e.src_ip, Some(ip("192.168.2.5")));
    assert_eq!((e.dst_ip, e.dst_port), (ip("151.101.208.133"), 443));
    assert_eq!(e.ts, Some(1_603_435_002_882_000)); // 2020-10-23 06:36:42.882 UTC
    assert_eq!(e.direction, Direction::Outbound);
}

#[test]
fn json_nxlog_golden() {
    let Some(p) = corpus(COVENANT) else { return };
    let lines = zip_lines(&p);
    assert_eq!(lines.len(), 506);
    let c = parse_all(&lines, json::parse_line);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.conns.len(), 3);
    assert_eq!(c.other, 503);
    let e = c
        .conns
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.src_port == Some(62782))
        .unwrap();
    assert_eq!(e.host.as_deref(), Some("WORKSTATION5.theshire.local"));
    assert_eq!(e.process.as_deref(), Some("System"));
    assert_eq!(
        (e.src_ip, e.dst_ip, e.dst_port),
        (Some(ip("172.18.39.5")), ip("172.18.39.6"), 445)
    );
    // UtcTime 2020-09-22 18:53:31.668, not the collector's local EventTime.
    assert_eq!(e.ts, Some(1_600_800_811_668_000));
}

#[test]
fn json_azure_syslog_linux_golden() {
    let Some(p) = corpus(LOG4SHELL) else { return };
    let lines = zip_lines(&p);
    assert_eq!(lines.len(), 93);
    let head = lines[..10].join("\n");
    assert_eq!(
        choose(&sysmon::formats(), None, head.as_bytes()).map(|f| f.name()),
        Some("sysmon-json")
    );
    let c = parse_all(&lines, json::parse_line);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.conns.len(), 6);
    // Line 8 is an event 1 cut by the Syslog size limit: counted as another event, not lost.
    assert_eq!(c.other, 87);
    let e = c
        .conns
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.src_port == Some(41696))
        .unwrap();
    assert_eq!(e.host.as_deref(), Some("UBUNTU5"));
    assert_eq!(
        e.process.as_deref(),
        Some("/usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java")
    );
    assert_eq!(e.user.as_deref(), Some("tomcat"));
    assert_eq!(
        (e.src_ip, e.dst_ip, e.dst_port),
        (Some(ip("192.168.2.5")), ip("192.168.2.6"), 1389)
    );
    assert_eq!(e.ts, Some(1_652_292_621_790_000)); // 2022-05-11 18:10:21.790 UTC
}

#[test]
fn linux_syslog_fixture() {
    let text = std::fs::read_to_string(fixture("linux_syslog.log")).unwrap();
    assert_eq!(
        choose(&sysmon::formats(), None, text.as_bytes()).map(|f| f.name()),
        Some("sysmon-linux")
    );
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let c = parse_all(&lines, linux::parse_line);
    assert_eq!(
        c.conns.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [2, 3, 5]
    );
    assert_eq!(c.other, 2);
    assert_eq!(c.errors.len(), 1);
    assert_eq!(c.errors[0].0, 6);
    let (_, mqtt) = &c.conns[2];
    // ::ffff:203.0.113.77 is kept as the IPv4 address.
    assert_eq!((mqtt.dst_ip, mqtt.dst_port), (ip("203.0.113.77"), 1883));
    assert_eq!(mqtt.process.as_deref(), Some("/tmp/.x/agent"));
}

#[test]
fn end_to_end_evtx_through_the_pipeline() {
    let Some(p) = corpus(TUNNA) else { return };
    let engine = Engine::new(HuntConfig::default());
    let problems = CollectProblems::default();
    let opts = IngestOptions {
        threads: 2,
        ..IngestOptions::default()
    };
    let (_, report) =
        pubsub_hunt_ingest::run(&[InputPath::Path(p)], &engine, &opts, &problems).unwrap();
    assert_eq!(report.streams_by_format.get("sysmon-evtx"), Some(&1));
    assert_eq!(report.records, 12);
    assert_eq!(report.events, 12);
    assert_eq!(report.problem_count(), 0);
}

#[test]
fn end_to_end_xml_export_raises_an_mqtt_alert() {
    let engine = Engine::new(HuntConfig::default());
    let problems = CollectProblems::default();
    let opts = IngestOptions {
        threads: 2,
        ..IngestOptions::default()
    };
    let input = InputPath::Path(fixture("mqtt_c2_export.xml"));
    let (acc, report) = pubsub_hunt_ingest::run(&[input], &engine, &opts, &problems).unwrap();
    assert_eq!(report.streams_by_format.get("sysmon-xml"), Some(&1));
    assert_eq!(
        (report.records, report.events, report.other_log_records),
        (5, 4, 1)
    );
    let (alerts, _) = engine.finish(acc);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.protocol, Protocol::Mqtt);
    assert_eq!(a.suspicion, Suspicion::High);
    assert_eq!(a.connections, 3);
    assert_eq!(a.host, "FIN-WS07.corp.example");
    assert_eq!(
        a.process.as_deref(),
        Some(r"C:\Users\Public\Libraries\svchost.exe")
    );
    assert_eq!(a.users, [r"CORP\j.doe"]);
    assert_eq!((a.dst_ip, a.dst_port), (ip("198.51.100.23"), 1883));
}

proptest! {
    #[test]
    fn json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::parse_line(&bytes);
    }

    #[test]
    fn json_never_panics_on_near_records(s in r#"\{"(EventID|winlog|SyslogMessage|DestinationIp|DestinationPort|Channel|UtcTime)":("3"|3|"<Event>x"|\{\}|\[\]|null|"-"|"::ffff:1.2.3.4"),"Channel":"Microsoft-Windows-Sysmon/Operational"\}"#) {
        let _ = json::parse_line(s.as_bytes());
    }

    #[test]
    fn linux_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut line = b"Nov 24 09:59:47 h sysmon: <Event>".to_vec();
        line.extend(&bytes);
        let _ = linux::parse_line(&line);
        let _ = linux::parse_line(&bytes);
    }

    #[test]
    fn xml_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = sysmon::xml::parse_event_record(&bytes);
        let mut c = Collect::default();
        let _ = XmlStream.read(&mut &bytes[..], &mut c);
        let mut framed = b"<Event>".to_vec();
        framed.extend(&bytes);
        framed.extend(b"</Event>");
        let _ = XmlStream.read(&mut &framed[..], &mut c);
    }

    #[test]
    fn evtx_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut c = Collect::default();
        let _ = EvtxStream.read(&mut &bytes[..], &mut c);
        let mut file = b"ElfFile\0".to_vec();
        file.resize(FILE_HEADER_BYTES, 0);
        file.extend(b"ElfChnk\0");
        file.extend(&bytes);
        file.resize(FILE_HEADER_BYTES + CHUNK_BYTES, 0x41);
        let _ = EvtxStream.read(&mut &file[..], &mut c);
    }
}

/// Random damage to a real chunk: never a panic, and every problem is reported as one.
#[test]
fn evtx_random_damage_never_panics() {
    let Some(p) = corpus(TUNNA) else { return };
    let data = std::fs::read(p).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    runner
        .run(
            &(0..CHUNK_BYTES, 1..64usize, any::<u8>()),
            |(at, len, x)| {
                let mut d = data.clone();
                let start = FILE_HEADER_BYTES + at;
                let end = (start + len).min(d.len());
                for b in &mut d[start..end] {
                    *b ^= x | 1;
                }
                let mut c = Collect::default();
                let _ = EvtxStream.read(&mut &d[..], &mut c);
                Ok(())
            },
        )
        .unwrap();
}

/// Throughput of the JSON line parser on the OTRF sample (run with
/// `cargo test --release -p pubsub-hunt-ingest --test sysmon -- --ignored --nocapture`).
#[test]
#[ignore]
fn json_parse_throughput() {
    let Some(p) = corpus(BITSADMIN) else { return };
    let lines = zip_lines(&p);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let rounds = 200;
    let started = std::time::Instant::now();
    let mut conns = 0;
    for _ in 0..rounds {
        for l in &lines {
            if let Ok(Record::Conn(_)) = json::parse_line(l.as_bytes()) {
                conns += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(conns, 8 * rounds);
    eprintln!(
        "sysmon-json: {:.0} MB/s, {:.0} lines/s",
        (bytes * rounds) as f64 / secs / 1e6,
        (lines.len() * rounds) as f64 / secs
    );
}
