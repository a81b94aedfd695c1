use super::*;
use pubsub_hunt_core::{AnalyticId, Protocol, SignalId, TECHNIQUE};

fn alert(i: u8) -> Alert {
    Alert {
        kind: "alert",
        id: format!("{i:02x}23456789abcdef"),
        analytic: AnalyticId::PubsubPort,
        analytics: vec![AnalyticId::PubsubPort],
        technique: TECHNIQUE,
        suspicion: if i.is_multiple_of(2) {
            Suspicion::High
        } else {
            Suspicion::Medium
        },
        seed_suspicion: Suspicion::High,
        score: 80 - i,
        signals: [
            (SignalId::Beacon, 15.0),
            (SignalId::ProcessShell, 10.0),
            (SignalId::C2Vocabulary, 8.0),
            (SignalId::GuidToken, -3.0),
        ]
        .into_iter()
        .collect(),
        first_seen: Some(1_793_606_400_000_000),
        last_seen: Some(1_793_692_800_000_000),
        host: "desktop-7h3k.corp.example.com".into(),
        users: vec![],
        process: Some(r"C:\Users\bob\AppData\Local\Temp\updater-service.exe".into()),
        src_ip: Some("10.0.0.1".parse().unwrap()),
        dst_ip: "2001:db8:1234:5678:9abc:def0:1234:5678".parse().unwrap(),
        dst_port: 8883,
        destination_names: if i == 1 {
            vec!["broker.c2.badness.example.net".into()]
        } else {
            vec![]
        },
        protocol: Protocol::Mqtt,
        external: true,
        connections: 1234,
        bytes_sent: None,
        bytes_received: None,
        packets_sent: None,
        packets_received: None,
        reasons: vec![
            "seed analytic: repeated connections to a pub/sub port".into(),
            "regular timing: a long sentence that needs wrapping when the terminal is narrow \
             enough to force it"
                .into(),
        ],
        source_format: "zeek-tsv".into(),
        samples: vec![pubsub_hunt_core::RecordRef {
            file: "conn.log".into(),
            line: 9,
        }],
        flows: vec![],
        suppressed_by: (i == 2).then(|| "internal broker".to_string()),
        app: None,
        windows: None,
        sources: Vec::new(),
        timeline: Vec::new(),
        message_timeline: Vec::new(),
    }
}

fn render(opts: TableOptions, n: u8) -> String {
    let mut buf = Vec::new();
    {
        let mut w = TableWriter::with_options(Box::new(&mut buf), opts);
        for i in 0..n {
            w.write_alert(&alert(i)).unwrap();
        }
        w.finish().unwrap();
    }
    String::from_utf8(buf).unwrap()
}

fn opts(width: u16) -> TableOptions {
    TableOptions {
        width: Some(width),
        ..TableOptions::default()
    }
}

#[test]
fn one_line_per_alert_within_the_width_at_every_size() {
    for w in [80u16, 100, 120, 160, 200, 300] {
        let s = render(opts(w), 3);
        let lines: Vec<&str> = s.lines().collect();
        // Header, three alerts, footer.
        assert_eq!(lines.len(), 5, "width {w}:\n{s}");
        for l in &lines[..4] {
            assert!(
                width(l) <= usize::from(w),
                "width {w}: {l:?} is {}",
                width(l)
            );
        }
        // The address and port are never cut.
        assert!(
            s.contains("[2001:db8:1234:5678:9abc:def0:1234:5678]:8883"),
            "width {w}:\n{s}"
        );
        // Every row starts with its short id.
        for i in 0..3u8 {
            assert!(lines[1 + usize::from(i)].starts_with(&format!("{i:02x}234567")));
        }
    }
}

#[test]
fn wide_terminals_get_every_column_narrow_ones_lose_them_in_order() {
    let wide = render(opts(300), 3);
    let header = wide.lines().next().unwrap();
    for h in [
        "process",
        "top signals",
        "first→last",
        "score",
        "conns",
        "proto",
    ] {
        assert!(header.contains(h), "{header}");
    }
    assert!(wide.contains(r"C:\Users\bob\AppData\Local\Temp\updater-service.exe"));
    assert!(wide.contains("beacon+15 proc-shell+10 c2-vocab+8 …"));
    let narrow = render(opts(80), 3);
    let header = narrow.lines().next().unwrap();
    assert!(!header.contains("top signals"), "{narrow}");
    assert!(header.contains("suspicion") && header.contains("destination"));
}

#[test]
fn names_and_paths_are_shortened_at_token_boundaries() {
    let s = render(opts(150), 3);
    // The process keeps its file name whole behind an ellipsis, or, narrower, its first token.
    assert!(
        s.contains("…\\updater-service.exe") || s.contains("  updater…  "),
        "{s}"
    );
    let s = render(opts(175), 3);
    assert!(s.contains("…\\updater-service.exe"), "{s}");
    // The destination name keeps its last labels and its port.
    assert!(s.contains("broker.c2.badness.example.net:8883") || s.contains(".example.net:8883"));
    assert!(!s.contains("badness.exam…"), "{s}");
}

#[test]
fn suppressed_rows_are_marked_and_counted_apart() {
    let s = render(opts(200), 3);
    let row = s.lines().find(|l| l.starts_with("02")).unwrap();
    assert!(row.contains("suppressed"), "{row}");
    let footer = s.lines().last().unwrap();
    assert!(
        footer.starts_with("2 alerts (high 1, medium 1)"),
        "{footer}"
    );
    assert!(
        footer.contains("1 alert suppressed by the allowlist"),
        "{footer}"
    );
}

#[test]
fn suppressed_rows_stay_marked_when_the_allowlist_column_gives_way() {
    let s = render(opts(80), 3);
    let row = s.lines().find(|l| l.starts_with("02")).unwrap();
    assert!(row.contains("~high"), "{s}");
    assert!(!s.lines().next().unwrap().contains("allowlist"), "{s}");
}

#[test]
fn colour_only_when_asked() {
    let plain = render(opts(200), 2);
    assert!(!plain.contains('\x1b'));
    let coloured = render(
        TableOptions {
            color: true,
            ..opts(200)
        },
        2,
    );
    assert!(coloured.contains("\x1b["), "{coloured}");
    // Colour does not count towards the width.
    let strip = |s: &str| {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (_, '\x1b') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    };
    assert_eq!(strip(&coloured), plain);
}

#[test]
fn details_put_the_reasons_under_each_row_wrapped() {
    let s = render(
        TableOptions {
            details: true,
            ..opts(80)
        },
        1,
    );
    assert!(s.contains("    • seed analytic"), "{s}");
    assert!(s.contains("id 0023456789abcdef"), "{s}");
    for l in s.lines().filter(|l| l.starts_with("    ")) {
        // Only a single unbreakable word may pass the width.
        assert!(width(l) <= 80 || !l.trim().contains(' '), "{l:?}");
    }
}

#[test]
fn top_is_said_in_the_footer() {
    let s = render(
        TableOptions {
            omitted: 5,
            ..opts(200)
        },
        2,
    );
    let footer = s.lines().last().unwrap();
    assert!(
        footer.starts_with("7 alerts; 2 shown, 5 left out"),
        "{footer}"
    );
}
