"""Synchronous checks of create/send, account and app parameters (the 400s the real API answers).

Each check raises :class:`~hsnb.errors.BadRequest` with ``error_path`` naming the
parameter. Document problems are *not* checked here: the real service finds them after the 200,
during processing, and reports them by callback.

``files`` and ``file_urls`` are exclusive (exactly one, as the spec says); each ``file_urls`` entry
must be an http(s) URL with a host or a ``data:`` URL (UNCONFIRMED: the real service's wording, and
whether it refuses a malformed URL at once or reports it by callback later). Whether a URL can be
downloaded is found out during processing (:mod:`hsnb.emulator.service.file_urls`).

``signers`` or ``grouped_signers`` (exactly one of them, as the spec says; a group member keeps
only ``name``, ``email_address`` and ``pin``). Templates: :mod:`hsnb.emulator.service.templates`.
Accepted but ignored: ``custom_fields``, ``attachments``, ``form_fields_*`` (each
``form_fields_per_document`` entry's ``type`` is checked against the spec's list),
``field_options``, ``signing_options``, ``allow_reassign``. Keys the spec does not define inside
an API app's ``options`` and ``white_labeling_options`` are ignored,
not stored or echoed (UNCONFIRMED: whether the real service ignores or refuses them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from hsnb.callback_urls import NOT_HTTPS, is_local_host, scheme_and_host
from hsnb.emulator.service.file_urls import URL_SCHEMES
from hsnb.emulator.service.parsing import UploadedFile
from hsnb.errors import BadRequest

T = TypeVar("T")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TITLE = 255
MAX_MESSAGE = 5000
MAX_METADATA_KEYS = 10
MAX_METADATA_KEY = 40
MAX_METADATA_VALUE = 500
DAY = 86400


#: ``form_fields_per_document[].type`` values the spec defines (``SubFormFieldsPerDocumentBase``).
FORM_FIELD_TYPES = frozenset(
    {
        "text",
        "dropdown",
        "hyperlink",
        "checkbox",
        "radio",
        "signature",
        "date_signed",
        "initials",
        "text-merge",
        "checkbox-merge",
    }
)
#: The keys of an API app's ``white_labeling_options`` (``SubWhiteLabelingOptions``).
WHITE_LABELING_KEYS = frozenset(
    {
        "header_background_color",
        "legal_version",
        "link_color",
        "page_background_color",
        "primary_button_color",
        "primary_button_color_hover",
        "primary_button_text_color",
        "primary_button_text_color_hover",
        "secondary_button_color",
        "secondary_button_color_hover",
        "secondary_button_text_color",
        "secondary_button_text_color_hover",
        "text_color1",
        "text_color2",
    }
)
APP_OPTION_KEYS = frozenset({"can_insert_everywhere"})


def check_email(value: str, path: str) -> str:
    """An e-mail address, or a 400 naming ``path``."""
    if not _EMAIL.match(value):
        raise BadRequest(f"Invalid email address: {value}", error_path=path)
    return value


def check_callback_url(
    value: str, path: str = "callback_url", *, strict: bool = False
) -> str | None:
    """An http(s) URL with a host (``""`` clears it: returns ``None``); else the legacy 400.

    ``strict``: also refuse what the real service refuses (the rules of
    :mod:`hsnb.callback_urls`, which live mode uses too): hosts it cannot reach, with the same
    message, and ``http://`` URLs, with the message saying HTTPS is required (UNCONFIRMED: the
    real wording of both).
    """
    if value == "":
        return None
    scheme, host = scheme_and_host(value)
    if scheme not in ("http", "https") or not host or (strict and is_local_host(host)):
        raise BadRequest(f"Invalid url for {path} : {value}", error_path=path)
    if strict and scheme != "https":
        raise BadRequest(f"Invalid url for {path} : {value} ({NOT_HTTPS})", error_path=path)
    return value


def check_file_url(value: str, path: str) -> str:
    """A ``file_urls`` entry: an http(s) URL with a host, or a ``data:`` URL; else a 400."""
    scheme, host = scheme_and_host(value)
    if scheme not in URL_SCHEMES or (scheme != "data" and not host):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise BadRequest(
            f"Invalid url for {path} : {shown} (give an http(s) URL, or a data: URL)",
            error_path=path,
        )
    return value


def check_signature_request(params: Mapping[str, Any], *, now: int) -> dict[str, Any]:
    """The cleaned fields of a create_embedded / send request (``client_id`` not checked here)."""
    files: list[UploadedFile] = list(params.get("files") or [])
    urls: list[str] = list(params.get("file_urls") or [])
    if files and urls:
        raise BadRequest("Specify files or file_urls, not both.", error_path="file_urls")
    if not files and not urls:
        raise BadRequest("Must specify files or file_urls.", error_path="files")
    for i, upload in enumerate(files):
        if not upload.data:
            raise BadRequest(f"File {upload.filename} is empty.", error_path=f"files[{i}]")
    for i, url in enumerate(urls):
        check_file_url(url, f"file_urls[{i}]")
    signers = list(params.get("signers") or [])
    groups = list(params.get("grouped_signers") or [])
    if signers and groups:
        raise BadRequest(
            "Specify signers or grouped_signers, not both.", error_path="grouped_signers"
        )
    if not signers and not groups:
        raise BadRequest("Must specify at least one signer.", error_path="signers")
    if groups:
        cleaned_signers = _check_groups(groups)
        ordered = any(isinstance(g, Mapping) and g.get("order") is not None for g in groups)
    else:
        cleaned_signers = [_check_signer(s, i) for i, s in enumerate(signers)]
        ordered = any(isinstance(s, Mapping) and s.get("order") is not None for s in signers)
    for key, limit in (("title", MAX_TITLE), ("subject", MAX_TITLE), ("message", MAX_MESSAGE)):
        value = params.get(key)
        if value is not None and len(value) > limit:
            raise BadRequest(f"{key} must be at most {limit} characters.", error_path=key)
    cc = [
        check_email(a, f"cc_email_addresses[{i}]")
        for i, a in enumerate(_strings(params, "cc_email_addresses"))
    ]
    check_form_fields(params.get("form_fields_per_document") or [])
    return {
        "uploads": files,
        "file_urls": urls,
        "signers": cleaned_signers,
        "ordered": ordered,
        "title": params.get("title") or None,
        "subject": params.get("subject") or None,
        "message": params.get("message") or None,
        "metadata": _check_metadata(params.get("metadata") or {}),
        "cc_email_addresses": cc,
        "signing_redirect_url": params.get("signing_redirect_url") or None,
        "expires_at": _check_expires_at(params.get("expires_at"), now),
        "test_mode": bool(params.get("test_mode", False)),
        "use_text_tags": bool(params.get("use_text_tags", False)),
        "hide_text_tags": bool(params.get("hide_text_tags", False)),
        "allow_decline": bool(params.get("allow_decline", False)),
        "ignore_tag_errors": bool(params.get("ignore_text_tags_extraction_errors", False)),
        "signer_experience": params.get("signer_experience"),
    }


def check_api_app(
    params: Mapping[str, Any], *, creating: bool, strict_urls: bool = False
) -> dict[str, Any]:
    """The cleaned fields of an API app create (``name`` and ``domains`` required) or update;
    ``strict_urls`` as ``strict`` in :func:`check_callback_url`."""
    cleaned: dict[str, Any] = {}
    if "name" in params or creating:
        name = str(params.get("name") or "").strip()
        if not name:
            raise BadRequest("name is required.", error_path="name")
        cleaned["name"] = name
    if "domains" in params or creating:
        domains = [d for d in params.get("domains") or [] if d]
        if not domains:
            raise BadRequest("domains is required.", error_path="domains")
        cleaned["domains"] = domains
    if "callback_url" in params:
        cleaned["callback_url"] = check_callback_url(params["callback_url"], strict=strict_urls)
    if "oauth" in params:
        oauth = dict(params["oauth"])
        if not oauth.get("callback_url") or not oauth.get("scopes"):
            raise BadRequest("oauth needs callback_url and scopes.", error_path="oauth")
        cleaned["oauth"] = oauth
    if "options" in params:
        cleaned["options"] = {k: v for k, v in params["options"].items() if k in APP_OPTION_KEYS}
    if "white_labeling_options" in params:
        cleaned["white_labeling_options"] = _check_white_labeling(params["white_labeling_options"])
    return cleaned


def check_form_fields(fields: Sequence[Any], path: str = "form_fields_per_document") -> list:
    """``form_fields_per_document`` entries: objects whose ``type`` the spec defines; a 400
    naming the entry otherwise (they are kept, not drawn)."""
    for i, item in enumerate(fields):
        if not isinstance(item, Mapping):
            raise BadRequest(f"{path}[{i}] must be an object.", error_path=f"{path}[{i}]")
        kind = item.get("type")
        if kind not in FORM_FIELD_TYPES:
            raise BadRequest(
                f"{path}[{i}].type must be one of {', '.join(sorted(FORM_FIELD_TYPES))},"
                f" not {kind!r}.",
                error_path=f"{path}[{i}].type",
            )
    return [dict(item) for item in fields]


def _check_white_labeling(options: Mapping[str, Any]) -> dict[str, str]:
    """The spec's keys only, as text; ``legal_version`` is ``terms1`` or ``terms2``."""
    cleaned = {k: str(v) for k, v in options.items() if k in WHITE_LABELING_KEYS}
    legal = cleaned.get("legal_version")
    if legal is not None and legal not in ("terms1", "terms2"):
        raise BadRequest(
            "white_labeling_options.legal_version must be terms1 or terms2.",
            error_path="white_labeling_options.legal_version",
        )
    return cleaned


