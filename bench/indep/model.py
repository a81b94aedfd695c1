"""Data classes shared by the world builder and the writers."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Host:
    name: str
    ip: str
    mac: bytes
    os: str  # windows | macos | ios | linux | rtos
    role: str  # workstation | laptop | mac | phone | iot | server
    fqdn: str
    user: str | None = None
    dept: str | None = None
    sysmon: bool = False
    presence: str = "always"
    online: list = field(default_factory=list)  # [(a, b, end_kind)] machine up / on the network
    present: list = field(default_factory=list)  # [(a, b)] user at the keyboard
    ttl: int = 64
    eph: tuple = (49152, 65535)
    is_dev: bool = False
    tags: set = field(default_factory=set)


@dataclass
class Endpoint:
    """A server as the clients see it: DNS name (or None), addresses, certificate chain."""
    key: str
    name: str | None
    ips: list
    internal: bool
    rtt: float
    ttl_seen: int = 52
    dns_ttl: int = 300
    cname: str | None = None  # a CNAME the resolver returns before the A records
    answer_n: int = 1  # how many A records one answer carries
    rdns: str | None = None
    chain: list | None = None  # DER certificates (leaf first)
    self_signed: bool = False
    no_dns: bool = False  # clients connect by address (no lookup in dns.log)
    sni_mode: str = "name"


@dataclass
class Session:
    start: float
    t_stop: float  # the dialogue ends here (client's last application activity)
    t_close: float  # FIN / RST time; for close == "open" the end of the data
    close: str  # fin_o | fin_r | rst_o | rst_r | open | s0 | rej
    ep: Endpoint | None = None
    port: int = 0
    extra: dict = field(default_factory=dict)
    idx: int = 0
    dst_ip: str = ""
    src_port: int = 0
    uid: str = ""
    dns_name: str | None = None
    proc_key: int = 0


@dataclass
class Actor:
    """One client program on one host talking to one server port (a channel, unless background)."""
    id: str
    label: str  # benign | c2
    category: str
    description: str
    host: Host
    ep: Endpoint | None
    port: int
    protocol: str  # mqtt | xmpp | amqp | stomp | tls
    service: str  # what Zeek puts in conn.log `service` for an established session
    image: str | None = None
    user: str | None = None
    runner: object = None  # callable(world, actor, session, conv) -> (events, ssl_info)
    sessions: list = field(default_factory=list)
    background: bool = False
    template: str | None = None  # C2 template name
    meta: dict = field(default_factory=dict)
    sysmon_logged: bool = True  # Sysmon configuration excludes some images (browsers)
