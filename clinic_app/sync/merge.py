"""Three-way merge of one record: fields changed on one side merge; the same field changed on
both sides is a conflict kept for a clinician. Nothing is ever resolved silently.

Append-only kinds (Observations, notes, messages, prescriptions) never merge field by field:
the only change they take is ``status: entered-in-error``, which wins when either side made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from clinic_app.sync.protocol import APPEND_ONLY

Resource = dict[str, Any]
IGNORED_FIELDS = frozenset({"meta", "id", "resourceType", "text"})
DELETED_HERE = "(deleted on this workstation)"
DELETED_THERE = "(deleted on the server)"

Outcome = Literal["take-remote", "push-merged", "conflict"]


@dataclass
class MergeResult:
    outcome: Outcome
    merged: Resource | None = None  # for push-merged: the resource to push
    fields: list[str] = field(default_factory=list)  # for conflict: what both sides changed


def _strip(res: Resource | None) -> Resource:
    return {k: v for k, v in (res or {}).items() if k not in IGNORED_FIELDS}


def three_way(
    rtype: str,
    base: Resource | None,
    local: Resource | None,
    local_deleted: bool,
    remote: Resource | None,
    remote_deleted: bool,
) -> MergeResult:
    """Merge ``local`` (this workstation) and ``remote`` (the server) against their ``base``."""
    if local_deleted and remote_deleted:
        return MergeResult("take-remote")
    if remote_deleted:
        # Edited here, deleted there: keep the edit visible until a clinician decides.
        return MergeResult("conflict", fields=[DELETED_THERE])
    if local_deleted:
        return MergeResult("conflict", fields=[DELETED_HERE])
    b, lo, re_ = _strip(base), _strip(local), _strip(remote)
    if lo == re_:
        return MergeResult("take-remote")
    if rtype in APPEND_ONLY:
        for side, other in ((lo, re_), (re_, lo)):
            if side.get("status") == "entered-in-error":
                merged_ai = dict(other)
                merged_ai["status"] = "entered-in-error"
                if merged_ai == re_:
                    return MergeResult("take-remote")
                return MergeResult("push-merged", {**(remote or {}), **merged_ai})
        changed = sorted(k for k in set(lo) | set(re_) if lo.get(k) != re_.get(k))
        return MergeResult("conflict", fields=changed)
    merged: Resource = {}
    conflicts: list[str] = []
    for key in sorted(set(b) | set(lo) | set(re_)):
        bv, lv, rv = b.get(key), lo.get(key), re_.get(key)
        if lv == rv:
            value = lv
        elif lv == bv:
            value = rv
        elif rv == bv:
            value = lv
        else:
            conflicts.append(key)
            continue
        if value is not None:
            merged[key] = value
    if conflicts:
        return MergeResult("conflict", fields=conflicts)
    if merged == re_:
        return MergeResult("take-remote")
    out = {k: v for k, v in (remote or {}).items() if k in IGNORED_FIELDS and k != "meta"}
    out.update(merged)
    return MergeResult("push-merged", out)


def resolve(
    base: Resource | None, local: Resource | None, remote: Resource | None,
    choices: dict[str, Literal["local", "remote"]], fields: list[str],
) -> Resource:  # fmt: skip
    """Build the resolved resource from a clinician's per-field choices (others merge)."""
    missing = [f for f in fields if f not in choices]
    if missing:
        raise ValueError(f"choose a side for: {', '.join(missing)}")
    lo, re_ = _strip(local), _strip(remote)
    b = _strip(base)
    out: Resource = {
        k: v for k, v in (remote or local or {}).items() if k in ("resourceType", "id")
    }
    for key in sorted(set(b) | set(lo) | set(re_)):
        if key in choices:
            value = lo.get(key) if choices[key] == "local" else re_.get(key)
        else:
            bv, lv, rv = b.get(key), lo.get(key), re_.get(key)
            value = rv if lv == bv else lv
        if value is not None:
            out[key] = value
    return out
