"""The one reader of hsnb's environment variables, so each variable means the same everywhere.

=====================  ==========================================  ==============================
what                   variables, the first one set wins           read by
=====================  ==========================================  ==============================
the API key            ``DROPBOX_SIGN_API_KEY``, ``HSNB_API_KEY``  ``Client``, ``Listener``
                                                                   (verification), ``connect``,
                                                                   ``hsnb listen/trigger/live``
the API base URL       ``HSNB_BASE_URL``, ``DROPBOX_SIGN_BASE_URL``  ``Client``, ``connect``
an API app             ``DROPBOX_SIGN_CLIENT_ID``, ``HSNB_CLIENT_ID``  ``Client``, ``connect``
the public URL         ``HSNB_PUBLIC_URL``                         ``connect``, ``hsnb live``
=====================  ==========================================  ==============================

An empty variable counts as unset, except an API key variable: one that is set but empty (as
CI leaves a secret it does not have) raises :class:`~hsnb.errors.ConfigError`, because reading
it as "no key" would silently turn ``event_hash`` verification off. Each reader takes an
optional mapping that stands for ``os.environ`` (tests, or :func:`hsnb.live.connect`'s ``env``).

>>> api_key({"HSNB_API_KEY": "k2"})
'k2'
>>> api_key({"DROPBOX_SIGN_API_KEY": ""})
Traceback (most recent call last):
...
hsnb.errors.ConfigError: DROPBOX_SIGN_API_KEY is set but empty: set it to your API key, or unset it
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hsnb.errors import ConfigError

API_KEY_VARIABLES = ("DROPBOX_SIGN_API_KEY", "HSNB_API_KEY")
BASE_URL_VARIABLES = ("HSNB_BASE_URL", "DROPBOX_SIGN_BASE_URL")
CLIENT_ID_VARIABLES = ("DROPBOX_SIGN_CLIENT_ID", "HSNB_CLIENT_ID")
PUBLIC_URL_VARIABLES = ("HSNB_PUBLIC_URL",)


def api_key(env: Mapping[str, str] | None = None) -> str | None:
    """The API key from the environment, or ``None`` when no key variable is set.

    Raises :class:`~hsnb.errors.ConfigError` for a key variable that is set but blank.
    """
    source = os.environ if env is None else env
    for name in API_KEY_VARIABLES:
        if name in source:
            if not source[name].strip():
                raise ConfigError(f"{name} is set but empty: set it to your API key, or unset it")
            return source[name]
    return None


def given_or_api_key(given: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """A key given as an option (``--api-key``), else :func:`api_key`.

    Raises :class:`~hsnb.errors.ConfigError` for a given key that is blank.
    """
    if given is not None and not given.strip():
        raise ConfigError("--api-key is empty: give the key, or leave the option out")
    return given or api_key(env)


def base_url(env: Mapping[str, str] | None = None) -> str | None:
    """The API base URL from the environment (no trailing slash), or ``None``."""
    found = _first(BASE_URL_VARIABLES, env)
    return found.rstrip("/") if found else None


def client_id(env: Mapping[str, str] | None = None) -> str | None:
    """The API app's ``client_id`` from the environment, or ``None``."""
    return _first(CLIENT_ID_VARIABLES, env)


def public_url(env: Mapping[str, str] | None = None) -> str | None:
    """The public callback URL from the environment, or ``None``."""
    return _first(PUBLIC_URL_VARIABLES, env)


def _first(names: tuple[str, ...], env: Mapping[str, str] | None) -> str | None:
    source = os.environ if env is None else env
    return next((source[name] for name in names if source.get(name)), None)
