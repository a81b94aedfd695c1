//! `pubsub-hunt stream`: runs one consumer-group member (the `pubsub-hunt-stream` crate) with
//! the validated settings and the history of the state store (read per window, never written), stops
//! it on SIGINT/SIGTERM, and maps its outcome to an exit status.
//! In a build without the `kafka` feature the command explains how to get it.

use crate::settings::StreamSettings;
use anyhow::Result;

#[cfg(feature = "kafka")]
pub fn run(s: StreamSettings) -> Result<u8> {
    use crate::exit;
    use anyhow::Context;
    use pubsub_hunt_core::Engine;
    use pubsub_hunt_stream::{Decoder, FindingFormat, MemberConfig, MemberError, WindowPolicy};
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot install the SIGINT/SIGTERM handler")?;
    }
    let engine = Engine::new(s.config);
    // History across runs: the store is opened and checked before joining the group (a corrupt
    // or newer-schema store stops the member before it takes partitions), and each window reads
    // the part of it its groups are judged against as it is rated, so a member's memory follows
    // its windows, not the history's size. `hunt` runs write the store and members only read
    // it, so members of one group never contend for SQLite's single writer (see
    // docs/stream.md).
    if let Some(why) = &s.state.unavailable {
        let _ = writeln!(std::io::stderr().lock(), "pubsub-hunt: {why}");
    }
    let mut prior: Option<Box<dyn pubsub_hunt_core::prior::PriorSource>> = None;
    if let Some(path) = &s.state.path {
        if path.exists() {
            let store = crate::state_cmd::open(path)?;
            store.extent()?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "pubsub-hunt: stream: judging against the history in {} (read only)",
                path.display()
            );
            prior = Some(Box::new(store));
        } else {
            let _ = writeln!(
                std::io::stderr().lock(),
                "pubsub-hunt: stream: no history at {} yet (`hunt` writes it); everything is new",
                path.display()
            );
        }
    }
    let max_open = 64;
    let format = FindingFormat::from_output(s.format)
        .with_context(|| format!("stream cannot write findings as {}", s.format))?;
    let cfg = MemberConfig {
        brokers: s.brokers,
        topics: s.topics,
        group: s.group,
        output_file: s.output,
        output_topic: s.output_topic,
        format,
        policy: WindowPolicy {
            len: s.window,
            lateness: s.lateness,
            idle_close: s.idle_close,
            max_open,
        },
        strict: s.strict,
        stats_every: s.stats_every,
        commit_every: s.commit_every,
        stop_when_idle: s.stop_when_idle,
        extra: s.properties,
    };
    let _ = writeln!(
        std::io::stderr().lock(),
        "pubsub-hunt: stream: joining group {} on {} for {}",
        cfg.group,
        cfg.brokers,
        cfg.topics.join(", ")
    );
    let decoder = Decoder::new(pubsub_hunt_ingest::builtin_formats(), s.input_format);
    match pubsub_hunt_stream::run(cfg, engine, prior, decoder, &stop) {
        // Malformed records, and windows rated at a bound (the group limit, the group state
        // budget, the alert limit), are input the findings did not see: status 2, as in `hunt`.
        Ok(r) if r.totals.counters.malformed > 0 || r.totals.counters.windows_bounded > 0 => {
            Ok(exit::INPUT_PROBLEMS)
        }
        Ok(_) => Ok(exit::SUCCESS),
        Err(e @ MemberError::Strict(_)) => {
            let _ = writeln!(std::io::stderr().lock(), "pubsub-hunt: {e}");
            Ok(exit::FATAL)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "kafka"))]
pub fn run(s: StreamSettings) -> Result<u8> {
    // The settings were validated all the same: a typo is reported before this.
    let _ = s;
    Err(anyhow::anyhow!(
        "this pubsub-hunt was built without Kafka support; rebuild it with \
         `cargo build --release --features kafka` (builds librdkafka from source: needs a C \
         compiler and make)"
    ))
}
