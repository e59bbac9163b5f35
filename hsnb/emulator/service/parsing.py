"""Request bodies in the three encodings Dropbox Sign accepts, turned into one normalised dict.

1. ``application/json`` (what the official SDKs send without files);
2. ``multipart/form-data`` (or url-encoded) with PHP-style bracket names, as in the official curl
   examples: ``signers[0][name]``, ``cc_email_addresses[]``, ``files[0]`` (legacy ``file[0]``);
3. ``multipart/form-data`` from the SDKs with files: ``files[0]`` uploads, scalars as plain
   fields and lists/objects as JSON text (``signers=[{"name": ...}]``).

:func:`parse_json` and :func:`parse_form` give a nested dict of raw values; :func:`normalise`
coerces it against a small schema: booleans in every spelling (``true``, ``1``, ``True``,
``yes``, ``on`` and their opposites), integers from text, one value where a list is expected,
JSON text where an object or list is expected. An empty value counts as absent, except
for text fields (``callback_url=`` clears a callback URL). A value
that cannot be coerced raises :class:`~hsnb.errors.BadRequest` with ``error_path``.
Keys the schema does not know are kept as they came. Nothing here imports tornado.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hsnb.errors import BadRequest

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file: its file name, bytes and declared content type."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes, {self.content_type!r})"


# Schema types: a Python type, [item_schema] for a list, {key: schema} for an object.
SIGNER: dict[str, Any] = {
    "name": str,
    "email_address": str,
    "order": int,
    "pin": str,
    "sms_phone_number": str,
    "sms_phone_number_type": str,
}
SIGNING_OPTIONS: dict[str, Any] = {
    "default_type": str,
    "draw": bool,
    "phone": bool,
    "type": bool,
    "upload": bool,
    "force_advanced_signature_details": bool,
}
SIGNATURE_REQUEST: dict[str, Any] = {
    "client_id": str,
    "files": [UploadedFile],
    "file_urls": [str],
    "signers": [SIGNER],
    "grouped_signers": [{"group": str, "order": int, "signers": [SIGNER]}],
    "title": str,
    "subject": str,
    "message": str,
    "metadata": dict,
    "cc_email_addresses": [str],
    "signing_redirect_url": str,
    "test_mode": bool,
    "use_text_tags": bool,
    "hide_text_tags": bool,
    "allow_decline": bool,
    "allow_reassign": bool,
    "is_eid": bool,
    "is_qualified_signature": bool,
    "populate_auto_fill_fields": bool,
    "ignore_text_tags_extraction_errors": bool,
    "expires_at": int,
    "signing_options": SIGNING_OPTIONS,
    "signer_experience": dict,
    "custom_fields": [dict],
    "attachments": [dict],
    "field_options": dict,
    "form_field_groups": [dict],
    "form_field_rules": [dict],
    "form_fields_per_document": [dict],
}
TEMPLATE_CREATE: dict[str, Any] = {
    "client_id": str,
    "files": [UploadedFile],
    "file_urls": [str],
    "signer_roles": [{"name": str, "order": int}],
    "cc_roles": [str],
    "title": str,
    "subject": str,
    "message": str,
    "metadata": dict,
    "test_mode": bool,
    "form_fields_per_document": [dict],
    "merge_fields": [dict],
}
TEMPLATE_SIGNER: dict[str, Any] = {**SIGNER, "role": str}
FROM_TEMPLATE: dict[str, Any] = {
    **{k: v for k, v in SIGNATURE_REQUEST.items() if k != "signers"},
    "template_ids": [str],
    "template_id": str,
    "ccs": [{"role": str, "email_address": str}],
}
ACCOUNT_UPDATE: dict[str, Any] = {"callback_url": str, "locale": str, "account_id": str}
API_APP: dict[str, Any] = {
    "name": str,
    "domains": [str],
    "callback_url": str,
    "oauth": {"callback_url": str, "scopes": [str], "charges_users": bool},
    "options": {"can_insert_everywhere": bool},
    "white_labeling_options": dict,
    "custom_logo_file": [UploadedFile],
}
REMIND: dict[str, Any] = {"email_address": str, "name": str}
API_KEY: dict[str, Any] = {"name": str, "is_primary": bool, "account_id": str}
LIST_QUERY: dict[str, Any] = {"account_id": str, "page": int, "page_size": int, "query": str}


def parse_bool(value: Any, path: str = "value") -> bool:
    """A boolean from any usual spelling; raises :class:`BadRequest` naming ``path``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise BadRequest(f"{path} must be a boolean (true or false), not {value!r}", error_path=path)


