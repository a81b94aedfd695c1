#!/usr/bin/env python3
"""Writes a Zeek conn.log of busy pub/sub groups: the rating's worst case for beacon scoring.

HOSTS internal hosts each open PER connections to a pub/sub port (1883, 8883, 5222, 61613) of one
of twenty external brokers; even hosts on a 60 s timer with 50 % jitter (about half the gaps
outside ±30 % of the median), odd hosts at random (exponential gaps, same mean). Every group
then holds the engine's maximum of kept connection starts (10,000), which is where a
per-connection transcendental or quadratic cost in the beacon score shows (bench/README.md).

    bench/dense_conn.py bench/out/dense-200x10k.log              # 200 x 10,000: 2 M lines, 249 MB
    bench/dense_conn.py OUT --hosts 50 --per-host 2000           # smaller
    /usr/bin/time -f "%e s %U user %M KB" target/release/pubsub-hunt hunt --format jsonl OUT

The header is the one of examples/data/conn.log (Zeek 7.1 TSV). Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = [1883, 8883, 5222, 61613]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--per-host", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    header = (ROOT / "examples" / "data" / "conn.log").read_text().split("\n")[:8]
    rows = []
    for h in range(args.hosts):
        src = f"10.{1 + h // 250}.{h % 250}.7"
        dst = f"198.51.100.{h % 20 + 1}"
        port = PORTS[h % len(PORTS)]
        t = 1793606400.0 + h * 3.1
        for i in range(args.per_host):
            if h % 2 == 0:
                t += 60 * (1 - 0.5 * rng.random())  # a timer with 50 % jitter
            else:
                t += rng.expovariate(1 / 60)  # random arrivals
            rows.append((t, src, 40000 + i % 20000, dst, port, 200 + rng.randrange(40)))
    rows.sort()
    with open(args.out, "w") as out:
        out.write("\n".join(header) + "\n")
        for i, (t, src, sport, dst, port, sent) in enumerate(rows):
            out.write(f"{t:.6f}\tC{i:017d}\t{src}\t{sport}\t{dst}\t{port}\ttcp\t-\t1.5\t{sent}\t300"
                      f"\tSF\tT\tF\t0\tShADadFf\t5\t{sent + 200}\t4\t460\t-\t6\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
