"""The clinic's own questions: a typed query model with a validator (:mod:`.spec`), its
evaluator over the patients' records (:mod:`.evaluate`) and the report files (:mod:`.export`).
Saved queries live in the encrypted store through ``clinic.queries``."""

from clinic_app.query.evaluate import Result, Row, run
from clinic_app.query.spec import Group, parse, to_json

__all__ = ["Group", "Result", "Row", "parse", "run", "to_json"]
