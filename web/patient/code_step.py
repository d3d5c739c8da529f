"""The booking pages' code step: the booking waits on the server with a code texted to its
phone; the browser's signed session holds only which code; the booking is made when the code
is answered. Plain forms, no JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import flash, make_response, redirect, render_template, request, session
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from scheduler.clinical.safety import QUESTIONS
from scheduler.errors import NotFound, ValidationFailed
from scheduler.patients.verification import (
    CODE_LIFETIME,
    AnsweredCode,
    CodeExpired,
    CodeRequestRefused,
    CodeSent,
    CodeSpent,
    book_with_code,
    pending_booking,
    resend_code,
    wrong_code_text,
)
from web.context import clock, db, settings
from web.limits import requester

T = TypeVar("T")
CHECK_KEY = "phone_check"
# The answers a booking waits with: the booking forms' own fields and the screen's, no more.
KEPT_FIELDS = frozenset(
    {
        "service_id",
        "date",
        "slot",
        "first_name",
        "last_name",
        "phone",
        "time_zone",
        "consent_reminders",
        "consent_diary_prompts",
        "email",
        "consent_email",
        "practitioner",
        "weekdays",
        "time_of_day",
    }
    | {f"safety_{q.code}" for q in QUESTIONS}
)
# How much of an answer is kept: a few short values, an email whole (up to 254 once trimmed).
KEPT_LENGTH = 200
KEPT_LENGTH_OF = {"email": 320}
EXPIRED = "This code has expired. Ask for a new code."
SPENT = "This code cannot be tried again. Ask for a new code."
START_AGAIN = "Please choose your time and give your details again."


@dataclass(frozen=True)
class Waiting:
    """The booking this browser is waiting to make: which code, to what number, and the
    answers as the form gave them."""

    verification_id: int
    phone: str
    fields: MultiDict[str, str]


@dataclass(frozen=True)
class CodeUrls:
    """Where the code page's forms go: the answer, a new code, and back to the answers."""

    check: str
    new: str
    back: str


def waiting_payload(flow: str, values: MultiDict[str, str], **extra: Any) -> dict[str, Any]:
    """What a booking waits with: its flow ("visit", "course"), the answers posted (the
    booking forms' fields only, a few short values each) and ``extra``."""
    fields = {
        key: [value[: KEPT_LENGTH_OF.get(key, KEPT_LENGTH)] for value in values.getlist(key)[:7]]
        for key in values
        if key in KEPT_FIELDS
    }
    return {"flow": flow, "fields": fields, **extra}


def current_check() -> int | None:
    """The code this browser asked for last, if any."""
    found = session.get(CHECK_KEY)
    return found if isinstance(found, int) else None


def remember(sent: CodeSent) -> None:
    session[CHECK_KEY] = sent.verification_id


def forget() -> None:
    session.pop(CHECK_KEY, None)


def waiting_for(flow: str, **extra: Any) -> Waiting | None:
    """The booking of ``flow`` (with ``extra``, say its course) this browser waits to make;
    None if it waits for none, or for another."""
    verification_id = current_check()
    if verification_id is None:
        return None
    with db().session() as db_session:
        found = pending_booking(db_session, verification_id)
        payload = found.payload if found is not None else None
        if found is None or not payload or payload.get("flow") != flow:
            return None
        if any(payload.get(key) != value for key, value in extra.items()):
            return None
        return Waiting(verification_id, found.phone_e164, MultiDict(payload.get("fields", {})))


def start_again(url: str) -> Response:
    """No booking waits for a code here: the "already booked" page when this browser's last
    code was spent on a booking (a second press of the button), else back to ``url`` to
    choose a time and answer again."""
    verification_id = current_check()
    if verification_id is not None:
        with db().session() as db_session:
            found = pending_booking(db_session, verification_id)
            spent = found is not None and found.used_at is not None
        if spent:
            forget()
            return make_response(render_template("already_booked.html"), 200)
    flash(START_AGAIN, "error")
    return redirect(url, code=303)


def code_page(waiting: Waiting, urls: CodeUrls, error: str = "", status: int = 200) -> Response:
    """The page that asks for the code: one question, and a way to a new code or back."""
    page = render_template(
        "phone_code.html",
        phone_end=waiting.phone[-3:],
        minutes=int(CODE_LIFETIME.total_seconds() // 60),
        urls=urls,
        error=error,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def answer_code(
    waiting: Waiting, urls: CodeUrls, book: Callable[[Session, str], T]
) -> AnsweredCode[T] | Response:
    """Answer the code typed and, when it is right, ``book`` with its proof (one transaction);
    the code page again for a wrong, expired or spent code, and the "already booked" page when
    the code was answered already (its booking was made then).

    :raise ValidationFailed, SlotUnavailable: if the booking is refused; the code stays open.
    """
    typed = request.form.get("code", "")
    try:
        answered = db().retrying(lambda s: _book_with_code(s, waiting, typed, book))
    except ValidationFailed as exc:
        if "code" not in exc.fields:
            raise
        return code_page(waiting, urls, exc.fields["code"][0], 422)
    except (CodeExpired, CodeSpent, NotFound) as exc:
        return _unanswerable(waiting, urls, exc)
    if not answered.check.right:
        return code_page(waiting, urls, wrong_code_text(answered.check.tries_left), 422)
    forget()
    return answered


def _book_with_code(
    db_session: Session, waiting: Waiting, typed: str, book: Callable[[Session, str], T]
) -> AnsweredCode[T]:
    return book_with_code(
        db_session,
        waiting.verification_id,
        typed,
        lambda proof: book(db_session, proof),
        settings(),
        clock().now(),
    )


def _unanswerable(waiting: Waiting, urls: CodeUrls, exc: Exception) -> Response:
    """A code that can no longer be answered: the booking it was for was made already, or a
    new code is needed."""
    if isinstance(exc, CodeSpent) and exc.answered:
        forget()
        return make_response(render_template("already_booked.html"), 200)
    return code_page(waiting, urls, EXPIRED if isinstance(exc, CodeExpired) else SPENT, 422)


def new_code(waiting: Waiting, urls: CodeUrls) -> Response:
    """Text a new code for the waiting booking, after the minute since the last one; the
    code page again, saying it was sent or when one can be."""
    try:
        sent = db().retrying(
            lambda s: resend_code(
                s, waiting.verification_id, requester(), settings(), clock().now()
            )
        )
    except CodeRequestRefused as refused:
        response = code_page(waiting, urls, refused.message, 429)
        response.headers["Retry-After"] = str(refused.retry_after_s)
        return response
    remember(sent)
    flash("We have texted you a new code.", "ok")
    return redirect(urls.check, code=303)
