"""The progress widget in a real headless Chromium, against the live test server."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from tests import broker_tasks
from tests.conftest import REQUIRE_SERVICES

pytestmark = [pytest.mark.broker, pytest.mark.browser]

ALLOW_ALL = {"AUTHORIZE": "tests.django.test_views.allow_all"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium and chromedriver, headless; skipped (or failed) without them."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        message = "the browser tests need Debian's chromium and chromium-driver on PATH"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}, and WEFT_COMPAT_REQUIRE_SERVICES=1 requires them")
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    session = webdriver.Chrome(service=webdriver.ChromeService(driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def wait_for(browser: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 90, poll_frequency=0.05).until(condition, message=what)


def widget(browser: Any) -> tuple[str | None, str | None, str]:
    """The widget's state, its bar's value and its line of text."""
    element = browser.find_element("id", "progress")
    bar = element.find_element("css selector", "progress.weft-progress-bar")
    text = element.find_element("css selector", ".weft-progress-text").text
    return element.get_dom_attribute("data-state"), bar.get_dom_attribute("value"), text


def calls(browser: Any) -> list[dict[str, Any]]:
    lines = browser.find_element("id", "calls").get_attribute("textContent").splitlines()
    return [json.loads(line) for line in lines if line]


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_the_page_shows_progress_rise_then_the_result(
    poll: bool, browser: Any, live_server: Any, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "go-on"
    handle = broker_tasks.reports_progress.enqueue(str(marker))
    with override_settings(WEFT_COMPAT=ALLOW_ALL):
        browser.get(f"{live_server.url}/progress/{handle.tid}/{'?poll=1' if poll else ''}")
        wait_for(browser, lambda b: widget(b)[0] == "PROGRESS", "the page never showed PROGRESS")
        _, value, text = widget(browser)
        assert float(value or 0) == 50.0 and text == "PROGRESS 50%"
        marker.touch()
        wait_for(browser, lambda b: widget(b)[0] == "SUCCESS", "the page never showed SUCCESS")
    _, value, text = widget(browser)
    assert float(value or 0) == 100.0 and text == 'Done: "finished"'
    recorded = calls(browser)
    # Before its progress the call may read PENDING or STARTED (no percent yet).
    progress = [call["args"] for call in recorded[:-1] if call["args"][0] is not None]
    assert {call["name"] for call in recorded[:-1]} == {"onProgress"}
    assert progress and all(args == [50, {"done": 1, "total": 2}] for args in progress)
    assert recorded[-1]["name"] == "onSuccess" and recorded[-1]["args"][0] == "finished"


def test_a_failing_task_shows_its_error(browser: Any, live_server: Any, weft_context: Path) -> None:
    handle = broker_tasks.explode.enqueue("the printer is on fire")
    handle.result(timeout=90)
    with override_settings(WEFT_COMPAT=ALLOW_ALL):
        browser.get(f"{live_server.url}/progress/{handle.tid}/")
        wait_for(browser, lambda b: widget(b)[0] == "FAILURE", "the page never showed FAILURE")
    assert "the printer is on fire" in widget(browser)[2]
    assert calls(browser)[-1]["name"] == "onFailure"


def test_an_unauthorized_page_sees_nothing(
    browser: Any, live_server: Any, weft_context: Path
) -> None:
    handle = broker_tasks.add.enqueue(1, 1)
    handle.result(timeout=90)
    with override_settings(WEFT_COMPAT={}):  # No AUTHORIZE: every request is refused.
        browser.get(f"{live_server.url}/progress/{handle.tid}/")
        wait_for(browser, lambda b: widget(b)[0] == "ERROR", "the page never gave up")
    _, value, text = widget(browser)
    assert text == "Unavailable" and value is None
    assert calls(browser) == [{"name": "onError", "args": [403]}]
    assert "2" not in browser.find_element("id", "progress").text


def test_the_widget_ships_as_a_static_file() -> None:
    from django.contrib.staticfiles import finders

    found = finders.find("weft_compat/progress.js")
    assert found is not None and os.path.getsize(str(found)) > 0
