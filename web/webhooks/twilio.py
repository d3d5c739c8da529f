"""Twilio webhooks: delivery reports and patients' texts. Unsigned or forged: 403, nothing kept."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from scheduler.messaging.delivery import record_delivery_report
from scheduler.messaging.inbound import receive_sms
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups

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
        code = error_code and error_code[:20]
        record_delivery_report(session, sid, status, code, clock().now(), settings())
    return Response(status=204)


@bp.post("/sms")
def inbound_sms() -> Response | tuple[str, int]:
    """A patient's text: kept, understood, acted on, and answered with TwiML.

    :raise 403: if the signature is missing or wrong; nothing is stored.
    :raise 400: if the sender or the message id is missing.
    """
    require_twilio_signature()
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    sender = form.get("From", "")
    if not sid or not sender or len(sid) > MAX_FIELD or len(sender) > 32:
        return "MessageSid and From are required", 400
    with db().transaction() as session:
        result = receive_sms(
            session,
            sid=sid,
            from_phone=sender,
            to_phone=form.get("To", "")[:32],
            body=form.get("Body", ""),
            settings=settings(),
            now=clock().now(),
        )
    enqueue_follow_ups(result.follow_ups)  # none for a text delivered twice
    return _twiml(result.reply)


def _twiml(reply: str) -> Response:
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), mimetype="application/xml")
