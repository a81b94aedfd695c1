#!/usr/bin/env python3
"""DuckDB oracle: pubsub-hunt's analytics over Zeek conn.log, written independently in SQL.

This is the reference the Rust implementation is checked against (crates/cli/tests/duckdb_oracle.rs)
and the competitor it is timed against (bench/conn_bench.py). It shares no code with pubsub-hunt:
it reads the log with DuckDB's own CSV/JSON readers and classifies addresses with its own SQL
(the `inet` extension cannot be downloaded offline, so CIDR checks are octet arithmetic for IPv4
and prefix checks on the text for IPv6).

The analytics, as specified in docs/analytic.md:

* candidates: destination port in the pub/sub ports (MQTT 1883/8883, XMPP 5222/5223/5269, AMQP
  5671/5672, STOMP 61613/61614) -> `pubsub-port`, protocol from the port; or Zeek `service`
  naming mqtt/xmpp/amqp/stomp (any case, alone or in a list like `xmpp,ssl`) on a port that is not
  a standard port of that protocol -> `pubsub-unusual-port`, protocol from the label;
* both: proto tcp or unset; conn_state none of S0 REJ RSTOS0 RSTRH SH SHR (unset counts);
  local_orig not F;
* group by (analytic, window, host = id.orig_h, dst ip, dst port, protocol), keep >= 2
  connections; windows are tumbling, aligned to the epoch, only with --window;
* external = destination outside 10/8 172.16/12 192.168/16 127/8 169.254/16 100.64/10 ::1
  fc00::/7 fe80::/10;
* suspicion (pubsub-port): external XMPP/STOMP high; external MQTT high (Zeek records no
  process, and an unknown process is not a Mosquitto client); external AMQP medium; internal
  XMPP/STOMP medium; else low. pubsub-unusual-port: external high, internal medium.

Output: one JSON object per alert with pubsub-hunt's fields, in report order (suspicion, then
connections, descending) unless --order canonical.

Limits (the generator never produces these): one header per TSV file (no concatenated logs with
different columns), IPv6 addresses in canonical compressed form, non-negative epoch `ts`,
plain or .gz/.zst files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
import time

PORTS = {
    "MQTT": (1883, 8883),
    "XMPP": (5222, 5223, 5269),
    "AMQP": (5671, 5672),
    "STOMP": (61613, 61614),
}
FAILED_STATES = ("S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR")
SUSPICION_RANK = {"low": 0, "medium": 1, "high": 2}
WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Logical column -> name in Zeek's dotted schema.
NEEDED = {
    "ts": "ts",
    "orig_h": "id.orig_h",
    "resp_h": "id.resp_h",
    "resp_p": "id.resp_p",
    "proto": "proto",
    "service": "service",
    "conn_state": "conn_state",
    "local_orig": "local_orig",
    "orig_bytes": "orig_bytes",
    "resp_bytes": "resp_bytes",
}


class OracleError(Exception):
    pass


def parse_window(text: str | None) -> int | None:
    """`1h` -> microseconds; `none`/None -> None (the whole input is one window)."""
    if text is None or text.lower() in ("none", "all"):
        return None
    digits = text.rstrip("smhdw")
    unit = text[len(digits):]
    if not digits.isdigit() or unit not in WINDOW_UNITS or int(digits) <= 0:
        raise OracleError(f"window {text!r}: expected a number and a unit (s, m, h, d, w)")
    return int(digits) * WINDOW_UNITS[unit] * 1_000_000


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def sql_ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def compression_of(path: str) -> str:
    if path.endswith(".gz"):
        return "gzip"
    if path.endswith(".zst"):
        return "zstd"
    return "none"


def head_lines(con, path: str, n: int = 64) -> list[str]:
    """The first lines of a file, decompressed."""
    comp = compression_of(path)
    if comp == "none":
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    elif comp == "gzip":
        with gzip.open(path, "rb") as f:
            data = f.read(1 << 20)
    else:
        # No zstd in the standard library: let DuckDB decompress (lines are read whole by
        # declaring a delimiter that Zeek logs do not contain).
        rows = con.sql(
            f"SELECT line FROM read_csv({sql_str(path)}, columns={{'line': 'VARCHAR'}}, "
            f"delim='\\x01', header=false, quote='', escape='', auto_detect=false, "
            f"compression='zstd') LIMIT {n}"
        ).fetchall()
        return [r[0] or "" for r in rows]
    text = data.decode("utf-8", errors="replace")
    return text.split("\n")[:n]


def describe_file(con, path: str, input_format: str) -> dict:
    """Format, column names and TSV markers of one log."""
    lines = [l.rstrip("\r") for l in head_lines(con, path)]
    first = next((l for l in lines if l.strip()), "")
    fmt = input_format
    if fmt == "auto":
        if first.startswith("{"):
            fmt = "zeek-json"
        elif first.startswith("#") or "\t" in first:
            fmt = "zeek-tsv"
        else:
            raise OracleError(f"{path}: not a Zeek conn log (first line {first[:60]!r})")
    if fmt == "zeek-json":
        try:
            keys = json.loads(first).keys()
        except (ValueError, AttributeError) as e:
            raise OracleError(f"{path}: first line is not a JSON object: {e}") from e
        sep = "_" if "id_orig_h" in keys and "id.orig_h" not in keys else "."
        names = {k: v.replace("id.", "id" + sep) for k, v in NEEDED.items()}
        return {"format": fmt, "names": names}
    if fmt != "zeek-tsv":
        raise OracleError(f"unknown input format {fmt!r}")
    separator, unset, empty, fields, skip = "\t", "-", "(empty)", None, 0
    for line in lines:
        if not line.startswith("#"):
            break
        if line.startswith("#separator"):
            value = line[len("#separator"):].strip()
            separator = value.encode().decode("unicode_escape") if value.startswith("\\x") else value
            continue
        key, _, value = line.partition(separator)
        if key == "#fields":
            fields = value.split(separator)
        elif key == "#unset_field":
            unset = value
        elif key == "#empty_field":
            empty = value
    if fields is None:
        # A bare column row instead of a header (zeek-cut style).
        if first.startswith("ts" + separator):
            fields, skip = first.split(separator), 1
        else:
            raise OracleError(f"{path}: TSV without a #fields header")
    missing = [v for v in NEEDED.values() if v not in fields and v not in ("local_orig",)]
    if "id.orig_h" in missing or "id.resp_p" in missing or "id.resp_h" in missing:
        raise OracleError(f"{path}: columns missing: {missing}")
    return {
        "format": fmt,
        "fields": fields,
        "separator": separator,
        "unset": unset,
        "empty": empty,
        "skip": skip,
        "names": dict(NEEDED),
    }


def raw_relation(path: str, info: dict) -> str:
    """SQL for the file's rows, every needed logical column as VARCHAR (NULL when unset)."""
    names = info["names"]
    comp = compression_of(path)
    if info["format"] == "zeek-json":
        cols = ", ".join(f"{sql_str(v)}: 'VARCHAR'" for v in names.values())
        src = (
            f"read_json({sql_str(path)}, format='newline_delimited', columns={{{cols}}}, "
            f"compression={sql_str('uncompressed' if comp == 'none' else comp)}, ignore_errors=true)"
        )
        select = ", ".join(f"{sql_ident(v)} AS {k}" for k, v in names.items())
        return f"SELECT {select} FROM {src}"
    fields = info["fields"]
    cols = ", ".join(f"{sql_str(f)}: 'VARCHAR'" for f in fields)
    # Rows whose column count differs (header lines, #close, broken lines) are skipped by
    # ignore_errors; header-like rows that happen to fit are dropped by the '#' filter below.
    src = (
        f"read_csv({sql_str(path)}, delim={sql_str(info['separator'])}, header=false, "
        f"columns={{{cols}}}, quote='', escape='', auto_detect=false, ignore_errors=true, "
        f"skip={info['skip']}, nullstr={sql_str(info['unset'])}, "
        f"compression={sql_str(comp)})"
    )
    parts = []
    for k, v in names.items():
        if v in fields:
            parts.append(
                f"CASE WHEN {sql_ident(v)} = {sql_str(info['empty'])} THEN '' "
                f"ELSE {sql_ident(v)} END AS {k}"
            )
        else:
            parts.append(f"NULL::VARCHAR AS {k}")
    first = sql_ident(fields[0])
    return (
        f"SELECT {', '.join(parts)} FROM {src} "
        f"WHERE {first} IS NULL OR NOT starts_with({first}, '#')"
    )


