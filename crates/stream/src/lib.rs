//! pubsub-hunt as a member of a Kafka consumer group (`pubsub-hunt stream`): reads connection
//! records from topics in any log format the ingest crate reads, keeps per-partition, per-host
//! state in tumbling event-time windows, rates each window with the batch engine, and delivers
//! findings (keyed by alert id) to a topic and/or a file at least once.
//!
//! The crate owns the Kafka side only: [`decode`] turns a message into a record with the ingest
//! readers, [`window`] holds a partition's windows and the offset safe to commit, [`sink`]
//! makes findings durable, [`hosts`] catches a host split over partitions, [`stats`] reports,
//! and [`member`] is the consumer loop with its rebalance and commit rules. Rating stays in
//! the core crate, parsing in the ingest crate.

mod client;
pub mod decode;
pub mod hosts;
pub mod member;
pub mod sink;
pub mod stats;
pub mod window;

pub use decode::{DecodeError, Decoder};
pub use member::{MemberConfig, MemberError, MemberReport, run};
pub use sink::FindingFormat;
pub use window::WindowPolicy;

/// The Kafka client this crate is built on, for callers' tests (its mock cluster).
pub use rdkafka;
