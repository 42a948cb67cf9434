"""Key slots: the random data key wrapped (AES-256-GCM) by a passphrase (Argon2id) or recovery key.

The header file holds only wrapped keys and KDF parameters, never the data key. It carries a
SHA-256 checksum over its canonical body, so a damaged header is reported as damage, not as a
wrong passphrase. Each slot's associated data binds it to the store, slot id, kind, user and KDF
parameters, so parameters cannot be swapped without the unwrap failing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from local_store.atomic import write_atomic
from local_store.errors import (
    KeyFileDamaged,
    KeyFileMissing,
    NotFound,
    StoreError,
    WrongPassphrase,
)

HEADER_FORMAT = 1
DATA_KEY_BYTES = 32
MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3
_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

SlotKind = Literal["passphrase", "recovery"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored in the slot so they can be raised later without breaking it."""

    salt: bytes
    memory_kib: int = MIN_MEMORY_KIB
    iterations: int = MIN_ITERATIONS
    lanes: int = 4

    def derive(self, passphrase: str) -> bytes:
        return Argon2id(
            salt=self.salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        ).derive(passphrase.encode("utf-8"))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "salt": _b64(self.salt),
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        if data.get("name") != "argon2id":
            raise KeyFileDamaged("The key header names an unknown key derivation.")
        return cls(
            salt=_unb64(data["salt"]),
            memory_kib=int(data["memory_kib"]),
            iterations=int(data["iterations"]),
            lanes=int(data["lanes"]),
        )

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(salt=os.urandom(16))


@dataclass
class KeySlot:
    """One wrapped copy of the data key."""

    slot_id: str
    kind: SlotKind
    user: str | None
    salt: bytes
    nonce: bytes
    wrapped: bytes
    kdf: KdfParams | None = None

    def aad(self, store_id: str) -> bytes:
        kdf = json.dumps(self.kdf.to_json(), sort_keys=True) if self.kdf else ""
        return f"clinic-slot|{store_id}|{self.slot_id}|{self.kind}|{self.user or ''}|{kdf}".encode()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.slot_id,
            "kind": self.kind,
            "user": self.user,
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
            "kdf": self.kdf.to_json() if self.kdf else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeySlot:
        kind = data["kind"]
        if kind not in ("passphrase", "recovery"):
            raise KeyFileDamaged("The key header holds a slot of unknown kind.")
        return cls(
            slot_id=str(data["id"]),
            kind=kind,
            user=data.get("user"),
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
            kdf=KdfParams.from_json(data["kdf"]) if data.get("kdf") else None,
        )


def format_recovery_key(raw: bytes) -> str:
    """32 random bytes as 52 base32 characters in groups of four, easy to copy onto paper."""
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t\r\n")
    if len(cleaned) != 52 or any(ch not in _B32_ALPHABET for ch in cleaned):
        raise WrongPassphrase("That is not a recovery key: it has 52 letters and digits in groups.")
    return base64.b32decode(cleaned + "====")


def _recovery_kek(raw: bytes, salt: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"clinic recovery slot"
    ).derive(raw)


def _key_check(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"clinic data key check v1", hashlib.sha256).digest()