MACROS = r"""
CREATE OR REPLACE TEMP MACRO octet(ip, n) AS TRY_CAST(split_part(ip, '.', n) AS INTEGER);
CREATE OR REPLACE TEMP MACRO v4_internal(a, b) AS
    a = 10
    OR (a = 172 AND b BETWEEN 16 AND 31)
    OR (a = 192 AND b = 168)
    OR a = 127
    OR (a = 169 AND b = 254)
    OR (a = 100 AND b BETWEEN 64 AND 127);
-- fc00::/7 is first hextet fc00-fdff, fe80::/10 is fe80-febf; a first hextet written with fewer
-- than four digits is below 0x1000 and in neither.
CREATE OR REPLACE TEMP MACRO v6_internal(h1, ip) AS
    ip = '::1'
    OR (length(h1) = 4 AND (left(h1, 2) IN ('fc', 'fd')
        OR (left(h1, 2) = 'fe' AND substr(h1, 3, 1) IN ('8', '9', 'a', 'b'))));
CREATE OR REPLACE TEMP MACRO is_internal(ip) AS coalesce(CASE
    WHEN NOT contains(ip, ':') THEN v4_internal(octet(ip, 1), octet(ip, 2))
    WHEN starts_with(lower(ip), '::ffff:') AND contains(ip, '.')
        THEN v4_internal(octet(substr(ip, 8), 1), octet(substr(ip, 8), 2))
    ELSE v6_internal(split_part(lower(split_part(ip, '%', 1)), ':', 1), lower(split_part(ip, '%', 1)))
END, false);
-- Epoch seconds as written (digits past the sixth decimal truncated), or an ISO-8601 instant.
CREATE OR REPLACE TEMP MACRO ts_micros(ts) AS CASE
    WHEN ts IS NULL THEN NULL
    WHEN contains(ts, 'T') OR contains(ts, ' ') OR contains(ts, '-')
        THEN epoch_us(TRY_CAST(ts AS TIMESTAMPTZ))
    ELSE TRY_CAST(split_part(ts, '.', 1) AS BIGINT) * 1000000
        + coalesce(TRY_CAST(rpad(left(split_part(ts, '.', 2), 6), 6, '0') AS BIGINT), 0)
END;
"""


