"""Real logs for the tests of hsnb.logs: a listener's store fed by scenarios that duplicate,
lose and reorder callbacks, over three UTC days, with app callbacks and an unknown type."""

from __future__ import annotations

from pathlib import Path

from hsnb.emulator import DEFAULT_EPOCH
from hsnb.listener import Listener
from hsnb.trigger import scenario
from tests.conftest import KEY, post_multipart, sent_payload

#: (scenario, seed, day, app) of each request in the log.
SCENARIOS = [
    ("happy", 1, 0, None),
    ("happy", 2, 0, "app0000000000000000000000000000a"),
    ("declined", 3, 1, None),
    ("file_error", 4, 1, None),
    ("happy", 5, 2, None),
    ("happy", 6, 2, None),
    ("declined", 7, 0, None),
    ("happy", 8, 1, None),
]


def write_messy_log(path: Path) -> Path:
    """A store written by a real listener: requests whose lives cross midnight, sent with
    duplicates, losses and late deliveries, plus an unknown event type and a callback test."""
    with Listener(path, api_keys=KEY, name="test-logs") as listener:
        for name, seed, day, app in SCENARIOS:
            start = DEFAULT_EPOCH + (day + 1) * 86_400 - 300  # five minutes before midnight
            scenario(
                name,
                listener.url,
                KEY,
                signers=2 + seed % 2,
                duplicates=0.3,
                disorder=0.4,
                loss=0.15,
                seed=seed,
                app=app,
                start_time=start,
            )
        odd = sent_payload("f" * 40, "signature_request_teleported", event_time=DEFAULT_EPOCH)
        post_multipart(listener.url, odd)
        test = sent_payload(event_type="callback_test", event_time=DEFAULT_EPOCH + 5)
        del test["signature_request"]
        post_multipart(listener.url, test)
    listener.store.close()
    return path
