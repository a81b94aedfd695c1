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
    /// Nothing but blank space: no records, and nothing lost (a `grep` that matched nothing).
    Empty,
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
    if skip_blank(head).is_empty() {
        return Choice::Empty;
    }
    if let InputFormat::Named(name) = &opts.format {
        return match choose(registry, Some(name), head) {
            Some(f) => open(f),
            None => Choice::Skip(ProblemKind::UnknownFormat, format!("no format {name:?}")),
        };
    }
    if let Some(f) = choose(registry, None, head) {
        return open(f);
    }
    // A reader's refusal says what the stream is when that is useful (a Zeek log of another
    // type, binary data); Zeek's generic "not a Zeek log" is not, since every reader was tried.
    let tried = format!(
        "none of pubsub-hunt's {} readers recognised it (`pubsub-hunt formats` lists them; \
         --mapping reads other CSV and JSON exports)",
        registry.len()
    );
    match registry.iter().find_map(|f| f.refusal(head)) {
        Some((kind, why)) if kind != ProblemKind::UnknownFormat => Choice::Skip(kind, why),
        Some((_, why)) if !why.starts_with("not a Zeek log") => {
            Choice::Skip(ProblemKind::UnknownFormat, format!("{why}: {tried}"))
        }
        _ => Choice::Skip(
            ProblemKind::UnknownFormat,
            format!("not a format pubsub-hunt reads: {tried}"),
        ),
    }
}
