"""Safety alerts as a work queue: the open ones a staff member sees, closing, escalation."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.orm import Session

from scheduler.clinical.safety import BY_CODE, TIER_ORDER
from scheduler.errors import DomainError, NotFound, ValidationFailed
from scheduler.models import (
    Appointment,
    InboundMessage,
    Patient,
    SafetyScreen,
    SafetyTier,
    StaffAlert,
    StaffUser,
)

# The alerts that are about a patient's safety: the screen's stops and reviews, and a text
# that suggests an emergency.
TIER_OF_KIND = {
    "safety_emergent": SafetyTier.EMERGENT,
    "emergency_words": SafetyTier.EMERGENT,
    "safety_urgent": SafetyTier.URGENT,
    "safety_review": SafetyTier.REVIEW,
}
QUEUE_KINDS = tuple(TIER_OF_KIND)
TIER_LABELS = {
    SafetyTier.EMERGENT: "Emergency",
    SafetyTier.URGENT: "Urgent",
    SafetyTier.REVIEW: "Review first",
    SafetyTier.CLEAR: "Clear",
}
NOTE_MAX = 1000
QUEUE_MAX = 200
REVIEW_NOTE = "Safety screen reviewed; booking confirmed."


class Outcome(enum.StrEnum):
    """How an alert was closed."""

    CALLED = "called"
    REVIEWED = "reviewed"
    BOOKED_AFTER_REVIEW = "booked_after_review"
    NO_ACTION_NEEDED = "no_action_needed"


OUTCOME_LABELS = {
    Outcome.CALLED: "Called the patient",
    Outcome.REVIEWED: "Reviewed",
    Outcome.BOOKED_AFTER_REVIEW: "Booked after review",
    Outcome.NO_ACTION_NEEDED: "No action needed",
}


class AlertClosed(DomainError):
    """The alert was closed already (by someone else, or by this form sent twice)."""


@dataclass(frozen=True)
class QueueScope:
    """Which open alerts a staff member sees, as the permission policy answers it."""

    practitioner_id: int | None  # None: every patient's; else that practitioner's patients'
    unowned: bool  # alerts without a patient record
    answers: bool  # the answers that raised each alert (clinical roles only)


@dataclass(frozen=True)
class AlertItem:
    """One open alert as the queue shows it; ``answers`` is None when not to be shown."""

    id: int
    kind: str
    tier: SafetyTier
    patient_id: int | None
    name: str
    phone: str
    detail: str
    created_at: datetime
    escalated_at: datetime | None
    answers: tuple[str, ...] | None
    practitioner_ids: frozenset[int]  # whom the patient has visits with

    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


_Row = TypeVar("_Row")


def yes_answers(answers: dict[str, bool], *, raising_only: bool = False) -> tuple[str, ...]:
    """The questions answered yes, in their own words, in the screen's order; with
    ``raising_only``, only those that set a tier (not the practitioner's flags)."""
    return tuple(
        q.text
        for code, q in BY_CODE.items()
        if answers.get(code) and not (raising_only and q.tier is None)
    )


def _open_query() -> Select[StaffAlert]:
    return select(StaffAlert).where(
        StaffAlert.resolved_at.is_(None), StaffAlert.kind.in_(QUEUE_KINDS)
    )


def _scoped(query: Select[StaffAlert], scope: QueueScope) -> Select[StaffAlert]:
    """Only the alerts ``scope`` lets its holder see; escalated ones every clinical account."""
    if scope.practitioner_id is None:
        return query if scope.unowned else query.where(StaffAlert.patient_id.is_not(None))
    own = select(Appointment.patient_id).where(Appointment.practitioner_id == scope.practitioner_id)
    return query.where(or_(StaffAlert.patient_id.in_(own), StaffAlert.escalated_at.is_not(None)))


def _queue_order() -> tuple[Any, ...]:
    """Escalated first, then the most serious, then the oldest: in the database, so that the
    first ``QUEUE_MAX`` are the ones that matter most however many are open."""
    seriousness = case(
        {kind: TIER_ORDER.index(tier) for kind, tier in TIER_OF_KIND.items()},
        value=StaffAlert.kind,
    )
    return (
        case((StaffAlert.escalated_at.is_(None), 1), else_=0),
        seriousness,
        StaffAlert.created_at,
        StaffAlert.id,
    )


def open_safety_alerts(session: Session, scope: QueueScope) -> list[AlertItem]:
    """The open safety alerts ``scope`` allows (at most ``QUEUE_MAX``): escalated first, then
    the most serious, then the oldest; with each patient's name and phone, and the answers
    when ``scope`` says. A fixed number of queries however many alerts are open."""
    query = _scoped(_open_query(), scope).order_by(*_queue_order()).limit(QUEUE_MAX)
    alerts = list(session.scalars(query))
    known = _Known.load(session, alerts, scope.answers)
    return [_item(alert, known, scope.answers) for alert in alerts]


@dataclass(frozen=True)
class _Known:
    """What the queue shows about its alerts, each read in one query: patients, the
    practitioners each patient has visits with, and what raised each alert."""

    patients: dict[int, Patient]
    practitioners: dict[int, frozenset[int]]
    screens: dict[int, SafetyScreen]
    texts: dict[int, InboundMessage]

    @classmethod
    def load(cls, session: Session, alerts: list[StaffAlert], answers: bool) -> _Known:
        patient_ids = {a.patient_id for a in alerts if a.patient_id is not None}
        seen: dict[int, set[int]] = {pid: set() for pid in patient_ids}
        if patient_ids:
            pairs = session.execute(
                select(Appointment.patient_id, Appointment.practitioner_id)
                .where(Appointment.patient_id.in_(patient_ids))
                .distinct()
            )
            for patient_id, practitioner_id in pairs:
                seen[patient_id].add(practitioner_id)
        return cls(
            patients=_by_id(session, Patient, list(patient_ids)),
            practitioners={pid: frozenset(ids) for pid, ids in seen.items()},
            screens=_by_id(
                session, SafetyScreen, {a.screen_id for a in alerts} if answers else set()
            ),
            texts=_by_id(
                session, InboundMessage, {a.inbound_id for a in alerts} if answers else set()
            ),
        )


def _by_id(session: Session, model: type[_Row], ids: Iterable[int | None]) -> dict[int, _Row]:
    """The rows of ``model`` with those ids, by id (one query; none for no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.scalars(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def _item(alert: StaffAlert, known: _Known, answers: bool) -> AlertItem:
    patient = known.patients.get(alert.patient_id) if alert.patient_id else None
    return AlertItem(
        id=alert.id,
        kind=alert.kind,
        tier=TIER_OF_KIND[alert.kind],
        patient_id=alert.patient_id,
        name=f"{patient.first_name} {patient.last_name}" if patient else "No patient record",
        phone=patient.phone_e164 if patient else "",
        detail=alert.detail,
        created_at=alert.created_at,
        escalated_at=alert.escalated_at,
        answers=_raised_by(alert, known) if answers else None,
        practitioner_ids=known.practitioners.get(alert.patient_id or 0, frozenset()),
    )


def _raised_by(alert: StaffAlert, known: _Known) -> tuple[str, ...]:
    """What raised the alert: the screen's yes answers, or the patient's text."""
    if alert.screen_id is not None:
        screen = known.screens.get(alert.screen_id)
        return yes_answers(screen.answers, raising_only=True) if screen else ()
    if alert.inbound_id is not None:
        inbound = known.texts.get(alert.inbound_id)
        return (f"Their text: \u201c{inbound.body}\u201d",) if inbound else ()
    return ()


def _practitioners(session: Session, patient_id: int | None) -> frozenset[int]:
    """The practitioners the patient has visits with (none without a patient)."""
    if patient_id is None:
        return frozenset()
    query = select(Appointment.practitioner_id).where(Appointment.patient_id == patient_id)
    return frozenset(session.scalars(query))


@dataclass(frozen=True)
class AlertOwners:
    """What the permission policy needs to know about one alert."""

    patient_id: int | None
    practitioner_ids: frozenset[int]
    escalated: bool


def alert_owners(session: Session, alert_id: int) -> AlertOwners:
    """The alert's patient, the practitioners that patient has visits with, and whether the
    alert was escalated.

    :raise NotFound: if there is no such safety alert.
    """
    alert = session.get(StaffAlert, alert_id)
    if alert is None or alert.kind not in QUEUE_KINDS:
        raise NotFound(f"safety alert {alert_id} does not exist")
    ids = _practitioners(session, alert.patient_id)
    return AlertOwners(alert.patient_id, ids, alert.escalated_at is not None)


def _checked(outcome: str, note: str) -> tuple[Outcome, str]:
    """The outcome and the trimmed note, or every reason they cannot be used.

    :raise ValidationFailed: on ``outcome`` and ``note``.
    """
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.__members__.values():
        errors["outcome"] = ["Choose what was done."]
    text = note.strip()
    if not text:
        errors["note"] = ["Write a note saying what was done."]
    elif len(text) > NOTE_MAX:
        errors["note"] = [f"Keep the note under {NOTE_MAX} characters."]
    if errors:
        raise ValidationFailed(errors)
    return Outcome(outcome), text


def close_alert(
    session: Session, alert_id: int, *, outcome: str, note: str, closed_by_id: int, now: datetime
) -> StaffAlert:
    """Close an open safety alert with what was done and a note; the change is audited.

    Closing frees the alert's dedupe key, so a later stop from the same phone raises a new one.

    :raise ValidationFailed: for an unknown outcome or a missing or too long note.
    :raise NotFound: if there is no such safety alert.
    :raise AlertClosed: if it was closed already; nothing is changed.
    """
    chosen, text = _checked(outcome, note)
    alert = session.get(StaffAlert, alert_id, with_for_update=True)
    if alert is None or alert.kind not in QUEUE_KINDS:
        raise NotFound(f"safety alert {alert_id} does not exist")
    if alert.resolved_at is not None:
        raise AlertClosed("This alert was closed already.")
    alert.resolved_at = now
    alert.outcome = chosen.value
    alert.note = text
    alert.closed_by_id = closed_by_id
    alert.dedupe_key = None
    session.flush()
    return alert


def close_review_alerts(
    session: Session, patient_id: int, *, closed_by_id: int | None, now: datetime
) -> int:
    """Close the patient's open review alerts as reviewed (the booking was confirmed after the
    practitioner's review); how many were closed."""
    alerts = session.scalars(
        select(StaffAlert)
        .where(
            StaffAlert.patient_id == patient_id,
            StaffAlert.kind == "safety_review",
            StaffAlert.resolved_at.is_(None),
        )
        .with_for_update()
    ).all()
    for alert in alerts:
        alert.resolved_at = now
        alert.outcome = Outcome.REVIEWED.value
        alert.note = REVIEW_NOTE
        alert.closed_by_id = closed_by_id
        alert.dedupe_key = None
    session.flush()
    return len(alerts)


def escalate_overdue(session: Session, *, open_since: datetime, now: datetime) -> int:
    """Mark every safety alert still open that was raised before ``open_since`` as escalated,
    once: one statement, so two runs at once escalate each alert one time. How many were."""
    result = session.execute(
        update(StaffAlert)
        .where(
            StaffAlert.resolved_at.is_(None),
            StaffAlert.escalated_at.is_(None),
            StaffAlert.kind.in_(QUEUE_KINDS),
            StaffAlert.created_at < open_since,
        )
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# The patient record: every screen answered, and the safety alerts with how they were closed.

SCREEN_OUTCOMES = {
    SafetyTier.EMERGENT: "Booking stopped: told to get emergency help",
    SafetyTier.URGENT: "Booking stopped: told to see a doctor within a day",
    SafetyTier.CLEAR: "Booked",
}


@dataclass(frozen=True)
class ScreenEntry:
    """One answered screen: when, its tier, what it led to, and the questions answered yes."""

    taken_at: datetime
    tier: SafetyTier
    outcome: str
    answers: tuple[str, ...]

    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]


@dataclass(frozen=True)
class AlertEntry:
    """One safety alert of the patient's: raised when, how serious, and how it was closed."""

    created_at: datetime
    tier: SafetyTier
    detail: str
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by: str
    outcome: str
    note: str

    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]


