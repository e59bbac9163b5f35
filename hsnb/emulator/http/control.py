"""The control plane: JSON endpoints under ``/_emulator/`` to drive and inspect the emulator.

No authentication (the emulator listens on 127.0.0.1 unless told otherwise), but a web page open in
the developer's browser must not drive it, so every control request is refused with 403
``forbidden`` when (:meth:`ControlHandler.prepare`):

* its ``Host`` is not a loopback name or address or the host of ``public_base_url`` (DNS
  rebinding: a page whose own name resolves to 127.0.0.1);
* it says it comes from another site: an ``Origin`` other than the emulator's own, or
  ``Sec-Fetch-Site`` ``cross-site`` / ``same-site``;
* it is a ``POST``, ``PUT`` or ``DELETE`` with a body that is not ``application/json`` (the only
  bodies a cross-site page can send without a CORS preflight, which the emulator never
  answers, are forms and ``text/plain``).

JSON endpoints::

    GET    /_emulator/                              summary: URLs, ids, emulated time
    GET    /_emulator/state                         account, apps, every request with its state
                                                    (a view: a state *file*, which holds the
                                                    emulator's secrets, is written from Python
                                                    or ``hsnb emulator --save-state`` only)
    POST   /_emulator/reset          {seed?}        forget everything; ids restart from the seed
    POST   /_emulator/seed           {seed}         reseed the random source only
    POST   /_emulator/advance        {seconds}      fast-forward emulated time (fires due timers)
    POST   /_emulator/signatures/{signature_id}/view|sign|decline   {reason?}
    POST   /_emulator/callback_test  {client_id?, url?}             the dashboard's Test button
    GET    /_emulator/deliveries                    every callback attempt, and dead letters
    GET    /_emulator/events                        every event raised (before delivery)
    GET    /_emulator/faults  POST {target, action, match?, count?, seconds?}  DELETE
    GET    /_emulator/api_log?since=&limit=         the request log, redacted (not itself logged)

The HTML pages a person opens (the sign page, file links) are in :mod:`hsnb.emulator.http.pages`.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from hsnb.emulator.http.handlers import BaseHandler
from hsnb.emulator.service import serializers as views
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.dispatcher import Dispatcher
from hsnb.emulator.service.ratelimit import RateLimiter
from hsnb.errors import BadRequest, Forbidden

CONTROL: dict[str, Any] = {
    "seed": int,
    "seconds": float,
    "reason": str,
    "client_id": str,
    "url": str,
    "target": str,
    "action": str,
    "match": str,
    "count": int,
}


def _is_loopback(host: str) -> bool:
    """``localhost`` (and ``*.localhost``) or a loopback address; not private networks."""
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reset_all(
    backend: Backend, limiter: RateLimiter, dispatcher: Dispatcher, seed: int | None = None
) -> None:
    """Reset the service, its rate-limit counters and its deliveries together."""
    dispatcher.reset()
    limiter.reset()
    backend.reset(seed)


class ControlHandler(BaseHandler):
    """A JSON control-plane endpoint (dependencies through ``initialize``)."""

    plane = "control"

    def initialize(self, backend: Backend, limiter: RateLimiter, dispatcher: Dispatcher) -> None:
        super().initialize(backend, limiter)
        self.dispatcher = dispatcher

    def prepare(self) -> None:
        """Refuse what a web page in the developer's browser could send (see the module doc)."""
        host = urlsplit(f"//{self.request.host}").hostname or ""
        public = urlsplit(self.backend.urls.base_url).hostname
        if not (_is_loopback(host) or host == public):
            raise Forbidden(f"The control plane answers only on a loopback host, not {host!r}.")
        origin = self.request.headers.get("Origin")
        if origin is not None and origin != f"{self.request.protocol}://{self.request.host}":
            raise Forbidden(f"Cross-site request refused (Origin {origin}).")
        if self.request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
            raise Forbidden("Cross-site request refused (Sec-Fetch-Site).")
        if self.request.method in ("POST", "PUT", "DELETE") and self.request.body:
            kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                raise Forbidden(
                    f"The control plane takes JSON bodies only (Content-Type application/json),"
                    f" not {kind or 'none'}: a web page cannot send those cross-site."
                )

    def control_params(self) -> dict[str, Any]:
        """The body (JSON or form) normalised against :data:`CONTROL`."""
        return self.body_params(CONTROL)

    def send_request(self, sr: Any) -> None:
        """Finish with the request as the API shows it, plus its emulator state."""
        body = views.signature_request_response(sr, self.backend.urls)
        body["emulator"] = {"state": sr.state.value, "files_busy": sr.files_busy}
        self.send_json(body)


