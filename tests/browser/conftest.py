"""A live server of the app and headless Chromium (Debian's), driven by Playwright. Every page
a test opens with ``page.goto``, and the page it ends on, is checked with axe-core: a serious
or critical accessibility violation fails the test (``BROWSER_AXE=0`` turns the check off, to
measure what it costs)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import ARTIFACTS

FAILING_IMPACTS = ("serious", "critical")
AXE_CHECKS = os.environ.get("BROWSER_AXE", "1") != "0"
AXE_SECONDS: list[float] = []  # time spent in axe by this process, for the summary

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed (apt-get install chromium); make test installs it")
    return found


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Pages are the same on both databases; the browser runs against SQLite."""
    return str(request.param)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as an artifact, named after ``name`` (a test's, say)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = name.replace("/", "_").replace("[", "-").replace("]", "")
    page.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)


def sized_page(
    browser: Any, request: pytest.FixtureRequest, width: int, height: int
) -> Iterator[Any]:
    """A page of ``width`` x ``height`` in a fresh context; when the test is over, its
    screenshot is kept as an artifact and the context closed. Anything the page's Content
    Security Policy refused (Chromium says so on the console) fails the test."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: _note_csp_refusal(message, refused))
    if AXE_CHECKS:
        page.goto = _checked_goto(page, page.goto)
    yield page
    screenshot(page, request.node.name)
    final_page_problems = accessibility_problems(page) if AXE_CHECKS else []
    context.close()
    assert refused == [], "the Content Security Policy refused something the page needs"
    assert final_page_problems == [], "\n".join(final_page_problems)


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on ``page`` as it is now, one line per
    rule: its id, impact, help and the first few elements at fault ([] when the page is not
    an HTML page of the app, or has none)."""
    from axe_playwright_python.sync_playwright import Axe

    if page.is_closed() or not page.url.startswith(("http", "about:blank", "data:")):
        return []
    started = time.perf_counter()
    response = Axe().run(page).response
    AXE_SECONDS.append(time.perf_counter() - started)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        + f" ({' '.join(v['nodes'][0].get('failureSummary', '').split())})"
        for v in response["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def assert_accessible(page: Any) -> None:
    """Fail with axe-core's serious and critical violations on the page as it is now."""
    problems = accessibility_problems(page)
    assert problems == [], "accessibility violations:\n" + "\n".join(problems)


def _checked_goto(page: Any, goto: Callable[..., Any]) -> Callable[..., Any]:
    """``page.goto`` that checks each HTML page it opens with axe-core."""

    def checked(url: str, **options: Any) -> Any:
        response = goto(url, **options)
        if response is not None and "text/html" in response.headers.get("content-type", ""):
            assert_accessible(page)
        return response

    return checked


def _note_csp_refusal(message: Any, refused: list[str]) -> None:
    if "Content Security Policy" in message.text:
        refused.append(message.text)


@pytest.fixture
def phone_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page the size of a phone; a screenshot of it is kept as an artifact."""
    yield from sized_page(browser, request, 390, 844)


@pytest.fixture
def desktop_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page the size of a desk screen (1280x900); a screenshot of it is kept as an
    artifact."""
    yield from sized_page(browser, request, 1280, 900)
