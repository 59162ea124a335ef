"""Saving figures: the format from the file extension, all or nothing on disk."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from actlab.errors import ActlabError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class OutputPathError(ActlabError, OSError):
    """An output file that cannot be written: unknown format, missing or read-only folder."""

    def __str__(self) -> str:  # OSError would otherwise print its errno tuple
        return str(self.args[0])


def figure_format(path: str | os.PathLike) -> str:
    """The format a file name asks for, by its extension (PNG, SVG or PDF)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no extension"
        raise OutputPathError(f"cannot tell the figure format of {str(path)!r} ({shown}); "
                              f"use one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


def check_writable(path: str | os.PathLike) -> Path:
    """The path, if a file can be created there: its folder exists and is writable."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OutputPathError(f"cannot write to {str(target)!r}: it is a directory")
    if not parent.exists():
        raise OutputPathError(f"cannot write {str(target)!r}: the folder {str(parent)!r} "
                              f"does not exist")
    if not parent.is_dir():
        raise OutputPathError(f"cannot write {str(target)!r}: {str(parent)!r} is not a folder")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"cannot write {str(target)!r}: the folder {str(parent)!r} "
                              f"is not writable")
    return target


def write_atomically(path: str | os.PathLike, write) -> Path:
    """Call write(file) on a temporary file beside `path`, then move it into place."""
    target = check_writable(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                             dir=target.parent if str(target.parent) else ".")
    except OSError as err:
        raise OutputPathError(f"cannot write {str(target)!r}: {err.strerror or err}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as err:
        raise OutputPathError(f"cannot write {str(target)!r}: {err.strerror or err}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def save_figure(figure: Figure, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Write the figure to `path` as PNG, SVG or PDF (by extension); nothing half-written."""
    fmt = figure_format(path)
    return write_atomically(path, lambda file: figure.savefig(file, format=fmt, dpi=dpi))


def default_file_name(prefix: str, names: Sequence[str], suffix: str = ".png") -> str:
    """A file name from the plotted names: ``tanh_sigmoid.png``, ``transform_relu.png``."""
    words = [re.sub(r"[^A-Za-z0-9.]+", "_", n).strip("_.") or "f" for n in names]
    stem = "_".join(w for w in [prefix, *words] if w)
    if len(stem) > 80:
        stem = stem[:80].rstrip("_.") + "_and_more"
    return stem + suffix
