"""ICE consent checks that survive a long round trip.

aioice 0.10-0.13 (under aiortc 1.16) checks consent to send (RFC 7675) every ~5 s with a
single STUN request that fails when no answer comes within 0.5 s, and closes the connection
after six failures in a row. On a satellite or congested 3G path the round trip alone is
500-600 ms, more with a queue, so every check fails and the call is cut after about 30 s
although media flows both ways — measured through the link emulator at 300 kbit/s, 600 ms RTT.

:func:`install` replaces that loop on a connected ``RTCPeerConnection``: same interval and
the same 30 s without any answer before consent is lost (RFC 7675), but each check is an
ordinary STUN transaction (retransmitted at 0.5, 1 and 2 s: an answer has 3.5 s to come back).
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
            except stun.TransactionError:
                pass
        if time.monotonic() - last_answer >= EXPIRE_AFTER:
            log.info("consent to send expired")
            connection._query_consent_task = None
            await connection.close()
            return


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
