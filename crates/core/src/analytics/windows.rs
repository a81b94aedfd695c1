//! Windows inside a channel: with `--window`, the seed's threshold ("at least N connections")
//! applies per tumbling window, but a channel is still one alert, carrying its per-window figures;
//! a channel that never reaches the threshold inside one window is reported only when its
//! connections beacon across windows, and the summary counts the others so a window too short
//! for the data is never silent.

use super::group::{GroupStats, NamedService};
use crate::alert::Alert;
use crate::alert::WindowCount;
use crate::time::{Micros, format_rfc3339};
use std::collections::BTreeMap;

/// Exchanges per window index: connections, or the messages packet inspection timed in that
/// window when they are more (one long session carries many messages).
pub(super) fn exchanges_per_window(
    stats: &GroupStats,
    len: Micros,
    count_messages: bool,
) -> BTreeMap<i64, u64> {
    let mut out = stats.windows.clone();
    if count_messages && let Some(app) = stats.app.as_deref() {
        let mut messages: BTreeMap<i64, u64> = BTreeMap::new();
        for m in &app.messages {
            *messages.entry(m.ts.div_euclid(len)).or_default() += 1;
        }
        for (w, n) in messages {
            let e = out.entry(w).or_default();
            *e = (*e).max(n);
        }
    }
    out
}

/// The figures an alert carries: every window the channel was active in, in order.
pub(super) fn figures(per_window: &BTreeMap<i64, u64>, len: Micros) -> Vec<WindowCount> {
    per_window
        .iter()
        .map(|(&w, &n)| WindowCount {
            start: w.saturating_mul(len),
            connections: n,
        })
        .collect()
}

/// One sentence on how the channel spreads over the windows.
pub(super) fn reason(
    per_window: &BTreeMap<i64, u64>,
    len: Micros,
    window_text: &str,
    min: u64,
) -> String {
    let busiest = per_window
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    let reaching = per_window.values().filter(|&&n| n >= min).count();
    match busiest {
        Some((&w, &n)) => format!(
            "active in {} windows of {window_text}, {reaching} of them with at least {min} \
             connections; the busiest, from {}, has {n}",
            per_window.len(),
            format_rfc3339(w.saturating_mul(len)),
        ),
        None => format!("no connection with a time, so no {window_text} window holds any"),
    }
}

/// How a group's exchanges spread over the windows of `--window`, and whether some window holds
/// the seed's threshold: the group's own, or its named service's over all its addresses.
pub(super) struct WindowCheck {
    len: Micros,
    per_window: BTreeMap<i64, u64>,
    busiest_alone: u64,
    /// When the group is one address of a named service: the service's busiest window, its
    /// name and how many addresses it was reached at.
    service: Option<(u64, String, usize)>,
    min: u64,
}

impl WindowCheck {
    pub(super) fn of(
        stats: &GroupStats,
        len: Micros,
        count_messages: bool,
        named: Option<&NamedService>,
        min: u64,
    ) -> WindowCheck {
        let per_window = exchanges_per_window(stats, len, count_messages);
        WindowCheck {
            len,
            busiest_alone: per_window.values().copied().max().unwrap_or(0),
            per_window,
            // A named service answering from several addresses is one destination in a window
            // as over the data: its busiest window counts all of them.
            service: named.and_then(|n| Some((n.busiest_window?, n.name.clone(), n.addresses))),
            min,
        }
    }

    /// No window holds the threshold, counting the named service's.
    pub(super) fn in_no_window(&self) -> bool {
        let service = self.service.as_ref().map_or(0, |(busiest, ..)| *busiest);
        self.busiest_alone.max(service) < self.min
    }

    /// The sentences and figures the alert carries: how the channel spreads over the windows,
    /// and, when only its named service meets the threshold in a window, that it does.
    pub(super) fn describe(&self, alert: &mut Alert, window_text: &str) {
        alert
            .reasons
            .insert(1, reason(&self.per_window, self.len, window_text, self.min));
        if let Some((busiest, name, addresses)) = &self.service
            && self.busiest_alone < self.min
            && *busiest >= self.min
        {
            alert.reasons.insert(
                2,
                format!(
                    "over the {addresses} addresses {name} was reached at, the busiest \
                     {window_text} window holds {busiest}: one named service meets the \
                     threshold in a window"
                ),
            );
        }
        alert.windows = Some(figures(&self.per_window, self.len));
    }
}

/// The median time between the channel's connection starts, when it has at least two.
pub(super) fn median_gap(stats: &GroupStats) -> Option<Micros> {
    let mut gaps: Vec<Micros> = stats
        .conn_starts
        .windows(2)
        .map(|p| p[1].ts - p[0].ts)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    let mid = gaps.len() / 2;
    let (_, m, _) = gaps.select_nth_unstable(mid);
    Some(*m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::group::ConnStart;

    const HOUR: Micros = 3_600_000_000;

    fn stats(starts: &[Micros]) -> GroupStats {
        let mut s = GroupStats::default();
        for &t in starts {
            *s.windows.entry(t.div_euclid(HOUR)).or_default() += 1;
            s.conn_starts.push(ConnStart {
                ts: t,
                bytes_out: 0,
                bytes_in: 0,
                src_port: None,
                has_bytes: false,
            });
        }
        s.connections = starts.len() as u64;
        s
    }

    #[test]
    fn figures_list_every_active_window() {
        let s = stats(&[0, 10, 2 * HOUR, 2 * HOUR + 5, 2 * HOUR + 9]);
        let per = exchanges_per_window(&s, HOUR, true);
        let f = figures(&per, HOUR);
        assert_eq!(
            f,
            vec![
                WindowCount {
                    start: 0,
                    connections: 2
                },
                WindowCount {
                    start: 2 * HOUR,
                    connections: 3
                },
            ]
        );
        let r = reason(&per, HOUR, "1h", 3);
        assert!(r.contains("active in 2 windows of 1h, 1 of them"), "{r}");
    }

    #[test]
    fn median_gap_of_a_slow_timer() {
        let s = stats(&[0, 4 * HOUR, 8 * HOUR, 12 * HOUR]);
        assert_eq!(median_gap(&s), Some(4 * HOUR));
        assert_eq!(median_gap(&stats(&[0])), None);
    }
}
