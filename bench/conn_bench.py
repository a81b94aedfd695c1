#!/usr/bin/env python3
"""Speed benchmark of pubsub-hunt on Zeek conn.log, against DuckDB and against `wc -l`.

Builds the release binaries, generates a large realistic conn.log with planted channels (TSV and
JSON lines, same seed, so the same connections), then times on the same file in the same run:

* `wc -l FILE`                                  the speed of reading the file at all;
* `pubsub-hunt hunt --analytic pubsub-port --analytic pubsub-unusual-port ...`
                                                the seed path: the two port analytics alone;
* `pubsub-hunt hunt --format jsonl FILE`        the full default engine (seed analytic, behaviour
                                                analytics and scoring), default threads;
* `python tests/python/duckdb_oracle.py FILE`   the seed analytic as SQL in DuckDB (all cores);

each after warming the page cache, three runs, median wall time, peak RSS of the child process
(from wait4's rusage). It then checks that the seed analytic and DuckDB report the same alerts and
that both match the generator's ground truth, prints a digest of the full engine's alerts (so two
builds can be compared: the same digest means the same ids, suspicions, scores and signals), and
a table of seconds, MB/s, lines/s, peak RSS and ratios. See bench/README.md.

    bench/conn_bench.py                 # 5 million lines
    bench/conn_bench.py --quick         # 200 thousand lines, a few seconds
    bench/conn_bench.py --lines 20000000 --json bench/out/figures.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
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
ORACLE = ROOT / "tests" / "python" / "duckdb_oracle.py"
# Where `cargo build --release` puts the binaries: $CARGO_TARGET_DIR when set (`--bin-dir`
# overrides both).
BIN_DIR = ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "release"
RANK = {"low": 0, "medium": 1, "high": 2}
# The two engines measured: the two port analytics alone (the seed path, what the DuckDB oracle
# computes too), and everything the default run does.
ENGINES = {"seed": ["--analytic", "pubsub-port", "--analytic", "pubsub-unusual-port"], "full": []}


def log(msg: str) -> None:
    print(f"[conn_bench] {msg}", file=sys.stderr, flush=True)


def find_python(explicit: str | None) -> str | None:
    """A Python that can import duckdb: --python, $PUBSUB_HUNT_PYTHON, .venv-test, this one."""
    candidates = [explicit, os.environ.get("PUBSUB_HUNT_PYTHON"),
                  str(ROOT / ".venv-test" / "bin" / "python"), sys.executable]
    for c in candidates:
        if not c or not Path(c).exists() and shutil.which(c) is None:
            continue
        ok = subprocess.run([c, "-c", "import duckdb"], capture_output=True).returncode == 0
        if ok:
            return c
    return None


def build() -> None:
    log("cargo build --release -p pubsub-hunt -p pubsub-hunt-testgen")
    subprocess.run(["cargo", "build", "--release", "-p", "pubsub-hunt", "-p", "pubsub-hunt-testgen"],
                   cwd=ROOT, check=True)


def generate(fmt: str, lines: int, seed: int, out_dir: Path, regenerate: bool) -> tuple[Path, Path, float]:
    ext = "log" if fmt == "tsv" else "json"
    path = out_dir / f"conn-{lines}-seed{seed}.{ext}"
    truth = out_dir / f"conn-{lines}-seed{seed}.{ext}.truth.json"
    if path.exists() and truth.exists() and not regenerate:
        log(f"reusing {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path, truth, 0.0
    log(f"generating {lines} lines of {fmt} into {path}")
    started = time.perf_counter()
    subprocess.run([str(BIN_DIR / "pubsub-hunt-testgen"), "conn", "--format", fmt,
                    "--lines", str(lines), "--seed", str(seed), "--out", str(path),
                    "--truth", str(truth)], check=True)
    return path, truth, time.perf_counter() - started


def warm(path: Path) -> None:
    """Reads the file twice so every tool starts from the page cache."""
    for _ in range(2):
        with open(path, "rb", buffering=0) as f:
            while f.read(16 << 20):
                pass


GNU_TIME = "/usr/bin/time"


def run_once(argv: list[str], stdout_path: Path | None) -> tuple[float, int, str, str]:
    """Wall seconds, peak RSS in KB, stdout (when not sent to a file) and stderr of one run.

    Peak RSS comes from GNU time (`%M`) when installed: a child forked straight from this Python
    process would inherit Python's own resident size into its ru_maxrss (Linux keeps the
    high-water mark across exec), while `time` is small. Without it, wait4's rusage is used and
    the figures have Python's size as a floor.
    """
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        rss_file = Path(f"/tmp/conn_bench.{os.getpid()}.rss")
        argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *argv]
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        stdout_data = proc.stdout.read() if proc.stdout else b""
        stderr_data = proc.stderr.read() if proc.stderr else b""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout_path:
            out.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}:\n"
                         f"{stderr_data.decode(errors='replace')}")
    maxrss = usage.ru_maxrss
    if rss_file is not None:
        try:
            maxrss = int(rss_file.read_text().split()[-1])
        finally:
            rss_file.unlink(missing_ok=True)
    return elapsed, maxrss, stdout_data.decode(errors="replace"), stderr_data.decode(errors="replace")


def measure(name: str, argv: list[str], runs: int, stdout_path: Path | None) -> dict:
    times, rss, extra = [], [], []
    for i in range(runs):
        elapsed, maxrss, out, err = run_once(argv, stdout_path)
        times.append(elapsed)
        rss.append(maxrss)
        extra.append((out, err))
        log(f"  {name} run {i + 1}/{runs}: {elapsed:.3f} s, peak RSS {maxrss / 1024:.1f} MB")
    return {"tool": name, "argv": argv, "seconds": statistics.median(times), "all_seconds": times,
            "peak_rss_mb": max(rss) / 1024, "last_stdout": extra[-1][0], "last_stderr": extra[-1][1]}


def us(text: str | None) -> int | None:
    if text is None:
        return None
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round((t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) / dt.timedelta(microseconds=1))


def alert_set(alerts: list[dict]) -> set[tuple]:
    return {(a["analytic"], a["host"], a["dst_ip"], int(a["dst_port"]), a["protocol"],
             us(a.get("first_seen")), us(a.get("last_seen")), a["suspicion"], bool(a["external"]),
             int(a["connections"]), a.get("bytes_sent"), a.get("bytes_received"))
            for a in alerts}


def read_jsonl(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def full_digest(alerts: list[dict]) -> dict:
    """What the full engine decided, independent of output order: alert count by suspicion and a
    SHA-256 over each alert's id, suspicion, score and signals, sorted. Equal digests from two
    builds mean the same verdicts."""
    rows = sorted(json.dumps([a.get("id"), a.get("suspicion"), a.get("score"), a.get("signals")],
                             sort_keys=True) for a in alerts)
    by = {}
    for a in alerts:
        by[a.get("suspicion")] = by.get(a.get("suspicion"), 0) + 1
    return {"alerts": len(alerts), "by_suspicion": dict(sorted(by.items())),
            "sha256": hashlib.sha256("\n".join(rows).encode()).hexdigest()}


def compare(ours: list[dict], duck: list[dict], truth: list[dict]) -> dict:
    a, b, t = alert_set(ours), alert_set(duck), alert_set(truth)
    return {
        "pubsub_hunt": len(ours), "duckdb": len(duck), "truth": len(truth),
        "pubsub_hunt_equals_duckdb": a == b, "pubsub_hunt_equals_truth": a == t,
        "only_pubsub_hunt": sorted(map(str, a - b))[:10], "only_duckdb": sorted(map(str, b - a))[:10],
        "missing_from_pubsub_hunt": sorted(map(str, t - a))[:10],
    }


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
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--quick", action="store_true", help="200k lines (seconds, for a smoke test)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="tsv,json", help="comma list of tsv, json")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for pubsub-hunt and DuckDB (default: each tool's default, all cores)")
    ap.add_argument("--python", default=None, help="Python with duckdb (default: $PUBSUB_HUNT_PYTHON, .venv-test)")
    ap.add_argument("--out-dir", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--regenerate", action="store_true", help="regenerate logs even if present")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--bin-dir", default=None,
                    help="directory holding pubsub-hunt and pubsub-hunt-testgen "
                         "(default: $CARGO_TARGET_DIR/release, else target/release)")
    ap.add_argument("--engines", default="seed,full",
                    help="comma list of seed (--analytic pubsub-port) and full (the default engine)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    global BIN_DIR
    if args.bin_dir:
        BIN_DIR = Path(args.bin_dir).resolve()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or any(e not in ENGINES for e in engines):
        ap.error(f"--engines takes a comma list of {', '.join(ENGINES)}")
    lines = 200_000 if args.quick else args.lines
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    python = find_python(args.python)
    if python is None:
        log("no Python with duckdb found: run scripts/test.sh (creates .venv-test) or pass --python")
        return 2
    if not args.no_build:
        build()
    hunt_bin = BIN_DIR / "pubsub-hunt"
    figures = {"lines_requested": lines, "seed": args.seed, "runs": args.runs,
               "machine": machine(), "python": python, "formats": {}}
    ok = True
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        path, truth_path, gen_seconds = generate(fmt, lines, args.seed, out_dir, args.regenerate)
        size = path.stat().st_size
        warm(path)
        log(f"{fmt}: {path.name}, {size / 1e6:.1f} MB")
        wc = measure("wc -l", ["wc", "-l", str(path)], args.runs, None)
        n_lines = int(wc["last_stdout"].split()[0])
        duck_out = out_dir / f"{path.name}.duckdb.jsonl"
        duck_argv = [python, str(ORACLE), "--timing", str(path)]
        if args.threads:
            duck_argv[2:2] = ["--threads", str(args.threads)]
        runs = {}
        for engine in engines:
            out = out_dir / f"{path.name}.pubsub-hunt-{engine}.jsonl"
            argv = [str(hunt_bin), "hunt", *ENGINES[engine], "--format", "jsonl", str(path)]
            if args.threads:
                argv[2:2] = ["--threads", str(args.threads)]
            runs[engine] = (measure(f"hunt {engine}", argv, args.runs, out), out)
        duck = measure("duckdb", duck_argv, args.runs, duck_out)
        query = [l for l in duck["last_stderr"].splitlines() if "query" in l]
        with open(truth_path) as f:
            truth = json.load(f)["expected_alerts_default"]
        agreement = None
        if "seed" in runs:
            agreement = compare(read_jsonl(runs["seed"][1]), read_jsonl(duck_out), truth)
            ok &= agreement["pubsub_hunt_equals_duckdb"] and agreement["pubsub_hunt_equals_truth"]
        digest = full_digest(read_jsonl(runs["full"][1])) if "full" in runs else None
        rows = []
        for m in (wc, *(r[0] for r in runs.values()), duck):
            rows.append({
                "tool": m["tool"], "seconds": m["seconds"], "all_seconds": m["all_seconds"],
                "mb_per_s": size / 1e6 / m["seconds"], "lines_per_s": n_lines / m["seconds"],
                "peak_rss_mb": m["peak_rss_mb"],
            })
        figures["formats"][fmt] = {
            "file": str(path), "bytes": size, "lines": n_lines, "generate_seconds": gen_seconds,
            "results": rows,
            "engines": {e: {"speedup_vs_duckdb": duck["seconds"] / m["seconds"],
                            "time_vs_wc": m["seconds"] / wc["seconds"],
                            "peak_rss_mb": m["peak_rss_mb"],
                            "summary": m["last_stderr"].strip().splitlines()}
                        for e, (m, _) in runs.items()},
            "duckdb_query_only": query[-1] if query else None,
            "alerts": agreement,
            "full_engine_alerts": digest,
        }
    print_table(figures)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")
        log(f"figures written to {args.json}")
    return 0 if ok else 1


def print_table(figures: dict) -> None:
    m = figures["machine"]
    print(f"\npubsub-hunt conn.log benchmark: {m['cpus']} CPUs ({m['cpu']}), "
          f"median of {figures['runs']} runs, page cache warm")
    if m["load_average_at_start"] > 0.5:
        print(f"warning: load average {m['load_average_at_start']:.2f} at start: other work was "
              f"running, figures are noisy (see all_seconds in --json)")
    print()
    header = f"{'format':<6} {'tool':<12} {'seconds':>8} {'MB/s':>8} {'lines/s':>12} {'peak RSS MB':>12} {'x wc -l time':>13}"
    print(header)
    print("-" * len(header))
    for fmt, f in figures["formats"].items():
        wc_s = f["results"][0]["seconds"]
        for r in f["results"]:
            print(f"{fmt:<6} {r['tool']:<12} {r['seconds']:>8.3f} {r['mb_per_s']:>8.0f} "
                  f"{r['lines_per_s']:>12,.0f} {r['peak_rss_mb']:>12.1f} {r['seconds'] / wc_s:>12.2f}x")
    print()
    for fmt, f in figures["formats"].items():
        for engine, e in f["engines"].items():
            speed, vs_wc = e["speedup_vs_duckdb"], e["time_vs_wc"]
            goal = "met" if (speed >= 5 or vs_wc <= 2) and e["peak_rss_mb"] < 100 else "NOT met"
            print(f"{fmt}: {f['lines']:,} lines, {f['bytes'] / 1e6:.0f} MB. hunt {engine} is "
                  f"{speed:.1f}x DuckDB's throughput and takes {vs_wc:.2f}x wc -l's time, peak RSS "
                  f"{e['peak_rss_mb']:.0f} MB (goal: >=5x DuckDB or <=2x wc -l, <100 MB: {goal}).")
        if f["duckdb_query_only"]:
            print(f"{fmt}: {f['duckdb_query_only']} (DuckDB time inside Python, without start-up)")
        a = f["alerts"]
        if a is not None:
            same = "identical" if a["pubsub_hunt_equals_duckdb"] else "DIFFERENT"
            truth = "matches" if a["pubsub_hunt_equals_truth"] else "DOES NOT MATCH"
            print(f"{fmt}: seed alerts pubsub-hunt {a['pubsub_hunt']}, DuckDB {a['duckdb']}: {same}; "
                  f"ground truth ({a['truth']} planted alerts) {truth}.")
            for k in ("only_pubsub_hunt", "only_duckdb", "missing_from_pubsub_hunt"):
                for item in a[k]:
                    print(f"  {k}: {item}")
        d = f["full_engine_alerts"]
        if d is not None:
            print(f"{fmt}: full engine {d['alerts']} alerts {d['by_suspicion']}, "
                  f"digest {d['sha256'][:16]}")
    print()

if __name__ == "__main__":
    sys.exit(main())
