"""The output gate: every stored notebook is one nbval can compare, built from its Jupytext pair.

nbval compares the outputs stored in ``notebooks/NN-*.ipynb``. They come from
``notebooks/_build/nbbuild.py``, which runs each notebook from its source ``NN-*.py`` and refuses to
save outputs that differ between runs or machines. These tests hold the committed files to the same
rule, so a notebook saved any other way (from JupyterLab, without outputs, out of sync with its
``.py``) fails ``make test`` with the reason.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
#: ``NN-Title-Words.ipynb``: two digits, a dash, words of letters and digits joined by dashes, the
#: first one capitalised.
NAME = re.compile(r"^\d{2}-[A-Z][A-Za-z0-9]*(-[A-Za-z0-9]+)*\.ipynb$")


def load_nbbuild():
    """``notebooks/_build/nbbuild.py``, the one place that says which outputs may be stored."""
    spec = importlib.util.spec_from_file_location("nbbuild", NOTEBOOKS / "_build" / "nbbuild.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nbbuild = load_nbbuild()
STORED = sorted(NOTEBOOKS.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_there_are_notebooks() -> None:
    assert len(STORED) >= 6, STORED


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_stored_outputs_pass_the_output_gate(path: Path) -> None:
    """No error, no stderr, no port, no local path, no memory address in any output."""
    nbbuild.check_outputs(read(path))


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_saved_widget_state_names_no_server_of_the_build(path: Path) -> None:
    """Widget state is saved too (not compared by nbval): a sign page's IFrame in it must not
    keep the build's port, or every rebuild would change the file."""
    state = read(path).metadata.get("widgets", {}).get(nbbuild.WIDGET_STATE, {})
    text = str(state)
    assert not re.search(r"127\.0\.0\.1:[1-9]", text), f"{path.name}: a port in widget state"


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_every_code_cell_ran_once_top_to_bottom(path: Path) -> None:
    """Each non-empty code cell has an execution count (nbval compares nothing otherwise), and
    the counts are 1, 2, 3, ...: the stored outputs come from one run, top to bottom."""
    cells = [cell for cell in read(path).cells if cell.cell_type == "code" and cell.source.strip()]
    missing = [cell.get("id") for cell in cells if cell.get("execution_count") is None]
    assert not missing, f"{path.name}: code cells never run (no outputs to compare): {missing}"
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: not one run in order: {counts}"


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_notebook_is_in_sync_with_its_jupytext_source(path: Path) -> None:
    """``NN-Title.py`` exists, is paired in the metadata and holds exactly the stored cells."""
    source = path.with_suffix(".py")
    assert source.exists(), f"{source.name} is missing: the .py is the source of {path.name}"
    stored = read(path)
    assert stored.metadata.get("jupytext", {}).get("formats") == nbbuild.PAIRING, path.name
    from_source = jupytext.read(source)
    expected = [(cell.cell_type, cell.source) for cell in from_source.cells]
    actual = [(cell.cell_type, cell.source) for cell in stored.cells]
    assert actual == expected, (
        f"{path.name} is out of sync with {source.name}: "
        f"rebuild it with .venv/bin/python notebooks/_build/nbbuild.py {path.name[:2]}"
    )


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_notebook_name(path: Path) -> None:
    assert NAME.match(path.name), f"{path.name} is not named NN-Title-Words.ipynb"


def test_notebook_numbers_are_unique_and_every_source_has_its_notebook() -> None:
    numbers = [path.name[:2] for path in STORED]
    assert len(numbers) == len(set(numbers)), numbers
    orphans = [
        source.name for source in nbbuild.sources() if not source.with_suffix(".ipynb").exists()
    ]
    assert not orphans, f"sources never built (make notebooks): {orphans}"
