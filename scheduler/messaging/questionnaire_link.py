"""Planning the questionnaire-link text: one neutral SMS when a questionnaire point opens."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scheduler.clinical.questionnaire_schedule import (
    MIDAS_AFTER_MONTHS,
    OPEN_FOR,
    ScheduledPoint,
    open_points,
)
from scheduler.config import Settings
from scheduler.messaging.outbox import write_message
from scheduler.messaging.sending import CONSENT_FOR
from scheduler.messaging.texts import MessageContext
from scheduler.messaging.wording import render_for
from scheduler.models import (
    ConsentKind,
    Course,
    CourseStatus,
    MessageKind,
    OutboundMessage,
    Patient,
)
from scheduler.patients.links import issue_link_token

# A point closing sooner than this is left to the patient's page: a text would come too late.
MIN_NOTICE = timedelta(hours=12)
# Courses ended longer ago than this have no point left to open (month-3 plus its window).
LOOKBACK = timedelta(days=31 * MIDAS_AFTER_MONTHS) + OPEN_FOR
QUESTIONNAIRES_PATH = "/questionnaires"


def questionnaire_consent() -> ConsentKind:
    """The consent a questionnaire link needs: the same one the sender checks."""
    return CONSENT_FOR.get(MessageKind.QUESTIONNAIRE, ConsentKind.REMINDERS)


def link_dedupe_key(patient_id: int, point: ScheduledPoint) -> str:
    """One text per patient and point (both questionnaires of a point share it); for a
    maintenance visit, one per visit time, so a moved visit gets a fresh text."""
    key = f"questionnaire:{patient_id}:{point.point}"
    if point.visit_starts_at is not None:
        key += f":{point.visit_starts_at:%Y%m%dT%H%MZ}"
    return key


def _candidates(session: Session, now: datetime) -> list[Patient]:
    """Patients in a course, or out of one recently enough for a point to open, who have not
    opted out of texts."""
    recent = select(Course.patient_id).where(
        or_(
            Course.status == CourseStatus.ACTIVE,
            Course.ended_at.is_(None),
            Course.ended_at >= now - LOOKBACK,
        )
    )
    # IN rather than JOIN ... DISTINCT: PostgreSQL cannot compare the JSON columns DISTINCT needs.
    return list(
        session.scalars(
            select(Patient)
            .where(Patient.id.in_(recent), Patient.sms_opted_out_at.is_(None))
            .order_by(Patient.id)
        )
    )


def _link_text(
    session: Session, patient: Patient, settings: Settings, url: str, now: datetime
) -> str:
    """The text in the clinic's own wording for it, or the built-in one."""
    return render_for(
        session,
        MessageKind.QUESTIONNAIRE,
        MessageContext(
            first_name=patient.first_name,
            local_start=now.astimezone(settings.zone),
            clinic_name=settings.clinic_name,
            clinic_phone=settings.clinic_phone,
            manage_url=url,
        ),
    )


def plan_patient_links(
    session: Session, patient: Patient, settings: Settings, now: datetime
) -> list[OutboundMessage]:
    """The questionnaire-link texts for the patient's open, unanswered points; each point is
    texted once (planning again adds nothing), and only with the patient's consent."""
    if patient.sms_opted_out_at is not None or not patient.consents_to(questionnaire_consent()):
        return []
    written = []
    for point in _points_to_text(session, patient, now):
        message = _text_link(session, patient, point, settings, now)
        if message is not None:
            written.append(message)
    return written


def _points_to_text(session: Session, patient: Patient, now: datetime) -> list[ScheduledPoint]:
    """The open points not answered yet that stay open long enough, one per point name."""
    by_point: dict[str, ScheduledPoint] = {}
    for point in open_points(session, patient, now):
        if point.closes is None or point.closes - now >= MIN_NOTICE:
            by_point.setdefault(point.point, point)
    return list(by_point.values())


def _text_link(
    session: Session, patient: Patient, point: ScheduledPoint, settings: Settings, now: datetime
) -> OutboundMessage | None:
    """The text with a fresh link to answer ``point``; None if it was texted already."""
    key = link_dedupe_key(patient.id, point)
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return None
    url = settings.manage_url(issue_link_token(session, patient, now)) + QUESTIONNAIRES_PATH
    return write_message(
        session,
        patient,
        MessageKind.QUESTIONNAIRE,
        key,
        _link_text(session, patient, settings, url, now),
        max(now, point.opens),
        now,
        appointment_id=point.appointment_id,
        planned_for=point.visit_starts_at,
    )


def plan_questionnaire_links(session: Session, settings: Settings, now: datetime) -> int:
    """Text every patient whose questionnaire point has opened a link to answer it.

    Idempotent: each text has a dedupe key per patient and point. Returns how many were
    written.
    """
    return sum(
        len(plan_patient_links(session, patient, settings, now))
        for patient in _candidates(session, now)
    )
