"""The diary's derived figures (DOMAIN.md section 5): pure rules over day entries and attacks.

Nothing here reads the database: callers pass plain ``DayEntry`` and ``Attack`` values, the
patient's time zone and today's date in it. Every threshold is a field of ``DiaryRules``.

A day without any record is not a headache day, but every window says how many of its days
were recorded, so a reader can tell "no headache" from "no entry".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.courses.maintenance import DiaryTrend
from scheduler.models.diary import MedicationClass

SPECIFIC_CLASSES = frozenset(
    {
        MedicationClass.TRIPTAN,
        MedicationClass.ERGOT,
        MedicationClass.OPIOID,
        MedicationClass.COMBINATION,
    }
)


@dataclass(frozen=True)
class DiaryRules:
    """Every threshold of the diary's figures; the defaults are those of DOMAIN.md section 5."""

    # Headache day: at least this many hours of headache, or acute medication taken.
    headache_min_hours: float = 1.0
    # A day with pain but no hours given (an SMS "7") counts as a headache day.
    unknown_hours_count: bool = True
    # Migraine day (van den Arend / Terwindt): an attack of at least 30 minutes with 2 of
    # the features and 1 of the symptoms; or aura; or a triptan taken.
    migraine_min_minutes: int = 30
    moderate_pain: int = 4  # peak pain at or above this is "moderate or severe"
    migraine_features_needed: int = 2  # of one-sided, pulsating, moderate+, worse with activity
    migraine_symptoms_needed: int = 1  # of nausea or vomiting, light and sound sensitivity
    aura_is_migraine: bool = True
    triptan_is_migraine: bool = True
    # A migraine day is also a headache day (the migraine days are a part of the headache days).
    migraine_days_are_headache_days: bool = True
    # Monthly figures are counted per window of this many days.
    window_days: int = 28
    # Baseline: the window before the first treatment when at least this many of its days were
    # recorded; otherwise the diary's first window.
    baseline_min_recorded_days: int = 14
    # Responder: headache days down by at least this percentage from baseline, judged over
    # the 28 days starting at each of these course weeks (weeks 9-12, and near 6 months).
    responder_drop_percent: int = 50
    responder_points: tuple[tuple[str, int], ...] = (("Weeks 9-12", 9), ("Near 6 months", 23))
    # Maintenance trend: the last 28 days count only when this many of them were recorded.
    trend_min_recorded_days: int = 14
    # Medication overuse (ICHD-3 8.2): in each of the last 3 windows, triptan / ergot / opioid
    # / combination on 10+ days, or other acute medication on 15+ days, with 15+ headache days.
    overuse_specific_days: int = 10
    overuse_simple_days: int = 15
    overuse_headache_days: int = 15
    overuse_windows: int = 3
    specific_classes: frozenset[MedicationClass] = field(default=SPECIFIC_CLASSES)
    # Chronic migraine (ICHD-3 1.3): 15+ headache days with 8+ migraine days, in each of the
    # last 3 windows.
    chronic_headache_days: int = 15
    chronic_migraine_days: int = 8
    chronic_windows: int = 3


@dataclass(frozen=True)
class DayEntry:
    """One day as the patient recorded it (a ``DiaryDay`` row, without the database)."""

    day: date
    headache: bool
    worst_pain: int
    hours: float | None = None
    acute_medication: bool = False
    medication_class: MedicationClass | None = None


@dataclass(frozen=True)
class Attack:
    """One attack in detail (a ``DiaryAttack`` row, without the database); aware instants."""

    started_at: datetime
    ended_at: datetime
    peak_pain: int
    side: str = "both"  # left, right, both
    quality: str = "pressing"  # pulsating, pressing
    worse_with_activity: bool = False
    nausea: bool = False
    vomiting: bool = False
    light_sound_sensitivity: bool = False
    aura: bool = False


@dataclass(frozen=True)
class DayFigures:
    """What one recorded day counts as."""

    day: date
    headache: bool
    migraine: bool
    medication: bool
    specific_medication: bool  # triptan, ergot, opioid or combination
    simple_medication: bool  # any other acute medication, or a class not given
    worst_pain: int


