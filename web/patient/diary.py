"""The patient's headache diary behind their personal link: a day in a few taps, attacks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from scheduler.clinical.diary import (
    EDIT_DAYS,
    FUNCTION_UNSTATED,
    NOTES_MAX,
    TURNED_DAYS,
    AttackForm,
    DayForm,
    attack_for,
    editable_days,
    local_today,
    recent_attacks,
    recent_entries,
    record_attack,
    record_day,
    record_pain_free_day,
)
from scheduler.clinical.diary_choices import (
    DEFAULT_TRIGGERS,
    FUNCTIONS,
    MEDICATION_LABELS,
    QUALITIES,
    SIDES,
)
from scheduler.clinical.diary_window import attack_editable
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import DiaryAttack, DiaryDay, Patient
from scheduler.patients.links import patient_for_token
from web.context import clock, db
from web.patient.manage import _invalid_link

bp = Blueprint("diary", __name__, url_prefix="/m/<token>")

RECENT_DAYS = 14
MAX_ID = 2**31 - 1
# The day form's fixed choices and limits.
DAY_FORM_CHOICES: dict[str, Any] = {
    "medication_labels": [(k.value, v) for k, v in MEDICATION_LABELS.items()],
    "triggers": DEFAULT_TRIGGERS,
    "notes_max": NOTES_MAX,
    "edit_days": EDIT_DAYS,
}


def day_label(day: date, today: date) -> str:
    """ "Today", "Yesterday", or "Saturday 28 February"."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return day.strftime("%A %-d %B")


def _patient(session: Session, token: str) -> Patient:
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        raise NotFound("no such link")
    return patient


def _chosen_day(raw: str | None, days: list[date]) -> date:
    """The day asked for when it is one of the editable days, else today."""
    try:
        wanted = date.fromisoformat(raw or "")
    except ValueError:
        return days[0]
    return wanted if wanted in days else days[0]


def _day_form(form: MultiDict[str, str]) -> DayForm:
    return DayForm(
        day=form.get("day", ""),
        worst_pain=form.get("worst_pain", ""),
        hours=form.get("hours", ""),
        medication_taken=form.get("medication_taken") == "yes",
        medication_class=form.get("medication_class", ""),
        menstruation=form.get("menstruation") == "yes",
        sleep_hours=form.get("sleep_hours", ""),
        stress=form.get("stress", ""),
        triggers=tuple(form.getlist("triggers")),
        notes=form.get("notes", ""),
    )


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _values_of(entry: DiaryDay | None, day: date) -> DayForm:
    """The form's values for a day: its entry's, or empty."""
    if entry is None:
        return DayForm(day=day.isoformat(), worst_pain="")
    return DayForm(
        day=day.isoformat(),
        worst_pain=str(entry.worst_pain),
        hours=_number(entry.hours),
        medication_taken=entry.acute_medication,
        # A kind left from an earlier answer that "no medicine" has since overruled is not shown.
        medication_class=entry.medication_class.value
        if entry.medication_class and entry.acute_medication
        else "",
        menstruation=entry.menstruation,
        sleep_hours=_number(entry.sleep_hours),
        stress="" if entry.stress is None else str(entry.stress),
        triggers=tuple(entry.triggers or ()),
        notes=entry.notes or "",
    )


def _describe(entry: DiaryDay) -> str:
    """One line for the list of recent entries."""
    if not entry.headache and not entry.acute_medication:
        return "Pain-free"
    parts = [f"Pain {entry.worst_pain}"]
    if entry.hours:
        parts.append(f"{_number(entry.hours)} h")
    if entry.acute_medication:
        parts.append("medicine taken")
    return ", ".join(parts)


def _recent_days(session: Session, patient: Patient, day: date, now: datetime) -> dict[str, Any]:
    """The day's heading, the days to choose from, and the recent entries, each marked with
    whether it can still be changed."""
    today = local_today(patient, now)
    days = editable_days(patient, now)
    entries = recent_entries(session, patient, today - timedelta(days=RECENT_DAYS - 1))
    return {
        "day_name": day_label(day, today),
        "days": [(d, day_label(d, today)) for d in days],
        "entry": next((e for e in entries if e.day == day), None),
        "entries": [(e, day_label(e.day, today), _describe(e), e.day in days) for e in entries],
    }


