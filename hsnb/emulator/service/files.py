"""Copies of a signature request's documents: the files endpoints and ``files_as_file_url`` links.

Part of the :class:`~hsnb.emulator.service.backend.Backend` (see :mod:`hsnb.emulator.service.core`).
409 ``conflict`` while a version is being prepared (during processing and for ``file_prep_delay``
after each signature), otherwise the *current* documents as a real PDF (or zip) with an audit page.
Memory stays bounded: copies are cached per version, for the :data:`MAX_CACHED_COPIES` most
recently used only; a file link's snapshot is dropped once the link expires.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from typing import Any

from hsnb.emulator.service import signed_copies as copies
from hsnb.emulator.service.core import ServiceCore
from hsnb.emulator.service.lifecycle import AUDIT_STATUS, RequestState, SignerStatus
from hsnb.emulator.service.models import FileLink, SignatureRequest
from hsnb.errors import BadRequest, Conflict, Deleted, NotFound

#: How many rendered copies (a request's PDF or zip at one version) are kept for reuse.
MAX_CACHED_COPIES = 16
#: UNCONFIRMED: the real 409 text for files being prepared is not documented.
FILES_BUSY_MSG = "The files are being prepared. Please try again later."


class FilesMixin(ServiceCore):
    """The files endpoints and file links (see the module docstring)."""

    file_links: dict[str, FileLink]

    def _fresh_state(self) -> None:
        super()._fresh_state()
        self.file_links = {}
        self._copies: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()

    def files(
        self, account: Any, request_id: str, file_type: str = "pdf"
    ) -> tuple[bytes, str, str]:
        """The current copy as ``(data, content_type, filename)``; 409 while one is prepared.

        UNCONFIRMED: a request whose processing failed has no files; the emulator answers 404.
        """
        if file_type not in ("pdf", "zip"):
            raise BadRequest("file_type must be pdf or zip.", error_path="file_type")
        sr = self.get_signature_request(account, request_id)
        if sr.files_busy:
            raise Conflict(FILES_BUSY_MSG)
        if sr.state is RequestState.ERROR:
            raise NotFound("This signature request has no files: its documents failed processing.")
        content_type = "application/pdf" if file_type == "pdf" else "application/zip"
        return self._copy(sr, file_type), content_type, f"{request_id}.{file_type}"

    def files_data_uri(self, account: Any, request_id: str) -> str:
        """The current PDF as a ``data:application/pdf;base64,...`` URI."""
        data, _, _ = self.files(account, request_id, "pdf")
        return "data:application/pdf;base64," + base64.b64encode(data).decode()

    def files_link(self, account: Any, request_id: str, force_download: bool = True) -> FileLink:
        """A temporary link to a snapshot of the current PDF (``files_as_file_url``)."""
        data, _, filename = self.files(account, request_id, "pdf")
        now = self.clock.timestamp()
        for token in [t for t, old in self.file_links.items() if now > old.expires_at]:
            del self.file_links[token]  # expired: its snapshot is released
        link = FileLink(
            token=self.random.token(),
            data=data,
            filename=filename,
            expires_at=self.clock.timestamp() + int(self.config.file_url_ttl),
            inline=not force_download,
        )
        self.file_links[link.token] = link
        return link

    def open_file_link(self, token: str) -> FileLink:
        """The snapshot behind a file link (404 unknown, 410 expired)."""
        link = self.file_links.get(token)
        if link is None:
            raise NotFound("This file link is not valid.")
        if self.clock.timestamp() > link.expires_at:
            raise Deleted("This file link has expired.")
        return link

    def _copy(self, sr: SignatureRequest, kind: str) -> bytes:
        key = (sr.signature_request_id, kind)
        cached = self._copies.get(key)
        if cached is not None and cached[0] == sr.version:
            self._copies.move_to_end(key)
            return cached[1]
        marks = [
            copies.SignatureMark(s.index + 1, s.name, s.email_address, s.signed_at or 0)
            for s in sr.signers
            if s.status is SignerStatus.SIGNED
        ]
        audit = copies.AuditTrail(
            sr.title or "Signature request",
            sr.signature_request_id,
            AUDIT_STATUS[sr.state],
            tuple(sr.audit),
        )
        render = copies.render_copy if kind == "pdf" else copies.render_zip
        data = render(sr.documents, marks, audit)
        self._copies[key] = (sr.version, data)
        self._copies.move_to_end(key)
        while len(self._copies) > MAX_CACHED_COPIES:
            self._copies.popitem(last=False)
        return data
