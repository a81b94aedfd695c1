//! The deterministic random source of the generators: SplitMix64 (Steele, Lea and Flood, 2014),
//! plus the few distributions the traffic model draws from.
//!
//! A generator is written here rather than taken from a crate so that a seed names one data set
//! forever: the output cannot change under a dependency upgrade, and it is the same on every
//! platform. SplitMix64 is tiny, fast (one multiply-xorshift chain per draw) and passes BigCrush,
//! which is far more than synthetic network logs need.

/// SplitMix64 state. Cloning gives an identical stream.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// An independent stream for one part of the model (`stream` names the part), so that
    /// drawing more numbers in one part (say, more background lines) never shifts another (the
    /// planted channels).
    pub fn for_stream(seed: u64, stream: u64) -> Self {
        let mut mixer = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        SplitMix64::new(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0). Lemire's multiply-shift: the bias is below 2^-32
    /// for every `n` used here, invisible in traffic statistics.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`; `lo` when `hi < lo`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// Exponentially distributed with the given mean (gaps of a Poisson process).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Standard normal (Box–Muller; one of the pair is dropped, simplicity over speed).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median: byte counts and durations of network flows are
    /// heavy-tailed, and this is the usual model for them.
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// A uniformly chosen element. The tables passed are non-empty constants of the model.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An element chosen with probability proportional to its weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u64 = items.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut ticket = self.below(total);
        for (w, item) in items {
            let w = u64::from(*w);
            if ticket < w {
                return item;
            }
            ticket -= w;
        }
        &items[items.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_first_outputs() {
        // Reference values of SplitMix64 seeded with 0 (as in the original paper's code).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::for_stream(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::for_stream(7, 2);
                move |_| r.next_u64()
            })
            .collect();
        let a2: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix64::for_stream(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        assert_ne!(a, b);
        assert_eq!(a, a2);
    }

    #[test]
    fn ranges_hold() {
        let mut r = SplitMix64::new(99);
        let mut seen = [false; 5];
        for _ in 0..10_000 {
            let v = r.between(3, 7);
            assert!((3..=7).contains(&v));
            seen[(v - 3) as usize] = true;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.exponential(2.0) >= 0.0);
        }
        assert!(seen.iter().all(|s| *s), "every value of 3..=7 drawn");
        assert_eq!(r.below(0), 0);
        assert_eq!(r.between(5, 1), 5);
    }

    #[test]
    fn weights_are_respected() {
        let mut r = SplitMix64::new(5);
        let table = [(1u32, 'a'), (9u32, 'b')];
        let b = (0..10_000).filter(|_| *r.weighted(&table) == 'b').count();
        assert!((8_700..9_300).contains(&b), "got {b} b of 10000");
    }
}
