"""Where the project's files are: the ontology, data and saved queries, and the build cache."""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED = "bundled"
"""The folder inside an installed package that holds copies of ontology/, data/ and queries/ (setup.py)."""


def project_root() -> Path:
    """The folder that holds ``ontology/``, ``data/`` and ``queries/``.

    ``LINEAGE_ROOT`` if set; else the checkout this package's source folder sits in; else (an installed
    wheel) the copies the wheel carries inside the package.
    """
    explicit = os.environ.get("LINEAGE_ROOT")
    if explicit:
        return Path(explicit)
    package = Path(__file__).resolve().parent
    checkout = package.parent
    if (checkout / "ontology" / "lineage.ttl").is_file() and (checkout / "data").is_dir():
        return checkout
    return package / BUNDLED


def cache_dir() -> Path:
    """Where built graphs are cached: ``LINEAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/model-lineage``."""
    explicit = os.environ.get("LINEAGE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "model-lineage"

