#!/usr/bin/env python3
"""Runs the hostile-input cases of issue 16 against one or more builds and prints, per case and
build, wall time, peak RSS, exit status and what the run said (stderr's last line).

    python3 bench/hostile_run.py --bin before=OLD/pubsub-hunt --bin after=target/release/pubsub-hunt
    python3 bench/hostile_run.py --bin after=... --only xmpp,stomp --work /tmp/hostile

Inputs are generated into --work (default bench/out/hostile): the capture cases by
bench/hostile.py, the rest here. Nothing big is kept in the repository. Each run has a time limit
(--limit, default 120 s); a run cut by it shows `timeout`. Sizes are those of the issue where a
run of the old build stays within the limit, smaller otherwise (the column says which).
"""

import argparse
import gzip
import json
import os
import random
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "bench" / "hostile.py"


def capture(case, size):
    def make(out):
        subprocess.run([sys.executable, str(HOSTILE), case, str(size), str(out)], check=True)
    return make


def sysmon_unclosed(size):
    def make(out):
        ev = (b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
              b"<EventID>3</EventID></System><EventData><Data Name='Image'>a.exe</Data>")
        with open(out, "wb") as f:
            f.write(b"<Events>")
            n = 0
            while n < size:
                f.write(ev)
                n += len(ev)
    return make


def overlapping_zip(copies):
    """One deflated member of 1 GiB of zeros; `copies` central entries all pointing at it."""
    def make(out):
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        chunk = b"\0" * (1 << 20)
        data = b"".join(comp.compress(chunk) for _ in range(1024)) + comp.flush()
        size = 1 << 30
        crc = 0
        for _ in range(1024):
            crc = zlib.crc32(chunk, crc)
        name = b"conn.log"
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size,
                            len(name), 0) + name + data
        central = b""
        for i in range(copies):
            n = b"conn%05d.log" % i
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                                   len(data), size, len(n), 0, 0, 0, 0, 0, 0) + n
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, copies, copies, len(central),
                          len(local), 0)
        Path(out).write_bytes(local + central + end)
    return make


def many_member_zip(members):
    def make(out):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for i in range(members):
                z.writestr("m%06d.txt" % i, b"x\n")
    return make


def zstd_long(out):
    src = Path(str(out) + ".src")
    src.write_bytes(b"#separator \\x09\n" + b"x" * (1 << 20))
    # From a pipe: the size is unknown, so the frame asks for the full 2 GiB window.
    with open(src, "rb") as i, open(out, "wb") as o:
        subprocess.run(["zstd", "-q", "--long=31", "-c"], stdin=i, stdout=o, check=True)
    src.unlink()


def gzip_corrupt(out):
    data = bytearray(gzip.compress(os.urandom(1 << 16), 6))
    for i in range(12, 40):
        data[i] ^= 0xFF
    Path(out).write_bytes(bytes(data))


