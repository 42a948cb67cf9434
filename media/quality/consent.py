"""ICE consent checks that survive a long round trip.

aioice 0.10-0.13 (under aiortc 1.16) checks consent to send (RFC 7675) every ~5 s with a
single STUN request that fails when no answer comes within 0.5 s, and closes the connection
after six failures in a row. On a satellite or congested 3G path the round trip alone is
500-600 ms, more with a queue, so every check fails and the call is cut after about 30 s
although media flows both ways — measured through the link emulator at 300 kbit/s, 600 ms RTT.

:func:`install` replaces that loop on a connected ``RTCPeerConnection``: same interval and
the same 30 s without any answer before consent is lost (RFC 7675), but each check is an
ordinary STUN transaction (retransmitted at 0.5, 1 and 2 s: an answer has 3.5 s to come back).

States as WebRTC names them (:func:`state`): a check that goes unanswered makes the connection
``"disconnected"`` — nothing is torn down, media keeps being sent, and the next answer makes it
``"connected"`` again, on the same candidate pair and peer connection; only 30 s without any
answer is ``"failed"`` (consent expired: the connection is closed and aiortc's peer connection
goes ``failed``). An outage shorter than that therefore resumes on the same peer connection
(media/session.py builds a fresh one only after that, or after a network change).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from aioice import stun

log = logging.getLogger(__name__)

INTERVAL = 5.0  # s between checks (x 0.8-1.2), as aioice
EXPIRE_AFTER = 30.0  # s without any answer: consent lost (RFC 7675)
RETRANSMISSIONS = 2  # a check waits 0.5 + 1 + 2 s for its answer


async def query_consent(connection: Any) -> None:
    """aioice's ``Connection.query_consent`` with patient checks (see the module docstring)."""
    last_answer = time.monotonic()
    connection._consent_last_answer = last_answer
    connection._consent_missed = 0
    while True:
        await asyncio.sleep(INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in list(connection._nominated.values()):
            request = connection.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request,
                    pair.remote_addr,
                    integrity_key=connection.remote_password.encode("utf8"),
                    retransmissions=RETRANSMISSIONS,
                )
                last_answer = time.monotonic()
                connection._consent_last_answer = last_answer
                connection._consent_missed = 0
            except stun.TransactionError:
                connection._consent_missed = getattr(connection, "_consent_missed", 0) + 1
                log.info("ICE consent check unanswered: disconnected")
        if time.monotonic() - last_answer >= EXPIRE_AFTER:
            connection._consent_missed = -1
            log.info("consent to send expired")
            connection._query_consent_task = None
            await connection.close()
            return


def state(pc: Any) -> str | None:
    """``"connected"``, ``"disconnected"`` (the last check went unanswered; consent not yet
    expired) or ``"failed"`` (expired) for ``pc``'s ICE connection(s), the worst of them; None
    before our consent loop runs on it."""
    worst: str | None = None
    rank = {"connected": 0, "disconnected": 1, "failed": 2}
    for connection in _connections(pc):
        missed = getattr(connection, "_consent_missed", None)
        if missed is None:
            continue
        here = "failed" if missed < 0 else "disconnected" if missed > 0 else "connected"
        if worst is None or rank[here] > rank[worst]:
            worst = here
    return worst


def _connections(pc: Any) -> list[Any]:
    found: dict[int, Any] = {}
    dtls = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    for d in dtls:
        connection = getattr(getattr(d, "transport", None), "_connection", None)
        if connection is not None:
            found[id(connection)] = connection
    return list(found.values())


def install(pc: Any) -> bool:
    """Swap the consent loop of ``pc``'s ICE connection(s) for :func:`query_consent`; False
    if there was none (not connected yet, or aioice changed)."""
    swapped = False
    for transceiver in pc.getTransceivers():
        swapped |= _swap(transceiver.receiver.transport)
    if pc.sctp is not None:
        swapped |= _swap(pc.sctp.transport)
    return swapped


def _swap(dtls: Any) -> bool:
    connection = getattr(getattr(dtls, "transport", None), "_connection", None)
    task = getattr(connection, "_query_consent_task", None)
    if connection is None or task is None:
        return False
    if getattr(task, "patient", False):
        return True  # already ours
    task.cancel()
    new = asyncio.ensure_future(query_consent(connection))
    new.patient = True  # type: ignore[attr-defined]
    connection._query_consent_task = new
    return True
