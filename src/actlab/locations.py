"""Where actlab keeps files between runs: the cache directory (every layer may use it)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "ACTLAB_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/actlab")


def resolve(override: str | os.PathLike[str] | None, env_var: str, default: Path) -> Path:
    """`override`, else the environment variable `env_var`, else `default` (~ expanded)."""
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    from_env = os.environ.get(env_var, "")
    if from_env:
        return Path(from_env).expanduser()
    return default.expanduser()


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: `override`, else $ACTLAB_CACHE_DIR, else ~/.cache/actlab."""
    return resolve(override, CACHE_DIR_ENV, DEFAULT_CACHE_DIR)
