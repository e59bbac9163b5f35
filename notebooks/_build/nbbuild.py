"""Build a notebook from cells, run it top to bottom in ``notebooks/`` and save it with outputs.

Each ``make_NN_*.py`` script next to this file lists its notebook's cells and calls :func:`build`::

    .venv/bin/python notebooks/_build/make_01_callbacks_vs_polling.py

The saved outputs are what nbval compares in CI, so :func:`build` refuses to save a notebook whose
outputs show an error, anything on stderr, a port, an absolute path or a memory address.
Cell ids are fixed (``c01``, ``c02``, ...) so that a rebuild changes only what really changed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from textwrap import dedent

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent
#: What must never reach a stored output (nbval would compare it, and it differs between runs).
FORBIDDEN = {
    "a local path": re.compile(r"/work/|/home/|/tmp/"),
    "a port": re.compile(r"127\.0\.0\.1:\d|localhost:\d"),
    "a memory address": re.compile(r"0x[0-9a-f]{6,}"),
}
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell (indentation and outer blank lines removed)."""
    return nbformat.v4.new_markdown_cell(dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    """A code cell (indentation and outer blank lines removed)."""
    return nbformat.v4.new_code_cell(dedent(text).strip())


def build(name: str, cells: list[nbformat.NotebookNode], timeout: int = 120) -> Path:
    """Write ``notebooks/<name>``, execute it there, check its outputs and save them."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for number, cell in enumerate(cells, 1):
        cell["id"] = f"c{number:02d}"
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=METADATA)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    check_outputs(notebook)
    path = NOTEBOOKS / name
    nbformat.write(notebook, path)
    return path


def check_outputs(notebook: nbformat.NotebookNode) -> None:
    """Raise ``ValueError`` naming the first cell whose outputs nbval could not compare."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            where = f"cell {cell['id']}"
            if output["output_type"] == "error":
                raise ValueError(f"{where} raised {output['ename']}: {output['evalue']}")
            if output.get("name") == "stderr":
                raise ValueError(f"{where} wrote to stderr: {output['text'][:200]!r}")
            text = output.get("text", "") + "".join(
                value for key, value in output.get("data", {}).items() if key.startswith("text/")
            )
            for what, pattern in FORBIDDEN.items():
                if pattern.search(text):
                    raise ValueError(f"{where} shows {what}: {pattern.search(text).group()!r}")
