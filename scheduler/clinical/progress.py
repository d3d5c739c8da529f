"""A patient's progress from their records: diary figures, questionnaire scores, course visits.

Loads what ``clinical.diary_figures`` needs (the diary, the first treatment day) and hands the
maintenance planner a ``DiaryTrend`` from the real diary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.clinical.diary_figures import (
    Attack,
    DayEntry,
    DiaryFigures,
    DiaryRules,
    Window,
    diary_figures,
    last_windows,
)
from scheduler.clinical.questionnaire_schedule import ScoredResponse, scores_for
from scheduler.courses.maintenance import DiaryTrend
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    DiaryAttack,
    DiaryDay,
    Patient,
    Service,
)

# A visit that happened or is going ahead; cancelled, missed and merely proposed ones do not
# mark the start of treatment.
TREATMENT_STATUSES = (
    AppointmentStatus.PENDING_REVIEW,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.COMPLETED,
)
SUMMARY_WINDOWS = 3  # the doctor's summary covers the last 3 windows of 28 days


def first_treatment_day(session: Session, patient: Patient) -> date | None:
    """The local day of the patient's first in-clinic visit that happened or stands booked
    (a telehealth call, which needs no room, is not a treatment)."""
    first = session.scalars(
        select(Appointment.starts_at)
        .join(Service, Service.id == Appointment.service_id)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(TREATMENT_STATUSES),
            Service.needs_room.is_(True),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    ).first()
    return None if first is None else first.astimezone(ZoneInfo(patient.time_zone)).date()


def day_entry(row: DiaryDay) -> DayEntry:
    """A diary day as a plain value."""
    return DayEntry(
        day=row.day,
        headache=row.headache,
        worst_pain=row.worst_pain,
        hours=row.hours,
        acute_medication=row.acute_medication,
        medication_class=row.medication_class,
    )


def attack_entry(row: DiaryAttack) -> Attack:
    """A recorded attack as a plain value."""
    return Attack(
        started_at=row.started_at,
        ended_at=row.ended_at,
        peak_pain=row.peak_pain,
        side=row.side,
        quality=row.quality,
        worse_with_activity=row.worse_with_activity,
        nausea=row.nausea,
        vomiting=row.vomiting,
        light_sound_sensitivity=row.light_sound_sensitivity,
        aura=row.aura,
    )


def diary_records(session: Session, patient_id: int) -> tuple[list[DayEntry], list[Attack]]:
    """The patient's whole diary as plain values."""
    entries = [
        day_entry(row)
        for row in session.scalars(
            select(DiaryDay).where(DiaryDay.patient_id == patient_id).order_by(DiaryDay.day)
        )
    ]
    attacks = [
        attack_entry(row)
        for row in session.scalars(
            select(DiaryAttack)
            .where(DiaryAttack.patient_id == patient_id)
            .order_by(DiaryAttack.started_at)
        )
    ]
    return entries, attacks


def figures_for(
    session: Session, patient: Patient, now: datetime, rules: DiaryRules | None = None
) -> DiaryFigures:
    """The figures of the patient's diary today (in their time zone)."""
    entries, attacks = diary_records(session, patient.id)
    zone = ZoneInfo(patient.time_zone)
    return diary_figures(
        entries,
        attacks,
        zone=zone,
        today=now.astimezone(zone).date(),
        first_treatment=first_treatment_day(session, patient),
        rules=rules,
    )


def baseline_collecting(figures: DiaryFigures) -> bool:
    """Whether the baseline's 28 days are still running: nothing is compared with it yet."""
    return figures.baseline is not None and figures.today <= figures.baseline.window.end


def diary_trend_for(
    session: Session, patient: Patient, now: datetime, rules: DiaryRules | None = None
) -> DiaryTrend | None:
    """The diary's trend for the maintenance interval; None when the diary cannot tell."""
    return figures_for(session, patient, now, rules).trend


@dataclass(frozen=True)
class DoctorSummary:
    """What the printable summary for a doctor shows."""

    patient: Patient
    figures: DiaryFigures
    windows: tuple[Window, ...]  # the last 3 windows of 28 days, oldest first
    first_treatment: date | None
    scores: list[ScoredResponse]
    visits: list[Appointment]
    since: date


def doctor_summary(session: Session, patient: Patient, now: datetime) -> DoctorSummary:
    """The last 3 months of the diary (three windows of 28 days), every questionnaire score,
    and the visits from the start of that time on."""
    rules = DiaryRules()
    figures = figures_for(session, patient, now, rules)
    windows = last_windows(figures.days, figures.today, SUMMARY_WINDOWS, rules.window_days)
    since = windows[0].start
    visits = _visits_since(session, patient, since)
    return DoctorSummary(
        patient=patient,
        figures=figures,
        windows=windows,
        first_treatment=first_treatment_day(session, patient),
        scores=scores_for(session, patient.id),
        visits=visits,
        since=since,
    )


def _visits_since(session: Session, patient: Patient, since: date) -> list[Appointment]:
    """The patient's visits on or after the local day ``since``, in time order."""
    zone = ZoneInfo(patient.time_zone)
    return [
        visit
        for visit in session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .options(selectinload(Appointment.service))
            .order_by(Appointment.starts_at)
        )
        if visit.starts_at.astimezone(zone).date() >= since
    ]
