"""The clinic set-up pages through the Flask client: roles, CSRF, errors next to fields,
escaping, and the main flows, on both databases."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import (
    MessageKind,
    MessageTemplate,
    Practitioner,
    Room,
    StaffUser,
    WorkingHours,
)
from tests.support.staff import create_accounts, csrf, log_in
from tests.support.table_rows import table_rows

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def logins(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


def setup_urls(app: Flask) -> list[tuple[str, str]]:
    """Every set-up URL of the app, with ids of 1: (method, path)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/setup"):
            continue
        path = re.sub(r"<id:[a-z_]+>", "1", rule.rule).replace("<kind>", "confirmation")
        found.extend((method, path) for method in sorted((rule.methods or set()) & {"GET", "POST"}))
    assert len(found) > 30
    return found


def admin(client: FlaskClient, logins: dict[str, str]) -> str:
    assert log_in(client, logins["admin"]) == 303
    return csrf(client)


def id_of(db: Database, model: type, **where: object) -> int:
    with db.session() as session:
        return int(session.scalars(select(model.id).filter_by(**where)).one())


@pytest.mark.parametrize("who", ["desk", "lin"])
def test_the_front_desk_and_practitioners_get_403_on_every_set_up_url_but_the_list(
    app: Flask, client: FlaskClient, logins: dict[str, str], who: str
) -> None:
    assert log_in(client, logins[who]) == 303
    token = csrf(client)
    for method, path in setup_urls(app):
        response = client.open(path, method=method, data={"csrf_token": token})
        expected = 200 if (method, path) == ("GET", "/staff/setup/practitioners") else 403
        assert response.status_code == expected, (method, path, response.status_code)


def test_every_set_up_page_without_a_session_redirects_to_login(
    app: Flask, client: FlaskClient
) -> None:
    for method, path in setup_urls(app):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/staff/login"), path


def test_every_set_up_page_opens_for_an_admin(
    app: Flask, client: FlaskClient, logins: dict[str, str]
) -> None:
    admin(client, logins)
    for method, path in setup_urls(app):
        if method == "GET":
            assert client.get(path).status_code == 200, path


