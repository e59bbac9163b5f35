"""The plugin's saved states: ``@pytest.mark.hsnb(state=...)`` starts ``hsnb_emulator`` from a
state file or from a function that builds one, here and in a project of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hsnb.client import Client
from hsnb.errors import StateFileError
from hsnb.testing import TEST_API_KEY, build_state

TWO_SIGNERS = b"Sign: [sig|req|signer1]   Sign: [sig|req|signer2]"


def one_of_two_signed(emulator: Any) -> None:
    """A request of two signers, the first of whom has signed."""
    with Client(base_url=emulator.api_url) as api:
        request = api.create_embedded(
            TWO_SIGNERS,
            [("Ann", "ann@example.com"), ("Bob", "bob@example.com")],
            use_text_tags=True,
            title="Two signers",
        )
    assert emulator.wait_settled()
    emulator.sign(request.signatures[0].signature_id)


BUILDS: list[Any] = []


def counted_build(emulator: Any) -> None:
    """:func:`one_of_two_signed`, counting its runs."""
    BUILDS.append(emulator)
    one_of_two_signed(emulator)


@pytest.mark.hsnb(state=counted_build)
def test_a_builder_state_is_where_the_test_starts(hsnb_emulator, hsnb_listener, hsnb_client):
    (request,) = hsnb_client.list()
    first, second = request.signatures
    assert (first.status_code, second.status_code) == ("signed", "awaiting_signature")
    assert hsnb_emulator.callback_url == hsnb_listener.url
    hsnb_emulator.sign(second.signature_id)
    hsnb_listener.wait_for(
        "signature_request_all_signed",
        signature_request_id=request.signature_request_id,
        timeout=10,
    )
    events = hsnb_listener.events()
    assert events.verified.all()  # signed with TEST_API_KEY, which the listener checks
    assert "signature_request_sent" not in set(events.event_type.astype(str))  # build: no URL


@pytest.mark.hsnb(state=counted_build)
def test_a_builder_runs_once_per_session_for_the_same_settings(hsnb_emulator):
    assert len(BUILDS) == 1
    assert len(hsnb_emulator.backend.requests) == 1


def test_a_state_file_from_the_rootdir_and_a_bad_one(
    hsnb_emulator_factory, pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    path = build_state(tmp_path / "state.json", one_of_two_signed)
    assert TEST_API_KEY not in path.read_text()
    relative = os.path.relpath(path, pytestconfig.rootpath)
    emulator = hsnb_emulator_factory(state=relative)
    assert len(emulator.backend.requests) == 1
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(StateFileError, match="not JSON"):
        hsnb_emulator_factory(state=tmp_path / "bad.json")


PROJECT_TEST = """
    import pytest


    @pytest.mark.hsnb(state="tests/states/one-of-two-signed.json")
    def test_the_second_signature_completes_the_request(hsnb_emulator, hsnb_listener, hsnb_client):
        (request,) = hsnb_client.list()
        assert [s.status_code for s in request.signatures] == ["signed", "awaiting_signature"]
        hsnb_emulator.sign(request.signatures[1].signature_id)
        hsnb_listener.wait_for(
            "signature_request_downloadable",
            signature_request_id=request.signature_request_id,
            timeout=10,
        )
        assert hsnb_client.get(request.signature_request_id).is_complete


    @pytest.mark.hsnb(state="tests/states/missing.json")
    def test_a_missing_state_says_so(hsnb_emulator):
        pass
"""


def test_a_project_starts_a_test_from_a_committed_state(tmp_path: Path) -> None:
    build_state(tmp_path / "tests" / "states" / "one-of-two-signed.json", one_of_two_signed)
    (tmp_path / "tests" / "test_signing.py").write_text(textwrap.dedent(PROJECT_TEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:nbval", "--strict-markers"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert "StateFileError: cannot read the state file" in done.stdout
    assert str(tmp_path / "tests" / "states" / "missing.json") in done.stdout
