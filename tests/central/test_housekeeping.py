"""Housekeeping of the central platform: upload slots left unfinished are dropped with their
chunks once idle for longer than ``upload_ttl`` — by the server's periodic task and by
``clinic-central uploads reap`` — while fresh uploads, uploads still receiving chunks and
finished files stay. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from central import attachments
from central.app import build_app
from central.cli import main
from central.db import Conn, sql
from central.web import DB_KEY
from tests.central.conftest import Central, make_settings

pytestmark = pytest.mark.asyncio

DAY = 24 * 3600
OLD = hashlib.sha256(b"old and abandoned").hexdigest()
FRESH = hashlib.sha256(b"fresh upload").hexdigest()


@pytest_asyncio.fixture
async def dev(central: Central) -> str:
    return await central.device_token(await central.clinic())


async def start(central: Central, token: str, sha: str, size: int, first: bytes) -> None:
    """Open an upload slot and send its first chunk (the upload stays unfinished)."""
    reply = await central.get(f"/api/v1/attachments/{sha}/status?size={size}", token)
    assert reply.status == 200 and reply.body["received"] == 0, reply.body
    reply = await central.call(
        "PUT",
        f"/api/v1/attachments/{sha}?offset=0",
        token=token,
        data=first,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert reply.status == 200 and reply.body["received"] == len(first), reply.body


async def age(central: Central, sha: str, seconds: int) -> None:
    """Make a slot look idle for ``seconds`` (its last activity moved back)."""
    n = await central.sql(
        "UPDATE uploads SET created_at = created_at - :s WHERE sha256 = :sha",
        {"s": seconds, "sha": sha},
    )
    assert n == 1


async def left(central: Central, sha: str) -> tuple[int, int]:
    """(upload slots, chunks) of this digest still stored."""

    def work(conn: Conn) -> tuple[int, int]:
        slots = conn.scalar(sql("SELECT COUNT(*) FROM uploads WHERE sha256 = :s"), {"s": sha})
        chunks = conn.scalar(
            sql("SELECT COUNT(*) FROM chunks WHERE upload_key LIKE :k"), {"k": f"u:%:{sha}"}
        )
        return int(slots), int(chunks)

    return await central.db.read(work)


async def test_an_idle_upload_is_dropped_a_fresh_one_stays(central: Central, dev: str) -> None:
    await start(central, dev, OLD, 100, b"x" * 40)
    await start(central, dev, FRESH, 100, b"y" * 40)
    data = b"a finished file"
    done = hashlib.sha256(data).hexdigest()
    await start(central, dev, done, len(data), data)  # the last chunk finishes it: a blob
    await age(central, OLD, 8 * DAY)
    await central.sql("UPDATE blobs SET created_at = created_at - :s", {"s": 30 * DAY})
    assert await left(central, OLD) == (1, 1)

    reaped = await central.db.write(
        lambda conn: attachments.reap_abandoned(conn, 7 * DAY), seq_lock=False
    )
    assert reaped == 1
    assert await left(central, OLD) == (0, 0)
    assert await left(central, FRESH) == (1, 1)
    counts = await central.counts()
    assert counts["blobs"] == 1 and counts["uploads"] == 1
    reply = await central.get(f"/api/v1/attachments/{done}", dev)
    assert reply.status == 200 and reply.body == data
    # Reaping again finds nothing; the client of the dropped upload simply starts over.
    assert await central.db.write(lambda c: attachments.reap_abandoned(c, 7 * DAY)) == 0
    reply = await central.get(f"/api/v1/attachments/{OLD}/status?size=100", dev)
    assert reply.status == 200 and reply.body["received"] == 0


async def test_a_chunk_keeps_a_slow_upload_alive(central: Central, dev: str) -> None:
    await start(central, dev, OLD, 100, b"x" * 40)
    await age(central, OLD, 8 * DAY)
    reply = await central.call(  # a chunk arrives at last: the upload is not abandoned
        "PUT",
        f"/api/v1/attachments/{OLD}?offset=40",
        token=dev,
        data=b"x" * 10,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert reply.status == 200 and reply.body["received"] == 50
    assert await central.db.write(lambda c: attachments.reap_abandoned(c, 7 * DAY)) == 0
    assert await left(central, OLD) == (1, 2)


async def test_the_server_reaps_periodically(db_url: str) -> None:
    app = build_app(make_settings(db_url, upload_ttl=DAY, housekeeping_interval=0.05))
    async with TestClient(TestServer(app)) as client:
        central = Central(client, app[DB_KEY])
        dev = await central.device_token(await central.clinic())
        await start(central, dev, OLD, 100, b"x" * 40)
        await start(central, dev, FRESH, 100, b"y" * 40)
        await age(central, OLD, 2 * DAY)
        deadline = time.monotonic() + 10
        while await left(central, OLD) != (0, 0):
            assert time.monotonic() < deadline, "the periodic task did not reap the upload"
            await asyncio.sleep(0.05)
        assert await left(central, FRESH) == (1, 1)
    # the task ended with the server (no pending task warnings, no writes after close)
    assert not [
        t for t in asyncio.all_tasks() if "housekeeping" in repr(t.get_coro()) and not t.done()
    ]


async def test_the_command_reaps(central: Central, dev: str, db_url: str, capsys) -> None:
    await start(central, dev, OLD, 100, b"x" * 40)
    await start(central, dev, FRESH, 100, b"y" * 40)
    await age(central, OLD, 3 * DAY)
    status = await asyncio.to_thread(
        main, ["uploads", "reap", "--db", db_url, "--idle-seconds", str(2 * DAY)]
    )
    assert status == 0
    assert "dropped 1 abandoned uploads" in capsys.readouterr().out
    assert await left(central, OLD) == (0, 0)
    assert await left(central, FRESH) == (1, 1)
