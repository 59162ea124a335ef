"""MD5 verification of local files, and the memo that spares re-hashing unchanged files."""

from __future__ import annotations

import hashlib
import os

import pytest

from actlab.data import checksum
from actlab.data.checksum import cached_md5_of_file, md5_of_file, verify_md5
from actlab.data.errors import ChecksumError, CorruptDataError


def test_md5_matches_known_digests(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    assert md5_of_file(path) == "d41d8cd98f00b204e9800998ecf8427e"  # RFC 1321 test suite
    path.write_bytes(b"abc")
    assert md5_of_file(path) == "900150983cd24fb0d6963f7d28e17f72"


def test_md5_of_a_multi_chunk_file_matches_hashlib(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)
    path = tmp_path / "big"
    path.write_bytes(data)
    assert md5_of_file(path) == hashlib.md5(data).hexdigest()


def test_verify_md5_accepts_the_right_digest_in_any_case(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    verify_md5(path, "900150983CD24FB0D6963F7D28E17F72")


def test_verify_md5_names_the_file_and_both_digests(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"abc")
    with pytest.raises(ChecksumError) as caught:
        verify_md5(path, "0" * 32)
    message = str(caught.value)
    assert str(path) in message
    assert "900150983cd24fb0d6963f7d28e17f72" in message and "0" * 32 in message
    assert "delete it" in message
    assert isinstance(caught.value, CorruptDataError)


def test_an_unchanged_file_is_hashed_once(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    calls = []
    real = checksum.md5_of_file
    monkeypatch.setattr(checksum, "md5_of_file", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        verify_md5(path, "900150983cd24fb0d6963f7d28e17f72")
    assert len(calls) == 1


def test_a_changed_file_is_hashed_again(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert cached_md5_of_file(path) == "900150983cd24fb0d6963f7d28e17f72"
    path.write_bytes(b"abd")  # same size: the new mtime alone must invalidate the memo
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cached_md5_of_file(path) == hashlib.md5(b"abd").hexdigest()
    with pytest.raises(ChecksumError):
        verify_md5(path, "900150983cd24fb0d6963f7d28e17f72")
