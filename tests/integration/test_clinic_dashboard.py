"""The clinic's figures on known data, on both databases, and the dashboard page by role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Course,
    CourseStatus,
    CourseTemplate,
    DiaryDay,
    MedicationClass,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from scheduler.records.statistics import WeekFigures, clinical_figures, operations
from tests.support.records import add_patient, add_staff, add_visit, practitioner_id
from tests.support.staff import sign_in

S = AppointmentStatus


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def remind(session, visit: Appointment, status: MessageStatus) -> None:  # type: ignore[no-untyped-def]
    session.add(
        OutboundMessage(
            patient_id=visit.patient_id,
            appointment_id=visit.id,
            kind=MessageKind.REMINDER_48H,
            dedupe_key=f"reminder:{visit.id}",
            to_phone="+447400123456",
            body="Reminder",
            due_at=visit.starts_at - timedelta(hours=48),
            status=status,
            created_at=visit.created_at,
            updated_at=visit.created_at,
        )
    )


def diary(session, patient_id: int, first: date, days: int, headache_days: int, **extra) -> None:  # type: ignore[no-untyped-def]
    """``days`` entries from ``first``; the first ``headache_days`` of them with 4 h of pain."""
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for i in range(days):
        pain = i < headache_days
        session.add(
            DiaryDay(
                patient_id=patient_id,
                day=first + timedelta(days=i),
                headache=pain,
                worst_pain=6 if pain else 0,
                hours=4.0 if pain else None,
                source="web",
                created_at=now,
                updated_at=now,
                **(extra if pain else {}),
            )
        )


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)


@pytest.fixture
def known_clinic(db: Database, clock: FrozenClock, staff: dict[str, str]) -> dict[str, int]:
    """Four weeks of visits with known outcomes, reminders, courses and diaries."""
    ids: dict[str, int] = {}
    with db.transaction() as session:
        p = [
            add_patient(session, clock.now(), "Pat", f"P{i}", f"+4474001234{i:02d}")
            for i in range(8)
        ]
        lin = "Dr Mei Lin"
        # Week of 16 February: 2 held, a no-show, a late cancellation; an in-time cancellation
        # and a mere proposal are not due.
        add_visit(session, p[1].id, lin, at(date(2026, 2, 16)), S.COMPLETED)
        add_visit(session, p[2].id, lin, at(date(2026, 2, 17)), S.ARRIVED)
        add_visit(session, p[3].id, lin, at(date(2026, 2, 18)), S.NO_SHOW)
        add_visit(session, p[4].id, lin, at(date(2026, 2, 19)), S.CANCELLED_LATE)
        add_visit(session, p[5].id, lin, at(date(2026, 2, 20)), S.CANCELLED)
        add_visit(session, p[6].id, lin, at(date(2026, 2, 20), 14), S.PROPOSED)
        # Week of 23 February: three reminded (one reminder failed), one confirmed.
        confirmed = add_visit(session, p[1].id, lin, at(date(2026, 2, 23)), S.BOOKED)
        remind(session, confirmed, MessageStatus.DELIVERED)
        unconfirmed = add_visit(session, p[2].id, lin, at(date(2026, 2, 24)), S.COMPLETED)
        remind(session, unconfirmed, MessageStatus.SENT)
        missed = add_visit(session, p[3].id, lin, at(date(2026, 2, 25)), S.NO_SHOW)
        remind(session, missed, MessageStatus.FAILED)
        add_visit(session, p[7].id, "Sara Novak", at(date(2026, 2, 26)), S.COMPLETED)
        # This week: one held this morning; one still to come.
        add_visit(session, p[1].id, lin, at(date(2026, 3, 2), 7), S.COMPLETED)
        add_visit(session, p[2].id, lin, at(date(2026, 3, 2), 10), S.BOOKED)
        template = session.scalars(select(CourseTemplate.id)).first()
        for status in (CourseStatus.ACTIVE, CourseStatus.COMPLETED, CourseStatus.COMPLETED):
            session.add(
                Course(
                    patient_id=p[1].id,
                    template_id=template,
                    practitioner_id=practitioner_id(session, lin),
                    status=status,
                    preferred_weekdays="0,3",
                    preferred_time=time(10),
                    created_at=clock.now(),
                )
            )
        session.add(
            Course(
                patient_id=p[7].id,
                template_id=template,
                practitioner_id=practitioner_id(session, "Sara Novak"),
                status=CourseStatus.STOPPED,
                preferred_weekdays="1",
                preferred_time=time(10),
                created_at=clock.now(),
            )
        )
        ids["confirmed"] = confirmed.id
        # Diaries: first treatment on 24 November, 14 weeks ago.
        first = date(2025, 11, 24)
        for key, hour, later in (
            ("responder", 10, 4),
            ("non_responder", 12, 10),
            ("thin", 14, None),
        ):
            patient = add_patient(session, clock.now(), "Dia", key, "+447400555777")
            add_visit(session, patient.id, lin, at(first, hour), S.COMPLETED)
            if later is not None:
                diary(session, patient.id, first - timedelta(days=28), 28, 12)
                diary(session, patient.id, first + timedelta(weeks=8), 28, later)
            ids[key] = patient.id
        overuser = add_patient(session, clock.now(), "Olive", "Overuse", "+447400555778")
        diary(
            session,
            overuser.id,
            date(2025, 12, 1),
            91,
            91,
            acute_medication=True,
            medication_class=MedicationClass.TRIPTAN,
        )
        ids["overuser"] = overuser.id
    # The patient confirms by text, then the visit is completed: only the audit remembers.
    with db.transaction() as session:
        session.get_one(Appointment, ids["confirmed"]).status = S.CONFIRMED
    with db.transaction() as session:
        session.get_one(Appointment, ids["confirmed"]).status = S.COMPLETED
    return ids


def test_weekly_visits_attendance_and_reminder_confirmations_on_known_data(
    db: Database, clock: FrozenClock, settings: Settings, known_clinic: dict[str, int]
) -> None:
    with db.session() as session:
        ops = operations(session, now=clock.now(), zone=settings.zone, weeks=4)
    assert ops.weeks == [
        WeekFigures(date(2026, 2, 9)),
        WeekFigures(date(2026, 2, 16), held=2, due=4, no_shows=1, late_cancellations=1),
        WeekFigures(date(2026, 2, 23), held=3, due=4, no_shows=1, reminded=2, confirmed=1),
        WeekFigures(date(2026, 3, 2), held=1, due=1),
    ]
    assert (ops.courses.active, ops.courses.completed, ops.courses.stopped) == (1, 2, 1)


def test_a_practitioners_figures_are_their_own(
    db: Database, clock: FrozenClock, settings: Settings, known_clinic: dict[str, int]
) -> None:
    with db.session() as session:
        novak = practitioner_id(session, "Sara Novak")
        ops = operations(
            session, now=clock.now(), zone=settings.zone, weeks=4, practitioner_id=novak
        )
        clinical = clinical_figures(session, now=clock.now(), practitioner_id=novak)
    assert [w.held for w in ops.weeks] == [0, 0, 1, 0]
    assert (ops.courses.completed, ops.courses.stopped) == (0, 1)
    assert (clinical.past_week_12, clinical.overuse) == (0, [])


def test_responders_past_week_12_and_medication_overuse_on_known_diaries(
    db: Database, clock: FrozenClock, known_clinic: dict[str, int]
) -> None:
    with db.session() as session:
        clinical = clinical_figures(session, now=clock.now())
    assert (clinical.past_week_12, clinical.judged, clinical.responders) == (3, 2, 1)
    assert [a.patient_id for a in clinical.overuse] == [known_clinic["overuser"]]
    assert "triptan" in clinical.overuse[0].reason
    assert clinical.diaries_checked == 3  # the two with recent entries, and the overuser


def test_the_admin_dashboard_shows_every_figure_as_a_chart_with_its_numbers(
    client: FlaskClient, staff: dict[str, str], known_clinic: dict[str, int]
) -> None:
    sign_in(client, staff["admin"])
    html = client.get("/staff/dashboard?weeks=4").get_data(as_text=True)
    assert "<strong>6</strong> visits held" in html
    assert "No-show rate <strong>22.2%</strong> (2 of 9 visits due)" in html
    assert "Confirmation rate <strong>50.0%</strong>" in html
    assert "Completion rate <strong>66.7%</strong>" in html
    assert "Responder rate <strong>50.0%</strong>" in html
    assert "Olive Overuse" in html
    assert html.count("<svg") >= 6 and html.count('class="chart-data"') >= 6


def test_the_front_desk_dashboard_has_no_clinical_figures(
    client: FlaskClient, staff: dict[str, str], known_clinic: dict[str, int]
) -> None:
    sign_in(client, staff["desk"])
    response = client.get("/staff/dashboard?weeks=4")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>6</strong> visits held" in html
    for clinical in ("Responder", "overuse", "Olive"):
        assert clinical not in html


def test_a_practitioner_sees_only_their_own_figures_and_cannot_pick_another(
    client: FlaskClient, db: Database, staff: dict[str, str], known_clinic: dict[str, int]
) -> None:
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    sign_in(client, staff["novak"])
    html = client.get(f"/staff/dashboard?weeks=4&practitioner={lin}").get_data(as_text=True)
    assert "your visits and patients" in html
    assert "<strong>1</strong> visits held" in html
    assert 'name="practitioner"' not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("weeks=0", "between 4 and 52 weeks"),
        ("weeks=abc", "between 4 and 52 weeks"),
        ("practitioner=99999", "Choose one of the clinic&#39;s practitioners"),
    ],
)
def test_a_bad_dashboard_filter_is_explained(
    client: FlaskClient, staff: dict[str, str], query: str, message: str
) -> None:
    sign_in(client, staff["admin"])
    response = client.get(f"/staff/dashboard?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
