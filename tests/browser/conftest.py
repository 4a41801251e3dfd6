"""Fixtures for the playground: the running playground, and headless Debian Chromium driven by Playwright.

Browser tests skip (with the reason) when the `playwright` package or /usr/bin/chromium is missing;
scripts/_browser.sh installs Chromium. A failing browser test leaves a screenshot in test-artifacts/.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (it is in the test extra: pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: run scripts/_browser.sh as root (apt-get install chromium chromium-driver)"
    return None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    # Fixtures read the outcome of each phase to decide whether to keep a screenshot.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
async def playground(tmp_path: Path, decks_dir: Path) -> AsyncIterator[Any]:
    from bot.playground import Playground

    pg = Playground(decks_dir=decks_dir, db_path=tmp_path / "data" / "playground.db", port=0)
    await pg.start()
    try:
        yield pg
    finally:
        await pg.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(request: pytest.FixtureRequest, browser: Any, playground: Any) -> AsyncIterator[Any]:
    """The playground page, loaded and ready; every request that leaves this machine is refused and recorded."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS or route.request.url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_local)
    tab = await context.new_page()
    tab.outside_requests = outside
    await tab.goto(playground.url)
    await tab.wait_for_selector("body[data-ready=true]")
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            await tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        await context.close()
