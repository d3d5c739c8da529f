"""The JSON API fuzzed from its own OpenAPI document, in positive and negative modes, with
made-up and with valid personal links, visits, offers and a signed-in staff member, and with
valid bodies mutated field by field: whatever comes in, never a 5xx, and a refusal writes
nothing."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from tests.hostile.api_world import ApiWorld, Tally, build_world, changed, fingerprint

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# Operations whose success a fuzzer must reach with the valid values the world supplies.
MUST_SUCCEED = {
    "GET /api/v1/services",
    "GET /api/v1/practitioners",
    "GET /api/v1/availability",
    "GET /api/v1/safety-questions",
    "POST /api/v1/phone-verifications",
    "POST /api/v1/bookings",
    "GET /api/v1/bookings/{token}",
    "GET /api/v1/course-templates",
    "POST /api/v1/courses/preview",
    "POST /api/v1/courses",
    "GET /api/v1/bookings/{token}/courses",
    "POST /api/v1/bookings/{token}/appointments/{appointment_id}/cancel",
    "POST /api/v1/bookings/{token}/appointments/{appointment_id}/reschedule",
    "GET /api/v1/bookings/{token}/appointments/{appointment_id}/alternatives",
    "GET /api/v1/bookings/{token}/waitlist",
    "POST /api/v1/bookings/{token}/waitlist",
    "DELETE /api/v1/bookings/{token}/waitlist/{entry_id}",
    "POST /api/v1/bookings/{token}/offers/{offer_id}/{answer}",
    "GET /api/v1/staff/patients/{patient_id}/messages",
    "GET /api/v1/staff/messages/monitor",
    "POST /api/v1/staff/messages/{message_id}/retry",
}


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Fuzzing looks at the code's answers; one database is enough (both are tested elsewhere)."""
    return str(request.param)


@pytest.fixture
def world(
    app: Flask, db: Database, settings: Settings, clock: FrozenClock, redis_url: str
) -> ApiWorld:
    return build_world(app, db, settings, clock, redis_url)


def mutated(valid: dict[str, Any], generated: Any, keep: set[str]) -> Any:
    """The valid body with the generated values of the fields in ``keep``: a neighbour of
    a request that succeeds (every field generated when the generated body is not an object)."""
    if not isinstance(generated, dict):
        return generated
    return {**valid, **{name: generated[name] for name in keep if name in generated}}


def inputs(operation: Any) -> set[str]:
    """The names of what a request to ``operation`` carries: path and query parameters, and
    ``body`` when it takes one."""
    names = {p.name for p in operation.path_parameters} | {p.name for p in operation.query}
    return names | ({"body"} if len(operation.body) else set())


def fuzz_operation(
    world: ApiWorld, operation: Any, mode: GenerationMode, valid_ids: bool, tally: Tally
) -> None:
    path, method = operation.path, operation.method.upper()
    label = f"{method} {path}"
    fixed = valid_ids and mode == GenerationMode.POSITIVE
    path_parameters = world.path_parameters(path) if valid_ids else {}
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path_parameters or None,
        headers=world.headers(path) or None,
        cookies=world.cookies(path) or None,
        query=(world.query(path) or None) if fixed else None,
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: CI does not depend on luck
        # The world changes with every call: replaying or shrinking a case cannot repeat it.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def fuzz(case: schemathesis.Case, data: st.DataObject) -> None:
        world.before_each()
        if fixed:
            valid = world.valid_body(method, path)
            if valid is not None:
                fields = sorted(case.body) if isinstance(case.body, dict) else []
                keep = data.draw(st.sets(st.sampled_from(fields)) if fields else st.just(set()))
                case.body = mutated(valid, case.body, keep)
        before = fingerprint(world.db)
        response = case.call()
        wrote = changed(before, fingerprint(world.db))
        tally.record(label, response.status_code, wrote, response.text)

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing left to make wrong: the operation takes no body or query, and its path
        # parameters are fixed or are strings (a personal link's token: any text is one).
        assert mode == GenerationMode.NEGATIVE, label
        assert inputs(operation) <= {p.name for p in operation.path_parameters}, label


def test_the_api_fuzzed_around_its_success_paths_never_errs_and_refusals_write_nothing(
    world: ApiWorld,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for valid_ids in (True, False):
                fuzz_operation(world, operation, mode, valid_ids, tally)
    mix = tally.mix()
    print(f"\nfuzzed: {sum(mix.values())} requests, statuses {dict(sorted(mix.items()))}")
    for label, seen in sorted(tally.statuses.items()):
        print(f"  {label}: {dict(sorted(seen.items()))}")
    assert tally.breaches == [], "\n".join(tally.breaches)
    assert MUST_SUCCEED - tally.succeeded() == set()
