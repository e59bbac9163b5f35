"""The servers a benchmark compares, each run alone in its own process.

``python -m benchmarks.servers KIND PORT [STORE]`` serves on 127.0.0.1:PORT, prints ``ready``
and serves until SIGTERM or SIGINT. KIND is one of:

* ``tornado``: a bare Tornado handler on hsnb's background loop (the listener's own layout)
  that reads the ``json`` field and answers the ACK text: no parsing, no check, no storage;
* ``flask``: the same in Flask's development server (werkzeug, threaded), as a tutorial would
  write it;
* ``listener``: :class:`hsnb.Listener` verifying ``event_hash`` and committing each callback to
  the SQLite file STORE (WAL, ``synchronous=FULL``) before its ACK.

On SIGTERM the listener stops and its store closes, so the events it stored can be counted.
"""

from __future__ import annotations

import signal
import sys

from hsnb.events import ACK_TEXT

#: The key every benchmark callback is signed with (made up).
KEY = "benchmark-key"
KINDS = ("tornado", "flask", "listener")


def serve_tornado(port: int) -> None:
    """The baseline: read the field, answer the ACK text, on hsnb's background loop."""
    import tornado.web

    from hsnb.runtime import background_loop

    class BareAck(tornado.web.RequestHandler):
        def post(self) -> None:
            self.get_body_argument("json")
            self.write(ACK_TEXT)

    async def start() -> None:
        app = tornado.web.Application([(r"/.*", BareAck)], log_function=lambda handler: None)
        app.listen(port, "127.0.0.1")

    background_loop().run(start())


def serve_flask(port: int) -> None:
    """The same handler in Flask's development server (blocks until a signal ends it)."""
    import logging

    from flask import Flask, request

    app = Flask("hsnb-benchmark")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    @app.post("/callback")
    def callback() -> str:
        request.form["json"]
        return ACK_TEXT

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)  # what app.run() serves with
    print("ready", flush=True)  # bound: wrk may connect now
    server.serve_forever()


def main(argv: list[str]) -> None:
    """Serve one KIND on PORT until a signal (see the module docstring)."""
    kind, port = argv[0], int(argv[1])
    if kind == "flask":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve_flask(port)
        return
    # the signals are taken by sigwait below, whichever thread they would have reached
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    listener = None
    if kind == "tornado":
        serve_tornado(port)
    elif kind == "listener":
        from hsnb.listener import Listener

        listener = Listener(argv[2], api_keys=KEY, port=port, name="benchmark")
    else:
        raise SystemExit(f"unknown server {kind!r}: one of {', '.join(KINDS)}")
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    if listener is not None:
        listener.stop()
        listener.store.close()
        print(f"commits {listener.store.commits}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
