"""The in-call data channel: chat, live vitals and file/image sharing on one ordered channel.

Wire format (one SCTP data channel, ordered and reliable, label ``call``):

* text messages are JSON objects with a ``t`` field:
  ``chat`` {id, text, at}; ``vitals`` {id, code (LOINC), value, unit (UCUM), display?, at};
  ``file`` {id, name, mime, size, sha256} (an offer, sent again after every reconnect);
  ``ack`` {id, offset} (receiver -> sender: bytes held, contiguous from 0);
  ``done`` {id, ok} (receiver -> sender, after checking the SHA-256); ``ctl`` {...} (call
  controls such as "audio only", see :mod:`media.session`); ``hb`` {} (heartbeat, every
  500 ms each way while the call is up: the session's dead-path detector counts it as life).
* binary messages are file chunks: 16 bytes transfer id (UUID) + 8 bytes offset (big endian)
  + up to :data:`CHUNK` bytes.

Files are sent in chunks of 16 KiB with at most :data:`WINDOW` chunks unacknowledged. A channel
can be replaced mid-transfer (the call reconnected: :meth:`CallChannel.attach` with the new
one): the sender offers the file again, the receiver answers with the offset it holds, and the
transfer continues from there — never from zero. The receiver keeps the bytes in memory (never
in clear on disk) and hands the file over only when its SHA-256 matches the offer.

Messages sent while no channel is open wait and go when one opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import struct
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from media.errors import TransferFailed

log = logging.getLogger(__name__)

CHUNK = 16 * 1024
WINDOW = 32  # chunks in flight (512 KiB), at most
PACE_BURST = 0.02  # s of the paced rate per chunk sent at once
PACE_MIN_CHUNK = 1024  # bytes
MAX_FILE = 64 * 1024 * 1024
MAX_TEXT = 4000
_HEAD = struct.Struct(">16sQ")


class Channel(Protocol):
    """What is used of aiortc's RTCDataChannel (a fake one in unit tests)."""

    @property
    def readyState(self) -> str: ...

    def send(self, data: bytes | str) -> None: ...

    def on(self, event: str, f: Callable[..., Any]) -> Any: ...

    def remove_listener(self, event: str, f: Callable[..., Any]) -> None: ...


@dataclass(frozen=True)
class ChatMessage:
    id: str
    text: str
    at: float  # Unix time on the sender's clock
    mine: bool


@dataclass(frozen=True)
class VitalReading:
    """A live reading: LOINC ``code`` (e.g. 8480-6 systolic BP), ``value``, UCUM ``unit``."""

    id: str
    code: str
    value: float
    unit: str
    display: str | None
    at: float
    mine: bool


@dataclass(frozen=True)
class FileProgress:
    transfer_id: str
    name: str
    done: int
    total: int
    direction: Literal["send", "receive"]


@dataclass(frozen=True)
class ReceivedFile:
    transfer_id: str
    name: str
    mime: str
    data: bytes
    sha256: str


@dataclass
class OutgoingFile:
    """A file being sent; ``result`` resolves when the receiver confirms the SHA-256."""

    id: str
    name: str
    mime: str
    data: bytes
    sha256: str
    result: asyncio.Future[None]
    acked: int = 0
    next: int = 0
    offered: bool = False  # offered on the current channel
    resumed_from: list[int] = field(default_factory=list)  # acked offsets at each (re)offer
    bytes_sent: int = 0  # including bytes sent twice after a reconnect

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class _Incoming:
    id: str
    name: str
    mime: str
    size: int
    sha256: str
    buf: bytearray = field(default_factory=bytearray)


def _noop(*_args: Any) -> None:
    return None


