"""How a consult's status (derived once, in clinic_app.services.chart_view.consult_status) reads
on screen: one translated label and one colour per status, used wherever a consult appears; and,
for a consult appointment, why its call cannot be joined yet and what happens next."""

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


JOINABLE = ("booked", "arrived", "checked-in")  # an appointment whose call can be joined


def join_blocker(appointment_status: str | None) -> str | None:
    """Why the call of a consult appointment cannot be joined (and what happens next), in the
    user's language; None when it can be joined."""
    status = appointment_status or ""
    if status in JOINABLE:
        return None

    if status == "proposed":
        return QCoreApplication.translate(
            "consult_status",
            "This time is only proposed: the specialist has not accepted it yet, so there is no "
            "call to join. When the specialist accepts it (or picks another of the proposed "
            "times), the appointment shows here as Booked and the call can be joined then. "
            "Nothing needs doing now; the request reaches the specialist when the records sync.",
        )
    if status == "pending":
        return QCoreApplication.translate(
            "consult_status",
            "This appointment waits for the specialist's confirmation, so there is no call to "
            "join yet. Once confirmed it shows here as Booked and the call can be joined then.",
        )
    if status in ("fulfilled", "checked-out"):
        return QCoreApplication.translate(
            "consult_status", "This consult appointment has taken place; its call has ended."
        )
    return QCoreApplication.translate(
        "consult_status", "This consult appointment was cancelled or missed: no call to join."
    )
