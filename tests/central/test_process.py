"""Through the real ``clinic-central serve`` process: start, enroll, sync, kill -9, restart,
TLS, the epoch bump an operator runs, and (PostgreSQL) several processes on one database."""

from __future__ import annotations

import asyncio
import random
import ssl

import aiohttp
import pytest

from tests.central.builders import patient, put
from tests.support.central_proc import CentralProcess, run_cli

pytestmark = pytest.mark.asyncio
PASSWORD = "a good long password"


def session_() -> aiohttp.ClientSession:
    # No keep-alive: a server killed with -9 leaves pooled connections dead.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


class Api:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        token: str | None = None,
        ssl_ctx: ssl.SSLContext | None = None,
    ) -> None:
        self.session, self.base, self.token, self.ssl = session, base, token, ssl_ctx

    async def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        headers = {"X-Client-Version": "0.1.0"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.base + path, json=body, headers=headers, ssl=self.ssl if self.ssl else True
        ) as resp:
            data = await resp.json() if resp.status != 204 else {}
            return resp.status, data


async def enroll(session, proc: CentralProcess, clinic: str) -> Api:
    code = proc.enrollment_code(clinic)
    api = Api(session, proc.url, ssl_ctx=proc.ssl_context())
    status, body = await api.call("POST", "/api/v1/enroll", {"code": code, "device_name": "PC"})
    assert status == 200, body
    api.token = body["token"]
    return api


async def test_serve_enroll_sync_kill_restart(fresh_db_url, tmp_path):
    proc = CentralProcess(fresh_db_url, log_path=tmp_path / "server.log")
    with proc:
        clinic = proc.add_clinic("Hill Clinic")
        proc.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
        async with session_() as session:
            dev = await enroll(session, proc, clinic)
            ps = [
                patient(name="Qian Uniquename", resident_id=f"1101011990030744{i:02d}")
                for i in range(20)
            ]
            status, body = await dev.call(
                "POST", "/api/v1/sync/push", {"protocol": 1, "changes": [put(p) for p in ps]}
            )
            assert status == 200 and all(r["status"] == "applied" for r in body["results"])
            epoch = body["epoch"]

            proc.kill()  # kill -9 right after the acknowledgement
            proc.start()
            status, page = await dev.call("POST", "/api/v1/sync/pull", {"since": 0})
            assert status == 200 and [c["record_id"] for c in page["changes"]] == [
                p["id"] for p in ps
            ]
            assert page["epoch"] == epoch and page["head"] == 20

            # The operator restores a backup and bumps the epoch: clients see it at once.
            new_epoch = proc.cli("epoch", "bump")
            assert proc.health()["epoch"] == new_epoch
            status, page = await dev.call("POST", "/api/v1/sync/pull", {"since": 0})
            assert page["epoch"] == new_epoch

            specialist = Api(session, proc.url)
            status, body = await specialist.call(
                "POST", "/api/v1/login", {"username": "dr.heart", "password": PASSWORD}
            )
            assert status == 200 and body["specialties"] == ["cardiology"]
            specialist.token = body["token"]
            # Revocation through the command line is seen by the running server.
            status, who = await dev.call("GET", "/api/v1/whoami")
            proc.cli("device", "revoke", who["id"])
            status, _ = await dev.call("POST", "/api/v1/sync/pull", {"since": 0})
            assert status == 401
            status, _ = await specialist.call("GET", "/fhir/Patient?identifier=110101199003074400")
    assert proc.proc is None
    log = (tmp_path / "server.log").read_text()
    # Route templates, never paths with ids (central/web.py AccessLogger).
    assert "POST /api/v1/sync/pull 200" in log and "GET /fhir/{rtype} 200" in log
    for secret in ("Uniquename", "110101199003074400", dev.token, PASSWORD):
        assert secret not in log


async def test_tls_and_old_client(tmp_path):
    run_cli("dev-cert", "--out", str(tmp_path / "tls"))
    tls = (tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem")
    proc = CentralProcess(
        f"sqlite:///{tmp_path}/c.db", tls=tls, extra=("--min-client-version", "0.2.0")
    )
    with proc:
        assert proc.url.startswith("https://")
        assert proc.health()["min_client_version"] == "0.2.0"
        async with session_() as session:
            api = Api(session, proc.url, ssl_ctx=proc.ssl_context())
            status, body = await api.call("GET", "/api/v1/whoami")
            assert status == 426
            assert "the central platform needs version 0.2.0 or newer" in body["error"]["message"]


async def test_serve_refuses_a_bad_database_in_one_line(tmp_path):
    proc = run_cli("serve", "--port", "0", db="postgresql://postgres@127.0.0.1:1/x", check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "Cannot connect to PostgreSQL" in proc.stderr


async def test_several_processes_share_one_postgresql(fresh_db_url, tmp_path):
    """Two stateless servers on one database, writers pushing through both while a reader
    pulls through both: every sequence is seen exactly once and in order (a pull never skips
    a sequence that commits later)."""
    if not fresh_db_url.startswith("postgresql"):
        pytest.skip("several server processes share a PostgreSQL database, not a SQLite file")
    one = CentralProcess(fresh_db_url, log_path=tmp_path / "one.log").start()
    two = CentralProcess(fresh_db_url, log_path=tmp_path / "two.log").start()
    try:
        clinic = one.add_clinic("Hill Clinic")
        async with session_() as session:
            writers = [await enroll(session, one, clinic), await enroll(session, two, clinic)]
            readers = [
                Api(session, one.url, writers[0].token),
                Api(session, two.url, writers[1].token),
            ]
            pushed: list[int] = []
            done = asyncio.Event()

            async def write(api: Api, n: int) -> None:
                for _ in range(n):
                    batch = [put(patient()) for _ in range(random.randint(1, 5))]
                    status, body = await api.call(
                        "POST", "/api/v1/sync/push", {"protocol": 1, "changes": batch}
                    )
                    assert status == 200
                    pushed.extend(r["seq"] for r in body["results"])

            async def read() -> list[int]:
                seen: list[int] = []
                since = 0
                while True:
                    finished = done.is_set()
                    api = random.choice(readers)
                    status, page = await api.call(
                        "POST", "/api/v1/sync/pull", {"since": since, "limit": 7}
                    )
                    assert status == 200
                    seen += [c["seq"] for c in page["changes"]]
                    since = page["next"]
                    if finished and not page["more"]:
                        return seen

            reader = asyncio.create_task(read())
            await asyncio.gather(*(write(writers[i % 2], 15) for i in range(6)))
            done.set()
            seen = await reader
        assert seen == sorted(pushed) == list(range(1, len(pushed) + 1))
    finally:
        one.stop()
        two.stop()


async def test_server_survives_a_postgresql_restart_of_its_connections(fresh_db_url, tmp_path):
    """Pooled connections killed under the server (as by a database restart) are replaced."""
    if not fresh_db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connections only")
    import psycopg

    with CentralProcess(fresh_db_url, log_path=tmp_path / "server.log") as proc:
        clinic = proc.add_clinic("Hill Clinic")
        async with session_() as session:
            dev = await enroll(session, proc, clinic)
            # Several pooled connections, all killed below.
            pulls = [dev.call("POST", "/api/v1/sync/pull", {"since": 0}) for _ in range(8)]
            assert [r[0] for r in await asyncio.gather(*pulls)] == [200] * 8
            with psycopg.connect(fresh_db_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            for _ in range(3):
                status, _ = await dev.call(
                    "POST", "/api/v1/sync/push", {"protocol": 1, "changes": [put(patient())]}
                )
                assert status == 200
