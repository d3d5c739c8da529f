"""The patient's questionnaire pages over HTTP, on both databases: forms, errors, scores, links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.models import QuestionnaireResponse
from tests.integration.test_courses import NOW, request_for
from tests.integration.test_questionnaires import HIT6_SOME, attend
from tests.support.factories import demo_clinic


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def booked(db: Database, settings: Settings) -> tuple[int, str]:
    """(course id, manage token) of a course booked on Sunday 1 March; the pages' clock is
    Monday 2 March 08:00, so both baseline questionnaires are waiting."""
    with db.transaction() as session:
        result = book_course(session, request_for(db), settings=settings, now=NOW)
        return result.course.id, result.manage_token


@pytest.fixture
def token(booked: tuple[int, str]) -> str:
    return booked[1]


def csrf(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def form(token: str, kind: str, point: str = "baseline") -> str:
    return f"/m/{token}/questionnaires/{kind}?point={point}"


def hit6_form(answers: dict[str, int], csrf_token: str) -> dict[str, str]:
    return {"csrf_token": csrf_token, **{f"item_{k}": str(v) for k, v in answers.items()}}


def stored(db: Database) -> list[tuple[str, str, int]]:
    with db.session() as session:
        return [
            (r.kind.value, r.point, r.score)
            for r in session.scalars(
                select(QuestionnaireResponse).order_by(QuestionnaireResponse.id)
            )
        ]


def test_the_list_shows_what_is_waiting_and_the_manage_page_links_to_it(
    client: FlaskClient, token: str
) -> None:
    manage = client.get(f"/m/{token}").get_data(as_text=True)
    assert "2 short questionnaires are waiting for you" in manage
    assert f'href="/m/{token}/questionnaires"' in manage
    page = client.get(f"/m/{token}/questionnaires").get_data(as_text=True)
    assert "HIT-6: the impact of headaches" in page
    assert "MIDAS: how headaches affect your days" in page
    assert f'href="/m/{token}/questionnaires/hit6?point=baseline"' in page
    assert "You have not answered a questionnaire yet." in page


def test_the_hit6_form_has_a_fieldset_and_legend_per_item_and_a_label_per_answer(
    client: FlaskClient, token: str
) -> None:
    page = client.get(form(token, "hit6")).get_data(as_text=True)
    assert page.count("<fieldset") == 6
    assert page.count("<legend>") == 6
    radios = re.findall(r'<input type="radio" id="([^"]+)" name="item_(\d)" value="(\d+)"', page)
    assert len(radios) == 30
    assert {value for _id, _name, value in radios} == {"6", "8", "10", "11", "13"}
    for radio_id, _name, _value in radios:
        assert f'<label class="choice" for="{radio_id}">' in page
    assert "Severe pain" in page and "Never" in page and "Very often" in page


def test_the_midas_form_has_a_labelled_numeric_input_per_item(
    client: FlaskClient, token: str
) -> None:
    page = client.get(form(token, "midas")).get_data(as_text=True)
    inputs = re.findall(
        r'<input class="days" id="(item_\w)" name="\1" type="text" inputmode="numeric"', page
    )
    assert inputs == ["item_1", "item_2", "item_3", "item_4", "item_5", "item_A", "item_B"]
    for input_id in inputs:
        assert f'<label for="{input_id}">' in page
    assert "These questions are about the last 3 months." in page


def test_answering_hit6_shows_the_score_and_what_it_means(
    client: FlaskClient, db: Database, token: str
) -> None:
    response = client.post(
        form(token, "hit6"), data=hit6_form(HIT6_SOME, csrf(client, form(token, "hit6")))
    )
    assert response.status_code == 303
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your score: <strong>52</strong>: some impact." in result
    assert "This is your first HIT-6 with us." in result
    assert stored(db) == [("hit6", "baseline", 52)]
    page = client.get(f"/m/{token}/questionnaires").get_data(as_text=True)
    assert "HIT-6" in page and "52" in page and "some impact" in page
    assert f"/m/{token}/questionnaires/hit6?point=baseline" not in page  # no longer waiting
    assert "A short questionnaire is waiting for you" in client.get(f"/m/{token}").get_data(
        as_text=True
    )  # MIDAS still is


def test_answering_midas_shows_the_grade_in_plain_words(
    client: FlaskClient, db: Database, token: str
) -> None:
    data = {"1": "2", "2": "3", "3": "1", "4": "4", "5": "12", "A": "30", "B": "6"}
    response = client.post(
        form(token, "midas"),
        data={
            "csrf_token": csrf(client, form(token, "midas")),
            **{f"item_{k}": v for k, v in data.items()},
        },
    )
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your score: <strong>22</strong>, grade IV: severe disability." in result
    assert stored(db) == [("midas", "baseline", 22)]


def test_bad_answers_are_shown_next_to_their_question_and_nothing_is_written(
    client: FlaskClient, db: Database, token: str
) -> None:
    data = {"1": "60", "2": "31", "3": "", "4": "0", "5": "ninety", "A": "91", "B": "4"}
    response = client.post(
        form(token, "midas"),
        data={
            "csrf_token": csrf(client, form(token, "midas")),
            **{f"item_{k}": v for k, v in data.items()},
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="item_2-error">Questions 1 and 2 add up to 91 days', page)
    assert 'id="item_3-error">Give a number of days from 0 to 90 (0 if none).' in page
    assert 'id="item_5-error">Give a whole number of days from 0 to 90.' in page
    assert 'id="item_A-error">Give a whole number of days from 0 to 90.' in page
    assert "item_1-error" not in page and "item_B-error" not in page
    assert 'value="ninety"' in page and 'value="60"' in page  # what they typed stays
    assert 'aria-invalid="true"' in page
    assert "There is a problem" in page and 'href="#item_3"' in page
    assert stored(db) == []


def test_a_missing_hit6_answer_is_named_and_the_others_stay_chosen(
    client: FlaskClient, db: Database, token: str
) -> None:
    answers = {k: v for k, v in HIT6_SOME.items() if k != "4"}
    response = client.post(
        form(token, "hit6"), data=hit6_form(answers, csrf(client, form(token, "hit6")))
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="item_4-error">Choose one answer.' in page
    assert re.search(r'id="item_1_10" name="item_1" value="10" checked', page)
    assert stored(db) == []


def test_a_post_without_its_csrf_token_is_refused(
    client: FlaskClient, db: Database, token: str
) -> None:
    response = client.post(form(token, "hit6"), data=hit6_form(HIT6_SOME, ""))
    assert response.status_code == 400
    assert stored(db) == []


def test_a_tampered_or_unknown_link_gets_the_plain_error_page(
    client: FlaskClient, db: Database, token: str
) -> None:
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (
        f"/m/{tampered}/questionnaires",
        form(tampered, "hit6"),
        f"/m/{tampered}/questionnaires/results/1",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link is not valid" in response.get_data(as_text=True)
    posted = client.post(
        form(tampered, "hit6"), data=hit6_form(HIT6_SOME, csrf(client, form(token, "hit6")))
    )
    assert posted.status_code == 404
    assert stored(db) == []


def test_a_double_submit_keeps_the_first_answers(
    client: FlaskClient, db: Database, token: str
) -> None:
    csrf_token = csrf(client, form(token, "hit6"))
    first = client.post(form(token, "hit6"), data=hit6_form(HIT6_SOME, csrf_token))
    again = client.post(
        form(token, "hit6"), data=hit6_form(dict.fromkeys(HIT6_SOME, 13), csrf_token)
    )
    assert first.status_code == again.status_code == 303
    listing = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "These answers were already recorded; your first answers are kept." in listing
    assert stored(db) == [("hit6", "baseline", 52)]
    reopened = client.get(form(token, "hit6"))  # the back button: the form is not shown again
    assert reopened.status_code == 303


def test_a_questionnaire_that_is_not_open_is_not_shown(
    client: FlaskClient, db: Database, token: str
) -> None:
    for path in (
        form(token, "hit6", "session-4"),
        form(token, "midas", "month-3"),
        form(token, "hit6", ""),
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "This questionnaire is not open" in response.get_data(as_text=True)
    posted = client.post(
        form(token, "hit6", "session-8"),
        data=hit6_form(HIT6_SOME, csrf(client, form(token, "hit6"))),
    )
    assert posted.status_code == 404
    assert client.get(form(token, "phq9")).status_code == 404
    assert stored(db) == []


def test_another_patients_result_is_not_shown(
    client: FlaskClient, db: Database, settings: Settings, token: str
) -> None:
    with db.transaction() as session:
        other = book_course(
            session,
            request_for(db, phone="07400123999", start=NOW.replace(day=3, hour=10)),
            settings=settings,
            now=NOW,
        )
    response = client.post(
        form(token, "hit6"), data=hit6_form(HIT6_SOME, csrf(client, form(token, "hit6")))
    )
    result_path = response.headers["Location"]
    assert client.get(result_path).status_code == 200
    assert client.get(result_path.replace(token, other.manage_token)).status_code == 404


def test_the_result_shows_the_change_since_last_time(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    booked: tuple[int, str],
) -> None:
    course_id, token = booked
    worse = {**HIT6_SOME, "1": 13, "2": 13}  # 58
    client.post(form(token, "hit6"), data=hit6_form(worse, csrf(client, form(token, "hit6"))))
    after_session_4 = attend(db, settings, course_id, 5)
    clock.advance(after_session_4 - clock.now())
    path = form(token, "hit6", "session-4")
    response = client.post(path, data=hit6_form(HIT6_SOME, csrf(client, path)))
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "6 points lower than last time (58). A fall of 5 points or more is a real improvement."
        in result
    )
    assert "After session 4" in result


def test_the_clinic_can_load_its_licensed_wording(
    settings: Settings, clock: FrozenClock, redis_client: object, token: str, tmp_path: Path
) -> None:
    from web.app import create_app

    data = json.loads(
        (Path(__file__).parents[2] / "scheduler/data/questionnaires.json").read_text()
    )
    data["hit6"]["items"][2]["text"] = "Licensed wording of item three"
    path = tmp_path / "licensed.json"
    path.write_text(json.dumps(data))
    app: Flask = create_app(settings.with_overrides(questionnaires_file=str(path)), clock)
    page = app.test_client().get(form(token, "hit6")).get_data(as_text=True)
    assert "Licensed wording of item three" in page
