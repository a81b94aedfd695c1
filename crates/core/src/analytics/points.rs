//! The points a group's evidence weighs in the judgements that look past the score: what one
//! exchange shows of its content and process (without shape-only signals), what its
//! destination shows, and how far its program runs from any installed location. Used to decide whether one exchange is enough to rate a group
//! (`exchange.rs`) and how far a channel's own evidence offsets a crowd's or a device's credit
//! (`evidence.rs`).

use crate::behaviour::Signal;
use crate::signal::SignalId;
use crate::verdict::AnalyticId;

/// Signals that only describe the shape of a name (ids, hashes, encodings): legitimate device
/// topics are full of them, so they never make one exchange enough on their own.
const SHAPE_SIGNALS: &[SignalId] = &[
    SignalId::GuidToken,
    SignalId::HexToken,
    SignalId::EncodedToken,
    SignalId::RandomToken,
];

/// Points of evidence one exchange can show: positive content and process signals (what was
/// said, and by which program), without the shape-only ones and without history.
pub(super) fn single_exchange_points(signals: &[Signal]) -> f64 {
    signals
        .iter()
        .filter(|s| s.weight > 0.0 && !SHAPE_SIGNALS.contains(&s.id))
        .filter(|s| {
            matches!(
                s.id.analytic(),
                AnalyticId::PubsubContent | AnalyticId::PubsubProcess
            )
        })
        .map(|s| s.weight)
        .sum()
}

/// Points of a group's positive destination evidence (its names and address: a dynamic-DNS
/// name, a public broker, a tunnelling service), which a held session is rated on alone
/// (`OneExchange::HeldSession`).
pub(super) fn destination_points(signals: &[Signal]) -> f64 {
    signals
        .iter()
        .filter(|s| s.weight > 0.0 && s.id.analytic() == AnalyticId::PubsubDestination)
        .map(|s| s.weight)
        .sum::<f64>()
        + 0.0 // an empty float sum is -0.0, which would print as "-0"
}

/// Signals that a program runs from outside any installed location: a temporary, downloads or
/// other user-writable place, or a system binary's name outside its directory.
const UNINSTALLED: [SignalId; 4] = [
    SignalId::ProcessInTemp,
    SignalId::ProcessInDownloads,
    SignalId::ProcessInUserWritable,
    SignalId::MasqueradedSystemBinary,
];

/// Points of the signals that the group's program runs from outside any installed location.
pub(super) fn uninstalled_points(signals: &[Signal]) -> f64 {
    signals
        .iter()
        .filter(|s| s.weight > 0.0 && UNINSTALLED.contains(&s.id))
        .map(|s| s.weight)
        .sum::<f64>()
        + 0.0
}
