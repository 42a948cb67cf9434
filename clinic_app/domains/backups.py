"""Automatic backups: to a folder the clinic chooses (another disk, a USB stick, a network
share), on a schedule and at close, each archive verified after writing, old ones rotated.

    clinic.backups.configure(target="/media/usb/clinic", interval_hours=24)
    if clinic.backups.due():
        result = clinic.backups.run()   # writes, verifies, rotates; named error on failure
    clinic.backups.status().warning     # "", "off", "missing", "unwritable", "never", "too_old"

The archive is the store's own (:meth:`local_store.store.Store.write_backup`: SQLite's backup
API from one read snapshot, so it is safe while the workstation runs; as encrypted as the
profile), and the store reads it back before it takes its name: the zip's checksums, the key
file, the database copy opens, passes ``quick_check`` and holds the snapshot's counts, every
attachment decrypts. Only then is it "good"; one that fails leaves nothing behind, named.

Rotation keeps the newest archive of each of the last ``keep_daily`` days and of each of the
last ``keep_weekly`` weeks, and always the newest good one. It only ever deletes files that
are ours: named ``clinic-backup-<first 8 of this profile's id>-<local time>.clinicbackup``
(the clinic's wall-clock time with its UTC offset, ``2026-05-01_14-30-00+0800``, so the name
says when a person would; names of earlier versions end in a UTC time, ``20260501T063000Z``,
and are still recognised), never anything else in the folder (several workstations may share
one).

The settings are declared once here (key, type, default, description, range) and kept in the
profile's encrypted store, so the GUI and ``clinic-app backups`` (cron) read the same ones.
A target that is not there is never created: a missing USB stick or share must not turn into
a folder on the local disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from local_store import faults
from local_store.atomic import fsync_dir
from local_store.errors import (
    ClinicError,
    MediumRemoved,
    StoreError,
)

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

log = logging.getLogger(__name__)

SUFFIX = ".clinicbackup"
STAMP = "%Y-%m-%d_%H-%M-%S%z"  # local time and its offset from UTC
UTC_STAMP = "%Y%m%dT%H%M%SZ"  # the names of earlier versions
NAME = re.compile(
    r"clinic-backup-(?P<store>[0-9a-f]{8})-"
    r"(?P<stamp>\d{8}T\d{6}Z|\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}[+-]\d{4})\.clinicbackup"
)
GOOD_META = "backup.good"  # JSON: the verified archives [{name, target, made, records, seconds}]
STALE_PARTIAL = timedelta(hours=1)  # an unfinished file of ours older than this is left over


class BackupsOff(StoreError):
    """No backup folder is chosen: automatic backups are off."""

    code = "BACKUPS_OFF"
    exit_status = 9


# ------------------------------------------------------------------------------ settings --
@dataclass(frozen=True)
class BackupSetting:
    key: str
    type: type
    default: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None


TARGET = BackupSetting(
    "backup.target",
    str,
    "",
    "Folder for automatic backups, best on another disk, a USB stick or a network share"
    " (empty: automatic backups are off).",
)
INTERVAL_HOURS = BackupSetting(
    "backup.interval_hours", int, 24, "Hours between automatic backups.", 1, 24 * 7
)
KEEP_DAILY = BackupSetting(
    "backup.keep_daily", int, 7, "How many daily backups to keep (the newest of each day).", 1, 90
)
KEEP_WEEKLY = BackupSetting(
    "backup.keep_weekly", int, 4, "How many weekly backups to keep (the newest of each week).",
    0, 104,
)  # fmt: skip
WARN_AFTER_DAYS = BackupSetting(
    "backup.warn_after_days", int, 2, "Warn when the newest good backup is older than this"
    " many days.", 1, 90,
)  # fmt: skip
SETTINGS = (TARGET, INTERVAL_HOURS, KEEP_DAILY, KEEP_WEEKLY, WARN_AFTER_DAYS)
BY_NAME = {s.key.removeprefix("backup."): s for s in SETTINGS}


@dataclass(frozen=True)
class BackupPlan:
    """The settings' values."""

    target: Path | None
    interval_hours: int = INTERVAL_HOURS.default
    keep_daily: int = KEEP_DAILY.default
    keep_weekly: int = KEEP_WEEKLY.default
    warn_after_days: int = WARN_AFTER_DAYS.default

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=self.interval_hours)

    @property
    def warn_after(self) -> timedelta:
        return timedelta(days=self.warn_after_days)


