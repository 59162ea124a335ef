"""Unpickling dataset files that may hold only containers, bytes, numbers and numpy arrays.

A pickle can name any importable callable and have it called while loading, so a tampered
data file could run code. This unpickler resolves exactly the globals a numpy array needs
and refuses every other, before anything is called.

A pickle can also make a small file stand for an enormous object without naming any
global: its memo lets one list appear twice in another, that one twice in a third, and
so on, so that 30 levels describe a billion elements, and a tuple nested that way makes a
dict key whose hash never finishes. So the unpickler also bounds what it builds:

- a container (list, tuple, dict, set) may appear in one place only, never again through
  the memo (dataset files never share one);
- dict keys and set members are single values (text, bytes, numbers), never containers;
- the only calls are numpy's own array and dtype reconstructors, with the arguments that
  numpy writes (an empty array that the file's bytes then fill), so an array is never
  larger than the data the file holds.

It reads with Python's own pure-Python unpickler (pickle._Unpickler, the reference
implementation that the C one mirrors), whose opcode table can be checked one by one.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import Any

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

_CONTAINERS = (list, tuple, dict, set, frozenset)
_KEYS = (str, bytes, int, float, complex, bool, type(None))
_REMEDY = ("do not use this file; delete it and download the dataset again from its "
           "official source")


class RestrictedUnpickler(pickle._Unpickler):
    """An Unpickler that resolves only ALLOWED_GLOBALS and bounds what a pickle may build."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: io.BufferedIOBase, *, source: str, encoding: str = "bytes"):
        super().__init__(file, encoding=encoding)
        self.source = source

    def refuse(self, problem: str) -> UnsafePickleError:
        return UnsafePickleError(self.source, problem, remedy=_REMEDY)

    def find_class(self, module: str, name: str) -> object:
        """The allowed object for `module.name`; UnsafePickleError for anything else."""
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise self.refuse(f"asks the unpickler for {module}.{name}, which a dataset file "
                              f"never needs, so it was refused before anything ran")
        return allowed

    # -- checks around the opcodes that could make a small file stand for a huge object --
    def check_memo_get(self) -> None:
        if isinstance(self.stack[-1], _CONTAINERS):
            raise self.refuse(f"uses one {type(self.stack[-1]).__name__} in several places "
                              f"(a pickle can make a few bytes stand for an object without "
                              f"end this way; dataset files never do)")

    def check_keys(self, keys: list[Any]) -> None:
        for key in keys:
            if not isinstance(key, _KEYS):
                raise self.refuse(f"uses a {type(key).__name__} as a dict key or set member; "
                                  f"dataset files use text and numbers")

    def check_call(self) -> None:
        function, args = self.stack[-2], self.stack[-1]
        if function is np.dtype:
            return
        if (function is _reconstruct and isinstance(args, tuple) and len(args) == 3
                and args[0] is np.ndarray and isinstance(args[1], tuple)
                and all(isinstance(n, int) and not isinstance(n, bool) and n == 0
                        for n in args[1])):
            return  # numpy's empty array, which BUILD then fills from the file's bytes
        raise self.refuse(f"calls {getattr(function, '__name__', type(function).__name__)} "
                          f"with arguments numpy never writes")

    def refuse_construction(self) -> None:
        raise self.refuse("constructs an object of a class directly, which a dataset file "
                          "never needs")


def _checked(opcode: bytes, before: Callable[[RestrictedUnpickler], None] | None = None,
             after: Callable[[RestrictedUnpickler], None] | None = None) -> None:
    original = pickle._Unpickler.dispatch[opcode[0]]

    def load(self: RestrictedUnpickler) -> None:
        if before is not None:
            before(self)
        original(self)
        if after is not None:
            after(self)

    RestrictedUnpickler.dispatch[opcode[0]] = load


for _opcode in (pickle.GET, pickle.BINGET, pickle.LONG_BINGET):
    _checked(_opcode, after=RestrictedUnpickler.check_memo_get)
_checked(pickle.SETITEM, before=lambda self: self.check_keys([self.stack[-2]]))
_checked(pickle.SETITEMS, before=lambda self: self.check_keys(self.stack[0::2]))
_checked(pickle.DICT, before=lambda self: self.check_keys(self.stack[0::2]))
_checked(pickle.ADDITEMS, before=lambda self: self.check_keys(list(self.stack)))
_checked(pickle.FROZENSET, before=lambda self: self.check_keys(list(self.stack)))
_checked(pickle.REDUCE, before=RestrictedUnpickler.check_call)
for _opcode in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.OBJ):
    _checked(_opcode, before=RestrictedUnpickler.refuse_construction)


def _load_inst(self: RestrictedUnpickler) -> None:
    # INST names its class inline: refuse it by name first, as GLOBAL would.
    module = self.readline()[:-1].decode("ascii")
    name = self.readline()[:-1].decode("ascii")
    self.find_class(module, name)
    self.refuse_construction()


RestrictedUnpickler.dispatch[pickle.INST[0]] = _load_inst


def load_restricted_pickle(data: bytes, *, source: str) -> object:
    """The object in `data`, unpickled with RestrictedUnpickler (Python 2 str read as bytes)."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), source=source).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # a damaged pickle can fail in many ways; all mean the same
        raise CorruptDataError(source, f"is not a readable pickle ({type(exc).__name__}: "
                                       f"{exc})") from exc
