//! The capture formats as the ingest pipeline sees them: `pcap` and `pcapng`, recognised by
//! their magic numbers and read as a stream of flows. Each flow becomes one record whose
//! position is the packet number of the flow's first packet, so a hunter can open the capture
//! in Wireshark at that frame.
//!
//! [`read_flows`] is the same reader without the pipeline, for tools and tests.

use crate::capture::{self, CaptureError, Container, Frame, FrameSink, ReadSummary};
use crate::flow::{EndedFlow, FlowConfig, FlowStats, FlowTable};
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
        read_flows(input, FlowConfig::default(), &mut adapter)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Receives what [`read_flows`] produces.
pub trait FlowSink {
    fn flow(&mut self, flow: EndedFlow);
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String);
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _n: u64) {}
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

/// Most bad-packet problems reported per capture; the rest are only counted (a capture of
/// garbage must not flood the report).
const MAX_PACKET_PROBLEMS: u64 = 100;

/// What a capture held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureReport {
    pub container: Container,
    pub read: ReadSummary,
    pub flows: FlowStats,
}

/// Reads a capture and gives every flow to `sink` as it ends (in first-packet order for flows
/// ending at the same moment). `config.source_format` is set from the container.
pub fn read_flows(
    input: impl Read,
    mut config: FlowConfig,
    sink: &mut dyn FlowSink,
) -> Result<CaptureReport, CaptureError> {
    let mut head = [0u8; 12];
    let mut input = input;
    let n = read_head(&mut input, &mut head)?;
    let head = head.get(..n).unwrap_or_default();
    let container = Container::sniff(head).ok_or(CaptureError::NotACapture)?;
    config.source_format = container.name();
    let mut frames = FlowFrames {
        table: FlowTable::new(config),
        sink,
        reported: 0,
    };
    let result = capture::read_capture(head.chain(input), &mut frames);
    let FlowFrames {
        mut table, sink, ..
    } = frames;
    table.finish(&mut |f| sink.flow(f));
    // A bound that was met dropped something: say what, once per capture.
    for detail in table.stats.over_budget(table.config()) {
        sink.problem(None, ProblemKind::OverBudget, detail);
    }
    let (container, read) = result?;
    Ok(CaptureReport {
        container,
        read,
        flows: table.stats,
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

struct FlowFrames<'s> {
    table: FlowTable,
    sink: &'s mut dyn FlowSink,
    reported: u64,
}

impl FrameSink for FlowFrames<'_> {
    fn frame(&mut self, frame: &Frame<'_>) {
        let sink = &mut *self.sink;
        if let Err(e) = self.table.packet(frame, &mut |f| sink.flow(f)) {
            self.reported += 1;
            if self.reported <= MAX_PACKET_PROBLEMS {
                let more = if self.reported == MAX_PACKET_PROBLEMS {
                    " (further bad packets are counted, not reported)"
                } else {
                    ""
                };
                self.sink.problem(
                    Some(frame.number),
                    ProblemKind::MalformedRecord,
                    format!("packet {}: {e}{more}", frame.number),
                );
            }
        }
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
