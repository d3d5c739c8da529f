"""When each text is due: the clinic's reminder plan, and quiet hours at planning and at send.

Everything about *when* lives here. A visit's confirmation goes at booking; its reminders go the
plan's hours before the start (``clinic_rules``, DOMAIN.md section 7), moved out of the patient's
quiet hours (08:00 to 20:00 in their own time zone): reminders earlier, never later; other
automated texts later; answers to what the patient has just done at once. At send time the same
quiet hours are checked again, and a reminder that could only go too late is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler.models import MessageKind
from scheduler.models.clinic import clinic_rules

# Visit reminders move earlier, never later: a late reminder is useless.
MOVES_EARLIER = frozenset({MessageKind.REMINDER_48H, MessageKind.REMINDER_2H})
# Answers to something the patient has just done (booked, moved, wrote to us, asked the clinic
# for a new link) go at once.
AT_ONCE = frozenset(
    {
        MessageKind.CONFIRMATION,
        MessageKind.RESCHEDULED,
        MessageKind.REPLY,
        MessageKind.PHONE_CODE,
        MessageKind.NEW_LINK,
    }
)
# A reminder that quiet hours would push to within this of the visit is not worth sending.
TOO_LATE = timedelta(hours=1)


@dataclass(frozen=True)
class ReminderPlan:
    """The plan of DOMAIN.md section 7; stored as data, these are the defaults."""

    reminder_before: timedelta = timedelta(hours=48)
    short_reminder_before: timedelta = timedelta(hours=2)
    aftercare_at: time = time(10, 0)
    maintenance_notice: timedelta = timedelta(days=7)


def load_reminder_plan(session: Session) -> ReminderPlan:
    """The clinic's plan from its rules row, or the defaults when there is none."""
    rules = clinic_rules(session)
    if rules is None:
        return ReminderPlan()
    return ReminderPlan(
        reminder_before=timedelta(hours=rules.reminder_hours_before),
        short_reminder_before=timedelta(hours=rules.short_reminder_hours_before),
        aftercare_at=time(rules.aftercare_hour, 0),
        maintenance_notice=timedelta(days=rules.maintenance_notice_days),
    )


def visit_plan(plan: ReminderPlan) -> dict[MessageKind, timedelta | None]:
    """When each visit message is due, relative to the visit's start (None: at booking)."""
    return {
        MessageKind.CONFIRMATION: None,
        MessageKind.REMINDER_48H: plan.reminder_before,
        MessageKind.REMINDER_2H: plan.short_reminder_before,
    }


@dataclass(frozen=True)
class QuietHours:
    starts: time = time(20, 0)  # first quiet minute
    ends: time = time(8, 0)  # first allowed minute

    def is_quiet(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone).time()
        return local >= self.starts or local < self.ends

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """``moment`` if allowed, else the next morning's first allowed minute."""
        if not self.is_quiet(moment, zone):
            return moment
        local = moment.astimezone(zone)
        day = local.date() if local.time() < self.ends else local.date() + timedelta(days=1)
        return datetime.combine(day, self.ends, tzinfo=zone).astimezone(moment.tzinfo)

    def last_allowed_before(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """``moment`` if allowed, else the last allowed minute before it (the evening before)."""
        if not self.is_quiet(moment, zone):
            return moment
        local = moment.astimezone(zone)
        day = local.date() if local.time() >= self.starts else local.date() - timedelta(days=1)
        evening = datetime.combine(day, self.starts, tzinfo=zone) - timedelta(minutes=1)
        return evening.astimezone(moment.tzinfo)

    def first_allowed_on(self, day: datetime, zone: ZoneInfo) -> datetime:
        """The first allowed minute of the local day after ``day``'s (for a daily cap)."""
        tomorrow = day.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, self.ends, tzinfo=zone)

    def schedule(self, kind: MessageKind, due: datetime, zone: ZoneInfo) -> datetime:
        """When a message planned for ``due`` may go: reminders earlier, others later."""
        if kind in AT_ONCE:
            return due
        if kind in MOVES_EARLIER:
            return self.last_allowed_before(due, zone)
        return self.next_allowed(due, zone)


QUIET = QuietHours()


def visit_due_times(
    plan: ReminderPlan, starts_at: datetime, zone: ZoneInfo, now: datetime
) -> dict[MessageKind, datetime]:
    """When each of a visit's messages is due (reminders out of quiet hours); those whose
    time has already passed are left out: the confirmation covers them."""
    due_times: dict[MessageKind, datetime] = {}
    for kind, before in visit_plan(plan).items():
        due = now if before is None else QUIET.schedule(kind, starts_at - before, zone)
        if due >= now:
            due_times[kind] = due
    return due_times


def quiet_hours_wait(
    kind: MessageKind,
    planned_for: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    quiet: QuietHours = QUIET,
) -> tuple[datetime | None, str]:
    """At send time: (None, "") if quiet hours allow the text now; else until when it waits
    and why. A reminder that could only go within an hour of its visit (or has no visit
    time) gets (now, "useless"): it is skipped rather than sent after the fact."""
    if kind in AT_ONCE or not quiet.is_quiet(now, zone):
        return None, ""
    allowed = quiet.next_allowed(now, zone)
    if kind in MOVES_EARLIER and (planned_for is None or allowed >= planned_for - TOO_LATE):
        return now, "useless"
    return allowed, "quiet hours"
