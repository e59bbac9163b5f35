"""``hsnb emulator`` as a process: the first three lines, one line per attempt, clean exit."""

from __future__ import annotations

import argparse
import signal

import pytest
import requests

from hsnb.emulator import Emulator
from hsnb.emulator.command import SETTINGS, add_arguments
from hsnb.emulator.service.clock import DEFAULT_EPOCH, Delay
from hsnb.emulator.service.config import EmulatorConfig
from tests.emulator.helpers import create_form
from tests.processes import emulator_process

WAIT = 15


@pytest.fixture
def process(receiver):
    """``python -m hsnb.emulator.command`` with a fixed seed, calling back ``receiver``."""
    with emulator_process(
        "--seed=3",
        "--start-time=epoch",
        "--processing-delay=0",
        "--time-scale=0.000001",
        f"--callback-url={receiver.url}",
        timeout=WAIT,
    ) as running:
        yield running


def test_prints_api_key_and_client_id_first_then_attempts(process, receiver):
    proc, lines = process
    head = [lines.get(timeout=WAIT).rstrip("\n") for _ in range(3)]
    assert head[0].startswith("api: http://127.0.0.1:") and head[0].endswith("/v3")
    expected = Emulator(seed=3, start=False)
    assert head[1] == f"api_key: {expected.api_key}"
    assert head[2] == f"client_id: {expected.client_id}"

    api_url = head[0].removeprefix("api: ")
    response = requests.post(
        f"{api_url}/signature_request/create_embedded",
        auth=(expected.api_key, ""),
        timeout=WAIT,
        **create_form(expected.client_id),
    )
    assert response.status_code == 200
    receiver.wait_for(1, timeout=WAIT)
    line = lines.get(timeout=WAIT)
    assert line.startswith("acknowledged 200 signature_request_sent ")
    assert line.rstrip().endswith(f"attempt 1 -> {receiver.url}")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(WAIT) == 0
    assert proc.stderr.read() == ""


def test_arguments_and_defaults():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    assert (args.host, args.port, args.seed) == ("127.0.0.1", 0, 0)
    defaults = EmulatorConfig()
    for name in SETTINGS:
        assert getattr(args, name) == getattr(defaults, name), name


def test_options_become_the_emulator_settings():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--start-time=epoch", "--rate-limit=0", "--processing-delay=uniform:2,4"]
        + ["--strict-callback-urls", "--time-scale=0.5"]
    )
    assert args.start_time == DEFAULT_EPOCH
    assert args.rate_limit is None
    assert args.processing_delay == "uniform:2,4"
    assert args.strict_callback_urls is True and args.time_scale == 0.5
    emulator = Emulator(start=False, **{name: getattr(args, name) for name in SETTINGS})
    assert emulator.config.processing_delay == Delay.uniform(2, 4)
    assert emulator.clock.time_scale == 0.5


def test_an_unknown_setting_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="unknown emulator setting procesing_delay"):
        Emulator(start=False, procesing_delay=1)


def test_cli_has_the_emulator_command():
    from hsnb.cli import build_parser

    args = build_parser().parse_args(["emulator", "--port", "0", "--seed", "5"])
    assert args.seed == 5 and args.func.__module__ == "hsnb.emulator.command"