@dataclass(frozen=True)
class Window:
    """Counts over ``start``..``end`` (inclusive). ``days`` counts only the days up to today,
    so the current window may be shorter; ``recorded`` is how many of them have a record."""

    start: date
    end: date
    days: int
    recorded: int
    headache_days: int
    migraine_days: int
    medication_days: int
    specific_medication_days: int
    simple_medication_days: int
    worst_pain: int | None  # highest recorded; None when nothing was recorded

    @property
    def complete(self) -> bool:
        """Every day of the window has passed."""
        return self.days == (self.end - self.start).days + 1


@dataclass(frozen=True)
class Baseline:
    """The window the course is measured against, and where it came from."""

    window: Window
    before_treatment: bool  # False: the diary's first window (no treatment, or no record then)

    @property
    def headache_days(self) -> int:
        return self.window.headache_days


@dataclass(frozen=True)
class ResponderCheck:
    """One responder judgement: headache days in ``window`` against the baseline."""

    label: str
    window: Window
    reduction_percent: float | None  # fall from baseline; None without a baseline to compare
    responded: bool | None  # None: the window is not over yet, or nothing to compare with


@dataclass(frozen=True)
class PatternCheck:
    """A pattern judged over the last few windows (medication overuse, chronic migraine)."""

    alert: bool
    windows: tuple[Window, ...]
    reason: str = ""  # which threshold was met, in plain words


@dataclass(frozen=True)
class DiaryFigures:
    """Everything derived from one patient's diary on one day."""

    today: date
    days: dict[date, DayFigures]
    baseline: Baseline | None
    recent: Window  # the last 28 days, today included
    previous: Window  # the 28 days before those
    windows: list[Window]  # consecutive 28-day windows aligned to the baseline, oldest first
    weeks: list[Window]  # the last weeks, oldest first (for the pain line)
    responder: list[ResponderCheck]
    overuse: PatternCheck
    chronic: PatternCheck
    trend: DiaryTrend | None
    summary: str


# --- single days -----------------------------------------------------------------------------


def is_headache_entry(entry: DayEntry, rules: DiaryRules) -> bool:
    """At least ``headache_min_hours`` of headache, or acute medication taken."""
    if entry.acute_medication:
        return True
    if entry.hours is None:
        return entry.headache and rules.unknown_hours_count
    return entry.hours >= rules.headache_min_hours


def is_migraine_attack(attack: Attack, rules: DiaryRules) -> bool:
    """Aura; or at least 30 minutes with 2 of the features and 1 of the symptoms."""
    if attack.aura and rules.aura_is_migraine:
        return True
    minutes = (attack.ended_at - attack.started_at).total_seconds() / 60
    features = sum(
        (
            attack.side in ("left", "right"),
            attack.quality == "pulsating",
            attack.peak_pain >= rules.moderate_pain,
            attack.worse_with_activity,
        )
    )
    symptoms = sum((attack.nausea or attack.vomiting, attack.light_sound_sensitivity))
    return (
        minutes >= rules.migraine_min_minutes
        and features >= rules.migraine_features_needed
        and symptoms >= rules.migraine_symptoms_needed
    )


