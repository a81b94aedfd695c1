//! Labeled mixed traffic for measuring pubsub-hunt: one scenario of benign and C2 pub/sub
//! channels ([`model`]), simulated into TCP connections with real protocol bytes ([`session`],
//! [`wire`]), and drawn three ways from the same connections: a packet capture ([`pcap`]),
//! Sysmon event 3 JSON lines ([`sysmon`]) and Zeek logs ([`zeek`]: conn.log, and ssl.log for
//! the connections that carry TLS), plus the ground truth with per-source revealability
//! ([`truth`]).
//!
//! Everything is a pure function of the seed and the length in hours.
//!
//! ```
//! use pubsub_hunt_testgen::labeled::{LabeledData, Label};
//! let data = LabeledData::generate(1, 3.0);
//! assert!(data.truth.channels.iter().any(|c| c.label == Label::C2));
//! ```

pub mod model;
pub mod pcap;
pub mod session;
pub mod sysmon;
pub mod truth;
pub mod wire;
pub mod zeek;

pub use model::{Channel, Label, Scenario};
pub use session::{Connection, simulate};
pub use truth::{Truth, TruthChannel};

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// Default length of a labeled scenario: a day, so slow beacons of hours beat several times.
pub const DEFAULT_HOURS: f64 = 24.0;

/// A generated scenario with its connections and ground truth.
pub struct LabeledData {
    pub scenario: Scenario,
    pub connections: Vec<Connection>,
    pub truth: Truth,
}

/// What [`LabeledData::write_dir`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub packets: u64,
    pub sysmon_events: u64,
    pub conn_rows: u64,
    pub ssl_rows: u64,
    pub channels: usize,
    pub c2_channels: usize,
}

impl LabeledData {
    pub fn generate(seed: u64, hours: f64) -> LabeledData {
        let scenario = Scenario::generate(seed, hours);
        let connections = simulate(&scenario);
        let truth = truth::truth(&scenario, &connections);
        LabeledData {
            scenario,
            connections,
            truth,
        }
    }

    /// Writes `capture.pcap`, `sysmon.json`, `conn.log`, `ssl.log` and `truth.json` into `dir`
    /// (created if missing).
    pub fn write_dir(&self, dir: &Path) -> io::Result<Written> {
        std::fs::create_dir_all(dir)?;
        let seed = self.scenario.seed;
        let channels = &self.scenario.channels;
        let conns = &self.connections;
        let create = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
        let packets = pcap::write_pcap(create("capture.pcap")?, seed, channels, conns)?;
        let sysmon_events = sysmon::write_sysmon(create("sysmon.json")?, seed, channels, conns)?;
        let (conn_rows, ssl_rows) = zeek::write_conn_and_ssl_logs(
            create("conn.log")?,
            create("ssl.log")?,
            seed,
            channels,
            conns,
        )?;
        let text = serde_json::to_string_pretty(&self.truth).map_err(io::Error::other)?;
        std::fs::write(dir.join("truth.json"), text + "\n")?;
        Ok(Written {
            packets,
            sysmon_events,
            conn_rows,
            ssl_rows,
            channels: channels.len(),
            c2_channels: channels.iter().filter(|c| c.label == Label::C2).count(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_per_seed() {
        let dir_a = tempfile::tempdir().expect("tempdir");
        let dir_b = tempfile::tempdir().expect("tempdir");
        LabeledData::generate(21, 3.0)
            .write_dir(dir_a.path())
            .expect("write a");
        LabeledData::generate(21, 3.0)
            .write_dir(dir_b.path())
            .expect("write b");
        for name in [
            "capture.pcap",
            "sysmon.json",
            "conn.log",
            "ssl.log",
            "truth.json",
        ] {
            let a = std::fs::read(dir_a.path().join(name)).expect("read a");
            let b = std::fs::read(dir_b.path().join(name)).expect("read b");
            assert!(!a.is_empty(), "{name} is empty");
            assert!(a == b, "{name} differs between two runs of one seed");
        }
        let other = LabeledData::generate(22, 3.0);
        assert_ne!(
            other.truth.channels[0].client_id,
            LabeledData::generate(21, 3.0).truth.channels[0].client_id
        );
    }

    #[test]
    fn truth_agrees_with_the_rendered_rows() {
        let data = LabeledData::generate(5, 6.0);
        let dir = tempfile::tempdir().expect("tempdir");
        let written = data.write_dir(dir.path()).expect("write");
        let log = std::fs::read_to_string(dir.path().join("conn.log")).expect("conn.log");
        let sysmon = std::fs::read_to_string(dir.path().join("sysmon.json")).expect("sysmon");
        assert_eq!(written.conn_rows as usize, data.connections.len());
        for ch in &data.truth.channels {
            let rows = log
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    f.get(2) == Some(&ch.src_ip.as_str())
                        && f.get(4) == Some(&ch.dst_ip.as_str())
                        && f.get(5) == Some(&ch.dst_port.to_string().as_str())
                })
                .count();
            assert_eq!(rows, ch.connections, "conn.log rows of {}", ch.id);
            let events = sysmon
                .lines()
                .filter(|l| {
                    l.contains(&format!("\"SourceIp\":\"{}\"", ch.src_ip))
                        && l.contains(&format!("\"DestinationIp\":\"{}\"", ch.dst_ip))
                        && l.contains(&format!("\"DestinationPort\":\"{}\"", ch.dst_port))
                })
                .count();
            let want = if ch.os == model::Os::Windows || ch.os == model::Os::Linux {
                ch.connections
            } else {
                0
            };
            assert_eq!(events, want, "Sysmon events of {}", ch.id);
        }
    }

    #[test]
    fn default_day_stays_a_few_megabytes() {
        let data = LabeledData::generate(1, DEFAULT_HOURS);
        let bytes: usize = data
            .connections
            .iter()
            .flat_map(|c| &c.segments)
            .map(|s| s.bytes.len() + 70)
            .sum();
        assert!(bytes < 20 << 20, "{bytes} bytes of payload and headers");
    }
}
