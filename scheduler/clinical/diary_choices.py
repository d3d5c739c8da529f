"""The diary's editable lists: triggers, medicine types and attack details, with their labels.

Clinic data rather than code: a clinic changes a list here (codes are stored, labels shown).
"""

from __future__ import annotations

from scheduler.models.diary import AttackFunction, MedicationClass

# DOMAIN.md section 5: the default trigger list. Stored as codes in DiaryDay.triggers.
DEFAULT_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("stress", "Stress"),
    ("poor_sleep", "Poor sleep"),
    ("skipped_meal", "Skipped meal"),
    ("alcohol", "Alcohol"),
    ("caffeine", "Caffeine"),
    ("weather", "Weather"),
    ("screen", "Screen time"),
    ("hormonal", "Hormonal"),
    ("food", "Food"),
)

MEDICATION_LABELS: dict[MedicationClass, str] = {
    MedicationClass.TRIPTAN: "Triptan (such as sumatriptan)",
    MedicationClass.ERGOT: "Ergot (such as ergotamine)",
    MedicationClass.OPIOID: "Opioid (such as codeine or tramadol)",
    MedicationClass.COMBINATION: "Combination painkiller (such as co-codamol)",
    MedicationClass.SIMPLE: "Simple painkiller or anti-inflammatory (paracetamol, ibuprofen)",
    MedicationClass.OTHER: "Other",
}

SIDES: tuple[tuple[str, str], ...] = (
    ("left", "Left side"),
    ("right", "Right side"),
    ("both", "Both sides"),
)
QUALITIES: tuple[tuple[str, str], ...] = (
    ("pulsating", "Throbbing or pulsating"),
    ("pressing", "Pressing or tight"),
)
FUNCTIONS: tuple[tuple[AttackFunction, str], ...] = (
    (AttackFunction.NORMAL, "Carried on as normal"),
    (AttackFunction.REDUCED, "Did less than usual"),
    (AttackFunction.BED, "Had to lie down or stay in bed"),
)


def trigger_codes(triggers: tuple[tuple[str, str], ...] = DEFAULT_TRIGGERS) -> tuple[str, ...]:
    """The codes of a trigger list, in order."""
    return tuple(code for code, _label in triggers)


def trigger_label(code: str, triggers: tuple[tuple[str, str], ...] = DEFAULT_TRIGGERS) -> str:
    """The label of a trigger code; a code no longer on the list shows as itself."""
    return dict(triggers).get(code, code.replace("_", " "))
