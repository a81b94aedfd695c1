#!/usr/bin/env python3
"""Behaviour evaluation of pubsub-hunt on labeled mixed traffic.

Generates labeled scenarios with `pubsub-hunt-testgen labeled` (benign IoT fleets, home
automation, chat, message-queue applications, developer brokers, Apple push, ... and C2 modelled
on real profiles), runs `pubsub-hunt hunt` on each source type (Zeek conn.log and ssl.log
together in one run: no content, but the TLS server name of each TLS connection; Sysmon event 3
with process; pcap with content) in two views:

* seed: `--analytic pubsub-port` (the seed analytic alone),
* full: the default engine (all analytics plus the behaviour score),

matches every alert to a channel of the ground truth by (src_ip, dst_ip, dst_port), and reports
alert precision, recall over the C2 channels that the source can reveal, benign alerts per true
alert, precision at k (k = number of revealable C2 channels, and k = 10) on the alert list in
output order, and whether every C2 alert ranks above every benign alert. Missed channels and
benign alerts are listed with their score and signals so an engineer can see why.

Python 3 standard library only. Usage:

    bench/evaluate.py                       # build in release, seeds 1,2,3, 24 h each
    bench/evaluate.py --seeds 7 --no-build  # one seed, binaries already built
    bench/evaluate.py --json figures.json   # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Figures and verdicts must not depend on what earlier runs left in a history store, and
# benchmarks must not write into the user's: history across runs is off for every run here.
os.environ.setdefault("PUBSUB_HUNT_NO_STATE", "1")

ROOT = Path(__file__).resolve().parent.parent
# Each source is the files one `pubsub-hunt hunt` run reads together, per generator. The
# independent generator also writes dns.log, and its truth judges conn.log alone ("zeek") apart
# from conn.log with the logs that name destinations ("zeek_names").
SOURCES_BY_GENERATOR = {
    "labeled": [
        ("zeek", ["conn.log", "ssl.log"]),
        ("sysmon", ["sysmon.json"]),
        ("pcap", ["capture.pcap"]),
    ],
    "independent": [
        ("zeek", ["conn.log"]),
        ("zeek_names", ["conn.log", "ssl.log", "dns.log"]),
        ("sysmon", ["sysmon.json"]),
        ("pcap", ["capture.pcap"]),
    ],
}
SOURCES = SOURCES_BY_GENERATOR["labeled"]
VIEWS = [
    ("seed", ["--analytic", "pubsub-port"]),
    ("full", []),
]


def default_bin_dir() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    base = Path(target) if target else ROOT / "target"
    if not base.is_absolute():
        base = ROOT / base
    return base / "release"


def build() -> None:
    cmd = ["cargo", "build", "--release", "-p", "pubsub-hunt", "-p", "pubsub-hunt-testgen"]
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=True)


def generate_independent(out: Path, seed: int, hours: float) -> dict:
    """The second, independent model of the world (bench/indep/, written without reading the
    engine or the first generator)."""
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "indep" / "generate.py"),
        "--seed",
        str(seed),
        "--hours",
        str(hours),
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(out / "truth.json", encoding="utf-8") as f:
        return json.load(f)


def generate(bin_dir: Path, out: Path, seed: int, hours: float) -> dict:
    cmd = [
        str(bin_dir / "pubsub-hunt-testgen"),
        "labeled",
        "--out",
        str(out),
        "--seed",
        str(seed),
        "--hours",
        str(hours),
    ]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    with open(out / "truth.json", encoding="utf-8") as f:
        return json.load(f)


def hunt(bin_dir: Path, paths: list[Path], extra: list[str]) -> list[dict]:
    """Alerts of one run over `paths` together, in output order. Exit status 2 (a problem
    reported, such as a log that is not a connection log being skipped) is accepted like 0."""
    cmd = [
        str(bin_dir / "pubsub-hunt"),
        "hunt",
        *map(str, paths),
        "--format",
        "jsonl",
        "-q",
        *extra,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode not in (0, 2):
        names = " ".join(map(str, paths))
        raise SystemExit(
            f"pubsub-hunt failed ({run.returncode}) on {names}:\n{run.stderr.strip()}"
        )
    alerts = []
    for line in run.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        if rec.get("kind", "alert") == "alert":
            alerts.append(rec)
    return alerts


def channel_index(truth: dict) -> dict:
    return {
        (c["src_ip"], c["dst_ip"], int(c["dst_port"])): c for c in truth["channels"]
    }


def match(alert: dict, index: dict) -> dict | None:
    key = (alert.get("src_ip"), alert.get("dst_ip"), int(alert.get("dst_port") or 0))
    return index.get(key)


def precision_at(labels: list[str], k: int) -> float | None:
    if k <= 0:
        return None
    top = labels[:k]
    return sum(1 for x in top if x == "c2") / k


def evaluate_run(alerts: list[dict], truth: dict, source: str) -> dict:
    index = channel_index(truth)
    labels = []
    matched = []
    host_mismatch = 0
    for a in alerts:
        ch = match(a, index)
        matched.append(ch)
        labels.append(ch["label"] if ch else "unmatched")
        if ch and source == "sysmon" and a.get("host") not in (None, ch["host"]):
            host_mismatch += 1
    c2 = [c for c in truth["channels"] if c["label"] == "c2"]
    revealable = {c["id"] for c in c2 if c["revealable"][source]["revealable"]}
    detected = {ch["id"] for ch in matched if ch and ch["label"] == "c2"}
    true_alerts = sum(1 for x in labels if x == "c2")
    false_alerts = len(labels) - true_alerts
    c2_positions = [i for i, x in enumerate(labels) if x == "c2"]
    other_positions = [i for i, x in enumerate(labels) if x != "c2"]
    ranked_above = (
        not c2_positions
        or not other_positions
        or max(c2_positions) < min(other_positions)
    )
    benign = []
    for a, ch in zip(alerts, matched):
        if ch is None or ch["label"] != "c2":
            benign.append(
                {
                    "channel": ch["id"] if ch else None,
                    "category": ch["category"] if ch else None,
                    "rank": alerts.index(a) + 1,
                    "score": a.get("score"),
                    "suspicion": a.get("suspicion"),
                    "analytic": a.get("analytic"),
                    "signals": a.get("signals"),
                    "endpoint": f'{a.get("src_ip")} -> {a.get("dst_ip")}:{a.get("dst_port")}',
                }
            )
    c2_alerts = []
    for rank, (a, ch) in enumerate(zip(alerts, matched), start=1):
        if ch is not None and ch["label"] == "c2":
            c2_alerts.append(
                {
                    "channel": ch["id"],
                    "rank": rank,
                    "score": a.get("score"),
                    "suspicion": a.get("suspicion"),
                    "analytic": a.get("analytic"),
                    "signals": a.get("signals"),
                }
            )
    return {
        "alerts": len(alerts),
        "true_alerts": true_alerts,
        "false_alerts": false_alerts,
        "revealable_c2": sorted(revealable),
        "detected_c2": sorted(detected),
        "missed_c2": sorted(revealable - detected),
        "detected_unrevealable_c2": sorted(detected - revealable),
        "precision": true_alerts / len(alerts) if alerts else None,
        "recall": len(revealable & detected) / len(revealable) if revealable else None,
        "benign_per_true": false_alerts / true_alerts if true_alerts else None,
        "r_precision": precision_at(labels, len(revealable)),
        "p_at_10": precision_at(labels, 10),
        "c2_above_benign": ranked_above,
        "host_mismatch": host_mismatch,
        "benign_alerts": benign,
        "c2_alerts": c2_alerts,
    }


def why_missed(low_alerts: list[dict], truth: dict, channel_id: str) -> str:
    """The channel's group as the engine scored it at `--min-suspicion low`, if it is there."""
    index = channel_index(truth)
    for a in low_alerts:
        ch = match(a, index)
        if ch and ch["id"] == channel_id:
            return (
                f'below alert level: score {a.get("score")}, suspicion {a.get("suspicion")}, '
                f'analytic {a.get("analytic")}, signals {json.dumps(a.get("signals"))}'
            )
    return "no group at all (not a candidate of any analytic)"


