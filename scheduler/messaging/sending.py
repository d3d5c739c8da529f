"""Sending one outbox message: claim it, re-check it, hand it to the provider, record the result."""

from __future__ import annotations

import enum
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import TypeAlias, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, bindparam, column, func, select, update, values
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from scheduler.clock import Clock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.email.base import EmailBackend, OutgoingEmail
from scheduler.messaging.email_plans import email_key, may_email, plan_visit_email
from scheduler.messaging.gsm import segment_count
from scheduler.messaging.outbox import (
    ClaimedText,
    VisitFacts,
    hand_back,
    settle_texts,
    start_sending,
    start_sending_texts,
)
from scheduler.messaging.rate_limit import TokenBucket
from scheduler.messaging.sms.base import (
    FailureKind,
    OutgoingSms,
    ProviderReceipt,
    SendFailure,
    SmsBackend,
)
from scheduler.messaging.texts import reword_day
from scheduler.messaging.timing import AT_ONCE, MOVES_EARLIER, QuietHours, quiet_hours_wait
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    Channel,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from scheduler.models.base import table_of
from scheduler.patients.email_unsubscribe import unsubscribe_url
from scheduler.patients.links import issue_link_token
from scheduler.phones import refusal

log = logging.getLogger("clinic.sending")

# A row the send-time checks read: a loaded outbox row, or a claimed text read as plain columns.
Sendable: TypeAlias = OutboundMessage | ClaimedText

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)
# Which consent each kind of message needs.
CONSENT_FOR = {
    MessageKind.DIARY_PROMPT: ConsentKind.DIARY_PROMPTS,
    MessageKind.QUESTIONNAIRE: ConsentKind.DIARY_PROMPTS,
}
# Messages counted against the patient's daily cap (answers to their own actions are not).
CAPPED = frozenset(MessageKind) - AT_ONCE
# How long a text to a never-texted number waits once the clinic's hourly ceiling is reached.
NEW_NUMBER_PAUSE = timedelta(minutes=10)
# The visit messages that have an email form: a text of these kinds that can never be
# delivered is sent by email instead.
EMAILABLE = frozenset(
    {
        MessageKind.CONFIRMATION,
        MessageKind.REMINDER_48H,
        MessageKind.REMINDER_2H,
        MessageKind.RESCHEDULED,
    }
)


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    NOT_CLAIMED = "not_claimed"  # another task has it, or it was cancelled meanwhile
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"  # quiet hours, the rate limit or the daily cap: it waits
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class SendPolicy:
    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 4
    bucket: TokenBucket | None = None
    # No provider call starts later than this after the claim: reconciliation may look a
    # row up once it is older than the deadline plus the request timeout, and must find no
    # call still on its way.
    deadline_s: float = 60.0
    # No call starts later than this after the send task began: its calls and their recording
    # end within the task's soft time limit; what it has not started by then goes back.
    task_budget_s: float = 30.0
    # A provider answering within this is quick: calls go one at a time, since more threads
    # would only take turns holding the interpreter; from a slower answer on, several at once.
    quick_answer_s: float = 0.02
    # Where texts may go (ISO regions); anything else is skipped at send time.
    served: tuple[str, ...] = ("GB",)
    # Never-texted numbers the clinic texts in an hour before it pauses them (0: no ceiling).
    new_numbers_per_hour: int = 0
    # The clinic's time zone, the one texts show times in: "today" and "tomorrow" are its days.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    # What emails are worded and linked with (a text that can never be delivered falls back to
    # email only when these are given).
    settings: Settings | None = None


