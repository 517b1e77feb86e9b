"""Where assess's own files are: notebooks, the bundled sample target."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def notebooks_dir() -> Path:
    """The collector notebooks: ``$ASSESS_NOTEBOOKS``, else the package's copy.

    In a source checkout ``assess/notebooks`` is a link to the top-level ``notebooks/``; a wheel
    carries the files themselves.
    """
    override = os.environ.get("ASSESS_NOTEBOOKS")
    return Path(override) if override else PACKAGE_DIR / "notebooks"


def sample_target() -> Path:
    """The bundled sample service (``data/sample-service`` in the source checkout)."""
    return REPO_DIR / "data" / "sample-service"
