"""What a use case asks the workers to do once its transaction commits: task names, follow-ups.

``what_follows`` is the one rule for what follows a cancelled, missed, completed or moved visit;
every use case that changes a visit returns its answer, and every entry point enqueues exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from scheduler.models import Appointment, AppointmentStatus


class Task(StrEnum):
    """Every Celery task's name; workers register under these and entry points send these."""

    DISPATCH_DUE_MESSAGES = "clinic.dispatch_due_messages"
    SEND_MESSAGES = "clinic.send_messages"
    SEND_MESSAGE = "clinic.send_message"
    RECONCILE_STUCK_SENDS = "clinic.reconcile_stuck_sends"
    HEARTBEAT = "clinic.heartbeat"
    FILL_UNPLACED_VISITS = "clinic.fill_unplaced_visits"
    AFTER_VISIT_COMPLETED = "clinic.after_visit_completed"
    AFTER_VISIT_MISSED = "clinic.after_visit_missed"
    OFFER_FREED_TIME = "clinic.offer_freed_time"
    EXPIRE_WAITLIST_OFFERS = "clinic.expire_waitlist_offers"
    SWEEP_COURSE_EVENTS = "clinic.sweep_course_events"
    PLAN_DIARY_PROMPTS = "clinic.plan_diary_prompts"
    PLAN_MAINTENANCE_DUE = "clinic.plan_maintenance_due"
    PLAN_QUESTIONNAIRE_LINKS = "clinic.plan_questionnaire_links"
    PURGE_PHONE_CODES = "clinic.purge_phone_codes"
    ESCALATE_SAFETY_ALERTS = "clinic.escalate_safety_alerts"


@dataclass(frozen=True)
class FollowUp:
    """One task for the workers and its arguments, which stay JSON-serialisable (ids, ISO times)."""

    task: Task
    args: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class FreedTime:
    """A time someone gave up: a practitioner and a start."""

    practitioner_id: int
    start: datetime

    @classmethod
    def of(cls, visit: Appointment) -> FreedTime:
        """The time ``visit`` holds now (read it before the visit is moved)."""
        return cls(visit.practitioner_id, visit.starts_at)


# A course visit in one of these statuses will not happen: the course needs a replacement.
MISSED = (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_LATE, AppointmentStatus.NO_SHOW)


def offer_freed_time(freed: FreedTime) -> FollowUp:
    """Offer ``freed`` to the first patient on the waitlist it suits."""
    return FollowUp(Task.OFFER_FREED_TIME, (freed.practitioner_id, freed.start.isoformat()))


def after_visit_missed(visit_id: int) -> FollowUp:
    """Plan a replacement for a cancelled or missed course visit."""
    return FollowUp(Task.AFTER_VISIT_MISSED, (visit_id,))


def after_visit_completed(visit_id: int) -> FollowUp:
    """Book the course's next visit day and plan the next maintenance visit."""
    return FollowUp(Task.AFTER_VISIT_COMPLETED, (visit_id,))


def fill_unplaced_visits(course_id: int) -> FollowUp:
    """Try again to place the course's visits that its plan could not."""
    return FollowUp(Task.FILL_UNPLACED_VISITS, (course_id,))


def what_follows(
    visit: Appointment, now: datetime, freed: FreedTime | None = None
) -> tuple[FollowUp, ...]:
    """What follows a visit's change, whoever made it (patient page, API, text or staff):

    - a course visit cancelled or missed: plan its replacement;
    - a course visit completed: book the course's next visit day;
    - a time given up (``freed``) that is still ahead: offer it to the waitlist.

    ``visit`` is read as it stands after the change.
    """
    follow_ups: list[FollowUp] = []
    if visit.course_id is not None and visit.status in MISSED:
        follow_ups.append(after_visit_missed(visit.id))
    if visit.course_id is not None and visit.status == AppointmentStatus.COMPLETED:
        follow_ups.append(after_visit_completed(visit.id))
    if freed is not None and freed.start > now:
        follow_ups.append(offer_freed_time(freed))
    return tuple(follow_ups)
