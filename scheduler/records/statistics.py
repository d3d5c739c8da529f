"""The clinic's figures for the dashboard, week by week, from aggregate queries.

Weeks run Monday to Sunday in the clinic's zone. A week is counted up to "now" only: a
visit still to come is neither attended nor missed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session

from scheduler.clinical.diary_figures import Attack, DayEntry, DiaryRules, diary_figures
from scheduler.clinical.progress import TREATMENT_STATUSES, attack_entry, day_entry
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Course,
    CourseStatus,
    DiaryAttack,
    DiaryDay,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    Service,
)

WEEKS_DEFAULT = 12
WEEKS_MAX = 52
HELD = (AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED)
# Visits that were due to happen: held, missed, cancelled late, or still open on the books.
# A proposal never confirmed and an in-time cancellation were never a commitment.
DUE = (
    *HELD,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED_LATE,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.PENDING_REVIEW,
)
REMINDED = (MessageStatus.SENT, MessageStatus.DELIVERED)
RESPONDER_WEEK = 12  # weeks 9-12 are over: the first responder judgement can be made


@dataclass(frozen=True)
class WeekFigures:
    """One week: visits held, visits due, missed, cancelled late, reminded and confirmed."""

    starts_on: date
    held: int = 0
    due: int = 0
    no_shows: int = 0
    late_cancellations: int = 0
    reminded: int = 0
    confirmed: int = 0


@dataclass(frozen=True)
class CourseFigures:
    active: int
    completed: int
    stopped: int

    @property
    def ended(self) -> int:
        return self.completed + self.stopped


@dataclass(frozen=True)
class Operations:
    """The figures anyone at the desk may see: no health data in them."""

    weeks: list[WeekFigures]
    courses: CourseFigures

    @property
    def held(self) -> int:
        return sum(w.held for w in self.weeks)

    @property
    def due(self) -> int:
        return sum(w.due for w in self.weeks)

    @property
    def no_shows(self) -> int:
        return sum(w.no_shows for w in self.weeks)

    @property
    def late_cancellations(self) -> int:
        return sum(w.late_cancellations for w in self.weeks)

    @property
    def reminded(self) -> int:
        return sum(w.reminded for w in self.weeks)

    @property
    def confirmed(self) -> int:
        return sum(w.confirmed for w in self.weeks)


def rate(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal), or None when there is no whole."""
    return None if whole == 0 else round(100 * part / whole, 1)


def week_starts(now: datetime, zone: ZoneInfo, weeks: int) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, the current one last."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _boundaries(mondays: list[date], zone: ZoneInfo) -> list[datetime]:
    days = [*mondays, mondays[-1] + timedelta(weeks=1)]
    return [datetime.combine(d, time(0), zone) for d in days]


def _week_of(column: Any, edges: list[datetime]) -> ColumnElement[int]:
    """Which week an instant falls in, as a CASE over the week edges (exact across DST)."""
    return case(*((column < edge, i) for i, edge in enumerate(edges[1:])), else_=len(edges) - 1)


def _in_window(
    edges: list[datetime], now: datetime, practitioner_id: int | None
) -> list[ColumnElement[bool]]:
    conditions = [Appointment.starts_at >= edges[0], Appointment.starts_at < min(edges[-1], now)]
    if practitioner_id is not None:
        conditions.append(Appointment.practitioner_id == practitioner_id)
    return conditions


def _confirmed() -> ColumnElement[bool]:
    """Confirmed now, or confirmed at some point (the audit trail remembers, even once the
    visit has since been marked arrived or completed)."""
    was_confirmed = exists().where(
        AuditEvent.entity == "appointment",
        AuditEvent.entity_id == Appointment.id,
        AuditEvent.changes[("status", 1)].as_string() == AppointmentStatus.CONFIRMED.value,
    )
    return or_(Appointment.status == AppointmentStatus.CONFIRMED, was_confirmed)


