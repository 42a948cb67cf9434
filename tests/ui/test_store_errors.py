"""The store's named faults shown in the GUI: in Chinese, by their code, with their values.

Each error class of ``local_store/errors.py`` is met for real where that can be done here (a
profile truncated, a page or a log frame damaged, an old database put back, the key file gone
or damaged, a database of another profile, a locked SQLite file; OS errors through the core's
own naming in ``local_store.faults``), then shown through ``ui.errors.show_error`` (a real
``QMessageBox``, offscreen) with the Simplified Chinese translation installed. The dialog must
say it in Chinese, carry the values (folder, amounts, pages, counts) and show the code.
"""

from __future__ import annotations

import errno
import inspect
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QMessageBox, QWidget

from local_store import errors as store_errors
from local_store import faults
from local_store.errors import ClinicError
from local_store.store import Store
from ui import error_texts
from ui.errors import show_error, tr_error
from ui.translations import I18N

REPO = Path(__file__).resolve().parents[2]
USER = "dr.err"
PASS = "error dialog passphrase"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){3,}\b")  # four English words in a row


@pytest.fixture
def chinese(qapp) -> Iterator[None]:
    translator = QTranslator()
    assert translator.load(str(I18N / "clinic_zh_CN.qm"))
    QCoreApplication.installTranslator(translator)
    try:
        yield
    finally:
        QCoreApplication.removeTranslator(translator)


def raised(action: Callable[[], object]) -> ClinicError:
    try:
        action()
    except ClinicError as exc:
        return exc
    raise AssertionError("no error was raised")


def new_profile(folder: Path, patients: int = 40) -> Path:
    store, _ = Store.create(folder, USER, PASS)
    for i in range(patients):
        store.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"text": "z" * 300}]})
    store.lock()
    return folder


def unlock(profile: Path) -> Callable[[], object]:
    return lambda: Store.unlock(profile, USER, PASS)


WRITER = """
import os, signal, sys
from local_store.store import Store
s = Store.unlock(sys.argv[1], sys.argv[2], sys.argv[3])
for i in range(30):
    s.put({"resourceType": "Patient", "id": "w%d" % i, "name": [{"text": "w" * 300}]})
os.kill(os.getpid(), signal.SIGKILL)
"""


# ----------------------------------------------------- each class, met as the core meets it --
def disk_full(tmp: Path) -> tuple[ClinicError, list[str]]:
    exc = faults.disk_full(tmp, doing="saving the change", needed=5_300_000)
    return exc, [str(tmp), faults.human(faults.free_bytes(tmp)), "5.3 MB"]


def os_fault(code: int) -> Callable[[Path], tuple[ClinicError, list[str]]]:
    def make(tmp: Path) -> tuple[ClinicError, list[str]]:
        folder = tmp if code != errno.ENODEV else tmp / "stick"
        err = OSError(code, os.strerror(code))
        exc = faults.from_os_error(err, folder, doing="storing the attachment")
        return exc, [str(folder)]

    return make


