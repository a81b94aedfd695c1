//! The group state budget: one total, `limits.max_group_state_bytes`, over the heavy per-group
//! timelines (connection starts, connection spans, windows, message timings, topics), on top of
//! each group's own caps. Without it the total was the group cap times the per-group caps
//! (hundreds of GB); with it a hostile input of many busy groups costs a fixed amount.
//!
//! The budget is split into a number of entries per kind of timeline ([`Budget`]). For each kind
//! the level `c` is the water-fill of the groups' *full* counts of that kind (everything the
//! group saw, dropped or not, capped at the group's own cap): the largest `c` with
//! Σ min(n_i, c) ≤ budget. Every group then keeps its `c` first entries of that kind in the
//! order the kind already keeps them by (starts and spans earliest, windows earliest, message
//! timings earliest, topics smallest by name), so what is kept is a function of the whole input,
//! never of its order or of the thread count. Full counts only grow as input arrives, so a level
//! computed mid-run from partial counts is never below the final level: trimming mid-run to it
//! keeps a superset of what the final trim keeps, and the final trim (after every accumulator
//! merged) gives the same groups whatever was trimmed before.
//!
//! A reader's accumulator is trimmed when its kept entries of a kind may exceed 1.5 times the
//! kind's budget (an upper bound counted as events arrive, checked exactly then), and trimmed
//! back to the budget; merged accumulators likewise; the merged state is trimmed to the budget
//! once before rating. So each reader thread holds at most about 1.5 times the budget while
//! reading, and the rated state at most the budget.

use super::facts::SessionFacts;
use super::group::{ConnStart, GroupStats, MAX_SPANS_PER_GROUP, MAX_STARTS_PER_GROUP};
use super::group::{GroupMap, MAX_WINDOWS_PER_GROUP};
pub use super::timeline::Timeline;
use crate::app::{AppInfo, MAX_MESSAGES, MAX_NAME_BYTES, MAX_TOPICS, MessageEvent, TopicUse};
use crate::behaviour::interactive::ConnSpan;
use crate::config::Limits;

impl Timeline {
    /// What one kept entry is charged, in bytes: its size, and for a window its tree node's
    /// share, for a topic its longest name.
    pub fn entry_bytes(self) -> u64 {
        let n = match self {
            Timeline::Starts => size_of::<ConnStart>(),
            Timeline::Spans => size_of::<ConnSpan>(),
            Timeline::Windows => 3 * size_of::<(i64, u64)>(),
            Timeline::Messages => size_of::<MessageEvent>(),
            Timeline::Topics => size_of::<TopicUse>() + MAX_NAME_BYTES,
        };
        n as u64
    }

    /// Percent of the budget's bytes the kind gets: the beacon analysis lives on connection
    /// starts and message timings, so they get most.
    fn share_percent(self) -> u64 {
        match self {
            Timeline::Starts => 40,
            Timeline::Spans => 10,
            Timeline::Windows => 10,
            Timeline::Messages => 30,
            Timeline::Topics => 10,
        }
    }

    /// The group's own cap on the kind.
    pub fn per_group_cap(self) -> u64 {
        (match self {
            Timeline::Starts => MAX_STARTS_PER_GROUP,
            Timeline::Spans => MAX_SPANS_PER_GROUP,
            Timeline::Windows => MAX_WINDOWS_PER_GROUP,
            Timeline::Messages => MAX_MESSAGES,
            Timeline::Topics => MAX_TOPICS,
        }) as u64
    }

    /// Everything the group saw of the kind (dropped or not), at most its own cap: a count that
    /// only grows as input arrives and that sums over any split of the input.
    fn full(self, g: &GroupStats) -> u64 {
        let n = match self {
            Timeline::Starts => g.starts_seen,
            Timeline::Spans => g.spans_seen,
            Timeline::Windows => g.windows.values().sum::<u64>() + g.windows_dropped,
            Timeline::Messages | Timeline::Topics => {
                g.app.as_deref().map_or(0, |a| self.app_full(a))
            }
        };
        n.min(self.per_group_cap())
    }

    /// [`full`](Self::full) of the kinds a session's content holds (message timings, topics).
    fn app_full(self, a: &AppInfo) -> u64 {
        let n = match self {
            Timeline::Messages => a.message_count(),
            Timeline::Topics => a.topic_uses,
            _ => 0,
        };
        n.min(self.per_group_cap())
    }

    /// The entries of the kind a session's content holds now.
    fn app_kept(self, a: &AppInfo) -> u64 {
        (match self {
            Timeline::Messages => a.messages.len(),
            Timeline::Topics => a.topics.len(),
            _ => 0,
        }) as u64
    }

