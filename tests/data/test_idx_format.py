"""The IDX parser against small files written by hand, and every way such a file can be bad."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from actlab.data.errors import CorruptDataError, DataError
from actlab.data.idx_format import parse_idx, read_idx_gz


@pytest.mark.parametrize(("type_code", "dtype"), [
    (0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
    (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64),
])
def test_every_type_code_round_trips_big_endian_values(tmp_path, write_idx_gz, type_code, dtype):
    offset = 0 if np.dtype(dtype).kind == "u" else -6  # negative values for signed types
    values = (np.arange(12).reshape(2, 2, 3) + offset).astype(dtype)
    values[-1, -1, -1] = 127
    path = write_idx_gz(tmp_path / "a.gz", values, type_code)
    loaded = read_idx_gz(path)
    assert loaded.dtype == np.dtype(dtype)  # native byte order
    assert loaded.shape == (2, 2, 3)
    np.testing.assert_array_equal(loaded, values)
    assert loaded.flags.writeable


def test_parses_bytes_laid_out_by_hand():
    # magic 00 00 0B 02, sizes 2 and 1, then int16 258 and -2 big-endian
    raw = bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x01, 0x02, 0xFF, 0xFE])
    np.testing.assert_array_equal(parse_idx(raw), np.array([[258], [-2]], dtype=np.int16))


def test_labels_file_is_one_dimensional(tmp_path, write_idx_gz):
    path = write_idx_gz(tmp_path / "labels.gz", np.array([7, 2, 1, 0], dtype=np.uint8))
    np.testing.assert_array_equal(read_idx_gz(path), [7, 2, 1, 0])


def _header(type_code: int, *shape: int) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize(("raw", "phrase"), [
    (b"\x00\x00", "too short"),
    (b"\x08\x03" + _header(0x08, 1)[2:] + b"\x00", "magic number"),
    (_header(0x0A, 2) + b"\x00\x00", "type code 0x0a"),
    (bytes([0, 0, 0x08, 0]), "zero dimensions"),
    (_header(0x08, 2, 2)[:9], "inside its header"),
    (_header(0x08, 2, 3) + bytes(5), "truncated: its header declares a 2x3 array (6 bytes"),
    (_header(0x0C, 2) + bytes(7), "(8 bytes of data) but only 7"),
    (_header(0x08, 2) + bytes(3), "1 unexpected bytes"),
])
def test_malformed_idx_is_refused_with_a_specific_reason(tmp_path, write_idx_gz, raw, phrase):
    path = write_idx_gz(tmp_path / "bad-idx3-ubyte.gz", raw)
    with pytest.raises(CorruptDataError) as caught:
        read_idx_gz(path)
    message = str(caught.value)
    assert phrase in message
    assert str(path) in message
    assert caught.value.path == str(path)


def test_plain_idx_without_gzip_is_refused(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(_header(0x08, 1) + b"\x05")
    with pytest.raises(CorruptDataError, match="is not a gzip file .*0000"):
        read_idx_gz(path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.gz"
    path.write_bytes(b"")
    with pytest.raises(CorruptDataError, match="not a gzip file"):
        read_idx_gz(path)


def test_truncated_gzip_is_refused(tmp_path):
    compressed = gzip.compress(_header(0x08, 1000) + bytes(range(250)) * 4)
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(CorruptDataError, match="truncated or damaged gzip"):
        read_idx_gz(path)


def test_gzip_with_damaged_crc_is_refused(tmp_path):
    compressed = bytearray(gzip.compress(_header(0x08, 4) + b"\x01\x02\x03\x04"))
    compressed[-8] ^= 0xFF  # the CRC32 of the uncompressed data
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(CorruptDataError, match="truncated or damaged gzip"):
        read_idx_gz(path)


def test_corrupt_data_error_is_a_data_error_and_value_error(tmp_path, write_idx_gz):
    path = write_idx_gz(tmp_path / "x.gz", b"\x01\x01\x08\x01")
    with pytest.raises(DataError):
        read_idx_gz(path)
    with pytest.raises(ValueError):
        read_idx_gz(path)