def attack_days(attack: Attack, zone: ZoneInfo) -> list[date]:
    """The local calendar days an attack covers (its end is exclusive: ending at midnight does
    not touch the next day)."""
    first = attack.started_at.astimezone(zone).date()
    last_instant = attack.ended_at.astimezone(zone)
    last = last_instant.date()
    if last_instant.time() == time(0) and last > first:
        last -= timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class _Day:
    """One day's figures while its entries and attacks are folded in."""

    headache: bool = False
    migraine: bool = False
    medication: bool = False
    specific: bool = False
    simple: bool = False
    worst_pain: int = 0

    def add_entry(self, entry: DayEntry, rules: DiaryRules) -> None:
        self.headache |= is_headache_entry(entry, rules)
        self.worst_pain = max(self.worst_pain, entry.worst_pain)
        # The kind refines "medicine taken"; a kind left from an earlier answer that an SMS
        # reply without "M" has since overruled does not count.
        if not entry.acute_medication:
            return
        self.medication = True
        if entry.medication_class in rules.specific_classes:
            self.specific = True
        else:
            self.simple = True
        if entry.medication_class == MedicationClass.TRIPTAN and rules.triptan_is_migraine:
            self.migraine = True

    def add_attack(self, long_enough: bool, migraine: bool, peak_pain: int) -> None:
        self.headache |= long_enough
        self.migraine |= migraine
        self.worst_pain = max(self.worst_pain, peak_pain)

    def figures(self, day: date, rules: DiaryRules) -> DayFigures:
        return DayFigures(
            day=day,
            headache=self.headache or (self.migraine and rules.migraine_days_are_headache_days),
            migraine=self.migraine,
            medication=self.medication,
            specific_medication=self.specific,
            simple_medication=self.simple,
            worst_pain=self.worst_pain,
        )


def classify_days(
    entries: Iterable[DayEntry],
    attacks: Iterable[Attack],
    zone: ZoneInfo,
    rules: DiaryRules | None = None,
) -> dict[date, DayFigures]:
    """Each recorded day (a day entry, or a day an attack covers) and what it counts as."""
    rules = rules or DiaryRules()
    days: dict[date, _Day] = {}
    for entry in entries:
        days.setdefault(entry.day, _Day()).add_entry(entry, rules)
    for attack in attacks:
        hours = (attack.ended_at - attack.started_at).total_seconds() / 3600
        long_enough = hours >= rules.headache_min_hours
        migraine = is_migraine_attack(attack, rules)
        for day in attack_days(attack, zone):
            days.setdefault(day, _Day()).add_attack(long_enough, migraine, attack.peak_pain)
    return {day: d.figures(day, rules) for day, d in sorted(days.items())}


# --- windows ---------------------------------------------------------------------------------


def count_window(days: dict[date, DayFigures], start: date, length: int, today: date) -> Window:
    """The counts over ``length`` days from ``start``, looking only at days up to ``today``."""
    end = start + timedelta(days=length - 1)
    elapsed = max(0, min((today - start).days + 1, length))
    found = [
        f for f in (days.get(start + timedelta(days=i)) for i in range(elapsed)) if f is not None
    ]
    return Window(
        start=start,
        end=end,
        days=elapsed,
        recorded=len(found),
        headache_days=sum(f.headache for f in found),
        migraine_days=sum(f.migraine for f in found),
        medication_days=sum(f.medication for f in found),
        specific_medication_days=sum(f.specific_medication for f in found),
        simple_medication_days=sum(f.simple_medication for f in found),
        worst_pain=max((f.worst_pain for f in found), default=None),
    )


def last_windows(
    days: dict[date, DayFigures], today: date, count: int, length: int
) -> tuple[Window, ...]:
    """``count`` consecutive windows of ``length`` days, the last ending today; oldest first."""
    return tuple(
        count_window(days, today - timedelta(days=length * (count - i) - 1), length, today)
        for i in range(count)
    )


