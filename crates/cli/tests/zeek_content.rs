//! The binary on Zeek's content logs next to conn.log: `mqtt_*.log` records put the client id
//! and topics of a cleartext MQTT session into its alert (and the evidence they are), and a
//! `dns.log` answer names a cleartext destination the way `ssl.log` names a TLS one; and the
//! host census conn.log gives (a device whose only traffic is its service).

mod common;

use common::root;

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn hunt(args: &[&str]) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args(["hunt", "--threads", "2", "--format", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn alerts(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const HEAD: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";

/// Two cleartext MQTT connections of a workstation to `dst`, ten minutes apart.
fn conn_log(dst: &str) -> String {
    let mut s = common::ZEEK_CONN_HEADER.to_string();
    for k in 0..2 {
        let ts = 1_700_000_000 + k * 600;
        s.push_str(&format!(
            "{ts}.0\tC{k}\t10.1.1.5\t5{k}000\t{dst}\t1883\ttcp\tmqtt\t30.0\t800\t300\tSF\tT\n"
        ));
    }
    s
}

#[test]
fn zeek_mqtt_logs_give_the_alert_its_client_id_and_topics() {
    let dir = tempfile::tempdir().unwrap();
    let dst = "198.51.100.23";
    let id = format!("10.1.1.5\t50000\t{dst}\t1883");
    std::fs::write(dir.path().join("conn.log"), conn_log(dst)).unwrap();
    std::fs::write(
        dir.path().join("mqtt_connect.log"),
        format!(
            "{HEAD}#path\tmqtt_connect\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto_name\tproto_version\tclient_id\tconnect_status\twill_topic\twill_payload\n\
             1700000000.1\tC0\t{id}\tMQTT\t3.1.1\timplant-4b1d\tConnection Accepted\t-\t-\n"
        ),
    )
    .unwrap();
    // JSON lines without a path, as `LogAscii::use_json=T` writes them.
    let mut publish = String::new();
    for k in 0..5 {
        publish.push_str(&format!(
            "{{\"ts\":{}.0,\"uid\":\"C0\",\"id.orig_h\":\"10.1.1.5\",\"id.orig_p\":50000,\"id.resp_h\":\"{dst}\",\"id.resp_p\":1883,\"from_client\":true,\"retain\":false,\"qos\":\"at most once\",\"status\":\"ok\",\"topic\":\"c2/beacon\",\"payload\":\"up\",\"payload_len\":2}}\n",
            1_700_000_005 + k * 5
        ));
    }
    std::fs::write(dir.path().join("mqtt_publish.log"), publish).unwrap();

    let r = hunt(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    assert_eq!(a.len(), 1, "{}", r.stdout);
    let app = &a[0]["app"];
    assert_eq!(app["client_ids"], serde_json::json!(["implant-4b1d"]));
    assert_eq!(app["protocol_version"], "3.1.1");
    assert_eq!(app["topics"][0]["name"], "c2/beacon");
    assert_eq!(app["topics"][0]["direction"], "publish");
    assert_eq!(app["topics"][0]["messages"], 5);
    // The topic is evidence, as it would be from a capture.
    assert!(
        a[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("c2/beacon")),
        "{}",
        a[0]
    );
    assert!(
        r.stderr
            .contains("6 records from Zeek MQTT logs read for their connections' content"),
        "{}",
        r.stderr
    );

    // The conn.log alone says nothing of the session's content.
    let bare = hunt(&[dir.path().join("conn.log").to_str().unwrap()]);
    let b = alerts(&bare.stdout);
    assert!(b.iter().all(|x| x["app"].is_null()), "{}", bare.stdout);
}

#[test]
fn a_zeek_dns_answer_names_a_cleartext_mqtt_destination() {
    let dir = tempfile::tempdir().unwrap();
    let dst = "18.192.0.10";
    std::fs::write(dir.path().join("conn.log"), conn_log(dst)).unwrap();
    // The resolver's answer in JSON (json-streaming style, with a CNAME chain), a day earlier
    // and in another file: what names the address does not depend on when or where it is read.
    std::fs::write(
        dir.path().join("dns.log"),
        format!(
            "{{\"_path\":\"dns\",\"ts\":\"2023-11-13T22:00:00Z\",\"uid\":\"D1\",\"id.orig_h\":\"10.1.1.5\",\"id.orig_p\":53000,\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"query\":\"broker.hivemq.com\",\"qtype\":1,\"qtype_name\":\"A\",\"rcode_name\":\"NOERROR\",\"answers\":[\"{dst}\"],\"TTLs\":[60.0],\"rejected\":false}}\n"
        ),
    )
    .unwrap();
    let r = hunt(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    assert_eq!(a.len(), 1, "{}", r.stdout);
    assert_eq!(
        a[0]["destination_names"],
        serde_json::json!(["broker.hivemq.com"])
    );
    assert!(a[0]["signals"]["public_broker"].as_f64().unwrap() > 0.0);
    assert!(
        r.stderr
            .contains("1 DNS answer from Zeek dns.log naming their addresses"),
        "{}",
        r.stderr
    );

    // Without dns.log the destination is only an address.
    std::fs::remove_file(dir.path().join("dns.log")).unwrap();
    let bare = hunt(&[dir.path().to_str().unwrap()]);
    for x in alerts(&bare.stdout) {
        assert_eq!(x["destination_names"], serde_json::json!([]));
        assert!(x["signals"].get("public_broker").is_none());
    }
}

#[test]
fn zeek_mqtt_logs_are_held_to_the_group_state_budget_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let dst = "198.51.100.23";
    std::fs::write(dir.path().join("conn.log"), conn_log(dst)).unwrap();
    // 2,000 publishes on one session: more message timings than the smallest budget's share.
    let mut publish = String::new();
    for k in 0..2000 {
        publish.push_str(&format!(
            "{{\"ts\":{}.0,\"uid\":\"C0\",\"id.orig_h\":\"10.1.1.5\",\"id.orig_p\":50000,\"id.resp_h\":\"{dst}\",\"id.resp_p\":1883,\"from_client\":true,\"retain\":false,\"qos\":\"at most once\",\"status\":\"ok\",\"topic\":\"c2/beacon/{}\",\"payload\":\"up\",\"payload_len\":2}}\n",
            1_700_000_005 + k * 3,
            k % 40
        ));
    }
    std::fs::write(dir.path().join("mqtt_publish.log"), publish).unwrap();
    let cfg = dir.path().join("budget.toml");
    std::fs::write(&cfg, "[limits]\nmax_group_state_bytes = 16384\n").unwrap();
    let cfg = cfg.to_str().unwrap();
    let conn = dir.path().join("conn.log");
    let facts = dir.path().join("mqtt_publish.log");
    let (conn, facts) = (conn.to_str().unwrap(), facts.to_str().unwrap());

    let r = hunt(&["-c", cfg, conn, facts]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("content-log message timings kept to")
            && r.stderr.contains("per channel"),
        "{}",
        r.stderr
    );
    let a = alerts(&r.stdout);
    assert_eq!(a.len(), 1, "{}", r.stdout);
    // The same with one thread and the files the other way round.
    let again = common::bin()
        .current_dir(root())
        .args([
            "hunt",
            "--threads",
            "1",
            "--format",
            "jsonl",
            "-c",
            cfg,
            facts,
            conn,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), r.stdout);
}

const ROUND_THE_CLOCK_HOST: &str = "10.1.1.22";
const ROUND_THE_CLOCK_DEVICE: &str = "10.1.1.23";
const ROUND_THE_CLOCK_POOL: &str = "10.1.1.24";

/// One conn.log row: `host` to `dst`:`port` at `ts` for `secs` seconds.
fn row(ts: i64, uid: &str, host: &str, dst: &str, port: u16, secs: f64) -> (i64, String) {
    let (proto, service, out, back) = match port {
        53 => ("udp", "dns", 40, 90),
        443 => ("tcp", "ssl", 2000, 90000),
        _ => ("tcp", "ssl", 90000, 40000),
    };
    let src_port = 40000 + uid.bytes().map(u16::from).sum::<u16>() % 20000;
    (
        ts,
        format!(
            "{ts}.0\t{uid}\t{host}\t{src_port}\t{dst}\t{port}\t{proto}\t{service}\t{secs:.2}\t{out}\t{back}\tSF\tT\n"
        ),
    )
}

/// Hourly name lookups of each of `hosts` through `hours` hours from `t0`.
fn lookups(rows: &mut Vec<(i64, String)>, hosts: &[&str], t0: i64, hours: i64) {
    for (n, host) in hosts.iter().enumerate() {
        for k in 0..hours {
            let ts = t0 + k * 3600 + 30 + n as i64;
            rows.push(row(ts, &format!("D{n}-{k}"), host, "10.1.0.53", 53, 0.01));
        }
    }
}

/// `count` short web connections of each of `hosts`, `step` seconds apart from `from`.
fn browsing(rows: &mut Vec<(i64, String)>, hosts: &[&str], from: i64, count: i64, step: i64) {
    for (n, host) in hosts.iter().enumerate() {
        for k in 0..count {
            let ts = from + k * step + n as i64;
            rows.push(row(
                ts,
                &format!("W{n}-{k}"),
                host,
                "198.51.100.5",
                443,
                12.0,
            ));
        }
    }
}

/// Three days of a conn.log: `device` does nothing but name lookups and 8-hour MQTT-over-TLS
/// sessions with its vendor's address, `workstation` holds the same sessions with another
/// address and also browses; more hosts keep one service open for a day or more.
fn census_log(device: &str, workstation: &str) -> String {
    let t0 = 1_700_000_000i64;
    let mut rows: Vec<(i64, String)> = Vec::new();
    let hosts = [
        device,
        workstation,
        ROUND_THE_CLOCK_HOST,
        ROUND_THE_CLOCK_DEVICE,
        ROUND_THE_CLOCK_POOL,
    ];
    // Every host looks names up hourly.
    lookups(&mut rows, &hosts, t0, 72);
    for (n, host, dst) in [
        (0, device, "203.0.113.10"),
        (1, workstation, "203.0.113.80"),
    ] {
        for k in 0..9 {
            let ts = t0 + k * 8 * 3600 + n * 60;
            rows.push(row(ts, &format!("S{n}-{k}"), host, dst, 8883, 28000.0));
        }
    }
    // Two more hosts each hold one session for 30 hours: one that also browses, one that does
    // nothing else.
    rows.push(row(
        t0 + 5120,
        "L2",
        ROUND_THE_CLOCK_HOST,
        "203.0.113.92",
        8883,
        108000.0,
    ));
    rows.push(row(
        t0 + 5180,
        "L3",
        ROUND_THE_CLOCK_DEVICE,
        "203.0.113.93",
        8883,
        108000.0,
    ));
    // A busy host's 14-hour session, then another on the next address of the same pool two
    // minutes after it ended: one service kept 28 hours.
    rows.push(row(
        t0 + 6000,
        "P0",
        ROUND_THE_CLOCK_POOL,
        "203.0.113.101",
        8883,
        50400.0,
    ));
    rows.push(row(
        t0 + 56520,
        "P1",
        ROUND_THE_CLOCK_POOL,
        "203.0.113.102",
        8883,
        50400.0,
    ));
    // The browsing.
    let busy = [workstation, ROUND_THE_CLOCK_HOST, ROUND_THE_CLOCK_POOL];
    browsing(&mut rows, &busy, t0 + 7200, 20, 9000);
    common::zeek_conn_log(rows)
}

/// The records of a TSV log with the test's columns as Zeek's JSON writer writes them.
fn as_json_lines(tsv: &str) -> String {
    let fields = common::ZEEK_CONN_HEADER
        .lines()
        .find(|l| l.starts_with("#fields"))
        .unwrap();
    let names: Vec<&str> = fields.split('\t').skip(1).collect();
    let mut out = String::new();
    for row in tsv.lines().filter(|l| !l.starts_with('#')) {
        let mut rec = serde_json::Map::new();
        for (name, value) in names.iter().zip(row.split('\t')) {
            let v = match *name {
                "ts" | "duration" => serde_json::json!(value.parse::<f64>().unwrap()),
                "id.orig_p" | "id.resp_p" | "orig_bytes" | "resp_bytes" => {
                    serde_json::json!(value.parse::<u64>().unwrap())
                }
                "local_orig" => serde_json::json!(value == "T"),
                _ => serde_json::json!(value),
            };
            rec.insert(name.to_string(), v);
        }
        out.push_str(&serde_json::Value::Object(rec).to_string());
        out.push('\n');
    }
    out
}

fn alert_of<'a>(all: &'a [serde_json::Value], host: &str) -> Option<&'a serde_json::Value> {
    all.iter().find(|a| a["src_ip"] == host)
}

#[test]
fn a_device_whose_only_traffic_is_its_service_is_credited_and_a_workstation_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (device, workstation) = ("10.1.1.20", "10.1.1.21");
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, census_log(device, workstation)).unwrap();
    let conn = conn.to_str().unwrap();

    // The default view: the workstation's sessions only.
    let r = hunt(&[conn]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown = alerts(&r.stdout);
    assert!(alert_of(&shown, device).is_none(), "{}", r.stdout);
    let w = alert_of(&shown, workstation).expect("the workstation's sessions are reported");
    assert!(w["signals"].get("dedicated_device").is_none(), "{w}");
    assert_ne!(w["suspicion"], "low");

    let low = hunt(&["--min-suspicion", "low", conn]);
    let all = alerts(&low.stdout);
    let d = alert_of(&all, device).expect("the device's sessions at low");
    assert_eq!(d["suspicion"], "low", "{d}");
    assert_eq!(d["signals"]["dedicated_device"], -20.0, "{d}");
    // Its sessions, renewed every 8 hours, are its platform's timer: no weight; the
    // workstation's same timer keeps half of it.
    assert_eq!(d["signals"]["beacon"], 0.0, "{d}");
    let w_low = alert_of(&all, workstation).unwrap();
    assert!(
        w_low["signals"]["beacon"].as_f64().unwrap() > 0.0,
        "{w_low}"
    );
    assert!(
        d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("a device doing its one job")),
        "{d}"
    );

    // One session kept for 30 hours by a host that browses too is rated on that one connection;
    // the same session of a host that does nothing else is a device's, one exchange, not rated.
    let held = alert_of(&shown, ROUND_THE_CLOCK_HOST).expect("rated on one connection");
    assert_eq!(held["connections"], 1);
    assert_eq!(held["signals"]["kept_around_the_clock"], 10.0, "{held}");
    assert!(w["signals"].get("kept_around_the_clock").is_none(), "{w}");
    assert!(
        held["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("kept around the clock")),
        "{held}"
    );
    assert!(
        alert_of(&all, ROUND_THE_CLOCK_DEVICE).is_none(),
        "{}",
        low.stdout
    );
    // Over the addresses of one pool: both sessions are the one service's, each is rated.
    let pooled: Vec<_> = shown
        .iter()
        .filter(|a| a["src_ip"] == ROUND_THE_CLOCK_POOL && a["dst_port"] == 8883)
        .collect();
    assert_eq!(pooled.len(), 2, "{}", r.stdout);
    for a in pooled {
        assert!(
            a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x.as_str().unwrap().contains("kept open 28.0 h")),
            "{a}"
        );
    }

    // The census reads every line whatever the prefilter passes: parsing every line (--strict)
    // gives the same verdicts.
    let strict = hunt(&["--min-suspicion", "low", "--strict", conn]);
    assert_eq!(strict.stdout, low.stdout);

    // The same log as Zeek's JSON writer puts it: the same census.
    let json = dir.path().join("conn.json");
    std::fs::write(&json, as_json_lines(&census_log(device, workstation))).unwrap();
    let from_json = hunt(&["--min-suspicion", "low", json.to_str().unwrap()]);
    let dj = alert_of(&alerts(&from_json.stdout), device)
        .cloned()
        .unwrap();
    assert_eq!(dj["signals"]["dedicated_device"], -20.0, "{dj}");
    let wj = alert_of(&alerts(&from_json.stdout), workstation)
        .cloned()
        .unwrap();
    assert!(wj["signals"].get("dedicated_device").is_none(), "{wj}");

    // Another input in which the device browses does not hold its channel, so it does not move
    // the verdict; in the channel's own input, the same browsing does.
    let web = dir.path().join("web.log");
    let mut other = common::ZEEK_CONN_HEADER.to_string();
    other.push_str(&format!(
        "1700090000.0\tX1\t{device}\t61000\t198.51.100.5\t443\ttcp\tssl\t12.0\t2000\t90000\tSF\tT\n"
    ));
    std::fs::write(&web, &other).unwrap();
    let both = hunt(&["--min-suspicion", "low", conn, web.to_str().unwrap()]);
    let d2 = alert_of(&alerts(&both.stdout), device).cloned().unwrap();
    assert_eq!(d2["signals"]["dedicated_device"], -20.0, "{d2}");
    let joined = dir.path().join("joined.log");
    let mut text = census_log(device, workstation);
    text.push_str(other.lines().last().unwrap());
    text.push('\n');
    std::fs::write(&joined, text).unwrap();
    let browsing = hunt(&["--min-suspicion", "low", joined.to_str().unwrap()]);
    let d3 = alert_of(&alerts(&browsing.stdout), device)
        .cloned()
        .unwrap();
    assert!(d3["signals"].get("dedicated_device").is_none(), "{d3}");
    assert_ne!(d3["suspicion"], "low", "{d3}");
}