def _reminded() -> ColumnElement[bool]:
    return exists().where(
        OutboundMessage.appointment_id == Appointment.id,
        OutboundMessage.kind == MessageKind.REMINDER_48H,
        OutboundMessage.status.in_(REMINDED),
    )


def weekly_figures(
    session: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    weeks: int = WEEKS_DEFAULT,
    practitioner_id: int | None = None,
) -> list[WeekFigures]:
    """Visits held, due, missed, cancelled late, reminded and confirmed, per week: two
    grouped queries, whatever the number of visits."""
    mondays = week_starts(now, zone, weeks)
    edges = _boundaries(mondays, zone)
    week = _week_of(Appointment.starts_at, edges)
    counts: dict[int, dict[str, int]] = {i: {} for i in range(weeks)}
    by_status = session.execute(
        select(week.label("week"), Appointment.status, func.count())
        .where(*_in_window(edges, now, practitioner_id))
        .group_by(week, Appointment.status)
    )
    for index, status, count in by_status:
        counts[index][AppointmentStatus(status).value] = count
    reminders = session.execute(
        select(
            week.label("week"),
            func.count(),
            func.sum(case((_confirmed(), 1), else_=0)),
        )
        .where(*_in_window(edges, now, practitioner_id), _reminded())
        .group_by(week)
    )
    reminded = {index: (int(total), int(confirmed or 0)) for index, total, confirmed in reminders}
    return [
        WeekFigures(
            starts_on=monday,
            held=sum(counts[i].get(s.value, 0) for s in HELD),
            due=sum(counts[i].get(s.value, 0) for s in DUE),
            no_shows=counts[i].get(AppointmentStatus.NO_SHOW.value, 0),
            late_cancellations=counts[i].get(AppointmentStatus.CANCELLED_LATE.value, 0),
            reminded=reminded.get(i, (0, 0))[0],
            confirmed=reminded.get(i, (0, 0))[1],
        )
        for i, monday in enumerate(mondays)
    ]


def course_figures(session: Session, *, practitioner_id: int | None = None) -> CourseFigures:
    """How many courses are running, were completed, or were stopped early."""
    query = select(Course.status, func.count()).group_by(Course.status)
    if practitioner_id is not None:
        query = query.where(Course.practitioner_id == practitioner_id)
    counts = {CourseStatus(s): n for s, n in session.execute(query)}
    return CourseFigures(
        active=counts.get(CourseStatus.ACTIVE, 0),
        completed=counts.get(CourseStatus.COMPLETED, 0),
        stopped=counts.get(CourseStatus.STOPPED, 0),
    )


def operations(
    session: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    weeks: int = WEEKS_DEFAULT,
    practitioner_id: int | None = None,
) -> Operations:
    """The operational figures of the clinic, or of one practitioner."""
    return Operations(
        weekly_figures(session, now=now, zone=zone, weeks=weeks, practitioner_id=practitioner_id),
        course_figures(session, practitioner_id=practitioner_id),
    )


# --- clinical figures (diary-based; only for staff who may see clinical data) -----------------


@dataclass(frozen=True)
class OveruseAlert:
    patient_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class ClinicalFigures:
    """Responders among patients past week 12, and medication-overuse alerts."""

    past_week_12: int  # patients whose first treatment was 12 or more weeks ago
    judged: int  # of those, patients whose weeks 9-12 could be compared with a baseline
    responders: int  # of those, patients whose headache days fell by half or more
    diaries_checked: int  # patients with a diary entry in the last 3 windows
    overuse: list[OveruseAlert]


