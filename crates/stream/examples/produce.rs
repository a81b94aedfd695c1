//! Produces JSON lines from standard input to a Kafka topic, each keyed by its initiator
//! (`id.orig_h`, else `source.ip`), the way a re-keying stage would: for benchmarks and trying
//! `pubsub-hunt stream` out on loopback.
//!
//! ```sh
//! cargo run --release -p pubsub-hunt-stream --example produce -- 127.0.0.1:9092 zeek < conn.json
//! ```

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::io::BufRead;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(brokers), Some(topic)) = (args.next(), args.next()) else {
        return Err("usage: produce BROKERS TOPIC < lines.json".into());
    };
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("linger.ms", "20")
        .create()?;
    let mut n = 0u64;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let key = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| {
                v.get("id.orig_h")
                    .or_else(|| v.get("source").and_then(|s| s.get("ip")))
                    .and_then(|h| h.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let mut record = BaseRecord::to(&topic)
            .key(key.as_bytes())
            .payload(line.as_bytes());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(20));
                    record = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
        n += 1;
    }
    producer.flush(Duration::from_secs(60))?;
    eprintln!("produced {n} records to {topic}");
    Ok(())
}
