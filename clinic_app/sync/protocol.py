"""The sync protocol, shared by the workstation (client) and the central platform (server).

One module of message types, each with strict parsing: anything malformed raises
:class:`ProtocolError` with a message fit for a 4xx answer (never the offending value).

Push (``POST /api/v1/sync/push``): a batch of changes, each with a ``change_id`` (idempotency
key) and the ``base_version`` it was made on. The server applies the whole batch in one
transaction; per change it answers ``applied`` (with the new version and server sequence),
``conflict`` (with the server's current copy) or ``rejected`` (with a reason). A replayed
``change_id`` returns the stored first result and applies nothing twice.

Pull (``POST /api/v1/sync/pull``): pages of accepted changes visible to the caller with
``seq > since``, ordered by the server's monotonic sequence. Deletes are tombstones.

Every answer carries the server ``epoch``; a different epoch than the client last saw (or a
head sequence below the client's cursor) means the server was restored from an older backup:
the client re-pushes what it had sent and pulls again from zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

PROTOCOL_VERSION = 1
MAX_BATCH = 500
MAX_PULL = 1000
MAX_RESOURCE_BYTES = 1_000_000
MAX_BODY_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 256 * 1024

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR id
_RTYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

SYNCED_TYPES = frozenset(
    {
        "Patient",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "ServiceRequest",
        "Appointment",
        "CarePlan",
        "Task",
        "DocumentReference",
        "DiagnosticReport",
        "ClinicalImpression",
        "Communication",
    }
)
# Append-only kinds: a change to an existing version is never merged field by field; a
# correction is a new version with status entered-in-error or a new record.
APPEND_ONLY = frozenset(
    {"Observation", "Communication", "MedicationRequest", "DiagnosticReport", "ClinicalImpression"}
)

Op = Literal["put", "delete"]
Status = Literal["applied", "conflict", "rejected"]


class ProtocolError(ValueError):
    """A malformed message. ``str()`` is safe to send back and to log (holds no values);
    ``code`` is a stable machine-readable reason."""

    def __init__(self, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code


def _obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(f"{what} must be a JSON object.")
    return data


def _int(data: dict[str, Any], key: str, what: str, *, minimum: int = 0,
         optional: bool = False) -> int | None:  # fmt: skip
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProtocolError(f"{what}.{key} must be an integer >= {minimum}.")
    return value


def _str(data: dict[str, Any], key: str, what: str, pattern: re.Pattern[str]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):  # no "id\n" via "$"
        raise ProtocolError(f"{what}.{key} is missing or malformed.")
    return value


def _no_extra(data: dict[str, Any], allowed: set[str], what: str) -> None:
    extra = set(data) - allowed
    if extra:
        raise ProtocolError(f"{what} has unknown fields: {', '.join(sorted(extra)[:5])}.")


@dataclass(frozen=True)
class Change:
    """One change pushed by a client."""

    change_id: str
    rtype: str
    record_id: str
    op: Op
    base_version: int | None
    resource: dict[str, Any] | None
    attachments: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id,
            "rtype": self.rtype,
            "record_id": self.record_id,
            "op": self.op,
            "base_version": self.base_version,
            "resource": self.resource,
            "attachments": list(self.attachments),
        }

    @classmethod
    def parse(cls, data: Any, where: str = "change") -> Change:
        d = _obj(data, where)
        _no_extra(
            d,
            {"change_id", "rtype", "record_id", "op", "base_version", "resource", "attachments"},
            where,
        )
        change_id = _str(d, "change_id", where, _UUID)
        rtype = d.get("rtype")
        if not isinstance(rtype, str) or rtype not in SYNCED_TYPES:
            raise ProtocolError(f"{where}.rtype is not a synced resource type.", "unknown_type")
        record_id = d.get("record_id")
        if not isinstance(record_id, str) or not _ID.fullmatch(record_id):
            raise ProtocolError(
                f"{where}.record_id is not a FHIR id (1 to 64 letters, digits, '-' or '.').",
                "invalid_id",
            )
        op = d.get("op")
        if op not in ("put", "delete"):
            raise ProtocolError(f"{where}.op must be 'put' or 'delete'.")
        base = _int(d, "base_version", where, minimum=1, optional=True)
        resource = d.get("resource")
        if op == "put":
            resource = _obj(resource, f"{where}.resource")
            if resource.get("resourceType") != rtype or resource.get("id") != record_id:
                raise ProtocolError(
                    f"{where}.resource does not match rtype and record_id.", "invalid_change"
                )
        elif resource is not None:
            raise ProtocolError(f"{where}.resource must be null for a delete.")
        elif base is None:
            raise ProtocolError(f"{where}: a delete needs base_version.")
        attachments = d.get("attachments", [])
        if not isinstance(attachments, list) or len(attachments) > 100:
            raise ProtocolError(f"{where}.attachments must be a list of SHA-256 digests.")
        for a in attachments:
            if not isinstance(a, str) or not _SHA256.match(a):
                raise ProtocolError(f"{where}.attachments must be a list of SHA-256 digests.")
        return cls(change_id, rtype, record_id, op, base, resource, tuple(attachments))


@dataclass(frozen=True)
class PushRequest:
    changes: tuple[Change, ...]
    protocol: int = PROTOCOL_VERSION

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "changes": [c.to_json() for c in self.changes]}

    @classmethod
    def parse(cls, data: Any) -> PushRequest:
        d = _obj(data, "push")
        _no_extra(d, {"protocol", "changes"}, "push")
        if d.get("protocol") != PROTOCOL_VERSION:
            raise ProtocolError(f"push.protocol must be {PROTOCOL_VERSION}.")
        changes = d.get("changes")
        if not isinstance(changes, list) or not 1 <= len(changes) <= MAX_BATCH:
            raise ProtocolError(f"push.changes must be a list of 1 to {MAX_BATCH} changes.")
        parsed = tuple(Change.parse(c, f"changes[{i}]") for i, c in enumerate(changes))
        ids = [c.change_id for c in parsed]
        if len(set(ids)) != len(ids):
            raise ProtocolError("push.changes repeats a change_id.")
        return cls(parsed)

    @classmethod
    def parse_items(cls, data: Any) -> tuple[Change | InvalidChange, ...]:
        """The server's parse: the envelope must be right (else :class:`ProtocolError`), but a
        change that is malformed while its ``change_id`` is a UUID becomes an
        :class:`InvalidChange`, answered ``rejected`` on its own so it never blocks the rest
        of the batch. A change without a readable ``change_id`` fails the whole request
        (``invalid_change_id``): its result could not be matched to it."""
        d = _obj(data, "push")
        _no_extra(d, {"protocol", "changes"}, "push")
        if d.get("protocol") != PROTOCOL_VERSION:
            raise ProtocolError(f"push.protocol must be {PROTOCOL_VERSION}.")
        changes = d.get("changes")
        if not isinstance(changes, list) or not 1 <= len(changes) <= MAX_BATCH:
            raise ProtocolError(f"push.changes must be a list of 1 to {MAX_BATCH} changes.")
        out: list[Change | InvalidChange] = []
        for i, c in enumerate(changes):
            where = f"changes[{i}]"
            try:
                change_id = _str(_obj(c, where), "change_id", where, _UUID)
            except ProtocolError as exc:
                raise ProtocolError(str(exc), "invalid_change_id") from None
            try:
                out.append(Change.parse(c, where))
            except ProtocolError as exc:
                code = exc.code if exc.code != "bad_request" else "invalid_change"
                out.append(InvalidChange(change_id, code, str(exc)))
        ids = [c.change_id for c in out]
        if len(set(ids)) != len(ids):
            raise ProtocolError("push.changes repeats a change_id.")
        return tuple(out)


@dataclass(frozen=True)
class InvalidChange:
    """A pushed change that could not be parsed (server side): rejected with ``code``."""

    change_id: str
    code: str
    message: str


@dataclass(frozen=True)
class ServerCopy:
    """The server's current copy of a record (sent with a conflict)."""

    version: int
    deleted: bool
    resource: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "deleted": self.deleted, "resource": self.resource}

    @classmethod
    def parse(cls, data: Any) -> ServerCopy:
        d = _obj(data, "server")
        version = _int(d, "version", "server", minimum=1)
        assert version is not None
        resource = d.get("resource")
        if resource is not None:
            resource = _obj(resource, "server.resource")
        return cls(version, bool(d.get("deleted")), resource)


