"""The patient's questionnaire pages behind their personal link: what is due, the forms, scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session, object_session

from scheduler.clinical.questionnaire_access import PointState, point_state
from scheduler.clinical.questionnaire_schedule import (
    AlreadyRecorded,
    DuePoint,
    NotDue,
    ScoredResponse,
    due_points,
    point_label,
    record_response,
    scores_for,
)
from scheduler.clinical.questionnaire_wording import Instrument, load_wording
from scheduler.clinical.questionnaires import HIT6_MAX, HIT6_MIN, ITEMS, describe_change
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import Patient, QuestionnaireKind
from scheduler.patients.links import patient_for_token
from web.context import clock, db, settings
from web.patient.manage import _invalid_link as invalid_link

bp = Blueprint("questionnaires", __name__, url_prefix="/m/<token>/questionnaires")


def _wording() -> dict[QuestionnaireKind, Instrument]:
    return load_wording(settings().questionnaires_file)


def _patient(session: Session, token: str) -> Patient:
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        raise NotFound("no such link")
    return patient


def _kind(kind: str) -> QuestionnaireKind:
    try:
        return QuestionnaireKind(kind)
    except ValueError:
        abort(404)


def _not_open() -> tuple[str, int]:
    return render_template(
        "error.html",
        title="This questionnaire is not open",
        message="It may not be due yet, or its time has passed. Your personal page shows "
        "the questionnaires waiting for you.",
    ), 404


@bp.app_template_global()
def questionnaires_due(patient: Patient) -> list[DuePoint]:
    """What ``patient`` is asked to answer now (for the link on their manage page)."""
    session = object_session(patient)
    if session is None:
        with db().session() as fresh:
            return due_points(fresh, fresh.get_one(Patient, patient.id), clock().now())
    return due_points(session, patient, clock().now())


@bp.get("")
def index(token: str) -> Any:
    """The questionnaires waiting for an answer, and the scores of those answered."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return invalid_link()
        return render_template(
            "questionnaires.html",
            token=token,
            patient=patient,
            due=due_points(session, patient, clock().now()),
            scores=list(reversed(scores_for(session, patient.id))),
            wording=_wording(),
            point_label=point_label,
            zone=settings().zone,
        )


def _answers(kind: QuestionnaireKind) -> dict[str, Any]:
    return {code: request.form.get(f"item_{code}") for code in ITEMS[kind]}


@bp.route("/<kind>", methods=["GET", "POST"])
def answer(token: str, kind: str) -> Any:
    """The questionnaire's form; a valid answer is scored, stored, and its result shown.

    :raise 404: for an unknown link, an unknown questionnaire, or one not open now.
    """
    questionnaire = _kind(kind)
    point = request.args.get("point", "")[:40]
    now = clock().now()
    if request.method == "POST":
        try:
            return _record(token, questionnaire, point, now)
        except ValidationFailed as exc:
            return _show_form(token, questionnaire, point, now, exc.fields)
    return _show_form(token, questionnaire, point, now, {})


def _record(token: str, questionnaire: QuestionnaireKind, point: str, now: datetime) -> Any:
    """Score and keep the answers, then show the result; answers kept already are not changed.

    :raise ValidationFailed: with a message for every wrong answer; nothing is kept.
    """
    try:
        with db().transaction() as session:
            patient = _patient(session, token)
            answers = _answers(questionnaire)
            response_id = record_response(session, patient, questionnaire, point, answers, now).id
    except NotFound:
        return invalid_link()
    except AlreadyRecorded:
        flash("These answers were already recorded; your first answers are kept.", "error")
        return redirect(url_for("questionnaires.index", token=token), code=303)
    except NotDue:
        return _not_open()
    return redirect(
        url_for("questionnaires.result", token=token, response_id=response_id), code=303
    )


def _show_form(
    token: str,
    questionnaire: QuestionnaireKind,
    point: str,
    now: datetime,
    errors: dict[str, list[str]],
) -> Any:
    """The form while the questionnaire is open at ``point``; else why it is not."""
    with db().session() as session:
        try:
            state = point_state(session, _patient(session, token), questionnaire, point, now)
        except NotFound:
            return invalid_link()
    if state == PointState.ANSWERED:
        flash("You have already answered this questionnaire. Thank you.", "ok")
        return redirect(url_for("questionnaires.index", token=token), code=303)
    if state == PointState.CLOSED:
        return _not_open()
    return _form_page(token, questionnaire, point, errors)


def _form_page(
    token: str, questionnaire: QuestionnaireKind, point: str, errors: dict[str, list[str]]
) -> tuple[str, int]:
    """The questionnaire's items, with the answers given and their errors after a refusal."""
    return render_template(
        "questionnaire_form.html",
        token=token,
        kind=questionnaire.value,
        point=point,
        point_label=point_label(point),
        instrument=_wording()[questionnaire],
        values=_answers(questionnaire) if request.method == "POST" else {},
        errors=errors,
    ), (422 if errors else 200)


@bp.get("/results/<id:response_id>")
def result(token: str, response_id: int) -> Any:
    """One answered questionnaire: the score, what it means, and the change since last time."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return invalid_link()
        fall = settings().hit6_meaningful_change
        scores = scores_for(session, patient.id, meaningful_fall=fall)
        shown = next((s for s in scores if s.id == response_id), None)
        if shown is None:
            return invalid_link()
        return render_template(
            "questionnaire_result.html",
            token=token,
            shown=shown,
            instrument=_wording()[shown.kind],
            change=_change_words(shown, fall),
            due=due_points(session, patient, clock().now()),
            wording=_wording(),
            point_label=point_label,
            hit6_range=(HIT6_MIN, HIT6_MAX),
            zone=settings().zone,
        )


def _change_words(shown: ScoredResponse, meaningful_fall: int) -> str | None:
    """The change since the previous answer in words; None for a first answer."""
    if shown.change is None:
        return None
    return describe_change(shown.kind, shown.change, meaningful_fall)
