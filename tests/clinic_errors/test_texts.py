"""The sentences of the product's error codes and their Chinese are written once, in
``clinic_errors/texts.py``: the desktop (``ui/error_texts.py``, the .ts through
``ui/i18n/core_messages.py``) and the web desk (``central/desk/terms.py``) take them from there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from clinic_errors import texts

REPO = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
# Tables that once repeated these sentences or their Chinese.
USERS = ("central/desk/terms.py", "ui/error_texts.py", "ui/i18n/core_messages.py")


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_every_sentence_and_phrase_has_its_chinese():
    assert set(texts.ZH) == {*texts.TEMPLATES.values(), *texts.PHRASES}
    assert all(CJK.search(zh) for zh in texts.ZH.values())
    assert {k: v for k, v in texts.TEMPLATES.items() if "." not in k} == texts.SENTENCES
    assert {"ERROR", "DISK_FULL", "BACKUP_UNVERIFIED", "token_expired"} <= set(texts.SENTENCES)


def test_the_desktop_and_the_desk_use_the_one_table():
    from central.desk import terms
    from ui import error_texts

    assert error_texts.TEMPLATES is texts.TEMPLATES and error_texts.ZH is texts.ZH
    assert error_texts.PHRASES is texts.PHRASES
    for code, sentence in texts.SENTENCES.items():
        assert terms.ERRORS[code] == sentence, code
        assert terms.ZH[sentence] == texts.ZH[sentence], code
        assert terms.error_text("zh", code) == texts.ZH[sentence], code
    for name in USERS:
        repeated = sorted(_strings(REPO / name) & set(texts.ZH))
        assert repeated == [], f"{name} repeats {repeated}"


def test_the_recovery_advice_is_the_store_s():
    """The store words its damaged-store errors with the same advice the table translates."""
    from local_store import errors

    assert (errors.RECOVER, errors.RECOVER_BEHIND) == (texts.RECOVER, texts.RECOVER_BEHIND)
