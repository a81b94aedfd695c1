"""Computes Community IDs (v1, seed 0, base64) with the `communityid` package, Corelight's
reference implementation, for the flows given as JSON lines on standard input
({"saddr", "daddr", "sport", "dport", "proto": "tcp"|"udp"}), and prints one JSON list of the ids,
in input order, on standard output. It is the independent oracle for the ids pubsub-hunt puts in
its alerts (crates/cli/tests/flow_ids.rs).
"""

import json
import sys

import communityid


def main():
    cid = communityid.CommunityID()
    out = []
    for line in sys.stdin:
        if not line.strip():
            continue
        f = json.loads(line)
        make = {
            "tcp": communityid.FlowTuple.make_tcp,
            "udp": communityid.FlowTuple.make_udp,
        }[f["proto"]]
        out.append(cid.calc(make(f["saddr"], f["daddr"], f["sport"], f["dport"])))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
