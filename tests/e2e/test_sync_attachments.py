"""A 100 MB attachment interrupted at 60 % resumes from the last acknowledged chunk; the bytes
arrive intact on the clinic's other PC."""

from __future__ import annotations

import hashlib
import os

from clinic_app.services import documents
from clinic_app.sync.client import CentralClient, Offline

SIZE = 100 * 1024 * 1024


class CutAt(CentralClient):
    """A client whose link drops once it has sent ``limit`` bytes of attachment data."""

    sent_chunks = 0

    def __init__(self, *args, limit: int, **kw) -> None:
        super().__init__(*args, **kw)
        self.limit = limit
        self.uploaded = 0

    async def upload_chunk(self, sha256, offset, chunk):
        if self.uploaded + len(chunk) > self.limit:
            raise Offline("link dropped (test)")
        status = await super().upload_chunk(sha256, offset, chunk)
        self.uploaded += len(chunk)
        return status


def test_large_attachment_resumes_and_arrives_intact(world, tmp_path):
    path = tmp_path / "xray.png"
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        for _ in range(SIZE // (1024 * 1024)):
            block = os.urandom(1024 * 1024)
            digest.update(block)
            fh.write(block)
    os.chmod(path, 0o600)
    p = world.a.add_patient("陈", "静")
    doc = documents.attach_file(world.a.store, patient_id=p["id"], path=path, kind="x-ray")
    path.unlink()  # only the encrypted copy remains

    account = world.a.account
    clients: list[CutAt] = []

    def cut_client():
        c = CutAt(account.server, account.token, limit=int(SIZE * 0.6))
        clients.append(c)
        return c

    world.a.client_factory = cut_client
    first = world.a.sync()
    assert first.online is False and first.pending > 0
    sent_first = clients[-1].uploaded
    assert 0.55 * SIZE <= sent_first <= 0.6 * SIZE

    def counting_client():
        c = CutAt(account.server, account.token, limit=SIZE * 2)
        clients.append(c)
        return c

    world.a.client_factory = counting_client
    second = world.a.sync()
    assert second.pending == 0 and second.last_error is None
    # Resumed: only what was not acknowledged went again (at most one chunk more).
    assert clients[-1].uploaded <= SIZE - sent_first + 256 * 1024
    assert clients[-1].uploaded + sent_first >= SIZE

    world.a2.sync()
    copy = world.a2.store.get("DocumentReference", doc["id"])
    out = tmp_path / "copy.png"
    documents.open_document(world.a2.store, copy, out)
    check = hashlib.sha256()
    with open(out, "rb") as fh:
        while block := fh.read(1024 * 1024):
            check.update(block)
    assert check.hexdigest() == digest.hexdigest()
