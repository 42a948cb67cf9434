"""The full check of an open profile, in the background, and its last result kept in the profile.

After an unclean shutdown the store only gets a time-bounded ``quick_check`` at open
(:mod:`local_store.opening`); the full check (``integrity_check``, every page's HMAC, the log,
the high-water mark, the audit chain, every attachment: :func:`local_store.checkup.check_profile`)
then runs here on a thread of its own, with read-only connections of its own, while the
clinic works. It holds off the store's writes only while a chunk of the database file, its log
or its mark is read (milliseconds each), never during SQLite's checks or the attachments.

It is due when the store was opened after an unclean shutdown, when the last one did not
finish or found damage, and when the last one (or, for a profile never checked, its creation)
is older than the profile's ``full_check.max_age_days`` setting (:data:`MAX_AGE`). Its start
and its result (times, verdict, what was damaged) are kept encrypted in the profile's meta
table, so ``clinic-app info`` in another process and the window say the same; a result that
cannot be written (a damaged database may refuse the write) is kept in memory and says so.

    state = fullcheck.start_if_due(store, on_done=print)   # None: not due
    fullcheck.status(store).line()       # "Full check: ok (2026-12-06 21:30, unclean shutdown)"
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from local_store.checkup import SQL_FAILURES, CheckReport
from local_store.errors import ClinicError
from local_store.store import FULL_CHECK_DUE, Store

log = logging.getLogger(__name__)

LAST_META = "full_check.last"  # JSON: the last finished full check (FullCheckResult)
RUNNING_META = "full_check.running"  # JSON: {"started", "reason"} while one runs
STOP_WAIT_S = 5.0  # how long closing the store waits for the check to give up
# What reading or writing the store's own connection may raise on a damaged database: the
# named errors, and what SQLite answers once that connection met a damaged page.
FAILURES: tuple[type[BaseException], ...] = (ClinicError, *SQL_FAILURES)


@dataclass(frozen=True)
class MaxAgeSetting:
    """The declared setting: key in the profile's meta table, default, range, description."""

    key: str
    default: int
    minimum: int
    maximum: int
    description: str


MAX_AGE = MaxAgeSetting(
    "full_check.max_age_days",
    30,
    1,
    365,
    "Days after which the records get a full check in the background again (integrity_check,"
    " every page, the audit chain and every attachment).",
)

Reason = Literal["unclean", "unreadable", "interrupted", "damaged", "age", "never"]
REASONS: dict[str, str] = {
    "unclean": "after an unclean shutdown",
    "unreadable": "the profile's records could not be read",
    "interrupted": "the last one did not finish",
    "damaged": "the last one found damage",
    "age": "the last one is older than the set age",
    "never": "never checked in full",
}
ADVICE = (
    "Run `clinic-app check --full` for the details; restore the newest backup (`clinic-app"
    " restore`), or copy what can be read into a new profile (`clinic-app salvage --out"
    " FOLDER`). Leave the profile folder as it is."
)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class DamagedPart:
    """One part the check found damaged (no patient data: part names, page numbers, codes)."""

    name: str
    detail: str
    code: str | None = None
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class FullCheckResult:
    """A finished full check, as kept in the profile."""

    started: str  # UTC ISO times
    finished: str
    reason: str
    verdict: Literal["ok", "warning", "damaged"]
    summary: str  # CheckReport.verdict(): one sentence
    damaged: tuple[DamagedPart, ...] = ()
    lines: tuple[str, ...] = ()  # the report, one line per part (as `clinic-app check` prints)
    saved: bool = True  # False: the profile refused the write; known in this process only

    @classmethod
    def of(cls, report: CheckReport, started: str, reason: str) -> FullCheckResult:
        damaged = tuple(DamagedPart(p.name, p.detail, p.code, p.items) for p in report.damaged)
        warned = any(p.verdict == "warning" for p in report.parts)
        verdict: Literal["ok", "warning", "damaged"] = (
            "damaged" if not report.ok else "warning" if warned else "ok"
        )
        return cls(
            started, _iso(_now()), reason, verdict, report.verdict(), damaged, tuple(report.lines())
        )

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "started": self.started,
            "finished": self.finished,
            "reason": self.reason,
            "verdict": self.verdict,
            "summary": self.summary,
            "damaged": [
                {"name": d.name, "detail": d.detail, "code": d.code, "items": list(d.items)}
                for d in self.damaged
            ],
            "lines": list(self.lines),
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> FullCheckResult | None:
        """The kept result; None for one this version cannot read (checked again then)."""
        try:
            data = json.loads(text)
            return cls(
                str(data["started"]), str(data["finished"]), str(data["reason"]),
                data["verdict"], str(data["summary"]),
                tuple(
                    DamagedPart(str(d["name"]), str(d["detail"]), d.get("code"),
                                tuple(d.get("items", ())))
                    for d in data.get("damaged", ())
                ),
                tuple(str(x) for x in data.get("lines", ())),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.finished)