@dataclass(frozen=True)
class ChangeResult:
    change_id: str
    status: Status
    version: int | None = None
    seq: int | None = None
    server: ServerCopy | None = None
    error: str | None = None
    # A rejection's stable reason (e.g. "invalid_id", "reference_not_found",
    # "change_id_reused") and the HTTP status it stands for (422, 403, 409): a client treats
    # every rejected change as permanent until the record is changed.
    code: str | None = None
    http_status: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "change_id": self.change_id,
            "status": self.status,
            "version": self.version,
            "seq": self.seq,
            "server": self.server.to_json() if self.server else None,
            "error": self.error,
        }
        if self.code is not None:
            out["code"] = self.code
            out["http_status"] = self.http_status
        return out

    @classmethod
    def parse(cls, data: Any) -> ChangeResult:
        d = _obj(data, "result")
        status = d.get("status")
        if status not in ("applied", "conflict", "rejected"):
            raise ProtocolError("result.status is unknown.")
        return cls(
            change_id=_str(d, "change_id", "result", _UUID),
            status=status,
            version=_int(d, "version", "result", minimum=1, optional=True),
            seq=_int(d, "seq", "result", minimum=1, optional=True),
            server=ServerCopy.parse(d["server"]) if d.get("server") else None,
            error=str(d["error"]) if d.get("error") else None,
            code=str(d["code"]) if isinstance(d.get("code"), str) else None,
            http_status=d["http_status"] if isinstance(d.get("http_status"), int) else None,
        )


