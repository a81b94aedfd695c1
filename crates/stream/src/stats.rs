//! The member's figures on standard error: a line at every stats interval (records per second
//! since the last line, consumer lag, partitions, open windows and groups, findings, malformed
//! records per partition, late records, resident memory) and a final summary with the same
//! figures over the whole run.

use crate::window::PartitionCounters;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

/// The member's figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub counters: PartitionCounters,
    /// Sum of the consumer lag (messages) of the owned partitions, as librdkafka last measured.
    pub lag: i64,
    pub partitions: usize,
    pub open_windows: usize,
    pub open_groups: usize,
    pub findings_written: u64,
    pub split_hosts: u64,
    pub broker_errors: u64,
    /// `topic/partition` → malformed records, for partitions that had any.
    pub malformed_by_partition: BTreeMap<String, u64>,
}

/// Prints stats lines, remembering the last one for the rate.
pub struct Stats {
    started: Instant,
    last_at: Instant,
    last_records: u64,
}

impl Stats {
    pub fn new(now: Instant) -> Stats {
        Stats {
            started: now,
            last_at: now,
            last_records: 0,
        }
    }

    /// One line (or, with `last`, the final summary) on standard error.
    pub fn print(&mut self, t: &Totals, now: Instant, last: bool) {
        let line = self.line(t, now, last);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    fn line(&mut self, t: &Totals, now: Instant, last: bool) -> String {
        let c = &t.counters;
        let (since, base) = if last {
            (self.started, 0)
        } else {
            (self.last_at, self.last_records)
        };
        let secs = now.saturating_duration_since(since).as_secs_f64().max(1e-3);
        let rate = c.records.saturating_sub(base) as f64 / secs;
        self.last_at = now;
        self.last_records = c.records;
        let malformed = if t.malformed_by_partition.is_empty() {
            String::new()
        } else {
            let per: Vec<String> = t
                .malformed_by_partition
                .iter()
                .map(|(p, n)| format!("{p} {n}"))
                .collect();
            format!(" ({})", per.join(", "))
        };
        let head = if last {
            format!(
                "pubsub-hunt: stream summary: {:.1} s,",
                now.saturating_duration_since(self.started).as_secs_f64()
            )
        } else {
            "pubsub-hunt: stream:".to_string()
        };
        format!(
            "{head} {} records ({rate:.0}/s), lag {}, {} partitions, {} open windows, {} open \
             groups, {} windows closed ({} at a bound), {} findings, {} malformed{malformed}, {} \
             late, {} \
             replayed, {} without time, {} hosts on two partitions, {} broker errors, memory {}",
            c.records,
            t.lag,
            t.partitions,
            t.open_windows,
            t.open_groups,
            c.windows_closed,
            c.windows_bounded,
            t.findings_written,
            c.malformed,
            c.late,
            c.replayed,
            c.no_timestamp,
            t.split_hosts,
            t.broker_errors,
            rss().map_or_else(|| "unknown".to_string(), |kb| format!("{} MB", kb / 1024)),
        )
    }
}

/// Resident memory of this process in KiB (Linux `/proc`); `None` elsewhere.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_line_has_the_rate_and_the_malformed_partitions() {
        let t0 = Instant::now();
        let mut s = Stats::new(t0);
        let mut t = Totals::default();
        t.counters.records = 500;
        t.counters.malformed = 3;
        t.malformed_by_partition.insert("zeek/0".into(), 2);
        t.malformed_by_partition.insert("zeek/3".into(), 1);
        t.lag = 42;
        let l = s.line(&t, t0 + Duration::from_secs(2), false);
        assert!(l.contains("500 records (250/s)"), "{l}");
        assert!(l.contains("3 malformed (zeek/0 2, zeek/3 1)"), "{l}");
        assert!(l.contains("lag 42"), "{l}");
        t.counters.records = 600;
        let l = s.line(&t, t0 + Duration::from_secs(3), false);
        assert!(l.contains("600 records (100/s)"), "{l}");
        let l = s.line(&t, t0 + Duration::from_secs(4), true);
        assert!(
            l.starts_with("pubsub-hunt: stream summary: 4.0 s, 600 records (150/s)"),
            "{l}"
        );
    }
}
