"""The profile: who may open it (key slots), its recovery key, backups, its audit trail, what it
holds, and its checks: ``check()`` (``clinic-app check``), ``health()`` (``clinic-app info``) and
the full check in the background (``start_full_check_if_due()``, ``full_check()``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.errors import ValidationError
from local_store.fullcheck import FullCheckResult, FullCheckState
from local_store.restoring import BackupSummary, RestoreReport

__all__ = [
    "BackupSummary", "FullCheckResult", "FullCheckState", "Profile", "RebuildPlan",
    "RestoreReport",
]  # fmt: skip

if TYPE_CHECKING:
    from clinic_app.exchange.tables import Query
    from clinic_app.recovery import RebuildReport
    from local_store.audit import AuditReport
    from local_store.checkup import CheckReport, Credentials
    from local_store.salvage import SalvageReport
    from local_store.store import BackupResult


@dataclass(frozen=True)
class RebuildPlan:
    """What a rebuild from the central platform would replace (for the confirmation)."""

    folder: Path
    records: int
    unsent: int  # changes never sent: put back after the rebuild when they can be read
    server: str | None  # the saved account's central platform; None: not connected


class Profile(Domain):
    @property
    def folder(self) -> Path:
        return self._store.profile

    @property
    def user(self) -> str:
        return self._store.user

    @property
    def schema(self) -> int:
        """The schema version of the profile's database."""
        return self._store.schema

    def users(self) -> list[str]:
        from local_store.store import Store

        return Store.users(self._store.profile)

    def add_user(self, name: str, passphrase: str) -> None:
        self._store.add_user(name, passphrase)

    def remove_user(self, name: str) -> None:
        self._store.remove_user(name)

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewraps the signed-in user's key slot only (the records are not re-encrypted)."""
        self._store.change_passphrase(self._store.user, old, new)

    def new_recovery_key(self) -> str:
        return self._store.new_recovery_key()

    def backup(self, dest: Path, *, skip_damaged: bool = False) -> Path:
        """An encrypted backup through SQLite's backup API (safe while the workstation runs),
        verified: a damaged attachment refuses it unless ``skip_damaged``; read back after."""
        return self._store.backup(dest, skip_damaged=skip_damaged)

    def write_backup(self, dest: Path, *, skip_damaged: bool = False) -> BackupResult:
        """Like :meth:`backup`, with what was left out (``clinic-app backup``): ``dest`` is a
        folder (a dated archive is named in it) or a file."""
        return self._store.write_backup(dest, skip_damaged=skip_damaged)

    @staticmethod
    def backup_users(archive: Path) -> list[str]:
        """The users whose passphrase opens a backup archive."""
        from local_store.restoring import backup_users

        return backup_users(Path(archive))

    def verify_audit(self) -> AuditReport:
        """The audit trail's hash chain checked entry by entry (where it breaks, and why)."""
        return self._store.verify_audit()

    def export_csv(self, out: Path, table: str, query: Query, lang: str = "en") -> int:
        """One table (patients, visits, vitals...) as CSV; returns the rows written."""
        from clinic_app.exchange import tables

        return tables.export_csv(self._store, out, table, query, lang)

    def export_xlsx(
        self, out: Path, chosen: tuple[str, ...], query: Query, lang: str = "en"
    ) -> dict[str, int]:
        """Several tables as sheets of one workbook; rows written per sheet."""
        from clinic_app.exchange import tables

        return tables.export_xlsx(self._store, out, chosen, query, lang)

    def export_fhir(self, out: Path, rtypes: Sequence[str] | None = None) -> int:
        """Every record (or those of ``rtypes``) as FHIR R4 NDJSON or a Bundle (by suffix)."""
        from clinic_app.exchange.fhir_io import export_fhir

        return export_fhir(self._store, out, rtypes)

    def import_fhir(self, path: Path, *, update: bool = False) -> Done[dict[str, int]]:
        """A FHIR Bundle, resource or NDJSON file: all of it or nothing."""
        from clinic_app.exchange.fhir_io import import_file

        return self._write("import", lambda: import_file(self._store, path, update=update))

    def counts(self) -> dict[str, int]:
        return self._store.counts()

    def pending_count(self) -> int:
        return self._store.pending_count()

    def audit_intact(self) -> tuple[bool, int]:
        report = self._store.verify_audit()
        return report.ok, report.entries

    def integrity(self) -> list[str]:
        return self._store.integrity_check()

    def check(self, *, full: bool = False) -> CheckReport:
        """Every part of the open profile checked, reading only (``clinic-app check``): the
        database, its change log, the key file, the high-water mark and every attachment."""
        return self._store.check(full=full)

    @staticmethod
    def check_folder(folder: Path, credentials: Credentials, *, full: bool = False) -> CheckReport:
        """The same check of a profile that is not open (it may not open: that is reported).
        ``credentials`` gets the user names and returns (user, passphrase)."""
        from local_store.checkup import check_profile

        return check_profile(Path(folder), credentials=credentials, full=full)

    def health(self) -> list[str]:
        """What the checks at open found and the high-water mark, for the status display."""
        from local_store.checkup import health_lines

        return health_lines(self._store)

    def start_full_check_if_due(
        self, on_done: Callable[[FullCheckState], None] | None = None
    ) -> FullCheckState | None:
        """Start the full check in the background when it is due (after an unclean shutdown,
        when the last one did not finish or found damage, or is older than the set age):
        returns its state (running), or None when none is due. ``on_done`` gets the result on
        the check's own thread. Call it from the store's thread; it never blocks for the check."""
        from local_store import fullcheck

        return fullcheck.start_if_due(self._store, on_done)

    def full_check(self) -> FullCheckState:
        """The full check's state: running here or elsewhere, and the last result kept."""
        from local_store import fullcheck

        return fullcheck.status(self._store)

    def full_check_max_age_days(self) -> int:
        """Days after which the full check runs again (the ``full_check.max_age_days``
        setting, declared in :data:`local_store.fullcheck.MAX_AGE`)."""
        from local_store import fullcheck

        return fullcheck.max_age_days(self._store)

    def set_full_check_max_age_days(self, days: int | None) -> None:
        from local_store import fullcheck

        try:
            fullcheck.set_max_age_days(self._store, days)
        except ValueError as exc:
            raise ValidationError("full_check_max_age_days", str(exc)) from None

    def setting(self, key: str) -> str | None:
        """A value kept (encrypted) in the profile, such as the clinic's name."""
        return self._store.get_meta(key)

    def set_setting(self, key: str, value: str | None) -> None:
        self._store.set_meta(key, value)

    @staticmethod
    def inspect_backup(
        archive: Path, user: str, passphrase: str, *, recovery_key: str | None = None
    ) -> BackupSummary:
        """Check a backup before restoring it (its checksums, that the passphrase or recovery
        key opens it) and say what it holds; nothing is written (``local_store.restoring``)."""
        from local_store.restoring import inspect

        return inspect(Path(archive), user, passphrase, recovery_key=recovery_key)

    @staticmethod
    def restore(
        archive: Path, profile: Path, user: str, passphrase: str, *, replace: bool = False,
        recovery_key: str | None = None,
    ) -> RestoreReport:  # fmt: skip
        """Restore a backup into ``profile``; a profile there (damaged or refused ones too) is
        never opened, only moved to a dated folder beside; the report says what was kept and
        what the replaced one held beyond the backup (``local_store.restoring``). The
        ``recovery_key``, when given, opens the backup instead of the passphrase."""
        from local_store.restoring import restore

        return restore(Path(archive), Path(profile), user, passphrase, replace=replace,
                       recovery_key=recovery_key)  # fmt: skip

    @staticmethod
    def salvage(damaged: Path, out: Path, user: str, passphrase: str) -> SalvageReport:
        """Copy every readable record of a damaged profile (which need not open) into a new
        profile at ``out`` with the same key slots; the damaged one is only read."""
        from clinic_app.records.common import patient_of
        from local_store.salvage import salvage

        return salvage(Path(damaged), Path(out), user, passphrase, patient_of=patient_of)

    @staticmethod
    async def rebuild(
        damaged: Path, out: Path, user: str, passphrase: str, *,
        server: str | None = None, code: str | None = None,
    ) -> RebuildReport:  # fmt: skip
        """A new profile at ``out`` from the central platform, with the damaged profile's
        changes that were never sent put back in the queue (``clinic_app.recovery``)."""
        from clinic_app.recovery import rebuild

        return await rebuild(Path(damaged), Path(out), user, passphrase, server=server, code=code)

    def rebuild_plan(self, passphrase: str, *, recovery_key: str | None = None) -> RebuildPlan:
        """Before rebuilding this profile from the central platform: that the passphrase (or
        the recovery key) opens its key file (:class:`WrongPassphrase` if not), and what would
        be replaced. Nothing is written."""
        from clinic_app.sync.account import SyncAccount
        from local_store.store import Store

        header = Store.load_header(self._store.profile)
        if recovery_key:
            header.unlock_recovery(recovery_key)
        else:
            header.unlock(self._store.user, passphrase)
        account = SyncAccount.load(self._store)
        return RebuildPlan(
            folder=self._store.profile,
            records=sum(self._store.counts().values()),
            unsent=self._store.pending_count(),
            server=account.server if account is not None else None,
        )

    @staticmethod
    async def rebuild_in_place(
        profile: Path, user: str, passphrase: str, *, recovery_key: str | None = None,
        code: str | None = None, progress: Callable[[str], None] | None = None,
    ) -> RebuildReport:  # fmt: skip
        """Rebuild the (closed) ``profile`` from the central platform and put the result in
        its place; the profile it replaces is moved, unchanged, to a dated folder beside
        (``clinic_app.recovery.rebuild_in_place``)."""
        from clinic_app.recovery import rebuild_in_place

        return await rebuild_in_place(Path(profile), user, passphrase, recovery_key=recovery_key,
                                      code=code, progress=progress)  # fmt: skip
