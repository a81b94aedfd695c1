//! Where findings go, and the one promise the member's offset commits rely on: when
//! [`FindingSink::flush`] returns `Ok`, every finding written before it is durable — produced
//! to the findings topic and acknowledged by all in-sync replicas (`acks=all`), and/or written
//! to the file and synced to disk. Findings are our JSON (the object `hunt --format jsonl`
//! writes) or OCSF Detection Findings, each written by the same writer `hunt` uses for that
//! format ([`FindingFormat`]); on the topic each message's key is the alert id (in OCSF also
//! `finding_info.uid`), so a compacted topic keeps one finding per channel and a finding
//! re-emitted after a replay replaces the earlier one.

use pubsub_hunt_core::Alert;
use pubsub_hunt_output::{OutputFormat, new_writer};
use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why findings could not be made durable.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write findings to {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the findings producer: {0}")]
    Producer(rdkafka::error::KafkaError),
    #[error("findings topic {topic}: {detail}")]
    Delivery { topic: String, detail: String },
    #[error("cannot encode a finding: {0}")]
    Encode(std::io::Error),
}

/// How a finding is written: the formats whose records stand alone, one per message or line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FindingFormat {
    /// Our JSON: the object `hunt --format jsonl` writes.
    #[default]
    Jsonl,
    /// An OCSF Detection Finding (class 2004), as `hunt --format ocsf` writes it.
    Ocsf,
}

impl FindingFormat {
    /// The name `--format` takes, also sent as the `pubsub-hunt-format` header.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingFormat::Jsonl => "jsonl",
            FindingFormat::Ocsf => "ocsf",
        }
    }

    fn output(self) -> OutputFormat {
        match self {
            FindingFormat::Jsonl => OutputFormat::Jsonl,
            FindingFormat::Ocsf => OutputFormat::Ocsf,
        }
    }

    /// The finding format of an output format, if it is one (records that stand alone).
    pub fn from_output(format: OutputFormat) -> Option<FindingFormat> {
        match format {
            OutputFormat::Jsonl => Some(FindingFormat::Jsonl),
            OutputFormat::Ocsf => Some(FindingFormat::Ocsf),
            // A table or a report is written whole at the end; CSV has a header; ECS is not
            // asked for (yet): none is a stream of self-contained findings here.
            OutputFormat::Table | OutputFormat::Csv | OutputFormat::Html | OutputFormat::Ecs => {
                None
            }
        }
    }

    /// One finding as one line without its newline, by the output crate's writer for this
    /// format (so a stream's finding is byte for byte what `hunt` writes for the alert).
    pub fn encode(self, alert: &Alert) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(1024);
        {
            let mut w = new_writer(self.output(), Box::new(&mut buf), None);
            w.write_alert(alert)?;
            w.finish()?;
        }
        // Both writers end each record with exactly one newline; a message carries none.
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        Ok(buf)
    }
}

/// Counts deliveries the broker refused, with the first reason.
#[derive(Default)]
pub struct DeliveryCounter {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut first) = self.first_error.lock()
                && first.is_none()
            {
                *first = Some(e.to_string());
            }
        }
    }
}

/// The findings topic: a producer that waits for every in-sync replica.
struct TopicSink {
    topic: String,
    producer: ThreadedProducer<DeliveryCounter>,
    flush_timeout: Duration,
}

/// The findings file, appended to (a restart adds to it; readers keep the last finding per id).
struct FileSink {
    path: PathBuf,
    out: BufWriter<File>,
}

/// Findings to a topic, a file, or both.
pub struct FindingSink {
    topic: Option<TopicSink>,
    file: Option<FileSink>,
    format: FindingFormat,
    /// Findings written since the member started.
    pub written: u64,
}