def page_of(items: Sequence[T], page: int, page_size: int) -> tuple[list[T], int]:
    """One page of ``items`` (in the order given) and their total; a 400 naming ``page`` or
    ``page_size`` when out of range (``page_size`` 1 to 100, ``page`` from 1)."""
    if not 1 <= page_size <= 100:
        raise BadRequest("page_size must be between 1 and 100.", error_path="page_size")
    if page < 1:
        raise BadRequest("page must be 1 or more.", error_path="page")
    start = (page - 1) * page_size
    return list(items[start : start + page_size]), len(items)


def _check_signer(signer: Any, index: int, path: str | None = None) -> dict[str, Any]:
    path = path or f"signers[{index}]"
    if not isinstance(signer, Mapping):
        raise BadRequest(f"{path} must be an object.", error_path=path)
    name = str(signer.get("name") or "").strip()
    if not name:
        raise BadRequest(f"{path}.name is required.", error_path=f"{path}.name")
    email = str(signer.get("email_address") or "").strip()
    if not email:
        raise BadRequest(f"{path}.email_address is required.", error_path=f"{path}.email_address")
    check_email(email, f"{path}.email_address")
    pin = signer.get("pin")
    if pin is not None and not 4 <= len(str(pin)) <= 12:
        raise BadRequest(f"{path}.pin must be 4 to 12 characters.", error_path=f"{path}.pin")
    order = signer.get("order")
    if order is not None and order < 0:
        raise BadRequest(f"{path}.order must not be negative.", error_path=f"{path}.order")
    sms_type = signer.get("sms_phone_number_type")
    if sms_type is not None and sms_type not in ("authentication", "delivery"):
        raise BadRequest(
            f"{path}.sms_phone_number_type must be authentication or delivery.",
            error_path=f"{path}.sms_phone_number_type",
        )
    return {
        "name": name,
        "email_address": email,
        "order": order if order is not None else index,
        "has_pin": pin is not None,
        "sms_phone_number": signer.get("sms_phone_number"),
        "sms_phone_number_type": sms_type,
    }


