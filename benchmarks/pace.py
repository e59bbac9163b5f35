"""A steady stream of signed callbacks: ``python -m benchmarks.pace URL RATE SECONDS``.

Sends callback number i at ``start + i / RATE`` (as soon as a connection is free, if it is
late) over a few keep-alive connections, then prints one JSON line: how many were sent, how
many were acknowledged, and the rate achieved. Runs in its own process so that the process it
loads (a Jupyter kernel) does not pay for the client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from urllib.parse import urlsplit

from benchmarks.load import callback_parts
from hsnb.events import ACK_TEXT

CONNECTIONS = 8


async def pace(url: str, rate: float, seconds: float) -> dict[str, float]:
    """Send ``rate`` callbacks a second for ``seconds``; return the counts."""
    parts = urlsplit(url)
    before, after, content_type = callback_parts()
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(before) + 40 + len(after)}\r\n\r\n"
    ).encode()
    numbers = itertools.count()
    total = int(rate * seconds)
    counts = {"sent": 0, "acknowledged": 0, "errors": 0}
    start = time.monotonic() + 0.2

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while (n := next(numbers)) < total:
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = before + f"{0xFACE:08x}{n:032x}".encode() + after
                writer.write(head + body)
                counts["sent"] += 1
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                if status.split()[1:2] == [b"200"] and answer.decode() == ACK_TEXT:
                    counts["acknowledged"] += 1
                else:
                    counts["errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    counts["rate"] = counts["sent"] / (time.monotonic() - start)
    return counts


def main(argv: list[str]) -> None:
    """Run :func:`pace` with URL RATE SECONDS from the command line; print the counts."""
    url, rate, seconds = argv[0], float(argv[1]), float(argv[2])
    print(json.dumps(asyncio.run(pace(url, rate, seconds))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
