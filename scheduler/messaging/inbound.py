"""A patient's text, understood and acted on; the raw text is always kept.

Replies go back at once as the webhook's answer, and are recorded in the thread as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.follow_ups import FollowUp
from scheduler.messaging.gsm import segment_count
from scheduler.messaging.replies import Intent, Reply, parse
from scheduler.messaging.texts import render_reply
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Consent,
    ConsentKind,
    DiaryDay,
    EmergencyPhrase,
    InboundMessage,
    MessageKind,
    MessageStatus,
    OfferStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduler.patients.consent_wording import WORDING
from scheduler.patients.links import issue_link_token
from scheduler.visits.cancellation import NotCancellable, cancel_visit, is_late, late_hours
from scheduler.visits.confirmation import confirm_visit
from scheduler.visits.waitlist import OfferClosed, accept_offer

CANCEL_CONFIRM_WINDOW = timedelta(minutes=30)
DIARY_PROMPT_VALID = timedelta(days=3)
UPCOMING = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)

# What a STOP by text withdraws: the consents to texts (emails have their own unsubscribe).
TEXT_CONSENTS = (ConsentKind.REMINDERS, ConsentKind.DIARY_PROMPTS)


@dataclass
class InboundResult:
    """The answer to a text, what it was understood as, and what the workers do next."""

    reply: str
    understood_as: str
    duplicate: bool = False
    follow_ups: tuple[FollowUp, ...] = ()


@dataclass
class _Context:
    session: Session
    settings: Settings
    now: datetime
    patient: Patient | None
    inbound: InboundMessage
    result: InboundResult | None = None

    def values(self, visit: Appointment | None = None, **extra: str) -> dict[str, str]:
        when = ""
        if visit is not None:
            local = visit.starts_at.astimezone(self.settings.zone)
            when = f"{local:%a} {local.day} {local:%b at %H:%M}"
        return {
            "clinic_name": self.settings.clinic_name,
            "clinic_phone": self.settings.clinic_phone,
            "emergency": self.settings.emergency_number,
            "when": when,
            **extra,
        }

    def link(self, path: str = "") -> str:
        assert self.patient is not None
        token = issue_link_token(self.session, self.patient, self.now)
        return self.settings.manage_url(token) + path


def _patient_for(session: Session, phone: str) -> Patient | None:
    """Whom a text from ``phone`` is from: the patient who proved the number with a code, when
    one has (their replies act for them alone, whoever else booked with the number).

    Otherwise (records made before numbers were proven, which a family may share) the most
    recent record with a visit, then the most recent record: a screen stopped with someone
    else's number makes a record with no visit, which must not take that person's replies.
    STOP and START act on every record with the number whoever is chosen here.
    """
    has_visit = exists().where(Appointment.patient_id == Patient.id)
    return session.scalars(
        select(Patient)
        .where(Patient.phone_e164 == phone)
        .order_by(Patient.phone_verified_at.is_(None), has_visit.desc(), Patient.id.desc())
    ).first()


def _next_visit(session: Session, patient: Patient, now: datetime) -> Appointment | None:
    return session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(UPCOMING),
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at)
    ).first()


def _record_consents(ctx: _Context, granted: dict[ConsentKind, bool], wording: str) -> None:
    assert ctx.patient is not None
    for kind, value in granted.items():
        ctx.session.add(
            Consent(
                patient_id=ctx.patient.id,
                kind=kind,
                granted=value,
                wording=f"{wording} ({WORDING[kind]})",
                channel="sms",
                recorded_at=ctx.now,
            )
        )


def _stop(ctx: _Context, _reply: Reply) -> str:
    """Every patient record on this number stops getting texts, at once."""
    patients = ctx.session.scalars(
        select(Patient).where(Patient.phone_e164 == ctx.inbound.from_phone)
    ).all()
    for patient in patients:
        if patient.sms_opted_out_at is None:
            patient.sms_opted_out_at = ctx.now
    if ctx.patient is not None:
        _record_consents(
            ctx, {k: False for k in TEXT_CONSENTS}, f"Replied {ctx.inbound.body.strip()[:20]!r}"
        )
    return render_reply("stopped", **ctx.values())


def _start(ctx: _Context, _reply: Reply) -> str:
    patients = ctx.session.scalars(
        select(Patient).where(Patient.phone_e164 == ctx.inbound.from_phone)
    ).all()
    for patient in patients:
        patient.sms_opted_out_at = None
    return render_reply("started", **ctx.values())


def _open_offer(ctx: _Context) -> WaitlistOffer | None:
    assert ctx.patient is not None
    return ctx.session.scalars(
        select(WaitlistOffer)
        .join(WaitlistEntry, WaitlistOffer.entry_id == WaitlistEntry.id)
        .where(
            WaitlistEntry.patient_id == ctx.patient.id,
            WaitlistOffer.status == OfferStatus.OPEN,
        )
        .order_by(WaitlistOffer.offered_at.desc())
    ).first()


def _yes(ctx: _Context, _reply: Reply) -> str:
    """YES takes an open waitlist offer if there is one; else it confirms the next visit."""
    assert ctx.patient is not None
    if ctx.patient.sms_opted_out_at is not None:  # YES re-subscribes at the carrier too
        ctx.patient.sms_opted_out_at = None
    offer = _open_offer(ctx)
    if offer is not None:
        return _take_offer(ctx, offer)
    booked = ctx.session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id == ctx.patient.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at > ctx.now,
        )
        .order_by(Appointment.starts_at)
    ).first()
    if booked is None:
        return render_reply("nothing_to_confirm", **ctx.values())
    confirm_visit(ctx.session, booked.id, ctx.patient, ctx.now)
    return render_reply("confirmed", **ctx.values(booked))


def _take_offer(ctx: _Context, offer: WaitlistOffer) -> str:
    assert ctx.result is not None
    try:
        accepted = accept_offer(
            ctx.session, offer.id, settings=ctx.settings, now=ctx.now, patient=ctx.patient
        )
    except OfferClosed:
        return render_reply("offer_closed", **ctx.values())
    ctx.result.follow_ups = accepted.follow_ups
    return render_reply("offer_taken", **ctx.values(accepted.visit))


def _reschedule(ctx: _Context, _reply: Reply) -> str:
    assert ctx.patient is not None
    visit = _next_visit(ctx.session, ctx.patient, ctx.now)
    if visit is None:
        return render_reply("no_visit", **ctx.values(manage_url=ctx.link()))
    url = ctx.link(f"/visits/{visit.id}/move")
    return render_reply("reschedule", **ctx.values(visit, manage_url=url))


def _cancel(ctx: _Context, _reply: Reply) -> str:
    """The first X asks; a second X within 30 minutes cancels."""
    assert ctx.patient is not None and ctx.result is not None
    visit = _next_visit(ctx.session, ctx.patient, ctx.now)
    if visit is None:
        return render_reply("no_visit", **ctx.values(manage_url=ctx.link()))
    if not _asked_to_cancel(ctx):
        ctx.result.understood_as = "cancel_ask"
        hours = late_hours(ctx.session)
        kind = "cancel_ask_late" if is_late(ctx.session, visit, ctx.now) else "cancel_ask"
        if hours == 0:
            kind = "cancel_ask_any_time"
        return render_reply(kind, **ctx.values(visit, late_hours=str(hours)))
    try:
        cancelled = cancel_visit(
            ctx.session, visit.id, ctx.now, patient=ctx.patient, settings=ctx.settings
        )
    except NotCancellable:
        return render_reply("no_visit", **ctx.values(manage_url=ctx.link()))
    ctx.result.understood_as = "cancel"
    ctx.result.follow_ups = cancelled.follow_ups
    return render_reply("cancelled", **ctx.values(visit))


def _asked_to_cancel(ctx: _Context) -> bool:
    """Whether an earlier X from the patient, in the last 30 minutes, asked to cancel."""
    assert ctx.patient is not None
    asked = ctx.session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.patient_id == ctx.patient.id,
            InboundMessage.understood_as == "cancel_ask",
            InboundMessage.received_at >= ctx.now - CANCEL_CONFIRM_WINDOW,
            InboundMessage.id != ctx.inbound.id,
        )
    ).first()
    return asked is not None


def _prompted_day(ctx: _Context) -> datetime | None:
    """The day the latest diary prompt sent to the patient asked about, if recent."""
    assert ctx.patient is not None
    prompt = ctx.session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.patient_id == ctx.patient.id,
            OutboundMessage.kind == MessageKind.DIARY_PROMPT,
            OutboundMessage.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)),
            OutboundMessage.sent_at >= ctx.now - DIARY_PROMPT_VALID,
        )
        .order_by(OutboundMessage.sent_at.desc())
    ).first()
    return prompt.planned_for if prompt is not None else None


def _diary(ctx: _Context, reply: Reply) -> str:
    assert ctx.patient is not None and reply.pain is not None
    day_start = _prompted_day(ctx)
    if day_start is None:
        return render_reply("diary_no_day", **ctx.values(manage_url=ctx.link()))
    zone = ZoneInfo(ctx.patient.time_zone)
    day = day_start.astimezone(zone).date()
    entry = ctx.session.scalars(
        select(DiaryDay).where(DiaryDay.patient_id == ctx.patient.id, DiaryDay.day == day)
    ).first()
    if entry is None:
        entry = DiaryDay(patient_id=ctx.patient.id, day=day, created_at=ctx.now, source="sms")
        ctx.session.add(entry)
    entry.headache = reply.pain > 0 or bool(reply.hours)
    entry.worst_pain = reply.pain
    entry.hours = reply.hours if reply.hours is not None else (0.0 if reply.pain == 0 else None)
    entry.acute_medication = reply.medication
    if not reply.medication:
        entry.medication_class = None  # an earlier answer's kind no longer stands
    entry.source = "sms"
    entry.updated_at = ctx.now
    label = datetime.combine(day, time.min).strftime("%a %d %b").replace(" 0", " ")
    return render_reply("diary_saved", **ctx.values(day=label))


def _emergency(ctx: _Context, reply: Reply) -> str:
    """Emergency advice at once and a staff alert; a text that also asked for no more texts
    ("worst headache ever, stop texting me") is an opt-out too, and the advice is the answer."""
    if reply.opt_out:
        _stop(ctx, reply)
    ctx.session.add(
        StaffAlert(
            kind="emergency_words",
            patient_id=ctx.patient.id if ctx.patient else None,
            inbound_id=ctx.inbound.id,
            detail="A patient's text suggests an emergency: call them now.",
            created_at=ctx.now,
        )
    )
    return render_reply("emergency", **ctx.values())


HANDLERS = {
    Intent.STOP: _stop,
    Intent.START: _start,
    Intent.YES: _yes,
    Intent.RESCHEDULE: _reschedule,
    Intent.CANCEL: _cancel,
    Intent.DIARY: _diary,
    Intent.EMERGENCY: _emergency,
}
NEED_NO_PATIENT = {Intent.STOP, Intent.START, Intent.EMERGENCY}


def receive_sms(
    session: Session,
    *,
    sid: str,
    from_phone: str,
    to_phone: str,
    body: str,
    settings: Settings,
    now: datetime,
) -> InboundResult:
    """Keep the text, understand it, act on it, and say what to answer and what follows.

    A text delivered twice (the same provider id) is acted on once; the same answer is
    given again, with nothing to follow.
    """
    seen = session.scalars(select(InboundMessage).where(InboundMessage.provider_sid == sid)).first()
    if seen is not None:
        return InboundResult(seen.reply, seen.understood_as, duplicate=True)
    patient = _patient_for(session, from_phone)
    reply = parse(body, _staff_phrases(session))
    inbound = InboundMessage(
        provider_sid=sid, from_phone=from_phone, to_phone=to_phone, body=body, received_at=now
    )
    _keep(session, inbound, patient, reply)
    return _act_on(session, inbound, patient, reply, settings, now)


def _staff_phrases(session: Session) -> list[str]:
    """The emergency phrases staff added in set-up, read afresh for each text (a short list:
    a phrase added a moment ago counts for the next text)."""
    return list(session.scalars(select(EmergencyPhrase.phrase)))


def _keep(session: Session, inbound: InboundMessage, patient: Patient | None, reply: Reply) -> None:
    """Keep the text with its sender's record (if known) and what it was understood as;
    flushed, since the answer in the thread refers to it."""
    inbound.patient_id = patient.id if patient else None
    inbound.understood_as = reply.intent.value
    session.add(inbound)
    session.flush()


def _act_on(
    session: Session,
    inbound: InboundMessage,
    patient: Patient | None,
    reply: Reply,
    settings: Settings,
    now: datetime,
) -> InboundResult:
    """Answer the kept text, and keep the answer with it (and in the patient's thread)."""
    result = InboundResult("", reply.intent.value)
    result.reply = _answer(_Context(session, settings, now, patient, inbound, result), reply)
    inbound.understood_as = result.understood_as
    inbound.reply = result.reply
    if patient is not None:
        _record_reply(session, patient, inbound, result.reply, now)
    session.flush()
    return result


def _answer(ctx: _Context, reply: Reply) -> str:
    """Act on the text with its intent's handler; the words to send back."""
    handler = HANDLERS.get(reply.intent)
    if ctx.patient is None and reply.intent not in NEED_NO_PATIENT:
        return render_reply("stranger", **ctx.values())
    if handler is not None:
        return handler(ctx, reply)
    name = "help" if reply.intent == Intent.HELP else "unknown"
    return render_reply(name, **ctx.values())


def _record_reply(
    session: Session, patient: Patient, inbound: InboundMessage, text: str, now: datetime
) -> None:
    """The answer, in the patient's thread, as sent (it goes back in the webhook's TwiML)."""
    session.add(
        OutboundMessage(
            patient_id=patient.id,
            in_reply_to_id=inbound.id,
            kind=MessageKind.REPLY,
            dedupe_key=f"reply:{inbound.id}",
            to_phone=patient.phone_e164,
            body=text,
            segments=segment_count(text),
            due_at=now,
            status=MessageStatus.SENT,
            provider_status="twiml",
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
    )
