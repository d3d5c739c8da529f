"""Proving a phone over the API: ask for a code texted to it, then check the code for a proof
that a booking presents once."""

from __future__ import annotations

from typing import Any, NoReturn

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from scheduler.errors import NotFound, ValidationFailed
from scheduler.patients.verification import (
    CodeExpired,
    CodeRequestRefused,
    CodeSpent,
    check_code,
    request_code,
    verification_id_from,
    verification_ref,
    wrong_code_text,
)
from web.api.schemas import (
    CodeCheckInSchema,
    CodeRequestInSchema,
    CodeSentSchema,
    PhoneProofSchema,
)
from web.context import clock, db, settings
from web.limits import code_checks_limited, code_requests_limited, requester

blp = Blueprint(
    "verification", __name__, url_prefix="/api/v1", description="Proving a phone with a code"
)


@blp.route("/phone-verifications")
class PhoneVerifications(MethodView):
    @code_requests_limited
    @blp.arguments(CodeRequestInSchema)
    @blp.response(202, CodeSentSchema)
    @blp.alt_response(429, description="Too many codes for this number or from here.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Text a 6-digit code to the phone, valid 10 minutes. The answer is the same whether
        or not the number is a patient's.

        :raise 422: if the phone is not a mobile number the clinic can text; nothing is sent.
        :raise 429: with Retry-After, if the number had a code less than a minute ago or its
            codes for the hour, or this address had its codes for the hour; nothing is sent.
        """
        cfg = settings()
        try:
            sent = db().retrying(
                lambda session: request_code(
                    session, data["phone"], requester(), cfg, clock().now()
                )
            )
        except ValidationFailed as exc:
            abort(422, errors={"json": exc.fields})
        except CodeRequestRefused as refused:
            _too_many(refused)
        return {
            "verification_id": verification_ref(sent.verification_id, cfg),
            "expires_at": sent.expires_at,
            "resend_after": sent.resend_at,
        }


def _too_many(refused: CodeRequestRefused) -> NoReturn:
    """:raise 429: with the wait in words and in ``Retry-After``."""
    abort(
        429,
        message=refused.message,
        headers={"Retry-After": str(refused.retry_after_s)},
    )


@blp.route("/phone-verifications/<string:verification_id>/check")
class PhoneVerificationCheck(MethodView):
    @code_checks_limited
    @blp.arguments(CodeCheckInSchema)
    @blp.response(200, PhoneProofSchema)
    @blp.alt_response(404, description="No such code.")
    @blp.alt_response(409, description="The code was answered already or has no tries left.")
    @blp.alt_response(410, description="The code has expired.")
    def post(self, data: dict[str, Any], verification_id: str) -> dict[str, Any]:
        """Check the code texted to the phone. Right: the ``phone_proof`` a booking presents
        (once, within 30 minutes). Each code allows 5 tries.

        :raise 404: if there is no such code.
        :raise 409: if it was answered already, or its 5 tries are used up.
        :raise 410: if its 10 minutes have passed.
        :raise 422: if the code is wrong (``errors.json.code`` says how many tries are left),
            or is not 6 digits (no try is used up).
        """
        cfg = settings()
        found = verification_id_from(verification_id, cfg)
        if found is None:
            abort(404, message="No such code.")
        try:
            check = db().retrying(
                lambda session: check_code(session, found, data["code"], cfg, clock().now())
            )
        except (ValidationFailed, NotFound, CodeExpired, CodeSpent) as exc:
            _refuse(exc)
        if not check.right:
            abort(422, errors={"json": {"code": [wrong_code_text(check.tries_left)]}})
        return {"phone_proof": check.proof, "expires_at": check.proof_expires_at}


def _refuse(exc: Exception) -> NoReturn:
    """The answer to a code that cannot be checked: why, with its status."""
    if isinstance(exc, ValidationFailed):
        abort(422, errors={"json": exc.fields})
    if isinstance(exc, NotFound):
        abort(404, message="No such code.")
    if isinstance(exc, CodeExpired):
        abort(410, message="This code has expired. Ask for a new one.")
    abort(409, message="This code cannot be used again. Ask for a new one.")
