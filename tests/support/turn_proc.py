"""A real coturn ``turnserver`` on loopback for call tests (``make sysdeps`` installs coturn).

    with TurnServer() as turn:
        central = CentralProcess(db, extra=turn.central_args(secret_file))
        ...

It runs with coturn's TURN REST scheme (``--use-auth-secret``) and a random shared secret, UDP
only, relaying between loopback addresses (``--allow-loopback-peers``), on free ports.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.support.postgres import free_port


class TurnUnavailable(RuntimeError):
    pass


class TurnServer:
    def __init__(self, folder: Path, realm: str = "clinic.test") -> None:
        self.folder = folder
        self.realm = realm
        self.secret = secrets.token_hex(16)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = folder / "turnserver.log"

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def secret_file(self) -> Path:
        path = self.folder / "turn-secret"
        path.write_text(self.secret, encoding="utf-8")
        path.chmod(0o600)
        return path

    def central_args(self) -> tuple[str, ...]:
        return ("--turn-url", self.url, "--turn-secret-file", str(self.secret_file()))

    def start(self, timeout: float = 10.0) -> TurnServer:
        binary = shutil.which("turnserver")
        if binary is None:
            raise TurnUnavailable("coturn is not installed (make sysdeps installs it)")
        low = 40000 + secrets.randbelow(20000)
        argv = [
            binary, "-n",  # no configuration file
            "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            f"--listening-port={self.port}", f"--min-port={low}", f"--max-port={low + 200}",
            "--use-auth-secret", f"--static-auth-secret={self.secret}", f"--realm={self.realm}",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--no-tcp-relay",
            "--allow-loopback-peers", "--fingerprint", "--simple-log", "--verbose",
            f"--log-file={self.log_path}", "--pidfile=",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TurnUnavailable(f"turnserver exited with {self.proc.returncode}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise TurnUnavailable("turnserver did not answer a STUN binding request")

    def _answers(self) -> bool:
        """A STUN Binding request on the UDP port gets a response."""
        request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            try:
                sock.sendto(request, ("127.0.0.1", self.port))
                data, _ = sock.recvfrom(2048)
            except OSError:
                return False
        return data[:2] == b"\x01\x01"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> TurnServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
