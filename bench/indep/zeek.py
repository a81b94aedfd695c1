"""Zeek ASCII (TSV) log writers: conn.log, ssl.log, dns.log in the default Zeek 6 field layout."""
from __future__ import annotations

from util import zeek_open_time

CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
               "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
               "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count",
              "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]"]

SSL_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "cipher", "curve",
              "server_name", "resumed", "last_alert", "next_protocol", "established", "ssl_history", "cert_chain_fps",
              "client_cert_chain_fps", "sni_matches_cert", "validation_status"]
SSL_TYPES = ["time", "string", "addr", "port", "addr", "port", "string", "string", "string", "string", "bool", "string",
             "string", "bool", "string", "vector[string]", "vector[string]", "bool", "string"]

DNS_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "rtt", "query",
              "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z",
              "answers", "TTLs", "rejected"]
DNS_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "count", "interval", "string", "count", "string",
             "count", "string", "count", "string", "bool", "bool", "bool", "bool", "count", "vector[string]",
             "vector[interval]", "bool"]


def _header(path, fields, types, t_open):
    return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\t{path}\n#open\t{zeek_open_time(t_open)}\n#fields\t" + "\t".join(fields) + "\n#types\t"
            + "\t".join(types) + "\n")


def write_log(fname, path, fields, types, rows, t_open, t_close):
    """rows: list of (sort_key, tsv_line_without_newline)."""
    rows.sort(key=lambda x: x[0])
    with open(fname, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_header(path, fields, types, t_open))
        for _, line in rows:
            fh.write(line)
            fh.write("\n")
        fh.write(f"#close\t{zeek_open_time(t_close)}\n")
    return len(rows)


def f_time(t):
    return f"{t:.6f}"


def f_bool(b):
    return "T" if b else "F"


def f_vec(v):
    if v is None:
        return "-"
    if len(v) == 0:
        return "(empty)"
    return ",".join(v)


def conn_line(ts, uid, oh, op, rh, rp, proto, service, st, local_orig, local_resp):
    dur = st["duration"]
    return "\t".join([f_time(ts), uid, oh, str(op), rh, str(rp), proto, service or "-",
                      f"{dur:.6f}" if dur > 0 else "-", str(st["orig_bytes"]), str(st["resp_bytes"]),
                      st["conn_state"], f_bool(local_orig), f_bool(local_resp), "0", st["history"],
                      str(st["orig_pkts"]), str(st["orig_ip_bytes"]), str(st["resp_pkts"]), str(st["resp_ip_bytes"]), "-"])


def ssl_line(uid, oh, op, rh, rp, info):
    tls12 = info["version"] == "TLSv12"
    sni = info.get("server_name")
    return "\t".join([f_time(info["ts"]), uid, oh, str(op), rh, str(rp), info["version"], info["cipher"],
                      info["curve"], sni or "-", "F", "-", info.get("next_protocol") or "-", f_bool(info["established"]),
                      info["ssl_history"], f_vec(info["cert_chain_fps"]), f_vec(info["client_cert_chain_fps"]),
                      ("T" if sni else "-") if tls12 else "-", info.get("validation_status") or "-"])


def dns_line(ts, uid, oh, op, rh, rp, tid, rtt, query, qtype, answers, ttls):
    qn = {1: "A", 28: "AAAA", 33: "SRV"}[qtype]
    return "\t".join([f_time(ts), uid, oh, str(op), rh, str(rp), "udp", str(tid), f"{rtt:.6f}", query, "1", "C_INTERNET",
                      str(qtype), qn, "0", "NOERROR", "F", "F", "T", "T", "0",
                      ",".join(answers) if answers else "-",
                      ",".join(f"{t:.6f}" for t in ttls) if ttls else "-", "F"])
