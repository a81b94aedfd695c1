//! One capture read on two threads without copying it again. The calling thread owns the
//! input and the sink: it reads (and decompresses) the input into blocks
//! ([`crate::capture::blocks`]) and hands each block whole to a second thread, which parses
//! the records in place and runs the flow table. What the flow table produces comes back in
//! the order it was produced and is given to the sink here.
//!
//! Why this split: on bulk captures most of the time is the kernel's copy of the file into
//! memory (and the decompression of a compressed one); the records and the flow table touch
//! only the headers of each frame. Moving the blocks between the threads costs nothing, so
//! the two halves overlap. What is read, and in which order, does not depend on this: the
//! records are the same wherever the blocks end.
//!
//! Memory: at most [`POOL`] blocks exist (one being parsed, the rest read ahead). The second
//! thread's output waits in a bounded channel. A panic on the second thread is raised again
//! on the calling thread once both have stopped, as if the read had run here.

use crate::capture::blocks::{Block, BlockSource};
use crate::flow::EndedFlow;
use crate::sink::FlowSink;
use pubsub_hunt_reader::ProblemKind;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Blocks in use at once: one parsed, the others read ahead.
pub const POOL: usize = 4;
/// Output messages waiting for the calling thread, at most.
const OUTPUT_QUEUE: usize = 1024;
/// Bytes counted on the second thread before they are passed on (for progress).
const BYTES_STEP: u64 = 1 << 20;

/// From the calling thread to the second.
enum Down {
    Block(Block),
    End,
    Failed(io::Error),
}

/// From the second thread to the calling one.
enum Up<T> {
    /// A block parsed, back for the next read.
    Spent(Block),
    Flow(Box<EndedFlow>),
    Problem(Option<u64>, ProblemKind, String),
    Bytes(u64),
    Done(T),
}

/// Runs `work` on a second thread over the blocks `input` gives here, with a sink whose calls
/// reach `sink` here in order. Returns what `work` returns (`None` only if the second thread
/// could not be started; then no block has been taken from `input`).
pub fn read_ahead<T: Send>(
    input: &mut dyn BlockSource,
    sink: &mut dyn FlowSink,
    work: impl FnOnce(&mut dyn BlockSource, &mut dyn FlowSink) -> T + Send,
) -> Option<T> {
    let (down_tx, down_rx) = sync_channel::<Down>(POOL + 1);
    let (up_tx, up_rx) = sync_channel::<Up<T>>(OUTPUT_QUEUE);
    let abort = Arc::new(AtomicBool::new(false));
    let worker_abort = Arc::clone(&abort);
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new().spawn_scoped(s, move || {
            let mut source = Blocks {
                rx: down_rx,
                tx: up_tx.clone(),
                ended: false,
            };
            let mut out = Outputs {
                tx: up_tx.clone(),
                bytes: 0,
                abort: worker_abort,
            };
            let value = work(&mut source, &mut out);
            out.flush();
            let _ = up_tx.send(Up::Done(value));
        });
        let Ok(worker) = worker else {
            return None;
        };
        let mut reader = Reader {
            input,
            ended: false,
            tx: down_tx,
        };
        for _ in 0..POOL {
            reader.feed(None);
        }
        let mut value = None;
        // Ends when the worker is done, or gone (a panic, raised again by `join`).
        while let Ok(message) = up_rx.recv() {
            match message {
                Up::Spent(block) => reader.feed(Some(block)),
                Up::Flow(flow) => sink.flow(*flow),
                Up::Problem(pos, kind, detail) => sink.problem(pos, kind, detail),
                Up::Bytes(n) => sink.bytes(n),
                Up::Done(v) => {
                    value = Some(v);
                    break;
                }
            }
            if sink.aborted() {
                abort.store(true, Ordering::Relaxed);
            }
        }
        drop(reader);
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        value
    })
}

/// The calling thread's side: reads the input into the blocks that come back.
struct Reader<'a> {
    input: &'a mut dyn BlockSource,
    ended: bool,
    tx: SyncSender<Down>,
}

impl Reader<'_> {
    fn feed(&mut self, spent: Option<Block>) {
        if self.ended {
            return;
        }
        let message = match self.input.next_block(spent) {
            Ok(Some(block)) => Down::Block(block),
            Ok(None) => Down::End,
            Err(e) => Down::Failed(e),
        };
        self.ended = !matches!(message, Down::Block(_));
        // Never blocks: at most POOL blocks and one end are ever sent unanswered. A closed
        // channel means the worker is gone, which the caller learns from its channel.
        let _ = self.tx.send(message);
    }
}

/// The second thread's source of blocks.
struct Blocks<T> {
    rx: Receiver<Down>,
    tx: SyncSender<Up<T>>,
    /// The input has ended (or failed): nothing more will come, and asking again must not wait.
    ended: bool,
}

impl<T: Send> BlockSource for Blocks<T> {
    fn next_block(&mut self, spent: Option<Block>) -> io::Result<Option<Block>> {
        if let Some(block) = spent {
            let _ = self.tx.send(Up::Spent(block));
        }
        if self.ended {
            return Ok(None);
        }
        let next = self.rx.recv();
        self.ended = !matches!(next, Ok(Down::Block(_)));
        match next {
            Ok(Down::Block(block)) => Ok(Some(block)),
            Ok(Down::End) => Ok(None),
            Ok(Down::Failed(e)) => Err(e),
            Err(_) => Err(io::Error::other("the reading thread stopped")),
        }
    }
}

/// The second thread's sink: everything goes back to the calling thread.
struct Outputs<T> {
    tx: SyncSender<Up<T>>,
    bytes: u64,
    abort: Arc<AtomicBool>,
}

impl<T> Outputs<T> {
    fn flush(&mut self) {
        if self.bytes > 0 {
            let _ = self.tx.send(Up::Bytes(std::mem::take(&mut self.bytes)));
        }
    }
}

impl<T: Send> FlowSink for Outputs<T> {
    fn flow(&mut self, flow: EndedFlow) {
        let _ = self.tx.send(Up::Flow(Box::new(flow)));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        let _ = self.tx.send(Up::Problem(pos, kind, detail));
    }
    fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }
    fn bytes(&mut self, n: u64) {
        self.bytes += n;
        if self.bytes >= BYTES_STEP {
            self.flush();
        }
    }
}