    /// Keeps a session's content's first `c` entries of the kind.
    fn app_trim(self, a: &mut AppInfo, c: usize) {
        match self {
            Timeline::Messages if a.messages.len() > c => {
                a.keep_earliest_messages(c);
                a.messages.shrink_to_fit();
            }
            Timeline::Topics if a.topics.len() > c => {
                a.keep_smallest_topics(c);
                a.topics.shrink_to_fit();
            }
            _ => {}
        }
    }

    /// The entries the group holds now.
    fn kept(self, g: &GroupStats) -> u64 {
        (match self {
            Timeline::Starts => g.conn_starts.len(),
            Timeline::Spans => g.conn_spans.len(),
            Timeline::Windows => g.windows.len(),
            Timeline::Messages | Timeline::Topics => {
                return g.app.as_deref().map_or(0, |a| self.app_kept(a));
            }
        }) as u64
    }

    /// Keeps the group's first `c` entries of the kind.
    fn trim(self, g: &mut GroupStats, c: u64) {
        let c = usize::try_from(c).unwrap_or(usize::MAX);
        match self {
            // Each cut gives its memory back: the budget is about what is allocated.
            Timeline::Starts if g.conn_starts.len() > c => {
                g.conn_starts.sort_unstable();
                g.conn_starts.truncate(c);
                g.conn_starts.shrink_to_fit();
            }
            Timeline::Spans if g.conn_spans.len() > c => {
                g.conn_spans.sort_unstable();
                g.conn_spans.truncate(c);
                g.conn_spans.shrink_to_fit();
            }
            Timeline::Windows => {
                while g.windows.len() > c {
                    if let Some((_, n)) = g.windows.pop_last() {
                        g.windows_dropped += n;
                    }
                }
            }
            Timeline::Messages | Timeline::Topics => {
                if let Some(a) = g.app.as_deref_mut() {
                    self.app_trim(a, c);
                }
            }
            _ => {}
        }
    }
}

/// The budget in entries per kind of timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    entries: [u64; 5],
    /// The configured total, for messages.
    pub bytes: u64,
}

impl Budget {
    pub fn of(limits: &Limits) -> Budget {
        let bytes = limits.max_group_state_bytes;
        let mut entries = [0; 5];
        for t in Timeline::ALL {
            let n = u128::from(bytes) * u128::from(t.share_percent())
                / 100
                / u128::from(t.entry_bytes());
            entries[t.index()] = u64::try_from(n).unwrap_or(u64::MAX).max(1);
        }
        Budget { entries, bytes }
    }

    pub fn entries(&self, t: Timeline) -> u64 {
        self.entries[t.index()]
    }

    /// The budget split when content-log facts (Zeek `mqtt_*.log`) are kept beside the groups
    /// until rating: half of the message timings and topics for the groups, half for the facts,
    /// so the total still holds. Returns (the groups' budget, the facts' budget).
    pub(super) fn split_for_facts(&self) -> (Budget, Budget) {
        let (mut groups, mut facts) = (*self, *self);
        for t in FACT_KINDS {
            let n = self.entries[t.index()];
            groups.entries[t.index()] = (n / 2).max(1);
            facts.entries[t.index()] = (n - n / 2).max(1);
        }
        (groups, facts)
    }
}

/// The kinds of timeline content-log facts hold.
pub(super) const FACT_KINDS: [Timeline; 2] = [Timeline::Messages, Timeline::Topics];

/// Trims content-log facts to their budget (`split_for_facts`), each channel keeping its first
/// `c` entries of a kind, `c` the water-fill of the facts' full counts. Those only grow as input
/// arrives, so as with the groups a trim while reading keeps a superset of what the final trim
/// keeps, and the final trim gives the same facts whatever the order or split of the input.
/// Returns where the budget bound.
pub(super) fn trim_facts(facts: &mut SessionFacts, b: &Budget) -> Vec<BudgetCut> {
    let mut cuts = Vec::new();
    for t in FACT_KINDS {
        let mut counts: Vec<u64> = facts.values().map(|a| t.app_full(a)).collect();
        let Some(c) = level(&mut counts, b.entries(t)) else {
            continue;
        };
        let mut cut = 0;
        for a in facts.values_mut() {
            if t.app_full(a) > c {
                cut += 1;
            }
            t.app_trim(a, usize::try_from(c).unwrap_or(usize::MAX));
        }
        cuts.push(BudgetCut {
            timeline: t,
            level: c,
            groups: cut,
            budget: b.entries(t),
            facts: true,
        });
    }
    cuts
}

/// The entries content-log facts hold now, over the kinds they hold.
pub(super) fn facts_kept(facts: &SessionFacts) -> u64 {
    facts
        .values()
        .map(|a| FACT_KINDS.iter().map(|t| t.app_kept(a)).sum::<u64>())
        .sum()
}

