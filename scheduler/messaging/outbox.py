"""The outbox: planning a visit's messages, cancelling them, and claiming due rows atomically."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, bindparam, case, cast, func, select, update
from sqlalchemy.orm import Session, selectinload

from scheduler.config import Settings
from scheduler.messaging.email_plans import (
    Route,
    channels_for,
    email_key,
    load_routes,
    plan_visit_email,
)
from scheduler.messaging.gsm import segment_count
from scheduler.messaging.provider import UNKNOWN_EMAIL
from scheduler.messaging.texts import MessageContext, render
from scheduler.messaging.timing import QUIET, load_reminder_plan, visit_due_times, visit_plan
from scheduler.messaging.wording import load_wording
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Consent,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.models.base import table_of

UNSENT = (MessageStatus.PENDING, MessageStatus.QUEUED)


def visit_dedupe_key(appointment: Appointment, kind: MessageKind) -> str:
    """One confirmation per visit; one reminder of each kind per visit *time*."""
    if kind == MessageKind.CONFIRMATION:
        return f"appointment:{appointment.id}:{kind.value}"
    return f"appointment:{appointment.id}:{kind.value}:{appointment.starts_at:%Y%m%dT%H%MZ}"


def plan_visit_messages(
    session: Session,
    appointment: Appointment,
    *,
    manage_url: str,
    settings: Settings,
    now: datetime,
    new_visit: bool = False,
) -> list[OutboundMessage]:
    """Write the visit's confirmation and reminders as pending outbox rows.

    Reminders whose time has already passed are not written: the confirmation covers them.
    Each text is worded for the moment it is due ("today", "tomorrow"). The reminders' offsets
    come from the clinic's reminder plan, the words from its wording. A message the visit
    already has is not written again; a ``new_visit`` (written in this transaction) has none,
    so they are not looked up.
    """
    context = _context(appointment, manage_url, settings)
    wording = load_wording(session)
    existing = set() if new_visit else _existing_keys(session, appointment.id)
    routes = load_routes(session)
    rows: list[OutboundMessage] = []
    for kind, due in _due_times(session, appointment, now).items():
        channels = channels_for(routes[kind], appointment.patient)
        if Channel.SMS in channels and visit_dedupe_key(appointment, kind) not in existing:
            # Worded for its due time after quiet hours: "tomorrow" if it goes the evening before.
            body = render(kind, replace(context, sends_at=due), wording.get(kind))
            rows.append(_visit_message(appointment, kind, body, due, now))
    session.add_all(rows)
    session.flush()
    for kind, due in _email_due_times(session, appointment, now).items():
        if Channel.EMAIL in channels_for(routes[kind], appointment.patient):
            key = email_key(visit_dedupe_key(appointment, kind))
            email = plan_visit_email(
                session, appointment, kind, key, due, settings, manage_url, now
            )
            rows.extend([email] if email is not None else [])
    return rows


def _email_due_times(
    session: Session, appointment: Appointment, now: datetime
) -> dict[MessageKind, datetime]:
    """When each of the visit's emails is due: as its text, but quiet hours do not apply."""
    plan = visit_plan(load_reminder_plan(session))
    due_times = {
        kind: now if before is None else appointment.starts_at - before
        for kind, before in plan.items()
    }
    return {kind: due for kind, due in due_times.items() if due >= now}


def _existing_keys(session: Session, appointment_id: int) -> set[str]:
    """The dedupe keys of the messages already written for a visit."""
    return set(
        session.scalars(
            select(OutboundMessage.dedupe_key).where(
                OutboundMessage.appointment_id == appointment_id
            )
        )
    )


def _due_times(
    session: Session, appointment: Appointment, now: datetime
) -> dict[MessageKind, datetime]:
    """When each of the visit's messages is due, by the clinic's plan and quiet hours."""
    zone = ZoneInfo(appointment.patient.time_zone)
    return visit_due_times(load_reminder_plan(session), appointment.starts_at, zone, now)


def _visit_message(
    appointment: Appointment, kind: MessageKind, body: str, due: datetime, now: datetime
) -> OutboundMessage:
    """A pending row of one of the visit's planned messages."""
    key = visit_dedupe_key(appointment, kind)
    return _pending_row(
        appointment.patient, kind, key, body, due, now, appointment.id, appointment.starts_at
    )


