//! One capture's flows on two cores: the flow table is split into [`SHARDS`] shards by a fixed
//! hash of each packet's two IP addresses, each shard with its share of every bound of the
//! table, and what the shards produce is merged back in a fixed order.
//!
//! Why shards: on captures with payload to inspect, nearly all of the time is the flow side
//! (reassembly and inspection), which a pipeline cannot split; shards can, since no flow spans
//! two of them (both directions, and every fragment of a datagram, carry the same address
//! pair). Why a fixed number of shards, whatever the thread count: the shards' bounds, clocks
//! and output order are then the same with one thread or two, so the flows, problems and
//! alerts are too. With one thread both shards run here. With two, shard 0 runs on the thread
//! that parses the capture (with two threads, not the one that reads it:
//! [`crate::read_ahead`]), and shard 1 moves to another thread, fed with copies of its frames,
//! once it inspects at least a quarter of the bytes of a batch: on bulk data whose inspection
//! has stopped, the copy to another core costs more than the shard's work.
//! Which thread runs a shard changes nothing it produces.
//!
//! Order: the frames are cut into batches (at [`BATCH_FRAMES`] frames or [`BATCH_BYTES`] frame
//! bytes, a function of the capture alone). At the end of a batch both shards' clocks move to
//! its last frame's time, and what the batch produced is given to the sink: shard 0's output
//! (with the capture's own problems in their place), then shard 1's. At the end of the capture,
//! the flows both shards still hold, in first-packet order as one table gives them, then one
//! sentence per bound that was met, for the whole table.
//!
//! Memory: at most [`IN_FLIGHT`] batches wait for the second thread, each about
//! [`BATCH_BYTES`]; their results wait on shard 0's thread until their turn. A panic on the
//! second thread is reported as an internal problem and that shard's later packets are dropped.

use crate::capture::{Frame, FrameSink};
use crate::flow::{EndedFlow, FlowConfig, FlowStats, FlowTable};
use crate::ip::DefragLimits;
use crate::link::{self, Network};
use crate::sink::FlowSink;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_reader::ProblemKind;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

/// Shards of every capture's flow table.
pub const SHARDS: usize = 2;
// Shard 0 runs on the parsing thread and shard 1 is `Other`: the code is written for two.
const _: () = assert!(SHARDS == 2);
/// Frames per batch at most.
pub const BATCH_FRAMES: usize = 4096;
/// Frame bytes (both shards) after which a batch ends.
pub const BATCH_BYTES: usize = 256 << 10;
/// Batches sent to the second thread and not yet given to the sink, at most.
pub const IN_FLIGHT: usize = 4;

/// Most bad-packet problems reported per shard; the rest are only counted (a capture of
/// garbage must not flood the report).
const MAX_PACKET_PROBLEMS: u64 = 100;

/// The shard of a frame's flow: a fixed hash of its two IP addresses, in either order. Frames
/// without a readable IP header go to shard 0, where the table reports them.
pub fn shard_of(frame: &Frame<'_>) -> usize {
    let pair = match link::decode(frame.linktype, frame.data) {
        Ok(Network::Ipv4(p)) => match (p.get(12..16), p.get(16..20)) {
            (Some(a), Some(b)) => {
                let (a, b) = (u64::from(be32(a)), u64::from(be32(b)));
                a.min(b) << 32 | a.max(b)
            }
            _ => return 0,
        },
        Ok(Network::Ipv6(p)) => match (p.get(8..24), p.get(24..40)) {
            (Some(a), Some(b)) => {
                let (a, b) = (be128(a), be128(b));
                let fold = |x: u128| (x as u64) ^ ((x >> 64) as u64);
                mix(fold(a.min(b))) ^ fold(a.max(b))
            }
            _ => return 0,
        },
        _ => return 0,
    };
    // The top bits of a well-mixed hash pick the shard.
    ((u128::from(mix(pair)) * SHARDS as u128) >> 64) as usize
}

fn be32(b: &[u8]) -> u32 {
    b.first_chunk::<4>().map_or(0, |c| u32::from_be_bytes(*c))
}

