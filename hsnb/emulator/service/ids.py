"""Where every id of an emulated world comes from: the one seeded random source, and counters.

:class:`Randomness` is the single ``random.Random`` of an emulator: ids (40 hex like real
signature request ids and account ids, 32 hex for signature ids and client ids, 64 hex for API
keys) and delay draws (:class:`~hsnb.emulator.service.clock.Delay`) all come from it.
:class:`Counter` numbers what is made in order (deliveries, records, timers, faults, logged
calls). Both can be read and set again, so a saved state goes on with the same ids
(:mod:`hsnb.emulator.service.state_file`). Nothing here imports tornado.
"""

from __future__ import annotations

import base64
import random
import struct
from typing import Any, Protocol


class Drawable(Protocol):
    """What can be drawn from with this generator (:class:`~hsnb.emulator.service.clock.Delay`;
    named by its shape so that the clock, which numbers its timers here, is not imported)."""

    def draw(self, rng: random.Random) -> float:
        """One value, drawn with ``rng``."""
        ...


class Counter:
    """Numbers in order, whose next value can be read and saved (``itertools.count`` hides it).

    >>> ids = Counter(1)
    >>> next(ids), next(ids), ids.value
    (1, 2, 3)
    """

    def __init__(self, start: int = 1) -> None:
        #: The number :func:`next` gives next.
        self.value = start

    def __iter__(self) -> Counter:
        return self

    def __next__(self) -> int:
        value = self.value
        self.value += 1
        return value


class Randomness:
    """The emulator's one seeded random source, with id helpers in the real services' shapes."""

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        """Start the sequence again from ``seed``."""
        self.seed = seed
        self.rng.seed(seed)

    def hex(self, length: int) -> str:
        """``length`` lowercase hex digits."""
        return f"{self.rng.getrandbits(4 * length):0{length}x}"

    def request_id(self) -> str:
        """A signature request id: 40 hex, like the real ones."""
        return self.hex(40)

    def account_id(self) -> str:
        """An account id: 40 hex."""
        return self.hex(40)

    def signature_id(self) -> str:
        """A signer's signature id: 32 hex."""
        return self.hex(32)

    def client_id(self) -> str:
        """An API app's client id: 32 hex."""
        return self.hex(32)

    def api_key(self) -> str:
        """An API key: 64 hex."""
        return self.hex(64)

    def token(self) -> str:
        """A secret token for URLs (sign pages, file links): 40 hex."""
        return self.hex(40)

    def draw(self, delay: Drawable) -> float:
        """One draw from ``delay``."""
        return delay.draw(self.rng)

    def get_state(self) -> list[Any]:
        """The generator's state as JSON values (its 625 words packed as base64); with
        :meth:`set_state`, a saved state continues the same sequence."""
        version, internal, gauss = self.rng.getstate()
        words = base64.b64encode(struct.pack(f">{len(internal)}I", *internal)).decode("ascii")
        return [version, words, gauss]

    def set_state(self, seed: int | None, state: list[Any]) -> None:
        """Continue from a state of :meth:`get_state`; ``ValueError`` or ``TypeError`` if it
        is not one."""
        version, words, gauss = state
        raw = base64.b64decode(words, validate=True)
        if len(raw) % 4:
            raise ValueError("a random state is whole 32-bit words")
        self.rng.setstate((version, struct.unpack(f">{len(raw) // 4}I", raw), gauss))
        self.seed = seed
