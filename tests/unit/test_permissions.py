"""The console's permission policy, question by question, for every role: no Flask, no database."""

from __future__ import annotations

import inspect
from itertools import product

import pytest

from scheduler.models import Role, StaffUser
from scheduler.staff.permissions import CLINICAL, NOBODY, OFFICE, WHOLE_CLINIC, Permissions

OWN, OTHER, ROOM = 1, 2, 7
STAFF = {
    "admin": Permissions(Role.ADMIN),
    "front desk": Permissions(Role.FRONT_DESK),
    "practitioner": Permissions(Role.PRACTITIONER, practitioner_id=OWN),
}
Y, N = True, False

# What each question is asked with, and the answer for (admin, front desk, practitioner).
TABLE: dict[str, tuple[str, tuple[object, ...], tuple[bool, bool, bool]]] = {
    "see every patient": ("see_every_patient", (), (Y, Y, N)),
    "see their own patient": ("see_patient", ({OWN},), (Y, Y, Y)),
    "see another practitioner's patient": ("see_patient", ({OTHER},), (Y, Y, N)),
    "see a patient both practitioners treat": ("see_patient", ({OWN, OTHER},), (Y, Y, Y)),
    "see a patient without visits": ("see_patient", (frozenset(),), (Y, Y, N)),
    "see the clinical sections": ("see_clinical", (), (Y, N, Y)),
    "edit contact details": ("edit_contact", (), (Y, Y, N)),
    "see their own patient's phone": ("see_phone", ({OWN},), (Y, Y, Y)),
    "see another practitioner's patient's phone": ("see_phone", ({OTHER},), (Y, Y, N)),
    "add a note": ("add_note", (), (Y, N, Y)),
    "book on a patient's behalf": ("book_for_patients", (), (Y, Y, N)),
    "revoke their own patient's links": ("revoke_links", ({OWN},), (Y, Y, Y)),
    "revoke another practitioner's patient's links": ("revoke_links", ({OTHER},), (Y, Y, N)),
    "read the history of a removed record": ("see_history_of_removed_records", (), (Y, N, N)),
    "see every calendar": ("see_every_calendar", (), (Y, Y, N)),
    "open the calendar without choosing": ("see_calendar", (None, None), (Y, Y, Y)),
    "see their own calendar": ("see_calendar", (OWN, None), (Y, Y, Y)),
    "see another practitioner's calendar": ("see_calendar", (OTHER, None), (Y, Y, N)),
    "see a room's calendar": ("see_calendar", (None, ROOM), (Y, Y, N)),
    "act on their own visit": ("act_on_visit", (OWN,), (Y, Y, Y)),
    "act on another practitioner's visit": ("act_on_visit", (OTHER,), (Y, Y, N)),
    "move a visit keeping its practitioner": ("give_visit_to", (None,), (Y, Y, Y)),
    "move a visit to themself": ("give_visit_to", (OWN,), (Y, Y, Y)),
    "hand a visit to another practitioner": ("give_visit_to", (OTHER,), (Y, Y, N)),
    "confirm a review": ("confirm_review", (), (Y, N, Y)),
    "see the whole clinic's dashboard": ("see_whole_dashboard", (), (Y, Y, N)),
    "see safety alerts without a patient": ("see_unowned_safety_alerts", (), (Y, Y, N)),
    "see the answers that raised a safety alert": ("see_safety_answers", (), (Y, N, Y)),
    "close their own patient's safety alert": (
        "close_safety_alert",
        ({OWN}, True, False),
        (Y, Y, Y),
    ),
    "close another practitioner's patient's safety alert": (
        "close_safety_alert",
        ({OTHER}, True, False),
        (Y, Y, N),
    ),
    "close an escalated alert of another's patient": (
        "close_safety_alert",
        ({OTHER}, True, True),
        (Y, Y, Y),
    ),
    "close a safety alert without a patient": (
        "close_safety_alert",
        (frozenset(), False, False),
        (Y, Y, N),
    ),
    "export the appointments": ("export", (), (Y, Y, N)),
    "keep calendar feeds": ("keep_feeds", (), (Y, N, Y)),
    "keep every practitioner's feed": ("keep_every_feed", (), (Y, N, N)),
    "keep their own feed": ("keep_feed_of", (OWN,), (Y, N, Y)),
    "keep another practitioner's feed": ("keep_feed_of", (OTHER,), (Y, N, N)),
    "see the messaging monitor": ("see_messages", (), (Y, Y, N)),
    "retry a failed message": ("retry_messages", (), (Y, Y, N)),
    "text the clinic as a patient in development": ("text_as_patient", (), (Y, Y, N)),
    "read the practitioner list": ("see_practitioner_list", (), (Y, Y, Y)),
    "run the clinic's set-up": ("run_setup", (), (Y, N, N)),
    "administer staff accounts": ("administer_staff", (), (Y, N, N)),
}
SCOPES = {
    "of",
    "patient_list_practitioner",
    "calendar_practitioner",
    "dashboard_practitioner",
    "feed_practitioners",
    "safety_alert_practitioner",
}