fn be128(b: &[u8]) -> u128 {
    b.first_chunk::<16>().map_or(0, |c| u128::from_be_bytes(*c))
}

/// SplitMix64's finaliser: every input bit reaches every output bit.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// One shard's bounds: an equal share of every total bound of `config` (at least 1 each), so
/// that the shards together hold what one table would. Per-flow bounds are unchanged.
pub fn shard_config(config: &FlowConfig) -> FlowConfig {
    let part = |n: usize| (n / SHARDS).max(1);
    FlowConfig {
        max_flows: part(config.max_flows),
        max_out_of_order_total: part(config.max_out_of_order_total),
        max_inspection_total: part(config.max_inspection_total),
        defrag: DefragLimits {
            max_datagrams: part(config.defrag.max_datagrams),
            max_bytes: part(config.defrag.max_bytes),
            ..config.defrag
        },
        ..*config
    }
}

/// What a shard produces, kept until its turn.
enum Output {
    Flow(Box<EndedFlow>),
    Problem(Option<u64>, ProblemKind, String),
}

#[derive(Default)]
struct Outputs(Vec<Output>);

impl FlowSink for Outputs {
    fn flow(&mut self, flow: EndedFlow) {
        self.0.push(Output::Flow(Box::new(flow)));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.0.push(Output::Problem(pos, kind, detail));
    }
}

fn deliver(outputs: &mut Outputs, sink: &mut dyn FlowSink) {
    for out in outputs.0.drain(..) {
        match out {
            Output::Flow(f) => sink.flow(*f),
            Output::Problem(pos, kind, detail) => sink.problem(pos, kind, detail),
        }
    }
}

/// The flows both shards still held at the end of the capture, in first-packet order (as one
/// table gives them).
fn deliver_merged(home: Outputs, other: Outputs, sink: &mut dyn FlowSink) {
    let mut all = Outputs(home.0);
    all.0.extend(other.0);
    all.0.sort_by_key(|out| match out {
        Output::Flow(f) => f.first_packet,
        Output::Problem(..) => u64::MAX,
    });
    deliver(&mut all, sink);
}

/// One shard's flow table, fed frame by frame.
struct Shard {
    table: FlowTable,
    reported: u64,
}

impl Shard {
    fn new(config: FlowConfig) -> Shard {
        Shard {
            table: FlowTable::new(config),
            reported: 0,
        }
    }

    fn frame(&mut self, frame: &Frame<'_>, out: &mut Outputs) {
        if let Err(e) = self.table.packet(frame, &mut |f| out.flow(f)) {
            self.reported += 1;
            if self.reported <= MAX_PACKET_PROBLEMS {
                let more = if self.reported == MAX_PACKET_PROBLEMS {
                    " (further bad packets are counted, not reported)"
                } else {
                    ""
                };
                out.problem(
                    Some(frame.number),
                    ProblemKind::MalformedRecord,
                    format!("packet {}: {e}{more}", frame.number),
                );
            }
        }
    }

    fn tick(&mut self, now: Micros, out: &mut Outputs) {
        self.table.advance(now, &mut |f| out.flow(f));
    }

    fn finish(mut self, out: &mut Outputs) -> FlowStats {
        self.table.finish(&mut |f| out.flow(f));
        self.table.stats
    }
}

/// A frame of shard 1 on its way to the second thread; its bytes are in the batch's `data`.
struct FrameHead {
    number: u64,
    ts: Micros,
    linktype: u32,
    orig_len: u32,
    start: usize,
    end: usize,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    frames: Vec<FrameHead>,
    /// The time both shards' clocks move to at the end of the batch.
    tick: Option<Micros>,
}

enum Reply {
    /// A batch's output, and the batch back for reuse.
    Batch(Outputs, Batch),
    Finished(Outputs, FlowStats),
}

enum ToRemote {
    /// Shard 1 itself, when it moves to the second thread (its first message).
    Start(Box<Shard>),
    Batch(Batch),
}

