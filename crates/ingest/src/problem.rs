//! Counting of the problems met while reading input. Every problem is counted by kind, and the
//! first few of each kind per file are forwarded to the caller's [`ProblemSink`]; the kinds and
//! the sink are part of the reader interface (`pubsub_hunt_reader::problem`).

use pubsub_hunt_reader::{Problem, ProblemKind, ProblemSink};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Problems of one (file, kind) beyond the report cap: file, kind, how many were not printed.
pub(crate) type Unreported = (String, ProblemKind, u64);

/// Counts problems and forwards the first `max_reports` of each kind per file. The members of
/// an archive (`archive.zip:member`) share their archive's cap: an archive of 100,000 bad
/// members prints a few lines and a count, not 100,000 lines.
pub(crate) struct ProblemLog<'a> {
    sink: &'a dyn ProblemSink,
    max_reports: usize,
    inner: Mutex<ProblemCounts>,
    /// The names of the files read; a problem of `name:member` counts against `name`.
    inputs: BTreeSet<String>,
}

#[derive(Default)]
struct ProblemCounts {
    by_kind: BTreeMap<ProblemKind, u64>,
    per_file: BTreeMap<(String, ProblemKind), u64>,
    first: Option<Problem>,
}

impl<'a> ProblemLog<'a> {
    pub(crate) fn new(
        sink: &'a dyn ProblemSink,
        max_reports: usize,
        inputs: BTreeSet<String>,
    ) -> Self {
        ProblemLog {
            sink,
            max_reports,
            inner: Mutex::new(ProblemCounts::default()),
            inputs,
        }
    }

    /// The file whose report cap a problem counts against: the input itself, or the archive
    /// a member belongs to.
    fn group<'p>(&self, file: &'p str) -> &'p str {
        if self.inputs.contains(file) {
            return file;
        }
        file.match_indices(':')
            .map(|(i, _)| file.get(..i).unwrap_or(file))
            .find(|prefix| self.inputs.contains(*prefix))
            .unwrap_or(file)
    }

    /// Records a problem; returns it back for strict-mode handling.
    pub(crate) fn record(&self, p: Problem) {
        let forward = {
            let Ok(mut c) = self.inner.lock() else { return };
            *c.by_kind.entry(p.kind).or_default() += 1;
            let n = c
                .per_file
                .entry((self.group(&p.file).to_string(), p.kind))
                .or_default();
            *n += 1;
            let forward = *n <= self.max_reports as u64;
            if c.first.is_none() && p.kind.is_input_loss() {
                c.first = Some(p.clone());
            }
            forward
        };
        if forward {
            self.sink.report(&p);
        }
    }

    pub(crate) fn first(&self) -> Option<Problem> {
        self.inner.lock().ok().and_then(|c| c.first.clone())
    }

    /// Counts by kind, and per (file, kind) counts that exceeded the report cap.
    pub(crate) fn finish(self) -> (BTreeMap<ProblemKind, u64>, Vec<Unreported>) {
        let c = self.inner.into_inner().unwrap_or_default();
        let max = self.max_reports as u64;
        let unreported = c
            .per_file
            .into_iter()
            .filter(|(_, n)| *n > max)
            .map(|((f, k), n)| (f, k, n - max))
            .collect();
        (c.by_kind, unreported)
    }
}