def backoff(attempt: int, retry_after_s: float | None = None) -> timedelta:
    """Exponential backoff with full jitter, never shorter than the provider asked for."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))
    delay = timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))
    if retry_after_s is not None:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return delay


def reason_not_to_send(
    session: Session, message: Sendable, served: tuple[str, ...] = ("GB",)
) -> tuple[MessageStatus, str]:
    """Why this message must not go at all (status to record and reason), or (SENDING, "").

    A number outside the ``served`` regions, or no mobile, is skipped whatever else holds.
    """
    patient = message.patient
    if message.appointment_id is not None and message.kind != MessageKind.CANCELLATION:
        visit = _visit(session, message)
        if visit is None or visit.status not in ACTIVE_STATUSES:
            return MessageStatus.CANCELLED, "visit cancelled"
        if message.planned_for is not None and visit.starts_at != message.planned_for:
            return MessageStatus.CANCELLED, "visit moved"
    if message.channel == Channel.EMAIL:
        return _reason_not_to_email(message)
    assert message.to_phone is not None  # a text always has its number (a database check)
    refused = refusal(message.to_phone, served)
    if refused is not None:
        return MessageStatus.SKIPPED, f"destination refused: {refused}"
    if patient is None:  # a phone code: asked for just now by whoever holds the number
        return MessageStatus.SENDING, ""
    if patient.sms_opted_out_at is not None:
        return MessageStatus.SKIPPED, "patient opted out of SMS"
    consent = CONSENT_FOR.get(message.kind, ConsentKind.REMINDERS)
    if not patient.consents_to(consent):
        return MessageStatus.SKIPPED, f"no consent to {consent.value.replace('_', ' ')}"
    return MessageStatus.SENDING, ""


def _visit(session: Session, message: Sendable) -> Appointment | VisitFacts | None:
    """The message's visit: read with a claimed text, else looked up."""
    if isinstance(message, ClaimedText):
        return message.visit
    return session.get(Appointment, message.appointment_id)


def _reason_not_to_email(message: Sendable) -> tuple[MessageStatus, str]:
    """Why an email must not go (the patient's address changed, or they withdrew consent to
    email), or (SENDING, "")."""
    patient = message.patient
    if patient is None or patient.email != message.to_email:
        return MessageStatus.SKIPPED, "email address changed"
    if not patient.consents_to(ConsentKind.EMAIL):
        return MessageStatus.SKIPPED, "no consent to email"
    consent = CONSENT_FOR.get(message.kind, ConsentKind.REMINDERS)
    if not patient.consents_to(consent):
        return MessageStatus.SKIPPED, f"no consent to {consent.value.replace('_', ' ')}"
    return MessageStatus.SENDING, ""


def _sent_today(session: Session, message: Sendable, zone: ZoneInfo, now: datetime) -> int:
    midnight = datetime.combine(now.astimezone(zone).date(), clock_time.min, tzinfo=zone)
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.patient_id == message.patient_id,
                OutboundMessage.channel == Channel.SMS,
                OutboundMessage.kind.in_(CAPPED),
                OutboundMessage.sent_at >= midnight,
                OutboundMessage.id != message.id,
            )
        )
        or 0
    )


def when_allowed(
    session: Session, message: Sendable, policy: SendPolicy, now: datetime
) -> tuple[datetime | None, str]:
    """(None, "") if the message may go now; else when it may, and why it waits.

    Returns (now, reason) with reason "useless" for a reminder that quiet hours would make
    late: it is skipped rather than sent after the fact.
    """
    if message.patient is None:  # a phone code goes at once, like any answer
        return None, ""
    if message.channel == Channel.EMAIL:  # quiet hours and the daily cap are about texts
        return None, ""
    zone = ZoneInfo(message.patient.time_zone)
    until, why = quiet_hours_wait(message.kind, message.planned_for, now, zone, policy.quiet)
    if why:
        return until, why
    if message.kind in CAPPED and _sent_today(session, message, zone, now) >= policy.daily_cap:
        return policy.quiet.first_allowed_on(now, zone), "daily cap"
    return None, ""


def _defer(message: Sendable, until: datetime, reason: str, now: datetime) -> None:
    message.status = MessageStatus.PENDING
    message.due_at = until
    message.attempts = max(0, message.attempts - 1)  # waiting is not a failed try
    message.error_message = f"waiting: {reason}"
    message.updated_at = now


def _alert(session: Session, message: Sendable, kind: str, detail: str, now: datetime) -> None:
    session.add(
        StaffAlert(
            kind=kind,
            patient_id=message.patient_id,
            message_id=message.id,
            detail=detail[:300],
            created_at=now,
        )
    )


