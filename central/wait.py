"""``clinic-central wait``: block until a central platform answers its health check (scripts,
service managers and the README start a server in the background, then wait for it)."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path


class NotAnswering(Exception):
    """The server did not answer in time; the message says where and how long."""


def wait_for(url: str, timeout: float = 30.0, ca_file: Path | None = None) -> float:
    """Seconds until ``url``'s ``/api/v1/health`` answered 200; raises :class:`NotAnswering`."""
    started = time.monotonic()
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    health = url.rstrip("/") + "/api/v1/health"
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2, context=context) as resp:
                if resp.status == 200:
                    return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() - started > timeout:
            raise NotAnswering(f"No central platform answered at {url} within {timeout:g} s.")
        time.sleep(0.2)
