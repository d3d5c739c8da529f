"""The living demo clinic, seeded once per database: deterministic, once only, within every
rule of the calendar, its dashboard figures non-zero, and nothing in the past left to send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ops.devstack import demo_history
from scheduler.clinical.questionnaires import score
from scheduler.config import ConfigurationError, Settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Closure,
    Consent,
    Course,
    CourseTemplate,
    DiaryDay,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    Patient,
    QuestionnaireResponse,
    Service,
    WaitlistEntry,
    WaitlistStatus,
)
from scheduler.records.statistics import clinical_figures, operations
from tests.support.services import PostgresDatabases, SqliteDatabases

NOW = datetime(2026, 3, 4, 11, 30, tzinfo=UTC)  # a Wednesday late morning
LONDON = ZoneInfo("Europe/London")


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(
        environment="test",
        instance_path=tmp / "instance",
        database_url=url,
        redis_url="",
        secret_key="test-secret-key",
        public_base_url="https://book.example.test",
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh_urls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A maker of fresh migrated databases on the backend under test."""
    if request.param == "sqlite":
        sqlite: SqliteDatabases = request.getfixturevalue("sqlite_databases")
        yield lambda: sqlite.fresh(tmp_path_factory.mktemp("demo"))
        return
    postgres: PostgresDatabases = request.getfixturevalue("postgres_databases")
    made: list[str] = []

    def fresh() -> str:
        made.append(postgres.fresh())
        return made[-1]

    yield fresh
    for url in made:
        postgres.drop(url)


def seed(url: str, tmp: Path, history: bool = True) -> Database:
    db = Database(url)
    with db.transaction() as session:
        assert load_demo_clinic(session, _settings(url, tmp), NOW, history=history)
    return db


@pytest.fixture(scope="module")
def demo(fresh_urls: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = seed(fresh_urls(), tmp_path_factory.mktemp("instance"))
    yield db
    db.dispose()


def fingerprint(session: Session) -> list[tuple[Any, ...]]:
    """Every visit, text and diary day, as plain values (no ids)."""
    visits = session.execute(
        select(Patient.last_name, Appointment.starts_at, Appointment.status)
        .join(Patient, Patient.id == Appointment.patient_id)
        .order_by(Appointment.starts_at, Patient.last_name)
    ).all()
    texts = session.execute(
        select(OutboundMessage.dedupe_key, OutboundMessage.status, OutboundMessage.due_at).order_by(
            OutboundMessage.due_at, OutboundMessage.dedupe_key
        )
    ).all()
    days = session.execute(
        select(DiaryDay.day, DiaryDay.worst_pain, DiaryDay.source).order_by(DiaryDay.day)
    ).all()
    return [tuple(row) for row in (*visits, *texts, *days)]


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_seeding_twice_keeps_one_history_and_another_database_gets_the_same_one(
    demo: Database, fresh_urls: Any, tmp_path: Path
) -> None:
    with demo.session() as session:
        before = fingerprint(session)
    with demo.transaction() as session:
        assert not load_demo_clinic(session, _settings("", tmp_path), NOW, history=True)
    other = seed(fresh_urls(), tmp_path)
    with demo.session() as session, other.session() as again:
        assert fingerprint(session) == before
        assert fingerprint(again) == before
    other.dispose()


def test_the_dashboard_figures_are_not_zero(demo: Database) -> None:
    with demo.session() as session:
        ops = operations(session, now=NOW, zone=LONDON)
        clinical = clinical_figures(session, now=NOW)
    assert ops.held > 20 and ops.due > ops.held
    assert ops.no_shows > 0 and ops.late_cancellations > 0
    assert ops.reminded > 0 and ops.confirmed > 0
    assert ops.courses.active > 0 and ops.courses.completed > 0 and ops.courses.stopped > 0
    assert clinical.responders >= 1 and clinical.judged >= 1
    assert [alert.name for alert in clinical.overuse] == ["Gareth Hughes"]


def test_no_text_due_in_the_past_is_left_for_the_dispatcher(demo: Database) -> None:
    with demo.session() as session:
        past = OutboundMessage.due_at <= NOW
        assert count(session, OutboundMessage, past, OutboundMessage.status == "pending") == 0
        assert count(session, OutboundMessage, OutboundMessage.status == "queued") == 0
        sent = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED)
        assert count(session, OutboundMessage, OutboundMessage.status.in_(sent)) > 50
        reported = OutboundMessage.status.in_((MessageStatus.DELIVERED, MessageStatus.FAILED))
        unnamed = OutboundMessage.provider_sid.is_(None)
        assert count(session, OutboundMessage, reported, unnamed) == 0
        failed = OutboundMessage.status == MessageStatus.FAILED
        assert count(session, OutboundMessage, failed, OutboundMessage.error_code.is_not(None))
        future = OutboundMessage.status == "pending", OutboundMessage.due_at > NOW
        assert count(session, OutboundMessage, *future) > 0  # reminders planned for real
        assert count(session, InboundMessage, InboundMessage.understood_as == "diary") > 0


