"""The account side of the emulated service: authentication, the account, its API apps.

Part of the :class:`~hsnb.emulator.service.backend.Backend` (see :mod:`hsnb.emulator.service.core`).
One account per emulator; its API key also works as a Bearer token, as do its access tokens.
Callback URLs are checked by :func:`~hsnb.emulator.service.validation.check_callback_url`; with
``strict_callback_urls`` a local or private host is refused as the real service refuses it. Not
checked, even then: the URLs given to the emulator's constructor (they are already set) and
``callback_test``'s own ``url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hsnb.emulator.service.api_keys import ApiKeysMixin
from hsnb.emulator.service.callbacks import Delivery, callback_test_delivery
from hsnb.emulator.service.models import Account, ApiApp
from hsnb.emulator.service.validation import check_api_app, check_callback_url, page_of
from hsnb.errors import BadRequest, NotFound, Unauthorized


class AccountsMixin(ApiKeysMixin):
    """Authentication, the account and its API apps (see the module docstring); its API keys
    are :class:`~hsnb.emulator.service.api_keys.ApiKeysMixin`'s."""

    # -- authentication and account ------------------------------------------------------

    def authenticate(self, api_key: str | None = None, bearer: str | None = None) -> Account:
        """The account for Basic ``api_key`` (any of its keys) or a ``bearer`` token; 401
        ``unauthorized`` else."""
        if not api_key and not bearer:
            raise Unauthorized()
        if api_key is not None and self.key_for_secret(api_key) is not None:
            return self.account
        if bearer is not None and (
            self.key_for_secret(bearer) is not None or bearer in self.account.access_tokens
        ):
            return self.account
        raise Unauthorized("Unauthorized api key." if api_key else "Invalid access token.")

    def known_secrets(self) -> set[str]:
        """Every secret of the account (its API keys, access tokens, the apps' OAuth secrets):
        what the request log cuts out of whatever it keeps."""
        secrets = {key.secret for key in self.account.keys} | set(self.account.access_tokens)
        secrets.add(self.account.api_key)
        for app in self.apps.values():
            secret = (app.oauth or {}).get("secret")
            if isinstance(secret, str):
                secrets.add(secret)
        return secrets

    def get_account(
        self,
        account: Account,
        account_id: str | None = None,
        email_address: str | None = None,
    ) -> Account:
        """The account (404 when ``account_id`` / ``email_address`` name another one)."""
        if (account_id and account_id != account.account_id) or (
            email_address and email_address.lower() != account.email_address.lower()
        ):
            raise NotFound("Account not found.")
        return account

    def update_account(self, account: Account, params: Mapping[str, Any]) -> Account:
        """Set ``callback_url`` (``""`` clears it) and/or ``locale``."""
        if params.get("account_id") and params["account_id"] != account.account_id:
            raise NotFound("Account not found.", error_path="account_id")
        if "callback_url" in params:
            account.callback_url = check_callback_url(
                params["callback_url"], strict=self.config.strict_callback_urls
            )
        if params.get("locale"):
            account.locale = params["locale"]
        return account

    def callback_test(
        self, account: Account, client_id: str | None = None, url: str | None = None
    ) -> Delivery:
        """Send ``callback_test`` to the account's (or the app's) callback URL, or to ``url``."""
        app = self.get_app(account, client_id) if client_id else None
        target = url or (app.callback_url if app else account.callback_url)
        if not target:
            owner = f"app {client_id}" if app else "the account"
            raise BadRequest(f"No callback URL is set for {owner}.", error_path="callback_url")
        check_callback_url(target, "url")
        delivery = callback_test_delivery(
            target, self.clock.timestamp(), account, app, self.new_delivery_id()
        )
        return self.deliver(delivery)

    # -- API apps --------------------------------------------------------------------------

    def create_app(self, account: Account, params: Mapping[str, Any]) -> ApiApp:
        """A new API app (``name`` and ``domains`` required)."""
        fields = check_api_app(params, creating=True, strict_urls=self.config.strict_callback_urls)
        if "oauth" in fields:
            fields["oauth"] = {**fields["oauth"], "secret": self.random.hex(32)}
        app = ApiApp(
            client_id=self.random.client_id(),
            owner_account_id=account.account_id,
            owner_email_address=account.email_address,
            created_at=self.clock.timestamp(),
            **fields,
        )
        self.apps[app.client_id] = app
        return app

    def get_app(self, account: Account, client_id: str) -> ApiApp:
        """The app with ``client_id`` (404 ``not_found`` otherwise)."""
        app = self.apps.get(client_id)
        if app is None or app.owner_account_id != account.account_id:
            raise NotFound("API app not found.", error_path="client_id")
        return app

    def update_app(self, account: Account, client_id: str, params: Mapping[str, Any]) -> ApiApp:
        """Change an app's name, domains, callback URL (``""`` clears), oauth or options."""
        app = self.get_app(account, client_id)
        fields = check_api_app(params, creating=False, strict_urls=self.config.strict_callback_urls)
        if "oauth" in fields:
            secret = (app.oauth or {}).get("secret") or self.random.hex(32)
            fields["oauth"] = {**fields["oauth"], "secret": secret}
        for key, value in fields.items():
            setattr(app, key, value)
        return app

    def delete_app(self, account: Account, client_id: str) -> None:
        """Delete an app; its requests keep their ``client_id`` but get no app callbacks."""
        self.get_app(account, client_id)
        del self.apps[client_id]

    def list_apps(
        self, account: Account, *, page: int = 1, page_size: int = 20
    ) -> tuple[list[ApiApp], int]:
        """One page of the account's apps, oldest first, and the total."""
        apps = [a for a in self.apps.values() if a.owner_account_id == account.account_id]
        return page_of(apps, page, page_size)
