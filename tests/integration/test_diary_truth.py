"""A diary that cannot contradict itself, over HTTP on both databases: an attack on a day saved
as pain-free, the optional attack details, a baseline still being collected, and the diary
prompts staff read against the consent ledger."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import ConsentKind, DiaryAttack, Patient
from scheduler.patients.consents import record_consent_answers
from scheduler.patients.record import diary_prompts_text
from tests.integration.test_diary_pages import add_days, csrf, entries, the_patient, token
from tests.support.factories import book
from tests.support.records import add_staff
from tests.support.staff import sign_in

__all__ = ["token"]  # the fixture, shared with the diary pages' tests

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def attack_post(csrf_token: str, **changes: str) -> dict[str, str]:
    """An attack with only what the form needs: when, and the worst pain."""
    form = {
        "csrf_token": csrf_token,
        "start_day": "2026-03-01",
        "start_time": "21:00",
        "end_day": "2026-03-01",
        "end_time": "23:30",
        "peak_pain": "8",
    }
    form.update(changes)
    return form


def test_an_attack_on_a_pain_free_day_makes_it_a_headache_day_and_says_so(
    client: FlaskClient, token: str, db: Database
) -> None:
    value = csrf(client, f"/m/{token}/diary")
    client.post(f"/m/{token}/diary/pain-free", data={"csrf_token": value, "day": "2026-03-01"})
    response = client.post(f"/m/{token}/diary/attack", data=attack_post(value))
    assert response.status_code == 303
    (day,) = entries(db)
    assert (day.day, day.headache, day.worst_pain, day.hours) == (date(2026, 3, 1), True, 8, 2.5)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "You had recorded Sunday 1 March as pain-free; because of this attack it is now a "
        "headache day." in page
    )
    assert "Pain 8, 2.5 h" in page and "Pain-free" not in page.split("Recent days")[1]


def test_a_pain_free_tap_on_a_day_with_an_attack_is_refused_in_plain_words(
    client: FlaskClient, token: str, db: Database
) -> None:
    value = csrf(client, f"/m/{token}/diary")
    assert client.post(f"/m/{token}/diary/attack", data=attack_post(value)).status_code == 303
    response = client.post(
        f"/m/{token}/diary/pain-free", data={"csrf_token": value, "day": "2026-03-01"}
    )
    assert response.headers["Location"].endswith("/diary?day=2026-03-01")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You recorded an attack on this day, so it cannot be pain-free." in page
    assert entries(db) == []
    no_pain = {"csrf_token": value, "day": "2026-03-01", "worst_pain": "0"}
    refused = client.post(f"/m/{token}/diary", data=no_pain)
    assert refused.status_code == 422
    assert "choose the worst pain you had, or change the attack" in refused.get_data(as_text=True)
    assert entries(db) == []


def test_the_optional_attack_details_are_optional_and_stay_unsaid(
    client: FlaskClient, token: str, db: Database
) -> None:
    value = csrf(client, f"/m/{token}/diary/attack")
    response = client.post(f"/m/{token}/diary/attack", data=attack_post(value))
    assert response.status_code == 303
    with db.session() as session:
        attack = session.scalars(select(DiaryAttack)).one()
    assert (attack.side, attack.quality, attack.peak_pain) == ("", "", 8)
    form = client.get(f"/m/{token}/diary/attack?id={attack.id}").get_data(as_text=True)
    assert " checked" not in form.split('name="side"')[0].split("peak_pain")[-1]
    for name in ("side", "quality", "function"):
        assert f'name="{name}" value=' in form
    assert not any(f'name="{n}" value="{v}" checked' in form for n, v in _choices())
    assert "How much you could do (optional)" in form
    wrong = client.post(f"/m/{token}/diary/attack", data=attack_post(value, side="top"))
    assert wrong.status_code == 422


def _choices() -> list[tuple[str, str]]:
    return [
        ("side", "left"),
        ("side", "right"),
        ("side", "both"),
        ("quality", "pulsating"),
        ("quality", "pressing"),
        ("function", "normal"),
        ("function", "reduced"),
        ("function", "bed"),
    ]


def test_progress_marks_a_baseline_still_being_collected(
    client: FlaskClient, token: str, db: Database
) -> None:
    # The diary starts 12 days ago and the first visit is ahead: no 28 days to compare yet.
    add_days(db, the_patient(db), date(2026, 3, 2) - timedelta(days=11), 12)
    page = client.get(f"/m/{token}/progress").get_data(as_text=True)
    assert "are still being collected: 12 of 28 days so far, with 6 headache days." in page
    assert "Compared with" not in page and not re.search(r"\b1 days", page)
    assert "First month:" not in page and "Before treatment:" not in page


@pytest.mark.parametrize(
    ("answers", "stopped", "shown"),
    [
        ({ConsentKind.DIARY_PROMPTS: False}, False, "Off: declined"),
        ({ConsentKind.DIARY_PROMPTS: True}, True, "Off: texts stopped (STOP)"),
        ({ConsentKind.DIARY_PROMPTS: True}, False, "Daily at 20:00"),
    ],
)
def test_staff_read_the_diary_prompts_the_consent_ledger_allows(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    answers: dict[ConsentKind, bool],
    stopped: bool,
    shown: str,
) -> None:
    staff = add_staff(db, clock)
    pid = book(db, settings, clock.now(), WEDNESDAY_10AM).patient.id
    with db.transaction() as session:
        patient = session.get_one(Patient, pid)
        record_consent_answers(session, patient, answers, channel="web", now=clock.now())
        patient.sms_opted_out_at = clock.now() if stopped else None
        expected = diary_prompts_text(patient)
    assert expected.startswith(shown.split(" at ")[0])
    sign_in(client, staff["desk"])
    html = client.get(f"/staff/patients/{pid}").get_data(as_text=True)
    assert f"<dt>Diary prompts</dt><dd>{expected}</dd>" in html
    if not stopped and not answers[ConsentKind.DIARY_PROMPTS]:
        assert html.count("daily at") == 0 and "Off: declined" in html
