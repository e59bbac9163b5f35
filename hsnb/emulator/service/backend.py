"""The emulated Dropbox Sign service: one :class:`Backend` holds all state of one emulator.

It changes that state only through its methods, each of which raises an
:class:`~hsnb.errors.ApiError` the way the real API answers. Events are handed to the ``outbox`` as
:class:`~hsnb.emulator.service.callbacks.Delivery` objects; delayed work (document processing, a
signer's time, file preparation, cancellation, expiry) is scheduled on the
:class:`~hsnb.emulator.service.clock.Clock`; ``file_urls`` are downloaded by the injected
``fetcher``.

The backend is its parts, each in its own module and owning its own state, on the shared API of
:class:`~hsnb.emulator.service.core.ServiceCore`:

* :class:`~hsnb.emulator.service.accounts.AccountsMixin`: authentication, the account, its API apps;
* :class:`~hsnb.emulator.service.requests.RequestsMixin`: create, get, list, cancel, remind, expiry;
* :class:`~hsnb.emulator.service.processing.ProcessingMixin`: documents after create, up to
  ``sent``;
* :class:`~hsnb.emulator.service.signing.SigningMixin`: what a person does, sign URLs, the sign
  page;
* :class:`~hsnb.emulator.service.files.FilesMixin`: copies of the documents, file links;
* :class:`~hsnb.emulator.service.templates.TemplatesMixin`: templates and requests made from them.

One account per emulator (its API key also works as a Bearer token, as does
:attr:`Backend.access_token`). Not implemented: embedded templates, unclaimed drafts, bulk send,
``signature_request/update``, ``release_hold``, ``remove``, teams, reports, faxes,
reassignment.
"""

from __future__ import annotations

from hsnb.emulator.service.accounts import AccountsMixin
from hsnb.emulator.service.signing import SigningMixin
from hsnb.emulator.service.templates import TemplatesMixin


class Backend(AccountsMixin, TemplatesMixin, SigningMixin):
    """All state and rules of one emulated service (see the module docstring; the constructor's
    arguments are :class:`~hsnb.emulator.service.core.ServiceCore`'s)."""
