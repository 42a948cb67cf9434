"""The high-water mark: how far the store got, kept outside the database file.

Every committed transaction bumps ``meta.commit_seq`` inside the transaction; after COMMIT the
mark file ``records.mark`` is advanced to that number and the audit chain's head, with an
HMAC under a key derived from the data key, and synced before the write is acknowledged. The
file is pre-allocated (two 4 KiB slots, written alternately and overwritten in place, so an
advance needs no new disk blocks and a torn write spoils at most one slot).

At open, a database whose ``commit_seq`` is below the mark has lost acknowledged changes: its
log was damaged (SQLite silently stops replaying at the first bad frame), or it is an older or
torn copy. Such a store is refused. A database ahead of the mark is normal after a crash
between COMMIT and the advance (the change was never acknowledged as saved, but it is there).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from local_store.atomic import fsync_dir

MARK_NAME = "records.mark"
MAGIC = b"CLMARK01"
SLOT_BYTES = 4096
FILE_BYTES = 2 * SLOT_BYTES
_BODY = struct.Struct(">8sQQ32sQ")  # magic, commit seq, audit seq, audit head, time (ms)


@dataclass(frozen=True)
class Mark:
    commit_seq: int
    audit_seq: int
    audit_hash: str
    at_ms: int

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.at_ms / 1000))


def parse_head(value: str | None) -> tuple[int, str]:
    """``meta.audit_head`` ("seq:hexdigest") as (seq, hexdigest); (0, "") when empty."""
    if not value:
        return 0, ""
    seq, _, digest = value.partition(":")
    return int(seq), digest


class HighWaterMark:
    """The mark file of one profile, open for the life of an unlocked store."""

    def __init__(self, folder: Path, key: bytes, store_id: str, *, readonly: bool = False) -> None:
        """Open (and make, if needed) the mark file; ``readonly`` only reads an existing one
        (``clinic-app check``): FileNotFoundError when there is none, and nothing is written."""
        self.path = Path(folder) / MARK_NAME
        self._key = key
        self._store_id = store_id.encode()
        self.existed = self.path.exists()
        self.damaged_slots = 0
        if readonly:
            self._fd = os.open(self.path, os.O_RDONLY)
            return
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(self._fd).st_size < FILE_BYTES:
                os.ftruncate(self._fd, FILE_BYTES)
                with contextlib.suppress(OSError):  # a file system without fallocate
                    os.posix_fallocate(self._fd, 0, FILE_BYTES)
                os.fsync(self._fd)
                fsync_dir(self.path.parent)
        except BaseException:
            os.close(self._fd)
            raise

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, self._store_id + b"|" + body, hashlib.sha256).digest()

    def read(self) -> Mark | None:
        """The highest authentic slot; None if the file holds none (new, or both damaged)."""
        best: Mark | None = None
        self.damaged_slots = 0
        for slot in range(2):
            raw = os.pread(self._fd, _BODY.size + 32, slot * SLOT_BYTES)
            if len(raw) < _BODY.size + 32 or not any(raw):
                continue
            body, tag = raw[: _BODY.size], raw[_BODY.size :]
            magic, seq, audit_seq, head, at_ms = _BODY.unpack(body)
            if magic != MAGIC or not hmac.compare_digest(tag, self._mac(body)):
                self.damaged_slots += 1
                continue
            mark = Mark(seq, audit_seq, head.hex(), at_ms)
            if best is None or mark.commit_seq > best.commit_seq:
                best = mark
        return best

    def advance(self, commit_seq: int, audit_seq: int, audit_hash: str) -> None:
        """Record durably that the store holds everything up to ``commit_seq``."""
        head = bytes.fromhex(audit_hash) if audit_hash else b"\0" * 32
        body = _BODY.pack(MAGIC, commit_seq, audit_seq, head, int(time.time() * 1000))
        os.pwrite(self._fd, body + self._mac(body), (commit_seq % 2) * SLOT_BYTES)
        os.fdatasync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
