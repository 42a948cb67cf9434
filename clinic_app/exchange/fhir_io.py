"""FHIR R4 import (Bundle or NDJSON) and export, validated with fhir.resources' R4B models.

Import is all-or-nothing: the whole file is parsed and validated before anything is written,
then written in one transaction. Error messages name the entry and field, never its value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from clinic_app.errors import ImportFailed
from clinic_app.records.common import Resource
from clinic_app.services.writes import item
from local_store.store import Store

SUPPORTED = (
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
)
MAX_IMPORT_BYTES = 2 * 1024**3


def validation_problem(res: Any) -> str | None:
    """None if ``res`` is a valid R4 resource of a supported type, else a value-free reason."""
    if not isinstance(res, dict):
        return "is not a JSON object"
    rtype = res.get("resourceType")
    if rtype not in SUPPORTED:
        return f"has an unsupported resourceType ({str(rtype)[:40]!r})"
    rid = res.get("id")
    if not isinstance(rid, str) or not (1 <= len(rid) <= 64):
        return "needs an id of 1 to 64 characters"
    try:
        get_fhir_model_class(rtype).model_validate(res)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(resource)"
        return f"is not valid FHIR R4 {rtype}: field {where}: {first.get('type')}"
    return None


def validate(res: Any) -> None:
    problem = validation_problem(res)
    if problem:
        raise ValueError(problem)


def _entries(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, resource) for each resource in a Bundle, a single resource or NDJSON."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    try:
        if head.startswith(b"{") and b"\n{" not in head.replace(b"\r", b""):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
                for n, entry in enumerate(doc.get("entry") or [], 1):
                    if not isinstance(entry, dict) or "resource" not in entry:
                        raise ImportFailed(f"Bundle entry {n} holds no resource.")
                    yield f"Bundle entry {n}", entry["resource"]
                return
            yield "the resource", doc
            return
    except json.JSONDecodeError as exc:
        if b"\n" not in head:
            raise ImportFailed(f"The file is not valid JSON (line {exc.lineno}).") from None
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield f"line {n}", json.loads(line)
            except json.JSONDecodeError:
                raise ImportFailed(f"Line {n} is not valid JSON.") from None


def import_file(store: Store, path: Path) -> dict[str, int]:
    """Import every resource of ``path``; returns counts by type. Nothing is written on error."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFailed("The file to import cannot be read.") from None
    if size > MAX_IMPORT_BYTES:
        raise ImportFailed("The file is too large to import (2 GB at most).")
    resources: list[Resource] = []
    seen: set[str] = set()
    try:
        for where, res in _entries(path):
            problem = validation_problem(res)
            if problem:
                raise ImportFailed(f"{where} {problem}; nothing was imported.")
            if res["id"] in seen:
                raise ImportFailed(f"{where} repeats an id; nothing was imported.")
            seen.add(res["id"])
            resources.append(res)
    except UnicodeDecodeError:
        raise ImportFailed("The file is not UTF-8 text; nothing was imported.") from None
    if not resources:
        raise ImportFailed("The file holds no resources.")
    store.put_many(item(r) for r in resources)
    counts: dict[str, int] = {}
    for r in resources:
        counts[r["resourceType"]] = counts.get(r["resourceType"], 0) + 1
    store.audit("import", detail=f"{len(resources)} records")
    return counts


def _write_bundle(out: IO[str], resources: Iterator[Resource]) -> int:
    out.write('{"resourceType":"Bundle","type":"collection","entry":[')
    n = 0
    for res in resources:
        if n:
            out.write(",")
        entry = {"fullUrl": f"urn:uuid:{res['id']}", "resource": res}
        out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        n += 1
    out.write("]}\n")
    return n


def export_fhir(store: Store, out_path: Path, rtypes: Sequence[str] | None = None) -> int:
    """Export live records as NDJSON (``.ndjson``) or a collection Bundle (anything else)."""
    out_path = Path(out_path)
    partial = out_path.with_name(f".{out_path.name}.partial")
    records = store.iter_records(rtypes)
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