@dataclass(frozen=True)
class PushResponse:
    epoch: str
    results: tuple[ChangeResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "results": [r.to_json() for r in self.results]}

    @classmethod
    def parse(cls, data: Any) -> PushResponse:
        d = _obj(data, "push response")
        results = d.get("results")
        if not isinstance(results, list):
            raise ProtocolError("push response.results must be a list.")
        return cls(str(d.get("epoch", "")), tuple(ChangeResult.parse(r) for r in results))


@dataclass(frozen=True)
class PullRequest:
    since: int
    limit: int = 500
    count: bool = False  # also answer how many visible changes remain after this page

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"since": self.since, "limit": self.limit}
        if self.count:
            out["count"] = True
        return out

    @classmethod
    def parse(cls, data: Any) -> PullRequest:
        d = _obj(data, "pull")
        _no_extra(d, {"since", "limit", "count"}, "pull")
        since = _int(d, "since", "pull")
        limit = _int(d, "limit", "pull", minimum=1, optional=True) or 500
        count = d.get("count", False)
        if not isinstance(count, bool):
            raise ProtocolError("pull.count must be true or false.")
        assert since is not None
        return cls(since, min(limit, MAX_PULL), count)


@dataclass(frozen=True)
class PulledChange:
    seq: int
    rtype: str
    record_id: str
    version: int
    deleted: bool
    resource: dict[str, Any] | None
    change_id: str | None = None  # the pushed change that made it (lets a client skip its own)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "rtype": self.rtype,
            "record_id": self.record_id,
            "version": self.version,
            "deleted": self.deleted,
            "resource": self.resource,
            "change_id": self.change_id,
        }

    @classmethod
    def parse(cls, data: Any) -> PulledChange:
        d = _obj(data, "pulled change")
        seq = _int(d, "seq", "pulled", minimum=1)
        version = _int(d, "version", "pulled", minimum=1)
        assert seq is not None and version is not None
        resource = d.get("resource")
        if resource is not None:
            resource = _obj(resource, "pulled.resource")
        return cls(
            seq=seq,
            rtype=_str(d, "rtype", "pulled", _RTYPE),
            record_id=_str(d, "record_id", "pulled", _ID),
            version=version,
            deleted=bool(d.get("deleted")),
            resource=resource,
            change_id=d.get("change_id") if isinstance(d.get("change_id"), str) else None,
        )


@dataclass(frozen=True)
class PullResponse:
    epoch: str
    head: int  # the highest sequence on the server (for the restored-server check)
    changes: tuple[PulledChange, ...]
    next: int
    more: bool
    remaining: int | None = None  # visible changes after this page (asked for with count)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "epoch": self.epoch,
            "head": self.head,
            "changes": [c.to_json() for c in self.changes],
            "next": self.next,
            "more": self.more,
        }
        if self.remaining is not None:
            out["remaining"] = self.remaining
        return out

    @classmethod
    def parse(cls, data: Any) -> PullResponse:
        d = _obj(data, "pull response")
        changes = d.get("changes")
        if not isinstance(changes, list):
            raise ProtocolError("pull response.changes must be a list.")
        head = _int(d, "head", "pull response")
        nxt = _int(d, "next", "pull response")
        assert head is not None and nxt is not None
        return cls(
            epoch=str(d.get("epoch", "")),
            head=head,
            changes=tuple(PulledChange.parse(c) for c in changes),
            next=nxt,
            more=bool(d.get("more")),
            remaining=_int(d, "remaining", "pull response", optional=True),
        )


@dataclass(frozen=True)
class AttachmentStatus:
    """Upload state of one attachment on the server: resume from ``received``."""

    sha256: str
    size: int
    received: int
    complete: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "received": self.received,
            "complete": self.complete,
        }

    @classmethod
    def parse(cls, data: Any) -> AttachmentStatus:
        d = _obj(data, "attachment status")
        size = _int(d, "size", "attachment")
        received = _int(d, "received", "attachment")
        assert size is not None and received is not None
        return cls(_str(d, "sha256", "attachment", _SHA256), size, received,
                   bool(d.get("complete")))  # fmt: skip


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))


@dataclass
class ErrorBody:
    """Every 4xx/5xx answer: ``{"error": {"code": ..., "message": ...}}``."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}
