//! Captures read in place ([`pubsub_hunt_packets::capture::blocks`]): wherever the blocks of
//! input end — one byte, a few bytes, inside every record header, records spanning hundreds
//! of blocks — the frames and problems are exactly those of a read in one block; on undamaged
//! captures they are the frames pcap-parser's own streaming readers give; and on two threads
//! (the input read ahead on the calling thread, [`pubsub_hunt_packets::read_ahead`]) a read
//! error, a stop asked by the sink and a panic behave as on one.

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use proptest::prelude::*;
use pubsub_hunt_packets::capture::blocks::{BLOCK, Cuts};
use pubsub_hunt_packets::capture::{self, Container, Direct, Frame, FrameSink};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, ShardThreads, read_flows_on};
use pubsub_hunt_packets::read_ahead::read_ahead;
use pubsub_hunt_reader::ProblemKind;
use std::io::Read;

mod common;
use common::corpus_captures;
use pubsub_hunt_testgen::raw::{ACK, SYN};

/// Every frame (number, time, link type, bytes, length on the wire) and problem, in order.
#[derive(Default, Debug, PartialEq)]
struct Frames(Vec<String>);

impl FrameSink for Frames {
    fn frame(&mut self, f: &Frame<'_>) {
        self.0.push(format!(
            "{} {} {} {:?} {}",
            f.number, f.ts, f.linktype, f.data, f.orig_len
        ));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.0.push(format!("problem {pos:?} {kind:?} {detail}"));
    }
}

fn whole(data: &[u8]) -> (Frames, String) {
    let mut f = Frames::default();
    let r = capture::read_capture(data, &mut f);
    (f, format!("{r:?}"))
}

fn cut(data: &[u8], cuts: Vec<usize>) -> (Frames, String) {
    let mut f = Frames::default();
    let r = capture::read_capture_from(Cuts::new(data, cuts), &mut f);
    (f, format!("{r:?}"))
}

/// The packets pcap-parser's own streaming reader finds: (bytes, length on the wire).
fn pcap_parser_packets(data: &[u8]) -> Vec<(Vec<u8>, u32)> {
    use pcap_parser::pcapng::Block;
    use pcap_parser::traits::PcapNGPacketBlock;
    let mut out = Vec::new();
    let mut take = |block: PcapBlockOwned<'_>| match block {
        PcapBlockOwned::Legacy(b) => {
            let n = (b.caplen as usize).min(b.data.len());
            out.push((b.data[..n].to_vec(), b.origlen));
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(b)) => {
            out.push((b.packet_data().to_vec(), b.orig_len()))
        }
        _ => {}
    };
    fn run(mut r: impl PcapReaderIterator, take: &mut dyn FnMut(PcapBlockOwned<'_>)) {
        loop {
            match r.next() {
                Ok((n, block)) => {
                    take(block);
                    r.consume(n);
                }
                Err(PcapError::Incomplete(_)) => r.refill().expect("refill"),
                Err(PcapError::Eof) => break,
                Err(e) => panic!("pcap-parser: {e:?}"),
            }
        }
    }
    match Container::sniff(data) {
        Some(Container::Pcap) => run(
            LegacyPcapReader::new(16 << 20, data).expect("pcap"),
            &mut take,
        ),
        Some(Container::PcapNg) => run(
            PcapNGReader::new(16 << 20, data).expect("pcapng"),
            &mut take,
        ),
        None => {}
    }
    out
}

fn packets_of(frames: &Frames) -> usize {
    frames
        .0
        .iter()
        .filter(|l| !l.starts_with("problem"))
        .count()
}

#[test]
fn corpus_captures_read_the_same_wherever_the_blocks_end() {
    let mut checked = 0;
    for path in corpus_captures() {
        let data = std::fs::read(&path).expect("read corpus capture");
        let (reference, result) = whole(&data);
        for cuts in [
            vec![1],
            vec![7],
            vec![16, 3, 1500],
            vec![1499],
            vec![65_536],
        ] {
            let (frames, r) = cut(&data, cuts.clone());
            assert_eq!(
                (&reference, &result),
                (&frames, &r),
                "{} cut at {cuts:?}",
                path.display()
            );
        }
        // The corpus is undamaged: every packet pcap-parser's reader finds, no more.
        let oracle = pcap_parser_packets(&data);
        assert_eq!(packets_of(&reference), oracle.len(), "{}", path.display());
        checked += 1;
    }
    assert!(checked == 0 || checked >= 10, "{checked} corpus captures");
}

