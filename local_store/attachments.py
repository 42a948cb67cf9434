"""Encrypted attachment files outside the database (images, ECG/X-ray, PDFs up to 200 MB).

File layout: 8-byte magic, 16-byte random file id, then segments of at most 1 MiB plaintext,
each ``u32 length | 12-byte nonce | AES-256-GCM ciphertext``. The associated data of each
segment is magic + file id + segment index + a final-segment flag, so segments cannot be
reordered, moved between files or cut off. Files are named by HMAC-SHA256 of their plaintext
under a key derived from the data key, so equal content is stored once and a name says
nothing about the content. Data is streamed: a file never sits whole in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from local_store import faults
from local_store.atomic import fsync_dir
from local_store.errors import AttachmentDamaged, NotFound, StoreError, StoreLocked

MAGIC = b"CLATT1\x00\x00"
SEGMENT = 1024 * 1024
MAX_SIZE = 200 * 1024 * 1024
_NAME = re.compile(r"^[0-9a-f]{64}$")
_LEN = struct.Struct(">I")


def _aad(file_id: bytes, index: int, final: bool) -> bytes:
    return MAGIC + file_id + struct.pack(">QB", index, 1 if final else 0)


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    while True:
        block = source.read(SEGMENT)
        if not block:
            return
        yield block


def _with_final_flag(blocks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Yield (block, is_last); an empty input yields one empty final block."""
    it = iter(blocks)
    current = next(it, b"")
    for nxt in it:
        yield current, False
        current = nxt
    yield current, True


def _size_of(source: BinaryIO) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None


@dataclass(frozen=True)
class StoredFile:
    digest: str  # keyed name in the vault
    size: int
    sha256: str  # plain content hash: the attachment's identity between sites


class AttachmentVault:
    """The attachment folder of one profile."""

    def __init__(self, folder: Path, enc_key: bytes, name_key: bytes) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            if not self.folder.is_dir():
                raise faults.from_os_error(
                    exc, self.folder, doing="opening the attachment folder",
                    outcome="Nothing was changed.",
                ) from None  # fmt: skip
        self._aead: AESGCM | None = AESGCM(enc_key)
        self._name_key = name_key

    def forget(self) -> None:
        """Drop the keys (on lock): nothing can be read or added until a new unlock."""
        self._aead = None
        self._name_key = b""

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise StoreLocked("The workstation is locked.")
        return self._aead

    def path_for(self, digest: str) -> Path:
        if not _NAME.match(digest):
            raise NotFound("No such attachment.")
        return self.folder / digest

    def put_stream(self, source: BinaryIO, max_size: int = MAX_SIZE) -> tuple[str, int]:
        """Encrypt ``source`` into the vault; returns (content name, plaintext size)."""
        stored = self.store(source, max_size)
        return stored.digest, stored.size

    def store(self, source: BinaryIO, max_size: int = MAX_SIZE) -> StoredFile:
        """Encrypt ``source`` into the vault; also computes the plain SHA-256 used by sync."""
        aead = self._cipher()
        mac = hmac.new(self._name_key, digestmod=hashlib.sha256)
        plain_hash = hashlib.sha256()
        file_id = os.urandom(16)
        tmp = self.folder / f".incoming-{file_id.hex()}"
        final_path = tmp
        size = 0
        try:
            with open(tmp, "wb") as out:
                os.chmod(tmp, 0o600)
                out.write(MAGIC + file_id)
                for index, (block, final) in enumerate(_with_final_flag(_chunks(source))):
                    size += len(block)
                    if size > max_size:
                        raise StoreError(
                            f"The file is larger than the limit of {max_size / 1e6:g} MB."
                        )
                    mac.update(block)
                    plain_hash.update(block)
                    nonce = os.urandom(12)
                    sealed = aead.encrypt(nonce, block, _aad(file_id, index, final))
                    out.write(_LEN.pack(len(sealed)) + nonce + sealed)
                out.flush()
                os.fsync(out.fileno())
            digest = mac.hexdigest()
            final_path = self.folder / digest
            if final_path.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final_path)
                fsync_dir(self.folder)
            return StoredFile(digest, size, plain_hash.hexdigest())
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError) and exc.filename in (None, str(tmp), str(final_path)):
                raise faults.from_os_error(
                    exc, self.folder, doing="storing the attachment",
                    needed=_size_of(source) or size, outcome="Nothing was saved.",
                ) from None  # fmt: skip
            raise

    def put_file(self, path: Path, max_size: int = MAX_SIZE) -> tuple[str, int]:
        with open(path, "rb") as src:
            return self.put_stream(src, max_size)

    def read(self, digest: str) -> Iterator[bytes]:
        """Yield the plaintext in segments, verifying each; raises IntegrityFailure on damage.

        The content hash is checked after the last segment: a caller writing the output
        somewhere must treat the data as unconfirmed until the iterator finishes.
        """
        self._cipher()
        path = self.path_for(digest)
        if not path.exists():
            raise NotFound("No such attachment.")
        try:
            src = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise faults.from_os_error(
                exc, self.folder, doing="reading an attachment", outcome="Nothing was changed."
            ) from None
        with src:
            yield from self.read_stream(src, digest)

    def read_stream(self, src: IO[bytes], digest: str) -> Iterator[bytes]:
        """Like :meth:`read`, from an open encrypted file (a member of a backup archive)."""
        aead = self._cipher()
        mac = hmac.new(self._name_key, digestmod=hashlib.sha256)
        damaged = AttachmentDamaged("An attachment file is damaged; its content was not used.")
        head = src.read(len(MAGIC) + 16)
        if len(head) != len(MAGIC) + 16 or head[: len(MAGIC)] != MAGIC:
            raise damaged
        file_id = head[len(MAGIC) :]
        index = 0
        while True:
            raw_len = src.read(_LEN.size)
            if len(raw_len) != _LEN.size:
                raise damaged  # ended before a final segment
            (length,) = _LEN.unpack(raw_len)
            if length > SEGMENT + 16:
                raise damaged
            nonce = src.read(12)
            sealed = src.read(length)
            if len(nonce) != 12 or len(sealed) != length:
                raise damaged
            block = None
            final = False
            for flag in (False, True):
                try:
                    block = aead.decrypt(nonce, sealed, _aad(file_id, index, flag))
                    final = flag
                    break
                except InvalidTag:
                    continue
            if block is None:
                raise damaged
            mac.update(block)
            if final:
                if src.read(1):
                    raise damaged  # bytes after the final segment
                if not hmac.compare_digest(mac.hexdigest(), digest):
                    raise damaged
                yield block
                return
            yield block
            index += 1

    def verify(self, digest: str) -> str | None:
        """None if the attachment reads back whole and authentic, else what is wrong with it."""
        try:
            for _block in self.read(digest):
                pass
        except NotFound:
            return "missing"
        except AttachmentDamaged:
            return "damaged"
        except faults.StorageFault as exc:
            return f"unreadable ({exc.code})"
        except OSError:
            return "unreadable (IO_ERROR)"
        return None

    def read_all(self, digest: str) -> bytes:
        return b"".join(self.read(digest))

    def export_to(self, digest: str, dest: Path) -> None:
        """Decrypt to ``dest``; the file appears only once the whole content has verified."""
        tmp = dest.with_name(f".{dest.name}.partial")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                for block in self.read(digest):
                    out.write(block)
            os.replace(tmp, dest)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):
                raise faults.from_os_error(
                    exc, dest.parent, doing="writing the attachment out",
                    outcome="No file was left behind.",
                ) from None  # fmt: skip
            raise

    def remove(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(digest).unlink()

    def names(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if _NAME.match(p.name))
