"""``Changes``, what every write returns: records named by type and id, or only by type when a
round of sync changed some records of those types without saying which."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_app.changes import NOTHING, Changes


@dataclass(frozen=True)
class _Written:
    rtype: str
    record_id: str


def test_named_records_say_their_types_and_ids():
    made = Changes.of([_Written("Patient", "p1"), _Written("Observation", "o1")], "register")
    assert made and made.types == {"Patient", "Observation"}
    assert made.ids("Patient") == {"p1"} and made.ids_known("Patient")
    assert made.touches("Patient") and made.touches() and not made.touches("Task")
    assert made.any_of == frozenset()


def test_types_without_ids_touch_those_types_and_name_no_record():
    sent = Changes.of_types(("ServiceRequest", "Task"), "sent by sync")
    assert sent and sent.reason == "sent by sync"
    assert sent.records == frozenset()  # no record is named, and none with an empty id
    assert sent.types == {"ServiceRequest", "Task"}
    assert sent.touches("Task") and sent.touches() and not sent.touches("Patient")
    assert sent.ids("Task") == set() and not sent.ids_known("Task")
    assert sent.ids_known("Patient")  # nothing of it changed, and that is known


def test_union_keeps_named_records_and_types_without_ids():
    named = Changes(frozenset({("Task", "t1")}), "resolve")
    both = named | Changes.of_types(["ServiceRequest"], "sent by sync")
    assert both.records == {("Task", "t1")} and both.any_of == {"ServiceRequest"}
    assert both.types == {"Task", "ServiceRequest"}
    assert both.reason == "resolve; sent by sync"
    assert both.ids_known("Task") and not both.ids_known("ServiceRequest")
    assert (NOTHING | both) == both and (both | NOTHING) == both


def test_empty_changes_say_nothing_about_which_records():
    assert not NOTHING and not Changes(reason="received by sync")
    assert not NOTHING.touches() and not NOTHING.touches("Patient")
    assert not Changes.of_types(())
