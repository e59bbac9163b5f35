"""A real browser for the tests: Debian's headless Chromium, driven by Playwright.

Playwright launches ``/usr/bin/chromium`` (``executable_path``); ``playwright install`` is never
run, since browser downloads fail here. Every page is kept on 127.0.0.1: a request anywhere else
is aborted and fails the test. Used by ``test_browser.py`` (the sign page) and
``test_lab_browser.py`` (the notebooks in JupyterLab).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
#: As the field notes say: without the background-networking flags Chromium keeps trying to
#: reach the internet. --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Schemes that reach the network (chrome:// and chrome-extension:// are the browser's own
#: pages, such as its PDF viewer).
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}

#: Marks for a module that needs the browser: skipped, saying why, where it cannot run.
NEEDS_CHROMIUM = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed: apt-get install chromium",
    ),
    pytest.mark.skipif(
        sync_playwright is None,
        reason="playwright is not installed (the test extra has it: pip install -e '.[test]')",
    ),
]


@contextmanager
def chromium(timeout: float) -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh temporary profile (Playwright makes one);
    ``timeout`` seconds to start."""
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_ARGS,
            timeout=timeout * 1000,
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def loopback_page(browser: Browser, size: tuple[int, int], wait: float) -> Iterator[Page]:
    """A page ``size`` (width, height) in a fresh context (no cookies, no cache), every wait
    bounded by ``wait`` seconds; any request off 127.0.0.1 is aborted and fails the test when
    the block ends."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(wait * 1000)
    context.set_default_navigation_timeout(wait * 1000)
    elsewhere: list[str] = []

    def loopback_only(route: Any) -> None:
        url = urlsplit(route.request.url)
        if url.hostname == "127.0.0.1" or url.scheme not in NETWORK_SCHEMES:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", loopback_only)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert elsewhere == [], f"the page tried to reach beyond 127.0.0.1: {elsewhere}"