/// The second thread: waits for shard 1 (it may never come: then it ends when the capture
/// does), runs it over every batch, then reports its last flows.
fn remote(batches: Receiver<ToRemote>, replies: SyncSender<Reply>) {
    let Ok(ToRemote::Start(mut shard)) = batches.recv() else {
        return;
    };
    for message in batches.iter() {
        let ToRemote::Batch(mut batch) = message else {
            continue;
        };
        let mut out = Outputs::default();
        for h in &batch.frames {
            let frame = Frame {
                number: h.number,
                ts: h.ts,
                linktype: h.linktype,
                data: batch.data.get(h.start..h.end).unwrap_or_default(),
                orig_len: h.orig_len,
            };
            shard.frame(&frame, &mut out);
        }
        if let Some(now) = batch.tick {
            shard.tick(now, &mut out);
        }
        batch.data.clear();
        batch.frames.clear();
        batch.tick = None;
        if replies.send(Reply::Batch(out, batch)).is_err() {
            return;
        }
    }
    let mut out = Outputs::default();
    let stats = shard.finish(&mut out);
    let _ = replies.send(Reply::Finished(out, stats));
}

/// The channels to the second thread.
struct Helper {
    tx: SyncSender<ToRemote>,
    rx: Receiver<Reply>,
}

/// Where shard 1 runs.
enum Other {
    Here {
        shard: Box<Shard>,
        out: Outputs,
        /// An idle second thread shard 1 can move to.
        helper: Option<Helper>,
        /// Shard 1's inspected bytes at the end of the last batch.
        inspected: u64,
    },
    Thread {
        tx: Option<SyncSender<ToRemote>>,
        rx: Receiver<Reply>,
        batch: Batch,
        spare: Vec<Batch>,
        /// Shard 0's output of each batch not yet given to the sink, oldest first, and whether
        /// the batch went to the second thread (then its answer is given after it).
        waiting: VecDeque<(Outputs, bool)>,
        /// The second thread is gone (it panicked): its shard's frames are dropped.
        failed: bool,
    },
    /// Only while shard 1 moves from here to the second thread.
    Moving,
}

/// The capture's frames, split over the shards; everything produced goes to `sink` in order.
pub(crate) struct ShardedFrames<'s> {
    sink: &'s mut dyn FlowSink,
    home: Shard,
    home_out: Outputs,
    other: Other,
    batch_frames: usize,
    batch_bytes: usize,
    last_ts: Option<Micros>,
}

impl<'s> ShardedFrames<'s> {
    /// Both shards on this thread.
    pub(crate) fn here(config: &FlowConfig, sink: &'s mut dyn FlowSink) -> Self {
        let share = shard_config(config);
        Self::new(
            sink,
            share,
            Other::Here {
                shard: Box::new(Shard::new(share)),
                out: Outputs::default(),
                helper: None,
                inspected: 0,
            },
        )
    }

    fn new(sink: &'s mut dyn FlowSink, share: FlowConfig, other: Other) -> Self {
        ShardedFrames {
            sink,
            home: Shard::new(share),
            home_out: Outputs::default(),
            other,
            batch_frames: 0,
            batch_bytes: 0,
            last_ts: None,
        }
    }

    /// Ends the current batch: both clocks move on, and what is due goes to the sink.
    fn end_batch(&mut self) {
        let tick = self.last_ts.take();
        if let Some(now) = tick {
            self.home.tick(now, &mut self.home_out);
        }
        let batch_bytes = std::mem::take(&mut self.batch_bytes);
        self.batch_frames = 0;
        match &mut self.other {
            Other::Here { shard, out, .. } => {
                if let Some(now) = tick {
                    shard.tick(now, out);
                }
                deliver(&mut self.home_out, self.sink);
                deliver(out, self.sink);
                self.hand_over_if_busy(batch_bytes);
            }
            Other::Thread {
                tx,
                rx,
                batch,
                spare,
                waiting,
                failed,
            } => {
                let mut sent = false;
                if !*failed && let Some(tx) = tx {
                    batch.tick = tick;
                    let full = std::mem::replace(batch, spare.pop().unwrap_or_default());
                    sent = tx.send(ToRemote::Batch(full)).is_ok();
                }
                waiting.push_back((std::mem::take(&mut self.home_out), sent));
                // Answers that are ready are given now; beyond IN_FLIGHT this thread waits.
                give_answered(waiting, rx, spare, failed, IN_FLIGHT, self.sink);
            }
            Other::Moving => {}
        }
    }

