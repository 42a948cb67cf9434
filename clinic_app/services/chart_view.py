"""What the chart screen shows, shaped on the store thread: the timeline, vitals trends (thinned
for plotting), the summary, and the one place a consult's status is derived.

Consult status (:func:`derive_consult_status` is the only place it is decided):

* ``draft`` — the ServiceRequest is a draft (not sent);
* ``queued`` — sent here, but the local outbox still holds a change of it (offline);
* ``delivered`` — its changes reached the central platform (or it came from there);
* ``accepted`` / ``declined`` — the specialist desk's latest Task about it (intent ``order``,
  ``focus`` or ``basedOn`` = the ServiceRequest) says so in ``businessStatus`` (or ``status``);
* ``scheduled`` — an Appointment based on it is booked (proposed slots do not count);
* ``answered`` — a final DiagnosticReport (or a ClinicalImpression) answers it, or the request
  is completed;
* ``cancelled`` — the request was revoked or entered in error.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.records import orders
from clinic_app.records import schedule as sched
from clinic_app.records.common import Resource, patient_of, ref_id
from clinic_app.records.consult_state import _answers_to, derive_consult_status
from clinic_app.records.encounter import VISIT_KINDS, visit_kind
from clinic_app.records.forms import definition_for
from clinic_app.records.vitals import VITALS, flag_of, hba1c_percent, vital_key
from clinic_app.services.patients import Chart, open_chart
from clinic_app.services.writes import save, save_all
from local_store.store import Store

CONSULT_STATES = (
    "draft",
    "queued",
    "delivered",
    "accepted",
    "scheduled",
    "answered",
    "declined",
    "cancelled",
)
OPEN_OUTBOX_STATES = ("pending", "uploading", "error", "conflict")
MAX_SLOTS = 3
PLOT_POINTS = 600  # points per series handed to the plot; extremes are always kept
GLUCOSE_MGDL_PER_MMOL = 18.016
TRENDS = ("blood_pressure", "heart_rate", "glucose", "hba1c", "weight")
# What the chart says about a video call's record (translated as core messages).
CALL_LABELS = {
    "title": "Video consult",
    "duration": "Duration",
    "participant": "Taken part",
    "quality": "Call quality",
}


# ------------------------------------------------------------------ consult status --
# derive_consult_status lives in clinic_app.records.consult_state (the central desk uses it too).


def unsent(store: Store, record_ids: Iterable[str]) -> set[str]:
    """Which of these records still have a change in the local outbox (not yet accepted)."""
    ids = sorted(set(record_ids))
    found: set[str] = set()
    states = ",".join("?" * len(OPEN_OUTBOX_STATES))
    # The store has no query for this yet; read the outbox in the store's own transaction,
    # as local_store.sync_ledger does.
    with store.transaction() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                f"SELECT DISTINCT record_id FROM outbox WHERE state IN ({states})"
                f" AND record_id IN ({','.join('?' * len(chunk))})",
                (*OPEN_OUTBOX_STATES, *chunk),
            ).fetchall()
            found.update(str(r[0]) for r in rows)
    return found


def related_of_patient(store: Store, patient_id: str) -> list[Resource]:
    out: list[Resource] = []
    for rtype in ("Task", "Appointment", "DiagnosticReport", "ClinicalImpression"):
        out += store.find(rtype, patient_id=patient_id)
    return out


def consult_statuses(
    store: Store, requests: Sequence[Resource], related: Sequence[Resource] | None = None
) -> dict[str, str]:
    """{request id: status} for several requests (one outbox query; ``related`` defaults to
    the records of each request's patient)."""
    queued = unsent(store, (str(r["id"]) for r in requests))
    by_patient: dict[str, list[Resource]] = {}
    out = {}
    for sr in requests:
        if related is None:
            pid = patient_of(sr) or ""
            if pid not in by_patient:
                by_patient[pid] = related_of_patient(store, pid) if pid else []
            rel: Sequence[Resource] = by_patient[pid]
        else:
            rel = related
        out[str(sr["id"])] = derive_consult_status(sr, related=rel, queued=sr["id"] in queued)
    return out


def consult_status(store: Store, service_request: Resource) -> str:
    """The status of one consult request (see the module docstring for the values)."""
    return consult_statuses(store, [service_request])[str(service_request["id"])]


# ----------------------------------------------------------------- asking a consult --
@dataclass
class ConsultRequest:
    request: Resource
    slots: list[Resource]


def ask_specialist(
    store: Store,
    *,
    patient_id: str,
    specialty: str,
    priority: str,
    question: str,
    requester: str,
    supporting: Sequence[tuple[str, str]] = (),
    slots: Sequence[datetime] = (),
    draft: bool = False,
    now: datetime | None = None,
) -> ConsultRequest:
    """A consult request with up to three proposed one-hour slots (Appointments, status
    ``proposed``, basedOn the request), written together in one transaction or not at all.
    Every supporting record must exist and belong to the patient."""
    now = now or datetime.now().astimezone()
    store.get("Patient", patient_id)
    if len(slots) > MAX_SLOTS:
        raise ValidationError("slots", "Propose at most three slots.")
    seen: set[datetime] = set()
    for start in slots:
        when = start if start.tzinfo else start.astimezone()
        if when <= now:
            raise ValidationError("slots", "A proposed slot must be in the future.")
        if when in seen:
            raise ValidationError("slots", "Propose each hour only once.")
        seen.add(when)
    for rtype, rid in supporting:
        if patient_of(store.get(rtype, rid)) != patient_id:
            raise ValidationError("supporting", "A supporting record belongs to another patient.")
    request = orders.consult_request(
        patient_id=patient_id,
        specialty=specialty,
        priority=priority,
        question=question,
        requester=requester,
        authored=now,
        supporting=supporting,
        status="draft" if draft else "active",
    )
    appointments = [
        sched.appointment(
            patient_id=patient_id,
            start=start,
            practitioner=requester,
            description=f"Consult: {orders.SPECIALTIES[specialty]}",
            based_on=request["id"],
            status="proposed",
        )
        for start in sorted(slots)
    ]
    save_all(store, [request, *appointments])
    return ConsultRequest(request, appointments)


def send_draft(store: Store, request_id: str) -> Resource:
    """Send a consult saved as a draft (it then waits in the outbox until the link is up)."""
    sr = store.get("ServiceRequest", request_id)
    if sr.get("status") != "draft":
        raise ValidationError("status", "Only a draft can be sent.")
    version = int((sr.get("meta") or {}).get("versionId", 0)) or None
    sr["status"] = "active"
    save(store, sr, expect_version=version)
    return sr


# -------------------------------------------------------------------- vitals trends --
@dataclass
class VitalSeries:
    """One plotted series: times (epoch seconds), values, flags; thinned to a plot's worth."""

    key: str
    unit: str
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    flags: list[str | None] = field(default_factory=list)
    low: float | None = None
    high: float | None = None
    total: int = 0  # readings before thinning


def downsample(
    points: Sequence[tuple[float, float, str | None]], max_points: int = PLOT_POINTS
) -> list[tuple[float, float, str | None]]:
    """Thin time-ordered points to about ``max_points``: per time bucket the first, lowest,
    highest and last reading stay. A bucket with a reading above (below) the reference range
    keeps its highest (lowest) reading, so no abnormal stretch disappears from the plot."""
    if len(points) <= max_points:
        return list(points)
    buckets = max(1, max_points // 4)
    t0, t1 = points[0][0], points[-1][0]
    width = (t1 - t0) / buckets or 1.0
    times = [p[0] for p in points]
    out: list[tuple[float, float, str | None]] = []
    start = 0
    for b in range(buckets):
        end = len(points) if b == buckets - 1 else bisect.bisect_left(times, t0 + width * (b + 1))
        if end <= start:
            continue
        chunk = range(start, end)
        keep = {
            start,
            end - 1,
            min(chunk, key=lambda i: points[i][1]),
            max(chunk, key=lambda i: points[i][1]),
        }
        out.extend(points[i] for i in sorted(keep))
        start = end
    return out


def _epoch(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def _range_of(obs: Resource) -> tuple[float | None, float | None]:
    for rr in obs.get("referenceRange") or []:
        low = (rr.get("low") or {}).get("value")
        high = (rr.get("high") or {}).get("value")
        return (float(low) if low is not None else None, float(high) if high is not None else None)
    return None, None


def _series(key: str, observations: Sequence[Resource], scale: float = 1.0) -> VitalSeries:
    unit = VITALS[key].unit_label
    series = VitalSeries(key, unit)
    points = []
    for obs in observations:
        when = _epoch(str(obs.get("effectiveDateTime", "")))
        value = (obs.get("valueQuantity") or {}).get("value")
        if when is None or value is None:
            continue
        points.append((when, float(value) * scale, flag_of(obs)))
    points.sort(key=lambda p: p[0])
    series.total = len(points)
    for t, v, f in downsample(points):
        series.times.append(t)
        series.values.append(v)
        series.flags.append(f)
    if observations:
        low, high = _range_of(observations[-1])
        series.low = None if low is None else low * scale
        series.high = None if high is None else high * scale
    return series


def vital_trends(by_key: dict[str, list[Resource]]) -> dict[str, VitalSeries]:
    """Series for the trend plots from ``{vital key: observations in time order}``; glucose in
    mg/dL is shown in mmol/L alongside readings taken in mmol/L."""
    out = {
        k: _series(k, by_key.get(k, [])) for k in ("systolic", "diastolic", "heart_rate", "weight")
    }
    mmol, mgdl = by_key.get("glucose_mmol", []), by_key.get("glucose_mgdl", [])
    glucose = _series("glucose_mmol", mmol)
    if mgdl:
        extra = _series("glucose_mgdl", mgdl, 1 / GLUCOSE_MGDL_PER_MMOL)
        merged = sorted(
            zip(
                glucose.times + extra.times,
                glucose.values + extra.values,
                glucose.flags + extra.flags,
                strict=True,
            ),
        )
        total = glucose.total + extra.total
        low, high = (glucose.low, glucose.high) if mmol else (extra.low, extra.high)
        glucose = VitalSeries("glucose_mmol", "mmol/L", low=low, high=high, total=total)
        for t, v, f in downsample(merged):
            glucose.times.append(t)
            glucose.values.append(round(v, 1))
            glucose.flags.append(f)
    out["glucose"] = glucose
    out["hba1c"] = _hba1c_series(by_key.get("hba1c", []), by_key.get("hba1c_ifcc", []))
    return out


def _hba1c_series(percent: Sequence[Resource], ifcc: Sequence[Resource]) -> VitalSeries:
    """HbA1c in % (NGSP), readings taken in IFCC mmol/mol converted by the master equation."""
    series = _series("hba1c", percent)
    if not ifcc:
        return series
    extra = _series("hba1c_ifcc", ifcc)
    merged = sorted(zip(series.times + extra.times,
                        series.values + [hba1c_percent("hba1c_ifcc", v) for v in extra.values],
                        series.flags + extra.flags, strict=True))  # fmt: skip
    low, high = (series.low, series.high) if percent else VITALS["hba1c"].normal or (None, None)
    out = VitalSeries("hba1c", "%", low=low, high=high, total=series.total + extra.total)
    for t, v, f in downsample(merged):
        out.times.append(t)
        out.values.append(round(v, 1))
        out.flags.append(f)
    return out


# ------------------------------------------------------------------------ timeline --
@dataclass
class TimelineEntry:
    """One line of the chart's timeline. ``kind``: visit, opinion, prescription, consult,
    referral. Texts are as recorded (the screen translates labels, not clinical content)."""

    when: str  # ISO date-time
    kind: str
    resource: Resource
    title: str
    answers: list[tuple[str, Any, bool]] = field(default_factory=list)  # (question, value, choice)
    vitals: list[Resource] = field(default_factory=list)
    status: str | None = None  # a consult's derived status
    slots: list[Resource] = field(default_factory=list)  # appointments of a consult
    consult: Resource | None = None  # what an opinion answers


def _answer_rows(response: Resource) -> list[tuple[str, Any, bool]]:
    try:
        texts = {i.link_id: i.text for i in definition_for(response["questionnaire"]).items}
    except (ValidationError, KeyError):
        texts = {}
    rows = []
    for item in response.get("item", []):
        for ans in item.get("answer", [])[:1]:
            for key, value in ans.items():
                choice = key == "valueCoding"
                if choice:
                    value = value.get("display") or value.get("code")
                if key.startswith("value"):
                    rows.append((texts.get(item["linkId"], item.get("text", "")), value, choice))
    return rows


def _call_entry(e: Resource) -> TimelineEntry:
    """A video call's record (media.call_records): when, how long, with whom, how well."""
    minutes = float((e.get("length") or {}).get("value") or 0.0)
    rows: list[tuple[str, Any, bool]] = [
        (CALL_LABELS["duration"], f"{int(minutes)} min {round(minutes % 1 * 60):02d} s", False)
    ]
    for p in e.get("participant") or []:
        name = (p.get("individual") or {}).get("display")
        if name:
            rows.append((CALL_LABELS["participant"], str(name), False))
    quality = {
        str(x.get("url")): x.get("valueDecimal")
        for ext in e.get("extension") or []
        for x in ext.get("extension") or []
    }
    if quality.get("fps_in_avg") is not None:
        rtt = quality.get("rtt_ms_avg")
        text = f"{quality['fps_in_avg']:g} fps · {quality.get('recv_kbps_avg', 0):g} kbit/s"
        if rtt is not None and rtt >= 0:
            text += f" · RTT {rtt:g} ms"
        text += f" · loss ≤ {quality.get('loss_pct_max', 0):g} %"
        rows.append((CALL_LABELS["quality"], text, False))
    return TimelineEntry(
        when=str((e.get("period") or {}).get("start", "")),
        kind="visit",
        resource=e,
        title=CALL_LABELS["title"],
        answers=rows,
    )


def build_timeline(chart: Chart, statuses: dict[str, str]) -> list[TimelineEntry]:
    """Visits (with answers and vitals), opinions, prescriptions and consults, newest first."""
    responses = {
        ref_id(r.get("encounter"), "Encounter"): r for r in chart.of("QuestionnaireResponse")
    }
    vitals_by_enc: dict[str, list[Resource]] = {}
    for obs in chart.of("Observation"):
        enc_id = ref_id(obs.get("encounter"), "Encounter")
        if enc_id and obs.get("status") != "entered-in-error" and vital_key(obs):
            vitals_by_enc.setdefault(enc_id, []).append(obs)
    requests = {r["id"]: r for r in chart.of("ServiceRequest")}
    entries: list[TimelineEntry] = []
    for e in chart.of("Encounter"):
        if (e.get("class") or {}).get("code") == "VR":
            entries.append(_call_entry(e))
            continue
        kind = visit_kind(e) or ""
        response = responses.get(e["id"])
        entries.append(
            TimelineEntry(
                when=str((e.get("period") or {}).get("start", "")),
                kind="visit",
                resource=e,
                title=VISIT_KINDS.get(kind, kind or "Visit"),
                answers=_answer_rows(response) if response else [],
                vitals=sorted(
                    vitals_by_enc.get(e["id"], []),
                    key=lambda o: list(VITALS).index(vital_key(o) or "height"),
                ),
            )
        )
    for r in chart.of("DiagnosticReport"):
        if r.get("status") == "entered-in-error":
            continue
        sr_id = next((ref_id(b, "ServiceRequest") for b in r.get("basedOn", [])), None)
        entries.append(
            TimelineEntry(
                when=str(r.get("issued") or r.get("effectiveDateTime") or ""),
                kind="opinion",
                resource=r,
                title=str(r.get("conclusion", "")),
                consult=requests.get(sr_id or ""),
            )
        )
    for m in chart.of("MedicationRequest"):
        if m.get("status") == "entered-in-error":
            continue
        entries.append(
            TimelineEntry(
                when=str(m.get("authoredOn", "")),
                kind="prescription",
                resource=m,
                title=str((m.get("medicationCodeableConcept") or {}).get("text", "")),
            )
        )
    appointments = chart.of("Appointment")
    for sr in requests.values():
        kind = orders.kind_of(sr) or "consult"
        entries.append(
            TimelineEntry(
                when=str(sr.get("authoredOn", "")),
                kind=kind,
                resource=sr,
                title=" ".join(str(c.get("text", "")) for c in sr.get("reasonCode", [])),
                status=statuses.get(sr["id"]),
                slots=sorted(
                    (a for a in appointments if _answers_to(a, sr["id"])),
                    key=lambda a: str(a.get("start", "")),
                ),
            )
        )
    entries.sort(key=lambda t: _epoch(t.when) or 0.0, reverse=True)
    return entries


# --------------------------------------------------------------------- whole chart --
def _expired(med: Resource, today: date) -> bool:
    days = (((med.get("dispenseRequest") or {}).get("expectedSupplyDuration")) or {}).get("value")
    authored = str(med.get("authoredOn", ""))[:10]
    if not days or not authored:
        return False
    try:
        return date.fromisoformat(authored) + timedelta(days=int(days)) < today
    except ValueError:
        return False


@dataclass
class VitalsSet:
    """Vitals taken together (one visit, or one moment), for choosing what a consult cites."""

    when: str
    observations: list[Resource]


@dataclass
class ChartView:
    chart: Chart
    timeline: list[TimelineEntry]
    trends: dict[str, VitalSeries]
    consult_states: dict[str, str]
    allergies: list[Resource]
    conditions: list[Resource]
    medications: list[Resource]
    attachments: list[Resource]
    visits: list[Resource]  # encounters, newest first
    vitals_sets: list[VitalsSet]  # newest first

    @property
    def patient(self) -> Resource:
        return self.chart.patient


def _vitals_sets(by_key: dict[str, list[Resource]]) -> list[VitalsSet]:
    groups: dict[str, list[Resource]] = {}
    for observations in by_key.values():
        for obs in observations:
            key = ref_id(obs.get("encounter"), "Encounter") or str(obs.get("effectiveDateTime"))
            groups.setdefault(key, []).append(obs)
    sets = [VitalsSet(str(g[0].get("effectiveDateTime", "")), g) for g in groups.values()]
    return sorted(sets, key=lambda s: _epoch(s.when) or 0.0, reverse=True)


def open_chart_view(
    store: Store, patient_id: str, today: date | None = None, vitals_sets: int = 60
) -> ChartView:
    """Load a chart (audited, through :func:`patients.open_chart`) and shape it for the screen.
    Opinions (DiagnosticReport) are loaded here too.

    Years of vitals are many thousand Observations: they are reduced to the trend series, and
    the view keeps only the Observations it shows (those of the visits, and of the newest
    ``vitals_sets`` sets offered to a consult), so the screen holds little in memory."""
    today = today or date.today()
    chart = open_chart(store, patient_id)
    for rtype in ("DiagnosticReport", "ClinicalImpression"):
        if rtype not in chart.records:
            chart.records[rtype] = store.find(rtype, patient_id=patient_id)
    related = [
        r
        for t in ("Task", "Appointment", "DiagnosticReport", "ClinicalImpression")
        for r in chart.of(t)
    ]
    consults = [r for r in chart.of("ServiceRequest") if orders.kind_of(r) == "consult"]
    states = consult_statuses(store, consults, related)
    by_key: dict[str, list[Resource]] = {}
    for obs in chart.of("Observation"):
        key = vital_key(obs)
        if key and obs.get("status") != "entered-in-error":
            by_key.setdefault(key, []).append(obs)
    for observations in by_key.values():
        observations.sort(key=lambda o: _epoch(str(o.get("effectiveDateTime", ""))) or 0.0)
    encounters = sorted(
        chart.of("Encounter"),
        key=lambda e: _epoch(str((e.get("period") or {}).get("start", ""))) or 0.0,
        reverse=True,
    )
    timeline = build_timeline(chart, states)
    trends = vital_trends(by_key)
    sets = _vitals_sets(by_key)[:vitals_sets]
    shown = {id(o) for e in timeline for o in e.vitals} | {
        id(o) for s in sets for o in s.observations
    }
    chart.records["Observation"] = [
        o for o in chart.of("Observation") if id(o) in shown or not vital_key(o)
    ]
    return ChartView(
        chart=chart,
        timeline=timeline,
        trends=trends,
        consult_states=states,
        allergies=chart.active("AllergyIntolerance"),
        conditions=chart.active("Condition"),
        medications=[m for m in chart.active("MedicationRequest") if not _expired(m, today)],
        attachments=sorted(
            (d for d in chart.of("DocumentReference") if d.get("status") == "current"),
            key=lambda d: str(d.get("date", "")),
            reverse=True,
        ),
        visits=encounters,
        vitals_sets=sets,
    )
