"""Appointments as CSV and practitioners' private ICS feeds, on both databases."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import AppointmentStatus, CalendarFeed
from tests.support.records import add_patient, add_staff, add_visit, practitioner_id
from tests.support.staff import csrf, sign_in

S = AppointmentStatus


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)


@pytest.fixture
def visits(db: Database, clock: FrozenClock, staff: dict[str, str]) -> dict[str, int]:
    """Visits in February, March and April; one patient's name is a spreadsheet formula."""
    with db.transaction() as session:
        ana = add_patient(session, clock.now(), "Ana", "Silva", "+447400123456")
        formula = add_patient(
            session, clock.now(), '=HYPERLINK("http://x")', "@Evil", "+447400555777"
        )
        lin = "Dr Mei Lin"
        feb = add_visit(session, ana.id, lin, datetime(2026, 2, 27, 10, 0, tzinfo=UTC), S.COMPLETED)
        march = add_visit(session, formula.id, lin, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
        # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time): an April visit.
        april = add_visit(session, ana.id, lin, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
        novak = add_visit(session, ana.id, "Sara Novak", datetime(2026, 3, 5, 11, 0, tzinfo=UTC))
        cancelled = add_visit(
            session, ana.id, lin, datetime(2026, 3, 6, 9, 0, tzinfo=UTC), S.CANCELLED
        )
    return {
        "feb": feb.id,
        "march": march.id,
        "april": april.id,
        "novak": novak.id,
        "cancelled": cancelled.id,
    }


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_holds_the_visits_of_the_range_in_clinic_time_with_formulas_defused(
    client: FlaskClient, staff: dict[str, str], visits: dict[str, int]
) -> None:
    sign_in(client, staff["desk"])
    response = client.get("/staff/exports/appointments.csv?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.endswith("\r\n")
    table = rows(text)
    assert table[0][:4] == ["appointment_id", "date", "start", "end"]
    by_id = {int(r[0]): r for r in table[1:]}
    assert set(by_id) == {visits["march"], visits["novak"], visits["cancelled"]}
    march = by_id[visits["march"]]
    assert march[1:5] == ["2026-03-04", "09:00", "09:45", "booked"]
    assert march[9:12] == ['\'=HYPERLINK("http://x")', "'@Evil", "'+447400555777"]
    assert by_id[visits["cancelled"]][4] == "cancelled"
    april = rows(
        client.get("/staff/exports/appointments.csv?from=2026-04-01&to=2026-04-01").get_data(
            as_text=True
        )
    )
    assert [r[:3] for r in april[1:]] == [[str(visits["april"]), "2026-04-01", "00:30"]]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("", "from", "Enter a date."),
        ("from=2026-03-01", "to", "Enter a date."),
        ("from=01/03/2026&to=2026-03-31", "from", "YYYY-MM-DD"),
        ("from=2026-02-30&to=2026-03-31", "from", "YYYY-MM-DD"),
        ("from=2026-03-31&to=2026-03-01", "to", "on or after the start date"),
        ("from=2025-01-01&to=2026-01-02", "to", "at most 366 days"),
    ],
)
def test_a_bad_csv_range_is_explained_by_its_field(
    client: FlaskClient, staff: dict[str, str], query: str, field: str, message: str
) -> None:
    sign_in(client, staff["admin"])
    response = client.get(f"/staff/exports/appointments.csv?{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert re.search(rf'id="export-{field}-error">[^<]*{re.escape(message)}', html), html


def test_a_range_of_exactly_366_days_is_allowed(
    client: FlaskClient, staff: dict[str, str], visits: dict[str, int]
) -> None:
    sign_in(client, staff["admin"])
    response = client.get("/staff/exports/appointments.csv?from=2025-04-01&to=2026-04-01")
    assert response.status_code == 200
    assert len(rows(response.get_data(as_text=True))) == 1 + len(visits)


def test_practitioners_may_not_export(client: FlaskClient, staff: dict[str, str]) -> None:
    sign_in(client, staff["lin"])
    response = client.get("/staff/exports/appointments.csv?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 403


def new_feed_url(client: FlaskClient, practitioner: int) -> str:
    response = client.post(
        f"/staff/feeds/{practitioner}", data={"csrf_token": csrf(client, "/staff/feeds")}
    )
    assert response.status_code == 200
    match = re.search(
        r'value="https://book\.example\.test(/feeds/[^"]+\.ics)"', response.get_data(as_text=True)
    )
    assert match
    return match.group(1)


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_a_practitioners_feed_is_valid_icalendar_with_initials_only(
    client: FlaskClient, db: Database, staff: dict[str, str], visits: dict[str, int]
) -> None:
    sign_in(client, staff["lin"])
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    url = new_feed_url(client, lin)
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    response = client.get(url)  # no session: the token alone opens it
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    text = raw.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.decode().split("\r\n"))
    lines = unfold(text)
    uids = [line for line in lines if line.startswith("UID:")]
    # Upcoming, not cancelled, own visits only: March 4 and March 31.
    assert uids == [
        f"UID:appointment-{visits['march']}@book.example.test",
        f"UID:appointment-{visits['april']}@book.example.test",
    ]
    assert "DTSTART:20260304T090000Z" in lines and "DTEND:20260304T094500Z" in lines
    assert "DTSTART:20260331T233000Z" in lines
    assert 'SUMMARY:=HYPERLINK("http://x") @.: Acupuncture' in lines
    assert "SUMMARY:Ana S.: Acupuncture" in lines
    assert "Silva" not in text and "+44" not in text
    assert client.get(url).get_data(as_text=True).count("UID:") == 2
    assert [
        line for line in unfold(client.get(url).get_data(as_text=True)) if line.startswith("UID:")
    ] == uids


def test_a_revoked_or_wrong_token_gets_404(
    client: FlaskClient, db: Database, staff: dict[str, str], visits: dict[str, int]
) -> None:
    sign_in(client, staff["admin"])
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    first = new_feed_url(client, lin)
    second = new_feed_url(client, lin)
    assert client.get(first).status_code == 404  # replaced by the second
    assert client.get(second).status_code == 200
    response = client.post(
        f"/staff/feeds/{lin}/revoke", data={"csrf_token": csrf(client, "/staff/feeds")}
    )
    assert response.status_code == 303
    assert client.get(second).status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    assert client.get("/feeds/" + "x" * 500 + ".ics").status_code == 404
    with db.session() as session:
        feeds = session.scalars(select(CalendarFeed)).all()
    assert len(feeds) == 2 and all(f.revoked_at is not None for f in feeds)
    assert all(len(f.token_hash) == 64 and f.token_hash not in first + second for f in feeds)


def test_a_practitioner_keeps_only_their_own_feed_and_the_desk_none(
    client: FlaskClient, db: Database, staff: dict[str, str]
) -> None:
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
        novak = practitioner_id(session, "Sara Novak")
    sign_in(client, staff["novak"])
    page = client.get("/staff/feeds").get_data(as_text=True)
    assert "Sara Novak" in page and "Dr Mei Lin" not in page
    token = csrf(client, "/staff/feeds")
    assert client.post(f"/staff/feeds/{lin}", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/staff/feeds/{lin}/revoke", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/staff/feeds/{novak}", data={"csrf_token": token}).status_code == 200
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    sign_in(client, staff["desk"])
    assert client.get("/staff/feeds").status_code == 403


def test_a_feed_shows_nothing_past_or_cancelled(
    client: FlaskClient, db: Database, clock: FrozenClock, staff: dict[str, str]
) -> None:
    with db.transaction() as session:
        patient = add_patient(session, clock.now())
        add_visit(session, patient.id, "Sara Novak", clock.now() - timedelta(days=1), S.COMPLETED)
        add_visit(session, patient.id, "Sara Novak", clock.now() + timedelta(days=1), S.CANCELLED)
        novak = practitioner_id(session, "Sara Novak")
    sign_in(client, staff["admin"])
    text = client.get(new_feed_url(client, novak)).get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" not in text
