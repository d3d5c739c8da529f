"""Contract tests: FakeTwilio, driven by the real twilio library, against Twilio's OpenAPI spec."""

from __future__ import annotations

import json
import re
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.fake_twilio import Behaviour, FakeTwilio

SPEC_PATH = Path("/work/shared/twilio/twilio_api_v2010.json")
REPO_ROOT = Path(__file__).resolve().parents[2]
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
SPEC_URI = "urn:twilio:api:v2010"
TO = "+15558675310"
OTHER_TO = "+15558675311"
FROM = "+15017122661"

# OpenAPI 3.0 keywords that JSON Schema does not have (or that only annotate).
_OPENAPI_ONLY = {"nullable", "discriminator", "xml", "externalDocs", "example", "examples"}


# -- OpenAPI 3.0 -> JSON Schema ---------------------------------------------------------------


def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 schema object: `nullable: true` allows null, `x-*` dropped."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _OPENAPI_ONLY:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in {"items", "additionalProperties", "not"}:
            out[key] = to_json_schema(value)
        elif key in {"allOf", "anyOf", "oneOf"}:
            out[key] = [to_json_schema(sub) for sub in value]
        else:
            out[key] = value
    if node.get("nullable") is True:
        if "$ref" in out:
            return {"anyOf": [out, {"type": "null"}]}
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _absolute_refs(node: Any) -> Any:
    """Point `#/components/...` refs of a schema taken out of the spec at the registry copy."""
    if isinstance(node, dict):
        return {
            key: SPEC_URI + value
            if key == "$ref" and isinstance(value, str) and value.startswith("#/")
            else _absolute_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(item) for item in node]
    return node


