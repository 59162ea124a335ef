"""Where dataset files are looked up (data_dir) and where generated data is cached (cache_dir)."""

from __future__ import annotations

import os
from pathlib import Path

from actlab.locations import CACHE_DIR_ENV, cache_dir, resolve

__all__ = ["CACHE_DIR_ENV", "DATA_DIR_ENV", "cache_dir", "data_dir"]

DATA_DIR_ENV = "ACTLAB_DATA_DIR"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `override`, else $ACTLAB_DATA_DIR, else <cache_dir>/data.

    Files live at `<data_dir>/<dataset>/<file>` (e.g. `mnist/train-images-idx3-ubyte.gz`).
    """
    return resolve(override, DATA_DIR_ENV, cache_dir() / "data")