/// Where the budget bound one kind of timeline in the final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetCut {
    pub timeline: Timeline,
    /// The level: each group kept at most this many entries of the kind.
    pub level: u64,
    /// Groups that saw more than the level (and kept only the level).
    pub groups: usize,
    /// The kind's budget, in entries.
    pub budget: u64,
    /// The cut was of content-log facts (Zeek `mqtt_*.log`) kept apart until rating, per
    /// channel, not of the groups.
    pub facts: bool,
}

/// One group's kinds cut by the final level: (kind, level, its full count).
pub use super::timeline::GroupCuts;

/// The water-fill level of `counts` under `budget`: the largest `c` with Σ min(n, c) ≤
/// budget, or `None` when the counts fit whole.
pub fn level(counts: &mut [u64], budget: u64) -> Option<u64> {
    counts.sort_unstable();
    let mut left = budget;
    let len = counts.len() as u64;
    for (i, &n) in counts.iter().enumerate() {
        let rest = len - i as u64;
        if n.saturating_mul(rest) > left {
            return Some(left / rest);
        }
        left -= n;
    }
    None
}

/// Upper bounds on an accumulator's kept entries per kind, counted as events arrive, so the
/// exact count (a pass over the groups) is taken only when they may be over 1.5 × the budget;
/// and the lowest level a trim of this accumulator set per kind.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Held([u64; 5], [Option<u64>; 5]);

impl Held {
    /// Keeps a group that just grew within the lowest level set so far (with half again as
    /// slack, so the sort is paid once per `c / 2` new entries). Any level computed from part
    /// of the input is at least the final one, so this keeps what the final trim keeps; and a
    /// new session's thousands of timings are cut as they arrive instead of living until the
    /// next pass, which is what keeps the allocator's heap from filling with their holes.
    pub(super) fn keep_level(&self, g: &mut GroupStats) {
        for t in Timeline::ALL {
            if let Some(c) = self.1[t.index()]
                && t.kept(g) > c.saturating_add(c / 2).max(1)
            {
                t.trim(g, c);
            }
        }
    }

    pub(super) fn add(&mut self, t: Timeline, n: u64) {
        let v = &mut self.0[t.index()];
        *v = v.saturating_add(n);
    }

    pub(super) fn over(&self, b: &Budget) -> bool {
        Timeline::ALL
            .iter()
            .any(|&t| self.0[t.index()] > b.entries(t) / 2 * 3)
    }
}

/// Trims the groups of a reader or of a merge back to the budget when some kind holds more than
/// it; resets `held` to what is held after.
pub(super) fn trim_to_budget(groups: &mut GroupMap, b: &Budget, held: &mut Held) {
    for t in Timeline::ALL {
        let kept: u64 = groups.values().map(|g| t.kept(g)).sum();
        held.0[t.index()] = kept;
        if kept > b.entries(t) {
            let mut counts: Vec<u64> = groups.values().map(|g| t.full(g)).collect();
            let c = level(&mut counts, b.entries(t)).unwrap_or(t.per_group_cap());
            for g in groups.values_mut() {
                t.trim(g, c);
            }
            let lowest = &mut held.1[t.index()];
            *lowest = Some(lowest.map_or(c, |l| l.min(c)));
            held.0[t.index()] = groups.values().map(|g| t.kept(g)).sum();
        }
    }
}

/// The final trim, of the merged groups before rating, from the final counts: every group keeps
/// at most the level and its own cap of each kind. Returns where the budget bound, and notes it
/// in each group cut ([`GroupStats::budget_cuts`]).
pub(super) fn final_trim(groups: &mut GroupMap, b: &Budget) -> Vec<BudgetCut> {
    let mut cuts = Vec::new();
    for t in Timeline::ALL {
        let mut counts: Vec<u64> = groups.values().map(|g| t.full(g)).collect();
        let level = level(&mut counts, b.entries(t));
        let c = level.unwrap_or(t.per_group_cap());
        let mut cut = 0;
        for g in groups.values_mut() {
            let full = t.full(g);
            if level.is_some() && full > c {
                cut += 1;
                g.budget_cuts.push((t, c, full));
            }
            t.trim(g, c);
        }
        if let Some(level) = level {
            cuts.push(BudgetCut {
                timeline: t,
                level,
                groups: cut,
                budget: b.entries(t),
                facts: false,
            });
        }
    }
    cuts
}

/// The reason an alert gives when the budget cut its group's timelines.
pub(super) fn reason(cuts: &GroupCuts) -> Option<String> {
    if cuts.is_empty() {
        return None;
    }
    let parts: Vec<String> = cuts
        .iter()
        .map(|(t, c, full)| {
            format!(
                "at most {c} of its {full} {} (the {})",
                t.describe(),
                t.kept_first()
            )
        })
        .collect();
    Some(format!(
        "the run's group state budget (limits.max_group_state_bytes) was reached: this channel's \
         judgement kept {}",
        parts.join(", ")
    ))
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