@dataclass(frozen=True)
class FullCheckState:
    """What ``info`` and the sync bar show: running (since when, why), and the last result."""

    running: bool = False
    started: str | None = None  # of the check running, or of one that did not finish
    reason: str | None = None  # why the running one was started
    last: FullCheckResult | None = None
    here: bool = False  # running in this process (else known from the profile only)
    unclean_due: bool = False  # opened after an unclean shutdown, not checked in full since

    @property
    def damaged(self) -> bool:
        """The last full check found damage (shown while a new one runs, until it says not)."""
        return self.last is not None and self.last.verdict == "damaged"

    def line(self) -> str:
        """One line for ``clinic-app info``."""
        if self.running and self.started is not None:
            since = _local(self.started)
            why = REASONS.get(self.reason or "", "")
            if self.here:
                text = f"Full check: running since {since} ({why})"
            else:
                text = (
                    f"Full check: running since {since} ({why}) in the workstation, or it was"
                    " interrupted (it runs again at the next sign-in)"
                )
            if self.last is not None:
                text += f"; the last one finished {_local(self.last.finished)}: {self.last.verdict}"
            return text + "."
        last = self.last
        if self.unclean_due:
            text = (
                "Full check: due after an unclean shutdown (it runs in the background at the next"
                " sign-in in the workstation; now: `clinic-app check --full`)"
            )
            if last is not None:
                text += f"; the last one finished {_local(last.finished)}: {last.verdict}"
            return text + "."
        if last is None:
            return (
                "Full check: never (it runs in the background when it is due; now: `clinic-app"
                " check --full`)."
            )
        kept = "" if last.saved else " (not saved in the profile: the write failed)"
        why = REASONS.get(last.reason, last.reason)
        head = f"Full check: {last.verdict} ({_local(last.finished)}, {why}){kept}"
        if last.verdict != "damaged":
            return head + "."
        parts = "; ".join(f"{d.name}: {d.detail}" for d in last.damaged)
        return f"{head}: {parts}. {ADVICE}"


# ------------------------------------------------------------------------------ reading --
def max_age_days(store: Store) -> int:
    raw = store.get_meta(MAX_AGE.key)
    try:
        days = int(raw) if raw is not None else MAX_AGE.default
    except ValueError:
        return MAX_AGE.default
    return min(max(days, MAX_AGE.minimum), MAX_AGE.maximum)


def set_max_age_days(store: Store, days: int | None) -> None:
    """Set the age (None: back to the default); outside the range raises ValueError."""
    if days is not None and not MAX_AGE.minimum <= int(days) <= MAX_AGE.maximum:
        raise ValueError(
            f"The full check age must be from {MAX_AGE.minimum} to {MAX_AGE.maximum} days."
        )
    store.set_meta(MAX_AGE.key, None if days is None else str(int(days)))


def _running_meta(store: Store) -> dict[str, str] | None:
    raw = store.get_meta(RUNNING_META)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return {"started": str(data["started"]), "reason": str(data.get("reason", ""))}
    except (ValueError, KeyError, TypeError):
        return None


def _runner(store: Store) -> BackgroundCheck | None:
    runner = _runners.get(id(store))
    return runner if runner is not None and runner.store is store else None


def last_result(store: Store) -> FullCheckResult | None:
    """The newest result: found in this process, else kept in the profile (which a damaged
    database may fail to read: then none)."""
    runner = _runner(store)
    if runner is not None and runner.result is not None:
        return runner.result
    try:
        raw = store.get_meta(LAST_META)
    except FAILURES:
        return None
    return FullCheckResult.from_json(raw) if raw is not None else None


