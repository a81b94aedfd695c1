"""Small helpers shared by the generator modules: seeded RNGs, time formatting, ids."""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import ipaddress
import random
import string

UTC = _dt.timezone.utc
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rng(*keys) -> random.Random:
    """A random.Random seeded from an arbitrary key path (deterministic, order-independent of
    other RNG consumers)."""
    h = hashlib.sha256("|".join(map(str, keys)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def rbytes(r: random.Random, n: int) -> bytes:
    return r.getrandbits(8 * n).to_bytes(n, "big") if n > 0 else b""


def rhex(r: random.Random, n: int) -> str:
    return "%0*x" % (n, r.getrandbits(4 * n))


def ralnum(r: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(r.choices(alphabet, k=n))


_UID_TABLE = bytes(B62[i % 62].encode()[0] for i in range(256))


def zeek_uid(r: random.Random) -> str:
    return "C" + r.getrandbits(136).to_bytes(17, "big").translate(_UID_TABLE).decode()


def iso_ms(ts: float) -> str:
    d = _dt.datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def iso_s(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sysmon_time(ts: float) -> str:
    d = _dt.datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + f"{d.microsecond // 1000:03d}"


def zeek_open_time(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d-%H-%M-%S")


def ip2b(ip: str) -> bytes:
    return ipaddress.IPv4Address(ip).packed


@functools.lru_cache(maxsize=None)
def is_private(ip: str) -> bool:
    return ipaddress.IPv4Address(ip).is_private


def jitter(r: random.Random, period: float, frac: float) -> float:
    """Symmetric multiplicative jitter: period * (1 +/- frac)."""
    return period * (1.0 + r.uniform(-frac, frac))


def poisson_times(r: random.Random, t0: float, t1: float, rate_per_s: float):
    """Event times of a homogeneous Poisson process on [t0, t1)."""
    out = []
    if rate_per_s <= 0:
        return out
    t = t0 + r.expovariate(rate_per_s)
    while t < t1:
        out.append(t)
        t += r.expovariate(rate_per_s)
    return out
