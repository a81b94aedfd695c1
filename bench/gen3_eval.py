#!/usr/bin/env python3
"""Behaviour evaluation of pubsub-hunt on a third, independent model of the world (`bench/gen3`).

`bench/gen3` was written by a helper that read neither the engine nor the other two generators
(`pubsub-hunt-testgen labeled`, `bench/indep`): its own organisation, background traffic, 21
benign pub/sub behaviours and 11-15 C2 behaviours, as Zeek conn.log, ssl.log and dns.log with a
truth.json of channels (source, destination, port; label and category). This runs
`pubsub-hunt hunt` on each generated set in two sources (Zeek conn.log alone; conn.log with
ssl.log and dns.log, which name destinations) and two views (seed: `--analytic pubsub-port`;
full: the default engine), matches alerts to channels by (src_ip, dst_ip, dst_port), and reports
benign alerts per true one, recall, and whether every C2 alert ranks above every benign one.

Recall counts the C2 channels a connection log can reveal: those with at least one connection on
a port the default configuration lists for a pub/sub protocol (`pubsub-hunt config init`,
`[ports]`), and, with ssl.log, those whose TLS server name is a well-known public MQTT broker's
(`PUBLIC_BROKERS` below, the brokers' own published host names: MQTT over WebSocket to them is
named by its handshake whatever the port). Cleartext MQTT on 443 or 8080 is in the data, and
listed as unrevealable: telling it needs packet inspection, which a conn.log does not carry.

Python 3 standard library only. Usage:

    bench/gen3_eval.py --bin-dir target/release --seeds 11,12,13 --hours 24
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ["PUBSUB_HUNT_NO_STATE"] = "1"
HERE = Path(__file__).resolve().parent
SOURCES = [("zeek", ["conn.log"]), ("zeek_names", ["conn.log", "ssl.log", "dns.log"])]
VIEWS = [("seed", ["--analytic", "pubsub-port"]), ("full", [])]


# Public MQTT brokers' published host names (a name or its subdomain), as their operators list
# them: an evaluation fact, kept apart from the engine's own table.
PUBLIC_BROKERS = ["broker.hivemq.com", "broker.emqx.io", "test.mosquitto.org",
                  "mqtt.eclipseprojects.io", "public.mqtthq.com", "broker.mqtt.cool"]


def named_public_broker(out: Path) -> set[tuple[str, str, int]]:
    """The (client, server, port) of ssl.log records whose server name is a public broker's."""
    found: set[tuple[str, str, int]] = set()
    path = out / "ssl.log"
    if not path.exists():
        return found
    fields: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
            continue
        if line.startswith("#") or not fields:
            continue
        row = dict(zip(fields, line.split("\t")))
        name = row.get("server_name", "-").lower()
        if any(name == b or name.endswith("." + b) for b in PUBLIC_BROKERS):
            found.add((row["id.orig_h"], row["id.resp_h"], int(row["id.resp_p"])))
    return found


def pubsub_ports(binary: Path) -> set[int]:
    """The ports of the default configuration's `[ports]` table."""
    text = subprocess.run([binary, "config", "init"], capture_output=True, text=True, check=True).stdout
    section = text.split("[ports]", 1)[1].split("\n[", 1)[0]
    return {int(p) for p in re.findall(r"\b\d{2,5}\b", "\n".join(
        line.split("#", 1)[0] for line in section.splitlines()))}


def hunt(binary: Path, files: list[Path], extra: list[str]) -> list[dict]:
    out = subprocess.run([binary, "hunt", "--format", "jsonl", "--quiet", *extra, *files],
                         capture_output=True, text=True)
    if out.returncode not in (0, 2):
        sys.exit(f"pubsub-hunt failed ({out.returncode}): {out.stderr}")
    return [a for a in map(json.loads, out.stdout.splitlines()) if a.get("kind", "alert") == "alert"]