/// A classic pcap of `sizes` frames (bytes numbered so that a misplaced byte shows).
fn capture_of(sizes: &[usize]) -> Vec<u8> {
    let frames: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|k| (k * 31 + i) as u8).collect())
        .collect();
    common::pcap(
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| (i as u32, &f[..], f.len() as u32 + 4)),
    )
}

#[test]
fn a_record_larger_than_a_block_is_read_across_blocks() {
    // A 3 MiB frame: more than the reader holds at first, so the capture reader grows it. The
    // file's snap length allows it (8 MiB).
    let mut data = capture_of(&[100, 3 << 20, 60, 1 << 20, 5]);
    data[16..20].copy_from_slice(&(8u32 << 20).to_le_bytes());
    let (frames, result) = whole(&data);
    assert!(result.starts_with("Ok"), "{result}");
    assert_eq!(
        packets_of(&frames),
        5,
        "{:?}",
        &frames.0[..frames.0.len().min(2)]
    );
    assert_eq!(
        frames
            .0
            .iter()
            .map(|l| l.split(' ').next_back().unwrap_or_default().to_string())
            .collect::<Vec<_>>(),
        [
            "104",
            &format!("{}", (3 << 20) + 4),
            "64",
            &format!("{}", (1 << 20) + 4),
            "9"
        ]
    );
    assert_eq!(cut(&data, vec![BLOCK / 3, 17]), (frames, result));
    assert_eq!(pcap_parser_packets(&data).len(), 5);
}

/// A read of `data` that fails after `n` bytes.
struct FailAfter<'a> {
    data: &'a [u8],
    left: usize,
}

impl Read for FailAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("device gone"));
        }
        let n = buf.len().min(self.left).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.left -= n;
        Ok(n)
    }
}

#[derive(Default)]
struct Flows {
    seen: Vec<String>,
    bytes: u64,
    stop: bool,
}

impl FlowSink for Flows {
    fn flow(&mut self, flow: EndedFlow) {
        self.seen
            .push(format!("{} {:?}", flow.first_packet, flow.event));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.seen.push(format!("{pos:?} {kind:?} {detail}"));
    }
    fn aborted(&self) -> bool {
        self.stop
    }
    fn bytes(&mut self, n: u64) {
        self.bytes += n;
    }
}

/// About `mib` MiB of TCP sessions between 200 address pairs (several blocks).
fn big_capture(mib: usize) -> Vec<u8> {
    let payload = vec![b'x'; 1400];
    let mut frames = Vec::new();
    let mut n = 0u32;
    while frames.len() * 1450 < mib << 20 {
        let host = n % 200;
        let (c, s) = ([10, 1, 0, host as u8], [192, 0, 2, 1]);
        let sport = 30_000 + (n / 200) as u16;
        frames.push(common::ipv4_tcp(c, s, sport, 443, 0, SYN, &[]));
        for k in 0..20u32 {
            frames.push(common::ipv4_tcp(
                c,
                s,
                sport,
                443,
                1 + k * 1400,
                ACK,
                &payload,
            ));
        }
        n += 1;
    }
    common::pcap(
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| (i as u32 / 50, &f[..], f.len() as u32)),
    )
}

