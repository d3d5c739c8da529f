"""The diary's figures: headache and migraine days, windows, baseline, responder, overuse,
chronic migraine, the summary sentence, and the maintenance interval they lead to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.clinical.diary_figures import (
    Attack,
    DayEntry,
    DiaryRules,
    choose_baseline,
    chronic_migraine,
    classify_days,
    count_window,
    diary_figures,
    is_headache_entry,
    is_migraine_attack,
    is_responder,
    medication_overuse,
    responder_checks,
    summary_sentence,
)
from scheduler.courses.maintenance import maintenance_interval_weeks
from scheduler.models import MedicationClass

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
RULES = DiaryRules()
TODAY = date(2026, 6, 1)


def pain(day: date, hours: float | None = 2.0, **extra: object) -> DayEntry:
    return DayEntry(day=day, headache=True, worst_pain=6, hours=hours, **extra)  # type: ignore[arg-type]


def free(day: date) -> DayEntry:
    return DayEntry(day=day, headache=False, worst_pain=0, hours=0.0)


def month(start: date, headache: int, length: int = 28, **extra: object) -> list[DayEntry]:
    """``length`` recorded days from ``start``: the first ``headache`` with 2 h of headache."""
    return [
        pain(start + timedelta(days=i), **extra) if i < headache else free(start + timedelta(i))
        for i in range(length)
    ]


def migraine_attack(start: datetime, minutes: int = 240, **changes: object) -> Attack:
    attack = Attack(
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
        peak_pain=7,
        side="left",
        quality="pulsating",
        nausea=True,
    )
    return replace(attack, **changes)  # type: ignore[arg-type]


def days_of(entries: list[DayEntry], attacks: list[Attack] | None = None, zone: ZoneInfo = LONDON):  # type: ignore[no-untyped-def]
    return classify_days(entries, attacks or [], zone, RULES)


# --- headache days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (pain(TODAY, hours=1.0), True),
        (pain(TODAY, hours=0.75), False),
        (DayEntry(TODAY, False, 0, 0.0, acute_medication=True), True),
        (pain(TODAY, hours=None), True),  # an SMS "7": pain, hours not given
        (free(TODAY), False),
    ],
)
def test_a_headache_day_is_an_hour_of_headache_or_acute_medicine(
    entry: DayEntry, expected: bool
) -> None:
    assert is_headache_entry(entry, RULES) is expected


def test_pain_without_hours_can_be_set_not_to_count() -> None:
    assert not is_headache_entry(pain(TODAY, hours=None), replace(RULES, unknown_hours_count=False))


def test_a_day_without_an_entry_is_not_a_headache_day_but_the_window_says_it_was_not_recorded() -> (
    None
):
    start = date(2026, 3, 2)
    entries = [pain(start), pain(start + timedelta(days=2))]
    window = count_window(days_of(entries), start, 28, start + timedelta(days=40))
    assert (window.headache_days, window.recorded, window.days) == (2, 2, 28)


# --- migraine days ---------------------------------------------------------------------------

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),  # one-sided, pulsating, moderate; nausea
        ({"minutes": 29}, False),  # too short
        ({"minutes": 30}, True),
        ({"side": "both", "quality": "pressing"}, False),  # only "moderate" left
        ({"side": "both", "quality": "pressing", "worse_with_activity": True}, True),
        ({"side": "both", "peak_pain": 3}, False),  # only pulsating
        ({"nausea": False}, False),  # no symptom
        ({"nausea": False, "vomiting": True}, True),
        ({"nausea": False, "light_sound_sensitivity": True}, True),
        ({"side": "both", "quality": "pressing", "peak_pain": 2, "nausea": False}, False),
        (
            {"side": "both", "quality": "pressing", "peak_pain": 2, "nausea": False, "aura": True},
            True,
        ),
    ],
)
def test_a_migraine_attack_needs_30_minutes_two_features_and_one_symptom_or_an_aura(
    changes: dict[str, object], expected: bool
) -> None:
    minutes = int(changes.pop("minutes", 240))  # type: ignore[call-overload]
    assert is_migraine_attack(migraine_attack(NOON, minutes, **changes), RULES) is expected


def test_a_triptan_makes_a_migraine_day_and_a_migraine_day_is_a_headache_day() -> None:
    entry = DayEntry(TODAY, False, 0, 0.0, True, MedicationClass.TRIPTAN)
    figures = days_of([entry])[TODAY]
    assert figures.migraine and figures.headache and figures.specific_medication
    simple = DayEntry(TODAY, True, 5, 2.0, True, MedicationClass.SIMPLE)
    assert not days_of([simple])[TODAY].migraine
    # "No medicine" (an SMS reply without M) wins over a kind left from an earlier answer.
    overruled = DayEntry(TODAY, True, 5, 0.5, False, MedicationClass.TRIPTAN)
    day = days_of([overruled])[TODAY]
    assert not (day.medication or day.migraine or day.headache)


def test_an_attack_over_midnight_marks_every_day_it_covers_in_the_patients_zone() -> None:
    start = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # GMT: 22:00 on Monday
    attack = migraine_attack(start, minutes=28 * 60)  # to 02:00 on Wednesday
    days = days_of([], [attack])
    assert sorted(days) == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert all(d.migraine and d.headache and d.worst_pain == 7 for d in days.values())
    # The same instants are Monday 17:00 to Tuesday 21:00 in New York.
    assert sorted(days_of([], [attack], NEW_YORK)) == [date(2026, 3, 2), date(2026, 3, 3)]


def test_an_attack_ending_at_midnight_does_not_touch_the_next_day() -> None:
    start = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    assert sorted(days_of([], [migraine_attack(start, minutes=240)])) == [date(2026, 3, 2)]


def test_an_attack_and_the_days_entry_combine() -> None:
    attack = migraine_attack(NOON, minutes=40, aura=False)
    days = days_of([free(NOON.date())], [attack])
    day = days[NOON.date()]
    # 40 minutes with migraine features: a migraine day, hence a headache day; pain from the attack.
    assert (day.migraine, day.headache, day.worst_pain) == (True, True, 7)
    short = replace(attack, side="both", quality="pressing")
    assert not days_of([free(NOON.date())], [short])[NOON.date()].headache  # under an hour


# --- windows and baseline --------------------------------------------------------------------


def test_monthly_figures_are_counted_per_28_day_window_aligned_to_the_baseline() -> None:
    first_visit = date(2026, 3, 30)
    entries = month(first_visit - timedelta(days=28), 12) + month(first_visit, 5, length=30)
    figures = diary_figures(
        entries,
        [],
        zone=LONDON,
        today=first_visit + timedelta(days=29),
        first_treatment=first_visit,
    )
    assert [(w.start, w.headache_days, w.days) for w in figures.windows] == [
        (date(2026, 3, 2), 12, 28),
        (date(2026, 3, 30), 5, 28),
        (date(2026, 4, 27), 0, 2),  # the current window, two days old
    ]
    assert not figures.windows[-1].complete


def test_the_baseline_is_the_28_days_before_the_first_treatment() -> None:
    first_visit = date(2026, 3, 30)
    entries = month(first_visit - timedelta(days=40), 10, length=40) + month(first_visit, 2)
    baseline = choose_baseline(days_of(entries), first_visit, TODAY, RULES)
    assert baseline is not None and baseline.before_treatment
    assert (baseline.window.start, baseline.window.end) == (date(2026, 3, 2), date(2026, 3, 29))
    # The first 10 of the 40 days were headache days: none of them fall in the 28 before.
    assert baseline.headache_days == 0 and baseline.window.recorded == 28


def test_without_a_treatment_the_baseline_is_the_diarys_first_28_days() -> None:
    entries = month(date(2026, 3, 5), 9, length=60)
    baseline = choose_baseline(days_of(entries), None, TODAY, RULES)
    assert baseline is not None and not baseline.before_treatment
    assert (baseline.window.start, baseline.headache_days) == (date(2026, 3, 5), 9)


def test_a_diary_begun_after_the_first_treatment_takes_its_own_first_28_days() -> None:
    first_visit = date(2026, 3, 2)
    entries = month(first_visit + timedelta(days=3), 7)
    baseline = choose_baseline(days_of(entries), first_visit, TODAY, RULES)
    assert baseline is not None and not baseline.before_treatment
    assert baseline.window.start == date(2026, 3, 5)


def test_a_barely_recorded_pre_treatment_month_is_not_the_baseline() -> None:
    first_visit = date(2026, 3, 30)
    sparse = month(first_visit - timedelta(days=13), 13, length=13)  # 13 of 28 days recorded
    baseline = choose_baseline(days_of(sparse), first_visit, TODAY, RULES)
    assert baseline is not None and not baseline.before_treatment
    fuller = month(first_visit - timedelta(days=14), 13, length=14)  # 14 of 28 days
    baseline = choose_baseline(days_of(fuller), first_visit, TODAY, RULES)
    assert baseline is not None and baseline.before_treatment


# --- responder -------------------------------------------------------------------------------


def course_diary(baseline_days: int, weeks_9_to_12_days: int) -> tuple[list[DayEntry], date]:
    first_visit = date(2026, 3, 2)
    entries = month(first_visit - timedelta(days=28), baseline_days)
    entries += month(first_visit, 8, length=56)  # weeks 1-8
    entries += month(first_visit + timedelta(weeks=8), weeks_9_to_12_days)
    return entries, first_visit


@pytest.mark.parametrize(("later", "responded"), [(6, True), (7, False), (0, True)])
def test_a_responder_has_half_the_baseline_headache_days_or_fewer_in_weeks_9_to_12(
    later: int, responded: bool
) -> None:
    entries, first_visit = course_diary(12, later)
    today = first_visit + timedelta(weeks=12)
    days = days_of(entries)
    baseline = choose_baseline(days, first_visit, today, RULES)
    weeks_9_12, six_months = responder_checks(days, baseline, first_visit, today, RULES)
    assert weeks_9_12.label == "Weeks 9-12"
    assert weeks_9_12.window.start == first_visit + timedelta(weeks=8)
    assert weeks_9_12.responded is responded
    assert weeks_9_12.reduction_percent == pytest.approx(100 * (12 - later) / 12)
    assert six_months.responded is None  # not reached yet


def test_exactly_half_with_an_odd_baseline_is_judged_without_rounding() -> None:
    assert is_responder(5, 2, 50) and not is_responder(5, 3, 50)
    assert is_responder(10, 5, 50) and not is_responder(0, 0, 50)


def test_the_responder_judgement_waits_until_its_window_is_over() -> None:
    entries, first_visit = course_diary(12, 2)
    today = first_visit + timedelta(weeks=11)
    days = days_of(entries)
    baseline = choose_baseline(days, first_visit, today, RULES)
    check = responder_checks(days, baseline, first_visit, today, RULES)[0]
    assert check.responded is None and check.window.days == 22


def test_the_six_month_judgement_covers_the_28_days_from_week_23() -> None:
    first_visit = date(2026, 1, 5)
    entries = month(first_visit - timedelta(days=28), 10)
    entries += month(first_visit + timedelta(weeks=22), 4)
    today = first_visit + timedelta(weeks=26)
    days = days_of(entries)
    baseline = choose_baseline(days, first_visit, today, RULES)
    six_months = responder_checks(days, baseline, first_visit, today, RULES)[1]
    assert (six_months.label, six_months.window.headache_days) == ("Near 6 months", 4)
    assert six_months.responded is True


# --- medication overuse and chronic migraine -------------------------------------------------


def three_months(
    headache: int,
    specific: int = 0,
    simple: int = 0,
    migraine: int = 0,
    windows: int = 3,
    today: date = TODAY,
) -> list[DayEntry]:
    """``windows`` windows of 28 days ending today, each alike: ``headache`` headache days,
    of which the first ``specific`` with a combination painkiller, the next ``simple`` with a
    simple painkiller, and the first ``migraine`` with a triptan instead."""
    entries = []
    for w in range(windows):
        start = today - timedelta(days=28 * (windows - w) - 1)
        for i in range(28):
            day = start + timedelta(days=i)
            if i < migraine:
                entries.append(
                    pain(day, acute_medication=True, medication_class=MedicationClass.TRIPTAN)
                )
            elif i < specific:
                entries.append(
                    pain(day, acute_medication=True, medication_class=MedicationClass.COMBINATION)
                )
            elif specific <= i < specific + simple:
                entries.append(
                    pain(day, acute_medication=True, medication_class=MedicationClass.SIMPLE)
                )
            elif i < headache:
                entries.append(pain(day))
            else:
                entries.append(free(day))
    return entries


@pytest.mark.parametrize(
    ("headache", "specific", "simple", "alert"),
    [
        (15, 10, 0, True),
        (15, 9, 0, False),
        (14, 10, 0, False),
        (15, 0, 15, True),
        (15, 0, 14, False),
        (14, 0, 14, False),
    ],
)
def test_medication_overuse_thresholds_over_three_months(
    headache: int, specific: int, simple: int, alert: bool
) -> None:
    check = medication_overuse(days_of(three_months(headache, specific, simple)), TODAY, RULES)
    assert check.alert is alert
    assert len(check.windows) == 3 and check.windows[-1].end == TODAY
    if alert:
        assert ("simple" in check.reason) is (simple > 0)


def test_two_months_of_overuse_are_not_yet_an_alert() -> None:
    entries = three_months(20, specific=12, windows=2)
    assert not medication_overuse(days_of(entries), TODAY, RULES).alert
    assert medication_overuse(days_of(entries), TODAY, replace(RULES, overuse_windows=2)).alert


def test_a_medicine_day_of_unknown_kind_counts_with_simple_painkillers() -> None:
    entries = [
        DayEntry(e.day, e.headache, e.worst_pain, e.hours, True, None) if e.headache else e
        for e in three_months(15)
    ]
    assert medication_overuse(days_of(entries), TODAY, RULES).alert


@pytest.mark.parametrize(
    ("headache", "migraine", "chronic"),
    [(15, 8, True), (15, 7, False), (14, 8, False), (22, 12, True)],
)
def test_chronic_migraine_is_15_headache_days_with_8_migraine_days_for_three_months(
    headache: int, migraine: int, chronic: bool
) -> None:
    days = days_of(three_months(headache, migraine=migraine))
    assert chronic_migraine(days, TODAY, RULES).alert is chronic


# --- summary and maintenance -----------------------------------------------------------------


def test_the_summary_says_how_headache_days_changed() -> None:
    first_visit = date(2026, 3, 2)
    entries = month(first_visit - timedelta(days=28), 12) + month(first_visit, 5)
    today = first_visit + timedelta(days=27)
    figures = diary_figures(entries, [], zone=LONDON, today=today, first_treatment=first_visit)
    assert figures.summary == "Headache days down from 12 to 5 a month."
    later = diary_figures(
        entries, [], zone=LONDON, today=today + timedelta(days=7), first_treatment=first_visit
    )
    # A week on, 7 of the last 28 days have no entry (and the 5 headache days are older).
    assert later.summary == (
        "Headache days down from 12 to 0 a month (21 of the last 28 days recorded)."
    )


def test_the_summary_while_the_first_month_is_recorded_and_with_no_diary() -> None:
    entries = month(date(2026, 5, 20), 3, length=10)
    figures = diary_figures(entries, [], zone=LONDON, today=date(2026, 5, 29), first_treatment=None)
    assert figures.summary == (
        "Your first 28 days are still being collected: 10 of 28 days so far, with 3 headache days."
    )
    empty = diary_figures([], [], zone=LONDON, today=TODAY, first_treatment=None)
    assert empty.summary == "No diary days recorded yet." and empty.windows == []


@pytest.mark.parametrize(
    ("recent", "sentence"),
    [
        (6, "Headache days up from 4 to 6 a month."),
        (4, "Headache days unchanged at 4 a month."),
    ],
)
def test_the_summary_says_when_headache_days_rose_or_held(recent: int, sentence: str) -> None:
    entries = month(date(2026, 3, 2), 4) + month(TODAY - timedelta(days=27), recent)
    figures = diary_figures(entries, [], zone=LONDON, today=TODAY, first_treatment=None)
    assert figures.summary == sentence
    assert summary_sentence(figures.baseline, figures.recent, TODAY) == sentence


def maintenance_weeks(baseline: int, previous: int, recent: int, recorded: int = 28) -> int:
    """The interval the real diary leads to: baseline month before the first visit, then
    weeks of treatment, then the 28 days before those and the last 28 days."""
    first_visit = date(2026, 1, 5)
    today = date(2026, 6, 1)
    entries = month(first_visit - timedelta(days=28), baseline)
    entries += month(today - timedelta(days=55), previous)
    entries += month(today - timedelta(days=27), recent, length=recorded)
    figures = diary_figures(entries, [], zone=LONDON, today=today, first_treatment=first_visit)
    return maintenance_interval_weeks(figures.trend)


def test_the_maintenance_interval_follows_the_real_diary() -> None:
    assert maintenance_weeks(baseline=12, previous=6, recent=5) == 8  # half or less, not rising
    assert maintenance_weeks(baseline=12, previous=4, recent=6) == 4  # up by a half
    assert maintenance_weeks(baseline=12, previous=10, recent=10) == 4  # over 75% of baseline
    assert maintenance_weeks(baseline=12, previous=8, recent=8) == 6  # in between
    # Two weeks of the last month unrecorded: the diary cannot tell, so the default.
    assert maintenance_weeks(baseline=12, previous=6, recent=2, recorded=13) == 6


def test_the_trend_carries_baseline_recent_and_previous_headache_days() -> None:
    first_visit = date(2026, 1, 5)
    entries = month(first_visit - timedelta(days=28), 12) + month(TODAY - timedelta(days=27), 5)
    figures = diary_figures(entries, [], zone=LONDON, today=TODAY, first_treatment=first_visit)
    assert figures.trend is not None
    assert (figures.trend.baseline_mhd, figures.trend.recent_mhd) == (12.0, 5.0)
    assert figures.trend.previous_mhd is None  # the 28 days before were not recorded
