"""This workstation's link to the central platform: server, tokens and identity, kept in the
encrypted store (never in a plain settings file).

The access token lives minutes; the refresh token renews it and rotates on every use, so
the new pair is written back here (one transaction of the store) as soon as the central
platform hands it out: :meth:`SyncAccount.client` makes a :class:`CentralClient` that does so.
An account saved before refresh tokens existed has none and uses its token as it is.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from clinic_app.errors import ClinicError
from clinic_app.sync.client import CentralClient, Offline, Tokens
from local_store.store import Store

META_KEY = "sync_account"


@dataclass
class SyncAccount:
    server: str
    token: str  # the access (bearer) token
    kind: str  # "device" (a clinic workstation) or "user" (a specialist's desk)
    subject_id: str
    clinic_id: str | None = None
    role: str | None = None
    specialties: list[str] | None = None
    ca_file: str | None = None
    refresh_token: str | None = None
    expires_at: int | None = None  # of the access token (Unix seconds)
    refresh_expires_at: int | None = None

    def save(self, store: Store) -> None:
        store.set_meta(META_KEY, json.dumps(asdict(self)))
        store.audit("sync.account", detail=f"{self.kind} {self.subject_id}")

    @classmethod
    def load(cls, store: Store) -> SyncAccount | None:
        raw = store.get_meta(META_KEY)
        if not raw:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(raw).items() if k in known})

    @classmethod
    def require(cls, store: Store) -> SyncAccount:
        account = cls.load(store)
        if account is None:
            raise ClinicError(
                "This workstation is not connected to a central platform: run"
                " `clinic-app enroll` (clinic) or `clinic-app login` (specialist) first."
            )
        return account

    def with_tokens(self, tokens: Tokens) -> SyncAccount:
        return replace(
            self,
            token=tokens.token,
            expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token or self.refresh_token,
            refresh_expires_at=tokens.refresh_expires_at,
        )

    @staticmethod
    def token_fields(answer: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the tokens of an enrollment or sign-in answer."""
        tokens = Tokens.from_answer(answer)
        return {
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
        }

    def client(self, store: Store, *, timeout: float = 30.0) -> CentralClient:
        """A client of this account that renews its access token and saves every new pair
        (it starts from the tokens saved last, so an account object may be kept for long)."""
        keeper = ProfileKeeper(store, self.server, self.subject_id)
        saved = keeper.load()
        if saved is not None and saved.token != self.token:
            self.token, self.expires_at = saved.token, saved.expires_at
            self.refresh_token = saved.refresh_token
            self.refresh_expires_at = saved.refresh_expires_at
        client = CentralClient(
            self.server,
            self.token,
            ca_file=self.ca_file,
            timeout=timeout,
            refresh_token=self.refresh_token,
            expires_at=self.expires_at,
            keeper=keeper,
            kind=self.kind,
        )
        client.refresh_expires_at = self.refresh_expires_at
        return client

    async def fresh_token(self, store: Store) -> str:
        """A bearer token good for a while yet (for call signaling): renewed first if needed;
        the saved one when the central platform cannot be reached now (the call then says
        so itself). :class:`SessionEnded` when the session is over."""
        async with self.client(store) as client:
            with contextlib.suppress(Offline):
                await client.ensure_fresh()
            return client.token or self.token


class ProfileKeeper:
    """The tokens of one account in the store (see clinic_app.sync.client.TokenKeeper)."""

    def __init__(self, store: Store, server: str, subject_id: str) -> None:
        self.store = store
        self.server = server
        self.subject_id = subject_id

    def _mine(self) -> SyncAccount | None:
        account = SyncAccount.load(self.store)
        if account is None or account.subject_id != self.subject_id:
            return None
        return account if account.server == self.server else None

    def load(self) -> Tokens | None:
        account = self._mine()
        if account is None:
            return None
        return Tokens(
            account.token, account.expires_at, account.refresh_token, account.refresh_expires_at
        )

    def save(self, tokens: Tokens) -> None:
        """Replace the tokens in one write of the store (the rest of the account unchanged);
        nothing if the workstation was connected to another account meanwhile."""
        account = self._mine()
        if account is not None:
            self.store.set_meta(META_KEY, json.dumps(asdict(account.with_tokens(tokens))))
