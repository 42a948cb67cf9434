"""The local record store's errors: subclasses of the product's one base, ``ClinicError``.

The base (with its stable ``code``, ``exit_status``, ``variant`` and ``params``) is defined in
``clinic_errors``, below this package, so the central platform and the core share it without
loading the store; it is re-exported here because much of the product imports it from here.
Every class has a stable ``code`` and an ``exit_status`` distinct per class of fault, so
scripts and support staff can tell a full disk from a damaged database without parsing text;
the GUI translates an error by its ``key`` (``ui/error_texts.py``).
"""

from __future__ import annotations

from clinic_errors import ClinicError

# What to do, at the end of the sentences of a damaged or rolled-back store (worded once, with
# their translations, in clinic_errors.texts).
from clinic_errors.texts import RECOVER as RECOVER
from clinic_errors.texts import RECOVER_BEHIND as RECOVER_BEHIND


class StoreError(ClinicError):
    """Something about the local record store."""

    code = "STORE"


class WrongPassphrase(StoreError):
    """The passphrase or recovery key does not open this profile."""

    code = "WRONG_PASSPHRASE"
    exit_status = 5


class IntegrityFailure(StoreError):
    """Stored bytes were altered or damaged; nothing was returned from them."""

    code = "DAMAGED"
    exit_status = 30


class StoreLocked(StoreError):
    """The store is locked; unlock it first."""

    code = "LOCKED"


class NotFound(StoreError):
    """A record, user or attachment that does not exist."""

    code = "NOT_FOUND"


class SchemaTooNew(StoreError):
    """The profile was written by a newer version of the program."""

    code = "SCHEMA_TOO_NEW"
    exit_status = 6


class ProfileExists(StoreError):
    """A profile already exists where a new one was to be created."""

    code = "PROFILE_EXISTS"


class ProfileBusy(StoreError):
    """Another program holds the profile's database open for writing."""

    code = "PROFILE_BUSY"
    exit_status = 7


# --------------------------------------------------------------- the medium under the store --
class StorageFault(StoreError):
    """The disk or folder under the store failed an operation; what it did is in the message."""

    code = "STORAGE"
    exit_status = 24


class DiskFull(StorageFault):
    """No space left (or quota exceeded) where the store or a backup was being written."""

    code = "DISK_FULL"
    exit_status = 20


class ReadOnlyMedium(StorageFault):
    """The disk or folder is mounted read-only (a write-protected stick, a remount after errors)."""

    code = "READ_ONLY"
    exit_status = 21


class MediumRemoved(StorageFault):
    """The disk, stick or network share is gone."""

    code = "MEDIUM_REMOVED"
    exit_status = 22


class PermissionDenied(StorageFault):
    """This user may not read or write the file or folder."""

    code = "PERMISSION_DENIED"
    exit_status = 23


class StorageIOError(StorageFault):
    """The disk reported an input/output error."""

    code = "IO_ERROR"
    exit_status = 24


# ------------------------------------------------------------------- damage to the profile --
class DatabaseDamaged(IntegrityFailure):
    """Pages of the record database fail their authentication or structure checks."""

    code = "DB_DAMAGED"
    exit_status = 30


class DatabaseTruncated(IntegrityFailure):
    """The record database file is shorter than it says it is (cut off, or 0 bytes)."""

    code = "DB_TRUNCATED"
    exit_status = 31


class LogDamaged(IntegrityFailure):
    """The database's write-ahead log holds damaged frames: committed changes cannot be read."""

    code = "LOG_DAMAGED"
    exit_status = 32


class StoreBehind(IntegrityFailure):
    """The database holds fewer committed changes than were acknowledged (its high-water mark)."""

    code = "STORE_BEHIND"
    exit_status = 33


class DatabaseMissing(IntegrityFailure):
    """The key file is there but the record database is missing or empty."""

    code = "DB_MISSING"
    exit_status = 34


class AttachmentDamaged(IntegrityFailure):
    """An attachment file is damaged or missing."""

    code = "ATTACHMENT_DAMAGED"
    exit_status = 35


class NoProfile(NotFound):
    """No profile in the folder: neither key file nor record database."""

    code = "NO_PROFILE"


class KeyFileMissing(NotFound):
    """The profile's key file (keys.json) is missing beside its record database."""

    code = "KEYS_MISSING"
    exit_status = 40


class KeyFileDamaged(IntegrityFailure):
    """The profile's key file is damaged or does not belong to this database."""

    code = "KEYS_DAMAGED"
    exit_status = 41


class KeyMismatch(IntegrityFailure):
    """The database cannot be read with this profile's key: it was replaced or re-keyed."""

    code = "KEY_MISMATCH"
    exit_status = 42
