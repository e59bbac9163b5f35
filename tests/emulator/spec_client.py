"""A ``requests`` session that checks every answer of the emulator against the official spec.

Each call is matched to its spec operation (literal paths before templated ones, as the
service routes them); the answer's status must be one the operation documents, a JSON body must
validate against the documented schema (``4XX``: ``ErrorResponse``), and a 2xx must carry the
three rate-limit headers the spec lists. Every problem is collected in :attr:`SpecSession.problems`
rather than raised, so one test reports them all.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.emulator import openapi_spec

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Ratelimit-Reset")


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    paths = list(openapi_spec.spec()["paths"])
    literal = [p for p in paths if "{" not in p]
    templated = [p for p in paths if "{" in p]
    compiled = []
    for path in literal + templated:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path.split("?")[0]))
        compiled.append((re.compile(f"^{pattern}$"), path))
    return compiled


def spec_path(method: str, url_path: str) -> str | None:
    """The spec path template of ``method url_path`` (``url_path`` after ``/v3``)."""
    for pattern, path in _patterns():
        if pattern.match(url_path) and method.lower() in openapi_spec.spec()["paths"][path]:
            return path
    return None


class SpecSession(requests.Session):
    """Basic auth with ``api_key``; every answer checked (see the module docstring)."""

    def __init__(self, api_url: str, api_key: str) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.auth = (api_key, "")
        self.problems: list[str] = []
        self.checked: list[str] = []

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``method`` ``/v3`` + ``path``, checked; returns the answer."""
        kwargs.setdefault("timeout", 10)
        return self.request(method, self.api_url + path, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        answer = super().request(method, url, *args, **kwargs)
        self.check(method, url, answer)
        return answer

    def check(self, method: str, url: str, answer: requests.Response) -> None:
        """Record every way ``answer`` breaks the spec."""
        path = urlsplit(url).path
        if not path.startswith("/v3/"):
            return
        template = spec_path(method, path[3:])
        label = f"{method} {path} -> {answer.status_code}"
        self.checked.append(label)
        if template is None:
            self.problems.append(f"{label}: not an operation of the spec")
            return
        try:
            name = openapi_spec.response_schema(template, method, answer.status_code)
        except KeyError as exc:
            self.problems.append(f"{label}: {exc}")
            return
        if 200 <= answer.status_code < 300:
            missing = [h for h in RATE_HEADERS if h not in answer.headers]
            if missing:
                self.problems.append(f"{label}: missing headers {missing}")
        if name is None:
            return
        try:
            body = answer.json()
        except ValueError:
            self.problems.append(f"{label}: the body is not JSON")
            return
        shown = name if isinstance(name, str) else "(inline schema)"
        self.problems += [f"{label}: {shown}: {e}" for e in openapi_spec.errors(name, body)]
