"""The intake safety screen (DOMAIN.md section 4): questions, tiers, flags, and what each does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.models import Patient, SafetyScreen, SafetyTier, StaffAlert


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    tier: SafetyTier | None = None  # what a yes means for booking
    flag: str | None = None  # or the warning it gives the practitioner


# Plain questions a patient can answer; each yes maps to a tier (SNNOOP10) or a safety flag.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "thunderclap",
        "Did a headache come on suddenly and reach its worst within 5 minutes, "
        "the worst pain you have ever had?",
        SafetyTier.EMERGENT,
    ),
    Question(
        "fever_stiff_neck", "Do you have a fever together with a stiff neck?", SafetyTier.EMERGENT
    ),
    Question(
        "neuro_deficit",
        "Do you have new weakness, numbness, trouble speaking or seeing, or confusion?",
        SafetyTier.EMERGENT,
    ),
    Question(
        "papilledema",
        "Has a doctor told you there is swelling at the back of your eyes (papilledema)?",
        SafetyTier.URGENT,
    ),
    Question(
        "over50_jaw_scalp",
        "Are you over 50 with a new headache, and pain in the jaw when chewing or a tender scalp?",
        SafetyTier.URGENT,
    ),
    Question(
        "systemic_illness",
        "Are you generally unwell, for example with weight loss, night sweats or a lasting fever?",
        SafetyTier.URGENT,
    ),
    Question(
        "cancer_immune",
        "Is this a new headache while you have cancer or a weakened immune system?",
        SafetyTier.URGENT,
    ),
    Question(
        "pattern_change",
        "Has your usual headache pattern changed recently?",
        SafetyTier.REVIEW,
    ),
    Question(
        "positional",
        "Does the headache change a lot when you stand up or lie down?",
        SafetyTier.REVIEW,
    ),
    Question(
        "cough_exertion",
        "Is the headache brought on by coughing, sneezing or exercise?",
        SafetyTier.REVIEW,
    ),
    Question("head_injury", "Did the headaches start after a head injury?", SafetyTier.REVIEW),
    Question(
        "pregnancy_new",
        "Is this a new headache during pregnancy or since giving birth?",
        SafetyTier.REVIEW,
    ),
    Question(
        "painkiller_overuse",
        "Do you take painkillers for headaches on 10 or more days a month?",
        SafetyTier.REVIEW,
    ),
    Question("pregnancy", "Are you pregnant, or might you be?", flag="pregnancy"),
    Question(
        "anticoagulants",
        "Do you take blood thinners, or have a bleeding disorder?",
        flag="anticoagulants",
    ),
    Question(
        "implanted_device",
        "Do you have a pacemaker or another implanted electrical device?",
        flag="implanted_device",
    ),
    Question(
        "fainting",
        "Are you afraid of needles, or have you ever fainted during treatment or a blood test?",
        flag="fainting",
    ),
)
BY_CODE = {q.code: q for q in QUESTIONS}
TIER_ORDER = (SafetyTier.EMERGENT, SafetyTier.URGENT, SafetyTier.REVIEW)

FLAG_LABELS = {
    "pregnancy": "Pregnancy: avoid LI4, SP6, BL60, BL67, GB21",
    "anticoagulants": "Anticoagulants or bleeding disorder",
    "implanted_device": "Pacemaker or implanted device: no electroacupuncture",
    "fainting": "Needle phobia or fainting history",
}


@dataclass(frozen=True)
class Assessment:
    """What the answers mean: the most serious tier answered yes, and the practitioner's flags."""

    tier: SafetyTier
    flags: tuple[str, ...]
    answers: dict[str, bool]

    @property
    def stops_booking(self) -> bool:
        return self.tier in (SafetyTier.EMERGENT, SafetyTier.URGENT)

    @property
    def needs_review(self) -> bool:
        return self.tier == SafetyTier.REVIEW


def parse_answers(form: Mapping[str, str]) -> dict[str, bool]:
    """Every question answered "yes" or "no" (form fields ``safety_<code>``).

    :raise ValidationFailed: naming each question left unanswered or answered otherwise.
    """
    answers: dict[str, bool] = {}
    errors: dict[str, list[str]] = {}
    for question in QUESTIONS:
        value = form.get(f"safety_{question.code}")
        if value not in ("yes", "no"):
            errors[f"safety_{question.code}"] = ["Answer yes or no."]
        else:
            answers[question.code] = value == "yes"
    if errors:
        raise ValidationFailed(errors)
    return answers


def assess(answers: Mapping[str, bool]) -> Assessment:
    """The tier of the most serious yes (CLEAR if none) and the flags answered yes."""
    yes = {code for code, answer in answers.items() if answer and code in BY_CODE}
    tier = next((t for t in TIER_ORDER if any(BY_CODE[c].tier == t for c in yes)), SafetyTier.CLEAR)
    flags = tuple(q.flag for q in QUESTIONS if q.flag and q.code in yes)
    return Assessment(tier, flags, {q.code: q.code in yes for q in QUESTIONS})


ALERT_TEXT = {
    SafetyTier.EMERGENT: "Safety screen: emergency signs reported online; booking stopped. "
    "Call the patient now.",
    SafetyTier.URGENT: "Safety screen: urgent signs reported online; booking stopped. "
    "Follow up within a day.",
    SafetyTier.REVIEW: "Safety screen: review before the first visit (booked as pending review).",
}


def record_screen(
    session: Session,
    patient: Patient,
    assessment: Assessment,
    now: datetime,
    course_id: int | None = None,
) -> SafetyScreen:
    """Store the answered screen, update the patient's flags, and alert staff when it asks for it.

    Flags shown to the practitioner are the latest screen's: a later screen replaces them.
    """
    if patient.id is None:
        session.flush()
    screen = _screen(patient, assessment, course_id, now)
    session.add(screen)
    patient.safety_flags = list(assessment.flags)
    if assessment.tier in ALERT_TEXT:
        session.add(_staff_alert(patient, assessment.tier, now))
    return screen


def _screen(
    patient: Patient, assessment: Assessment, course_id: int | None, now: datetime
) -> SafetyScreen:
    """The answered screen as a row of the patient's (and course's) history."""
    return SafetyScreen(
        patient_id=patient.id,
        course_id=course_id,
        tier=assessment.tier,
        answers=dict(assessment.answers),
        flags=list(assessment.flags),
        taken_at=now,
    )


def _staff_alert(patient: Patient, tier: SafetyTier, now: datetime) -> StaffAlert:
    """The alert that tells staff what a screen in ``tier`` asks of them."""
    return StaffAlert(
        kind=f"safety_{tier.value}",
        patient_id=patient.id,
        detail=ALERT_TEXT[tier],
        created_at=now,
    )
