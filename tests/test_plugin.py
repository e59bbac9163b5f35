"""hsnb's pytest plugin: registered through ``pytest11``, loaded once, fixtures fast and isolated.

The first tests look at this very session (hsnb's own suite gets the fixtures from the entry
point, like any project); the last ones run small suites in a child pytest to see what a user
sees: isolation between tests, the marker, an old ``conftest.py`` line, ``-p no:hsnb``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import requests

import hsnb.pytest_plugin
import hsnb.testing
from hsnb.events import ACK_TEXT
from hsnb.mocking import FAST, TEST_API_KEY
from hsnb.testing import Receiver


def test_the_plugin_is_registered_under_the_pytest11_entry_point() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "hsnb"]
    assert [ep.value for ep in found] == ["hsnb.pytest_plugin"]
    assert found[0].load() is hsnb.pytest_plugin


def test_this_session_loaded_the_fixtures_once_through_the_entry_point(
    pytestconfig: pytest.Config,
) -> None:
    manager = pytestconfig.pluginmanager
    assert manager.get_plugin("hsnb") is hsnb.pytest_plugin
    assert manager.get_plugin("hsnb.testing") is hsnb.testing
    names = [name for name, plugin in manager.list_name_plugin() if plugin is hsnb.testing]
    assert names == ["hsnb.testing"]


def test_the_emulator_fixture_is_fast_and_calls_the_listener_back(
    hsnb_emulator: Any, hsnb_listener: Any, hsnb_client: Any
) -> None:
    assert hsnb_emulator.config.time_scale == FAST["time_scale"]
    assert hsnb_emulator.clock.now() - FAST["start_time"] < 60
    request = hsnb_client.create_embedded(
        b"Sign here: [sig|req|signer1]", [("Ann", "ann@example.com")]
    )
    event = hsnb_listener.wait_for(
        "signature_request_sent", signature_request_id=request.signature_request_id, timeout=10
    )
    assert 0 <= event.event_timestamp - FAST["start_time"] < 60  # the fixed epoch, no delay


@pytest.mark.hsnb(seed=11, account_email="marked@example.com")
def test_the_marker_changes_the_emulator_settings(hsnb_emulator: Any) -> None:
    assert hsnb_emulator.seed == 11
    assert hsnb_emulator.backend.account.email_address == "marked@example.com"


@pytest.mark.hsnb(time_scale="virtual")
def test_the_marker_can_ask_for_virtual_time_and_six_retries_play_out(
    hsnb_emulator: Any, hsnb_client: Any
) -> None:
    with Receiver(script=[(500, "down", 0.0)] * 6) as handler:
        hsnb_emulator.callback_url = handler.url
        hsnb_client.create_embedded(b"Sign here: [sig|req|signer1]", [("Ann", "ann@x.org")])
        handler.wait_for(7, timeout=10)
    outcomes = [attempt.outcome for attempt in hsnb_emulator.attempts()]
    assert outcomes == ["http_error"] * 6 + ["acknowledged"]
    assert hsnb_emulator.clock.now() - FAST["start_time"] > 30 * 3600  # 30 h of retries


def test_the_factory_starts_independent_emulators(hsnb_emulator_factory: Any) -> None:
    first = hsnb_emulator_factory(seed=1)
    second = hsnb_emulator_factory(seed=1, api_key="another-key")
    assert first.port != second.port and first.running and second.running
    assert (first.api_key, second.api_key) == (TEST_API_KEY, "another-key")


def callback_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A plain WSGI callback handler."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [ACK_TEXT.encode()]


def test_the_wsgi_server_fixture_serves_a_handler(hsnb_wsgi_server: Any) -> None:
    server = hsnb_wsgi_server(callback_app)
    answer = requests.post(server.url("/callback"), data=b"x", timeout=10)
    assert (answer.status_code, answer.text) == (200, ACK_TEXT)


INNER_SUITE = """
    import pytest

    from hsnb.emulator import running_emulators

    seen = []


    def test_first(hsnb_emulator, hsnb_emulator_factory):
        hsnb_emulator_factory()
        seen.extend([hsnb_emulator, *running_emulators()])
        hsnb_emulator.reset(seed=99)


    def test_second_starts_fresh(hsnb_emulator):
        assert all(not emulator.running for emulator in seen)
        assert hsnb_emulator.seed == 0 and hsnb_emulator not in seen


    @pytest.mark.hsnb(seed=5)
    class TestMarked:
        def test_class_marker(self, hsnb_emulator):
            assert hsnb_emulator.seed == 5

        @pytest.mark.hsnb(seed=6)
        def test_closest_marker_wins(self, hsnb_emulator):
            assert hsnb_emulator.seed == 6
"""


def run_inner(folder: Path, *args: str, conftest: str = "") -> subprocess.CompletedProcess:
    """Run :data:`INNER_SUITE` in ``folder`` with this environment's pytest."""
    (folder / "test_inner.py").write_text(textwrap.dedent(INNER_SUITE))
    (folder / "conftest.py").write_text(conftest)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:nbval", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_project_gets_isolated_fixtures_and_the_marker_without_any_conftest(
    tmp_path: Path,
) -> None:
    done = run_inner(tmp_path, "--strict-markers")  # the plugin declares its marker
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_an_old_conftest_line_does_not_load_the_plugin_twice(tmp_path: Path) -> None:
    done = run_inner(tmp_path, conftest='pytest_plugins = ["hsnb.testing"]\n')
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_p_no_hsnb_turns_the_plugin_off(tmp_path: Path) -> None:
    done = run_inner(tmp_path, "-p", "no:hsnb")
    assert done.returncode == 1
    assert "fixture 'hsnb_emulator' not found" in done.stdout
    assert "4 error" in done.stdout
