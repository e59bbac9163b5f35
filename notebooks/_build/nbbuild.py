"""Build the notebooks from their Jupytext sources: sync, run top to bottom, check, save.

Every notebook is a Jupytext pair: ``notebooks/NN-Title.py`` (``py:percent``) is the source you
edit and ruff lints, ``notebooks/NN-Title.ipynb`` holds the executed outputs that nbval compares
in CI. After editing a ``.py``, rebuild its ``.ipynb`` (``make notebooks`` rebuilds them all)::

    .venv/bin/python notebooks/_build/nbbuild.py 03      # one notebook, by number
    .venv/bin/python notebooks/_build/nbbuild.py 01 04   # several
    .venv/bin/python notebooks/_build/nbbuild.py all     # every notebooks/NN-*.py

A build reads the cells from the ``.py``, keeps the ids and metadata of the cells the ``.ipynb``
already has (new cells get new ids; notebooks numbered ``c01``, ``c02``, ... stay numbered so), runs
the notebook in ``notebooks/`` with nbclient and saves it only when :func:`check_outputs` passes:
no error, nothing on stderr, no port, no absolute path and no memory address in any output, since
nbval compares them and they differ between runs and machines. Saved widgets get ids derived from
the notebook's name, and loopback URLs in their state (a sign page's IFrame) get port 0, so
rebuilding an unchanged notebook changes nothing.
``tests/test_notebooks.py`` runs the same :func:`check_outputs` over the stored notebooks in
``make test``.

A new notebook: copy an existing ``.py`` (its Jupytext header included) to ``NN-Title-Words.py``,
edit it and build it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import uuid
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent
#: The Jupytext format of the sources, as written in each notebook's metadata.
PAIRING = "ipynb,py:percent"
#: What must never reach a stored output (nbval would compare it, and it differs between runs).
FORBIDDEN = {
    "a local path": re.compile(r"/work/|/home/|/tmp/"),
    "a port": re.compile(r"127\.0\.0\.1:\d|localhost:\d"),
    "a memory address": re.compile(r"0x[0-9a-f]{6,}"),
}
#: The kernel of a new notebook whose ``.py`` has no Jupytext header (better: copy an existing one).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NUMBERED_ID = re.compile(r"^c\d{2,}$")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: A server of the build's own run, as saved widget state may mention it (port 0: never reachable).
LOOPBACK_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def sources() -> list[Path]:
    """Every notebook source, ``notebooks/NN-*.py``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))


def find(which: str) -> Path:
    """The source of notebook ``which``: its number (``3``, ``03``) or its name (``03-...``)."""
    wanted = Path(which).stem
    if wanted.isdigit():
        wanted = f"{int(wanted):02d}"
    found = [path for path in sources() if path.stem == wanted or path.stem[:2] == wanted]
    if len(found) != 1:
        names = ", ".join(path.stem for path in sources())
        raise SystemExit(f"no single notebook source matches {which!r} (there are: {names})")
    return found[0]


def sync(source: Path) -> nbformat.NotebookNode:
    """The cells of ``source`` (a ``.py``), with ids and metadata kept from its ``.ipynb``."""
    notebook = jupytext.read(source)
    notebook.metadata.setdefault("jupytext", {})["formats"] = PAIRING
    notebook.metadata.setdefault("kernelspec", KERNELSPEC)
    stored = source.with_suffix(".ipynb")
    if stored.exists():
        previous = nbformat.read(stored, as_version=4)
        notebook = combine_inputs_with_outputs(notebook, previous, fmt="py:percent")
        if previous.cells and all(NUMBERED_ID.match(cell.get("id", "")) for cell in previous.cells):
            for number, cell in enumerate(notebook.cells, 1):
                cell["id"] = f"c{number:02d}"
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # run timestamps: noise in every diff
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def build(source: Path, timeout: int = 120) -> Path:
    """Sync ``source`` into its ``.ipynb``, execute it in ``notebooks/``, check and save it."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = sync(source)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    check_outputs(notebook)
    path = source.with_suffix(".ipynb")
    jupytext.write(stable_widget_ids(notebook, source.stem), path, fmt="ipynb")
    return path


def stable_widget_ids(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Replace the random ids of the widgets saved with the notebook by ids derived from ``name``
    and their order of creation, and the ports of loopback URLs in their state (the run's own
    servers, gone once it ended) by 0, so that rebuilding an unchanged notebook changes
    nothing."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return notebook
    for model in state.values():
        for key, value in model.get("state", {}).items():
            if isinstance(value, str):
                model["state"][key] = LOOPBACK_URL.sub("http://127.0.0.1:0", value)
    new_ids = {
        old: uuid.uuid5(uuid.NAMESPACE_URL, f"hsnb/{name}/{n}").hex for n, old in enumerate(state)
    }
    text = nbformat.writes(notebook)
    for old, new in new_ids.items():
        text = text.replace(old, new)
    return nbformat.reads(text, as_version=4)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="numbers (03) or names, or 'all'")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (120)")
    args = parser.parse_args(argv)
    chosen = sources() if "all" in args.notebooks else [find(name) for name in args.notebooks]
    for source in chosen:
        started = time.monotonic()
        path = build(source, timeout=args.timeout)
        print(f"built {path.relative_to(NOTEBOOKS.parent)} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
