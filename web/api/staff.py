"""The staff API: a patient's message thread, the messaging monitor, retrying a failure.

Signed-in staff only (the console's session); POSTs need the CSRF token in X-CSRFToken.
"""

from __future__ import annotations

from typing import Any, cast

import redis
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from ops.embedded_redis import resolve_redis_url
from scheduler.health import read_heartbeat
from scheduler.messaging.monitor import monitor, patient_thread, retry_failed
from scheduler.models import Patient
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.auth import current_staff, may_see_patient, staff_required

blp = Blueprint("staff_api", __name__, url_prefix="/api/v1/staff", description="Staff")
QUEUE = "clinic"


class ThreadEntrySchema(Schema):
    direction = fields.Str(required=True, metadata={"description": "out or in"})
    at = fields.AwareDateTime(required=True)
    kind = fields.Str(required=True)
    text = fields.Str(required=True)
    status = fields.Str(required=True)
    error_code = fields.Str(allow_none=True)
    message_id = fields.Int(required=True)
    channel = fields.Str(
        required=True, metadata={"description": "sms or email (a patient's message: sms)"}
    )
    to_email = fields.Str(allow_none=True, metadata={"description": "an email's address"})
    subject = fields.Str(allow_none=True, metadata={"description": "an email's subject"})
    invite = fields.Str(
        allow_none=True,
        metadata={"description": "an email's calendar invite: new, moved or cancel"},
    )
    fallback_for_id = fields.Int(
        allow_none=True,
        metadata={"description": "the text this email was sent instead of (undeliverable)"},
    )


class MessageRowSchema(Schema):
    id = fields.Int(required=True)
    patient_id = fields.Int(required=True)
    kind = fields.Str(required=True)
    channel = fields.Str(required=True, metadata={"description": "sms or email"})
    to_email = fields.Str(allow_none=True, metadata={"description": "an email's address"})
    status = fields.Str(required=True)
    error_code = fields.Str(allow_none=True)
    error_message = fields.Str(allow_none=True)
    due_at = fields.AwareDateTime(required=True)
    claimed_at = fields.AwareDateTime(allow_none=True)


class ChannelFiguresSchema(Schema):
    counts = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    overdue = fields.Int(required=True)
    sent_last_hour = fields.Int(required=True)


class MonitorSchema(Schema):
    counts = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    channels = fields.Dict(
        keys=fields.Str(),
        values=fields.Nested(ChannelFiguresSchema),
        required=True,
        metadata={"description": "the counts, overdue and sent figures for sms and for email"},
    )
    overdue = fields.Int(required=True)
    queue_depth = fields.Int(allow_none=True)
    sent_last_hour = fields.Int(required=True)
    worker = fields.Dict(required=True)
    stuck = fields.List(fields.Nested(MessageRowSchema), required=True)
    failed = fields.List(fields.Nested(MessageRowSchema), required=True)
    open_alerts = fields.Int(required=True)


def _row(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "patient_id": m.patient_id,
        "kind": m.kind.value,
        "channel": m.channel.value,
        "to_email": m.to_email,
        "status": m.status.value,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "due_at": m.due_at,
        "claimed_at": m.claimed_at,
    }


@blp.route("/patients/<id:patient_id>/messages")
class Thread(MethodView):
    @blp.response(200, ThreadEntrySchema(many=True))
    @staff_required(api=True)
    def get(self, patient_id: int) -> list[dict[str, Any]]:
        """Every text and email to and from a patient, with statuses and errors; an email
        with its address, subject and plain-text words.

        The front desk sees "(diary reply)" instead of the words of a diary reply.

        :raise 401: if not signed in. :raise 403: if a practitioner asks for another's patient.
        :raise 404: if there is no such patient.
        """
        user = current_staff()
        assert user is not None
        with db().session() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                abort(404, message="No such patient.")
            if not may_see_patient(session, user, patient_id):
                abort(403)
            show_diary = Permissions.of(user).see_clinical()
            entries = patient_thread(session, patient, show_diary=show_diary)
            return [e.__dict__ for e in entries]


def _queue_depth() -> tuple[int | None, dict[str, Any]]:
    cfg = settings()
    try:
        client = redis.Redis.from_url(
            resolve_redis_url(cfg.redis_url, cfg.instance_path), socket_timeout=2
        )
        beat = read_heartbeat(client, clock().now())
        return cast(int, client.llen(QUEUE)), {
            "status": beat.status,
            "last_seen": beat.last_seen.isoformat() if beat.last_seen else None,
        }
    except redis.exceptions.RedisError:
        return None, {"status": "unknown", "last_seen": None}


@blp.route("/messages/monitor")
class MessagingMonitor(MethodView):
    @blp.response(200, MonitorSchema)
    @staff_required(Permissions.see_messages, api=True)
    def get(self) -> dict[str, Any]:
        """Counts by status, overdue, stuck and failed messages, queue depth and heartbeat;
        the counts, overdue and sent figures also per channel (sms, email).

        :raise 401: if not signed in. :raise 403: for practitioners.
        """
        depth, worker = _queue_depth()
        with db().session() as session:
            view = monitor(session, clock().now())
            return {
                "counts": view.counts,
                "channels": {name: vars(f) for name, f in view.channels.items()},
                "overdue": view.overdue,
                "queue_depth": depth,
                "sent_last_hour": view.sent_last_hour,
                "worker": worker,
                "stuck": [_row(m) for m in view.stuck],
                "failed": [_row(m) for m in view.failed],
                "open_alerts": len(view.open_alerts),
            }


@blp.route("/messages/<id:message_id>/retry")
class Retry(MethodView):
    @blp.response(200, MessageRowSchema)
    @staff_required(Permissions.retry_messages, api=True)
    def post(self, message_id: int) -> dict[str, Any]:
        """Queue a failed message again (to the patient's current number, or for an email
        their current address).

        :raise 404: if there is no failed message with that id, or it is an email and the
            patient has no address any more.
        """
        with db().transaction() as session:
            message = retry_failed(session, message_id, clock().now())
            if message is None:
                abort(
                    404,
                    message="No failed message with that id (or no address left to email it to).",
                )
            return _row(message)
