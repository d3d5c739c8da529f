"""Keeping the diary from the web: a day entry (or a pain-free day in one tap) and an attack.

The forms arrive as the text the patient typed; every field is checked, every message is
collected, and nothing changes unless all of them pass (``ValidationFailed``). One day has one
entry: sending the same day again updates it, whether it first came by SMS or the web.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.clinical.diary_choices import DEFAULT_TRIGGERS, SIDES, trigger_codes
from scheduler.errors import ConcurrentConflict, NotFound, ValidationFailed
from scheduler.field_errors import FieldErrors
from scheduler.models import AttackFunction, DiaryAttack, DiaryDay, MedicationClass, Patient

EDIT_DAYS = 7  # today and the 6 days before it
NOTES_MAX = 1000
QUALITY_VALUES = ("pulsating", "pressing")
AURA_MINUTES_MAX = 24 * 60
# Keys in an attack's ``details``: how much the patient could do was not said (the column holds
# "normal" then), and the days recorded as pain-free that saving the attack made headache days.
FUNCTION_UNSTATED = "function_unstated"
TURNED_DAYS = "turned_headache_days"

PAIN_MESSAGE = "Choose your worst pain, a whole number from 0 (none) to 10."
PEAK_MESSAGE = "Choose the worst pain, a whole number from 0 to 10."
STRESS_MESSAGE = "Choose stress as a whole number from 0 (none) to 10."
NO_PAIN_WITH_ATTACK = (
    "You recorded an attack on this day: choose the worst pain you had, or change the attack."
)
PAIN_FREE_WITH_ATTACK = (
    "You recorded an attack on this day, so it cannot be pain-free. "
    "Enter your worst pain below, or change the attack."
)


@dataclass(frozen=True)
class DayForm:
    """A day entry as typed: strings from the form, ticks as booleans."""

    day: str
    worst_pain: str
    hours: str = ""
    medication_taken: bool = False
    medication_class: str = ""
    menstruation: bool = False
    sleep_hours: str = ""
    stress: str = ""
    triggers: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class AttackForm:
    """An attack as typed: local start and end (date and time), peak pain and features."""

    start_day: str
    start_time: str
    end_day: str
    end_time: str
    peak_pain: str
    side: str
    quality: str
    worse_with_activity: bool = False
    nausea: bool = False
    vomiting: bool = False
    light_sound_sensitivity: bool = False
    aura: bool = False
    aura_minutes: str = ""
    function: str = AttackFunction.NORMAL.value


def local_today(patient: Patient, now: datetime) -> date:
    """Today's date where the patient lives."""
    return now.astimezone(ZoneInfo(patient.time_zone)).date()


def editable_days(patient: Patient, now: datetime) -> list[date]:
    """The days whose entries may be added or changed: today and the 6 before, newest first."""
    today = local_today(patient, now)
    return [today - timedelta(days=i) for i in range(EDIT_DAYS)]


def _number(raw: str) -> float | None:
    """A finite number from text ("1.5" or "1,5"); None if it is not one."""
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _whole(raw: str, low: int, high: int) -> int | None:
    value = _number(raw)
    if value is None or value != int(value) or not low <= value <= high:
        return None
    return int(value)


def _hours(errors: FieldErrors, name: str, raw: str, message: str) -> float | None:
    if not raw.strip():
        return None
    value = _number(raw)
    if value is None or not 0 <= value <= 24:
        errors.add(name, message)
        return None
    return round(value, 2)


def _day(errors: FieldErrors, name: str, raw: str, today: date, what: str = "Days") -> date | None:
    if not raw.strip():
        errors.add(name, "Choose a day.")
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        errors.add(name, "Enter the date as year-month-day, like 2026-03-02.")
        return None
    if day > today:
        errors.add(name, "The day cannot be in the future.")
    elif (today - day).days >= EDIT_DAYS:
        errors.add(name, f"{what} can be added or changed for the last {EDIT_DAYS} days only.")
    return day


@dataclass(frozen=True)
class _ValidDay:
    day: date
    worst_pain: int
    hours: float | None
    medication_class: MedicationClass | None
    medication_taken: bool
    sleep_hours: float | None
    stress: int | None
    triggers: list[str]


