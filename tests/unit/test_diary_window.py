"""How long an attack stays open to change: the last 7 days, counted where the patient lives."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.clinical.diary_window import attack_editable
from scheduler.models import DiaryAttack, Patient

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # Sunday 8 March, noon in London


def attack_started(at: datetime) -> DiaryAttack:
    return DiaryAttack(started_at=at, ended_at=at.replace(hour=at.hour + 1), peak_pain=6)


def test_an_attack_that_started_six_days_ago_can_still_be_changed() -> None:
    patient = Patient(time_zone="Europe/London")
    assert attack_editable(attack_started(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)), patient, NOW)


def test_an_attack_that_started_seven_days_ago_can_no_longer_be_changed() -> None:
    patient = Patient(time_zone="Europe/London")
    started = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    assert not attack_editable(attack_started(started), patient, NOW)


def test_the_days_are_counted_in_the_patients_own_time_zone() -> None:
    """22:00 UTC on 1 March is already 2 March in Auckland: six days before 8 March there."""
    now = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 18:00 on 8 March in Auckland
    started = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    assert attack_editable(attack_started(started), Patient(time_zone="Pacific/Auckland"), now)
    assert not attack_editable(attack_started(started), Patient(time_zone="Europe/London"), now)
