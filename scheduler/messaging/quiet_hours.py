"""Quiet hours: automated texts only between 08:00 and 20:00 in the patient's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.models import MessageKind

# Visit reminders move earlier, never later: a late reminder is useless.
MOVES_EARLIER = frozenset({MessageKind.REMINDER_48H, MessageKind.REMINDER_2H})
# Answers to something the patient has just done (booked, moved, wrote to us) go at once.
AT_ONCE = frozenset({MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.REPLY})


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

    def schedule(self, kind: MessageKind, due: datetime, zone: ZoneInfo) -> datetime:
        """When a message planned for ``due`` may go: reminders earlier, others later."""
        if kind in AT_ONCE:
            return due
        if kind in MOVES_EARLIER:
            return self.last_allowed_before(due, zone)
        return self.next_allowed(due, zone)