def _pending_row(
    patient: Patient,
    kind: MessageKind,
    key: str,
    body: str,
    due: datetime,
    now: datetime,
    appointment_id: int | None,
    planned_for: datetime | None,
) -> OutboundMessage:
    """A new ``pending`` outbox row to the patient's phone, due at ``due`` exactly."""
    return OutboundMessage(
        patient_id=patient.id,
        appointment_id=appointment_id,
        kind=kind,
        channel=Channel.SMS,
        dedupe_key=key,
        to_phone=patient.phone_e164,
        body=body,
        segments=segment_count(body),
        due_at=due,
        planned_for=planned_for,
        status=MessageStatus.PENDING,
        created_at=now,
        updated_at=now,
    )


def plan_visit_notice(
    session: Session,
    appointment: Appointment,
    kind: MessageKind,
    manage_url: str,
    settings: Settings,
    now: datetime,
) -> OutboundMessage | None:
    """One message about a change to a visit, due now; one per change.

    Its key carries the visit's time and how many messages of the kind the visit had before (by
    either channel), so a move back to a time the patient was told of once is told again, while
    planning twice in one change (the count read under the visit's row lock) adds nothing. Once
    the visit's calendar invite has gone to the patient, the change goes by email too, whatever
    the route: their calendar must follow the visit.
    """
    earlier = session.scalar(
        select(func.count(OutboundMessage.id)).where(
            OutboundMessage.appointment_id == appointment.id, OutboundMessage.kind == kind
        )
    )
    key = f"{visit_dedupe_key(appointment, kind)}:{int(earlier or 0) + 1}"
    channels = channels_for(load_routes(session).get(kind, Route.SMS), appointment.patient)
    if Channel.EMAIL in channels or invite_went(session, appointment.id):
        plan_visit_email(session, appointment, kind, email_key(key), now, settings, manage_url, now)
    if Channel.SMS not in channels:
        return None
    return write_message(
        session,
        appointment.patient,
        kind,
        key,
        render(
            kind,
            _context(appointment, manage_url, settings, now),
            load_wording(session).get(kind),
        ),
        now,
        now,
        appointment_id=appointment.id,
        planned_for=appointment.starts_at,
    )


def plan_cancellation_email(
    session: Session, appointment: Appointment, manage_url: str, settings: Settings, now: datetime
) -> OutboundMessage | None:
    """The email taking a cancelled visit off the patient's calendar (its invite's METHOD is
    CANCEL), whenever an invite for the visit may have reached them."""
    kind = MessageKind.CANCELLATION
    if not invite_went(session, appointment.id):
        return None
    key = email_key(f"appointment:{appointment.id}:{kind.value}:{appointment.revision}")
    return plan_visit_email(session, appointment, kind, key, now, settings, manage_url, now)


def invite_went(session: Session, appointment_id: int) -> bool:
    """Whether a calendar invite for the visit may be in the patient's calendar: an email with
    one sent, on its way, or whose outcome is unknown."""
    maybe_sent = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.SENDING)
    found = session.scalar(
        select(OutboundMessage.id).where(
            OutboundMessage.appointment_id == appointment_id,
            OutboundMessage.channel == Channel.EMAIL,
            OutboundMessage.invite.is_not(None),
            OutboundMessage.status.in_(maybe_sent)
            | (
                (OutboundMessage.status == MessageStatus.FAILED)
                & (OutboundMessage.error_code == UNKNOWN_EMAIL)
            ),
        )
    )
    return found is not None


def write_message(
    session: Session,
    patient: Patient,
    kind: MessageKind,
    key: str,
    body: str,
    due: datetime,
    now: datetime,
    *,
    appointment_id: int | None = None,
    planned_for: datetime | None = None,
) -> OutboundMessage | None:
    """One outbox row, unless one with ``key`` exists already (planning twice adds nothing).

    The due time is moved out of the patient's quiet hours (reminders earlier, others later).
    """
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return None
    moved = QUIET.schedule(kind, due, ZoneInfo(patient.time_zone))
    message = _pending_row(patient, kind, key, body, moved, now, appointment_id, planned_for)
    session.add(message)
    session.flush()
    return message


def _context(
    appointment: Appointment, manage_url: str, settings: Settings, now: datetime | None = None
) -> MessageContext:
    """What a visit's texts say; ``now`` is when it goes (a notice goes at once)."""
    return MessageContext(
        first_name=appointment.patient.first_name,
        local_start=appointment.starts_at.astimezone(settings.zone),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        manage_url=manage_url,
        sends_at=now,
    )


