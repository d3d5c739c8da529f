"""When texts are due: the reminder plan, and quiet hours in the patient's zone (reminders move
earlier, other texts wait for morning, a reminder that could only go late is skipped)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.messaging.timing import QuietHours, ReminderPlan, quiet_hours_wait, visit_due_times
from scheduler.models import MessageKind

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = QuietHours()


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=zone)


def test_a_reminder_due_at_0630_goes_the_evening_before_at_the_last_allowed_minute() -> None:
    due = at(11, 6, 30)  # the 2 h reminder of an 08:30 visit
    assert QUIET.schedule(MessageKind.REMINDER_2H, due, LONDON) == at(10, 19, 59)


def test_a_reminder_due_late_in_the_evening_moves_earlier_the_same_evening() -> None:
    assert QUIET.schedule(MessageKind.REMINDER_48H, at(10, 22, 0), LONDON) == at(10, 19, 59)


def test_a_diary_prompt_due_in_quiet_hours_waits_for_eight() -> None:
    assert QUIET.schedule(MessageKind.DIARY_PROMPT, at(10, 21, 0), LONDON) == at(11, 8, 0)
    assert QUIET.schedule(MessageKind.DIARY_PROMPT, at(11, 6, 0), LONDON) == at(11, 8, 0)


@pytest.mark.parametrize("kind", [MessageKind.CONFIRMATION, MessageKind.REPLY])
def test_answers_to_the_patients_own_actions_go_at_once(kind: MessageKind) -> None:
    assert QUIET.schedule(kind, at(10, 23, 30), LONDON) == at(10, 23, 30)


def test_allowed_times_are_left_alone_and_edges_are_exact() -> None:
    assert QUIET.schedule(MessageKind.DIARY_PROMPT, at(10, 19, 0), LONDON) == at(10, 19, 0)
    assert not QUIET.is_quiet(at(10, 8, 0), LONDON)
    assert not QUIET.is_quiet(at(10, 19, 59), LONDON)
    assert QUIET.is_quiet(at(10, 20, 0), LONDON)
    assert QUIET.is_quiet(at(10, 7, 59), LONDON)


def test_the_patients_own_zone_decides() -> None:
    # 14:00 in London is 09:00 in New York (allowed); 23:00 London is 18:00 NY (allowed too).
    moment = at(10, 2, 0, LONDON)  # 21:00 the evening before in New York: quiet there
    assert QUIET.is_quiet(moment, NEW_YORK)
    assert QUIET.next_allowed(moment, NEW_YORK) == at(10, 8, 0, NEW_YORK)


def test_a_visits_texts_are_due_at_booking_and_the_plans_hours_before_out_of_quiet_hours() -> None:
    booked, visit = at(2, 12, 0), at(11, 9, 0)
    due = visit_due_times(ReminderPlan(), visit, LONDON, booked)
    assert due == {
        MessageKind.CONFIRMATION: booked,
        MessageKind.REMINDER_48H: at(9, 9, 0),
        MessageKind.REMINDER_2H: at(10, 19, 59),  # 07:00 is quiet: the evening before
    }


def test_reminders_whose_time_has_passed_are_not_planned() -> None:
    booked, visit = at(10, 12, 0), at(11, 12, 0)
    due = visit_due_times(
        ReminderPlan(short_reminder_before=timedelta(hours=3)), visit, LONDON, booked
    )
    assert set(due) == {MessageKind.CONFIRMATION, MessageKind.REMINDER_2H}


def test_at_send_time_a_text_in_quiet_hours_waits_for_morning() -> None:
    waits = quiet_hours_wait(MessageKind.DIARY_PROMPT, None, at(10, 21, 0), LONDON)
    assert waits == (at(11, 8, 0), "quiet hours")
    assert quiet_hours_wait(MessageKind.DIARY_PROMPT, None, at(10, 12, 0), LONDON) == (None, "")
    assert quiet_hours_wait(MessageKind.CONFIRMATION, None, at(10, 23, 0), LONDON) == (None, "")


def test_at_send_time_a_reminder_that_could_only_go_late_is_useless() -> None:
    late_night = at(10, 23, 0)
    assert quiet_hours_wait(MessageKind.REMINDER_2H, at(11, 8, 30), late_night, LONDON) == (
        late_night,
        "useless",
    )
    assert quiet_hours_wait(MessageKind.REMINDER_48H, at(12, 10, 0), late_night, LONDON) == (
        at(11, 8, 0),
        "quiet hours",
    )