class CallChannel:
    """One call's chat, vitals and file sharing, surviving channel replacements.

    Callbacks run on the event loop: ``on_chat(ChatMessage)``, ``on_vitals(VitalReading)``,
    ``on_progress(FileProgress)``, ``on_file(ReceivedFile)``, ``on_control(dict)``.
    """

    def __init__(
        self,
        *,
        on_chat: Callable[[ChatMessage], None] = _noop,
        on_vitals: Callable[[VitalReading], None] = _noop,
        on_progress: Callable[[FileProgress], None] = _noop,
        on_file: Callable[[ReceivedFile], None] = _noop,
        on_control: Callable[[dict[str, Any]], None] = _noop,
        on_activity: Callable[[], None] = _noop,
        chunk_size: int = CHUNK,
        window: int = WINDOW,
    ) -> None:
        self.on_chat, self.on_vitals = on_chat, on_vitals
        self.on_progress, self.on_file, self.on_control = on_progress, on_file, on_control
        self.on_activity = on_activity
        self.chunk_size, self.window = chunk_size, window
        self._channel: Channel | None = None
        self._pending: list[str] = []
        self._outgoing: dict[str, OutgoingFile] = {}
        self._incoming: dict[str, _Incoming] = {}
        self._completed: set[str] = set()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # files' share of the link: () -> (bit/s, round trip s); None sends unpaced (WINDOW)
        self.pace: Callable[[], tuple[float, float]] | None = None
        self._pace_at = 0.0  # monotonic: the next chunk may leave then
        self.on_acked: Callable[[int], None] | None = None  # file bytes the far side confirmed
        self._pace_rate = 1.0  # bytes/s of the last allowance

    # -- channel ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._channel is not None and self._channel.readyState == "open"

    def attach(self, channel: Channel) -> None:
        """Use ``channel`` from now on (a new peer connection's); unsent work resumes on it."""
        self.detach()
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("open", self._on_open)
        channel.on("close", self._on_close)
        if channel.readyState == "open":
            self._on_open()

    def detach(self) -> None:
        old, self._channel = self._channel, None
        if old is not None:
            for event, f in (
                ("message", self._on_message),
                ("open", self._on_open),
                ("close", self._on_close),
            ):
                with contextlib.suppress(KeyError, ValueError):
                    old.remove_listener(event, f)
        for tr in self._outgoing.values():
            tr.offered = False
        self._wake.set()

    def _on_open(self) -> None:
        pending, self._pending = self._pending, []
        for text in pending:
            self._send_text(text)
        for tr in self._outgoing.values():
            tr.offered = False
        self._wake.set()

    def _on_close(self) -> None:
        for tr in self._outgoing.values():
            tr.offered = False
        self._wake.set()

    def _send_text(self, text: str) -> None:
        if self.is_open:
            assert self._channel is not None
            try:
                self._channel.send(text)
                return
            except Exception:  # the transport went away between the check and the send
                log.debug("data channel send failed; queued")
        self._pending.append(text)

    def _send_json(self, data: dict[str, Any], queue: bool = True) -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if queue:
            self._send_text(text)
        elif self.is_open:
            assert self._channel is not None
            self._channel.send(text)

    # -- sending ---------------------------------------------------------------------------

    def send_chat(self, text: str) -> ChatMessage:
        text = text.strip()
        if not text:
            raise ValueError("empty chat message")
        msg = ChatMessage(str(uuid.uuid4()), text[:MAX_TEXT], time.time(), mine=True)
        self._send_json({"t": "chat", "id": msg.id, "text": msg.text, "at": msg.at})
        return msg

    def send_vitals(
        self, code: str, value: float, unit: str, display: str | None = None
    ) -> VitalReading:
        reading = VitalReading(
            str(uuid.uuid4()), code, float(value), unit, display, time.time(), mine=True
        )
        body: dict[str, Any] = {"t": "vitals", "id": reading.id, "code": code,
                                "value": reading.value, "unit": unit, "at": reading.at}  # fmt: skip
        if display:
            body["display"] = display
        self._send_json(body)
        return reading

    def send_control(self, **values: Any) -> None:
        self._send_json({"t": "ctl", **values})

    def send_heartbeat(self) -> None:
        """A heartbeat if the channel is open (never queued: a stale one means nothing)."""
        if self.is_open:
            with contextlib.suppress(Exception):
                self._send_json({"t": "hb"}, queue=False)

    def send_file(
        self, name: str, data: bytes, mime: str = "application/octet-stream"
    ) -> OutgoingFile:
        """Start sending a file; ``await transfer.result`` for the receiver's confirmation."""
        if len(data) > MAX_FILE:
            raise TransferFailed(
                f"Files shared during a call are at most {MAX_FILE // (1024 * 1024)} MB; "
                "send larger ones with the consult instead."
            )
        tr = OutgoingFile(
            id=str(uuid.uuid4()),
            name=name,
            mime=mime,
            data=bytes(data),
            sha256=hashlib.sha256(data).hexdigest(),
            result=asyncio.get_running_loop().create_future(),
        )
        self._outgoing[tr.id] = tr
        task = asyncio.create_task(self._run_send(tr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return tr

    async def _run_send(self, tr: OutgoingFile) -> None:
        head = uuid.UUID(tr.id).bytes
        try:
            while not tr.result.done():
                if not self.is_open:
                    await self._sleep()
                    continue
                if not tr.offered:
                    tr.offered = True
                    tr.next = -1  # wait for the receiver's offset
                    self._send_json({"t": "file", "id": tr.id, "name": tr.name,
                                     "mime": tr.mime, "size": tr.size,
                                     "sha256": tr.sha256}, queue=False)  # fmt: skip
                    continue
                if tr.next < 0 or tr.next >= tr.size:
                    await self._sleep()
                    continue
                wait = 1.0  # until an ack (or a change) wakes this task
                while self.is_open and tr.offered and tr.next < tr.size:
                    chunk, window, due = self._allowance()
                    if tr.next - tr.acked >= window:
                        break
                    if due > 0.0:  # paced: the next chunk leaves then
                        wait = min(wait, max(due, 0.002))
                        break
                    part = tr.data[tr.next : tr.next + chunk]
                    assert self._channel is not None
                    self._channel.send(_HEAD.pack(head, tr.next) + part)
                    tr.next += len(part)
                    tr.bytes_sent += len(part)
                    self._paced(len(part) + _HEAD.size)
                await self._sleep(wait)
        except asyncio.CancelledError:
            if not tr.result.done():
                tr.result.cancel()
            raise
        finally:
            self._outgoing.pop(tr.id, None)

    async def _sleep(self, timeout: float = 1.0) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _allowance(self) -> tuple[int, int, float]:
        """(chunk size, bytes in flight allowed, seconds to wait before the next chunk).

        Unpaced (no ``pace``): full chunks, :data:`WINDOW` of them, no wait. Paced: the rate
        ``pace()`` gives (what audio and video leave of the send-side estimate) spaced over
        time, chunks of at most :data:`PACE_BURST` s of that rate (a 16 KiB chunk is one burst
        of SCTP packets into the bottleneck), and at most the rate x (2 RTT + 0.2 s) in
        flight (unacknowledged by the receiver): nothing piles up in the link's queue ahead of
        the audio; SCTP's own send buffer is counted as in flight too."""
        if self.pace is None:
            return self.chunk_size, self.window * self.chunk_size, 0.0
        bps, rtt = self.pace()
        rate = max(1.0, bps / 8.0)
        chunk = int(min(self.chunk_size, max(PACE_MIN_CHUNK, rate * PACE_BURST)))
        window = int(max(2 * chunk, min(self.window * self.chunk_size, rate * (2 * rtt + 0.2))))
        buffered = int(getattr(self._channel, "bufferedAmount", 0) or 0)
        if buffered >= chunk:
            return chunk, window, PACE_BURST
        now = time.monotonic()
        self._pace_rate = rate
        return chunk, window, self._pace_at - now

    def _paced(self, size: int) -> None:
        if self.pace is None:
            return
        now = time.monotonic()
        # an idle spell does not bank a burst: at most one burst's worth of credit
        start = max(self._pace_at, now - PACE_BURST)
        self._pace_at = start + size / self._pace_rate

    # -- receiving -------------------------------------------------------------------------

    def _on_message(self, message: bytes | str) -> None:
        self.on_activity()
        try:
            if isinstance(message, bytes):
                self._on_chunk(message)
            else:
                data = json.loads(message)
                if isinstance(data, dict):
                    self._on_json(data)
        except (ValueError, KeyError, TypeError, struct.error):
            log.warning("malformed data channel message dropped")

    def _on_json(self, d: dict[str, Any]) -> None:
        kind = d.get("t")
        if kind == "chat":
            self.on_chat(
                ChatMessage(str(d["id"]), str(d["text"])[:MAX_TEXT], float(d["at"]), False)
            )
        elif kind == "vitals":
            display = d.get("display")
            self.on_vitals(
                VitalReading(str(d["id"]), str(d["code"]), float(d["value"]), str(d["unit"]),
                             str(display) if display else None, float(d["at"]), False)
            )  # fmt: skip
        elif kind == "file":
            self._on_offer(d)
        elif kind == "ack":
            tr = self._outgoing.get(str(d["id"]))
            if tr is not None:
                offset = int(d["offset"])
                if tr.next < 0:  # the answer to an offer: resume from what the receiver holds
                    tr.resumed_from.append(offset)
                    tr.next = offset
                acked = max(tr.acked, min(offset, tr.size))
                if self.on_acked is not None and acked > tr.acked and tr.next >= 0:
                    self.on_acked(acked - tr.acked)
                tr.acked = acked
                self.on_progress(FileProgress(tr.id, tr.name, tr.acked, tr.size, "send"))
                self._wake.set()
        elif kind == "done":
            tr = self._outgoing.get(str(d["id"]))
            if tr is not None and not tr.result.done():
                if d.get("ok") is True:
                    tr.result.set_result(None)
                else:
                    tr.result.set_exception(
                        TransferFailed("The shared file arrived damaged; send it again.")
                    )
                self._wake.set()
        elif kind == "ctl":
            self.on_control({k: v for k, v in d.items() if k != "t"})

    def _on_offer(self, d: dict[str, Any]) -> None:
        tid, size = str(d["id"]), int(d["size"])
        uuid.UUID(tid)
        if tid in self._completed:
            self._send_json({"t": "ack", "id": tid, "offset": size})
            self._send_json({"t": "done", "id": tid, "ok": True})
            return
        if not 0 <= size <= MAX_FILE:
            self._send_json({"t": "done", "id": tid, "ok": False})
            return
        inc = self._incoming.get(tid)
        if inc is None or inc.size != size or inc.sha256 != str(d["sha256"]):
            inc = _Incoming(tid, str(d["name"])[:255], str(d["mime"])[:100], size, str(d["sha256"]))
            self._incoming[tid] = inc
        self._send_json({"t": "ack", "id": tid, "offset": len(inc.buf)})
        if size == 0:
            self._finish(inc)

    def _on_chunk(self, message: bytes) -> None:
        raw_id, offset = _HEAD.unpack_from(message)
        tid = str(uuid.UUID(bytes=raw_id))
        inc = self._incoming.get(tid)
        if inc is None or offset != len(inc.buf):
            return  # a duplicate from before a reconnect, or a chunk of a finished file
        inc.buf += message[_HEAD.size :][: inc.size - len(inc.buf)]
        self._send_json({"t": "ack", "id": tid, "offset": len(inc.buf)}, queue=False)
        self.on_progress(FileProgress(tid, inc.name, len(inc.buf), inc.size, "receive"))
        if len(inc.buf) >= inc.size:
            self._finish(inc)

    def _finish(self, inc: _Incoming) -> None:
        self._incoming.pop(inc.id, None)
        data = bytes(inc.buf)
        digest = hashlib.sha256(data).hexdigest()
        ok = digest == inc.sha256
        self._send_json({"t": "done", "id": inc.id, "ok": ok})
        if ok:
            self._completed.add(inc.id)
            self.on_file(ReceivedFile(inc.id, inc.name, inc.mime, data, digest))
        else:
            log.warning("shared file failed its SHA-256 check")

    def close(self) -> None:
        """Stop every transfer (their results are cancelled) and forget the channel."""
        for task in list(self._tasks):
            task.cancel()
        self.detach()