def aggregate(runs: list[dict]) -> dict:
    alerts = sum(r["alerts"] for r in runs)
    true_alerts = sum(r["true_alerts"] for r in runs)
    false_alerts = sum(r["false_alerts"] for r in runs)
    revealable = sum(len(r["revealable_c2"]) for r in runs)
    found = sum(len(set(r["revealable_c2"]) & set(r["detected_c2"])) for r in runs)

    def mean(key):
        values = [r[key] for r in runs if r[key] is not None]
        return sum(values) / len(values) if values else None

    return {
        "alerts": alerts,
        "true_alerts": true_alerts,
        "false_alerts": false_alerts,
        "revealable_c2": revealable,
        "detected_revealable_c2": found,
        "precision": true_alerts / alerts if alerts else None,
        "recall": found / revealable if revealable else None,
        "benign_per_true": false_alerts / true_alerts if true_alerts else None,
        "r_precision": mean("r_precision"),
        "p_at_10": mean("p_at_10"),
        "c2_above_benign": all(r["c2_above_benign"] for r in runs),
    }


def fmt(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def table(results: dict) -> str:
    head = (
        "| source | view | alerts | C2 alerts | benign alerts | precision | recall "
        "(revealable C2) | benign per true | R-precision | P@10 | C2 ranked above benign |"
    )
    lines = [head, "|" + "---|" * 11]
    for source, _ in SOURCES:
        for view, _ in VIEWS:
            a = results[source][view]["all"]
            lines.append(
                f"| {source} | {view} | {a['alerts']} | {a['true_alerts']} | "
                f"{a['false_alerts']} | {fmt(a['precision'])} | {fmt(a['recall'])} "
                f"({a['detected_revealable_c2']}/{a['revealable_c2']}) | "
                f"{fmt(a['benign_per_true'])} | {fmt(a['r_precision'])} | "
                f"{fmt(a['p_at_10'])} | {fmt(a['c2_above_benign'])} |"
            )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    p.add_argument("--hours", type=float, default=24.0, help="scenario length (default 24)")
    p.add_argument(
        "--bin-dir",
        type=Path,
        default=None,
        help="where pubsub-hunt and pubsub-hunt-testgen are "
        "(default $CARGO_TARGET_DIR/release or target/release)",
    )
    p.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    p.add_argument(
        "--generator",
        choices=sorted(SOURCES_BY_GENERATOR),
        default="labeled",
        help="labeled: pubsub-hunt-testgen labeled (default); independent: bench/indep/generate.py",
    )
    p.add_argument("--json", type=Path, help="write the figures as JSON here")
    p.add_argument("--keep", type=Path, help="keep the generated data in this directory")
    p.add_argument(
        "--details",
        choices=["full", "all", "none"],
        default="full",
        help="list missed channels and benign alerts for the full engine (default), "
        "for both views, or not at all",
    )
    args = p.parse_args()
    global SOURCES
    SOURCES = SOURCES_BY_GENERATOR[args.generator]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    bin_dir = args.bin_dir or default_bin_dir()
    if not args.no_build:
        build()
    # The independent model is generated in Python; only the labeled one needs our generator.
    needed = ["pubsub-hunt"] + (["pubsub-hunt-testgen"] if args.generator == "labeled" else [])
    for exe in needed:
        if not (bin_dir / exe).exists():
            raise SystemExit(f"{bin_dir / exe} not found (build it or pass --bin-dir)")

    results: dict = {s: {v: {"per_seed": {}} for v, _ in VIEWS} for s, _ in SOURCES}
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pubsub-eval-") as tmp:
        base = args.keep or Path(tmp)
        for seed in seeds:
            out = base / f"seed-{seed}"
            if args.generator == "independent":
                truth = generate_independent(out, seed, args.hours)
            else:
                truth = generate(bin_dir, out, seed, args.hours)
            for source, names in SOURCES:
                paths = [out / name for name in names]
                low = None
                for view, flags in VIEWS:
                    alerts = hunt(bin_dir, paths, flags)
                    run = evaluate_run(alerts, truth, source)
                    results[source][view]["per_seed"][seed] = run
                    if args.details == "none" or (args.details == "full" and view != "full"):
                        continue
                    for ch in run["missed_c2"]:
                        if low is None:
                            low = hunt(bin_dir, paths, ["--min-suspicion", "low"])
                        reason = (
                            why_missed(low, truth, ch)
                            if view == "full"
                            else "not reported by the seed analytic"
                        )
                        details.append(f"- seed {seed}, {source}, {view}: missed **{ch}**: {reason}")
                    for b in run["benign_alerts"]:
                        details.append(
                            f"- seed {seed}, {source}, {view}: benign alert #{b['rank']} "
                            f"**{b['channel'] or 'unmatched ' + b['endpoint']}** "
                            f"({b['category']}): score {b['score']}, {b['suspicion']}, "
                            f"{b['analytic']}, signals {json.dumps(b['signals'])}"
                        )
                    if not run["c2_above_benign"]:
                        worst = max(
                            (c for c in run["c2_alerts"]), key=lambda c: c["rank"], default=None
                        )
                        if worst:
                            details.append(
                                f"- seed {seed}, {source}, {view}: lowest-ranked C2 alert "
                                f"**{worst['channel']}** at #{worst['rank']} (score "
                                f"{worst['score']}, {worst['suspicion']}, signals "
                                f"{json.dumps(worst['signals'])})"
                            )
    for source, _ in SOURCES:
        for view, _ in VIEWS:
            runs = list(results[source][view]["per_seed"].values())
            results[source][view]["all"] = aggregate(runs)

    print(
        f"Behaviour evaluation ({args.generator} generator): seeds "
        f"{','.join(map(str, seeds))}, {args.hours:g} h each; "
        "recall is over the C2 channels each source can reveal (truth.json)."
    )
    print()
    print(table(results))
    if details:
        print()
        print("Details:")
        print("\n".join(details))
    if args.json:
        doc = {
            "generator": args.generator,
            "seeds": seeds,
            "hours": args.hours,
            "results": {
                s: {
                    v: {
                        "all": results[s][v]["all"],
                        "per_seed": {str(k): r for k, r in results[s][v]["per_seed"].items()},
                    }
                    for v, _ in VIEWS
                }
                for s, _ in SOURCES
            },
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
