"""Issue 20: two ``clinic-central serve`` processes on one PostgreSQL behind one HAProxy.

Two clinics and a specialist sync through the balancer (round robin over both instances);
a call's clinic side signals through the balancer (its signaling sockets go to instance 1 while
it lives, then to instance 2: the ``calls`` backend below) and the specialist's side straight
to instance 2, so the two sides of one room are on different processes. Instance 1 is killed
(SIGKILL) mid-call: media keeps flowing peer to peer, the clinic's signaling socket re-attaches
through HAProxy to instance 2 (same room, same call id), a signaling-level ``restart`` then
reaches the other side, the peers report ok, and every change pushed before and after the
kill is on the server exactly once.

Wall time: about 40 seconds.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from media.signaling import PeerJoined, Restart, SignalingClient
from tests.e2e.workstation import Workstation
from tests.support.call_peers import start_peer
from tests.support.central_proc import CentralProcess
from tests.support.postgres import free_port, postgres_server

pytestmark = pytest.mark.slow
PASSWORD = "specialist-password-1"

# The test's HAProxy: the production example (installers/central/haproxy.cfg) balances
# everything; here signaling sockets prefer instance 1 so the test knows which side to kill.
HAPROXY_CFG = """
global
    maxconn 1000
defaults
    mode http
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    timeout client-fin 5s
frontend central
    bind 127.0.0.1:{front}
    use_backend calls if {{ path_end /ws }}
    default_backend centrals
backend centrals
    balance roundrobin
    option httpchk GET /api/v1/health
    default-server inter 300ms fall 2 rise 2 on-marked-down shutdown-sessions
    server c1 127.0.0.1:{p1} check
    server c2 127.0.0.1:{p2} check
backend calls
    option httpchk GET /api/v1/health
    default-server inter 300ms fall 2 rise 2 on-marked-down shutdown-sessions
    server c1 127.0.0.1:{p1} check
    server c2 127.0.0.1:{p2} check backup
"""


@pytest.fixture
def haproxy_binary() -> str:
    import shutil

    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        pytest.fail("HAProxy is required (make sysdeps: apt-get install haproxy)")
    return found


def start_haproxy(
    binary: str, folder: Path, p1: int, p2: int
) -> tuple[subprocess.Popen[bytes], int]:
    front = free_port()
    cfg = folder / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(front=front, p1=p1, p2=p2))
    log = open(folder / "haproxy.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    log.close()
    deadline = time.monotonic() + 10
    import urllib.request

    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{front}/api/v1/health", timeout=2):
                return proc, front
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"HAProxy did not come up: {(folder / 'haproxy.log').read_text()}")


def presence(db_url: str, consult: str) -> dict[str, tuple[str, str]]:
    """side -> (instance id, call id) of the consult's room."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            b"SELECT side, instance_id, call_id FROM call_presence WHERE consult_id = %s",
            (consult,),
        ).fetchall()
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def region(tmp_path: Path, haproxy_binary: str) -> Iterator[dict[str, object]]:
    with postgres_server() as pg:
        url = pg.create_database("central")
        c1 = CentralProcess(url, log_path=tmp_path / "c1.log")
        c2 = CentralProcess(url, log_path=tmp_path / "c2.log")
        c1.start()
        c2.start()
        proxy, front = start_haproxy(haproxy_binary, tmp_path, c1.port, c2.port)
        try:
            yield {"db": url, "c1": c1, "c2": c2, "lb": f"http://127.0.0.1:{front}"}
        finally:
            proxy.terminate()
            proxy.wait(10)
            c1.stop()
            c2.stop()


async def restart_reaches_the_other_side(
    lb: str, direct: str, clinic: str, heart: str, consult: str, kill: Callable[[], None]
) -> None:
    """Signaling alone: the clinic's socket (through HAProxy, on instance 1) and the
    specialist's (instance 2); instance 1 dies; the clinic reconnects through HAProxy and its
    ``restart`` reaches the specialist, who hears ``peer-joined`` first."""
    spec = SignalingClient(direct, heart, consult)
    desk = SignalingClient(lb, clinic, consult)
    try:
        await spec.connect()
        first = await desk.connect()
        assert list(first.peers) == ["specialist"]
        kill()
        for _ in range(100):  # the reconnect a workstation makes, with a short backoff
            try:
                again = await desk.connect()
                break
            except Exception:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError("the clinic could not rejoin through HAProxy")
        assert again.call_id == first.call_id and list(again.peers) == ["specialist"]
        await desk.send(Restart())
        seen: list[object] = []

        async def read() -> None:
            async for message in spec.messages():
                seen.append(message)
                if isinstance(message, Restart):
                    return

        await asyncio.wait_for(read(), timeout=10)
        assert any(isinstance(m, PeerJoined) for m in seen), seen
    finally:
        await desk.aclose()
        await spec.aclose()