def _record_failure(
    session: Session,
    message: OutboundMessage,
    failure: SendFailure,
    now: datetime,
    policy: SendPolicy | None = None,
) -> SendOutcome:
    message.error_code = failure.code
    message.error_message = failure.detail or failure.kind.value
    message.updated_at = now
    if failure.kind == FailureKind.UNKNOWN:
        # Left in `sending`: reconciliation asks the provider before anything is sent again.
        return SendOutcome.OUTCOME_UNKNOWN
    if failure.kind == FailureKind.RETRY_LATER and message.attempts < MAX_ATTEMPTS:
        message.status = MessageStatus.PENDING
        message.due_at = now + backoff(message.attempts, failure.retry_after_s)
        return SendOutcome.RETRY_SCHEDULED
    message.status = MessageStatus.FAILED
    patient = message.patient
    if patient is None:
        return SendOutcome.FAILED
    if message.channel == Channel.EMAIL:
        _alert(session, message, *_email_alert(failure), now)
        return SendOutcome.FAILED
    settings = policy.settings if policy is not None else None
    if failure.kind in (FailureKind.OPTED_OUT, FailureKind.PERMANENT) and settings is not None:
        fall_back_to_email(session, message, settings, now)
    if failure.kind == FailureKind.OPTED_OUT and patient.sms_opted_out_at is None:
        patient.sms_opted_out_at = now
    elif failure.kind == FailureKind.PERMANENT:
        flag_number_unusable(session, message, f"Twilio error {failure.code}", now)
    elif failure.kind == FailureKind.CONTENT:
        _alert(session, message, "content_filtered", f"Twilio error {failure.code}", now)
    return SendOutcome.FAILED


def flag_number_unusable(
    session: Session, message: OutboundMessage, detail: str, now: datetime
) -> None:
    """Flag the patient's number as one that can never take texts and alert staff, once (a
    refusal at sending or a carrier's later report)."""
    patient = message.patient
    if patient is None or patient.phone_flagged_at is not None:
        return
    patient.phone_flagged_at = now
    _alert(session, message, "phone_unusable", detail, now)


def _email_alert(failure: SendFailure) -> tuple[str, str]:
    """The staff alert for an email given up: the address refused, the words refused, or the
    mail server not taking it after every try (the address is not to blame then)."""
    code = failure.code or failure.kind.value
    if failure.kind == FailureKind.PERMANENT:
        return "email_unusable", f"The patient's email address was refused ({code})."
    if failure.kind == FailureKind.CONTENT:
        return "content_filtered", f"The email was refused as content ({code})."
    return "email_not_sent", f"The mail server did not take the email after every try ({code})."


def fall_back_to_email(
    session: Session, message: OutboundMessage, settings: Settings, now: datetime
) -> None:
    """A visit's text that can never be delivered (a landline, an unroutable number, the
    patient's STOP at the carrier: refused at sending or reported later by the carrier) goes by
    email instead, to a patient who consented to email, unless the same message goes by email
    already."""
    visit = session.get(Appointment, message.appointment_id) if message.appointment_id else None
    if visit is None or message.patient is None:
        return
    if message.kind not in EMAILABLE or not may_email(message.patient):
        return
    if visit.status not in ACTIVE_STATUSES:
        return
    twin = email_key(message.dedupe_key)
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == twin)):
        return  # sent by both: the email is on its way already
    url = settings.manage_url(issue_link_token(session, message.patient, now))
    key = f"{message.dedupe_key}:fallback"
    plan_visit_email(
        session, visit, message.kind, key, now, settings, url, now, fallback_for=message
    )


@dataclass
class _NewNumbers:
    """The clinic-wide ceiling on texts to never-texted numbers, for one batch: the numbers
    the batch's messages go to that were texted before, and (read when first needed) how many
    new numbers the clinic has texted in the last hour, counting this batch's as they go."""

    ceiling: int
    known: set[str] = field(default_factory=set)
    texted: int | None = None
    alerted: bool = False

    @classmethod
    def for_batch(
        cls, session: Session, messages: list[OutboundMessage] | list[ClaimedText], ceiling: int
    ) -> _NewNumbers:
        if ceiling <= 0:
            return cls(ceiling)
        phones = {m.to_phone for m in messages if m.to_phone is not None}
        return cls(ceiling, _texted_before(session, phones))

    def allows(self, session: Session, message: Sendable, now: datetime) -> bool:
        """Whether the message may go; counts it if it is the first to its number."""
        if self.ceiling <= 0 or message.to_phone is None or message.to_phone in self.known:
            return True
        if self.texted is None:
            self.texted = _new_numbers_texted_since(session, now - timedelta(hours=1))
        if self.texted >= self.ceiling:
            return False
        self.texted += 1
        self.known.add(message.to_phone)
        return True