def cancel_unsent_for_visit(
    session: Session, appointment_id: int, now: datetime, *, moving: bool = False
) -> int:
    """Cancel every message of a visit not yet handed to the provider; returns how many.

    When the visit is ``moving``, the cancelled reminders and notices give up their dedupe keys
    (the confirmation keeps its own), so a move back to the same time plans them afresh.
    """
    values: dict[str, object] = {"status": MessageStatus.CANCELLED, "updated_at": now}
    if moving:
        values["dedupe_key"] = case(
            (OutboundMessage.kind == MessageKind.CONFIRMATION, OutboundMessage.dedupe_key),
            else_=OutboundMessage.dedupe_key + ":cancelled:" + cast(OutboundMessage.id, String),
        )
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.appointment_id == appointment_id,
            OutboundMessage.status.in_(UNSENT),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Move up to ``limit`` due pending rows to ``queued`` and return their ids.

    One statement: on PostgreSQL the candidate rows are locked with SKIP LOCKED, so concurrent
    dispatchers take disjoint batches; everywhere the outer ``status = 'pending'`` makes it a
    compare-and-set, so a row is claimed at most once.
    """
    candidates = (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == MessageStatus.PENDING, OutboundMessage.due_at <= now)
        .order_by(OutboundMessage.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(candidates), OutboundMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.QUEUED, claimed_at=now, updated_at=now)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars().all())


def requeue_lost_claims(session: Session, now: datetime, older_than: timedelta) -> int:
    """Hand back rows claimed so long ago that their send task must have been lost.

    Safe: a ``queued`` row has never reached the provider, and the send task's own
    compare-and-set lets only one task move it on.
    """
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.status == MessageStatus.QUEUED,
            OutboundMessage.claimed_at < now - older_than,
        )
        .values(status=MessageStatus.PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def hand_back(session: Session, message_ids: list[int], now: datetime) -> int:
    """Put claimed rows that were never sent (still ``queued``) back to ``pending``, due as
    they were: the next dispatch claims them again. Returns how many went back."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(message_ids), OutboundMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def start_sending(session: Session, message_ids: list[int], now: datetime) -> list[OutboundMessage]:
    """Compare-and-set ``queued`` -> ``sending`` for each id; the rows this caller won.

    One statement for the batch, then one query loading the rows with their patients and
    consents (the send-time checks need them).
    """
    if not message_ids:
        return []
    won = _claim_for_sending(session, message_ids, now)
    return _with_patients(session, won) if won else []


def _with_patients(session: Session, message_ids: list[int]) -> list[OutboundMessage]:
    """The rows, freshly loaded with their patients and consents, in id order."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(message_ids))
            .options(selectinload(OutboundMessage.patient).selectinload(Patient.consents))
            .order_by(OutboundMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def _claim_for_sending(
    session: Session, message_ids: list[int], now: datetime, channel: Channel | None = None
) -> list[int]:
    """The ids moved from ``queued`` to ``sending`` by this caller, one attempt more each
    (only rows of ``channel``, when given)."""
    table = table_of(OutboundMessage)
    condition = table.c.id.in_(message_ids) & (table.c.status == MessageStatus.QUEUED)
    if channel is not None:
        condition &= table.c.channel == channel
    won = session.scalars(
        update(table)
        .where(condition)
        .values(
            status=MessageStatus.SENDING,
            attempts=table.c.attempts + 1,
            claimed_at=now,
            updated_at=now,
        )
        .returning(table.c.id)
    ).all()
    return list(won)


@dataclass(slots=True)
class PatientFacts:
    """What the send-time checks read of a text's patient."""

    email: str | None
    time_zone: str
    sms_opted_out_at: datetime | None
    # The latest recorded answer for each kind of consent.
    answers: dict[ConsentKind, bool] = field(default_factory=dict)

    def consents_to(self, kind: ConsentKind) -> bool:
        """The latest recorded answer for ``kind``; no answer means no consent."""
        return self.answers.get(kind, False)


@dataclass(slots=True)
class VisitFacts:
    """What the send-time checks read of a text's visit: whether it stands, and when."""

    status: AppointmentStatus
    starts_at: datetime


# The columns of a claimed text that its checks may change, written back by ``settle_texts``.
SETTLED_FIELDS = ("status", "due_at", "attempts", "error_message", "updated_at", "body", "segments")


