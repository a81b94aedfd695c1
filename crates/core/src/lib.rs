//! The heart of pubsub-hunt: the normalized event model every source is turned into, the
//! validated hunt configuration, and the analytics that turn events into explained alerts.
//!
//! This crate owns no I/O. Readers (the `ingest` and packet crates) build [`ConnEvent`]s, feed
//! them to an [`Accumulator`] through an [`Engine`], and the binary hands the resulting
//! [`Alert`]s to a writer. Keeping the analytic logic here, pure and deterministic, is what lets
//! the same analytic run on every source and lets the property tests check that splitting or
//! reordering the input never changes an alert.

/// `Display` as the stable id text (`as_str`), for the closed sets of the model.
macro_rules! display_as_str {
    ($($t:ty),+) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}
pub(crate) use display_as_str;

pub mod alert;
pub mod allowlist;
pub mod analytics;
pub mod app;
pub mod behaviour;
pub mod bounded;
pub mod config;
pub mod conn_ids;
pub mod event;
pub mod payload;
pub mod prior;
pub mod protocol;
pub mod readings;
pub mod record;
pub mod scope;
pub mod signal;
pub mod time;
pub mod tuning;
pub mod verdict;

pub use alert::{Alert, MAX_TIMELINE, Session, WindowCount, alert_id, timeline_of};
pub use analytics::{Accumulator, Engine, EventOutcome, GroupCutoff, HuntSummary};
pub use app::{AppInfo, MessageEvent, TopicDirection, TopicUse};
pub use config::{ConfigError, HuntConfig, WindowSpec};
pub use conn_ids::FlowRef;
pub use event::{ConnEvent, Direction, Outcome, Transport};
pub use protocol::Protocol;
pub use record::RecordRef;
pub use scope::InternalNetworks;
pub use signal::{Signal, SignalId};
pub use verdict::{AnalyticId, Suspicion};

/// The ATT&CK technique every alert of this tool is about.
pub const TECHNIQUE: &str = "T1071.005";
