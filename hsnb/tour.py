"""``hsnb tour``: the whole callback story, headless, on the built-in emulator.

It starts a :class:`~hsnb.listener.Listener` and an :class:`~hsnb.emulator.Emulator` whose
callbacks go to it, then walks one signature request through its life and shows, step by step,
what a good integration waits for. Everything runs on 127.0.0.1; nothing needs an account.
The emulator is seeded, so ids and event times repeat from run to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hsnb.client import ApiError, Client
from hsnb.emulator import DEFAULT_EPOCH, Emulator, page_texts
from hsnb.listener import Listener

Say = Callable[[str], None]

#: The sample documents shipped in the repository's ``data/documents``.
DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]
_WAIT = 30.0


def _step(say: Say, number: int, title: str) -> None:
    say("")
    say(f"{number}. {title}")


def _audit_status(pdf: bytes) -> str:
    """The 'Status: ...' line of the audit trail page (the last page)."""
    last = page_texts(pdf)[-1]
    return next((line.strip() for line in last.splitlines() if "Status" in line), "no status")


def run_tour(say: Say = print, *, seed: int = 7, documents: Path = DOCUMENTS) -> pd.DataFrame:
    """Run the tour, narrating through ``say``; return the events frame it collected.

    Raises :class:`FileNotFoundError` when the sample documents are not at ``documents``
    (they ship in the source tree, not in a wheel).
    """
    nda = documents / "nda-two-signers.pdf"
    malformed = documents / "malformed-tag.pdf"
    for path in (nda, malformed):
        if not path.exists():
            raise FileNotFoundError(f"sample document missing: {path} (run from a source checkout)")
    with (
        Emulator(
            seed=seed,
            start_time=DEFAULT_EPOCH,
            time_scale=0.01,
            processing_delay="uniform:20,40",
            file_prep_delay=30,
            name="tour",
        ) as emulator,
        Listener(api_keys=emulator.api_key, name="tour") as listener,
        Client(base_url=emulator.api_url, api_key=emulator.api_key) as api,
    ):
        emulator.callback_url = listener.url
        say("hsnb tour: a signature request's life, seen through its callbacks")
        say("(the built-in emulator on 127.0.0.1; 100x compressed time; verified event_hash)")

        _step(say, 1, "Create an embedded signature request with two signers")
        request = api.create_embedded(
            nda, SIGNERS, use_text_tags=True, title="Mutual NDA", test_mode=True
        )
        request_id = request.signature_request_id
        say(f"   200 OK at once: {request_id}. That only means 'accepted':")
        say("   the document is converted and its text tags checked after this answer.")

        _step(say, 2, "Ask for a sign URL too early")
        first_signer = request.signatures[0].signature_id
        try:
            api.sign_url(first_signer)
            say("   the emulator gave a sign URL before processing finished (unexpected)")
        except ApiError as error:
            say(f"   {error.status} {error.error_name}: {error.error_msg}")
        sent = listener.wait_for(
            "signature_request_sent", signature_request_id=request_id, timeout=_WAIT
        )
        say(f"   ...then wait for the callback: {sent.event_type} arrived; now the URL works:")
        api.sign_url(first_signer)
        say("   sign URL issued (valid for 60 minutes, and only once)")

        _step(say, 3, "A malformed text tag never gets 'sent'")
        broken = api.create_embedded(malformed, SIGNERS[:1], use_text_tags=True, title="Broken")
        error_event = listener.wait_for(
            "file_error", signature_request_id=broken.signature_request_id, timeout=_WAIT
        )
        failed = error_event.signature_request or {}
        codes = ", ".join(s["status_code"] for s in failed.get("signatures", []))
        say(f"   {error_event.event_type}: has_error={failed.get('has_error')},")
        say(f"   signer status_code={codes}; a sign URL for it would never work.")

        _step(say, 4, "The first signer signs; download too early")
        emulator.sign(first_signer)
        listener.wait_for(
            "signature_request_signed", signature_request_id=request_id, timeout=_WAIT
        )
        partial = api.files(request_id, wait=True, timeout=_WAIT)
        status = _audit_status(partial)
        say(f"   files before all_signed: a real PDF, but its audit page says '{status}'")

        _step(say, 5, "The second signer signs; wait for all_signed, then downloadable")
        emulator.sign(request.signatures[1].signature_id)
        listener.wait_for(
            "signature_request_all_signed", signature_request_id=request_id, timeout=_WAIT
        )
        try:
            api.files(request_id)
            say("   files were ready at once")
        except ApiError as error:
            say(f"   right after all_signed: {error.status} {error.error_name} (being prepared)")
        listener.wait_for(
            "signature_request_downloadable", signature_request_id=request_id, timeout=_WAIT
        )
        final = api.files(request_id)
        say(f"   after downloadable: {len(page_texts(final))} pages, '{_audit_status(final)}'")

        emulator.wait_settled(timeout=_WAIT)
        events = listener.events().sort_values(["event_time", "event_type"], ignore_index=True)
        deliveries = listener.deliveries()

    _step(say, 6, "Every callback, as the listener stored it")
    shown = events[["event_time", "title", "event_type", "signer_name", "deliveries", "verified"]]
    for line in shown.to_string(index=False).splitlines():
        say(f"   {line}")
    verdicts = deliveries["verdict"].value_counts()
    say(
        f"   {len(deliveries)} deliveries: {verdicts.get('accepted', 0)} accepted,"
        f" {verdicts.get('duplicate', 0)} duplicates, {verdicts.get('rejected', 0)} rejected"
    )
    say("")
    say("Next: the notebooks in notebooks/ (make lab) take each step slowly.")
    return events
