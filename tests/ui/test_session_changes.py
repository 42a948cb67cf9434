"""What the session tells the screens after a sync round: records received (any may have
changed), or only sent (the types that show a delivery state, no record named)."""

from __future__ import annotations

from clinic_app.changes import Changes
from clinic_app.sync.engine import SyncStatus
from ui.bridge import Event
from ui.session import RECEIVED, SENT, Session


class _Bridge:
    def __init__(self) -> None:
        self.posted: list[tuple[Event, object]] = []

    def post(self, kind: Event, payload: object) -> None:
        self.posted.append((kind, payload))


def _changes_after(status: SyncStatus) -> list[object]:
    bridge = _Bridge()
    session = Session(object(), bridge, object())  # type: ignore[arg-type]  # only the bridge is used
    session._on_status(status)
    return [payload for kind, payload in bridge.posted if kind is Event.RECORDS_CHANGED]


def test_a_round_that_only_sent_names_the_delivery_types_and_no_record():
    assert _changes_after(SyncStatus(online=True, pushed=3)) == [SENT]
    assert isinstance(SENT, Changes) and SENT
    assert SENT.records == frozenset()  # no empty id standing for "any"
    assert SENT.types == {"ServiceRequest", "Appointment", "Task", "DocumentReference"}
    assert not any(SENT.ids_known(t) for t in SENT.types)
    assert SENT.touches("ServiceRequest", "Patient") and not SENT.touches("Patient")


def test_a_round_that_received_says_any_record_may_have_changed():
    assert _changes_after(SyncStatus(online=True, pulled=2, pushed=3)) == [RECEIVED]
    assert not RECEIVED  # consumers refresh on it whatever they show
    assert _changes_after(SyncStatus(online=True)) == []
