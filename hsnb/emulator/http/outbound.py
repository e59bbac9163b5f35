"""The emulator's outbound HTTP: callback POSTs and ``file_urls`` downloads (tornado's client).

Kept apart from the service (:mod:`hsnb.emulator.service.dispatcher`,
:mod:`hsnb.emulator.service.processing`) so the rules stay free of tornado and I/O, and tests can
inject fakes. Both clients are private :class:`AsyncHTTPClient` instances made on first use on the
loop that uses them.

Callbacks (:class:`TornadoTransport`): network problems never raise; they come back as a
:class:`~hsnb.emulator.service.dispatcher.Response` with ``status`` ``None`` and the reason.

Downloads (:class:`HttpFetcher`, a :class:`~hsnb.emulator.service.file_urls.Fetcher`): each URL is a
``GET`` with a total timeout (real seconds), at most five redirects and a size cap; the URLs of
one request are fetched together, and the first one (by position) that fails names the error,
in plain words::

    could not download file_urls[0] (https://example.com/nda.pdf): HTTP 404 Not Found
    could not download file_urls[1] (http://127.0.0.1:9/x.pdf): connection refused
    could not download file_urls[0] (https://slow.example/a.pdf): no answer within 10 seconds

A request whose URLs are all ``data:`` URLs is decoded at once, with no task, exactly like an
upload.

``allow_private=False`` (the default when the emulator listens on a non-loopback address, see
``allow_private_file_urls``) refuses a URL whose host is this machine or a private network, by
name or by every address it resolves to, before connecting; and refuses a download whose
redirects ended on such a host (that request was made, but its content is never used or served
back through ``/files``)::

    could not download file_urls[0] (http://127.0.0.1:8888/secret.pdf): 127.0.0.1 is a local or
    private address (allow_private_file_urls is off)

UNCONFIRMED (see :mod:`hsnb.emulator.service.file_urls`): the real service's wording, timeout,
size limit and redirect rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import DefaultLoopResolver
from tornado.simple_httpclient import HTTPStreamClosedError, HTTPTimeoutError

from hsnb.callback_urls import is_local_host
from hsnb.clock_header import ANSWER_TIME_HEADER, answer_time
from hsnb.emulator.service.dispatcher import Response
from hsnb.emulator.service.file_urls import (
    FetchDone,
    Fetched,
    FetchError,
    OfflineFetcher,
    file_name,
    is_data_url,
    read_data_url,
    source_label,
    url_file_name,
)
from hsnb.emulator.service.parsing import UploadedFile
from hsnb.emulator.service.workers import Sequencer

USER_AGENT = "hsnb-emulator"


class LiteralResolver(DefaultLoopResolver):
    """Tornado's resolver, except that an IP address (``127.0.0.1``: every callback in a
    notebook) is answered at once instead of by ``getaddrinfo`` on a thread."""

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """The address of ``host``: itself when it is an IP literal."""
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return await super().resolve(host, port, family)
        if address.version == 6:
            return [(socket.AF_INET6, (str(address), port, 0, 0))]
        return [(socket.AF_INET, (str(address), port))]


class TornadoTransport:
    """POSTs with a private :class:`AsyncHTTPClient`, made on first use on the loop that posts."""

    def __init__(self, max_clients: int = 64) -> None:
        self.max_clients = max_clients
        self._client: AsyncHTTPClient | None = None

    @property
    def client(self) -> AsyncHTTPClient:
        """The HTTP client (created on the calling loop the first time)."""
        if self._client is None:
            self._client = AsyncHTTPClient(
                force_instance=True, max_clients=self.max_clients, resolver=LiteralResolver()
            )
        return self._client

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        """POST ``body``; the answer's status and body, or why there is none."""
        request = HTTPRequest(
            url,
            method="POST",
            body=body,
            headers={**headers, "User-Agent": USER_AGENT},
            connect_timeout=timeout,
            request_timeout=timeout,
            follow_redirects=False,
            decompress_response=True,
        )
        try:
            answer = await self.client.fetch(request, raise_error=False)
        except HTTPTimeoutError as exc:
            return Response(None, error=str(exc), timed_out=True)
        except (OSError, ValueError, HTTPClientError) as exc:
            return Response(None, error=f"{type(exc).__name__}: {exc}")
        if answer.code == 599:
            error = answer.error
            timed_out = isinstance(error, HTTPTimeoutError)
            return Response(None, error=f"{type(error).__name__}: {error}", timed_out=timed_out)
        took = answer_time(answer.headers.get(ANSWER_TIME_HEADER))
        return Response(answer.code, answer.body or b"", answer_time=took)

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None


# -- file_urls downloads ---------------------------------------------------------------------

MAX_REDIRECTS = 5


