"""MIDAS and HIT-6 in a course, on both databases: the schedule, answers, scores and the texts."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import func, select

from scheduler.clinical.questionnaire_schedule import (
    AlreadyRecorded,
    DuePoint,
    NotDue,
    due_points,
    record_response,
    scores_for,
)
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_completed
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.messaging.gsm import segment_count
from scheduler.messaging.questionnaire_link import plan_questionnaire_links, questionnaire_consent
from scheduler.messaging.texts import FORBIDDEN_WORDS
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Consent,
    Course,
    CourseStatus,
    MessageKind,
    OutboundMessage,
    Patient,
    QuestionnaireKind,
    QuestionnaireResponse,
)
from scheduler.visits.attendance import record_attendance
from scheduler.visits.cancellation import cancel_visit
from tests.integration.test_courses import NOW, request_for
from tests.support.factories import demo_clinic
from tests.support.processes import ManagedProcess, celery_worker, wait_until
from tests.support.stack import next_weekday_at, process_env, task_client

MIDAS = QuestionnaireKind.MIDAS
HIT6 = QuestionnaireKind.HIT6
HIT6_SOME = {"1": 10, "2": 10, "3": 8, "4": 8, "5": 8, "6": 8}  # 52: some impact
MIDAS_GRADE_III = {"1": 2, "2": 3, "3": 1, "4": 4, "5": 2, "A": 20, "B": 6}  # 12


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def course(db: Database, settings: Settings) -> int:
    """A migraine course booked on Sunday 1 March: consultation Monday 2 March 10:00, then
    sessions on Mondays and Thursdays at 10:00; the patient agreed to every text."""
    request = request_for(db, consent_diary_prompts=True)
    with db.transaction() as session:
        return book_course(session, request, settings=settings, now=NOW).course.id


def visits(db: Database, course_id: int) -> list[Appointment]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment)
                .where(Appointment.course_id == course_id, Appointment.status != "cancelled")
                .order_by(Appointment.visit_number)
            )
        )


def attend(db: Database, settings: Settings, course_id: int, up_to_visit: int) -> datetime:
    """Complete the course's visits in order up to ``up_to_visit`` (1 is the consultation)
    that are not completed yet, each followed by the course's own step that books the next
    visit day. Returns the time just after the last of them."""
    at = NOW
    for number in range(1, up_to_visit + 1):
        visit = next(v for v in visits(db, course_id) if v.visit_number == number)
        at = visit.starts_at + timedelta(hours=1)
        if visit.status == AppointmentStatus.COMPLETED:
            continue
        with db.transaction() as session:
            record_attendance(session, visit.id, AppointmentStatus.COMPLETED, at, settings)
            after_visit_completed(session, visit.id, settings, at)
    return at


def patient_of(db: Database, course_id: int) -> int:
    with db.session() as session:
        return session.get_one(Course, course_id).patient_id


def due(db: Database, course_id: int, now: datetime) -> list[DuePoint]:
    with db.session() as session:
        patient = session.get_one(Patient, patient_of(db, course_id))
        return due_points(session, patient, now)


def answer(
    db: Database,
    course_id: int,
    kind: QuestionnaireKind,
    point: str,
    answers: dict[str, object],
    now: datetime,
) -> QuestionnaireResponse:
    with db.transaction() as session:
        patient = session.get_one(Patient, patient_of(db, course_id))
        return record_response(session, patient, kind, point, answers, now)


def stored(db: Database) -> list[tuple[str, str, int, str]]:
    with db.session() as session:
        return [
            (r.kind.value, r.point, r.score, r.grade)
            for r in session.scalars(
                select(QuestionnaireResponse).order_by(QuestionnaireResponse.id)
            )
        ]


def questionnaire_texts(db: Database) -> list[OutboundMessage]:
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.kind == MessageKind.QUESTIONNAIRE)
                .order_by(OutboundMessage.id)
            )
        )


def plan(db: Database, settings: Settings, now: datetime) -> int:
    with db.transaction() as session:
        return plan_questionnaire_links(session, settings, now)


# The schedule


def test_both_questionnaires_are_due_at_baseline_as_soon_as_the_course_is_booked(
    db: Database, course: int
) -> None:
    assert due(db, course, NOW) == [
        DuePoint(HIT6, "baseline", NOW),
        DuePoint(MIDAS, "baseline", NOW),
    ]


def test_baseline_closes_at_the_end_of_the_first_treatment_sessions_day(
    db: Database, course: int
) -> None:
    first_session = visits(db, course)[1]  # visit 2: Thursday 5 March, 10:00 GMT
    assert first_session.starts_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    midnight = datetime(2026, 3, 6, 0, 0, tzinfo=UTC)
    assert {d.point for d in due(db, course, midnight - timedelta(minutes=1))} == {"baseline"}
    assert due(db, course, midnight) == []


def test_hit6_is_due_after_the_fourth_session_not_counting_the_consultation(
    db: Database, settings: Settings, course: int
) -> None:
    after_four_visits = attend(db, settings, course, 4)  # the consultation and 3 sessions
    assert [d.point for d in due(db, course, after_four_visits)] == []
    after_session_4 = attend(db, settings, course, 5)
    fifth = visits(db, course)[4]
    assert due(db, course, after_session_4) == [DuePoint(HIT6, "session-4", fifth.ends_at)]


def test_session_4_closes_when_session_8_opens(
    db: Database, settings: Settings, course: int
) -> None:
    after_session_8 = attend(db, settings, course, 9)
    ninth = visits(db, course)[8]
    assert due(db, course, after_session_8) == [DuePoint(HIT6, "session-8", ninth.ends_at)]
    assert due(db, course, ninth.ends_at + timedelta(days=28)) == []  # open four weeks


def test_a_cancelled_session_is_not_counted(db: Database, settings: Settings, course: int) -> None:
    attend(db, settings, course, 4)
    fifth = visits(db, course)[4]
    with db.transaction() as session:
        cancel_visit(session, fifth.id, NOW)
    assert due(db, course, fifth.ends_at + timedelta(hours=1)) == []


def test_midas_is_due_three_calendar_months_after_the_course_starts(
    db: Database, course: int
) -> None:
    # The consultation is on Monday 2 March at 10:00 GMT; 2 June 10:00 is 09:00 UTC (BST).
    opens = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    assert due(db, course, opens - timedelta(minutes=1)) == []
    assert due(db, course, opens) == [DuePoint(MIDAS, "month-3", opens)]
    assert due(db, course, opens + timedelta(days=28)) == []


def test_both_are_due_on_the_day_of_each_booked_maintenance_visit(
    db: Database, course: int
) -> None:
    maintenance = visits(db, course)[-1]
    morning = datetime.combine(maintenance.starts_at.date(), datetime.min.time(), tzinfo=UTC)
    morning -= timedelta(hours=1)  # BST: local midnight is 23:00 UTC the day before

    def due_at_visits(now: datetime) -> list[DuePoint]:
        return [d for d in due(db, course, now) if d.point.startswith("maintenance-")]

    assert due_at_visits(maintenance.starts_at) == []  # proposed only: not agreed yet
    with db.transaction() as session:  # the patient agrees to it at the front desk
        session.get_one(Appointment, maintenance.id).status = AppointmentStatus.BOOKED
    point = f"maintenance-{maintenance.id}"
    assert due_at_visits(maintenance.starts_at) == [
        DuePoint(HIT6, point, morning),
        DuePoint(MIDAS, point, morning),
    ]
    assert due_at_visits(morning - timedelta(minutes=1)) == []
    assert due_at_visits(maintenance.starts_at + timedelta(days=14)) == []


def test_a_stopped_course_asks_nothing_more(db: Database, course: int) -> None:
    stopped_at = NOW + timedelta(hours=2)
    with db.transaction() as session:
        row = session.get_one(Course, course)
        row.status, row.ended_at = CourseStatus.STOPPED, stopped_at
    assert [d.point for d in due(db, course, NOW + timedelta(hours=1))] == ["baseline"] * 2
    assert due(db, course, stopped_at) == []
    assert due(db, course, datetime(2026, 6, 2, 9, 0, tzinfo=UTC)) == []


def test_a_patient_without_a_course_has_nothing_due(db: Database, settings: Settings) -> None:
    from tests.support.factories import book

    result = book(db, settings, NOW, datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    with db.session() as session:
        patient = session.get_one(Patient, result.patient.id)
        assert due_points(session, patient, NOW) == []


# Answers


def test_an_answer_is_scored_stored_and_no_longer_due(db: Database, course: int) -> None:
    response = answer(db, course, HIT6, "baseline", HIT6_SOME, NOW)
    assert (response.score, response.grade) == (52, "some impact")
    answer(db, course, MIDAS, "baseline", {k: str(v) for k, v in MIDAS_GRADE_III.items()}, NOW)
    assert stored(db) == [("hit6", "baseline", 52, "some impact"), ("midas", "baseline", 12, "III")]
    assert due(db, course, NOW) == []


def test_a_double_submit_is_refused_as_already_recorded_and_changes_nothing(
    db: Database, course: int
) -> None:
    answer(db, course, HIT6, "baseline", HIT6_SOME, NOW)
    with pytest.raises(AlreadyRecorded, match="already been recorded"):
        answer(db, course, HIT6, "baseline", dict.fromkeys(HIT6_SOME, 13), NOW)
    assert stored(db) == [("hit6", "baseline", 52, "some impact")]


def test_two_submits_at_once_store_one_answer(db: Database, course: int) -> None:
    patient_id = patient_of(db, course)
    first_inserted = threading.Event()
    outcomes: list[str] = []

    def second_submit() -> None:
        first_inserted.wait(10)
        try:
            answer(db, course, HIT6, "baseline", dict.fromkeys(HIT6_SOME, 6), NOW)
            outcomes.append("stored")
        except AlreadyRecorded:
            outcomes.append("already recorded")

    other = threading.Thread(target=second_submit)
    other.start()
    with db.transaction() as session:
        patient = session.get_one(Patient, patient_id)
        record_response(session, patient, HIT6, "baseline", HIT6_SOME, NOW)
        first_inserted.set()  # the other submit now runs while this one is uncommitted
        threading.Event().wait(0.5)
    other.join(20)
    assert outcomes == ["already recorded"]
    assert stored(db) == [("hit6", "baseline", 52, "some impact")]


def test_a_point_that_is_not_open_is_refused(db: Database, course: int) -> None:
    with pytest.raises(NotDue):
        answer(db, course, HIT6, "session-4", HIT6_SOME, NOW)
    with pytest.raises(NotDue):
        answer(db, course, MIDAS, "month-3", MIDAS_GRADE_III, NOW)
    assert stored(db) == []


def test_wrong_answers_are_refused_per_item_and_nothing_is_written(
    db: Database, course: int
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        answer(db, course, MIDAS, "baseline", {**MIDAS_GRADE_III, "1": 60, "2": 40, "B": 11}, NOW)
    assert set(refused.value.fields) == {"2", "B"}
    with pytest.raises(ValidationFailed) as refused:
        answer(db, course, HIT6, "baseline", {**HIT6_SOME, "4": 9}, NOW)
    assert set(refused.value.fields) == {"4"}
    assert stored(db) == []
    assert len(due(db, course, NOW)) == 2


def test_scores_come_by_date_with_the_change_since_last_time(
    db: Database, settings: Settings, course: int
) -> None:
    answer(db, course, HIT6, "baseline", {**HIT6_SOME, "1": 13, "2": 13}, NOW)  # 58
    answer(db, course, MIDAS, "baseline", MIDAS_GRADE_III, NOW)
    after_session_4 = attend(db, settings, course, 5)
    answer(db, course, HIT6, "session-4", HIT6_SOME, after_session_4)  # 52
    with db.session() as session:
        scores = scores_for(session, patient_of(db, course))
    assert [(s.kind, s.point, s.score) for s in scores] == [
        (HIT6, "baseline", 58),
        (MIDAS, "baseline", 12),
        (HIT6, "session-4", 52),
    ]
    assert [s.taken_at for s in scores] == sorted(s.taken_at for s in scores)
    first, midas, later = scores
    assert first.change is None and midas.change is None
    assert later.change is not None
    assert (later.change.difference, later.change.meaningful) == (-6, True)
    assert (later.meaning, later.point_label) == ("some impact", "After session 4")
    assert midas.meaning == "moderate disability"


# The questionnaire-link text


def test_one_text_per_point_planned_once_with_a_neutral_link(
    db: Database, settings: Settings, course: int
) -> None:
    assert plan(db, settings, NOW) == 1  # MIDAS and HIT-6 at baseline share one text
    assert plan(db, settings, NOW) == 0
    (text,) = questionnaire_texts(db)
    assert text.body.startswith("Hi Ana, a short questionnaire from Clearwater Clinic")
    assert "https://book.example.test/m/" in text.body
    assert text.body.endswith("/questionnaires")
    assert not any(word in text.body.lower() for word in FORBIDDEN_WORDS)
    assert len(text.body) <= 160 and segment_count(text.body) == 1
    assert text.dedupe_key == f"questionnaire:{patient_of(db, course)}:baseline"
    assert text.due_at == NOW  # 08:00 on a Sunday: inside the allowed hours


def test_the_text_follows_the_clinics_own_wording(
    db: Database, settings: Settings, course: int
) -> None:
    from scheduler.messaging.wording import save_wording

    with db.transaction() as session:
        save_wording(
            session,
            MessageKind.QUESTIONNAIRE,
            "{clinic_name}: {first_name}, please answer a few questions: {manage_url}",
            staff_id=None,
            now=NOW,
        )
    plan(db, settings, NOW)
    (text,) = questionnaire_texts(db)
    assert text.body.startswith("Clearwater Clinic: Ana, please answer a few questions: https://")
    assert text.body.endswith("/questionnaires")


def test_the_link_in_the_text_opens_the_patients_questionnaires(
    db: Database, settings: Settings, course: int, client
) -> None:  # type: ignore[no-untyped-def]
    plan(db, settings, NOW)
    (text,) = questionnaire_texts(db)
    path = text.body[text.body.index("/m/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert "MIDAS" in page.get_data(as_text=True)


def test_a_point_opening_at_night_is_texted_in_the_morning(
    db: Database, settings: Settings, course: int
) -> None:
    late = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    plan(db, settings, late)
    (text,) = questionnaire_texts(db)
    assert text.due_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_each_later_point_gets_its_own_text(db: Database, settings: Settings, course: int) -> None:
    plan(db, settings, NOW)
    after_session_4 = attend(db, settings, course, 5)
    assert plan(db, settings, after_session_4) == 1
    assert plan(db, settings, after_session_4) == 0
    keys = [t.dedupe_key.rsplit(":", 1)[1] for t in questionnaire_texts(db)]
    assert keys == ["baseline", "session-4"]


def test_an_answered_point_is_not_texted(db: Database, settings: Settings, course: int) -> None:
    answer(db, course, HIT6, "baseline", HIT6_SOME, NOW)
    answer(db, course, MIDAS, "baseline", MIDAS_GRADE_III, NOW)
    assert plan(db, settings, NOW) == 0


def test_no_text_without_consent_or_after_stop(
    db: Database, settings: Settings, course: int
) -> None:
    patient_id = patient_of(db, course)
    consent = questionnaire_consent()
    with db.transaction() as session:
        session.add(
            Consent(
                patient_id=patient_id,
                kind=consent,
                granted=False,
                wording="withdrawn",
                channel="web",
                recorded_at=NOW,
            )
        )
    assert plan(db, settings, NOW) == 0
    with db.transaction() as session:
        session.add(
            Consent(
                patient_id=patient_id,
                kind=consent,
                granted=True,
                wording="given again",
                channel="web",
                recorded_at=NOW,
            )
        )
        session.get_one(Patient, patient_id).sms_opted_out_at = NOW
    assert plan(db, settings, NOW) == 0
    assert questionnaire_texts(db) == []


def test_a_patient_who_never_agreed_gets_no_text(db: Database, settings: Settings) -> None:
    request = request_for(db, consent_reminders=False, consent_diary_prompts=False)
    with db.transaction() as session:
        book_course(session, request, settings=settings, now=NOW)
    assert plan(db, settings, NOW) == 0


def test_a_maintenance_text_belongs_to_its_visit(
    db: Database, settings: Settings, course: int
) -> None:
    answer(db, course, HIT6, "baseline", HIT6_SOME, NOW)
    answer(db, course, MIDAS, "baseline", MIDAS_GRADE_III, NOW)
    maintenance = visits(db, course)[-1]
    with db.transaction() as session:
        session.get_one(Appointment, maintenance.id).status = AppointmentStatus.BOOKED
    at = maintenance.starts_at - timedelta(hours=2)
    if any(d.point == "month-3" for d in due(db, course, at)):  # it may fall in that window
        answer(db, course, MIDAS, "month-3", MIDAS_GRADE_III, at)
    assert plan(db, settings, at) == 1
    (text,) = questionnaire_texts(db)
    assert (text.appointment_id, text.planned_for) == (maintenance.id, maintenance.starts_at)
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(OutboundMessage))
    assert plan(db, settings, at) == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == count


# The periodic task in a real worker


def test_the_worker_plans_questionnaire_texts_once_however_often_it_runs(
    db: Database,
    settings: Settings,
    database_url: str,
    redis_url: str,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
    processes: list[ManagedProcess],
) -> None:
    now = datetime.now(UTC)
    request = request_for(db, start=next_weekday_at(10), consent_diary_prompts=True)
    with db.transaction() as session:
        book_course(session, request, settings=settings, now=now)
    env = process_env(database_url, redis_url, tmp_path / "instance", None)
    # A periodic task's runs are logged at DEBUG (routine work stays out of INFO logs).
    processes.append(celery_worker(env, tmp_path, loglevel="DEBUG"))
    client = task_client(redis_url)
    for _ in range(3):
        client.send_task("clinic.plan_questionnaire_links", queue="clinic")
    # Finished runs, however each ended: the database's unique key is what keeps the text
    # single when runs overlap, and a busy machine may take a while to finish three.
    finished = r"plan_questionnaire_links\[[^\]]+\] (succeeded|raised)"
    wait_until(
        lambda: len(re.findall(finished, processes[0].log())) >= 3, 90, 0.2, "three planning runs"
    )
    assert len(questionnaire_texts(db)) == 1