def _texted_before(session: Session, phones: set[str]) -> set[str]:
    """Which of ``phones`` some patient holding the number has had a text sent to (found
    through the patients' index on their number, not a scan of every message)."""
    if not phones:
        return set()
    return set(
        session.scalars(
            select(OutboundMessage.to_phone)
            .join(Patient, Patient.id == OutboundMessage.patient_id)
            .where(
                Patient.phone_e164.in_(phones),
                OutboundMessage.to_phone == Patient.phone_e164,
                OutboundMessage.sent_at.is_not(None),
            )
            .distinct()
        )
    )


def _new_numbers_texted_since(session: Session, since: datetime) -> int:
    """How many numbers had their first text sent at or after ``since``: those texted since
    then with no text before (both read through the index on number and sending time)."""
    earlier = aliased(OutboundMessage)
    texted_before = (
        select(earlier.id)
        .where(earlier.to_phone == OutboundMessage.to_phone, earlier.sent_at < since)
        .exists()
    )
    first_texts = select(func.count(func.distinct(OutboundMessage.to_phone))).where(
        OutboundMessage.sent_at >= since, ~texted_before
    )
    return session.scalar(first_texts) or 0


def _pause_new_number(
    session: Session, message: Sendable, breaker: _NewNumbers, now: datetime
) -> SendOutcome:
    """Hold a text to a never-texted number back while the hourly ceiling is reached, and
    tell staff once an hour (a flood of new numbers is how SMS pumping looks)."""
    _defer(message, now + NEW_NUMBER_PAUSE, "new numbers paused", now)
    if not breaker.alerted:
        breaker.alerted = True
        detail = (
            f"Texts to new numbers are paused: {breaker.ceiling} new numbers were texted in "
            "the last hour. They go again as the hour passes; look for a flood of bookings "
            "or code requests."
        )
        _alert_once(session, f"new-numbers-paused:{now:%Y-%m-%dT%H}", detail, now)
    return SendOutcome.DEFERRED


def _alert_once(session: Session, key: str, detail: str, now: datetime) -> None:
    """One open staff alert per ``key``: another worker may have raised it a moment ago."""
    if session.scalar(select(StaffAlert.id).where(StaffAlert.dedupe_key == key)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                StaffAlert(kind="new_numbers_paused", detail=detail, dedupe_key=key, created_at=now)
            )
    except IntegrityError:
        pass  # raised by another worker between the look and the insert


def _check(
    session: Session,
    message: Sendable,
    policy: SendPolicy,
    now: datetime,
    breaker: _NewNumbers,
) -> SendOutcome | None:
    """Settle a message that must not go now (skip, cancel, defer); None if it may go."""
    status, reason = reason_not_to_send(session, message, policy.served)
    if status != MessageStatus.SENDING:
        message.status = status
        message.error_message = reason
        return SendOutcome(status.value)
    until, why = when_allowed(session, message, policy, now)
    if why == "useless":
        message.status = MessageStatus.SKIPPED
        message.error_message = "quiet hours until too close to the visit"
        return SendOutcome.SKIPPED
    if until is not None:
        _defer(message, until, why, now)
        return SendOutcome.DEFERRED
    if not breaker.allows(session, message, now):
        return _pause_new_number(session, message, breaker, now)
    return None


@dataclass
class _Attempt:
    message_id: int
    sms: OutgoingSms | None = None
    email: OutgoingEmail | None = None
    receipt: ProviderReceipt | None = None
    failure: SendFailure | None = None
    wait: float = 0.0  # the send rate said: not now, in this many seconds
    expired: bool = False  # the batch ran past its deadline before this call could start
    deadline: float = 0.0  # time.monotonic() after which no call may start


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(size: int) -> ThreadPoolExecutor:
    """One long-lived pool per process and size: its threads keep their HTTP clients."""
    pool = _POOLS.get(size)
    if pool is None:
        pool = _POOLS[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="sms")
    return pool


