"""Unpickling dataset files that may hold only containers, bytes, numbers and numpy arrays.

A pickle can name any importable callable and have it called while loading, so a tampered
data file could run code. This unpickler resolves exactly the globals a numpy array needs
and refuses every other, before anything is called.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from actlab.data.errors import CorruptDataError, UnsafePickleError

# numpy's own reconstructor, whatever module it lives in this numpy version.
_reconstruct = np.ndarray((0,)).__reduce__()[0]

ALLOWED_GLOBALS: dict[tuple[str, str], object] = {
    # Python-2-era pickles (the CIFAR-10 batches) name numpy.core; numpy >= 2 writes numpy._core.
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose find_class returns only the entries of ALLOWED_GLOBALS."""

    def __init__(self, file: io.BufferedIOBase, *, source: str, encoding: str = "bytes"):
        super().__init__(file, encoding=encoding)
        self.source = source

    def find_class(self, module: str, name: str) -> object:
        """The allowed object for `module.name`; UnsafePickleError for anything else."""
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                self.source, f"asks the unpickler for {module}.{name}, which a dataset file "
                             f"never needs, so it was refused before anything ran",
                remedy="do not use this file; delete it and download the dataset again from "
                       "its official source")
        return allowed


def load_restricted_pickle(data: bytes, *, source: str) -> object:
    """The object in `data`, unpickled with RestrictedUnpickler (Python 2 str read as bytes)."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), source=source).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # a damaged pickle can fail in many ways; all mean the same
        raise CorruptDataError(source, f"is not a readable pickle ({type(exc).__name__}: "
                                       f"{exc})") from exc
