//! A public broker's name on a port of its own: a script beaconing over MQTT-over-WebSocket
//! (TLS, port 8884) to `broker.hivemq.com` every 15 minutes, and a person's dashboard in a
//! browser reaching the same broker a few times in a working day. conn.log alone does not say
//! what either is (no pub/sub port, no service label); the ssl.log of the same connections names
//! the broker, and then the beacon is hunted and the dashboard is not reported. A connection on
//! a standard port that ssl.log also names is counted once; Sysmon's resolved destination name
//! and Suricata's `tls` events do the same as ssl.log.

mod common;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const BROKER_IP: &str = "52.124.71.51";
const BROKER: &str = "broker.hivemq.com";
const SCRIPT_HOST: &str = "10.1.0.7";
const DASHBOARD_HOST: &str = "10.1.0.9";
const SSL_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\tnext_protocol\testablished\n";

/// One connection to the broker: its conn.log row and its ssl.log row (same uid, port, time).
struct Named {
    conn: Vec<(i64, String)>,
    ssl: Vec<String>,
}

impl Named {
    fn push(&mut self, ts: i64, host: &str, port: u16, secs: f64, bytes: (u64, u64)) {
        let n = self.conn.len();
        let (uid, sport) = (format!("CW{n}"), 30000 + n);
        self.conn.push((
            ts,
            format!(
                "{ts}.0\t{uid}\t{host}\t{sport}\t{BROKER_IP}\t{port}\ttcp\tssl\t{secs:.2}\t{}\t{}\tSF\tT\n",
                bytes.0, bytes.1
            ),
        ));
        self.ssl.push(format!(
            "{ts}.1\t{uid}\t{host}\t{sport}\t{BROKER_IP}\t{port}\tTLSv13\t{BROKER}\thttp/1.1\tT\n"
        ));
    }
}

/// The day's data: conn.log (the broker's connections among hourly lookups and other hosts'
/// browsing and MQTT), and ssl.log naming the broker's connections.
fn data(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut named = Named {
        conn: Vec::new(),
        ssl: Vec::new(),
    };
    // The script: every 15 minutes, up to 6 minutes late, a few seconds each.
    for k in 0..96 {
        let ts = T0 + k * 900 + (k * 131) % 360;
        named.push(ts, SCRIPT_HOST, 8884, 2.5, (900, 400));
    }
    // The dashboard: three sessions of an hour or so, opened at work.
    for (at, secs) in [
        (9 * HOUR + 300, 3500.0),
        (11 * HOUR, 4100.0),
        (14 * HOUR + 1234, 2900.0),
    ] {
        named.push(T0 + at, DASHBOARD_HOST, 8084, secs, (40_000, 900_000));
    }
    // A device on the broker's standard TLS port, which conn.log alone already hunts.
    for k in 0..24 {
        named.push(T0 + k * HOUR + 600, "10.1.0.30", 8883, 5.0, (700, 300));
    }
    let mut others = common::ConnLog::default();
    for i in 1..=12 {
        let host = format!("10.1.0.{}", 100 + i);
        others.lookups(T0, &host, 24);
        for k in 0..6 {
            others.conn(
                T0 + 8 * HOUR + k * 2400 + i * 61,
                &host,
                "198.51.100.5",
                443,
                30.0,
            );
            others.conn(
                T0 + 9 * HOUR + k * 3000 + i * 53,
                &host,
                "10.1.0.2",
                1883,
                600.0,
            );
        }
    }
    let others = others.text();
    let mut conn = others;
    let mut rows = named.conn;
    rows.sort();
    conn.extend(rows.into_iter().map(|(_, r)| r));
    let conn_path = dir.join("conn.log");
    std::fs::write(&conn_path, conn).unwrap();
    let ssl_path = dir.join("ssl.log");
    std::fs::write(&ssl_path, format!("{SSL_HEADER}{}", named.ssl.concat())).unwrap();
    (conn_path, ssl_path)
}

fn on_port(alerts: &[serde_json::Value], port: u16) -> Vec<&serde_json::Value> {
    alerts
        .iter()
        .filter(|a| a["kind"] == "alert" && a["dst_port"] == port)
        .collect()
}

