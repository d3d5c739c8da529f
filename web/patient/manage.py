"""The patient's pages behind their personal link: visits, course plan, cancel and move."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import TimeOption, from_minutes
from scheduler.calendar.visit_file import visit_calendar
from scheduler.courses.integrity import CourseRuleBroken
from scheduler.courses.read_model import courses_of
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.messaging.sending import CONSENT_FOR
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    Channel,
    ConsentKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    Practitioner,
)
from scheduler.patients.consent_wording import WORDING
from scheduler.patients.consents import record_consent_answers
from scheduler.patients.links import patient_for_token
from scheduler.patients.read_model import overview_for_token
from scheduler.visits.cancellation import NotCancellable, cancel_visit, is_late, late_hours
from scheduler.visits.confirmation import NotConfirmable, confirm_visit
from scheduler.visits.rescheduling import Move, NotMovable, alternatives, reschedule_visit
from scheduler.visits.waitlist import (
    Accepted,
    OfferClosed,
    Released,
    answer_offer,
    join_waitlist,
    open_offers,
    waiting_entries,
    withdraw,
)
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.limits import link_texts_limited

bp = Blueprint("manage", __name__, url_prefix="/m/<token>")

MOVE_DAYS = 14


def _invalid_link() -> tuple[str, int]:
    return render_template(
        "error.html",
        title="This link is not valid",
        message="It may have expired. Please call the clinic, or book again.",
    ), 404


def _visit(session: Session, token: str, appointment_id: int) -> tuple[Patient, Appointment]:
    patient = patient_for_token(session, token, clock().now())
    visit = session.get(Appointment, appointment_id)
    if patient is None or visit is None or visit.patient_id != patient.id:
        raise NotFound("no such visit")
    return patient, visit


@bp.get("")
def overview(token: str) -> Any:
    """Visits, the course plan and the texts, with cancel and move for upcoming visits."""
    return _overview_page(token)


def _overview_page(token: str, errors: dict[str, list[str]] | None = None) -> Any:
    """The personal page; after a refused form (``errors`` by the id of the place each names)
    a 422 whose error summary at the top links to each."""
    with db().session() as session:
        try:
            view = overview_for_token(session, token, clock().now())
        except NotFound:
            return _invalid_link()
        return render_template(
            "manage.html",
            view=view,
            courses=courses_of(session, view.patient),
            zone=settings().zone,
            now=clock().now(),
            token=token,
            wording={k.value: WORDING[k] for k in ConsentKind},
            consents={k.value: view.patient.consents_to(k) for k in ConsentKind},
            opted_out=view.patient.sms_opted_out_at is not None,
            waiting=waiting_entries(session, view.patient),
            offers=_offers_by_visit(session, view.patient),
            message_words={m.id: message_status(m, view.patient) for m in view.messages},
            errors=errors or {},
        ), (422 if errors else 200)


# The words of the patient's own choices on this page, by the consent a text needs.
SAID_NO = {
    ConsentKind.REMINDERS: "you said no to appointment texts",
    ConsentKind.DIARY_PROMPTS: "you said no to diary prompts",
}


def message_status(message: OutboundMessage, patient: Patient) -> str:
    """A message's status as it will really turn out: one still to go that the patient's STOP,
    unsubscribe or choices will hold back (the sending rules) reads "Not sent: ...", not
    "pending"."""
    if message.status not in (MessageStatus.PENDING, MessageStatus.QUEUED):
        return "not sent" if message.status == MessageStatus.SKIPPED else message.status.value
    if message.channel == Channel.EMAIL:
        emailed = patient.consents_to(ConsentKind.EMAIL)
        return "planned" if emailed else "Not sent: you stopped emails"
    if patient.sms_opted_out_at is not None:
        return "Not sent: you replied STOP"
    needed = CONSENT_FOR.get(message.kind, ConsentKind.REMINDERS)
    return "planned" if patient.consents_to(needed) else f"Not sent: {SAID_NO[needed]}"


def _offers_by_visit(session: Session, patient: Patient) -> dict[int, dict[str, Any]]:
    """The patient's open offers by held visit: the offer, when its hold ends in the patient's
    own zone, and the visit it would replace (cancelled on acceptance)."""
    now = clock().now()
    zone = ZoneInfo(patient.time_zone)
    return {
        offer.appointment_id: {
            "id": offer.id,
            "until": hold_end(offer.expires_at, zone, now),
            "replaces": session.get(Appointment, offer.entry.appointment_id)
            if offer.entry.appointment_id is not None
            else None,
        }
        for offer in open_offers(session, patient, now)
    }


def hold_end(expires: datetime, zone: ZoneInfo, now: datetime) -> str:
    """When a hold ends, in words for the patient: "14:25", or with its day if not today."""
    local = expires.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    if local.date() == now.astimezone(zone).date() + timedelta(days=1):
        return f"{local:%H:%M} tomorrow"
    return f"{local:%H:%M} on {local:%A %-d %B}"


OFFER_CLOSED = (
    "That time is no longer held for you: the offer has ended or was already answered. "
    "Nothing has changed."
)


@bp.post("/offers/<id:offer_id>/<any(accept, decline):answer>")
@link_texts_limited
def answer_held_time(token: str, offer_id: int, answer: str) -> Any:
    """Accept or decline a time held from the waitlist, as replying Y does by text; an offer
    that has expired or closed changes nothing and says so (404 if it is not the patient's)."""
    try:
        answered, message = db().retrying(
            lambda session: _answer(session, token, offer_id, answer == "accept")
        )
    except NotFound:
        return _invalid_link()
    except OfferClosed:
        flash(OFFER_CLOSED, "error")
    else:
        enqueue_follow_ups(answered.follow_ups)
        flash(message, "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


def _answer(
    session: Session, token: str, offer_id: int, accept: bool
) -> tuple[Accepted | Released, str]:
    """The patient's answer to the offer, and the words that tell them what it did."""
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        raise NotFound("no such link")
    answered = answer_offer(
        session, offer_id, accept=accept, settings=settings(), now=clock().now(), patient=patient
    )
    if not isinstance(answered, Accepted):
        return answered, "You said no to that time. You are still on the list for an earlier time."
    when = answered.visit.starts_at.astimezone(ZoneInfo(patient.time_zone))
    return answered, f"You're booked for {when:%A %-d %B} at {when:%H:%M}."


@bp.get("/visits/<id:appointment_id>.ics")
def visit_file(token: str, appointment_id: int) -> Any:
    """The visit as an add-to-calendar file; 404 for a visit of another patient, or one
    cancelled or missed (it is no longer in anyone's diary)."""
    with db().session() as session:
        try:
            _patient, visit = _visit(session, token, appointment_id)
        except NotFound:
            return _invalid_link()
        if visit.status not in ACTIVE_STATUSES:
            return _invalid_link()
        body = visit_calendar(
            visit,
            clinic_name=settings().clinic_name,
            base_url=settings().public_base_url,
            now=clock().now(),
        )
    return Response(body, mimetype="text/calendar", headers=_file_headers(appointment_id))


def _file_headers(appointment_id: int) -> dict[str, str]:
    # no-store: the file names the patient's practitioner and time, behind a personal link.
    return {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="visit-{appointment_id}.ics"',
    }


@bp.post("/texts")
def texts(token: str) -> Any:
    """Change which texts the patient gets; each change goes into the consent ledger."""
    answers = {
        ConsentKind.REMINDERS: request.form.get("reminders") == "yes",
        ConsentKind.DIARY_PROMPTS: request.form.get("diary_prompts") == "yes",
    }
    unanswered = {
        field: [f"Choose yes or no for {kind}."]
        for field, kind in (("reminders", "appointment texts"), ("diary_prompts", "diary prompts"))
        if request.form.get(field) not in ("yes", "no")
    }
    if unanswered:
        return _overview_page(token, unanswered)
    with db().transaction() as session:
        patient = patient_for_token(session, token, clock().now())
        if patient is None:
            return _invalid_link()
        record_consent_answers(session, patient, answers, channel="web", now=clock().now())
    flash("Your text message choices are saved.", "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


@bp.route("/visits/<id:appointment_id>/cancel", methods=["GET", "POST"])
@link_texts_limited
def cancel(token: str, appointment_id: int) -> Any:
    """Ask once, then cancel; under 24 hours it is recorded as a late cancellation."""
    if request.method == "GET":
        return _cancel_page(token, appointment_id)
    try:
        with db().transaction() as session:
            patient, _visit_row = _visit(session, token, appointment_id)
            cancelled = cancel_visit(
                session, appointment_id, clock().now(), patient=patient, settings=settings()
            )
    except NotFound:
        return _invalid_link()
    except NotCancellable as exc:
        flash(str(exc).capitalize() + ".", "error")
        return redirect(url_for("manage.overview", token=token), code=303)
    enqueue_follow_ups(cancelled.follow_ups)
    flash("Your visit is cancelled. The texts about it will not be sent.", "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


def _cancel_page(token: str, appointment_id: int) -> Any:
    with db().session() as session:
        try:
            _patient, visit = _visit(session, token, appointment_id)
        except NotFound:
            return _invalid_link()
        return render_template(
            "cancel.html",
            visit=visit,
            late=is_late(session, visit, clock().now()),
            late_hours=late_hours(session),
            zone=settings().zone,
            token=token,
        )


@bp.post("/visits/<id:appointment_id>/confirm")
def confirm(token: str, appointment_id: int) -> Any:
    """Confirm an upcoming booked visit (as replying C does)."""
    try:
        with db().transaction() as session:
            patient = patient_for_token(session, token, clock().now())
            if patient is None:
                raise NotFound("no such link")
            confirm_visit(session, appointment_id, patient, clock().now())
    except NotFound:
        return _invalid_link()
    except NotConfirmable as exc:
        flash(str(exc).capitalize() + ".", "error")
    else:
        flash("Thank you: your visit is confirmed.", "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


@bp.post("/visits/<id:appointment_id>/earlier")
@link_texts_limited
def ask_earlier(token: str, appointment_id: int) -> Any:
    """Join the waitlist for an earlier time for this visit: we text an offer when one frees."""
    now = clock().now()
    try:
        with db().transaction() as session:
            patient, visit = _visit(session, token, appointment_id)
            join_waitlist(
                session,
                patient,
                service_id=visit.service_id,
                earliest=now,
                latest=visit.starts_at,
                now=now,
                practitioner_id=visit.practitioner_id,
                appointment_id=visit.id,
            )
    except NotFound:
        return _invalid_link()
    except ValidationFailed as exc:
        return _overview_page(token, {f"visit-{appointment_id}": [_earlier_refusal(exc.fields)]})
    flash("You are on the list. We will text you if an earlier time frees up.", "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


def _earlier_refusal(fields: dict[str, list[str]]) -> str:
    """Why an earlier time cannot be asked for, in the patient's words."""
    if "appointment_id" in fields:
        return "This visit is no longer booked, so there is no earlier time to ask for."
    if "latest" in fields:
        return "An earlier time can be asked for only for a visit still ahead, within 90 days."
    return "This visit can no longer be changed online. Please call the clinic."


@bp.post("/waitlist/<id:entry_id>/withdraw")
def leave_waitlist(token: str, entry_id: int) -> Any:
    """Stop waiting for an earlier time."""
    try:
        with db().transaction() as session:
            patient = patient_for_token(session, token, clock().now())
            if patient is None:
                raise NotFound("no such link")
            left = withdraw(session, entry_id, patient, clock().now())
    except NotFound:
        return _invalid_link()
    enqueue_follow_ups(left.follow_ups)
    flash("You are off the list for earlier times.", "ok")
    return redirect(url_for("manage.overview", token=token), code=303)


def _days(value: str | None, today: date) -> date:
    try:
        return max(date.fromisoformat(value or ""), today)
    except ValueError:
        return today


@bp.route("/visits/<id:appointment_id>/move", methods=["GET", "POST"])
@link_texts_limited
def move(token: str, appointment_id: int) -> Any:
    """Show free times over two weeks; moving to one re-plans the texts."""
    error = None
    if request.method == "POST":
        try:
            moved = db().retrying(lambda session: _move(session, token, appointment_id))
        except NotFound:
            return _invalid_link()
        except (ValueError, ValidationFailed, SlotUnavailable, NotMovable) as exc:
            error = _move_error(exc)
        else:
            enqueue_follow_ups(moved.follow_ups)
            flash(_moved_message(moved), "ok")
            return redirect(url_for("manage.overview", token=token), code=303)
    return _move_page(token, appointment_id, error)


def _move(session: Session, token: str, appointment_id: int) -> Move:
    """:raise ValueError: if the form's time or practitioner is not a number."""
    patient, _visit_row = _visit(session, token, appointment_id)
    start = from_minutes(int(request.form.get("start", "x")))
    return reschedule_visit(
        session,
        appointment_id,
        start,
        settings=settings(),
        now=clock().now(),
        patient=patient,
        practitioner_id=int(request.form.get("practitioner_id", "0")) or None,
    )


def _moved_message(moved: Move) -> str:
    """The move's confirmation: a text is promised only when one is planned to go."""
    if moved.texted:
        return "Your visit is moved. We will text you about the new time."
    return "Your visit is moved."


def _move_error(exc: Exception) -> str:
    if isinstance(exc, ValueError):
        return "Choose one of the times shown."
    if isinstance(exc, CourseRuleBroken):
        return " ".join(p.message for p in exc.problems) + " Please choose another time."
    if isinstance(exc, SlotUnavailable):
        return "That time is no longer free. Please choose another."
    return str(exc)


def _move_page(token: str, appointment_id: int, error: str | None) -> Any:
    """The free times, two weeks a page; 422 with ``error`` after a refused move."""
    zone = settings().zone
    today = clock().now().astimezone(zone).date()
    first = _days(request.args.get("from"), today)
    with db().session() as session:
        try:
            visit, options = _free_times(session, token, appointment_id, first)
        except NotFound:
            return _invalid_link()
        except NotMovable as exc:
            flash(str(exc).capitalize() + ".", "error")
            return redirect(url_for("manage.overview", token=token), code=303)
        return render_template(
            "move.html",
            visit=visit,
            by_day=_by_day(options, zone, _names(session)),
            zone=zone,
            token=token,
            error=error,
            next_from=first + timedelta(days=MOVE_DAYS),
            prev_from=first - timedelta(days=MOVE_DAYS) if first > today else None,
        ), (422 if error else 200)


def _free_times(
    session: Session, token: str, appointment_id: int, first: date
) -> tuple[Appointment, list[TimeOption]]:
    _patient, visit = _visit(session, token, appointment_id)
    options = alternatives(
        session,
        appointment_id,
        settings=settings(),
        now=clock().now(),
        first_day=first,
        last_day=first + timedelta(days=MOVE_DAYS - 1),
    )
    return visit, options


def _names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in session.scalars(select(Practitioner))}


def _by_day(
    options: list[TimeOption], zone: ZoneInfo, names: dict[int, str]
) -> dict[date, list[dict[str, Any]]]:
    """Each day's choices: the time, and the practitioner it would be with."""
    by_day: dict[date, list[dict[str, Any]]] = {}
    for option in options:
        local = from_minutes(option.start).astimezone(zone)
        who = option.practitioner_ids[0]
        by_day.setdefault(local.date(), []).append(
            {"start": option.start, "time": f"{local:%H:%M}", "who": who, "name": names[who]}
        )
    return by_day
