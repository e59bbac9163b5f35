"""Listener throughput against a baseline measured in the same run.

Run: ``python -m benchmarks [--requests N]``. Every server and client runs on 127.0.0.1; every
loop is bounded by the request count.

* baseline: a bare Tornado handler on hsnb's background loop that reads the ``json`` field and
  answers the ACK text without parsing, verifying or storing anything;
* listener (memory): :class:`hsnb.Listener` with event_hash verification, in-memory SQLite;
* listener (file): the same with a WAL SQLite file committed with ``synchronous=FULL`` before each
  acknowledgement (what durability costs).

The client is ``http.client`` over keep-alive connections in a few threads, so the client's own
cost is the same for every server. Printed: requests/s, p50/p99 latency, and the ratio to the
baseline.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import tornado.httpserver
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import build_event_payload, encode_callback_multipart
from hsnb.runtime import background_loop
from hsnb.store import EventStore

KEY = "benchmark-key"
THREADS = 4


class BareAck(tornado.web.RequestHandler):
    """The baseline: read the field, answer the ACK text."""

    def post(self) -> None:
        self.get_body_argument("json")
        self.write(ACK_TEXT)


def start_baseline() -> tuple[int, Callable[[], None]]:
    """Serve :class:`BareAck` on the background loop; return its port and a stop function."""

    async def start() -> tornado.httpserver.HTTPServer:
        app = tornado.web.Application([(r"/.*", BareAck)], log_function=lambda handler: None)
        return app.listen(0, "127.0.0.1")

    server = background_loop().run(start())
    port = next(iter(server._sockets.values())).getsockname()[1]
    return port, lambda: background_loop().call(server.stop)


def bodies(count: int) -> list[tuple[bytes, str]]:
    """``count`` distinct signed callbacks (distinct event times, so none is a duplicate)."""
    request = {"signature_request_id": "f" * 40, "title": "Benchmark", "signatures": []}
    return [
        encode_callback_multipart(
            build_event_payload(
                "signature_request_viewed", 1_700_000_000 + n, KEY, signature_request=request
            )
        )
        for n in range(count)
    ]


def hammer(port: int, payloads: list[tuple[bytes, str]]) -> tuple[float, list[float]]:
    """POST every payload over keep-alive connections in threads; return (seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    shares = [payloads[i::THREADS] for i in range(THREADS)]

    def worker(share: list[tuple[bytes, str]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for body, content_type in share:
            started = time.perf_counter()
            connection.request("POST", "/callback", body, {"Content-Type": content_type})
            response = connection.getresponse()
            answer = response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200 or answer.decode() != ACK_TEXT:
                raise RuntimeError(f"unexpected answer {response.status} {answer[:80]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def report(
    name: str, count: int, seconds: float, latencies: list[float], baseline: float | None
) -> float:
    """Print one result line; return requests per second."""
    rate = count / seconds
    quantiles = statistics.quantiles(latencies, n=100)
    ratio = f"{rate / baseline:5.2f}x baseline" if baseline else "   (baseline)"
    print(
        f"{name:<22} {rate:8.0f} req/s   p50 {quantiles[49] * 1000:6.2f} ms   "
        f"p99 {quantiles[98] * 1000:6.2f} ms   {ratio}"
    )
    return rate


def main() -> None:
    """Measure the three servers with the same client and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="callbacks per server")
    count = parser.parse_args().requests
    payloads = bodies(count)
    print(f"{count} signed multipart callbacks per server, {THREADS} keep-alive client threads")

    port, stop = start_baseline()
    hammer(port, payloads[:100])  # warm-up
    seconds, latencies = hammer(port, payloads)
    stop()
    baseline = report("bare tornado ACK", count, seconds, latencies, None)

    with Listener(api_keys=KEY, name="bench-memory") as listener:
        hammer(listener.port, payloads[:100])
        seconds, latencies = hammer(listener.port, payloads[100:] + payloads[:100])
        report("listener (memory)", count, seconds, latencies, baseline)
        assert len(listener.store) == count

    with tempfile.TemporaryDirectory() as folder:
        store = EventStore(Path(folder) / "bench.sqlite")
        with Listener(store, api_keys=KEY, name="bench-file") as listener:
            seconds, latencies = hammer(listener.port, payloads)
            report("listener (WAL, FULL)", count, seconds, latencies, baseline)
            assert len(store) == count
        store.close()


if __name__ == "__main__":
    main()
