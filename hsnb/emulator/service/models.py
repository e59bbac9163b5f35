"""The emulator's state: accounts, API apps, signature requests and signers, as plain classes.

The rules that change this state live in :mod:`hsnb.emulator.service.backend`; the life cycles in
:mod:`hsnb.emulator.service.lifecycle`; the JSON shapes in :mod:`hsnb.emulator.service.serializers`.
Nothing here does I/O or imports tornado.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hsnb.emulator.service.lifecycle import RequestState, SignerStatus, TemplateState
from hsnb.emulator.service.parsing import UploadedFile

if TYPE_CHECKING:
    from hsnb.emulator.service.documents import SourceDocument
    from hsnb.emulator.service.signed_copies import AuditEntry


@dataclass
class ApiKey:
    """One of an account's API keys (up to four): every key authenticates; the primary one
    signs ``event_hash``. ``api_key_id`` is 40 hex; ``secret`` is the key itself."""

    api_key_id: str
    name: str
    secret: str = field(repr=False)
    is_primary: bool
    created_at: int
    updated_at: int
    last_used_at: int | None = None


@dataclass
class Account:
    """The emulated account: its API keys, optional OAuth tokens and account callback URL.

    ``api_key`` is the primary key's secret (it signs callbacks); ``keys`` every key.
    """

    account_id: str
    email_address: str
    api_key: str = field(repr=False)
    access_tokens: set[str] = field(default_factory=set, repr=False)
    callback_url: str | None = None
    locale: str = "en-US"
    keys: list[ApiKey] = field(default_factory=list, repr=False)


@dataclass
class ApiApp:
    """An API app (``client_id``), with its own callback URL."""

    client_id: str
    name: str
    domains: list[str]
    owner_account_id: str
    owner_email_address: str
    created_at: int
    callback_url: str | None = None
    is_approved: bool = False
    oauth: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=lambda: {"can_insert_everywhere": False})
    white_labeling_options: dict[str, Any] | None = None


@dataclass
class Signer:
    """One signer of a signature request (one ``signatures[]`` entry).

    ``index``: the signer's position, which text tag ``signerN`` names (N = index + 1); for
    ``grouped_signers`` its group's position, shared by every member of ``group`` (whose
    ``signatures[]`` entries carry ``group_guid`` as ``signer_group_guid``).
    """

    signature_id: str
    index: int
    name: str
    email_address: str
    order: int | None
    has_pin: bool = False
    sms_phone_number: str | None = None
    sms_phone_number_type: str | None = None
    status: SignerStatus = SignerStatus.AWAITING_SIGNATURE
    signed_at: int | None = None
    last_viewed_at: int | None = None
    last_reminded_at: int | None = None
    decline_reason: str | None = None
    error: str | None = None
    pending_action: str | None = None
    role: str | None = None
    group: str | None = None
    group_guid: str | None = None


@dataclass
class SignatureRequest:
    """A signature request: what was asked, its documents, signers, state and audit trail.

    ``uploads``: the documents as files; with ``file_urls`` empty until processing downloaded
    them. ``version`` counts changes (copies are cached per version); ``preparing`` counts file
    versions being prepared (files answer 409 while it is above zero or while processing).
    ``ordered``: some signer was given an ``order``, so signers sign in that order (a signer
    without one has its position in ``signers`` as its order).
    """

    signature_request_id: str
    account_id: str
    requester_email_address: str
    created_at: int
    is_embedded: bool
    signers: list[Signer]
    uploads: list[UploadedFile] = field(repr=False)
    file_urls: list[str] = field(default_factory=list, repr=False)
    client_id: str | None = None
    title: str | None = None
    subject: str | None = None
    message: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    cc_email_addresses: list[str] = field(default_factory=list)
    signing_redirect_url: str | None = None
    expires_at: int | None = None
    test_mode: bool = False
    use_text_tags: bool = False
    hide_text_tags: bool = False
    allow_decline: bool = False
    ignore_tag_errors: bool = False
    ordered: bool = False
    signer_experience: dict[str, Any] | None = None
    state: RequestState = RequestState.PROCESSING
    documents: tuple[SourceDocument, ...] = field(default=(), repr=False)
    audit: list[AuditEntry] = field(default_factory=list, repr=False)
    response_data: list[dict[str, Any]] = field(default_factory=list, repr=False)
    warnings: list[dict[str, str]] = field(default_factory=list)
    preparing: int = 0
    version: int = 0
    sequence: int = 0
    template_ids: list[str] | None = None

    @property
    def is_complete(self) -> bool:
        """Every signer signed."""
        return self.state is RequestState.COMPLETE

    @property
    def is_declined(self) -> bool:
        """A signer declined."""
        return self.state is RequestState.DECLINED

    @property
    def has_error(self) -> bool:
        """Processing failed (file or text tag error)."""
        return self.state is RequestState.ERROR

    @property
    def files_busy(self) -> bool:
        """Whether a version of the files is being prepared (files answer 409)."""
        return self.state is RequestState.PROCESSING or self.preparing > 0

    def signer(self, signature_id: str) -> Signer | None:
        """The signer with ``signature_id``, if any."""
        return next((s for s in self.signers if s.signature_id == signature_id), None)

    @property
    def positions(self) -> int:
        """How many signing positions there are: signers, or groups of ``grouped_signers``."""
        return len({s.index for s in self.signers})

    def position_signed(self, index: int) -> bool:
        """Whether position ``index`` has signed (for a group: any one of its members)."""
        return any(s.index == index and s.status is SignerStatus.SIGNED for s in self.signers)

    @property
    def all_positions_signed(self) -> bool:
        """Whether every signer, or one member of every group, signed."""
        return all(self.position_signed(i) for i in {s.index for s in self.signers})


@dataclass
class Template:
    """A template: documents with text tags naming roles by position (``signerN`` is the Nth
    of ``signer_roles``), checked once while ``state`` is ``"processing"``; then ``"ready"``
    (``template_created``) or ``"error"`` (``template_error``, ``error`` says why).

    ``signer_roles``: ``{"name", "order"}`` dicts; ``form_fields``: the
    ``form_fields_per_document`` entries as given (shown, not drawn on copies).
    """

    template_id: str
    account_id: str
    created_at: int
    signer_roles: list[dict[str, Any]]
    uploads: list[UploadedFile] = field(repr=False)
    file_urls: list[str] = field(default_factory=list, repr=False)
    cc_roles: list[str] = field(default_factory=list)
    client_id: str | None = None
    title: str | None = None
    subject: str | None = None
    message: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    test_mode: bool = False
    form_fields: list[dict[str, Any]] = field(default_factory=list, repr=False)
    state: TemplateState = TemplateState.PROCESSING
    error: str | None = None
    updated_at: int = 0
    documents: tuple[SourceDocument, ...] = field(default=(), repr=False)
    sequence: int = 0


@dataclass
class SignUrl:
    """An embedded sign URL: usable once, until ``expires_at``."""

    token: str
    signature_id: str
    expires_at: int
    used: bool = False


@dataclass
class FileLink:
    """A ``files_as_file_url`` link: a snapshot of the PDF, served without auth until it expires."""

    token: str
    data: bytes = field(repr=False)
    filename: str
    expires_at: int
    inline: bool = False


@dataclass(frozen=True)
class EmittedEvent:
    """An event the emulated service raised (before it is delivered to any callback URL)."""

    event_type: str
    event_time: int
    signature_request_id: str | None
    related_signature_id: str | None = None
    event_message: str | None = None
    #: Emulated time the event was raised, to the fraction (``event_time`` is whole seconds).
    raised_at: float | None = None
