//! Test-data generators for pubsub-hunt: realistic Zeek conn.log files with planted
//! publish/subscribe channels and a ground truth of the alerts they must raise.
//!
//! [`ConnLogGenerator`] yields rows of a simulated office network (background traffic from
//! [`background`], planted cases from [`planted`]) in the order Zeek writes them; [`render`]
//! writes them as TSV or JSON lines; [`GroundTruth`] says what every planted group is and, for
//! any `--window` and `--min-suspicion`, which alerts pubsub-hunt must report. Output depends
//! only on the [`GenConfig`] (seed included), on every platform.
//!
//! ```
//! use pubsub_hunt_testgen::{GenConfig, RenderOptions, Suspicion, conn_log_bytes};
//! let (log, truth) = conn_log_bytes(&GenConfig::new(2_000, 7), &RenderOptions::tsv());
//! assert!(log.starts_with(b"#separator"));
//! assert!(!truth.expected_alerts(None, Suspicion::Medium).is_empty());
//! ```

pub mod background;
pub mod generator;
pub mod labeled;
pub mod network;
pub mod planted;
pub mod raw;
pub mod record;
pub mod render;
pub mod rng;
pub mod sensor_day;
pub mod time;

pub use generator::{
    ConnLogGenerator, GenConfig, MIN_SPAN_SECS, conn_log_bytes, write_conn_log, write_conn_log_file,
};
pub use labeled::{LabeledData, Written as LabeledWritten};
pub use planted::{Analytic, ExpectedAlert, GroundTruth, PlantedGroup, Protocol, Suspicion};
pub use record::{ConnRecord, ConnState, Transport};
pub use render::{ConnLogWriter, LogFormat, RenderOptions};

#[cfg(test)]
mod tests;
