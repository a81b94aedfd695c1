"""gen3: synthetic Zeek conn/dns/ssl logs for an organisation with benign and
C2 publish/subscribe traffic (MQTT, XMPP, AMQP, STOMP, Kafka).

Independent world model; standard library only; deterministic per seed.
This package owns the pipeline order: build the world, then background
traffic, then benign pub/sub, then C2, then write the logs and truth. The
order matters because every module draws from the one seeded random
generator, so changing it changes every output byte.

Modules: world (hosts, networks, time zone, names, channel registry),
flows (conn/dns/ssl row primitives, held sessions), background (ordinary
traffic), benign (benign pub/sub), c2 (C2 behaviours), zeek (log and
truth.json writers).
"""
import os

from .background import background
from .benign import benign
from .c2 import c2
from .world import World, build
from .zeek import write_logs, write_truth


def generate(seed, hours, out):
    """Generate one data set into directory out. Returns (world, n_c2, n_benign)."""
    os.makedirs(out, exist_ok=True)
    w = World(seed, hours)
    W = build(w)
    background(w, W)
    benign(w, W)
    c2(w, W)
    write_logs(w, out)
    nc2, nb = write_truth(w, out, seed, hours)
    return w, nc2, nb
