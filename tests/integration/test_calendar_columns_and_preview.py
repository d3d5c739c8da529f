"""The clinic calendar's day columns and the question a drag asks, on both databases: asking
what a move would do changes nothing, and every bad question gets a clear answer."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from scheduler.db import Database
from scheduler.models import Appointment, MessageKind, Practitioner
from tests.integration.test_staff_calendar import (
    WEDNESDAY,
    accounts,
    texts_of,
    visit,
    week,
)
from tests.support.staff import csrf, sign_in

__all__ = ["accounts", "week"]  # fixtures shared with the calendar's other tests


def preview(client: FlaskClient, appointment_id: int, body: Any, token: str | None) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    path = f"/staff/calendar/events/{appointment_id}/move-preview"
    return client.post(path, json=body, headers=headers)


def test_asking_what_a_move_would_do_says_when_who_and_whether_the_patient_is_texted(
    client: FlaskClient, db: Database, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    body = {"start": "2026-03-05T14:00:00", "practitioner_id": week["novak"]}
    response = preview(client, week["ana"], body, csrf(client))
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["when"] == "Thursday, 5 March 2026, 14:00\u201314:45"
    assert answer["practitioner"] == "Sara Novak"
    assert answer["texted"] is True
    assert answer["texts"] == "The patient will be texted the new time."
    assert answer["question"].startswith("Move Ana Silva to Thursday, 5 March 2026")
    assert isinstance(answer["warnings"], list)
    moved = visit(db, week["ana"])
    assert moved.starts_at == WEDNESDAY.replace(hour=10), "asking moves nothing"
    assert moved.practitioner_id == week["lin"]
    assert texts_of(db, week["ana"], MessageKind.RESCHEDULED) == 0, "and plans no text"


def test_the_move_answer_says_whether_the_patient_is_texted(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    response = client.post(
        f"/staff/calendar/events/{week['ana']}/move",
        json={"start": "2026-03-05T14:00:00"},
        headers={"X-CSRFToken": csrf(client)},
    )
    assert response.status_code == 200
    assert response.get_json()["texted"] is True


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ([1, 2], 400, "JSON object"),
        ({"start": "tomorrow"}, 422, "is not a date"),
        ({"start": "2026-03-04T11:00:00"}, 409, "That time is taken"),
        ({"start": "2026-03-05T14:00:00", "practitioner_id": 0}, 422, "Choose"),
    ],
)
def test_a_bad_question_is_answered_with_a_message_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
    body: Any,
    status: int,
    says: str,
) -> None:
    sign_in(client, accounts["desk"])
    response = preview(client, week["ana"], body, csrf(client))
    assert response.status_code == status
    assert says in response.get_json()["message"]
    assert visit(db, week["ana"]).starts_at == WEDNESDAY.replace(hour=10)


def test_asking_needs_the_csrf_token_and_may_not_touch_another_practitioners_visit(
    client: FlaskClient, db: Database, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    assert preview(client, week["ana"], {"start": "2026-03-05T14:00:00"}, None).status_code == 400
    assert preview(client, 99999, {"start": "2026-03-05T14:00:00"}, csrf(client)).status_code == 404
    sign_in(client, accounts["lin"])
    other = preview(client, week["ben"], {"start": "2026-03-05T14:00:00"}, csrf(client))
    assert other.status_code == 403
    assert visit(db, week["ben"]).starts_at == WEDNESDAY.replace(hour=10)


def test_the_day_view_has_a_column_per_practitioner_or_per_room(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get("/staff/calendar?view=day&date=2026-03-04").get_data(as_text=True)
    assert page.count('class="cal-column"') == 3
    assert '<h3 class="cal-column-head">Sara Novak</h3>' in page
    assert f'data-practitioner-id="{week["novak"]}"' in page
    assert "Wednesday, 4 March 2026" in page
    rooms = client.get("/staff/calendar?view=day&date=2026-03-04&columns=rooms")
    assert '<h3 class="cal-column-head">Room 1</h3>' in rooms.get_data(as_text=True)
    one = client.get(f"/staff/calendar?view=day&date=2026-03-04&practitioner_id={week['lin']}")
    assert one.get_data(as_text=True).count('class="cal-column"') == 1


def test_a_practitioner_gets_one_column_their_own(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["lin"])
    page = client.get("/staff/calendar?view=day&date=2026-03-04").get_data(as_text=True)
    assert page.count('class="cal-column"') == 1
    assert f'data-practitioner-id="{week["lin"]}"' in page
    assert "Day view columns" not in page


def test_an_unknown_column_kind_is_explained(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    response = client.get("/staff/calendar?view=day&date=2026-03-04&columns=chairs")
    assert response.status_code == 400
    assert "Choose a column per practitioner or per room." in response.get_data(as_text=True)


def test_the_week_and_its_words_follow_the_clinics_locale(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get("/staff/calendar?view=week&date=2026-03-04").get_data(as_text=True)
    assert "2\u2009\u2013\u20098 Mar 2026" in page
    assert "&#34;firstDay&#34;: 1" in page and "&#34;locale&#34;: &#34;en-GB&#34;" in page
    feed = client.get(
        "/staff/calendar/events?start=2026-03-02T00:00:00&end=2026-03-09T00:00:00"
    ).get_json()
    ana = next(e for e in feed if e["id"] == str(week["ana"]))
    assert ana["extendedProps"]["time"] == "10:00\u201310:45"
    assert ana["extendedProps"]["when"] == "Wednesday, 4 March 2026, 10:00\u201310:45"


def test_no_visit_of_the_day_is_left_without_a_column(
    client: FlaskClient, db: Database, accounts: dict[str, str], week: dict[str, int]
) -> None:
    with db.transaction() as session:
        session.get_one(Practitioner, week["novak"]).active = False
        session.get_one(Appointment, week["ana"]).room_id = None
    sign_in(client, accounts["desk"])
    page = client.get("/staff/calendar?view=day&date=2026-03-04").get_data(as_text=True)
    assert '<h3 class="cal-column-head">Sara Novak (inactive)</h3>' in page
    assert f'data-practitioner-id="{week["novak"]}"' in page
    assert page.count('class="cal-column"') == 3, "two active practitioners and Sara Novak"
    assert page.count('data-takes-drops=""') == 1, "nothing is dropped on an inactive column"
    rooms = client.get("/staff/calendar?view=day&date=2026-03-04&columns=rooms")
    assert '<h3 class="cal-column-head">No room</h3>' in rooms.get_data(as_text=True)
    assert 'data-no-room="1" data-takes-drops=""' in rooms.get_data(as_text=True)
    feed = client.get(
        "/staff/calendar/events?start=2026-03-04T00:00:00&end=2026-03-05T00:00:00&no_room=1"
    ).get_json()
    assert [e["id"] for e in feed] == [str(week["ana"])]
    novaks = client.get(
        "/staff/calendar/events?start=2026-03-04T00:00:00&end=2026-03-05T00:00:00"
        f"&practitioner_id={week['novak']}"
    ).get_json()
    assert [e["id"] for e in novaks] == [str(week["ben"])]