#[test]
fn on_two_threads_a_read_error_a_stop_and_a_panic_are_as_on_one() {
    let data = big_capture(6);
    for fail_at in [5_000, 3 << 20, data.len()] {
        let mut results = Vec::new();
        for threads in [ShardThreads::One, ShardThreads::Two] {
            let mut sink = Flows::default();
            let input = FailAfter {
                data: &data,
                left: fail_at,
            };
            let r = read_flows_on(input, FlowConfig::default(), &mut sink, threads);
            results.push((format!("{r:?}"), sink.seen, sink.bytes));
        }
        assert_eq!(results[0], results[1], "failing after {fail_at} bytes");
        assert!(!results[0].1.is_empty());
        if fail_at < data.len() {
            assert!(results[0].0.contains("Read"), "{}", results[0].0);
        }
    }
    // A sink that asks to stop: the read ends within a few blocks, not at the end.
    let mut sink = Flows {
        stop: true,
        ..Flows::default()
    };
    let r = read_flows_on(
        &data[..],
        FlowConfig::default(),
        &mut sink,
        ShardThreads::Two,
    )
    .expect("a capture");
    assert!(
        r.read.bytes < (data.len() / 2) as u64,
        "{} of {} bytes read after a stop",
        r.read.bytes,
        data.len()
    );
    // A panic on the second thread reaches the caller.
    let caught = std::panic::catch_unwind(|| {
        let mut sink = Flows::default();
        read_ahead(&mut Direct::new(&data[..]), &mut sink, |_, _| -> u8 {
            panic!("inside the second thread")
        })
    });
    assert!(caught.is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random frame sizes, damage in random places, random block cuts: the same frames and
    /// problems as one block; and without damage, pcap-parser's packets.
    #[test]
    fn any_cuts_give_what_one_block_gives(
        sizes in proptest::collection::vec(0usize..3000, 1..60),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cuts in proptest::collection::vec(1usize..2500, 1..8),
    ) {
        let mut data = capture_of(&sizes);
        let undamaged = damage.is_empty();
        for (at, byte) in damage {
            // Past the file header: a damaged header is refused before any block matters.
            let i = 24 + at.index(data.len() - 24);
            data[i] = byte;
        }
        let (reference, result) = whole(&data);
        prop_assert_eq!(cut(&data, cuts), (reference, result.clone()));
        if undamaged {
            let (frames, _) = whole(&data);
            prop_assert_eq!(packets_of(&frames), sizes.len());
            prop_assert_eq!(pcap_parser_packets(&data).len(), sizes.len());
        }
    }
}

/// A record header: seconds, fraction, captured length, length on the wire.
fn header(sec: u32, frac: u32, caplen: u32, orig: u32) -> Vec<u8> {
    [sec, frac, caplen, orig]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// A good record, then a header claiming 4 GiB, then `junk`, then `tail`.
fn damaged(junk: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut data = capture_of(&[40]);
    data.extend(header(1_700_000_001, 0, u32::MAX, u32::MAX));
    data.extend_from_slice(junk);
    data.extend_from_slice(tail);
    data
}

#[test]
fn after_damage_the_next_record_is_found_wherever_the_blocks_end() {
    // In the junk, a header that looks right but is followed by one that is not (a fraction
    // of two seconds): not a record, even when a block ends inside the header after it.
    let mut junk = header(1_700_000_001, 0, 20, 20);
    junk.extend([7u8; 20]);
    junk.extend(header(1_700_000_001, 2_000_000, 20, 20));
    let mut tail = header(1_700_000_002, 0, 30, 30);
    tail.extend([1u8; 30]);
    tail.extend(header(1_700_000_003, 0, 10, 10));
    tail.extend([2u8; 10]);
    let data = damaged(&junk, &tail);
    let (frames, result) = whole(&data);
    assert_eq!(packets_of(&frames), 3, "{:?}", frames.0);
    let skipped = format!(
        "{} bytes skipped to the next plausible record",
        16 + junk.len()
    );
    assert!(frames.0[1].contains(&skipped), "{}", frames.0[1]);
    // A block that ends 8 bytes into the header after the false one, and others.
    let inside = 24 + 16 + 40 + 16 + 16 + 20 + 8;
    for cuts in [vec![inside, BLOCK], vec![1], vec![inside - 20, 3]] {
        assert_eq!(
            cut(&data, cuts.clone()),
            (Frames(frames.0.clone()), result.clone()),
            "{cuts:?}"
        );
    }
}

#[test]
fn a_record_that_ends_the_file_after_damage_is_read() {
    let mut tail = header(1_700_000_002, 0, 30, 30);
    tail.extend([1u8; 30]);
    let data = damaged(&[9u8; 50], &tail);
    let (frames, result) = whole(&data);
    assert_eq!(packets_of(&frames), 2, "{:?}", frames.0);
    assert!(frames.0[1].contains("66 bytes skipped"), "{}", frames.0[1]);
    for cuts in [vec![1], vec![100, 7]] {
        assert_eq!(cut(&data, cuts), (Frames(frames.0.clone()), result.clone()));
    }
    // Cut by the end of the file, it is not.
    let (frames, _) = whole(&data[..data.len() - 1]);
    assert_eq!(packets_of(&frames), 1, "{:?}", frames.0);
    assert!(
        frames.0[1].contains("hold no plausible record"),
        "{}",
        frames.0[1]
    );
}

#[test]
fn a_pcapng_block_whose_body_claims_more_than_the_block_is_skipped_wherever_the_blocks_end() {
    let packet = |n: u8| common::ipv4_tcp([10, 0, 0, n], [10, 0, 0, 9], 4000, 1883, 0, SYN, &[]);
    // 40 bytes in the block, a captured length of 2 GiB or of 60 claimed; or a packet block
    // of 12 bytes, too short for its own fields (which the bytes after it could fill: they
    // must not be read as its own).
    let short: Vec<u8> = [6u32, 12, 12]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    for (claim, bad) in [
        (0x7fff_ffff, common::epb(&packet(2), 0x7fff_ffff)),
        (60, common::epb(&packet(2), 60)),
        (12, short),
    ] {
        let data = common::pcapng(&[
            common::epb(&packet(1), 40),
            bad,
            common::epb(&packet(3), 40),
            common::epb(&packet(4), 40),
        ]);
        let (frames, result) = whole(&data);
        assert_eq!(packets_of(&frames), 3, "{claim}: {:?}", frames.0);
        assert!(
            frames
                .0
                .iter()
                .any(|l| l.contains("invalid block") && l.contains("block skipped")),
            "{claim}: {:?}",
            frames.0
        );
        for cuts in [
            vec![1],
            vec![60],
            vec![100, 9],
            vec![130],
            vec![200],
            vec![132],
        ] {
            assert_eq!(
                cut(&data, cuts.clone()),
                (Frames(frames.0.clone()), result.clone()),
                "{claim} {cuts:?}"
            );
        }
    }
}

#[test]
fn a_record_claiming_more_than_the_reader_holds_is_judged_the_same_wherever_the_blocks_end() {
    // The file allows 4 GiB records; the first claims 1.5 GB.
    let mut big_snap = capture_of(&[]);
    big_snap[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut short = big_snap.clone();
    short.extend(header(1_700_000_000, 0, 1_500_000_000, 1_500_000_000));
    short.extend([5u8; 3000]);
    let (frames, result) = whole(&short);
    assert!(
        frames
            .0
            .iter()
            .any(|l| l.contains("capture ends inside a record")),
        "{:?}",
        frames.0
    );
    for cuts in [vec![1], vec![7, 100], vec![2000]] {
        assert_eq!(
            cut(&short, cuts),
            (Frames(frames.0.clone()), result.clone())
        );
    }
    // With more than the reader holds (16 MiB) after it, the claim is refused.
    let mut long = big_snap;
    long.extend(header(1_700_000_000, 0, 1_500_000_000, 1_500_000_000));
    long.extend(vec![5u8; 17 << 20]);
    let (frames, result) = whole(&long);
    assert!(
        frames
            .0
            .iter()
            .any(|l| l.contains("claims more than 16777216 bytes")),
        "{:?}",
        frames.0
    );
    assert_eq!(cut(&long, vec![BLOCK / 7]), (frames, result));
}

#[test]
fn an_impossible_length_is_refused_even_when_the_whole_record_is_buffered() {
    // pcap: snap length 65,535, so 256 KiB is the most a record may capture; this one captures
    // 300,000 bytes, all of them in the file, and a good record follows.
    let mut data = capture_of(&[40]);
    data.extend(header(1_700_000_001, 0, 300_000, 300_000));
    data.extend(vec![3u8; 300_000]);
    data.extend(header(1_700_000_002, 0, 20, 20));
    data.extend([4u8; 20]);
    let (frames, result) = whole(&data);
    assert_eq!(packets_of(&frames), 2, "{:?}", frames.0);
    assert!(
        frames.0[1].contains("impossible length (300000 bytes); 300016 bytes skipped"),
        "{}",
        frames.0[1]
    );
    for cuts in [vec![1 << 20], vec![100], vec![5000, 3]] {
        assert_eq!(cut(&data, cuts), (Frames(frames.0.clone()), result.clone()));
    }
    // pcapng: a block of 54 bytes (not a multiple of 4) between two packets.
    let packet = |n: u8| common::ipv4_tcp([10, 0, 0, n], [10, 0, 0, 9], 4000, 1883, 0, SYN, &[]);
    let mut odd = 6u32.to_le_bytes().to_vec();
    odd.extend(54u32.to_le_bytes());
    odd.extend([0u8; 46]);
    let data = common::pcapng(&[
        common::epb(&packet(1), 40),
        odd,
        common::epb(&packet(2), 40),
    ]);
    let (frames, result) = whole(&data);
    assert_eq!(packets_of(&frames), 2, "{:?}", frames.0);
    assert!(
        frames.0[1].contains("impossible length (54 bytes)"),
        "{}",
        frames.0[1]
    );
    for cuts in [vec![1], vec![70], vec![100, 9]] {
        assert_eq!(cut(&data, cuts), (Frames(frames.0.clone()), result.clone()));
    }
}

/// Runs `f` on its own thread and fails if it does not finish in a minute (a hang would
/// otherwise stop the whole suite).
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the read finished within a minute")
}

#[test]
fn captures_cut_anywhere_end_on_two_threads_as_on_one() {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for path in corpus_captures() {
        let data = std::fs::read(&path).expect("read corpus capture");
        for keep in [data.len() - 1, data.len() / 2, 40, 20] {
            inputs.push(data[..keep.min(data.len())].to_vec());
        }
    }
    let big = big_capture(3);
    inputs.push(big[..big.len() - 5].to_vec());
    inputs.push(damaged(&[9u8; 50], &[]));
    // Two damaged records. In the junk after the first, a header whose record would run past
    // the end of the file: undecided until the input has ended, so the resync reads on to the
    // end; the second damaged record is then met with the input already ended.
    let mut junk = vec![9u8; 10];
    junk.extend(header(1_700_000_001, 0, 60_000, 60_000));
    junk.extend([9u8; 10]);
    let mut tail = Vec::new();
    for (sec, fill) in [(1_700_000_002, 1u8), (1_700_000_003, 2)] {
        tail.extend(header(sec, 0, 30, 30));
        tail.extend([fill; 30]);
    }
    tail.extend(header(1_700_000_004, 0, u32::MAX, u32::MAX));
    tail.extend([2u8; 70]);
    tail.extend(header(1_700_000_005, 0, 10, 10));
    tail.extend([3u8; 10]);
    let twice = damaged(&junk, &tail);
    assert_eq!(packets_of(&whole(&twice).0), 4, "{:?}", whole(&twice).0);
    inputs.push(twice);
    let seen = within_a_minute(move || {
        let mut seen = 0;
        for data in &inputs {
            let mut results = Vec::new();
            for threads in [
                ShardThreads::One,
                ShardThreads::Two,
                ShardThreads::TwoFromTheStart,
            ] {
                let mut sink = Flows::default();
                let r = read_flows_on(&data[..], FlowConfig::default(), &mut sink, threads);
                results.push((format!("{r:?}"), sink.seen, sink.bytes));
            }
            assert_eq!(results[0], results[1]);
            assert_eq!(results[0], results[2]);
            seen += 1;
        }
        seen
    });
    assert!(seen >= 2);
}
