"""Clinic details and service prices in set-up, through the Flask client on both databases:
what an admin saves reaches the booking pages; bad input is refused and changes nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Service
from scheduler.models.clinic import ClinicDetails
from tests.support.staff import create_accounts, csrf, log_in

GOOD = {
    "address": "4 Mill Road\nCambridge\nCB1 2AD",
    "map_url": "",
    "cancellation_policy": "A late cancellation is charged at half the visit's price.",
}


@pytest.fixture
def token(client: FlaskClient, db: Database, clock: FrozenClock) -> str:
    logins = create_accounts(db, clock)
    assert log_in(client, logins["admin"]) == 303
    return csrf(client)


def stored(db: Database) -> tuple[str, str, str]:
    with db.session() as session:
        row = session.get(ClinicDetails, 1)
        assert row is not None
        return row.address, row.map_url, row.cancellation_policy


def test_an_admin_saves_the_address_and_policy_and_patients_see_them_with_a_map_link(
    client: FlaskClient, db: Database, token: str
) -> None:
    response = client.post("/staff/setup/clinic", data={**GOOD, "csrf_token": token})
    assert response.status_code == 303
    assert stored(db) == ("4 Mill Road, Cambridge, CB1 2AD", "", GOOD["cancellation_policy"])
    page = client.get("/").get_data(as_text=True)
    assert "4 Mill Road, Cambridge, CB1 2AD" in page
    assert "https://www.openstreetmap.org/search?query=4+Mill+Road%2C+Cambridge%2C+CB1+2AD" in page
    assert "half the visit&#39;s price" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", "  ", "This is required."),
        ("address", "x" * 301, "Use at most 300 characters."),
        ("map_url", "http://maps.example/clinic", "Enter a web address starting https://"),
        ("map_url", "javascript:alert(1)", "Enter a web address starting https://"),
        ("cancellation_policy", "y" * 1001, "Use at most 1000 characters."),
    ],
)
def test_bad_clinic_details_are_refused_next_to_their_field_and_nothing_changes(
    client: FlaskClient, db: Database, token: str, field: str, value: str, message: str
) -> None:
    before = stored(db)
    response = client.post("/staff/setup/clinic", data={**GOOD, field: value, "csrf_token": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in body
    assert stored(db) == before


def test_the_clinic_details_form_needs_the_csrf_token(
    client: FlaskClient, db: Database, token: str
) -> None:
    before = stored(db)
    assert client.post("/staff/setup/clinic", data=GOOD).status_code == 400
    assert stored(db) == before


def price_of(db: Database, name: str) -> int | None:
    with db.session() as session:
        return session.scalars(select(Service.price_pence).where(Service.name == name)).one()


def service_form(db: Database, price: str) -> tuple[str, dict[str, str]]:
    with db.session() as session:
        service = session.scalars(select(Service).where(Service.name == "Acupuncture")).one()
        url = f"/staff/setup/services/{service.id}"
    data = {"name": "Acupuncture", "duration_min": "45", "buffer_min": "10", "needs_room": "1"}
    return url, {**data, "price": price}


@pytest.mark.parametrize("price", ["-5", "45.555", "ten pounds", "100001", "1e3"])
def test_a_price_that_is_not_an_amount_is_refused_and_the_old_price_kept(
    client: FlaskClient, db: Database, token: str, price: str
) -> None:
    url, data = service_form(db, price)
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 422
    assert "Enter a price like 45 or 45.50" in response.get_data(as_text=True)
    assert price_of(db, "Acupuncture") == 5500


def test_a_price_is_saved_shown_on_the_booking_pages_and_can_be_taken_away(
    client: FlaskClient, db: Database, token: str
) -> None:
    url, data = service_form(db, "£48.50")
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 303
    assert price_of(db, "Acupuncture") == 4850
    assert "£48.50" in client.get("/visit").get_data(as_text=True)
    assert 'value="48.50"' in client.get(url).get_data(as_text=True)
    url, data = service_form(db, "")
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 303
    assert price_of(db, "Acupuncture") is None