def _take_tokens(attempts: list[_Attempt], policy: SendPolicy) -> None:
    """Ask the clinic's send rate (a limit on texts) for the batch's texts at once; the rest
    wait."""
    texts = [a for a in attempts if a.sms is not None]
    if policy.bucket is None or not texts:
        return
    granted, wait = policy.bucket.take_many(len(texts))
    for attempt in texts[granted:]:
        attempt.wait = wait


def _call_provider(
    attempt: _Attempt, backend: SmsBackend, email_backend: EmailBackend | None
) -> _Attempt:
    if attempt.wait > 0:
        return attempt
    if time.monotonic() > attempt.deadline:
        attempt.expired = True
        return attempt
    try:
        if attempt.sms is not None:
            attempt.receipt = backend.send(attempt.sms)
        elif attempt.email is not None and email_backend is not None:
            attempt.receipt = email_backend.send(attempt.email)
        else:
            raise SendFailure(FailureKind.RETRY_LATER, code="no-email-backend")
    except SendFailure as failure:
        attempt.failure = failure
    return attempt


def _record(
    session: Session, attempt: _Attempt, now: datetime, policy: SendPolicy | None = None
) -> SendOutcome:
    message = session.get_one(OutboundMessage, attempt.message_id)
    if attempt.wait > 0:
        _defer(message, now + timedelta(seconds=attempt.wait), "clinic send rate", now)
        return SendOutcome.DEFERRED
    if attempt.expired:
        _defer(message, now, "not sent before the batch's deadline", now)
        return SendOutcome.DEFERRED
    if attempt.failure is not None:
        log.warning(
            "message %s not sent: %s (%s)",
            attempt.message_id,
            attempt.failure.kind,
            attempt.failure.code,
        )
        return _record_failure(session, message, attempt.failure, now, policy)
    raise AssertionError("sent messages are recorded by _record_sent")


def send_outbound_messages(
    db: Database,
    message_ids: list[int],
    backend: SmsBackend,
    clock: Clock,
    status_callback_url: str | None = None,
    policy: SendPolicy | None = None,
    concurrency: int = 1,
    email_backend: EmailBackend | None = None,
) -> dict[int, SendOutcome]:
    """Send claimed (``queued``) messages, each at most once.

    Only rows this caller moves to ``sending`` (one compare-and-set for the batch) go to the
    provider. First the visit, the destination (a mobile in a served region), consent,
    opt-out, quiet hours, the patient's daily cap, the clinic's hourly ceiling on new numbers
    and its send rate are checked; a message that must wait goes back to ``pending`` with a
    later due time, never dropped. The provider is called outside any transaction, up to
    ``concurrency`` calls at once, and the answers recorded together afterwards: a crash in
    between leaves rows in ``sending``, which reconciliation settles with the provider.
    Emails go through ``email_backend`` with the same claim; quiet hours, the daily cap, the
    send rate and the ceiling on new numbers are about texts and do not hold them back.
    """
    policy = policy or SendPolicy()
    last_start = time.monotonic() + policy.task_budget_s
    outcomes = {message_id: SendOutcome.NOT_CLAIMED for message_id in message_ids}
    if not message_ids:
        return outcomes
    if time.monotonic() > last_start:
        outcomes.update(_hand_back(db, message_ids, clock))
        return outcomes
    # The texts first, claimed together; the ids they leave may hold emails.
    settled, attempts = _start_batch(
        db, message_ids, clock, policy, status_callback_url, last_start
    )
    outcomes.update(settled)
    if attempts:
        done = _call_provider_for_all(attempts, backend, policy, concurrency, email_backend)
        outcomes.update(_record_batch(db, done, clock, policy))
    taken = settled.keys() | {attempt.message_id for attempt in attempts}
    left = [message_id for message_id in message_ids if message_id not in taken]
    # Emails one at a time: a crash leaves at most one email whose outcome is unknown (an email
    # cannot be looked up, so each such one costs staff a check).
    emails = _queued_emails(db, left)
    for number, message_id in enumerate(emails):
        if time.monotonic() > last_start:
            outcomes.update(_hand_back(db, emails[number:], clock))
            break
        settled, attempts = _start_batch(
            db, [message_id], clock, policy, status_callback_url, last_start, email=True
        )
        outcomes.update(settled)
        if attempts:
            done = _call_provider_for_all(attempts, backend, policy, concurrency, email_backend)
            outcomes.update(_record_batch(db, done, clock, policy))
    return outcomes


