"""Reading the database and its write-ahead log page by page, without SQLite, to name damage.

SQLCipher (version 4 defaults, raw key) stores every 4096-byte page with an 80-byte reserve at
its end: a 16-byte IV and an HMAC-SHA512 over the encrypted bytes, the IV and the page number.
The HMAC key is PBKDF2-HMAC-SHA512 (2 rounds) of the data key with the file's salt (the first 16
bytes of page 1) XOR 0x3a. Checking those HMACs tells apart what SQLite reports with one code:

* every page fails: the database is not readable with this key (replaced, or another profile's);
* some pages fail: those pages are damaged;
* the file is not a whole number of pages, or shorter than its header says: it was cut off.

The write-ahead log (WAL) is read the way SQLite replays it (header and cumulative frame
checksums, salts) so that a damaged frame that would silently end the replay is found, with
the number of committed frames after it that SQLite would drop.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import struct
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80  # 16-byte IV + 64-byte HMAC-SHA512
IV = 16
SALT = 16
WAL_HEADER = 32
FRAME_HEADER = 24
WAL_MAGIC = (0x377F0682, 0x377F0683)


def hmac_key(data_key: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", data_key, bytes(b ^ 0x3A for b in salt), 2, 32)


def page_ok(page: bytes, pgno: int, mac_key: bytes) -> bool:
    """Whether one encrypted page authenticates under ``mac_key`` as page number ``pgno``."""
    if len(page) != PAGE:
        return False
    start = SALT if pgno == 1 else 0
    body = page[start : PAGE - RESERVE + IV]
    want = page[PAGE - RESERVE + IV :]
    mac = hmac.new(mac_key, body + struct.pack("<I", pgno), hashlib.sha512).digest()
    return hmac.compare_digest(mac, want)


def header_page_count(page1: bytes, data_key: bytes) -> int | None:
    """The database size in pages written in page 1's (encrypted) header."""
    iv = page1[PAGE - RESERVE : PAGE - RESERVE + IV]
    dec = Cipher(algorithms.AES(data_key), modes.CBC(iv)).decryptor()
    plain = dec.update(page1[SALT : PAGE - RESERVE]) + dec.finalize()
    # The plain header's bytes 16.. start at offset 0 here; the size field is at offset 28.
    (count,) = struct.unpack(">I", plain[28 - SALT : 32 - SALT])
    return count or None


@dataclass
class DbScan:
    size: int
    pages: int = 0
    bad_pages: list[int] = field(default_factory=list)
    zero_pages: list[int] = field(default_factory=list)
    header_pages: int | None = None
    ragged: bool = False  # not a whole number of pages

    @property
    def empty(self) -> bool:
        return self.size == 0

    @property
    def foreign(self) -> bool:
        """Every page fails: another key (or not an encrypted database at all)."""
        return self.pages > 0 and len(self.bad_pages) + len(self.zero_pages) == self.pages

    @property
    def truncated(self) -> bool:
        return self.ragged or (self.header_pages is not None and self.pages < self.header_pages)


@dataclass
class WalScan:
    size: int
    header_ok: bool = True
    frames: int = 0  # frames in the file
    replayed: int = 0  # frames SQLite will use (up to the last good commit)
    first_bad: int | None = None  # 1-based frame number where replay stops early
    commits_lost: int = 0  # commit frames with the current salts after the bad frame

    @property
    def damaged(self) -> bool:
        return self.size > 0 and (not self.header_ok or self.commits_lost > 0)


def _salt_from_wal(wal: Path) -> bytes | None:
    try:
        with open(wal, "rb") as fh:
            head = fh.read(WAL_HEADER)
            if len(head) < WAL_HEADER:
                return None
            while True:
                frame = fh.read(FRAME_HEADER + PAGE)
                if len(frame) < FRAME_HEADER + PAGE:
                    return None
                if struct.unpack(">I", frame[:4])[0] == 1:
                    return frame[FRAME_HEADER : FRAME_HEADER + SALT]
    except FileNotFoundError:
        return None


def file_salt(db: Path, fd: int | None = None) -> bytes | None:
    """The SQLCipher salt: the first 16 bytes of the file, else of page 1 in the log.

    ``fd``: an open descriptor of ``db`` to read with (left open; see :func:`scan_database`).
    """
    try:
        with _reading(db, fd) as fdr:
            head = os.pread(fdr, SALT, 0)
    except FileNotFoundError:
        head = b""
    if len(head) == SALT and any(head):
        return head
    return _salt_from_wal(Path(f"{db}-wal"))


