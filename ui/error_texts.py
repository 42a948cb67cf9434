"""The core's error sentences for the GUI: filling values into them and recognising phrases.

An error of the product (``clinic_errors.ClinicError``) has a ``code`` and, when its sentence
carries values, a ``variant`` and ``params``. ``ui.errors`` translates it by ``key`` (``code`` or
``code.variant``) with the sentences of ``clinic_errors.texts`` (re-exported here):

* ``TEMPLATES[key]`` is the English sentence with ``{name}`` where a value goes. Filled with the
  error's ``params`` it is exactly the core's English message (a test checks it on errors the
  core builds). Its translation is looked up under Qt context "core" and filled the same way.
* ``TEMPLATES[code]`` (no variant) needs no values: every code has one, so an error raised
  without values, or with a sentence of its own, is still shown in the user's language.
* Values that are themselves English phrases are in ``PHRASES``, some with values of their own
  (``{folder}``); ``BYTES`` names the values that are byte counts, shown as sizes.

``ZH`` (the Chinese of every template and phrase) goes into ``clinic_zh_CN.ts`` under context
"core" through ``ui/i18n/core_messages.py``. This module imports no Qt.
"""

from __future__ import annotations

import re

from clinic_errors.texts import PHRASES as PHRASES
from clinic_errors.texts import TEMPLATES as TEMPLATES
from clinic_errors.texts import ZH as ZH

# Values given as byte counts (int, or None when unknown).
BYTES = frozenset({"free", "needed"})

_FIELD = re.compile(r"\{(\w+)\}")


def fields(template: str) -> set[str]:
    """The names of the values a template or phrase takes."""
    return set(_FIELD.findall(template))


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by its value (other braces left alone)."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _pattern(phrase: str) -> re.Pattern[str]:
    parts = _FIELD.split(phrase)  # literal, name, literal, name ...
    regex = "".join(
        f"(?P<{part}>.+?)" if n % 2 else re.escape(part) for n, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


PHRASE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (phrase, _pattern(phrase)) for phrase in PHRASES if fields(phrase)
)


def match_phrase(text: str) -> tuple[str, dict[str, str]] | None:
    """The phrase (and its values) that ``text`` is, when it is one of ``PHRASES``."""
    if text in PHRASES:
        return text, {}
    for phrase, pattern in PHRASE_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return phrase, found.groupdict()
    return None
