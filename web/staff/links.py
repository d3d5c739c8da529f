"""Staff revoking a patient's personal links (a lost phone, a shared link); a new one is texted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from scheduler.models import Patient
from scheduler.patients.access import patient_practitioners
from scheduler.patients.links import LinkReplaced, replace_link
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.redirects import safe_next
from web.staff.auth import current_staff, staff_required

bp = Blueprint("staff_links", __name__, url_prefix="/staff/patients")


@bp.post("/<id:patient_id>/links/revoke")
@staff_required()
def revoke(patient_id: int) -> Any:
    """Revoke every link of the patient's and text them a new one; the new link is never shown
    here (it opens the patient's diary).

    :raise 404: if there is no such patient.
    :raise 403: if the policy does not let this staff member revoke the patient's links.
    """
    user = current_staff()
    assert user is not None
    with db().transaction() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            abort(404)
        if not Permissions.of(user).revoke_links(patient_practitioners(session, patient_id)):
            abort(403)
        done = replace_link(session, patient, settings(), clock().now())
    flash(_outcome(done), "ok" if done.texted else "warning")
    target = safe_next(request.form.get("next"), url_for("staff.home"), under="/staff/")
    return redirect(target, code=303)


def _outcome(done: LinkReplaced) -> str:
    """What staff are told: the old links stopped, and whether the new one was texted."""
    old = f"{done.revoked} old link{'' if done.revoked == 1 else 's'} no longer work"
    old += "s." if done.revoked == 1 else "."
    if done.texted:
        return f"{old} A new link was texted to the patient."
    return f"{old} No new link was texted: {done.not_texted_because}."
