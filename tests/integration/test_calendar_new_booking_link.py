"""A free time on the calendar offers "New booking" only to staff who may book."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.integration.test_staff_calendar import accounts
from tests.support.staff import sign_in

__all__ = ["accounts"]


def new_booking_link(client: FlaskClient) -> str:
    page = client.get("/staff/calendar?view=day&date=2026-03-04").get_data(as_text=True)
    match = re.search(r'data-new-booking="([^"]*)"', page)
    assert match, page[:500]
    return match.group(1)


@pytest.mark.parametrize(("who", "offered"), [("desk", True), ("admin", True), ("lin", False)])
def test_only_staff_who_may_book_are_offered_a_new_booking_on_a_free_time(
    client: FlaskClient, accounts: dict[str, str], who: str, offered: bool
) -> None:
    sign_in(client, accounts[who])
    link = new_booking_link(client)
    assert (link == "/staff/bookings/new") is offered
    assert offered or link == ""
