"""What a letter says, read from the patient's records: a :class:`Letter` of labelled rows,
sections and a table, in the letter's language, ready for :mod:`clinic_app.letters.layout`.

* prescription (处方笺): the prescriptions written together with the chosen one (same visit,
  same consult answer, or the same prescriber on the same day); the diagnosis from the visit's
  diagnoses, else the active problem list, else the visit's reason;
* referral (转诊单): the referral ServiceRequest, with diagnosis, current medicines, allergies;
* opinion (会诊意见): the specialist's DiagnosticReport (or ClinicalImpression) and the question
  it answers;
* summary (就诊小结): one visit for the patient: reason, form answers, vitals, diagnoses and what
  was prescribed.

No Qt and no writes; reads go through the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from clinic_app.clinical.medication_formulary import Formulary, starter
from clinic_app.clinical.medication_list import build as medication_list_of
from clinic_app.errors import NotFound, ValidationError
from clinic_app.letters.texts import words
from clinic_app.records import allergies as allergy_records
from clinic_app.records import conditions as cond
from clinic_app.records.common import Resource, ref_id
from clinic_app.records.encounter import visit_kind
from clinic_app.records.forms import definition_for
from clinic_app.records.orders import kind_of, specialty_of
from clinic_app.records.patient import age_on, display_name
from clinic_app.records.vitals import VITALS, vital_key
from local_store.store import Store

KINDS = ("prescription", "referral", "opinion", "summary")
Translate = Callable[[str], str]
ROUTES = {"tablet": "oral", "capsule": "oral", "injection": "injection", "inhal": "inhaled"}


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)  # label, value
    table: list[list[str]] = field(default_factory=list)  # header row first


@dataclass
class Letter:
    kind: str
    lang: str
    title: str
    patient_id: str
    patient: list[tuple[str, str]]  # label, value (name, sex, age, date)
    sections: list[Section]
    signer_label: str
    signer: str
    date: str  # YYYY-MM-DD
    words: dict[str, str]


@dataclass(frozen=True)
class Choice:
    """Something of a patient's chart that can be printed."""

    kind: str
    record_id: str
    when: str  # ISO date-time
    text: str  # what it is, as recorded (medicine names, reason, specialty)


def _day(text: object) -> str:
    return str(text or "")[:10]


def _live(found: Iterable[Resource]) -> list[Resource]:
    return [r for r in found if r.get("status") != "entered-in-error"]


def _patient_rows(patient: Resource, w: dict[str, str], on: str) -> list[tuple[str, str]]:
    rows = [(w["name"], display_name(patient))]
    rows.append((w["sex"], w.get(str(patient.get("gender") or "unknown"), w["unknown"])))
    try:
        age = age_on(patient, date.fromisoformat(on)) if on else None
    except ValueError:
        age = None
    rows.append((w["age"], f"{age} {w['years']}" if age is not None else "—"))
    rows.append((w["date"], on))
    return rows


def _medicine(res: Resource, lang: str, w: dict[str, str], formulary: Formulary) -> list[str]:
    """One row of the prescription table: medicine, dosage, route, quantity or days. The
    medicine is named by ``formulary`` (the one in force: an entry the platform administrator
    added or renamed is named as the platform now names it), else as it was recorded."""
    concept = res.get("medicationCodeableConcept") or {}
    name = str(concept.get("text") or "")
    fid = next((str(c.get("code")) for c in concept.get("coding") or []
                if str(c.get("system", "")).endswith("/CodeSystem/formulary")), "")  # fmt: skip
    entry = formulary.get(fid) if fid else None
    if entry is not None:
        name = entry.name(lang) or name
    dosage = "; ".join(str(d.get("text", "")) for d in res.get("dosageInstruction") or [])
    route = ""
    for d in res.get("dosageInstruction") or []:
        route = str((d.get("route") or {}).get("text") or "") or route
    if not route and entry is not None:
        key = next((v for k, v in ROUTES.items() if k in entry.form), "")
        route = w.get(key, "") if key else ""
    dispense = res.get("dispenseRequest") or {}
    qty = dispense.get("quantity") or {}
    days = (dispense.get("expectedSupplyDuration") or {}).get("value")
    amount = f"{qty.get('value', ''):g} {qty.get('unit', '')}".strip() if qty.get("value") else ""
    if days:
        amount = " / ".join(x for x in (amount, w["days"].format(n=int(days))) if x)
    return [name, dosage, route or "—", amount or "—"]