def validate_day(
    form: DayForm, today: date, allowed_triggers: tuple[str, ...] | None = None
) -> _ValidDay:
    """Check every field of a day entry.

    :raise ValidationFailed: with a message for each wrong field.
    """
    allowed = allowed_triggers if allowed_triggers is not None else trigger_codes(DEFAULT_TRIGGERS)
    errors = FieldErrors()
    day = _day(errors, "day", form.day, today)
    pain = _scale(errors, "worst_pain", form.worst_pain, PAIN_MESSAGE)
    hours = _headache_hours(errors, form.hours, pain)
    medication, taken = _medication(errors, form)
    sleep = _hours(errors, "sleep_hours", form.sleep_hours, "Enter hours of sleep, from 0 to 24.")
    stress = _optional_scale(errors, "stress", form.stress, STRESS_MESSAGE)
    triggers = _triggers(errors, form.triggers, allowed)
    if len(form.notes) > NOTES_MAX:
        errors.add("notes", f"Keep notes to {NOTES_MAX} characters or fewer.")
    errors.raise_if_any()
    assert day is not None and pain is not None
    return _ValidDay(day, pain, hours, medication, taken, sleep, stress, triggers)


def _scale(errors: FieldErrors, name: str, raw: str, message: str) -> int | None:
    """A whole number from 0 to 10; ``message`` when it is missing or not one."""
    value = _whole(raw, 0, 10) if raw.strip() else None
    if value is None:
        errors.add(name, message)
    return value


def _optional_scale(errors: FieldErrors, name: str, raw: str, message: str) -> int | None:
    """Like ``_scale``, but None without a message when left empty."""
    return _scale(errors, name, raw, message) if raw.strip() else None


def _headache_hours(errors: FieldErrors, raw: str, pain: int | None) -> float | None:
    """Hours of headache; on a pain-free day none are allowed, and empty means 0."""
    hours = _hours(errors, "hours", raw, "Enter the hours of headache, from 0 to 24.")
    if pain == 0 and hours:
        errors.add("hours", "With no pain, leave the hours of headache empty or at 0.")
    return 0.0 if pain == 0 and hours is None else hours


def _medication(errors: FieldErrors, form: DayForm) -> tuple[MedicationClass | None, bool]:
    """The kind of medicine taken, if named, and whether any was (naming a kind says so)."""
    medication: MedicationClass | None = None
    if form.medication_class.strip():
        try:
            medication = MedicationClass(form.medication_class.strip())
        except ValueError:
            errors.add("medication_class", "Choose one of the kinds of medicine listed.")
    return medication, form.medication_taken or medication is not None


