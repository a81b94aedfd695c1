"""Sysmon Event ID 3 (NetworkConnect) as Winlogbeat JSON lines (winlog.* without the ECS pipeline)."""
from __future__ import annotations

import json

from util import iso_ms, rng, sysmon_time

PORT_NAMES = {443: "https", 80: "http", 53: "domain", 8080: "http-alt"}


class SysmonWriter:
    def __init__(self, seed):
        self.seed = seed
        self.events = []  # (ts, host, dict)
        self._procs = {}

    def process(self, host, image, key, t_start):
        """(pid, guid) of a process instance identified by key."""
        k = (host.name, image, key)
        if k not in self._procs:
            r = rng(self.seed, "proc", host.name, image, key)
            pid = 4 * r.randint(300, 7000)
            hostpart = rng(self.seed, "machine", host.name).getrandbits(32)
            ts = int(t_start)
            guid = "{%08x-%04x-%04x-%04x-%012x}" % (hostpart, ts & 0xFFFF, (ts >> 16) & 0xFFFF, r.getrandbits(16),
                                                    r.getrandbits(24) << 8)
            self._procs[k] = (pid, guid)
        return self._procs[k]

    def add(self, t, host, image, user, pid, guid, src_ip, src_port, dst_ip, dst_port, dst_host):
        ed = {
            "RuleName": "-",
            "UtcTime": sysmon_time(t),
            "ProcessGuid": guid,
            "ProcessId": str(pid),
            "Image": image,
            "User": user or "NT AUTHORITY\\SYSTEM",
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIsIpv6": "false",
            "SourceIp": src_ip,
            "SourceHostname": f"{host.name}.{host.fqdn.split('.', 1)[1]}",
            "SourcePort": str(src_port),
            "SourcePortName": "-",
            "DestinationIsIpv6": "false",
            "DestinationIp": dst_ip,
            "DestinationHostname": dst_host or "-",
            "DestinationPort": str(dst_port),
            "DestinationPortName": PORT_NAMES.get(dst_port, "-"),
        }
        self.events.append((t, host, ed))

    def write(self, path):
        self.events.sort(key=lambda e: e[0])
        rec = {}
        r = rng(self.seed, "sysmon-delay")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for t, host, ed in self.events:
                rec[host.name] = rec.get(host.name, r.randint(20000, 900000)) + 1
                created = t + r.uniform(0.05, 2.5)  # Sysmon reports network events with a small delay
                # Winlogbeat document without the ECS pipeline; the agent/ecs/log/event blocks and
                # winlog.task/user/process that Winlogbeat also adds are left out to keep the file small
                doc = {
                    "@timestamp": iso_ms(created),
                    "host": {"name": host.name},
                    "winlog": {
                        "channel": "Microsoft-Windows-Sysmon/Operational",
                        "event_id": 3,
                        "provider_name": "Microsoft-Windows-Sysmon",
                        "provider_guid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
                        "computer_name": f"{host.name}.{host.fqdn.split('.', 1)[1]}",
                        "record_id": rec[host.name],
                        "event_data": ed,
                    },
                }
                fh.write(json.dumps(doc, separators=(",", ":")))
                fh.write("\n")
        return len(self.events)
