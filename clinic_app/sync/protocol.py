"""The sync protocol, declared once as pydantic models and shared by the workstation (client)
and the central platform (server): both import these classes, both parse what they receive
with them, so both refuse the same malformed message with the same code.

Each message is a frozen pydantic dataclass. Built in Python (``Change(...)``) it checks its
types only; parsed from the wire (``Change.parse(data)``, ``PushRequest.parse_items(data)``)
it also checks the grammar and the rules of the protocol (a change's id is a UUID, its type
is synced, a put carries its resource...). Types are strict (no ``"5"`` for 5, no ``true``
for 1); requests refuse unknown keys, answers ignore them (a newer server may add some).
Anything malformed raises :class:`ProtocolError`, a message fit for a 4xx answer naming the
field only (never the offending value, never an unknown key's name) with a stable ``code``.

Push (``POST /api/v1/sync/push``): a batch of changes, each with a ``change_id`` (idempotency
key) and the ``base_version`` it was made on. The server applies the whole batch in one
transaction; per change it answers ``applied`` (with the new version and server sequence),
``conflict`` (with the server's current copy) or ``rejected`` (with a reason). A replayed
``change_id`` returns the stored first result and applies nothing twice.

Pull (``POST /api/v1/sync/pull``): pages of accepted changes visible to the caller with
``seq > since``, ordered by the server's monotonic sequence, up to ``limit`` (at most
:data:`MAX_PULL`) changes and ending early once their resources hold :data:`MAX_PULL_BYTES`
of JSON. Deletes are tombstones. The client checks a page with :func:`pull_page` (the same
acceptance as :class:`PullResponse`, without a model per change).

Every answer carries the server ``epoch``; a different epoch than the client last saw (or a
head sequence below the client's cursor) means the server was restored from an older backup:
the client re-pushes what it had sent and pulls again from zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass as plain_dataclass
from dataclasses import field
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from clinic_errors import ClinicError

PROTOCOL_VERSION = 1
MAX_BATCH = 500
MAX_PULL = 5000  # changes in one pull page (a limit above is cut to it) ...
MAX_PULL_BYTES = 6 * 1024 * 1024  # ... and the page ends once its resources hold this much JSON
MAX_RESOURCE_BYTES = 1_000_000  # a resource's stored JSON (checked in central/validation.py)
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_ATTACHMENTS = 100  # digests named by one change
MAX_SEQ = 2**63 - 1  # the server's sequences are BIGINT
CHUNK_BYTES = 256 * 1024

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR id
_RTYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

SYNCED_TYPES = frozenset(
    {
        "Patient",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationStatement",
        "ServiceRequest",
        "Appointment",
        "CarePlan",
        "Task",
        "DocumentReference",
        "DiagnosticReport",
        "ClinicalImpression",
        "Communication",
        "Medication",
    }
)
# Owned by the platform (the formulary, kept by its administrator): every clinic and specialist
# pulls them; a push of one is refused (``platform_record``).
PLATFORM_TYPES = frozenset({"Medication"})
# Append-only kinds: a change to an existing version is never merged field by field; a
# correction is a new version with status entered-in-error or a new record.
APPEND_ONLY = frozenset(
    {"Observation", "Communication", "MedicationRequest", "DiagnosticReport", "ClinicalImpression"}
)

Op = Literal["put", "delete"]
Status = Literal["applied", "conflict", "rejected"]


class ProtocolError(ClinicError, ValueError):
    """A malformed message. ``str()`` is safe to send back and to log (holds no values);
    ``code`` is a stable machine-readable reason (``bad_request`` for a malformed envelope,
    else the reason a single change is refused: ``invalid_change``, ``invalid_id``,
    ``unknown_type``, ``invalid_change_id``)."""

    code = "bad_request"

    def __init__(self, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code


# -- what each field must be, said once: the sentence (after its path) and the code ---------

_FIELDS: dict[str, tuple[str, str]] = {
    "protocol": (f"must be {PROTOCOL_VERSION}.", "bad_request"),
    "changes": (f"must be a list of 1 to {MAX_BATCH} changes.", "bad_request"),
    "change_id": ("is missing or malformed.", "invalid_change"),
    "rtype": ("is not a synced resource type.", "unknown_type"),
    "record_id": ("is not a FHIR id (1 to 64 letters, digits, '-' or '.').", "invalid_id"),
    "op": ("must be 'put' or 'delete'.", "invalid_change"),
    "base_version": ("must be an integer >= 1 or null.", "invalid_change"),
    "resource": ("must be a JSON object (or null).", "invalid_change"),
    "attachments": (
        f"must be a list of at most {MAX_ATTACHMENTS} SHA-256 digests.",
        "invalid_change",
    ),
    "since": (f"must be an integer from 0 to {MAX_SEQ}.", "bad_request"),
    "limit": ("must be an integer >= 1 (or null).", "bad_request"),
    "count": ("must be true or false.", "bad_request"),
    # answers of the server
    "epoch": ("must be a string.", "bad_request"),
    "results": ("must be a list.", "bad_request"),
    "status": ("is unknown.", "bad_request"),
    "version": ("must be an integer >= 1.", "bad_request"),
    "seq": ("must be an integer >= 1.", "bad_request"),
    "server": ("must be a JSON object (or null).", "bad_request"),
    "deleted": ("must be true or false.", "bad_request"),
    "error": ("must be a string (or null).", "bad_request"),
    "code": ("must be a string (or null).", "bad_request"),
    "http_status": ("must be an integer (or null).", "bad_request"),
    "head": ("must be an integer >= 0.", "bad_request"),
    "next": ("must be an integer >= 0.", "bad_request"),
    "more": ("must be true or false.", "bad_request"),
    "remaining": ("must be an integer >= 0 (or null).", "bad_request"),
    "sha256": ("is not a SHA-256 digest (64 lowercase hex).", "bad_request"),
    "size": ("must be an integer >= 0.", "bad_request"),
    "received": ("must be an integer >= 0.", "bad_request"),
    "complete": ("must be true or false.", "bad_request"),
    "message": ("must be a string.", "bad_request"),
    "details": ("must be a JSON object.", "bad_request"),
}
_UNKNOWN_KEYS = ("unexpected_keyword_argument", "extra_forbidden")
_WIRE = {"wire": True}  # the validation context of a parse (grammar and rules checked)


def _on_wire(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("wire"))


def _grammar(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if _on_wire(info) and not pattern.fullmatch(value):  # fullmatch: no "id\n" via "$"
            raise PydanticCustomError("malformed", "malformed")
        return value

    return AfterValidator(check)


def _at_least(minimum: int, maximum: int | None = None) -> AfterValidator:
    def check(value: int, info: ValidationInfo) -> int:
        if _on_wire(info) and (value < minimum or (maximum is not None and value > maximum)):
            raise PydanticCustomError("out_of_range", "out of range")
        return value

    return AfterValidator(check)


def _one_of(*allowed: object) -> BeforeValidator:
    """A literal held to its JSON type (pydantic's literals take ``true`` for 1, ``1.0``...)."""

    def check(value: object) -> object:
        if not any(type(value) is type(a) and value == a for a in allowed):
            raise PydanticCustomError("literal", "not one of the allowed values")
        return value

    return BeforeValidator(check)


def _array(value: object, info: ValidationInfo) -> object:
    """A JSON array (a list) becomes the tuple the message holds; nothing else is an array (a
    tuple only when built in Python)."""
    if isinstance(value, list):
        return tuple(value)
    if not isinstance(value, tuple) or _on_wire(info):
        raise PydanticCustomError("array", "not an array")
    return value


Str = Annotated[str, Strict()]
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
JsonObject = Annotated[dict[str, Any], Strict()]
Uuid = Annotated[Str, _grammar(_UUID)]
FhirId = Annotated[Str, _grammar(_ID)]
Digest = Annotated[Str, _grammar(_SHA256)]
Positive = Annotated[Int, _at_least(1)]
Count = Annotated[Int, _at_least(0)]
Digests = Annotated[tuple[Digest, ...], BeforeValidator(_array)]

_REQUEST = ConfigDict(extra="forbid")  # what the server receives: unknown keys are refused
_ANSWER = ConfigDict(extra="ignore")  # what the client receives: a newer server may add keys


def _sized(minimum: int, maximum: int) -> BeforeValidator:
    """An array of ``minimum`` to ``maximum`` items, counted before its items are parsed (a
    batch too large is refused as a whole, never answered item by item)."""

    def check(value: object, info: ValidationInfo) -> object:
        items = _array(value, info)
        assert isinstance(items, tuple)
        if _on_wire(info) and not minimum <= len(items) <= maximum:
            raise PydanticCustomError("size", "size out of range")
        return items

    return BeforeValidator(check)


def _synced(value: str, info: ValidationInfo) -> str:
    if _on_wire(info) and value not in SYNCED_TYPES:
        raise PydanticCustomError("unknown_type", "not a synced type")
    return value


def _default_page(value: object) -> object:
    return 500 if value is None else value


def _cap_page(value: int) -> int:
    return min(value, MAX_PULL)


def _none_if_empty(value: str | None) -> str | None:
    return value or None


# -- parsing and the one translation of its failures ----------------------------------------


class WireMessage:
    """What every message has: a strict parse from the wire and its JSON form."""

    _wire_name: ClassVar[str] = "message"
    _omit_when_unset: ClassVar[frozenset[str]] = frozenset()  # keys sent only when set

    @classmethod
    def parse(cls, data: Any, where: str | None = None) -> Self:
        """``data`` (decoded JSON) as this message, or :class:`ProtocolError`."""
        try:
            parsed: Self = _adapter(cls).validate_python(data, context=_WIRE)
        except ValidationError as exc:
            raise protocol_error(exc, where or cls._wire_name) from None
        return parsed

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        for key in self._omit_when_unset:
            if key in out and (out[key] is None or out[key] is False):  # 0 is sent
                del out[key]
        return out


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    """The validator and serializer of a message class (built once)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def json_schema(message: type[WireMessage]) -> dict[str, Any]:
    """The JSON Schema of a message's types (the grammar checks are not in it)."""
    schema: dict[str, Any] = _adapter(message).json_schema()
    return schema


def _path(where: str, loc: tuple[int | str, ...]) -> str:
    """Where in the message: field names and indexes only (a key from the input is not
    repeated: it may be data)."""
    out = where
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if part in _FIELDS else "[key]"
    return out


# Rules between the fields of one message, checked on the wire once every field is right:
# the error's type is the code, its message the sentence after the message's path.
_RULES = frozenset({"invalid_change", "bad_request"})


def _rule(code: str, sentence: str) -> PydanticCustomError:
    assert code in _RULES
    return PydanticCustomError(code, sentence)


def _order(error: Any, n: int) -> tuple[int, int, int]:
    """The order the protocol checks a message in: the outer message before what it holds
    (a push's envelope before its changes); in each message its unknown keys, then its fields
    in order, then the rules between them."""
    loc = error["loc"]
    if error["type"] in _UNKNOWN_KEYS:
        return (len(loc) - 1, 0, n)
    return (len(loc) - 1, 1, n) if error["type"] not in _RULES else (len(loc), 2, n)


def protocol_error(exc: ValidationError, where: str) -> ProtocolError:
    """The first problem of a failed parse as a :class:`ProtocolError` that names the field
    (its path in the message) and never quotes the input or an unknown key."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if not errors:
        return ProtocolError(f"{where} is malformed.")
    first = min(enumerate(errors), key=lambda item: _order(item[1], item[0]))[1]
    loc = tuple(first["loc"])
    if first["type"] in _UNKNOWN_KEYS:
        owner = loc[:-1]
        return ProtocolError(f"{_path(where, owner)} has unknown fields.",
                             "invalid_change" if owner else "bad_request")  # fmt: skip
    if first["type"] in _RULES:
        return ProtocolError(f"{_path(where, loc)}{first['msg']}", first["type"])
    if first["type"] in ("dataclass_type", "dict_type") and (not loc or isinstance(loc[-1], int)):
        return ProtocolError(f"{_path(where, loc)} must be a JSON object.")  # a message
    for i in range(len(loc) - 1, -1, -1):  # the innermost named field the problem is in
        name = loc[i]
        if isinstance(name, str) and name in _FIELDS:
            tail, code = _FIELDS[name]
            return ProtocolError(f"{_path(where, loc[: i + 1])} {tail}", code)
    return ProtocolError(f"{_path(where, loc)} is malformed.")


# -- push ------------------------------------------------------------------------------------


@dataclass(frozen=True, config=_REQUEST)
class Change(WireMessage):
    """One change pushed by a client."""

    _wire_name: ClassVar[str] = "change"

    change_id: Uuid
    rtype: Annotated[Str, AfterValidator(_synced)]
    record_id: FhirId
    op: Annotated[Op, _one_of("put", "delete")]
    base_version: Positive | None
    resource: JsonObject | None
    attachments: Annotated[tuple[Digest, ...], _sized(0, MAX_ATTACHMENTS)] = ()

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Self:
        if not _on_wire(info):
            return self
        if self.op == "put":
            if self.resource is None:
                raise _rule("invalid_change", ".resource must be a JSON object for a put.")
            if (
                self.resource.get("resourceType") != self.rtype
                or self.resource.get("id") != self.record_id
            ):
                raise _rule("invalid_change", ".resource does not match rtype and record_id.")
        elif self.resource is not None:
            raise _rule("invalid_change", ".resource must be null for a delete.")
        elif self.base_version is None:
            raise _rule("invalid_change", ": a delete needs base_version.")
        return self


@plain_dataclass(frozen=True)
class InvalidChange:
    """A pushed change that could not be parsed (server side): rejected with ``code``."""

    change_id: str
    code: str
    message: str


@dataclass(frozen=True, config=ConfigDict(extra="ignore"))
class _ChangeId:
    """The one field of a pushed change the server must read to answer it at all."""

    change_id: Uuid


@dataclass(frozen=True, config=_REQUEST)
class PushRequest(WireMessage):
    """A batch of 1 to :data:`MAX_BATCH` changes, each ``change_id`` once."""

    _wire_name: ClassVar[str] = "push"

    changes: Annotated[tuple[Change, ...], _sized(1, MAX_BATCH)]
    protocol: Annotated[Int, _one_of(PROTOCOL_VERSION)] = PROTOCOL_VERSION

    @model_validator(mode="before")
    @classmethod
    def _version_given(cls, data: Any, info: ValidationInfo) -> Any:
        if _on_wire(info) and isinstance(data, dict) and "protocol" not in data:
            return {**data, "protocol": None}  # on the wire it is required: absent is wrong
        return data

    @model_validator(mode="after")
    def _once_each(self, info: ValidationInfo) -> Self:
        ids = [c.change_id for c in self.changes]
        if _on_wire(info) and len(set(ids)) != len(ids):
            raise _rule("bad_request", ".changes repeats a change_id.")
        return self

    @classmethod
    def parse(cls, data: Any, where: str | None = None) -> Self:
        """The strict parse: any malformed change fails the whole message, with the code the
        server gives that change (:meth:`parse_items`)."""
        try:
            return super().parse(data, where)
        except ProtocolError:
            pass
        for item in cls.parse_items(data):  # which change, and what the server says of it
            if isinstance(item, InvalidChange):
                raise ProtocolError(item.message, item.code) from None
        raise AssertionError("unreachable: the batch parses item by item")  # pragma: no cover

    @classmethod
    def parse_items(cls, data: Any) -> tuple[Change | InvalidChange, ...]:
        """The server's parse: the envelope must be right (else :class:`ProtocolError`), but a
        change that is malformed while its ``change_id`` is a UUID becomes an
        :class:`InvalidChange`, answered ``rejected`` on its own so it never blocks the rest
        of the batch. A change without a readable ``change_id`` fails the whole request
        (``invalid_change_id``): its result could not be matched to it."""
        try:
            parsed: PushRequest = _adapter(cls).validate_python(data, context=_WIRE)
            return parsed.changes
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            in_items = all(
                len(e["loc"]) >= 2 and e["loc"][0] == "changes" and isinstance(e["loc"][1], int)
                for e in errors
            )
            if not in_items:  # the envelope (or the batch as a whole) is wrong
                raise protocol_error(exc, "push") from None
        bad = {e["loc"][1] for e in errors}
        out: list[Change | InvalidChange] = []
        for i, raw in enumerate(data["changes"]):
            where = f"push.changes[{i}]"
            if i not in bad:
                out.append(Change.parse(raw, where))
                continue
            try:
                change_id = _adapter(_ChangeId).validate_python(raw, context=_WIRE).change_id
            except ValidationError as exc:
                raise ProtocolError(str(protocol_error(exc, where)), "invalid_change_id") from None
            try:
                out.append(Change.parse(raw, where))
            except ProtocolError as exc:
                code = exc.code if exc.code != "bad_request" else "invalid_change"
                out.append(InvalidChange(change_id, code, str(exc)))
        ids = [c.change_id for c in out]
        if len(set(ids)) != len(ids):
            raise ProtocolError("push.changes repeats a change_id.")
        return tuple(out)


# -- push answers ----------------------------------------------------------------------------


@dataclass(frozen=True, config=_ANSWER)
class ServerCopy(WireMessage):
    """The server's current copy of a record (sent with a conflict)."""

    _wire_name: ClassVar[str] = "server"

    version: Positive
    deleted: Bool = False
    resource: JsonObject | None = None


@dataclass(frozen=True, config=_ANSWER)
class ChangeResult(WireMessage):
    """The server's answer to one pushed change."""

    _wire_name: ClassVar[str] = "result"
    _omit_when_unset: ClassVar[frozenset[str]] = frozenset({"code", "http_status"})

    change_id: Uuid
    status: Annotated[Status, _one_of("applied", "conflict", "rejected")]
    version: Positive | None = None
    seq: Positive | None = None
    server: ServerCopy | None = None
    error: Annotated[Str | None, AfterValidator(_none_if_empty)] = None
    # A rejection's stable reason (e.g. "invalid_id", "reference_not_found",
    # "change_id_reused") and the HTTP status it stands for (422, 403, 409): a client treats
    # every rejected change as permanent until the record is changed.
    code: Str | None = None
    http_status: Int | None = None

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.code is not None:  # sent together, or neither
            out["http_status"] = self.http_status
        return out


@dataclass(frozen=True, config=_ANSWER)
class PushResponse(WireMessage):
    """The answers to a push, one per change, in the order of the changes."""

    _wire_name: ClassVar[str] = "push response"

    epoch: Str
    results: Annotated[tuple[ChangeResult, ...], BeforeValidator(_array)]


# -- pull ------------------------------------------------------------------------------------


@dataclass(frozen=True, config=_REQUEST)
class PullRequest(WireMessage):
    """A page of changes after ``since``; a ``limit`` above :data:`MAX_PULL` is cut to it."""

    _wire_name: ClassVar[str] = "pull"
    _omit_when_unset: ClassVar[frozenset[str]] = frozenset({"count"})

    since: Annotated[Int, _at_least(0, MAX_SEQ)]
    limit: Annotated[
        Int, BeforeValidator(_default_page), _at_least(1), AfterValidator(_cap_page)
    ] = 500
    count: Bool = False  # also answer how many visible changes remain after this page


@dataclass(frozen=True, config=_ANSWER)
class PulledChange(WireMessage):
    """One accepted change as a client pulls it (a tombstone when ``deleted``)."""

    _wire_name: ClassVar[str] = "pulled"

    seq: Positive
    rtype: Annotated[Str, _grammar(_RTYPE)]
    record_id: FhirId
    version: Positive
    deleted: Bool
    resource: JsonObject | None
    change_id: Str | None = None  # the pushed change that made it (lets a client skip its own)


@dataclass(frozen=True, config=_ANSWER)
class PullResponse(WireMessage):
    """One page of a pull."""

    _wire_name: ClassVar[str] = "pull response"
    _omit_when_unset: ClassVar[frozenset[str]] = frozenset({"remaining"})

    epoch: Str
    head: Count  # the highest sequence on the server (for the restored-server check)
    changes: Annotated[tuple[PulledChange, ...], BeforeValidator(_array)]
    next: Count
    more: Bool
    remaining: Count | None = None  # visible changes after this page (asked for with count)


@plain_dataclass(frozen=True)
class PullPage:
    """A pull answer checked by :func:`pull_page` (the client's fast parse): the same fields as
    :class:`PullResponse`, its changes left as the decoded JSON objects."""

    epoch: str
    head: int
    changes: list[dict[str, Any]]
    next: int
    more: bool
    remaining: int | None = None


def _count(value: object, low: int) -> bool:
    return type(value) is int and value >= low


def change_ok(c: object) -> bool:
    """Whether one pulled change is what :class:`PulledChange` accepts (checked by hand)."""
    if type(c) is not dict:
        return False
    rtype, rid, res, cid = (
        c.get("rtype"),
        c.get("record_id"),
        c.get("resource", 0),
        c.get("change_id"),
    )
    return (
        _count(c.get("seq"), 1)
        and _count(c.get("version"), 1)
        and type(c.get("deleted")) is bool
        and type(rtype) is str
        and _RTYPE.fullmatch(rtype) is not None
        and type(rid) is str
        and _ID.fullmatch(rid) is not None
        and (res is None or type(res) is dict)
        and (cid is None or type(cid) is str)
    )


def pull_page(data: Any) -> PullPage:
    """A decoded pull answer, checked field by field without building a model per change (a
    first sync's pages hold thousands; the server validated every record when it was pushed).
    It accepts only what :meth:`PullResponse.parse` accepts; anything else goes through that
    parse, which raises the :class:`ProtocolError` naming the field (or, should the hand check
    be stricter than the model somewhere, accepts it)."""
    if type(data) is dict:
        changes, remaining = data.get("changes"), data.get("remaining")
        if (
            type(data.get("epoch")) is str
            and _count(data.get("head"), 0)
            and _count(data.get("next"), 0)
            and type(data.get("more")) is bool
            and (remaining is None or _count(remaining, 0))
            and type(changes) is list
            and all(change_ok(c) for c in changes)
        ):
            return PullPage(data["epoch"], data["head"], changes, data["next"], data["more"],
                            remaining)  # fmt: skip
    parsed = PullResponse.parse(data)
    return PullPage(
        parsed.epoch,
        parsed.head,
        [c.to_json() for c in parsed.changes],
        parsed.next,
        parsed.more,
        parsed.remaining,
    )


# -- attachments and errors ------------------------------------------------------------------


@dataclass(frozen=True, config=_ANSWER)
class AttachmentStatus(WireMessage):
    """Upload state of one attachment on the server: resume from ``received``."""

    _wire_name: ClassVar[str] = "attachment"

    sha256: Digest
    size: Count
    received: Count
    complete: Bool = False


def is_sha256(text: str) -> bool:
    return bool(_SHA256.fullmatch(text))


@dataclass(frozen=True, config=_ANSWER)
class ErrorBody(WireMessage):
    """Every 4xx/5xx answer: ``{"error": {"code": ..., "message": ...}}``."""

    _wire_name: ClassVar[str] = "error"

    code: Str
    message: Str
    details: JsonObject = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


MESSAGES: tuple[type[WireMessage], ...] = (
    Change,
    PushRequest,
    ServerCopy,
    ChangeResult,
    PushResponse,
    PullRequest,
    PulledChange,
    PullResponse,
    AttachmentStatus,
    ErrorBody,
)