def _group_key(res: Resource) -> tuple[str, ...]:
    enc = ref_id(res.get("encounter"), "Encounter")
    if enc:
        return ("Encounter", enc)
    for b in res.get("basedOn") or []:
        sr = ref_id(b, "ServiceRequest")
        if sr:
            return ("ServiceRequest", sr)
    by = str((res.get("requester") or {}).get("display") or "")
    return ("day", by, _day(res.get("authoredOn")))


def _diagnosis(store: Store, pid: str, lang: str, encounter: Resource | None) -> list[str]:
    conditions = store.find("Condition", patient_id=pid)
    found = cond.diagnoses_of(conditions, str(encounter["id"])) if encounter else []
    if not found:
        found, _resolved = cond.problem_list(conditions)
    if not found and encounter is None:  # the diagnoses of the visits, newest first
        found = sorted((c for c in conditions if cond.category_of(c) == cond.DIAGNOSIS
                        and cond.status_of(c) not in ("resolved", "inactive")
                        and c.get("verificationStatus", {}).get("coding", [{}])[0].get("code")
                        != "entered-in-error"),
                       key=lambda c: str(c.get("recordedDate") or ""), reverse=True)  # fmt: skip
        found = list({cond.icd10_code(c) or id(c): c for c in found}.values())
    titles = [cond.title(c, lang) for c in found]
    titles = [t for t in titles if t]
    if titles:
        return titles
    if encounter:
        return [str(r.get("text")) for r in encounter.get("reasonCode") or [] if r.get("text")]
    return []


def _vital_rows(observations: Iterable[Resource], w: dict[str, str]) -> list[tuple[str, str]]:
    order = list(VITALS)
    rows = []
    for obs in sorted(observations, key=lambda o: order.index(vital_key(o) or "height")):
        key = vital_key(obs)
        value = (obs.get("valueQuantity") or {}).get("value")
        if key is None or value is None:
            continue
        spec = VITALS[key]
        rows.append(
            (w.get(key, spec.display), f"{float(value):.{spec.decimals}f} {spec.unit_label}")
        )
    return rows


def _answers(store: Store, pid: str, enc_id: str, w: dict[str, str],
             translate: Translate) -> list[tuple[str, str]]:  # fmt: skip
    rows: list[tuple[str, str]] = []
    for response in store.find("QuestionnaireResponse", patient_id=pid):
        if ref_id(response.get("encounter"), "Encounter") != enc_id:
            continue
        try:
            texts = {i.link_id: i.text for i in definition_for(response["questionnaire"]).items}
        except (ValidationError, KeyError):
            texts = {}
        for item in response.get("item", []):
            for ans in item.get("answer", [])[:1]:
                for key, value in ans.items():
                    if key == "valueCoding":
                        value = translate(str(value.get("display") or value.get("code")))
                    elif key == "valueBoolean":
                        value = w["yes"] if value else w["no"]
                    if key.startswith("value") and str(value).strip():
                        label = texts.get(item["linkId"], item.get("text", ""))
                        rows.append((translate(str(label)), str(value)))
    return rows


def _current_medicines(store: Store, pid: str) -> list[str]:
    found = store.find("MedicationRequest", patient_id=pid)
    found += store.find("MedicationStatement", patient_id=pid)
    return [f"{x.text}  {x.dosage}".strip() for x in medication_list_of(found).current]


def _allergies(store: Store, pid: str) -> list[str]:
    _nka, found = allergy_records.current(store.find("AllergyIntolerance", patient_id=pid))
    return [x for x in (allergy_records.substance(a) for a in found) if x]


def build(store: Store, kind: str, record_id: str, *, lang: str = "zh",
          translate: Translate | None = None,
          formulary: Formulary | None = None) -> Letter:  # fmt: skip
    """The letter of ``kind`` for a record: a MedicationRequest (prescription), a referral
    ServiceRequest, a DiagnosticReport or ClinicalImpression (opinion), an Encounter (summary).
    ``translate`` puts the core's English words (form questions) into the letter's language;
    ``formulary`` (the one in force, from the caller: the platform's synced Medication records)
    names the medicines; the packaged starter list when not given."""
    w = words(lang)
    lang = "zh" if lang.lower().startswith("zh") else "en"
    tr = translate or (lambda text: text)
    form = formulary or starter()
    if kind == "prescription":
        return _prescription(store, record_id, lang, w, form)
    if kind == "referral":
        return _referral(store, record_id, lang, w)
    if kind == "opinion":
        return _opinion(store, record_id, lang, w)
    if kind == "summary":
        return _summary(store, record_id, lang, w, tr, form)
    raise ValidationError("kind", "Choose what to print.")