def _checked(spec: BackupSetting, value: object) -> Any:
    """``value`` for ``spec`` or a ValidationError naming the setting."""
    name = spec.key.removeprefix("backup.")
    if spec.type is int:
        if isinstance(value, bool):
            raise ValidationError(name, f"The {name} setting takes a whole number.")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError(name, f"The {name} setting takes a whole number.") from None
        low, high = spec.minimum, spec.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValidationError(name, f"The {name} setting must be from {low} to {high}.")
        return number
    return str(value).strip()


# ---------------------------------------------------------------------------- results --
@dataclass(frozen=True)
class Archive:
    """One of our archives in the target folder, with the time in its name."""

    path: Path
    made: datetime

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Verified:
    """What reading a new archive back found."""

    records: int
    counts: dict[str, int]
    attachments: int
    missing_attachments: int


@dataclass(frozen=True)
class BackupResult:
    path: Path
    made: datetime
    seconds: float
    verified: Verified
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupStatus:
    """What the sync bar and ``clinic-app backups status`` say.

    ``target_state``: "off" (no folder chosen), "ok", "missing" (not there: a stick or share
    not connected) or "unwritable" (read-only, no permission, full). ``warning``: "" when all
    is well, else "off", "missing", "unwritable", "never" (no good backup in the folder) or
    "too_old" (the newest good one is older than the set age).
    """

    plan: BackupPlan
    target_state: str
    problem: str
    newest_good: datetime | None
    newest_name: str
    good_count: int
    due: bool
    warning: str
    same_disk: bool
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.newest_good is None else self.now - self.newest_good

    def message(self) -> str:
        """One English line (the command line; the GUI words it from the fields)."""
        target = self.plan.target
        if self.warning == "off":
            return "Automatic backups are off: no backup folder is chosen."
        if self.warning in ("missing", "unwritable"):
            return self.problem
        if self.warning == "never":
            return f"No good backup in {target} yet."
        when = self.newest_good.astimezone().strftime("%Y-%m-%d %H:%M") if self.newest_good else ""
        days = (self.age or timedelta()).days
        if self.warning == "too_old":
            return (
                f"The newest good backup in {target} is {days} days old ({when}); the set"
                f" limit is {self.plan.warn_after_days} days."
            )
        return f"Newest good backup {when} in {target} ({self.good_count} kept)."


# ---------------------------------------------------------------------------- helpers --
def archive_name(store_id: str, made: datetime) -> str:
    """The file name of an archive made at ``made``: in local time, with the UTC offset."""
    return f"clinic-backup-{store_id[:8]}-{made.astimezone().strftime(STAMP)}{SUFFIX}"


def stamp_time(stamp: str) -> datetime:
    """The moment a name's stamp says (either form), as an aware datetime."""
    if stamp.endswith("Z"):
        return datetime.strptime(stamp, UTC_STAMP).replace(tzinfo=UTC)
    return datetime.strptime(stamp, STAMP)


def ours(folder: Path, store_id: str) -> list[Archive]:
    """Our archives in ``folder``, oldest first (files whose name says this profile)."""
    found: list[Archive] = []
    for entry in os.scandir(folder):
        match = NAME.fullmatch(entry.name)
        if match is None or match["store"] != store_id[:8] or not entry.is_file():
            continue
        made = stamp_time(match["stamp"])
        found.append(Archive(Path(entry.path), made))
    return sorted(found, key=lambda a: a.made)


def to_keep(
    archives: Iterable[Archive], keep_daily: int, keep_weekly: int, newest_good: str | None
) -> set[str]:
    """Names to keep: the newest of each of the last ``keep_daily`` days (local calendar) and
    of each of the last ``keep_weekly`` ISO weeks, and the newest good one whatever its age."""
    newest_first = sorted(archives, key=lambda a: a.made, reverse=True)
    keep: set[str] = set()
    days: set[date] = set()
    weeks: set[tuple[int, int]] = set()
    for archive in newest_first:
        day = archive.made.astimezone().date()
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(archive.name)
        week = day.isocalendar()[:2]
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(archive.name)
    if newest_good:
        keep.add(newest_good)
    return keep


def target_problem(target: Path) -> ClinicError | None:
    """Why a backup cannot be written to ``target`` now (None: it can)."""
    outcome = "No backup was made."
    try:
        present = target.is_dir()
    except OSError:
        present = False
    if not present:
        return MediumRemoved(
            f"The backup folder {target} is not there: the disk, USB stick or network share"
            f" is not connected, or the folder was removed. {outcome}"
        )
    found = faults.probe(target)
    if found is not None:
        return faults.from_os_error(
            found, target, doing="checking the backup folder", outcome=outcome
        )
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("an old backup could not be removed (%s)", exc.strerror)
        return False
    return True


