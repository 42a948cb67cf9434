"""Chinese and Latin names: pinyin transcription and the search terms they give."""

from __future__ import annotations

import itertools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin, pinyin

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[^\w\u3400-\u9fff]+")


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def fold(text: str) -> str:
    """Lower case, accents removed (ü -> u), for matching Latin text."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Surnames read differently from the same character in ordinary words.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "尉迟": "yuchi", "万俟": "moqi",
    "乐": "yue", "秘": "bi", "种": "chong", "繁": "po", "折": "she", "员": "yun", "宓": "fu",
    "长孙": "zhangsun", "澹台": "tantai", "黑": "he", "召": "shao", "隗": "wei", "牟": "mou",
}  # fmt: skip


def surname_pinyin(family: str) -> str:
    """The surname's reading: the surname table first, else the ordinary reading."""
    if family in SURNAME_READINGS:
        return SURNAME_READINGS[family]
    if family[:1] in SURNAME_READINGS:
        return SURNAME_READINGS[family[:1]] + to_pinyin(family[1:]).replace(" ", "")
    return to_pinyin(family).replace(" ", "")


def name_pinyin(family: str, given: str) -> tuple[str, str]:
    """Latin form of a Chinese name as written on documents: ("Zeng", "Xiaohong")."""
    return (
        surname_pinyin(family).capitalize(),
        to_pinyin(given).replace(" ", "").capitalize(),
    )


def to_pinyin(text: str) -> str:
    """Pinyin without tones, syllables separated by spaces ("王小明" -> "wang xiao ming")."""
    return " ".join(s for s in lazy_pinyin(text, errors="ignore") if s.strip())


def pinyin_readings(text: str, limit: int = 4, surname: bool = False) -> list[list[str]]:
    """Syllable lists for the likely readings of a name (polyphonic characters give several).

    For a surname, the surname reading comes first and every reading of the character is kept.
    """
    per_char = pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")
    if surname and per_char:
        first = per_char[0]
        known = SURNAME_READINGS.get(text[:1])
        per_char[0] = ([known] if known else []) + [r for r in first if r != known]
        per_char[1:] = [r[:2] for r in per_char[1:]]
        limit = max(limit, len(per_char[0]))
    else:
        per_char = [r[:2] for r in per_char]
    combos = itertools.islice(itertools.product(*per_char), limit)
    return [[s.lower() for s in combo] for combo in combos]


def name_terms(family: str, given: str) -> set[str]:
    """Every prefix-searchable term of one name: characters, pinyin, initials, Latin words."""
    terms: set[str] = set()
    full = f"{family}{given}" if has_han(family + given) else f"{family} {given}".strip()
    for part in (full, family, given):
        part = part.strip()
        if not part:
            continue
        if has_han(part):
            terms.add(part)
            for syllables in pinyin_readings(part):
                terms.add("".join(syllables))
        else:
            words = [w for w in _NON_WORD.split(fold(part)) if w]
            terms.update(words)
            terms.add("".join(words))
    if has_han(family + given):
        fam = pinyin_readings(family, surname=True) if family else [[]]
        giv = pinyin_readings(given) if given else [[]]
        for f_syl, g_syl in itertools.product(fam, giv):
            syllables = f_syl + g_syl
            terms.add("".join(syllables))
            terms.add("".join(s[0] for s in syllables if s))
            if g_syl:
                terms.add("".join(g_syl))
    return {t for t in terms if t}


def query_terms(query: str) -> list[str]:
    """Split what a user typed into prefixes to match (all must match)."""
    out: list[str] = []
    for word in _NON_WORD.split(fold(query.strip())):
        if word:
            out.append(word)
    return out
