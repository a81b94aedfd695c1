//! The capture formats as the ingest pipeline sees them: `pcap` and `pcapng`, recognised by
//! their magic numbers and read as a stream of flows. Each flow becomes one record whose
//! position is the packet number of the flow's first packet, so a hunter can open the capture
//! in Wireshark at that frame.
//!
//! [`read_flows`] is the same reader without the pipeline, for tools and tests.

use crate::capture::{self, BlockSource, CaptureError, Container, Direct, ReadSummary};
use crate::flow::{EndedFlow, FlowConfig, FlowStats};
use crate::read_ahead;
use crate::shard::{self, ShardedFrames};
pub use crate::sink::FlowSink;
use pubsub_hunt_core::analytics::census::Coverage;
use pubsub_hunt_reader::ProblemKind;
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, Reader, Record, RecordSink, Registry, StreamFormat,
};
use std::io::Read;
use std::sync::Arc;

/// The capture formats, for the CLI's registry.
pub fn formats() -> Registry {
    vec![
        Arc::new(CaptureFormat(Container::Pcap)),
        Arc::new(CaptureFormat(Container::PcapNg)),
    ]
}

/// `pcap` or `pcapng`.
struct CaptureFormat(Container);

impl FormatSpec for CaptureFormat {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn description(&self) -> &'static str {
        match self.0 {
            Container::Pcap => {
                "packet capture, libpcap format (tcpdump -w); flows with payload inspection"
            }
            Container::PcapNg => {
                "packet capture, pcapng format (Wireshark, dumpcap); flows with payload inspection"
            }
        }
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        (Container::sniff(head) == Some(self.0)).then_some(CERTAIN)
    }

    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        match Container::sniff(head) {
            Some(container) => Ok(Reader::Stream(Box::new(CaptureStream(container)))),
            None => Err(format!("not a {} capture (no magic number)", self.0.name())),
        }
    }
}

/// Reads one capture stream. The container is taken from the stream itself, so a pcapng file
/// forced as `pcap` is still read correctly.
struct CaptureStream(Container);

impl StreamFormat for CaptureStream {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let mut adapter = SinkAdapter { sink };
        let threads = ShardThreads::for_threads(adapter.sink.threads());
        read_flows_on(input, FlowConfig::default(), &mut adapter, threads)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Every flow is given to the sink, whatever its port; a capture filter may have dropped
    /// the rest of a host's traffic.
    fn census(&self) -> Option<Coverage> {
        Some(Coverage::MayBeFiltered)
    }
}

struct SinkAdapter<'a> {
    sink: &'a mut dyn RecordSink,
}

impl FlowSink for SinkAdapter<'_> {
    fn flow(&mut self, flow: EndedFlow) {
        self.sink
            .record(flow.first_packet, Ok(Record::Conn(Box::new(flow.event))));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.sink.problem(pos, kind, detail);
    }
    fn aborted(&self) -> bool {
        self.sink.aborted()
    }
    fn bytes(&mut self, n: u64) {
        self.sink.bytes(n);
    }
}

/// What a capture held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureReport {
    pub container: Container,
    pub read: ReadSummary,
    pub flows: FlowStats,
}

/// Reads a capture and gives every flow to `sink` as it ends, on one thread. `config` holds the
/// bounds of the whole table; `config.source_format` is set from the container.
pub fn read_flows(
    input: impl Read,
    config: FlowConfig,
    sink: &mut dyn FlowSink,
) -> Result<CaptureReport, CaptureError> {
    read_flows_on(input, config, sink, ShardThreads::One)
}

/// Where the shards of a capture's flow table run ([`crate::shard`]). What is read, and the
/// order it is given in, is the same for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardThreads {
    /// Both on the calling thread.
    One,
    /// The input read on the calling thread and parsed, with shard 0, on a second
    /// ([`crate::read_ahead`]); shard 1 moves to a third once its work is worth the hand-over.
    /// An input that fits in one block (1 MiB) is read as with `One`.
    Two,
    /// As `Two`, with shard 1 on its own thread from the first frame (for tests of that path).
    TwoFromTheStart,
}

impl ShardThreads {
    /// The choice for a reader allowed `threads` threads.
    pub fn for_threads(threads: usize) -> ShardThreads {
        if threads >= 2 {
            ShardThreads::Two
        } else {
            ShardThreads::One
        }
    }
}

/// [`read_flows`] with the flow table's shards run as `threads` says.
pub fn read_flows_on(
    input: impl Read,
    mut config: FlowConfig,
    sink: &mut dyn FlowSink,
    threads: ShardThreads,
) -> Result<CaptureReport, CaptureError> {
    let mut head = [0u8; 12];
    let mut input = input;
    let n = read_head(&mut input, &mut head)?;
    let head = head.get(..n).unwrap_or_default();
    let container = Container::sniff(head).ok_or(CaptureError::NotACapture)?;
    config.source_format = container.name();
    let mut input = Direct::new(head.chain(input));
    let one_thread = |input: &mut dyn BlockSource, sink: &mut dyn FlowSink| {
        let mut frames = ShardedFrames::here(&config, sink);
        let result = capture::read_capture_from(input, &mut frames);
        (result, frames.finish(&config))
    };
    // An input that fits in one block (a small capture, a member of an archive of many) is
    // read here alone: threads would cost more than its work.
    let fits = threads == ShardThreads::Two && input.prefetch();
    let (result, flows) = match threads {
        ShardThreads::One => one_thread(&mut input, sink),
        ShardThreads::Two if fits => one_thread(&mut input, sink),
        ShardThreads::Two | ShardThreads::TwoFromTheStart => {
            // The input is read here and parsed on a second thread; the flow table's second
            // shard may move to a third.
            let at_once = threads == ShardThreads::TwoFromTheStart;
            let on_two = read_ahead::read_ahead(&mut input, sink, |source, sink| {
                shard::on_two_threads(&config, sink, at_once, |frames| {
                    capture::read_capture_from(source, frames)
                })
            });
            match on_two {
                Some(done) => done,
                // No second thread could be started: nothing has been read yet.
                None => one_thread(&mut input, sink),
            }
        }
    };
    let (container, read) = result?;
    Ok(CaptureReport {
        container,
        read,
        flows,
    })
}

fn read_head(input: &mut impl Read, head: &mut [u8]) -> Result<usize, CaptureError> {
    let mut filled = 0;
    while let Some(rest) = head.get_mut(filled..).filter(|r| !r.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(CaptureError::Read),
        }
    }
    Ok(filled)
}
