"""Restoring a backup archive into a profile folder, over a damaged or refused profile too.

Everything in the archive is checked (its members, the passphrase, the database's integrity and
schema) in a staging folder beside the profile before the profile is touched. The profile it
replaces is never opened (it may not open: a damaged page or log, a store behind its high-water
mark, a missing key file) and never deleted: it is moved, as it is, to a dated folder next to
it (``<name>.before-restore-<UTC time>``), and the report says where.

The report says what was kept: the backup's time, its record counts and attachments, and what
the replaced profile held that the backup does not, as far as it can still be read. Both are
read with the backup's data key (the same profile keeps its data key when a passphrase
changes), without opening the replaced profile:

* its outbox, read row by row from a private copy of its database and log (stepping over
  damaged pages, as :mod:`local_store.salvage` does): the changes made after the backup, how
  many had been sent to the central platform and how many never were;
* its high-water mark (:mod:`local_store.highwater`): how many transactions were saved after
  the backup was taken, even when the database itself lost them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from local_store import db as dbmod
from local_store import faults
from local_store.atomic import fsync_dir
from local_store.errors import (
    ClinicError,
    IntegrityFailure,
    ProfileExists,
    SchemaTooNew,
)
from local_store.highwater import MARK_NAME, HighWaterMark, Mark, parse_head
from local_store.keyslots import KeyHeader
from local_store.opening import db_state
from local_store.schema import CURRENT_SCHEMA, schema_version

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MARK_PURPOSE = b"clinic high-water mark v1"  # as local_store.store derives the mark's key
SENT_STATES = ("done",)
UNSENT_STATES = ("pending", "uploading", "error", "conflict")


@dataclass
class Replaced:
    """What could be learned of the profile a restore replaced (it was only read)."""

    folder: Path
    after_backup: int | None = None  # outbox changes not in the backup (None: unreadable)
    sent: int = 0  # of them, acknowledged by the central platform
    unsent: int = 0  # of them, never sent (or refused)
    exact: bool = True  # False: damaged pages or a damaged log hid part of the outbox
    db_seq: int | None = None  # the replaced database's own commit sequence
    mark: Mark | None = None  # its high-water mark, when it could be read
    key_file: bool = True  # its own key file could be read
    notes: list[str] = field(default_factory=list)  # why a part could not be read


@dataclass
class RestoreReport:
    """What a restore kept (counts only: no patient data)."""

    profile: Path
    archive: Path
    created: str  # when the backup was taken (UTC, ISO 8601), "" when the archive does not say
    counts: dict[str, int]  # live records per type in the restored profile
    attachments: int
    backup_seq: int  # the backup's commit sequence
    previous: Path | None
    replaced: Replaced | None

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def mark_after(self) -> int | None:
        """Transactions the replaced profile's mark says were saved after the backup."""
        rep = self.replaced
        if rep is None or rep.mark is None:
            return None
        return max(0, rep.mark.commit_seq - self.backup_seq)

    @property
    def missing(self) -> int | None:
        """Changes made after the backup that are not in the restored profile (at least);
        None when that cannot be told."""
        rep = self.replaced
        if rep is None:
            return 0
        return rep.after_backup

    @property
    def lost_unreadable(self) -> bool:
        """The replaced database holds less than its mark said was saved."""
        rep = self.replaced
        return bool(
            rep is not None
            and rep.mark is not None
            and rep.db_seq is not None
            and rep.db_seq < rep.mark.commit_seq
        )

    def lines(self) -> list[str]:
        when = _when(self.created)
        out = [f"Restored into {self.profile} from {self.archive.name}, a backup taken {when}."]
        per_type = ", ".join(f"{n} {t}" for t, n in sorted(self.counts.items())) or "no records"
        out.append(
            f"Kept from the backup: {self.records} records ({per_type}) and"
            f" {self.attachments} attachments."
        )
        if self.previous is None:
            out.append("No profile was replaced.")
            return out
        out.append(
            f"The profile it replaced was moved, unchanged, to {self.previous} (nothing was"
            " deleted)."
        )
        rep = self.replaced
        assert rep is not None
        told = False
        if rep.after_backup is not None:
            told = True
            more = "" if rep.exact else " or more (part of it could not be read)"
            if rep.after_backup == 0 and rep.exact:
                out.append("Changes made after the backup: none is missing from its outbox.")
            else:
                out.append(
                    f"Changes made after the backup that are not in the restored profile:"
                    f" {rep.after_backup}{more} ({rep.sent} had been sent to the central"
                    f" platform, {rep.unsent} never were)."
                )
        if rep.mark is not None and self.mark_after is not None:
            told = True
            out.append(
                f"Its high-water mark: {self.mark_after} transactions (record changes and audit"
                f" entries such as sign-ins) were saved after the backup, the last"
                f" {rep.mark.when}."
            )
            if self.lost_unreadable:
                out.append(
                    "Its database holds fewer changes than that mark: the newest changes cannot"
                    " be read from it at all."
                )
        if not told:
            out.append(
                "Whether changes were made after the backup cannot be told: neither the"
                " replaced profile's high-water mark nor its outbox can be read."
            )
        out.extend(f"  ({note})" for note in rep.notes)
        if self.needs_recovery:
            out.append(
                f"To bring them back: `clinic-app rebuild --profile {self.previous} --out NEW`"
                " receives everything the central platform holds and puts back the unsent"
                f" changes that can be read; `clinic-app salvage --profile {self.previous} --out"
                " NEW` copies every record that can still be read."
            )
            if not rep.key_file:
                out.append(
                    f"Its key file is missing or damaged: copy keys.json from {self.profile}"
                    f" into {self.previous} first (the same profile's keys open it)."
                )
        return out

    @property
    def needs_recovery(self) -> bool:
        """Something the replaced profile held (or may have held) is not in the backup."""
        rep = self.replaced
        if rep is None:
            return False
        if rep.after_backup is None:
            return True
        return rep.after_backup > 0 or not rep.exact or self.lost_unreadable


