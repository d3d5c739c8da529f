"""Twilio webhooks: signed delivery reports. An unsigned or forged request changes nothing."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator

from scheduler.delivery import record_delivery_report
from web.context import clock, db, settings

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")

MAX_FIELD = 64


def require_twilio_signature() -> None:
    """Abort with 403 unless ``X-Twilio-Signature`` signs this request.

    The URL checked is the public one Twilio called (``PUBLIC_BASE_URL`` + path and query),
    so it holds behind a TLS-terminating proxy.
    """
    token = settings().twilio.auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    query = request.query_string.decode()
    url = settings().public_base_url + request.path + (f"?{query}" if query else "")
    if not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        abort(403)


@bp.post("/status")
def delivery_status() -> Response | tuple[str, int]:
    """A delivery report: 204 when applied or unknown-but-well-formed, 400 when malformed.

    :raise 403: if the signature is missing or wrong; nothing is stored.
    """
    require_twilio_signature()
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus", "")
    error_code = request.form.get("ErrorCode") or None
    if not sid or not status or len(sid) > MAX_FIELD or len(status) > MAX_FIELD:
        return "MessageSid and MessageStatus are required", 400
    with db().transaction() as session:
        record_delivery_report(session, sid, status, error_code and error_code[:20], clock().now())
    return Response(status=204)
