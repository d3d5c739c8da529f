"""Keeping the diary on both databases: day entries and attacks, every refusal, double submits,
SMS and web writing the same day, and the maintenance interval following a real diary."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from scheduler.clinical.diary import (
    AttackForm,
    DayForm,
    record_attack,
    record_day,
    record_pain_free_day,
)
from scheduler.clinical.progress import figures_for, first_treatment_day
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_completed
from scheduler.db import Database
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    DiaryAttack,
    DiaryDay,
    MedicationClass,
    Patient,
)
from scheduler.visits.attendance import record_attendance
from tests.integration.test_courses import NOW as COURSE_NOW
from tests.integration.test_courses import request_for
from tests.support.factories import book, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
TODAY = "2026-03-02"  # the clock's Monday, in London


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def patient_id(db: Database, settings: Settings, clock: FrozenClock) -> int:
    return book(db, settings, clock.now(), WEDNESDAY_10AM).patient.id


def day_form(**changes: Any) -> DayForm:
    form = DayForm(
        day=TODAY,
        worst_pain="6",
        hours="3",
        medication_taken=True,
        medication_class="triptan",
        menstruation=True,
        sleep_hours="6.5",
        stress="7",
        triggers=("stress", "poor_sleep"),
        notes="Started after lunch.",
    )
    return replace(form, **changes)


def attack_form(**changes: Any) -> AttackForm:
    form = AttackForm(
        start_day="2026-03-01",
        start_time="22:00",
        end_day=TODAY,
        end_time="03:30",
        peak_pain="8",
        side="left",
        quality="pulsating",
        nausea=True,
        light_sound_sensitivity=True,
        function="bed",
    )
    return replace(form, **changes)


def save_day(db: Database, patient_id: int, form: DayForm, now: datetime) -> DiaryDay:
    def work(session: Any) -> DiaryDay:
        return record_day(session, session.get_one(Patient, patient_id), form, now=now)

    return db.retrying(work)


def rows(db: Database, model: type = DiaryDay) -> list[Any]:
    with db.session() as session:
        return list(session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


def test_a_day_with_pain_is_recorded_with_every_detail(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    save_day(db, patient_id, day_form(), clock.now())
    (entry,) = rows(db)
    assert (entry.day, entry.headache, entry.worst_pain, entry.hours) == (
        date(2026, 3, 2),
        True,
        6,
        3.0,
    )
    assert entry.acute_medication and entry.medication_class == MedicationClass.TRIPTAN
    assert (entry.menstruation, entry.sleep_hours, entry.stress) == (True, 6.5, 7)
    assert entry.triggers == ["stress", "poor_sleep"] and entry.source == "web"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"day": "2026-03-03"}, "day", "The day cannot be in the future."),
        ({"day": "2026-02-22"}, "day", "last 7 days only"),  # 8 days old
        ({"day": "yesterday"}, "day", "year-month-day"),
        ({"worst_pain": "11"}, "worst_pain", "from 0 (none) to 10"),
        ({"worst_pain": "-1"}, "worst_pain", "from 0 (none) to 10"),
        ({"worst_pain": "5.5"}, "worst_pain", "whole number"),
        ({"worst_pain": ""}, "worst_pain", "Choose your worst pain"),
        ({"hours": "-2"}, "hours", "from 0 to 24"),
        ({"hours": "25"}, "hours", "from 0 to 24"),
        ({"hours": "nan"}, "hours", "from 0 to 24"),
        ({"worst_pain": "0", "hours": "2"}, "hours", "With no pain"),
        ({"sleep_hours": "30"}, "sleep_hours", "hours of sleep"),
        ({"stress": "11"}, "stress", "from 0 (none) to 10"),
        ({"medication_class": "aspirin"}, "medication_class", "kinds of medicine listed"),
        ({"triggers": ("stress", "moon")}, "triggers", "from the list only"),
        ({"notes": "x" * 1001}, "notes", "1000 characters"),
    ],
)
def test_a_wrong_field_gets_its_own_message_and_changes_nothing(
    db: Database,
    patient_id: int,
    clock: FrozenClock,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save_day(db, patient_id, day_form(**changes), clock.now())
    assert list(refused.value.fields) == [field]
    assert message in refused.value.fields[field][0]
    assert rows(db) == []


def test_every_wrong_field_is_reported_at_once(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    bad = day_form(worst_pain="11", hours="-1", stress="x")
    with pytest.raises(ValidationFailed) as refused:
        save_day(db, patient_id, bad, clock.now())
    assert set(refused.value.fields) == {"worst_pain", "hours", "stress"}


def test_an_entry_eight_days_old_can_no_longer_be_changed(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    save_day(db, patient_id, day_form(), clock.now())
    clock.advance(timedelta(days=6))
    save_day(db, patient_id, day_form(worst_pain="4"), clock.now())  # 6 days on: still open
    clock.advance(timedelta(days=2))
    with pytest.raises(ValidationFailed) as refused:
        save_day(db, patient_id, day_form(worst_pain="2"), clock.now())
    assert "last 7 days only" in refused.value.fields["day"][0]
    assert [e.worst_pain for e in rows(db)] == [4]


def test_submitting_the_same_day_twice_updates_its_one_entry(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    save_day(db, patient_id, day_form(), clock.now())
    clock.advance(timedelta(minutes=1))
    save_day(db, patient_id, day_form(worst_pain="3", triggers=()), clock.now())
    (entry,) = rows(db)
    assert entry.worst_pain == 3 and entry.triggers == []
    assert entry.updated_at > entry.created_at


def test_the_same_day_sent_from_many_requests_at_once_is_one_entry(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def submit(pain: int) -> None:
        barrier.wait()
        try:
            save_day(db, patient_id, day_form(worst_pain=str(pain)), clock.now())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(p,)) for p in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    (entry,) = rows(db)
    assert 1 <= entry.worst_pain <= 6


def test_the_web_changes_the_day_an_sms_reply_recorded(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    now = clock.now()
    with db.transaction() as session:
        session.add(
            DiaryDay(
                patient_id=patient_id,
                day=date(2026, 3, 1),
                headache=True,
                worst_pain=7,
                hours=None,
                acute_medication=True,
                source="sms",
                created_at=now,
                updated_at=now,
            )
        )
    save_day(db, patient_id, day_form(day="2026-03-01", medication_class="simple"), now)
    (entry,) = rows(db)
    assert (entry.worst_pain, entry.hours, entry.medication_class) == (6, 3.0, "simple")
    assert entry.source == "web"


def test_a_pain_free_day_in_one_step_keeps_the_days_other_details(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    save_day(db, patient_id, day_form(), clock.now())
    with db.transaction() as session:
        record_pain_free_day(session, session.get_one(Patient, patient_id), TODAY, now=clock.now())
    (entry,) = rows(db)
    assert (entry.headache, entry.worst_pain, entry.hours, entry.acute_medication) == (
        False,
        0,
        0.0,
        False,
    )
    assert entry.medication_class is None
    assert entry.sleep_hours == 6.5 and entry.triggers == ["stress", "poor_sleep"]
    with pytest.raises(ValidationFailed), db.transaction() as session:
        record_pain_free_day(
            session, session.get_one(Patient, patient_id), "2026-03-03", now=clock.now()
        )


def save_attack(
    db: Database, patient_id: int, form: AttackForm, now: datetime, attack_id: int | None = None
) -> DiaryAttack:
    with db.transaction() as session:
        patient = session.get_one(Patient, patient_id)
        return record_attack(session, patient, form, now=now, attack_id=attack_id)


def test_an_attack_over_midnight_is_recorded_in_utc_and_marks_both_days(
    db: Database, patient_id: int, clock: FrozenClock
) -> None:
    save_attack(db, patient_id, attack_form(aura=True, aura_minutes="20"), clock.now())
    (attack,) = rows(db, DiaryAttack)
    assert attack.started_at == datetime(2026, 3, 1, 22, 0, tzinfo=UTC)  # GMT in March
    assert attack.ended_at == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert (attack.aura, attack.aura_minutes, attack.function) == (True, 20, "bed")
    with db.session() as session:
        figures = figures_for(session, session.get_one(Patient, patient_id), clock.now())
    assert [d for d, f in figures.days.items() if f.migraine] == [
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_day": "2026-03-01", "end_time": "21:00"}, "end", "after the start"),
        ({"end_day": "2026-03-01", "end_time": "22:00"}, "end", "after the start"),
        ({"end_time": "09:00"}, "end", "cannot be in the future"),  # now is 08:00
        ({"start_day": "2026-02-22"}, "start", "last 7 days only"),
        ({"start_day": "2026-03-02", "start_time": "08:30"}, "start", "cannot be in the future"),
        ({"start_time": "25:00"}, "start", "day and the time"),
        ({"peak_pain": "11"}, "peak_pain", "0 to 10"),
        ({"side": "top"}, "side", "left, right or both"),
        ({"quality": "stabbing"}, "quality", "throbbing or pressing"),
        ({"function": "asleep"}, "function", "how much you could do"),
        ({"aura": True, "aura_minutes": "-5"}, "aura_minutes", "whole number"),
    ],
)
def test_a_wrong_attack_field_gets_its_own_message_and_changes_nothing(
    db: Database,
    patient_id: int,
    clock: FrozenClock,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save_attack(db, patient_id, attack_form(**changes), clock.now())
    assert field in refused.value.fields
    assert message in refused.value.fields[field][0]
    assert rows(db, DiaryAttack) == []


def test_the_same_attack_sent_twice_is_one_attack_and_edits_stay_with_their_patient(
    db: Database, settings: Settings, patient_id: int, clock: FrozenClock
) -> None:
    first = save_attack(db, patient_id, attack_form(), clock.now())
    save_attack(db, patient_id, attack_form(peak_pain="6"), clock.now())
    assert [(a.id, a.peak_pain) for a in rows(db, DiaryAttack)] == [(first.id, 6)]
    save_attack(db, patient_id, attack_form(start_time="23:00"), clock.now(), attack_id=first.id)
    edited = rows(db, DiaryAttack)[0]
    assert (edited.started_at.hour, edited.peak_pain) == (23, 8)
    other = book(db, settings, clock.now(), WEDNESDAY_10AM + timedelta(hours=2)).patient.id
    with pytest.raises(NotFound):
        save_attack(db, other, attack_form(), clock.now(), attack_id=first.id)
    clock.advance(timedelta(days=8))
    with pytest.raises(ValidationFailed):
        save_attack(
            db,
            patient_id,
            attack_form(start_day="2026-03-09", end_day="2026-03-09", end_time="23:00"),
            clock.now(),
            attack_id=first.id,
        )
    assert rows(db, DiaryAttack)[0].started_at == edited.started_at  # unchanged


def test_the_first_treatment_is_the_first_visit_that_stands(
    db: Database, settings: Settings, patient_id: int
) -> None:
    with db.session() as session:
        assert first_treatment_day(session, session.get_one(Patient, patient_id)) == date(
            2026, 3, 4
        )
        session.execute(Appointment.__table__.update().values(status="cancelled"))
        assert first_treatment_day(session, session.get_one(Patient, patient_id)) is None


# --- the maintenance interval from the diary -------------------------------------------------


def diary_month(patient_id: int, start: date, headache_days: int, now: datetime) -> list[DiaryDay]:
    return [
        DiaryDay(
            patient_id=patient_id,
            day=start + timedelta(days=i),
            headache=i < headache_days,
            worst_pain=6 if i < headache_days else 0,
            hours=3.0 if i < headache_days else 0.0,
            acute_medication=False,
            source="sms",
            created_at=now,
            updated_at=now,
        )
        for i in range(28)
    ]


@pytest.mark.parametrize(("recent_days", "weeks"), [(3, 8), (11, 4), (7, 6)])
def test_the_next_maintenance_visit_follows_the_patients_diary(
    db: Database, settings: Settings, recent_days: int, weeks: int
) -> None:
    with db.transaction() as session:
        course = book_course(session, request_for(db), settings=settings, now=COURSE_NOW).course
        patient_id, course_id = course.patient_id, course.id
    with db.session() as session:
        visits = list(
            session.scalars(
                select(Appointment)
                .where(Appointment.course_id == course_id)
                .order_by(Appointment.starts_at)
            )
        )
    first_day, maintenance = visits[0].starts_at.date(), visits[-1]
    after = maintenance.starts_at + timedelta(hours=1)
    today = after.date()
    with db.transaction() as session:
        session.add_all(diary_month(patient_id, first_day - timedelta(days=28), 12, after))
        session.add_all(diary_month(patient_id, today - timedelta(days=55), 6, after))
        session.add_all(diary_month(patient_id, today - timedelta(days=27), recent_days, after))
        session.get_one(Appointment, maintenance.id).status = AppointmentStatus.BOOKED
    with db.transaction() as session:
        record_attendance(session, maintenance.id, AppointmentStatus.COMPLETED, after)
    with db.transaction() as session:
        planned = after_visit_completed(session, maintenance.id, settings, after)
        following = next(a for a in planned if a.starts_at > maintenance.starts_at)
        gap = following.starts_at.date() - maintenance.starts_at.date()
    assert gap == timedelta(weeks=weeks)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DiaryDay)) == 84