def _when(created: str) -> str:
    try:
        return datetime.fromisoformat(created).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return "at an unknown time"


def backup_users(archive: Path) -> list[str]:
    """The users whose passphrase opens a backup archive (its key file)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            return KeyHeader.from_bytes(zf.read("keys.json")).users()
    except (zipfile.BadZipFile, KeyError, OSError):
        raise IntegrityFailure("That file is not a readable clinic backup.") from None


def holds_profile(folder: Path) -> bool:
    """A key file or a record database (perhaps without its key file) is in ``folder``."""
    from local_store.store import DB_NAME, HEADER_NAME

    return any((folder / name).exists() for name in (HEADER_NAME, DB_NAME, f"{DB_NAME}-wal"))


def _read_replaced(folder: Path, header: KeyHeader, data_key: bytes, work: Path,
                   backup_outbox: set[str]) -> Replaced:  # fmt: skip
    """What the replaced profile holds beyond the backup, read with the backup's key."""
    from local_store.salvage import DamagedProfile
    from local_store.store import HEADER_NAME, _subkey

    rep = Replaced(folder)
    try:
        own = KeyHeader.from_bytes((folder / HEADER_NAME).read_bytes())
        if own.store_id != header.store_id:
            rep.notes.append("it is another profile than the one backed up: not compared")
            return rep
    except (OSError, ClinicError):  # a missing or damaged key file: the backup's key reads on
        rep.key_file = False
    if (folder / MARK_NAME).exists():
        mark_key = _subkey(data_key, MARK_PURPOSE)
        try:
            hw = HighWaterMark(folder, mark_key, header.store_id, readonly=True)
            try:
                rep.mark = hw.read()
            finally:
                hw.close()
            if rep.mark is None:
                rep.notes.append("its high-water mark file is damaged")
        except OSError as exc:
            rep.notes.append(f"its high-water mark file cannot be read ({exc.strerror})")
    else:
        rep.notes.append("it has no high-water mark file")
    try:
        with DamagedProfile.opened(folder, header, data_key, work) as damaged:
            if not damaged.readable:
                err = damaged.open_error
                rep.notes.append(
                    "its record database cannot be read"
                    + (f" ({err.code})" if isinstance(err, ClinicError) else "")
                )
                return rep
            rows, bad, gaps = damaged.scan("outbox NOT INDEXED", "seq", "change_id, state")
            meta = damaged.read_meta()
            with contextlib.suppress(ValueError):
                rep.db_seq = int(meta.get("commit_seq") or 0)
            newer = [row for row in rows.values() if str(row[0]) not in backup_outbox]
            rep.sent = sum(1 for row in newer if row[1] in SENT_STATES)
            rep.unsent = sum(1 for row in newer if row[1] in UNSENT_STATES)
            rep.after_backup = rep.sent + rep.unsent
            rep.exact = not bad and not gaps and not damaged.log_commits_lost
            if damaged.damaged_pages:
                rep.notes.append(f"{len(damaged.damaged_pages)} of its database pages are damaged")
            if damaged.log_commits_lost:
                rep.notes.append(
                    f"its change log is damaged: {damaged.log_commits_lost} committed changes"
                    " after the damage cannot be read"
                )
    except ClinicError as exc:
        rep.notes.append(f"its record database cannot be read ({exc.code})")
    return rep


