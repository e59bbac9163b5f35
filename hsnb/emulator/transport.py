"""The HTTP client that POSTs callbacks (tornado's, on the emulator's loop).

Kept apart from :mod:`hsnb.emulator.dispatcher` so the delivery rules stay free of tornado and
tests can inject a fake. Network problems never raise: they come back as a
:class:`~hsnb.emulator.dispatcher.Response` with ``status`` ``None`` and the reason.
"""

from __future__ import annotations

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.simple_httpclient import HTTPTimeoutError

from hsnb.emulator.dispatcher import Response

USER_AGENT = "hsnb-emulator"


class TornadoTransport:
    """POSTs with a private :class:`AsyncHTTPClient`, made on first use on the loop that posts."""

    def __init__(self, max_clients: int = 64) -> None:
        self.max_clients = max_clients
        self._client: AsyncHTTPClient | None = None

    @property
    def client(self) -> AsyncHTTPClient:
        """The HTTP client (created on the calling loop the first time)."""
        if self._client is None:
            self._client = AsyncHTTPClient(force_instance=True, max_clients=self.max_clients)
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
        return Response(answer.code, answer.body or b"")

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None
