"""MD5 checksums of local files, computed once per file version and remembered."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from actlab.data.errors import ChecksumError

_CHUNK = 1 << 20
# (resolved path, size, mtime_ns) -> md5: a file that changes gets a new key, so it is re-hashed.
_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def md5_of_file(path: str | os.PathLike[str]) -> str:
    """The hex MD5 digest of a file's bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_md5_of_file(path: str | os.PathLike[str]) -> str:
    """The MD5 of a file, read from the in-process memo when the file has not changed."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        known = _verified.get(key)
    if known is None:
        known = md5_of_file(path)
        with _lock:
            _verified[key] = known
    return known


def verify_md5(path: str | os.PathLike[str], expected_md5: str) -> None:
    """Raise ChecksumError unless the file's MD5 equals `expected_md5`."""
    actual = cached_md5_of_file(path)
    if actual != expected_md5.lower():
        raise ChecksumError(path, actual, expected_md5,
                            remedy="delete it (or replace it with a verified copy) "
                                   "so that it can be downloaded again")


def forget_checksums() -> None:
    """Empty the memo of files already hashed (for tests and long-lived processes)."""
    with _lock:
        _verified.clear()
