"""The sync engine: pushes the outbox, pulls what others wrote, merges, and keeps running in
the background while the link comes and goes.

All store work runs on one worker thread (the single writer); the engine itself is asyncio
and never blocks the loop it runs on (the Qt loop through qasync, or a CLI loop).

Poison isolation. A change the server refuses for good is kept in error with the server's
code and reason (local_store.sync_ledger) and blocks only later versions of its own record.
A push the server *fails* on (5xx, or no answer in time) is split in halves, write by write
(records saved together stay together), until the write that makes it fail is alone: that
write is held back with an exponential back-off kept in the outbox across cycles, and every
other change goes in the same cycle. When the server fails on everything (more failures in a
row than the halving needs, or a lone failing write and a health check that fails too), it is
an outage, handled as before: the cycle ends offline and the engine backs off. A push refused
as a whole (400, 413, 422: too large, a value JSON cannot carry) is halved the same way, and a
write refused alone is in error like any refused change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from clinic_app.records.common import patient_of
from clinic_app.records.patient import search_terms
from clinic_app.sync import protocol as p
from clinic_app.sync.client import (
    AuthFailed,
    CentralClient,
    JsonText,
    Offline,
    Refused,
    ServerTrouble,
    SyncError,
    UpgradeRequired,
)
from clinic_app.sync.merge import three_way
from clinic_app.sync.pull_stream import decode_pull_texts
from local_store.store import Store
from local_store.sync_ledger import Incoming, Outgoing, Rejection, SyncLedger, stored_text

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTACHMENT_PREFIX = "attachment:sha256:"
LAST_SUCCESS_META = "sync_last_success"  # in the profile: every process shows the same time
COMPACT_EVERY = 3600.0  # seconds between outbox compactions (after successful cycles)
FIRST_PULL_PAGE = 500  # changes asked for in a pull's first page (the first records show soon)
MIN_PULL_PAGE = 100  # a page never shrinks below this on a slow link
PULL_PAGE_SECONDS = 2.0  # pages grow while one comes back in half this, shrink above it


@dataclass(frozen=True)
class SyncStatus:
    """What the UI shows: link state, queue, progress, last success and last error in words."""

    online: bool | None = None  # None: not tried yet
    syncing: bool = False
    pending: int = 0
    held: int = 0  # of ``pending``: held back after the server failed on them, retried later
    errors: int = 0
    conflicts: int = 0
    error_reasons: tuple[tuple[str, str, str], ...] = ()
    phase: str = ""  # "sending" or "receiving" while syncing; records_* count that phase
    records_done: int = 0
    records_total: int = 0
    rate: float = 0.0  # records per second in this phase
    eta_seconds: float | None = None  # time left in this phase, once the rate is known
    bytes_done: int = 0
    bytes_total: int = 0
    pushed: int = 0
    pulled: int = 0
    last_success: str | None = None
    last_error: str | None = None


def _later(a: str | None, b: str | None) -> str | None:
    """The later of two ISO timestamps (either may be missing)."""
    if a is None or b is None:
        return a or b
    return max(a, b)


# A push refused as a whole with one of these may be refused because of one record in it
# (too large, a value JSON cannot carry): halved like a failure, a write alone refused for good.
WHOLE_PUSH_REFUSALS = frozenset({400, 413, 422})


def _whole_push_refusal(exc: Exception) -> Rejection:
    """Why a push holding one write alone was refused as a whole (its words hold no values)."""
    if isinstance(exc, Refused):
        return Rejection(str(exc), exc.code, exc.status)
    return Rejection("The record holds text that cannot be sent (not valid Unicode).",
                     "unencodable_text")  # fmt: skip


def writes_of(changes: list[Outgoing]) -> list[list[Outgoing]]:
    """Changes grouped by the write that made them (in order): the unit a push is split by."""
    units: list[list[Outgoing]] = []
    for c in changes:
        if units and c.created_at and units[-1][-1].created_at == c.created_at:
            units[-1].append(c)
        else:
            units.append([c])
    return units


def attachments_of(resource: dict[str, Any] | None) -> list[str]:
    """SHA-256 digests of the attachments a record refers to."""
    if not resource or resource.get("resourceType") != "DocumentReference":
        return []
    out = []
    for content in resource.get("content", []):
        url = str((content.get("attachment") or {}).get("url", ""))
        if url.startswith(ATTACHMENT_PREFIX) and p.is_sha256(url[len(ATTACHMENT_PREFIX) :]):
            out.append(url[len(ATTACHMENT_PREFIX) :])
    return out


class _PhaseClock:
    """Rate and time left of one phase, from what it has done since it began."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def figures(self, done: int, total: int) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        if done <= 0 or elapsed < 0.5:
            return {"rate": 0.0, "eta_seconds": None}
        rate = done / elapsed
        return {"rate": rate, "eta_seconds": max(0.0, (total - done) / rate)}


