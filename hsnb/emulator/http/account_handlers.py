"""HTTP handlers of the emulated API's account side: ``/v3/account``, ``/v3/api_app`` and
``/v3/api_key`` (parse, call one backend method, serialise), on :class:`ApiHandler` of
:mod:`hsnb.emulator.http.handlers` like every ``/v3`` handler."""

from __future__ import annotations

from hsnb.emulator.http.handlers import ApiHandler
from hsnb.emulator.service import parsing
from hsnb.emulator.service import serializers as views


class AccountHandler(ApiHandler):
    """``GET /account``; ``PUT`` (current spec) and ``POST`` (legacy) ``/account`` update it."""

    def get(self) -> None:
        query = self.query_params({"account_id": str, "email_address": str})
        account = self.backend.get_account(
            self.account, query.get("account_id"), query.get("email_address")
        )
        self.send_json({"account": views.account_json(account)})

    def put(self) -> None:
        account = self.backend.update_account(
            self.account, self.body_params(parsing.ACCOUNT_UPDATE)
        )
        self.send_json({"account": views.account_json(account)})

    post = put


class ApiAppsHandler(ApiHandler):
    """``POST /api_app`` (201)."""

    def post(self) -> None:
        app = self.backend.create_app(self.account, self.body_params(parsing.API_APP))
        self.send_json({"api_app": views.api_app_json(app)}, status=201)


class ApiAppListHandler(ApiHandler):
    """``GET /api_app/list``."""

    def get(self) -> None:
        query = self.query_params(parsing.LIST_QUERY)
        page, page_size = query.get("page", 1), query.get("page_size", 20)
        apps, total = self.backend.list_apps(self.account, page=page, page_size=page_size)
        self.send_json(
            {
                "api_apps": [views.api_app_json(a) for a in apps],
                "list_info": views.list_info(page, page_size, total),
            }
        )


class ApiAppHandler(ApiHandler):
    """``GET`` / ``PUT`` / ``DELETE /api_app/{client_id}``."""

    def get(self, client_id: str) -> None:
        app = self.backend.get_app(self.account, client_id)
        self.send_json({"api_app": views.api_app_json(app)})

    def put(self, client_id: str) -> None:
        params = self.body_params(parsing.API_APP)
        app = self.backend.update_app(self.account, client_id, params)
        self.send_json({"api_app": views.api_app_json(app)})

    def delete(self, client_id: str) -> None:
        self.backend.delete_app(self.account, client_id)
        self.set_status(204)
        self.finish()


class ApiKeysHandler(ApiHandler):
    """``GET /api_key`` (list) and ``POST /api_key`` (create: the only answer with the
    secret)."""

    def get(self) -> None:
        account_id = self.get_query_argument("account_id", None)
        keys = self.backend.list_api_keys(self.account, account_id)
        self.send_json({"api_keys": [views.api_key_json(k) for k in keys]})

    def post(self) -> None:
        params = self.body_params(parsing.API_KEY)
        params.setdefault("account_id", self.get_query_argument("account_id", None))
        key = self.backend.create_api_key(self.account, params)
        self.send_json({"api_key": views.api_key_json(key, with_secret=True)})


class ApiKeyHandler(ApiHandler):
    """``GET`` / ``PUT`` / ``DELETE /api_key/{api_key_id}``."""

    def get(self, api_key_id: str) -> None:
        account_id = self.get_query_argument("account_id", None)
        key = self.backend.get_api_key(self.account, api_key_id, account_id)
        self.send_json({"api_key": views.api_key_json(key)})

    def put(self, api_key_id: str) -> None:
        params = self.body_params(parsing.API_KEY)
        params.setdefault("account_id", self.get_query_argument("account_id", None))
        key = self.backend.update_api_key(self.account, api_key_id, params)
        self.send_json({"api_key": views.api_key_json(key)})

    def delete(self, api_key_id: str) -> None:
        account_id = self.get_query_argument("account_id", None)
        self.backend.delete_api_key(self.account, api_key_id, account_id)
        self.send_json({})