def test_the_nav_shows_set_up_to_admins_only(client: FlaskClient, logins: dict[str, str]) -> None:
    admin(client, logins)
    assert 'href="/staff/setup">Set-up</a>' in client.get("/staff").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert log_in(client, logins["desk"]) == 303
    assert "Set-up</a>" not in client.get("/staff").get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_with_400_and_changes_nothing(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    admin(client, logins)
    before = table_rows(db, Room)
    assert client.post("/staff/setup/rooms", data={"name": "Room 9"}).status_code == 400
    assert client.post("/staff/setup/rooms/1/active", data={"active": "0"}).status_code == 400
    assert table_rows(db, Room) == before


def test_a_script_in_a_practitioners_name_is_shown_escaped(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    response = client.post(
        "/staff/setup/practitioners/new",
        data={"csrf_token": token, "name": SCRIPT, "licence_expires_on": "2026-03-20"},
    )
    assert response.status_code == 303
    practitioner_id = id_of(db, Practitioner, name=SCRIPT)
    for path in (
        "/staff/setup/practitioners",
        f"/staff/setup/practitioners/{practitioner_id}",
        f"/staff/setup/practitioners/{practitioner_id}/hours",
        "/staff/setup",
    ):
        page = client.get(path).get_data(as_text=True)
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_the_practitioner_list_warns_any_staff_of_licences_running_out(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    with db.transaction() as session:
        lin = session.scalars(select(Practitioner).where(Practitioner.name == "Dr Mei Lin")).one()
        lin.licence_expires_on = date(2026, 3, 1)
        novak = session.scalars(select(Practitioner).where(Practitioner.name == "Sara Novak")).one()
        novak.licence_expires_on = date(2026, 3, 20)
    assert log_in(client, logins["desk"]) == 303
    page = client.get("/staff/setup/practitioners").get_data(as_text=True)
    assert "Licence expired on 1 Mar 2026: not bookable until it is renewed." in page
    assert "Licence expires on 20 Mar 2026, in 18 days." in page
    assert "Tom Okafor</strong>:" not in page
    assert "/staff/setup/practitioners/new" not in page  # no set-up links for the front desk


def test_a_bad_practitioner_form_shows_each_error_next_to_its_field(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    before = table_rows(db, Practitioner)
    response = client.post(
        "/staff/setup/practitioners/new",
        data={"csrf_token": token, "name": "", "licence_expires_on": "31/12/2027"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="name"[^>]*aria-describedby="name-error"[^>]*aria-invalid="true"', page)
    assert '<div id="name-error"><p class="error">This is required.</p></div>' in page
    assert "Enter a date like 2027-03-31." in page
    assert 'value="31/12/2027"' in page  # what was typed is kept
    assert table_rows(db, Practitioner) == before


def test_hours_with_a_break_are_saved_and_overlaps_are_refused(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    practitioner_id = id_of(db, Practitioner, name="Dr Mei Lin")
    path = f"/staff/setup/practitioners/{practitioner_id}/hours"
    bad = client.post(path, data={"csrf_token": token, "hours_0": "09:00-13:00, 12:00-17:00"})
    assert bad.status_code == 422
    assert "09:00-13:00 and 12:00-17:00 overlap." in bad.get_data(as_text=True)
    good = client.post(
        path, data={"csrf_token": token, "hours_0": "09:00-12:30, 13:30-17:00", "hours_2": ""}
    )
    assert good.status_code == 303
    with db.session() as session:
        hours = session.scalars(
            select(WorkingHours)
            .where(WorkingHours.practitioner_id == practitioner_id)
            .order_by(WorkingHours.starts)
        ).all()
        assert [(h.weekday, f"{h.starts:%H:%M}", f"{h.ends:%H:%M}") for h in hours] == [
            (0, "09:00", "12:30"),
            (0, "13:30", "17:00"),
        ]
    assert 'value="09:00-12:30, 13:30-17:00"' in client.get(path).get_data(as_text=True)


def test_a_text_with_a_health_word_is_refused_and_a_good_one_previewed_saved_and_reset(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    path = "/staff/setup/texts/reminder_48h"
    bad = client.post(
        path,
        data={"csrf_token": token, "action": "save", "body": "Your migraine visit is {when}"},
    )
    assert bad.status_code == 422
    assert "remove &#34;migraine&#34;" in bad.get_data(as_text=True)
    body = "Hi {first_name}, see you {when}. Reply C to confirm."
    shown = client.post(path, data={"csrf_token": token, "action": "preview", "body": body})
    page = shown.get_data(as_text=True)
    assert "Hi Alexandra, see you Tue 10 Mar at 10:15. Reply C to confirm." in page
    assert "<strong>1 segment</strong> (GSM-7" in page
    with db.session() as session:
        assert session.scalars(select(MessageTemplate)).first() is None  # preview saves nothing
    long = client.post(
        path, data={"csrf_token": token, "action": "preview", "body": body + " Bring a towel." * 8}
    )
    assert "<strong>2 segments</strong>" in long.get_data(as_text=True)
    assert "More than one segment" in long.get_data(as_text=True)
    assert (
        client.post(path, data={"csrf_token": token, "action": "save", "body": body}).status_code
        == 303
    )
    with db.session() as session:
        saved = session.scalars(select(MessageTemplate)).one()
        assert (saved.kind, saved.body) == (MessageKind.REMINDER_48H.value, body)
        assert saved.updated_by_id == id_of(db, StaffUser, email=logins["admin"])
    assert client.post(f"{path}/reset", data={"csrf_token": token}).status_code == 303
    with db.session() as session:
        assert session.scalars(select(MessageTemplate)).first() is None


def test_an_unknown_kind_of_text_is_404(client: FlaskClient, logins: dict[str, str]) -> None:
    admin(client, logins)
    assert client.get("/staff/setup/texts/reply").status_code == 404
    assert client.get("/staff/setup/texts/nonsense").status_code == 404
    assert client.get("/staff/setup/practitioners/999").status_code == 404


def test_an_admin_creates_an_account_and_cannot_deactivate_themself(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    short = client.post(
        "/staff/setup/accounts/new",
        data={
            "csrf_token": token,
            "email": "new@clinic.test",
            "name": "New",
            "role": "front_desk",
            "password": "short",
        },
    )
    assert short.status_code == 422
    page = short.get_data(as_text=True)
    assert "Use at least 12 characters." in page
    assert "short" not in re.findall(r'name="password"[^>]*>', page)[0]  # never echoed
    made = client.post(
        "/staff/setup/accounts/new",
        data={
            "csrf_token": token,
            "email": "new@clinic.test",
            "name": "New",
            "role": "front_desk",
            "password": "twelve chars ok",
        },
    )
    assert made.status_code == 303
    me = id_of(db, StaffUser, email=logins["admin"])
    refused = client.post(
        f"/staff/setup/accounts/{me}/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(StaffUser, me).active is True


def test_a_deactivated_account_is_signed_out_on_its_next_page(
    db: Database, app: Flask, logins: dict[str, str]
) -> None:
    desk = app.test_client()
    assert log_in(desk, logins["desk"]) == 303
    assert desk.get("/staff").status_code == 200
    boss = app.test_client()
    token = admin(boss, logins)
    desk_id = id_of(db, StaffUser, email=logins["desk"])
    response = boss.post(
        f"/staff/setup/accounts/{desk_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 303
    assert desk.get("/staff").status_code == 302


def test_a_closure_added_on_the_page_is_listed_in_local_time(
    db: Database, client: FlaskClient, logins: dict[str, str]
) -> None:
    token = admin(client, logins)
    reversed_ = client.post(
        "/staff/setup/closures",
        data={"csrf_token": token, "starts": "2026-04-06T18:00", "ends": "2026-04-06T08:00"},
    )
    assert reversed_.status_code == 422
    assert "The end must be after the start." in reversed_.get_data(as_text=True)
    added = client.post(
        "/staff/setup/closures",
        data={
            "csrf_token": token,
            "starts": "2026-04-06T00:00",
            "ends": "2026-04-07T00:00",
            "reason": "Easter Monday",
        },
        follow_redirects=True,
    )
    page = added.get_data(as_text=True)
    assert "Mon 6 Apr 2026 00:00" in page and "Easter Monday" in page
