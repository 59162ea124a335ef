"""Where dataset files are looked up (data_dir) and where generated data is cached (cache_dir)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "ACTLAB_DATA_DIR"
CACHE_DIR_ENV = "ACTLAB_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/actlab")


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: `override`, else $ACTLAB_CACHE_DIR, else ~/.cache/actlab."""
    return _resolve(override, CACHE_DIR_ENV, DEFAULT_CACHE_DIR)


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `override`, else $ACTLAB_DATA_DIR, else <cache_dir>/data.

    Files live at `<data_dir>/<dataset>/<file>` (e.g. `mnist/train-images-idx3-ubyte.gz`).
    """
    return _resolve(override, DATA_DIR_ENV, cache_dir() / "data")


def _resolve(override: str | os.PathLike[str] | None, env_var: str, default: Path) -> Path:
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    from_env = os.environ.get(env_var, "")
    if from_env:
        return Path(from_env).expanduser()
    return default.expanduser()
