"""JupyterLab's settings for the walk: ``make lab`` and ``tests/test_lab_browser.py`` start it with
``jupyter lab --config=_build/lab_config.py`` from ``notebooks/``.

* It listens on 127.0.0.1 only: the notebooks start servers (an emulator, listeners) that need
  no one else.
* It opens on the start page, ``00-Start-Here.ipynb`` (also the URL it prints).
* It starts as root too (in a container), which JupyterLab otherwise refuses; the setting changes
  nothing for anyone else.
* The file browser lists the notebooks: not their Jupytext sources (``NN-*.py``, which the
  notebooks are built from) and not this folder.
"""

import os

c = get_config()  # noqa: F821 (defined by the config loader that runs this file)

c.ServerApp.ip = "127.0.0.1"
c.LabApp.default_url = "/lab/tree/00-Start-Here.ipynb"
c.ServerApp.allow_root = os.geteuid() == 0
c.ContentsManager.hide_globs = [
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "*~",
    ".ipynb_checkpoints",
    "_build",
    "[0-9][0-9]-*.py",
]