def _recent_attacks(session: Session, patient: Patient, now: datetime) -> dict[str, Any]:
    """The recent attacks in words, each marked with whether it can still be changed."""
    zone = ZoneInfo(patient.time_zone)
    attacks = recent_attacks(session, patient, now - timedelta(days=RECENT_DAYS))
    return {
        "attacks": [
            (a, attack_summary(a, zone), attack_editable(a, patient, now)) for a in attacks
        ],
        "zone": zone,
    }


def _render_diary(
    session: Session,
    patient: Patient,
    token: str,
    day: date,
    *,
    form: DayForm | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The diary page on ``day``: its form (as given, or as recorded) and the recent records."""
    now = clock().now()
    recent = _recent_days(session, patient, day, now)
    attacks = _recent_attacks(session, patient, now)
    return render_template(
        "diary.html",
        token=token,
        day=day,
        values=form or _values_of(recent["entry"], day),
        errors=errors or {},
        day_attacks=attacks_on_day(attacks["attacks"], day, attacks["zone"]),
        **recent,
        **attacks,
        **DAY_FORM_CHOICES,
    ), status


def attacks_on_day(
    attacks: list[tuple[DiaryAttack, str, bool]], day: date, zone: ZoneInfo
) -> list[str]:
    """The words of each recent attack that touched the local ``day``: such a day is a
    headache day, so it is never offered as pain-free."""
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return [text for a, text, _open in attacks if a.started_at < end and a.ended_at > start]


@bp.get("/diary")
def diary(token: str) -> Any:
    """Today's entry (or one of the last 7 days'), the pain-free button and recent entries."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return _invalid_link()
        days = editable_days(patient, clock().now())
        return _render_diary(session, patient, token, _chosen_day(request.args.get("day"), days))


@bp.post("/diary")
def save_day(token: str) -> Any:
    """Record or change a day's entry; a wrong field is shown next to it and nothing changes."""
    form = _day_form(request.form)

    def work(session: Session) -> date:
        return record_day(session, _patient(session, token), form, now=clock().now()).day

    try:
        saved = db().retrying(work)
    except NotFound:
        return _invalid_link()
    except ValidationFailed as exc:
        with db().session() as session:
            patient = _patient(session, token)
            days = editable_days(patient, clock().now())
            shown = _chosen_day(form.day, days)
            # The heading and the form's day agree: a day that cannot be used shows as today.
            kept = replace(form, day=shown.isoformat())
            return _render_diary(
                session, patient, token, shown, form=kept, errors=exc.fields, status=422
            )
    flash(f"Saved: {saved.strftime('%A %-d %B')}.", "ok")
    return redirect(url_for("diary.diary", token=token, day=saved.isoformat()), code=303)


@bp.post("/diary/pain-free")
def pain_free(token: str) -> Any:
    """Record a day as pain-free in one tap."""
    day = request.form.get("day", "")

    def work(session: Session) -> date:
        return record_pain_free_day(session, _patient(session, token), day, now=clock().now()).day

    try:
        saved = db().retrying(work)
    except NotFound:
        return _invalid_link()
    except ValidationFailed as exc:
        flash(exc.fields["day"][0], "error")
        # Back to the day asked about when it is one the patient can change, else today.
        return redirect(url_for("diary.diary", token=token, day=day or None), code=303)
    flash(f"Saved: {saved.strftime('%A %-d %B')}, pain-free.", "ok")
    return redirect(url_for("diary.diary", token=token, day=saved.isoformat()), code=303)


def _attack_form(form: MultiDict[str, str]) -> AttackForm:
    def ticked(name: str) -> bool:
        return form.get(name) == "yes"

    return AttackForm(
        start_day=form.get("start_day", ""),
        start_time=form.get("start_time", ""),
        end_day=form.get("end_day", ""),
        end_time=form.get("end_time", ""),
        peak_pain=form.get("peak_pain", ""),
        side=form.get("side", ""),
        quality=form.get("quality", ""),
        worse_with_activity=ticked("worse_with_activity"),
        nausea=ticked("nausea"),
        vomiting=ticked("vomiting"),
        light_sound_sensitivity=ticked("light_sound_sensitivity"),
        aura=ticked("aura"),
        aura_minutes=form.get("aura_minutes", ""),
        function=form.get("function", ""),
    )