def _is_rfc2822(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return parsed.tzinfo is not None


def _is_phone_number(value: object) -> bool:
    return (
        not isinstance(value, str)
        or re.fullmatch(r"(?:[a-z]+:)?\+[1-9]\d{1,14}", value) is not None
    )


def _is_uri_reference(value: object) -> bool:
    # The spec marks relative paths such as `first_page_uri` as `format: uri`, and its own
    # examples use them, so a strict RFC 3986 `uri` check would reject Twilio itself.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.path.startswith("/") and " " not in value


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time-rfc-2822")(_is_rfc2822)
FORMATS.checks("phone-number")(_is_phone_number)
FORMATS.checks("uri")(_is_uri_reference)


class Spec:
    """The parsed spec plus a `$ref` registry over its (translated) components."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        components = {
            name: to_json_schema(schema)
            for name, schema in document["components"]["schemas"].items()
        }
        resource: Resource[Any] = DRAFT202012.create_resource(
            {"components": {"schemas": components}}
        )
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)

    def operation(self, path: str, method: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.document["paths"][path][method]
        return operation

    def response_schema(self, path: str, method: str, status: str) -> dict[str, Any]:
        content = self.operation(path, method)["responses"][status]["content"]
        schema: dict[str, Any] = content["application/json"]["schema"]
        return schema

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The OpenAPI schema behind a `#/components/schemas/...` ref (or the schema itself)."""
        ref = schema.get("$ref")
        if ref is None:
            return schema
        target: dict[str, Any] = self.document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return target

    def validator(self, schema: dict[str, Any]) -> jsonschema.protocols.Validator:
        translated = _absolute_refs(to_json_schema(schema))
        return jsonschema.Draft202012Validator(
            translated, registry=self.registry, format_checker=FORMATS
        )

    def validate(self, instance: Any, schema: dict[str, Any]) -> None:
        errors = sorted(self.validator(schema).iter_errors(instance), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def running_fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def fake(running_fake: FakeTwilio) -> FakeTwilio:
    running_fake.reset()
    return running_fake


def make_client(fake: FakeTwilio, *, token: str | None = None, timeout: float = 5.0) -> Client:
    # environment={} keeps TWILIO_EDGE / TWILIO_REGION from rewriting the host name.
    client = Client(
        fake.account_sid,
        token or fake.auth_token,
        http_client=TwilioHttpClient(timeout=timeout),
        environment={},
    )
    client.api.base_url = fake.base_url
    return client


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    return make_client(fake)


def send(client: Client, to: str = TO, body: str = "Reminder: 10:30 tomorrow", **kw: Any) -> Any:
    return client.messages.create(to=to, from_=FROM, body=body, **kw)


class CallbackReceiver:
    """A tiny werkzeug server recording the requests it receives."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.received.append(
            {
                "url": request.url,
                "form": request.form.to_dict(),
                "signature": request.headers.get("X-Twilio-Signature"),
            }
        )
        return Response(status=204)(environ, start_response)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- request contract -------------------------------------------------------------------------


def test_every_form_parameter_the_library_sends_is_in_the_create_message_request_schema(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    send(
        client,
        status_callback="https://clinic.example/sms/status?booking=42",
        validity_period=600,
        provide_feedback=True,
        media_url=["https://clinic.example/map.png"],
    )
    client.messages.create(
        to=TO, messaging_service_sid="MG" + "a" * 32, body="via service", smart_encoded=True
    )

    body = spec.operation(MESSAGES_PATH, "post")["requestBody"]["content"]
    schema = body["application/x-www-form-urlencoded"]["schema"]
    assert schema["title"] == "CreateMessageRequest"
    properties = schema["properties"]
    creates = [r for r in fake.requests if r["method"] == "POST"]
    assert len(creates) == 2
    for request in creates:
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        form = request["form"]
        assert set(form) <= set(properties), set(form) - set(properties)
        assert set(schema["required"]) <= set(form)
        for name, value in form.items():
            prop = to_json_schema(spec.resolve(properties[name]))
            if prop.get("type") == "string":
                spec.validate(value, properties[name])
    assert schema["required"] == ["To"]

    mms, via_service = fake.messages
    assert (mms["sid"][:2], mms["num_media"]) == ("MM", "1")
    assert (via_service["from"], via_service["status"]) == (None, "accepted")
    assert via_service["messaging_service_sid"] == "MG" + "a" * 32


def test_the_fake_enforces_the_specs_conditional_parameter_groups(
    fake: FakeTwilio, spec: Spec
) -> None:
    groups = spec.operation(MESSAGES_PATH, "post")["x-twilio"]["conditional"]
    assert groups == [["from", "messaging_service_sid"], ["body", "media_url", "content_sid"]]
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    auth = (fake.account_sid, fake.auth_token)
    complete = {"To": TO, "From": FROM, "Body": "hello"}
    expected_codes = {"from": 21603, "body": 21602}
    for group in groups:
        pascal = {"".join(part.capitalize() for part in name.split("_")) for name in group}
        form = {k: v for k, v in complete.items() if k not in pascal}
        reply = requests.post(url, data=form, auth=auth, timeout=5)
        assert reply.status_code == 400
        assert reply.json()["code"] == expected_codes[group[0]]
    assert requests.post(url, data=complete, auth=auth, timeout=5).status_code == 201
    assert len(fake.messages) == 1


def test_every_query_parameter_the_library_sends_for_a_list_is_declared_by_the_spec(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    since = datetime(2020, 1, 1, tzinfo=UTC)
    client.messages.list(
        to=TO, from_=FROM, date_sent_after=since, date_sent_before=datetime.now(UTC), page_size=20
    )
    client.messages.list(date_sent=datetime.now(UTC), limit=5)
    declared = {
        p["name"]: p
        for p in spec.operation(MESSAGES_PATH, "get")["parameters"]
        if p["in"] == "query"
    }
    lists = [r for r in fake.requests if r["method"] == "GET"]
    assert len(lists) == 2
    for request in lists:
        assert set(request["query"]) <= set(declared), set(request["query"]) - set(declared)
    # The library sends the literal names `DateSent>` / `DateSent<` with a full timestamp.
    assert lists[0]["query"]["DateSent>"] == "2020-01-01T00:00:00Z"
    assert "DateSent<" in lists[0]["query"]
    assert lists[1]["query"]["PageSize"] == "5"


# -- response contract ------------------------------------------------------------------------


def test_a_created_message_matches_the_official_message_schema(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    message = send(client, status_callback="https://clinic.example/sms/status")
    create = requests.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        data={"To": OTHER_TO, "From": FROM, "Body": "Ünïcödé reminder ✓"},
        auth=(fake.account_sid, fake.auth_token),
        timeout=5,
    )
    assert create.status_code == 201
    schema = spec.response_schema(MESSAGES_PATH, "post", "201")
    properties = spec.resolve(schema)["properties"]
    for resource in [*fake.messages, create.json()]:
        spec.validate(resource, schema)
        # The schema has neither `required` nor `additionalProperties: false`: check both here.
        assert set(resource) == set(properties)

    raw = fake.messages[0]
    assert re.fullmatch(r"SM[0-9a-f]{32}", raw["sid"])
    assert raw["status"] == "queued"
    assert raw["direction"] == "outbound-api"
    assert raw["num_segments"] == "1"
    assert raw["num_media"] == "0"
    assert raw["api_version"] == "2010-04-01"
    assert raw["price"] is None
    assert raw["error_code"] is None
    assert raw["uri"] == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{raw['sid']}.json"
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", raw["date_created"])

    # ... and the library reads it back into a typed MessageInstance.
    assert message.sid == raw["sid"]
    assert message.to == TO
    assert message.from_ == FROM
    assert isinstance(message.date_created, datetime)
    assert message.date_created.tzinfo is not None
    assert message.status == "queued"


def test_the_schema_check_rejects_a_message_that_breaks_the_contract(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    send(client)
    schema = spec.response_schema(MESSAGES_PATH, "post", "201")
    good = fake.messages[0]
    breakages = {
        "num_segments": 1,  # a string in Twilio's API
        "status": "bogus",  # not in message_enum_status (via $ref)
        "sid": "XX" + "0" * 32,
        "date_created": "2025-03-01T09:00:00Z",  # ISO 8601, not RFC 2822
        "error_code": "30003",
        "from": "015017122661",
    }
    for field, value in breakages.items():
        errors = list(spec.validator(schema).iter_errors({**good, field: value}))
        assert errors, field
    spec.validate({**good, "price": None, "error_code": None, "body": None}, schema)


def test_num_segments_counts_gsm7_and_ucs2_parts_like_twilio(
    fake: FakeTwilio, client: Client
) -> None:
    bodies = {"a" * 160: "1", "a" * 161: "2", "[" * 80: "1", "✓" * 70: "1", "✓" * 71: "2"}
    for body, segments in bodies.items():
        assert send(client, body=body).num_segments == segments, body[:3]


def test_the_message_resource_has_the_same_fields_as_the_specs_own_examples(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    send(client)
    content = spec.operation(MESSAGES_PATH, "post")["responses"]["201"]["content"]
    examples = content["application/json"]["examples"]
    schema = spec.response_schema(MESSAGES_PATH, "post", "201")
    for example in examples.values():
        spec.validate(example["value"], schema)  # the translation accepts Twilio's own data
        assert set(example["value"]) == set(fake.messages[0])


def test_a_fetched_message_matches_the_official_message_schema(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    sid = send(client).sid
    reply = requests.get(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
        auth=(fake.account_sid, fake.auth_token),
        timeout=5,
    )
    assert reply.status_code == 200
    spec.validate(reply.json(), spec.response_schema(MESSAGE_PATH, "get", "200"))
    assert reply.json() == fake.messages[0]
    assert client.messages(sid).fetch().body == "Reminder: 10:30 tomorrow"


def test_a_list_page_matches_the_official_list_schema_and_pages_like_twilio(
    fake: FakeTwilio, client: Client, spec: Spec
) -> None:
    sids = [send(client, body=f"reminder {i}").sid for i in range(5)]
    listed = client.messages.list(page_size=2)
    assert [m.sid for m in listed] == list(reversed(sids))  # newest first

    pages = [r for r in fake.requests if r["method"] == "GET"]
    assert len(pages) == 3
    assert pages[1]["query"]["PageToken"].startswith("PA")

    schema = spec.response_schema(MESSAGES_PATH, "get", "200")
    reply = requests.get(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        params={"To": TO, "PageSize": "2"},
        auth=(fake.account_sid, fake.auth_token),
        timeout=5,
    )
    envelope = reply.json()
    spec.validate(envelope, schema)
    # twilio.base.page.Page finds the records as the only key that is not paging metadata.
    assert set(envelope) == set(spec.resolve(schema)["properties"])
    examples = spec.operation(MESSAGES_PATH, "get")["responses"]["200"]["content"]
    for example in examples["application/json"]["examples"].values():
        spec.validate(example["value"], schema)
        assert set(example["value"]) == set(envelope)
    assert envelope["page"] == 0
    assert envelope["page_size"] == 2
    assert envelope["start"] == 0
    assert envelope["end"] == 1
    assert envelope["previous_page_uri"] is None
    assert envelope["next_page_uri"].endswith(f"PageSize=2&Page=1&PageToken=PA{sids[3]}")
    assert envelope["uri"] == envelope["first_page_uri"]
    assert envelope["uri"] == (
        f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json?To=%2B15558675310&PageSize=2&Page=0"
    )

    empty = client.messages.list(to="+15550000000")
    assert empty == []


# -- errors as the library sees them ----------------------------------------------------------


def test_an_invalid_to_number_is_a_rest_exception_with_code_21211(
    fake: FakeTwilio, client: Client
) -> None:
    with pytest.raises(TwilioRestException) as natural:
        send(client, to="0612345678")
    assert (natural.value.status, natural.value.code) == (400, 21211)

    fake.script(Behaviour.error(400, 21211, "Invalid 'To' Phone Number"))
    with pytest.raises(TwilioRestException) as scripted:
        send(client)
    assert (scripted.value.status, scripted.value.code) == (400, 21211)
    assert "Invalid 'To' Phone Number" in scripted.value.msg
    assert fake.messages == []


def test_an_unsubscribed_recipient_is_a_rest_exception_with_code_21610(
    fake: FakeTwilio, client: Client
) -> None:
    fake.reject_number(OTHER_TO)
    send(client)
    for _ in range(2):  # permanent: every attempt
        with pytest.raises(TwilioRestException) as caught:
            send(client, to=OTHER_TO)
        assert (caught.value.status, caught.value.code) == (400, 21610)
        assert "unsubscribed" in caught.value.msg
    fake.script({"status": 400, "code": 21610})
    with pytest.raises(TwilioRestException) as scripted:
        send(client)
    assert scripted.value.code == 21610
    assert [m["to"] for m in fake.messages] == [TO]


def test_rate_limiting_is_a_429_rest_exception_with_code_20429_and_a_retry_after_header(
    fake: FakeTwilio, client: Client
) -> None:
    fake.script(
        Behaviour.error(429, 20429, "Too Many Requests", retry_after=3),
        Behaviour.error(429, 20429, "Too Many Requests", retry_after=3),
    )
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert (caught.value.status, caught.value.code) == (429, 20429)
    # TwilioRestException keeps no headers: Retry-After is only visible on the raw response.
    raw = requests.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "x"},
        auth=(fake.account_sid, fake.auth_token),
        timeout=5,
    )
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "3"
    assert raw.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    assert send(client).status == "queued"  # the script is used up


def test_a_plain_500_raises_a_rest_exception_whose_code_is_the_http_status(
    fake: FakeTwilio, client: Client
) -> None:
    fake.script(Behaviour.error(500))
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert (caught.value.status, caught.value.code) == (500, 500)

    fake.fail_for(0.3, status=503)
    with pytest.raises(TwilioRestException) as outage:
        send(client)
    assert outage.value.status == 503
    time.sleep(0.35)
    assert send(client).status == "queued"
    assert len(fake.messages) == 1


def test_a_failing_window_then_a_script_answer_in_that_order_and_each_answer_is_labelled(
    fake: FakeTwilio, client: Client
) -> None:
    fake.fail_for(1.0, status=500)
    fake.script(Behaviour.error(429, 20429), Behaviour.accepted_but_slow(0.05))
    began = time.monotonic()
    for _ in range(2):  # the window runs from the first request; the script waits for its end
        with pytest.raises(TwilioRestException):
            send(client, body="refused")
    time.sleep(max(0.0, began + 1.1 - time.monotonic()))
    with pytest.raises(TwilioRestException):
        send(client, body="throttled")
    send(client, body="late")
    send(client, body="plain")
    answers = fake.answers()
    assert answers[-3:] == ["scripted 429", "scripted 201 after 0.05s", "201"]
    assert answers[:-3] == ["failing 500", "failing 500"]
    stats = fake.stats()
    assert stats["answers"]["failing 500"] == 2
    assert (stats["count"], stats["distinct_bodies"]) == (2, 2)


def test_a_client_timeout_may_hide_a_lost_request_or_a_late_acceptance(
    fake: FakeTwilio,
) -> None:
    impatient = make_client(fake, timeout=0.1)
    # The library does not wrap transport errors: requests' own Timeout escapes.
    fake.script(Behaviour.error(504, delay=0.3))  # never accepted
    with pytest.raises(requests.exceptions.Timeout):
        send(impatient, body="lost")
    time.sleep(0.4)
    assert fake.messages == []

    fake.script(Behaviour.slow(0.3))  # processed normally, after the client gave up
    with pytest.raises(requests.exceptions.Timeout):
        send(impatient, body="late")
    assert fake.messages == []
    deadline = time.monotonic() + 3
    while not fake.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [m["body"] for m in fake.messages] == ["late"]


def test_an_accepted_message_whose_reply_is_lost_is_found_again_by_reconciliation(
    fake: FakeTwilio,
) -> None:
    impatient = make_client(fake, timeout=0.2)
    fake.script(Behaviour.accepted_but_slow(3.0))
    started = datetime.now(UTC)
    with pytest.raises(requests.exceptions.Timeout):
        send(impatient, body="lost reply")
    assert [m["body"] for m in fake.messages] == ["lost reply"]

    found = make_client(fake).messages.list(to=TO, date_sent_after=started)
    assert [m.body for m in found] == ["lost reply"]

    fake.script(Behaviour.accepted_but_slow(0.0, status=500))
    with pytest.raises(TwilioRestException):
        send(make_client(fake), body="accepted then 500")
    assert len(fake.messages) == 2


# -- auth, accounts and filters ---------------------------------------------------------------


def test_wrong_or_missing_credentials_get_twilios_20003_error(fake: FakeTwilio) -> None:
    with pytest.raises(TwilioRestException) as caught:
        send(make_client(fake, token="wrong-token"))
    assert (caught.value.status, caught.value.code) == (401, 20003)
    # A list with bad credentials is a plain TwilioException ("Unable to fetch page").
    with pytest.raises(TwilioException):
        make_client(fake, token="wrong-token").messages.list(to=TO)

    raw = requests.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "x"},
        timeout=5,
    )
    assert raw.status_code == 401
    assert raw.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert fake.messages == []


def test_another_accounts_path_is_a_20404_not_found(fake: FakeTwilio, client: Client) -> None:
    other = "AC" + "f" * 32
    with pytest.raises(TwilioRestException) as caught:
        client.api.v2010.accounts(other).messages.create(to=TO, from_=FROM, body="x")
    assert (caught.value.status, caught.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as missing:
        client.messages("SM" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_missing_to_body_and_invalid_to_are_rejected_with_twilios_codes(
    fake: FakeTwilio,
) -> None:
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    auth = (fake.account_sid, fake.auth_token)
    cases = [
        ({"From": FROM, "Body": "x"}, 21604),
        ({"To": TO, "From": FROM}, 21602),
        ({"To": "555-1234", "From": FROM, "Body": "x"}, 21211),
    ]
    for form, code in cases:
        reply = requests.post(url, data=form, auth=auth, timeout=5)
        assert (reply.status_code, reply.json()["code"]) == (400, code), form
    assert fake.messages == []


def test_the_list_filters_by_to_and_by_date_sent_after() -> None:
    now = [datetime(2025, 3, 1, 9, 0, tzinfo=UTC)]
    with FakeTwilio(clock=lambda: now[0]) as dated:
        client = make_client(dated)
        send(client, body="march 1")
        send(client, to=OTHER_TO, body="march 1, other patient")
        now[0] = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        send(client, body="march 3")

        assert [m.body for m in client.messages.list(to=TO)] == ["march 3", "march 1"]
        after = client.messages.list(to=TO, date_sent_after=datetime(2025, 3, 2, tzinfo=UTC))
        assert [m.body for m in after] == ["march 3"]
        before = client.messages.list(date_sent_before=datetime(2025, 3, 2, tzinfo=UTC))
        assert {m.body for m in before} == {"march 1", "march 1, other patient"}
        on_day = client.messages.list(date_sent=datetime(2025, 3, 3, tzinfo=UTC))
        assert [m.body for m in on_day] == ["march 3"]
        # Twilio documents GMT *dates*: the time of day in the filter is not honoured.
        late = client.messages.list(date_sent_after=datetime(2025, 3, 3, 23, 0, tzinfo=UTC))
        assert [m.body for m in late] == ["march 3"]
        assert dated.requests[-1]["query"] == {"DateSent>": "2025-03-03T23:00:00Z"}


# -- status callbacks -------------------------------------------------------------------------


def test_deliver_posts_a_status_callback_whose_signature_request_validator_accepts(
    fake: FakeTwilio, client: Client
) -> None:
    with CallbackReceiver() as receiver:
        callback = f"{receiver.url}/sms/status?booking=42"
        sid = send(client, status_callback=callback).sid
        assert fake.deliver(sid) == 204
        assert fake.deliver(sid, "undelivered", error_code=30003) == 204

    delivered, undelivered = receiver.received
    assert delivered["url"] == callback
    form = delivered["form"]
    assert form["MessageSid"] == form["SmsSid"] == sid
    assert form["MessageStatus"] == "delivered"
    assert form["AccountSid"] == fake.account_sid
    assert (form["To"], form["From"]) == (TO, FROM)
    assert "ErrorCode" not in form
    validator = RequestValidator(fake.auth_token)
    assert validator.validate(callback, form, delivered["signature"])
    assert not RequestValidator("another-token").validate(callback, form, delivered["signature"])

    assert undelivered["form"]["ErrorCode"] == "30003"
    assert validator.validate(callback, undelivered["form"], undelivered["signature"])
    fetched = client.messages(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


# -- concurrency and the CLI ------------------------------------------------------------------


def test_concurrent_creates_are_all_recorded_with_unique_sids(fake: FakeTwilio) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = make_client(fake)
        try:
            for i in range(5):
                send(client, body=f"{n}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    sids = [m["sid"] for m in fake.messages]
    assert len(sids) == len(set(sids)) == 30


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("the fake printed nothing")
    return proc.stdout.readline().strip()


@pytest.fixture
def cli_fake() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m tests.fakes.fake_twilio --port 0` and the base URL it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_twilio", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, _read_line(proc, timeout=8)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)


def test_the_cli_serves_the_fake_over_http_until_terminated(
    cli_fake: tuple[subprocess.Popen[str], str],
) -> None:
    proc, base_url = cli_fake
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
    remote = FakeTwilio()  # same default credentials as the CLI; never started
    client = Client(
        remote.account_sid,
        remote.auth_token,
        http_client=TwilioHttpClient(timeout=5),
        environment={},
    )
    client.api.base_url = base_url

    with CallbackReceiver() as receiver:
        sid = send(client, status_callback=f"{receiver.url}/sms/status").sid
        listed = requests.get(f"{base_url}/_fake/messages", timeout=5).json()
        assert [m["sid"] for m in listed] == [sid]
        seen = requests.get(f"{base_url}/_fake/requests", timeout=5).json()
        assert [r["form"]["To"] for r in seen] == [TO]
        delivered = requests.post(
            f"{base_url}/_fake/deliver", json={"sid": sid, "status": "delivered"}, timeout=5
        )
        assert delivered.json() == {"status": 204}
    [callback] = receiver.received
    validator = RequestValidator(remote.auth_token)
    assert validator.validate(callback["url"], callback["form"], callback["signature"])
    assert client.messages(sid).fetch().status == "delivered"

    script = [Behaviour.error(400, 21610).to_dict()]
    assert requests.post(f"{base_url}/_fake/script", json=script, timeout=5).status_code == 204
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert caught.value.code == 21610

    assert requests.post(f"{base_url}/_fake/reset", timeout=5).status_code == 204
    assert requests.get(f"{base_url}/_fake/messages", timeout=5).json() == []

    proc.terminate()
    assert proc.wait(timeout=5) == 0