def parse_int(value: Any, path: str = "value") -> int:
    """An integer from a number or decimal text; raises :class:`BadRequest` naming ``path``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise BadRequest(f"{path} must be an integer, not {value!r}", error_path=path)


def parse_float(value: Any, path: str = "value") -> float:
    """A number from a number or decimal text; raises :class:`BadRequest` naming ``path``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadRequest(f"{path} must be a number, not {value!r}", error_path=path)


def parse_json(body: bytes | str) -> dict[str, Any]:
    """A JSON request body as a dict; an empty body is ``{}``."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc.msg}.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def parse_form(
    fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, UploadedFile]] = ()
) -> dict[str, Any]:
    """Form fields (bracket names or JSON text values) and uploads as one nested dict.

    ``file[...]`` is read as ``files[...]``; repeated plain names become lists.
    """
    tree: dict[str, Any] = {}
    for name, value in fields:
        _insert(tree, _path(name), value)
    for name, upload in files:
        path = _path(name)
        if path[0] == "file":
            path[0] = "files"
        if len(path) == 1:
            path.append("")
        _insert(tree, path, upload)
    return _listify(tree)


def normalise(params: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = "") -> dict:
    """Coerce ``params`` against ``schema`` (see the module docstring); unknown keys pass."""
    result: dict[str, Any] = {}
    for key, value in params.items():
        path = f"{prefix}{key}"
        spec = schema.get(key)
        if value is None or (value == "" and spec is not str):
            continue
        result[key] = value if spec is None else _coerce(value, spec, path)
    return result


def _coerce(value: Any, spec: Any, path: str) -> Any:
    if spec is bool:
        return parse_bool(value, path)
    if spec is int:
        return parse_int(value, path)
    if spec is float:
        return parse_float(value, path)
    if spec is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise BadRequest(f"{path} must be a string.", error_path=path)
    if spec is UploadedFile:
        if isinstance(value, UploadedFile):
            return value
        raise BadRequest(f"{path} must be an uploaded file.", error_path=path)
    if spec is dict or isinstance(spec, dict):
        value = _decode_text(value, path, dict)
        if not isinstance(value, dict):
            raise BadRequest(f"{path} must be an object.", error_path=path)
        return value if spec is dict else normalise(value, spec, prefix=f"{path}.")
    if isinstance(spec, list):
        value = _decode_text(value, path, list)
        if isinstance(value, dict) and all(_is_index(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            value = [value]
        return [_coerce(item, spec[0], f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"unknown schema type {spec!r}")


def role_keyed(value: Any, path: str) -> list[dict[str, Any]]:
    """Template ``signers`` as a list of ``{"role", "name", "email_address", ...}``.

    Accepts a list (JSON, SDK multipart JSON text, ``signers[0][role]``) or an object keyed by
    role, as the curl examples send it (``signers[Client][name]=...``).
    """
    value = _decode_text(value, path, list)
    if isinstance(value, dict) and value and not all(_is_index(k) for k in value):
        value = [
            {**item, "role": role} if isinstance(item, dict) else item
            for role, item in value.items()
        ]
    return _coerce(value, [TEMPLATE_SIGNER], path)


def _decode_text(value: Any, path: str, kind: type) -> Any:
    """JSON text where a list or object is expected (the SDKs' multipart style)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text.startswith(("[", "{")):
        return value
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        name = "a list" if kind is list else "an object"
        raise BadRequest(f"{path} must be {name}: {exc.msg}.", error_path=path) from exc


def _path(name: str) -> list[str]:
    head, _, rest = name.partition("[")
    if not rest:
        return [name]
    return [head, *_BRACKETS.findall("[" + rest)]


def _insert(tree: dict[str, Any], path: list[str], value: Any) -> None:
    node = tree
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part == "":
            part = str(sum(1 for k in node if _is_index(k)))
        if last:
            if part in node and len(path) == 1:
                existing = node[part]
                node[part] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(_is_index(k) for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _is_index(key: str) -> bool:
    """Whether a bracket or object key is a list index (ASCII digits only)."""
    return key.isascii() and key.isdigit()