def score(alerts: list[dict], truth: dict, ports: set[int],
          named: set[tuple[str, str, int]] = frozenset()) -> dict:
    index = {(c["src_ip"], c["dst_ip"], int(c["dst_port"])): c for c in truth["channels"]}
    labels, detected, benign = [], set(), []
    for rank, a in enumerate(alerts, 1):
        ch = index.get((a.get("src_ip"), a["dst_ip"], int(a["dst_port"])))
        labels.append(ch["label"] if ch else "unmatched")
        if ch and ch["label"] == "c2":
            detected.add(ch["id"])
        else:
            benign.append({"rank": rank, "score": a.get("score"), "suspicion": a.get("suspicion"),
                           "category": ch["category"] if ch else None,
                           "channel": ch["id"] if ch else None, "signals": a.get("signals")})
    c2 = [c for c in truth["channels"] if c["label"] == "c2" and c.get("connections", 0) > 0]
    revealable = {c["id"] for c in c2 if int(c["dst_port"]) in ports
                  or (c["src_ip"], c["dst_ip"], int(c["dst_port"])) in named}
    unrevealable = sorted({c["category"] for c in c2 if c["id"] not in revealable})
    true = labels.count("c2")
    c2_at = [i for i, x in enumerate(labels) if x == "c2"]
    other_at = [i for i, x in enumerate(labels) if x != "c2"]
    missed = [{"channel": c["id"], "category": c["category"], "connections": c["connections"]}
              for c in c2 if c["id"] in revealable - detected]
    return {"alerts": len(alerts), "true": true, "benign": len(labels) - true,
            "revealable": len(revealable), "detected": len(revealable & detected),
            "above": not c2_at or not other_at or max(c2_at) < min(other_at),
            "missed": missed, "benign_alerts": benign, "unrevealable": unrevealable}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", type=Path, default=Path("target/release"))
    ap.add_argument("--seeds", default="11,12,13")
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--keep", type=Path, help="keep the generated sets here")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    ap.add_argument("--details", action="store_true", help="list benign and missed channels")
    args = ap.parse_args()
    binary = args.bin_dir / "pubsub-hunt"
    ports = pubsub_ports(binary)
    work = args.keep or Path(tempfile.mkdtemp(prefix="gen3-"))
    results: dict = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        out = work / f"seed-{seed}"
        subprocess.run([sys.executable, HERE / "gen3" / "gen3.py", "--seed", str(seed),
                        "--hours", str(args.hours), "--out", out], check=True,
                       stdout=subprocess.DEVNULL)
        truth = json.loads((out / "truth.json").read_text())
        for source, files in SOURCES:
            named = named_public_broker(out) if "ssl.log" in files else set()
            for view, extra in VIEWS:
                r = score(hunt(binary, [out / f for f in files], extra), truth, ports, named)
                results.setdefault(source, {}).setdefault(view, {})[str(seed)] = r
    print(f"gen3: seeds {args.seeds}, {args.hours} h each; recall over the C2 channels on a "
          f"pub/sub port (ports {sorted(ports)}), and with names those ssl.log names as a public "
          f"broker's\n")
    print("| source | view | alerts | C2 alerts | benign alerts | benign per true | recall | "
          "C2 ranked above benign |")
    print("|---|---|---|---|---|---|---|---|")
    for source, views in results.items():
        for view, per_seed in views.items():
            t = {k: sum(r[k] for r in per_seed.values())
                 for k in ("alerts", "true", "benign", "revealable", "detected")}
            above = sum(r["above"] for r in per_seed.values())
            bpt = f"{t['benign'] / t['true']:.2f}" if t["true"] else "-"
            print(f"| {source} | {view} | {t['alerts']} | {t['true']} | {t['benign']} | {bpt} | "
                  f"{t['detected'] / t['revealable']:.2f} ({t['detected']}/{t['revealable']}) | "
                  f"{above} of {len(per_seed)} sets |")
    for source in results:
        unrevealable = sorted({c for v in results[source]["full"].values() for c in v["unrevealable"]})
        print(f"\nC2 not revealable from {source} (not counted in its recall): "
              f"{', '.join(unrevealable) or 'none'}")
    if args.details:
        for source, views in results.items():
            for seed, r in views["full"].items():
                print(f"\n== {source} full, seed {seed}")
                for b in r["benign_alerts"]:
                    print(f"  benign r{b['rank']} {b['score']} {b['suspicion']} {b['category']} "
                          f"{b['channel']} {b['signals']}")
                for m in r["missed"]:
                    print(f"  missed {m['channel']} {m['category']} ({m['connections']} connections)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
