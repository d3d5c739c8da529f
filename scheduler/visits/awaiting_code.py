"""Bookings from the pages that wait for a code proving their phone: checked before the code is
texted, so nobody is texted for a booking that cannot be made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.courses.booking import CourseRequest, plan_for_request
from scheduler.patients.verification import CodeSent, request_code
from scheduler.visits.booking import BookingRequest, check_booking


def text_code_for_visit(
    session: Session,
    request: BookingRequest,
    payload: dict[str, Any],
    requester: str,
    *,
    settings: Settings,
    now: datetime,
    reuse_id: int | None = None,
) -> CodeSent:
    """Check the visit could be booked now, then text a code to its phone; ``payload`` (the
    answers to book with) waits with the code. ``reuse_id``: as ``request_code``.

    :raise ValidationFailed, SlotUnavailable: as ``check_booking``; nothing is written.
    :raise CodeRequestRefused: as ``request_code``; nothing is written.
    """
    check_booking(session, request, settings=settings, now=now)
    phone = request.patient.phone
    return request_code(session, phone, requester, settings, now, payload, reuse_id=reuse_id)


def text_code_for_course(
    session: Session,
    request: CourseRequest,
    payload: dict[str, Any],
    requester: str,
    *,
    settings: Settings,
    now: datetime,
    reuse_id: int | None = None,
) -> CodeSent:
    """Check the course could be planned now (its first visit free), then text a code to its
    phone; ``payload`` waits with the code. ``reuse_id``: as ``request_code``.

    :raise ValidationFailed, SlotUnavailable: as ``plan_for_request``; nothing is written.
    :raise CodeRequestRefused: as ``request_code``; nothing is written.
    """
    plan_for_request(session, request, settings=settings, now=now)
    phone = request.booking.patient.phone
    return request_code(session, phone, requester, settings, now, payload, reuse_id=reuse_id)