def test_the_weeks_ahead_and_every_kind_of_record_are_there(demo: Database) -> None:
    ahead = Appointment.starts_at.between(NOW, NOW + timedelta(weeks=4))
    with demo.session() as session:
        assert count(session, Appointment, ahead, Appointment.status == "booked") > 5
        assert count(session, Appointment, Appointment.status == "pending_review") == 1
        waiting = WaitlistEntry.status == WaitlistStatus.WAITING
        assert count(session, WaitlistEntry, waiting) == 1
        sources = set(session.scalars(select(DiaryDay.source).distinct()))
        assert sources == {"sms", "web"}
        assert count(session, Consent) > count(session, Patient)
        responses = session.scalars(select(QuestionnaireResponse)).all()
        assert {r.kind.value for r in responses} == {"midas", "hit6"}
        for response in responses:
            assert score(response.kind, response.answers).score == response.score


def _overlaps(visits: list[Appointment], key: str) -> list[tuple[int, int]]:
    found = []
    by_owner: dict[Any, list[Appointment]] = {}
    for visit in visits:
        if getattr(visit, key) is not None:
            by_owner.setdefault(getattr(visit, key), []).append(visit)
    for owned in by_owner.values():
        owned.sort(key=lambda v: v.starts_at)
        for first, second in pairwise(owned):
            if second.starts_at < first.blocked_until:
                found.append((first.id, second.id))
    return found


def test_no_two_active_visits_hold_the_same_practitioner_or_room(demo: Database) -> None:
    with demo.session() as session:
        visits = list(
            session.scalars(select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES)))
        )
    assert _overlaps(visits, "practitioner_id") == []
    assert _overlaps(visits, "room_id") == []
    assert any(v.status == AppointmentStatus.COMPLETED for v in visits)


def test_an_empty_demo_clinic_has_its_set_up_and_no_patients(
    fresh_urls: Any, tmp_path: Path
) -> None:
    db = seed(fresh_urls(), tmp_path, history=False)
    with db.session() as session:
        assert count(session, Service) == 6 and count(session, CourseTemplate) == 4
        assert count(session, Closure) > 0
        assert count(session, Patient) == count(session, Course) == 0
        assert count(session, Appointment) == count(session, OutboundMessage) == 0
    db.dispose()


@pytest.mark.parametrize(
    ("value", "history"), [("", True), ("full", True), ("empty", False), (" Empty ", False)]
)
def test_demo_says_whether_make_run_seeds_a_history(value: str, history: bool) -> None:
    assert demo_history({"DEMO": value} if value else {}) is history


def test_an_unknown_demo_value_is_refused_with_the_choices() -> None:
    with pytest.raises(ConfigurationError, match="DEMO 'lots' is not one of: full, empty"):
        demo_history({"DEMO": "lots"})
