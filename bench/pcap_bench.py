#!/usr/bin/env python3
"""Speed benchmark of pubsub-hunt on a large packet capture, against ndpiReader, tshark and `wc -l`.

Generates a large classic pcap (Ethernet/IPv4/TCP, microsecond timestamps) in a streaming way:
mostly TLS flows (a ClientHello with SNI, then bulk application-data records) and HTTP/1.1 flows
with large bodies, plus a handful of planted pub/sub flows (MQTT on 1883 and on 443, XMPP on
5222, STOMP on 61613) spread through the file. Sequence and acknowledgement numbers and all
lengths are consistent, so TCP reassembly works; checksums are zero (not verified by any tool
here). Then times on the same file in the same run, with GNU time (wall seconds, peak RSS):

* `wc -l FILE`                                             the speed of reading the file at all;
* `pubsub-hunt hunt --format jsonl --all-sessions FILE`    default threads (one per core);
* `ndpiReader -i FILE -q`                                  nDPI's reader, quiet (summary only);
* `tshark -r FILE -q -z conv,tcp`                          a light whole-file pass: TCP conversations;

and checks that pubsub-hunt reported every planted pub/sub session (session lines counted by
protocol). See bench/README.md.

    bench/pcap_bench.py                          # 1 GiB capture
    bench/pcap_bench.py --quick                  # 64 MiB, a smoke test
    bench/pcap_bench.py --size-mb 4096 --json bench/out/pcap-figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

# Measurements are of one run over the given inputs: no history across runs is read or
# written (the state store would carry one run's findings into the next).
os.environ["PUBSUB_HUNT_NO_STATE"] = "1"

# Figures and verdicts must not depend on what earlier runs left in a history store, and
# benchmarks must not write into the user's: history across runs is off for every run here.
os.environ.setdefault("PUBSUB_HUNT_NO_STATE", "1")

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = ROOT / "target" / "release"
GNU_TIME = "/usr/bin/time"

MSS = 1448  # TCP payload per full segment, as with timestamps on a 1500-byte MTU
ETH_IP_TCP = 14 + 20 + 20
PCAP_REC = struct.Struct("<IIII")  # ts_sec, ts_usec, incl_len, orig_len
PCAP_TS = struct.Struct("<II")  # ts_sec, ts_usec
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

# Offsets inside one record (pcap record header, then the frame).
OFF_TS = 0
OFF_IP = 16 + 14
OFF_IP_LEN = OFF_IP + 2
OFF_IP_ID = OFF_IP + 4
OFF_IP_SRC = OFF_IP + 12
OFF_TCP = OFF_IP + 20
OFF_TCP_FLAGS = OFF_TCP + 13
ADDR_PORTS_SEQ_ACK = struct.Struct("!4s4sHHII")  # from OFF_IP_SRC: src, dst, sport, dport, seq, ack

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")


def log(msg: str) -> None:
    print(f"[pcap_bench] {msg}", file=sys.stderr, flush=True)


def template(payload: bytes, flags: int, to_server: bool) -> bytearray:
    """A whole pcap record (header + Ethernet + IPv4 + TCP + payload) with addresses, ports,
    sequence numbers, IP id and timestamp left to be filled in with pack_into."""
    frame_len = ETH_IP_TCP + len(payload)
    rec = bytearray(16 + frame_len)
    PCAP_REC.pack_into(rec, 0, 0, 0, frame_len, frame_len)
    dst, src = (SERVER_MAC, CLIENT_MAC) if to_server else (CLIENT_MAC, SERVER_MAC)
    rec[16:30] = dst + src + b"\x08\x00"
    # IPv4: version/IHL, DSCP, total length, id, DF, TTL 64, TCP, checksum 0, addresses later.
    struct.pack_into("!BBHHHBBH", rec, OFF_IP, 0x45, 0, 20 + 20 + len(payload), 0, 0x4000, 64, 6, 0)
    # TCP: ports/seq/ack later; data offset 5 words, flags, window, checksum 0, urgent 0.
    struct.pack_into("!BBHHH", rec, OFF_TCP + 12, 5 << 4, flags, 65535, 0, 0)
    rec[16 + ETH_IP_TCP:] = payload
    return rec


class Writer:
    """Streams records to the file through a buffer; only the buffer is held in memory."""

    def __init__(self, path: Path, start_ts: float):
        self.f = open(path, "wb", buffering=0)
        self.buf = bytearray()
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        self.bytes = 24
        self.packets = 0
        self.ts_us = int(start_ts * 1_000_000)
        self.ip_id = 0

    def emit(self, rec: bytearray, src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int) -> None:
        self.ts_us += 20  # 20 µs between packets: ~50k packets/s, a busy link
        PCAP_TS.pack_into(rec, OFF_TS, self.ts_us // 1_000_000, self.ts_us % 1_000_000)
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        struct.pack_into("!H", rec, OFF_IP_ID, self.ip_id)
        ADDR_PORTS_SEQ_ACK.pack_into(rec, OFF_IP_SRC, src, dst, sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF)
        self.buf += rec
        self.packets += 1
        if len(self.buf) >= 8 << 20:
            self.flush()

    def flush(self) -> None:
        self.f.write(self.buf)
        self.bytes += len(self.buf)
        self.buf.clear()

    def close(self) -> None:
        self.flush()
        self.f.close()


def tls_client_hello(sni: str) -> bytes:
    """A TLS 1.2-record ClientHello offering TLS 1.3, with SNI and ALPN h2/http/1.1."""
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    alpn_list = b"\x02h2\x08http/1.1"
    alpn_ext = struct.pack("!HHH", 16, len(alpn_list) + 2, len(alpn_list)) + alpn_list
    versions_ext = struct.pack("!HHB", 43, 3, 2) + b"\x03\x04"
    groups_ext = struct.pack("!HHH", 10, 4, 2) + b"\x00\x1d"
    exts = sni_ext + alpn_ext + versions_ext + groups_ext
    suites = b"\x13\x01\x13\x02\xc0\x2f\xc0\x30"
    body = (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(range(32, 64))
            + struct.pack("!H", len(suites)) + suites + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tls_server_stream(length: int, rng: random.Random) -> bytes:
    """ServerHello-like handshake record, then application-data records of 16 KiB (random bytes)."""
    hello = b"\x02" + (70).to_bytes(3, "big") + b"\x03\x03" + rng.randbytes(32) + b"\x00\x13\x01\x00" + bytes(30)
    out = bytearray(b"\x16\x03\x03" + struct.pack("!H", len(hello)) + hello + b"\x14\x03\x03\x00\x01\x01")
    noise = rng.randbytes(1 << 16)
    while len(out) < length:
        out += b"\x17\x03\x03" + struct.pack("!H", 16384) + noise[(len(out) % 4096):][:16384]
    return bytes(out[:length])


def segments(stream: bytes) -> list[bytes]:
    return [stream[i:i + MSS] for i in range(0, len(stream), MSS)]


class Templates:
    """Every packet whose payload does not depend on the flow, built once."""

    def __init__(self, max_segments: int, rng: random.Random):
        self.syn = template(b"", SYN, True)
        self.syn_ack = template(b"", SYN | ACK, False)
        self.ack_c = template(b"", ACK, True)
        self.ack_s = template(b"", ACK, False)
        self.fin_c = template(b"", FIN | ACK, True)
        self.fin_s = template(b"", FIN | ACK, False)
        tls = segments(tls_server_stream(max_segments * MSS, rng))
        self.tls_data = [template(p, ACK | PSH, False) for p in tls]
        body = rng.randbytes(max_segments * MSS)
        self.http_body = [template(p, ACK | PSH, False) for p in segments(body)]


def ip(a: int, b: int, c: int, d: int) -> bytes:
    return bytes((a, b, c, d))


class Flow:
    """One TCP connection, emitted a few packets at a time so that flows interleave."""

    def __init__(self, src: bytes, dst: bytes, sport: int, dport: int,
                 client_msgs: list[bytes], server_head: list[bytes], bulk: list[bytearray], rng: random.Random):
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.cseq = rng.getrandbits(32)
        self.sseq = rng.getrandbits(32)
        self.client_msgs = [template(m, ACK | PSH, True) for m in client_msgs]
        self.server_head = [template(m, ACK | PSH, False) for m in server_head]
        self.client_lens = [len(m) for m in client_msgs]
        self.server_lens = [len(m) for m in server_head]
        self.bulk = bulk
        self.steps = self._steps()

    def _steps(self):
        """A generator yielding after each packet written (the writer is sent in)."""
        w: Writer = yield
        c, s = self.cseq, self.sseq
        a = (self.src, self.dst, self.sport, self.dport)
        b = (self.dst, self.src, self.dport, self.sport)
        w.emit(T.syn, *a, c, 0); c += 1
        w = yield
        w.emit(T.syn_ack, *b, s, c); s += 1
        w = yield
        w.emit(T.ack_c, *a, c, s)
        w = yield
        # Client and server application messages alternate (request, response, ...).
        for i in range(max(len(self.client_msgs), len(self.server_head))):
            if i < len(self.client_msgs):
                w.emit(self.client_msgs[i], *a, c, s); c += self.client_lens[i]
                w = yield
            if i < len(self.server_head):
                w.emit(self.server_head[i], *b, s, c); s += self.server_lens[i]
                w = yield
        for n, rec in enumerate(self.bulk):
            w.emit(rec, *b, s, c); s += len(rec) - 16 - ETH_IP_TCP
            if n % 2 == 1:  # delayed ACK: one client ACK every two full segments
                w.emit(T.ack_c, *a, c, s)
            w = yield
        w.emit(T.fin_c, *a, c, s); c += 1
        w = yield
        w.emit(T.fin_s, *b, s, c); s += 1
        w = yield
        w.emit(T.ack_c, *a, c, s)

    def start(self) -> None:
        next(self.steps)

    def step(self, w: Writer) -> bool:
        try:
            self.steps.send(w)
            return True
        except StopIteration:
            return False


T: Templates  # set by generate(); the Flow steps read it


def mqtt_str(s: bytes) -> bytes:
    return struct.pack("!H", len(s)) + s


def mqtt_packet(kind: int, body: bytes) -> bytes:
    n, rl = len(body), bytearray()
    while True:
        byte, n = n % 128, n // 128
        rl.append(byte | (0x80 if n else 0))
        if not n:
            break
    return bytes([kind]) + bytes(rl) + body


def planted_flow(kind: str, k: int, rng: random.Random) -> tuple[int, list[bytes], list[bytes]]:
    """(server port, client messages, server messages) of one planted pub/sub session."""
    if kind in ("mqtt-1883", "mqtt-443"):
        cid = f"bench-{kind}-{k}".encode()
        connect = mqtt_packet(0x10, mqtt_str(b"MQTT") + b"\x04\x02\x00\x3c" + mqtt_str(cid))
        pubs = [mqtt_packet(0x30, mqtt_str(b"c2/beacon") + f"host=ws{k:03d};seq={i}".encode()) for i in range(3)]
        sub = mqtt_packet(0x82, struct.pack("!H", 1) + mqtt_str(b"c2/commands/#") + b"\x00")
        return (1883 if kind == "mqtt-1883" else 443), [connect, sub] + pubs, [b"\x20\x02\x00\x00", b"\x90\x03\x00\x01\x00"]
    if kind == "xmpp":
        head = (b"<?xml version='1.0'?><stream:stream to='c2.bench.example' xmlns='jabber:client' "
                b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        reply = (b"<?xml version='1.0'?><stream:stream from='c2.bench.example' id='b%d' "
                 b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                 % k + b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                 b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
        msg = b"<message to='op@c2.bench.example' type='chat'><body>beacon ws%03d</body></message>" % k
        return 5222, [head, msg], [reply]
    if kind == "stomp":
        connect = b"CONNECT\naccept-version:1.2\nhost:c2.bench.example\nlogin:bench\npasscode:x\n\n\x00"
        send = b"SEND\ndestination:/queue/c2.beacon\ncontent-type:text/plain\n\nhost=ws%03d\x00" % k
        return 61613, [connect, send], [b"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"]
    raise ValueError(kind)


PLANTED_KINDS = ("mqtt-1883", "mqtt-443", "xmpp", "stomp")
EXPECTED_PROTOCOL = {"mqtt-1883": "MQTT", "mqtt-443": "MQTT", "xmpp": "XMPP", "stomp": "STOMP"}


def generate(path: Path, size_bytes: int, seed: int, planted: int, concurrency: int, max_flow_kb: int) -> dict:
    """Writes the capture; returns what was planted (the ground truth) and counts."""
    global T
    rng = random.Random(seed)
    max_segments = max(2, max_flow_kb * 1000 // MSS)  # flows hold 5 % to 100 % of this
    T = Templates(max_segments, rng)
    w = Writer(path, start_ts=1_763_900_000.0)
    # Planted sessions at evenly spaced points of the file (by bytes written).
    plan = [(kind, k) for k in range(planted) for kind in PLANTED_KINDS]
    marks = [size_bytes * (i + 1) // (len(plan) + 1) for i in range(len(plan))]
    truth, active, flow_no = [], [], 0
    tls_flows = http_flows = 0

    def new_bulk_flow() -> Flow:
        nonlocal flow_no, tls_flows, http_flows
        flow_no += 1
        client = ip(10, 1, (flow_no >> 8) & 0xFF, flow_no & 0xFF or 1)
        sport = 20000 + flow_no % 40000
        n = rng.randint(max(1, max_segments // 20), max_segments)
        if rng.random() < 0.65:
            tls_flows += 1
            server = ip(198, 51, 100, 1 + flow_no % 200)
            hello = tls_client_hello(f"cdn{flow_no % 50}.media.example.net")
            return Flow(client, server, sport, 443, [hello, b"\x14\x03\x03\x00\x01\x01"], [], T.tls_data[:n], rng)
        http_flows += 1
        server = ip(203, 0, 113, 1 + flow_no % 200)
        body_len = n * MSS
        req = (f"GET /files/blob{flow_no}.bin HTTP/1.1\r\nHost: files{flow_no % 20}.example.org\r\n"
               f"User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n").encode()
        resp = (f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {body_len}\r\nConnection: close\r\n\r\n").encode()
        return Flow(client, server, sport, rng.choice((80, 8080)), [req], [resp], T.http_body[:n], rng)

    while w.bytes + len(w.buf) < size_bytes or plan:
        written = w.bytes + len(w.buf)
        if plan and written >= marks[0]:
            kind, k = plan.pop(0)
            marks.pop(0)
            flow_no += 1
            port, cmsgs, smsgs = planted_flow(kind, k, rng)
            client = ip(10, 9, k & 0xFF, 10 + PLANTED_KINDS.index(kind))
            server = ip(192, 0, 2, 10 + PLANTED_KINDS.index(kind))
            sport = 50000 + flow_no % 10000
            f = Flow(client, server, sport, port, cmsgs, smsgs, [], rng)
            f.start()
            active.append(f)
            truth.append({"kind": kind, "protocol": EXPECTED_PROTOCOL[kind], "src_ip": ".".join(map(str, client)),
                          "src_port": sport, "dst_ip": ".".join(map(str, server)), "dst_port": port})
        while len(active) < concurrency and w.bytes + len(w.buf) < size_bytes:
            f = new_bulk_flow()
            f.start()
            active.append(f)
        if not active:
            break
        # Round-robin: one packet (or data+ACK pair) per active flow.
        active = [f for f in active if f.step(w)]
    for f in active:  # finish flows still open at the size limit
        while f.step(w):
            pass
    w.close()
    return {"bytes": w.bytes, "packets": w.packets, "flows": flow_no, "tls_flows": tls_flows,
            "http_flows": http_flows, "planted": truth}


def build() -> None:
    log("cargo build --release -p pubsub-hunt")
    subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt"], cwd=ROOT, check=True)


def warm(path: Path) -> None:
    """Reads the file twice so every tool starts from the page cache."""
    for _ in range(2):
        with open(path, "rb", buffering=0) as f:
            while f.read(16 << 20):
                pass


def run_timed(name: str, argv: list[str], stdout_path: Path) -> dict:
    """Wall seconds (GNU time's elapsed, and our own clock) and peak RSS (`time -v`)."""
    tv = Path(f"/tmp/pcap_bench.{os.getpid()}.time")
    full = [GNU_TIME, "-v", "-o", str(tv), *argv]
    with open(stdout_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.run(full, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        elapsed = time.perf_counter() - started
    report = tv.read_text(errors="replace") if tv.exists() else ""
    tv.unlink(missing_ok=True)
    rss_kb, user, system = 0, 0.0, 0.0
    for line in report.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key == "Maximum resident set size (kbytes)":
            rss_kb = int(value)
        elif key == "User time (seconds)":
            user = float(value)
        elif key == "System time (seconds)":
            system = float(value)
    log(f"  {name}: {elapsed:.2f} s, peak RSS {rss_kb / 1024:.1f} MB, exit {proc.returncode}")
    return {"tool": name, "argv": argv, "seconds": elapsed, "cpu_seconds": user + system,
            "peak_rss_mb": rss_kb / 1024, "exit_status": proc.returncode,
            "stderr_tail": proc.stderr.decode(errors="replace").strip().splitlines()[-15:]}


def check_sessions(out_path: Path, planted: list[dict]) -> dict:
    by_protocol: dict[str, int] = {}
    seen = set()
    alerts = 0
    with open(out_path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("kind") == "alert":
                alerts += 1
            if rec.get("kind") != "session":
                continue
            by_protocol[rec.get("protocol")] = by_protocol.get(rec.get("protocol"), 0) + 1
            seen.add((rec.get("protocol"), rec.get("src_ip"), int(rec.get("src_port") or 0),
                      rec.get("dst_ip"), int(rec.get("dst_port") or 0)))
    missing = [p for p in planted
               if (p["protocol"], p["src_ip"], p["src_port"], p["dst_ip"], p["dst_port"]) not in seen]
    expected: dict[str, int] = {}
    for p in planted:
        expected[p["protocol"]] = expected.get(p["protocol"], 0) + 1
    return {"sessions_by_protocol": by_protocol, "planted_by_protocol": expected,
            "missing": missing, "alerts": alerts}


def parse_bin_dir(spec: str) -> tuple[str, Path]:
    """`LABEL=DIR` or `DIR` (labelled by its last component)."""
    label, sep, d = spec.partition("=")
    if not sep:
        label, d = Path(spec).name, spec
    return label, Path(d)


def given_capture(path: Path) -> dict:
    """What the summary needs of a capture we did not generate: its packet count."""
    packets, ng = 0, False
    with open(path, "rb") as f:
        magic = f.read(4)
        ng = magic == b"\x0a\x0d\x0d\x0a"
        if not ng:
            f.read(20)
            big = magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d")
            while True:
                h = f.read(16)
                if len(h) < 16:
                    break
                caplen = int.from_bytes(h[8:12], "big" if big else "little")
                f.seek(caplen, 1)
                packets += 1
    return {"bytes": path.stat().st_size, "packets": packets, "flows": 0, "tls_flows": 0,
            "http_flows": 0, "planted": []}


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
            "load_average_at_start": os.getloadavg()[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024, help="capture size in MiB (default 1024)")
    ap.add_argument("--quick", action="store_true", help="64 MiB (a smoke test)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planted", type=int, default=3, help="copies of each planted pub/sub flow kind")
    ap.add_argument("--concurrency", type=int, default=32, help="bulk flows open at once")
    ap.add_argument("--max-flow-kb", type=int, default=2896,
                    help="largest bulk flow in KB (default 2896: 2000 segments); smaller means more flows")
    ap.add_argument("--runs", type=int, default=1, help="runs per tool; the median is reported")
    ap.add_argument("--threads", default=None,
                    help="passed to pubsub-hunt --threads; a comma list (1,2) runs each binary at each")
    ap.add_argument("--bin-dir", action="append", default=None, metavar="[LABEL=]DIR",
                    help="directory holding the pubsub-hunt binary (default target/release); repeat it "
                         "to time several builds in the same run (main and a branch), each labelled")
    ap.add_argument("--input", metavar="FILE",
                    help="time this capture instead of a generated one (no planted-session check)")
    ap.add_argument("--tools", default="wc,pubsub-hunt,ndpiReader,tshark", help="comma list")
    ap.add_argument("--out-dir", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--regenerate", action="store_true", help="regenerate the capture even if present")
    ap.add_argument("--keep", action="store_true", help="keep the capture (default: delete it at the end)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    size_mb = 64 if args.quick else args.size_mb
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(GNU_TIME, os.X_OK):
        log(f"{GNU_TIME} (GNU time) is needed: apt-get install time")
        return 2
    if not args.no_build:
        build()
    path = out_dir / f"capture-{size_mb}MiB-flow{args.max_flow_kb}KB-seed{args.seed}.pcap"
    truth_path = out_dir / f"{path.name}.truth.json"
    gen_seconds = 0.0
    if args.input:
        path = Path(args.input).resolve()
        gen = given_capture(path)
        args.keep = True  # never delete a file we did not make
    elif path.exists() and truth_path.exists() and not args.regenerate:
        log(f"reusing {path}")
        gen = json.loads(truth_path.read_text())
    else:
        log(f"generating {size_mb} MiB into {path}")
        started = time.perf_counter()
        gen = generate(path, size_mb << 20, args.seed, args.planted, args.concurrency, args.max_flow_kb)
        gen_seconds = time.perf_counter() - started
        truth_path.write_text(json.dumps(gen, indent=2) + "\n")
        log(f"  {gen['packets']:,} packets, {gen['flows']:,} flows in {gen_seconds:.1f} s")
    size = path.stat().st_size
    warm(path)

    commands = {"wc -l": ["wc", "-l", str(path)]}
    bins = [parse_bin_dir(b) for b in (args.bin_dir or [str(BIN_DIR)])]
    thread_counts = [t.strip() for t in args.threads.split(",")] if args.threads else [None]
    for label, bin_dir in bins:
        for threads in thread_counts:
            name = "pubsub-hunt"
            if len(bins) > 1:
                name += f" {label}"
            if len(thread_counts) > 1:
                name += f" -j{threads}"
            argv = [str(bin_dir / "pubsub-hunt"), "hunt", "--format", "jsonl", "--all-sessions", str(path)]
            if threads:
                argv[2:2] = ["--threads", threads]
            commands[name] = argv
    commands.update({
        "ndpiReader": ["ndpiReader", "-i", str(path), "-q"],
        "tshark": ["tshark", "-r", str(path), "-q", "-z", "conv,tcp"],
    })
    wanted = {t.strip() for t in args.tools.split(",")}
    results = []
    for name, argv in commands.items():
        short = "wc" if name == "wc -l" else name.split(" ")[0]
        if short not in wanted:
            continue
        if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
            log(f"  {name}: not installed, skipped (apt-get install libndpi-bin tshark)")
            continue
        stem = name.replace("wc -l", "wc").replace(" ", "_")
        runs = [run_timed(name, argv, out_dir / f"{path.name}.{stem}.out") for _ in range(args.runs)]
        r = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]  # the median run
        r["all_seconds"] = [x["seconds"] for x in runs]
        r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
        r["exit_status"] = max(x["exit_status"] for x in runs)
        r["mb_per_s"] = size / 1e6 / r["seconds"]
        r["packets_per_s"] = gen["packets"] / r["seconds"]
        results.append(r)

    figures = {"file": str(path), "bytes": size, "runs": args.runs, "generate_seconds": gen_seconds, "generator": {
        k: v for k, v in gen.items() if k != "planted"}, "machine": machine(), "results": results}
    ok = True
    hunts = [r for r in results if r["tool"].startswith("pubsub-hunt")]
    for hunt in hunts:
        stem = hunt["tool"].replace(" ", "_")
        sessions = check_sessions(out_dir / f"{path.name}.{stem}.out", gen["planted"])
        figures.setdefault("sessions", sessions)
        hunt["sessions"] = sessions
        ok = ok and not sessions["missing"] and hunt["exit_status"] in (0, 2)
    # Builds and thread counts must agree on what they found.
    outputs = {(out_dir / f"{path.name}.{h['tool'].replace(' ', '_')}.out").read_bytes() for h in hunts}
    figures["hunt_outputs_identical"] = len(outputs) <= 1
    print_table(figures)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")
        log(f"figures written to {args.json}")
    if not args.keep:
        path.unlink(missing_ok=True)
        truth_path.unlink(missing_ok=True)
        log(f"deleted {path.name} (use --keep to reuse it)")
    return 0 if ok else 1


def print_table(figures: dict) -> None:
    m, g = figures["machine"], figures["generator"]
    print(f"\npubsub-hunt pcap benchmark: {m['cpus']} CPUs ({m['cpu']}), median of {figures['runs']} run(s), "
          f"page cache warm")
    if g["flows"]:
        print(f"capture: {figures['bytes'] / 1e6:.0f} MB, {g['packets']:,} packets, {g['flows']:,} TCP flows "
              f"({g['tls_flows']} TLS, {g['http_flows']} HTTP, rest planted pub/sub)")
    else:
        print(f"capture: {figures['file']}, {figures['bytes'] / 1e6:.0f} MB, {g['packets']:,} packets")
    if m["load_average_at_start"] > 0.5:
        print(f"warning: load average {m['load_average_at_start']:.2f} at start: other work was running")
    print()
    hunt = next((r for r in figures["results"] if r["tool"].startswith("pubsub-hunt")), None)
    width = max([12] + [len(r["tool"]) for r in figures["results"]])
    header = (f"{'tool':<{width}} {'seconds':>8} {'CPU s':>7} {'MB/s':>8} {'packets/s':>11} {'peak RSS MB':>12} "
              f"{'time / pubsub-hunt':>19}")
    print(header)
    print("-" * len(header))
    for r in figures["results"]:
        ratio = f"{r['seconds'] / hunt['seconds']:.2f}x" if hunt else "-"
        status = "" if r["exit_status"] == 0 else f"  (exit {r['exit_status']})"
        print(f"{r['tool']:<{width}} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} {r['mb_per_s']:>8.0f} "
              f"{r['packets_per_s']:>11,.0f} "
              f"{r['peak_rss_mb']:>12.1f} {ratio:>19}{status}")
    print()
    by = {r["tool"]: r for r in figures["results"]}
    if hunt and "ndpiReader" in by and "wc -l" in by:
        speed = by["ndpiReader"]["seconds"] / hunt["seconds"]
        vs_wc = hunt["seconds"] / by["wc -l"]["seconds"]
        goal = "met" if speed >= 5 or vs_wc <= 2 else "NOT met"
        print(f"pubsub-hunt: {speed:.1f}x ndpiReader's throughput, {vs_wc:.2f}x wc -l's time, peak RSS "
              f"{hunt['peak_rss_mb']:.0f} MB (goal: >=5x ndpiReader or <=2x wc -l: {goal})")
    if len([r for r in figures["results"] if r["tool"].startswith("pubsub-hunt")]) > 1:
        same = "identical" if figures.get("hunt_outputs_identical") else "DIFFERENT"
        print(f"pubsub-hunt outputs of every build and thread count: {same}")
    if "sessions" in figures:
        s = figures["sessions"]
        print(f"sessions reported by protocol: {s['sessions_by_protocol']}; planted: {s['planted_by_protocol']}; "
              f"alerts: {s['alerts']}")
        print("planted sessions: all found" if not s["missing"] else f"planted sessions MISSING: {len(s['missing'])}")
        for p in s["missing"]:
            print(f"  missing: {p}")
    print()


if __name__ == "__main__":
    sys.exit(main())
