"""Workstation preferences: per PC, never clinical, each declared once with its type, default
and description, kept in ``QSettings("ClinicWorkstation", "workstation")``. The link to the
central platform is not here: it lives in the encrypted store (clinic_app.sync.account)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings

ORGANIZATION = "ClinicWorkstation"
APPLICATION = "workstation"


@dataclass(frozen=True)
class Preference:
    key: str
    type: type
    default: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None


LANGUAGE = Preference(
    "language", str, "", "Interface language: en or zh_CN (empty: follow the system)."
)
IDLE_LOCK_MINUTES = Preference(
    "idle_lock_minutes",
    int,
    10,
    "Minutes without keyboard or mouse use before the workstation locks itself.",
    minimum=1,
    maximum=120,
)
CAMERA = Preference(
    "camera",
    str,
    "",
    "Camera for calls: empty for the first one found (else the synthetic test picture), "
    "'synthetic' for the test picture, or a device name.",
)
MICROPHONE = Preference(
    "microphone",
    str,
    "",
    "Microphone for calls: empty for the first one found (else a test tone), "
    "'synthetic' for the test tone, or a device name.",
)
SPEAKER = Preference(
    "speaker",
    str,
    "",
    "Loudspeaker or headset that plays the other side of a call: empty for the system's default.",
)
FONT_SIZE = Preference(
    "font_size",
    int,
    0,
    "Text size on every screen: 0 standard, 1 large, 2 larger, 3 largest.",
    minimum=0,
    maximum=3,
)
HEADSET = Preference(
    "headset",
    int,
    0,
    "Whether calls are made with a headset (1: echo cancellation off), as last chosen in the "
    "pre-call check or the consult room.",
    minimum=0,
    maximum=1,
)
# How much each text size step enlarges the system's font.
FONT_SCALES = (1.0, 1.2, 1.4, 1.65)
ALL = (LANGUAGE, IDLE_LOCK_MINUTES, CAMERA, MICROPHONE, SPEAKER, FONT_SIZE, HEADSET)


def settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def get(pref: Preference) -> Any:
    """The stored value, or the default when missing, of the wrong type or out of range."""
    raw = settings().value(pref.key)
    if raw is None:
        return pref.default
    try:
        value = pref.type(raw)
    except (TypeError, ValueError):
        return pref.default
    if pref.minimum is not None and value < pref.minimum:
        return pref.default
    if pref.maximum is not None and value > pref.maximum:
        return pref.default
    return value


def put(pref: Preference, value: Any) -> None:
    s = settings()
    s.setValue(pref.key, pref.type(value))
    s.sync()


def uses_headset() -> bool:
    """The headset choice made for the last call (remembered between calls)."""
    return bool(get(HEADSET))


def remember_headset(headset: bool) -> None:
    put(HEADSET, 1 if headset else 0)


def idle_lock_ms() -> int:
    return int(get(IDLE_LOCK_MINUTES)) * 60 * 1000


def font_scale(step: int | None = None) -> float:
    """The factor of a text size step (the stored one when ``step`` is None)."""
    chosen = int(get(FONT_SIZE)) if step is None else step
    return FONT_SCALES[max(0, min(chosen, len(FONT_SCALES) - 1))]
