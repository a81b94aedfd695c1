//! Tests of the bounded session and group state in `app.rs`: sets, topics and timings kept the
//! same whatever the order, and hostile sessions at a fixed cost.

use super::*;

#[test]
fn sets_keep_smallest_whatever_the_order() {
    let names: Vec<String> = (0..40).map(|i| format!("c{i:02}")).collect();
    let mut a = AppInfo::default();
    let mut b = AppInfo::default();
    for n in &names {
        a.add_client_id(n);
    }
    for n in names.iter().rev() {
        b.add_client_id(n);
    }
    assert_eq!(a.client_ids, b.client_ids);
    assert_eq!(a.client_ids.len(), MAX_IDENTITIES);
    assert_eq!(a.client_ids.first().map(String::as_str), Some("c00"));
}

#[test]
fn merge_counts_topics_and_remaps_messages() {
    let mut a = AppInfo::default();
    a.add_message(1, TopicDirection::Publish, Some("x"), b"hi", 2);
    let mut b = AppInfo::default();
    b.add_message(2, TopicDirection::Publish, Some("y"), b"hi", 2);
    b.add_message(3, TopicDirection::Publish, Some("x"), b"hi", 2);
    a.merge(&b);
    assert_eq!(a.topics.len(), 2);
    assert_eq!(a.topics[0].name, "x");
    assert_eq!(a.topics[0].messages, 2);
    let topics: Vec<_> = a
        .messages
        .iter()
        .map(|m| a.topic_of(m).unwrap().name.as_str())
        .collect();
    assert_eq!(topics, vec!["x", "y", "x"]);
}

#[test]
fn kept_topics_and_timings_do_not_depend_on_the_order_sessions_merge_in() {
    // Three sessions over 100 topics in all, 3,000 messages each.
    let session = |k: u32| {
        let mut a = AppInfo::default();
        for i in 0..3_000u32 {
            let topic = format!("t/{:03}", (i * 7 + k * 13) % (40 + 30 * k));
            let ts = i64::from(i) * 1_000 + i64::from(k);
            a.add_message(ts, TopicDirection::Publish, Some(&topic), b"p", 1);
        }
        a
    };
    let parts = [session(0), session(1), session(2)];
    let merged = |order: &[usize]| {
        let mut g = AppInfo::default();
        for &i in order {
            g.merge(&parts[i]);
        }
        g.settle();
        let mut topics: Vec<(String, u64)> = g
            .topics
            .iter()
            .map(|t| (t.name.clone(), t.messages))
            .collect();
        topics.sort();
        let mut timings: Vec<(i64, Option<String>)> = g
            .messages
            .iter()
            .map(|m| (m.ts, g.topic_of(m).map(|t| t.name.clone())))
            .collect();
        timings.sort();
        (topics, timings, g.topics_dropped, g.message_count())
    };
    let a = merged(&[0, 1, 2]);
    assert_eq!(a, merged(&[2, 1, 0]));
    assert_eq!(a, merged(&[1, 2, 0]));
    // The smallest 64 names are kept, every use counted.
    assert_eq!(a.0.len(), MAX_TOPICS);
    assert_eq!(a.0.last().map(|t| t.0.as_str()), Some("t/063"));
    let kept: u64 = a.0.iter().map(|t| t.1).sum();
    assert_eq!(kept + a.2, 9_000);
    // The earliest timings of the union, each naming its own topic when kept.
    assert_eq!(a.1.len(), MAX_MESSAGES);
    assert_eq!(a.3, 9_000);
    assert!(a.1.iter().all(|(ts, t)| t.as_ref().is_none_or(|n| {
        let i = ts / 1_000;
        let k = ts % 1_000;
        *n == format!("t/{:03}", (i * 7 + k * 13) % (40 + 30 * k))
    })));
}

#[test]
fn long_names_are_cut_on_char_boundaries() {
    let s = "é".repeat(400);
    let cut = bounded_name(&s);
    assert!(cut.len() <= MAX_NAME_BYTES);
    assert!(s.starts_with(cut));
}

#[test]
fn a_week_of_messages_is_thinned_over_the_whole_span_and_still_counted() {
    // One publication every 30 s for a week: 20 160 messages, five times the cap.
    let mut a = AppInfo::default();
    let n: i64 = 7 * 24 * 120;
    for i in 0..n {
        a.add_message(i * 30_000_000, TopicDirection::Publish, Some("t"), b"x", 1);
    }
    assert!(a.messages.len() <= MAX_MESSAGES);
    assert!(a.messages.len() > MAX_MESSAGES / 4);
    assert_eq!(a.message_count(), n as u64);
    // The kept timings reach the end of the week, not only its first days.
    let last = a.messages.iter().map(|m| m.ts).max().unwrap();
    assert!(last >= (n - 64) * 30_000_000, "{last}");
    // Thinned evenly: every kept interval is one stride of the original period.
    let stride = i64::from(a.message_stride);
    let mut ts: Vec<i64> = a.messages.iter().map(|m| m.ts).collect();
    ts.sort_unstable();
    let late: Vec<i64> = ts
        .windows(2)
        .skip(ts.len() / 2)
        .map(|w| w[1] - w[0])
        .collect();
    assert!(late.iter().all(|d| *d == stride * 30_000_000), "{late:?}");
    // Merging two such sessions stays bounded and keeps the total.
    let b = a.clone();
    a.merge(&b);
    a.settle();
    assert!(a.messages.len() <= MAX_MESSAGES);
    assert_eq!(a.message_count(), 2 * n as u64);
}

#[test]
fn a_million_topics_cost_a_fixed_amount_and_are_counted() {
    let mut a = AppInfo::default();
    let long = "x".repeat(1 << 20);
    for i in 0..1_000_000u32 {
        let name = if i == 7 {
            long.clone()
        } else {
            format!("t/{i}")
        };
        a.add_message(i64::from(i), TopicDirection::Publish, Some(&name), b"p", 1);
    }
    assert_eq!(a.topics.len(), MAX_TOPICS);
    assert_eq!(a.topics_dropped, 1_000_000 - MAX_TOPICS as u64);
    assert!(a.topics.iter().all(|t| t.name.len() <= MAX_NAME_BYTES));
    assert!(a.messages.len() <= MAX_MESSAGES);
    assert_eq!(a.message_count(), 1_000_000);
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.contains("\"topics_dropped\":999936"), "{json}");
}
