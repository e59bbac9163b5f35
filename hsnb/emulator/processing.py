"""Document processing after create/send: ``signature_request_sent``, or the error event.

Part of :class:`~hsnb.emulator.backend.Backend` (a mixin, to keep each file to one job). The
create call schedules :meth:`ProcessingMixin._process` after the drawn ``processing_delay``
(emulated seconds); then:

1. an injected ``processing`` fault fails the request with its event;
2. with ``file_urls``, the documents are downloaded first, by the injected
   :class:`~hsnb.emulator.sources.Fetcher` (:class:`hsnb.emulator.fetch.HttpFetcher` in a
   running emulator; ``data:`` URLs are decoded at once). Processing goes on when the fetcher
   calls back, in real time: a download does not move the emulated clock. A URL that cannot be
   used ends processing with ``file_error`` whose ``event_message`` says which URL and why
   (``could not download file_urls[0] (https://...): HTTP 404 Not Found``);
3. every document is read (:func:`hsnb.emulator.documents.load_document`): one that is not a
   readable PDF or text gives ``file_error``; a conversion bug gives ``unknown_error``;
4. with ``use_text_tags``, tags are checked (``check_tags``): a malformed or mismatched tag gives
   ``text_tag_error_event`` unless ``ignore_text_tags_extraction_errors`` is set;
5. otherwise the request is sent: ``signature_request_sent``.

A failure sets ``has_error``, every signer's ``status_code`` (``error_file`` for file problems,
``error_text_tag`` for tags) and ``error``, and the event's ``event_message``.

UNCONFIRMED (see :mod:`hsnb.emulator.sources`): the real service's event and wording for a URL
it cannot use. Not implemented: the ``non_pdf_text_tags`` warning for fetched files (the
create answer comes before the download).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hsnb.emulator import documents as docs
from hsnb.emulator.lifecycle import RequestState, SignerStatus, request_step, signer_step
from hsnb.emulator.sources import Fetched, source_label

if TYPE_CHECKING:
    from hsnb.emulator.backend import Backend
    from hsnb.emulator.models import SignatureRequest

_ERROR_STATUS = {
    "file_error": SignerStatus.ERROR_FILE,
    "signature_request_invalid": SignerStatus.ERROR_TEXT_TAG,
    "unknown_error": SignerStatus.ERROR_UNKNOWN,
}


class ProcessingMixin:
    """Processing of a new request's documents (see the module docstring)."""

    def _process(self: Backend, request_id: str) -> None:
        sr = self.requests.get(request_id)
        if sr is None or sr.state is not RequestState.PROCESSING:
            return
        fault = self.faults.take("processing", request_id)
        if fault is not None:
            self._fail(sr, fault.action, _ERROR_STATUS[fault.action], "Injected fault.")
            return
        if sr.file_urls:
            self.fetcher.start(sr.file_urls, lambda fetched: self._fetched(sr, fetched))
            return
        self._convert(sr)

    def _fetched(self: Backend, sr: SignatureRequest, fetched: Fetched) -> None:
        """Go on with processing once the ``file_urls`` are downloaded (or could not be)."""
        current = self.requests.get(sr.signature_request_id)
        if current is not sr or sr.state is not RequestState.PROCESSING:
            return  # reset (or otherwise gone) while downloading
        if fetched.error is not None:
            self._fail(sr, "file_error", SignerStatus.ERROR_FILE, fetched.error)
            return
        sr.uploads = list(fetched.files)
        self._convert(sr)

    def _convert(self: Backend, sr: SignatureRequest) -> None:
        """Read the documents, check the tags, and send the request or fail it."""
        documents = []
        for index, upload in enumerate(sr.uploads):
            try:
                documents.append(
                    docs.load_document(upload.filename, upload.data, use_text_tags=sr.use_text_tags)
                )
            except docs.DocumentError as exc:
                message = str(exc)
                if sr.file_urls:
                    message = f"could not convert {source_label(index, sr.file_urls[index])}: "
                    message += exc.reason
                self._fail(sr, "file_error", SignerStatus.ERROR_FILE, message)
                return
            except Exception as exc:  # a conversion bug must still end the request
                message = f"Unexpected error while processing: {exc}"
                self._fail(sr, "unknown_error", SignerStatus.ERROR_UNKNOWN, message)
                return
        sr.documents = tuple(documents)
        problems = docs.check_tags(sr.documents, len(sr.signers)) if sr.use_text_tags else []
        if problems and not sr.ignore_tag_errors:
            event_type = self.config.text_tag_error_event
            self._fail(sr, event_type, SignerStatus.ERROR_TEXT_TAG, problems[0].message)
            return
        request_step(sr.state, RequestState.AWAITING_SIGNATURE)
        sr.state = RequestState.AWAITING_SIGNATURE
        self._audit(sr, "sent", "requester")
        self._emit("signature_request_sent", sr)

    def _fail(
        self: Backend, sr: SignatureRequest, event_type: str, status: SignerStatus, message: str
    ) -> None:
        request_step(sr.state, RequestState.ERROR)
        sr.state = RequestState.ERROR
        for signer in sr.signers:
            signer_step(signer.status, status)
            signer.status = status
            signer.error = message
        self._audit(sr, f"failed: {message}", "Dropbox Sign")
        self._emit(event_type, sr, message=message)
