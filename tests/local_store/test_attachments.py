"""Attachment vault: streamed round trips, dedupe, tamper detection, size limit."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest

from local_store.attachments import MAGIC, SEGMENT
from local_store.errors import IntegrityFailure, StoreError

HEADER = len(MAGIC) + 16  # magic + file id
SEG_OVERHEAD = 4 + 12 + 16  # length prefix + nonce + GCM tag


def vault_files(store):
    return sorted(p.name for p in store.attachments.folder.iterdir())


def pattern(size, seed=0):
    """Deterministic bytes that differ from one segment to the next."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 32
        counter += 1
    return bytes(out[:size])


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT], ids=lambda s: f"{s}B"
)
def test_round_trip(profile, tmp_path, size):
    store = profile.store
    data = pattern(size, seed=size)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    digest, stored_size = store.add_attachment(src, "application/octet-stream")
    assert stored_size == size
    assert store.attachment_info(digest) == (size, "application/octet-stream")
    # The name is keyed: it is not the plain hash of the content.
    assert digest != hashlib.sha256(data).hexdigest()
    assert store.attachment_by_sha256(hashlib.sha256(data).hexdigest()) == digest
    path = store.attachments.path_for(digest)
    segments = max(1, -(-size // SEGMENT))
    assert path.stat().st_size == HEADER + size + segments * SEG_OVERHEAD
    assert store.attachments.read_all(digest) == data
    out = tmp_path / "out.bin"
    store.attachments.export_to(digest, out)
    assert out.read_bytes() == data
    # Still readable after lock/unlock (keys derive from the same data key).
    assert profile.reopen().attachments.read_all(digest) == data


def test_large_file_is_streamed_not_held_in_memory(profile, tmp_path):
    store = profile.store
    size = 25 * 1024 * 1024 + 12345
    src = tmp_path / "scan.dcm"
    sha = hashlib.sha256()
    with open(src, "wb") as fh:
        for start in range(0, size, SEGMENT):
            chunk = os.urandom(min(SEGMENT, size - start))
            fh.write(chunk)
            sha.update(chunk)
    del chunk
    limit = 8 * 1024 * 1024  # under a third of the file

    tracemalloc.start()
    try:
        digest, stored = store.add_attachment(src, "application/dicom")
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        seen = hashlib.sha256()
        total = 0
        for piece in store.attachments.read(digest):
            seen.update(piece)
            total += len(piece)
        _, peak_out = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored == size == total
    assert seen.hexdigest() == sha.hexdigest()
    assert peak_in < limit, f"adding peaked at {peak_in / 2**20:.1f} MiB"
    assert peak_out < limit, f"reading peaked at {peak_out / 2**20:.1f} MiB"


def test_identical_content_is_stored_once(profile, tmp_path):
    store = profile.store
    data = pattern(SEGMENT + 500, seed=7)
    (tmp_path / "a.jpg").write_bytes(data)
    (tmp_path / "b.jpg").write_bytes(data)
    d1, _ = store.add_attachment(tmp_path / "a.jpg", "image/jpeg")
    d2, _ = store.add_attachment(tmp_path / "b.jpg", "image/jpeg")
    d3, _ = store.add_attachment(io.BytesIO(data), "image/jpeg")
    assert d1 == d2 == d3
    assert vault_files(store) == [d1]
    rows = store.conn.execute("SELECT count(*) FROM attachments").fetchone()[0]
    assert rows == 1
    other, _ = store.add_attachment(io.BytesIO(data + b"!"), "image/jpeg")
    assert other != d1
    assert vault_files(store) == sorted([d1, other])


def _flip(path, offset):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x40
    path.write_bytes(bytes(raw))


def _truncate(path, new_size):
    with open(path, "r+b") as fh:
        fh.truncate(new_size)


def _seg_start(index):
    return HEADER + index * (SEGMENT + SEG_OVERHEAD)


SIZE = 3 * SEGMENT + 1000  # segments 0, 1, 2 full and a short final segment 3
LAST = 3
DAMAGE = {
    "magic": lambda p: _flip(p, 0),
    "file-id": lambda p: _flip(p, len(MAGIC) + 5),
    "first-length": lambda p: _flip(p, _seg_start(0) + 3),
    "first-nonce": lambda p: _flip(p, _seg_start(0) + 4),
    "middle-segment": lambda p: _flip(p, _seg_start(1) + SEGMENT // 2),
    "middle-tag": lambda p: _flip(p, _seg_start(2) - 1),
    "last-segment": lambda p: _flip(p, _seg_start(LAST) + 40),
    "last-byte": lambda p: _flip(p, p.stat().st_size - 1),
    "cut-last-byte": lambda p: _truncate(p, p.stat().st_size - 1),
    "cut-final-segment": lambda p: _truncate(p, _seg_start(LAST)),
    "cut-to-header": lambda p: _truncate(p, HEADER),
    "cut-mid-segment": lambda p: _truncate(p, _seg_start(1) + 1000),
    "empty": lambda p: _truncate(p, 0),
    "appended": lambda p: p.write_bytes(p.read_bytes() + b"\x00"),
    "appended-segment": lambda p: p.write_bytes(
        p.read_bytes() + p.read_bytes()[_seg_start(LAST) :]
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damage_is_detected_and_nothing_exported(profile, tmp_path, damage):
    store = profile.store
    data = pattern(SIZE, seed=3)
    digest, _ = store.add_attachment(io.BytesIO(data), "application/pdf")
    path = store.attachments.path_for(digest)
    DAMAGE[damage](path)
    with pytest.raises(IntegrityFailure):
        store.attachments.read_all(digest)
    dest = tmp_path / "exported.pdf"
    with pytest.raises(IntegrityFailure):
        store.attachments.export_to(digest, dest)
    assert not dest.exists()
    assert sorted(tmp_path.iterdir()) == [profile.path]  # no partial file either


def test_swapped_file_names_are_detected(profile, tmp_path):
    store = profile.store
    a = pattern(2 * SEGMENT + 10, seed=11)
    b = pattern(2 * SEGMENT + 10, seed=12)
    da, _ = store.add_attachment(io.BytesIO(a), "image/png")
    db, _ = store.add_attachment(io.BytesIO(b), "image/png")
    pa, pb = store.attachments.path_for(da), store.attachments.path_for(db)
    tmp = pa.with_name("swap")
    pa.rename(tmp)
    pb.rename(pa)
    tmp.rename(pb)
    for digest in (da, db):
        with pytest.raises(IntegrityFailure):
            store.attachments.read_all(digest)
        dest = tmp_path / f"{digest}.png"
        with pytest.raises(IntegrityFailure):
            store.attachments.export_to(digest, dest)
        assert not dest.exists()
    assert sorted(tmp_path.iterdir()) == [profile.path]


def test_export_does_not_clobber_existing_file_on_damage(profile, tmp_path):
    store = profile.store
    digest, _ = store.add_attachment(io.BytesIO(pattern(SEGMENT * 2, seed=5)), "image/png")
    _flip(store.attachments.path_for(digest), _seg_start(1) + 10)
    dest = tmp_path / "keep.png"
    dest.write_bytes(b"the user's own file")
    with pytest.raises(IntegrityFailure):
        store.attachments.export_to(digest, dest)
    assert dest.read_bytes() == b"the user's own file"


def test_over_limit_is_refused_and_leaves_nothing(profile):
    store = profile.store
    before = vault_files(store)
    rows_before = store.conn.execute("SELECT count(*) FROM attachments").fetchone()[0]
    with pytest.raises(StoreError):
        store.attachments.put_stream(io.BytesIO(b"x" * 5000), max_size=4096)
    # Over the limit only in a later segment: the first one was already written out.
    with pytest.raises(StoreError):
        store.attachments.put_stream(io.BytesIO(pattern(SEGMENT + 10)), max_size=SEGMENT)
    assert vault_files(store) == before == []
    assert store.conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == rows_before
    # Exactly at the limit is accepted.
    digest, size = store.attachments.put_stream(io.BytesIO(b"y" * 4096), max_size=4096)
    assert size == 4096
    assert vault_files(store) == [digest]


def test_locked_store_cannot_read_or_add_attachments(profile):
    """After lock() the attachment keys must be gone too, like the data key they derive from.

    The vault keeps its own derived keys: a locked store still decrypts attachments, and
    add_attachment encrypts the file into the vault before failing on the database.
    """
    store = profile.store
    digest, _ = store.add_attachment(io.BytesIO(b"x-ray of a patient"), "image/png")
    store.lock()
    before = vault_files(store)
    with pytest.raises(StoreError):
        store.add_attachment(io.BytesIO(b"a scan added while locked"), "image/png")
    assert vault_files(store) == before, "add_attachment on a locked store left a file behind"
    with pytest.raises(StoreError):
        store.attachments.read_all(digest)
