"""An account's API keys: up to four, one primary; the primary key signs ``event_hash``.

Part of the :class:`~hsnb.emulator.service.backend.Backend` (see :mod:`hsnb.emulator.service.core`).
From Dropbox Sign's API Keys reference (developers.hellosign.com, "API Keys"; the endpoints are
newer than the OpenAPI copy in ``tests/fixtures/openapi/``): every key can call the API; one is
primary and signs callbacks; a key is promoted with ``PUT /api_key/{id}`` ``is_primary=true`` (the
old primary stays, no longer primary); the primary key cannot be deleted; names are unique on the
account and at most 25 characters; ``api_key_id`` is 40 hex; the secret is shown only when the
key is created; ``last_used_at`` is null until the key is used. So key rotation can be rehearsed
against a listener given several keys: create, switch the integration, promote, delete the old.

The account's first key is named ``"Primary key"`` and its id is derived from its secret (no
random draw, so the ids of every other flow stay as they were). Keys outlive :meth:`reset` (like
the account). UNCONFIRMED: the name of the field holding the secret in the create answer
(``secret`` here), the first key's name, the error texts, and whether a key that was just
promoted signs events already queued (here: events are signed when raised, retries keep their
signature).
Not implemented: ``account_id`` (service accounts): any other value answers 403.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from hsnb.emulator.service.core import ServiceCore
from hsnb.emulator.service.models import Account, ApiKey
from hsnb.errors import BadRequest, Forbidden, NotFound

MAX_KEYS = 4
MAX_NAME = 25


def first_key(secret: str, now: int) -> ApiKey:
    """The key every account starts with (primary; its id derived from the secret)."""
    key_id = hashlib.sha1(secret.encode()).hexdigest()
    return ApiKey(key_id, "Primary key", secret, True, now, now)


class ApiKeysMixin(ServiceCore):
    """The API key endpoints and authentication by any key (see the module docstring)."""

    def key_for_secret(self, secret: str) -> ApiKey | None:
        """The account's key whose secret is ``secret`` (marked used now), if any."""
        for key in self._keys():
            if key.secret == secret:
                key.last_used_at = self.clock.timestamp()
                return key
        return None

    def list_api_keys(self, account: Account, account_id: str | None = None) -> list[ApiKey]:
        """Every key of the account, oldest first."""
        self._own(account, account_id)
        return list(self._keys())

    def create_api_key(self, account: Account, params: Mapping[str, Any]) -> ApiKey:
        """A new, non-primary key named ``params["name"]``; 400 past four keys."""
        self._own(account, params.get("account_id"))
        name = self._check_name(params.get("name"), None)
        if len(self._keys()) >= MAX_KEYS:
            raise BadRequest(
                f"An account can have at most {MAX_KEYS} API keys: delete one first.",
                error_path="name",
            )
        now = self.clock.timestamp()
        key = ApiKey(self.random.hex(40), name, self.random.api_key(), False, now, now)
        self.account.keys.append(key)
        return key

    def get_api_key(
        self, account: Account, api_key_id: str, account_id: str | None = None
    ) -> ApiKey:
        """The key ``api_key_id`` (404 ``not_found`` otherwise)."""
        self._own(account, account_id)
        for key in self._keys():
            if key.api_key_id == api_key_id:
                return key
        raise NotFound("API key not found.", error_path="api_key_id")

    def update_api_key(
        self, account: Account, api_key_id: str, params: Mapping[str, Any]
    ) -> ApiKey:
        """Rename the key and/or promote it to primary (``is_primary`` can only be true)."""
        key = self.get_api_key(account, api_key_id, params.get("account_id"))
        if "name" not in params and "is_primary" not in params:
            raise BadRequest("Provide name or is_primary.", error_path="name")
        if "is_primary" in params and params["is_primary"] is not True:
            raise BadRequest("is_primary can only be set to true.", error_path="is_primary")
        if "name" in params:
            key.name = self._check_name(params["name"], key)
        if params.get("is_primary"):
            for other in self._keys():
                other.is_primary = other is key
            self.account.api_key = key.secret
        key.updated_at = self.clock.timestamp()
        return key

    def delete_api_key(
        self, account: Account, api_key_id: str, account_id: str | None = None
    ) -> None:
        """Delete a key; 400 for the primary key (promote another one first)."""
        key = self.get_api_key(account, api_key_id, account_id)
        if key.is_primary:
            raise BadRequest(
                "The primary API key cannot be deleted: promote another key first.",
                error_path="api_key_id",
            )
        self.account.keys.remove(key)

    def _keys(self) -> list[ApiKey]:
        if not self.account.keys:
            self.account.keys.append(first_key(self.account.api_key, self.clock.timestamp()))
        return self.account.keys

    def _own(self, account: Account, account_id: str | None) -> None:
        if account_id and account_id != account.account_id:
            raise Forbidden(
                "Managing another account's API keys is not emulated.", error_path="account_id"
            )

    def _check_name(self, value: Any, key: ApiKey | None) -> str:
        name = str(value or "").strip()
        if not name:
            raise BadRequest("name is required.", error_path="name")
        if len(name) > MAX_NAME:
            raise BadRequest(f"name must be at most {MAX_NAME} characters.", error_path="name")
        if any(k.name == name and k is not key for k in self._keys()):
            raise BadRequest(f"An API key named {name!r} already exists.", error_path="name")
        return name
