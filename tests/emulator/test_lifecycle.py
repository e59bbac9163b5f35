"""The declared life-cycle transitions."""

from __future__ import annotations

import pytest

from hsnb.emulator.lifecycle import (
    REQUEST_TRANSITIONS,
    InvalidTransition,
    RequestState,
    SignerStatus,
    request_step,
    signer_step,
)


@pytest.mark.parametrize(("current", "target"), list(REQUEST_TRANSITIONS))
def test_declared_request_transitions_are_allowed(current, target):
    assert request_step(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestState.COMPLETE, RequestState.CANCELED),
        (RequestState.CANCELED, RequestState.AWAITING_SIGNATURE),
        (RequestState.PROCESSING, RequestState.COMPLETE),
        (RequestState.ERROR, RequestState.AWAITING_SIGNATURE),
    ],
)
def test_undeclared_request_transitions_raise_conflict(current, target):
    with pytest.raises(InvalidTransition, match=f"from {current} to {target}") as info:
        request_step(current, target)
    assert info.value.error_name == "conflict"


def test_a_signer_cannot_sign_twice():
    with pytest.raises(InvalidTransition, match="from signed to signed"):
        signer_step(SignerStatus.SIGNED, SignerStatus.SIGNED)
