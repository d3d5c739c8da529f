"""The maintenance interval: 4 to 8 weeks, following the diary (DOMAIN.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiaryTrend:
    """Monthly headache days (per 28 days): at baseline, in the last 28 days, the 28 before."""

    baseline_mhd: float
    recent_mhd: float
    previous_mhd: float | None = None


@dataclass(frozen=True)
class IntervalRule:
    """Clinic practice, tunable: the thresholds and the three intervals."""

    longer_weeks: int = 8
    default_weeks: int = 6
    shorter_weeks: int = 4
    improved_ratio: float = 0.5  # at or below half of baseline...
    worse_ratio: float = 0.75  # above three quarters of baseline...
    rising_ratio: float = 1.25  # ...or up by a quarter on the previous 28 days


def maintenance_interval_weeks(
    trend: DiaryTrend | None, override_weeks: int | None = None, rule: IntervalRule | None = None
) -> int:
    """Weeks until the next maintenance visit.

    A staff override wins. Without a diary: the default (6). Stable or improving (at most half
    of baseline and not rising): longer (8). Worse (over 75% of baseline, or rising by a
    quarter): shorter (4). Otherwise the default.
    """
    rule = rule or IntervalRule()
    if override_weeks is not None:
        return override_weeks
    if trend is None or trend.baseline_mhd <= 0:
        return rule.default_weeks
    rising = (
        trend.previous_mhd is not None
        and trend.previous_mhd > 0
        and trend.recent_mhd >= trend.previous_mhd * rule.rising_ratio
    ) or (trend.previous_mhd == 0 and trend.recent_mhd > 0)
    if trend.recent_mhd > trend.baseline_mhd * rule.worse_ratio or rising:
        return rule.shorter_weeks
    not_rising = trend.previous_mhd is None or trend.recent_mhd <= trend.previous_mhd
    if trend.recent_mhd <= trend.baseline_mhd * rule.improved_ratio and not_rising:
        return rule.longer_weeks
    return rule.default_weeks