def _first_treatments(
    session: Session, practitioner_id: int | None
) -> dict[int, tuple[datetime, str]]:
    """Each treated patient's first in-clinic visit that happened or stands booked, with
    their time zone: one grouped query."""
    query = (
        select(Appointment.patient_id, func.min(Appointment.starts_at), Patient.time_zone)
        .join(Service, Service.id == Appointment.service_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.status.in_(TREATMENT_STATUSES), Service.needs_room.is_(True))
        .group_by(Appointment.patient_id, Patient.time_zone)
    )
    if practitioner_id is not None:
        query = query.where(
            Appointment.patient_id.in_(
                select(Appointment.patient_id).where(Appointment.practitioner_id == practitioner_id)
            )
        )
    return {pid: (first, zone) for pid, first, zone in session.execute(query)}


def _diaries(
    session: Session, patient_ids: list[int]
) -> tuple[dict[int, list[DayEntry]], dict[int, list[Attack]]]:
    """The diaries of many patients in two queries."""
    entries: dict[int, list[DayEntry]] = {pid: [] for pid in patient_ids}
    attacks: dict[int, list[Attack]] = {pid: [] for pid in patient_ids}
    for chunk in _chunks(patient_ids):
        for row in session.scalars(select(DiaryDay).where(DiaryDay.patient_id.in_(chunk))):
            entries[row.patient_id].append(day_entry(row))
        for a in session.scalars(select(DiaryAttack).where(DiaryAttack.patient_id.in_(chunk))):
            attacks[a.patient_id].append(attack_entry(a))
    return entries, attacks


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def clinical_figures(
    session: Session,
    *,
    now: datetime,
    practitioner_id: int | None = None,
    rules: DiaryRules | None = None,
) -> ClinicalFigures:
    """Responders at weeks 9-12 among patients treated for 12 weeks or more, and patients
    whose diary meets the medication-overuse rule (of one practitioner's patients, or all).

    The candidates are found with two queries (first treatments, recent diaries), their
    diaries loaded with two more, and each judged by ``scheduler.clinical.diary_figures``."""
    rules = rules or DiaryRules()
    firsts = _first_treatments(session, practitioner_id)
    recent_since = (now - timedelta(days=rules.window_days * rules.overuse_windows + 1)).date()
    recent_query = select(DiaryDay.patient_id).where(DiaryDay.day >= recent_since).distinct()
    if practitioner_id is not None:
        recent_query = recent_query.where(
            DiaryDay.patient_id.in_(
                select(Appointment.patient_id).where(Appointment.practitioner_id == practitioner_id)
            )
        )
    recent = set(session.scalars(recent_query))
    past_12 = {
        pid
        for pid, (first, zone) in firsts.items()
        if (now.astimezone(ZoneInfo(zone)).date() - first.astimezone(ZoneInfo(zone)).date()).days
        >= RESPONDER_WEEK * 7
    }
    candidates = sorted(past_12 | recent)
    patients = {
        p.id: p
        for chunk in _chunks(candidates)
        for p in session.scalars(select(Patient).where(Patient.id.in_(chunk)))
    }
    entries, attacks = _diaries(session, candidates)
    judged = responders = 0
    alerts: list[OveruseAlert] = []
    label = rules.responder_points[0][0]
    for pid in candidates:
        patient = patients[pid]
        zone = ZoneInfo(patient.time_zone)
        first = firsts.get(pid)
        figures = diary_figures(
            entries[pid],
            attacks[pid],
            zone=zone,
            today=now.astimezone(zone).date(),
            first_treatment=first[0].astimezone(zone).date() if first else None,
            rules=rules,
        )
        if pid in past_12:
            check = next((c for c in figures.responder if c.label == label), None)
            if check is not None and check.responded is not None:
                judged += 1
                responders += int(check.responded)
        if pid in recent and figures.overuse.alert:
            name = f"{patient.first_name} {patient.last_name}"
            alerts.append(OveruseAlert(pid, name, figures.overuse.reason))
    return ClinicalFigures(
        past_week_12=len(past_12),
        judged=judged,
        responders=responders,
        diaries_checked=len(recent),
        overuse=sorted(alerts, key=lambda a: a.name.lower()),
    )
