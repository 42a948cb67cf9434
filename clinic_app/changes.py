"""What an operation changed: the records (type and id) it wrote, and why. Every write of the
core returns one (inside :class:`Done`); the Qt session broadcasts it as the one "records
changed" signal and each screen decides whether to refresh (as Anki's ``OpChanges``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class _Written(Protocol):
    @property
    def rtype(self) -> str: ...

    @property
    def record_id(self) -> str: ...


@dataclass(frozen=True)
class Changes:
    """The records an operation changed. ``records`` names each one (type, id; an id is never
    empty); ``any_of`` holds the types of which some records changed without saying which (a
    sync round that sent them), built with :meth:`of_types`. An empty ``Changes`` (falsy) says
    nothing about which records: consumers take it as "any may have changed"."""

    records: frozenset[tuple[str, str]] = frozenset()  # (resource type, id)
    reason: str = ""  # what the user did, for logs and screens ("register patient")
    any_of: frozenset[str] = frozenset()  # types changed, which of their records: not said

    @classmethod
    def of(cls, written: Iterable[_Written], reason: str = "") -> Changes:
        return cls(frozenset((w.rtype, w.record_id) for w in written), reason)

    @classmethod
    def of_types(cls, rtypes: Iterable[str], reason: str = "") -> Changes:
        """Records of ``rtypes`` changed; which ones is not known."""
        return cls(reason=reason, any_of=frozenset(rtypes))

    @property
    def types(self) -> frozenset[str]:
        return frozenset(rtype for rtype, _ in self.records) | self.any_of

    def ids(self, rtype: str) -> set[str]:
        """The ids named for ``rtype``; when :meth:`ids_known` is False, others changed too."""
        return {rid for t, rid in self.records if t == rtype}

    def ids_known(self, rtype: str) -> bool:
        """True when :meth:`ids` names every changed record of ``rtype``."""
        return rtype not in self.any_of

    def touches(self, *rtypes: str) -> bool:
        """True when any of ``rtypes`` changed (no types given: anything changed)."""
        return bool(self) and (not rtypes or bool(self.types & set(rtypes)))

    def __or__(self, other: Changes) -> Changes:
        reason = self.reason if self.reason == other.reason or not other.reason else (
            f"{self.reason}; {other.reason}" if self.reason else other.reason
        )  # fmt: skip
        return Changes(self.records | other.records, reason, self.any_of | other.any_of)

    def __bool__(self) -> bool:
        return bool(self.records or self.any_of)


NOTHING = Changes()


@dataclass(frozen=True)
class Done(Generic[T]):
    """An operation's result and what it changed."""

    value: T
    changes: Changes
