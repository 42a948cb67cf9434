"""The web desk's pages and form posts (``/desk/``): sign-in, the worklist, the case, and the
specialist's answers. Every answer goes through :func:`central.desk.data.save` (the sync push).

Every response carries a strict Content-Security-Policy (scripts and styles only from
/desk/static/, no inline code), ``Cache-Control: no-store`` and no patient data in its URL;
every POST checks the CSRF token first."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from central import accounts, attachments, authz, logins, signaling
from central.api import client_address, sign_in
from central.desk import data, session, terms
from central.desk.charts import trend_svg
from central.desk.terms import translate
from central.errors import ApiError
from central.turn import ice_config
from central.web import db, is_uuid, json_response, settings
from clinic_app.clinical.medication_checks import override_extension
from clinic_app.clinical.prescribing import drug_for
from clinic_app.errors import ValidationError
from clinic_app.records import orders
from clinic_app.records.common import Resource, iso, new_id, ref
from clinic_app.records.documents import digest_of
from clinic_app.records.messages import message
from clinic_app.records.patient import age_on, display_name
from clinic_app.records.schedule import appointment
from clinic_app.records.vitals import VITALS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
# A document shown inside the case page: framed by the desk only, scripts in it never run.
DOCUMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " \
    "frame-ancestors 'self'; sandbox"  # fmt: skip
STATIC = {
    "htmx-2.0.11.min.js": "text/javascript",
    "desk.js": "text/javascript",
    "desk-call.js": "text/javascript",
    "desk.css": "text/css",
}
VIEWABLE = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"  # as clinic_app.services.desk
SLOT_DAYS = 14  # the slot picker offers one-hour slots on this many days from today
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WARN_BEFORE = 600  # seconds before the session ends that the page warns
EXPIRED = "The form expired: reload the page and try again."
SAVED = "Saved; the clinic receives it on its next sync."
CHANGED = "Someone changed this consult meanwhile: reload and try again."
WITHDRAWN = "This consult request is closed or was withdrawn."
DECLINED = "This consult was declined: accept it before answering."
WARNINGS = "Warnings: sign only with a reason."
NO_DAY = "Choose a day in the next 14 days."
SESSION_ENDS = "Your session ends in %n minutes: save your work, then sign in again."
THROTTLED = "Too many sign-in attempts: wait %n seconds, then try again."
# the consult request's own status when the clinic has closed it (clinic_app.services.desk)
CLOSED_CONSULT = ("revoked", "entered-in-error", "completed")
ANSWERS = ("schedule", "opinion", "prescription", "referral")
# what the call page may be refused with (the ICE route's status, the room's error codes)
CALL_ERRORS = ("not_found", "consult_closed", "unauthorized", "session_ended", "room_full",
               "server_error", "error")  # fmt: skip
ACTIONS = ("accept", "decline", "schedule", "message", "opinion", "prescription", "referral")
Handler = Callable[[web.Request, session.Visit], Awaitable[web.StreamResponse]]

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("central.desk", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _headers(response: web.StreamResponse, csp: str = CSP) -> None:
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY" if csp == CSP else "SAMEORIGIN"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"


def page(
    *, signed_in: bool = True, post: bool = False
) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Wrap a handler: the transport check, the session (renewed if need be), the CSRF check
    of a POST, the security headers and the session's cookies on whatever it answers."""

    def wrap(fn: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            v = await session.visit(request)
            try:
                if not session.transport_ok(request):
                    response: web.StreamResponse = render(
                        request, v, "signin.html", status=403, error="Use the desk over HTTPS."
                    )
                elif signed_in and v.principal is None:
                    response = _to_signin(request, v)
                elif signed_in and v.principal is not None and v.principal.role != "specialist":
                    response = render(request, v, "signin.html", status=403,
                                      error="The web desk is for specialists.")  # fmt: skip
                else:
                    form = await request.post() if post else None
                    sid = v.principal.session_id if v.principal else None
                    if post and not session.csrf_ok(request, form, sid):
                        response = render(request, v, "error.html", status=403, error=EXPIRED)
                    else:
                        response = await fn(request, v)
            except web.HTTPException as exc:  # a 404 of the desk: a page, not JSON
                code = terms.STATUS_CODES.get(exc.status, "error")
                response = render(request, v, "error.html", status=exc.status,
                                  error=terms.error_text(v.lang, code))  # fmt: skip
            v.apply(request, response)
            _headers(response, response.headers.get("Content-Security-Policy", CSP))
            return response

        return handler

    return wrap


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _to_signin(request: web.Request, v: session.Visit) -> web.StreamResponse:
    if request.method == "GET" and "HX-Request" not in request.headers:
        return _see_other("/desk/signin")
    response = web.Response(status=401)  # htmx: go to the sign-in page as a whole
    response.headers["HX-Redirect"] = "/desk/signin"
    if request.method != "GET":
        return render(request, v, "signin.html", status=401,
                      error="Your session has ended: sign in again.")  # fmt: skip
    return response


def render(request: web.Request, v: session.Visit, template: str, *, status: int = 200,
           **context: Any) -> web.Response:  # fmt: skip
    """A page in the visitor's language (``t``), with its CSRF token and session end."""
    lang = v.lang

    def t(text: str, *args: object) -> str:
        return translate(lang, text, *args)

    def tn(text: str, n: int, *args: object) -> str:
        return terms.ntranslate(lang, text, n, *args)

    body = _env.get_template(template).render(
        t=t, tn=tn, lang=lang, csrf=v.csrf, signed_in=v.principal is not None,
        session_end=v.session_end or 0, warn_before=WARN_BEFORE, path=request.path,
        session_ends=terms.plural_forms(lang, SESSION_ENDS),
        **({"error": None, "notice": None} | context),
    )  # fmt: skip
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


# -- sign-in and out -------------------------------------------------------------------------


@routes.get("/desk")
async def desk_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/desk/")


@routes.get("/desk/")
@page(signed_in=False)
async def home(request: web.Request, v: session.Visit) -> web.StreamResponse:
    return _see_other("/desk/worklist" if v.principal else "/desk/signin")


@routes.get("/desk/signin")
@page(signed_in=False)
async def signin_page(request: web.Request, v: session.Visit) -> web.StreamResponse:
    if v.principal is not None:
        return _see_other("/desk/worklist")
    return render(request, v, "signin.html")


@routes.post("/desk/signin")
@page(signed_in=False, post=True)
async def signin(request: web.Request, v: session.Visit) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    if not (1 <= len(username) <= 64) or not (1 <= len(password) <= accounts.MAX_PASSWORD):
        return render(request, v, "signin.html", status=401,
                      error="The user name or password is wrong.")  # fmt: skip
    outcome = await sign_in(request, username, password)
    if isinstance(outcome, logins.Verdict):
        text = ("Sign-in with this user name is locked after too many failed attempts."
                if outcome.locked else
                terms.ntranslate(v.lang, THROTTLED, int(outcome.retry_after)))  # fmt: skip
        response = render(request, v, "signin.html", status=423 if outcome.locked else 429,
                          error=text)  # fmt: skip
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome is None:
        return render(request, v, "signin.html", status=401,
                      error="The user name or password is wrong.")  # fmt: skip
    pair, who = outcome
    if who.role != "specialist":
        await db(request).write(partial(accounts.end_session, session_id=pair.session_id,
                                        reason="logout"), seq_lock=False)  # fmt: skip
        return render(request, v, "signin.html", status=403,
                      error="The web desk is for specialists.")  # fmt: skip
    session.remember(v, pair)
    return _see_other("/desk/worklist")


@routes.post("/desk/signout")
@page(post=True)
async def signout(request: web.Request, v: session.Visit) -> web.StreamResponse:
    p = v.principal
    assert p is not None
    address = client_address(request)

    def work(conn: Any) -> None:
        accounts.logout(conn, p)
        logins.audit(conn, "logout", "success", subject_id=p.id, address=address)

    await db(request).write(work, seq_lock=False)
    v.cookies.clear()
    v.ended = True
    response = _see_other("/desk/signin")
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@routes.get("/desk/lang/{lang}")
@page(signed_in=False)
async def choose_language(request: web.Request, v: session.Visit) -> web.StreamResponse:
    lang = request.match_info["lang"]
    if lang not in session.LANGUAGES:
        raise web.HTTPNotFound()
    back = request.query.get("back", "/desk/")
    if not back.startswith("/desk/") or "//" in back or "\\" in back:
        back = "/desk/"
    v.cookies[session.LANG] = (lang, 365 * 86400)
    return _see_other(back)


# -- the worklist ----------------------------------------------------------------------------


def _who(request: web.Request, v: session.Visit) -> accounts.Principal:
    assert v.principal is not None
    return v.principal


@routes.get("/desk/worklist")
@page()
async def worklist(request: web.Request, v: session.Visit) -> web.StreamResponse:
    p = _who(request, v)
    items = await db(request).read(lambda conn: data.worklist(conn, p))
    return render(request, v, "worklist.html", items=items, specialty_name=_specialty_name,
                  when=_when)  # fmt: skip


def _specialty_name(code: str | None) -> str:
    return orders.SPECIALTIES.get(code or "", code or "")


def _when(text: str | None) -> str:
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""


# -- the case --------------------------------------------------------------------------------


async def _case(request: web.Request, p: accounts.Principal) -> data.Case:
    consult_id = request.match_info["consult_id"]
    if not is_uuid(consult_id):
        raise web.HTTPNotFound()
    found = await db(request).read(lambda conn: data.case(conn, p, consult_id))
    if found is None:
        raise web.HTTPNotFound()
    return found


@dataclass(frozen=True)
class Slots:
    """The slot picker: the next days and the hours of a day, labelled in the desk's language
    (not the browser's, as a date-time input would be), and the next full hour chosen."""

    days: list[tuple[str, str]]  # (YYYY-MM-DD, label)
    hours: list[tuple[str, str]]  # (0 ... 23, "09:00–10:00")
    day: str
    hour: str
    zone: str  # UTC+08:00


def _slots(lang: str, now: datetime) -> Slots:
    days = []
    for n in range(SLOT_DAYS):
        d = now.date() + timedelta(days=n)
        weekday = translate(lang, WEEKDAYS[d.weekday()])
        label = f"{d.month}月{d.day}日 {weekday}" if lang == "zh" else \
            f"{weekday} {d.day} {MONTHS[d.month - 1]}"  # fmt: skip
        if n < 2:
            label = f"{translate(lang, 'Tomorrow' if n else 'Today')} · {label}"
        days.append((d.isoformat(), label))
    hours = [(str(h), f"{h:02d}:00–{(h + 1) % 24:02d}:00") for h in range(24)]
    nxt = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    offset = now.strftime("%z") or "+0000"
    return Slots(days, hours, nxt.date().isoformat(), str(nxt.hour),
                 f"UTC{offset[:3]}:{offset[3:5]}")  # fmt: skip


def _case_page(request: web.Request, v: session.Visit, case: data.Case, *, status: int = 200,
               **context: Any) -> web.Response:  # fmt: skip
    lang = v.lang
    charts = []
    for key, points in case.vitals.items():
        spec = VITALS[key]
        charts.append(Markup(trend_svg(points, translate(lang, spec.display), spec.unit_label)))
    patient = case.patient or {}
    age = None
    if patient.get("birthDate"):
        try:
            age = age_on(patient, datetime.now().date())
        except ValueError:
            age = None
    form: dict[str, Any] = {"findings": [], "rx": {}, "errors": {}} | context.pop("form", {})
    return render(
        request, v, "case.html", status=status, case=case, charts=charts,
        patient_name=display_name(patient) if patient else "", age=age,
        specialty_name=_specialty_name, when=_when, digest_of=digest_of,
        viewable=_viewable, specialties=orders.SPECIALTIES, priorities=orders.PRIORITIES,
        slots=_slots(lang, datetime.now().astimezone()), form=form,
        severity=partial(terms.severity, lang), describe=partial(terms.describe, lang),
        med_text=_med_text, text_of=_text_of, **context,
    )  # fmt: skip


def _viewable(doc: Resource) -> str | None:
    for content in doc.get("content") or []:
        mime = str((content.get("attachment") or {}).get("contentType", ""))
        if mime in VIEWABLE:
            return "pdf" if mime == "application/pdf" else "image"
    return None


def _text_of(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    return next((str(c.get("display")) for c in concept.get("coding") or [] if c.get("display")),
                "")  # fmt: skip


def _med_text(res: Resource) -> str:
    name = _text_of(res.get("medicationCodeableConcept"))
    dose = "; ".join(str(d.get("text", "")) for d in res.get("dosageInstruction") or res.get(
        "dosage") or [] if d.get("text"))  # fmt: skip
    return f"{name} — {dose}" if dose else name


@routes.get("/desk/consults/{consult_id}")
@page()
async def case_page(request: web.Request, v: session.Visit) -> web.StreamResponse:
    case = await _case(request, _who(request, v))
    saved = request.query.get("saved") == "1"
    return _case_page(request, v, case, notice=SAVED if saved else None)


@routes.post("/desk/consults/{consult_id}/{action}")
@page(post=True)
async def act(request: web.Request, v: session.Visit) -> web.StreamResponse:
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    p = _who(request, v)
    case = await _case(request, p)
    form = await request.post()
    username = await db(request).read(lambda conn: accounts.username_of(conn, p.id)) or p.id
    now = datetime.now().astimezone()
    closed = _closed(action, case)
    if closed:
        return _case_page(request, v, case, status=409, error=closed)
    try:
        writes = _answer(action, case, form, username, now)
    except ValidationError as exc:
        text = terms.invalid(v.lang, exc.message)
        return _case_page(request, v, case, error=text,
                          form={"errors": {exc.field: text}, "rx": dict(form)})  # fmt: skip
    except _Warnings as warn:
        return _case_page(request, v, case, error=WARNINGS,
                          form={"findings": warn.findings, "rx": dict(form)})  # fmt: skip
    try:
        await data.save(request, p, writes)
    except data.Refused as exc:
        # said by its code in the desk's language, never by the server's English message
        log.info("desk %s refused: %s", action, exc.code)
        conflict = exc.code == "conflict"
        text = CHANGED if conflict else terms.refusal(v.lang, exc.code)
        return _case_page(request, v, case, status=409 if conflict else 422,
                          error=text, form={"rx": dict(form)})  # fmt: skip
    log.info("desk %s saved by user %s", action, p.id)
    return _see_other(f"/desk/consults/{case.consult_id}?saved=1")


def _closed(action: str, case: data.Case) -> str | None:
    """Why ``action`` cannot be taken on this consult now, as the desktop desk refuses it."""
    status = case.consult.get("status")
    if case.state == "cancelled" or (action in ("accept", "decline") and status in CLOSED_CONSULT):
        return WITHDRAWN
    if action in ANSWERS and case.state == "declined":
        return DECLINED
    return None


class _Warnings(Exception):
    def __init__(self, findings: list[Any]) -> None:
        super().__init__("warnings")
        self.findings = findings


def _field(form: Any, key: str, limit: int = 20000) -> str:
    value = form.get(key, "")
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise ValidationError(key, "The text is too long.")
    return text


def _answer(action: str, case: data.Case, form: Any, username: str,
            now: datetime) -> list[tuple[Resource, int | None]]:  # fmt: skip
    """The records one form post writes, built as the desktop builds them."""
    pid, cid = case.patient_id, case.consult_id
    if action in ("accept", "decline"):
        reason = _field(form, "reason", 2000)
        if action == "decline" and not reason:
            raise ValidationError("reason", "Say why you decline the consult.")
        return [_decision(case, accept=action == "accept", reason=reason, owner=username, now=now)]
    if action == "schedule":
        start = _slot_start(form, now)
        appt = appointment(patient_id=pid, start=start, practitioner=username,
                           description="Video consult", based_on=cid)  # fmt: skip
        return [(appt, None)]
    if action == "message":
        return [(message(patient_id=pid, consult_id=cid, text=_field(form, "text", 4000),
                         sender=username, sent=now), None)]  # fmt: skip
    if action == "opinion":
        res = orders.opinion(patient_id=pid, consult_id=cid, conclusion=_field(form, "conclusion"),
                             author=username, issued=now,
                             specialty=orders.specialty_of(case.consult))  # fmt: skip
        return [(res, None)]
    if action == "referral":
        specialty = _field(form, "specialty", 64)
        if specialty not in orders.SPECIALTIES:
            raise ValidationError("specialty", "Choose a specialty from the list.")
        priority = _field(form, "priority", 16)
        res = orders.referral(patient_id=pid, specialty=specialty,
                              priority=priority if priority in orders.PRIORITIES else "routine",
                              reason=_field(form, "reason", 4000), requester=username,
                              authored=now, based_on=cid)  # fmt: skip
        return [(res, None)]
    return [(_prescription(case, form, username, now), None)]


def _slot_start(form: Any, now: datetime) -> datetime:
    """The start of the one-hour slot the picker's day and hour name, in the desk's time
    zone (the server's: the times the desk shows are in it too)."""
    hour = _field(form, "hour", 2)
    try:
        day = date.fromisoformat(_field(form, "day", 10))
    except ValueError:
        raise ValidationError("day", NO_DAY) from None
    if not 0 <= (day - now.date()).days < SLOT_DAYS:
        raise ValidationError("day", NO_DAY)
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise ValidationError("hour", "Choose a time on the hour.")
    start = datetime(day.year, day.month, day.day, int(hour)).astimezone()
    if start < now:
        raise ValidationError("hour", "That slot is over; choose a later one.")
    return start


def _prescription(case: data.Case, form: Any, username: str, now: datetime) -> Resource:
    drug, concept = drug_for(_field(form, "medication", 500), formulary=case.formulary)
    dosage = _field(form, "dosage", 1000)
    if not dosage:
        raise ValidationError("dosage", "Enter the dosage.")
    days_text = _field(form, "days", 5)
    days = None
    if days_text:
        if not days_text.isdigit() or not 1 <= int(days_text) <= 365:
            raise ValidationError("days", "A prescription lasts 1 to 365 days.")
        days = int(days_text)
    findings = data.medication_findings(case, drug)
    warnings = [f for f in findings if f.needs_reason]
    reason = _field(form, "override_reason", 2000)
    if warnings and not reason:
        raise _Warnings(findings)
    prior = [rid for f in findings if f.kind == "replaces" and f.record
             for rtype, rid in [f.record] if rtype == "MedicationRequest"]  # fmt: skip
    return orders.prescription(
        patient_id=case.patient_id, concept=concept, dosage=dosage, requester=username,
        authored=now, days=days, based_on=case.consult_id, prior=prior[0] if prior else None,
        override=override_extension(reason, warnings) if warnings else None,
    )  # fmt: skip


def _decision(case: data.Case, *, accept: bool, reason: str, owner: str,
              now: datetime) -> tuple[Resource, int | None]:  # fmt: skip
    """The desk's decision Task, as clinic_app.services.desk.decide writes it."""
    moment = iso(now)
    if case.decision is not None:
        task, base = dict(case.decision[0]), case.decision[1]
    else:
        task, base = {
            "resourceType": "Task",
            "id": new_id(),
            "intent": "order",
            "code": {"coding": [{"system": TASK_CODE_SYSTEM, "code": "fulfill",
                                 "display": "Fulfill the focal request"}],
                     "text": "Consult decision"},
            "focus": ref("ServiceRequest", case.consult_id),
            "basedOn": [ref("ServiceRequest", case.consult_id)],
            "for": ref("Patient", case.patient_id),
            "authoredOn": moment,
        }, None  # fmt: skip
    task.pop("meta", None)
    task["status"] = "accepted" if accept else "rejected"
    task["businessStatus"] = {"text": "accepted" if accept else "declined"}
    task["owner"] = {"display": owner}
    task["lastModified"] = moment
    if reason:
        task["statusReason"] = {"text": reason}
    else:
        task.pop("statusReason", None)
    return task, base


# -- the call --------------------------------------------------------------------------------
# The call page joins the consult's room (central/signaling.py) as the specialist side, with
# the desk's session cookie, never a token in the page: the ICE servers and the WebSocket come
# from /desk/ routes that admit exactly as /api/v1/calls/... does (the consult must be readable
# and sent). A WebSocket is not covered by SameSite alone on every browser, so its handshake
# must also come from a page of this site (Origin equal to this host).


@routes.get("/desk/consults/{consult_id}/call")
@page()
async def call_page(request: web.Request, v: session.Visit) -> web.StreamResponse:
    case = await _case(request, _who(request, v))
    await _call_admit(request, v)  # a withdrawn consult: its page says so (409), no call
    patient = case.patient or {}
    return render(request, v, "call.html", case=case,
                  patient_name=display_name(patient) if patient else "",
                  sizes=terms.plural_forms(v.lang, "%n bytes"),
                  call_errors=[(c.replace("_", "-"), terms.error_text(v.lang, c))
                               for c in CALL_ERRORS])  # fmt: skip


async def _call_admit(request: web.Request, v: session.Visit) -> tuple[accounts.Principal, str]:
    p = _who(request, v)
    consult_id = request.match_info["consult_id"]
    try:
        side = await db(request).read(lambda conn: signaling.admit(conn, p, consult_id))
    except ApiError as exc:
        raise web.HTTPNotFound() if exc.status == 404 else web.HTTPConflict() from None
    return p, side


@routes.get("/desk/consults/{consult_id}/call/ice")
@page()
async def call_ice(request: web.Request, v: session.Visit) -> web.StreamResponse:
    p, side = await _call_admit(request, v)
    return json_response({"side": side, **ice_config(settings(request), p.id)})


def same_origin(request: web.BaseRequest) -> bool:
    """The request comes from a page of this site (the Origin header names this host)."""
    origin = request.headers.get("Origin", "")
    scheme = "https" if session.over_tls(request) else "http"
    return bool(request.host) and origin == f"{scheme}://{request.host}"


@routes.get("/desk/consults/{consult_id}/call/ws")
async def call_socket(request: web.Request) -> web.StreamResponse:
    v = await session.visit(request)
    if not session.transport_ok(request) or not same_origin(request):
        return web.Response(status=403, text="forbidden")
    if v.principal is None or v.principal.role != "specialist":
        return web.Response(status=401, text="sign in")
    try:
        p, side = await _call_admit(request, v)
    except web.HTTPException as exc:
        return web.Response(status=exc.status, text=exc.reason)
    ws = signaling.new_socket()
    v.apply(request, ws)  # a renewed session's cookies ride on the handshake's answer
    return await signaling.serve_room(request, p, request.match_info["consult_id"], side, ws)


# -- documents and static files --------------------------------------------------------------


@routes.get("/desk/documents/{doc_id}")
@page()
async def document(request: web.Request, v: session.Visit) -> web.StreamResponse:
    p = _who(request, v)
    doc_id = request.match_info["doc_id"]
    if not is_uuid(doc_id):
        raise web.HTTPNotFound()
    doc = await db(request).read(lambda conn: data.document(conn, p, doc_id))
    sha = digest_of(doc) if doc else None
    kind = _viewable(doc) if doc else None
    if doc is None or sha is None or kind is None:
        raise web.HTTPNotFound()
    mime = next(str(c["attachment"]["contentType"]) for c in doc["content"]
                if (c.get("attachment") or {}).get("contentType") in VIEWABLE)  # fmt: skip

    def layout(conn: Any) -> tuple[int, list[int]] | None:
        if not authz.can_download(conn, p, sha):
            return None
        return attachments.blob_layout(conn, sha)

    found = await db(request).read(layout)
    if found is None:
        raise web.HTTPNotFound()
    size, offsets = found
    response = web.StreamResponse(headers={"Content-Type": mime,
                                           "Content-Disposition": "inline"})  # fmt: skip
    response.content_length = size
    v.apply(request, response)
    _headers(response, DOCUMENT_CSP)
    await response.prepare(request)
    for off in offsets:
        chunk = await db(request).read(partial(attachments.blob_chunk, sha256=sha, offset=off))
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get("/desk/static/{name}")
async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = resources.files("central.desk").joinpath("static", name).read_bytes()
    response = web.Response(body=body, content_type=STATIC[name], charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
