"""Who receives an event, and the payload each receiver gets (built as Dropbox Sign builds it).

An event about a signature request goes to the account callback URL and, when the request was
made with a ``client_id`` whose app has a callback URL, also to the app callback URL: two
separate POSTs (contested: the spec's texts imply both; a newer glossary says the app URL takes
priority: ``app_callbacks="app_only"``). The account delivery has ``reported_for_account_id``
set, the app delivery ``reported_for_app_id`` (as in the spec's two examples; the help centre's
sample also sets ``reported_for_account_id`` on app callbacks: ``app_callback_account_id``). See
:mod:`hsnb.emulator.service.profiles`. Both carry ``account_guid`` and
``client_id`` at the top level and are signed with the account's API key (UNCONFIRMED for app
callbacks: the app owner's key is the only key there is). ``callback_test`` payloads hold only
``event``, as the captured real ones do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hsnb.emulator.service.models import Account, ApiApp, EmittedEvent
from hsnb.events import ACCOUNT_CALLBACK, APP_CALLBACK
from hsnb.payloads import build_event_payload


@dataclass(frozen=True)
class Delivery:
    """One event for one callback URL; the dispatcher POSTs it until it is acknowledged.

    ``delay``: emulated seconds the service's queue holds it before the first attempt;
    ``raised_at``: emulated time its event was raised (with the fraction ``event_time`` drops).
    """

    delivery_id: int
    url: str
    payload: Mapping[str, Any] = field(repr=False)
    event_type: str
    event_time: int
    callback_type: str
    raised_at: float = 0.0
    signature_request_id: str | None = None
    related_signature_id: str | None = None
    delay: float = 0.0


def deliveries_for(
    event: EmittedEvent,
    account: Account,
    app: ApiApp | None,
    signature_request: Mapping[str, Any] | None,
    ids: Iterator[int],
    template: Mapping[str, Any] | None = None,
    *,
    app_only: bool = False,
    app_account_id: bool = False,
) -> list[Delivery]:
    """The deliveries of ``event``: account URL first, then the app URL (each only if set).

    ``signature_request`` or ``template``: the object attached to the payload. ``app_only``:
    when the app has a callback URL, the account URL gets nothing; ``app_account_id``: app
    deliveries carry ``reported_for_account_id`` too.
    """
    targets: list[tuple[str, str]] = []
    to_app = app is not None and bool(app.callback_url)
    if account.callback_url and not (app_only and to_app):
        targets.append((account.callback_url, ACCOUNT_CALLBACK))
    if to_app:
        targets.append((app.callback_url, APP_CALLBACK))
    if signature_request is not None:
        client_id = signature_request.get("client_id")
    else:
        client_id = app.client_id if app is not None and template is not None else None
    deliveries = []
    for url, callback_type in targets:
        is_app = callback_type == APP_CALLBACK
        payload = build_event_payload(
            event.event_type,
            event.event_time,
            account.api_key,
            signature_request=signature_request,
            template=template,
            related_signature_id=event.related_signature_id,
            reported_for_account_id=(
                account.account_id if (not is_app or app_account_id) else None
            ),
            reported_for_app_id=app.client_id if is_app and app else None,
            event_message=event.event_message,
            account_guid=account.account_id,
            client_id=client_id,
        )
        deliveries.append(_delivery(next(ids), url, payload, event, callback_type))
    return deliveries


def callback_test_delivery(
    url: str, event_time: int, account: Account, app: ApiApp | None, delivery_id: int
) -> Delivery:
    """The ``callback_test`` the dashboard's Test button sends to ``url`` (account or app)."""
    event = EmittedEvent("callback_test", event_time, None)
    payload = build_event_payload(
        event.event_type,
        event_time,
        account.api_key,
        reported_for_account_id=None if app else account.account_id,
        reported_for_app_id=app.client_id if app else None,
        include_top_level_ids=False,
    )
    return _delivery(delivery_id, url, payload, event, APP_CALLBACK if app else ACCOUNT_CALLBACK)


def _delivery(
    delivery_id: int, url: str, payload: dict[str, Any], event: EmittedEvent, kind: str
) -> Delivery:
    return Delivery(
        delivery_id=delivery_id,
        url=url,
        payload=payload,
        event_type=event.event_type,
        event_time=event.event_time,
        raised_at=event.event_time if event.raised_at is None else event.raised_at,
        callback_type=kind,
        signature_request_id=event.signature_request_id,
        related_signature_id=event.related_signature_id,
    )
