"""Safety alerts as a work queue, on both databases: who sees which alert and its answers,
closing one with a note (audited; bad input changes nothing), "Confirm review" closing the
review alert, escalation of alerts nobody closed, and the screens on the patient's record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clinical.alerts import (
    QUEUE_MAX,
    AlertClosed,
    QueueScope,
    close_alert,
    escalate_overdue,
    open_safety_alerts,
)
from scheduler.clinical.safety import BY_CODE, assess, record_screen
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.follow_ups import Task
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    InboundMessage,
    Patient,
    SafetyScreen,
    StaffAlert,
    StaffUser,
)
from scheduler.staff.permissions import Permissions
from scheduler.visits.review import confirm_review
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.processes import celery_worker, wait_until
from tests.support.records import add_patient, add_staff, add_visit
from tests.support.stack import process_env, task_client
from tests.support.staff import csrf, sign_in

LATER = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PHONES = {"Ana": "+447400123401", "Ben": "+447400123402", "Cyrus": "+447400123403"}
REVIEW_TEXT = BY_CODE["cough_exertion"].text
EMERGENT_TEXT = BY_CODE["thunderclap"].text
URGENT_TEXT = BY_CODE["earlier_episode_unchecked"].text


@dataclass(frozen=True)
class Alerts:
    """One alert of each kind: Ana (Dr Mei Lin's patient, review first), Ben (Sara Novak's,
    stopped as an emergency), Cy (no visits, stopped as urgent) and one without a patient."""

    ana: int
    ben: int
    cy: int
    nobody: int


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)


def screened(db: Database, settings: Settings, now: datetime, name: str, *yes: str) -> int:
    """A patient who answered ``yes`` to those questions; the id of the alert it raised."""
    with db.transaction() as session:
        patient = add_patient(session, now, first=name, phone=PHONES[name])
        record_screen(session, patient, assess(dict.fromkeys(yes, True)), now, zone=settings.zone)
        if name == "Ana":
            add_visit(session, patient.id, "Dr Mei Lin", LATER)
        if name == "Ben":
            add_visit(session, patient.id, "Sara Novak", LATER + timedelta(hours=2))
        return session.scalars(
            select(StaffAlert.id).where(StaffAlert.patient_id == patient.id)
        ).one()


@pytest.fixture
def alerts(db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str]) -> Alerts:
    now = clock.now()
    ana = screened(db, settings, now, "Ana", "cough_exertion")
    ben = screened(db, settings, now - timedelta(minutes=5), "Ben", "thunderclap")
    cy = screened(db, settings, now - timedelta(minutes=1), "Cyrus", "earlier_episode_unchecked")
    with db.transaction() as session:
        alert = StaffAlert(
            kind="safety_emergent", detail="Safety screen: emergency.", created_at=now
        )
        session.add(alert)
        session.flush()
        nobody = alert.id
    return Alerts(ana, ben, cy, nobody)


def scope_of(db: Database, email: str) -> QueueScope:
    with db.session() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        may = Permissions.of(user)
    return QueueScope(
        may.safety_alert_practitioner(), may.see_unowned_safety_alerts(), may.see_safety_answers()
    )


def queue_ids(db: Database, email: str) -> list[int]:
    with db.session() as session:
        return [item.id for item in open_safety_alerts(session, scope_of(db, email))]


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def stored(db: Database, alert_id: int) -> tuple[object, ...]:
    with db.session() as session:
        a = session.get_one(StaffAlert, alert_id)
        return (a.resolved_at, a.outcome, a.note, a.closed_by_id, a.dedupe_key)


def close_form(client: FlaskClient, alert_id: int, **fields: str) -> tuple[int, str, str]:
    data = {
        "csrf_token": csrf(client, "/staff/alerts"),
        "next": "/staff/today#safety-alerts",
        **fields,
    }
    response = client.post(f"/staff/alerts/{alert_id}/close", data=data)
    return response.status_code, response.headers.get("Location", ""), response.get_data(True)


# Who sees what


def test_admins_and_the_front_desk_see_every_open_alert_most_serious_first(
    db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    for who in ("admin", "desk"):
        assert queue_ids(db, staff[who]) == [alerts.ben, alerts.nobody, alerts.cy, alerts.ana]


def test_with_more_open_alerts_than_the_queue_holds_the_most_serious_still_come_first(
    db: Database, clock: FrozenClock
) -> None:
    old = clock.now() - timedelta(days=3)
    with db.transaction() as session:
        reviews = [
            StaffAlert(kind="safety_review", detail="review", created_at=old + timedelta(minutes=i))
            for i in range(QUEUE_MAX)
        ]
        emergent = StaffAlert(kind="safety_emergent", detail="call", created_at=clock.now())
        escalated = StaffAlert(
            kind="safety_review", detail="late", created_at=clock.now(), escalated_at=clock.now()
        )
        session.add_all([*reviews, emergent, escalated])
        session.flush()
        first = (escalated.id, emergent.id, reviews[0].id)
    scope = QueueScope(practitioner_id=None, unowned=True, answers=False)
    with db.session() as session:
        queue = open_safety_alerts(session, scope)
    assert len(queue) == QUEUE_MAX
    assert tuple(item.id for item in queue[:3]) == first


def test_a_practitioner_sees_only_their_own_patients_alerts(
    db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    assert queue_ids(db, staff["lin"]) == [alerts.ana]
    assert queue_ids(db, staff["novak"]) == [alerts.ben]


def test_the_answers_that_raised_an_alert_reach_clinical_roles_only(
    db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.session() as session:
        desk = open_safety_alerts(session, scope_of(db, staff["desk"]))
        admin = open_safety_alerts(session, scope_of(db, staff["admin"]))
    assert all(item.answers is None for item in desk)
    by_id = {item.id: item for item in admin}
    assert by_id[alerts.ana].answers == (REVIEW_TEXT,)
    assert by_id[alerts.ben].answers == (EMERGENT_TEXT,)
    assert by_id[alerts.cy].answers == (URGENT_TEXT,)
    assert by_id[alerts.ben].name == "Ben Silva" and by_id[alerts.ben].phone.startswith("+44")


def test_the_front_desk_page_shows_name_phone_and_tier_but_not_the_answers(
    client: FlaskClient, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["desk"])
    for path in ("/staff/alerts", "/staff", "/staff/today"):
        html = page(client, path)
        assert "Ben Silva" in html and 'href="tel:+447400123402"' in html, path
        assert "Emergency" in html and "Review first" in html and "No patient record" in html
        assert EMERGENT_TEXT not in html and REVIEW_TEXT not in html


def test_a_practitioner_gets_their_own_alerts_on_home_today_and_the_queue_not_a_403(
    client: FlaskClient, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["lin"])
    for path in ("/staff/alerts", "/staff", "/staff/today"):
        html = page(client, path)
        assert "Ana Silva" in html and REVIEW_TEXT in html, path
        assert "Ben Silva" not in html and "No patient record" not in html
        assert f'href="/staff/patients/{alerts_patient(html)}"' in html


def alerts_patient(html: str) -> str:
    match = re.search(r'class="alert-name" href="/staff/patients/(\d+)"', html)
    assert match, html
    return match.group(1)


def test_a_text_suggesting_an_emergency_is_in_the_queue_with_its_words_for_clinical_roles(
    db: Database, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.transaction() as session:
        ben = session.get_one(StaffAlert, alerts.ben).patient_id
        text = InboundMessage(
            provider_sid="SM" + "9" * 32,
            from_phone=PHONES["Ben"],
            to_phone="+15005550006",
            body="worst headache of my life",
            patient_id=ben,
            understood_as="emergency",
            received_at=clock.now(),
        )
        session.add(text)
        session.flush()
        alert = StaffAlert(
            kind="emergency_words",
            patient_id=ben,
            inbound_id=text.id,
            detail="A patient's text suggests an emergency: call them now.",
            created_at=clock.now(),
        )
        session.add(alert)
        session.flush()
        alert_id = alert.id
    assert alert_id in queue_ids(db, staff["novak"]) and alert_id not in queue_ids(db, staff["lin"])
    with db.session() as session:
        items = {i.id: i for i in open_safety_alerts(session, scope_of(db, staff["novak"]))}
        desk = {i.id: i for i in open_safety_alerts(session, scope_of(db, staff["desk"]))}
    assert items[alert_id].tier_label == "Emergency"
    assert items[alert_id].answers == ("Their text: \u201cworst headache of my life\u201d",)
    assert desk[alert_id].answers is None


# Closing


def test_closing_an_alert_keeps_who_how_and_why_audited_and_goes_back(
    client: FlaskClient, db: Database, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["lin"])
    status, location, _ = close_form(
        client, alerts.ana, outcome="reviewed", note="  Spoke to Ana; cough headache known.  "
    )
    assert (status, location) == (303, "/staff/today#safety-alerts")
    resolved_at, outcome, note, closed_by, _ = stored(db, alerts.ana)
    assert (resolved_at, outcome, note) == (
        clock.now(),
        "reviewed",
        "Spoke to Ana; cough headache known.",
    )
    with db.session() as session:
        lin = session.scalars(select(StaffUser).where(StaffUser.email == staff["lin"])).one()
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == "staff_alert",
                AuditEvent.entity_id == alerts.ana,
                AuditEvent.action == "changed",
            )
        ).one()
    assert closed_by == lin.id
    assert (event.actor_kind, event.actor_id) == ("staff", lin.id)
    assert event.changes["outcome"] == [None, "reviewed"]
    assert "Ana Silva" not in page(client, "/staff/alerts")


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"outcome": "fixed", "note": "Called."}, "outcome", "Choose what was done."),
        ({"outcome": "", "note": "Called."}, "outcome", "Choose what was done."),
        ({"outcome": "called", "note": "   "}, "note", "Write a note saying what was done."),
        ({"outcome": "called", "note": "x" * 1001}, "note", "Keep the note under 1000"),
    ],
    ids=["unknown outcome", "no outcome", "blank note", "note too long"],
)
def test_a_refused_close_says_why_at_the_top_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    staff: dict[str, str],
    alerts: Alerts,
    fields: dict[str, str],
    field: str,
    reason: str,
) -> None:
    before = stored(db, alerts.ben)
    sign_in(client, staff["desk"])
    status, _, html = close_form(client, alerts.ben, **fields)
    assert status == 422
    assert "There is a problem" in html and reason in html
    assert f'href="#alert-{alerts.ben}-{field}"' in html
    assert f'id="alert-{alerts.ben}-{field}"' in html
    assert 'value="/staff/today#safety-alerts"' in html  # the form still goes back there
    assert stored(db, alerts.ben) == before


def test_closing_twice_is_refused_and_keeps_the_first_close(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["desk"])
    assert close_form(client, alerts.ben, outcome="called", note="Called Ben.")[0] == 303
    first = stored(db, alerts.ben)
    sign_in(client, staff["admin"])
    status, location, _ = close_form(client, alerts.ben, outcome="no_action_needed", note="x")
    assert (status, location) == (303, "/staff/today#safety-alerts")
    assert "was closed already" in page(client, "/staff/today")
    assert stored(db, alerts.ben) == first


def test_the_use_case_refuses_bad_input_and_a_second_close_with_clear_errors(
    db: Database, clock: FrozenClock, alerts: Alerts
) -> None:
    before = stored(db, alerts.cy)
    with pytest.raises(ValidationFailed) as refused, db.transaction() as session:
        close_alert(session, alerts.cy, outcome="maybe", note="", closed_by_id=1, now=clock.now())
    assert set(refused.value.fields) == {"outcome", "note"}
    assert stored(db, alerts.cy) == before
    with db.transaction() as session:
        close_alert(
            session, alerts.cy, outcome="called", note="Saw GP.", closed_by_id=1, now=clock.now()
        )
    with pytest.raises(AlertClosed), db.transaction() as session:
        close_alert(
            session, alerts.cy, outcome="called", note="Again.", closed_by_id=2, now=clock.now()
        )
    assert stored(db, alerts.cy)[1:4] == ("called", "Saw GP.", 1)


def test_a_practitioner_cannot_close_another_practitioners_patients_alert(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    before = stored(db, alerts.ben)
    sign_in(client, staff["lin"])
    assert close_form(client, alerts.ben, outcome="called", note="x")[0] == 403
    assert close_form(client, alerts.nobody, outcome="called", note="x")[0] == 403
    assert stored(db, alerts.ben) == before


def test_an_unknown_alert_is_404_and_a_form_without_its_token_is_refused(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["admin"])
    assert close_form(client, 999_999, outcome="called", note="x")[0] == 404
    before = stored(db, alerts.ben)
    response = client.post(
        f"/staff/alerts/{alerts.ben}/close", data={"outcome": "called", "note": "x"}
    )
    assert response.status_code == 400
    assert stored(db, alerts.ben) == before


def test_a_next_leading_elsewhere_goes_back_to_the_queue(
    client: FlaskClient, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["admin"])
    data = {
        "csrf_token": csrf(client, "/staff/alerts"),
        "next": "//evil.example/staff",
        "outcome": "called",
        "note": "Called.",
    }
    response = client.post(f"/staff/alerts/{alerts.ben}/close", data=data)
    assert response.headers["Location"] == "/staff/alerts"


def test_alerts_of_a_patient_without_a_visit_and_without_a_patient_can_be_closed(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["desk"])
    for alert_id in (alerts.cy, alerts.nobody):
        assert close_form(client, alert_id, outcome="called", note="Rang back.")[0] == 303
        assert stored(db, alert_id)[1] == "called"


def test_closing_a_stop_alert_frees_the_day_so_a_new_stop_raises_a_new_alert(
    db: Database, settings: Settings, clock: FrozenClock, alerts: Alerts
) -> None:
    with db.transaction() as session:
        close_alert(
            session, alerts.ben, outcome="called", note="Fine.", closed_by_id=1, now=clock.now()
        )
    with db.transaction() as session:
        patient_id = session.get_one(StaffAlert, alerts.ben).patient_id
        patient = session.get_one(Patient, patient_id)
        record_screen(
            session, patient, assess({"thunderclap": True}), clock.now(), zone=settings.zone
        )
    with db.session() as session:
        open_ = session.scalars(
            select(StaffAlert).where(
                StaffAlert.patient_id == patient_id, StaffAlert.resolved_at.is_(None)
            )
        ).all()
    assert len(open_) == 1 and open_[0].id != alerts.ben


# Confirm review


def test_confirming_a_review_closes_the_review_alert_and_marks_the_screen_reviewed(
    db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.transaction() as session:
        visit = session.scalars(
            select(Appointment)
            .join(StaffAlert, StaffAlert.patient_id == Appointment.patient_id)
            .where(StaffAlert.id == alerts.ana)
        ).one()
        visit.status = AppointmentStatus.PENDING_REVIEW
        lin = session.scalars(select(StaffUser).where(StaffUser.email == staff["lin"])).one()
        lin_id, visit_id = lin.id, visit.id
    with db.transaction() as session:
        confirm_review(session, visit_id, settings=settings, now=clock.now(), reviewed_by_id=lin_id)
    resolved_at, outcome, note, closed_by, _ = stored(db, alerts.ana)
    assert (resolved_at, outcome, closed_by) == (clock.now(), "reviewed", lin_id)
    assert note and "reviewed" in note
    with db.session() as session:
        screen = session.scalars(
            select(SafetyScreen)
            .join(StaffAlert, StaffAlert.screen_id == SafetyScreen.id)
            .where(StaffAlert.id == alerts.ana)
        ).one()
    assert (screen.reviewed_at, screen.reviewed_by_id) == (clock.now(), lin_id)


# Escalation


def test_alerts_open_too_long_are_escalated_once_and_reach_every_clinical_account(
    db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.transaction() as session:
        close_alert(
            session, alerts.cy, outcome="called", note="Done.", closed_by_id=1, now=clock.now()
        )
    minutes = settings.safety_alert_escalate_minutes
    later = clock.now() + timedelta(minutes=minutes - 2)
    with db.transaction() as session:
        # Ben's alert is 5 minutes older than the others: only it is overdue yet.
        assert (
            escalate_overdue(session, open_since=later - timedelta(minutes=minutes), now=later) == 1
        )
    with db.transaction() as session:
        assert (
            escalate_overdue(session, open_since=later - timedelta(minutes=minutes), now=later) == 0
        )
    with db.session() as session:
        assert session.get_one(StaffAlert, alerts.ben).escalated_at == later
        assert session.get_one(StaffAlert, alerts.cy).escalated_at is None  # closed
        assert session.get_one(StaffAlert, alerts.ana).escalated_at is None  # not yet due
    assert queue_ids(db, staff["lin"]) == [alerts.ben, alerts.ana]  # escalated first
    assert queue_ids(db, staff["admin"])[0] == alerts.ben


def test_an_escalated_alert_stands_out_and_any_practitioner_may_close_it(
    client: FlaskClient, db: Database, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.transaction() as session:
        escalate_overdue(session, open_since=clock.now(), now=clock.now())
    sign_in(client, staff["lin"])
    html = page(client, "/staff")
    assert "Escalated: open more than 30 minutes" in html and "Ben Silva" in html
    assert close_form(client, alerts.ben, outcome="called", note="Called for Sara.")[0] == 303
    assert stored(db, alerts.ben)[1] == "called"


# The record


def test_the_record_shows_a_practitioner_every_screen_and_how_its_alert_was_closed(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    sign_in(client, staff["novak"])
    assert close_form(client, alerts.ben, outcome="called", note="Sent to A&E.")[0] == 303
    with db.session() as session:
        ben = session.get_one(StaffAlert, alerts.ben).patient_id
    html = page(client, f"/staff/patients/{ben}")
    assert 'id="safety-screens"' in html and EMERGENT_TEXT in html
    assert "Booking stopped: told to get emergency help" in html
    assert "Called the patient by Sara Novak" in html and "Sent to A&amp;E." in html
    assert "None recorded." not in html


def test_the_record_shows_the_front_desk_no_screens_or_answers(
    client: FlaskClient, db: Database, staff: dict[str, str], alerts: Alerts
) -> None:
    with db.session() as session:
        ben = session.get_one(StaffAlert, alerts.ben).patient_id
    sign_in(client, staff["desk"])
    html = page(client, f"/staff/patients/{ben}")
    assert 'id="safety-screens"' not in html and EMERGENT_TEXT not in html


def test_the_worker_escalates_an_alert_left_open_when_beat_asks(
    db: Database,
    database_url: str,
    redis_url: str,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
    fake_twilio: FakeTwilio,
) -> None:
    with db.transaction() as session:
        alert = StaffAlert(
            kind="safety_urgent",
            detail="Safety screen: urgent.",
            created_at=datetime.now(UTC) - timedelta(hours=2),
        )
        session.add(alert)
        session.flush()
        alert_id = alert.id
    env = process_env(database_url, redis_url, tmp_path / "instance", fake_twilio)
    worker = celery_worker(env, tmp_path)
    try:
        task_client(redis_url).send_task(Task.ESCALATE_SAFETY_ALERTS.value, queue="clinic")

        def escalated() -> bool:
            with db.session() as session:
                return session.get_one(StaffAlert, alert_id).escalated_at is not None

        wait_until(escalated, 30, 0.2, "the escalation")
    finally:
        worker.stop()


def test_the_queue_reads_a_fixed_number_of_queries_however_many_alerts_are_open(
    db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str], alerts: Alerts
) -> None:
    from sqlalchemy import event

    scope = QueueScope(practitioner_id=None, unowned=True, answers=True)

    def statements() -> tuple[int, int]:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.session() as session:
                items = open_safety_alerts(session, scope)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(items), len([s for s in seen if not s.startswith(("BEGIN", "ROLLBACK"))])

    few_items, few = statements()
    now = clock.now()
    for n in range(12):
        with db.transaction() as session:
            patient = add_patient(session, now, first=f"P{n}", phone=f"+4474009{n:05d}")
            record_screen(
                session, patient, assess({"cough_exertion": True}), now, zone=settings.zone
            )
            add_visit(session, patient.id, "Dr Mei Lin", LATER + timedelta(days=n + 1))
    many_items, many = statements()
    assert (few_items, many_items) == (4, 16)
    assert few == many <= 5  # alerts, patients, their practitioners, screens, texts
