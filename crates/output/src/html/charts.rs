//! The report's pictures, drawn as inline SVG so the report needs nothing from outside: a
//! channel's timeline (connection starts, and messages when packet inspection saw them) with the
//! beacon period marked as a grid of expected beats, and a histogram of the intervals between
//! events on a log scale, with the median (the period a beacon would have) marked.

use super::text::{esc, human_secs};
use pubsub_hunt_core::app::TopicDirection;
use pubsub_hunt_core::time::{Micros, format_rfc3339};
use pubsub_hunt_core::{Alert, SignalId};
use std::fmt::Write;

const W: f64 = 880.0;
const PAD: f64 = 10.0;
/// Most beat marks drawn; past that the period is too short to see at this width.
const MAX_BEATS: usize = 400;
const BINS: usize = 24;

/// The series a chart draws: the events' times (sorted) and what they are.
pub(crate) struct Series {
    pub times: Vec<Micros>,
    /// `connection starts` or `publications`.
    pub what: &'static str,
}

/// The series whose rhythm matters: publications when the behaviour evidence is about regular
/// publications inside a session (or there are too few connections to time), else connection
/// starts.
pub(crate) fn rhythm(a: &Alert) -> Series {
    let published = publications(a);
    let by_messages = a.signals.contains_key(&SignalId::MessageBeacon);
    if (by_messages || a.timeline.len() < 3) && published.len() >= 3 {
        Series {
            times: published,
            what: "publications",
        }
    } else {
        Series {
            times: a.timeline.clone(),
            what: "connection starts",
        }
    }
}

fn publications(a: &Alert) -> Vec<Micros> {
    a.message_timeline
        .iter()
        .filter(|m| m.1 == TopicDirection::Publish)
        .map(|m| m.0)
        .collect()
}

/// Intervals between consecutive times, in seconds.
pub(crate) fn intervals(times: &[Micros]) -> Vec<f64> {
    times
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1e6)
        .collect()
}

/// The median of the intervals, in seconds: the period a beacon would have.
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len().is_multiple_of(2) {
        (s[m - 1] + s[m]) / 2.0
    } else {
        s[m]
    })
}

/// The timeline: one tick per connection start (top row) and per message (bottom row,
/// publications dark, deliveries light), with dashed beats every `period` seconds from the
/// first event when a period is given.
pub(crate) fn timeline(a: &Alert, period: Option<f64>) -> String {
    let msgs = &a.message_timeline;
    let all = a.timeline.iter().copied().chain(msgs.iter().map(|m| m.0));
    let (Some(t0), Some(t1)) = (all.clone().min(), all.max()) else {
        return "<p class=\"muted\">No times: the source recorded none for this channel.</p>"
            .to_string();
    };
    let span = (t1 - t0).max(1) as f64;
    let x = |t: Micros| PAD + (t - t0) as f64 / span * (W - 2.0 * PAD);
    let rows = if msgs.is_empty() { 1 } else { 2 };
    let h = 34.0 * rows as f64 + 30.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"timeline\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"timeline of {} connection starts and {} messages\">",
        a.timeline.len(),
        msgs.len()
    );
    if let Some(p) = period.filter(|p| *p > 0.0) {
        let beats = (span / 1e6 / p) as usize;
        if beats <= MAX_BEATS {
            for k in 0..=beats {
                let bx = x(t0 + (k as f64 * p * 1e6) as Micros);
                let _ = write!(
                    s,
                    "<line class=\"beat\" x1=\"{bx:.1}\" x2=\"{bx:.1}\" y1=\"4\" y2=\"{:.0}\"/>",
                    h - 26.0
                );
            }
        }
    }
    let _ = write!(
        s,
        "<text class=\"lane\" x=\"{PAD}\" y=\"12\">connections ({})</text>",
        a.timeline.len()
    );
    for t in &a.timeline {
        let tx = x(*t);
        let _ = write!(
            s,
            "<line class=\"conn\" x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"16\" y2=\"36\"><title>{}</title></line>",
            esc(&format_rfc3339(*t))
        );
    }
    if !msgs.is_empty() {
        let _ = write!(
            s,
            "<text class=\"lane\" x=\"{PAD}\" y=\"46\">messages ({}; dark: published by the client)</text>",
            msgs.len()
        );
        for (t, d) in msgs {
            let tx = x(*t);
            let class = match d {
                TopicDirection::Publish => "pub",
                TopicDirection::Subscribe => "sub",
            };
            let _ = write!(
                s,
                "<line class=\"{class}\" x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"50\" y2=\"70\"/>"
            );
        }
    }
    let ay = h - 8.0;
    let _ = write!(
        s,
        "<text class=\"axis\" x=\"{PAD}\" y=\"{ay}\">{}</text>\
         <text class=\"axis\" x=\"{:.0}\" y=\"{ay}\" text-anchor=\"end\">{}</text>\
         <text class=\"axis\" x=\"{:.0}\" y=\"{ay}\" text-anchor=\"middle\">{} shown</text></svg>",
        esc(&format_rfc3339(t0)),
        W - PAD,
        esc(&format_rfc3339(t1)),
        W / 2.0,
        human_secs(span / 1e6)
    );
    s
}

