"""hsnb installed into a fresh virtual environment, then used by projects in temporary folders.

The environment is made offline: a new venv whose ``.pth`` file lets it see this environment's
packages (tornado, pandas, the official SDK, pytest; not hsnb), into which pip builds and installs
a copy of hsnb's source with no index and no build isolation. Two projects then run their own
pytest suites there: a throwaway one written below (production code calling the official SDK
unchanged) and the worked example in ``tests/example_integration``. Neither has a line of hsnb
configuration: the fixtures come from hsnb's ``pytest11`` entry point.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "tests" / "example_integration"


def run(argv: list[str], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
    for name in ("DROPBOX_SIGN_API_KEY", "HSNB_API_KEY", "HSNB_BASE_URL"):
        env.pop(name, None)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with hsnb installed (not editable) from a copy of its source."""
    base = tmp_path_factory.mktemp("install")
    source = base / "hsnb-src"
    shutil.copytree(ROOT / "hsnb", source / "hsnb", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base
    )
    ours = sysconfig.get_path("purelib")
    (Path(purelib.stdout.strip()) / "host-packages.pth").write_text(ours + "\n")
    installed = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", "--no-build-isolation", str(source)],
        base,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def test_hsnb_comes_from_the_new_environment_with_its_entry_point(venv_python: Path) -> None:
    script = (
        "import hsnb, importlib.metadata as m; "
        "print(hsnb.__file__); "
        "print([e.value for e in m.entry_points(group='pytest11') if e.name == 'hsnb'])"
    )
    done = run([str(venv_python), "-c", script], venv_python.parent)
    location, entry = done.stdout.splitlines()
    assert location.startswith(str(venv_python.parents[1])), location
    assert not location.startswith(str(ROOT))
    assert entry == "['hsnb.pytest_plugin']"


APP = '''
    """Production code: the official SDK on its default host, the key from the environment."""
    import os

    from dropbox_sign import ApiClient, Configuration, apis, models


    def client():
        return ApiClient(Configuration(username=os.environ["DROPBOX_SIGN_API_KEY"]))


    def account_email():
        with client() as api:
            return apis.AccountApi(api).account_get().account.email_address


    def send(title, pdf_path):
        with client() as api, open(pdf_path, "rb") as pdf:
            request = models.SignatureRequestSendRequest(
                title=title,
                files=[pdf],
                signers=[models.SubSignatureRequestSigner(name="Ann", email_address="a@x.org")],
                test_mode=True,
            )
            return apis.SignatureRequestApi(api).signature_request_send(request).signature_request
'''

CONFTEST = '''
    """No hsnb here: only a guard that refuses every name but the loopback address."""
    import socket

    import pytest

    REAL = socket.getaddrinfo


    @pytest.fixture(autouse=True)
    def loopback_only(monkeypatch):
        def guarded(host, *args, **kwargs):
            if host not in ("127.0.0.1", "localhost"):
                raise OSError(f"guard: no network in tests ({host})")
            return REAL(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", guarded)
'''

TESTS = """
    import os

    import pytest
    import requests

    import app
    from hsnb.testing import current_mock, mock_dropbox_sign

    DOCUMENT = os.path.join(os.path.dirname(__file__), "letter.txt")


    def test_without_a_mock_the_guard_stops_the_sdk():
        os.environ["DROPBOX_SIGN_API_KEY"] = "unused"
        with pytest.raises(Exception, match="guard: no network"):
            app.account_email()


    @mock_dropbox_sign
    def test_the_decorator_answers_the_default_host():
        assert app.account_email() == "me@example.com"
        assert current_mock().calls[0].url == "https://api.hellosign.com/v3/account"


    def test_the_context_manager_and_plain_requests(hsnb_listener):
        settings = {"account_email": "ctx@example.com", "callback_url": hsnb_listener.url}
        with mock_dropbox_sign(**settings) as mock:
            assert app.account_email() == "ctx@example.com"
            request = app.send("Letter", DOCUMENT)
            hsnb_listener.wait_for(
                "signature_request_sent", signature_request_id=request.signature_request_id
            )
            pdf = requests.get(request.files_url, auth=(mock.api_key, ""), timeout=10)
        assert pdf.content.startswith(b"%PDF")


    def test_the_fixtures_call_back_the_listener(hsnb_mock, hsnb_listener):
        request = app.send("Letter", DOCUMENT)
        event = hsnb_listener.wait_for(
            "signature_request_sent", signature_request_id=request.signature_request_id, timeout=10
        )
        assert event.payload["signature_request"]["title"] == "Letter"


    @pytest.mark.hsnb(seed=4)
    def test_the_marker_and_the_client(hsnb_emulator, hsnb_client):
        assert hsnb_emulator.seed == 4
        assert hsnb_client.get_account().email_address == "me@example.com"
"""


def test_a_throwaway_project_tests_unchanged_sdk_code_with_the_plugin(
    venv_python: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(textwrap.dedent(APP))
    (project / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (project / "test_app.py").write_text(textwrap.dedent(TESTS))
    shutil.copy(ROOT / "data" / "documents" / "letter.txt", project / "letter.txt")
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    done = run([str(venv_python), "-m", "pytest", "-q", "-p", "no:nbval"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_the_worked_example_passes_as_a_project_of_its_own(
    venv_python: Path, tmp_path: Path
) -> None:
    project = tmp_path / "example"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    done = run([str(venv_python), "-m", "pytest", "-q", "-p", "no:nbval"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