class IndexHandler(ControlHandler):
    """``GET /_emulator/``."""

    def get(self) -> None:
        backend = self.backend
        app = backend.default_app
        self.send_json(
            {
                "api_url": f"{self.request.protocol}://{self.request.host}/v3",
                "public_base_url": backend.urls.base_url,
                "account_id": backend.account.account_id,
                "client_id": app.client_id if app else None,
                "callback_url": backend.account.callback_url,
                "now": backend.clock.now(),
                "seed": backend.random.seed,
                "signature_requests": len(backend.requests),
                "unsettled_deliveries": self.dispatcher.unsettled,
            }
        )


class StateHandler(ControlHandler):
    """``GET /_emulator/state``."""

    def get(self) -> None:
        backend = self.backend
        requests = []
        for sr in backend.requests.values():
            item = views.signature_request_json(sr, backend.urls)
            item["emulator"] = {"state": sr.state.value, "files_busy": sr.files_busy}
            requests.append(item)
        self.send_json(
            {
                "now": backend.clock.now(),
                "account": views.account_json(backend.account),
                "api_apps": [views.api_app_json(a) for a in backend.apps.values()],
                "signature_requests": requests,
            }
        )


class ResetHandler(ControlHandler):
    """``POST /_emulator/reset``."""

    def post(self) -> None:
        reset_all(self.backend, self.limiter, self.dispatcher, self.control_params().get("seed"))
        self.send_json({"reset": True, "seed": self.backend.random.seed})


class SeedHandler(ControlHandler):
    """``POST /_emulator/seed``."""

    def post(self) -> None:
        params = self.control_params()
        if "seed" not in params:
            raise BadRequest("seed is required.", error_path="seed")
        self.backend.random.reseed(params["seed"])
        self.send_json({"seed": params["seed"]})


class AdvanceHandler(ControlHandler):
    """``POST /_emulator/advance``."""

    def post(self) -> None:
        seconds = self.control_params().get("seconds", 0.0)
        if not math.isfinite(seconds):
            raise BadRequest("seconds must be a finite number.", error_path="seconds")
        if seconds < 0:
            raise BadRequest("seconds must not be negative.", error_path="seconds")
        fired = self.backend.clock.advance(seconds)
        self.send_json({"now": self.backend.clock.now(), "timers_fired": fired})


class SignerActionHandler(ControlHandler):
    """``POST /_emulator/signatures/{signature_id}/{view|sign|decline}``."""

    def post(self, signature_id: str, action: str) -> None:
        if action == "view":
            sr = self.backend.view(signature_id)
        elif action == "sign":
            sr = self.backend.sign(signature_id)
        else:
            sr = self.backend.decline(signature_id, self.control_params().get("reason"))
        self.send_request(sr)


class CallbackTestHandler(ControlHandler):
    """``POST /_emulator/callback_test``."""

    def post(self) -> None:
        params = self.control_params()
        delivery = self.backend.callback_test(
            self.backend.account, params.get("client_id"), params.get("url")
        )
        self.send_json({"delivery_id": delivery.delivery_id, "url": delivery.url})


class DeliveriesHandler(ControlHandler):
    """``GET /_emulator/deliveries``."""

    def get(self) -> None:
        self.send_json(
            {
                "attempts": [asdict(a) for a in self.dispatcher.attempts],
                "dead_letters": [
                    {"delivery_id": d.delivery_id, "url": d.url, "event_type": d.event_type}
                    for d in self.dispatcher.dead_letters
                ],
                "unsettled": self.dispatcher.unsettled,
            }
        )


class EventsHandler(ControlHandler):
    """``GET /_emulator/events``."""

    def get(self) -> None:
        self.send_json({"events": [asdict(e) for e in self.backend.events]})


class FaultsHandler(ControlHandler):
    """``GET`` / ``POST`` / ``DELETE /_emulator/faults``."""

    def get(self) -> None:
        self.send_json({"faults": [f.to_json() for f in self.backend.faults.active()]})

    def post(self) -> None:
        params = self.control_params()
        fault = self.backend.faults.add(
            params.get("target", ""),
            params.get("action", ""),
            match=params.get("match"),
            count=params.get("count", 1),
            seconds=params.get("seconds", 0.0),
        )
        self.send_json({"fault": fault.to_json()}, status=201)

    def delete(self) -> None:
        self.backend.faults.clear()
        self.send_json({"faults": []})


class ApiLogHandler(ControlHandler):
    """``GET /_emulator/api_log?since=CALL_ID&limit=N``: the request log's calls after
    ``since`` (default 0: all kept), oldest first, at most ``limit`` (default 1000); ``last``
    is the ``call_id`` to pass as ``since`` next time. Reading the log is not logged."""

    logged = False

    def get(self) -> None:
        query = self.query_params({"since": int, "limit": int})
        limit = query.get("limit", 1000)
        if limit < 1:
            raise BadRequest("limit must be at least 1.", error_path="limit")
        log = self.backend.api_log
        calls = log.calls(query.get("since", 0), limit)
        self.send_json(
            {
                "calls": [asdict(call) for call in calls],
                "last": calls[-1].call_id if calls else query.get("since", 0),
                "dropped": log.dropped,
                "size": log.size,
            }
        )
