"""``hsnb live``: a real process receiving callbacks through a 'public' URL, rehearsed offline.

The emulator plays Dropbox Sign in this process; the public URL is the listener's own loopback
address (``--allow-localhost`` exists for exactly this rehearsal).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from hsnb.client import Client
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from tests.processes import read_line

DOCUMENT = Path(__file__).resolve().parents[1] / "data" / "documents" / "one-signer.pdf"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_live(*args: str, cwd: Path, env_key: str | None = None) -> subprocess.Popen[str]:
    """``hsnb live`` in ``cwd`` (where its default store file would go), without the caller's
    Dropbox Sign and hsnb variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
    if env_key:
        env["DROPBOX_SIGN_API_KEY"] = env_key
    return subprocess.Popen(
        [sys.executable, "-m", "hsnb.cli", "live", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
        cwd=cwd,
    )


def test_live_registers_checks_receives_and_restores_the_callback_url(tmp_path: Path) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with Emulator(seed=3, start_time=DEFAULT_EPOCH, name="test-cli-live") as emulator:
        emulator.callback_url = "https://before.example/hook"
        process = run_live(
            "--public-url",
            public,
            "--port",
            str(port),
            "--allow-localhost",
            "--base-url",
            emulator.api_url,
            "--store",
            str(tmp_path / "live.sqlite"),
            cwd=tmp_path,
            env_key=emulator.api_key,
        )
        try:
            assert read_line(process) == f"listening on {public}/callback"
            assert read_line(process) == f"callback URL (account): {public}/callback"
            check_lines = []
            while not (line := read_line(process)).startswith("accepted"):
                check_lines.append(line)
            assert check_lines and all(line.startswith("OK: ") for line in check_lines)
            assert emulator.callback_url == f"{public}/callback"
            with Client(base_url=emulator.api_url, api_key=emulator.api_key) as api:
                request = api.create_embedded(
                    DOCUMENT, [("Ann", "ann@example.com")], use_text_tags=True
                )
            while "signature_request_sent" not in (line := read_line(process)):
                pass
            assert request.signature_request_id in line
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert emulator.callback_url == "https://before.example/hook"
        assert emulator.api_key not in out + err
    assert "stopped;" in out


def test_live_without_a_key_says_what_is_missing(tmp_path: Path) -> None:
    process = run_live("--public-url", "https://example.com", cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "No API key: set DROPBOX_SIGN_API_KEY" in err
    assert list(tmp_path.iterdir()) == []  # refused before a store file was opened


def test_live_refuses_a_localhost_url_plainly(tmp_path: Path) -> None:
    process = run_live("--public-url", "http://localhost:8000", cwd=tmp_path, env_key="some-key")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "Dropbox Sign refuses localhost callback URLs" in err
    assert "some-key" not in out + err
    assert list(tmp_path.iterdir()) == []
