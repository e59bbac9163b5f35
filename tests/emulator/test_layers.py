"""Layering rules: the emulator's service knows nothing of tornado or HTTP, and nothing is logged
noisily."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import hsnb.emulator.http
import hsnb.emulator.service

SERVICE = Path(hsnb.emulator.service.__file__).parent
HTTP = Path(hsnb.emulator.http.__file__).parent


def modules(folder: Path) -> list[str]:
    """Every module in ``folder``, by its dotted name."""
    package = folder.relative_to(folder.parents[2]).as_posix().replace("/", ".")
    return [f"{package}.{path.stem}" for path in sorted(folder.glob("*.py"))]


def test_the_service_folder_is_walked_not_listed():
    assert len(modules(SERVICE)) >= 20
    assert "hsnb.emulator.service.backend" in modules(SERVICE)


def test_no_service_module_imports_tornado():
    imports = "; ".join(f"import {name}" for name in modules(SERVICE))
    check = (
        f"import sys; {imports}; print(sorted(m for m in sys.modules if m.startswith('tornado')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (type-checking imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SERVICE.glob("*.py")), ids=lambda p: p.name)
def test_no_service_module_names_tornado_or_the_http_edge(path: Path):
    outside = {"tornado", "hsnb.emulator.http", "hsnb.emulator.server", "hsnb.listener"}
    found = {n for n in imported(path) if any(n == o or n.startswith(o + ".") for o in outside)}
    assert found == set()


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
