"""Download one file from a list of mirrors, verify its MD5, and move it into place atomically."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from actlab.data.errors import ChecksumError, DatasetUnavailableError

_CHUNK = 1 << 20
_USER_AGENT = "actlab-data/1 (+https://pypi.org/project/actlab/)"
log = logging.getLogger(__name__)


class _LocalWriteError(Exception):
    """Writing the downloaded bytes failed: no other mirror would help."""


def mirror_url(mirror: str, filename: str) -> str:
    """The URL of `filename` on a mirror given as a base URL (with or without a trailing slash)."""
    return mirror.rstrip("/") + "/" + filename


def download_verified(filename: str, mirrors: Sequence[str], destination: Path,
                      expected_md5: str, *, timeout: float = 60.0) -> Path:
    """Fetch `filename` from the first mirror that serves the expected MD5 and save it atomically.

    Bytes go to a temporary file next to `destination`; only a file whose MD5 matches is
    renamed into place, so an interrupted or corrupt download never leaves anything behind.
    """
    destination = Path(destination)
    if not mirrors:
        raise DatasetUnavailableError(
            f"{destination} is missing and no download mirror is configured for {filename}; "
            f"place a verified copy of {filename} there")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(destination, exc) from exc

    failures: list[str] = []  # "url: what went wrong", for mirrors that served nothing usable
    bad_checksum: tuple[str, str] | None = None  # (url, md5) of the first mirror with wrong bytes
    for mirror in mirrors:
        url = mirror_url(mirror, filename)
        log.info("downloading %s", url)
        try:
            partial, actual_md5 = _fetch_to_temporary(url, destination, timeout)
        except _LocalWriteError as exc:
            raise _unwritable(destination, exc.__cause__ or exc) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            failures.append(f"{url}: {_describe(exc)}")
            continue
        if actual_md5 != expected_md5.lower():
            partial.unlink(missing_ok=True)
            if bad_checksum is None:
                bad_checksum = (url, actual_md5)
            else:
                failures.append(f"{url}: MD5 {actual_md5}")
            continue
        try:
            os.replace(partial, destination)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise _unwritable(destination, exc) from exc
        return destination

    others = "; ".join(failures)
    if bad_checksum is not None:
        remedy = f"nothing was saved to {destination}"
        if others:
            remedy += f" and the other mirrors failed too ({others})"
        remedy += f", so place a verified copy of {filename} there"
        raise ChecksumError(bad_checksum[0], bad_checksum[1], expected_md5, remedy=remedy)
    raise DatasetUnavailableError(
        f"could not download {filename} from any mirror ({others}); check the network "
        f"connection or place a verified copy at {destination}")


def _fetch_to_temporary(url: str, destination: Path, timeout: float) -> tuple[Path, str]:
    """Stream `url` into a temporary file beside `destination`; return it and the bytes' MD5."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    digest = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        try:
            handle = tempfile.NamedTemporaryFile(
                dir=destination.parent, prefix=f".{destination.name}.", suffix=".part",
                delete=False)
        except OSError as exc:
            raise _LocalWriteError() from exc
        partial = Path(handle.name)
        try:
            with handle:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    try:
                        handle.write(chunk)
                    except OSError as exc:
                        raise _LocalWriteError() from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return partial, digest.hexdigest()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _unwritable(destination: Path, exc: BaseException) -> DatasetUnavailableError:
    return DatasetUnavailableError(
        f"cannot write {destination} ({exc}); point ACTLAB_DATA_DIR (or data_dir=) at a "
        f"writable directory, or place a verified copy of {destination.name} there")