def _screen_outcome(screen: SafetyScreen) -> str:
    if screen.tier != SafetyTier.REVIEW:
        return SCREEN_OUTCOMES[screen.tier]
    return "Booked after review" if screen.reviewed_at else "Booked, pending review"


def screen_history(session: Session, patient_id: int) -> list[ScreenEntry]:
    """Every safety screen the patient answered, latest first (clinical roles only)."""
    screens = session.scalars(
        select(SafetyScreen)
        .where(SafetyScreen.patient_id == patient_id)
        .order_by(SafetyScreen.taken_at.desc(), SafetyScreen.id.desc())
    )
    return [
        ScreenEntry(s.taken_at, s.tier, _screen_outcome(s), yes_answers(s.answers)) for s in screens
    ]


def alert_history(session: Session, patient_id: int) -> list[AlertEntry]:
    """The patient's safety alerts, latest first, each with who closed it, how and why."""
    alerts = session.scalars(
        select(StaffAlert)
        .where(StaffAlert.patient_id == patient_id, StaffAlert.kind.in_(QUEUE_KINDS))
        .order_by(StaffAlert.created_at.desc(), StaffAlert.id.desc())
    )
    return [_alert_entry(session, alert) for alert in alerts]


def _alert_entry(session: Session, alert: StaffAlert) -> AlertEntry:
    closer = session.get(StaffUser, alert.closed_by_id) if alert.closed_by_id else None
    closed_by = closer.name if closer else ("the system" if alert.resolved_at else "")
    outcome = OUTCOME_LABELS.get(Outcome(alert.outcome), "") if alert.outcome else ""
    return AlertEntry(
        created_at=alert.created_at,
        tier=TIER_OF_KIND[alert.kind],
        detail=alert.detail,
        escalated_at=alert.escalated_at,
        closed_at=alert.resolved_at,
        closed_by=closed_by,
        outcome=outcome,
        note=alert.note or "",
    )
