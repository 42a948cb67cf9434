"""The clinic's own questions: queries built from conditions, saved by name in the encrypted
store (a meta value of the profile's database, never in a file in clear), run over the records
and exported (:mod:`clinic_app.query`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app.changes import Done
from clinic_app.domains.base import Domain
from clinic_app.domains.registers import load_records
from clinic_app.errors import NotFound, ValidationError
from clinic_app.query import export, spec
from clinic_app.query.evaluate import Result, run
from clinic_app.query.spec import Group
from clinic_app.services import orders

SAVED_META = "queries.saved"
MAX_NAME = 80


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("name", "Give the query a name.")
    if len(name) > MAX_NAME:
        raise ValidationError("name", "The name is too long (at most 80 characters).")
    return name


class Queries(Domain):
    def _saved(self) -> dict[str, Any]:
        raw = self._store.get_meta(SAVED_META)
        found = json.loads(raw) if raw else {}
        return found if isinstance(found, dict) else {}

    def names(self) -> list[str]:
        """The saved queries' names, sorted."""
        return sorted(self._saved())

    def get(self, name: str) -> Group:
        saved = self._saved().get(name)
        if saved is None:
            raise NotFound("No saved query has this name.")
        return spec.parse(saved)

    def save(self, name: str, query: Group | dict[str, Any] | str) -> Done[str]:
        """Save (or replace) a query (its model, or JSON) under ``name``; validated first."""
        name = _name(name)
        group = query if isinstance(query, Group) else spec.parse(query)

        def work() -> str:
            saved = self._saved() | {name: spec.to_json(group)}
            self._store.set_meta(SAVED_META, json.dumps(saved, ensure_ascii=False))
            return name

        return self._write("save query", work)

    def delete(self, name: str) -> Done[str]:
        def work() -> str:
            saved = self._saved()
            if name not in saved:
                raise NotFound("No saved query has this name.")
            del saved[name]
            self._store.set_meta(SAVED_META, json.dumps(saved, ensure_ascii=False))
            return name

        return self._write("delete query", work)

    def run(self, query: Group | dict[str, Any] | str, today: date | None = None) -> Result:
        """The patients matching ``query`` (a saved query's name, its model or JSON)."""
        if isinstance(query, str) and not query.lstrip().startswith("{"):
            group = self.get(query)
        else:
            group = query if isinstance(query, Group) else spec.parse(query)
        result = run(
            group, load_records(self), today or date.today(), orders.formulary(self._store)
        )
        self._store.audit("query.run", detail=f"{len(result.rows)} patients")
        return result

    def export(self, result: Result, path: Path, fmt: str, lang: str = "en") -> int:
        """A result as ``fmt`` (csv, xlsx, txt) with ``lang`` headings; rows written."""
        n = export.write(path, fmt, [export.result_table(result, lang)])
        self._store.audit("export", detail=f"query {fmt} {n} rows")
        return n
