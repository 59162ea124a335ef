"""The restricted unpickler: numpy arrays and plain containers load, everything else is refused
before it can run."""

from __future__ import annotations

import os
import pickle
import pickletools

import numpy as np
import pytest

from actlab.data.errors import CorruptDataError, UnsafePickleError
from actlab.data.restricted_pickle import load_restricted_pickle


def _globals_named(payload: bytes) -> set[str]:
    """Every global a pickle names, read with pickletools (GLOBAL opcodes, protocol <= 3)."""
    return {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(payload)
            if op.name == "GLOBAL"}


def test_python2_style_batches_name_numpy_core(python2_pickle):
    payload = python2_pickle({"data": np.zeros((1, 4), np.uint8), "labels": [1]})
    # the globals of a real CIFAR-10 batch, written by Python 2 with numpy 1.x
    assert _globals_named(payload) == {"numpy.core.multiarray._reconstruct", "numpy.ndarray",
                                       "numpy.dtype"}
    loaded = load_restricted_pickle(payload, source="batch")
    assert loaded[b"labels"] == [1]
    np.testing.assert_array_equal(loaded[b"data"], np.zeros((1, 4), np.uint8))


@pytest.mark.parametrize("protocol", [3, 4])
def test_arrays_written_by_this_numpy_load(protocol):
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)[:, ::2]
    obj = {"a": array, "b": [1, 2.5, None, (True, "x")], "c": b"bytes"}
    payload = pickle.dumps(obj, protocol=protocol)
    loaded = load_restricted_pickle(payload, source="x")
    np.testing.assert_array_equal(loaded["a"], array)
    assert loaded["a"].dtype == np.int16
    assert loaded["b"] == [1, 2.5, None, (True, "x")] and loaded["c"] == b"bytes"


def test_os_system_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps({"data": Exploit()}, protocol=2)
    with pytest.raises(UnsafePickleError, match=r"evil\.pkl asks the unpickler for "
                                                r"(posix|nt)\.system.*refused"):
        load_restricted_pickle(payload, source="evil.pkl")
    assert not marker.exists()
    # the payload is live: the standard unpickler runs the command
    pickle.loads(payload)
    assert marker.exists()


@pytest.mark.parametrize("payload", [
    b"cbuiltins\neval\n(S'1+1'\ntR.",                       # protocol 0, eval
    b"c__builtin__\nexec\n(S'x=1'\ntR.",                    # Python 2 spelling
    b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x07getattr\x93.",
    b"cnumpy\nload\n(S'x'\ntR.",                            # a numpy function, not a type
    b"ccopyreg\n_reconstructor\n.",
    b"(cos\nsystem\nS'true'\no.",                            # OBJ opcode
    b"(S'true'\nios\nsystem\n.",                             # INST opcode
])
def test_other_globals_are_refused(payload):
    with pytest.raises(UnsafePickleError, match="asks the unpickler for"):
        load_restricted_pickle(payload, source="p")


def test_persistent_ids_are_refused():
    with pytest.raises(CorruptDataError, match="is not a readable pickle"):
        load_restricted_pickle(b"P1\n.", source="p")


@pytest.mark.parametrize("payload", [b"", b"\x80\x02}q\x00(", b"not a pickle at all"])
def test_damaged_pickles_are_corrupt_data(payload):
    with pytest.raises(CorruptDataError, match="^batch is not a readable pickle"):
        load_restricted_pickle(payload, source="batch")
