"""The notebooks themselves, run in a real JupyterLab in Debian's headless Chromium.

The test starts JupyterLab on 127.0.0.1 with the walk's own settings
(``notebooks/_build/lab_config.py``, as ``make lab`` does) over a copy of the notebooks, and for
each notebook does what a learner does: open it, clear its outputs, Run All. Then it checks what
the learner sees: no error output, widgets rendered as widgets (the live tables and sign-page
panels, not their text), the figures and Mermaid diagrams present, and each notebook done in
under 20 s. In notebook 02, once every cell has run, it clicks Sign in the last sign page and
waits for the live table beside it to gain the event while no cell runs.

Playwright drives ``/usr/bin/chromium`` (never ``playwright install``); every request the page
makes must stay on 127.0.0.1. Screenshots go to ``.pytest_cache/hsnb-lab/`` (or
``$HSNB_SCREENSHOTS``), with a ``timings.txt`` of the run times; the test prints the folder.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browsers import NEEDS_CHROMIUM, chromium, loopback_page
from tests.conftest import ROOT
from tests.processes import line_queue

try:
    from playwright.sync_api import Browser, Locator, Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pass

pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.skipif(
        shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None,
        reason="JupyterLab is not installed (the lab and test extras have it)",
    ),
]

NOTEBOOKS = ROOT / "notebooks"
LAB_CONFIG = NOTEBOOKS / "_build" / "lab_config.py"
SCREENSHOTS = Path(os.environ.get("HSNB_SCREENSHOTS", ROOT / ".pytest_cache" / "hsnb-lab"))
#: The issue's bound for one notebook, from Run All to its last cell done.
RUN_SECONDS = 20.0
WAIT = 30.0  # seconds, for every other wait (JupyterLab starting, a page loading, ...)
#: JupyterLab's own settings for a learner's first visit, without the dialogs in the way: start
#: the notebook's kernel at once, and no offer of Jupyter news (which would go to the internet).
LAB_SETTINGS = {
    "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass(frozen=True)
class Expected:
    """What one notebook shows once it ran: live tables (``LiveEvents`` views, alone or in a
    sign-page panel), sign-page frames, figures and Mermaid diagrams."""

    tables: int = 0
    frames: int = 0
    figures: int = 0
    diagrams: int = 0


EXPECTED = {
    "00-Start-Here": Expected(diagrams=1),
    "01-Callbacks-vs-Polling": Expected(tables=1, frames=1, figures=2),
    "02-Sent-vs-File-Error": Expected(tables=2, frames=2),
    "03-Answering-Callbacks": Expected(tables=2, figures=1),
    "04-Fetching-the-Signed-Document": Expected(tables=1, frames=1),
    "05-Event-Timings": Expected(tables=1, figures=3),
    "06-Going-Live": Expected(tables=1, frames=1, diagrams=1),
    "07-Logs-at-Scale": Expected(),
}
TIMINGS: dict[str, float] = {}


def test_every_notebook_is_checked() -> None:
    assert sorted(EXPECTED) == sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def test_the_file_browser_lists_the_notebooks_only(lab: Lab) -> None:
    """``_build/`` and the Jupytext sources are hidden (lab_config.py's ``hide_globs``)."""
    response = requests.get(f"{lab.url}/api/contents/", params={"token": lab.token}, timeout=10)
    response.raise_for_status()
    listed = sorted(item["name"] for item in response.json()["content"])
    assert listed == sorted(f"{name}.ipynb" for name in EXPECTED)


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address and token."""

    url: str
    token: str

    def sessions(self) -> list[dict[str, Any]]:
        response = requests.get(
            f"{self.url}/api/sessions", params={"token": self.token}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def shut_down_kernels(self) -> None:
        """End every session (and its kernel), so the next notebook has the CPU to itself."""
        for session in self.sessions():
            requests.delete(
                f"{self.url}/api/sessions/{session['id']}",
                params={"token": self.token},
                timeout=30,
            )


def answers(url: str, token: str) -> bool:
    """Whether ``url`` answers 200 (the server is up)."""
    try:
        return requests.get(url, params={"token": token}, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 (a free port), over a copy of the notebooks (so running them
    never rewrites the committed ones), with its own config, data and settings folders."""
    home = tmp_path_factory.mktemp("lab")
    (home / "notebooks" / "_build").mkdir(parents=True)
    # The notebooks with their Jupytext sources and the build folder, as in the repository (the
    # file browser must hide the last two).
    for path in (*NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"), *NOTEBOOKS.glob("[0-9][0-9]-*.py")):
        shutil.copy(path, home / "notebooks" / path.name)
    shutil.copy(LAB_CONFIG, home / "notebooks" / "_build" / LAB_CONFIG.name)
    (home / "data").symlink_to(ROOT / "data")  # the notebooks read ../data/documents
    for name, settings in LAB_SETTINGS.items():
        path = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data-dir"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    token = secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--config={LAB_CONFIG}",
        "--no-browser",
        "--ServerApp.port=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={home / 'notebooks'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=home / "notebooks",
        start_new_session=True,
    )
    lines = line_queue(process)
    log: list[str] = []
    try:
        deadline = time.monotonic() + WAIT
        url = None
        while url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                pytest.fail("JupyterLab did not start:\n" + "".join(log[-30:]))
            try:
                line = lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            log.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        while not answers(f"{url}/api/status", token):  # the URL is printed before it serves
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("JupyterLab does not answer:\n" + "".join(log[-30:]))
            time.sleep(0.2)
        yield Lab(url, token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (:func:`tests.browsers.chromium`)."""
    with chromium(WAIT) as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, lab: Lab) -> Iterator[Page]:
    """A page that stays on 127.0.0.1 (:func:`tests.browsers.loopback_page`). Kernels are shut
    down afterwards."""
    try:
        with loopback_page(browser, (1400, 1100), WAIT) as opened:
            yield opened
    finally:
        lab.shut_down_kernels()


def menu(page: Page, top: str, item: str) -> None:
    """Click ``top`` in JupyterLab's menu bar, then ``item`` in its menu."""
    page.locator("li.lm-MenuBar-item", has_text=top).first.click()
    page.locator("li.lm-Menu-item", has_text=item).first.click()


def notebook(page: Page) -> Locator:
    """The notebook in the current tab."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def prompts(page: Page) -> list[str]:
    """The input prompts of the code cells: ``[ ]:`` not run, ``[*]:`` queued or running."""
    cells = notebook(page).locator(".jp-CodeCell .jp-InputArea-prompt")
    return [p.strip() for p in cells.all_text_contents()]


def outputs(page: Page, mime: str | None = None) -> Locator:
    """The outputs in the current notebook (of one MIME type)."""
    kind = f"[data-mime-type='{mime}']" if mime else ""
    return notebook(page).locator(f".jp-OutputArea-output{kind}")


def run_all(page: Page, name: str) -> float:
    """Clear every output, Run All, and wait until no cell is queued or running (an error
    stops the run); the seconds that took."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    expect(outputs(page)).to_have_count(0)
    started = time.monotonic()
    menu(page, "Run", "Run All Cells")
    deadline = started + 3 * RUN_SECONDS
    while True:
        now = prompts(page)
        done = all(re.fullmatch(r"\[\d+\]:", p) for p in now)
        stopped = "[*]:" not in now and outputs(page, "application/vnd.jupyter.stderr").count()
        if done or stopped:
            return time.monotonic() - started
        assert time.monotonic() < deadline, f"{name} still running: {now}"
        page.wait_for_timeout(200)


def open_notebook(page: Page, lab: Lab, name: str) -> None:
    """Open ``name`` alone (``reset``: no tab of an earlier test comes back) and wait for its
    kernel to be idle."""
    page.goto(f"{lab.url}/lab/tree/{name}.ipynb?reset&token={lab.token}")
    expect(notebook(page).locator(".jp-Cell").first).to_be_visible()
    status = page.locator("#jp-main-statusbar")
    expect(status).to_contain_text("Idle", timeout=WAIT * 1000)


def live_tables(page: Page) -> Locator:
    """Every rendered LiveEvents view: an HTML widget holding the hsnb table."""
    return outputs(page).locator(".widget-html:has(table.hsnb-table)")


def summary(table: Locator) -> tuple[int, int]:
    """(events, deliveries) from a live table's summary line."""
    found = re.search(r"LiveEvents: (\d+) events, (\d+) deliveries", table.text_content() or "")
    assert found, table.text_content()
    return int(found.group(1)), int(found.group(2))


def check_what_a_learner_sees(page: Page, name: str, expected: Expected) -> None:
    errors = outputs(page, "application/vnd.jupyter.stderr").all_text_contents()
    assert errors == [], f"{name}: error output: {errors}"
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts(page)), f"{name}: {prompts(page)}"
    as_text = [
        text
        for text in outputs(page, "text/plain").all_text_contents()
        if text.startswith(("LiveEvents:", "SigningPanel:")) or "Error displaying widget" in text
    ]
    assert as_text == [], f"{name}: widgets shown as text: {as_text}"
    expect(live_tables(page)).to_have_count(expected.tables)
    frames = outputs(page).locator(".widget-html iframe")
    expect(frames).to_have_count(expected.frames)
    figures = outputs(page, "image/png").locator("img")
    expect(figures).to_have_count(expected.figures)
    for figure in figures.all():
        assert figure.evaluate("img => img.complete && img.naturalWidth > 100"), name
    # JupyterLab draws a Mermaid block as an SVG image; a diagram it cannot parse gets a warning.
    diagrams = notebook(page).locator(
        ".jp-RenderedMermaid:not(.jp-mod-warning) img[src^='data:image/svg']"
    )
    expect(diagrams).to_have_count(expected.diagrams, timeout=WAIT * 1000)


def sign_in_the_last_frame_while_idle(page: Page) -> None:
    """After Run All: click Sign in the last sign page; the live table beside it must gain
    the signed event with every cell done (so the update came from the listener's thread)."""
    table = live_tables(page).last
    table.scroll_into_view_if_needed()
    events_before, deliveries_before = summary(table)
    frame = notebook(page).locator(".jp-OutputArea-output .widget-html iframe").last.content_frame
    frame.get_by_role("button", name="Sign", exact=True).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Signed")
    deadline = time.monotonic() + WAIT
    while summary(table)[0] <= events_before:
        assert time.monotonic() < deadline, f"the table stayed at {summary(table)}"
        page.wait_for_timeout(200)
    assert "[*]:" not in prompts(page), "a cell ran while the table updated"
    events_after, deliveries_after = summary(table)
    assert deliveries_after > deliveries_before
    expect(table.locator("tr", has_text="signature_request_signed").first).to_be_visible()
    expect(table.locator("tr", has_text="Bob Example").first).to_be_visible()
    table.screenshot(path=str(SCREENSHOTS / "02-live-table-after-signing.png"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_in_jupyterlab(page: Page, lab: Lab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        open_notebook(page, lab, name)
        seconds = run_all(page, name)
        TIMINGS[name] = seconds
        (SCREENSHOTS / "timings.txt").write_text(
            "".join(f"{n} {s:.1f} s\n" for n, s in sorted(TIMINGS.items()))
        )
        print(f"\n{name}: ran in {seconds:.1f} s in JupyterLab; screenshots in {SCREENSHOTS}")
        check_what_a_learner_sees(page, name, EXPECTED[name])
        if name.startswith("02-"):
            sign_in_the_last_frame_while_idle(page)
    finally:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    assert seconds < RUN_SECONDS, f"{name} took {seconds:.1f} s in JupyterLab"
