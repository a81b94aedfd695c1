//! When in the day a host starts its other connections, for the host census: twelve two-hour
//! bins of the UTC clock. A person's machine (a workstation, a laptop) does most of its work in
//! its owner's working hours, whatever the time zone: its busiest half of the day holds nearly
//! all of it. A server answers and fetches around the clock, and its busiest half holds little
//! more than half. The judgement needs no time zone: which half is busiest does not matter, only
//! how much of the day's work it holds (docs/allowlist.md, a person's chat client).

use crate::time::Micros;

const HOUR: Micros = 3_600_000_000;
const DAY: Micros = 24 * HOUR;
/// Bins of the day, two hours each.
pub const BINS: usize = 12;

/// Fewest other connections that say when in the day a host works: four a bin on average.
pub const MIN_PROFILED: u64 = 48;
/// Fewest bins holding any connection: a profile taken over less than a day (a capture of a
/// few hours) says nothing of the night.
pub const MIN_BINS_USED: usize = 10;
/// Largest share of the connections the busiest half of the day holds on a host that works
/// around the clock. A person's workstation holds 90 % and more there even when it stays on
/// overnight with its background traffic; a server's is near 50–65 %.
pub const ROUND_THE_CLOCK_SHARE: f64 = 0.75;

/// Connections counted per two-hour bin of the UTC day. Sums saturate, so joining profiles is
/// order-independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayProfile {
    bins: [u32; BINS],
}

impl DayProfile {
    /// Counts a connection started at `ts`.
    pub fn add(&mut self, ts: Micros) {
        let bin = (ts.rem_euclid(DAY) / (2 * HOUR)) as usize;
        if let Some(b) = self.bins.get_mut(bin) {
            *b = b.saturating_add(1);
        }
    }

    /// Joins another profile of the same host.
    pub fn merge(&mut self, other: &DayProfile) {
        for (a, b) in self.bins.iter_mut().zip(other.bins) {
            *a = a.saturating_add(b);
        }
    }

    /// Connections counted.
    pub fn total(&self) -> u64 {
        self.bins.iter().map(|&b| u64::from(b)).sum()
    }

    /// The share of the connections the busiest six bins (half the day) hold.
    pub fn busiest_half_share(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let mut bins = self.bins;
        bins.sort_unstable_by(|a, b| b.cmp(a));
        let busiest: u64 = bins[..BINS / 2].iter().map(|&b| u64::from(b)).sum();
        busiest as f64 / total as f64
    }

    /// Whether the host works around the clock, as a server does: at least [`MIN_PROFILED`]
    /// connections over at least [`MIN_BINS_USED`] bins, and its busiest half of the day holds
    /// less than [`ROUND_THE_CLOCK_SHARE`] of them.
    pub fn around_the_clock(&self) -> bool {
        self.total() >= MIN_PROFILED
            && self.bins.iter().filter(|&&b| b > 0).count() >= MIN_BINS_USED
            && self.busiest_half_share() < ROUND_THE_CLOCK_SHARE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn profile(per_hour: [u32; 24]) -> DayProfile {
        let mut p = DayProfile::default();
        for (h, &n) in per_hour.iter().enumerate() {
            for k in 0..n {
                p.add(3 * DAY + h as Micros * HOUR + Micros::from(k) * 1_000_000);
            }
        }
        p
    }

    #[test]
    fn a_server_works_around_the_clock_and_a_workstation_does_not() {
        // Counts per UTC hour of a third-model server and of a workstation in UTC−6.
        let server = profile([
            94, 92, 100, 104, 89, 107, 98, 145, 148, 156, 158, 168, 175, 162, 132, 123, 138, 152,
            141, 90, 78, 99, 98, 84,
        ]);
        assert!(server.around_the_clock(), "{}", server.busiest_half_share());
        let workstation = profile([
            2, 2, 3, 4, 5, 6, 4, 3, 8, 73, 91, 77, 48, 74, 70, 78, 49, 5, 1, 2, 3, 2, 2, 6,
        ]);
        assert!(!workstation.around_the_clock());
        assert!(workstation.busiest_half_share() > 0.9);
        // Left on overnight, its background traffic does not make it a server.
        let mut on_overnight = [20; 24];
        on_overnight[8..18].fill(100);
        assert!(!profile(on_overnight).around_the_clock());
    }

    #[test]
    fn a_few_hours_or_a_few_connections_say_nothing() {
        let mut few_hours = [0; 24];
        few_hours[..8].fill(50);
        assert!(!profile(few_hours).around_the_clock());
        assert!(!profile([1; 24]).around_the_clock());
        assert!(profile([2; 24]).around_the_clock());
        assert!(!DayProfile::default().around_the_clock());
    }

    #[test]
    fn times_before_the_epoch_fall_in_their_bin() {
        let mut p = DayProfile::default();
        p.add(-HOUR);
        assert_eq!(p.bins[11], 1);
    }

    proptest! {
        #[test]
        fn joining_is_order_independent(
            a in proptest::collection::vec(any::<i64>(), 0..200),
            b in proptest::collection::vec(any::<i64>(), 0..200),
        ) {
            let of = |ts: &[i64]| {
                let mut p = DayProfile::default();
                ts.iter().for_each(|&t| p.add(t));
                p
            };
            let (mut ab, mut ba) = (of(&a), of(&b));
            ab.merge(&of(&b));
            ba.merge(&of(&a));
            prop_assert_eq!(ab, ba);
            prop_assert_eq!(ab, of(&[a, b].concat()));
        }
    }
}