def status(store: Store) -> FullCheckState:
    """The full check's state: from this process if it runs here, else from the profile."""
    last = last_result(store)
    runner = _runner(store)
    if runner is not None and runner.running:
        return FullCheckState(True, runner.started, runner.reason, last, here=True)
    try:
        running = _running_meta(store)
        unclean = store.get_meta(FULL_CHECK_DUE) is not None
    except FAILURES:
        running, unclean = None, False
    unfinished = running is not None and (last is None or last.started < running["started"])
    if running is not None and unfinished and runner is None:  # elsewhere, or interrupted
        return FullCheckState(True, running["started"], running["reason"], last)
    return FullCheckState(False, None, None, last, runner is not None, unclean)


def _created(store: Store) -> datetime | None:
    stamp = store.created_at()
    try:
        when = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def due(store: Store, now: datetime | None = None) -> Reason | None:
    """Why a full check is due now (None: it is not)."""
    if store.opened_unclean:
        return "unclean"
    try:
        return _due(store, now or _now())
    except FAILURES:  # the store's own connection cannot read its records: check them
        return "unreadable"


def _due(store: Store, now: datetime) -> Reason | None:
    if store.get_meta(FULL_CHECK_DUE) is not None:
        return "unclean"  # left due by a process that did not run the check (the CLI)
    last = last_result(store)
    running = _running_meta(store)
    if running is not None and (last is None or last.started < running["started"]):
        return "interrupted"
    age = timedelta(days=max_age_days(store))
    if last is None:
        created = _created(store)
        return "never" if created is None or now - created > age else None
    if last.verdict == "damaged":
        return "damaged"
    return "age" if now - last.when > age else None


# ------------------------------------------------------------------------------ running --
@dataclass
class BackgroundCheck:
    """One full check of an open store on a thread of its own. :meth:`stop` is called by the
    store before it closes (and waits up to :data:`STOP_WAIT_S` for the thread)."""

    store: Store
    reason: str
    on_done: Callable[[FullCheckState], None] | None = None
    started: str = field(default_factory=lambda: _iso(_now()))
    result: FullCheckResult | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.result is None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="full-check", daemon=True)
        self.store.before_lock(self.stop)
        self._thread.start()

    def stop(self) -> None:
        """Give up (the store is closing): nothing found since is kept."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_WAIT_S)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        store = self.store
        try:
            try:
                store.set_meta(
                    RUNNING_META, json.dumps({"started": self.started, "reason": self.reason})
                )
            except FAILURES as exc:  # not kept: still checked, the result said in memory
                log.warning("the start of the full check was not recorded: %r", exc)
            report = store.check_lightly(self._stop.is_set)
            if self._stop.is_set():
                return
            result = FullCheckResult.of(report, self.started, self.reason)
            try:
                store.set_meta_many(
                    {LAST_META: result.to_json(), RUNNING_META: None, FULL_CHECK_DUE: None}
                )
            except FAILURES as exc:
                if self._stop.is_set():
                    return
                log.warning("the full check's result could not be kept: %r", exc)
                result = FullCheckResult(**{**result.__dict__, "saved": False})
            self.result = result
            log.info("full check (%s): %s", self.reason, result.verdict)
        except ClinicError as exc:  # the store was locked under it, or its key is gone
            if not self._stop.is_set():
                log.warning("the full check stopped: %s", exc.code)
            return
        except Exception:  # a thread of its own: nothing above it would say so
            log.exception("the full check failed")
            return
        finally:
            store.forget_before_lock(self.stop)
        if self.on_done is not None and not self._stop.is_set():
            self.on_done(FullCheckState(False, None, None, self.result, here=True))


_runners: dict[int, BackgroundCheck] = {}  # id(store) -> its check (the last one started)


def start_if_due(
    store: Store,
    on_done: Callable[[FullCheckState], None] | None = None,
    now: datetime | None = None,
) -> FullCheckState | None:
    """Start the full check in the background if it is due (and not running here already);
    returns the state then (running), or None when none was started. Call it from the store's
    thread: it reads the profile."""
    current = _runner(store)
    if current is not None and current.running:
        return None
    reason = due(store, now)
    if reason is None:
        return None
    runner = BackgroundCheck(store, reason, on_done)
    _runners[id(store)] = runner

    def forget() -> None:
        if _runners.get(id(store)) is runner:
            del _runners[id(store)]

    store.before_lock(forget)
    runner.start()
    return FullCheckState(True, runner.started, reason, last_result(store), here=True)


def runner_of(store: Store) -> BackgroundCheck | None:
    """The check started on ``store`` in this process, if any (for tests and the window)."""
    return _runner(store)
