"""ICE servers for calls: STUN/TURN URLs and time-limited TURN REST credentials.

coturn's ``use-auth-secret`` scheme (the "TURN REST API"): the username is
``<expiry unix time>:<principal id>`` and the password is
``base64(HMAC-SHA1(static-auth-secret, username))``. coturn recomputes the password from the
shared secret and refuses a username whose expiry has passed, so nothing is stored here and a
leaked credential stops working by itself.

No public STUN server is ever added: with nothing configured, the answer has no ICE servers and
peers use host candidates only (what an offline LAN needs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from central.config import Settings

MIN_TTL = 60
MAX_TTL = 24 * 3600


def turn_credential(secret: str, username: str) -> str:
    """The password coturn expects for ``username`` under ``static-auth-secret``."""
    mac = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def turn_username(principal_id: str, ttl: int, now: float | None = None) -> tuple[str, int]:
    """(username, expiry): ``<expiry>:<principal id>``."""
    expires = int(now if now is not None else time.time()) + max(MIN_TTL, min(ttl, MAX_TTL))
    return f"{expires}:{principal_id}", expires


def ice_config(settings: Settings, principal_id: str, now: float | None = None) -> dict[str, Any]:
    """The ``/calls/{id}/ice`` answer: ``{"ice_servers": [...], "expires_at": int | None}``.

    Each server is ``{"urls": [...], "username"?, "credential"?}`` (the WebRTC RTCIceServer
    shape). TURN entries appear only when a shared secret is configured.
    """
    servers: list[dict[str, Any]] = []
    expires_at: int | None = None
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        username, expires_at = turn_username(principal_id, settings.turn_ttl, now)
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": username,
                "credential": turn_credential(settings.turn_secret, username),
            }
        )
    return {"ice_servers": servers, "expires_at": expires_at}