/// The interval histogram on a log scale (beacons stand out as one tall bar whatever the
/// spread of the gaps around them), with the median marked.
pub(crate) fn histogram(iv: &[f64], what: &str) -> String {
    let positive: Vec<f64> = iv.iter().copied().filter(|v| *v > 0.0).collect();
    let (Some(lo), Some(hi)) = (
        positive.iter().copied().reduce(f64::min),
        positive.iter().copied().reduce(f64::max),
    ) else {
        return format!(
            "<p class=\"muted\">Too few {what} with distinct times for an interval histogram.</p>"
        );
    };
    let (llo, lhi) = ((lo / 1.5).log10(), (hi * 1.5).log10());
    let bin = |v: f64| -> usize {
        let f = (v.max(lo).log10() - llo) / (lhi - llo);
        ((f * BINS as f64) as usize).min(BINS - 1)
    };
    let mut counts = [0usize; BINS];
    for v in iv {
        counts[bin(*v)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (h, base) = (150.0, 120.0);
    let bw = (W - 2.0 * PAD) / BINS as f64;
    let edge = |i: usize| 10f64.powf(llo + (lhi - llo) * i as f64 / BINS as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"histogram\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"histogram of {} intervals between {what}\">",
        iv.len()
    );
    for (i, c) in counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let bh = *c as f64 / top * (base - 16.0);
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\">\
             <title>{c} intervals of {} to {}</title></rect>",
            PAD + i as f64 * bw + 1.0,
            base - bh,
            bw - 2.0,
            human_secs(edge(i)),
            human_secs(edge(i + 1)),
        );
    }
    if let Some(m) = median(iv) {
        let f = (m.max(lo).log10() - llo) / (lhi - llo);
        let mx = PAD + f * (W - 2.0 * PAD);
        let anchor = if f > 0.8 { "end" } else { "start" };
        let _ = write!(
            s,
            "<line class=\"median\" x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"8\" y2=\"{base}\"/>\
             <text class=\"median-label\" x=\"{:.1}\" y=\"14\" text-anchor=\"{anchor}\">median {}</text>",
            if anchor == "end" { mx - 4.0 } else { mx + 4.0 },
            human_secs(m)
        );
    }
    let _ = write!(
        s,
        "<line class=\"base\" x1=\"{PAD}\" x2=\"{:.0}\" y1=\"{base}\" y2=\"{base}\"/>\
         <text class=\"axis\" x=\"{PAD}\" y=\"{:.0}\">{}</text>\
         <text class=\"axis\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}</text>\
         <text class=\"axis\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{} intervals between {what} (log scale)</text></svg>",
        W - PAD,
        base + 16.0,
        human_secs(edge(0)),
        W - PAD,
        base + 16.0,
        human_secs(edge(BINS)),
        W / 2.0,
        base + 16.0,
        iv.len(),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_durations() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(intervals(&[0, 2_000_000, 5_000_000]), vec![2.0, 3.0]);
    }

    #[test]
    fn a_regular_series_puts_every_interval_in_one_bar() {
        let iv = vec![60.0; 30];
        let svg = histogram(&iv, "connection starts");
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 1);
        assert!(svg.contains("30 intervals of"));
        assert!(svg.contains("median 60 s"));
        assert!(histogram(&[0.0], "x").contains("Too few"));
    }
}
