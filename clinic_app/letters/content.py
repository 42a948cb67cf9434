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

from clinic_app.clinical.medication_formulary import Entry, Formulary, starter
from clinic_app.clinical.medication_list import build as medication_list_of
from clinic_app.errors import NotFound, ValidationError
from clinic_app.letters.texts import words
from clinic_app.records import allergies as allergy_records
from clinic_app.records import conditions as cond
from clinic_app.records.common import SYS_SPECIALTY, Resource, ref_id
from clinic_app.records.dosage import Dose, route_of, route_of_form
from clinic_app.records.encounter import visit_kind
from clinic_app.records.forms import definition_for
from clinic_app.records.orders import kind_of, specialty_of
from clinic_app.records.patient import age_on, display_name
from clinic_app.records.vitals import VITALS, vital_key
from local_store.store import Store

KINDS = ("prescription", "referral", "opinion", "summary")
Translate = Callable[[str], str]


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


def _cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def _named(res: Resource, lang: str, formulary: Formulary) -> tuple[str, Entry | None]:
    """A medicine's name in the letter's language and its formulary entry: a prescription
    written from the formulary is named as the formulary (in force) names it; one written as
    free text the formulary recognises ("氨氯地平片 5mg": that ingredient, strength and form)
    likewise; one whose ingredient only is recognised is named by it, the text as written
    beside it when in the other language; anything else as written."""
    concept = res.get("medicationCodeableConcept") or {}
    text = str(concept.get("text") or "").strip()
    fid = next((str(c.get("code")) for c in concept.get("coding") or []
                if str(c.get("system", "")).endswith("/CodeSystem/formulary")), "")  # fmt: skip
    entry = formulary.get(fid) if fid else None
    if entry is None and text:
        entry = formulary.entry_for(text)
    if entry is not None:
        return entry.name(lang) or text, entry
    drug = formulary.recognise(text) or formulary.drug_of(res)
    if drug is None or not text or _cjk(text) == (lang == "zh"):
        return text, None
    same = next((e for e in formulary.known
                 if e.atc == drug.atc and e.ingredient_en == drug.ingredient), None)  # fmt: skip
    if same is None:
        return text, None
    ingredient = same.ingredient_zh if lang == "zh" else same.ingredient_en.capitalize()
    return f"{ingredient} {drug.strength}".strip() + f" ({text})", None


def _amount_of(value: float, unit: str, w: dict[str, str], lang: str) -> str:
    plural = f"u_{unit}_n" if value != 1 else ""
    word = w.get(plural) or w.get(f"u_{unit}") or (unit if lang == "zh" else f" {unit}")
    return f"{value:g}{word}"


def _structured(dose: Dose, w: dict[str, str], lang: str) -> str:
    """The structured dosage in the letter's language ("1 tablet once daily, before
    breakfast", "每日1次，每次1片，早餐前"); empty when there is none."""
    freq = ""
    if dose.frequency is not None:
        n, p = dose.frequency, f"{dose.period:g}"
        key = f"freq_{dose.period_unit}" if dose.period == 1 else f"every_{dose.period_unit}"
        freq = (w.get(f"{key}_{n}") or w[key]).format(n=n, p=p)
    amount = _amount_of(dose.amount, dose.unit, w, lang) if dose.amount and dose.unit else ""
    parts = [freq, w["each"].format(dose=amount) if amount else ""]
    if lang != "zh":
        parts = [" ".join(x for x in (amount, freq) if x)]
    parts += [w[x] for x in dose.when] + ([w["as_needed"]] if dose.as_needed else [])
    return w["dose_sep"].join(x for x in parts if x)


def _dosage(res: Resource, w: dict[str, str], lang: str) -> str:
    """How to take it: the dose as written (clinical text is never machine-translated) and,
    when the prescription has it structured and the text is in the other language, the
    structured dose in the letter's language above it."""
    key = "dosageInstruction" if res.get("resourceType") != "MedicationStatement" else "dosage"
    out = []
    for d in res.get(key) or []:
        text = str(d.get("text") or "").strip()
        try:
            structured = _structured(Dose.read(d), w, lang)
        except (TypeError, ValueError):  # an imported Dosage this does not understand
            structured = ""
        if structured and text and _cjk(text) != (lang == "zh"):
            out.append(f"{structured}\n({text})")
        else:
            out.append(text or structured)
    return "; ".join(x for x in out if x)


def _route(res: Resource, entry: Entry | None, w: dict[str, str]) -> str:
    """The route a prescription codes (dosageInstruction.route), else its text as recorded,
    else what the medicine's form implies (a tablet or capsule: oral; never an injection's)."""
    for d in res.get("dosageInstruction") or []:
        key = route_of(d)
        if key:
            return w.get(key, key)
        text = str((d.get("route") or {}).get("text") or "")
        if text:
            return text
    if entry is not None:
        key = route_of_form(entry.form)
    else:
        key = route_of_form(str((res.get("medicationCodeableConcept") or {}).get("text") or ""))
    return w.get(key, key) if key else ""


def _medicine(res: Resource, lang: str, w: dict[str, str], formulary: Formulary) -> list[str]:
    """One row of the prescription table: medicine, dosage, route, quantity or days. The
    medicine is named by ``formulary`` (the one in force: an entry the platform administrator
    added or renamed is named as the platform now names it), else as it was recorded."""
    name, entry = _named(res, lang, formulary)
    dosage = _dosage(res, w, lang)
    route = _route(res, entry, w)
    dispense = res.get("dispenseRequest") or {}
    qty = dispense.get("quantity") or {}
    days = (dispense.get("expectedSupplyDuration") or {}).get("value")
    amount = f"{qty.get('value', ''):g} {qty.get('unit', '')}".strip() if qty.get("value") else ""
    if days:
        amount = " / ".join(x for x in (amount, w["days"].format(n=int(days))) if x)
    return [name or "—", dosage or "—", route or "—", amount or "—"]


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


def _current_medicines(store: Store, pid: str, lang: str, w: dict[str, str],
                       formulary: Formulary) -> list[str]:  # fmt: skip
    """The patient's current medicines, each named and dosed as in a prescription table."""
    found = store.find("MedicationRequest", patient_id=pid)
    found += store.find("MedicationStatement", patient_id=pid)
    out = []
    for line in medication_list_of(found, formulary).current:
        name, _entry = _named(line.resource, lang, formulary)
        dosage = _dosage(line.resource, w, lang)
        out.append(" — ".join(x for x in (name or line.text, dosage) if x))
    return out


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
        return _referral(store, record_id, lang, w, form)
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


def _referral(store: Store, record_id: str, lang: str, w: dict[str, str],
              formulary: Formulary) -> Letter:  # fmt: skip
    sr = store.get("ServiceRequest", record_id)
    if kind_of(sr) != "referral":
        raise ValidationError("record", "That request is not a referral.")
    pid = _pid(sr)
    specialty = specialty_of(sr) or ""
    reason = [str(r.get("text")) for r in sr.get("reasonCode") or [] if r.get("text")]
    head = [(w["to"], w.get(specialty, specialty)),
            (w["urgency"], w.get(str(sr.get("priority")), ""))]  # fmt: skip
    medicines = _current_medicines(store, pid, lang, w, formulary)
    sections = [
        Section("", rows=[(label, value) for label, value in head if value]),
        Section(w["diagnosis"], lines=_diagnosis(store, pid, lang, None) or ["—"]),
        Section(w["reason"], lines=reason or ["—"]),
        Section(w["medications"], lines=medicines or [w["none"]]),
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
            if c.get("system") == SYS_SPECIALTY:
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
