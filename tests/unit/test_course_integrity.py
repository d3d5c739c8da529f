"""The course rules for a visit at a new time: order, the phase's gap, the patient's own visits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.courses.integrity import Booked, CourseCheck, CourseRuleBroken, Problem, Rule

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def course_visit(day: int, hour: int = 10, gap: int = 2, name: str = "Acupuncture") -> Booked:
    return Booked(at(day, hour), at(day, hour) + HOUR, name, course_id=1, gap_days=gap)


def visit_3(*others: Booked, gap: int = 2) -> CourseCheck:
    """Visit 3 of course 1 on Thursday 5 March at 10:00, with the patient's other visits."""
    return CourseCheck(1, at(5), HOUR, gap, tuple(others), LONDON)


# The consultation on Mon 2 March, visit 2 on Tue 3, visit 4 on Mon 9 (visit 3 is the one moving).
COURSE = (
    course_visit(2, name="Initial consultation", gap=0),
    course_visit(3),
    course_visit(9),
)


def rules(problems: list[Problem]) -> list[Rule]:
    return [p.rule for p in problems]


def test_a_time_between_the_neighbours_keeping_the_gaps_breaks_nothing() -> None:
    assert visit_3(*COURSE).problems(at(6, 15)) == []


def test_a_time_before_the_previous_course_visit_breaks_the_order() -> None:
    problems = visit_3(*COURSE).problems(at(3, 9))
    assert rules(problems) == [Rule.ORDER]
    assert (
        "before the course's previous visit (Acupuncture, Tue 3 Mar 10:00)" in problems[0].message
    )


def test_a_time_after_the_next_course_visit_breaks_the_order() -> None:
    problems = visit_3(*COURSE).problems(at(10))
    assert rules(problems) == [Rule.ORDER]
    assert "after the course's next visit (Acupuncture, Mon 9 Mar 10:00)" in problems[0].message


def test_a_time_the_day_after_the_previous_visit_breaks_the_phases_gap() -> None:
    problems = visit_3(*COURSE).problems(at(4))
    assert rules(problems) == [Rule.GAP]
    assert "at least 2 days between visits" in problems[0].message


def test_the_gap_before_the_next_visit_is_the_next_visits_own_phase_gap() -> None:
    strict_next = (*COURSE[:2], course_visit(9, gap=3))
    assert rules(visit_3(*strict_next).problems(at(7))) == [Rule.GAP]
    assert visit_3(*COURSE).problems(at(7)) == []


def test_a_phase_without_a_gap_keeps_only_the_order() -> None:
    assert visit_3(*COURSE, gap=0).problems(at(3, 14)) == []


def test_a_time_over_another_of_the_patients_visits_overlaps_whoever_gives_it() -> None:
    single = Booked(at(6, 15), at(6, 16), "Tui Na", course_id=None)
    problems = visit_3(*COURSE, single).problems(at(6, 15) + timedelta(minutes=30))
    assert rules(problems) == [Rule.OVERLAP]
    assert problems[0].message == "This overlaps your other visit (Tui Na, Fri 6 Mar 15:00)."


def test_staff_see_the_patients_visits_named_as_the_patients() -> None:
    single = Booked(at(6, 15), at(6, 16), "Tui Na", course_id=None)
    problems = visit_3(single).problems(at(6, 15), "the patient's")
    assert problems[0].message.startswith("This overlaps the patient's other visit")


def test_a_visit_straight_after_on_its_own_day_counts_for_overlaps_only() -> None:
    tuina_after = Booked(at(5, 11), at(5, 12), "Tui Na", course_id=1, gap_days=2)
    check = visit_3(*COURSE, tuina_after)
    assert check.problems(at(6)) == []  # not "after the next visit"
    assert rules(check.problems(at(5, 11))) == [Rule.OVERLAP]


def test_another_courses_visits_are_not_neighbours() -> None:
    elsewhere = Booked(at(4), at(4) + HOUR, "Acupuncture", course_id=2, gap_days=2)
    assert visit_3(*COURSE, elsewhere).problems(at(6)) == []


def test_a_refusal_carries_every_broken_rule_as_a_field_message() -> None:
    problems = [Problem(Rule.ORDER, "This is before x."), Problem(Rule.OVERLAP, "This overlaps y.")]
    refused = CourseRuleBroken(problems)
    assert refused.fields == {"start": ["This is before x.", "This overlaps y."]}
    assert refused.problems == tuple(problems)