class HttpFetcher:
    """Fetches ``file_urls`` with a private :class:`AsyncHTTPClient` on the running loop.

    ``timeout``: real seconds for each download (connecting included). ``max_bytes``: the
    largest file accepted (declared or received). Their defaults and checks are
    :class:`~hsnb.emulator.service.config.EmulatorConfig`'s ``file_fetch_timeout`` and
    ``file_fetch_max_bytes``.
    """

    def __init__(
        self, timeout: float, max_bytes: int, max_clients: int = 16, allow_private: bool = True
    ) -> None:
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.allow_private = allow_private
        self.max_clients = max_clients
        self._client: AsyncHTTPClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Called on the loop after each request's downloads end (virtual time listens to it).
        self.on_change: Callable[[], None] = lambda: None
        #: Hand results over in the order the fetches started (virtual time sets it).
        self.ordered = False
        self._sequencer = Sequencer()

    def __repr__(self) -> str:
        return f"<HttpFetcher timeout={self.timeout:g}s max_bytes={self.max_bytes}>"

    @property
    def in_flight(self) -> int:
        """Requests whose files are being downloaded now."""
        return sum(1 for task in self._tasks if not task.done())

    @property
    def client(self) -> AsyncHTTPClient:
        """The HTTP client (created on the calling loop the first time)."""
        if self._client is None:
            self._client = AsyncHTTPClient(
                force_instance=True,
                max_clients=self.max_clients,
                max_body_size=self.max_bytes,
                resolver=LiteralResolver(),
            )
        return self._client

    def start(self, urls: Sequence[str], done: FetchDone) -> None:
        """Fetch ``urls``; ``done`` gets the files or the first error (see the module doc).

        With ``ordered`` (virtual time), ``done`` calls come in the order the fetches started.
        """
        urls = list(urls)
        if self.ordered:
            ticket, given = self._sequencer.ticket(), done

            def done(fetched: Fetched) -> None:
                self._sequencer.complete(ticket, lambda: given(fetched))

        if all(is_data_url(url) for url in urls):
            OfflineFetcher(self.max_bytes).start(urls, done)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            index, url = next((i, u) for i, u in enumerate(urls) if not is_data_url(u))
            reason = "the emulator is not running, so nothing can be downloaded"
            done(Fetched(error=f"could not download {source_label(index, url)}: {reason}"))
            return
        task = loop.create_task(self._fetch_all(urls, done))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.on_change()

    def cancel_all(self) -> None:
        """Abandon every download in flight; their ``done`` is never called."""
        self._sequencer.reset()
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        """Cancel the downloads, wait for them to stop, and release the client's connections."""
        tasks = list(self._tasks)
        self.cancel_all()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            self._client.close()
            self._client = None

    async def fetch(self, url: str, index: int = 0) -> UploadedFile:
        """One ``file_urls`` entry as an upload; raises :class:`FetchError` saying why not."""
        if is_data_url(url):
            return read_data_url(url, index, self.max_bytes)
        label = source_label(index, url)
        if not self.allow_private:
            await self._refuse_private(urlsplit(url).hostname or "", label)
        progress = _Progress()
        request = HTTPRequest(
            url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/pdf, text/plain, */*"},
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            decompress_response=True,
            header_callback=progress.header_line,
            streaming_callback=progress.chunks.append,
        )
        try:
            answer = await self.client.fetch(request, raise_error=False)
        except Exception as exc:  # every network failure becomes a plain reason
            raise FetchError(f"could not download {label}: {self._reason(exc, progress)}") from None
        if not self.allow_private and answer.effective_url:
            await self._refuse_private(urlsplit(answer.effective_url).hostname or "", label)
        if not 200 <= answer.code < 300:
            reason = f"HTTP {answer.code} {answer.reason or ''}".rstrip()
            raise FetchError(f"could not download {label}: {reason}")
        data = b"".join(progress.chunks)
        content_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
        name = file_name(url_file_name(answer.effective_url or url), index, data, content_type)
        return UploadedFile(name, data, content_type or "application/octet-stream")

    async def _refuse_private(self, host: str, label: str) -> None:
        """Raise :class:`FetchError` when ``host`` is, or resolves to, a local or private
        address."""
        why = "is a local or private address (allow_private_file_urls is off)"
        if is_local_host(host):
            raise FetchError(f"could not download {label}: {host} {why}")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except OSError:
            return  # the download itself says "host not found"
        for info in infos:
            address = str(info[4][0]).split("%")[0]
            if is_local_host(address):
                message = f"could not download {label}: {host} resolves to {address}, {why}"
                raise FetchError(message)

    async def _fetch_all(self, urls: list[str], done: FetchDone) -> None:
        results = await asyncio.gather(
            *(self.fetch(url, index) for index, url in enumerate(urls)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, FetchError):
                done(Fetched(error=str(result)))
                return
            if isinstance(result, BaseException):
                done(Fetched(error=f"could not download the files: {result}"))
                return
        done(Fetched(files=tuple(r for r in results if isinstance(r, UploadedFile))))

    def _reason(self, exc: Exception, progress: _Progress) -> str:
        """Why a download failed, in plain words."""
        if isinstance(exc, HTTPTimeoutError):
            return f"no answer within {self.timeout:g} seconds"
        if isinstance(exc, HTTPStreamClosedError):
            # Tornado closes the connection when a body passes max_body_size (and says so only
            # in a log line): a declared length tells for sure, a chunked body cannot.
            limit = f"the {self.max_bytes}-byte limit"
            if progress.declared is not None and progress.declared > self.max_bytes:
                return f"the file is {progress.declared} bytes, more than {limit}"
            if progress.answered:
                return (
                    f"the download broke off: the file is larger than {limit}, "
                    "or the server closed the connection"
                )
            return "the server closed the connection without an answer"
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        if isinstance(exc, socket.gaierror):
            return "host not found"
        if isinstance(exc, ssl.SSLError):
            return f"TLS error: {exc.reason or exc}"
        if isinstance(exc, OSError):
            return exc.strerror or str(exc) or type(exc).__name__
        return f"{type(exc).__name__}: {exc}"


class _Progress:
    """What one download received so far: the final answer's headers and the body's chunks."""

    def __init__(self) -> None:
        self.answered = False
        self.declared: int | None = None
        self.chunks: list[bytes] = []

    def header_line(self, line: str) -> None:
        """Tornado's ``header_callback`` (status line, each header, a blank line)."""
        if line.startswith("HTTP/"):
            self.answered, self.declared = True, None
            self.chunks.clear()
            return
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            self.declared = int(value.strip())
