"""The declared life-cycle transitions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hsnb.emulator.service.lifecycle import (
    REQUEST_TRANSITIONS,
    InvalidTransition,
    RequestState,
    SignerStatus,
    TemplateState,
    move,
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


def test_move_checks_and_takes_a_step_in_one_call():
    signer = SimpleNamespace(status=SignerStatus.AWAITING_SIGNATURE)
    assert move(signer, SignerStatus.SIGNED) == "signed"
    assert signer.status is SignerStatus.SIGNED
    request = SimpleNamespace(state=RequestState.PROCESSING)
    assert move(request, RequestState.AWAITING_SIGNATURE) == "sent"
    assert request.state is RequestState.AWAITING_SIGNATURE


def test_a_refused_move_changes_nothing():
    request = SimpleNamespace(state=RequestState.COMPLETE)
    with pytest.raises(InvalidTransition, match="from complete to canceled"):
        move(request, RequestState.CANCELED)
    assert request.state is RequestState.COMPLETE


@pytest.mark.parametrize("target", [TemplateState.READY, TemplateState.ERROR])
def test_a_template_is_checked_once(target):
    template = SimpleNamespace(state=TemplateState.PROCESSING)
    move(template, target)
    with pytest.raises(InvalidTransition, match=f"A template cannot go from {target}"):
        move(template, TemplateState.READY)
