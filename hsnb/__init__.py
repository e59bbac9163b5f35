"""hsnb: learn, test and analyse Dropbox Sign callbacks from Jupyter."""

from __future__ import annotations

__version__ = "0.1.0"

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
