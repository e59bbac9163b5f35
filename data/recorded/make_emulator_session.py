"""Record ``emulator-walkthrough.jsonl``: one embedded signing session made against the emulator.

This file is NOT a recording of the real service: it is the emulator answering itself, shipped
so that the replay test has something to run and so that the format has an example. Run it
from the repository root after a change to the emulator's answers::

    .venv/bin/python data/recorded/make_emulator_session.py
"""

from __future__ import annotations

from pathlib import Path

from hsnb.client import ApiError, Client
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.listener import Listener
from hsnb.recorder import Recorder

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parent / "documents" / "nda-two-signers.pdf"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill.doe@corp.test")]
NOTE = (
    "Recorded against the hsnb emulator (seed 0), not the real Dropbox Sign API: "
    "an example of the format and a smoke test for replay. Regenerate with "
    "data/recorded/make_emulator_session.py."
)


def main(path: Path = HERE / "emulator-walkthrough.jsonl") -> Path:
    """Run the session and write it to ``path``."""
    settings = {"seed": 0, "start_time": DEFAULT_EPOCH, "time_scale": 1e-3}
    with (
        Listener(name="recording") as listener,
        Emulator(name="recording", processing_delay=2, file_prep_delay=1, **settings) as emulator,
        Client(base_url=emulator.api_url) as client,
        Recorder(path, source="emulator", note=NOTE) as recorder,
    ):
        recorder.attach(client).attach_listener(listener)
        client.update_account(callback_url=listener.url)
        client.get_account()
        sr = client.create_embedded(
            [DOCUMENT], SIGNERS, use_text_tags=True, title="NDA", metadata={"case": "42"}
        )
        request_id = sr.signature_request_id
        listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=10)
        client.get(request_id)
        client.sign_url(sr.signatures[0].signature_id)
        for signature in sr.signatures:
            emulator.sign(signature.signature_id)
        listener.wait_for(
            "signature_request_downloadable", signature_request_id=request_id, timeout=10
        )
        client.files(request_id)
        client.files(request_id, file_type="zip")
        client.files_as_data_uri(request_id)
        client.file_url(request_id)
        client.list_page(page_size=10)
        other = client.create_embedded([DOCUMENT], SIGNERS, use_text_tags=True, title="Other")
        other_id = other.signature_request_id
        listener.wait_for("signature_request_sent", signature_request_id=other_id, timeout=10)
        for call in (
            lambda: client.remind(other_id, SIGNERS[0][1]),
            lambda: client.get("0" * 40),
        ):
            try:
                call()
            except ApiError:
                pass
        client.cancel(other_id)
        listener.wait_for("signature_request_canceled", signature_request_id=other_id, timeout=10)
        try:
            client.get(other_id)
        except ApiError:
            pass
        app = client.create_api_app("Recorded app", ["example.com"], callback_url=listener.url)
        client.get_api_app(app.client_id)
        client.update_api_app(app.client_id, name="Renamed app")
        client.delete_api_app(app.client_id)
        emulator.wait_settled(5)
    return path


if __name__ == "__main__":
    print(main())
