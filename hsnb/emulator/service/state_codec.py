"""The emulator's records as JSON values and back, for a state file.

Each record type has an ``encode_*`` and a ``decode_*`` function. Plain dataclasses go field by
field; bytes (uploads, documents, file-link snapshots) go into :class:`Blobs`, by their SHA-256,
so a document shared by many requests is stored once and a changed byte is caught on load;
enums go as their values. Decoding checks that every record has exactly its fields; anything
that does not fit raises :class:`~hsnb.errors.StateFileError` saying where.

A secret the emulator's caller gave (its ``api_key``) is never encoded: it becomes
``{"given_key": <fingerprint>}`` and must be given again to decode (see
:mod:`~hsnb.emulator.service.state_file`). Nothing here imports tornado.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hsnb.emulator.service.api_log import ApiCall, fingerprint
from hsnb.emulator.service.callbacks import Delivery
from hsnb.emulator.service.dispatcher import Attempt
from hsnb.emulator.service.documents import SourceDocument
from hsnb.emulator.service.faults import Fault
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus, TemplateState
from hsnb.emulator.service.models import (
    Account,
    ApiApp,
    ApiKey,
    EmittedEvent,
    FileLink,
    SignatureRequest,
    Signer,
    SignUrl,
    Template,
)
from hsnb.emulator.service.parsing import UploadedFile
from hsnb.emulator.service.signed_copies import AuditEntry
from hsnb.emulator.service.text_tags import TagProblem, TextTag
from hsnb.errors import StateFileError

T = TypeVar("T")


class Blobs:
    """Bytes by their SHA-256: ``put`` while encoding, ``get`` while decoding."""

    def __init__(self, data: Mapping[str, bytes] | None = None) -> None:
        self.data: dict[str, bytes] = dict(data or {})

    def put(self, data: bytes) -> dict[str, Any]:
        """Keep ``data``; return its reference ``{"blob": sha256, "size": n}``."""
        digest = hashlib.sha256(data).hexdigest()
        self.data[digest] = data
        return {"blob": digest, "size": len(data)}

    def get(self, ref: Mapping[str, Any]) -> bytes:
        """The bytes of a reference made by :meth:`put`."""
        data = self.data.get(ref["blob"])
        if data is None or len(data) != ref["size"]:
            raise StateFileError(f"a document is missing from the state file: {ref['blob']}")
        return data

    def to_json(self) -> dict[str, str]:
        """Every blob as base64 text, by digest."""
        return {digest: base64.b64encode(raw).decode("ascii") for digest, raw in self.data.items()}

    @classmethod
    def from_json(cls, blobs: Mapping[str, str]) -> Blobs:
        """Read :meth:`to_json`'s output, checking each digest (a changed byte is refused)."""
        data = {}
        for digest, text in blobs.items():
            try:
                raw = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise StateFileError(f"document {digest} is not base64") from None
            if hashlib.sha256(raw).hexdigest() != digest:
                raise StateFileError(f"document {digest} does not match its SHA-256: changed")
            data[digest] = raw
        return cls(data)


# -- generic helpers ---------------------------------------------------------------------------


def plain(record: Any, /, **special: Any) -> dict[str, Any]:
    """A dataclass's init fields by name (``special`` values replace some)."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.init}
    return {**fields, **special}


def make(cls: type[T], encoded: Mapping[str, Any], /, **special: Any) -> T:
    """``cls`` from its encoded fields (``special`` decoded ones replace some); the fields must
    be exactly ``cls``'s."""
    if not isinstance(encoded, Mapping):
        raise StateFileError(f"a {cls.__name__} must be an object, not {type(encoded).__name__}")
    names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    if set(encoded) != names:
        unknown, missing = sorted(set(encoded) - names), sorted(names - set(encoded))
        raise StateFileError(f"a {cls.__name__} has unknown {unknown} or missing {missing} fields")
    try:
        return cls(**{**encoded, **special})
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"a {cls.__name__} cannot be made: {exc}") from None


def each(decode: Callable[[Any], T], items: Any) -> list[T]:
    """``decode`` of every item of a JSON list."""
    if not isinstance(items, list):
        raise StateFileError(f"expected a list, not {type(items).__name__}")
    return [decode(item) for item in items]


def _rect(value: Any) -> tuple[float, ...] | None:
    return None if value is None else tuple(value)


# -- secrets a caller gave -------------------------------------------------------------------


def encode_secret(secret: str, given: str | None) -> Any:
    """``secret``, unless it is the key the caller gave: then only its fingerprint."""
    return {"given_key": fingerprint(secret)} if given and secret == given else secret