def analytic_sql(relations: list[str], window_us: int | None, min_suspicion: str) -> str:
    all_ports = ", ".join(str(p) for ports in PORTS.values() for p in ports)
    port_case = " ".join(
        f"WHEN dst_port IN ({', '.join(map(str, ports))}) THEN {sql_str(proto)}"
        for proto, ports in PORTS.items()
    )
    proto_table = ", ".join(
        f"({sql_str(proto.lower())}, {sql_str(proto)}, [{', '.join(map(str, ports))}])"
        for proto, ports in PORTS.items()
    )
    failed = ", ".join(sql_str(s) for s in FAILED_STATES)
    if window_us is None:
        window_expr, window_filter = "0", "TRUE"
    else:
        # Floor division, also for instants before the epoch.
        window_expr = (
            f"CASE WHEN ts_us >= 0 THEN ts_us // {window_us} "
            f"ELSE -((-ts_us - 1) // {window_us}) - 1 END"
        )
        window_filter = "ts_us IS NOT NULL"
    union = "\nUNION ALL\n".join(relations)
    min_rank = SUSPICION_RANK[min_suspicion]
    return f"""
WITH raw AS (
{union}
),
conn AS (
    SELECT
        orig_h AS host,
        resp_h AS dst,
        TRY_CAST(resp_p AS INTEGER) AS dst_port,
        lower(trim(proto)) AS proto,
        service,
        upper(trim(conn_state)) AS conn_state,
        lower(trim(local_orig)) AS local_orig,
        TRY_CAST(orig_bytes AS UBIGINT) AS orig_bytes,
        TRY_CAST(resp_bytes AS UBIGINT) AS resp_bytes,
        ts
    FROM raw
),
counted AS (
    SELECT * EXCLUDE (ts), ts_micros(ts) AS ts_us
    FROM conn
    WHERE (dst_port IN ({all_ports})
           OR regexp_matches(lower(coalesce(service, '')), 'mqtt|xmpp|amqp|stomp'))
      AND (proto IS NULL OR proto IN ('tcp', '', 'unknown_transport'))
      AND (conn_state IS NULL OR conn_state NOT IN ({failed}))
      AND (local_orig IS NULL OR local_orig NOT IN ('f', 'false'))
),
protocols(label, protocol, ports) AS (VALUES {proto_table}),
port_rows AS (
    SELECT 'pubsub-port' AS analytic, CASE {port_case} END AS protocol,
           host, dst, dst_port, ts_us, orig_bytes, resp_bytes
    FROM counted
    WHERE dst_port IN ({all_ports})
),
labelled AS (
    SELECT host, dst, dst_port, ts_us, orig_bytes, resp_bytes,
           unnest(list_distinct(list_transform(string_split(lower(service), ','), x -> trim(x)))) AS label
    FROM counted
    WHERE service IS NOT NULL
),
service_rows AS (
    SELECT 'pubsub-unusual-port' AS analytic, p.protocol,
           l.host, l.dst, l.dst_port, l.ts_us, l.orig_bytes, l.resp_bytes
    FROM labelled l JOIN protocols p ON l.label = p.label
    WHERE NOT list_contains(p.ports, l.dst_port)
),
candidates AS (
    SELECT *, {window_expr} AS win FROM (
        SELECT * FROM port_rows UNION ALL SELECT * FROM service_rows
    )
    WHERE {window_filter}
),
groups AS (
    SELECT analytic, win, host, dst, dst_port, protocol,
           count(*) AS connections,
           min(ts_us) AS first_us,
           max(ts_us) AS last_us,
           sum(orig_bytes) AS bytes_sent,
           sum(resp_bytes) AS bytes_received
    FROM candidates
    GROUP BY analytic, win, host, dst, dst_port, protocol
    HAVING count(*) >= 2
),
rated AS (
    SELECT *,
        CASE
            WHEN analytic = 'pubsub-unusual-port' THEN CASE WHEN external THEN 'high' ELSE 'medium' END
            WHEN external AND protocol IN ('XMPP', 'STOMP') THEN 'high'
            WHEN external AND protocol = 'MQTT' THEN 'high'
            WHEN external AND protocol = 'AMQP' THEN 'medium'
            WHEN NOT external AND protocol IN ('XMPP', 'STOMP') THEN 'medium'
            ELSE 'low'
        END AS suspicion
    FROM (SELECT *, NOT is_internal(dst) AS external FROM groups)
)
SELECT analytic, suspicion, first_us, last_us, host, dst, dst_port, protocol, external,
       connections, bytes_sent, bytes_received
FROM rated
WHERE CASE suspicion WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END >= {min_rank}
"""


