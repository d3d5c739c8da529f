"""Texting the clinic in development: an inbound SMS as a patient, through the webhook's path."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.messaging.inbound import InboundResult, receive_sms
from scheduler.messaging.monitor import patient_thread
from scheduler.models import Patient
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.staff.auth import current_staff, staff_required

bp = Blueprint("dev_texts", __name__, url_prefix="/staff/dev/texts")

MAX_BODY = 1600  # the longest text Twilio delivers (ten segments)
PATIENTS_LISTED = 200
MAX_ID = 2**31 - 1


def dev_texts_on(cfg: Settings) -> bool:
    """Whether texting the clinic by hand is offered: texts printed, never in production."""
    return cfg.sms_backend == "console" and not cfg.is_production


class NoSuchSender(LookupError):
    """No patient has that id or phone number."""


@dataclass(frozen=True)
class Delivered:
    """A development text as the clinic received it: its answer, and for whom."""

    patient_id: int
    result: InboundResult
    follow_ups_sent: bool


def text_the_clinic(patient_id: int, body: str) -> Delivered:
    """Deliver ``body`` as a text from the patient's phone, exactly as Twilio's webhook does
    (one transaction around ``receive_sms``, then its follow-ups enqueued).

    :raise NoSuchSender: if there is no such patient; nothing is kept.
    :raise ValueError: if the text is empty or longer than Twilio delivers; nothing is kept.
    """
    if not body.strip() or len(body) > MAX_BODY:
        raise ValueError(f"Type a text of 1 to {MAX_BODY} characters.")
    cfg = settings()
    with db().transaction() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NoSuchSender(f"There is no patient {patient_id}.")
        result = receive_sms(
            session,
            sid=f"DEV{secrets.token_hex(16)}",
            from_phone=patient.phone_e164,
            to_phone=cfg.twilio.from_number or "console",
            body=body,
            settings=cfg,
            now=clock().now(),
        )
    return Delivered(patient_id, result, enqueue_follow_ups(result.follow_ups))


def patient_by_phone(session: Session, phone_e164: str) -> int:
    """The id of the most recent patient with this number (E.164).

    :raise NoSuchSender: if no patient has it.
    """
    found = session.scalars(
        select(Patient.id).where(Patient.phone_e164 == phone_e164).order_by(Patient.id.desc())
    ).first()
    if found is None:
        raise NoSuchSender(f"No patient has the number {phone_e164}.")
    return found


@bp.app_context_processor
def _offered() -> dict[str, bool]:
    # Only present when the blueprint is registered: the console links to the page then.
    return {"dev_texts_on": True}


@bp.get("")
@staff_required(Permissions.text_as_patient)
def page() -> Any:
    """Pick a patient, see their thread (sent and received), and type a reply as them."""
    chosen = _patient_id(request.args.get("patient_id"))
    user = current_staff()
    assert user is not None
    with db().session() as session:
        patient = session.get(Patient, chosen) if chosen else None
        if "patient_id" in request.args and patient is None:
            abort(404)
        # Diary replies are health data: shown only to the roles that see clinical detail.
        diary = Permissions.of(user).see_clinical()
        thread = patient_thread(session, patient, show_diary=diary) if patient else []
        return render_template(
            "staff/dev_texts.html",
            staff=user,
            patients=_patients(session),
            patient=patient,
            thread=thread,
            zone=settings().zone,
            max_body=MAX_BODY,
        )


def _patient_id(raw: str | None) -> int | None:
    """The patient id a form or address names, or None when it names none that could be."""
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        return None
    return int(raw)


def _patients(session: Session) -> list[Patient]:
    return list(session.scalars(select(Patient).order_by(Patient.id.desc()).limit(PATIENTS_LISTED)))


@bp.post("")
@staff_required(Permissions.text_as_patient)
def send() -> Any:
    """Deliver the typed text as the chosen patient's; a bad patient or text changes nothing."""
    patient_id = _patient_id(request.form.get("patient_id"))
    if patient_id is None:
        flash("Choose a patient.", "error")
        return redirect(url_for("dev_texts.page"), code=303)
    try:
        delivered = text_the_clinic(patient_id, request.form.get("body", ""))
    except NoSuchSender as exc:
        flash(str(exc), "error")
        return redirect(url_for("dev_texts.page"), code=303)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        flash(_outcome(delivered), "ok" if delivered.follow_ups_sent else "warning")
    return redirect(url_for("dev_texts.page", patient_id=patient_id), code=303)


def _outcome(delivered: Delivered) -> str:
    """What the clinic understood and answered, and whether the workers got what follows."""
    result = delivered.result
    said = f"Understood as {result.understood_as.replace('_', ' ')}."
    said += f" The clinic answers: “{result.reply}”" if result.reply else " No answer is sent."
    if not delivered.follow_ups_sent:
        said += " The workers could not be reached: what follows waits for them."
    return said