def test_two_instances_one_killed_mid_call_lose_nothing(
    region: dict[str, object], tmp_path: Path
) -> None:
    lb, db_url = str(region["lb"]), str(region["db"])
    c1, c2 = region["c1"], region["c2"]
    assert isinstance(c1, CentralProcess) and isinstance(c2, CentralProcess)
    hill, river = c1.add_clinic("Hill Clinic"), c1.add_clinic("River Clinic")
    c1.add_user("dr.heart", PASSWORD, "specialist", specialties=("cardiology",))
    a, b, heart = (Workstation(tmp_path, n) for n in ("a", "b", "heart"))
    try:
        a.enroll(lb, c1.enrollment_code(hill))
        b.enroll(lb, c1.enrollment_code(river))
        heart.login(lb, "dr.heart", PASSWORD)
        pushed = {"a": [a.add_patient("王", f"甲{i}")["id"] for i in range(5)],
                  "b": [b.add_patient("李", f"乙{i}")["id"] for i in range(5)]}  # fmt: skip
        consult = a.consult(pushed["a"][0])["id"]
        second = a.consult(pushed["a"][1])["id"]
        assert a.sync_until_quiet().pending == 0 and b.sync_until_quiet().pending == 0
        assert a.account and heart.account

        clinic_peer = start_peer(tmp_path, "clinic", lb, a.account.token, consult,
                                 "--seconds", "14")  # fmt: skip
        spec_peer = start_peer(tmp_path, "specialist", c2.url, heart.account.token, consult,
                               "--seconds", "14")  # fmt: skip
        try:
            rooms = wait_for(lambda: len(p := presence(db_url, consult)) == 2 and p, 30,
                             "both sides in the room")  # fmt: skip
            assert rooms["clinic"][0] != rooms["specialist"][0], "the sides share an instance"
            call_id = rooms["clinic"][1]
            time.sleep(3)  # media flowing
            killed_at = time.time()
            c1.kill()
            # sync goes on through the balancer, before HAProxy even noticed
            pushed["a"] += [a.add_patient("王", f"丙{i}")["id"] for i in range(5)]
            pushed["b"] += [b.add_patient("李", f"丁{i}")["id"] for i in range(5)]
            assert a.sync_until_quiet().pending == 0 and b.sync_until_quiet().pending == 0
            moved = wait_for(
                lambda: (p := presence(db_url, consult)).get("clinic", ("", ""))[0]
                == rooms["specialist"][0] and p,
                20, "the clinic's signaling socket on instance 2",
            )  # fmt: skip
            assert moved["clinic"][1] == call_id  # the same room, the same call
            reports = [clinic_peer.wait(), spec_peer.wait()]
        finally:
            clinic_peer.kill()
            spec_peer.kill()
        for r in reports:
            assert r["ok"] and r["returncode"] == 0, (r.get("error"), r["log"])
            after = [got for _c, _s, got in r["received"] if got / 1e6 > killed_at + 1]
            assert len(after) >= 60, (r["side"], len(after))  # video kept coming
            assert r["peer_connections"] == 1, r["side"]
        clinic_report = reports[0]
        assert clinic_report["signaling_drops"] >= 1, clinic_report["signaling_drops"]
        print(
            f"\nclinic signaling re-attached to instance 2; frames after the kill: "
            f"clinic {sum(1 for x in reports[0]['received'] if x[2] / 1e6 > killed_at)}, "
            f"specialist {sum(1 for x in reports[1]['received'] if x[2] / 1e6 > killed_at)}"
        )

        # signaling itself across the kill: instance 1 back, a second consult's room split
        # across both instances, instance 1 killed again, a restart still gets through
        c1.start()
        wait_for(lambda: _healthy(lb, 4), 10, "HAProxy sees instance 1 again")
        tokens = (a.account.token, heart.account.token)
        asyncio.run(restart_reaches_the_other_side(lb, c2.url, *tokens, second, c1.kill))

        # nothing lost, nothing twice: every record once on the server, every change once
        with psycopg.connect(db_url) as conn:
            for ids in pushed.values():
                counts = conn.execute(
                    b"SELECT id, count(*) FROM records WHERE id = ANY(%s) GROUP BY id", (ids,)
                ).fetchall()
                assert sorted(str(r[0]) for r in counts) == sorted(ids)
                assert all(int(r[1]) == 1 for r in counts)
        # and the other side of the sync sees them: the specialist pulls the consults
        assert heart.sync_until_quiet().pending == 0
        assert {consult, second} <= heart.ids("ServiceRequest")
        assert a.sync_until_quiet().pending == 0 and set(pushed["a"]) <= a.ids("Patient")
        assert not set(pushed["b"]) & a.ids("Patient")  # clinics still see only their own
    finally:
        for w in (a, b, heart):
            w.close()


def _healthy(lb: str, times: int) -> bool:
    """``times`` health answers in a row through the balancer (both servers up again)."""
    import urllib.request

    try:
        for _ in range(times):
            with urllib.request.urlopen(f"{lb}/api/v1/health", timeout=2):
                pass
    except OSError:
        return False
    time.sleep(1.0)  # the health checks of the calls backend mark c1 up (rise 2, 300 ms)
    return True