def _attack_values(attack: DiaryAttack | None, zone: ZoneInfo, today: date) -> AttackForm:
    """The attack form's values: the attack's as recorded, or a new one's today."""
    if attack is None:
        return _new_attack(today)
    start, end = attack.started_at.astimezone(zone), attack.ended_at.astimezone(zone)
    return AttackForm(
        start_day=start.date().isoformat(),
        start_time=start.strftime("%H:%M"),
        end_day=end.date().isoformat(),
        end_time=end.strftime("%H:%M"),
        peak_pain=str(attack.peak_pain),
        side=attack.side,
        quality=attack.quality,
        worse_with_activity=attack.worse_with_activity,
        nausea=attack.nausea,
        vomiting=attack.vomiting,
        light_sound_sensitivity=attack.light_sound_sensitivity,
        aura=attack.aura,
        aura_minutes="" if attack.aura_minutes is None else str(attack.aura_minutes),
        function="" if (attack.details or {}).get(FUNCTION_UNSTATED) else attack.function.value,
    )


def _new_attack(today: date) -> AttackForm:
    """A new attack's form: today, and nothing chosen yet."""
    return AttackForm(
        start_day=today.isoformat(),
        start_time="",
        end_day=today.isoformat(),
        end_time="",
        peak_pain="",
        side="",
        quality="",
        function="",
    )


def _attack_id(raw: str | None) -> int | None:
    """The attack being changed, if any; a malformed id is no attack at all (NotFound)."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFound("no such attack")
    return int(raw)


def _render_attack(
    patient: Patient,
    token: str,
    values: AttackForm,
    attack_id: int | None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    now = clock().now()
    today = local_today(patient, now)
    return render_template(
        "diary_attack.html",
        token=token,
        values=values,
        attack_id=attack_id,
        errors=errors or {},
        sides=SIDES,
        qualities=QUALITIES,
        functions=[(f.value, label) for f, label in FUNCTIONS],
        first_day=(today - timedelta(days=EDIT_DAYS - 1)).isoformat(),
        today=today.isoformat(),
        edit_days=EDIT_DAYS,
    ), status


@bp.route("/diary/attack", methods=["GET", "POST"])
def attack(token: str) -> Any:
    """The optional detail of one attack (it may span days); ``?id=`` changes a recent one."""
    try:
        attack_id = _attack_id(request.values.get("id"))
    except NotFound:
        return _invalid_link()
    if request.method == "POST":
        return _save_attack(token, attack_id)
    return _show_attack(token, attack_id)


def _show_attack(token: str, attack_id: int | None) -> Any:
    """The attack's form: a recent attack's values, or a new attack's."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
            found = attack_for(session, patient, attack_id) if attack_id else None
        except NotFound:
            return _invalid_link()
        zone = ZoneInfo(patient.time_zone)
        today = local_today(patient, clock().now())
        return _render_attack(patient, token, _attack_values(found, zone, today), attack_id)


def _save_attack(token: str, attack_id: int | None) -> Any:
    """Record the attack (or change ``attack_id``); a wrong field is shown next to it (422)."""
    form = _attack_form(request.form)

    def work(session: Session) -> list[str]:
        patient = _patient(session, token)
        saved = record_attack(session, patient, form, now=clock().now(), attack_id=attack_id)
        return list((saved.details or {}).get(TURNED_DAYS, []))

    try:
        turned = db().retrying(work)
    except NotFound:
        return _invalid_link()
    except ValidationFailed as exc:
        with db().session() as session:
            patient = _patient(session, token)
            return _render_attack(patient, token, form, attack_id, exc.fields, 422)
    flash("The attack is saved." + turned_note(turned), "ok")
    return redirect(url_for("diary.diary", token=token), code=303)


def turned_note(days: list[str]) -> str:
    """Plain words for days recorded as pain-free that the attack made headache days."""
    if not days:
        return ""
    names = [date.fromisoformat(d).strftime("%A %-d %B") for d in days]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    now = "it is now a headache day" if len(names) == 1 else "they are now headache days"
    return f" You had recorded {listed} as pain-free; because of this attack {now}."


def attack_summary(attack: DiaryAttack, zone: ZoneInfo) -> str:
    """ "Sun 1 Mar 22:00 to Mon 2 Mar 03:30, worst pain 8"."""
    start, end = attack.started_at.astimezone(zone), attack.ended_at.astimezone(zone)
    same_day = start.date() == end.date()
    until = end.strftime("%H:%M") if same_day else end.strftime("%a %-d %b %H:%M")
    return f"{start.strftime('%a %-d %b %H:%M')} to {until}, worst pain {attack.peak_pain}"
