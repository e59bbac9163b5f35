"""The JSON shapes of the emulated API, as the spec (and the official SDK's models) define them.

Used by the HTTP handlers and by the callback payloads, so a ``signature_request`` looks the same
in a response and in an event. Fields the emulator does not model are present with the values a
fresh real request shows (``[]`` or ``null``). Every shape validates against the official spec's
schemas (``tests/emulator/test_conformance.py``), except where the spec contradicts its own
examples: there the examples win (see ``SPEC_CONTRADICTIONS``).

A title, message or role order that was not given is never ``null`` (the spec says string /
integer): ``title`` and ``original_title`` are ``""`` (UNCONFIRMED: the real service may show the
first file's name), a role's ``order`` is its position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hsnb.emulator.service.models import (
    Account,
    ApiApp,
    ApiKey,
    SignatureRequest,
    Signer,
    Template,
)

#: Where the official spec (hellosign-openapi ``openapi.yaml``) and its own examples disagree, the
#: emulator follows the examples: ``(schema.property, what the spec says, what the examples show,
#: the example files)``.
SPEC_CONTRADICTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "TemplateResponseAccountQuota.templates_left",
        "integer",
        "null",
        "TemplateGetResponse.json, TemplateListResponse.json",
    ),
    (
        "TemplateResponseDocumentFieldGroup.rule",
        "object",
        'a string such as "require_1-ormore" (the emulator sends no field groups)',
        "TemplateGetResponse.json, EventCallbackAccountTemplateCreated.json",
    ),
)


@dataclass(frozen=True)
class Urls:
    """The URLs the emulator gives out, derived from one base URL: ``http://127.0.0.1:PORT``,
    or the emulator's ``public_base_url``."""

    base_url: str = "http://127.0.0.1"

    @property
    def api_url(self) -> str:
        """The API base, ending in ``/v3``."""
        return f"{self.base_url}/v3"

    def files(self, request_id: str) -> str:
        """``files_url`` of a request."""
        return f"{self.api_url}/signature_request/files/{request_id}"

    def details(self, request_id: str) -> str:
        """``details_url``: the control plane's page of the request (real: the dashboard)."""
        return f"{self.base_url}/_emulator/requests/{request_id}"

    def sign(self, signature_id: str, token: str) -> str:
        """An embedded sign URL, shaped like the real ``/editor/embeddedSign?...`` ones."""
        return f"{self.base_url}/editor/embeddedSign?signature_id={signature_id}&token={token}"

    def file_link(self, token: str) -> str:
        """A temporary download link (``files_as_file_url``)."""
        return f"{self.base_url}/_emulator/file_links/{token}"


def signature_request_json(sr: SignatureRequest, urls: Urls) -> dict[str, Any]:
    """A ``SignatureRequestResponse`` object (plus ``client_id``, as real events carry it)."""
    return {
        "test_mode": sr.test_mode,
        "signature_request_id": sr.signature_request_id,
        "requester_email_address": sr.requester_email_address,
        "title": sr.title or "",
        "original_title": sr.title or "",
        "subject": sr.subject,
        "message": sr.message,
        "metadata": dict(sr.metadata),
        "created_at": sr.created_at,
        "expires_at": sr.expires_at,
        "is_complete": sr.is_complete,
        "is_declined": sr.is_declined,
        "has_error": sr.has_error,
        "files_url": urls.files(sr.signature_request_id),
        "signing_url": None if sr.is_embedded else urls.details(sr.signature_request_id),
        "details_url": urls.details(sr.signature_request_id),
        "cc_email_addresses": list(sr.cc_email_addresses),
        "signing_redirect_url": sr.signing_redirect_url,
        "final_copy_uri": None,
        "template_ids": list(sr.template_ids) if sr.template_ids else None,
        "custom_fields": [],
        "attachments": [],
        "response_data": [dict(item) for item in sr.response_data],
        "signatures": [signature_json(s) for s in sr.signers],
        "bulk_send_job_id": None,
        "client_id": sr.client_id,
    }


def signature_json(signer: Signer) -> dict[str, Any]:
    """One ``signatures[]`` entry (``SignatureRequestResponseSignatures``)."""
    return {
        "signature_id": signer.signature_id,
        "signer_group_guid": signer.group_guid,
        "signer_email_address": signer.email_address,
        "signer_name": signer.name,
        "signer_role": signer.role,
        "order": signer.order,
        "status_code": signer.status.value,
        "decline_reason": signer.decline_reason,
        "signed_at": signer.signed_at,
        "last_viewed_at": signer.last_viewed_at,
        "last_reminded_at": signer.last_reminded_at,
        "has_pin": signer.has_pin,
        "has_sms_auth": signer.sms_phone_number_type == "authentication",
        "has_sms_delivery": signer.sms_phone_number_type == "delivery",
        "sms_phone_number": signer.sms_phone_number,
        "reassigned_by": None,
        "reassignment_reason": None,
        "reassigned_from": None,
        "error": signer.error,
    }


def signature_request_response(sr: SignatureRequest, urls: Urls) -> dict[str, Any]:
    """``SignatureRequestGetResponse``: the request, plus ``warnings`` when there are any."""
    body: dict[str, Any] = {"signature_request": signature_request_json(sr, urls)}
    if sr.warnings:
        body["warnings"] = [dict(w) for w in sr.warnings]
    return body


