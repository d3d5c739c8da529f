"""The screen's time frame (DOMAIN.md section 4): recent emergency signs stop as an emergency,
the same signs longer ago are urgent until a doctor checked them, then review first."""

from __future__ import annotations

import pytest

from scheduler.clinical.safety import BY_CODE, SECTIONS, assess
from scheduler.models import SafetyTier


@pytest.mark.parametrize(
    ("yes", "tier"),
    [
        ({"thunderclap"}, SafetyTier.EMERGENT),
        ({"neuro_deficit"}, SafetyTier.EMERGENT),
        ({"earlier_episode_unchecked"}, SafetyTier.URGENT),
        ({"earlier_episode_checked"}, SafetyTier.REVIEW),
        ({"earlier_episode_checked", "earlier_episode_unchecked"}, SafetyTier.URGENT),
        ({"earlier_episode_checked", "thunderclap"}, SafetyTier.EMERGENT),
    ],
)
def test_each_time_frame_answer_gives_its_tier(yes: set[str], tier: SafetyTier) -> None:
    assert assess(dict.fromkeys(yes, True)).tier == tier


def test_the_recent_questions_say_now_or_the_past_7_days_and_the_earlier_ones_more_than_that() -> (
    None
):
    for code in ("thunderclap", "neuro_deficit"):
        assert BY_CODE[code].text.startswith("Now or in the past 7 days")
    assert "not checked yet" in BY_CODE["earlier_episode_unchecked"].text
    assert "already checked" in BY_CODE["earlier_episode_checked"].text
    for code in ("earlier_episode_unchecked", "earlier_episode_checked"):
        assert BY_CODE[code].text.startswith("More than 7 days ago")


def test_the_earlier_questions_are_asked_with_the_signs_before_booking_right_after_the_recent() -> (
    None
):
    signs = [q.code for q in SECTIONS[0][1]]
    assert signs[:5] == [
        "thunderclap",
        "fever_stiff_neck",
        "neuro_deficit",
        "earlier_episode_unchecked",
        "earlier_episode_checked",
    ]
    assert all(q.flag is not None for q in SECTIONS[1][1])