def _letter(store: Store, kind: str, pid: str, lang: str, w: dict[str, str], on: str,
            sections: list[Section], signer_label: str, signer: str) -> Letter:  # fmt: skip
    patient = store.get("Patient", pid)
    return Letter(kind=kind, lang=lang, title=w[kind], patient_id=pid,
                  patient=_patient_rows(patient, w, on), sections=sections,
                  signer_label=signer_label, signer=signer, date=on, words=w)  # fmt: skip


def _pid(res: Resource) -> str:
    pid = ref_id(res.get("subject"), "Patient")
    if not pid:
        raise ValidationError("record", "That record belongs to no patient.")
    return pid


def _prescription(store: Store, record_id: str, lang: str, w: dict[str, str],
                  formulary: Formulary) -> Letter:  # fmt: skip
    med = store.get("MedicationRequest", record_id)
    pid = _pid(med)
    key = _group_key(med)
    group = [m for m in _live(store.find("MedicationRequest", patient_id=pid))
             if _group_key(m) == key]  # fmt: skip
    group.sort(key=lambda m: str(m.get("authoredOn", "")))
    enc_id = key[1] if key[0] == "Encounter" else None
    encounter = store.get("Encounter", enc_id) if enc_id else None
    table = [[w["medicine"], w["dosage"], w["route"], w["quantity"]]]
    table += [_medicine(m, lang, w, formulary) for m in group]
    sections = [
        Section(w["diagnosis"], lines=_diagnosis(store, pid, lang, encounter) or ["—"]),
        Section(w["rp"], table=table),
    ]
    prescriber = str((med.get("requester") or {}).get("display") or "")
    return _letter(store, "prescription", pid, lang, w, _day(med.get("authoredOn")), sections,
                   w["prescriber"], prescriber)  # fmt: skip


def _referral(store: Store, record_id: str, lang: str, w: dict[str, str]) -> Letter:
    sr = store.get("ServiceRequest", record_id)
    if kind_of(sr) != "referral":
        raise ValidationError("record", "That request is not a referral.")
    pid = _pid(sr)
    specialty = specialty_of(sr) or ""
    reason = [str(r.get("text")) for r in sr.get("reasonCode") or [] if r.get("text")]
    sections = [
        Section(
            "",
            rows=[
                (w["to"], w.get(specialty, specialty)),
                (w["urgency"], w.get(str(sr.get("priority")), "")),
            ],
        ),
        Section(w["diagnosis"], lines=_diagnosis(store, pid, lang, None) or ["—"]),
        Section(w["reason"], lines=reason),
        Section(w["medications"], lines=_current_medicines(store, pid) or [w["none"]]),
        Section(w["allergies"], lines=_allergies(store, pid) or [w["none"]]),
    ]
    who = str((sr.get("requester") or {}).get("display") or "")
    return _letter(store, "referral", pid, lang, w, _day(sr.get("authoredOn")), sections,
                   w["referrer"], who)  # fmt: skip


def _opinion(store: Store, record_id: str, lang: str, w: dict[str, str]) -> Letter:
    try:
        report = store.get("DiagnosticReport", record_id)
        text = str(report.get("conclusion") or "")
        when = report.get("issued") or report.get("effectiveDateTime")
        who = ", ".join(str(p.get("display", "")) for p in report.get("performer") or [])
    except NotFound:
        report = store.get("ClinicalImpression", record_id)
        text = str(report.get("summary") or report.get("description") or "")
        when = report.get("date") or report.get("effectiveDateTime")
        who = str((report.get("assessor") or {}).get("display") or "")
    pid = _pid(report)
    consult_id = next((ref_id(b, "ServiceRequest") for b in report.get("basedOn") or []), None)
    question: list[str] = []
    specialty = ""
    if consult_id:
        try:
            consult = store.get("ServiceRequest", consult_id)
        except NotFound:
            consult = {}
        question = [str(r.get("text")) for r in consult.get("reasonCode") or [] if r.get("text")]
        specialty = specialty_of(consult) or ""
    if not specialty:
        for c in (report.get("code") or {}).get("coding") or []:
            specialty = str(c.get("code") or "")
    sections = []
    if specialty:
        sections.append(Section("", rows=[(w["specialty"], w.get(specialty, specialty))]))
    if question:
        sections.append(Section(w["question"], lines=question))
    sections.append(Section(w["conclusion"], lines=text.splitlines() or ["—"]))
    return _letter(store, "opinion", pid, lang, w, _day(when), sections, w["specialist"], who)


