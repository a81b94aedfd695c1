//! Tests of the group state budget: the water-fill level, the bound on what is kept while
//! reading and after, and alerts that do not depend on the order or split of the input when the
//! budget binds.

use super::*;
use crate::alert::Alert;
use crate::analytics::{Accumulator, Engine, HuntSummary};
use crate::app::{AppInfo, TopicDirection};
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use proptest::prelude::*;

/// The smallest budget accepted, with every suspicion reported and windows of a minute.
fn small_cfg() -> HuntConfig {
    let mut cfg = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false\n\
         [limits]\nmax_group_state_bytes = 16384",
    )
    .unwrap();
    cfg.window = "1m".parse().unwrap();
    cfg
}

/// Connection `i` of host `h`: a start every 7 s, a span, and an MQTT session whose messages
/// name topics of several lengths (so that topics are cut by name, not by arrival).
fn event(h: u8, i: u32) -> ConnEvent {
    let mut e = ConnEvent::tcp(
        format!("10.0.0.{h}").parse().unwrap(),
        "203.0.113.9".parse().unwrap(),
        1883,
    );
    let ts = 1_700_000_000_000_000 + i64::from(i) * 7_000_000 + i64::from(h) * 1_000;
    e.ts = Some(ts);
    e.end = Some(ts + 2_000_000);
    e.bytes_out = Some(100 + u64::from(i % 5));
    e.bytes_in = Some(40);
    let mut app = AppInfo::default();
    for m in 0..(i % 4) * 3 {
        let topic = format!("h{h}/{}", (i * 7 + m) % 11);
        app.add_message(
            ts + i64::from(m) * 1_000,
            TopicDirection::Publish,
            Some(&topic),
            b"x",
            1,
        );
    }
    e.app = Some(Box::new(app));
    e
}

/// Host `h` makes `n` connections.
fn input(hosts: u8, n: u32) -> Vec<ConnEvent> {
    (0..hosts)
        .flat_map(|h| (0..n).map(move |i| event(h, i)))
        .collect()
}

fn strip(alerts: &[Alert]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect()
}

/// Reads `parts` on separate accumulators (each in the order given) and merges them in turn.
fn run_split(cfg: &HuntConfig, parts: &[Vec<ConnEvent>]) -> (Vec<Alert>, HuntSummary) {
    let parts: Vec<Vec<Item>> = parts
        .iter()
        .map(|p| p.iter().map(|e| Item::Conn(Box::new(e.clone()))).collect())
        .collect();
    run_items(cfg, &parts)
}

/// `all` shuffled with a small LCG from `seed`, then dealt to `parts` readers.
fn deal<T: Clone>(all: &[T], seed: u64, parts: usize) -> Vec<Vec<T>> {
    let mut order: Vec<usize> = (0..all.len()).collect();
    let mut x = seed | 1;
    for i in (1..order.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (x >> 33) as usize % (i + 1));
    }
    let mut split: Vec<Vec<T>> = vec![Vec::new(); parts];
    for (n, i) in order.into_iter().enumerate() {
        split[(n + (seed as usize % 7)) % parts].push(all[i].clone());
    }
    split
}

/// What the accumulator's groups hold of each kind.
fn held(acc: &Accumulator) -> [u64; 5] {
    let mut out = [0; 5];
    for (_, g) in acc.groups.iter() {
        for t in Timeline::ALL {
            out[t as usize] += t.kept(g);
        }
    }
    out
}

#[test]
fn the_level_is_the_largest_that_fits() {
    assert_eq!(level(&mut [1, 2, 3], 6), None);
    assert_eq!(level(&mut [1, 2, 3], 5), Some(2));
    assert_eq!(level(&mut [10, 10, 1], 7), Some(3));
    assert_eq!(level(&mut [100; 4], 10), Some(2));
    assert_eq!(level(&mut [], 0), None);
}

proptest! {
    #[test]
    fn the_level_is_the_water_fill(
        counts in proptest::collection::vec(0u64..1000, 0..40),
        budget in 0u64..20_000,
    ) {
        let sum = |c: u64| counts.iter().map(|&n| n.min(c)).sum::<u64>();
        match level(&mut counts.clone(), budget) {
            None => prop_assert!(counts.iter().sum::<u64>() <= budget),
            Some(c) => {
                prop_assert!(sum(c) <= budget);
                prop_assert!(sum(c + 1) > budget);
            }
        }
    }
}

