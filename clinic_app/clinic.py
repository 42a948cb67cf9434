"""`Clinic`: one open profile and everything a clinic's day needs, with no Qt in it.

    with Clinic.open(profile, "dr.li", passphrase) as clinic:
        patient = clinic.patients.register(PatientInput(family="王", given="芳", ...)).value
        visit = clinic.visits.record(patient_id=patient["id"], kind="initial", ...)
        print(visit.changes.types)        # {'Encounter', 'QuestionnaireResponse', 'Observation'}
        clinic.consults.ask(patient_id=patient["id"], specialty="cardiology", ...)
        asyncio.run(clinic.sync.engine().sync_once())

It owns the encrypted store (its single writer is whoever calls it: the GUI's store thread, the
CLI's main thread), the audit trail, the sync account and engine, and the services by domain
(``clinic_app.domains``). Every write returns :class:`~clinic_app.changes.Done`: its result and
the :class:`~clinic_app.changes.Changes` it made, taken from what the store committed, so no
caller has to say which record types it touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from clinic_app.changes import Changes, Done
from clinic_app.domains.allergies import Allergies
from clinic_app.domains.backups import Backups
from clinic_app.domains.calls import Calls
from clinic_app.domains.consults import Consults
from clinic_app.domains.documents import Documents
from clinic_app.domains.followups import Followups
from clinic_app.domains.letters import Letters
from clinic_app.domains.medications import Medications
from clinic_app.domains.orders import Orders
from clinic_app.domains.patients import Patients
from clinic_app.domains.problems import Problems
from clinic_app.domains.profile import Profile
from clinic_app.domains.queries import Queries
from clinic_app.domains.registers import Registers
from clinic_app.domains.schedule import Schedule
from clinic_app.domains.sync import Sync
from clinic_app.domains.visits import Visits
from clinic_app.errors import ClinicError
from local_store import faults
from local_store.store import Store

T = TypeVar("T")


class Clinic:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.patients = Patients(self)
        self.visits = Visits(self)
        self.consults = Consults(self)
        self.orders = Orders(self)
        self.medications = Medications(self)
        self.schedule = Schedule(self)
        self.followups = Followups(self)
        self.documents = Documents(self)
        self.profile = Profile(self)
        self.calls = Calls(self)
        self.sync = Sync(self)
        self.backups = Backups(self)
        self.problems = Problems(self)
        self.allergies = Allergies(self)
        self.registers = Registers(self)
        self.queries = Queries(self)
        self.letters = Letters(self)

    # ----------------------------------------------------------------------- opening --
    @staticmethod
    def exists(profile: Path) -> bool:
        return Store.exists(Path(profile))

    @staticmethod
    def users(profile: Path) -> list[str]:
        return Store.users(Path(profile))

    @classmethod
    def open(cls, profile: Path, user: str, passphrase: str) -> Clinic:
        """Unlock a profile (Argon2id: ~0.2 s; run it off the GUI thread)."""
        return cls(Store.unlock(Path(profile), user, passphrase))

    @classmethod
    def create(
        cls, profile: Path, user: str, passphrase: str, *, set_aside: bool = False
    ) -> tuple[Clinic, str]:
        """A new profile; returns it and the recovery key (to show once). A record database
        found there without its key file is refused unless ``set_aside`` (it is kept, renamed)."""
        store, recovery = Store.create(Path(profile), user, passphrase, set_aside=set_aside)
        return cls(store), recovery

    @staticmethod
    def check_recovery_key(profile: Path, recovery_key: str) -> None:
        """Refuse a wrong recovery key (WrongPassphrase) before a new passphrase is asked for."""
        Store.load_header(Path(profile)).unlock_recovery(recovery_key)

    @staticmethod
    def file_fault(exc: OSError, folder: Path, *, doing: str, outcome: str) -> ClinicError:
        """The named fault (a full disk, a read-only medium, no permission...) for an
        ``OSError`` met while ``doing`` something with a file in ``folder`` outside the profile
        (an export, an import); its message says ``outcome``."""
        return faults.from_os_error(exc, Path(folder), doing=doing, outcome=outcome)

    @classmethod
    def recover(cls, profile: Path, recovery_key: str, user: str, new_passphrase: str) -> Clinic:
        """Set ``user``'s passphrase anew with the recovery key; signed in as that user."""
        return cls(Store.recover(Path(profile), recovery_key, user, new_passphrase))

    def close(self) -> None:
        """Lock the records: the data key leaves memory."""
        self._store.lock()

    @property
    def closed(self) -> bool:
        return self._store.locked

    def __enter__(self) -> Clinic:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------ core --
    @property
    def store(self) -> Store:
        """The encrypted store, for the core's own modules (sync engine, exchange, demo data);
        screens and the media layer go through the services."""
        return self._store

    @property
    def user(self) -> str:
        return self._store.user

    def run(self, work: Callable[[], T], reason: str = "") -> Done[T]:
        """Run a write and say what it changed (what its committed transactions wrote)."""
        with self._store.recording() as written:
            value = work()
        return Done(value, Changes.of(written, reason))
