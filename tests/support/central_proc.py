"""Run a real ``clinic-central serve`` process for tests (``python -m central.cli``).

    with CentralProcess(db_url) as central:
        clinic = central.cli("clinic", "add", "Hill Clinic")
        code = central.cli("device", "enroll", "--clinic", clinic)
        ... HTTP to central.url ...
        central.kill()          # kill -9
        central.start()         # same database, same port

The server listens on 127.0.0.1 on a free port; ``start`` waits for ``/api/v1/health``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]


class CommandFailed(RuntimeError):
    def __init__(self, args: list[str], code: int, stderr: str) -> None:
        super().__init__(f"clinic-central {' '.join(args)} exited {code}: {stderr.strip()}")
        self.code = code
        self.stderr = stderr


def run_cli(
    *args: str,
    db: str | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``clinic-central ARGS [--db DB]`` in a subprocess."""
    argv = [sys.executable, "-m", "central.cli", *args]
    if db is not None:
        argv += ["--db", db]
    full_env = {**os.environ, **(env or {})}
    if db is not None:
        full_env.pop("CLINIC_CENTRAL_DB", None)
    proc = subprocess.run(
        argv,
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise CommandFailed(list(args), proc.returncode, proc.stderr)
    return proc


class CentralProcess:
    """One ``clinic-central serve`` subprocess on a database; restartable on the same port."""

    def __init__(
        self,
        db_url: str,
        *,
        port: int | None = None,
        tls: tuple[Path, Path] | None = None,
        extra: tuple[str, ...] = (),
        log_path: Path | None = None,
    ) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.tls = tls
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = log_path
        self._log: object | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        ctx = ssl.create_default_context(cafile=str(self.tls[0]))
        return ctx

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> CentralProcess:
        argv = [
            sys.executable,
            "-m",
            "central.cli",
            "serve",
            "--db",
            self.db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.extra,
        ]
        if self.tls:
            argv += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 30.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"clinic-central exited with {self.proc.returncode} at start")
            try:
                return self.health()
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                last = exc
                time.sleep(0.05)
        raise RuntimeError(f"clinic-central did not answer /api/v1/health in {timeout} s: {last}")

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(
            f"{self.url}/api/v1/health", timeout=5, context=self.ssl_context()
        ) as resp:
            return dict(json.loads(resp.read()))

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (clean shutdown)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        """kill -9: no clean-up at all (what a power cut looks like to the database)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> CentralProcess:
        self.stop()
        return self.start()

    def __enter__(self) -> CentralProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- administration through the command line ---------------------------------------------

    def cli(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run a ``clinic-central`` admin command on this server's database; its stdout."""
        return run_cli(*args, db=self.db_url, env=env).stdout.strip()

    def add_clinic(self, name: str) -> str:
        return self.cli("clinic", "add", name)

    def enrollment_code(self, clinic_id: str, ttl_hours: float = 24) -> str:
        return self.cli("device", "enroll", "--clinic", clinic_id, "--ttl-hours", str(ttl_hours))

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        specialties: tuple[str, ...] = (),
        clinic_id: str | None = None,
    ) -> str:
        args = ["user", "add", username, "--role", role]
        for s in specialties:
            args += ["--specialty", s]
        if clinic_id:
            args += ["--clinic", clinic_id]
        return self.cli(*args, env={"CLINIC_CENTRAL_PASSWORD": password})
