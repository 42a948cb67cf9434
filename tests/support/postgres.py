"""Start a real, throw-away PostgreSQL server for tests.

``initdb`` is looked up in ``/usr/lib/postgresql/*/bin`` (newest first) and then on ``PATH``.
The cluster lives in a temporary folder, listens on 127.0.0.1 on a free port with its unix
socket in that folder, keeps ``fsync`` on (tests see real durability), and is stopped and
removed by :meth:`PostgresServer.stop`. PostgreSQL refuses to run as root, so when the tests
run as root the server runs as the ``postgres`` OS user (``runuser -u postgres --``).

Usage::

    with PostgresServer() as pg:
        url = pg.create_database("central_test")   # postgresql://postgres@127.0.0.1:PORT/...
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import psycopg


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (see the Makefile's install step)."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``postgres``."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
        reverse=True,
    )
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no initdb); run `make venv` or `apt-get install postgresql`."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder; start on construction with :meth:`start`."""

    def __init__(self, *, fsync: bool = True) -> None:
        self.bindir = find_bindir()
        self.fsync = fsync
        self.port = 0
        self.root: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._as_postgres = os.geteuid() == 0
        self._n = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def _cmd(self, *args: str) -> list[str]:
        if self._as_postgres:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def start(self) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="central-pg-"))
        data = self.root / "data"
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.port = free_port()
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - kept open for the process
        try:
            self.proc = subprocess.Popen(
                self._cmd(
                    str(self.bindir / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    "-c",
                    f"fsync={'on' if self.fsync else 'off'}",
                    "-c",
                    "synchronous_commit=on",
                    "-c",
                    "full_page_writes=on",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "shared_buffers=64MB",
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited at start; log:\n{self.log_tail()}")
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start in {timeout:.0f} s: {last}")

    def log_tail(self, lines: int = 30) -> str:
        if self.root is None:
            return ""
        try:
            text = (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, immediate: bool = True) -> None:
        """Stop the server and remove the cluster. The cluster is thrown away, so by default
        this is PostgreSQL's immediate shutdown (SIGQUIT: no final checkpoint, which with
        fsync on and many test databases takes seconds); ``immediate=False`` is the fast,
        checkpointing shutdown (SIGINT)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                # The postmaster (a child of runuser when root) is in its own session.
                os.killpg(self.proc.pid, signal.SIGQUIT if immediate else signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database (a fresh name when none is given); returns its URL."""
        if name is None:
            self._n += 1
            name = f"t{os.getpid()}_{self._n}"
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())
        return self.url(name)


@contextlib.contextmanager
def postgres_server(*, fsync: bool = True) -> Iterator[PostgresServer]:
    server = PostgresServer(fsync=fsync)
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def postgres_database(name: str = "test", *, fsync: bool = True) -> Iterator[str]:
    """A throw-away server with one database; yields its ``postgresql://`` URL."""
    with postgres_server(fsync=fsync) as server:
        yield server.create_database(name)
