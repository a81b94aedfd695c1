//! The binary on Zeek's content logs next to conn.log: `mqtt_*.log` records put the client id
//! and topics of a cleartext MQTT session into its alert (and the evidence they are), and a
//! `dns.log` answer names a cleartext destination the way `ssl.log` names a TLS one.

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
const CONN_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\n";

/// Two cleartext MQTT connections of a workstation to `dst`, ten minutes apart.
fn conn_log(dst: &str) -> String {
    let mut s = format!("{HEAD}#path\tconn\n{CONN_FIELDS}");
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
