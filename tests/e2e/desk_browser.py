"""Playwright on Debian's Chromium for the web desk's end-to-end tests: a headless browser
with a fake camera and microphone, the desk's sign-in, and (for call measurements) the stamped
synthetic source of bench/browser_peer/peer.js in place of the camera, so the clinic's
``media.peer`` can read media/stamps.py stamps from the browser's frames."""

from __future__ import annotations

import contextlib
import shlex
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.chromium_peer import CHROMIUM

PEER_JS = Path(__file__).resolve().parents[2] / "bench" / "browser_peer" / "peer.js"
FLAGS = (
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--no-sandbox",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows", "--mute-audio",
)  # fmt: skip
# getUserMedia answers with peer.js's stamped 640x480 canvas at 30 fps and its 440 Hz tone
STAMPED_CAMERA = """
(() => {
  if (!navigator.mediaDevices) return;
  navigator.mediaDevices.getUserMedia = async () => {
    let canvas = document.getElementById("source");
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.id = "source";
      canvas.hidden = true;
      document.body.appendChild(canvas);
    }
    S.config = { width: 640, height: 480, fps: 30 };
    return new MediaStream([makeSource(640, 480, 30), makeTone()]);
  };
})();
"""


@contextlib.contextmanager
def browser(prefix: Sequence[str] = ()) -> Iterator[Browser]:
    """A headless Chromium (Debian's package) through Playwright. ``prefix``: an argv prefix
    it runs under, e.g. ``ip netns exec NS`` (tests/support/link_emulator.py): Playwright
    talks to it over a pipe, so it can live in a network namespace."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium is not installed: make sysdeps installs it (apt-get install chromium)"
        )
    with tempfile.TemporaryDirectory(prefix="desk-chromium-") as folder:
        binary = CHROMIUM
        if prefix:
            wrapper = Path(folder) / "chromium"
            wrapper.write_text(f'#!/bin/sh\nexec {shlex.join([*prefix, CHROMIUM])} "$@"\n')
            wrapper.chmod(0o700)
            binary = str(wrapper)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=binary, headless=True, args=list(FLAGS))
            try:
                yield b
            finally:
                b.close()


def new_page(b: Browser, *, stamped: bool = False, lang: str = "en") -> Page:
    context = b.new_context(
        locale="en-US" if lang == "en" else "zh-CN", viewport={"width": 1366, "height": 900}
    )
    context.grant_permissions(["camera", "microphone"])
    if stamped:
        context.add_init_script(PEER_JS.read_text(encoding="utf-8") + STAMPED_CAMERA)
    return context.new_page()


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/desk/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/desk/signin'] button[type=submit]")
    page.wait_for_url("**/desk/worklist")


def wait_for(page: Page, expression: str, timeout: float = 15.0) -> object:
    """Poll a JavaScript expression until it is truthy (Playwright's wait_for_function evaluates
    its predicate with eval, which the desk's Content-Security-Policy forbids, as it should)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {expression}")
        time.sleep(0.05)