@dataclass(frozen=True)
class BackupSummary:
    """What a backup archive holds, read without touching any profile (counts only)."""

    archive: Path
    created: str  # when it was taken (UTC, ISO 8601), "" when the archive does not say
    counts: dict[str, int]  # records per type when it was taken
    attachments: int
    store_id: str

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def _data_key(header: KeyHeader, user: str, passphrase: str, recovery_key: str | None) -> bytes:
    if recovery_key:
        return header.unlock_recovery(recovery_key)
    return header.unlock(user, passphrase)


def inspect(
    archive: Path, user: str, passphrase: str, *, recovery_key: str | None = None
) -> BackupSummary:
    """Check a backup archive before restoring it: every member's checksum, the passphrase
    (or the recovery key) opens its key file, and its manifest; nothing is written. The
    database's own integrity is checked by :func:`restore`, before the profile is touched."""
    try:
        with zipfile.ZipFile(archive) as zf:
            from local_store.store import DB_NAME, HEADER_NAME

            if {MANIFEST, HEADER_NAME, DB_NAME} - set(zf.namelist()):
                raise IntegrityFailure("That file is not a complete clinic backup.")
            if zf.testzip() is not None:
                raise IntegrityFailure("The backup file is damaged.")
            header = KeyHeader.from_bytes(zf.read(HEADER_NAME))
            _data_key(header, user, passphrase, recovery_key)
            manifest = json.loads(zf.read(MANIFEST))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise IntegrityFailure("That file is not a readable clinic backup.") from None
    counts = {
        str(k).removeprefix("records:"): int(n)
        for k, n in dict(manifest.get("counts") or {}).items()
        if str(k).startswith("records:")
    }
    return BackupSummary(
        archive=Path(archive),
        created=str(manifest.get("created") or ""),
        counts=counts,
        attachments=int(manifest.get("attachments") or 0),
        store_id=header.store_id,
    )