def profile_busy(tmp: Path) -> tuple[ClinicError, list[str]]:
    path = tmp / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t(x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        try:
            other.execute("INSERT INTO t VALUES (1)")
        except sqlite3.OperationalError as err:
            exc = faults.from_sqlite_error(err, tmp, doing="saving the change")
        else:
            raise AssertionError("the database was not locked")
    finally:
        other.close()
        holder.close()
    assert exc is not None
    return exc, []


def db_missing(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 1)
    os.truncate(profile / "records.db", 0)
    return raised(unlock(profile)), [str(profile)]


def db_truncated(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile")
    db = profile / "records.db"
    pages = db.stat().st_size // 4096
    os.truncate(db, (pages // 2) * 4096 + 100)
    return raised(unlock(profile)), [str(pages // 2), str(pages)]


def db_damaged(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile")
    data = bytearray((profile / "records.db").read_bytes())
    for page in (1, 3):  # a bit flipped in each: pages 1 and 3 fail their check
        data[(page - 1) * 4096 + 300] ^= 0x10
    (profile / "records.db").write_bytes(bytes(data))
    return raised(unlock(profile)), ["1, 3", str(len(data) // 4096)]


def log_damaged(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 1)
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(profile), USER, PASS],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    frame = 4096 + 24
    with open(profile / "records.db-wal", "r+b") as fh:
        fh.seek(32 + 3 * frame + 24 + 100)  # inside the 4th frame's page
        fh.write(b"\x00\x11\x22\x33")
    return raised(unlock(profile)), ["4", "records.db-wal"]


def store_behind(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 1)
    old = tmp / "old.db"
    shutil.copy2(profile / "records.db", old)
    store = Store.unlock(profile, USER, PASS)
    for i in range(3):
        store.put({"resourceType": "Patient", "id": f"later{i}", "name": [{"text": "q"}]})
    store.lock()
    shutil.copy2(old, profile / "records.db")  # an old file put back
    exc = raised(unlock(profile))
    # 3 records + the audit entries of unlocking: at least 3 changes are named missing
    missing = re.search(r"the last (\d+) saved changes", str(exc))
    assert missing is not None and int(missing.group(1)) >= 3, str(exc)
    return exc, [missing.group(1)]


def keys_missing(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 1)
    (profile / "keys.json").unlink()
    return raised(unlock(profile)), [str(profile)]


def keys_damaged(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 1)
    raw = bytearray((profile / "keys.json").read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (profile / "keys.json").write_bytes(bytes(raw))
    return raised(unlock(profile)), ["keys.json"]


def key_mismatch(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile")
    other = new_profile(tmp / "other")
    shutil.copy2(other / "records.db", profile / "records.db")
    return raised(unlock(profile)), []


def no_profile(tmp: Path) -> tuple[ClinicError, list[str]]:
    (tmp / "empty").mkdir()
    return raised(unlock(tmp / "empty")), [str(tmp / "empty")]


def wrong_passphrase(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 0)
    return raised(lambda: Store.unlock(profile, USER, "not the passphrase")), []


def locked(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 0)
    store = Store.unlock(profile, USER, PASS)
    store.lock()
    return raised(lambda: store.get("Patient", "p0")), []


def not_found(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 0)
    store = Store.unlock(profile, USER, PASS)
    try:
        return raised(lambda: store.remove_user("nobody")), []
    finally:
        store.lock()


def profile_exists(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 0)
    return raised(lambda: Store.create(profile, USER, PASS)), []


def attachment_damaged(tmp: Path) -> tuple[ClinicError, list[str]]:
    profile = new_profile(tmp / "profile", 0)
    store = Store.unlock(profile, USER, PASS)
    try:
        source = tmp / "scan.png"
        source.write_bytes(b"\x89PNG" + os.urandom(5000))
        digest, _size = store.add_attachment(source, "image/png")
        for part in (profile / "attachments").rglob("*"):
            if part.is_file():
                data = bytearray(part.read_bytes())
                data[len(data) // 2] ^= 0xFF
                part.write_bytes(bytes(data))
        return raised(lambda: store.attachments.read_all(digest)), []
    finally:
        store.lock()


def own(cls: type[ClinicError], message: str) -> Callable[[Path], tuple[ClinicError, list[str]]]:
    """Classes the core raises with a sentence of their own (no values)."""
    return lambda _tmp: (cls(message), [])


MAKERS: dict[str, Callable[[Path], tuple[ClinicError, list[str]]]] = {
    "ClinicError": own(ClinicError, "A user name is required."),
    "StoreError": own(store_errors.StoreError, "The last user cannot be removed."),
    "WrongPassphrase": wrong_passphrase,
    "IntegrityFailure": own(store_errors.IntegrityFailure, "The backup file is damaged."),
    "StoreLocked": locked,
    "NotFound": not_found,
    "SchemaTooNew": own(
        store_errors.SchemaTooNew,
        "This profile was written by a newer version of the program (schema 9; this version"
        " reads up to 4). Install the newer version.",
    ),
    "ProfileExists": profile_exists,
    "ProfileBusy": profile_busy,
    "StorageFault": own(store_errors.StorageFault, ""),
    "DiskFull": disk_full,
    "ReadOnlyMedium": os_fault(errno.EROFS),
    "MediumRemoved": os_fault(errno.ENODEV),
    "PermissionDenied": os_fault(errno.EACCES),
    "StorageIOError": os_fault(errno.EIO),
    "DatabaseDamaged": db_damaged,
    "DatabaseTruncated": db_truncated,
    "LogDamaged": log_damaged,
    "StoreBehind": store_behind,
    "DatabaseMissing": db_missing,
    "AttachmentDamaged": attachment_damaged,
    "NoProfile": no_profile,
    "KeyFileMissing": keys_missing,
    "KeyFileDamaged": keys_damaged,
    "KeyMismatch": key_mismatch,
}


ERROR_BASE = "clinic_errors"


def store_error_classes() -> list[type[ClinicError]]:
    return [
        cls
        for _name, cls in inspect.getmembers(store_errors, inspect.isclass)
        # the store's classes, and the base it re-exports (defined in clinic_errors)
        if issubclass(cls, ClinicError) and cls.__module__ in (store_errors.__name__, ERROR_BASE)
    ]


def test_every_store_error_class_is_tried_here():
    assert sorted(c.__name__ for c in store_error_classes()) == sorted(MAKERS)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_store_error_is_shown_in_chinese_with_its_values_and_code(name, tmp_path, qtbot, chinese):
    cls = getattr(store_errors, name)
    exc, values = MAKERS[name](tmp_path)
    assert type(exc) is cls, f"{name}: the core raised {type(exc).__name__}: {exc}"
    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_error(parent, exc)
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = box.text()
    assert CJK.search(text), text
    plain = re.sub(r"`[^`]*`|\S*/\S*|\([^)]*(?:SQLITE|sqlite)[^)]*\)", "", text)
    assert not ENGLISH_RUN.search(plain), f"English left in: {text}"
    for value in values:
        assert value in text, f"{value!r} missing from {text!r}"
    if cls is not ClinicError:
        assert f"[{exc.code}]" in box.informativeText()
    box.close()


def test_values_that_are_sizes_and_phrases_are_translated_too(tmp_path, qapp, chinese):
    exc = faults.disk_full(tmp_path, doing=f"writing the backup to {tmp_path}", needed=900)
    exc.params["free"] = 0  # as on a full disk: shown in the user's words, not "0 bytes"
    text = tr_error(exc)
    assert "0 字节" in text and "900 字节" in text
    assert f"向 {tmp_path} 写入备份" in text and "未保存任何内容" in text
    unknown = faults.from_os_error(OSError(errno.ENOSPC, "full"), tmp_path / "gone" / "deeper",
                                   doing="saving the change")  # fmt: skip
    unknown.params["free"] = None
    assert "未知大小的空间" in tr_error(unknown)


def test_in_english_the_dialog_shows_the_core_sentence_and_the_code(tmp_path, qtbot):
    exc = faults.from_os_error(OSError(errno.EROFS, "ro"), tmp_path, doing="saving the change")
    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_error(parent, exc)
    assert box.text() == str(exc) and "[READ_ONLY]" in box.informativeText()
    box.close()
    # An error raised with a sentence of its own and no values keeps its own words.
    own_words = store_errors.SchemaTooNew("This profile was written by a newer version (x).")
    assert tr_error(own_words) == str(own_words)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_english_template_of_a_key_is_the_core_sentence(name, tmp_path):
    """Filled with the error's values, the template the GUI translates is what the core says:
    the two cannot drift apart unnoticed."""
    exc, _values = MAKERS[name](tmp_path)
    if not exc.variant:
        pytest.skip("a sentence of its own: translated as written, or by its code alone")
    template = error_texts.TEMPLATES[exc.key]
    assert error_texts.fields(template) <= exc.params.keys()
    shown = {
        k: (faults.human(v) if k in error_texts.BYTES else ("" if v is None else str(v)))  # type: ignore[arg-type]
        for k, v in exc.params.items()
    }
    assert error_texts.fill(template, shown) == str(exc)


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (423, "account_locked", "Sign-in with this user name is locked after too many failed "
         "attempts. Wait until the lock ends, or ask the administrator to unlock it."),
        (429, "too_many_attempts", "Too many sign-in attempts: wait 8 seconds, then try again."),
        (401, "sign_in_again", "Your session with the central platform has ended (signed out, "
         "revoked or expired): sign in again."),
    ],
)  # fmt: skip
def test_the_central_platform_s_refusals_are_shown_in_chinese(status, code, message, chinese):
    """A sign-in throttled or locked, a session ended: the central's code finds the words."""
    from clinic_app.sync.client import Refused
    from ui.errors import tr_error

    shown = tr_error(Refused(status, code, message))
    assert shown != message and any("\u4e00" <= ch <= "\u9fff" for ch in shown)