def aligned_windows(
    days: dict[date, DayFigures], anchor: date, today: date, length: int
) -> list[Window]:
    """Consecutive windows on the grid through ``anchor``, from the first recorded day's window
    to the one holding today (which may be short); oldest first."""
    if not days:
        return []
    first = min(days)
    start = anchor + timedelta(days=((first - anchor).days // length) * length)
    windows = []
    while start <= today:
        windows.append(count_window(days, start, length, today))
        start += timedelta(days=length)
    return windows


def choose_baseline(
    days: dict[date, DayFigures],
    first_treatment: date | None,
    today: date,
    rules: DiaryRules | None = None,
) -> Baseline | None:
    """The 28 days before the first treatment, when enough of them were recorded; otherwise
    the diary's first 28 days; None when nothing is recorded."""
    rules = rules or DiaryRules()
    if first_treatment is not None:
        start = first_treatment - timedelta(days=rules.window_days)
        window = count_window(days, start, rules.window_days, today)
        if window.recorded >= rules.baseline_min_recorded_days:
            return Baseline(window, before_treatment=True)
    if not days:
        return None
    return Baseline(count_window(days, min(days), rules.window_days, today), before_treatment=False)


# --- judgements ------------------------------------------------------------------------------


def is_responder(baseline_days: int, later_days: int, drop_percent: int) -> bool:
    """Headache days fell by at least ``drop_percent`` (exact: 12 to 6 is a 50% responder)."""
    return baseline_days > 0 and (baseline_days - later_days) * 100 >= drop_percent * baseline_days


def responder_checks(
    days: dict[date, DayFigures],
    baseline: Baseline | None,
    first_treatment: date | None,
    today: date,
    rules: DiaryRules | None = None,
) -> list[ResponderCheck]:
    """The responder judgements of the course (weeks 9-12, near 6 months), counted from the
    first treatment; each is open (None) until its window is over."""
    rules = rules or DiaryRules()
    if first_treatment is None:
        return []
    checks = []
    for label, week in rules.responder_points:
        start = first_treatment + timedelta(weeks=week - 1)
        window = count_window(days, start, rules.window_days, today)
        checks.append(_responder_check(label, window, baseline, rules))
    return checks


def _responder_check(
    label: str, window: Window, baseline: Baseline | None, rules: DiaryRules
) -> ResponderCheck:
    """Headache days in ``window`` against the baseline; open (None) while nothing compares."""
    if baseline is None or baseline.headache_days <= 0:
        return ResponderCheck(label, window, None, None)
    before = baseline.headache_days
    reduction = 100.0 * (before - window.headache_days) / before if window.days else None
    responded = (
        is_responder(before, window.headache_days, rules.responder_drop_percent)
        if window.complete
        else None
    )
    return ResponderCheck(label, window, reduction, responded)


def medication_overuse(
    days: dict[date, DayFigures], today: date, rules: DiaryRules | None = None
) -> PatternCheck:
    """ICHD-3 8.2: in each of the last 3 windows, 15+ headache days and either 10+ days of
    triptan, ergot, opioid or combination, or 15+ days of other acute medication."""
    rules = rules or DiaryRules()
    windows = last_windows(days, today, rules.overuse_windows, rules.window_days)
    each = all(
        w.headache_days >= rules.overuse_headache_days
        and (
            w.specific_medication_days >= rules.overuse_specific_days
            or w.simple_medication_days >= rules.overuse_simple_days
        )
        for w in windows
    )
    if not each:
        return PatternCheck(False, windows)
    return PatternCheck(True, windows, _overuse_reason(windows, rules))


def _overuse_reason(windows: tuple[Window, ...], rules: DiaryRules) -> str:
    """Which overuse threshold every window met, in plain words."""
    if all(w.specific_medication_days >= rules.overuse_specific_days for w in windows):
        reason = (
            f"triptan, ergot, opioid or combination medicine on {rules.overuse_specific_days} "
            f"or more days in each of the last {len(windows)} months"
        )
    elif all(w.simple_medication_days >= rules.overuse_simple_days for w in windows):
        reason = (
            f"simple painkillers on {rules.overuse_simple_days} or more days in each of the "
            f"last {len(windows)} months"
        )
    else:
        reason = f"acute medicine on many days in each of the last {len(windows)} months"
    return reason + f", with {rules.overuse_headache_days} or more headache days"


def chronic_migraine(
    days: dict[date, DayFigures], today: date, rules: DiaryRules | None = None
) -> PatternCheck:
    """ICHD-3 1.3: 15+ headache days with 8+ migraine days in each of the last 3 windows."""
    rules = rules or DiaryRules()
    windows = last_windows(days, today, rules.chronic_windows, rules.window_days)
    alert = all(
        w.headache_days >= rules.chronic_headache_days
        and w.migraine_days >= rules.chronic_migraine_days
        for w in windows
    )
    reason = (
        f"{rules.chronic_headache_days} or more headache days, {rules.chronic_migraine_days} "
        f"or more of them migraine days, in each of the last {len(windows)} months"
    )
    return PatternCheck(alert, windows, reason if alert else "")


def diary_trend(
    days: dict[date, DayFigures],
    baseline: Baseline | None,
    today: date,
    rules: DiaryRules | None = None,
) -> DiaryTrend | None:
    """Monthly headache days at baseline, in the last 28 days and the 28 before, for the
    maintenance interval; None without a baseline or with too few recent days recorded."""
    rules = rules or DiaryRules()
    recent, previous = _recent_and_previous(days, today, rules)
    if baseline is None or recent.recorded < rules.trend_min_recorded_days:
        return None
    return DiaryTrend(
        baseline_mhd=float(baseline.headache_days),
        recent_mhd=float(recent.headache_days),
        previous_mhd=(
            float(previous.headache_days)
            if previous.recorded >= rules.trend_min_recorded_days
            else None
        ),
    )


def _recent_and_previous(
    days: dict[date, DayFigures], today: date, rules: DiaryRules
) -> tuple[Window, Window]:
    previous, recent = last_windows(days, today, 2, rules.window_days)
    return recent, previous


def _days_word(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def summary_sentence(baseline: Baseline | None, recent: Window, today: date) -> str:
    """One plain sentence: "Headache days down from 12 to 5 a month." and how much of the last
    28 days was recorded when not all of it; while the baseline is still running, how much of
    it has been collected (it is not compared with itself)."""
    if baseline is None:
        return "No diary days recorded yet."
    if today <= baseline.window.end:
        length = (baseline.window.end - baseline.window.start).days + 1
        which = (
            "The 28 days before your first treatment"
            if baseline.before_treatment
            else f"Your first {length} days"
        )
        return (
            f"{which} are still being collected: {baseline.window.recorded} of {length} days "
            f"so far, with {_days_word(baseline.headache_days).replace('day', 'headache day')}."
        )
    before, now = baseline.headache_days, recent.headache_days
    if now < before:
        sentence = f"Headache days down from {before} to {now} a month"
    elif now > before:
        sentence = f"Headache days up from {before} to {now} a month"
    else:
        sentence = f"Headache days unchanged at {now} a month"
    if recent.recorded < recent.days:
        sentence += f" ({recent.recorded} of the last {_days_word(recent.days)} recorded)"
    return sentence + "."


def diary_figures(
    entries: Iterable[DayEntry],
    attacks: Iterable[Attack],
    *,
    zone: ZoneInfo,
    today: date,
    first_treatment: date | None,
    rules: DiaryRules | None = None,
    weeks: int = 12,
) -> DiaryFigures:
    """All the figures of one diary on ``today`` (a date in the patient's zone)."""
    rules = rules or DiaryRules()
    days = classify_days(entries, attacks, zone, rules)
    baseline = choose_baseline(days, first_treatment, today, rules)
    recent, previous = _recent_and_previous(days, today, rules)
    return DiaryFigures(
        today=today,
        days=days,
        baseline=baseline,
        recent=recent,
        previous=previous,
        windows=_baseline_windows(days, baseline, today, rules),
        weeks=_recorded_weeks(days, today, weeks),
        responder=responder_checks(days, baseline, first_treatment, today, rules),
        overuse=medication_overuse(days, today, rules),
        chronic=chronic_migraine(days, today, rules),
        trend=diary_trend(days, baseline, today, rules),
        summary=summary_sentence(baseline, recent, today),
    )


def _baseline_windows(
    days: dict[date, DayFigures], baseline: Baseline | None, today: date, rules: DiaryRules
) -> list[Window]:
    """Windows on the baseline's grid (today's, without a baseline), oldest first."""
    anchor = baseline.window.start if baseline is not None else today
    return aligned_windows(days, anchor, today, rules.window_days)


def _recorded_weeks(days: dict[date, DayFigures], today: date, weeks: int) -> list[Window]:
    """The last ``weeks`` weeks, less those that end before the first recorded day."""
    return [w for w in last_windows(days, today, weeks, 7) if days and w.end >= min(days)]