def restore(
    archive: Path, profile: Path, user: str, passphrase: str, *, replace: bool = False,
    recovery_key: str | None = None,
) -> RestoreReport:  # fmt: skip
    """Restore a backup archive into ``profile``; see the module's description. With a
    ``recovery_key`` that key opens the backup instead of ``user``'s passphrase."""
    from local_store.store import DB_NAME, HEADER_NAME, Store, _subkey

    archive = Path(archive)
    profile = Path(profile)
    if holds_profile(profile) and not replace:
        raise ProfileExists(
            "A profile (or what is left of one) is in that folder; pass --replace to restore"
            " over it (it is moved aside, never deleted)."
        )
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise IntegrityFailure("That file is not a readable clinic backup.") from None
    doing = f"restoring the backup into {profile.parent}"
    try:
        profile.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=profile.parent, prefix=f".{profile.name}.restore-"))
    except OSError as exc:
        zf.close()
        raise faults.from_os_error(
            exc, profile.parent, doing=doing, outcome="Nothing was changed."
        ) from None
    previous: Path | None = None
    try:
        with zf:
            names = set(zf.namelist())
            if {MANIFEST, HEADER_NAME, DB_NAME} - names:
                raise IntegrityFailure("That file is not a complete clinic backup.")
            for name in names:
                if name.startswith(("/", "..")) or ".." in Path(name).parts:
                    raise IntegrityFailure("The backup holds an unsafe file name.")
            try:
                bad = zf.testzip()
            except (zipfile.BadZipFile, OSError):
                bad = "?"
            if bad is not None:
                raise IntegrityFailure("The backup file is damaged.")
            header = KeyHeader.from_bytes(zf.read(HEADER_NAME))
            data_key = _data_key(header, user, passphrase, recovery_key)
            try:
                manifest = json.loads(zf.read(MANIFEST))
            except ValueError:
                raise IntegrityFailure("The backup file is damaged.") from None
            staging.chmod(0o700)
            zf.extractall(staging)
        (staging / MANIFEST).unlink()
        conn = dbmod.connect(staging / DB_NAME, data_key)
        try:
            if dbmod.integrity_check(conn, path=staging / DB_NAME, key=data_key) != ["ok"]:
                raise IntegrityFailure("The database in the backup is damaged.")
            found = schema_version(conn)
            if found > CURRENT_SCHEMA:
                raise SchemaTooNew(
                    f"The backup was made by a newer version of the program (schema "
                    f"{found}; this version reads up to {CURRENT_SCHEMA}). Install the"
                    " newer version to restore it."
                )
            backup_seq, head = db_state(conn)
            outbox = {str(r[0]) for r in conn.execute("SELECT change_id FROM outbox")}
        except dbmod.DatabaseError as exc:
            raise dbmod.unreadable(exc) from None
        finally:
            conn.close()
        # The restored profile's own high-water mark, where the backup ends: checked at open.
        mark = HighWaterMark(staging, _subkey(data_key, MARK_PURPOSE), header.store_id)
        try:
            mark.advance(backup_seq, *parse_head(head))
        finally:
            mark.close()
        replaced: Replaced | None = None
        if profile.exists():
            with tempfile.TemporaryDirectory(dir=profile.parent, prefix=".restore-read-") as tmp:
                replaced = _read_replaced(profile, header, data_key, Path(tmp), outbox)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            previous = profile.with_name(f"{profile.name}.before-restore-{stamp}")
            profile.rename(previous)
            replaced.folder = previous
        staging.rename(profile)
        fsync_dir(profile.parent)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if previous is not None and not profile.exists():
            with contextlib.suppress(OSError):
                previous.rename(profile)  # put back what was moved: nothing changed
                previous = None
        if isinstance(exc, OSError):
            raise faults.from_os_error(
                exc, profile.parent, doing=doing, outcome="Nothing was changed."
            ) from None
        raise
    if recovery_key:
        store = Store.unlock_recovery(profile, recovery_key)
    else:
        store = Store.unlock(profile, user, passphrase)
    try:
        store.audit("restore", detail=archive.name)
        counts = store.counts()
        folder = store.attachments.folder
        attachments = len(store.attachments.names()) if folder.is_dir() else 0
    finally:
        store.lock()
    report = RestoreReport(
        profile=profile,
        archive=archive,
        created=str(manifest.get("created") or ""),
        counts=counts,
        attachments=attachments,
        backup_seq=backup_seq,
        previous=previous,
        replaced=replaced,
    )
    log.info("restored a backup (%d records; replaced: %s)", report.records, bool(previous))
    return report


__all__ = [
    "BackupSummary", "Replaced", "RestoreReport", "backup_users", "holds_profile", "inspect",
    "restore",
]  # fmt: skip
