"""The clinic's figures for the dashboard, week by week, from aggregate queries.

Weeks run Monday to Sunday in the clinic's zone. A week is counted up to "now" only: a
visit still to come is neither attended nor missed yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.orm import Session

from scheduler.clinical.diary_figures import (
    Attack,
    DayEntry,
    DiaryFigures,
    DiaryRules,
    diary_figures,
)
from scheduler.clinical.progress import TREATMENT_STATUSES, attack_entry, day_entry
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Channel,
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
class ChannelMessages:
    """The reminders asking to confirm that went by one channel: how many went out (sent or
    delivered), of those how many were reported delivered, and how many failed."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Operations:
    """The figures anyone at the desk may see: no health data in them."""

    weeks: list[WeekFigures]
    courses: CourseFigures
    # The reminders asking to confirm, per channel ("sms", "email"), every channel present.
    reminders_by_channel: dict[str, ChannelMessages] = field(default_factory=dict)

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
    conditions = _in_window(edges, now, practitioner_id)
    counts = _status_counts(session, week, conditions)
    reminded = _reminder_counts(session, week, conditions)
    return [
        _week_figures(monday, counts.get(i, {}), reminded.get(i, (0, 0)))
        for i, monday in enumerate(mondays)
    ]


def _status_counts(
    session: Session, week: ColumnElement[int], conditions: list[ColumnElement[bool]]
) -> dict[int, dict[str, int]]:
    """Per week index, how many visits are in each status."""
    counts: dict[int, dict[str, int]] = {}
    by_status = session.execute(
        select(week.label("week"), Appointment.status, func.count())
        .where(*conditions)
        .group_by(week, Appointment.status)
    )
    for index, status, count in by_status:
        counts.setdefault(index, {})[AppointmentStatus(status).value] = count
    return counts


def _reminder_counts(
    session: Session, week: ColumnElement[int], conditions: list[ColumnElement[bool]]
) -> dict[int, tuple[int, int]]:
    """Per week index, (visits reminded, of those confirmed)."""
    reminders = session.execute(
        select(
            week.label("week"),
            func.count(),
            func.sum(case((_confirmed(), 1), else_=0)),
        )
        .where(*conditions, _reminded())
        .group_by(week)
    )
    return {index: (int(total), int(confirmed or 0)) for index, total, confirmed in reminders}


def _week_figures(monday: date, counts: dict[str, int], reminded: tuple[int, int]) -> WeekFigures:
    """One week's figures from its counts per status and its (reminded, confirmed)."""
    return WeekFigures(
        starts_on=monday,
        held=sum(counts.get(s.value, 0) for s in HELD),
        due=sum(counts.get(s.value, 0) for s in DUE),
        no_shows=counts.get(AppointmentStatus.NO_SHOW.value, 0),
        late_cancellations=counts.get(AppointmentStatus.CANCELLED_LATE.value, 0),
        reminded=reminded[0],
        confirmed=reminded[1],
    )


def reminder_messages(
    session: Session,
    *,
    now: datetime,
    zone: ZoneInfo,
    weeks: int = WEEKS_DEFAULT,
    practitioner_id: int | None = None,
) -> dict[str, ChannelMessages]:
    """The reminders asking to confirm (48-hour kind) about the visits of the dashboard's
    weeks, per channel: went out, delivered, failed. One grouped query."""
    edges = _boundaries(week_starts(now, zone, weeks), zone)
    counted = (*REMINDED, MessageStatus.FAILED)
    query = (
        select(OutboundMessage.channel, OutboundMessage.status, func.count())
        .join(Appointment, Appointment.id == OutboundMessage.appointment_id)
        .where(
            *_in_window(edges, now, practitioner_id),
            OutboundMessage.kind == MessageKind.REMINDER_48H,
            OutboundMessage.status.in_(counted),
        )
        .group_by(OutboundMessage.channel, OutboundMessage.status)
    )
    counts: dict[tuple[Channel, MessageStatus], int] = {
        (Channel(channel), MessageStatus(status)): count
        for channel, status, count in session.execute(query)
    }
    return {
        channel.value: ChannelMessages(
            sent=sum(counts.get((channel, s), 0) for s in REMINDED),
            delivered=counts.get((channel, MessageStatus.DELIVERED), 0),
            failed=counts.get((channel, MessageStatus.FAILED), 0),
        )
        for channel in Channel
    }


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
        reminder_messages(
            session, now=now, zone=zone, weeks=weeks, practitioner_id=practitioner_id
        ),
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