def _summary(store: Store, record_id: str, lang: str, w: dict[str, str],
             translate: Translate, formulary: Formulary) -> Letter:  # fmt: skip
    enc = store.get("Encounter", record_id)
    pid = _pid(enc)
    kind = visit_kind(enc) or ""
    doctor = ", ".join(str((p.get("individual") or {}).get("display", ""))
                       for p in enc.get("participant") or [])  # fmt: skip
    reason = [str(r.get("text")) for r in enc.get("reasonCode") or [] if r.get("text")]
    head = [(w["kind"], w.get(kind, kind))] + ([(w["complaint"], "; ".join(reason))]
                                              if reason else [])  # fmt: skip
    sections = [Section("", rows=head)]
    answers = _answers(store, pid, record_id, w, translate)
    if answers:
        sections.append(Section(w["findings"], rows=answers))
    vitals = [o for o in _live(store.find("Observation", patient_id=pid))
              if ref_id(o.get("encounter"), "Encounter") == record_id]  # fmt: skip
    if vitals:
        sections.append(Section(w["vitals"], rows=_vital_rows(vitals, w)))
    diagnosis = _diagnosis(store, pid, lang, enc)
    if diagnosis:
        sections.append(Section(w["diagnosis"], lines=diagnosis))
    meds = [m for m in _live(store.find("MedicationRequest", patient_id=pid))
            if ref_id(m.get("encounter"), "Encounter") == record_id]  # fmt: skip
    if meds:
        table = [[w["medicine"], w["dosage"], w["route"], w["quantity"]]]
        sections.append(
            Section(w["advice"], table=table + [_medicine(m, lang, w, formulary) for m in meds])
        )
    on = _day((enc.get("period") or {}).get("start"))
    return _letter(store, "summary", pid, lang, w, on, sections, w["doctor"], doctor)


def choices(store: Store, patient_id: str) -> list[Choice]:
    """What of the chart can be printed, newest first: visits, prescriptions (one choice per
    group written together), referrals and opinions."""
    out: list[Choice] = []
    for e in _live(store.find("Encounter", patient_id=patient_id)):
        if (e.get("class") or {}).get("code") == "VR":
            continue  # a video call's record, not a visit
        reason = "; ".join(str(r.get("text")) for r in e.get("reasonCode") or [] if r.get("text"))
        out.append(Choice("summary", str(e["id"]), str((e.get("period") or {}).get("start", "")),
                          reason or (visit_kind(e) or "")))  # fmt: skip
    groups: dict[tuple[str, ...], list[Resource]] = {}
    for m in _live(store.find("MedicationRequest", patient_id=patient_id)):
        groups.setdefault(_group_key(m), []).append(m)
    for group in groups.values():
        group.sort(key=lambda m: str(m.get("authoredOn", "")))
        names = ", ".join(str((m.get("medicationCodeableConcept") or {}).get("text", ""))
                          for m in group)  # fmt: skip
        out.append(Choice("prescription", str(group[0]["id"]),
                          str(group[0].get("authoredOn", "")), names))  # fmt: skip
    for sr in _live(store.find("ServiceRequest", patient_id=patient_id)):
        if kind_of(sr) == "referral":
            reason = "; ".join(str(r.get("text")) for r in sr.get("reasonCode") or [])
            out.append(Choice("referral", str(sr["id"]), str(sr.get("authoredOn", "")), reason))
    for r in _live(store.find("DiagnosticReport", patient_id=patient_id)):
        out.append(Choice("opinion", str(r["id"]), str(r.get("issued", "")),
                          str(r.get("conclusion", ""))[:80]))  # fmt: skip
    out.sort(key=lambda c: c.when, reverse=True)
    return out
