"""The listener's HTTP server, hardened as a public endpoint: timeouts, a connection cap, and
accepting that survives a full descriptor table.

Tornado's defaults suit a server behind a proxy, not a URL anyone can reach: a client may take
an hour to send its headers and forever to send a body, the number of open connections is
unbounded, and when the process runs out of file descriptors, ``accept()`` fails with EMFILE on
every loop iteration, each failure logged with a traceback, while nothing is answered. Here:

* headers must arrive within the header timeout (``idle_connection_timeout``, also the
  keep-alive idle time), else the connection is closed (the listener's handler puts a deadline
  on the body itself, one timer per request, cheaper than Tornado's per-read ``body_timeout``);
* at ``max_connections`` open connections the server stops accepting; newcomers wait in the
  kernel's listen queue and are accepted as soon as one closes;
* EMFILE/ENFILE pause accepting for a moment (one warning, not a traceback per attempt);
* :func:`raise_descriptor_limit` raises the soft descriptor limit to the hard one at start.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import tornado.httpserver
from tornado.ioloop import IOLoop

logger = logging.getLogger(__name__)

#: Seconds to receive a request's headers (and to keep an idle keep-alive connection): a real
#: sender writes its headers at once, so idle connections are closed soon.
DEFAULT_HEADER_TIMEOUT = 5.0
#: Seconds to receive a request's body (Dropbox Sign itself gives up after 30).
DEFAULT_BODY_TIMEOUT = 30.0
#: The connection cap, unless the descriptor limit calls for a lower one.
DEFAULT_MAX_CONNECTIONS = 2048
_NO_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_RETRY_ACCEPT_SECONDS = 0.25
_ACCEPTS_PER_WAKEUP = 128
_MAX_DESCRIPTORS = 65536


def raise_descriptor_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (at most 65,536).

    Returns the soft limit now in force (raising is not allowed everywhere; then it stays).
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _MAX_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(hard, _MAX_DESCRIPTORS)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return _MAX_DESCRIPTORS if soft == resource.RLIM_INFINITY else soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return soft
    return wanted


def default_max_connections() -> int:
    """The connection cap: half the descriptor limit (the rest is for the kernel, SQLite, ...),
    at most :data:`DEFAULT_MAX_CONNECTIONS`."""
    return max(8, min(DEFAULT_MAX_CONNECTIONS, raise_descriptor_limit() // 2))


class GuardedHTTPServer(tornado.httpserver.HTTPServer):
    """An ``HTTPServer`` with a connection cap and an accept loop that survives EMFILE.

    Takes ``HTTPServer``'s arguments plus ``max_connections``. Pass ``idle_connection_timeout``
    (the header timeout) too: Tornado's default is an hour.
    """

    def initialize(
        self, *args: Any, max_connections: int = DEFAULT_MAX_CONNECTIONS, **kwargs: Any
    ) -> None:
        """As ``HTTPServer.initialize``, plus the connection cap."""
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self._waiting_to_accept: list[Callable[[], None]] = []
        self._warned = False

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        """Accept on ``sockets`` (as ``HTTPServer.add_sockets``), within the cap."""
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = self._accept_from(sock)

    def on_close(self, server_conn: object) -> None:
        """A connection closed: accept again if the cap had paused accepting."""
        super().on_close(server_conn)
        if self._waiting_to_accept and len(self._connections) < self.max_connections:
            waiting, self._waiting_to_accept = self._waiting_to_accept, []
            for resume in waiting:
                resume()

    def _accept_from(self, sock: socket.socket) -> Callable[[], None]:
        """Start accepting on ``sock``; return the function that stops it for good."""
        loop = IOLoop.current()
        state = {"listening": False, "removed": False}

        def pause() -> None:
            if state["listening"]:
                loop.remove_handler(sock)
                state["listening"] = False

        def resume() -> None:
            if not state["removed"] and not state["listening"]:
                loop.add_handler(sock, accept, IOLoop.READ)
                state["listening"] = True

        def accept(fd: Any, events: int) -> None:
            for _ in range(_ACCEPTS_PER_WAKEUP):
                if state["removed"]:
                    return
                if len(self._connections) >= self.max_connections:
                    pause()  # newcomers wait in the listen queue until a connection closes
                    self._waiting_to_accept.append(resume)
                    return
                try:
                    connection, address = sock.accept()
                except BlockingIOError:
                    return
                except ConnectionAbortedError:
                    continue
                except OSError as exc:
                    if exc.errno not in _NO_DESCRIPTORS:
                        raise
                    self._out_of_descriptors(exc)
                    pause()
                    loop.call_later(_RETRY_ACCEPT_SECONDS, resume)
                    return
                self._handle_connection(connection, address)

        def remove() -> None:
            pause()
            state["removed"] = True

        resume()
        return remove

    def _out_of_descriptors(self, exc: OSError) -> None:
        if not self._warned:  # once per server: the condition is the news, not each attempt
            self._warned = True
            logger.warning(
                "out of file descriptors (%s) with %d connections open: accepting again in "
                "%.2f s steps",
                exc.strerror,
                len(self._connections),
                _RETRY_ACCEPT_SECONDS,
            )
