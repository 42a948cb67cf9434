"""A coturn TURN server inside the link emulator's side ``b``, so a relay-only call crosses the
emulated path (tests/support/link_emulator.py) exactly once each way: side a's peer reaches the
relay through the link, side b's peer reaches it on its own side, and coturn relays between the
two allocations locally.

    turn = LinkTurn(folder)                       # one secret and URL for the whole run
    central = CentralProcess(db, extra=turn.central_args())
    with EmulatedLink(folder, central_url=central.url) as link, turn.running(link):
        ...  # peers with relay-only ICE (media.peer --relay-only; RTCPeerConnection
             # {iceTransportPolicy: "relay"}) get turn:10.77.0.2:3478 from the central

The central hands out ``turn:<side b's address>:3478`` with TURN REST credentials for the
shared secret; each emulated link is a fresh pair of namespaces, so coturn is started per link
(:meth:`LinkTurn.running`) on the same address and port. Requires coturn (``make sysdeps``).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.link_emulator import SUBNET, EmulatedLink
from tests.support.turn_proc import TurnUnavailable

TURN_PORT = 3478
SIDE_B_HOST = 2  # EmulatedLink's side b is 10.77.0.2 (until move_address)


class LinkTurn:
    def __init__(self, folder: Path, realm: str = "clinic.test") -> None:
        self.folder = folder
        self.realm = realm
        self.secret = secrets.token_hex(16)
        self.address = f"{SUBNET}.{SIDE_B_HOST}"
        self.runs = 0

    @property
    def url(self) -> str:
        return f"turn:{self.address}:{TURN_PORT}?transport=udp"

    def central_args(self) -> tuple[str, ...]:
        path = self.folder / "link-turn-secret"
        path.write_text(self.secret, encoding="utf-8")
        path.chmod(0o600)
        return ("--turn-url", self.url, "--turn-secret-file", str(path))

    @contextlib.contextmanager
    def running(self, link: EmulatedLink, timeout: float = 10.0) -> Iterator[None]:
        """coturn inside ``link``'s side b for the duration of the block."""
        binary = shutil.which("turnserver")
        if binary is None:
            raise TurnUnavailable("coturn is not installed (make sysdeps installs it)")
        if link.addr("b") != self.address:
            raise TurnUnavailable(f"side b is {link.addr('b')}, the central says {self.address}")
        self.runs += 1
        log_path = self.folder / f"link-turn-{self.runs}.log"
        argv = [
            *link.prefix("b"), binary, "-n",
            f"--listening-ip={self.address}", f"--relay-ip={self.address}",
            f"--listening-port={TURN_PORT}", "--min-port=50000", "--max-port=50999",
            "--use-auth-secret", f"--static-auth-secret={self.secret}", f"--realm={self.realm}",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--no-tcp-relay", "--fingerprint",
            "--simple-log", f"--log-file={log_path}", "--pidfile=",
        ]  # fmt: skip
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            self._wait_listening(link, proc, timeout)
            yield
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def _wait_listening(self, link: EmulatedLink, proc: subprocess.Popen[bytes], t: float) -> None:
        """Until a STUN Binding request from inside side b is answered."""

        deadline = time.monotonic() + t
        request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TurnUnavailable(f"turnserver exited with {proc.returncode}")
            with link.socket("b") as sock:
                sock.settimeout(0.3)
                try:
                    sock.sendto(request, (self.address, TURN_PORT))
                    if sock.recv(2048)[:2] == b"\x01\x01":
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise TurnUnavailable("turnserver inside side b did not answer a STUN binding request")