@contextlib.contextmanager
def _reading(db: Path, fd: int | None) -> Iterator[int]:
    """``fd`` as given (never closed here), else a descriptor of ``db`` opened for the block."""
    if fd is not None:
        yield fd
        return
    own = os.open(db, os.O_RDONLY)
    try:
        yield own
    finally:
        os.close(own)


CHUNK_PAGES = 256  # pages read at a time while writes are held off (1 MiB)


def scan_database(
    db: Path,
    data_key: bytes,
    salt: bytes | None = None,
    fd: int | None = None,
    hold: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> DbScan:
    """Authenticate every page of the database file.

    ``fd``: an open descriptor of ``db`` to read with, left open. A process whose SQLite has
    the database open must pass one: closing any descriptor of a file drops all of the
    process's POSIX locks on it, SQLite's included. ``hold`` is entered around each read of
    :data:`CHUNK_PAGES` pages (not around their authentication): a store checking itself from
    another thread holds off its writes (and so its checkpoints) only that long, so that no
    page is read half written.
    """
    with _reading(db, fd) as fdr:
        with hold():
            size = os.fstat(fdr).st_size
            salt = salt or file_salt(db, fdr)
        scan = DbScan(size=size, ragged=size % PAGE != 0)
        if size == 0 or salt is None:
            return scan
        mac_key = hmac_key(data_key, salt)
        pgno = 0
        while True:
            with hold():
                chunk = os.pread(fdr, PAGE * CHUNK_PAGES, pgno * PAGE)
            whole = len(chunk) // PAGE
            for n in range(whole):
                page = chunk[n * PAGE : (n + 1) * PAGE]
                pgno += 1
                if not any(page):
                    scan.zero_pages.append(pgno)
                elif not page_ok(page, pgno, mac_key):
                    scan.bad_pages.append(pgno)
                elif pgno == 1:
                    scan.header_pages = header_page_count(page, data_key)
            if whole < CHUNK_PAGES:
                break
        scan.pages = pgno
    return scan


def _checksum(data: bytes, s0: int, s1: int, big: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def scan_wal(wal: Path, data_key: bytes | None = None, salt: bytes | None = None) -> WalScan:
    """Replay the log's checksums as SQLite does; find a damaged frame before committed ones.

    With ``data_key`` and ``salt`` each replayed frame's page HMAC is checked too.
    """
    try:
        raw_size = wal.stat().st_size
    except FileNotFoundError:
        return WalScan(size=0)
    scan = WalScan(size=raw_size)
    if raw_size < WAL_HEADER:
        scan.header_ok = raw_size == 0
        return scan
    mac_key = hmac_key(data_key, salt) if data_key and salt else None
    with open(wal, "rb") as fh:
        head = fh.read(WAL_HEADER)
        magic, _version, page_size, _ckpt, salt1, salt2, c1, c2 = struct.unpack(">8I", head)
        scan.frames = (raw_size - WAL_HEADER) // (FRAME_HEADER + PAGE)
        big = magic == WAL_MAGIC[1]
        if magic not in WAL_MAGIC or page_size != PAGE:
            scan.header_ok = False
            return scan
        s0, s1 = _checksum(head[:24], 0, 0, big)
        if (s0, s1) != (c1, c2):
            scan.header_ok = scan.frames == 0
            return scan
        good = True
        for n in range(1, scan.frames + 1):
            frame = fh.read(FRAME_HEADER + PAGE)
            pgno, commit, f1, f2, k1, k2 = struct.unpack(">6I", frame[:FRAME_HEADER])
            same_salt = (f1, f2) == (salt1, salt2)
            if good:
                t0, t1 = _checksum(frame[:8], s0, s1, big)
                t0, t1 = _checksum(frame[FRAME_HEADER:], t0, t1, big)
                page = frame[FRAME_HEADER:]
                valid = same_salt and pgno != 0 and (t0, t1) == (k1, k2)
                if valid and mac_key is not None and not page_ok(page, pgno, mac_key):
                    valid = False
                if valid:
                    s0, s1 = t0, t1
                    if commit:
                        scan.replayed = n
                    continue
                good = False
                scan.first_bad = n
                continue
            # After the replay stopped: committed frames of this same log generation were
            # written after the bad one, so the bad one was acknowledged too.
            if (f1, f2) == (salt1, salt2) and commit:
                scan.commits_lost += 1
    return scan