def list_response(
    requests: list[SignatureRequest], page: int, page_size: int, total: int, urls: Urls
) -> dict[str, Any]:
    """``SignatureRequestListResponse``."""
    return {
        "signature_requests": [signature_request_json(sr, urls) for sr in requests],
        "list_info": list_info(page, page_size, total),
    }


def list_info(page: int, page_size: int, total: int) -> dict[str, int]:
    """The ``list_info`` object of every list answer."""
    return {
        "page": page,
        "num_pages": max(1, -(-total // page_size)),
        "num_results": total,
        "page_size": page_size,
    }


#: Text tag kind -> the form field ``type`` the API shows.
_FIELD_TYPES = {
    "sig": "signature",
    "initial": "initials",
    "check": "checkbox",
    "date": "date_signed",
    "text-merge": "text",
    "checkbox-merge": "checkbox",
}


def template_json(template: Template, account: Account) -> dict[str, Any]:
    """A ``TemplateResponse`` object (as in ``GET /template/{id}`` and template events).

    ``documents[].form_fields``: the text tags found (``signer`` is the role's 1-based
    position, as text, as in the spec's example) and any ``form_fields_per_document`` given.
    """
    documents = []
    for index, doc in enumerate(template.documents):
        fields = [
            {
                "api_id": tag.api_id or f"tag_{index}_{n}",
                "name": tag.label or "",
                "type": _FIELD_TYPES.get(tag.kind, tag.kind),
                "signer": str(tag.signer),
                "x": round(tag.rect[0]),
                "y": round(tag.rect[1]),
                "width": round(tag.rect[2]),
                "height": round(tag.rect[3]),
                "required": tag.required,
                "group": None,
            }
            for n, tag in enumerate(doc.tags)
        ]
        fields += [
            {**f, "signer": str(f.get("signer"))}
            for f in template.form_fields
            if f.get("document_index", 0) == index
        ]
        documents.append(
            {
                "index": index,
                "name": doc.name,
                "field_groups": [],
                "form_fields": fields,
                "custom_fields": [],
                "static_fields": [],
            }
        )
    account_view = account_json(account)
    return {
        "template_id": template.template_id,
        "title": template.title or "",
        "message": template.message or "",
        "updated_at": template.updated_at,
        "is_embedded": False,
        "is_creator": True,
        "can_edit": True,
        "is_locked": False,
        "metadata": dict(template.metadata),
        "signer_roles": [
            {"name": role["name"], "order": i if role.get("order") is None else role["order"]}
            for i, role in enumerate(template.signer_roles)
        ],
        "cc_roles": [{"name": name} for name in template.cc_roles],
        "documents": documents,
        "accounts": [
            {k: account_view[k] for k in ("account_id", "email_address", "is_locked")}
            | {"is_paid_hs": True, "is_paid_hf": False, "quotas": dict(TEMPLATE_ACCOUNT_QUOTAS)}
        ],
        "attachments": [],
    }


#: A template's ``accounts[].quotas`` (``TemplateResponseAccountQuota``: integers, but
#: ``templates_left`` null as in the spec's examples; see :data:`SPEC_CONTRADICTIONS`).
TEMPLATE_ACCOUNT_QUOTAS: dict[str, int | None] = {
    "templates_left": None,
    "api_signature_requests_left": 1250,
    "documents_left": 3600000,
    "sms_verifications_left": 0,
}


def template_list_response(
    templates: list[Template], account: Account, page: int, page_size: int, total: int
) -> dict[str, Any]:
    """``TemplateListResponse``."""
    return {
        "templates": [template_json(t, account) for t in templates],
        "list_info": list_info(page, page_size, total),
    }


def account_json(account: Account) -> dict[str, Any]:
    """An ``AccountResponse`` object (a paid account with the usual quotas)."""
    return {
        "account_id": account.account_id,
        "email_address": account.email_address,
        "is_locked": False,
        "is_paid_hs": True,
        "is_paid_hf": False,
        "quotas": {
            "api_signature_requests_left": 1250,
            "documents_left": None,
            "templates_left": None,
            "sms_verifications_left": 0,
        },
        "callback_url": account.callback_url,
        "role_code": None,
        "team_id": None,
        "locale": account.locale,
    }


def api_app_json(app: ApiApp) -> dict[str, Any]:
    """An ``ApiAppResponse`` object."""
    return {
        "callback_url": app.callback_url,
        "client_id": app.client_id,
        "created_at": app.created_at,
        "domains": list(app.domains),
        "name": app.name,
        "is_approved": app.is_approved,
        "oauth": dict(app.oauth) if app.oauth else None,
        "options": dict(app.options),
        "owner_account": {
            "account_id": app.owner_account_id,
            "email_address": app.owner_email_address,
        },
        "white_labeling_options": app.white_labeling_options,
    }


def api_key_json(key: ApiKey, *, with_secret: bool = False) -> dict[str, Any]:
    """An API key as the API Keys endpoints show it; the secret only when it was just created
    (UNCONFIRMED: the name of that field)."""
    body: dict[str, Any] = {
        "api_key_id": key.api_key_id,
        "name": key.name,
        "is_primary": key.is_primary,
        "created_at": key.created_at,
        "updated_at": key.updated_at,
        "last_used_at": key.last_used_at,
    }
    if with_secret:
        body["secret"] = key.secret
    return body


def sign_url_response(url: str, expires_at: int) -> dict[str, Any]:
    """``EmbeddedSignUrlResponse``."""
    return {"embedded": {"sign_url": url, "expires_at": expires_at}}
