"""How long a diary record stays open to change: the last EDIT_DAYS days where the patient lives."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.clinical.diary import EDIT_DAYS, local_today
from scheduler.models import DiaryAttack, Patient


def attack_editable(attack: DiaryAttack, patient: Patient, now: datetime) -> bool:
    """The attack started in the last ``EDIT_DAYS`` days (patient's dates), so it can still be
    changed; ``record_attack`` refuses a change to any older one."""
    started = attack.started_at.astimezone(ZoneInfo(patient.time_zone)).date()
    return (local_today(patient, now) - started).days < EDIT_DAYS
