"""Calls through the link emulator: a central process with a clinic, a specialist and a consult
(:class:`CallWorld`), and a pair of headless peers (``python -m media.peer``) started inside the
emulator's two namespaces — the clinic on side ``a``, the specialist on side ``b`` — so every
media packet crosses the emulated path (:func:`start_pair`); plus the figures the tests and
bench/call_links.py read from their reports (:func:`video_figures`, :func:`audio_after`).

    with CallWorld(tmp_path) as world, EmulatedLink(tmp_path, central_url=world.url) as link:
        link.set(link_profile(500, rtt_ms=300, loss_pct=3))
        clinic, spec = start_pair(link, world, "--seconds", "20")
        a, b = clinic.wait(), spec.wait()
        video_figures(b["received"])      # clinic -> specialist
        link.stats()["ab"]["totals"]      # what the path did to clinic -> specialist
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.e2e.workstation import Workstation
from tests.support.call_peers import PeerProcess, start_peer
from tests.support.central_proc import CentralProcess
from tests.support.link_emulator import EmulatedLink

PASSWORD = "links-specialist-pw-1"


class CallWorld:
    """A real central process, a clinic workstation and a specialist, one consult.
    ``central_args``: more arguments for the central, e.g. ``LinkTurn.central_args()`` so it
    hands out the TURN server inside the link (tests/support/link_turn.py)."""

    def __init__(self, folder: Path, central_args: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.central = CentralProcess(
            f"sqlite:///{folder / 'central.db'}",
            extra=central_args,
            log_path=folder / "central.log",
        )
        self.stations: list[Workstation] = []
        self.consult = ""
        self.clinic_token = ""
        self.specialist_token = ""

    @property
    def url(self) -> str:
        return self.central.url

    def __enter__(self) -> CallWorld:
        self.central.start()
        try:
            clinic_id = self.central.add_clinic("Hill Clinic")
            self.central.add_user("dr.links", PASSWORD, "specialist", specialties=("cardiology",))
            a, s = Workstation(self.folder, "clinic"), Workstation(self.folder, "specialist")
            self.stations = [a, s]
            a.enroll(self.central.url, self.central.enrollment_code(clinic_id))
            s.login(self.central.url, "dr.links", PASSWORD)
            patient = a.add_patient("Link", "Patient")
            self.consult = a.consult(patient["id"])["id"]
            a.sync_until_quiet()
            assert a.account is not None and s.account is not None
            self.clinic_token, self.specialist_token = a.account.token, s.account.token
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        for station in self.stations:
            station.close()
        self.central.stop()


_runs = itertools.count()


def start_pair(
    link: EmulatedLink,
    world: CallWorld,
    *args: str,
    stock: bool = False,
    clinic_args: tuple[str, ...] = (),
    specialist_args: tuple[str, ...] = (),
    name: str | None = None,
) -> tuple[PeerProcess, PeerProcess]:
    """The clinic peer inside side ``a`` and the specialist peer inside side ``b``, both with
    ``args`` (e.g. ``--seconds``), signaling through each side's proxy to the central."""
    tag = name or f"run{next(_runs)}"
    extra = ("--stock",) if stock else ()
    clinic = start_peer(
        world.folder, f"{tag}-clinic", link.server_url("a"), world.clinic_token, world.consult,
        *args, *extra, *clinic_args, prefix=link.prefix("a"),
    )  # fmt: skip
    spec = start_peer(
        world.folder, f"{tag}-specialist", link.server_url("b"), world.specialist_token,
        world.consult, *args, *extra, *specialist_args, prefix=link.prefix("b"),
    )  # fmt: skip
    return clinic, spec


def wait_pair(clinic: PeerProcess, spec: PeerProcess, timeout: float) -> tuple[dict, dict]:
    try:
        return clinic.wait(timeout), spec.wait(timeout)
    finally:
        clinic.kill()
        spec.kill()


# -- figures from the reports ----------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def video_figures(
    received: list[Any], start_us: int | None = None, end_us: int | None = None
) -> dict[str, float]:
    """From stamped frames ``(counter, sent_us, received_us)`` between ``start_us`` and
    ``end_us`` (wall clock, default: all): fps, frozen time per minute (the part of every gap
    between frames beyond 200 ms, plus a leading/trailing gap to the window's edges), longest
    freeze, latency p50/p95 (ms)."""
    frames = [(int(c), int(s), int(r)) for c, s, r in received]
    if start_us is None:
        start_us = frames[0][2] if frames else 0
    if end_us is None:
        end_us = frames[-1][2] if frames else start_us
    window = [f for f in frames if start_us <= f[2] <= end_us]
    span = max(1e-3, (end_us - start_us) / 1e6)
    edges = [start_us, *(f[2] for f in window), end_us]
    gaps = [(b - a) / 1000 for a, b in itertools.pairwise(edges)]
    frozen_ms = sum(g - 200 for g in gaps if g > 200) if window else span * 1000
    lat = [(r - s) / 1000 for _c, s, r in window]
    return {
        "frames": float(len(window)),
        "fps": len(window) / span,
        "frozen_s_per_min": frozen_ms / 1000 / span * 60,
        "frozen_pct": 100 * frozen_ms / 1000 / span,
        "longest_freeze_ms": max(gaps, default=span * 1000),
        "latency_p50": _pct(lat, 0.5),
        "latency_p95": _pct(lat, 0.95),
    }


def first_after(times_us: list[int], at_us: int) -> float | None:
    """Seconds from ``at_us`` to the first of ``times_us`` after it (None: none came)."""
    later = [t for t in times_us if t >= at_us]
    return (min(later) - at_us) / 1e6 if later else None


def frames_after(received: list[Any], at_us: int) -> list[int]:
    return [int(r) for _c, _s, r in received if int(r) >= at_us]
