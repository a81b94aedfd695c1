#!/usr/bin/env python3
"""gen3 command-line entry point: synthetic Zeek conn/dns/ssl logs for an
organisation with benign and C2 publish/subscribe traffic (MQTT, XMPP, AMQP,
STOMP, Kafka). The model lives in the gen3/ package next to this file.

Usage: python3 gen3.py --seed N --hours H --out DIR
"""
import argparse

from gen3 import generate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--hours", type=float, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    w, nc2, nb = generate(a.seed, a.hours, a.out)
    print("conn=%d dns=%d ssl=%d channels: c2=%d benign=%d" % (len(w.conn), len(w.dns), len(w.ssl), nc2, nb))


if __name__ == "__main__":
    main()