@dataclass
class PullStats:
    """Where the time of the last pull went (seconds; the log and bench.sync show them).
    ``fetch_s`` is the time to the last byte of each answer (``server_s`` of it the central's
    own, from its Server-Timing); decoding and preparing run on a worker thread, storing on the
    store's while the next page is on its way, so the parts add up to more than ``seconds``."""

    seconds: float = 0.0
    pages: int = 0
    records: int = 0
    json_bytes: int = 0  # the answers' JSON (gzip on the wire)
    fetch_s: float = 0.0
    server_s: float = 0.0
    decode_s: float = 0.0  # JSON and the protocol's check
    prepare_s: float = 0.0  # search terms, stored texts
    store_s: float = 0.0  # the store's transactions (statements, commits)


@dataclass
class _Page:
    """A pull page decoded and ready for the store."""

    epoch: str
    head: int
    next: int
    more: bool
    remaining: int | None
    changes: list[Incoming]
    attachments: list[tuple[str, dict[str, Any]]]  # (SHA-256, the DocumentReference)
    decode_s: float = 0.0
    prepare_s: float = 0.0


@dataclass
class _Cycle:
    pushed: int = 0
    pulled: int = 0
    restarted: bool = False
    merged_records: set[str] = field(default_factory=set)


class SyncEngine:
    """Sync one unlocked store with the central platform."""

    def __init__(
        self,
        store: Store,
        client_factory: Callable[[], CentralClient],
        *,
        batch_size: int = 400,
        pull_page: int = p.MAX_PULL,
        executor: ThreadPoolExecutor | None = None,
        idle_interval: float = 30.0,
        max_backoff: float = 60.0,
        hold_base: float = 30.0,
        hold_cap: float = 3600.0,
        keep_done_days: int = 30,
    ) -> None:
        self.store = store
        self.ledger = SyncLedger(store)
        self._client_factory = client_factory
        self.batch_size = min(batch_size, p.MAX_BATCH)
        self.pull_page = pull_page
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._own_executor = executor is None
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        # A change the server fails on alone waits hold_base, 2x, 4x … up to hold_cap seconds.
        self.hold_base = hold_base
        self.hold_cap = hold_cap
        # Acknowledged changes older than this leave the outbox (the newest of each record
        # stays): SyncLedger.compact_done, at most every COMPACT_EVERY seconds.
        self.keep_done_days = keep_done_days
        self._compacted_at: float | None = None
        self.status = SyncStatus()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()
        self._reset_done = False
        self.pull_stats = PullStats()

    # ---------------------------------------------------------------------- plumbing --
    def subscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        self._listeners.append(listener)

    def _publish(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)
        for listener in list(self._listeners):
            try:
                listener(self.status)
            except Exception:  # a broken listener must not stop sync
                log.exception("sync status listener failed")

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def kick(self) -> None:
        """Something changed locally: try soon instead of waiting for the next round."""
        self._kick.set()

    def close(self) -> None:
        if self._own_executor:
            self._executor.shutdown(wait=True)

    async def refresh_counts(self) -> SyncStatus:
        counts = await self._io(self.ledger.counts)
        conflicts = len(await self._io(self.ledger.open_conflicts))
        last = await self._io(self.store.get_meta, LAST_SUCCESS_META)
        self._publish(
            pending=counts.pending + counts.uploading,
            held=counts.held,
            errors=counts.error,
            conflicts=conflicts,
            error_reasons=tuple(counts.errors),
            last_success=_later(self.status.last_success, last),
        )
        return self.status

    def _progress(self, clock: _PhaseClock, phase: str, done: int, total: int) -> None:
        total = max(total, done)
        self._publish(online=True, phase=phase, records_done=done, records_total=total,
                      **clock.figures(done, total))  # fmt: skip

    # ------------------------------------------------------------------------- a cycle --
    async def sync_once(self) -> SyncStatus:
        """Push everything waiting, then pull everything new. Failures end up in the status."""
        async with self._lock:
            if not self._reset_done:
                await self._io(self.ledger.reset_uploading)
                self._reset_done = True
            before = await self.refresh_counts()
            self._publish(syncing=True, phase="sending", records_done=0,
                          records_total=before.pending, rate=0.0, eta_seconds=None,
                          bytes_done=0, bytes_total=0)  # fmt: skip
            client = self._client_factory()
            cycle = _Cycle()
            try:
                for _ in range(3):  # a restored server restarts the cycle once or twice
                    cycle.restarted = False
                    await self._push_all(client, cycle)
                    if not cycle.restarted:
                        await self._pull_all(client, cycle)
                    if not cycle.restarted:
                        break
                done_at = datetime.now(UTC).isoformat(timespec="seconds")
                await self._io(self.store.set_meta, LAST_SUCCESS_META, done_at)
                await self._compact()
                self._publish(
                    online=True,
                    last_success=done_at,
                    last_error=None,
                    pushed=cycle.pushed,
                    pulled=cycle.pulled,
                )
            except Offline as exc:
                self._publish(online=False, last_error=str(exc))
            except SyncError as exc:
                self._publish(online=True, last_error=str(exc))
            finally:
                await client.close()
                self._publish(syncing=False, phase="", rate=0.0, eta_seconds=None)
                await self.refresh_counts()
            return self.status

    async def _compact(self) -> None:
        """After a successful cycle, at most every COMPACT_EVERY seconds: drop old acknowledged
        changes from the outbox. A failure is logged and never fails the cycle."""
        now = time.monotonic()
        if self._compacted_at is not None and now - self._compacted_at < COMPACT_EVERY:
            return
        self._compacted_at = now
        try:
            n = await self._io(self.ledger.compact_done, self.keep_done_days)
        except Exception as exc:  # a full disk, a locked store: next time
            log.warning("outbox compaction failed (%s)", type(exc).__name__)
            return
        if n:
            log.info("outbox compacted: %d acknowledged changes dropped", n)

    async def _check_epoch(self, epoch: str, head: int | None = None) -> bool:
        """True if the server was restored from an older backup (and we re-queued)."""
        known = await self._io(self.ledger.epoch)
        cursor = await self._io(self.ledger.cursor)
        restored = (known is not None and known != epoch) or (head is not None and head < cursor)
        if known is None:
            await self._io(self.ledger.set_epoch, epoch)
        if restored:
            n = await self._io(self.ledger.reset_for_restored_server, epoch)
            log.warning("central platform was restored from a backup; re-sending %d changes", n)
        return restored

    async def _push_all(self, client: CentralClient, cycle: _Cycle) -> None:
        clock = _PhaseClock()
        while True:
            room = p.MAX_BATCH - self.batch_size
            batch = await self._io(self.ledger.claim_batch, self.batch_size, room)
            if not batch:
                return
            try:
                ready = await self._upload_attachments(client, batch)
            except BaseException:
                await self._io(self.ledger.release, [c.change_id for c in batch])
                raise
            if ready:
                await self._push_isolating(client, cycle, ready, clock)
            if cycle.restarted:
                return

    async def _push_isolating(
        self, client: CentralClient, cycle: _Cycle, ready: list[Outgoing], clock: _PhaseClock
    ) -> None:
        """Push claimed changes; a part the server fails on is halved (write by write) until
        the failing write is alone, which is then held back; everything else goes. Whatever
        gets no answer is released (pending again)."""
        unsettled = {c.change_id: c for c in ready}
        writes = writes_of(ready)
        parts = [writes]  # a stack: the first half on top, so changes go in order
        suspects: list[Outgoing] = []
        blocked: set[str] = set()  # records whose earlier change was held or refused here
        in_row = 0
        limit = math.ceil(math.log2(len(writes))) + 2 if len(writes) > 1 else 1
        answered = False
        try:
            while parts:
                units = [
                    kept
                    for kept in ([c for c in u if c.record_id not in blocked] for u in parts.pop())
                    if kept
                ]
                changes = [c for u in units for c in u]
                if not changes:
                    continue
                try:
                    resp = await client.push_json(self._push_body(changes))
                except ServerTrouble:
                    in_row += 1
                    if in_row > limit:
                        raise  # failing on everything: an outage, not one bad record
                    if len(units) == 1:
                        suspects += units[0]
                        blocked |= {c.record_id for c in units[0]}
                    else:
                        mid = len(units) // 2
                        parts += [units[mid:], units[:mid]]
                    continue
                except (Refused, UnicodeError, ValueError) as exc:
                    if isinstance(exc, AuthFailed | UpgradeRequired) or (
                        isinstance(exc, Refused) and exc.status not in WHOLE_PUSH_REFUSALS
                    ):
                        raise
                    # The push as a whole was refused (too large, or a record that cannot even
                    # be encoded): halve it; a write alone is refused for good.
                    if len(units) > 1:
                        mid = len(units) // 2
                        parts += [units[mid:], units[:mid]]
                        continue
                    why = _whole_push_refusal(exc)
                    await self._io(self.ledger.record_results, [],
                                   [(c.change_id, why) for c in units[0]])  # fmt: skip
                    for c in units[0]:
                        unsettled.pop(c.change_id, None)
                    blocked |= {c.record_id for c in units[0]}
                    continue
                in_row, answered = 0, True
                if await self._check_epoch(resp.epoch):
                    cycle.restarted = True
                    return
                settled = await self._settle(resp, changes, cycle, blocked)
                for change_id in settled:
                    unsettled.pop(change_id, None)
                self._publish(bytes_done=client.bytes_sent,
                              pending=max(0, self.status.pending - len(settled)))  # fmt: skip
                self._progress(clock, "sending", self.status.records_done + len(changes),
                               self.status.records_total)  # fmt: skip
            if suspects:
                if not answered and not await self._answers(client):
                    raise Offline("The central platform is having trouble; it will be retried.")
                held = await self._io(
                    self.ledger.hold, [c.change_id for c in suspects], self.hold_base,
                    self.hold_cap,
                )  # fmt: skip
                for change_id, _delay in held:
                    unsettled.pop(change_id, None)
                log.warning("the central platform failed on %d change(s) alone; held back for"
                            " %.0f s or more, the rest goes", len(held),
                            min((d for _c, d in held), default=0))  # fmt: skip
        finally:
            if unsettled:
                await self._io(self.ledger.release, list(unsettled))

    async def _settle(
        self, resp: p.PushResponse, changes: list[Outgoing], cycle: _Cycle, blocked: set[str]
    ) -> set[str]:
        """Record the answers to one push; returns the change ids settled. A later version of
        a record refused here is left pending (it supersedes the refused one at the next
        claim); those of a record in conflict are the merge's."""
        sent = {c.change_id: c for c in changes}
        conflicted: set[str] = set()
        refused: set[str] = set()
        settled: set[str] = set()
        applied: list[tuple[Outgoing, int, int | None]] = []
        rejected: list[tuple[str, Rejection]] = []
        conflicts: list[tuple[Outgoing, p.ServerCopy]] = []
        for result in resp.results:
            change = sent.pop(result.change_id, None)
            if change is None:
                continue  # not one of ours
            if change.record_id in conflicted:
                settled.add(change.change_id)  # a later version of a record that conflicted
                continue
            if result.status == "applied" and result.version is not None:
                applied.append((change, result.version, result.seq))
            elif change.record_id in refused:
                continue  # waits behind its refused version
            elif result.status == "conflict" and result.server is not None:
                conflicted.add(change.record_id)
                conflicts.append((change, result.server))
            else:
                refused.add(change.record_id)
                reason = result.error or "Refused by the central platform."
                rejected.append(
                    (change.change_id, Rejection(reason, result.code, result.http_status))
                )
        await self._io(self.ledger.record_results, applied, rejected)
        cycle.pushed += len(applied)
        for change, server in conflicts:
            await self._io(self._merge, change, server)
        blocked |= refused | conflicted
        settled |= {c.change_id for c, _v, _s in applied}
        settled |= {cid for cid, _r in rejected} | {c.change_id for c, _s in conflicts}
        return settled

    async def _answers(self, client: CentralClient) -> bool:
        """Whether the central platform answers at all (its health check)."""
        try:
            await client.health()
        except SyncError:
            return False
        return True

    @staticmethod
    def _change(c: Outgoing) -> p.Change:
        op: p.Op = "delete" if c.op == "delete" else "put"
        return p.Change(
            change_id=c.change_id,
            rtype=c.rtype,
            record_id=c.record_id,
            op=op,
            base_version=c.base_version,
            resource=c.resource if op == "put" else None,
            attachments=tuple(attachments_of(c.resource)),
        )

    @staticmethod
    def _push_body(changes: list[Outgoing]) -> JsonText:
        """The text of ``PushRequest(tuple(_change(c) for c in changes)).to_json()``, made
        directly: each resource's stored JSON is spliced in as it is, and no model is built per
        change (the changes come from our own store, and the central platform parses every one
        strictly; building and dumping the models cost as much as the rest of the client's
        side of a push)."""
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        parts = []
        for c in changes:
            put = c.op != "delete"
            head = dumps(
                {
                    "change_id": c.change_id,
                    "rtype": c.rtype,
                    "record_id": c.record_id,
                    "op": "put" if put else "delete",
                    "base_version": c.base_version,
                }
            )
            text = "null"
            if put and c.resource is not None:
                text = c.text if c.text is not None else dumps(c.resource)
            attachments = dumps(attachments_of(c.resource))
            parts.append(f'{head[:-1]},"resource":{text},"attachments":{attachments}}}')
        return JsonText(f'{{"changes":[{",".join(parts)}],"protocol":{p.PROTOCOL_VERSION}}}')

    def _merge(self, change: Outgoing, server: p.ServerCopy) -> None:
        """Runs on the store thread: three-way merge of one record after a conflict."""
        base_resource = None
        if change.base_version is not None:
            try:
                base_resource = self.store.get_version(change.record_id, change.base_version)
            except Exception:
                base = self.ledger.base_of(change.record_id)
                base_resource = base[2] if base else None
        local = self.ledger.local_of(change.record_id)
        _version, local_deleted, local_res = local if local else (0, True, None)
        result = three_way(
            change.rtype, base_resource, local_res, local_deleted, server.resource, server.deleted
        )
        target = server.resource or local_res
        patient_id = patient_of(target) if target else None
        if result.outcome == "conflict":
            self.ledger.add_conflict(
                rtype=change.rtype,
                record_id=change.record_id,
                fields=result.fields,
                base=base_resource,
                local=local_res,
                local_deleted=local_deleted,
                remote_version=server.version,
                remote=server.resource,
                remote_deleted=server.deleted,
            )
            return
        merged = result.merged if result.outcome == "push-merged" else None
        terms_source = merged or server.resource
        terms = (
            search_terms(terms_source)
            if terms_source and change.rtype == "Patient" and not server.deleted
            else None
        )
        self.ledger.write_merged(
            rtype=change.rtype,
            record_id=change.record_id,
            resource=merged,
            server_version=server.version,
            server_deleted=server.deleted,
            server_resource=server.resource,
            patient_id=patient_id,
            terms=terms,
        )

    async def _upload_attachments(
        self, client: CentralClient, batch: list[Outgoing]
    ) -> list[Outgoing]:
        """Upload (resuming) every attachment the batch refers to; changes whose attachment
        cannot be read here are set in error and left out."""
        ready = []
        for change in batch:
            ok = True
            for sha in attachments_of(change.resource):
                digest = await self._io(self.store.attachment_by_sha256, sha)
                if digest is None:
                    await self._io(self.ledger.record_rejected, change.change_id,
                                   "The attached file is missing on this workstation.",
                                   "attachment_missing_here")  # fmt: skip
                    ok = False
                    break
                await self._upload_one(client, sha, digest)
            if ok:
                ready.append(change)
        return ready

    def _chunks_from(self, digest: str, offset: int) -> Iterator[bytes]:
        """Plaintext of an attachment from ``offset`` on, in upload-sized chunks (store thread)."""
        position = 0
        buf = bytearray()
        for block in self.store.attachments.read(digest):
            if position + len(block) <= offset:
                position += len(block)
                continue
            buf += block[max(0, offset - position) :]
            position += len(block)
            while len(buf) >= p.CHUNK_BYTES:
                yield bytes(buf[: p.CHUNK_BYTES])
                del buf[: p.CHUNK_BYTES]
        if buf:
            yield bytes(buf)

    async def _upload_one(self, client: CentralClient, sha: str, digest: str) -> None:
        """Upload one attachment, resuming from what the server already acknowledged."""
        size, _mime = await self._io(self.store.attachment_info, digest)
        status = await client.attachment_status(sha, size)
        if status.complete:
            return
        offset = status.received
        self._publish(bytes_total=self.status.bytes_total + size - offset)
        pieces = self._chunks_from(digest, offset)
        while not status.complete:
            piece = await self._io(next, pieces, None)
            if piece is None:
                raise Offline("The upload did not complete; it will resume on the next try.")
            status = await client.upload_chunk(sha, offset, piece)
            if not status.complete and status.received != offset + len(piece):
                raise Offline("The upload lost its place; it will resume on the next try.")
            offset = status.received
            self._publish(bytes_done=self.status.bytes_done + len(piece))

    async def _pull_all(self, client: CentralClient, cycle: _Cycle) -> None:
        """Pull pages until the server has nothing newer. The next page is asked for while
        the store writes the one before (the central platform reads and sends it meanwhile);
        a page is decoded off the event loop and off the store's thread, though not while
        the store writes: two threads busy in Python at once slow both far more than they
        gain (the store's statements wait for the interpreter lock row by row). Each page is
        stored with its cursor in one transaction, so a pull cut off anywhere resumes after
        the last page stored. Pages start small (the first records show at once) and grow
        while they come back quickly, up to ``pull_page`` changes (the server also ends a page
        at :data:`~clinic_app.sync.protocol.MAX_PULL_BYTES`)."""
        since = await self._io(self.ledger.cursor)
        clock = _PhaseClock()
        stats = self.pull_stats = PullStats()
        received, total = 0, 0
        limit = min(self.pull_page, FIRST_PULL_PAGE)
        loop = asyncio.get_running_loop()
        ahead: asyncio.Future[tuple[bytes, float]] | None = asyncio.ensure_future(
            self._fetch_raw(client, since, limit, True)
        )
        try:
            first = True
            while ahead is not None:
                raw, fetch_s = await ahead
                ahead = None
                page = await loop.run_in_executor(None, self._decode_page, raw)
                del raw
                stats.decode_s += page.decode_s
                stats.prepare_s += page.prepare_s
                if first:  # the total to receive is known from the first page on
                    total = len(page.changes) + (page.remaining or 0)
                    first = False
                if await self._check_epoch(page.epoch, page.head):
                    cycle.restarted = True
                    return
                if page.more and page.next > since:
                    limit = self._next_limit(limit, len(page.changes), fetch_s)
                    ahead = asyncio.ensure_future(self._fetch_raw(client, page.next, limit, False))
                t0 = time.perf_counter()
                written = await self._io(
                    self.ledger.apply_incoming, page.changes, page.next, page.epoch
                )
                stats.store_s += time.perf_counter() - t0
                cycle.pulled += written
                for sha, doc in page.attachments:
                    await self._fetch_attachment(client, sha, doc)
                received += len(page.changes)
                stats.records += len(page.changes)
                self._publish(pulled=cycle.pulled)
                if total or received:
                    self._progress(clock, "receiving", received, total)
                since = page.next
        finally:
            if ahead is not None:  # stopped early (an error, a restored server): not wanted
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            stats.seconds = time.monotonic() - clock.started

    def _next_limit(self, limit: int, count: int, fetch_s: float) -> int:
        """The size of the next page: doubled while a full page comes back in under half of
        :data:`PULL_PAGE_SECONDS`, halved when one takes more than that (a slow link)."""
        if fetch_s > PULL_PAGE_SECONDS:
            return max(MIN_PULL_PAGE, limit // 2)
        if fetch_s < PULL_PAGE_SECONDS / 2 and count >= limit:
            return min(self.pull_page, limit * 2)
        return limit

    async def _fetch_raw(
        self, client: CentralClient, since: int, limit: int, count: bool
    ) -> tuple[bytes, float]:
        """One page's answer as it came, and the seconds to its last byte."""
        t0 = time.perf_counter()
        raw = await client.pull_raw(p.PullRequest(since, limit, count=count))
        fetch_s = time.perf_counter() - t0
        stats = self.pull_stats
        stats.pages += 1
        stats.json_bytes += len(raw)
        stats.fetch_s += fetch_s
        stats.server_s += sum(client.server_timing.values()) / 1000
        return raw, fetch_s

    @staticmethod
    def _decode_page(raw: bytes) -> _Page:
        """Runs on a worker thread: the answer decoded and checked (a malformed one raises
        Offline: nothing of it is stored), each change made into what the store writes as it
        is read, so that neither one long decode nor a heap of decoded resources holds the
        interpreter lock, and with it the GUI (clinic_app/sync/pull_stream.py says why)."""
        attachments: list[tuple[str, dict[str, Any]]] = []

        def convert(c: dict[str, Any], text: str | None) -> Incoming:
            res = c["resource"]
            if res is not None:
                attachments.extend((sha, res) for sha in attachments_of(res))
            return SyncEngine._incoming_of(c, text)

        page = decode_pull_texts(raw, convert)
        return _Page(
            page.epoch,
            page.head,
            page.next,
            page.more,
            page.remaining,
            page.changes,
            attachments,
            decode_s=page.decode_s,
            prepare_s=page.convert_s,
        )

    @staticmethod
    def _incoming_of(c: dict[str, Any], text: str | None = None) -> Incoming:
        """A checked change of a pull answer (protocol.pull_page) as the store takes it: the
        text it is stored as made here (from ``text``, the resource as sent, when it can be
        kept as it is: local_store.sync_ledger.stored_text), the decoded resource not kept."""
        res = c["resource"]
        rtype = c["rtype"]
        version = c["version"]
        return Incoming(
            rtype=rtype,
            record_id=c["record_id"],
            version=version,
            deleted=c["deleted"],
            resource=None,
            change_id=c.get("change_id"),
            patient_id=patient_of(res) if res else None,
            terms=search_terms(res) if res and rtype == "Patient" else None,
            body=stored_text(res, version, text) if res is not None else None,
        )

    async def _fetch_attachment(self, client: CentralClient, sha: str, doc: dict[str, Any]) -> None:
        if await self._io(self.store.attachment_by_sha256, sha):
            return
        mime = "application/octet-stream"
        for content in doc.get("content", []):
            mime = (content.get("attachment") or {}).get("contentType") or mime
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            # Spooled to an anonymous temp file only while downloading; stored encrypted next.
            async for chunk in client.download(sha):
                spool.write(chunk)
            spool.seek(0)
            stored = await self._io(self.store.store_attachment, spool, mime)
        if stored.sha256 != sha:
            await self._io(self.store.attachments.remove, stored.digest)
            raise SyncError("A downloaded attachment did not match its hash; it was discarded.")

    # ------------------------------------------------------------------- background --
    async def run(self, stop: asyncio.Event) -> None:
        """Sync in the background until ``stop`` is set: probe the link with backoff and jitter
        while it is down, sync at once when it returns, then every ``idle_interval``."""
        backoff = 1.0
        while not stop.is_set():
            try:
                status = await self.sync_once()
            except Exception:  # a bug must not stop background sync for the rest of the day
                log.exception("sync cycle failed unexpectedly")
                self._publish(syncing=False, last_error="Sync failed unexpectedly; it will retry.")
                status = self.status
            if status.online:
                backoff = 1.0
                wait = self.idle_interval
            else:
                wait = backoff * random.uniform(0.5, 1.5)
                backoff = min(self.max_backoff, backoff * 2)
                if await self._probe():
                    wait = 0.0  # the link is back: try at once
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wait_any(stop), timeout=wait)

    async def _wait_any(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._kick.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    async def _probe(self) -> bool:
        client = self._client_factory()
        try:
            await client.health()
            return True
        except (Offline, AuthFailed):
            return False
        except SyncError:
            return False
        finally:
            await client.close()
