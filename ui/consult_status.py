"""How a consult's status (derived once, in clinic_app.services.chart_view.consult_status) reads
on screen: one translated label and one colour per status, used wherever a consult appears."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

_COLOURS = {
    "draft": "#6b6b6b",
    "queued": "#a15c00",
    "delivered": "#1f5fa8",
    "accepted": "#1f5fa8",
    "scheduled": "#00696b",
    "answered": "#1b7f3a",
    "declined": "#b3261e",
    "cancelled": "#6b6b6b",
}


def status_text(state: str | None) -> str:
    """The label of a consult status, in the user's language."""
    labels = {
        "draft": QCoreApplication.translate("consult_status", "Draft (not sent)"),
        "queued": QCoreApplication.translate("consult_status", "Queued offline"),
        "delivered": QCoreApplication.translate("consult_status", "Delivered"),
        "accepted": QCoreApplication.translate("consult_status", "Accepted"),
        "scheduled": QCoreApplication.translate("consult_status", "Scheduled"),
        "answered": QCoreApplication.translate("consult_status", "Answered"),
        "declined": QCoreApplication.translate("consult_status", "Declined"),
        "cancelled": QCoreApplication.translate("consult_status", "Cancelled"),
    }
    return labels.get(state or "", state or "")


def status_colour(state: str | None) -> str:
    return _COLOURS.get(state or "", "#000000")