def decode_secret(value: Any, given: str | None) -> str:
    """A secret back; a given key's placeholder takes ``given`` (the caller's key now)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or not isinstance(value.get("given_key"), str):
        raise StateFileError("a secret must be text or a given key's fingerprint")
    if given is None:
        raise StateFileError(
            f"this state was saved by an emulator given its API key by its caller"
            f" ({value['given_key']}): the key is not in the file, so give an api_key to load it"
        )
    return given


# -- documents -----------------------------------------------------------------------------


def encode_upload(upload: UploadedFile, blobs: Blobs) -> dict[str, Any]:
    """An upload, its bytes as a blob."""
    return plain(upload, data=blobs.put(upload.data))


def decode_upload(data: Any, blobs: Blobs) -> UploadedFile:
    """An upload back."""
    return make(UploadedFile, data, data=blobs.get(data["data"]))


def encode_document(doc: SourceDocument, blobs: Blobs) -> dict[str, Any]:
    """A read document: its PDF as a blob, its tags and problems field by field."""
    return plain(
        doc,
        pdf=blobs.put(doc.pdf),
        tags=[plain(tag) for tag in doc.tags],
        malformed=[plain(problem) for problem in doc.malformed],
    )


def decode_document(data: Any, blobs: Blobs) -> SourceDocument:
    """A read document back."""
    tags = each(lambda t: make(TextTag, t, rect=_rect(t["rect"])), data["tags"])
    problems = each(lambda p: make(TagProblem, p, rect=_rect(p["rect"])), data["malformed"])
    return make(
        SourceDocument,
        data,
        pdf=blobs.get(data["pdf"]),
        tags=tuple(tags),
        malformed=tuple(problems),
    )


# -- the service's records ---------------------------------------------------------------------


def encode_request(sr: SignatureRequest, blobs: Blobs) -> dict[str, Any]:
    """A signature request with its signers, uploads, documents and audit trail."""
    return plain(
        sr,
        signers=[plain(s, status=s.status.value) for s in sr.signers],
        uploads=[encode_upload(u, blobs) for u in sr.uploads],
        documents=[encode_document(d, blobs) for d in sr.documents],
        audit=[plain(entry) for entry in sr.audit],
        state=sr.state.value,
    )


def decode_request(data: Any, blobs: Blobs) -> SignatureRequest:
    """A signature request back."""
    return make(
        SignatureRequest,
        data,
        signers=each(lambda s: make(Signer, s, status=SignerStatus(s["status"])), data["signers"]),
        uploads=each(lambda u: decode_upload(u, blobs), data["uploads"]),
        documents=tuple(each(lambda d: decode_document(d, blobs), data["documents"])),
        audit=each(lambda a: make(AuditEntry, a), data["audit"]),
        state=RequestState(data["state"]),
    )


def encode_template(template: Template, blobs: Blobs) -> dict[str, Any]:
    """A template with its uploads and documents."""
    return plain(
        template,
        uploads=[encode_upload(u, blobs) for u in template.uploads],
        documents=[encode_document(d, blobs) for d in template.documents],
        state=template.state.value,
    )


def decode_template(data: Any, blobs: Blobs) -> Template:
    """A template back."""
    return make(
        Template,
        data,
        uploads=each(lambda u: decode_upload(u, blobs), data["uploads"]),
        documents=tuple(each(lambda d: decode_document(d, blobs), data["documents"])),
        state=TemplateState(data["state"]),
    )


def encode_account(account: Account, given: str | None) -> dict[str, Any]:
    """The account and its keys (a key the caller gave as its fingerprint only)."""
    return plain(
        account,
        api_key=encode_secret(account.api_key, given),
        access_tokens=sorted(account.access_tokens),
        keys=[plain(key, secret=encode_secret(key.secret, given)) for key in account.keys],
    )


def decode_account(data: Any, given: str | None) -> Account:
    """The account back. ``given``: the caller's key, which becomes the account's: it fills
    the placeholders of a key given when saving, or else replaces the primary key's secret."""
    primary = data["api_key"]
    placeholders = isinstance(primary, Mapping) or any(
        isinstance(key["secret"], Mapping) for key in data["keys"]
    )

    def secret(value: Any) -> str:
        if given is not None and not placeholders and value == primary:
            return given
        return decode_secret(value, given)

    keys = each(lambda k: make(ApiKey, k, secret=secret(k["secret"])), data["keys"])
    return make(
        Account,
        data,
        api_key=secret(primary),
        access_tokens=set(each(str, data["access_tokens"])),
        keys=keys,
    )


def encode_file_link(link: FileLink, blobs: Blobs) -> dict[str, Any]:
    """A file link, its snapshot as a blob."""
    return plain(link, data=blobs.put(link.data))


def decode_file_link(data: Any, blobs: Blobs) -> FileLink:
    """A file link back."""
    return make(FileLink, data, data=blobs.get(data["data"]))


def decode_app(data: Any) -> ApiApp:
    """An API app back (encoded with :func:`plain`)."""
    return make(ApiApp, data)


def decode_sign_url(data: Any) -> SignUrl:
    """A sign URL back."""
    return make(SignUrl, data)


def decode_event(data: Any) -> EmittedEvent:
    """An emitted event back."""
    return make(EmittedEvent, data)


def decode_fault(data: Any) -> Fault:
    """An injected fault back."""
    return make(Fault, data)


def decode_delivery(data: Any) -> Delivery:
    """A delivery (its payload as sent) back."""
    return make(Delivery, data)


def decode_attempt(data: Any) -> Attempt:
    """A callback attempt back."""
    return make(Attempt, data)


def decode_call(data: Any) -> ApiCall:
    """A request-log call back."""
    return make(ApiCall, data)