@dataclass
class KeyHeader:
    """The key-slot header of one profile."""

    store_id: str
    key_check: bytes
    slots: list[KeySlot] = field(default_factory=list)

    # --- creation -------------------------------------------------------------------------
    @classmethod
    def new(cls, user: str, passphrase: str) -> tuple[KeyHeader, bytes, str]:
        """A header with one user slot and one recovery slot: (header, data key, recovery key)."""
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        header = cls(store_id=str(uuid.uuid4()), key_check=_key_check(data_key))
        header.add_user(data_key, user, passphrase)
        recovery_key = header.set_recovery(data_key)
        return header, data_key, recovery_key

    def _wrap(self, slot: KeySlot, kek: bytes, data_key: bytes) -> None:
        slot.nonce = os.urandom(12)
        slot.wrapped = AESGCM(kek).encrypt(slot.nonce, data_key, slot.aad(self.store_id))

    def add_user(self, data_key: bytes, user: str, passphrase: str) -> None:
        self._check_data_key(data_key)
        if not user or not user.strip():
            raise StoreError("A user name is required.")
        if len(passphrase) < 8:
            raise StoreError("A passphrase needs at least 8 characters.")
        if self.find_user(user) is not None:
            raise StoreError("That user already has a key slot.")
        kdf = KdfParams.fresh()
        slot = KeySlot(uuid.uuid4().hex, "passphrase", user, b"", b"", b"", kdf)
        self._wrap(slot, kdf.derive(passphrase), data_key)
        self.slots.append(slot)

    def set_recovery(self, data_key: bytes) -> str:
        """Replace the recovery slot; returns the new recovery key (shown once)."""
        self._check_data_key(data_key)
        raw = secrets.token_bytes(32)
        salt = os.urandom(16)
        slot = KeySlot(uuid.uuid4().hex, "recovery", None, salt, b"", b"")
        self._wrap(slot, _recovery_kek(raw, salt), data_key)
        self.slots = [s for s in self.slots if s.kind != "recovery"] + [slot]
        return format_recovery_key(raw)

    def remove_user(self, user: str) -> None:
        slot = self.find_user(user)
        if slot is None:
            raise NotFound("There is no such user on this workstation.")
        if sum(1 for s in self.slots if s.kind == "passphrase") <= 1:
            raise StoreError("The last user cannot be removed.")
        self.slots.remove(slot)

    def rewrap_user(self, data_key: bytes, user: str, new_passphrase: str) -> None:
        """Change one user's passphrase: rewraps that slot only, never touches the data."""
        self._check_data_key(data_key)
        if len(new_passphrase) < 8:
            raise StoreError("A passphrase needs at least 8 characters.")
        slot = self.find_user(user)
        if slot is None:
            raise NotFound("There is no such user on this workstation.")
        kdf = KdfParams.fresh()
        slot.kdf = kdf
        self._wrap(slot, kdf.derive(new_passphrase), data_key)

    # --- unlocking ------------------------------------------------------------------------
    def users(self) -> list[str]:
        return [s.user for s in self.slots if s.kind == "passphrase" and s.user]

    def find_user(self, user: str) -> KeySlot | None:
        for slot in self.slots:
            if slot.kind == "passphrase" and slot.user == user:
                return slot
        return None

    def unlock(self, user: str, passphrase: str) -> bytes:
        slot = self.find_user(user)
        if slot is None or slot.kdf is None:
            # Same words as a wrong passphrase: do not reveal which user names exist.
            raise WrongPassphrase("The user name or passphrase is wrong.")
        try:
            data_key = AESGCM(slot.kdf.derive(passphrase)).decrypt(
                slot.nonce, slot.wrapped, slot.aad(self.store_id)
            )
        except InvalidTag:
            raise WrongPassphrase("The user name or passphrase is wrong.") from None
        self._check_data_key(data_key)
        return data_key

    def unlock_recovery(self, recovery_key: str) -> bytes:
        raw = parse_recovery_key(recovery_key)
        for slot in self.slots:
            if slot.kind != "recovery":
                continue
            try:
                data_key = AESGCM(_recovery_kek(raw, slot.salt)).decrypt(
                    slot.nonce, slot.wrapped, slot.aad(self.store_id)
                )
            except InvalidTag:
                continue
            self._check_data_key(data_key)
            return data_key
        raise WrongPassphrase("The recovery key does not open this profile.")

    def _check_data_key(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES or not hmac.compare_digest(
            _key_check(data_key), self.key_check
        ):
            raise KeyFileDamaged("The key header does not match the data key.")

    # --- serialisation --------------------------------------------------------------------
    def _body(self) -> dict[str, Any]:
        return {
            "format": HEADER_FORMAT,
            "store_id": self.store_id,
            "key_check": _b64(self.key_check),
            "slots": [s.to_json() for s in self.slots],
        }

    def to_bytes(self) -> bytes:
        body = self._body()
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        doc = {"body": body, "sha256": hashlib.sha256(canonical).hexdigest()}
        return json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyHeader:
        try:
            doc = json.loads(raw.decode("utf-8"))
            body = doc["body"]
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            if not hmac.compare_digest(hashlib.sha256(canonical).hexdigest(), doc["sha256"]):
                raise KeyFileDamaged(
                    "The key file keys.json is damaged (its checksum does not match). Restore"
                    " it from a backup; the record database was not touched."
                )
            if body["format"] != HEADER_FORMAT:
                raise KeyFileDamaged("The key header has an unknown format.")
            return cls(
                store_id=str(body["store_id"]),
                key_check=_unb64(body["key_check"]),
                slots=[KeySlot.from_json(s) for s in body["slots"]],
            )
        except KeyFileDamaged:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise KeyFileDamaged(
                "The key file keys.json is damaged and cannot be read. Restore it from a backup;"
                " the record database was not touched."
            ) from None

    def save(self, path: Path) -> None:
        write_atomic(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> KeyHeader:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise KeyFileMissing("No profile here: the key file keys.json is missing.") from None
        return cls.from_bytes(raw)
