"""How an emulated world tells a listener its clock: one signed header on every callback.

An emulator runs on its own clock (compressed, or virtual: hours pass in milliseconds). For a
log's durations to be right by construction, the listener must stamp each delivery with that
clock too, in the same process or in another. So every callback the emulator POSTs carries::

    X-Hsnb-Emulated-Time: t=1767225640.000000;scale=virtual;wall=1764406800.123456;sig=<hex>

``t`` is the emulated time the attempt was sent; ``scale`` is the clock's ``time_scale``
(``virtual`` and ``manual`` clocks do not move while a callback is on the wire); ``wall`` is the
sender's wall clock then; ``sig`` is ``hex(HMAC-SHA256(key=API key, msg="t;scale;wall"))`` with
the key that signs the payload's ``event_hash``. A listener trusts the header only when ``sig``
verifies with one of its own keys, so nobody without the key can move its clock, and the real
service (which sends no such header) is always stamped with wall time. Its emulated receive time
is ``t`` plus, for a scaled clock, the wall time on the wire divided by the scale (both ends
run on one machine).

``X-Hsnb-Attempt: <delivery_id>.<attempt>`` names the emulator's attempt, so the emulator's
attempt log and the listener's deliveries can be joined (lost attempts are the ones never
received). Real Dropbox Sign callbacks carry neither header.

The other way, a receiver under *virtual* time may answer with ``X-Hsnb-Answer-Time: <seconds>``:
how long its answer took in the emulated world. Virtual time does not move while a callback is
on the wire, so a slow receiver cannot show its slowness by being slow in real time (that would
only depend on the machine's load); an emulator on a virtual clock treats an answer that says it
took longer than the attempt timeout (30 s) as a timeout. On any other clock the header is
ignored: real time on the wire decides.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Mapping

#: The header carrying the sender's emulated clock.
CLOCK_HEADER = "X-Hsnb-Emulated-Time"
#: The header naming the emulator's delivery and attempt.
ATTEMPT_HEADER = "X-Hsnb-Attempt"
#: The header a receiver under virtual time answers with: how long its answer took (emulated).
ANSWER_TIME_HEADER = "X-Hsnb-Answer-Time"


def clock_header(api_key: str, emulated: float, scale: str | float | None, wall: float) -> str:
    """The :data:`CLOCK_HEADER` value for an attempt sent at ``emulated`` time (signed).

    >>> clock_header("k", 1767225600, "virtual", 1.5).split(";sig=")[0]
    't=1767225600.000000;scale=virtual;wall=1.500000'
    """
    shown = "manual" if scale is None else scale if isinstance(scale, str) else repr(float(scale))
    text = f"t={emulated:.6f};scale={shown};wall={wall:.6f}"
    return f"{text};sig={_sign(api_key, text)}"


def emulated_receive_time(
    value: str | None, api_keys: Iterable[str], wall_now: float
) -> float | None:
    """The emulated time a delivery with header ``value`` arrived, or ``None`` when there is no
    header, it does not parse, or its signature matches none of ``api_keys``.

    >>> value = clock_header("k", 100.0, 0.5, 10.0)
    >>> emulated_receive_time(value, ["k"], 11.0), emulated_receive_time(value, ["other"], 11.0)
    (102.0, None)
    """
    fields = _verified_fields(value, api_keys)
    if fields is None:
        return None
    try:
        sent, wall = float(fields["t"]), float(fields["wall"])
    except (KeyError, ValueError):
        return None
    scale = fields.get("scale", "")
    if scale in ("virtual", "manual"):
        return sent
    try:
        factor = float(scale)
    except ValueError:
        return None
    if not (math.isfinite(sent) and math.isfinite(wall) and factor > 0 and math.isfinite(factor)):
        return sent
    return sent + max(0.0, wall_now - wall) / factor


def verified_scale(value: str | None, api_keys: Iterable[str]) -> str | None:
    """The ``scale`` of a :data:`CLOCK_HEADER` value whose signature matches one of
    ``api_keys`` (``"virtual"``, ``"manual"`` or a number as text), else ``None``.

    >>> verified_scale(clock_header("k", 1.0, "virtual", 2.0), ["k"])
    'virtual'
    >>> verified_scale(clock_header("k", 1.0, "virtual", 2.0), ["other"]) is None
    True
    """
    fields = _verified_fields(value, api_keys)
    return None if fields is None else fields.get("scale")


def _verified_fields(value: str | None, api_keys: Iterable[str]) -> dict[str, str] | None:
    """The fields of a clock header whose signature matches one of ``api_keys``, else ``None``."""
    if not value:
        return None
    text, _, signature = value.rpartition(";sig=")
    keys = [key for key in api_keys if key]
    if not keys or not any(hmac.compare_digest(_sign(k, text), signature) for k in keys):
        return None
    return dict(part.partition("=")[::2] for part in text.split(";"))


def answer_time(value: str | None) -> float | None:
    """The emulated seconds an :data:`ANSWER_TIME_HEADER` value says an answer took (``None``
    when absent or not a finite, non-negative number).

    >>> answer_time("45"), answer_time("-1"), answer_time("soon"), answer_time(None)
    (45.0, None, None, None)
    """
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def attempt_header(delivery_id: int, attempt: int) -> str:
    """The :data:`ATTEMPT_HEADER` value."""
    return f"{delivery_id}.{attempt}"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _sign(api_key: str, text: str) -> str:
    return hmac.new(api_key.encode(), text.encode(), hashlib.sha256).hexdigest()
