"""Turning resources into store writes: patient link and search terms filled in one place."""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.records.common import Resource, patient_of
from clinic_app.records.patient import search_terms
from local_store.store import Saved, Store, WriteItem


def item(res: Resource) -> WriteItem:
    terms = search_terms(res) if res.get("resourceType") == "Patient" else None
    return WriteItem(res, patient_of(res), terms)


def save(store: Store, res: Resource, expect_version: int | None = None) -> Saved:
    it = item(res)
    return store.put(it.resource, patient_id=it.patient_id, terms=it.terms,
                     expect_version=expect_version)  # fmt: skip


def save_all(store: Store, resources: Iterable[Resource]) -> list[Saved]:
    """Write several records in one transaction: all of them or none."""
    return store.put_many(item(r) for r in resources)