/// An `ssl.log` naming the device's and the workstation's brokers of [`census_log`] as AWS IoT
/// endpoints (the handshake of each one's first session).
fn iot_names_log(device: &str, workstation: &str) -> String {
    let mut s = format!(
        "{HEAD}#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tserver_name\n"
    );
    for (host, dst, name) in [
        (
            device,
            "203.0.113.10",
            "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com",
        ),
        (
            workstation,
            "203.0.113.80",
            "z9y8x7w6v5u4t3-ats.iot.eu-west-1.amazonaws.com",
        ),
    ] {
        s.push_str(&format!(
            "1700000000.5\tN-{host}\t{host}\t40001\t{dst}\t8883\t{name}\n"
        ));
    }
    s
}

#[test]
fn a_cloud_iot_endpoint_is_unusual_only_for_a_host_shown_doing_something_else() {
    let dir = tempfile::tempdir().unwrap();
    let (device, workstation) = ("10.1.1.20", "10.1.1.21");
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, census_log(device, workstation)).unwrap();
    let ssl = dir.path().join("ssl.log");
    std::fs::write(&ssl, iot_names_log(device, workstation)).unwrap();
    let r = hunt(&[
        "--min-suspicion",
        "low",
        "--no-default-allowlist",
        conn.to_str().unwrap(),
        ssl.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = alerts(&r.stdout);
    let d = alert_of(&all, device).expect("the device's sessions at low");
    assert_eq!(d["signals"]["cloud_iot_endpoint"], 0.0, "{d}");
    assert!(
        common::has_reason(
            d,
            "nothing says it is not one of the devices the platform serves"
        ),
        "{d}"
    );
    let w = alert_of(&all, workstation).expect("the workstation's sessions");
    assert_eq!(w["signals"]["cloud_iot_endpoint"], 5.0, "{w}");
}

#[test]
fn a_devices_short_piece_at_one_address_of_its_pool_is_judged_with_the_pool() {
    // Three days: the device looks names up hourly and holds 8-hour sessions with one address
    // of its cloud's /24, but twice reconnected to another address for five minutes.
    let device = "10.1.1.30";
    let t0 = 1_700_000_000i64;
    let mut rows: Vec<(i64, String)> = Vec::new();
    for k in 0..72 {
        let ts = t0 + k * 3600 + 30;
        rows.push(row(ts, &format!("D-{k}"), device, "10.1.0.53", 53, 0.01));
    }
    for k in 0..8 {
        let ts = t0 + k * 8 * 3600 + 600;
        rows.push(row(
            ts,
            &format!("L-{k}"),
            device,
            "203.0.113.40",
            8883,
            28000.0,
        ));
    }
    for k in 0..2 {
        let ts = t0 + (3 + 3 * k) * 8 * 3600 + 28_700;
        rows.push(row(
            ts,
            &format!("S-{k}"),
            device,
            "203.0.113.41",
            8883,
            300.0,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, common::zeek_conn_log(rows)).unwrap();
    let r = hunt(&["--min-suspicion", "low", conn.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = alerts(&r.stdout);
    let short = all
        .iter()
        .find(|a| a["src_ip"] == device && a["dst_ip"] == "203.0.113.41")
        .expect("the short piece is rated");
    assert_eq!(short["signals"]["dedicated_device"], -20.0, "{short}");
    assert_eq!(short["suspicion"], "low", "{short}");
}

#[test]
fn a_busy_hosts_held_uploads_answered_with_acknowledgements_are_reported_as_such() {
    // Three working days. Every host looks names up hourly; the uploader, the chatter and the
    // device each hold three 6-hour sessions a day with their own broker on 1883; the uploader
    // and the chatter also browse. The uploader's broker sends back a fiftieth of what it is
    // sent, the chatter's more than it is sent; the device uploads like the uploader.
    let (uploader, chatter, device) = ("10.1.2.10", "10.1.2.11", "10.1.2.12");
    let t0 = 1_700_000_000i64;
    let mut rows: Vec<(i64, String)> = Vec::new();
    lookups(&mut rows, &[uploader, chatter, device], t0, 72);
    for (n, host, dst, back) in [
        (0, uploader, "203.0.113.150", 1_800),
        (1, chatter, "203.0.113.151", 120_000),
        (2, device, "203.0.113.152", 1_800),
    ] {
        for k in 0..9i64 {
            let ts = t0 + k * 8 * 3600 + 60 * n;
            rows.push((
                ts,
                format!(
                    "{ts}.0\tU{n}-{k}\t{host}\t{}\t{dst}\t1883\ttcp\tmqtt\t21600.00\t90000\t{back}\tSF\tT\n",
                    41_000 + 10 * n + k
                ),
            ));
        }
    }
    browsing(&mut rows, &[uploader, chatter], t0 + 7200, 20, 9000);
    let text = common::zeek_conn_log(rows);
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, &text).unwrap();
    let r = hunt(&["--min-suspicion", "low", conn.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = alerts(&r.stdout);
    let up = alert_of(&all, uploader).expect("the uploader's sessions");
    assert_eq!(up["signals"]["unanswered_uploads"], 10.0, "{up}");
    assert!(
        common::has_reason(up, "in 9 of them the server sent back less than a quarter"),
        "{up}"
    );
    let chat = alert_of(&all, chatter).expect("the chatter's sessions");
    assert!(
        chat["signals"].get("unanswered_uploads").is_none(),
        "{chat}"
    );
    // A device uploading its readings is a device, not a busy host.
    let dev = alert_of(&all, device).expect("the device's sessions");
    assert!(dev["signals"].get("unanswered_uploads").is_none(), "{dev}");

    // The same log without byte counts says nothing of answers.
    let blind: String = text
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                return format!("{l}\n");
            }
            let mut f: Vec<&str> = l.split('\t').collect();
            f[9] = "-";
            f[10] = "-";
            format!("{}\n", f.join("\t"))
        })
        .collect();
    std::fs::write(&conn, blind).unwrap();
    let r = hunt(&["--min-suspicion", "low", conn.to_str().unwrap()]);
    let all = alerts(&r.stdout);
    let up = alert_of(&all, uploader).expect("the uploader's sessions");
    assert!(up["signals"].get("unanswered_uploads").is_none(), "{up}");
}

#[test]
fn a_busy_hosts_one_standing_upload_in_a_day_is_rated_on_that_connection() {
    // One day. The uploader and the chatter each hold one 8-hour session with their own broker
    // and browse; the device holds one and looks names up. Only the uploader is answered with
    // acknowledgements alone.
    let (uploader, chatter, device) = ("10.1.3.10", "10.1.3.11", "10.1.3.12");
    let t0 = 1_700_000_000i64;
    let mut rows: Vec<(i64, String)> = Vec::new();
    lookups(&mut rows, &[uploader, chatter, device], t0, 23);
    for (n, host, dst, back) in [
        (0, uploader, "203.0.113.160", 1_500),
        (1, chatter, "203.0.113.161", 150_000),
        (2, device, "203.0.113.162", 1_500),
    ] {
        let ts = t0 + 8 * 3600 + 60 * n;
        rows.push((
            ts,
            format!(
                "{ts}.0\tL{n}\t{host}\t{}\t{dst}\t61613\ttcp\t-\t30000.00\t60000\t{back}\tSF\tT\n",
                42_000 + n
            ),
        ));
    }
    browsing(&mut rows, &[uploader, chatter], t0 + 9 * 3600, 8, 3000);
    let text = common::zeek_conn_log(rows);
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, &text).unwrap();
    let r = hunt(&[conn.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown = alerts(&r.stdout);
    let up = alert_of(&shown, uploader).expect("the uploader's one session is rated");
    assert_eq!(up["connections"], 1, "{up}");
    assert_eq!(up["signals"]["unanswered_uploads"], 10.0, "{up}");
    assert!(
        common::has_reason(up, "rated on one connection held open"),
        "{up}"
    );
    assert!(alert_of(&shown, chatter).is_none(), "{}", r.stdout);
    assert!(alert_of(&shown, device).is_none(), "{}", r.stdout);
}
