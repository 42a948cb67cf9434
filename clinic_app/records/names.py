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


def to_pinyin(text: str) -> str:
    """Pinyin without tones, syllables separated by spaces ("王小明" -> "wang xiao ming")."""
    return " ".join(s for s in lazy_pinyin(text, errors="ignore") if s.strip())


def pinyin_readings(text: str, limit: int = 4) -> list[list[str]]:
    """Syllable lists for the likely readings of a name (polyphonic characters give several)."""
    per_char = [r[:2] for r in pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")]
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
        fam = pinyin_readings(family) if family else [[]]
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