#[test]
fn a_reader_holds_at_most_one_and_a_half_budgets_and_the_rated_state_one() {
    let cfg = small_cfg();
    let b = Budget::of(&cfg.limits);
    let engine = Engine::new(cfg.clone());
    let mut acc = Accumulator::new();
    let mut most = [0u64; 5];
    for e in input(6, 300) {
        engine.observe(&e, &mut acc);
        for (m, h) in most.iter_mut().zip(held(&acc)) {
            *m = (*m).max(h);
        }
    }
    for t in Timeline::ALL {
        let cap = b.entries(t) / 2 * 3 + t.per_group_cap().min(64);
        assert!(
            most[t as usize] <= cap,
            "{t:?}: {} > {cap}",
            most[t as usize]
        );
    }
    // Without the budget the starts alone would be 1,800.
    assert!(most[Timeline::Starts as usize] < 1_800);
    let mut groups = acc.groups.into_map();
    let cuts = final_trim(&mut groups, &b);
    for t in Timeline::ALL {
        let kept: u64 = groups.values().map(|g| t.kept(g)).sum();
        assert!(kept <= b.entries(t), "{t:?}: {kept} > {}", b.entries(t));
    }
    let starts = cuts
        .iter()
        .find(|c| c.timeline == Timeline::Starts)
        .unwrap();
    assert_eq!(starts.groups, 6);
    assert_eq!(starts.level, b.entries(Timeline::Starts) / 6);
    // Every group keeps its earliest starts, and counts every connection.
    for g in groups.values() {
        assert_eq!(g.conn_starts.len() as u64, starts.level);
        assert_eq!(g.connections, 300);
        let first = g.conn_starts.iter().map(|s| s.ts).min();
        assert_eq!(first, g.first_seen);
    }
}

