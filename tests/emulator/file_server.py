"""A file server on 127.0.0.1 for the ``file_urls`` tests: the sample NDA, a text letter,
garbage, a slow answer, a chunked one, a redirect, and 404 for anything else; it records each
request it gets."""

from __future__ import annotations

import asyncio

import tornado.web

from hsnb.testing import serve_app
from tests.emulator.helpers import document

NDA = document("nda-two-signers.pdf")
LETTER = document("letter.txt")
GARBAGE = document("not-a-pdf.bin")


class _File(tornado.web.RequestHandler):
    def initialize(self, server: FileServer, data: bytes, content_type: str) -> None:
        self.server, self.data, self.content_type = server, data, content_type

    def get(self) -> None:
        self.server.seen(self)
        self.set_header("Content-Type", self.content_type)
        self.finish(self.data)


class _Slow(tornado.web.RequestHandler):
    """Answers with the NDA after ``?seconds=`` (unless the client hung up by then)."""

    def initialize(self, server: FileServer) -> None:
        self.server = server
        self.gone = False

    def on_connection_close(self) -> None:
        self.gone = True

    async def get(self) -> None:
        self.server.seen(self)
        await asyncio.sleep(float(self.get_query_argument("seconds")))
        if not self.gone:
            self.set_header("Content-Type", "application/pdf")
            self.finish(NDA)


class _Chunked(tornado.web.RequestHandler):
    """The NDA in 500-byte chunks, with no Content-Length (``Transfer-Encoding: chunked``)."""

    def initialize(self, server: FileServer) -> None:
        self.server = server

    async def get(self) -> None:
        self.server.seen(self)
        self.set_header("Content-Type", "application/pdf")
        for start in range(0, len(NDA), 500):
            self.write(NDA[start : start + 500])
            await self.flush()


class _Missing(tornado.web.RequestHandler):
    def initialize(self, server: FileServer) -> None:
        self.server = server

    def get(self) -> None:
        self.server.seen(self)
        raise tornado.web.HTTPError(404)


class FileServer:
    """Serves sample documents over HTTP on 127.0.0.1 and records each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        me = {"server": self}
        pdf = {**me, "data": NDA, "content_type": "application/pdf"}
        rules = [
            ("/nda-two-signers.pdf", _File, pdf),
            ("/download", _File, pdf),
            ("/letter.txt", _File, {**me, "data": LETTER, "content_type": "text/plain"}),
            ("/garbage.bin", _File, {**me, "data": GARBAGE, "content_type": "application/x-bin"}),
            ("/slow.pdf", _Slow, me),
            ("/chunked.pdf", _Chunked, me),
            ("/moved.pdf", tornado.web.RedirectHandler, {"url": "/nda-two-signers.pdf"}),
            (r"/.*", _Missing, me),
        ]
        self._served = serve_app(rules)
        self.base = self._served.origin

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server."""
        return self._served.url(path)

    def seen(self, handler: tornado.web.RequestHandler) -> None:
        """Record a request: its path and query, and its User-Agent."""
        self.requests.append((handler.request.uri, handler.request.headers.get("User-Agent", "")))

    def stop(self) -> None:
        """Stop serving and drop open connections."""
        self._served.stop()
