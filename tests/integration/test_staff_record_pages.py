"""The record, dashboard and export pages as a browser meets them: sign-in first, CSRF on
every form, and a hostile patient name shown as text everywhere."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from scheduler.clock import FrozenClock
from scheduler.db import Database
from tests.support.records import add_patient, add_staff, add_visit, practitioner_id
from tests.support.staff import csrf, sign_in

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)


@pytest.fixture
def hostile(db: Database, clock: FrozenClock, staff: dict[str, str]) -> int:
    with db.transaction() as session:
        patient = add_patient(session, clock.now(), SCRIPT, IMAGE)
        add_visit(session, patient.id, "Dr Mei Lin", datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
        return patient.id


@pytest.mark.parametrize(
    "path",
    [
        "/staff/patients",
        "/staff/patients/1",
        "/staff/audit?entity=patient&id=1",
        "/staff/dashboard",
        "/staff/exports",
        "/staff/exports/appointments.csv?from=2026-03-01&to=2026-03-31",
        "/staff/feeds",
    ],
)
def test_every_page_without_a_session_redirects_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize(
    "path", ["/staff/patients/{p}/contact", "/staff/patients/{p}/notes", "/staff/feeds/{f}"]
)
def test_a_form_posted_without_its_csrf_token_is_refused(
    client: FlaskClient, db: Database, staff: dict[str, str], hostile: int, path: str
) -> None:
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    sign_in(client, staff["admin"])
    response = client.post(
        path.format(p=hostile, f=lin),
        data={"first_name": "X", "last_name": "Y", "phone": "07400 555777", "body": "note"},
    )
    assert response.status_code == 400
    revoke = client.post(f"/staff/feeds/{lin}/revoke")
    assert revoke.status_code == 400


def test_a_hostile_name_is_escaped_on_the_list_and_the_record(
    client: FlaskClient, staff: dict[str, str], hostile: int
) -> None:
    sign_in(client, staff["admin"])
    for path in ("/staff/patients", "/staff/patients?q=script", f"/staff/patients/{hostile}"):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert SCRIPT not in html and IMAGE not in html, path


def test_a_hostile_name_is_plain_data_in_the_csv_and_the_calendar_feed(
    client: FlaskClient, db: Database, staff: dict[str, str], hostile: int
) -> None:
    sign_in(client, staff["admin"])
    response = client.get("/staff/exports/appointments.csv?from=2026-03-01&to=2026-03-31")
    assert response.mimetype == "text/csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][9:11] == [SCRIPT, IMAGE]
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    page = client.post(f"/staff/feeds/{lin}", data={"csrf_token": csrf(client, "/staff/feeds")})
    url = page.get_data(as_text=True).split('value="https://book.example.test')[1].split('"')[0]
    feed = client.get(url)
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert feed.headers["X-Content-Type-Options"] == "nosniff"
    assert "SUMMARY:<script>alert(1)</script> <.: Acupuncture\r\n" in feed.get_data(as_text=True)