def udm_huge_element(mb):
    def make(out):
        rec = {"metadata": {"event_type": "NETWORK_CONNECTION",
                            "event_timestamp": "2024-05-01T10:00:00Z"},
               "principal": {"ip": ["10.0.0.5"], "hostname": "wks-1"},
               "target": {"ip": ["198.51.100.7"], "port": 1883},
               "network": {"ip_protocol": "TCP"}}
        with open(out, "w") as f:
            f.write("[" + json.dumps(rec))
            big = dict(rec)
            big["padding"] = "A" * (mb << 20)
            f.write("," + json.dumps(big))
            for i in range(200):
                r = json.loads(json.dumps(rec))
                r["principal"]["ip"] = ["10.0.%d.%d" % (i // 250, i % 250 + 1)]
                f.write("," + json.dumps(r))
            f.write("]")
    return make


def random_bytes(n):
    def make(out):
        Path(out).write_bytes(random.Random(7).randbytes(n))
    return make


def many_hosts(hosts):
    """Zeek conn.log: `hosts` distinct internal hosts, two MQTT connections each."""
    def make(out):
        with open(out, "w") as f:
            f.write("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
                    "id.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n")
            for i in range(hosts):
                h = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
                for k in range(2):
                    f.write("%d.0\tC%d\t%s\t5%04d\t198.51.100.7\t1883\ttcp\t-\t1.0\t10\t10\tSF\n"
                            % (1700000000 + k * 600, i, h, k))
    return make


LIM_CFG = "[limits]\nmax_groups = 100000\n"

# name, file suffix, generator, extra hunt arguments, note
CASES = [
    ("mqtt-partial-2k", "pcap", capture("mqtt-partial", 2000), [], "2k flows x 60 KB PUBLISH"),
    ("mqtt-partial-8k", "pcap", capture("mqtt-partial", 8000), [], "8k flows"),
    ("app-groups-2k", "pcap", capture("app-groups", 2000), [],
     "2k hosts, 4,096 messages on 64 long topics each"),
    ("app-groups-6k", "pcap", capture("app-groups", 6000), [], "6k hosts"),
    ("snapcut-1M", "pcap", capture("snapcut", 1_000_000), [], "1M cut segments after a hole"),
    ("snapcut-4M", "pcap", capture("snapcut", 4_000_000), [], "4M"),
    ("xmpp-1MB", "pcap", capture("xmpp", 1 << 20), [], "unclosed <message>, 1 MB"),
    ("stomp-1MB", "pcap", capture("stomp", 1 << 20), [], "frames without NUL, 1 MB"),
    ("amqp10-21800", "pcap", capture("amqp10", 21_800), [], "21,800 nested values"),
    ("pcap-incl", "pcap", capture("pcap-incl", 1000), [], "incl_len 0xFFFFFFFF + 1000 good"),
    ("pcapng-len", "pcapng", capture("pcapng-len", 1000), [], "block length 0xFFFFFFFF"),
    ("pcapng-epb", "pcapng", capture("pcapng-epb", 1000), [], "caplen past its block"),
    ("sysmon-unclosed-512K", "xml", sysmon_unclosed(512 << 10), [], "<Event> w/o </Event>"),
    ("sysmon-unclosed-2M", "xml", sysmon_unclosed(2 << 20), [], "2 MB"),
    ("zip-overlap-10k", "zip", overlapping_zip(10_000), [], "10,000 entries, 10 TiB claimed"),
    ("zip-100k-members", "zip", many_member_zip(100_000), [], "stderr lines counted"),
    ("zstd-long31", "zst", zstd_long, [], "needs a 2 GiB window"),
    ("gzip-corrupt", "gz", gzip_corrupt, [], "corrupt first block"),
    ("udm-64MB-element", "json", udm_huge_element(64), ["--input-format", "chronicle-udm"],
     "a record, a 64 MB element, 200 records"),
    ("random-sysmon-xml", "bin", random_bytes(1 << 20), ["--input-format", "sysmon-xml"], "1 MB"),
    ("random-cisco-asa", "bin", random_bytes(1 << 20), ["--input-format", "cisco-asa"], "1 MB"),
    ("hosts-1.5M-j1", "log", many_hosts(1_500_000), ["-j1", "-c", "@lim", "--min-suspicion", "low"],
     "max_groups 100000"),
    ("hosts-1.5M-j8", "log", many_hosts(1_500_000), ["-j8", "-c", "@lim", "--min-suspicion", "low"],
     "same file, 8 threads"),
    ("hosts-300k-history", "log", many_hosts(300_000), ["-j1", "--state", "@state",
     "--min-suspicion", "low"], "300k hosts on one broker, hunted again over its own history"),
    ("alerts-300k", "log", many_hosts(300_000), ["-j1", "--min-suspicion", "low"],
     "300k hosts, every group an alert (limits.max_alerts)"),
]


def run(binary, path, extra, limit, work):
    state = work / "state.sqlite"
    subst = {"@lim": str(work / "lim.toml"), "@state": str(state)}
    args = [subst.get(a, a) for a in extra]
    cmd = [binary, "hunt", str(path), "-o", str(work / "out.jsonl"), "--format", "jsonl"] + args
    env = dict(os.environ, PUBSUB_HUNT_NO_STATE="1")
    if "@state" in extra:
        # The measured run is the second over the same data: the first builds its history
        # (a run with a store loads the history before reading and judges every group by it).
        state.unlink(missing_ok=True)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=limit, env=env)
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=limit, env=env)
        rc, err = p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", (e.stderr or b"").decode(errors="replace")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Each run is made from a fresh interpreter (see main), so this is the run's own peak.
    rss_mb = after.ru_maxrss / 1024
    alerts = 0
    try:
        alerts = sum(1 for _ in open(work / "out.jsonl"))
    except OSError:
        pass
    lines = err.strip().splitlines()
    read = next((ln for ln in lines if " records (" in ln or " record (" in ln), "")
    records = read.split("skipped; ", 1)[-1].split(" record", 1)[0] if read else "?"
    # The first line that says what went wrong, not the summary of what was read.
    said = next((ln for ln in lines if not ln.startswith("pubsub-hunt: read ")
                 and any(w in ln for w in ("problem", "error", "skipped", "dropped", "corrupt",
                                           "reached", "too long", "truncated"))),
                lines[-1] if lines else "")
    return wall, rss_mb, rc, records, alerts, len(lines), said[:110]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", action="append", required=True, help="NAME=PATH, repeatable")
    ap.add_argument("--work", default=str(ROOT / "bench" / "out" / "hostile"))
    ap.add_argument("--only", default="", help="comma list of case names (prefixes)")
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs")
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "lim.toml").write_text(LIM_CFG)
    bins = [b.split("=", 1) for b in a.bin]
    only = [o for o in a.only.split(",") if o]
    print("| case | input | build | wall s | peak RSS MB | exit | records | alerts | stderr lines "
          "| what it said |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, ext, make, extra, note in CASES:
        if only and not any(name.startswith(o) for o in only):
            continue
        path = work / f"{name.rsplit('-j', 1)[0]}.{ext}"
        if not path.exists():
            make(path)
        for label, binary in bins:
            # A fresh interpreter per run so that ru_maxrss is this run's own peak.
            out = subprocess.run([sys.executable, __file__, "--one", binary, str(path),
                                  json.dumps(extra), str(a.limit), str(work)],
                                 capture_output=True, text=True)
            wall, rss, rc, records, alerts, nlines, said = json.loads(out.stdout)
            print(f"| {name} | {note} | {label} | {wall:.2f} | {rss:.0f} | {rc} | {records} | {alerts} | "
                  f"{nlines} | {said.replace('|', '/')} |", flush=True)
        if not a.keep and not name.endswith("-j1"):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        _, _, binary, path, extra, limit, work = sys.argv
        print(json.dumps(run(binary, Path(path), json.loads(extra), float(limit), Path(work))))
    else:
        main()
