"""A practitioner opens a patient's record in Chromium at desktop width: safety flags first,
the diary's charts, scores, and a note added through the form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import DiaryDay, Patient, QuestionnaireKind, QuestionnaireResponse
from tests.support.records import add_patient, add_staff, add_visit
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def patient_id(db: Database, clock: FrozenClock) -> int:
    """A patient of Dr Mei Lin: a first visit five weeks ago, eight weeks of diary (fewer
    headache days lately), two HIT-6 answers and a pregnancy flag."""
    add_staff(db, clock)
    first = date(2026, 1, 26)
    with db.transaction() as session:
        patient = add_patient(session, clock.now(), "Ana", "Silva")
        patient.safety_flags = ["pregnancy"]
        add_visit(session, patient.id, "Dr Mei Lin", datetime(2026, 1, 26, 10, tzinfo=UTC))
        add_visit(session, patient.id, "Dr Mei Lin", datetime(2026, 3, 4, 10, tzinfo=UTC))
        for i in range(56):
            day = first - timedelta(days=28) + timedelta(days=i)
            pain = i % 3 == 0 if i < 28 else i % 7 == 0
            session.add(
                DiaryDay(
                    patient_id=patient.id,
                    day=day,
                    headache=pain,
                    worst_pain=7 if pain else 0,
                    hours=5.0 if pain else None,
                    source="web",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        for point, score, taken in (("baseline", 64, first), ("session-4", 57, date(2026, 2, 23))):
            session.add(
                QuestionnaireResponse(
                    patient_id=patient.id,
                    kind=QuestionnaireKind.HIT6,
                    point=point,
                    answers={},
                    score=score,
                    grade="severe" if score >= 60 else "substantial",
                    taken_at=datetime.combine(taken, datetime.min.time(), UTC),
                )
            )
        return patient.id


def test_a_practitioner_reads_the_record_with_its_diary_charts_and_adds_a_note(
    desktop_page, live_server: str, patient_id: int, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    page.goto(f"{live_server}/staff/patients/{patient_id}")
    page.get_by_label("Email").fill("lin@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Ana Silva").wait_for()

    flags = page.get_by_role("region", name="Safety flags")
    assert flags.is_visible()
    assert "Pregnancy: avoid LI4" in flags.inner_text()
    box = flags.bounding_box()
    contact = page.get_by_role("heading", name="Contact details").bounding_box()
    assert box is not None and contact is not None and box["y"] < contact["y"]

    diary = page.get_by_role("region", name="Diary")
    chart = diary.get_by_role("img", name="Headache days per 28 days (window starting)")
    assert chart.is_visible()
    assert (chart.bounding_box() or {}).get("width", 0) > 300
    assert diary.get_by_role("img", name="Worst pain by week (week starting)").is_visible()
    assert "Headache days down from 10 to" in diary.inner_text()
    scores = page.get_by_role("region", name="Questionnaires")
    assert scores.get_by_role("img", name="HIT-6 score (36-78; lower is better)").is_visible()
    assert "-7" in scores.inner_text()

    page.get_by_label("New note").fill("Tolerated needles well; keep Thursdays.")
    page.get_by_role("button", name="Add note").click()
    page.locator(".flash.ok").wait_for()
    notes = page.get_by_role("region", name="Notes")
    assert "Tolerated needles well; keep Thursdays." in notes.inner_text()
    with db.session() as session:
        assert session.get_one(Patient, patient_id).safety_flags == ["pregnancy"]
    page.get_by_role("heading", name="Ana Silva").scroll_into_view_if_needed()