def _patients_seen_by(practitioner_id: int) -> Select[int]:
    """The ids of the patients with any visit with this practitioner."""
    return select(Appointment.patient_id).where(Appointment.practitioner_id == practitioner_id)


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
        query = query.where(Appointment.patient_id.in_(_patients_seen_by(practitioner_id)))
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


def _recent_diarists(
    session: Session, now: datetime, practitioner_id: int | None, rules: DiaryRules
) -> set[int]:
    """Patients with a diary entry in the windows the overuse rule looks at."""
    since = (now - timedelta(days=rules.window_days * rules.overuse_windows + 1)).date()
    query = select(DiaryDay.patient_id).where(DiaryDay.day >= since).distinct()
    if practitioner_id is not None:
        query = query.where(DiaryDay.patient_id.in_(_patients_seen_by(practitioner_id)))
    return set(session.scalars(query))


def _past_week_12(firsts: dict[int, tuple[datetime, str]], now: datetime) -> set[int]:
    """Patients whose first treatment was ``RESPONDER_WEEK`` weeks ago or more (their days)."""
    return {
        pid
        for pid, (first, zone) in firsts.items()
        if (now.astimezone(ZoneInfo(zone)).date() - first.astimezone(ZoneInfo(zone)).date()).days
        >= RESPONDER_WEEK * 7
    }


@dataclass(frozen=True)
class _Cohort:
    """The patients whose diaries are judged, and why each is among them."""

    firsts: dict[int, tuple[datetime, str]]  # first treatment and time zone, per patient
    recent: set[int]  # a diary entry lately: checked for medication overuse
    past_week_12: set[int]  # treated for 12 weeks or more: judged as responders

    @property
    def candidates(self) -> list[int]:
        return sorted(self.past_week_12 | self.recent)


def _cohort(
    session: Session, now: datetime, practitioner_id: int | None, rules: DiaryRules
) -> _Cohort:
    """Patients treated for 12 weeks or more, and those keeping a diary lately."""
    firsts = _first_treatments(session, practitioner_id)
    recent = _recent_diarists(session, now, practitioner_id, rules)
    return _Cohort(firsts, recent, _past_week_12(firsts, now))


def _judged_diaries(
    session: Session, cohort: _Cohort, now: datetime, rules: DiaryRules
) -> Iterator[tuple[Patient, DiaryFigures]]:
    """Each candidate patient, in id order, with their diary's figures today (their day)."""
    candidates = cohort.candidates
    patients = {
        p.id: p
        for chunk in _chunks(candidates)
        for p in session.scalars(select(Patient).where(Patient.id.in_(chunk)))
    }
    entries, attacks = _diaries(session, candidates)
    for pid in candidates:
        zone = ZoneInfo(patients[pid].time_zone)
        first = cohort.firsts.get(pid)
        yield (
            patients[pid],
            diary_figures(
                entries[pid],
                attacks[pid],
                zone=zone,
                today=now.astimezone(zone).date(),
                first_treatment=first[0].astimezone(zone).date() if first else None,
                rules=rules,
            ),
        )


@dataclass
class _Tally:
    """Responder judgements and overuse alerts, counted patient by patient."""

    responder_label: str  # the responder point that counts: weeks 9-12
    judged: int = 0
    responders: int = 0
    alerts: list[OveruseAlert] = field(default_factory=list)

    def judge_responder(self, figures: DiaryFigures) -> None:
        check = next((c for c in figures.responder if c.label == self.responder_label), None)
        if check is not None and check.responded is not None:
            self.judged += 1
            self.responders += int(check.responded)

    def check_overuse(self, patient: Patient, figures: DiaryFigures) -> None:
        if figures.overuse.alert:
            name = f"{patient.first_name} {patient.last_name}"
            self.alerts.append(OveruseAlert(patient.id, name, figures.overuse.reason))

    def figures(self, cohort: _Cohort) -> ClinicalFigures:
        return ClinicalFigures(
            past_week_12=len(cohort.past_week_12),
            judged=self.judged,
            responders=self.responders,
            diaries_checked=len(cohort.recent),
            overuse=sorted(self.alerts, key=lambda a: a.name.lower()),
        )


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
    cohort = _cohort(session, now, practitioner_id, rules)
    tally = _Tally(responder_label=rules.responder_points[0][0])
    for patient, figures in _judged_diaries(session, cohort, now, rules):
        if patient.id in cohort.past_week_12:
            tally.judge_responder(figures)
        if patient.id in cohort.recent:
            tally.check_overuse(patient, figures)
    return tally.figures(cohort)