#[test]
fn the_budget_cut_is_reported_and_explained() {
    let cfg = small_cfg();
    let (alerts, summary) = run_split(&cfg, &[input(4, 200)]);
    let kinds: Vec<Timeline> = summary.budget.iter().map(|c| c.timeline).collect();
    assert!(kinds.contains(&Timeline::Starts), "{kinds:?}");
    assert!(kinds.contains(&Timeline::Topics), "{kinds:?}");
    assert_eq!(alerts.len(), 4);
    for a in &alerts {
        let r = a
            .reasons
            .iter()
            .find(|r| r.contains("group state budget"))
            .unwrap();
        assert!(r.contains("connection starts"), "{r}");
        assert_eq!(a.connections, 200);
    }
    // The default budget keeps it all.
    let (alerts, summary) = run_split(&HuntConfig::default(), &[input(4, 200)]);
    assert!(summary.budget.is_empty());
    assert!(
        alerts
            .iter()
            .all(|a| a.reasons.iter().all(|r| !r.contains("budget")))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn alerts_do_not_depend_on_order_or_split_when_the_budget_binds(
        seed in any::<u64>(),
        parts in 1usize..5,
    ) {
        let cfg = small_cfg();
        let events = input(5, 160);
        let (whole, whole_summary) = run_split(&cfg, std::slice::from_ref(&events));
        prop_assert!(!whole_summary.budget.is_empty());
        let (alerts, summary) = run_split(&cfg, &deal(&events, seed, parts));
        prop_assert_eq!(strip(&alerts), strip(&whole));
        prop_assert_eq!(summary.budget, whole_summary.budget);
    }
}

#[test]
fn the_default_budget_in_entries_is_the_documented_one() {
    let b = Budget::of(&crate::config::Limits::default());
    let got: Vec<(Timeline, u64, u64)> = Timeline::ALL
        .iter()
        .map(|&t| (t, t.entry_bytes(), b.entries(t)))
        .collect();
    // docs/bounds.md, "Group state budget".
    assert_eq!(
        got,
        vec![
            (Timeline::Starts, 32, 3_355_443),
            (Timeline::Spans, 24, 1_118_481),
            (Timeline::Windows, 48, 559_240),
            (Timeline::Messages, 40, 2_013_265),
            (Timeline::Topics, 568, 47_259),
        ]
    );
}

/// What one reader is given: a connection, or a content-log fact of a host's channel.
#[derive(Clone)]
enum Item {
    Conn(Box<ConnEvent>),
    /// Fact `i` of host `h`'s channel (the same channel as its connections).
    Fact(u8, u32),
}

/// Fact `i` of host `h`: six published messages on topics of several lengths.
fn fact(h: u8, i: u32) -> Box<AppInfo> {
    let mut app = AppInfo::default();
    let ts = 1_700_000_000_000_000 + i64::from(i) * 5_000_000 + i64::from(h) * 777;
    for m in 0..6u32 {
        let topic = format!("f{h}/{}", (i * 5 + m) % 13);
        app.add_message(
            ts + i64::from(m) * 1_000,
            TopicDirection::Publish,
            Some(&topic),
            b"y",
            1,
        );
    }
    Box::new(app)
}

fn items(hosts: u8, n: u32) -> Vec<Item> {
    let mut out: Vec<Item> = input(hosts, n)
        .into_iter()
        .map(|e| Item::Conn(Box::new(e)))
        .collect();
    for h in 0..hosts {
        out.extend((0..n).map(|i| Item::Fact(h, i)));
    }
    out
}

fn observe_item(engine: &Engine, item: &Item, acc: &mut Accumulator) {
    match item {
        Item::Conn(e) => {
            engine.observe(e, acc);
        }
        Item::Fact(h, i) => engine.observe_session_facts(
            format!("10.0.0.{h}").parse().unwrap(),
            "203.0.113.9".parse().unwrap(),
            1883,
            None,
            fact(*h, *i),
            acc,
        ),
    }
}

fn run_items(cfg: &HuntConfig, parts: &[Vec<Item>]) -> (Vec<Alert>, HuntSummary) {
    let engine = Engine::new(cfg.clone());
    let mut accs: Vec<Accumulator> = parts
        .iter()
        .map(|p| {
            let mut acc = Accumulator::new();
            for item in p {
                observe_item(&engine, item, &mut acc);
            }
            acc
        })
        .collect();
    let mut merged = accs.pop().unwrap_or_default();
    for a in accs {
        merged.merge(a, cfg);
    }
    engine.finish(merged)
}

#[test]
fn content_log_facts_are_held_to_their_share_of_the_budget_while_reading_and_after() {
    let cfg = small_cfg();
    let engine = Engine::new(cfg.clone());
    let b = Budget::of(&cfg.limits);
    let (groups_share, facts_share) = b.split_for_facts();
    let facts_entries: u64 = FACT_KINDS.iter().map(|&t| facts_share.entries(t)).sum();
    let mut acc = Accumulator::new();
    let mut most = 0;
    for item in items(5, 300) {
        observe_item(&engine, &item, &mut acc);
        most = most.max(facts_kept(&acc.session_facts));
    }
    // 5 channels × 300 facts × 6 messages arrived; at most 1.5 × the share is ever held.
    assert!(
        most <= facts_entries / 2 * 3,
        "{most} > 1.5 × {facts_entries}"
    );
    assert!(most > 0);
    // The groups, meanwhile, were held to their half of the message timings.
    let messages: u64 = acc
        .groups
        .iter()
        .map(|(_, g)| Timeline::Messages.kept(g))
        .sum();
    assert!(messages <= groups_share.entries(Timeline::Messages) / 2 * 3);
    let (_, summary) = engine.finish(acc);
    let facts_cuts: Vec<_> = summary.budget.iter().filter(|c| c.facts).collect();
    assert!(
        facts_cuts
            .iter()
            .any(|c| c.timeline == Timeline::Messages && c.groups == 5),
        "{:?}",
        summary.budget
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn with_content_log_facts_alerts_do_not_depend_on_order_or_split(
        seed in any::<u64>(),
        parts in 1usize..5,
    ) {
        let cfg = small_cfg();
        let all = items(4, 120);
        let (whole, whole_summary) = run_items(&cfg, std::slice::from_ref(&all));
        prop_assert!(whole_summary.budget.iter().any(|c| c.facts));
        let (alerts, summary) = run_items(&cfg, &deal(&all, seed, parts));
        prop_assert_eq!(strip(&alerts), strip(&whole));
        prop_assert_eq!(summary.budget, whole_summary.budget);
    }
}
