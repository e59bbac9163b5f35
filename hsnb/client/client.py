"""``Client``: the Dropbox Sign API v3 endpoints the walkthrough needs, emulator or real.

Where it talks to and which key it sends: see :mod:`hsnb.client.http`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hsnb.client.encoding import FileSpec, SignerSpec, request_body, signer_dicts
from hsnb.client.encoding import split_files as _split_files
from hsnb.client.models import (
    Account,
    ApiApp,
    EmbeddedSignUrl,
    FileUrl,
    ListPage,
    SignatureRequest,
)
from hsnb.client.templates import TemplateEndpoints


class Client(TemplateEndpoints):
    """The Dropbox Sign API v3, the same code for the emulator and the real service.

    >>> from hsnb.client import Client
    >>> Client(api_key="k", base_url="http://127.0.0.1:1/v3")
    <hsnb.Client base_url='http://127.0.0.1:1/v3' api_key=<set>>

    ``timeout``: seconds per HTTP request. ``client_id``: the API app used by
    :meth:`create_embedded` (default: ``DROPBOX_SIGN_CLIENT_ID``/``HSNB_CLIENT_ID``, or the
    running emulator's app). ``rate_limit_retries``: how many times a 429 is retried after the
    reset time, if that is at most ``max_rate_limit_wait`` seconds away (default: never).
    Errors are :class:`~hsnb.errors.ApiError` subclasses; network failures
    :class:`~hsnb.errors.TransportError`. The template methods (``create_template``,
    ``send_with_template``, ...) are in :mod:`hsnb.client.templates`.
    """

    # -- signature requests --------------------------------------------------------------

    def create_embedded(
        self,
        files: FileSpec | Sequence[FileSpec],
        signers: Sequence[SignerSpec],
        *,
        client_id: str | None = None,
        test_mode: bool = True,
        use_text_tags: bool = False,
        metadata: Mapping[str, Any] | None = None,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/create_embedded``: a request to sign in an iFrame.

        ``files``: paths, bytes, file objects, ``(name, bytes)`` pairs, or ``https://`` (or
        ``data:``) URLs, sent as ``file_urls``. ``signers``: dicts (``name``,
        ``email_address``, ``order``, ...) or ``(name, email)`` pairs. ``test_mode`` defaults to
        true here (not legally binding, free). Other API parameters pass through ``params``.
        The 200 means the request was accepted; wait for ``signature_request_sent`` before
        asking for a sign URL.
        """
        return self._create(
            "/signature_request/create_embedded",
            files,
            signers,
            client_id=client_id or self.client_id,
            test_mode=test_mode,
            use_text_tags=use_text_tags,
            metadata=dict(metadata) if metadata else None,
            title=title,
            subject=subject,
            message=message,
            **params,
        )

    def send(
        self,
        files: FileSpec | Sequence[FileSpec],
        signers: Sequence[SignerSpec],
        *,
        test_mode: bool = True,
        use_text_tags: bool = False,
        metadata: Mapping[str, Any] | None = None,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/send``: signers get an e-mail.

        Arguments as :meth:`create_embedded`; pass ``client_id=`` to route the events to that
        app's callback URL too.
        """
        return self._create(
            "/signature_request/send",
            files,
            signers,
            test_mode=test_mode,
            use_text_tags=use_text_tags,
            metadata=dict(metadata) if metadata else None,
            title=title,
            subject=subject,
            message=message,
            **params,
        )

    def _create(
        self, path: str, files: Any, signers: Sequence[SignerSpec], **params: Any
    ) -> SignatureRequest:
        uploads, urls = _split_files(files)
        body = {**params, "signers": signer_dicts(signers)}
        if urls:
            body["file_urls"] = urls
        data = self._json("POST", path, **request_body(body, uploads))
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    def get(self, signature_request_id: str) -> SignatureRequest:
        """``GET /signature_request/{id}`` (410 :class:`~hsnb.errors.Deleted` once canceled)."""
        data = self._json("GET", f"/signature_request/{signature_request_id}")
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    def list_page(
        self,
        page: int = 1,
        page_size: int = 20,
        *,
        query: str | None = None,
        account_id: str | None = None,
    ) -> ListPage:
        """``GET /signature_request/list``: one page (``page_size`` 1-100), newest first."""
        params = {"query": query, "account_id": account_id}
        return self._list_page("/signature_request/list", page, page_size, **params)

    def list(
        self,
        *,
        query: str | None = None,
        page_size: int = 100,
        account_id: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[SignatureRequest]:
        """Every signature request, page after page (lazily; ``max_pages`` bounds the calls)."""
        params = {"query": query, "account_id": account_id}
        return self._every("/signature_request/list", page_size, max_pages, **params)

    def sign_url(self, signature_id: str) -> EmbeddedSignUrl:
        """``GET /embedded/sign_url/{signature_id}``: a one-time URL for that signer.

        409 :class:`Conflict` ("This request cannot be signed yet") before
        ``signature_request_sent``.
        """
        return EmbeddedSignUrl.from_json(self._json("GET", f"/embedded/sign_url/{signature_id}"))

    def cancel(self, signature_request_id: str) -> None:
        """``POST /signature_request/cancel/{id}``; ``signature_request_canceled`` follows."""
        self._json("POST", f"/signature_request/cancel/{signature_request_id}")

    def remind(
        self, signature_request_id: str, email_address: str, *, name: str | None = None
    ) -> SignatureRequest:
        """``POST /signature_request/remind/{id}`` (not for embedded requests: 400)."""
        body = {"email_address": email_address, "name": name}
        data = self._json(
            "POST",
            f"/signature_request/remind/{signature_request_id}",
            json={k: v for k, v in body.items() if v is not None},
        )
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    # -- files ---------------------------------------------------------------------------

    def files(
        self,
        signature_request_id: str,
        *,
        file_type: str = "pdf",
        path: str | os.PathLike[str] | None = None,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> bytes | Path:
        """``GET /signature_request/files/{id}``: the current documents (``pdf`` or ``zip``).

        Returns the bytes, or writes them to ``path`` (a directory gets ``<id>.<file_type>``)
        and returns the path. While files are prepared the API answers 409 :class:`Conflict`;
        ``wait=True`` polls with backoff up to ``timeout`` seconds, then raises
        :class:`FilesNotReady`. Better than polling: wait for ``signature_request_downloadable``
        with a :class:`~hsnb.listener.Listener`, then call this once.
        """

        def fetch() -> bytes:
            response = self._call(
                "GET",
                f"/signature_request/files/{signature_request_id}",
                params={"file_type": file_type},
                headers={"Accept": "application/pdf, application/zip, application/json"},
            )
            return response.content

        data = self._poll_conflicts(fetch, timeout) if wait else fetch()
        if path is None:
            return data
        target = Path(path)
        if target.is_dir():
            target = target / f"{signature_request_id}.{file_type}"
        target.write_bytes(data)
        return target

    def wait_for_files(
        self, signature_request_id: str, *, file_type: str = "pdf", timeout: float = 60.0
    ) -> bytes:
        """The files, polling 409 answers with backoff for up to ``timeout`` seconds."""
        data = self.files(signature_request_id, file_type=file_type, wait=True, timeout=timeout)
        assert isinstance(data, bytes)
        return data

    def files_as_data_uri(
        self, signature_request_id: str, *, wait: bool = False, timeout: float = 60.0
    ) -> str:
        """``GET /signature_request/files_as_data_uri/{id}``: a ``data:application/pdf`` URI."""
        path = f"/signature_request/files_as_data_uri/{signature_request_id}"
        fetch = lambda: self._json("GET", path)["data_uri"]  # noqa: E731
        return self._poll_conflicts(fetch, timeout) if wait else fetch()

    def file_url(
        self,
        signature_request_id: str,
        *,
        force_download: bool = True,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> FileUrl:
        """``GET /signature_request/files_as_file_url/{id}``: a temporary link to the PDF."""
        path = f"/signature_request/files_as_file_url/{signature_request_id}"
        params = {"force_download": int(force_download)}
        fetch = lambda: FileUrl.from_json(self._json("GET", path, params=params))  # noqa: E731
        return self._poll_conflicts(fetch, timeout) if wait else fetch()

    # -- account and API apps ------------------------------------------------------------

    def get_account(
        self, *, account_id: str | None = None, email_address: str | None = None
    ) -> Account:
        """``GET /account``: the key's account (or, for a team, the one named)."""
        params = {"account_id": account_id, "email_address": email_address}
        return Account.from_json(self._json("GET", "/account", params=params))

    def update_account(
        self, *, callback_url: str | None = None, locale: str | None = None
    ) -> Account:
        """``PUT /account``: set the account callback URL (``""`` clears it) and/or locale."""
        body = {"callback_url": callback_url, "locale": locale}
        body = {k: v for k, v in body.items() if v is not None}
        return Account.from_json(self._json("PUT", "/account", json=body))

    def create_api_app(
        self,
        name: str,
        domains: Sequence[str],
        *,
        callback_url: str | None = None,
        **params: Any,
    ) -> ApiApp:
        """``POST /api_app`` (201): a new API app with its own callback URL."""
        body = {"name": name, "domains": list(domains), "callback_url": callback_url, **params}
        body = {k: v for k, v in body.items() if v is not None}
        return ApiApp.from_json(self._json("POST", "/api_app", json=body))

    def get_api_app(self, client_id: str) -> ApiApp:
        """``GET /api_app/{client_id}``."""
        return ApiApp.from_json(self._json("GET", f"/api_app/{client_id}"))

    def list_api_apps(self) -> list[ApiApp]:
        """``GET /api_app/list`` (first page)."""
        data = self._json("GET", "/api_app/list")
        return [ApiApp.from_json(app) for app in data.get("api_apps") or ()]

    def update_api_app(self, client_id: str, **fields: Any) -> ApiApp:
        """``PUT /api_app/{client_id}``: e.g. ``callback_url=...`` (``""`` clears), ``name=``."""
        return ApiApp.from_json(self._json("PUT", f"/api_app/{client_id}", json=fields))

    def delete_api_app(self, client_id: str) -> None:
        """``DELETE /api_app/{client_id}`` (204)."""
        self._call("DELETE", f"/api_app/{client_id}")
