//! Tasking on a check-in timer: whether the server of a timer of short connections answers some
//! check-ins with more than it usually sends. An implant that reconnects for every poll
//! connects, subscribes to its command topic (or declares its task queue), publishes its beacon
//! and leaves; the broker answers with acknowledgements (MQTT's CONNACK and SUBACK, 9 bytes)
//! when no task waits, and with the task's message when one does. A device's or an agent's
//! telemetry timer publishes and is answered with acknowledgements alone, every time, however
//! much it sends. Connection logs record both byte counts of every connection, so this needs
//! nothing but Zeek conn.log (docs/beacon-and-scoring.md, tasked check-ins).
//!
//! One large reply is not tasking: a session's first answer may carry what a later one does not
//! (a certificate chain, a roster, retained messages); a held session's replies are what its
//! subscriptions deliver, so only timers of connections that close within a minute are judged.
//! Nor does a server that usually sends nothing answer check-ins: every check-in is answered with
//! at least an acknowledgement, so connections whose usual reply is empty were refused, cut, or
//! pieces of a session the source split.
//!
//! TLS check-ins carry the handshake in their byte counts, and a resumed handshake is smaller
//! than a full one (the server's certificate chain, a few kilobytes): a client that resumes its
//! sessions and now and then handshakes in full shows occasional large replies too. Those are
//! one greeting repeated, all of about one size, where tasks differ; large replies within a
//! tenth of each other's size are not counted as tasks. The weight is a modest one all the same,
//! and it counts only beside a standing timer.

use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::time::Micros;

/// Fewest check-ins with known byte counts judged: a timer, not a few tries.
pub const MIN_CHECK_INS: usize = 10;
/// Longest median connection judged: a check-in connects, exchanges and leaves in seconds; a
/// held session delivers what it subscribed to, which is not a reply to a check-in.
pub const MAX_CHECK_IN: Micros = 60 * 1_000_000;
/// Least bytes beyond the usual reply that make a reply carry something: a message with a
/// body, not one more acknowledgement (MQTT's PUBACK is 4 bytes, a SUBACK 5, a PINGRESP 2).
pub const MIN_EXTRA_BYTES: u64 = 64;
/// Fewest replies carrying something: one is a first greeting, two are a channel that delivers.
pub const MIN_TASKED: usize = 2;
/// The large replies must differ in size by more than a tenth of the largest
/// (`(largest − smallest) × GREETING_SPREAD > largest`): the same greeting repeated is one size.
pub const GREETING_SPREAD: u64 = 10;