@dataclass(slots=True)
class ClaimedText:
    """A text this caller moved to ``sending``, read as plain columns (no ORM object): what
    the send-time checks and the provider call need. What the checks change on it is written
    by ``settle_texts``."""

    id: int
    patient_id: int | None
    appointment_id: int | None
    kind: MessageKind
    channel: Channel
    to_phone: str | None
    to_email: str | None
    body: str
    segments: int
    planned_for: datetime | None
    status: MessageStatus
    attempts: int
    due_at: datetime
    error_message: str | None
    updated_at: datetime
    patient: PatientFacts | None
    visit: VisitFacts | None
    loaded: tuple[object, ...] = ()

    def settled(self) -> dict[str, object] | None:
        """The row's settled columns, if the checks changed any since it was read."""
        values = tuple(getattr(self, name) for name in SETTLED_FIELDS)
        return None if values == self.loaded else dict(zip(SETTLED_FIELDS, values, strict=True))


def start_sending_texts(
    session: Session, message_ids: list[int], now: datetime
) -> list[ClaimedText]:
    """Compare-and-set ``queued`` -> ``sending`` for each text among the ids; the texts this
    caller won, in id order.

    One statement for the batch, then one query reading each text with its patient's
    consents and its visit as plain rows (what the send-time checks need, no more).
    """
    if not message_ids:
        return []
    won = _claim_for_sending(session, message_ids, now, Channel.SMS)
    return _read_texts(session, won) if won else []


def _read_texts(session: Session, message_ids: list[int]) -> list[ClaimedText]:
    """The texts with their patients' consents (oldest first) and their visits, in id order."""
    message, patient = table_of(OutboundMessage), table_of(Patient)
    consent, visit = table_of(Consent), table_of(Appointment)
    rows = session.execute(
        select(
            message.c.id,
            message.c.patient_id,
            message.c.appointment_id,
            message.c.kind,
            message.c.channel,
            message.c.to_phone,
            message.c.to_email,
            message.c.body,
            message.c.segments,
            message.c.planned_for,
            message.c.status,
            message.c.attempts,
            message.c.due_at,
            message.c.error_message,
            message.c.updated_at,
            patient.c.email,
            patient.c.time_zone,
            patient.c.sms_opted_out_at,
            visit.c.status.label("visit_status"),
            visit.c.starts_at,
            consent.c.kind.label("consent_kind"),
            consent.c.granted,
        )
        .select_from(
            message.outerjoin(patient, patient.c.id == message.c.patient_id)
            .outerjoin(visit, visit.c.id == message.c.appointment_id)
            .outerjoin(consent, consent.c.patient_id == message.c.patient_id)
        )
        .where(message.c.id.in_(message_ids))
        .order_by(message.c.id, consent.c.recorded_at, consent.c.id)
    )
    texts: list[ClaimedText] = []
    for row in rows:
        if not texts or texts[-1].id != row.id:
            texts.append(_claimed_text(row))
        facts = texts[-1].patient
        if facts is not None and row.consent_kind is not None:
            facts.answers[row.consent_kind] = row.granted
    return texts


def _claimed_text(row: Row[*tuple[Any, ...]]) -> ClaimedText:
    """A claimed text from the first of its rows (its patient's consents are added after)."""
    text = ClaimedText(
        id=row.id,
        patient_id=row.patient_id,
        appointment_id=row.appointment_id,
        kind=row.kind,
        channel=row.channel,
        to_phone=row.to_phone,
        to_email=row.to_email,
        body=row.body,
        segments=row.segments,
        planned_for=row.planned_for,
        status=row.status,
        attempts=row.attempts,
        due_at=row.due_at,
        error_message=row.error_message,
        updated_at=row.updated_at,
        patient=None
        if row.patient_id is None
        else PatientFacts(row.email, row.time_zone, row.sms_opted_out_at),
        visit=None if row.visit_status is None else VisitFacts(row.visit_status, row.starts_at),
    )
    text.loaded = tuple(getattr(text, name) for name in SETTLED_FIELDS)
    return text


def settle_texts(session: Session, texts: list[ClaimedText]) -> None:
    """Write what the send-time checks changed (skipped, cancelled, deferred, reworded) on
    claimed texts, in one executemany; nothing when they changed nothing."""
    rows = [
        {"message_id": text.id, **{f"new_{k}": v for k, v in settled.items()}}
        for text in texts
        if (settled := text.settled()) is not None
    ]
    if not rows:
        return
    table = table_of(OutboundMessage)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("message_id"))
        .values({name: bindparam(f"new_{name}") for name in SETTLED_FIELDS}),
        rows,
    )
