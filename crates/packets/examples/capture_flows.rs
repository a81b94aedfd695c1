//! Reads a capture and prints one line per flow, then throughput figures on stderr:
//! `cargo run --release -p pubsub-hunt-packets --example capture_flows -- FILE [REPEAT]`.
//! With REPEAT the file is read that many times from memory (for throughput measurement).

use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, read_flows};
use pubsub_hunt_reader::ProblemKind;
use std::time::Instant;

struct Print {
    quiet: bool,
    flows: u64,
}

impl FlowSink for Print {
    fn flow(&mut self, f: EndedFlow) {
        self.flows += 1;
        if self.quiet {
            return;
        }
        let e = &f.event;
        println!(
            "#{} {:?} {}:{} -> {}:{} {:?} out={:?} in={:?} ts={:?} end={:?} {:?}",
            f.first_packet,
            e.transport,
            e.src_ip.map(|i| i.to_string()).unwrap_or_default(),
            e.src_port.unwrap_or(0),
            e.dst_ip,
            e.dst_port,
            e.outcome,
            e.bytes_out,
            e.bytes_in,
            e.ts,
            e.end,
            e.identified
        );
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        if !self.quiet {
            eprintln!("problem at {pos:?}: {kind}: {detail}");
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: capture_flows FILE [REPEAT]")?;
    let repeat: u32 = args.next().map(|r| r.parse()).transpose()?.unwrap_or(1);
    let data = std::fs::read(&path)?;
    let mut sink = Print {
        quiet: repeat > 1,
        flows: 0,
    };
    let start = Instant::now();
    let mut packets = 0u64;
    for _ in 0..repeat {
        let report = read_flows(&data[..], FlowConfig::default(), &mut sink)?;
        packets += report.read.packets;
        if repeat == 1 {
            eprintln!("{report:?}");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes = data.len() as f64 * f64::from(repeat);
    eprintln!(
        "{} flows, {packets} packets, {:.1} MB in {secs:.3} s: {:.1} MB/s, {:.0} packets/s",
        sink.flows,
        bytes / 1e6,
        bytes / 1e6 / secs,
        packets as f64 / secs
    );
    Ok(())
}
