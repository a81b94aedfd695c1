//! Helpers shared by the CLI's integration tests.
//!
//! Every test runs the binary through [`bin`] or [`std_bin`]: history across runs is off there
//! (`PUBSUB_HUNT_NO_STATE=1`), so no test writes into the user's state directory and no output
//! depends on what an earlier run left. Tests of the history give `--state` a file of their own.
// Each test file uses some of these helpers.
#![allow(dead_code)]

/// The header of a Zeek TSV conn.log with the columns the tests write.
pub const ZEEK_CONN_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\n";

/// A Zeek conn.log of `rows` (each its start time and its line), written in time order.
pub fn zeek_conn_log(mut rows: Vec<(i64, String)>) -> String {
    rows.sort();
    let mut s = ZEEK_CONN_HEADER.to_string();
    s.extend(rows.into_iter().map(|(_, r)| r));
    s
}

/// A Zeek conn.log built row by row (the columns of [`ZEEK_CONN_HEADER`]): lookups over UDP,
/// everything else over TCP, each row with a uid and a source port of its own.
#[derive(Default)]
pub struct ConnLog {
    rows: Vec<(i64, String)>,
}

impl ConnLog {
    /// `host` to `dst`:`port` at `ts` for `secs` seconds, `bytes` sent and received.
    pub fn push(
        &mut self,
        ts: i64,
        host: &str,
        dst: &str,
        port: u16,
        secs: f64,
        bytes: (u64, u64),
    ) {
        let proto = if port == 53 { "udp" } else { "tcp" };
        let (out, back) = bytes;
        let n = self.rows.len();
        self.rows.push((
            ts,
            format!(
                "{ts}.0\tC{n}\t{host}\t{}\t{dst}\t{port}\t{proto}\t-\t{secs:.2}\t{out}\t{back}\tSF\tT\n",
                40000 + n % 20000
            ),
        ));
    }

    /// A connection with the bytes of a lookup (port 53) or of a session both ways.
    pub fn conn(&mut self, ts: i64, host: &str, dst: &str, port: u16, secs: f64) {
        let bytes = if port == 53 { (40, 90) } else { (9000, 8000) };
        self.push(ts, host, dst, port, secs, bytes);
    }

    /// `host` looks names up every hour for `hours` hours from `t0`.
    pub fn lookups(&mut self, t0: i64, host: &str, hours: i64) {
        for k in 0..hours {
            self.conn(t0 + k * 3600 + 17, host, "10.1.0.53", 53, 0.01);
        }
    }

    /// The log's text, its rows in time order.
    pub fn text(self) -> String {
        zeek_conn_log(self.rows)
    }
}

/// The repository's root (tests read `examples/` and the shared corpus beside it from there).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The binary, with history across runs off.
pub fn bin() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("pubsub-hunt").unwrap();
    c.env("PUBSUB_HUNT_NO_STATE", "1");
    c
}

/// The binary as a plain process (for tests that signal or time it), with history off.
pub fn std_bin() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("pubsub-hunt"));
    c.env("PUBSUB_HUNT_NO_STATE", "1");
    c
}

/// The alerts (JSON lines) of a `hunt` that must succeed: `args` follow
/// `hunt --format jsonl`; a failing run panics with its standard error.
pub fn hunt_jsonl<I, S>(args: I) -> Vec<serde_json::Value>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = bin()
        .current_dir(root())
        .args(["hunt", "--format", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Whether the tests run as root (live capture and `setpriv` need it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Removes what names the input an alert came from — its record samples, its sources, and the
/// file of each flow — so alerts of the same records read from different inputs (a file in
/// `hunt`, a `topic/partition` in `stream`) compare equal on everything else.
pub fn strip_input_names(alert: &mut serde_json::Value) {
    let Some(o) = alert.as_object_mut() else {
        return;
    };
    o.remove("samples");
    o.remove("sources");
    if let Some(flows) = o.get_mut("flows").and_then(|f| f.as_array_mut()) {
        for f in flows.iter_mut().filter_map(|f| f.as_object_mut()) {
            f.remove("file");
        }
    }
}

/// One Sysmon network-connection event (ID 3) as a JSON line: `image` on `host` connecting from
/// `src` to `dst`:`port` at `utc` (`2024-03-04 08:00:00.000`), record number `n`.
pub struct SysmonConnection<'a> {
    pub n: u64,
    pub host: &'a str,
    pub image: &'a str,
    pub src: &'a str,
    pub dst: &'a str,
    pub port: u16,
    pub utc: String,
}

impl SysmonConnection<'_> {
    pub fn line(&self) -> String {
        let event = serde_json::json!({
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 3,
            "EventRecordID": 1000 + self.n,
            "Hostname": self.host,
            "Image": self.image,
            "Initiated": "true",
            "Protocol": "tcp",
            "SourceIp": self.src,
            "SourcePort": (50_000 + self.n).to_string(),
            "DestinationIp": self.dst,
            "DestinationPort": self.port.to_string(),
            "DestinationIsIpv6": "false",
            "User": "CORP\\accounting",
            "UtcTime": self.utc,
        });
        format!("{event}\n")
    }
}

/// Whether one of an alert's reasons contains `text`.
pub fn has_reason(alert: &serde_json::Value, text: &str) -> bool {
    alert["reasons"].as_array().is_some_and(|r| {
        r.iter()
            .filter_map(|x| x.as_str())
            .any(|x| x.contains(text))
    })
}