def _hand_back(db: Database, message_ids: list[int], clock: Clock) -> dict[int, SendOutcome]:
    """The messages a task had no time left to start go back to ``pending`` for the next
    dispatch (only rows still ``queued``: one another task took stays its)."""
    with db.transaction() as session:
        hand_back(session, message_ids, clock.now())
    log.info("%d messages handed back: the send task's time is up", len(message_ids))
    return dict.fromkeys(message_ids, SendOutcome.DEFERRED)


def _queued_emails(db: Database, message_ids: list[int]) -> list[int]:
    """The ids of the emails among ``message_ids`` still ``queued``, in order (none looked up
    when there are no ids: a batch of texts all claimed asks nothing more)."""
    if not message_ids:
        return []
    with db.session() as session:
        emails = set(
            session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.id.in_(message_ids),
                    OutboundMessage.channel == Channel.EMAIL,
                    OutboundMessage.status == MessageStatus.QUEUED,
                )
            )
        )
    return [message_id for message_id in message_ids if message_id in emails]


def _start_batch(
    db: Database,
    message_ids: list[int],
    clock: Clock,
    policy: SendPolicy,
    status_callback_url: str | None,
    last_start: float,
    email: bool = False,
) -> tuple[dict[int, SendOutcome], list[_Attempt]]:
    """Claim the texts among the ids (with ``email``, the rows whatever their channel) and
    check each, in one transaction: the outcome of each claimed message the checks settled,
    and an attempt for each that may go now, none starting after ``last_start`` (the send
    task's budget) or ``policy.deadline_s`` after the claim. An id in neither was not
    claimed."""
    outcomes: dict[int, SendOutcome] = {}
    attempts: list[_Attempt] = []
    deadline = min(time.monotonic() + policy.deadline_s, last_start)
    with db.transaction() as session:
        now = clock.now()
        messages = (
            start_sending(session, message_ids, now)
            if email
            else start_sending_texts(session, message_ids, now)
        )
        breaker = _NewNumbers.for_batch(session, messages, policy.new_numbers_per_hour)
        for message in messages:
            settled = _check(session, message, policy, now, breaker)
            if settled is not None:
                outcomes[message.id] = settled
                continue
            if isinstance(message, OutboundMessage) and message.channel == Channel.EMAIL:
                sent = _outgoing_email(message, policy)
                attempts.append(_Attempt(message.id, email=sent, deadline=deadline))
            else:
                assert message.to_phone is not None
                _word_for_now(message, policy.zone, now)
                sms = OutgoingSms(message.to_phone, message.body, status_callback_url)
                attempts.append(_Attempt(message.id, sms=sms, deadline=deadline))
        if not email:
            settle_texts(session, cast(list[ClaimedText], messages))
    return outcomes, attempts


def _outgoing_email(message: OutboundMessage, policy: SendPolicy) -> OutgoingEmail:
    """The email a row describes; its Message-ID is the row's own, the same on every attempt
    (a receiving server that saw it once can tell a repeat)."""
    assert message.to_email is not None and message.subject is not None
    settings = policy.settings
    domain = urlsplit(settings.public_base_url).hostname if settings else None
    patient = message.patient
    unsubscribe = unsubscribe_url(settings, patient) if settings and patient else None
    return OutgoingEmail(
        to=message.to_email,
        subject=message.subject,
        text=message.body,
        html=message.html_body,
        message_id=f"<outbox-{message.id}@{domain or 'localhost'}>",
        unsubscribe_url=unsubscribe,
        invite=message.invite,
    )


def _word_for_now(message: Sendable, zone: ZoneInfo, now: datetime) -> None:
    """Make a planned text's day word true as it goes: a reminder worded "tomorrow" that
    waited past midnight (daily cap, retries) says "today" (docs/messaging.md)."""
    if message.planned_for is None or message.kind not in MOVES_EARLIER:
        return  # only reminders are worded ahead of time; everything else goes as it is planned
    body = reword_day(message.body, message.planned_for.astimezone(zone), now)
    if body != message.body:
        message.body = body
        message.segments = segment_count(body)


