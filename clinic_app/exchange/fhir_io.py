"""FHIR R4 import (Bundle or NDJSON) and export, validated with fhir.resources' R4B models.

Import is all-or-nothing: the whole file is parsed and validated before anything is written,
then written in one transaction. Error messages name the entry and field, never its value.

A Bundle entry whose ``request`` is ``{"method": "DELETE", "url": "Type/id"}`` deletes that
record here as a tombstone (synced like any local delete) in the same transaction as the rest;
deleting a record that is already deleted or was never here changes nothing, so importing the
file twice is harmless. Conditional deletes (``Type?search``) are refused.

Export also carries, after the records, one FHIR ``Medication`` per formulary medicine that an
exported MedicationRequest or MedicationStatement names (by its formulary code; the
prescriptions keep their ``medicationCodeableConcept`` and their ``priorPrescription``). Those
Medications are reference data made from the formulary, not records of this workstation: an
import validates them and leaves them out.

Export: a record with an open sync conflict is exported with the value kept here, which the
central platform has not accepted. It is not labelled with a version of the platform's: its
``meta.versionId`` is the platform version it was edited from (absent for a record never
synced), and ``meta.tag`` carries :data:`UNRESOLVED_TAG`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from clinic_app.clinical.medication_formulary import SYS_FORMULARY, Formulary, current, starter
from clinic_app.errors import ClinicError, ImportFailed
from clinic_app.records.bindings import binding_problem
from clinic_app.records.common import Resource
from clinic_app.services.writes import item
from clinic_app.sync.protocol import PLATFORM_TYPES, SYNCED_TYPES
from local_store.store import Store
from local_store.sync_ledger import SyncLedger

# What a workstation keeps is exactly what it syncs.
SUPPORTED = tuple(sorted(SYNCED_TYPES - PLATFORM_TYPES))
MAX_IMPORT_BYTES = 2 * 1024**3
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DELETE_URL = re.compile(r"([A-Za-z]{1,64})/([A-Za-z0-9\-.]{1,64})")
SYNC_STATE_SYSTEM = "https://fhir.clinic-workstation.cn/CodeSystem/sync-state"
UNRESOLVED_TAG = {
    "system": SYNC_STATE_SYSTEM,
    "code": "unresolved-conflict",
    "display": "Local value in conflict with the central platform, not resolved yet",
}


@dataclass(frozen=True)
class _Delete:
    """A Bundle entry asking to delete ``rtype``/``rid``."""

    rtype: str
    rid: str


def _delete_target(request: dict[str, Any], where: str) -> _Delete:
    url = request.get("url")
    if not isinstance(url, str):
        raise ImportFailed(f"{where} deletes without a url (Type/id); nothing was imported.")
    if "?" in url:
        raise ImportFailed(
            f"{where} is a conditional delete, which is not supported (give Type/id); "
            "nothing was imported."
        )
    m = _DELETE_URL.fullmatch(url.strip())
    if not m:
        raise ImportFailed(f"{where} deletes a url that is not Type/id; nothing was imported.")
    if m.group(1) not in SUPPORTED:
        raise ImportFailed(
            f"{where} deletes a resourceType this workstation does not keep; nothing was imported."
        )
    return _Delete(m.group(1), m.group(2))


# Exported from the formulary alongside the prescriptions; an import checks and skips them.
REFERENCE_TYPES = ("Medication",)
REFERENCE_BASE = "https://fhir.clinic-workstation.cn/formulary"  # their Bundle fullUrl
MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")


def validation_problem(res: Any) -> str | None:
    """None if ``res`` is a valid R4 resource of a supported type, else a value-free reason."""
    if not isinstance(res, dict):
        return "is not a JSON object"
    rtype = res.get("resourceType")
    if rtype not in SUPPORTED and rtype not in REFERENCE_TYPES:
        return "has a resourceType this workstation does not keep"
    rid = res.get("id")
    if not isinstance(rid, str) or not _FHIR_ID.match(rid):
        return "needs an id of 1 to 64 letters, digits, '-' or '.'"
    try:
        get_fhir_model_class(rtype).model_validate(res)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(resource)"
        return f"is not valid FHIR R4 {rtype}: field {where}: {first.get('type')}"
    except (RecursionError, ValueError, TypeError):
        return f"is not valid FHIR R4 {rtype}"
    problem = binding_problem(res)
    if problem:
        return f"is not valid FHIR R4 {rtype}: {problem}"
    return None


def validate(res: Any) -> None:
    problem = validation_problem(res)
    if problem:
        raise ValueError(problem)


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ImportFailed(f"{where} is nested too deeply; nothing was imported.") from None


def _entries(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, resource) for each resource in a Bundle, a single resource or NDJSON; a Bundle's
    DELETE entries as (where, :class:`_Delete`).

    ``.ndjson``/``.jsonl`` files are read line by line (unless their first line is not a
    JSON document of its own: then the file is a pretty-printed Bundle with the wrong name);
    anything else is parsed as one JSON document, and as NDJSON if it holds several.
    """
    if not _looks_like_ndjson(path):
        text = path.read_text(encoding="utf-8-sig")
        try:
            doc = _loads(text, "The file")
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith("Extra data"):
                raise ImportFailed(
                    f"The file is not valid JSON (line {exc.lineno}); nothing was imported."
                ) from None
        else:
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
                for n, entry in enumerate(doc.get("entry") or [], 1):
                    request = entry.get("request") if isinstance(entry, dict) else None
                    if isinstance(request, dict) and request.get("method") == "DELETE":
                        yield f"Bundle entry {n}", _delete_target(request, f"Bundle entry {n}")
                        continue
                    if not isinstance(entry, dict) or "resource" not in entry:
                        raise ImportFailed(f"Bundle entry {n} holds no resource.")
                    yield f"Bundle entry {n}", entry["resource"]
                return
            yield "the resource", doc
            return
    with open(path, encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield f"line {n}", _loads(line, f"Line {n}")
            except json.JSONDecodeError:
                raise ImportFailed(f"Line {n} is not valid JSON; nothing was imported.") from None


def _looks_like_ndjson(path: Path) -> bool:
    if path.suffix.lower() not in (".ndjson", ".jsonl"):
        return False
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                try:
                    _loads(line, "Line 1")
                except json.JSONDecodeError:
                    return False
                return True
    return True


def _strip_meta(res: Resource) -> Resource:
    return {k: v for k, v in res.items() if k != "meta"}


def _without_sync_tag(res: Resource) -> Resource:
    """The resource without the unresolved-conflict tag an export of ours may have put on it."""
    meta = res.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("tag"), list):
        return res
    tags = [
        t for t in meta["tag"] if not (isinstance(t, dict) and t.get("system") == SYNC_STATE_SYSTEM)
    ]
    if len(tags) == len(meta["tag"]):
        return res
    meta = {k: v for k, v in meta.items() if k != "tag"} | ({"tag": tags} if tags else {})
    return {k: v for k, v in res.items() if k != "meta"} | ({"meta": meta} if meta else {})