impl FindingSink {
    /// `producer_config`: the brokers and client settings; `topic`: the findings topic;
    /// `format`: how each finding is written, to both.
    pub fn new(
        producer_config: Option<(ClientConfig, String)>,
        file: Option<&Path>,
        format: FindingFormat,
        flush_timeout: Duration,
    ) -> Result<FindingSink, SinkError> {
        let topic = match producer_config {
            None => None,
            Some((mut cfg, topic)) => {
                cfg.set("acks", "all")
                    .set("enable.idempotence", "true")
                    .set("compression.type", "none");
                let producer = cfg
                    .create_with_context(DeliveryCounter::default())
                    .map_err(SinkError::Producer)?;
                Some(TopicSink {
                    topic,
                    producer,
                    flush_timeout,
                })
            }
        };
        let file = match file {
            None => None,
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|source| SinkError::File {
                        path: p.to_path_buf(),
                        source,
                    })?;
                Some(FileSink {
                    path: p.to_path_buf(),
                    out: BufWriter::new(f),
                })
            }
        };
        Ok(FindingSink {
            topic,
            file,
            format,
            written: 0,
        })
    }

    /// Queues one finding: the alert of its channel in the window starting at `window_start`
    /// (µs), read from `source` (`topic/partition`).
    pub fn write(
        &mut self,
        alert: &Alert,
        window_start: i64,
        source: &str,
    ) -> Result<(), SinkError> {
        let json = self.format.encode(alert).map_err(SinkError::Encode)?;
        if let Some(f) = &mut self.file {
            f.out
                .write_all(&json)
                .and_then(|()| f.out.write_all(b"\n"))
                .map_err(|source| SinkError::File {
                    path: f.path.clone(),
                    source,
                })?;
        }
        if let Some(t) = &self.topic {
            let window = window_start.to_string();
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: "pubsub-hunt-window-start-us",
                    value: Some(window.as_bytes()),
                })
                .insert(Header {
                    key: "pubsub-hunt-source",
                    value: Some(source.as_bytes()),
                })
                .insert(Header {
                    key: "pubsub-hunt-format",
                    value: Some(self.format.as_str().as_bytes()),
                });
            let mut record = BaseRecord::to(&t.topic)
                .key(alert.id.as_bytes())
                .payload(&json)
                .headers(headers);
            // The local queue is full: let the producer drain it, then try again.
            loop {
                match t.producer.send(record) {
                    Ok(()) => break,
                    Err((e, r))
                        if e.rdkafka_error_code()
                            == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) =>
                    {
                        record = r;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err((e, _)) => {
                        return Err(SinkError::Delivery {
                            topic: t.topic.clone(),
                            detail: e.to_string(),
                        });
                    }
                }
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Makes everything written so far durable, or says why not. Offsets are committed only
    /// after this returns `Ok`.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        if let Some(f) = &mut self.file {
            f.out
                .flush()
                .and_then(|()| f.out.get_ref().sync_data())
                .map_err(|source| SinkError::File {
                    path: f.path.clone(),
                    source,
                })?;
        }
        if let Some(t) = &self.topic {
            t.producer
                .flush(t.flush_timeout)
                .map_err(|e| SinkError::Delivery {
                    topic: t.topic.clone(),
                    detail: format!("not acknowledged in {:?}: {e}", t.flush_timeout),
                })?;
            let ctx = t.producer.context();
            let failed = ctx.failed.load(Ordering::SeqCst);
            if failed > 0 {
                let first = ctx
                    .first_error
                    .lock()
                    .ok()
                    .and_then(|f| f.clone())
                    .unwrap_or_default();
                return Err(SinkError::Delivery {
                    topic: t.topic.clone(),
                    detail: format!("{failed} findings not delivered ({first})"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{Engine, HuntConfig};
    use pubsub_hunt_ingest::{IgnoreProblems, IngestOptions, InputPath};
    use pubsub_hunt_testgen::{GenConfig, RenderOptions, conn_log_bytes};

    /// Real alerts: the batch engine over a small labeled day.
    fn alerts() -> Vec<Alert> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn.json");
        let (bytes, _) = conn_log_bytes(&GenConfig::new(2000, 3), &RenderOptions::json());
        std::fs::write(&path, bytes).unwrap();
        let engine = Engine::new(HuntConfig::default());
        let opts = IngestOptions {
            registry: pubsub_hunt_ingest::builtin_formats(),
            threads: 1,
            ..IngestOptions::default()
        };
        let (acc, _) = pubsub_hunt_ingest::run(
            &[InputPath::from(path.to_str().unwrap())],
            &engine,
            &opts,
            &IgnoreProblems,
        )
        .unwrap();
        engine.finish(acc).0
    }

    #[test]
    fn each_format_encodes_one_line_hunt_would_write() {
        let alerts = alerts();
        assert!(!alerts.is_empty());
        for a in &alerts {
            let jsonl = FindingFormat::Jsonl.encode(a).unwrap();
            assert_eq!(jsonl, serde_json::to_vec(a).unwrap());
            let ocsf = FindingFormat::Ocsf.encode(a).unwrap();
            assert!(!ocsf.contains(&b'\n'));
            let v: serde_json::Value = serde_json::from_slice(&ocsf).unwrap();
            assert_eq!(v["class_uid"], 2004);
            assert_eq!(v["finding_info"]["uid"].as_str(), Some(a.id.as_str()));
        }
    }

    #[test]
    fn only_self_contained_formats_are_finding_formats() {
        assert_eq!(
            FindingFormat::from_output(OutputFormat::Ocsf),
            Some(FindingFormat::Ocsf)
        );
        assert_eq!(
            FindingFormat::from_output(OutputFormat::Jsonl),
            Some(FindingFormat::Jsonl)
        );
        for f in [
            OutputFormat::Table,
            OutputFormat::Csv,
            OutputFormat::Html,
            OutputFormat::Ecs,
        ] {
            assert_eq!(FindingFormat::from_output(f), None, "{f}");
        }
        assert_eq!(FindingFormat::Ocsf.as_str(), "ocsf");
        assert_eq!(FindingFormat::default(), FindingFormat::Jsonl);
    }
}
