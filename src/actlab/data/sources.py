"""Published dataset files (name + MD5), their mirrors, and verified local copies of them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from actlab.data.checksum import verify_md5
from actlab.data.download import download_verified
from actlab.data.errors import DatasetUnavailableError
from actlab.data.locations import data_dir as resolve_data_dir


@dataclass(frozen=True)
class RemoteFile:
    """A published file: its name and the MD5 it must have."""

    filename: str
    md5: str


@dataclass(frozen=True)
class DatasetSource:
    """A dataset's files by role, the data-dir sub-directory they live in, and mirrors to try."""

    subdir: str
    mirrors: tuple[str, ...]
    files: Mapping[str, RemoteFile]

    def with_mirrors(self, *mirrors: str) -> DatasetSource:
        """The same files, downloaded from other mirrors (e.g. a local server)."""
        return DatasetSource(self.subdir, tuple(mirrors), self.files)


def verified_file(source: DatasetSource, role: str, *,
                  data_dir: str | os.PathLike[str] | None = None,
                  download: bool = True) -> Path:
    """A local copy of one of the source's files whose MD5 is verified, downloaded if allowed.

    A file already present is only read, never rewritten, so read-only data dirs work.
    """
    remote = source.files[role]
    path = resolve_data_dir(data_dir) / source.subdir / remote.filename
    if path.is_file():
        verify_md5(path, remote.md5)
        return path
    if not download:
        raise DatasetUnavailableError(
            f"{path} does not exist and download=False; place a verified copy of "
            f"{remote.filename} there or allow the download")
    return download_verified(remote.filename, source.mirrors, path, remote.md5)
