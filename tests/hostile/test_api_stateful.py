"""The API walked as a client walks it, by the OpenAPI links of its own document: book (a
visit or a course), then read, move and cancel through the personal link the booking answered
with; never a 5xx, a refusal writes nothing, and the links lead to real successes."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from functools import partial
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from tests.hostile.api_world import ApiWorld, Tally, build_world, changed, fingerprint

SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "40"))
# However a walk ends, at least this many requests were made and checked.
FEWEST_REQUESTS = 60
STARTS = {"POST /api/v1/bookings", "POST /api/v1/courses"}
MOVE = "POST /api/v1/bookings/{token}/appointments/{appointment_id}/reschedule"


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(
    app: Flask, db: Database, settings: Settings, clock: FrozenClock, redis_url: str
) -> ApiWorld:
    return build_world(app, db, settings, clock, redis_url)


def kept(name: str, value: Any) -> bool:
    """Whether the walk keeps a generated field in place of the valid one: about one in five,
    decided by the field itself so that the same generated case makes the same request (the
    walks' generator replays prefixes and needs the answers to follow)."""
    return hashlib.sha256(f"{name}={value!r}".encode()).digest()[0] < 52


def test_booking_then_manage_then_cancel_by_the_documents_links(world: ApiWorld) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    tally = Tally()
    tokens: set[str] = set()  # personal links the walk's own bookings answered with
    linked: Counter[str] = Counter()  # successes reached through one of them
    machine = schema.as_state_machine()

    class Walk(machine):  # type: ignore[misc, valid-type]
        def before_call(self, case: schemathesis.Case) -> None:
            world.before_each()
            label = f"{case.method.upper()} {case.path}"
            params = case.path_parameters or {}
            valid = None
            if label in STARTS or (label == MOVE and params.get("token") in tokens):
                valid = world.valid_body(case.method.upper(), case.path, params)
            if valid is not None:
                generated = case.body if isinstance(case.body, dict) else {}
                keep = {k for k in generated if kept(k, generated[k])}
                case.body = {**valid, **{k: generated[k] for k in keep}}
            self.before = fingerprint(world.db)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            path = case.path
            return {"headers": world.headers(path), "cookies": world.cookies(path)}

        def validate_response(
            self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any
        ) -> None:
            label = f"{case.method.upper()} {case.path}"
            wrote = changed(self.before, fingerprint(world.db))
            tally.record(label, response.status_code, wrote, response.text)
            token = (case.path_parameters or {}).get("token")
            if token in tokens and response.status_code < 300:
                linked[label] += 1
            if label in STARTS and response.status_code == 201:
                tokens.add(response.json()["manage_token"])

    walk = partial(
        Walk.run,
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,  # the same walks every run: CI does not depend on luck
            # The world changes with every call: replaying or shrinking a case cannot repeat it.
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        ),
    )
    stopped = ""
    try:
        walk()
    except FlakyStrategyDefinition as exc:
        # A later walk that begins as an earlier one did met a world the earlier one changed
        # (its slot now taken, say) and so drew other steps: Hypothesis stops there. Every
        # request made until then is checked below, and there must be enough of them.
        stopped = f" (stopped early: {type(exc).__name__})"
    mix = tally.mix()
    print(f"\nwalked: {sum(mix.values())} requests{stopped}, statuses {dict(sorted(mix.items()))}")
    assert sum(mix.values()) >= FEWEST_REQUESTS, dict(mix)
    print(f"  bookings made: {len(tokens)}, successes through their links: {dict(linked)}")
    for label, seen in sorted(tally.statuses.items()):
        print(f"  {label}: {dict(sorted(seen.items()))}")
    assert tally.breaches == [], "\n".join(tally.breaches)
    assert tokens, "no walk booked anything"
    # Which links a walk follows depends on the walks drawn (and the answers, which differ from
    # run to run): that some were followed to a success is required here; that every link
    # leads to one, by the test below.
    assert sum(linked.values()) >= 1, dict(linked)


def pointer(body: Any, expression: str) -> Any:
    """The value a ``$response.body#/a/b`` runtime expression names in ``body``."""
    assert expression.startswith("$response.body#/"), expression
    for part in expression.removeprefix("$response.body#/").split("/"):
        body = body[part]
    return body


@pytest.mark.parametrize("start", ["/api/v1/bookings", "/api/v1/courses"])
def test_every_link_a_new_booking_declares_leads_to_a_success(world: ApiWorld, start: str) -> None:
    spec = world.client.get("/api/v1/openapi.json").get_json()
    links = spec["paths"][start]["post"]["responses"]["201"]["links"]
    world.before_each()
    created = world.client.post(start, json=world.valid_body("POST", start))
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    followed = []
    for name, link in sorted(links.items(), key=lambda item: "cancel" in item[0].lower()):
        path, method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
        path = path.replace("~1", "/").replace("~0", "~")
        params = {key: pointer(answer, value) for key, value in link["parameters"].items()}
        url = path.format(**params)
        body = world.valid_body(method.upper(), path, params) if method == "post" else None
        query = world.query(path) or None
        world.before_each()
        response = world.client.open(url, method=method.upper(), json=body, query_string=query)
        assert response.status_code < 300, (name, response.status_code, response.get_json())
        followed.append(name)
    assert len(followed) == len(links) >= 3
