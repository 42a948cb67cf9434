"""Fault injection for crash tests: ``CLINIC_CENTRAL_FAULT=point[,point]`` makes the server
kill itself with SIGKILL at that point, the way a power cut would. Unset in production (the
server logs a warning at start when it is set).

Points: ``push-before-commit`` (inside the push transaction), ``push-after-commit`` (committed,
answer not sent), ``pull-after-read`` (a page read, answer not sent).
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)
POINTS = frozenset({"push-before-commit", "push-after-commit", "pull-after-read"})


def _configured() -> frozenset[str]:
    raw = os.environ.get("CLINIC_CENTRAL_FAULT", "")
    return frozenset(p.strip() for p in raw.split(",") if p.strip() in POINTS)


ACTIVE = _configured()


def warn_if_active() -> None:
    if ACTIVE:
        log.warning("FAULT INJECTION ACTIVE (%s): for crash tests only", ",".join(sorted(ACTIVE)))


def hit(point: str) -> None:
    if point in ACTIVE:
        os.kill(os.getpid(), signal.SIGKILL)
