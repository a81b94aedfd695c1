"""Wire encoders for the application protocols carried in the capture.

Everything here produces real bytes following the public specifications:
MQTT 3.1.1 / 5.0 (OASIS), XMPP (RFC 6120), AMQP 0-9-1, STOMP 1.2, TLS 1.2 / 1.3 records with a
ClientHello carrying SNI and ALPN, X.509 certificates in DER (random key and signature bytes), and
DNS messages (RFC 1035).
"""
from __future__ import annotations

import base64
import hashlib
import random
import struct

from util import rbytes, rhex

# ----------------------------------------------------------------------------------------------
# MQTT
# ----------------------------------------------------------------------------------------------


_VARINT1 = [bytes((i,)) for i in range(128)]


def varint(n: int) -> bytes:
    if n < 128:
        return _VARINT1[n]
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _mstr(s) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _mpkt(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def _props(props: bytes | None, v: int) -> bytes:
    if v != 5:
        return b""
    props = props or b""
    return varint(len(props)) + props


def mqtt_connect(client_id: str, keepalive: int = 60, v: int = 4, username: str | None = None,
                 password: bytes | str | None = None, clean: bool = True, will: tuple | None = None,
                 props: bytes | None = None) -> bytes:
    flags = 0x02 if clean else 0
    if will:
        wtopic, wpayload, wqos, wretain = will
        flags |= 0x04 | (wqos << 3) | (0x20 if wretain else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    vh = _mstr("MQTT") + bytes([v, flags]) + struct.pack("!H", keepalive) + _props(props, v)
    pl = _mstr(client_id)
    if will:
        pl += _props(b"", v) + _mstr(wtopic) + _mstr(wpayload)
    if username is not None:
        pl += _mstr(username)
    if password is not None:
        pl += _mstr(password)
    return _mpkt(0x10, vh + pl)


def mqtt5_connect_props(session_expiry: int = 0, receive_max: int | None = None,
                        topic_alias_max: int | None = None) -> bytes:
    p = b""
    if session_expiry:
        p += b"\x11" + struct.pack("!I", session_expiry)
    if receive_max:
        p += b"\x21" + struct.pack("!H", receive_max)
    if topic_alias_max:
        p += b"\x22" + struct.pack("!H", topic_alias_max)
    return p


def mqtt_connack(v: int = 4, rc: int = 0, session_present: bool = False,
                 assigned_id: str | None = None) -> bytes:
    if v == 5:
        props = b"\x22" + struct.pack("!H", 10) + b"\x21" + struct.pack("!H", 32)  # topic alias / receive max
        props += b"\x24\x01" + b"\x25\x01" + b"\x28\x01" + b"\x29\x01" + b"\x2a\x01"
        if assigned_id:
            props += b"\x12" + _mstr(assigned_id)
        return _mpkt(0x20, bytes([1 if session_present else 0, rc]) + varint(len(props)) + props)
    return _mpkt(0x20, bytes([1 if session_present else 0, rc]))


_TOPICS: dict = {}


def mqtt_publish(topic: str, payload: bytes, qos: int = 0, pid: int | None = None,
                 retain: bool = False, dup: bool = False, v: int = 4,
                 props: bytes | None = None) -> bytes:
    first = 0x30 | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    body = _TOPICS.get(topic)
    if body is None:
        body = _mstr(topic)
        if len(_TOPICS) < 50000:
            _TOPICS[topic] = body
    if qos:
        body += struct.pack("!H", pid or 1)
    body += _props(props, v) + payload
    return _mpkt(first, body)


def mqtt_puback(pid: int, v: int = 4) -> bytes:
    return _mpkt(0x40, struct.pack("!H", pid))


def mqtt_subscribe(pid: int, filters, v: int = 4) -> bytes:
    body = struct.pack("!H", pid) + _props(b"", v)
    for f, q in filters:
        body += _mstr(f) + bytes([q])
    return _mpkt(0x82, body)


def mqtt_suback(pid: int, granted, v: int = 4) -> bytes:
    return _mpkt(0x90, struct.pack("!H", pid) + _props(b"", v) + bytes(granted))


MQTT_PINGREQ = b"\xc0\x00"
MQTT_PINGRESP = b"\xd0\x00"
MQTT_DISCONNECT = b"\xe0\x00"


# ----------------------------------------------------------------------------------------------
# XMPP (RFC 6120) -- plain strings
# ----------------------------------------------------------------------------------------------

NS_STREAM = "http://etherx.jabber.org/streams"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"


def xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


def xmpp_client_header(domain: str, prolog: bool = True, lang: bool = True) -> str:
    p = "<?xml version='1.0'?>" if prolog else ""
    return (p + f"<stream:stream to='{domain}' xmlns='jabber:client' xmlns:stream='{NS_STREAM}'"
            + (" xml:lang='en'" if lang else "") + " version='1.0'>")


def xmpp_server_header(domain: str, sid: str) -> str:
    return (f"<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns:stream='{NS_STREAM}' "
            f"xmlns='jabber:client' from='{domain}' id='{sid}' xml:lang='en' version='1.0'>")


def xmpp_features_pre_auth(starttls: bool, mechs=("SCRAM-SHA-1", "PLAIN")) -> str:
    s = "<stream:features>"
    if starttls:
        s += f"<starttls xmlns='{NS_TLS}'><required/></starttls>"
    s += f"<mechanisms xmlns='{NS_SASL}'>" + "".join(f"<mechanism>{m}</mechanism>" for m in mechs)
    s += "</mechanisms><register xmlns='http://jabber.org/features/iq-register'/></stream:features>"
    return s


def xmpp_features_post_auth() -> str:
    return ("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
            "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
            "<sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/></stream:features>")


def b64(b: bytes | str) -> str:
    return base64.b64encode(b.encode() if isinstance(b, str) else b).decode()


def xmpp_scram(r, user: str):
    """The four SASL SCRAM-SHA-1 elements (auth, challenge, response, success)."""
    cnonce = base64.b64encode(rbytes(r, 18)).decode()
    snonce = cnonce + base64.b64encode(rbytes(r, 18)).decode()
    salt = base64.b64encode(rbytes(r, 16)).decode()
    auth = f"<auth xmlns='{NS_SASL}' mechanism='SCRAM-SHA-1'>{b64(f'n,,n={user},r={cnonce}')}</auth>"
    chal = f"<challenge xmlns='{NS_SASL}'>{b64(f'r={snonce},s={salt},i=4096')}</challenge>"
    proof = base64.b64encode(rbytes(r, 20)).decode()
    resp = f"<response xmlns='{NS_SASL}'>{b64(f'c=biws,r={snonce},p={proof}')}</response>"
    ok = f"<success xmlns='{NS_SASL}'>{b64('v=' + base64.b64encode(rbytes(r, 20)).decode())}</success>"
    return auth, chal, resp, ok


def xmpp_bind(resource: str, iq_id: str) -> str:
    return (f"<iq type='set' id='{iq_id}'><bind xmlns='{NS_BIND}'><resource>{xml_escape(resource)}"
            f"</resource></bind></iq>")


def xmpp_bind_result(jid: str, iq_id: str) -> str:
    return f"<iq type='result' id='{iq_id}'><bind xmlns='{NS_BIND}'><jid>{xml_escape(jid)}</jid></bind></iq>"


def xmpp_message(frm: str | None, to: str, body: str, mid: str, chatstate: bool = True) -> str:
    f = f" from='{frm}'" if frm else ""
    cs = "<active xmlns='http://jabber.org/protocol/chatstates'/>" if chatstate else ""
    return (f"<message{f} to='{to}' type='chat' id='{mid}' xml:lang='en'><body>{xml_escape(body)}</body>"
            f"{cs}<request xmlns='urn:xmpp:receipts'/></message>")


def xmpp_ping(to: str, iq_id: str, frm: str | None = None) -> str:
    f = f" from='{frm}'" if frm else ""
    return f"<iq type='get' id='{iq_id}'{f} to='{to}'><ping xmlns='urn:xmpp:ping'/></iq>"


def xmpp_iq_result(iq_id: str, to: str | None = None, frm: str | None = None) -> str:
    f = f" from='{frm}'" if frm else ""
    t = f" to='{to}'" if to else ""
    return f"<iq type='result' id='{iq_id}'{f}{t}/>"


def xmpp_presence(show: str | None = None, priority: int = 1, caps_node: str = "https://pidgin.im/",
                  ver: str | None = None, frm: str | None = None, to: str | None = None) -> str:
    f = f" from='{frm}'" if frm else ""
    t = f" to='{to}'" if to else ""
    s = f"<show>{show}</show>" if show else ""
    v = ver or "AcN1/PEN8nq7AHD+9jpxMV4U6YM="
    return (f"<presence{f}{t}>{s}<priority>{priority}</priority><c xmlns='http://jabber.org/protocol/caps' "
            f"hash='sha-1' node='{caps_node}' ver='{v}'/></presence>")


def xmpp_roster_result(iq_id: str, jid: str, contacts) -> str:
    items = "".join(f"<item jid='{c}' subscription='both' name='{c.split('@')[0]}'><group>Colleagues</group></item>"
                    for c in contacts)
    return f"<iq type='result' id='{iq_id}' to='{jid}'><query xmlns='jabber:iq:roster' ver='{len(contacts)}'>{items}</query></iq>"


# ----------------------------------------------------------------------------------------------
# AMQP 0-9-1
# ----------------------------------------------------------------------------------------------

AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
AMQP_HEARTBEAT = b"\x08\x00\x00\x00\x00\x00\x00\xce"


def _ss(s: str) -> bytes:
    b = s.encode()
    return bytes([len(b)]) + b


def _ls(b) -> bytes:
    b = b.encode() if isinstance(b, str) else b
    return struct.pack("!I", len(b)) + b


def amqp_table(d: dict) -> bytes:
    out = b""
    for k, v in d.items():
        out += _ss(k)
        if isinstance(v, bool):
            out += b"t" + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += b"I" + struct.pack("!i", v)
        elif isinstance(v, dict):
            out += b"F" + amqp_table(v)
        else:
            out += b"S" + _ls(str(v))
    return struct.pack("!I", len(out)) + out


def amqp_frame(ftype: int, channel: int, payload: bytes) -> bytes:
    return struct.pack("!BHI", ftype, channel, len(payload)) + payload + b"\xce"


def amqp_method(channel: int, cls: int, mth: int, args: bytes = b"") -> bytes:
    return amqp_frame(1, channel, struct.pack("!HH", cls, mth) + args)


def amqp_start(server_props: dict) -> bytes:
    return amqp_method(0, 10, 10, b"\x00\x09" + amqp_table(server_props) + _ls("AMQPLAIN PLAIN") + _ls("en_US"))


def amqp_start_ok(client_props: dict, user: str, password: str) -> bytes:
    return amqp_method(0, 10, 11, amqp_table(client_props) + _ss("PLAIN") + _ls(f"\x00{user}\x00{password}")
                       + _ss("en_US"))


def amqp_tune(channel_max=2047, frame_max=131072, heartbeat=60) -> bytes:
    return amqp_method(0, 10, 30, struct.pack("!HIH", channel_max, frame_max, heartbeat))


def amqp_tune_ok(channel_max=2047, frame_max=131072, heartbeat=60) -> bytes:
    return amqp_method(0, 10, 31, struct.pack("!HIH", channel_max, frame_max, heartbeat))


def amqp_open(vhost="/") -> bytes:
    return amqp_method(0, 10, 40, _ss(vhost) + _ss("") + b"\x00")


def amqp_open_ok() -> bytes:
    return amqp_method(0, 10, 41, _ss(""))


def amqp_close(code=200, text="Normal shutdown", cls=0, mth=0, channel=0) -> bytes:
    c = 10 if channel == 0 else 20
    m = 50 if channel == 0 else 40
    return amqp_method(channel, c, m, struct.pack("!H", code) + _ss(text) + struct.pack("!HH", cls, mth))


def amqp_close_ok(channel=0) -> bytes:
    return amqp_method(channel, 10 if channel == 0 else 20, 51 if channel == 0 else 41)


def amqp_channel_open(ch=1) -> bytes:
    return amqp_method(ch, 20, 10, _ss(""))


def amqp_channel_open_ok(ch=1) -> bytes:
    return amqp_method(ch, 20, 11, _ls(b""))


def amqp_queue_declare(ch, queue, durable=False, exclusive=False, auto_delete=False, args=None) -> bytes:
    bits = (0x02 if durable else 0) | (0x04 if exclusive else 0) | (0x08 if auto_delete else 0)
    return amqp_method(ch, 50, 10, b"\x00\x00" + _ss(queue) + bytes([bits]) + amqp_table(args or {}))


def amqp_queue_declare_ok(ch, queue, msgs=0, consumers=0) -> bytes:
    return amqp_method(ch, 50, 11, _ss(queue) + struct.pack("!II", msgs, consumers))


def amqp_exchange_declare(ch, exchange, etype="topic", durable=True) -> bytes:
    return amqp_method(ch, 40, 10, b"\x00\x00" + _ss(exchange) + _ss(etype) + bytes([0x02 if durable else 0])
                       + amqp_table({}))


def amqp_exchange_declare_ok(ch) -> bytes:
    return amqp_method(ch, 40, 11)


def amqp_queue_bind(ch, queue, exchange, rkey) -> bytes:
    return amqp_method(ch, 50, 20, b"\x00\x00" + _ss(queue) + _ss(exchange) + _ss(rkey) + b"\x00" + amqp_table({}))


def amqp_queue_bind_ok(ch) -> bytes:
    return amqp_method(ch, 50, 21)


def amqp_basic_qos(ch, prefetch=10) -> bytes:
    return amqp_method(ch, 60, 10, struct.pack("!IH", 0, prefetch) + b"\x00")


def amqp_basic_qos_ok(ch) -> bytes:
    return amqp_method(ch, 60, 11)


def amqp_basic_consume(ch, queue, tag, no_ack=False) -> bytes:
    return amqp_method(ch, 60, 20, b"\x00\x00" + _ss(queue) + _ss(tag) + bytes([0x02 if no_ack else 0])
                       + amqp_table({}))


def amqp_basic_consume_ok(ch, tag) -> bytes:
    return amqp_method(ch, 60, 21, _ss(tag))


def _content(ch, body: bytes, content_type="application/json", delivery_mode=2, headers=None,
             correlation_id=None, reply_to=None, app_id=None) -> bytes:
    flags = 0
    plist = b""
    if content_type:
        flags |= 1 << 15
        plist += _ss(content_type)
    if headers is not None:
        flags |= 1 << 13
        plist += amqp_table(headers)
    if delivery_mode:
        flags |= 1 << 12
        plist += bytes([delivery_mode])
    if correlation_id:
        flags |= 1 << 10
        plist += _ss(correlation_id)
    if reply_to:
        flags |= 1 << 9
        plist += _ss(reply_to)
    if app_id:
        flags |= 1 << 3
        plist += _ss(app_id)
    hdr = amqp_frame(2, ch, struct.pack("!HHQH", 60, 0, len(body), flags) + plist)
    return hdr + amqp_frame(3, ch, body)


def amqp_basic_publish(ch, exchange, rkey, body: bytes, **props) -> bytes:
    return amqp_method(ch, 60, 40, b"\x00\x00" + _ss(exchange) + _ss(rkey) + b"\x00") + _content(ch, body, **props)


def amqp_basic_deliver(ch, tag, dtag, exchange, rkey, body: bytes, **props) -> bytes:
    return (amqp_method(ch, 60, 60, _ss(tag) + struct.pack("!Q", dtag) + b"\x00" + _ss(exchange) + _ss(rkey))
            + _content(ch, body, **props))


def amqp_basic_ack(ch, dtag) -> bytes:
    return amqp_method(ch, 60, 80, struct.pack("!Q", dtag) + b"\x00")


def amqp_basic_get(ch, queue, no_ack=True) -> bytes:
    return amqp_method(ch, 60, 70, b"\x00\x00" + _ss(queue) + bytes([1 if no_ack else 0]))


def amqp_basic_get_empty(ch) -> bytes:
    return amqp_method(ch, 60, 72, _ss(""))


def amqp_basic_get_ok(ch, dtag, exchange, rkey, body: bytes, remaining=0, **props) -> bytes:
    return (amqp_method(ch, 60, 71, struct.pack("!Q", dtag) + b"\x00" + _ss(exchange) + _ss(rkey)
                        + struct.pack("!I", remaining)) + _content(ch, body, **props))


def rabbitmq_server_props(version="3.12.13", otp="26.2.2", cluster="rabbit@mq01") -> dict:
    return {
        "capabilities": {"publisher_confirms": True, "exchange_exchange_bindings": True,
                         "basic.nack": True, "consumer_cancel_notify": True,
                         "connection.blocked": True, "consumer_priorities": True,
                         "authentication_failure_close": True, "per_consumer_qos": True,
                         "direct_reply_to": True},
        "cluster_name": cluster,
        "copyright": "Copyright (c) 2007-2024 Broadcom Inc and/or its subsidiaries",
        "information": "Licensed under the MPL 2.0. Website: https://rabbitmq.com",
        "platform": f"Erlang/OTP {otp}",
        "product": "RabbitMQ",
        "version": version,
    }


CLIENT_CAPS = {"authentication_failure_close": True, "basic.nack": True, "connection.blocked": True,
               "consumer_cancel_notify": True, "publisher_confirms": True}


def amqp_client_props(kind: str, connection_name: str | None = None) -> dict:
    if kind == "pika":
        d = {"product": "Pika Python Client Library", "platform": "Python 3.11.7",
             "capabilities": CLIENT_CAPS, "information": "See http://pika.rtfd.org", "version": "1.3.2"}
    elif kind == "py-amqp":  # Celery / kombu
        d = {"product": "py-amqp", "product_version": "5.2.0", "capabilities": CLIENT_CAPS}
    elif kind == "java":
        d = {"product": "RabbitMQ", "version": "5.20.0", "platform": "Java",
             "copyright": "Copyright (c) 2007-2023 Broadcom Inc. and/or its subsidiaries.",
             "information": "Licensed under the MPL. See https://www.rabbitmq.com/", "capabilities": CLIENT_CAPS}
    elif kind == "dotnet":
        d = {"product": "RabbitMQ", "version": "6.8.1", "platform": ".NET",
             "copyright": "Copyright (c) 2007-2023 Broadcom Inc. and/or its subsidiaries.",
             "information": "Licensed under the MPL. See https://www.rabbitmq.com/", "capabilities": CLIENT_CAPS}
    else:  # amqplib (node)
        d = {"product": "amqplib", "version": "0.10.3", "platform": "Node.JS v20.11.1",
             "information": "https://amqp-node.github.io/amqplib/", "capabilities": CLIENT_CAPS}
    if connection_name:
        d["connection_name"] = connection_name
    return d


# ----------------------------------------------------------------------------------------------
# STOMP 1.2
# ----------------------------------------------------------------------------------------------


def stomp_frame(command: str, headers: list, body: bytes | str = b"") -> bytes:
    b = body.encode() if isinstance(body, str) else body
    h = "".join(f"{k}:{v}\n" for k, v in headers)
    if b:
        h += f"content-length:{len(b)}\n"
    return f"{command}\n{h}\n".encode() + b + b"\x00"


# ----------------------------------------------------------------------------------------------
# TLS
# ----------------------------------------------------------------------------------------------


def _u16(n):
    return struct.pack("!H", n)


def _u24(n):
    return struct.pack("!I", n)[1:]


def tls_record(ctype: int, body: bytes, ver: int = 0x0303) -> bytes:
    return struct.pack("!BHH", ctype, ver, len(body)) + body


def _hs(htype: int, body: bytes) -> bytes:
    return bytes([htype]) + _u24(len(body)) + body


def _ext(etype: int, data: bytes) -> bytes:
    return _u16(etype) + _u16(len(data)) + data


SIG_ALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


_CH_CACHE: dict = {}


def tls_client_hello(r, sni: str | None, alpn=None, tls13: bool = True, profile: str = "openssl") -> bytes:
    key = (sni, tuple(alpn) if alpn else None, tls13, profile)
    tpl = _CH_CACHE.get(key)
    if tpl is None:
        tpl = _CH_CACHE[key] = _client_hello_parts(sni, alpn, tls13, profile)
    suites_b, exts_static, with_sid = tpl
    exts = exts_static
    if tls13:
        exts += _ext(0x0033, _u16(36) + _u16(0x001d) + _u16(32) + rbytes(r, 32))
    sid = rbytes(r, 32) if with_sid else b""
    body = (b"\x03\x03" + rbytes(r, 32) + bytes([len(sid)]) + sid + suites_b + b"\x01\x00" + _u16(len(exts)) + exts)
    return tls_record(0x16, _hs(1, body), ver=0x0301)


def _client_hello_parts(sni, alpn, tls13, profile):
    suites = []
    if tls13:
        suites += [0x1302, 0x1303, 0x1301] if profile == "openssl" else [0x1301, 0x1302, 0x1303]
    suites += [0xc02c, 0xc030, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc024, 0xc028, 0xc023, 0xc027,
               0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff]
    if profile == "mbedtls":
        suites = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xc023, 0xc027, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff]
    exts = b""
    if sni:
        n = sni.encode()
        exts += _ext(0x0000, _u16(len(n) + 3) + b"\x00" + _u16(len(n)) + n)
    exts += _ext(0x000b, b"\x03\x00\x01\x02")
    groups = [0x001d, 0x0017, 0x001e, 0x0019, 0x0018]
    exts += _ext(0x000a, _u16(2 * len(groups)) + b"".join(_u16(g) for g in groups))
    exts += _ext(0x0023, b"")
    if alpn:
        lst = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
        exts += _ext(0x0010, _u16(len(lst)) + lst)
    exts += _ext(0x0016, b"") + _ext(0x0017, b"")
    exts += _ext(0x000d, _u16(2 * len(SIG_ALGS)) + b"".join(_u16(s) for s in SIG_ALGS))
    if tls13:
        exts += _ext(0x002b, b"\x04\x03\x04\x03\x03")
        exts += _ext(0x002d, b"\x01\x01")
    suites_b = _u16(2 * len(suites)) + b"".join(_u16(s) for s in suites)
    return suites_b, exts, (tls13 or profile != "mbedtls")


def tls_server_hello(r, tls13: bool, cipher: int, session_id: bytes = b"", alpn: str | None = None) -> bytes:
    if tls13:
        exts = _ext(0x002b, b"\x03\x04") + _ext(0x0033, _u16(0x001d) + _u16(32) + rbytes(r, 32))
    else:
        exts = _ext(0xff01, b"\x00") + _ext(0x000b, b"\x01\x00") + _ext(0x0017, b"")
        if alpn:
            exts += _ext(0x0010, _u16(len(alpn) + 1) + bytes([len(alpn)]) + alpn.encode())
    sid = session_id if tls13 else rbytes(r, 32)
    body = (b"\x03\x03" + rbytes(r, 32) + bytes([len(sid)]) + sid + _u16(cipher) + b"\x00"
            + _u16(len(exts)) + exts)
    return _hs(2, body)


def tls_certificate_msg(chain) -> bytes:
    certs = b"".join(_u24(len(c)) + c for c in chain)
    return _hs(11, _u24(len(certs)) + certs)


def tls_server_key_exchange(r) -> bytes:
    return _hs(12, b"\x03" + _u16(0x001d) + b"\x20" + rbytes(r, 32) + _u16(0x0804) + _u16(256) + rbytes(r, 256))


def tls_certificate_request() -> bytes:
    algs = b"".join(_u16(s) for s in SIG_ALGS)
    return _hs(13, b"\x02\x01\x40" + _u16(len(algs)) + algs + _u16(0))


TLS_SERVER_HELLO_DONE = _hs(14, b"")
TLS_CCS = tls_record(0x14, b"\x01")


def tls_client_key_exchange(r) -> bytes:
    return _hs(16, b"\x20" + rbytes(r, 32))


def tls_certificate_verify(r) -> bytes:
    return _hs(15, _u16(0x0804) + _u16(256) + rbytes(r, 256))


_RAND = random.Random(0x5EED).randbytes(1 << 20)


def opaque(r, n: int) -> bytes:
    """n random-looking bytes (a slice of a fixed random block; ciphertext stand-in)."""
    off = r.getrandbits(20)
    if off + n > len(_RAND):
        off = 0
        while n > len(_RAND):
            return (_RAND * (n // len(_RAND) + 1))[:n]
    return _RAND[off:off + n]


def tls_app_record(r, plaintext_len: int, tls13: bool) -> bytes:
    """An encrypted application-data record whose size matches AES-GCM over plaintext_len."""
    n = plaintext_len + (17 if tls13 else 24)
    return struct.pack("!BHH", 0x17, 0x0303, n) + opaque(r, n)


def tls_encrypted_handshake_record(r, n: int) -> bytes:
    return tls_record(0x16, opaque(r, n))


# ----------------------------------------------------------------------------------------------
# X.509 (DER)
# ----------------------------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 128:
        ln = bytes([n])
    else:
        nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(nb)]) + nb
    return bytes([tag]) + ln + content


def _oid(dotted: str) -> bytes:
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(enc))
    return _der(0x06, body)