@pytest.mark.parametrize(
    ("question", "who"),
    list(product(TABLE, STAFF)),
    ids=[f"{who}: {question}" for question, who in product(TABLE, STAFF)],
)
def test_each_role_gets_the_answer_the_console_gives_today(question: str, who: str) -> None:
    name, args, answers = TABLE[question]
    expected = dict(zip(STAFF, answers, strict=True))[who]
    assert getattr(STAFF[who], name)(*args) is expected


def test_the_table_asks_every_question_the_policy_answers() -> None:
    public = {
        name
        for name, _ in inspect.getmembers(Permissions, inspect.isfunction)
        if not name.startswith("_")
    }
    asked = {name for name, _args, _answers in TABLE.values()}
    assert public - SCOPES == asked


def test_the_patient_list_and_the_dashboard_are_narrowed_for_a_practitioner_only() -> None:
    for who in ("admin", "front desk"):
        assert STAFF[who].patient_list_practitioner() is None
        assert STAFF[who].dashboard_practitioner() is None
    assert STAFF["practitioner"].patient_list_practitioner() == OWN
    assert STAFF["practitioner"].dashboard_practitioner() == OWN


def test_the_safety_alert_queue_is_narrowed_for_a_practitioner_only() -> None:
    for who in ("admin", "front desk"):
        assert STAFF[who].safety_alert_practitioner() is None
    assert STAFF["practitioner"].safety_alert_practitioner() == OWN
    assert Permissions(Role.PRACTITIONER).safety_alert_practitioner() == NOBODY


def test_a_practitioner_is_shown_their_own_calendar_whatever_they_ask_for() -> None:
    practitioner = STAFF["practitioner"]
    assert practitioner.calendar_practitioner(None) == OWN
    assert practitioner.calendar_practitioner(OWN) == OWN
    for who in ("admin", "front desk"):
        assert STAFF[who].calendar_practitioner(None) is None
        assert STAFF[who].calendar_practitioner(OTHER) == OTHER


def test_an_admin_keeps_every_feed_and_a_practitioner_their_own() -> None:
    assert STAFF["admin"].feed_practitioners() is None
    assert STAFF["practitioner"].feed_practitioners() == [OWN]
    assert STAFF["front desk"].feed_practitioners() == []


def test_a_practitioner_account_without_a_practitioner_sees_nobodys_work() -> None:
    unlinked = Permissions(Role.PRACTITIONER)
    assert unlinked.patient_list_practitioner() == NOBODY
    assert unlinked.dashboard_practitioner() == NOBODY
    assert unlinked.calendar_practitioner(None) == NOBODY
    assert not unlinked.see_patient({OWN, OTHER})
    assert not unlinked.see_calendar(OTHER, None)
    assert not unlinked.act_on_visit(OTHER)
    assert not unlinked.give_visit_to(OTHER)
    assert unlinked.feed_practitioners() == []


def test_the_permissions_of_a_staff_member_are_their_role_and_practitioner() -> None:
    lin = StaffUser(email="lin@clinic.test", role=Role.PRACTITIONER, practitioner_id=OWN)
    assert Permissions.of(lin) == STAFF["practitioner"]


def test_the_front_desk_is_never_clinical_and_practitioners_never_see_the_whole_clinic() -> None:
    assert Role.FRONT_DESK not in CLINICAL
    assert Role.PRACTITIONER not in WHOLE_CLINIC | OFFICE
