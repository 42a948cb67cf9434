"""A link emulator for call tests and benchmarks: real packets between two network namespaces,
forwarded by a userspace relay that imposes a rate cap, delay, jitter, loss and outages,
scripted over time and per direction (this kernel has no ``tc netem``).

API. ``with EmulatedLink(folder, central_url=URL) as link:`` creates two network namespaces,
side ``"a"`` (address :attr:`EmulatedLink.addr_a`, 10.77.0.1) and side ``"b"`` (10.77.0.2), each
with one TUN device as its only interface besides loopback, and starts the relay process
(``python -m tests.support.link_emulator``, run as root) that holds both TUN devices: every IP
packet from a to b is direction ``"ab"``, b to a is ``"ba"``. ``link.prefix("a")`` is the argv
prefix that runs a command inside a side (``ip netns exec …``); ``link.server_url("a")`` is the
central platform as seen from inside that side (a TCP proxy on the side's own loopback, kept
outside the emulated path: signaling is not shaped, but :meth:`EmulatedLink.signaling` can cut
it). ``link.set(profile, direction="both")`` changes the path now; ``link.schedule(ab, ba)``
scripts it from now on as ``[(seconds, Profile), …]`` (``ba`` defaults to ``ab``). A
:class:`Profile` is one direction: ``rate_kbps`` (token bucket with ``bucket_bytes`` of burst,
then a FIFO queue of at most ``queue_bytes`` that tail-drops, so queueing delay builds up like a
real bottleneck), ``delay_ms`` one way + ``jitter_ms`` (no reordering unless ``reorder``),
``loss_pct`` random loss, ``bursts`` (:class:`GilbertElliott` burst loss), ``outage`` (drop
everything, including what is in flight). :func:`link` makes the usual one ("500 kbit/s, 300 ms
round trip, 3 % loss"). ``link.stats()`` returns per direction the packet/byte counters, drops
by cause and per-second bins (packets, bytes, drops, queueing delay p50/p95/max, on the wall
clock like the frame stamps). ``link.move_address("a")`` gives side a a new IP address (a
network change). ``link.socket("a", type)`` opens a socket inside a side, for tests of the
emulator itself. Peers of a call are started through the link by
:func:`tests.support.call_links.start_pair`.

Requires root and ``ip`` (iproute2, in the Makefile's ``sysdeps``); without them
:class:`LinkUnavailable` is raised (tests fail, they do not skip).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import heapq
import itertools
import json
import math
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
TUN_NAME = "emu0"
SUBNET = "10.77.0"
PROXY_PORT = 8765
NS_PREFIX = "lnk"
REPO = Path(__file__).resolve().parents[2]


class LinkUnavailable(RuntimeError):
    """The machine cannot run the emulator (not root, no ``ip``, no /dev/net/tun)."""


# -- the model of one direction --------------------------------------------------------------


@dataclass(frozen=True)
class GilbertElliott:
    """Burst loss: a two-state chain stepped per packet; ``p`` good->bad, ``r`` bad->good,
    a packet is lost with ``loss_bad`` in the bad state and ``loss_good`` in the good one."""

    p: float
    r: float
    loss_bad: float = 1.0
    loss_good: float = 0.0

    @classmethod
    def bursts(cls, loss_pct: float, mean_burst: float) -> GilbertElliott:
        """Mean loss ``loss_pct`` in bursts of ``mean_burst`` packets on average."""
        r = 1.0 / max(1.0, mean_burst)
        bad = loss_pct / 100.0
        return cls(p=r * bad / max(1e-9, 1.0 - bad), r=r)

    @property
    def mean_loss(self) -> float:
        bad = self.p / (self.p + self.r) if self.p + self.r > 0 else 0.0
        return bad * self.loss_bad + (1 - bad) * self.loss_good


@dataclass(frozen=True)
class Profile:
    """One direction of the path (see the module docstring). ``rate_kbps=None``: no cap."""

    rate_kbps: float | None = None
    delay_ms: float = 0.0  # one way
    jitter_ms: float = 0.0
    loss_pct: float = 0.0
    bursts: GilbertElliott | None = None
    queue_bytes: int = 64_000
    bucket_bytes: int = 3_000
    outage: bool = False
    reorder: bool = False

    @classmethod
    def down(cls) -> Profile:
        return cls(outage=True)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        data = dict(data)
        if data.get("bursts") is not None:
            data["bursts"] = GilbertElliott(**data["bursts"])
        return cls(**data)


def link(rate_kbps: float | None, rtt_ms: float = 0.0, loss_pct: float = 0.0, **kw: Any) -> Profile:
    """One direction of a link with round trip ``rtt_ms`` (half of it each way)."""
    return Profile(rate_kbps=rate_kbps, delay_ms=rtt_ms / 2, loss_pct=loss_pct, **kw)


Schedule = Sequence[tuple[float, Profile]]


@dataclass
class _Bin:
    pkts_in: int = 0
    bytes_in: int = 0
    pkts_out: int = 0
    bytes_out: int = 0
    loss: int = 0
    queue: int = 0
    outage: int = 0
    qdelays: list[float] = field(default_factory=list)


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


class Shaper:
    """One direction's model, independent of sockets (unit-tested on its own): :meth:`admit`
    a packet of ``size`` bytes at time ``now`` (seconds, monotonic) -> its delivery time, or
    None when dropped; :meth:`deliverable` says whether a packet due now may still go (not
    during an outage)."""

    def __init__(self, schedule: Schedule, *, seed: int | None = None, t0: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.set_schedule(schedule, t0)
        self.free_at = -math.inf  # when the bottleneck finishes the last admitted packet
        self.tokens = 0.0
        self.tok_t = -math.inf
        self.backlog: deque[tuple[float, int]] = deque()  # (departure, size) still queued
        self.backlog_bytes = 0
        self.last_delivery = -math.inf
        self.bad = False  # Gilbert-Elliott state
        self.bins: dict[int, _Bin] = {}
        self.wall0 = time.time()
        self.mono0 = t0

    def set_schedule(self, schedule: Schedule, t0: float) -> None:
        items = sorted(schedule, key=lambda x: x[0])
        if not items or items[0][0] > 0:
            items = [(0.0, items[0][1] if items else Profile()), *items]
        self.schedule = [(t0 + at, p) for at, p in items]

    def profile_at(self, now: float) -> Profile:
        current = self.schedule[0][1]
        for at, p in self.schedule:
            if at <= now:
                current = p
            else:
                break
        return current

    def _bin(self, now: float) -> _Bin:
        key = int(now - self.mono0) if now >= self.mono0 else -1
        b = self.bins.get(key)
        if b is None:
            b = self.bins[key] = _Bin()
        return b

    def _lost(self, p: Profile) -> bool:
        if p.bursts is not None:
            ge = p.bursts
            self.bad = (self.rng.random() >= ge.r) if self.bad else (self.rng.random() < ge.p)
            if self.rng.random() < (ge.loss_bad if self.bad else ge.loss_good):
                return True
        return p.loss_pct > 0 and self.rng.random() * 100 < p.loss_pct

    def admit(self, now: float, size: int) -> float | None:
        p = self.profile_at(now)
        b = self._bin(now)
        b.pkts_in += 1
        b.bytes_in += size
        if p.outage:
            b.outage += 1
            return None
        while self.backlog and self.backlog[0][0] <= now:
            self.backlog_bytes -= self.backlog.popleft()[1]
        if p.rate_kbps is None:
            depart = now
        else:
            if self.backlog_bytes + size > p.queue_bytes:
                b.queue += 1
                return None
            rate = p.rate_kbps * 1000 / 8  # bytes per second
            start = max(now, self.free_at)
            tokens = min(float(p.bucket_bytes), self.tokens + max(0.0, start - self.tok_t) * rate)
            if tokens >= size:
                depart, self.tokens = start, tokens - size
            else:
                depart, self.tokens = start + (size - tokens) / rate, 0.0
            self.tok_t = self.free_at = depart
            if depart > now:
                self.backlog.append((depart, size))
                self.backlog_bytes += size
        b.qdelays.append((depart - now) * 1000)
        if self._lost(p):
            b.loss += 1
            return None
        delay = p.delay_ms
        if p.jitter_ms:
            delay += self.rng.uniform(-p.jitter_ms, p.jitter_ms)
        deliver = depart + max(0.0, delay) / 1000
        if not p.reorder:
            deliver = max(deliver, self.last_delivery)
            self.last_delivery = deliver
        return deliver

    def deliverable(self, now: float, size: int) -> bool:
        b = self._bin(now)
        if self.profile_at(now).outage:
            b.outage += 1
            return False
        b.pkts_out += 1
        b.bytes_out += size
        return True

    def stats(self) -> dict[str, Any]:
        totals = _Bin()
        bins = []
        for key in sorted(self.bins):
            b = self.bins[key]
            for name in ("pkts_in", "bytes_in", "pkts_out", "bytes_out", "loss", "queue", "outage"):
                setattr(totals, name, getattr(totals, name) + getattr(b, name))
            bins.append({
                "t": self.wall0 + key, "pkts_in": b.pkts_in, "pkts_out": b.pkts_out,
                "bytes_in": b.bytes_in, "bytes_out": b.bytes_out, "loss": b.loss,
                "queue": b.queue, "outage": b.outage,
                "qdelay_p50": _pct(b.qdelays, 0.5), "qdelay_p95": _pct(b.qdelays, 0.95),
                "qdelay_max": max(b.qdelays, default=0.0),
            })  # fmt: skip
        out = asdict(totals)
        out.pop("qdelays")
        return {"totals": out, "bins": bins, "wall0": self.wall0}


# -- network namespaces ----------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Run the body's socket/device creation in namespace ``name`` (this thread only)."""
    with open("/proc/thread-self/ns/net") as home, open(f"/run/netns/{name}") as target:
        if _libc.setns(target.fileno(), CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
        try:
            yield
        finally:
            if _libc.setns(home.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the home namespace failed")


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise LinkUnavailable(f"ip {' '.join(args)}: {proc.stderr.strip()}")


def open_tun(namespace: str, name: str = TUN_NAME) -> int:
    """A TUN device ``name`` created inside ``namespace``; returns its non-blocking fd."""
    with in_netns(namespace):
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        except OSError:
            os.close(fd)
            raise
    return fd


def _cleanup_stale() -> None:
    """Namespaces left by emulators whose harness process is gone (killed tests)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name.split("-")
        stale = len(parts) == 4 and parts[0] == NS_PREFIX and parts[1].isdigit()
        if stale and not Path(f"/proc/{parts[1]}").exists():
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


# -- the relay process -----------------------------------------------------------------------


class Relay:
    """Forwards IP packets between the two sides' TUN devices through a :class:`Shaper` per
    direction, and proxies each side's loopback port :data:`PROXY_PORT` to the central platform.
    Commands arrive as JSON lines on stdin; answers go as JSON lines to stdout."""

    def __init__(self, ns_a: str, ns_b: str, central: tuple[str, int] | None, seed: int) -> None:
        self.ns = {"a": ns_a, "b": ns_b}
        self.central = central
        self.loop = asyncio.get_running_loop()
        now = self.loop.time()
        self.shapers = {
            "ab": Shaper([(0.0, Profile())], seed=seed, t0=now),
            "ba": Shaper([(0.0, Profile())], seed=seed + 1, t0=now),
        }
        self.fds: dict[str, int] = {}
        self.heap: list[tuple[float, int, str, bytes]] = []
        self.seq = itertools.count()
        self.timer: asyncio.TimerHandle | None = None
        self.signaling_up = {"a": True, "b": True}
        self.conns: dict[str, set[asyncio.StreamWriter]] = {"a": set(), "b": set()}
        self.servers: list[asyncio.Server] = []

    async def setup(self) -> None:
        for side, host in (("a", 1), ("b", 2)):
            self.fds[side] = open_tun(self.ns[side])
            _ip("-n", self.ns[side], "addr", "add", f"{SUBNET}.{host}/24", "dev", TUN_NAME)
            _ip("-n", self.ns[side], "link", "set", TUN_NAME, "up")
        self.loop.add_reader(self.fds["a"], self._readable, "a", "ab", "b")
        self.loop.add_reader(self.fds["b"], self._readable, "b", "ba", "a")
        if self.central is not None:
            for side in ("a", "b"):
                with in_netns(self.ns[side]):
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind(("127.0.0.1", PROXY_PORT))
                    sock.listen(64)
                    sock.setblocking(False)

                async def handle(
                    r: asyncio.StreamReader, w: asyncio.StreamWriter, side: str = side
                ) -> None:
                    await self._proxy(side, r, w)

                self.servers.append(await asyncio.start_server(handle, sock=sock))

    # packets

    def _readable(self, side: str, direction: str, out: str) -> None:
        fd = self.fds[side]
        shaper = self.shapers[direction]
        while True:
            try:
                pkt = os.read(fd, 65535)
            except BlockingIOError:
                break
            except OSError:
                return
            if not pkt or pkt[0] >> 4 != 4:
                continue  # IPv4 only (no IPv6 addresses are configured)
            now = self.loop.time()
            at = shaper.admit(now, len(pkt))
            if at is None:
                continue
            if at <= now:
                self._write(direction, out, pkt, now)
            else:
                heapq.heappush(self.heap, (at, next(self.seq), direction, pkt))
        self._arm()

    def _write(self, direction: str, out: str, pkt: bytes, now: float) -> None:
        if self.shapers[direction].deliverable(now, len(pkt)):
            with contextlib.suppress(OSError):
                os.write(self.fds[out], pkt)

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.heap:
            self.timer = self.loop.call_at(self.heap[0][0], self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.heap and self.heap[0][0] <= now + 0.0005:
            _at, _seq, direction, pkt = heapq.heappop(self.heap)
            self._write(direction, "b" if direction == "ab" else "a", pkt, now)
        self._arm()

    # signaling proxy

    async def _proxy(self, side: str, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        if not self.signaling_up[side] or self.central is None:
            w.close()
            return
        try:
            ur, uw = await asyncio.open_connection(*self.central)
        except OSError:
            w.close()
            return
        self.conns[side].update((w, uw))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(r, uw), pump(ur, w))
        self.conns[side].difference_update((w, uw))

    # control

    def command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        kind = cmd.get("cmd")
        now = self.loop.time()
        if kind == "schedule":
            for direction in ("ab", "ba"):
                items = [(float(t), Profile.from_json(p)) for t, p in cmd[direction]]
                self.shapers[direction].set_schedule(items, now)
            return {"ok": True}
        if kind == "stats":
            return {"ok": True, **{d: s.stats() for d, s in self.shapers.items()}}
        if kind == "signaling":
            side = str(cmd["side"])
            self.signaling_up[side] = bool(cmd["up"])
            if not cmd["up"]:
                for w in list(self.conns[side]):
                    w.close()
            return {"ok": True}
        return {"ok": False, "error": f"unknown command {kind!r}"}

    async def serve(self) -> None:
        reader = asyncio.StreamReader()
        await self.loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0)
        )
        print(json.dumps({"ready": True}), flush=True)
        while line := await reader.readline():
            try:
                answer = self.command(json.loads(line))
            except Exception as exc:  # a bad command must not kill the link
                answer = {"ok": False, "error": repr(exc)}
            print(json.dumps(answer), flush=True)
        for s in self.servers:
            s.close()
        for fd in self.fds.values():
            self.loop.remove_reader(fd)
            os.close(fd)


async def _relay_main(args: argparse.Namespace) -> None:
    central = None
    if args.central:
        host, _, port = args.central.rpartition(":")
        central = (host, int(port))
    relay = Relay(args.ns_a, args.ns_b, central, args.seed)
    await relay.setup()
    await relay.serve()


# -- the harness (test/benchmark process) ----------------------------------------------------


class EmulatedLink:
    """Two namespaces joined by the relay; see the module docstring."""

    _count = itertools.count()

    def __init__(self, folder: Path, *, central_url: str | None = None, seed: int = 1) -> None:
        self.folder = folder
        self.central_url = central_url
        self.seed = seed
        n = next(self._count)
        self.ns = {side: f"{NS_PREFIX}-{os.getpid()}-{n}-{side}" for side in ("a", "b")}
        self.host = {"a": 1, "b": 2}
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = folder / f"link-{n}.log"
        self._lock = threading.Lock()
        self._cur: dict[str, Profile] = {"ab": Profile(), "ba": Profile()}

    @property
    def addr_a(self) -> str:
        return f"{SUBNET}.{self.host['a']}"

    @property
    def addr_b(self) -> str:
        return f"{SUBNET}.{self.host['b']}"

    def addr(self, side: str) -> str:
        return f"{SUBNET}.{self.host[side]}"

    def start(self) -> EmulatedLink:
        if os.geteuid() != 0:
            raise LinkUnavailable("the link emulator needs root (network namespaces, TUN)")
        if shutil.which("ip") is None:
            raise LinkUnavailable("iproute2 is missing (make sysdeps installs it)")
        if not Path("/dev/net/tun").exists():
            raise LinkUnavailable("/dev/net/tun is missing")
        _cleanup_stale()
        for ns in self.ns.values():
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        argv = [sys.executable, "-m", "tests.support.link_emulator", "--ns-a", self.ns["a"],
                "--ns-b", self.ns["b"], "--seed", str(self.seed)]  # fmt: skip
        if self.central_url:
            argv += ["--central", self.central_url.split("://", 1)[-1].rstrip("/")]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                argv, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True, bufsize=1,
            )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            self.close()
            raise LinkUnavailable(f"the relay did not start: {self.log_path.read_text()[-2000:]}")
        return self

    def __enter__(self) -> EmulatedLink:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        for ns in self.ns.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def _command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self.proc is not None and self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"link emulator: {answer.get('error')}")
        return answer

    # shaping

    def schedule(self, ab: Schedule, ba: Schedule | None = None) -> None:
        """Script both directions from now: ``[(seconds_from_now, Profile), …]``."""
        ba = ab if ba is None else ba
        self._command({
            "cmd": "schedule",
            "ab": [(t, p.to_json()) for t, p in ab],
            "ba": [(t, p.to_json()) for t, p in ba],
        })  # fmt: skip
        self._cur = {"ab": max(ab, key=lambda x: x[0])[1], "ba": max(ba, key=lambda x: x[0])[1]}

    def set(self, profile: Profile, direction: str = "both") -> None:
        """Change the path now (``direction``: "ab", "ba" or "both"); replaces any script."""
        for d in ("ab", "ba"):
            if direction in ("both", d):
                self._cur[d] = profile
        self.schedule([(0.0, self._cur["ab"])], [(0.0, self._cur["ba"])])

    def stats(self) -> dict[str, Any]:
        """``{"ab": {...}, "ba": {...}}``: totals and per-second bins of each direction."""
        answer = self._command({"cmd": "stats"})
        return {"ab": answer["ab"], "ba": answer["ba"]}

    def signaling(self, side: str, up: bool) -> None:
        """Cut (close open connections, refuse new ones) or restore ``side``'s signaling."""
        self._command({"cmd": "signaling", "side": side, "up": up})

    # the sides

    def prefix(self, side: str) -> list[str]:
        """argv prefix running a command inside ``side``'s namespace."""
        return ["ip", "netns", "exec", self.ns[side]]

    def server_url(self, side: str) -> str:
        del side  # the same port on each side's own loopback
        return f"http://127.0.0.1:{PROXY_PORT}"

    def move_address(self, side: str, host: int | None = None) -> str:
        """A network change: ``side`` gets a new address (old one removed); returns it."""
        old = self.addr(side)
        self.host[side] = host if host is not None else self.host[side] + 10
        new = self.addr(side)
        _ip("-n", self.ns[side], "addr", "del", f"{old}/24", "dev", TUN_NAME)
        _ip("-n", self.ns[side], "addr", "add", f"{new}/24", "dev", TUN_NAME)
        return new

    def socket(self, side: str, kind: int = socket.SOCK_DGRAM) -> socket.socket:
        """A socket inside ``side`` (bind it to ``addr(side)``)."""
        with in_netns(self.ns[side]):
            return socket.socket(socket.AF_INET, kind)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tests.support.link_emulator")
    p.add_argument("--ns-a", required=True)
    p.add_argument("--ns-b", required=True)
    p.add_argument("--central", help="host:port of the central platform (signaling proxy)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(-10)
    asyncio.run(_relay_main(args))


if __name__ == "__main__":
    main()
