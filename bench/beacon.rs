//! Criterion benchmark of the beacon scoring of one group (`score_beacon`), the rating's heaviest
//! per-group work: a full group (`MAX_STARTS_PER_GROUP` connection starts with sizes, as the
//! connection-level beacon of a busy channel sees them) with jittered and with random timing,
//! and a short series of eight starts, where the small-sample factor's binomial tail is still
//! summed. Run with `cargo bench -p pubsub-hunt-core --bench beacon`; see bench/README.md.
//!
//! Before the tail was limited to short series, a group of 10,000 starts took 0.35 s (jittered)
//! to 2 s (random) here, tens of millions of logarithms; now about 3 ms, mostly sorting. A return
//! of per-connection transcendental work shows as a jump of orders of magnitude.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use pubsub_hunt_core::analytics::MAX_STARTS_PER_GROUP;
use pubsub_hunt_core::behaviour::beacon::{BeaconConfig, BeaconContext, score_beacon};

const SEC: i64 = 1_000_000;

/// SplitMix64 uniforms in (0, 1): a fixed series, so every run scores the same input.
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

/// Start times from gaps in seconds, beginning at 2023-11-14.
fn starts(gaps: impl Iterator<Item = f64>) -> Vec<i64> {
    let mut t = 1_700_000_000 * SEC;
    let mut out = vec![t];
    for g in gaps {
        t += (g * SEC as f64) as i64;
        out.push(t);
    }
    out
}

fn bench_beacon(c: &mut Criterion) {
    let n = MAX_STARTS_PER_GROUP;
    let u = uniforms(1, n);
    let sizes: Vec<u64> = u.iter().map(|x| 200 + (x * 40.0) as u64).collect();
    // A 60 s timer with Cobalt-Strike-style jitter of 50 %: about half the gaps fall outside
    // ±30 % of the median, the case whose binomial tail was longest.
    let jittered = starts(u.iter().skip(1).map(|x| 60.0 * (1.0 - 0.5 * x)));
    // Poisson arrivals of the same mean.
    let random = starts(u.iter().skip(1).map(|x| -x.ln() * 60.0));
    let short = starts([60.0, 61.0, 59.5, 60.2, 75.0, 60.1, 59.9].into_iter());
    let cfg = BeaconConfig::default();
    let ctx = BeaconContext::default();

    let mut g = c.benchmark_group("score_beacon");
    for (name, ts) in [
        ("jittered_10k", &jittered),
        ("poisson_10k", &random),
        ("short_8", &short),
    ] {
        let sz = sizes.get(..ts.len()).unwrap_or(&sizes);
        g.bench_function(name, |b| {
            b.iter(|| score_beacon(black_box(ts), Some(black_box(sz)), &ctx, &cfg))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_beacon);
criterion_main!(benches);
