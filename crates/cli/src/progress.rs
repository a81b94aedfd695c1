//! Progress of a long run on standard error: bytes and records read, the rate, and an ETA when
//! the total size is known (plain files only: a compressed input's size says nothing of what
//! it decompresses to). Shown only when standard error is a terminal outside CI, and only once
//! a run has lasted a second, so short runs, pipes and logs never see it. It is cleared before
//! the results and the summary are written.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pubsub_hunt_ingest::{InputPath, Progress};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a run goes before progress appears.
const DELAY: Duration = Duration::from_secs(1);
/// How often it is redrawn.
const TICK: Duration = Duration::from_millis(200);

/// A running progress display; [`stop`](Self::stop) clears it.
pub struct ProgressDisplay {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Starts watching `counts` (the pipeline adds to them as it reads).
    pub fn start(inputs: &[InputPath], counts: Progress) -> ProgressDisplay {
        let total = total_size(inputs);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || show(total, &counts, &flag));
        ProgressDisplay {
            stop,
            thread: Some(thread),
        }
    }

    /// Clears the display and waits for it to end.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn show(total: Option<u64>, counts: &Progress, stop: &AtomicBool) {
    let started = std::time::Instant::now();
    while started.elapsed() < DELAY {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(TICK.min(DELAY));
    }
    let (bar, template) = match total {
        Some(t) => (
            ProgressBar::new(t),
            "{spinner} {bytes}/{total_bytes} read, {msg} ({bytes_per_sec}, ETA {eta})",
        ),
        None => (
            ProgressBar::no_length(),
            "{spinner} {bytes} read, {msg} ({bytes_per_sec}, {elapsed})",
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    // Start the rate and the ETA from what was read before the bar appeared, not from zero.
    bar.set_position(counts.bytes.load(Ordering::Relaxed));
    bar.reset_eta();
    while !stop.load(Ordering::SeqCst) {
        let bytes = counts.bytes.load(Ordering::Relaxed);
        bar.set_position(total.map_or(bytes, |t| bytes.min(t)));
        bar.set_message(format!(
            "{} records",
            counts.records.load(Ordering::Relaxed)
        ));
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}

/// The inputs' total size when every input is a plain (not compressed) file or a directory of
/// them; `None` for standard input or any compressed file.
fn total_size(inputs: &[InputPath]) -> Option<u64> {
    let mut total = 0u64;
    for input in inputs {
        let InputPath::Path(p) = input else {
            return None;
        };
        for entry in walkdir::WalkDir::new(p).follow_links(true) {
            let entry = entry.ok()?;
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if [".gz", ".zst", ".zip", ".bz2", ".xz", ".evtx"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                // Compressed, or read by a format that does not count its bytes as it goes.
                return None;
            }
            total += entry.metadata().ok()?.len();
        }
    }
    Some(total)
}
