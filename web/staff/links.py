"""Staff revoking a patient's personal links (a lost phone, a shared link) and issuing a new one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from scheduler.models import Patient
from scheduler.patients.access import patient_practitioners
from scheduler.patients.links import issue_link_token, revoke_links
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.redirects import safe_next
from web.staff.auth import current_staff, staff_required

bp = Blueprint("staff_links", __name__, url_prefix="/staff/patients")


@bp.post("/<id:patient_id>/links/revoke")
@staff_required()
def revoke(patient_id: int) -> Any:
    """Revoke every link of the patient's; a new one is shown once, to give to the patient."""
    user = current_staff()
    assert user is not None
    now = clock().now()
    with db().transaction() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            abort(404)
        if not Permissions.of(user).revoke_links(patient_practitioners(session, patient_id)):
            abort(403)
        revoked = revoke_links(session, patient, now)
        token = issue_link_token(session, patient, now)
    flash(
        f"{revoked} old link(s) no longer work. The patient's new link: "
        f"{settings().manage_url(token)}",
        "ok",
    )
    target = safe_next(request.form.get("next"), url_for("staff.home"), under="/staff/")
    return redirect(target, code=303)
