"""environment.yml mirrors pyproject.toml (conda cannot run here, so compare the files)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

#: conda-forge names that differ from the PyPI distribution names.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def split(requirement: str) -> tuple[str, str]:
    name, bound = REQUIREMENT.match(requirement).groups()
    bound = re.sub(r"^\[[^\]]*\]", "", bound.replace(" ", ""))  # pip's extras: dask[dataframe]
    return name.lower().replace("_", "-"), bound


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    listed = project["dependencies"] + extras["lab"] + extras["test"] + extras["bench"]
    listed += extras["cluster"]
    return dict(split(item) for item in listed)


def environment_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, str] = {}
    for item in environment["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            if entry.startswith("-e") or entry in ("pip",):
                continue
            name, bound = split(entry)
            if name != "python":
                found[CONDA_TO_PYPI.get(name, name)] = bound
    return found


def test_environment_names_the_same_packages_with_the_same_lower_bounds() -> None:
    assert environment_requirements() == pyproject_requirements()


def test_environment_installs_the_project_itself_and_pins_python() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    dependencies = environment["dependencies"]
    pip_section = next(item["pip"] for item in dependencies if isinstance(item, dict))
    assert "-e ." in pip_section
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"python{requires}" in environment["dependencies"]


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # a string: setuptools warns about the old table form
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_lab_extra_is_jupyterlab_alone_and_the_tests_have_it_too() -> None:
    """make lab installs hsnb, the lab extra and the cluster extra (notebook 07 starts a local
    Dask cluster), not the test extra; the browser test of the notebooks needs JupyterLab and
    Dask as well."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert [split(item)[0] for item in extras["lab"]] == ["jupyterlab"]
    assert set(extras["lab"]) <= set(extras["test"])
    assert set(extras["cluster"]) <= set(extras["test"])
    assert '-e ".[lab,cluster]"' in (ROOT / "Makefile").read_text()
