"""The intake safety screen (DOMAIN.md section 4): questions, tiers, flags, and what each does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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
        "Now or in the past 7 days, did a headache come on suddenly and reach its worst within "
        "5 minutes, the worst pain you have ever had?",
        SafetyTier.EMERGENT,
    ),
    Question(
        "fever_stiff_neck", "Do you have a fever together with a stiff neck?", SafetyTier.EMERGENT
    ),
    Question(
        "neuro_deficit",
        "Now or in the past 7 days, have you had new weakness, numbness, trouble speaking or "
        "seeing, or confusion?",
        SafetyTier.EMERGENT,
    ),
    # The same signs longer ago (DOMAIN.md section 4, the time frame): urgent until a doctor
    # has checked them, review first once one has.
    Question(
        "earlier_episode_unchecked",
        "More than 7 days ago, did you have a sudden worst-ever headache like that, or new "
        "weakness, numbness, trouble speaking or seeing, or confusion, that a doctor has not "
        "checked yet?",
        SafetyTier.URGENT,
    ),
    Question(
        "earlier_episode_checked",
        "More than 7 days ago, did you have a sudden worst-ever headache like that, or new "
        "weakness, numbness, trouble speaking or seeing, or confusion, that a doctor has "
        "already checked?",
        SafetyTier.REVIEW,
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

# The screen as patients are asked it, in two parts: what decides whether to book, and what
# the practitioner must know.
SECTIONS: tuple[tuple[str, tuple[Question, ...]], ...] = (
    (
        "Before you book: signs we must know about",
        tuple(q for q in QUESTIONS if q.tier is not None),
    ),
    ("For your practitioner", tuple(q for q in QUESTIONS if q.flag is not None)),
)

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
# Whether anyone has proven the number with a texted code: a stop from an unproven number
# may be someone else's number, typed by a stranger.
PROVEN_TEXT = {True: " Phone number proven.", False: " Phone number not proven."}

# What a stopped patient is told, on the page and in the API's answer (the same words).
STOP_ADVICE = {
    SafetyTier.EMERGENT: "Please get emergency help now. What you told us can be a sign of a "
    "serious problem that needs a doctor straight away. Call {emergency_number} now, or go to "
    "the nearest emergency department. We have not booked a visit.",
    SafetyTier.URGENT: "Please see a doctor within a day. What you told us should be checked by "
    "a doctor before acupuncture. Please contact your GP or an urgent care service today or "
    "tomorrow. We have not booked a visit online.",
}
STOP_FOLLOW_UP = {
    (SafetyTier.EMERGENT, True): " Our team has been told and will call you.",
    (SafetyTier.EMERGENT, False): "",
    (SafetyTier.URGENT, True): " Our team will call you to follow up.",
    (SafetyTier.URGENT, False): " Please call us so we can follow up.",
}


def stop_advice(
    tier: SafetyTier, *, will_call: bool, emergency_number: str, clinic_phone: str
) -> str:
    """What to do now after answers in ``tier`` (emergent or urgent) stopped the booking;
    ``will_call`` when staff have usable contact details to call back."""
    worse = f" If things get worse, call {emergency_number}." if tier == SafetyTier.URGENT else ""
    return (
        STOP_ADVICE[tier].format(emergency_number=emergency_number)
        + STOP_FOLLOW_UP[(tier, will_call)]
        + worse
        + f" You can also call us on {clinic_phone}."
    )


def record_screen(
    session: Session,
    patient: Patient,
    assessment: Assessment,
    now: datetime,
    course_id: int | None = None,
    *,
    zone: ZoneInfo,
) -> SafetyScreen:
    """Store the answered screen, update the patient's flags, and alert staff when it asks for it.

    Flags shown to the practitioner are the latest screen's: a later screen replaces them.
    A stop (emergent or urgent) raises at most one alert per phone per day in ``zone`` (the
    clinic's), however often the answers are sent: see ``raise_stop_alert``.
    """
    if patient.id is None:
        session.flush()
    screen = _screen(patient, assessment, course_id, now)
    session.add(screen)
    session.flush()  # the alert names the screen that raised it
    patient.safety_flags = list(assessment.flags)
    if assessment.stops_booking:
        raise_stop_alert(session, patient, assessment.tier, now, zone, screen=screen)
    elif assessment.tier in ALERT_TEXT:
        session.add(_staff_alert(patient, screen, now))
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


def _staff_alert(patient: Patient, screen: SafetyScreen, now: datetime) -> StaffAlert:
    """The alert that tells staff what ``screen``'s tier asks of them."""
    return StaffAlert(
        kind=f"safety_{screen.tier.value}",
        patient_id=patient.id,
        screen_id=screen.id,
        detail=ALERT_TEXT[screen.tier],
        created_at=now,
    )


def stop_alert_key(phone: str, day: date) -> str:
    """The dedupe key of the one safety-stop alert a phone may raise on a (local) day."""
    return f"safety-stop:{phone}:{day.isoformat()}"


def raise_stop_alert(
    session: Session,
    patient: Patient,
    tier: SafetyTier,
    now: datetime,
    zone: ZoneInfo,
    *,
    screen: SafetyScreen | None = None,
) -> StaffAlert:
    """The day's one alert for a stop from the patient's phone: new, or the one already raised
    today, made more serious when ``tier`` is (urgent then emergent asks for a call now).
    ``screen`` is the answered screen behind the stop; the alert shows the most serious one's.

    A stop sent twice at once cannot raise two: the alert's unique dedupe key decides, and the
    loser of that race (its insert undone by a savepoint) updates the winner's alert instead.
    Closing an alert frees its key, so a stop after that raises a new one.
    """
    key = stop_alert_key(patient.phone_e164, now.astimezone(zone).date())
    proven = _phone_proven(session, patient.phone_e164)
    alert = _alert_by_key(session, key)
    if alert is None:
        alert = _stop_alert(patient, tier, key, proven, now)
        alert.screen_id = screen.id if screen is not None else None
        try:
            with session.begin_nested():
                session.add(alert)
            return alert
        except IntegrityError:
            alert = _alert_by_key(session, key)
            if alert is None:  # refused for another reason than the day's alert
                raise
    _update_stop_alert(alert, tier, proven, screen)
    return alert


def _stop_alert(
    patient: Patient, tier: SafetyTier, key: str, proven: bool, now: datetime
) -> StaffAlert:
    """A new stop alert for ``patient``, marked with whether their number is proven."""
    return StaffAlert(
        kind=f"safety_{tier.value}",
        patient_id=patient.id,
        detail=ALERT_TEXT[tier] + PROVEN_TEXT[proven],
        dedupe_key=key,
        phone_proven=proven,
        created_at=now,
    )


def _update_stop_alert(
    alert: StaffAlert, tier: SafetyTier, proven: bool, screen: SafetyScreen | None
) -> None:
    """The day's alert after another stop: the more serious tier of the two (and the screen
    that said so), and the number's proof as it stands now."""
    raised = SafetyTier(alert.kind.removeprefix("safety_"))
    serious = min(raised, tier, key=TIER_ORDER.index)
    if screen is not None and serious == tier:
        alert.screen_id = screen.id
    alert.kind = f"safety_{serious.value}"
    alert.detail = ALERT_TEXT[serious] + PROVEN_TEXT[proven]
    alert.phone_proven = proven


def _alert_by_key(session: Session, key: str) -> StaffAlert | None:
    return session.scalars(select(StaffAlert).where(StaffAlert.dedupe_key == key)).first()


def _phone_proven(session: Session, phone: str) -> bool:
    """Whether a patient holding ``phone`` proved it with a texted code."""
    proven = select(Patient.id).where(
        Patient.phone_e164 == phone, Patient.phone_verified_at.is_not(None)
    )
    return session.scalar(proven.limit(1)) is not None
