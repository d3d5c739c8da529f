"""Whether a questionnaire can be answered at a point: open, answered already, or closed."""

from __future__ import annotations

import pytest

from scheduler.clinical.questionnaire_access import PointState, point_state
from scheduler.clinical.questionnaire_schedule import record_response
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.models import QuestionnaireKind
from tests.integration.test_courses import NOW, request_for
from tests.integration.test_questionnaires import HIT6_SOME
from tests.support.factories import demo_clinic

HIT6 = QuestionnaireKind.HIT6


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def test_the_baseline_is_open_until_answered_and_then_answered(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        patient = book_course(session, request_for(db), settings=settings, now=NOW).patient
        assert point_state(session, patient, HIT6, "baseline", NOW) == PointState.OPEN
        record_response(session, patient, HIT6, "baseline", HIT6_SOME, NOW)
        assert point_state(session, patient, HIT6, "baseline", NOW) == PointState.ANSWERED


def test_a_point_not_open_yet_or_not_in_the_schedule_is_closed(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        patient = book_course(session, request_for(db), settings=settings, now=NOW).patient
        assert point_state(session, patient, HIT6, "session-4", NOW) == PointState.CLOSED
        assert point_state(session, patient, HIT6, "no-such-point", NOW) == PointState.CLOSED