def rfc3339(us: int | None) -> str | None:
    """RFC 3339 UTC with the fraction trimmed of trailing zeros (none when whole seconds)."""
    if us is None:
        return None
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    frac = us % 1_000_000
    if frac:
        base += "." + f"{frac:06d}".rstrip("0")
    return base + "Z"


def report_key(a: dict):
    return (
        -SUSPICION_RANK[a["suspicion"]],
        -a["connections"],
        a["analytic"],
        a["host"],
        a["dst_ip"],
        a["dst_port"],
        a["protocol"],
        a["first_seen"] or "",
    )


def expand_paths(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in sorted(os.walk(p)):
                out.extend(os.path.join(root, f) for f in sorted(files))
        else:
            out.append(p)
    return out


def hunt(paths, window=None, min_suspicion="medium", input_format="auto", threads=None, timing=None):
    """Runs the analytics over the logs at `paths` and returns the alerts in report order."""
    import duckdb  # imported here so --help works without it

    window_us = parse_window(window) if isinstance(window, str) or window is None else window
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(MACROS)
    relations = []
    for path in expand_paths(list(paths)):
        info = describe_file(con, path, input_format)
        relations.append(raw_relation(path, info))
    if not relations:
        raise OracleError("no input files")
    started = time.perf_counter()
    rows = con.sql(analytic_sql(relations, window_us, min_suspicion)).fetchall()
    if timing is not None:
        timing["query_seconds"] = time.perf_counter() - started
    alerts = []
    for (analytic, suspicion, first_us, last_us, host, dst, dst_port, protocol, external,
         connections, bytes_sent, bytes_received) in rows:
        reasons = [
            f"{connections} connections from {host} to {dst}:{dst_port} (at least 2 needed)",
            f"{dst} is {'external' if external else 'internal'}",
            f"{suspicion}: {protocol} ({analytic})",
        ]
        alerts.append({
            "analytic": analytic,
            "technique": "T1071.005",
            "suspicion": suspicion,
            "first_seen": rfc3339(first_us),
            "last_seen": rfc3339(last_us),
            "host": host,
            "users": [],
            "process": None,
            "src_ip": host,
            "dst_ip": dst,
            "dst_port": int(dst_port),
            "protocol": protocol,
            "external": bool(external),
            "connections": int(connections),
            "bytes_sent": None if bytes_sent is None else int(bytes_sent),
            "bytes_received": None if bytes_received is None else int(bytes_received),
            "reasons": reasons,
        })
    alerts.sort(key=report_key)
    return alerts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--window", default=None, help="tumbling window, e.g. 1h (default: none)")
    ap.add_argument("--min-suspicion", choices=("low", "medium", "high"), default="medium")
    ap.add_argument("--input-format", choices=("auto", "zeek-tsv", "zeek-json"), default="auto")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--order", choices=("report", "canonical"), default="report",
                    help="report: suspicion and connections descending (pubsub-hunt's order); "
                         "canonical: by analytic, host, destination, port, protocol, first_seen")
    ap.add_argument("--timing", action="store_true", help="print the query time on stderr")
    args = ap.parse_args(argv)
    timing: dict = {}
    try:
        alerts = hunt(args.paths, args.window, args.min_suspicion, args.input_format,
                      args.threads, timing)
    except OracleError as e:
        print(f"duckdb_oracle: {e}", file=sys.stderr)
        return 2
    if args.order == "canonical":
        alerts.sort(key=lambda a: (a["analytic"], a["host"], a["dst_ip"], a["dst_port"],
                                   a["protocol"], a["first_seen"] or ""))
    out = sys.stdout
    for a in alerts:
        out.write(json.dumps(a, separators=(",", ":")) + "\n")
    out.flush()
    if args.timing:
        print(f"duckdb_oracle: {len(alerts)} alerts, query {timing.get('query_seconds', 0):.3f} s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