    /// Moves shard 1 to the second thread once its work is worth the hand-over: when it
    /// inspected at least a quarter as many bytes as the batch held. Copying its frames to
    /// another core costs more than it saves when the flows are mostly bulk data that is no
    /// longer inspected (measured: 1 GiB of TLS and HTTP, 26 % slower on two threads). Where
    /// shard 1 runs changes nothing it produces, nor the order it is given in.
    fn hand_over_if_busy(&mut self, batch_bytes: usize) {
        let Other::Here {
            shard,
            helper,
            inspected,
            ..
        } = &mut self.other
        else {
            return;
        };
        let now = shard.table.stats.inspected_bytes;
        let busy = helper.is_some() && (now - *inspected).saturating_mul(4) >= batch_bytes as u64;
        *inspected = now;
        if busy {
            self.hand_over();
        }
    }

    /// Moves shard 1 to the second thread, if there is one and it is still here.
    fn hand_over(&mut self) {
        if !matches!(
            self.other,
            Other::Here {
                helper: Some(_),
                ..
            }
        ) {
            return;
        }
        let Other::Here {
            shard,
            helper: Some(helper),
            ..
        } = std::mem::replace(&mut self.other, Other::Moving)
        else {
            return;
        };
        let started = helper.tx.send(ToRemote::Start(shard)).is_ok();
        self.other = Other::Thread {
            tx: Some(helper.tx),
            rx: helper.rx,
            batch: Batch::default(),
            spare: Vec::new(),
            waiting: VecDeque::new(),
            failed: false,
        };
        if !started && let Other::Thread { failed, .. } = &mut self.other {
            fail(failed, self.sink);
        }
    }

    /// The end of the capture: the last batch, the shards' last flows, and what the bounds
    /// dropped. Returns the counters of both shards together.
    pub(crate) fn finish(mut self, config: &FlowConfig) -> FlowStats {
        if self.batch_frames > 0 {
            self.end_batch();
        }
        let ShardedFrames {
            sink,
            home,
            mut home_out,
            other,
            ..
        } = self;
        let mut stats = home.finish(&mut home_out);
        match other {
            Other::Here {
                shard,
                mut out,
                helper,
                ..
            } => {
                // The second thread, if there is one, ends without shard 1.
                drop(helper);
                stats.add(&shard.finish(&mut out));
                deliver_merged(home_out, out, sink);
            }
            Other::Moving => deliver(&mut home_out, sink),
            Other::Thread {
                tx,
                rx,
                mut spare,
                mut waiting,
                mut failed,
                ..
            } => {
                // Without more batches the second thread answers what it has, then finishes.
                drop(tx);
                give_answered(&mut waiting, &rx, &mut spare, &mut failed, 0, sink);
                match rx.recv() {
                    Ok(Reply::Finished(out, remote_stats)) => {
                        stats.add(&remote_stats);
                        deliver_merged(home_out, out, sink);
                    }
                    Ok(Reply::Batch(..)) | Err(_) => {
                        deliver(&mut home_out, sink);
                        fail(&mut failed, sink);
                    }
                }
            }
        }
        // A bound that was met dropped something: say what, once per capture.
        for detail in stats.over_budget(config) {
            sink.problem(None, ProblemKind::OverBudget, detail);
        }
        stats
    }
}

