"""Proving a phone on both databases: codes texted and limited, answers counted, proofs spent
once, and a proven number owned by one patient whichever booking proves it again."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.clinical.safety import assess
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import NotFound, ValidationFailed
from scheduler.messaging.texts import forbidden_words_in
from scheduler.models import (
    Appointment,
    ConsentKind,
    MessageKind,
    OutboundMessage,
    Patient,
    PhoneVerification,
)
from scheduler.patients.verification import (
    CODES_PER_ADDRESS_PER_HOUR,
    CODES_PER_NUMBER_PER_HOUR,
    MAX_TRIES,
    CodeCheck,
    CodeExpired,
    CodeRequestRefused,
    CodeSent,
    CodeSpent,
    Purged,
    check_code,
    purge_stale,
    redeem_proof,
    request_code,
    resend_code,
    verification_id_from,
    verification_ref,
)
from scheduler.visits.booking import book_visit
from scheduler.visits.intake import SafetyStop, book_visit_screened
from tests.conftest import MONDAY_8AM
from tests.support.booking_requests import PHONE, prove_phone, texted_code
from tests.support.factories import booking_request, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
ADDRESS = "198.51.100.7"
CLEAR = {"thunderclap": False}
CONSENT_NO_TEXTS: dict[str, object] = {"consent_reminders": False}


def ask(
    db: Database,
    settings: Settings,
    now: datetime = MONDAY_8AM,
    phone: str = PHONE,
    address: str = ADDRESS,
    **options: object,
) -> CodeSent:
    with db.transaction() as session:
        return request_code(session, phone, address, settings, now, **options)  # type: ignore[arg-type]


def answer(
    db: Database, settings: Settings, verification_id: int, code: str, now: datetime = MONDAY_8AM
) -> CodeCheck:
    with db.transaction() as session:
        return check_code(session, verification_id, code, settings, now)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_code_is_texted_at_once_through_the_outbox_and_kept_only_as_a_hash(
    db: Database, settings: Settings
) -> None:
    sent = ask(db, settings, phone="07400 123456")
    code = texted_code(db)
    with db.session() as session:
        row = session.get_one(PhoneVerification, sent.verification_id)
        text = session.scalars(select(OutboundMessage)).one()
    assert (sent.phone, sent.expires_at) == (PHONE, MONDAY_8AM + timedelta(minutes=10))
    assert sent.resend_at == MONDAY_8AM + timedelta(seconds=60)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert ADDRESS not in row.requester
    assert (text.kind, text.patient_id, text.to_phone) == (MessageKind.PHONE_CODE, None, PHONE)
    assert (text.status, text.due_at) == ("pending", MONDAY_8AM)
    assert text.body == (
        f"Clearwater Clinic: your code is {code}. It expires in 10 minutes. "
        "If you did not ask for it, ignore this text."
    )
    assert forbidden_words_in(text.body) == [] and "http" not in text.body


def test_a_number_that_cannot_take_a_text_is_refused_and_nothing_is_written(
    db: Database, settings: Settings
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(db, settings, phone="12")
    assert list(refused.value.fields) == ["phone"]
    assert count(db, PhoneVerification) == count(db, OutboundMessage) == 0


@pytest.mark.parametrize("phone", ["+881631234567", "+2348031234567", "+79161234567"])
def test_a_number_in_a_country_the_clinic_does_not_serve_gets_no_code(
    db: Database, settings: Settings, phone: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(db, settings, phone=phone)
    assert list(refused.value.fields) == ["phone"]
    assert count(db, PhoneVerification) == count(db, OutboundMessage) == 0


def test_a_new_code_for_the_same_number_waits_a_minute(db: Database, settings: Settings) -> None:
    ask(db, settings)
    with pytest.raises(CodeRequestRefused) as refused:
        ask(db, settings, MONDAY_8AM + timedelta(seconds=45))
    assert (refused.value.reason, refused.value.retry_after_s) == ("resend", 15)
    assert count(db, PhoneVerification) == count(db, OutboundMessage) == 1
    ask(db, settings, MONDAY_8AM + timedelta(seconds=61))
    assert count(db, OutboundMessage) == 2


def test_a_number_gets_a_few_codes_an_hour_then_is_told_when_to_ask_again(
    db: Database, settings: Settings
) -> None:
    minute = timedelta(seconds=61)
    for n in range(CODES_PER_NUMBER_PER_HOUR):
        ask(db, settings, MONDAY_8AM + n * minute, address=f"192.0.2.{n}")
    later = MONDAY_8AM + CODES_PER_NUMBER_PER_HOUR * minute
    with pytest.raises(CodeRequestRefused) as refused:
        ask(db, settings, later, address="192.0.2.99")
    assert refused.value.reason == "number"
    assert refused.value.retry_after_s == (MONDAY_8AM + timedelta(hours=1) - later).seconds
    assert count(db, OutboundMessage) == CODES_PER_NUMBER_PER_HOUR


def test_one_address_gets_a_few_codes_an_hour_whatever_the_numbers(
    db: Database, settings: Settings
) -> None:
    for n in range(CODES_PER_ADDRESS_PER_HOUR):
        ask(db, settings, phone=f"+4474001234{n:02d}")
    with pytest.raises(CodeRequestRefused) as refused:
        ask(db, settings, phone="+447400123499")
    assert (refused.value.reason, refused.value.retry_after_s) == ("address", 3600)
    assert count(db, OutboundMessage) == CODES_PER_ADDRESS_PER_HOUR
    ask(db, settings, phone="+447400123499", address="192.0.2.1")  # another address may


def test_the_right_code_gives_a_proof_once(db: Database, settings: Settings) -> None:
    sent = ask(db, settings)
    code = texted_code(db)
    result = answer(db, settings, sent.verification_id, f"{code[:3]} {code[3:]}")
    assert result.right and len(result.proof) >= 32
    assert result.proof_expires_at == MONDAY_8AM + timedelta(minutes=30)
    with pytest.raises(CodeSpent) as again:
        answer(db, settings, sent.verification_id, code)
    assert again.value.answered
    with db.session() as session:
        row = session.get_one(PhoneVerification, sent.verification_id)
        assert row.proof_hash and result.proof not in row.proof_hash


def test_five_wrong_answers_kill_the_code_even_for_the_right_one(
    db: Database, settings: Settings
) -> None:
    sent = ask(db, settings)
    code = texted_code(db)
    tries = [answer(db, settings, sent.verification_id, wrong(code)) for _ in range(MAX_TRIES)]
    assert [(t.right, t.tries_left) for t in tries] == [(False, n) for n in (4, 3, 2, 1, 0)]
    with pytest.raises(CodeSpent) as dead:
        answer(db, settings, sent.verification_id, code)
    assert not dead.value.answered
    with db.session() as session:
        assert session.get_one(PhoneVerification, sent.verification_id).attempts == MAX_TRIES


def test_an_answer_that_is_not_six_digits_is_refused_without_using_a_try(
    db: Database, settings: Settings
) -> None:
    sent = ask(db, settings)
    for typed in ("", "12345", "1234567", "12a456", "١٢٣٤٥٦"):
        with pytest.raises(ValidationFailed) as refused:
            answer(db, settings, sent.verification_id, typed)
        assert list(refused.value.fields) == ["code"]
    with db.session() as session:
        assert session.get_one(PhoneVerification, sent.verification_id).attempts == 0


def test_a_code_expires_after_ten_minutes(db: Database, settings: Settings) -> None:
    sent = ask(db, settings)
    code = texted_code(db)
    with pytest.raises(CodeExpired):
        answer(db, settings, sent.verification_id, code, MONDAY_8AM + timedelta(minutes=10))
    with pytest.raises(NotFound):
        answer(db, settings, 999_999, code)


def test_answers_sent_side_by_side_get_no_more_than_five_tries(
    db: Database, settings: Settings, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    sent = ask(db, settings)
    code = texted_code(db)
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            outcomes.append(str(answer(db, settings, sent.verification_id, wrong(code)).right))
        except CodeSpent:
            outcomes.append("spent")

    workers = [threading.Thread(target=guess) for _ in range(12)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert outcomes.count("False") == MAX_TRIES and outcomes.count("spent") == 12 - MAX_TRIES


def test_a_proof_is_spent_once_within_its_half_hour_on_its_own_number(
    db: Database, settings: Settings
) -> None:
    proof = prove_phone(db, settings, MONDAY_8AM)
    with db.transaction() as session, pytest.raises(ValidationFailed) as other:
        redeem_proof(session, proof, "+447400123499", MONDAY_8AM)
    assert "another number" in other.value.fields["phone_proof"][0]
    late = MONDAY_8AM + timedelta(minutes=30)
    with db.transaction() as session, pytest.raises(ValidationFailed):
        redeem_proof(session, proof, PHONE, late)
    with db.transaction() as session:
        redeem_proof(session, proof, PHONE, MONDAY_8AM)
    with db.transaction() as session, pytest.raises(ValidationFailed) as spent:
        redeem_proof(session, proof, PHONE, MONDAY_8AM)
    assert "expired or was used" in spent.value.fields["phone_proof"][0]


def test_a_booker_changing_their_answers_keeps_the_code_already_sent(
    db: Database, settings: Settings
) -> None:
    first = ask(db, settings, payload={"slot": "10:00"})
    again = ask(db, settings, payload={"slot": "11:00"}, reuse_id=first.verification_id)
    assert again.verification_id == first.verification_id and not again.texted
    other = ask(db, settings, MONDAY_8AM, phone="+447400123499", reuse_id=first.verification_id)
    assert other.verification_id != first.verification_id and other.texted
    with db.session() as session:
        payload = session.get_one(PhoneVerification, first.verification_id).payload
    assert payload == {"slot": "11:00"} and count(db, OutboundMessage) == 2


def test_a_new_code_takes_over_the_waiting_booking_after_the_minute(
    db: Database, settings: Settings
) -> None:
    first = ask(db, settings, payload={"slot": "10:00"})
    with db.transaction() as session, pytest.raises(CodeRequestRefused):
        resend_code(session, first.verification_id, ADDRESS, settings, MONDAY_8AM)
    with db.transaction() as session:
        second = resend_code(
            session, first.verification_id, ADDRESS, settings, MONDAY_8AM + timedelta(minutes=2)
        )
    with db.session() as session:
        assert session.get_one(PhoneVerification, first.verification_id).payload is None
        assert session.get_one(PhoneVerification, second.verification_id).payload == {
            "slot": "10:00"
        }


def test_a_client_names_a_code_by_a_reference_that_cannot_be_guessed_from_the_id(
    settings: Settings,
) -> None:
    ref = verification_ref(42, settings)
    assert verification_id_from(ref, settings) == 42
    assert verification_id_from(ref.replace("42-", "43-"), settings) is None
    for bad in ("", "42", "42-", "x-" + ref, ref + "0", "9" * 40):
        assert verification_id_from(bad, settings) is None
    other = replace(settings, secret_key="another-secret")
    assert verification_id_from(ref, other) is None


@pytest.fixture
def clinic(db: Database) -> None:
    demo_clinic(db)


def book_proven(
    db: Database, settings: Settings, start: datetime, **overrides: object
) -> Appointment:
    phone = str(overrides.get("phone", PHONE))
    request = booking_request(db, start, **overrides)
    request = replace(request, phone_proof=prove_phone(db, settings, MONDAY_8AM, phone))
    with db.transaction() as session:
        return book_visit(session, request, settings=settings, now=MONDAY_8AM).appointment


@pytest.mark.usefixtures("clinic")
def test_a_proven_booking_makes_the_new_patient_the_numbers_owner(
    db: Database, settings: Settings
) -> None:
    visit = book_proven(db, settings, WEDNESDAY_10AM)
    with db.session() as session:
        patient = session.get_one(Patient, visit.patient_id)
        assert patient.phone_verified_at == MONDAY_8AM
        assert session.scalars(select(PhoneVerification.used_at)).one() == MONDAY_8AM


@pytest.mark.usefixtures("clinic")
def test_a_later_booking_that_proves_the_number_joins_the_owners_record(
    db: Database, settings: Settings
) -> None:
    first = book_proven(db, settings, WEDNESDAY_10AM)
    second = book_proven(
        db, settings, WEDNESDAY_10AM + timedelta(days=1), first_name="Bea", **CONSENT_NO_TEXTS
    )
    assert second.patient_id == first.patient_id
    with db.session() as session:
        owner = session.get_one(Patient, first.patient_id)
        assert count(db, Patient) == 1 and owner.first_name == "Ana"
        assert not owner.consents_to(ConsentKind.REMINDERS)  # the latest answer stands


@pytest.mark.usefixtures("clinic")
def test_a_booking_with_a_spent_or_foreign_proof_writes_nothing(
    db: Database, settings: Settings
) -> None:
    book_proven(db, settings, WEDNESDAY_10AM)
    before = (count(db, Patient), count(db, Appointment), count(db, OutboundMessage))
    with db.session() as session:
        spent = session.scalars(select(PhoneVerification)).one()
    assert spent.used_at is not None
    foreign = prove_phone(db, settings, MONDAY_8AM, "+447400123499")
    request = booking_request(db, WEDNESDAY_10AM + timedelta(days=1), phone_proof=foreign)
    with db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        book_visit(session, request, settings=settings, now=MONDAY_8AM)
    assert list(refused.value.fields) == ["phone_proof"]
    after = (count(db, Patient), count(db, Appointment), count(db, OutboundMessage))
    assert after == (before[0], before[1], before[2] + 1)  # only the second code's text


@pytest.mark.usefixtures("clinic")
def test_a_screened_anonymous_booking_without_a_proof_is_refused_and_writes_nothing(
    db: Database, settings: Settings
) -> None:
    request = booking_request(db, WEDNESDAY_10AM, first_name="")
    with db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        book_visit_screened(session, request, assess(CLEAR), settings=settings, now=MONDAY_8AM)
    assert set(refused.value.fields) == {"phone_proof", "first_name"}
    staffed = replace(booking_request(db, WEDNESDAY_10AM), phone_proven=True)
    with db.transaction() as session:
        booked = book_visit_screened(
            session, staffed, assess(CLEAR), settings=settings, now=MONDAY_8AM
        )
        assert booked.patient.phone_verified_at == MONDAY_8AM
    assert count(db, Appointment) == 1


@pytest.mark.usefixtures("clinic")
def test_a_stopping_screen_is_told_before_a_missing_proof(db: Database, settings: Settings) -> None:
    request = booking_request(db, WEDNESDAY_10AM)
    with db.transaction() as session, pytest.raises(SafetyStop):
        book_visit_screened(
            session, request, assess({"thunderclap": True}), settings=settings, now=MONDAY_8AM
        )


@pytest.mark.usefixtures("clinic")
def test_two_bookings_proving_one_new_number_at_once_make_one_owner(
    db: Database, settings: Settings
) -> None:
    starts = [WEDNESDAY_10AM, WEDNESDAY_10AM + timedelta(days=1)]
    proofs = [prove_phone(db, settings, MONDAY_8AM) for _ in starts]
    requests = [
        replace(booking_request(db, start), phone_proof=proof)
        for start, proof in zip(starts, proofs, strict=True)
    ]
    barrier = threading.Barrier(len(requests))
    outcomes: list[int | str] = []

    def attempt(index: int) -> None:
        barrier.wait()

        def work(session: object) -> int:
            result = book_visit(session, requests[index], settings=settings, now=MONDAY_8AM)  # type: ignore[arg-type]
            return result.patient.id

        try:
            outcomes.append(db.retrying(work))
        except Exception as exc:  # recorded, so the assertion shows it
            outcomes.append(f"error: {exc!r}")

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(len(requests))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
    assert count(db, Patient) == 1 and count(db, Appointment) == 2


def test_a_booking_waiting_for_an_unanswered_code_is_forgotten_and_old_codes_go(
    db: Database, settings: Settings
) -> None:
    waiting = ask(db, settings, payload={"first_name": "Ana", "screen": {"pregnancy": True}})
    answered = ask(db, settings, phone="07400123457", address="198.51.100.8")
    answer(db, settings, answered.verification_id, texted_code(db, "07400123457"))
    with db.transaction() as session:
        purged = purge_stale(session, MONDAY_8AM + timedelta(minutes=30))
    assert (purged.cleared, purged.deleted) == (0, 0)  # the code could still be answered
    with db.transaction() as session:
        purged = purge_stale(session, MONDAY_8AM + timedelta(hours=2))
    assert (purged.cleared, purged.deleted) == (1, 0)
    with db.session() as session:
        assert session.get_one(PhoneVerification, waiting.verification_id).payload is None
    with db.transaction() as session:
        assert purge_stale(session, MONDAY_8AM + timedelta(hours=2)) == Purged(0, 0)
        purged = purge_stale(session, MONDAY_8AM + timedelta(days=3))
    assert purged.deleted == 2
    assert count(db, PhoneVerification) == 0