/// `tasked_check_ins` when, on a timer of at least [`MIN_CHECK_INS`] connections whose median
/// lasts at most [`MAX_CHECK_IN`], at least [`MIN_TASKED`] replies and at most half of them
/// carried at least [`MIN_EXTRA_BYTES`] and twice the usual (median) reply: the server delivered
/// something now and then, as an implant's broker delivers its tasks. The caller judges only
/// channels whose own connection timer stands as a beacon, and only when the source recorded
/// the end of most of their connections.
///
/// `replies` are the bytes the server sent on each connection whose byte counts the source
/// recorded; `durations` the lengths of (a sample of) the connections whose end it recorded.
pub fn score_tasked_check_ins(
    replies: &[u64],
    durations: &[Micros],
    w: &Weights,
) -> Option<Signal> {
    if replies.len() < MIN_CHECK_INS {
        return None;
    }
    let held = super::device::median_length(&mut durations.to_vec())?.max(0);
    if held > MAX_CHECK_IN {
        return None;
    }
    let mut replies = replies.to_vec();
    replies.sort_unstable();
    let usual = *replies.get(replies.len() / 2)?;
    if usual == 0 {
        // A server that usually sends nothing, not even an acknowledgement, did not answer
        // check-ins: refused or cut connections, or fragments of one session.
        return None;
    }
    let carrying = usual.saturating_add(usual.max(MIN_EXTRA_BYTES));
    let tasked = replies.iter().filter(|&&b| b >= carrying).count();
    if tasked < MIN_TASKED || 2 * tasked > replies.len() {
        return None;
    }
    // `replies` is sorted, so the large ones are its last `tasked`.
    let smallest = replies[replies.len() - tasked];
    let largest = replies.last().copied().unwrap_or(0);
    if largest
        .saturating_sub(smallest)
        .saturating_mul(GREETING_SPREAD)
        <= largest
    {
        // Large replies all of one size are one greeting repeated (a full TLS handshake's
        // certificate chain between resumed ones), not tasks, which differ.
        return None;
    }
    Some(Signal::new(
        SignalId::TaskedCheckIns,
        w.tasked_check_ins,
        format!(
            "{tasked} of {} check-ins (connections of {:.1} s at the median) were answered with \
             {carrying} bytes or more (up to {largest}), where the server usually sends {usual}: \
             a timer that is delivered something now and then, as an implant's broker delivers \
             its tasks; a telemetry timer is answered with acknowledgements alone",
            replies.len(),
            held as f64 / 1e6
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn judge(replies: &[u64], secs: f64) -> Option<Signal> {
        let durations = vec![(secs * 1e6) as Micros; replies.len()];
        score_tasked_check_ins(replies, &durations, &Weights::default())
    }

    /// `n` replies of CONNACK and SUBACK (9 bytes), `tasks` of them tasks of different sizes
    /// (`task_bytes`, then a third larger each time).
    fn acks_with_tasks(n: usize, tasks: usize, task_bytes: u64) -> Vec<u64> {
        let every = n / tasks.max(1);
        (0..n)
            .map(|i| {
                let k = (i / every) as u64;
                if i % every == 0 && k < tasks as u64 {
                    task_bytes + k * task_bytes / 3
                } else {
                    9
                }
            })
            .collect()
    }

    #[test]
    fn a_poll_that_receives_tasks_now_and_then_is_tasked() {
        let w = Weights::default();
        let replies = acks_with_tasks(300, 6, 420);
        let s = judge(&replies, 1.5).expect("tasked");
        assert_eq!(s.id, SignalId::TaskedCheckIns);
        assert_eq!(s.weight, w.tasked_check_ins);
        assert!(s.reason.contains("6 of 300 check-ins"), "{}", s.reason);
        assert!(s.reason.contains("usually sends 9"), "{}", s.reason);
    }

    #[test]
    fn acknowledgements_alone_are_telemetry() {
        // A Telegraf flush answered by CONNACK only; a sensor whose QoS 1 publish adds a PUBACK.
        assert!(judge(&[4; 200], 0.05).is_none());
        let wake: Vec<u64> = (0..200).map(|i| if i % 2 == 0 { 4 } else { 8 }).collect();
        assert!(judge(&wake, 0.3).is_none());
    }

    #[test]
    fn one_large_first_reply_is_a_greeting() {
        let mut replies = vec![350; 40];
        replies[0] = 5600;
        assert!(judge(&replies, 0.3).is_none());
        replies[7] = 2100;
        assert!(judge(&replies, 0.3).is_some());
    }

    #[test]
    fn held_sessions_and_unknown_ends_are_not_judged() {
        let w = Weights::default();
        let replies = acks_with_tasks(100, 5, 3000);
        assert!(judge(&replies, 3600.0).is_none());
        // No end known.
        assert!(score_tasked_check_ins(&replies, &[], &w).is_none());
    }

    #[test]
    fn replies_that_always_carry_data_are_not_occasional_tasks() {
        // Half or more of the replies large: the usual reply is data, not an acknowledgement.
        let replies: Vec<u64> = (0..100)
            .map(|i| if i % 2 == 0 { 9 } else { 2000 })
            .collect();
        assert!(judge(&replies, 1.0).is_none());
    }

    #[test]
    fn a_server_that_usually_says_nothing_answered_no_check_in() {
        let mut replies = vec![0; 150];
        for r in replies.iter_mut().step_by(12) {
            *r = 3300;
        }
        assert!(judge(&replies, 0.0).is_none());
    }

    #[test]
    fn full_handshakes_between_resumed_ones_are_one_greeting() {
        // Apple push over a week: resumed handshakes of ~300 bytes, six full ones of ~5.5 kB.
        let mut replies = vec![300; 70];
        for (i, size) in [5368, 5420, 5489, 5455, 5402, 5470].into_iter().enumerate() {
            replies[5 + 11 * i] = size;
        }
        assert!(judge(&replies, 0.3).is_none());
        // Tasks differ in size.
        replies[62] = 900;
        let s = judge(&replies, 0.3).expect("tasks of different sizes");
        assert!(s.reason.contains("7 of 70 check-ins"), "{}", s.reason);
    }

    #[test]
    fn too_few_check_ins_are_not_judged() {
        assert!(judge(&[9, 9, 9, 500, 500, 9, 9, 9, 9], 1.0).is_none());
    }

    proptest! {
        #[test]
        fn never_panics_and_never_fires_on_constant_replies(
            reply in 0u64..u64::MAX,
            n in 0usize..400,
            secs in -10.0f64..100.0,
        ) {
            prop_assert!(judge(&vec![reply; n], secs).is_none());
        }

        #[test]
        fn arbitrary_replies_never_panic(
            replies in proptest::collection::vec(0u64..u64::MAX, 0..300),
            durations in proptest::collection::vec(i64::MIN..i64::MAX, 0..300),
        ) {
            let _ = score_tasked_check_ins(&replies, &durations, &Weights::default());
        }
    }
}
