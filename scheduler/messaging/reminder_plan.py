"""When the clinic's automatic texts are due: the reminder plan kept in ``clinic_rules``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy.orm import Session

from scheduler.models import ClinicRules


@dataclass(frozen=True)
class ReminderPlan:
    """The plan of DOMAIN.md section 7; stored as data, these are the defaults."""

    reminder_before: timedelta = timedelta(hours=48)
    short_reminder_before: timedelta = timedelta(hours=2)
    aftercare_at: time = time(10, 0)
    maintenance_notice: timedelta = timedelta(days=7)


def load_reminder_plan(session: Session) -> ReminderPlan:
    """The clinic's plan from its rules row, or the defaults when there is none."""
    rules = session.get(ClinicRules, 1)
    if rules is None:
        return ReminderPlan()
    return ReminderPlan(
        reminder_before=timedelta(hours=rules.reminder_hours_before),
        short_reminder_before=timedelta(hours=rules.short_reminder_hours_before),
        aftercare_at=time(rules.aftercare_hour, 0),
        maintenance_notice=timedelta(days=rules.maintenance_notice_days),
    )