# ---------------------------------------------------------------------------- service --
class Backups(Domain):
    """``clinic.backups``: settings, ``run``, ``status`` and ``due`` for automatic backups."""

    def __init__(self, clinic: Clinic, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clinic)
        #: What time it is (aware); tests put a clock of their own here.
        self.clock: Callable[[], datetime] = clock or _utc_now

    # ---- settings
    def plan(self) -> BackupPlan:
        values: dict[str, Any] = {}
        for name, spec in BY_NAME.items():
            raw = self._store.get_meta(spec.key)
            try:
                values[name] = spec.default if raw is None else _checked(spec, raw)
            except ValidationError:
                values[name] = spec.default  # kept by an older version: out of range
        target = str(values.pop("target"))
        return BackupPlan(Path(target) if target else None, **values)

    def configure(self, **changes: object) -> BackupPlan:
        """Change settings by name (``target``, ``interval_hours``, ``keep_daily``,
        ``keep_weekly``, ``warn_after_days``). Everything is checked before anything is kept:
        a bad value raises :class:`ValidationError` and changes nothing. The target must be an
        existing folder outside the profile (an empty one turns automatic backups off)."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            spec = BY_NAME.get(name)
            if spec is None:
                raise ValidationError(name, f"There is no backup setting called {name}.")
            checked[name] = _checked(spec, value)
        if checked.get("target"):
            checked["target"] = str(self._check_target_choice(Path(checked["target"])))
        with self._store.transaction("saving the backup settings") as conn:
            for name, value in checked.items():
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (BY_NAME[name].key, str(value)),
                )
        return self.plan()

    def _check_target_choice(self, target: Path) -> Path:
        target = target.expanduser()
        if not target.is_absolute():
            raise ValidationError("target", "Give the backup folder as a full path.")
        if not target.is_dir():
            raise ValidationError(
                "target", "That backup folder does not exist; connect the disk or create it."
            )
        target = target.resolve()
        profile = self._store.profile.resolve()
        if target == profile or profile in target.parents:
            raise ValidationError(
                "target", "Choose a folder outside the profile, best on another disk."
            )
        return target

    def same_disk(self, target: Path) -> bool:
        """Whether ``target`` is on the disk that holds the records (a failing disk would take
        both)."""
        try:
            return os.stat(target).st_dev == os.stat(self._store.profile).st_dev
        except OSError:
            return False

    # ---- what is there
    def _good(self) -> list[dict[str, Any]]:
        raw = self._store.get_meta(GOOD_META)
        try:
            entries = json.loads(raw) if raw else []
        except json.JSONDecodeError:
            return []
        return [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]

    def _good_here(self, target: Path, present: bool) -> list[dict[str, Any]]:
        """Verified archives of ``target`` (those still there, when it can be looked at),
        oldest first."""
        entries = [e for e in self._good() if e.get("target") == str(target)]
        if present:
            entries = [e for e in entries if (target / e["name"]).is_file()]
        return sorted(entries, key=lambda e: str(e.get("made", "")))

    def _newest_good(self, plan: BackupPlan, present: bool) -> dict[str, Any] | None:
        if plan.target is None:
            return None
        good = self._good_here(plan.target, present)
        return good[-1] if good else None

    def due(self) -> bool:
        """Whether a backup should run now: a folder is chosen and there, and the newest good
        backup in it is older than the interval (or there is none)."""
        plan = self.plan()
        if plan.target is None or not plan.target.is_dir():
            return False
        newest = self._newest_good(plan, present=True)
        if newest is None:
            return True
        return self.clock() - datetime.fromisoformat(newest["made"]) >= plan.interval

    def status(self) -> BackupStatus:
        plan, now = self.plan(), self.clock()
        if plan.target is None:
            return BackupStatus(plan, "off", "", None, "", 0, False, "off", False, now)
        problem = target_problem(plan.target)
        state = "ok"
        if isinstance(problem, MediumRemoved):
            state = "missing"
        elif problem is not None:
            state = "unwritable"
        good = self._good_here(plan.target, present=state != "missing")
        newest = datetime.fromisoformat(good[-1]["made"]) if good else None
        due = state == "ok" and (newest is None or now - newest >= plan.interval)
        if state != "ok":
            warning = state
        elif newest is None:
            warning = "never"
        elif now - newest > plan.warn_after:
            warning = "too_old"
        else:
            warning = ""
        return BackupStatus(
            plan=plan,
            target_state=state,
            problem=str(problem) if problem else "",
            newest_good=newest,
            newest_name=good[-1]["name"] if good else "",
            good_count=len(good),
            due=due,
            warning=warning,
            same_disk=state != "missing" and self.same_disk(plan.target),
            now=now,
        )

    def newest_good_archive(self) -> Path | None:
        """The newest verified backup still in the chosen folder (None: none there)."""
        plan = self.plan()
        if plan.target is None or not plan.target.is_dir():
            return None
        newest = self._newest_good(plan, present=True)
        return None if newest is None else plan.target / newest["name"]

    def last_seconds(self) -> float | None:
        """How long the newest good backup took to write and verify (None: never made)."""
        plan = self.plan()
        newest = self._newest_good(plan, present=False)
        return None if newest is None else float(newest.get("seconds") or 0.0)

    # ---- making one
    def run(self) -> BackupResult:
        """Write a backup into the chosen folder, verify it, then rotate the old ones.

        Raises :class:`BackupsOff` without a folder, a :class:`StorageFault` (the folder is
        missing, read-only, full ...) or an :class:`IntegrityFailure` (the archive did not read
        back, an attachment is damaged); then no new file is left and nothing in the folder or
        the profile was changed."""
        plan = self.plan()
        if plan.target is None:
            raise BackupsOff(
                "No backup folder is chosen: choose one in the settings or with"
                " `clinic-app backups set --target FOLDER`."
            )
        target = plan.target
        problem = target_problem(target)
        if problem is not None:
            raise problem
        store = self._store
        made = self.clock().astimezone(UTC).replace(microsecond=0)
        dest = target / archive_name(store.store_id, made)
        if dest.exists():
            raise StoreError(
                f"A backup named {dest.name} is already in {target}; try again in a second."
            )
        started = time.monotonic()
        # The store writes the archive from one read snapshot and reads it back before it
        # takes its name (checksums, key file, quick_check, the snapshot's counts, every
        # attachment decrypted); a damaged attachment refuses the backup, named.
        written = store.write_backup(dest)
        counts = {
            k.removeprefix("records:"): n for k, n in written.counts.items()
            if k.startswith("records:")
        }  # fmt: skip
        verified = Verified(
            records=sum(counts.values()),
            counts=counts,
            attachments=written.attachments,
            missing_attachments=len(written.left_out),
        )
        seconds = round(time.monotonic() - started, 3)
        entry = {
            "name": written.path.name,
            "target": str(target),
            "made": made.isoformat(),
            "records": verified.records,
            "seconds": seconds,
        }
        others = [e for e in self._good() if e.get("name") != written.path.name]
        self._store.set_meta(GOOD_META, json.dumps([*others, entry]))
        removed = self.rotate(plan)
        notes = []
        if verified.missing_attachments:
            notes.append(
                f"{verified.missing_attachments} attachment files of the profile were missing"
                " and are not in the backup (run `clinic-app check`)."
            )
        return BackupResult(written.path, made, seconds, verified, removed, notes)

    def rotate(self, plan: BackupPlan | None = None) -> list[str]:
        """Remove our archives beyond the kept daily and weekly ones (never the newest good
        one, never another file) and our own unfinished files left by an interrupted backup.
        Returns the names removed."""
        plan = plan or self.plan()
        if plan.target is None or not plan.target.is_dir():
            return []
        target, store_id = plan.target, self._store.store_id
        try:
            archives = ours(target, store_id)
        except OSError as exc:
            raise faults.from_os_error(
                exc, target, doing="listing the old backups", outcome="Nothing was removed."
            ) from None
        newest = self._newest_good(plan, present=True)
        keep = to_keep(
            archives, plan.keep_daily, plan.keep_weekly, newest["name"] if newest else None
        )
        removed = [a.name for a in archives if a.name not in keep and _remove(a.path)]
        now = self.clock()
        with contextlib.suppress(OSError):
            for entry in os.scandir(target):
                inner = entry.name.removeprefix(".").removesuffix(".partial")
                match = NAME.fullmatch(inner)
                if (
                    entry.name.startswith(".")
                    and entry.name.endswith(".partial")
                    and match is not None
                    and match["store"] == store_id[:8]
                    and now - stamp_time(match["stamp"]) > STALE_PARTIAL
                    and _remove(Path(entry.path))
                ):
                    removed.append(entry.name)
        if removed:
            fsync_dir(target)
            gone = set(removed)
            kept = [
                e for e in self._good()
                if not (e.get("target") == str(target) and e["name"] in gone)
            ]  # fmt: skip
            self._store.set_meta(GOOD_META, json.dumps(kept))
        return removed


__all__ = [
    "SETTINGS",
    "BackupPlan",
    "BackupResult",
    "BackupStatus",
    "Backups",
    "BackupsOff",
]
