"""Where a request's documents come from when it gives ``file_urls`` instead of ``files``.

The real service answers create/send with 200 at once and downloads each ``file_urls`` entry while
it processes the request; a URL it cannot use ends processing with a callback instead of
``signature_request_sent``. The emulator does the same: processing
(:class:`~hsnb.emulator.service.processing.ProcessingMixin`) hands the URLs to a :class:`Fetcher`
and goes on when it calls back with a :class:`Fetched`. The network side is
:class:`hsnb.emulator.http.outbound.HttpFetcher` (tornado, injected by the running
:class:`~hsnb.emulator.server.Emulator`); this module holds what needs no I/O:

* ``data:`` URLs (RFC 2397, base64 or percent-encoded), decoded here, so they work offline and
  behave exactly like an upload: ``data:application/pdf;base64,JVBERi0x...``;
* :func:`source_label` and :func:`file_name`, the wording and file names used for fetched files;
* :class:`OfflineFetcher`, a :class:`~hsnb.emulator.service.backend.Backend`'s fetcher when nothing
  else is injected: ``data:`` URLs only.

Nothing here imports tornado.

UNCONFIRMED: the real service's ``event_message`` wording for a URL it could not use, and even
whether it reports ``file_error`` (chosen here: the conversion-failure event, with each signer's
``status_code`` ``error_file``) or another event; its download timeout, size limit, redirect
rule and how it names a downloaded file; whether it accepts ``data:`` URLs at all (the emulator
does, as a convenience for offline use).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from hsnb.emulator.service.parsing import UploadedFile

#: The URL schemes ``file_urls`` accepts (``data:`` is an emulator convenience).
URL_SCHEMES = ("http", "https", "data")
#: Default cap on one fetched file (the emulator's choice; the real limit is UNCONFIRMED).
DEFAULT_MAX_BYTES = 40 * 2**20
_LABEL_CHARS = 80


class FetchError(Exception):
    """A ``file_urls`` entry could not be used; ``str()`` is the ``event_message``."""


@dataclass(frozen=True)
class Fetched:
    """What fetching a request's ``file_urls`` gave: the files in order, or why not."""

    files: tuple[UploadedFile, ...] = ()
    error: str | None = None


FetchDone = Callable[[Fetched], None]


class Fetcher(Protocol):
    """Downloads ``file_urls`` for processing; calls ``done`` once (maybe before returning)."""

    @property
    def in_flight(self) -> int:
        """Fetches started and not finished."""
        ...

    def start(self, urls: Sequence[str], done: FetchDone) -> None:
        """Fetch every URL, then call ``done`` on the loop thread (never for a canceled fetch)."""
        ...

    def cancel_all(self) -> None:
        """Abandon every fetch in flight (their ``done`` is not called)."""
        ...


class OfflineFetcher:
    """Decodes ``data:`` URLs at once; any other URL fails (there is no network here)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    @property
    def in_flight(self) -> int:
        """Always 0: nothing waits."""
        return 0

    def start(self, urls: Sequence[str], done: FetchDone) -> None:
        """Call ``done`` now with the decoded files or the first error."""
        files = []
        for index, url in enumerate(urls):
            if not is_data_url(url):
                reason = "this emulator has no network access (only data: URLs work offline)"
                done(Fetched(error=f"could not download {source_label(index, url)}: {reason}"))
                return
            try:
                files.append(read_data_url(url, index, self.max_bytes))
            except FetchError as exc:
                done(Fetched(error=str(exc)))
                return
        done(Fetched(files=tuple(files)))

    def cancel_all(self) -> None:
        """Nothing is ever in flight."""


def is_data_url(url: str) -> bool:
    """Whether ``url`` is a ``data:`` URL."""
    return url[:5].lower() == "data:"


def source_label(index: int, url: str) -> str:
    """``file_urls[0] (https://...)``, long URLs (``data:`` ones) shortened.

    >>> source_label(1, "https://example.com/nda.pdf")
    'file_urls[1] (https://example.com/nda.pdf)'
    """
    shown = url if len(url) <= _LABEL_CHARS else url[: _LABEL_CHARS - 3] + "..."
    return f"file_urls[{index}] ({shown})"


def read_data_url(url: str, index: int, max_bytes: int = DEFAULT_MAX_BYTES) -> UploadedFile:
    """The file in a ``data:`` URL (base64 or percent-encoded); raises :class:`FetchError`.

    A ``name=`` parameter (``data:application/pdf;name=nda.pdf;base64,...``) names the file.

    >>> read_data_url("data:text/plain,Hello%20world", 0)
    UploadedFile('document-1.txt', 11 bytes, 'text/plain')
    """
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise FetchError(f"could not read {source_label(index, url)}: a data: URL needs a comma")
    params = [p.strip() for p in header.split(";")]
    is_base64 = params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    content_type = params[0] if params and "=" not in params[0] and params[0] else "text/plain"
    names = [unquote(p[5:]) for p in params if p.lower().startswith("name=")]
    raw = unquote_to_bytes(payload)
    if is_base64:
        try:
            data = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise FetchError(
                f"could not read {source_label(index, url)}: its base64 is not valid"
            ) from None
    else:
        data = raw
    if len(data) > max_bytes:
        raise FetchError(
            f"could not read {source_label(index, url)}: {len(data)} bytes is more than the "
            f"{max_bytes}-byte limit"
        )
    suggested = names[0] if names else ""
    return UploadedFile(file_name(suggested, index, data, content_type), data, content_type)


def file_name(suggested: str, index: int, data: bytes, content_type: str = "") -> str:
    """A document's name: ``suggested`` (e.g. the URL's last path segment) or
    ``document-N``, with ``.pdf`` / ``.txt`` added when it has no suffix.

    >>> file_name("", 0, b"%PDF-1.7"), file_name("nda", 1, b"%PDF-1.7"), file_name("a.txt", 2, b"")
    ('document-1.pdf', 'nda.pdf', 'a.txt')
    """
    name = PurePosixPath(suggested.replace("\\", "/")).name or f"document-{index + 1}"
    if PurePosixPath(name).suffix:
        return name
    if data.startswith(b"%PDF"):
        return name + ".pdf"
    if content_type.lower().startswith("text/"):
        return name + ".txt"
    return name


def url_file_name(url: str) -> str:
    """The last path segment of an http(s) URL, percent-decoded (``""`` if there is none).

    >>> url_file_name("https://example.com/docs/My%20NDA.pdf?x=1")
    'My NDA.pdf'
    """
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])
