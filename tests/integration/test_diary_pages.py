"""The diary, progress and sharing pages over HTTP on both databases: forms, refusals next to
their fields, links that are wrong, missing CSRF tokens, the CSV file and the summary."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import (
    DiaryAttack,
    DiaryDay,
    Patient,
    QuestionnaireKind,
    QuestionnaireResponse,
)
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids

INVALID = "This link is not valid"


@pytest.fixture
def token(client: FlaskClient, db: Database) -> str:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(
            client, db, api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
        ),
    ).get_json()
    return str(created["manage_token"])


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def entries(db: Database) -> list[DiaryDay]:
    with db.session() as session:
        return list(session.scalars(select(DiaryDay).order_by(DiaryDay.day)))


def day_post(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "day": "2026-03-02",
        "worst_pain": "6",
        "hours": "3",
        "medication_taken": "yes",
        "medication_class": "simple",
        "sleep_hours": "7",
        "stress": "4",
        "triggers": ["weather", "caffeine"],
        "notes": "",
    }
    form.update(changes)
    return form


def test_the_diary_page_offers_a_pain_free_tap_and_the_last_seven_days(
    client: FlaskClient, token: str
) -> None:
    page = client.get(f"/m/{token}/diary").get_data(as_text=True)
    assert "Pain-free today" in page
    picker = page[page.index('class="day-picker"') : page.index("</nav>")]
    days = re.findall(r"day=(\d{4}-\d\d-\d\d)", picker)
    assert days == [(date(2026, 3, 2) - timedelta(days=i)).isoformat() for i in range(7)]
    assert 'aria-current="date"' in picker
    for field in ("hours", "medication_class", "sleep_hours", "stress", "notes"):
        assert f'<label for="{field}"' in page and f'id="{field}"' in page
    assert page.count('name="worst_pain"') == 11
    assert "<details" in page  # the extras are folded away


def test_a_pain_free_tap_and_then_a_day_with_pain(
    client: FlaskClient, token: str, db: Database
) -> None:
    token_value = csrf(client, f"/m/{token}/diary")
    response = client.post(
        f"/m/{token}/diary/pain-free", data={"csrf_token": token_value, "day": "2026-03-01"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/diary?day=2026-03-01")
    response = client.post(f"/m/{token}/diary", data=day_post(csrf_token=token_value))
    assert response.status_code == 303
    saved = entries(db)
    assert [(e.day, e.headache, e.worst_pain) for e in saved] == [
        (date(2026, 3, 1), False, 0),
        (date(2026, 3, 2), True, 6),
    ]
    assert saved[1].triggers == ["caffeine", "weather"]  # in the list's order
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: Monday 2 March." in page
    assert 'value="6" checked' in page  # the form shows the saved day


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"worst_pain": "11"}, "worst_pain", "from 0 (none) to 10"),
        ({"hours": "-1"}, "hours", "from 0 to 24"),
        ({"day": "2026-03-03"}, "day", "cannot be in the future"),
        ({"day": "2026-02-22"}, "day", "last 7 days only"),
        ({"triggers": ["full moon"]}, "triggers", "from the list only"),
    ],
)
def test_a_wrong_answer_is_shown_next_to_its_field_and_nothing_is_saved(
    client: FlaskClient,
    token: str,
    db: Database,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    data = day_post(csrf_token=csrf(client, f"/m/{token}/diary"), **changes)
    response = client.post(f"/m/{token}/diary", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', page)
    assert error is not None and message in error.group(1)
    assert f'aria-describedby="{field}-error"' in page
    assert count(db, DiaryDay) == 0


def test_a_double_submit_of_a_day_leaves_one_entry(
    client: FlaskClient, token: str, db: Database
) -> None:
    data = day_post(csrf_token=csrf(client, f"/m/{token}/diary"))
    assert client.post(f"/m/{token}/diary", data=data).status_code == 303
    assert client.post(f"/m/{token}/diary", data=data).status_code == 303
    assert count(db, DiaryDay) == 1


def test_a_wrong_link_gets_the_plain_error_page_everywhere(
    client: FlaskClient, token: str, db: Database
) -> None:
    token_value = csrf(client, f"/m/{token}/diary")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in ("diary", "diary/attack", "progress", "summary", "diary.csv"):
        response = client.get(f"/m/{tampered}/{path}")
        assert response.status_code == 404, path
        assert INVALID in response.get_data(as_text=True)
    for path, data in (
        ("diary", day_post()),
        ("diary/pain-free", {"day": "2026-03-02"}),
        ("diary/attack", {"start_day": "2026-03-01"}),
    ):
        response = client.post(f"/m/{tampered}/{path}", data={**data, "csrf_token": token_value})
        assert response.status_code == 404 and INVALID in response.get_data(as_text=True)
    assert count(db, DiaryDay) == count(db, DiaryAttack) == 0


def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, token: str, db: Database
) -> None:
    for path, data in (
        ("diary", day_post()),
        ("diary/pain-free", {"day": "2026-03-02"}),
        ("diary/attack", {"start_day": "2026-03-01"}),
    ):
        response = client.post(f"/m/{token}/{path}", data=data)
        assert response.status_code == 400, path
    assert count(db, DiaryDay) == count(db, DiaryAttack) == 0


def attack_post(**changes: str) -> dict[str, str]:
    form = {
        "start_day": "2026-03-01",
        "start_time": "21:15",
        "end_day": "2026-03-02",
        "end_time": "02:00",
        "peak_pain": "7",
        "side": "right",
        "quality": "pulsating",
        "nausea": "yes",
        "function": "reduced",
    }
    form.update(changes)
    return form


def test_an_attack_is_recorded_and_can_be_changed_but_not_through_someone_elses_link(
    client: FlaskClient, token: str, db: Database
) -> None:
    token_value = csrf(client, f"/m/{token}/diary/attack")
    response = client.post(f"/m/{token}/diary/attack", data=attack_post(csrf_token=token_value))
    assert response.status_code == 303
    with db.session() as session:
        attack = session.scalars(select(DiaryAttack)).one()
    assert attack.started_at == datetime(2026, 3, 1, 21, 15, tzinfo=UTC) and attack.nausea
    page = client.get(f"/m/{token}/diary").get_data(as_text=True)
    assert "Sun 1 Mar 21:15 to Mon 2 Mar 02:00, worst pain 7" in page
    edit = client.get(f"/m/{token}/diary/attack?id={attack.id}").get_data(as_text=True)
    assert 'value="21:15"' in edit and f'name="id" value="{attack.id}"' in edit
    changed = attack_post(csrf_token=token_value, peak_pain="9", id=str(attack.id))
    assert client.post(f"/m/{token}/diary/attack", data=changed).status_code == 303
    with db.session() as session:
        assert [a.peak_pain for a in session.scalars(select(DiaryAttack))] == [9]
    service_id, practitioner_id = ids(db)
    someone_else = api_booking(service_id, practitioner_id, "2026-03-05T10:00:00+00:00")
    someone_else["patient"]["phone"] = "07400 123455"
    other = client.post("/api/v1/bookings", json=proven(client, db, someone_else)).get_json()[
        "manage_token"
    ]
    assert client.get(f"/m/{other}/diary/attack?id={attack.id}").status_code == 404
    assert client.get(f"/m/{token}/diary/attack?id=abc").status_code == 404


def test_a_wrong_attack_is_shown_next_to_its_field(
    client: FlaskClient, token: str, db: Database
) -> None:
    data = attack_post(
        csrf_token=csrf(client, f"/m/{token}/diary/attack"), end_day="2026-03-01", end_time="20:00"
    )
    response = client.post(f"/m/{token}/diary/attack", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="error" id="end-error">The end must be after the start.</p>' in page
    assert 'value="21:15"' in page  # what was typed is kept
    assert count(db, DiaryAttack) == 0


def add_days(db: Database, token_patient: int, first: date, days: int, notes: str = "") -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with db.transaction() as session:
        for i in range(days):
            session.add(
                DiaryDay(
                    patient_id=token_patient,
                    day=first + timedelta(days=i),
                    headache=i % 2 == 0,
                    worst_pain=5 if i % 2 == 0 else 0,
                    hours=2.0 if i % 2 == 0 else 0.0,
                    acute_medication=i % 4 == 0,
                    notes=notes if i == 0 else "",
                    source="sms" if i % 3 == 0 else "web",
                    created_at=now,
                    updated_at=now,
                )
            )


def the_patient(db: Database) -> int:
    with db.session() as session:
        return session.scalars(select(Patient.id)).one()


def test_the_csv_has_one_row_per_day_and_defuses_formulas(
    client: FlaskClient, token: str, db: Database
) -> None:
    add_days(db, the_patient(db), date(2026, 2, 1), 3, notes='=HYPERLINK("http://x","y")')
    with db.transaction() as session:
        second = session.scalars(select(DiaryDay).order_by(DiaryDay.day)).all()
        second[1].notes, second[2].notes = "+44 call me", "@mention -2"
        second[2].triggers = ["weather", "poor_sleep"]
    response = client.get(f"/m/{token}/diary.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["date", "headache", "worst_pain_0_10", "hours_of_headache"]
    assert [r[0] for r in rows[1:]] == ["2026-02-01", "2026-02-02", "2026-02-03"]
    assert rows[1][1:5] == ["yes", "5", "2", "yes"]
    notes = [r[10] for r in rows[1:]]
    assert notes == ['\'=HYPERLINK("http://x","y")', "'+44 call me", "'@mention -2"]
    assert rows[3][9] == "Weather; Poor sleep"
    assert [r[11] for r in rows[1:]] == ["text message", "web", "web"]


def test_the_progress_page_sums_up_and_charts_with_tables(
    client: FlaskClient, token: str, db: Database
) -> None:
    patient = the_patient(db)
    add_days(db, patient, date(2026, 1, 5), 57)
    with db.transaction() as session:
        for point, score, when in (("baseline", 24, 5), ("month-3", 12, 25)):
            session.add(
                QuestionnaireResponse(
                    patient_id=patient,
                    kind=QuestionnaireKind.MIDAS,
                    point=point,
                    answers={},
                    score=score,
                    grade="III" if score > 10 else "II",
                    taken_at=datetime(2026, 2, when, 9, 0, tzinfo=UTC),
                )
            )
    page = client.get(f"/m/{token}/progress").get_data(as_text=True)
    # The first visit is on 4 March: the baseline is 4 Feb to 3 Mar, with 14 headache days.
    assert "Headache days" in page and "14 headache days" in page
    assert page.count('role="img"') == 4  # headache days, pain, medicine days, MIDAS
    assert page.count("<details>") == 4 and page.count('<table class="chart-data">') == 4
    # The 28 days before the first visit (4 Feb to 3 Mar) are not over: not compared with yet.
    assert "still being collected: 27 of 28 days so far, with 14 headache days." in page
    assert "Before treatment:" not in page and "Compared with" not in page
    assert "MIDAS scores" in page and '<th scope="row">25 Feb 2026</th><td>12</td>' in page


def test_the_progress_page_without_a_diary_says_so(client: FlaskClient, token: str) -> None:
    page = client.get(f"/m/{token}/progress").get_data(as_text=True)
    assert "No diary days recorded yet." in page and "No questionnaires answered yet." in page


def test_the_summary_for_a_doctor_is_one_printable_page(
    client: FlaskClient, token: str, db: Database, clock: FrozenClock
) -> None:
    add_days(db, the_patient(db), date(2026, 1, 5), 57)
    response = client.get(f"/m/{token}/summary")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Clearwater Clinic" in page and "+44 20 7946 0000" in page
    assert "Ana Silva" in page
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">([^<]+)</th><td>(\d+) of (\d+)</td>", page)
    assert [r[0] for r in rows] == [
        "9 Dec 2025",
        "6 Jan 2026",
        "3 Feb 2026",
        "Baseline: 4 Feb 2026 (before treatment)",
    ]
    assert ("3 Feb 2026", "28", "28") in rows  # every day of the last window was recorded
    assert "<td>4 Mar 2026</td><td>Acupuncture</td><td>booked</td>" in page
    with db.transaction() as session:
        session.add(
            QuestionnaireResponse(
                patient_id=the_patient(db),
                kind=QuestionnaireKind.HIT6,
                point="baseline",
                answers={},
                score=62,
                grade="severe impact",
                taken_at=datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
            )
        )
    page = client.get(f"/m/{token}/summary").get_data(as_text=True)
    assert "<td>20 Feb 2026</td><td>HIT-6 <small>(Before your course starts)</small></td>" in page
    assert "<td>62</td><td>severe impact</td>" in page
    css = client.get("/static/site.css").get_data(as_text=True)
    assert "@media print" in css


def test_the_manage_page_links_to_the_diary_and_progress(client: FlaskClient, token: str) -> None:
    page = client.get(f"/m/{token}").get_data(as_text=True)
    assert f'href="/m/{token}/diary"' in page and f'href="/m/{token}/progress"' in page
