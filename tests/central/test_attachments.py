"""Attachments: chunked, resumable, digest-checked uploads and authorized, streamed downloads."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator

import pytest
import pytest_asyncio

from clinic_app.sync.protocol import AttachmentStatus
from tests.central.builders import document, patient, put, uid

pytestmark = pytest.mark.asyncio
MiB = 1024 * 1024


def pattern(size: int, chunk: int = 4 * MiB, seed: bytes = b"x") -> Iterator[bytes]:
    """Deterministic pseudo-random bytes, produced one chunk at a time."""
    block = hashlib.sha256(seed).digest() * (chunk // 32)
    done = 0
    n = 0
    while done < size:
        part = block[: min(chunk, size - done)]
        # vary each chunk so chunks are not identical
        part = n.to_bytes(8, "big") + part[8:] if len(part) >= 8 else part
        yield part
        done += len(part)
        n += 1


def digest_of(size: int, chunk: int = 4 * MiB, seed: bytes = b"x") -> str:
    h = hashlib.sha256()
    for part in pattern(size, chunk, seed):
        h.update(part)
    return h.hexdigest()


@pytest_asyncio.fixture
async def dev(central):
    return await central.device_token(await central.clinic())


async def status(central, token, sha, size):
    return await central.get(f"/api/v1/attachments/{sha}/status?size={size}", token)


async def put_chunk(central, token, sha, offset, data):
    return await central.call(
        "PUT",
        f"/api/v1/attachments/{sha}?offset={offset}",
        token=token,
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


async def upload(central, token, data: bytes, chunk: int = 256 * 1024) -> str:
    sha = hashlib.sha256(data).hexdigest()
    st = await status(central, token, sha, len(data))
    assert st.status == 200, st.body
    off = st.body["received"]
    while off < len(data):
        reply = await put_chunk(central, token, sha, off, data[off : off + chunk])
        assert reply.status == 200, reply.body
        off = reply.body["received"]
    return sha


async def download(central, token, sha) -> tuple[int, bytes]:
    async with central.client.get(
        f"/api/v1/attachments/{sha}", headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        return resp.status, await resp.read()


async def test_chunked_upload_and_download(central, dev):
    data = os.urandom(700_000)
    sha = hashlib.sha256(data).hexdigest()
    st = await status(central, dev, sha, len(data))
    assert st.body == {"sha256": sha, "size": len(data), "received": 0, "complete": False}
    r1 = await put_chunk(central, dev, sha, 0, data[:300_000])
    assert r1.body["received"] == 300_000 and not r1.body["complete"]
    r2 = await put_chunk(central, dev, sha, 300_000, data[300_000:])
    assert r2.body == {"sha256": sha, "size": len(data), "received": len(data), "complete": True}
    again = await status(central, dev, sha, len(data))
    assert again.body["complete"] is True
    code, body = await download(central, dev, sha)
    assert code == 200 and body == data


async def test_resume_after_an_interrupted_upload(central, dev):
    data = os.urandom(600_000)
    sha = hashlib.sha256(data).hexdigest()
    await status(central, dev, sha, len(data))
    await put_chunk(central, dev, sha, 0, data[:200_000])
    # The link drops; the client asks where to resume.
    st = await status(central, dev, sha, len(data))
    assert st.body["received"] == 200_000
    wrong = await put_chunk(central, dev, sha, 0, data[:200_000])
    assert wrong.status == 409
    # The details are the AttachmentStatus itself (what the client resumes from).
    assert AttachmentStatus.parse(wrong.body["error"]["details"]) == AttachmentStatus(
        sha, len(data), 200_000, False
    )
    ahead = await put_chunk(central, dev, sha, 400_000, data[400_000:])
    assert ahead.status == 409
    done = await put_chunk(central, dev, sha, 200_000, data[200_000:])
    assert done.body["complete"] is True
    assert (await download(central, dev, sha))[1] == data


async def test_digest_mismatch_is_refused_and_discarded(central, dev):
    data = os.urandom(100_000)
    sha = hashlib.sha256(b"something else").hexdigest()
    await status(central, dev, sha, len(data))
    reply = await put_chunk(central, dev, sha, 0, data)
    assert reply.status == 422 and reply.error_code == "digest_mismatch"
    assert AttachmentStatus.parse(reply.body["error"]["details"]).received == 0
    counts = await central.counts()
    assert counts["chunks"] == 0 and counts["blobs"] == 0 and counts["uploads"] == 0
    st = await status(central, dev, sha, len(data))
    assert st.body["received"] == 0 and not st.body["complete"]


async def test_chunk_limits(central, dev):
    sha = hashlib.sha256(b"abc").hexdigest()
    await status(central, dev, sha, 3)
    assert (await put_chunk(central, dev, sha, 0, b"abcd")).status == 400  # past the size
    assert (await put_chunk(central, dev, sha, 0, b"")).status == 400
    big = hashlib.sha256(b"big").hexdigest()
    await status(central, dev, big, 10 * MiB)
    reply = await put_chunk(central, dev, big, 0, b"\0" * (4 * MiB + 1))
    assert reply.status == 413
    no_slot = hashlib.sha256(b"never opened").hexdigest()
    assert (await put_chunk(central, dev, no_slot, 0, b"x")).status == 404
    assert (await status(central, dev, sha, 0)).status == 400
    assert (await status(central, dev, sha, 300 * MiB)).status == 400
    assert (await status(central, dev, sha, 4)).status == 409  # another size is open


async def test_push_needs_the_attachment_first(central, dev):
    data = os.urandom(50_000)
    sha = hashlib.sha256(data).hexdigest()
    p = patient()
    doc = put(document(p["id"], sha, len(data)), attachments=[sha])
    res = await central.push(dev, put(p), doc)
    assert res["results"][1]["status"] == "rejected" and "attachment" in res["results"][1]["error"]
    await upload(central, dev, data)
    assert (await central.push_one(dev, doc))["status"] == "applied"  # same change id, now ok


async def test_download_is_authorized(central, dev):
    data = os.urandom(10_000)
    sha = await upload(central, dev, data)
    p = patient()
    await central.push(dev, put(p), put(document(p["id"], sha, len(data))))
    stranger = await central.device_token(await central.clinic("Other"))
    assert (await download(central, stranger, sha))[0] == 404
    unknown = hashlib.sha256(b"nothing").hexdigest()
    assert (await download(central, stranger, unknown))[0] == 404
    # Knowing the digest is not enough to use it: the other clinic must upload the bytes.
    q = patient()
    res = await central.push(stranger, put(q), put(document(q["id"], sha, len(data))))
    assert res["results"][1]["status"] == "rejected"
    st = await status(central, stranger, sha, len(data))
    assert st.body["complete"] is False and st.body["received"] == 0
    await upload(central, stranger, data)
    assert (await download(central, stranger, sha))[1] == data
    # A clinician of the first clinic sees it through the DocumentReference.
    clinic_id = (await central.get("/api/v1/whoami", dev)).body["clinic_id"]
    doc_user = await central.user("dr.li", "clinician", clinic_id=clinic_id)
    assert (await download(central, doc_user, sha))[1] == data
    assert (await central.counts())["blobs"] == 1


async def test_specialist_downloads_attachment_of_a_consult(central, dev):
    from tests.central.builders import consult

    data = os.urandom(20_000)
    sha = await upload(central, dev, data)
    p = patient()
    doc = document(p["id"], sha, len(data))
    sr = consult(p["id"], "cardiology", supporting=[f"DocumentReference/{doc['id']}"])
    await central.push(dev, put(p), put(doc), put(sr))
    cardio = await central.user("dr.heart", "specialist", specialties=("cardiology",))
    neuro = await central.user("dr.brain", "specialist", specialties=("neurology",))
    assert (await download(central, cardio, sha))[1] == data
    assert (await download(central, neuro, sha))[0] == 404


async def test_100_mb_streamed(central, dev):
    size = 100 * MiB
    sha = digest_of(size)
    st = await status(central, dev, sha, size)
    assert st.status == 200
    tracemalloc.start()
    try:
        off = 0
        for part in pattern(size):
            reply = await put_chunk(central, dev, sha, off, part)
            assert reply.status == 200, reply.body
            off += len(part)
        assert reply.body["complete"] is True
        h = hashlib.sha256()
        total = 0
        async with central.client.get(
            f"/api/v1/attachments/{sha}", headers={"Authorization": f"Bearer {dev}"}
        ) as resp:
            assert resp.status == 200 and resp.content_length == size
            async for block in resp.content.iter_chunked(1 * MiB):
                h.update(block)
                total += len(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size and h.hexdigest() == sha
    # Client and server share this process: both together stayed far below the file's size.
    assert peak < 40 * MiB, peak


async def test_bad_digest_in_path(central, dev):
    assert (await status(central, dev, "abc", 10)).status == 400
    assert (await status(central, dev, "A" * 64, 10)).status == 400
    assert (await put_chunk(central, dev, uid(), 0, b"x")).status == 400
