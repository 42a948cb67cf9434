"""`clinic-app screenshot --out DIR`: render every screen with demo data to PNG, offscreen,
in English and Chinese, so anyone can look at the UI without a display."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from clinic_app.clinic import Clinic
    from ui.main_window import Workspace

# Called with each screen as it is shot (tests/ui/test_zh_complete.py reads its texts).
Visit = Callable[[str, "QWidget"], None]
DEMO_USER = "demo.doctor"
DEMO_PASSPHRASE = "screenshot-demo-passphrase"


async def settle(app: object, seconds: float = 0.3) -> None:
    """Let queued signals, async page loads and repaints finish (the qasync loop runs Qt)."""
    await asyncio.sleep(seconds)


async def loaded(page: object, limit: float = 60.0) -> None:
    """Wait until a screen's own load (its ui.reloader.Reloader) has finished, so the shot
    shows its data, not "Loading…" (the chronic-disease registers take seconds)."""
    from ui.reloader import Reloader

    reloader = getattr(page, "reloader", None)
    if not isinstance(reloader, Reloader):
        return
    deadline = time.monotonic() + limit
    while reloader.busy and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _render_all(
    out: Path, profile: Path, language: str, visit: Visit | None = None
) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow
    from ui.patient_form import PatientForm

    app = QApplication.instance()
    written: list[Path] = []
    window = MainWindow(profile)
    window.resize(1280, 800)
    window.show()

    async def shot(name: str, widget: QWidget | None = None,
                   prepare: Callable[[], Awaitable[None]] | None = None) -> None:  # fmt: skip
        if prepare is not None:
            await prepare()
        await settle(app)
        path = out / f"{language}-{name}.png"
        (widget or window).grab().save(str(path))
        written.append(path)
        if visit is not None:
            visit(name, widget or window)

    await shot("01-sign-in")
    window.unlock.toggle_recovery()
    await shot("01-sign-in-recovery-key")
    window.unlock.toggle_recovery()
    window.unlock.passphrase.setText(DEMO_PASSPHRASE)
    window.unlock.button.click()
    for _ in range(100):
        await settle(app, 0.1)
        if window.workspace is not None:
            break
    ws = window.workspace
    assert ws is not None, "demo profile did not unlock"
    await settle(app, 1.0)
    await shot("02-patients")
    patients = ws.show_page("patients")
    patients.search.setText("wang")  # type: ignore[union-attr]
    await settle(app, 0.8)
    await shot("03-patient-search")
    form = PatientForm(ws.session, window)
    form.resize(520, 640)
    form.show()
    form.family.setText("王")
    form.resident_id.setText("110105194912310021")
    form.validate()
    await shot("04-new-patient-invalid-id", form)
    form.done(0)  # discard without the "unsaved input" question
    for page in ws.pages[1:]:
        await loaded(ws.show_page(page.key))
        await shot(f"10-{page.key}")
    await _clinic_screens(ws, shot)
    await _desk_screens(ws, shot)
    from ui import sync_error_shots

    await sync_error_shots.render(ws, shot, lambda seconds=0.3: settle(None, seconds))
    from ui import room_shots

    await room_shots.render(ws.session, shot, language == "zh_CN")
    await window.shutdown()
    window.close()
    return written


async def _first_run(out: Path, language: str, visit: Visit | None = None) -> list[Path]:
    """The set-up screen over an empty folder: its details, then the recovery key to confirm."""
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="clinic-first-run-") as tmp:
        window = MainWindow(Path(tmp) / "profile")
        window.resize(1280, 800)
        window.show()
        setup = window.setup
        assert setup is not None

        async def shot(name: str) -> None:
            await settle(QApplication.instance(), 0.3)
            path = out / f"{language}-{name}.png"
            window.grab().save(str(path))
            written.append(path)
            if visit is not None:
                visit(name, window)

        setup.clinic.setText("山河乡卫生院" if language == "zh_CN" else "Shanhe Township Clinic")
        setup.user.setText("dr.zhang")
        setup.passphrase.setText("screenshot-pass")
        setup.repeat.setText("screenshot-pass-typo")
        setup._check_details()
        await shot("00-first-run-setup")
        setup.repeat.setText("screenshot-pass")
        assert await setup.make_profile()
        setup.group_a.setText(setup.recovery_key.split("-")[setup.asked[0]])
        await shot("00-first-run-recovery-key")
        assert setup.opened is not None
        setup.opened.close()
        setup.opened = None
        await window.shutdown()
        window.close()
    return written


async def _clinic_screens(ws: Workspace, shot: Callable[..., Awaitable[None]]) -> None:
    """Chart, attachments, image viewer, visit form and consult wizard (ui.clinic_shots)."""
    from ui import clinic_shots

    await clinic_shots.render(ws, shot, lambda seconds=0.3: settle(None, seconds))


async def _desk_screens(ws: Workspace, shot: Callable[..., Awaitable[None]]) -> None:
    """Schedule, desk, conflicts and settings in their interesting states (ui.desk_shots)."""
    from ui import desk_shots

    await desk_shots.render(ws, shot, lambda seconds=0.3: settle(None, seconds))


def make_demo_profile(folder: Path, patients: int = 80) -> Path:
    from clinic_app.clinic import Clinic
    from clinic_app.demo_data import generate

    profile = folder / "profile"
    clinic, _ = Clinic.create(profile, DEMO_USER, DEMO_PASSPHRASE)
    with clinic:
        generate(clinic, patients)
        _clinic_demo(clinic)
        _desk_demo(clinic)
    return profile


def _clinic_demo(clinic: Clinic) -> None:
    from ui import clinic_shots

    clinic_shots.prepare(clinic)


def _desk_demo(clinic: Clinic) -> None:
    from ui import desk_shots

    desk_shots.prepare(clinic)


# What the offscreen platform says about every window it cannot manage like a desktop would:
# not a fault of the screens, and nothing a person running `clinic-app screenshot` can act on.
OFFSCREEN_NOISE = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",  # the incoming-call notice and call windows
)


def quiet_offscreen_warnings() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    previous = None

    def handler(kind: QtMsgType, context: object, message: str) -> None:
        if message in OFFSCREEN_NOISE:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def run(out: Path, languages: tuple[str, ...] = ("en", "zh_CN")) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.translations import install_translator, remove_translators

    out.mkdir(parents=True, exist_ok=True)
    quiet_offscreen_warnings()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    written: list[Path] = []
    try:
        with tempfile.TemporaryDirectory(prefix="clinic-screens-") as tmp:
            profile = make_demo_profile(Path(tmp))
            for language in languages:
                install_translator(app, language)
                written += loop.run_until_complete(_first_run(out, language))
                written += loop.run_until_complete(_render_all(out, profile, language))
                remove_translators(app)
    finally:
        # Stops the loop's default executor (QThreads): one still running when the program
        # exits makes Qt abort ("QThread: Destroyed while thread is still running", status 134).
        loop.close()
    return written
