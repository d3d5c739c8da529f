"""Course phases in the words patients read: how often, never the clinic's own phase names."""

from __future__ import annotations

from scheduler.courses.phase_wording import describe_phase
from scheduler.models import Cadence, CourseTemplate, TemplatePhase


def template(*phases: TemplatePhase) -> CourseTemplate:
    return CourseTemplate(name="Migraine prevention", phases=list(phases))


def phase(position: int, cadence: Cadence, **values: int) -> TemplatePhase:
    return TemplatePhase(position=position, name="Acute stabilisation", cadence=cadence, **values)


def test_the_first_single_visit_is_the_first_visit_and_a_later_one_is_one_visit() -> None:
    first, later = phase(1, Cadence.ONCE), phase(3, Cadence.ONCE)
    template(first, phase(2, Cadence.WEEKLY, visits_per_week=1, weeks=2), later)
    assert (describe_phase(first), describe_phase(later)) == ("First visit", "One visit")


def test_weekly_phases_say_how_many_times_a_week_and_for_how_long() -> None:
    twice = phase(2, Cadence.WEEKLY, visits_per_week=2, weeks=4)
    once = phase(3, Cadence.WEEKLY, visits_per_week=1, weeks=1)
    many = phase(4, Cadence.WEEKLY, visits_per_week=5, weeks=2)
    template(phase(1, Cadence.ONCE), twice, once, many)
    assert describe_phase(twice) == "Twice a week for 4 weeks"
    assert describe_phase(once) == "Once a week for 1 week"
    assert describe_phase(many) == "5 times a week for 2 weeks"


def test_maintenance_says_its_interval_in_weeks() -> None:
    ranged = phase(2, Cadence.MAINTENANCE, interval_min_weeks=4, interval_max_weeks=8)
    fixed = phase(3, Cadence.MAINTENANCE, interval_min_weeks=6, interval_max_weeks=6)
    template(phase(1, Cadence.ONCE), ranged, fixed)
    assert (describe_phase(ranged), describe_phase(fixed)) == (
        "Every 4 to 8 weeks",
        "Every 6 weeks",
    )


def test_no_phase_is_described_by_the_clinics_own_name() -> None:
    phases = [phase(1, Cadence.ONCE), phase(2, Cadence.WEEKLY, visits_per_week=2, weeks=4)]
    template(*phases)
    assert all("stabilisation" not in describe_phase(p) for p in phases)
