//! A chat client is a person's program: the default allowlist's "chat client on a public XMPP
//! server" covers an XMPP session a workstation holds to a public server (its other traffic in
//! its owner's working hours), and not the same session held by a server, whose other traffic
//! runs around the clock: an XMPP bot on a server is what the entry must not hide
//! (docs/allowlist.md).

mod common;

use common::ConnLog;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const XMPP_IP: &str = "81.151.216.186";
const SERVER: &str = "10.1.5.20";
const WORKSTATION: &str = "10.1.2.31";
const SSL_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\tnext_protocol\testablished\n";

/// The day: both hosts hold a session to `yax.im` around the clock (two connections, the
/// second opened as the first closed), the server works around the clock, the workstation in
/// working hours with a little background traffic at night, and a dozen other hosts browse.
fn data(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut log = ConnLog::default();
    for k in 0..24 * 6 {
        let ts = T0 + k * 600 + 37;
        log.conn(ts, SERVER, "10.1.0.40", 5432, 2.0);
        if k % 3 == 0 {
            log.conn(ts + 120, SERVER, "198.51.100.9", 443, 5.0);
        }
    }
    for h in 0..24 {
        if (8..18).contains(&h) {
            for k in 0..12 {
                let ts = T0 + h * HOUR + k * 300 + 11;
                log.conn(ts, WORKSTATION, &format!("203.0.113.{}", 10 + k), 443, 30.0);
            }
            log.conn(T0 + h * HOUR + 1800, WORKSTATION, "10.1.0.10", 445, 60.0);
        } else if h % 4 == 0 {
            log.conn(T0 + h * HOUR + 900, WORKSTATION, "198.51.100.77", 443, 3.0);
        }
    }
    for host in [SERVER, WORKSTATION] {
        log.lookups(T0, host, 24);
    }
    for i in 1..=12 {
        let host = format!("10.1.3.{}", 100 + i);
        log.lookups(T0, &host, 24);
        for k in 0..6 {
            log.conn(
                T0 + 8 * HOUR + k * 2400 + i * 61,
                &host,
                "198.51.100.5",
                443,
                30.0,
            );
        }
    }
    let mut ssl = String::from(SSL_HEADER);
    let mut conn = log.text();
    for (n, host) in [SERVER, WORKSTATION].into_iter().enumerate() {
        for (k, (at, secs)) in [(300, 43_000.0), (43_320, 43_000.0)]
            .into_iter()
            .enumerate()
        {
            let (ts, uid, sport) = (
                T0 + at + n as i64 * 7,
                format!("CX{n}{k}"),
                41000 + n * 10 + k,
            );
            conn.push_str(&format!(
                "{ts}.0\t{uid}\t{host}\t{sport}\t{XMPP_IP}\t5222\ttcp\tssl\t{secs:.1}\t90000\t180000\tSF\tT\n"
            ));
            ssl.push_str(&format!(
                "{ts}.2\t{uid}\t{host}\t{sport}\t{XMPP_IP}\t5222\tTLSv13\tyax.im\t-\tT\n"
            ));
        }
    }
    let (conn_path, ssl_path) = (dir.join("conn.log"), dir.join("ssl.log"));
    std::fs::write(&conn_path, conn).unwrap();
    std::fs::write(&ssl_path, ssl).unwrap();
    (conn_path, ssl_path)
}

#[test]
fn a_session_held_by_a_server_is_no_persons_chat_client() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, ssl) = data(dir.path());
    let alerts = common::hunt_jsonl([
        "--threads",
        "2",
        "--show-suppressed",
        conn.to_str().unwrap(),
        ssl.to_str().unwrap(),
    ]);
    let of = |host: &str| {
        alerts
            .iter()
            .find(|a| a["host"] == host && a["dst_port"] == 5222)
            .unwrap_or_else(|| panic!("no alert for {host}: {alerts:?}"))
    };
    let server = of(SERVER);
    assert_eq!(server["suppressed_by"], serde_json::Value::Null, "{server}");
    assert_eq!(server["signals"]["kept_around_the_clock"], 10.0, "{server}");
    let workstation = of(WORKSTATION);
    assert_eq!(
        workstation["suppressed_by"], "chat client on a public XMPP server",
        "{workstation}"
    );
}
