"""A redirect target from a request is followed only when it is a path on this site."""

from __future__ import annotations

import pytest

from web.redirects import LONGEST, safe_next

FALLBACK = "/staff"

HOSTILE = [
    pytest.param("//evil.example", id="protocol-relative"),
    pytest.param("/\\evil.example", id="slash-backslash"),
    pytest.param("/\\/evil.example", id="slash-backslash-slash"),
    pytest.param("/%09/evil.example/", id="escaped-tab-then-slash"),
    pytest.param("/%0a/evil.example/", id="escaped-newline-then-slash"),
    pytest.param("/%2F/evil.example/", id="escaped-second-slash"),
    pytest.param("/%5C/evil.example/", id="escaped-backslash"),
    pytest.param("/\t/evil.example/", id="tab-then-slash"),
    pytest.param("/\n/evil.example/", id="newline-then-slash"),
    pytest.param("/\r\n/evil.example/", id="crlf-then-slash"),
    pytest.param("\t//evil.example/", id="leading-tab"),
    pytest.param(" /staff", id="leading-space"),
    pytest.param("/staff /x", id="space-inside"),
    pytest.param("/staff\x00", id="nul"),
    pytest.param("/staff\x7f", id="delete"),
    pytest.param("/staff\u2028", id="unicode-line-separator"),
    pytest.param("/staff\\x", id="backslash-later"),
    pytest.param("https://evil.example/", id="absolute-https"),
    pytest.param("http:/evil.example", id="scheme-one-slash"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("%2F%2Fevil.example", id="escaped-double-slash"),
    pytest.param("staff", id="relative"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
    pytest.param("/" + "a" * LONGEST, id="very-long"),
]

GOOD = [
    "/",
    "/staff",
    "/staff/calendar?day=2026-12-01&view=day",
    "/staff/today",
    "/staff/calendar?practitioner_id=3&date=2026-03-04#visit-7",
    "/staff/patients?q=Ana%20Silva",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_target_that_could_lead_off_the_site_gets_the_fallback(target: str | None) -> None:
    assert safe_next(target, FALLBACK) == FALLBACK


@pytest.mark.parametrize("target", GOOD)
def test_a_path_on_this_site_is_kept_as_it_is(target: str) -> None:
    assert safe_next(target, FALLBACK) == target


def test_a_path_of_the_longest_allowed_length_is_kept() -> None:
    target = "/" + "a" * (LONGEST - 1)
    assert safe_next(target, FALLBACK) == target


def test_a_path_outside_the_required_prefix_gets_the_fallback() -> None:
    assert safe_next("/m/some-token", FALLBACK, under="/staff/") == FALLBACK
    assert safe_next("/staff/patients/4", FALLBACK, under="/staff/") == "/staff/patients/4"


def test_an_empty_fallback_is_what_a_form_gets_for_a_hostile_target() -> None:
    assert safe_next("//evil.example", "") == ""
