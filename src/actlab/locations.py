"""Where actlab keeps files between runs (the cache directory), and where files named on
another machine are on this one (every layer may use it)."""

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


#: Folders of another machine (a study's driver) -> where their shipped copies are here.
_SHIPPED_FOLDERS: dict[Path, Path] = {}


def map_folder(original: str | os.PathLike[str], here: str | os.PathLike[str]) -> None:
    """Files named under `original` (a folder of the machine that ran the study) are under
    `here` on this one (a Ray worker that got them shipped)."""
    _SHIPPED_FOLDERS[Path(original)] = Path(here)


def local_path(path: str | os.PathLike[str]) -> Path:
    """Where the file that `path` names is on this machine: its shipped copy (map_folder),
    else `path` itself."""
    path = Path(path)
    for original, here in _SHIPPED_FOLDERS.items():
        if path.is_relative_to(original):
            return here / path.relative_to(original)
    return path
