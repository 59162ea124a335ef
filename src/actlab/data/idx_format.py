"""The IDX file format of MNIST and Fashion-MNIST: a parser that validates every field.

Layout: two zero bytes, a type code, the number of dimensions n, then n big-endian uint32
sizes, then the values in big-endian row-major order and nothing else.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from actlab.data.errors import CorruptDataError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx_gz(path: str | os.PathLike[str]) -> np.ndarray:
    """The array in a gzip-compressed IDX file (native byte order, writable)."""
    path = Path(path)
    compressed = path.read_bytes()
    if compressed[:2] != GZIP_MAGIC:
        raise CorruptDataError(path, f"is not a gzip file (it starts with bytes "
                                     f"{compressed[:2].hex() or 'nothing'}, not 1f8b)")
    try:
        raw = gzip.decompress(compressed)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptDataError(path, f"is a truncated or damaged gzip file ({exc})") from exc
    return parse_idx(raw, source=str(path))


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array encoded by uncompressed IDX bytes (native byte order, writable)."""
    if len(raw) < 4:
        raise CorruptDataError(source, f"is too short to be an IDX file ({len(raw)} bytes, "
                                       f"the header alone needs at least 4)")
    zero_a, zero_b, type_code, ndim = raw[:4]
    if zero_a or zero_b:
        raise CorruptDataError(source, f"does not start with the IDX magic number (its first "
                                       f"two bytes are {raw[:2].hex()}, not 0000)")
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02x}" for code in IDX_DTYPES)
        raise CorruptDataError(source, f"has IDX type code 0x{type_code:02x}, which is not one "
                                       f"of {known}")
    if ndim == 0:
        raise CorruptDataError(source, "declares an IDX array with zero dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise CorruptDataError(source, f"is truncated inside its header ({len(raw)} bytes, the "
                                       f"header of a {ndim}-dimensional array needs "
                                       f"{header_size})")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_DTYPES[type_code]
    count = math.prod(shape)
    expected = count * dtype.itemsize
    found = len(raw) - header_size
    dims = "x".join(str(s) for s in shape)
    if found < expected:
        raise CorruptDataError(source, f"is truncated: its header declares a {dims} array "
                                       f"({expected} bytes of data) but only {found} bytes follow")
    if found > expected:
        raise CorruptDataError(source, f"has {found - expected} unexpected bytes after the "
                                       f"{expected} bytes of data that its {dims} header declares")
    values = np.frombuffer(raw, dtype=dtype, count=count, offset=header_size)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
