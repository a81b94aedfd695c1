//! The librdkafka client settings of a member: its consumer's (manual commits only, from the
//! earliest offset for a new group, bounded reconnect backoff, statistics at the report
//! interval) and its findings producer's, each with the user's `-X` properties, of which the
//! producer takes only those a producer accepts; and reading a committed offset's metadata,
//! which librdkafka's binding cannot always do without panicking.

use rdkafka::config::ClientConfig;
use std::time::Duration;

/// What both clients are configured from (a member's settings).
pub(crate) struct ClientSettings<'a> {
    pub brokers: &'a str,
    pub group: &'a str,
    pub stats_every: Duration,
    pub extra: &'a [(String, String)],
}

/// The consumer's settings: manual commits only, from the earliest offset for a new group.
pub(crate) fn consumer_config(cfg: &ClientSettings<'_>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", cfg.brokers)
        .set("group.id", cfg.group)
        .set("client.id", "pubsub-hunt")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "10000")
        .set(
            "statistics.interval.ms",
            cfg.stats_every.as_millis().clamp(1000, 60_000).to_string(),
        );
    for (k, v) in cfg.extra {
        c.set(k, v);
    }
    c
}

/// The findings producer's settings: the same brokers and `-X` properties.
pub(crate) fn producer_config(cfg: &ClientSettings<'_>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", cfg.brokers)
        .set("client.id", "pubsub-hunt-findings");
    for (k, v) in cfg.extra {
        // Consumer-only properties would make the producer refuse to start.
        if !is_consumer_only(k) {
            c.set(k, v);
        }
    }
    c
}

fn is_consumer_only(key: &str) -> bool {
    key.starts_with("session.")
        || key.starts_with("heartbeat.")
        || key.starts_with("group.")
        || key.starts_with("auto.")
        || key.starts_with("fetch.")
        || key.starts_with("max.poll.")
        || key.starts_with("partition.assignment")
        || key == "isolation.level"
}

/// A committed offset's metadata. rdkafka panics on metadata that is not UTF-8 (another
/// tool's, not ours): that is read as no metadata.
pub(crate) fn read_metadata(
    e: &rdkafka::topic_partition_list::TopicPartitionListElem<'_>,
) -> Option<String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let meta = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.metadata().to_string()));
    std::panic::set_hook(hook);
    meta.ok().filter(|m| !m.is_empty())
}
