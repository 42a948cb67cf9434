"""Headless Chromium as a call peer, driven over the DevTools protocol (CDP) on a pipe.

    browser = Chromium.launch(folder, "clinic", prefix=link.prefix("a"))
    page = browser.page()
    page.extra_headers({"Authorization": f"Bearer {token}"})   # ICE fetch and the WebSocket
    page.navigate(PAGE.as_uri())
    page.evaluate("startCall({...})")
    ...
    report = page.evaluate("JSON.stringify(callReport())")
    browser.close()

Chromium is Debian's package (``apt-get install chromium``: /usr/bin/chromium; Playwright's
own browser download does not work on these machines). It is started with
``--remote-debugging-pipe`` — the protocol runs over file descriptors 3 (commands in) and 4
(answers and events out), NUL-separated JSON — so it can run inside a network namespace
(``ip netns exec …``, see tests/support/link_emulator.py) where a TCP debugging port would be
out of the harness's reach. :class:`Cdp` is a small synchronous client: a reader thread
matches answers to commands by id and keeps console messages for the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows", "--autoplay-policy=no-user-gesture-required",
    "--disable-web-security",  # the page is a file: the ICE fetch to the central is cross-origin
    "--allow-file-access-from-files", "--mute-audio", "--remote-debugging-pipe",
)  # fmt: skip


class ChromiumUnavailable(RuntimeError):
    """Debian's chromium is not installed."""


class CdpError(RuntimeError):
    pass


class Cdp:
    """A DevTools protocol connection over two pipes (NUL-terminated JSON messages)."""

    def __init__(self, to_browser: int, from_browser: int, log_path: Path) -> None:
        self._out = to_browser
        self._in = from_browser
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.closed = False
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                self._dispatch(msg)
        self.closed = True
        with self._lock:
            for event, box in self._waiting.values():
                box.append({"error": {"message": "the browser closed the pipe"}})
                event.set()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg:
            with self._lock:
                waiter = self._waiting.pop(int(msg["id"]), None)
            if waiter is not None:
                waiter[1].append(msg)
                waiter[0].set()
            return
        method = msg.get("method")
        params = msg.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self._write_log(f"console.{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            self._write_log(f"exception: {text}")

    def _write_log(self, line: str) -> None:
        with contextlib.suppress(ValueError):
            self._log.write(f"{time.time():.3f} {line}\n")
            self._log.flush()

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send a command and wait for its answer's ``result`` (:class:`CdpError` on error)."""
        if self.closed:
            raise CdpError(f"{method}: the browser is gone")
        ident = next(self._ids)
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        event = threading.Event()
        box: list[dict[str, Any]] = []
        with self._lock:
            self._waiting[ident] = (event, box)
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data) :]
        if not event.wait(timeout):
            with self._lock:
                self._waiting.pop(ident, None)
            raise CdpError(f"{method}: no answer within {timeout:g} s")
        answer = box[0]
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error'].get('message')}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def close(self) -> None:
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()


class Page:
    """One page target of the browser (a flattened CDP session)."""

    def __init__(self, cdp: Cdp, session: str) -> None:
        self.cdp = cdp
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
        return self.cdp.call(method, params, self.session, timeout)

    def extra_headers(self, headers: dict[str, str]) -> None:
        """Headers sent with every request of the page, the WebSocket handshake included."""
        self.call("Network.enable")
        self.call("Network.setExtraHTTPHeaders", {"headers": headers})

    def navigate(self, url: str, timeout: float = 30.0) -> None:
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(CdpError):
                if self.evaluate("document.readyState") == "complete":
                    return
            time.sleep(0.1)
        raise CdpError(f"{url} did not load within {timeout:g} s")

    def evaluate(self, expression: str, timeout: float = 30.0, await_promise: bool = False) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
            timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"page error: {text}")
        return result.get("result", {}).get("value")


class Chromium:
    """A headless Chromium process (optionally inside a network namespace) and its CDP pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], cdp: Cdp, profile: Path) -> None:
        self.proc = proc
        self.cdp = cdp
        self.profile = profile

    @classmethod
    def launch(
        cls,
        folder: Path,
        name: str,
        *,
        prefix: Sequence[str] = (),
        extra_flags: Sequence[str] = (),
    ) -> Chromium:
        binary = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        if binary is None:
            raise ChromiumUnavailable("chromium is not installed: apt-get install chromium")
        profile = folder / f"{name}-chromium-profile"
        shutil.rmtree(profile, ignore_errors=True)
        profile.mkdir(parents=True)
        log_path = folder / f"{name}-chromium.log"
        cmd_r, cmd_w = os.pipe()  # harness -> browser (its fd 3)
        out_r, out_w = os.pipe()  # browser -> harness (its fd 4)
        # the child's ends above fd 9, so bash's "3<&N 4>&M" cannot clobber one of them
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_r, out_w)]
        os.close(cmd_r)
        os.close(out_w)
        script = f'exec "$0" "$@" 3<&{high[0]} 4>&{high[1]} {high[0]}<&- {high[1]}>&-'
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [*prefix, "bash", "-c", script, binary, *FLAGS, *extra_flags,
                 f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=tuple(high),
            )  # fmt: skip
        for fd in high:
            os.close(fd)
        return cls(proc, Cdp(cmd_w, out_r, log_path), profile)

    def page(self, timeout: float = 30.0) -> Page:
        """The first page target, attached (with Runtime and Page events on)."""
        deadline = time.monotonic() + timeout
        while True:
            targets = self.cdp.call("Target.getTargets")["targetInfos"]
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise CdpError("Chromium opened no page")
            time.sleep(0.1)
        session = self.cdp.call(
            "Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True}
        )["sessionId"]
        page = Page(self.cdp, str(session))
        page.call("Runtime.enable")
        page.call("Page.enable")
        return page

    def close(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(CdpError):
                self.cdp.call("Browser.close", timeout=5)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.cdp.close()
        shutil.rmtree(self.profile, ignore_errors=True)
