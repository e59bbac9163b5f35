"""The official OpenAPI spec (a copy in ``tests/fixtures/openapi/``) as JSON Schema validators.

OpenAPI 3.0 schemas are nearly JSON Schema draft 4/5; :func:`json_schema` closes the gap:
``nullable: true`` becomes a ``"null"`` type, and a ``discriminator`` mapping becomes one
``if``/``then`` per value so each ``response_data`` item is checked against its own schema (plain
JSON Schema ignores ``discriminator``). Everything else is the spec as published.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"
SPEC_PATH = SPEC_DIR / "openapi.yaml"
EXAMPLES = SPEC_DIR / "examples" / "json"


@functools.cache
def spec() -> dict[str, Any]:
    """The spec as published (parsed once)."""
    return yaml.safe_load(SPEC_PATH.read_text())


#: How the spec is loosened where its examples contradict it (the emulator follows the examples;
#: :data:`hsnb.emulator.service.serializers.SPEC_CONTRADICTIONS` lists each with its evidence).
EXAMPLE_OVERRIDES: dict[str, dict[str, Any]] = {
    "TemplateResponseAccountQuota.templates_left": {"type": ["integer", "null"]},
    "TemplateResponseDocumentFieldGroup.rule": {"type": ["object", "string"]},
}


@functools.cache
def _root(follow_examples: bool = True) -> dict[str, Any]:
    root = json_schema(copy.deepcopy(spec()))
    schemas = root["components"]["schemas"]
    if follow_examples:
        for dotted, override in EXAMPLE_OVERRIDES.items():
            schema, prop = dotted.split(".")
            target = schemas[schema]["properties"][prop]
            target.pop("$ref", None)
            target.update(override)
    for name, schema in schemas.items():
        for ref in ((schema.get("discriminator") or {}).get("mapping") or {}).values():
            # A subtype is "allOf: [base, own part]": the base is checked already (and
            # checking it again from the subtype would recurse through the discriminator).
            subtype = schemas[ref.rsplit("/", 1)[-1]]
            base = f"#/components/schemas/{name}"
            subtype["allOf"] = [s for s in subtype.get("allOf", []) if s.get("$ref") != base]
    return root


def json_schema(node: Any) -> Any:
    """``node`` (part of an OpenAPI 3.0 document) as JSON Schema, changed in place."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    for key, value in list(node.items()):
        if key not in ("example", "examples", "default"):
            node[key] = json_schema(value)
    if node.pop("nullable", False):
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        if "$ref" in node:
            node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
    mapping = (node.get("discriminator") or {}).get("mapping")
    if mapping:
        prop = node["discriminator"]["propertyName"]
        node["allOf"] = [
            *node.get("allOf", []),
            *(
                {"if": {"properties": {prop: {"const": value}}}, "then": {"$ref": ref}}
                for value, ref in mapping.items()
            ),
        ]
    return node


def validator(
    schema: str | dict[str, Any], follow_examples: bool = True
) -> jsonschema.Draft7Validator:
    """A validator for ``#/components/schemas/<schema>`` (or an inline schema of the spec);
    ``follow_examples=False``: the spec exactly as published."""
    if isinstance(schema, str):
        if schema not in spec()["components"]["schemas"]:
            raise KeyError(f"no schema {schema} in the spec")
        schema = {"$ref": f"#/components/schemas/{schema}"}
    else:
        schema = json_schema(copy.deepcopy(schema))
    return jsonschema.Draft7Validator({**_root(follow_examples), **schema})


def errors(schema: str | dict[str, Any], instance: Any, follow_examples: bool = True) -> list[str]:
    """Every violation of ``schema`` by ``instance``, as ``path: message`` lines."""
    found = validator(schema, follow_examples).iter_errors(instance)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found)


def response_schema(path: str, method: str, status: int) -> str | dict[str, Any] | None:
    """The schema (a component name, or an inline schema) of the JSON answer the spec
    documents for ``method path`` and ``status`` (``4XX`` counts for any 4xx); ``None`` when
    that answer is not JSON."""
    operation = spec()["paths"][path][method.lower()]
    responses = operation["responses"]
    answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if answer is None:
        raise KeyError(f"the spec documents no {status} for {method} {path}")
    media = (answer.get("content") or {}).get("application/json")
    if media is None:
        return None
    schema = media.get("schema", {})  # "application/json: {}": any JSON
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else schema


def operations() -> list[tuple[str, str, str]]:
    """``(method, path, operationId)`` of every operation in the spec."""
    return [
        (method.upper(), path, op["operationId"])
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    ]
