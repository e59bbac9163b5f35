"""Document processing after create/send: ``signature_request_sent``, or the error event.

Part of the :class:`~hsnb.emulator.service.backend.Backend` (see :mod:`hsnb.emulator.service.core`).
The create call schedules :meth:`ProcessingMixin._timer_process` after the drawn
``processing_delay`` (emulated seconds); then (steps 2 and 3 are :func:`load_documents`, which
templates share):

1. an injected ``processing`` fault fails the request with its event;
2. with ``file_urls``, the documents are downloaded first, by the injected
   :class:`~hsnb.emulator.service.file_urls.Fetcher`
   (:class:`hsnb.emulator.http.outbound.HttpFetcher` in a running emulator; ``data:`` URLs are
   decoded at once). Processing goes on when the fetcher calls back, in real time: a download does
   not move the emulated clock. A URL that cannot be used ends processing with ``file_error`` whose
   ``event_message`` says which URL and why (``could not download file_urls[0] (https://...): HTTP
   404 Not Found``);
3. every document is read (:func:`hsnb.emulator.service.documents.load_document`): one that is not a
   readable PDF or text gives ``file_error``; a conversion bug gives ``unknown_error``;
4. with ``use_text_tags``, tags are checked (``check_tags``): a malformed tag gives ``file_error``
   and a tag for a signer the request lacks ``signature_request_invalid`` ("depending on the
   reason", the help centre; :func:`tag_error_event`, setting ``text_tag_error_event``), unless
   ``ignore_text_tags_extraction_errors`` is set;
5. otherwise the request is sent: ``signature_request_sent``.

Once processing ends the uploads are released (a request keeps only its read documents, which its
copies need; a failed one keeps nothing). A failure sets ``has_error``, every signer's
``status_code`` (``error_file`` for file problems,
``error_text_tag`` for tags) and ``error``, and the event's ``event_message``.

UNCONFIRMED (see :mod:`hsnb.emulator.service.file_urls`): the real service's event and wording for a
URL it cannot use. Not implemented: the ``non_pdf_text_tags`` warning for fetched files (the create
answer comes before the download).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hsnb.emulator.service import documents as docs
from hsnb.emulator.service.core import REQUESTER, SERVICE, ServiceCore
from hsnb.emulator.service.file_urls import Fetched, Fetcher, source_label
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus, move
from hsnb.emulator.service.models import SignatureRequest
from hsnb.emulator.service.parsing import UploadedFile
from hsnb.emulator.service.workers import Job, Worker

_ERROR_STATUS = {
    "file_error": SignerStatus.ERROR_FILE,
    "signature_request_invalid": SignerStatus.ERROR_TEXT_TAG,
    "unknown_error": SignerStatus.ERROR_UNKNOWN,
}


@dataclass(frozen=True)
class Loaded:
    """The documents of a request or template, read; or the event and message of why not.

    ``failure`` is ``("file_error", message)`` for a file that could not be downloaded or read,
    ``("unknown_error", message)`` for a conversion bug, ``None`` on success.
    """

    uploads: tuple[UploadedFile, ...] = ()
    documents: tuple[docs.SourceDocument, ...] = ()
    failure: tuple[str, str] | None = None


def load_documents(
    fetcher: Fetcher,
    worker: Worker,
    uploads: Sequence[UploadedFile],
    file_urls: Sequence[str],
    *,
    use_text_tags: bool,
    done: Callable[[Loaded], None],
) -> Job[Loaded] | None:
    """Download ``file_urls`` (if given, by ``fetcher``), read every document (on ``worker``,
    off the loop), call ``done``.

    The one loading path of signature requests and templates. ``done`` is called once, maybe
    before this returns (an inline worker), else on the loop when the work ends (never when it
    is cancelled). Returns the reading job for uploads (``None`` while ``file_urls`` are
    downloaded).
    """
    if not file_urls:
        files = list(uploads)
        return worker.run(lambda: _read(files, (), use_text_tags), done)

    def fetched(result: Fetched) -> None:
        if result.error is not None:
            done(Loaded(failure=("file_error", result.error)))
        else:
            files = list(result.files)
            worker.run(lambda: _read(files, file_urls, use_text_tags), done)

    fetcher.start(file_urls, fetched)
    return None


def _read(uploads: list[UploadedFile], file_urls: Sequence[str], use_text_tags: bool) -> Loaded:
    documents = []
    for index, upload in enumerate(uploads):
        try:
            documents.append(
                docs.load_document(upload.filename, upload.data, use_text_tags=use_text_tags)
            )
        except docs.DocumentError as exc:
            message = str(exc)
            if file_urls:
                message = f"could not convert {source_label(index, file_urls[index])}: {exc.reason}"
            return Loaded(failure=("file_error", message))
        except Exception as exc:  # a conversion bug must still end the request
            return Loaded(failure=("unknown_error", f"Unexpected error while processing: {exc}"))
    return Loaded(tuple(uploads), tuple(documents))


def tag_error_event(setting: str, kind: str) -> str:
    """The event a text tag problem of ``kind`` causes under ``text_tag_error_event``.

    >>> tag_error_event("by_reason", "malformed"), tag_error_event("by_reason", "signer_mismatch")
    ('file_error', 'signature_request_invalid')
    """
    if setting != "by_reason":
        return setting
    return "signature_request_invalid" if kind == "signer_mismatch" else "file_error"


class _Reading:
    """Uploads being read ahead of their processing timer."""

    def __init__(self) -> None:
        self.result: Loaded | None = None
        self.job: Job[Loaded] | None = None
        self.due = False


class ProcessingMixin(ServiceCore):
    """Processing of a new request's documents (see the module docstring)."""

    _reading: dict[str, _Reading]

    def _fresh_state(self) -> None:
        super()._fresh_state()
        self._reading = {}

    def resume_processing(self) -> None:
        """Read ahead the uploads of every request still processing (a loaded state: its
        processing timers are pending, the reading was not saved)."""
        for sr in self.requests.values():
            if sr.state is RequestState.PROCESSING:
                self._read_ahead(sr)

    def _read_ahead(self, sr: SignatureRequest) -> None:
        """Start reading a new request's uploads now, on the worker: the CPU time passes while
        the processing timer runs, so it does not hold the loop that keeps emulated time
        (``file_urls`` are downloaded when processing starts, as the service does)."""
        if sr.file_urls:
            return
        reading = self._reading[sr.signature_request_id] = _Reading()

        def read(loaded: Loaded) -> None:
            reading.result = loaded
            if reading.due:
                self._loaded(sr, loaded)

        reading.job = load_documents(
            self.fetcher, self.worker, sr.uploads, (), use_text_tags=sr.use_text_tags, done=read
        )

    def _timer_process(self, request_id: str) -> None:
        sr = self.requests.get(request_id)
        if sr is None or sr.state is not RequestState.PROCESSING:
            return
        fault = self.faults.take("processing", request_id)
        if fault is not None:
            self._reading.pop(request_id, None)
            self._fail(sr, fault.action, _ERROR_STATUS[fault.action], "Injected fault.")
            return
        reading = self._reading.get(request_id)
        if reading is not None and reading.job is not None:
            if reading.result is not None:
                self._loaded(sr, reading.result)
            elif self.clock.time_scale is None and not self.clock.virtual:
                # A clock moved by hand: advance() means "processing is over", so wait here.
                self._loaded(sr, reading.job.wait())
            else:
                # Still being read (slower in real time than the whole delay): go on when
                # done, holding nothing else back.
                reading.due = True
            return
        load_documents(
            self.fetcher,
            self.worker,
            sr.uploads,
            sr.file_urls,
            use_text_tags=sr.use_text_tags,
            done=lambda loaded: self._loaded(sr, loaded),
        )

    def _loaded(self, sr: SignatureRequest, loaded: Loaded) -> None:
        """Check the tags, and send the request or fail it."""
        if self.requests.get(sr.signature_request_id) is not sr:
            return  # reset (or otherwise gone) while downloading
        self._reading.pop(sr.signature_request_id, None)
        if sr.state is not RequestState.PROCESSING:
            return
        if loaded.failure is not None:
            event_type, message = loaded.failure
            self._fail(sr, event_type, _ERROR_STATUS[event_type], message)
            return
        sr.uploads = []  # released: the documents hold what copies and signing need
        sr.documents = loaded.documents
        problems = docs.check_tags(sr.documents, sr.positions) if sr.use_text_tags else []
        if problems and not sr.ignore_tag_errors:
            event_type = tag_error_event(self.config.text_tag_error_event, problems[0].kind)
            self._fail(sr, event_type, SignerStatus.ERROR_TEXT_TAG, problems[0].message)
            return
        move(sr, RequestState.AWAITING_SIGNATURE)
        self.audit(sr, "sent", REQUESTER)
        self.emit("signature_request_sent", request=sr)

    def _fail(
        self, sr: SignatureRequest, event_type: str, status: SignerStatus, message: str
    ) -> None:
        move(sr, RequestState.ERROR)
        sr.uploads, sr.documents = [], ()  # an errored request never has files
        for signer in sr.signers:
            move(signer, status)
            signer.error = message
        self.audit(sr, f"failed: {message}", SERVICE)
        self.emit(event_type, request=sr, message=message)
