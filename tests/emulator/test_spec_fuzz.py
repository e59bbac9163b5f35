"""A bounded property-based run (schemathesis) over every emulated operation of the official spec.

Schemathesis generates requests from the spec (valid ones, and on a second pass invalid ones) and
checks each answer: never a 5xx, a status the operation documents, the documented content type,
and a body valid against the documented schema (``ErrorResponse`` for the 4xx). Generation is
bounded (``max_examples`` per operation, derandomised), so the run is the same every time and
takes a few seconds. The spec is loosened only where its own examples contradict it (see
:data:`tests.emulator.openapi_spec.EXAMPLE_OVERRIDES`).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from hsnb.emulator import Emulator
from hsnb.emulator.service.operations import EMULATED
from tests.emulator import openapi_spec
from tests.emulator.helpers import FAST

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 10


def _spec_following_examples() -> dict:
    raw = copy.deepcopy(openapi_spec.spec())
    schemas = raw["components"]["schemas"]
    for dotted in openapi_spec.EXAMPLE_OVERRIDES:
        schema, prop = dotted.split(".")
        target = schemas[schema]["properties"][prop]
        target.pop("$ref", None)
        target.update({"nullable": True} if "integer" in str(target.get("type")) else {})
        if prop == "rule":
            target.clear()  # any value: an object in the spec, a string in its examples
    return raw


def _emulated(operation) -> bool:
    return (operation.method.upper(), operation.path) in set(EMULATED)


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    """One emulator for the whole run (timers on a manual clock: nothing fires)."""
    settings_ = {**FAST, "name": "spec-fuzz", "time_scale": None, "rate_limit": 1_000_000}
    with Emulator(**settings_) as emulator:
        yield emulator


schema = schemathesis.openapi.from_dict(_spec_following_examples()).include(
    lambda ctx: _emulated(ctx.operation)
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_emulated_operations_never_5xx_and_answer_as_the_spec_says(case, served):
    case.call_and_validate(
        base_url=served.api_url,
        headers={"Authorization": served_basic(served)},
        checks=CHECKS,
    )


def served_basic(emulator: Emulator) -> str:
    """The ``Authorization`` header of the emulator's account (Basic, key as user name)."""
    return "Basic " + base64.b64encode(f"{emulator.api_key}:".encode()).decode()


def test_the_checks_can_fail_a_server_error_is_reported(served):
    """The same checks on one operation, with a 500 injected, raise naming the failure."""
    operation = schema["/account"]["GET"]
    case = operation.Case()
    served.inject_fault("api", "unknown", match="/account", count=1)
    with pytest.raises(FailureGroup) as failed:
        case.call_and_validate(
            base_url=served.api_url, headers={"Authorization": served_basic(served)}, checks=CHECKS
        )
    kinds = {type(failure).__name__ for failure in failed.value.exceptions}
    assert kinds == {"ServerError", "UndefinedStatusCode"}
