"""The emulator's one route table: the API under ``/v3``, pages, and the ``/_emulator`` plane."""

from __future__ import annotations

import re
from typing import Any

from hsnb.emulator.http import account_handlers as accounts
from hsnb.emulator.http import control, pages
from hsnb.emulator.http import handlers as api
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.dispatcher import Dispatcher
from hsnb.emulator.service.operations import NOT_EMULATED
from hsnb.emulator.service.ratelimit import RateLimiter

_ID = r"([0-9A-Za-z_-]+)"
_HEX = r"([0-9A-Fa-f]+)"  # template ids; other words under /template fall through to 404


def not_emulated_routes(deps: dict[str, Any]) -> list[tuple]:
    """One rule per path of :data:`~hsnb.emulator.service.operations.NOT_EMULATED`, knowing the
    methods the spec gives that path (others answer 405 with ``Allow``)."""
    methods: dict[str, list[str]] = {}
    for method, path in NOT_EMULATED:
        methods.setdefault(path.split("?")[0], []).append(method)
    rules = []
    for path, allowed in sorted(methods.items(), key=lambda item: "{" in item[0]):
        pattern = "/v3" + re.sub(r"\\{[^}]+\\}", _ID, re.escape(path))
        kwargs = {**deps, "methods": tuple(allowed), "path": path}
        rules.append((pattern, api.NotEmulatedHandler, kwargs))
    return rules


def routes(backend: Backend, limiter: RateLimiter, dispatcher: Dispatcher) -> list[tuple]:
    """Every ``(pattern, handler, kwargs)`` rule, most specific first (operations the
    emulator does not emulate before ``/signature_request/{id}``, which would swallow
    ``/signature_request/bulk_send_with_template``)."""
    deps: dict[str, Any] = {"backend": backend, "limiter": limiter}
    plane = {**deps, "dispatcher": dispatcher}
    sr = "/v3/signature_request"
    return [
        *not_emulated_routes(deps),
        (f"{sr}/create_embedded", api.CreateHandler, {**deps, "embedded": True}),
        (f"{sr}/send", api.CreateHandler, {**deps, "embedded": False}),
        (f"{sr}/send_with_template", api.CreateFromTemplateHandler, {**deps, "embedded": False}),
        (
            f"{sr}/create_embedded_with_template",
            api.CreateFromTemplateHandler,
            {**deps, "embedded": True},
        ),
        (f"{sr}/list", api.ListHandler, deps),
        (f"{sr}/files/{_ID}", api.FilesHandler, deps),
        (f"{sr}/files_as_data_uri/{_ID}", api.FilesDataUriHandler, deps),
        (f"{sr}/files_as_file_url/{_ID}", api.FilesFileUrlHandler, deps),
        (f"{sr}/cancel/{_ID}", api.CancelHandler, deps),
        (f"{sr}/remind/{_ID}", api.RemindHandler, deps),
        (f"{sr}/{_ID}", api.SignatureRequestHandler, deps),
        (f"/v3/embedded/sign_url/{_ID}", api.SignUrlHandler, deps),
        ("/v3/template/create", api.TemplateCreateHandler, deps),
        ("/v3/template/list", api.TemplateListHandler, deps),
        (f"/v3/template/delete/{_HEX}", api.TemplateDeleteHandler, deps),
        (f"/v3/template/{_HEX}", api.TemplateHandler, deps),
        ("/v3/account", accounts.AccountHandler, deps),
        ("/v3/api_key", accounts.ApiKeysHandler, deps),
        (f"/v3/api_key/{_ID}", accounts.ApiKeyHandler, deps),
        ("/v3/api_app", accounts.ApiAppsHandler, deps),
        ("/v3/api_app/list", accounts.ApiAppListHandler, deps),
        (f"/v3/api_app/{_ID}", accounts.ApiAppHandler, deps),
        (r"/v3(?:/.*)?", api.UnknownApiHandler, deps),
        ("/editor/embeddedSign", pages.EmbeddedSignHandler, deps),
        ("/_emulator/?", control.IndexHandler, plane),
        ("/_emulator/state", control.StateHandler, plane),
        ("/_emulator/reset", control.ResetHandler, plane),
        ("/_emulator/seed", control.SeedHandler, plane),
        ("/_emulator/advance", control.AdvanceHandler, plane),
        (
            f"/_emulator/signatures/{_ID}/(view|sign|decline)",
            control.SignerActionHandler,
            plane,
        ),
        ("/_emulator/callback_test", control.CallbackTestHandler, plane),
        ("/_emulator/deliveries", control.DeliveriesHandler, plane),
        ("/_emulator/events", control.EventsHandler, plane),
        ("/_emulator/faults", control.FaultsHandler, plane),
        ("/_emulator/api_log", control.ApiLogHandler, plane),
        (f"/_emulator/sign/{_ID}", pages.SignerPageHandler, deps),
        (f"/_emulator/requests/{_ID}", pages.RequestPageHandler, deps),
        (f"/_emulator/sessions/{_ID}/document.pdf", pages.SessionDocumentHandler, deps),
        (f"/_emulator/file_links/{_ID}", pages.FileLinkHandler, deps),
    ]
