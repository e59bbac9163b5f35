"""Helpers for the emulator tests: sample documents, a backend on a manual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hsnb import testing
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.callbacks import Delivery
from hsnb.emulator.service.clock import DEFAULT_EPOCH, Clock
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.ids import Randomness
from hsnb.emulator.service.parsing import UploadedFile

#: hsnb.testing's fast settings, for emulators a test makes itself (named "tests").
FAST: dict[str, Any] = {**testing.FAST, "name": "tests"}
DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
CALLBACK = "http://127.0.0.1:9/callback"


def document(name: str) -> bytes:
    """The bytes of a sample document from data/documents."""
    return (DOCUMENTS / name).read_bytes()


def upload(name: str = "nda-two-signers.pdf") -> UploadedFile:
    """A sample document as an upload."""
    return UploadedFile(name, document(name), "application/pdf")


def signers(count: int = 2) -> list[dict[str, str]]:
    """``count`` signers with distinct names and addresses."""
    names = ["Jack", "Jill", "Joe", "Jane"]
    return [{"name": n, "email_address": f"{n.lower()}@example.com"} for n in names[:count]]


class Harness:
    """A backend on a manual clock (timers fire only on ``advance``) that records deliveries."""

    def __init__(self, seed: int = 0, **config: Any) -> None:
        config.setdefault("processing_delay", 2)
        config.setdefault("file_prep_delay", 0)
        self.clock = Clock(DEFAULT_EPOCH, time_scale=None)
        self.deliveries: list[Delivery] = []
        self.backend = Backend(
            EmulatorConfig(**config),
            clock=self.clock,
            randomness=Randomness(seed),
            callback_url=CALLBACK,
            outbox=self.deliveries.append,
        )
        self.account = self.backend.account

    def create(self, document_name: str | None = None, count: int = 2, **params: Any):
        """create_embedded (or send, ``embedded=False``) with a sample and ``count`` signers."""
        document_name = document_name or ("one-signer.pdf" if count == 1 else "nda-two-signers.pdf")
        params.setdefault("use_text_tags", True)
        body = {
            "client_id": self.backend.default_app.client_id,
            "files": [upload(document_name)],
            "signers": signers(count),
            "title": "NDA",
            **params,
        }
        embedded = body.pop("embedded", True)
        return self.backend.create_signature_request(self.account, body, embedded=embedded)

    def sent(self, **kwargs: Any):
        """A request that finished processing."""
        sr = self.create(**kwargs)
        self.clock.advance(60)
        return sr

    def types(self, request_id: str | None = None) -> list[str]:
        """Event types delivered so far (to the account URL), optionally for one request."""
        return [
            d.event_type
            for d in self.deliveries
            if d.callback_type == "account_callback"
            and (request_id is None or d.signature_request_id == request_id)
        ]


def create_form(client_id: str, document_name: str = "nda-two-signers.pdf", count: int = 2) -> dict:
    """``requests`` keyword arguments for create_embedded in bracket multipart (curl style)."""
    data: dict[str, str] = {"client_id": client_id, "use_text_tags": "1", "title": "NDA"}
    for i, signer in enumerate(signers(count)):
        data[f"signers[{i}][name]"] = signer["name"]
        data[f"signers[{i}][email_address]"] = signer["email_address"]
    files = {"files[0]": (document_name, document(document_name), "application/pdf")}
    return {"data": data, "files": files}