def _triggers(errors: FieldErrors, ticked: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    """The ticked triggers in the order of the list offered."""
    if any(t not in allowed for t in ticked):
        errors.add("triggers", "Choose triggers from the list only.")
    return [t for t in allowed if t in ticked]


def _entry_for(session: Session, patient: Patient, day: date, now: datetime) -> DiaryDay:
    """The patient's entry for ``day``, created (and flushed) when there is none.

    :raise ConcurrentConflict: if another request created it at the same moment (the caller's
        retry then finds and updates it).
    """
    entry = session.scalars(
        select(DiaryDay).where(DiaryDay.patient_id == patient.id, DiaryDay.day == day)
    ).first()
    return entry if entry is not None else _insert_entry(session, patient, day, now)


def _insert_entry(session: Session, patient: Patient, day: date, now: datetime) -> DiaryDay:
    """A blank web entry for ``day``, flushed in a savepoint of its own.

    :raise ConcurrentConflict: if another request created the day at the same moment.
    """
    entry = DiaryDay(
        patient_id=patient.id,
        day=day,
        headache=False,
        worst_pain=0,
        acute_medication=False,
        menstruation=False,
        triggers=[],
        notes="",
        source="web",
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError as exc:
        raise ConcurrentConflict("the day was recorded at the same moment") from exc
    return entry


def record_day(
    session: Session,
    patient: Patient,
    form: DayForm,
    *,
    now: datetime,
    allowed_triggers: tuple[str, ...] | None = None,
) -> DiaryDay:
    """Record or change the patient's entry for a day (one of the last 7, not the future).

    Sending the same day again updates its one entry, including one that came by SMS.

    :raise ValidationFailed: if any field is wrong, or no pain is given for a day with an
        attack (the attack makes it a headache day); nothing is changed.
    :raise ConcurrentConflict: if the same day was created at the same instant (retry).
    """
    valid = validate_day(form, local_today(patient, now), allowed_triggers)
    if valid.worst_pain == 0 and attack_on(session, patient, valid.day):
        raise ValidationFailed({"worst_pain": [NO_PAIN_WITH_ATTACK]})
    entry = _entry_for(session, patient, valid.day, now)
    _fill_day(entry, valid, form, now)
    session.flush()
    return entry


def _fill_day(entry: DiaryDay, valid: _ValidDay, form: DayForm, now: datetime) -> None:
    """Write the checked answers (and the ticks and notes as given) into the day's entry."""
    entry.headache = valid.worst_pain > 0
    entry.worst_pain = valid.worst_pain
    entry.hours = valid.hours
    entry.acute_medication = valid.medication_taken
    entry.medication_class = valid.medication_class
    entry.menstruation = form.menstruation
    entry.sleep_hours = valid.sleep_hours
    entry.stress = valid.stress
    entry.triggers = valid.triggers
    entry.notes = form.notes.strip()
    entry.source = "web"
    entry.updated_at = now


def record_pain_free_day(
    session: Session, patient: Patient, day: str, *, now: datetime
) -> DiaryDay:
    """Record a day as pain-free in one step: no pain, no hours, no medicine. The day's other
    details (sleep, stress, notes...) are kept as they were.

    :raise ValidationFailed: if the day is not one of the last 7, or an attack was recorded on
        it (the attack makes it a headache day); nothing is changed.
    """
    errors = FieldErrors()
    valid_day = _day(errors, "day", day, local_today(patient, now))
    if valid_day is not None and "day" not in errors and attack_on(session, patient, valid_day):
        errors.add("day", PAIN_FREE_WITH_ATTACK)
    errors.raise_if_any()
    assert valid_day is not None
    entry = _entry_for(session, patient, valid_day, now)
    entry.headache = False
    entry.worst_pain = 0
    entry.hours = 0.0
    entry.acute_medication = False
    entry.medication_class = None
    entry.source = "web"
    entry.updated_at = now
    session.flush()
    return entry


def _instant(
    errors: FieldErrors, name: str, day_raw: str, time_raw: str, zone: ZoneInfo
) -> datetime | None:
    try:
        day = date.fromisoformat(day_raw.strip())
        clock = time.fromisoformat(time_raw.strip())
    except ValueError:
        errors.add(name, "Enter the day and the time, like 2026-03-02 and 14:30.")
        return None
    return datetime.combine(day, clock.replace(second=0, microsecond=0, tzinfo=None), zone)


@dataclass(frozen=True)
class _ValidAttack:
    started_at: datetime
    ended_at: datetime
    peak_pain: int
    aura_minutes: int | None
    function: AttackFunction


def validate_attack(form: AttackForm, patient: Patient, now: datetime) -> _ValidAttack:
    """Check every field of an attack: it started in the last 7 days, ended after it started
    and not in the future, and its details are among the choices.

    :raise ValidationFailed: with a message for each wrong field.
    """
    errors = FieldErrors()
    start, end = _attack_span(errors, form, patient, now)
    peak = _scale(errors, "peak_pain", form.peak_pain, PEAK_MESSAGE)
    # Side, quality and function are optional detail: empty means "not said", only a value
    # outside the choices is wrong.
    if form.side and form.side not in dict(SIDES):
        errors.add("side", "Choose left, right or both sides.")
    if form.quality and form.quality not in QUALITY_VALUES:
        errors.add("quality", "Choose throbbing or pressing.")
    aura_minutes = _aura_minutes(errors, form)
    function = _function(errors, form.function)
    errors.raise_if_any()
    assert start is not None and end is not None and peak is not None and function is not None
    return _ValidAttack(start, end, peak, aura_minutes, function)


def _attack_span(
    errors: FieldErrors, form: AttackForm, patient: Patient, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The attack's start and end in the patient's zone; messages for a start in the future
    or before the last 7 days, and an end in the future or not after the start."""
    zone = ZoneInfo(patient.time_zone)
    start = _instant(errors, "start", form.start_day, form.start_time, zone)
    end = _instant(errors, "end", form.end_day, form.end_time, zone)
    if start is not None and (problem := _start_error(start, local_today(patient, now), now)):
        errors.add("start", problem)
    if end is not None and end > now:
        errors.add("end", "The end cannot be in the future.")
    elif start is not None and end is not None and end <= start:
        errors.add("end", "The end must be after the start.")
    return start, end


def _start_error(start: datetime, today: date, now: datetime) -> str | None:
    """Why an attack cannot be recorded as starting then: in the future, or too long ago."""
    if start > now:
        return "The start cannot be in the future."
    if (today - start.date()).days >= EDIT_DAYS:
        return f"Attacks can be added or changed for the last {EDIT_DAYS} days only."
    return None


def _aura_minutes(errors: FieldErrors, form: AttackForm) -> int | None:
    """How long the aura lasted, when there was one and the patient said."""
    if not form.aura or not form.aura_minutes.strip():
        return None
    minutes = _whole(form.aura_minutes, 0, AURA_MINUTES_MAX)
    if minutes is None:
        errors.add("aura_minutes", "Enter the aura's minutes as a whole number, 0 to 1440.")
    return minutes


def _function(errors: FieldErrors, raw: str) -> AttackFunction | None:
    """How much the patient could do during the attack, one of the listed choices; when not
    said, "normal" is stored (the column needs a value) and the attack notes it was not said."""
    if not raw:
        return AttackFunction.NORMAL
    try:
        return AttackFunction(raw)
    except ValueError:
        errors.add("function", "Choose how much you could do.")
        return None


def record_attack(
    session: Session,
    patient: Patient,
    form: AttackForm,
    *,
    now: datetime,
    attack_id: int | None = None,
) -> DiaryAttack:
    """Record an attack, or change one recorded in the last 7 days (``attack_id``). Sending the
    same start again updates that attack rather than adding a second. Each day the attack
    touched that was recorded as pain-free becomes a headache day; those days are listed in
    the attack's ``details`` under ``TURNED_DAYS``.

    :raise ValidationFailed: if any field is wrong; nothing is changed.
    :raise NotFound: if ``attack_id`` is not one of the patient's attacks.
    """
    valid = validate_attack(form, patient, now)
    attack = _attack_to_record(session, patient, valid.started_at, now, attack_id)
    _fill_attack(attack, valid, form, now)
    turned = _turn_pain_free_days(session, patient, attack, now)
    attack.details = {
        **(attack.details or {}),
        FUNCTION_UNSTATED: not form.function,
        TURNED_DAYS: [d.isoformat() for d in turned],
    }
    session.flush()
    return attack


def _attack_to_record(
    session: Session, patient: Patient, started_at: datetime, now: datetime, attack_id: int | None
) -> DiaryAttack:
    """The attack named by ``attack_id``; else the patient's attack with the same start; else a
    new one.

    :raise NotFound: if ``attack_id`` is not one of the patient's attacks.
    :raise ValidationFailed: if the attack named started before the last 7 days.
    """
    if attack_id is not None:
        return _changeable_attack(session, patient, attack_id, now)
    attack = session.scalars(
        select(DiaryAttack).where(
            DiaryAttack.patient_id == patient.id, DiaryAttack.started_at == started_at
        )
    ).first()
    if attack is None:
        attack = DiaryAttack(patient_id=patient.id, created_at=now, details={})
        session.add(attack)
    return attack


def _changeable_attack(
    session: Session, patient: Patient, attack_id: int, now: datetime
) -> DiaryAttack:
    """:raise NotFound: if the attack is not the patient's.
    :raise ValidationFailed: if it started before the last 7 days."""
    attack = attack_for(session, patient, attack_id)
    if (local_today(patient, now) - _local_day(attack, patient)).days >= EDIT_DAYS:
        raise ValidationFailed(
            {"start": [f"Attacks can be changed for the last {EDIT_DAYS} days only."]}
        )
    return attack


def _fill_attack(attack: DiaryAttack, valid: _ValidAttack, form: AttackForm, now: datetime) -> None:
    """Write the checked times and choices, and the features ticked, into the attack."""
    attack.started_at = valid.started_at
    attack.ended_at = valid.ended_at
    attack.peak_pain = valid.peak_pain
    attack.side = form.side
    attack.quality = form.quality
    attack.worse_with_activity = form.worse_with_activity
    attack.nausea = form.nausea
    attack.vomiting = form.vomiting
    attack.light_sound_sensitivity = form.light_sound_sensitivity
    attack.aura = form.aura
    attack.aura_minutes = valid.aura_minutes
    attack.function = valid.function
    attack.updated_at = now


def _attack_days(attack: DiaryAttack, patient: Patient) -> list[date]:
    """The patient's local days the attack touched, from its start to its end."""
    zone = ZoneInfo(patient.time_zone)
    first = attack.started_at.astimezone(zone).date()
    last = attack.ended_at.astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _hours_on(attack: DiaryAttack, day: date, zone: ZoneInfo) -> float:
    """The hours of the attack that fell on the local ``day``."""
    start = max(attack.started_at, datetime.combine(day, time(0), zone))
    end = min(attack.ended_at, datetime.combine(day + timedelta(days=1), time(0), zone))
    return round(min(24.0, max(0.0, (end - start).total_seconds() / 3600)), 2)


def _turn_pain_free_days(
    session: Session, patient: Patient, attack: DiaryAttack, now: datetime
) -> list[date]:
    """Make each day recorded as pain-free that the attack touched a headache day: a pain-free
    day and an attack on the same day cannot both stand. Returns the days changed."""
    zone = ZoneInfo(patient.time_zone)
    turned = []
    for entry in recent_entries(session, patient, _attack_days(attack, patient)[0]):
        if entry.day in _attack_days(attack, patient) and not entry.headache:
            entry.headache = True
            entry.worst_pain = max(entry.worst_pain, attack.peak_pain)
            entry.hours = max(entry.hours or 0.0, _hours_on(attack, entry.day, zone))
            entry.updated_at = now
            turned.append(entry.day)
    return sorted(turned)


def attack_on(session: Session, patient: Patient, day: date) -> bool:
    """Whether one of the patient's attacks touched the local ``day``."""
    zone = ZoneInfo(patient.time_zone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    found = session.scalars(
        select(DiaryAttack.id).where(
            DiaryAttack.patient_id == patient.id,
            DiaryAttack.started_at < end,
            DiaryAttack.ended_at > start,
        )
    ).first()
    return found is not None


def _local_day(attack: DiaryAttack, patient: Patient) -> date:
    return attack.started_at.astimezone(ZoneInfo(patient.time_zone)).date()


def attack_for(session: Session, patient: Patient, attack_id: int) -> DiaryAttack:
    """One of the patient's attacks.

    :raise NotFound: if it is not theirs (or does not exist).
    """
    attack = session.get(DiaryAttack, attack_id)
    if attack is None or attack.patient_id != patient.id:
        raise NotFound("no such attack")
    return attack


def recent_entries(session: Session, patient: Patient, since: date) -> list[DiaryDay]:
    """The patient's day entries from ``since`` on, newest first."""
    return list(
        session.scalars(
            select(DiaryDay)
            .where(DiaryDay.patient_id == patient.id, DiaryDay.day >= since)
            .order_by(DiaryDay.day.desc())
        )
    )


def recent_attacks(session: Session, patient: Patient, since: datetime) -> list[DiaryAttack]:
    """The patient's attacks that ended from ``since`` on, newest first."""
    return list(
        session.scalars(
            select(DiaryAttack)
            .where(DiaryAttack.patient_id == patient.id, DiaryAttack.ended_at >= since)
            .order_by(DiaryAttack.started_at.desc())
        )
    )
