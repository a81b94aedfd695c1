//! The reader choice: which reader of the registry reads a stream, from the format the user
//! forced or from the stream's first bytes, and why a stream no format takes is not read.

use super::shared::IngestOptions;
use crate::format::InputFormat;
use pubsub_hunt_reader::{
    FormatSpec, HeaderedFormat, LineFormat, ProblemKind, Reader, StreamFormat, choose, skip_blank,
};
use std::sync::Arc;

/// What to do with a stream, decided from its first bytes.
pub(super) enum Choice {
    Lines(Arc<dyn LineFormat>),
    Headered(Box<dyn HeaderedFormat>),
    Stream(Box<dyn StreamFormat>),
    Skip(ProblemKind, String),
}

pub(super) fn choose_reader(opts: &IngestOptions, head: &[u8]) -> Choice {
    let registry = &opts.registry;
    let open = |f: &Arc<dyn FormatSpec>| match f.open(head) {
        Ok(Reader::Lines(l)) => Choice::Lines(l),
        Ok(Reader::Headered(h)) => Choice::Headered(h),
        Ok(Reader::Stream(s)) => Choice::Stream(s),
        Err(why) => Choice::Skip(ProblemKind::UnknownFormat, format!("{}: {why}", f.name())),
    };
    if let InputFormat::Named(name) = &opts.format {
        return match choose(registry, Some(name), head) {
            Some(f) => open(f),
            None => Choice::Skip(ProblemKind::UnknownFormat, format!("no format {name:?}")),
        };
    }
    if skip_blank(head).is_empty() {
        return Choice::Skip(ProblemKind::UnknownFormat, "empty input".into());
    }
    if let Some(f) = choose(registry, None, head) {
        return open(f);
    }
    match registry.iter().find_map(|f| f.refusal(head)) {
        Some((kind, why)) => Choice::Skip(kind, why),
        None => Choice::Skip(
            ProblemKind::UnknownFormat,
            "not a format pubsub-hunt reads".into(),
        ),
    }
}