def _call_provider_for_all(
    attempts: list[_Attempt],
    backend: SmsBackend,
    policy: SendPolicy,
    concurrency: int,
    email_backend: EmailBackend | None = None,
) -> list[_Attempt]:
    """Take the send rate's tokens, then call the provider: one call at a time while it
    answers quickly, up to ``concurrency`` at once from its first slow answer on.

    Threads pay off only while calls wait on the network: against a provider that answers
    in a few milliseconds one thread keeps the process busy, and more would only take turns
    holding the interpreter (about a fifth more CPU a message, measured). Twilio's usual
    100-300 ms is slow: one call goes alone, the rest of the batch ``concurrency`` at once.
    """
    _take_tokens(attempts, policy)

    def call(attempt: _Attempt) -> _Attempt:
        return _call_provider(attempt, backend, email_backend)

    done: list[_Attempt] = []
    for index, attempt in enumerate(attempts):
        began = time.monotonic()
        done.append(call(attempt))
        slow = time.monotonic() - began > policy.quick_answer_s
        if slow and concurrency > 1 and len(attempts) - index > 2:  # two or more left
            done.extend(_pool(concurrency).map(call, attempts[index + 1 :]))
            break
    return done


def _record_batch(
    db: Database, done: list[_Attempt], clock: Clock, policy: SendPolicy | None = None
) -> dict[int, SendOutcome]:
    """Record every answer in one transaction: provider ids for the sent, the rest settled."""
    outcomes: dict[int, SendOutcome] = {}
    with db.transaction() as session:
        now = clock.now()
        sent = [a for a in done if a.receipt is not None]
        _record_sent(session, sent, now)
        outcomes.update((a.message_id, SendOutcome.SENT) for a in sent)
        for attempt in done:
            if attempt.receipt is None:
                outcomes[attempt.message_id] = _record(session, attempt, now, policy)
    return outcomes


def _record_sent(session: Session, sent: list[_Attempt], now: datetime) -> None:
    """Each message's provider id and status, the send time and `sent`, in one statement (no
    row is loaded): on PostgreSQL an ``UPDATE ... FROM (VALUES ...)``, planned and run once for
    the batch rather than once a row (its server's work a text about halved); SQLite, with no
    round trips to save and no column names for a ``VALUES`` list, runs one executemany."""
    if not sent:
        return
    table = table_of(OutboundMessage)
    answers = [
        (a.message_id, a.receipt.sid, a.receipt.status)  # type: ignore[union-attr]
        for a in sent
    ]
    recorded = {
        "status": MessageStatus.SENT.value,
        "sent_at": now,
        "updated_at": now,
        "error_code": None,
        "error_message": None,
    }
    # Only rows still in `sending`: one reconciliation settled meanwhile keeps its settling.
    still_sending = table.c.status == MessageStatus.SENDING.value
    if session.get_bind().dialect.name == "postgresql":
        given = values(
            column("message_id", Integer),
            column("sid", String),
            column("provider_status", String),
            name="answers",
        ).data(answers)
        session.execute(
            update(table)
            .where(table.c.id == given.c.message_id, still_sending)
            .values(provider_sid=given.c.sid, provider_status=given.c.provider_status, **recorded)
        )
        return
    session.execute(
        update(table)
        .where(table.c.id == bindparam("message_id"), still_sending)
        .values(
            provider_sid=bindparam("sid"), provider_status=bindparam("provider_status"), **recorded
        ),
        [{"message_id": i, "sid": sid, "provider_status": status} for i, sid, status in answers],
    )


def send_outbound_message(
    db: Database,
    message_id: int,
    backend: SmsBackend,
    clock: Clock,
    status_callback_url: str | None = None,
    policy: SendPolicy | None = None,
    email_backend: EmailBackend | None = None,
) -> SendOutcome:
    """Send one claimed (``queued``) message at most once; see ``send_outbound_messages``."""
    outcomes = send_outbound_messages(
        db, [message_id], backend, clock, status_callback_url, policy, email_backend=email_backend
    )
    return outcomes[message_id]
