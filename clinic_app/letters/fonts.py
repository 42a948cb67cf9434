"""The Chinese font printed letters embed: a TrueType font found on this machine (the one the
installers bring: ``fonts-wqy-microhei`` on Linux, Microsoft YaHei or SimSun on Windows, the
system's Heiti/Songti on macOS), registered with reportlab as a TrueType font so that only the
glyphs used are embedded, as a subset (``FontFile2`` in the PDF). reportlab's built-in CID
fonts (STSong-Light) are never used: they are not embedded and print only where the reader
has the font.

``CLINIC_LETTER_FONT`` overrides the search: a path to a ``.ttf``/``.ttc`` file, with
``#N`` for the face of a collection (``/fonts/simsun.ttc#0``)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from clinic_app.errors import ClinicError

log = logging.getLogger(__name__)
FONT_NAME = "ClinicCJK"
ENV = "CLINIC_LETTER_FONT"
PREFERRED = ("wqy-microhei", "wqy-zenhei", "droidsansfallback", "arphic", "uming", "ukai")
WINDOWS = ("msyh.ttc", "msyh.ttf", "simsun.ttc", "simhei.ttf", "simkai.ttf")
MACOS = (
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
)
PROBE = "王芳处方"  # glyphs a font must have to print a letter


class NoLetterFont(ClinicError):
    """No TrueType font with Chinese characters is installed: letters cannot be printed."""


def _fontconfig() -> list[tuple[Path, int]]:
    """TrueType faces with Chinese characters that fontconfig knows, preferred ones first."""
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "--format", "%{file}|%{index}|%{fontformat}\n"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    faces: list[tuple[Path, int]] = []
    for line in out.splitlines():
        file, _, rest = line.partition("|")
        index, _, kind = rest.partition("|")
        if kind.strip() == "TrueType" and index.strip().isdigit():
            faces.append((Path(file), int(index)))

    def rank(face: tuple[Path, int]) -> tuple[int, str, int]:
        name = face[0].name.lower()
        hits = [n for n, key in enumerate(PREFERRED) if key in name]
        return (hits[0] if hits else len(PREFERRED), str(face[0]), face[1])

    return sorted(set(faces), key=rank)


def candidates() -> list[tuple[Path, int]]:
    """Font files to try, in order: the override, then what this system has."""
    found: list[tuple[Path, int]] = []
    override = os.environ.get(ENV, "").strip()
    if override:
        path, _, index = override.partition("#")
        found.append((Path(path), int(index) if index.isdigit() else 0))
    if sys.platform == "win32":
        folder = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        found += [(folder / name, 0) for name in WINDOWS]
    elif sys.platform == "darwin":
        found += [(Path(p), 0) for p in MACOS]
    found += _fontconfig()
    return [(p, i) for p, i in found if p.is_file()]


@lru_cache(maxsize=1)
def register() -> str:
    """Register the letter font with reportlab (once per process); its name for styles."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index in candidates():
        try:
            font = TTFont(FONT_NAME, str(path), subfontIndex=index)
        except (TTFError, OSError, ValueError) as exc:  # e.g. PostScript (CFF) outlines
            log.debug("letter font %s#%d not usable: %s", path, index, exc)
            continue
        if all(ord(ch) in font.face.charToGlyph for ch in PROBE):
            pdfmetrics.registerFont(font)
            log.info("letters print with %s#%d", path, index)
            return FONT_NAME
    raise NoLetterFont(
        "No Chinese TrueType font was found to print letters with; install the"
        " fonts-wqy-microhei package (or reinstall the workstation)."
    )