def _check_groups(groups: list[Any]) -> list[dict[str, Any]]:
    """``grouped_signers``: each group named, with at least one member; a member is a signer
    with only ``name``, ``email_address`` and ``pin`` (the spec: others are ignored). Every
    member gets ``position`` (its group's index: text tag ``signerN`` names group N) and the
    group's name and ``order``."""
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for g, group in enumerate(groups):
        path = f"grouped_signers[{g}]"
        if not isinstance(group, Mapping):
            raise BadRequest(f"{path} must be an object.", error_path=path)
        name = str(group.get("group") or "").strip()
        if not name:
            raise BadRequest(f"{path}.group is required.", error_path=f"{path}.group")
        if name in names:
            raise BadRequest(f"Duplicate group name: {name}", error_path=f"{path}.group")
        names.add(name)
        members = list(group.get("signers") or [])
        if not members:
            raise BadRequest(
                f"{path}.signers must name at least one signer.", error_path=f"{path}.signers"
            )
        order = group.get("order")
        if order is not None and order < 0:
            raise BadRequest(f"{path}.order must not be negative.", error_path=f"{path}.order")
        for m, member in enumerate(members):
            if not isinstance(member, Mapping):
                raise BadRequest(
                    f"{path}.signers[{m}] must be an object.", error_path=f"{path}.signers[{m}]"
                )
            kept = {k: member[k] for k in ("name", "email_address", "pin") if k in member}
            signer = _check_signer(kept, m, f"{path}.signers[{m}]")
            signer.update(order=g if order is None else order, position=g, group=name)
            cleaned.append(signer)
    return cleaned


def _check_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    if len(metadata) > MAX_METADATA_KEYS:
        raise BadRequest(
            f"metadata may have at most {MAX_METADATA_KEYS} keys.", error_path="metadata"
        )
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            raise BadRequest(
                f"metadata keys must be at most {MAX_METADATA_KEY} characters.",
                error_path=f"metadata.{key}",
            )
        if len(str(value)) > MAX_METADATA_VALUE:
            raise BadRequest(
                f"metadata values must be at most {MAX_METADATA_VALUE} characters.",
                error_path=f"metadata.{key}",
            )
    return dict(metadata)


def _check_expires_at(value: int | None, now: int) -> int | None:
    """Unix seconds 1 to 90 days after ``now`` (emulated), rounded down to the hour."""
    if value is None:
        return None
    if not now + DAY <= value <= now + 90 * DAY:
        raise BadRequest(
            f"expires_at must be between 1 and 90 days from now: Unix seconds from {now + DAY}"
            f" to {now + 90 * DAY} (the emulator's clock says now is {now}), not {value}.",
            error_path="expires_at",
        )
    return value - value % 3600


def _strings(params: Mapping[str, Any], key: str) -> list[str]:
    return [str(v) for v in params.get(key) or []]