#[test]
fn a_beacon_to_a_public_brokers_name_is_hunted_on_its_own_port_once_ssl_log_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, ssl) = data(dir.path());

    let alone = common::hunt_jsonl([&conn]);
    assert!(on_port(&alone, 8884).is_empty(), "{alone:#?}");
    let standard_alone = on_port(&alone, 8883);
    assert_eq!(standard_alone.len(), 1, "{alone:#?}");

    let named = common::hunt_jsonl([&conn, &ssl]);
    let beacon = on_port(&named, 8884);
    assert_eq!(beacon.len(), 1, "{named:#?}");
    let a = beacon[0];
    assert_eq!(a["src_ip"], SCRIPT_HOST);
    assert_eq!(a["protocol"], "MQTT");
    assert_eq!(a["analytic"], "pubsub-destination");
    assert_eq!(a["seed_suspicion"], "low");
    assert!(
        a["suspicion"] == "medium" || a["suspicion"] == "high",
        "{a:#}"
    );
    assert_eq!(a["connections"], 96);
    assert!(a["signals"]["public_broker"].as_f64() > Some(0.0), "{a:#}");
    assert!(a["signals"]["beacon"].as_f64() > Some(0.0), "{a:#}");
    assert_eq!(a["destination_names"][0], BROKER, "{a:#}");
    assert!(
        common::has_reason(a, "named as a public MQTT broker"),
        "{a:#}"
    );
    // The dashboard is not reported.
    assert!(on_port(&named, 8084).is_empty(), "{named:#?}");
    // The standard port's channel is the same channel, counted once.
    let standard = on_port(&named, 8883);
    assert_eq!(standard.len(), 1, "{named:#?}");
    assert_eq!(standard[0]["connections"], standard_alone[0]["connections"]);
    assert_eq!(standard[0]["connections"], 24);

    // Whichever log is read first.
    let reversed = common::hunt_jsonl([&ssl, &conn]);
    assert_eq!(reversed, named);
    // With the seed's rule only, the name changes nothing.
    let seed = common::hunt_jsonl([
        conn.as_os_str(),
        ssl.as_os_str(),
        "--analytic".as_ref(),
        "pubsub-port".as_ref(),
    ]);
    assert!(on_port(&seed, 8884).is_empty(), "{seed:#?}");
}

#[test]
fn sysmon_resolved_names_make_the_same_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for k in 0..96i64 {
        let at = k * 900 + (k * 131) % 360;
        let line = common::SysmonConnection {
            n: k as u64,
            host: "WKS-7",
            image: r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            src: SCRIPT_HOST,
            dst: BROKER_IP,
            port: 8884,
            utc: format!(
                "2026-03-02 {:02}:{:02}:{:02}.000",
                at / 3600,
                at % 3600 / 60,
                at % 60
            ),
        }
        .line();
        let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["DestinationHostname"] = BROKER.into();
        lines.push_str(&format!("{v}\n"));
    }
    let path = dir.path().join("sysmon.json");
    std::fs::write(&path, &lines).unwrap();
    let alerts = common::hunt_jsonl([&path]);
    let found = on_port(&alerts, 8884);
    assert_eq!(found.len(), 1, "{alerts:#?}");
    assert_eq!(found[0]["analytic"], "pubsub-destination");
    assert_eq!(found[0]["connections"], 96);
    // Without the name, a PowerShell connection on a web port is not hunted.
    let unnamed = lines.replace(&format!("\"{BROKER}\""), "\"-\"");
    std::fs::write(&path, unnamed).unwrap();
    assert!(on_port(&common::hunt_jsonl([&path]), 8884).is_empty());
}

#[test]
fn suricata_tls_events_name_their_flows_as_ssl_log_names_connections() {
    let dir = tempfile::tempdir().unwrap();
    let stamp = |secs: i64| {
        format!(
            "2026-03-02T{:02}:{:02}:{:02}.000000+0000",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    };
    let mut eve = String::new();
    for k in 0..96i64 {
        let at = k * 900 + (k * 131) % 360;
        let (id, sport) = (1000 + k, 30000 + k);
        let tuple = format!(
            r#""src_ip":"{SCRIPT_HOST}","src_port":{sport},"dest_ip":"{BROKER_IP}","dest_port":8884,"proto":"TCP""#
        );
        eve.push_str(&format!(
            r#"{{"timestamp":"{}","flow_id":{id},"event_type":"tls",{tuple},"tls":{{"sni":"{BROKER}","version":"TLS 1.3"}}}}"#,
            stamp(at)
        ));
        eve.push('\n');
        eve.push_str(&format!(
            r#"{{"timestamp":"{}","flow_id":{id},"event_type":"flow",{tuple},"app_proto":"tls","flow":{{"pkts_toserver":9,"pkts_toclient":7,"bytes_toserver":900,"bytes_toclient":400,"start":"{}","end":"{}","state":"closed"}}}}"#,
            stamp(at + 3),
            stamp(at),
            stamp(at + 2)
        ));
        eve.push('\n');
    }
    let path = dir.path().join("eve.json");
    std::fs::write(&path, &eve).unwrap();
    let alerts = common::hunt_jsonl([&path]);
    let found = on_port(&alerts, 8884);
    assert_eq!(found.len(), 1, "{alerts:#?}");
    assert_eq!(found[0]["analytic"], "pubsub-destination");
    assert_eq!(found[0]["connections"], 96);
    assert_eq!(found[0]["destination_names"][0], BROKER);
    // Without the tls events, the flows on a web port are not hunted.
    let flows: String = eve
        .lines()
        .filter(|l| !l.contains(r#""event_type":"tls""#))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, flows).unwrap();
    assert!(on_port(&common::hunt_jsonl([&path]), 8884).is_empty());
}
