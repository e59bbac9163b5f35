"""The integration's business code: send an NDA and fetch the signed copy with the official SDK.

Written for production: the SDK's default host (``https://api.hellosign.com/v3``) and the key
from ``DROPBOX_SIGN_API_KEY``. Nothing here knows about tests or hsnb.
"""

from __future__ import annotations

import os
from pathlib import Path

from dropbox_sign import ApiClient, Configuration, apis, models

NDA = Path(__file__).with_name("nda.txt")


def _client() -> ApiClient:
    return ApiClient(Configuration(username=os.environ["DROPBOX_SIGN_API_KEY"]))


def send_nda(signers: list[tuple[str, str]], *, title: str = "Mutual NDA") -> str:
    """Send the NDA to ``signers`` (name, email); return the signature request id."""
    with _client() as client, NDA.open("rb") as document:
        request = models.SignatureRequestSendRequest(
            title=title,
            files=[document],
            signers=[
                models.SubSignatureRequestSigner(name=name, email_address=email, order=order)
                for order, (name, email) in enumerate(signers)
            ],
            test_mode=True,
        )
        sent = apis.SignatureRequestApi(client).signature_request_send(request)
    return sent.signature_request.signature_request_id


def download_signed(signature_request_id: str, folder: Path) -> Path:
    """Save the request's current PDF as ``folder/<id>.pdf`` (complete when it appears)."""
    with _client() as client:
        pdf = apis.SignatureRequestApi(client).signature_request_files(
            signature_request_id, file_type="pdf"
        )
    target = folder / f"{signature_request_id}.pdf"
    partial = target.with_suffix(".part")
    partial.write_bytes(pdf.read())
    return partial.replace(target)
