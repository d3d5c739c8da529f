"""Every staff URL, found from the app's own routes: no session means the login page (or 401 for
the API), a form without its CSRF token is refused, roles are refused what they may not see, and
a hostile patient name is shown as text everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Patient, Practitioner, Role, Service, StaffUser
from scheduler.staff.accounts import create_staff_user
from tests.support.factories import book, demo_clinic
from tests.support.staff import PASSWORD, sign_in

HOSTILE = "<script>alert(1)</script>"
WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PUBLIC = {"staff.login"}
SAMPLE_VALUES = {"kind": "confirmation", "action": "arrived", "token": "x"}


def staff_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if r.rule.startswith(("/staff", "/api/v1/staff")) and r.endpoint not in PUBLIC
        ),
        key=lambda r: r.rule,
    )


def sample_url(rule: Rule, ids: int = 1) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<[^>]*:?{name}>", str(SAMPLE_VALUES.get(name, ids)), url)
    return url


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> None:
    demo_clinic(db)
    with db.transaction() as session:
        acupuncture = session.scalars(select(Service).where(Service.code == "acupuncture")).one()
        practitioners = [
            p
            for p in session.scalars(select(Practitioner).order_by(Practitioner.id))
            if p.offers(acupuncture)
        ]
        for role, email, practitioner in (
            (Role.ADMIN, "admin@clinic.test", None),
            (Role.FRONT_DESK, "desk@clinic.test", None),
            (Role.PRACTITIONER, "lin@clinic.test", practitioners[0]),
            (Role.PRACTITIONER, "other@clinic.test", practitioners[1]),
        ):
            create_staff_user(
                session,
                email=email,
                name=email.split("@")[0],
                password=PASSWORD,
                role=role,
                now=clock.now(),
                practitioner_id=practitioner.id if practitioner else None,
            )


def test_every_staff_page_without_a_session_goes_to_the_login_page(
    app: Flask, client: FlaskClient, accounts: None
) -> None:
    rules = [r for r in staff_rules(app) if "GET" in (r.methods or set())]
    assert len(rules) > 20
    for rule in rules:
        response = client.get(sample_url(rule))
        if rule.rule.startswith("/api/") or rule.rule.endswith("/events"):
            assert response.status_code == 401, rule.rule  # JSON for scripts: no redirect
        else:
            assert response.status_code == 302, rule.rule
            assert "/staff/login" in response.headers["Location"], rule.rule


def test_every_staff_form_without_its_csrf_token_is_refused(
    app: Flask, client: FlaskClient, accounts: None
) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    sign_in(client, "admin@clinic.test")
    rules = [r for r in staff_rules(app) if "POST" in (r.methods or set())]
    assert len(rules) > 20
    for rule in rules:
        response = client.post(sample_url(rule), data={"name": "changed"})
        assert response.status_code == 400, rule.rule


@pytest.mark.parametrize("email", ["desk@clinic.test", "lin@clinic.test"])
def test_only_admins_open_the_clinic_set_up(
    app: Flask, client: FlaskClient, accounts: None, email: str
) -> None:
    sign_in(client, email)
    # The licence list is open to every signed-in member of staff; every other set-up page is not.
    urls = [
        sample_url(rule)
        for rule in staff_rules(app)
        if rule.rule.startswith("/staff/setup") and "GET" in (rule.methods or set())
    ]
    refused = [url for url in urls if url != "/staff/setup/practitioners"]
    assert "/staff/setup" in refused and len(refused) >= 5, urls
    for url in refused:
        assert client.get(url).status_code == 403, url


def test_a_practitioner_is_refused_another_practitioners_patient_and_calendar(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: None,
) -> None:
    with db.session() as session:
        lin, other = (
            session.scalars(select(StaffUser).where(StaffUser.email == email)).one().practitioner_id
            for email in ("lin@clinic.test", "other@clinic.test")
        )
        first, second = session.get_one(Practitioner, lin), session.get_one(Practitioner, other)
    visit = book(db, settings, clock.now(), WEDNESDAY_10AM, practitioner_id=second.id)
    sign_in(client, "lin@clinic.test")
    assert client.get(f"/staff/patients/{visit.patient.id}").status_code == 403
    assert client.get(f"/staff/calendar?practitioner_id={second.id}").status_code == 403
    assert client.get(f"/staff/calendar?practitioner_id={first.id}").status_code == 200


def test_a_hostile_patient_name_is_shown_as_text_on_every_page(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: None,
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM, first_name=HOSTILE, last_name=HOSTILE)
    with db.session() as session:
        patient = session.get_one(Patient, result.patient.id)
        assert patient.first_name == HOSTILE
    sign_in(client, "admin@clinic.test")
    html_pages = [
        "/staff/patients",
        f"/staff/patients?q={HOSTILE[:8]}",
        f"/staff/patients/{patient.id}",
        "/staff/today?date=2026-03-04",
        "/staff/calendar?view=day&date=2026-03-04",
        "/staff/messages",
        "/staff/dashboard",
        f"/staff/audit?entity=patient&id={patient.id}",
    ]
    for url in html_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert HOSTILE not in response.text, url
        if url not in ("/staff/messages", "/staff/dashboard"):  # these name no patient here
            assert "&lt;script&gt;" in response.text, url
    # Data for scripts and files is never served as a page a browser would run.
    events = client.get("/staff/calendar/events?start=2026-03-02&end=2026-03-09")
    assert events.mimetype == "application/json"
    export = client.get("/staff/exports/appointments.csv?from=2026-03-01&to=2026-03-31")
    assert export.mimetype == "text/csv"
    assert export.headers["Content-Disposition"].startswith("attachment")
