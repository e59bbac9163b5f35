"""How :class:`hsnb.client.Client` turns Python arguments into request bodies.

Create/send requests are encoded the way the official SDK (dropbox-sign 2.0.0) sends them,
which the real API accepts: with uploads, ``multipart/form-data`` with the files as
``files[0]``, ``files[1]``, ... (file name and content type set), scalars as plain fields,
booleans as ``true``/``false`` and lists or objects as JSON text (``signers=[{...}]``);
without uploads (only ``file_urls``), one JSON body.
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

FileSpec: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | tuple[str, bytes] "
    "| tuple[str, bytes, str]"
)
SignerSpec: TypeAlias = "Mapping[str, Any] | tuple[str, str]"


@dataclass(frozen=True)
class Upload:
    """One file to upload: its name, bytes and content type."""

    filename: str
    data: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes, {self.content_type!r})"


def is_url(value: object) -> bool:
    """Whether ``value`` is an ``http(s)://`` or ``data:`` URL as text (a ``file_urls`` entry)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://", "data:"))


def split_files(files: FileSpec | Iterable[FileSpec]) -> tuple[list[Upload], list[str]]:
    """Uploads and ``file_urls`` from paths, bytes, file objects, ``(name, bytes)`` or URLs.

    Raises ``ValueError`` when both uploads and URLs are given, or nothing at all (the API
    takes one or the other), ``FileNotFoundError`` for a missing path.
    """
    if isinstance(files, (str, bytes, bytearray, memoryview, os.PathLike, tuple)) or hasattr(
        files, "read"
    ):
        files = [files]  # type: ignore[list-item]
    uploads: list[Upload] = []
    urls: list[str] = []
    for index, item in enumerate(files):  # type: ignore[union-attr]
        if is_url(item):
            urls.append(item)  # type: ignore[arg-type]
        else:
            uploads.append(_upload(item, index))
    if uploads and urls:
        raise ValueError("give files as uploads (paths, bytes) or as URLs, not both")
    if not uploads and not urls:
        raise ValueError("no files given: pass at least one path, bytes object or URL")
    return uploads, urls


def _upload(item: Any, index: int) -> Upload:
    if isinstance(item, tuple):
        name, data, *rest = item
        return Upload(str(name), bytes(data), rest[0] if rest else _content_type(str(name)))
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
        name = f"document-{index + 1}{_suffix_for(data)}"
        return Upload(name, data, _content_type(name))
    if hasattr(item, "read"):
        data = item.read()
        if isinstance(data, str):
            data = data.encode()
        raw_name = getattr(item, "name", None)
        name = Path(raw_name).name if isinstance(raw_name, str) else f"document-{index + 1}"
        if "." not in name:
            name += _suffix_for(data)
        return Upload(name, data, _content_type(name))
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        return Upload(path.name, path.read_bytes(), _content_type(path.name))
    raise TypeError(f"cannot upload {type(item).__name__}: give a path, bytes or a file object")


def _suffix_for(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return ".pdf"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return ".bin"
    return ".txt"


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def signer_dicts(signers: Sequence[SignerSpec]) -> list[dict[str, Any]]:
    """Signers as the API's objects; ``(name, email)`` pairs become ``{name, email_address}``."""
    result = []
    for signer in signers:
        if isinstance(signer, Mapping):
            result.append({k: v for k, v in signer.items() if v is not None})
        elif isinstance(signer, tuple) and len(signer) == 2:
            result.append({"name": signer[0], "email_address": signer[1]})
        else:
            raise TypeError(f"a signer is a dict or a (name, email) pair, not {signer!r}")
    return result


def form_value(value: Any) -> str:
    """One form field's text: ``true``/``false``, JSON text for lists/objects, else ``str``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def request_body(params: Mapping[str, Any], uploads: Sequence[Upload]) -> dict[str, Any]:
    """``requests`` keyword arguments: multipart ``data``/``files`` with uploads, else ``json``."""
    cleaned = {k: v for k, v in params.items() if v is not None}
    if not uploads:
        return {"json": cleaned}
    data = {key: form_value(value) for key, value in cleaned.items()}
    files = [(f"files[{i}]", (u.filename, u.data, u.content_type)) for i, u in enumerate(uploads)]
    return {"data": data, "files": files}


def role_dicts(roles: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Template ``signer_roles``: a name becomes ``{"name": name}``, a dict is kept as given."""
    result = []
    for role in roles:
        if isinstance(role, str):
            result.append({"name": role})
        elif isinstance(role, Mapping):
            result.append({k: v for k, v in role.items() if v is not None})
        else:
            raise TypeError(f"a signer role is a name or a {{'name', 'order'}} dict, not {role!r}")
    return result


def role_signer_dicts(signers: Mapping[str, SignerSpec]) -> list[dict[str, Any]]:
    """Template ``signers`` from ``{role: (name, email) | dict}``: each gets its ``role``."""
    return [{"role": role, **signer_dicts([signer])[0]} for role, signer in signers.items()]
