"""The public surface: every exported name resolves, every public name has a docstring.

Methods that override a base class's (Tornado's ``get``/``post``/``initialize``...) are exempt:
the handler class's docstring says what its route does.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import hsnb


def hsnb_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(hsnb.__path__, "hsnb.")
        if not info.name.endswith("__main__")
    )


def test_every_name_in_all_resolves() -> None:
    for name in hsnb.__all__:
        assert getattr(hsnb, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hsnb.nope  # noqa: B018


@pytest.mark.parametrize("module_name", hsnb_modules())
def test_public_names_have_docstrings(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert inspect.getdoc(module), f"{module_name} has no module docstring"
    missing = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module_name:
            continue
        if inspect.isclass(value) or inspect.isfunction(value):
            if not inspect.getdoc(value):
                missing.append(name)
            if inspect.isclass(value):
                for attr, member in vars(value).items():
                    if attr.startswith("_") or not inspect.isfunction(member):
                        continue
                    overrides = any(hasattr(base, attr) for base in value.__mro__[1:])
                    if not overrides and not inspect.getdoc(member):
                        missing.append(f"{name}.{attr}")
    assert not missing, f"{module_name}: no docstring on {', '.join(missing)}"
