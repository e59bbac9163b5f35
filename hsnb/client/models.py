"""Typed results of :class:`hsnb.client.Client`: small frozen dataclasses with ``.raw`` at hand.

Each class keeps the fields a notebook reads most and the whole JSON object in ``raw`` (left
out of the repr and of comparisons). ``from_json`` is lenient: a field the API leaves out is
``None`` (or empty), and keys the API adds later stay available in ``raw``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Raw = Mapping[str, Any]


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Signature:
    """One signer of a signature request (an entry of ``signatures[]``)."""

    signature_id: str
    signer_name: str | None
    signer_email_address: str | None
    order: int | None
    status_code: str | None
    signed_at: int | None = None
    last_viewed_at: int | None = None
    decline_reason: str | None = None
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> Signature:
        """Build from a ``signatures[]`` entry."""
        return cls(
            signature_id=data["signature_id"],
            signer_name=data.get("signer_name"),
            signer_email_address=data.get("signer_email_address"),
            order=data.get("order"),
            status_code=data.get("status_code"),
            signed_at=data.get("signed_at"),
            last_viewed_at=data.get("last_viewed_at"),
            decline_reason=data.get("decline_reason"),
            raw=data,
        )


@dataclass(frozen=True)
class SignatureRequest:
    """A signature request as the API shows it (``SignatureRequestResponse``).

    ``warnings`` holds the response's ``warnings`` (``{"warning_name", "warning_msg"}``) when the
    request came from create/send/get.
    """

    signature_request_id: str
    title: str | None
    test_mode: bool
    is_complete: bool
    is_declined: bool
    has_error: bool
    signatures: tuple[Signature, ...]
    metadata: Raw = field(default_factory=dict, compare=False)
    subject: str | None = None
    message: str | None = None
    created_at: int | None = None
    client_id: str | None = None
    files_url: str | None = field(default=None, repr=False)
    details_url: str | None = field(default=None, repr=False)
    signing_url: str | None = field(default=None, repr=False)
    warnings: tuple[Raw, ...] = ()
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw, warnings: Any = ()) -> SignatureRequest:
        """Build from a ``signature_request`` object (and the response's ``warnings``)."""
        return cls(
            signature_request_id=data["signature_request_id"],
            title=data.get("title"),
            test_mode=bool(data.get("test_mode")),
            is_complete=bool(data.get("is_complete")),
            is_declined=bool(data.get("is_declined")),
            has_error=bool(data.get("has_error")),
            signatures=tuple(Signature.from_json(s) for s in data.get("signatures") or ()),
            metadata=dict(data.get("metadata") or {}),
            subject=data.get("subject"),
            message=data.get("message"),
            created_at=data.get("created_at"),
            client_id=data.get("client_id"),
            files_url=data.get("files_url"),
            details_url=data.get("details_url"),
            signing_url=data.get("signing_url"),
            warnings=tuple(warnings or ()),
            raw=data,
        )

    @property
    def signature_ids(self) -> tuple[str, ...]:
        """The signers' ``signature_id`` values, in the order of ``signatures``."""
        return tuple(s.signature_id for s in self.signatures)

    def signature_for(self, email_address: str) -> Signature:
        """The signer with ``email_address`` (case-insensitive); ``KeyError`` if none."""
        for signature in self.signatures:
            if (signature.signer_email_address or "").lower() == email_address.lower():
                return signature
        raise KeyError(f"no signer with email address {email_address!r}")


@dataclass(frozen=True)
class ListPage:
    """One page of a list endpoint (``GET /signature_request/list``, ``/template/list``):
    its items and ``list_info``."""

    items: tuple[Any, ...]
    page: int
    num_pages: int
    num_results: int
    page_size: int
    raw: Raw = _raw()

    @classmethod
    def from_json(
        cls,
        data: Raw,
        key: str = "signature_requests",
        parse: Callable[[Raw], Any] | None = None,
    ) -> ListPage:
        """Build from a list response whose items are under ``key``, each made by ``parse``
        (default: a ``SignatureRequestListResponse``)."""
        info = data.get("list_info") or {}
        parse = parse or SignatureRequest.from_json
        items = tuple(parse(item) for item in data.get(key) or ())
        return cls(
            items=items,
            page=int(info.get("page", 1)),
            num_pages=int(info.get("num_pages", 1)),
            num_results=int(info.get("num_results", len(items))),
            page_size=int(info.get("page_size", len(items))),
            raw=data,
        )

    @property
    def has_next(self) -> bool:
        """Whether a later page exists."""
        return self.page < self.num_pages

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class EmbeddedSignUrl:
    """An embedded sign URL: open it once, before ``expires_at`` (Unix seconds)."""

    sign_url: str
    expires_at: int | None
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> EmbeddedSignUrl:
        """Build from an ``EmbeddedSignUrlResponse``."""
        embedded = data.get("embedded") or {}
        return cls(embedded["sign_url"], embedded.get("expires_at"), raw=data)


@dataclass(frozen=True)
class FileUrl:
    """A temporary download link to the current PDF (``files_as_file_url``)."""

    file_url: str
    expires_at: int | None
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> FileUrl:
        """Build from a ``FileResponse``."""
        return cls(data["file_url"], data.get("expires_at"), raw=data)


@dataclass(frozen=True)
class Account:
    """The account behind the API key (``AccountResponse``)."""

    account_id: str
    email_address: str | None
    callback_url: str | None
    is_locked: bool = False
    is_paid_hs: bool = False
    locale: str | None = None
    quotas: Raw = field(default_factory=dict, compare=False)
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> Account:
        """Build from an ``AccountGetResponse`` or its ``account`` object."""
        account = data.get("account", data)
        return cls(
            account_id=account["account_id"],
            email_address=account.get("email_address"),
            callback_url=account.get("callback_url"),
            is_locked=bool(account.get("is_locked")),
            is_paid_hs=bool(account.get("is_paid_hs")),
            locale=account.get("locale"),
            quotas=dict(account.get("quotas") or {}),
            raw=account,
        )


@dataclass(frozen=True)
class ApiApp:
    """An API app (``ApiAppResponse``): its ``client_id`` and its own callback URL."""

    client_id: str
    name: str | None
    domains: tuple[str, ...]
    callback_url: str | None
    is_approved: bool = False
    created_at: int | None = None
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> ApiApp:
        """Build from an ``ApiAppGetResponse`` or its ``api_app`` object."""
        app = data.get("api_app", data)
        return cls(
            client_id=app["client_id"],
            name=app.get("name"),
            domains=tuple(app.get("domains") or ()),
            callback_url=app.get("callback_url"),
            is_approved=bool(app.get("is_approved")),
            created_at=app.get("created_at"),
            raw=app,
        )


@dataclass(frozen=True)
class Template:
    """A template (``TemplateResponse``): its roles by name, in the template's order.

    ``signer_roles`` and ``cc_roles`` are the role names (the roles' ``order`` is in
    ``raw["signer_roles"]``), ``documents`` the document names. ``template/create`` answers
    with the id only: the other fields are empty until ``template_created``, then
    :meth:`~hsnb.client.Client.get_template` has them.
    """

    template_id: str
    title: str | None = None
    message: str | None = None
    signer_roles: tuple[str, ...] = ()
    cc_roles: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    metadata: Raw = field(default_factory=dict, compare=False)
    is_creator: bool | None = None
    updated_at: int | None = None
    raw: Raw = _raw()

    @classmethod
    def from_json(cls, data: Raw) -> Template:
        """Build from a ``template`` object (of get, list, create or a template event)."""
        return cls(
            template_id=data["template_id"],
            title=data.get("title"),
            message=data.get("message"),
            signer_roles=tuple(r.get("name") for r in data.get("signer_roles") or ()),
            cc_roles=tuple(r.get("name") for r in data.get("cc_roles") or ()),
            documents=tuple(d.get("name") for d in data.get("documents") or ()),
            metadata=dict(data.get("metadata") or {}),
            is_creator=data.get("is_creator"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class RateLimit:
    """The rate-limit headers of the last answer: ``limit``, ``remaining``, ``reset_at``."""

    limit: int | None
    remaining: int | None
    reset_at: int | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """Read ``X-RateLimit-Limit``, ``-Remaining`` and ``X-Ratelimit-Reset`` (any case)."""
        values = [_int(headers.get(name)) for name in _RATE_HEADERS]
        if all(v is None for v in values):
            return None
        return cls(*values)


_RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Ratelimit-Reset")


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


__all__ = [
    "Account",
    "ApiApp",
    "EmbeddedSignUrl",
    "FileUrl",
    "ListPage",
    "RateLimit",
    "Signature",
    "SignatureRequest",
    "Template",
]