/// Gives the sink every waiting batch whose answer is in, oldest first: shard 0's part, then
/// shard 1's. Waits for answers while more than `keep` batches are waiting.
fn give_answered(
    waiting: &mut VecDeque<(Outputs, bool)>,
    rx: &Receiver<Reply>,
    spare: &mut Vec<Batch>,
    failed: &mut bool,
    keep: usize,
    sink: &mut dyn FlowSink,
) {
    while let Some(&(_, sent)) = waiting.front() {
        let reply = if !sent {
            None
        } else if waiting.len() > keep {
            Some(rx.recv().ok())
        } else {
            match rx.try_recv() {
                Ok(r) => Some(Some(r)),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => Some(None),
            }
        };
        let Some((mut home_part, _)) = waiting.pop_front() else {
            break;
        };
        deliver(&mut home_part, sink);
        match reply {
            // A batch that was never sent has no answer to wait for.
            None => {}
            Some(Some(Reply::Batch(mut out, batch))) => {
                deliver(&mut out, sink);
                if spare.len() < IN_FLIGHT {
                    spare.push(batch);
                }
            }
            Some(Some(Reply::Finished(..)) | None) => fail(failed, sink),
        }
    }
}

fn fail(failed: &mut bool, sink: &mut dyn FlowSink) {
    if !*failed {
        *failed = true;
        sink.problem(
            None,
            ProblemKind::Internal,
            "the capture's second flow thread failed; the flows of its shard that it had not \
             reported are lost, and its later packets were dropped"
                .to_string(),
        );
    }
}

impl FrameSink for ShardedFrames<'_> {
    fn frame(&mut self, frame: &Frame<'_>) {
        if shard_of(frame) == 0 {
            self.home.frame(frame, &mut self.home_out);
        } else {
            match &mut self.other {
                Other::Here { shard, out, .. } => shard.frame(frame, out),
                Other::Thread { batch, failed, .. } => {
                    if !*failed {
                        let start = batch.data.len();
                        batch.data.extend_from_slice(frame.data);
                        batch.frames.push(FrameHead {
                            number: frame.number,
                            ts: frame.ts,
                            linktype: frame.linktype,
                            orig_len: frame.orig_len,
                            start,
                            end: batch.data.len(),
                        });
                    }
                }
                Other::Moving => {}
            }
        }
        self.batch_frames += 1;
        self.batch_bytes += frame.data.len();
        self.last_ts = Some(frame.ts);
        if self.batch_frames >= BATCH_FRAMES || self.batch_bytes >= BATCH_BYTES {
            self.end_batch();
        }
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        // In its place among shard 0's output, which is given first for each batch.
        self.home_out.problem(pos, kind, detail);
    }
    fn aborted(&self) -> bool {
        self.sink.aborted()
    }
    fn bytes(&mut self, n: u64) {
        self.sink.bytes(n);
    }
}

/// Runs `read` (the capture parser, on this thread) with a second thread that shard 1 moves
/// to when its work is worth it, or from the start (`at_once`).
pub(crate) fn on_two_threads<R>(
    config: &FlowConfig,
    sink: &mut dyn FlowSink,
    at_once: bool,
    read: impl FnOnce(&mut ShardedFrames<'_>) -> R,
) -> (R, FlowStats) {
    let share = shard_config(config);
    let (batch_tx, batch_rx) = sync_channel::<ToRemote>(IN_FLIGHT + 1);
    let (reply_tx, reply_rx) = sync_channel::<Reply>(IN_FLIGHT + 2);
    std::thread::scope(|s| {
        // A panic there is caught (and said, by the answers that stop coming), so that the
        // scope does not re-raise it here.
        s.spawn(move || {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                remote(batch_rx, reply_tx);
            }));
        });
        let mut frames = ShardedFrames::new(
            sink,
            share,
            Other::Here {
                shard: Box::new(Shard::new(share)),
                out: Outputs::default(),
                helper: Some(Helper {
                    tx: batch_tx,
                    rx: reply_rx,
                }),
                inspected: 0,
            },
        );
        if at_once {
            frames.hand_over();
        }
        let value = read(&mut frames);
        let stats = frames.finish(config);
        (value, stats)
    })
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;