def import_file(store: Store, path: Path, *, update: bool = False) -> dict[str, int]:
    """Import every resource of ``path``; returns counts by type. Nothing is written on error.

    A resource whose id is already here with the same content is skipped (importing a file
    twice changes nothing). One with different content is refused unless ``update`` is set,
    so an old export can never overwrite newer records by accident.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFailed("The file to import cannot be read.") from None
    if size > MAX_IMPORT_BYTES:
        raise ImportFailed("The file is too large to import (2 GB at most).")
    resources: list[Resource] = []
    deletes: list[tuple[str, _Delete]] = []
    seen: set[str] = set()
    try:
        for where, res in _entries(path):
            rid = res.rid if isinstance(res, _Delete) else None
            if rid is None:
                problem = validation_problem(res)
                if problem:
                    raise ImportFailed(f"{where} {problem}; nothing was imported.")
                rid = res["id"]
            if rid in seen:
                raise ImportFailed(f"{where} repeats an id; nothing was imported.")
            seen.add(rid)
            if isinstance(res, _Delete):
                deletes.append((where, res))
            elif res.get("resourceType") in REFERENCE_TYPES:
                continue  # formulary reference data that came with an export: not a record
            else:
                resources.append(_without_sync_tag(res))
    except UnicodeDecodeError:
        raise ImportFailed("The file is not UTF-8 text; nothing was imported.") from None
    if not resources and not deletes:
        raise ImportFailed("The file holds no resources.")
    fresh = []
    for n, res in enumerate(resources, 1):
        here = store.version_of(res["id"])
        if here is None or here[1]:
            fresh.append(res)
            continue
        try:
            current = store.get(res["resourceType"], res["id"])
        except ClinicError:
            raise ImportFailed(
                f"Resource {n} reuses the id of a record of another type; nothing was imported."
            ) from None
        if _strip_meta(current) == _strip_meta(res):
            continue
        if not update:
            raise ImportFailed(
                f"Resource {n} would overwrite a record that differs here; nothing was imported"
                " (import with --update to replace existing records)."
            )
        fresh.append(res)
    resources = fresh
    tombstones: list[tuple[str, str]] = []
    for where, gone in deletes:
        here = store.version_of(gone.rid)
        if here is None or here[1]:
            continue  # never here, or deleted already: nothing to do (idempotent)
        try:
            store.get(gone.rtype, gone.rid)
        except ClinicError:
            raise ImportFailed(
                f"{where} deletes a record whose id is used here by another type; nothing was"
                " imported."
            ) from None
        tombstones.append((gone.rtype, gone.rid))
    if resources or tombstones:
        store.put_many((item(r) for r in resources), deletes=tombstones)
    counts: dict[str, int] = {}
    for r in resources:
        counts[r["resourceType"]] = counts.get(r["resourceType"], 0) + 1
    for rtype, _rid in tombstones:
        counts[f"deleted {rtype}"] = counts.get(f"deleted {rtype}", 0) + 1
    detail = f"{len(resources)} records"
    if tombstones:
        detail += f", {len(tombstones)} deleted"
    store.audit("import", detail=detail)
    return counts


def _marked_unresolved(res: Resource, base: int | None) -> Resource:
    """The local value of a record in open conflict, labelled as such (see the docstring)."""
    meta = dict(res.get("meta") or {})
    if base is None:
        meta.pop("versionId", None)
    else:
        meta["versionId"] = str(base)
    tags = [t for t in meta.get("tag") or [] if not (
        isinstance(t, dict) and t.get("system") == SYNC_STATE_SYSTEM)]  # fmt: skip
    meta["tag"] = [*tags, dict(UNRESOLVED_TAG)]
    return {**res, "meta": meta}


def formulary_ids(res: Resource) -> list[str]:
    """The formulary entries a MedicationRequest or MedicationStatement names."""
    concept = res.get("medicationCodeableConcept") or {}
    return [
        str(c["code"])
        for c in concept.get("coding") or []
        if isinstance(c, dict) and c.get("system") == SYS_FORMULARY and c.get("code")
    ]


def medications(ids: Sequence[str], formulary: Formulary | None = None) -> list[Resource]:
    """FHIR Medication resources for formulary entry ids (unknown ids are left out)."""
    formulary = formulary or starter()
    return [m.medication() for i in dict.fromkeys(ids) if (m := formulary.get(i)) is not None]


def _exported(store: Store, rtypes: Sequence[str] | None) -> Iterator[Resource]:
    unresolved = SyncLedger(store).unresolved_bases()
    with_meds = rtypes is None or "Medication" in rtypes
    read = None
    if rtypes is not None:  # Medications need the prescriptions that name them read too
        read = [t for t in rtypes if t not in REFERENCE_TYPES]
        read += [t for t in MEDICATION_TYPES if with_meds and t not in read]
    named: list[str] = []
    for res in store.iter_records(read):
        rid = res.get("id")
        if res.get("resourceType") in REFERENCE_TYPES:
            continue  # the platform's formulary: only the entries prescriptions name, below
        if res.get("resourceType") in MEDICATION_TYPES:
            named += formulary_ids(res)
        if rtypes is not None and res.get("resourceType") not in rtypes:
            continue
        if isinstance(rid, str) and rid in unresolved:
            yield _marked_unresolved(res, unresolved[rid])
        else:
            yield res
    if with_meds:
        yield from medications(named, current(store.find("Medication")))


def _write_bundle(out: IO[str], resources: Iterator[Resource]) -> int:
    out.write('{"resourceType":"Bundle","type":"collection","entry":[')
    n = 0
    for res in resources:
        if n:
            out.write(",")
        entry: dict[str, Any] = {"resource": res}
        if _UUID.match(str(res.get("id", ""))):
            entry = {"fullUrl": f"urn:uuid:{res['id']}", "resource": res}
        elif res.get("resourceType") in REFERENCE_TYPES:
            entry = {"fullUrl": f"{REFERENCE_BASE}/{res['resourceType']}/{res['id']}",
                     "resource": res}  # fmt: skip
        out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        n += 1
    out.write("]}\n")
    return n


def export_fhir(store: Store, out_path: Path, rtypes: Sequence[str] | None = None) -> int:
    """Export live records as NDJSON (``.ndjson``) or a collection Bundle (anything else)."""
    out_path = Path(out_path)
    partial = out_path.with_name(f".{out_path.name}.partial")
    records = _exported(store, rtypes)
    try:
        with open(partial, "w", encoding="utf-8") as out:
            if out_path.suffix.lower() in (".ndjson", ".jsonl"):
                n = 0
                for n, res in enumerate(records, 1):  # noqa: B007 - n is the count after
                    out.write(json.dumps(res, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                n = _write_bundle(out, records)
        partial.replace(out_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    store.audit("export", detail=f"fhir {n} records")
    return n