def _int(b: bytes) -> bytes:
    if b[0] & 0x80:
        b = b"\x00" + b
    return _der(0x02, b)


def _seq(*items):
    return _der(0x30, b"".join(items))


def _name(cn: str, org: str | None, country: str | None) -> bytes:
    rdns = []
    if country:
        rdns.append(_der(0x31, _seq(_oid("2.5.4.6"), _der(0x13, country.encode()))))
    if org:
        rdns.append(_der(0x31, _seq(_oid("2.5.4.10"), _der(0x0C, org.encode()))))
    rdns.append(_der(0x31, _seq(_oid("2.5.4.3"), _der(0x0C, cn.encode()))))
    return _seq(*rdns)


def _utctime(ts: float) -> bytes:
    import datetime as dt
    return _der(0x17, dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%y%m%d%H%M%SZ").encode())


def x509_cert(r, subject_cn: str, issuer_cn: str, issuer_org: str | None, not_before: float,
              not_after: float, sans=(), is_ca: bool = False, subject_org: str | None = None) -> bytes:
    sha256rsa = _seq(_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    modulus = bytes([0xC0 | r.getrandbits(6)]) + rbytes(r, 255)
    spki = _seq(_seq(_oid("1.2.840.113549.1.1.1"), b"\x05\x00"),
                _der(0x03, b"\x00" + _seq(_int(modulus), _int(b"\x01\x00\x01"))))
    exts = []
    if sans:
        gn = b"".join(_der(0x82, s.encode()) for s in sans)
        exts.append(_seq(_oid("2.5.29.17"), _der(0x04, _seq(gn))))
    bc = _seq(b"\x01\x01\xff") if is_ca else _seq()
    exts.append(_seq(_oid("2.5.29.19"), b"\x01\x01\xff", _der(0x04, bc)))
    tbs = _seq(_der(0xA0, _int(b"\x02")), _int(bytes([0x01 | r.getrandbits(6)]) + rbytes(r, 15)), sha256rsa,
               _name(issuer_cn, issuer_org, "US" if issuer_org else None),
               _seq(_utctime(not_before), _utctime(not_after)),
               _name(subject_cn, subject_org, None), spki, _der(0xA3, _seq(*exts)))
    return _seq(tbs, sha256rsa, _der(0x03, b"\x00" + rbytes(r, 256)))


def sha256_hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# ----------------------------------------------------------------------------------------------
# DNS
# ----------------------------------------------------------------------------------------------


def _qname(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode()
        out += bytes([len(lb)]) + lb
    return out + b"\x00"


def dns_query(tid: int, name: str, qtype: int) -> bytes:
    return struct.pack("!HHHHHH", tid, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", qtype, 1)


def dns_response(tid: int, name: str, qtype: int, cnames, ips, ttls) -> bytes:
    """answers: optional CNAME chain then A records. ttls: one per answer record."""
    q = _qname(name) + struct.pack("!HH", qtype, 1)
    ans = b""
    owner = b"\xc0\x0c"
    k = 0
    for cn in cnames:
        rd = _qname(cn)
        ans += owner + struct.pack("!HHIH", 5, 1, int(ttls[k]), len(rd)) + rd
        owner = rd
        k += 1
    count = len(cnames)
    if qtype == 1:
        for ip in ips:
            ans += owner + struct.pack("!HHIH", 1, 1, int(ttls[k]), 4) + bytes(int(x) for x in ip.split("."))
            k += 1
            count += 1
    return struct.pack("!HHHHHH", tid, 0x8180, 1, count, 0, 0) + q + ans


def fake_token(r, n=40) -> str:
    return rhex(r, n)
