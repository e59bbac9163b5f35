"""Layering rules: the emulator's models know nothing of tornado, and nothing is logged noisily."""

from __future__ import annotations

import logging
import subprocess
import sys

import requests

MODEL_MODULES = [
    "hsnb.emulator.service.accounts",
    "hsnb.emulator.service.backend",
    "hsnb.emulator.service.callbacks",
    "hsnb.emulator.service.clock",
    "hsnb.emulator.service.files",
    "hsnb.emulator.service.dispatcher",
    "hsnb.errors",
    "hsnb.emulator.service.faults",
    "hsnb.emulator.service.lifecycle",
    "hsnb.emulator.service.models",
    "hsnb.emulator.service.parsing",
    "hsnb.emulator.service.processing",
    "hsnb.emulator.service.ratelimit",
    "hsnb.emulator.service.serializers",
    "hsnb.emulator.service.signing",
    "hsnb.emulator.service.file_urls",
    "hsnb.emulator.service.templates",
    "hsnb.emulator.service.validation",
]


def test_model_modules_do_not_import_tornado():
    imports = "; ".join(f"import {name}" for name in MODEL_MODULES)
    check = (
        f"import sys; {imports}; print(sorted(m for m in sys.modules if m.startswith('tornado')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_errors_and_bad_bodies_log_nothing_through_tornado(emulator, caplog):
    caplog.set_level(logging.DEBUG, logger="tornado")
    auth = (emulator.api_key, "")
    requests.get(emulator.api_url + "/account", timeout=10)
    requests.get(emulator.api_url + "/nowhere", auth=auth, timeout=10)
    bad = requests.post(
        emulator.api_url + "/signature_request/send",
        auth=auth,
        data=b"--x\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=10,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["error_name"] == "bad_request"
    assert [r for r in caplog.records if r.name.startswith("tornado")] == []
