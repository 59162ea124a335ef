"""References to the user's own code: `"path/to/file.py:factory"` or `"package.module:name"`.

A study names the user's model and dataset factories by reference, so that worker
processes (spawned, or on other machines) can import them: a reference is plain text.

- `"mymodels.py:tiny_net"`: a Python file (relative to a base folder: the spec file's, or
  the current one) and an attribute of it; the file's folder goes on `sys.path` while it
  loads, so it may import its neighbours. A file reference is kept with an absolute path.
- `"mypackage.models:tiny_net"`, `"transformers:ResNetForImageClassification"`: an
  importable module (the current folder is tried too, as `python -m` would) and an
  attribute (dotted names reach into classes).

Every problem is one sentence: a file that does not exist, a module that cannot be
imported (with the error it raised), a missing attribute (with the closest names), an
object defined where workers cannot import it (a notebook's `__main__`).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from actlab.errors import ParameterError
from actlab.locations import local_path

_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
#: The package user files are loaded under (one module per file and content).
USER_CODE_PACKAGE = "actlab_user_code"


class CodeReferenceError(ParameterError):
    """A reference to the user's code that cannot be followed (and why)."""


def is_code_reference(text: str) -> bool:
    """Whether a model or dataset name is a reference to code (`where:name`)."""
    return isinstance(text, str) and ":" in text


@dataclass(frozen=True)
class CodeReference:
    """A parsed reference: a file or a module, and the attribute path in it."""

    attribute: str
    path: Path | None = None
    module: str | None = None

    @property
    def text(self) -> str:
        """The canonical text (absolute path for a file)."""
        return f"{self.path if self.path is not None else self.module}:{self.attribute}"

    @property
    def short(self) -> str:
        """A short display form: `mymodels.py:tiny_net`, `transformers:ResNetModel`."""
        where = self.path.name if self.path is not None else self.module
        return f"{where}:{self.attribute}"

    @property
    def slug(self) -> str:
        """A file-name-safe form: `mymodels.tiny_net`."""
        where = self.path.stem if self.path is not None else self.module.rsplit(".", 1)[-1]
        return f"{where}.{self.attribute}"


def display_reference(text: str) -> str:
    """A reference as a reader wants it: `mymodels.py:tiny_net` (its file's name only);
    other names as they are. Never touches the file (it may be gone)."""
    if not is_code_reference(text):
        return text
    where, _, attribute = text.rpartition(":")
    if where.endswith(".py") or "/" in where or os.sep in where:
        return f"{Path(where).name}:{attribute}"
    return text


def reference_slug(text: str) -> str:
    """A file-name-safe short form of a reference: `mymodels.tiny_net`; other names as
    they are. Never touches the file."""
    if not is_code_reference(text):
        return text
    where, _, attribute = display_reference(text).rpartition(":")
    return f"{where.removesuffix('.py').rsplit('.', 1)[-1]}.{attribute}"


def parse_reference(text: str, base_dir: str | os.PathLike[str] | None = None,
                    what: str = "code reference") -> CodeReference:
    """Parse `file.py:name` or `module:name`; a relative file path is taken from `base_dir`
    (default: the current folder) and must exist."""
    if not isinstance(text, str) or ":" not in text:
        raise CodeReferenceError(f"{what} {text!r} must look like 'file.py:name' or "
                                 f"'package.module:name'")
    where, _, attribute = text.strip().rpartition(":")
    if not _IDENTIFIERS.fullmatch(attribute):
        raise CodeReferenceError(f"{what} {text!r}: after ':' comes the name of a function "
                                 f"or class (letters, digits, '_', dots), got {attribute!r}")
    if where.endswith(".py") or "/" in where or os.sep in where:
        path = Path(where).expanduser()
        if not path.is_absolute():
            path = Path(base_dir or os.getcwd()) / path
        path = path.resolve()
        if not local_path(path).is_file():
            raise CodeReferenceError(f"{what} {text!r}: the file {str(path)!r} does not exist"
                                     + ("" if path.suffix == ".py" else
                                        " (a file reference names a .py file)"))
        return CodeReference(attribute, path=path)
    if not _IDENTIFIERS.fullmatch(where):
        raise CodeReferenceError(f"{what} {text!r}: before ':' comes a .py file or an "
                                 f"importable module name, got {where!r}")
    return CodeReference(attribute, module=where)


def load_reference(reference: CodeReference, what: str = "code reference") -> Any:
    """The object a reference names (importing its file or module)."""
    module = _load_file(reference, what) if reference.path is not None else \
        _import_module(reference, what)
    value: Any = module
    walked = []
    for part in reference.attribute.split("."):
        if not hasattr(value, part):
            owner = reference.short.rpartition(":")[0] + (
                f":{'.'.join(walked)}" if walked else "")
            known = [n for n in dir(value) if not n.startswith("_")]
            close = difflib.get_close_matches(part, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CodeReferenceError(f"{what} {reference.short!r}: {owner} has no attribute "
                                     f"{part!r}{hint}")
        value = getattr(value, part)
        walked.append(part)
    return value


def _load_file(reference: CodeReference, what: str) -> ModuleType:
    # The reference keeps the path it was given (its identity); the file is read where it is
    # on this machine (a Ray worker may hold a shipped copy).
    path = local_path(reference.path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.stem)
    name = f"{USER_CODE_PACKAGE}.{stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as Python does for a script: its neighbours import
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]
        raise CodeReferenceError(f"{what} {reference.short!r}: running {path.name} raised "
                                 f"{type(err).__name__}: {_first_line(err)}") from err
    return module


def _import_module(reference: CodeReference, what: str) -> ModuleType:
    name = reference.module
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        top = name.split(".")[0]
        if err.name != top or os.getcwd() in sys.path:
            raise CodeReferenceError(f"{what} {reference.short!r}: cannot import {name!r} "
                                     f"({_first_line(err)})") from None
    # Not found: try the current folder, as `python -m` would have it on the path.
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        sys.path.remove(os.getcwd())
        raise CodeReferenceError(f"{what} {reference.short!r}: cannot import {name!r} "
                                 f"({_first_line(err)}); give a file path "
                                 f"('{name.replace('.', '/')}.py:{reference.attribute}') or "
                                 f"install it") from None
    except Exception as err:
        raise CodeReferenceError(f"{what} {reference.short!r}: importing {name!r} raised "
                                 f"{type(err).__name__}: {_first_line(err)}") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def reference_to(value: Any, what: str = "factory") -> str:
    """The reference text that names a function or class, for workers to import it.

    A function defined in `__main__` is named by the main script's file; one defined in a
    notebook or an interactive session, or inside another function, cannot be imported
    by a worker: that is an error that says what to do.
    """
    if isinstance(value, str):
        return value
    module_name = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if module_name is None or qualname is None:
        raise CodeReferenceError(f"{what} {value!r} is not a function or class that worker "
                                 f"processes can import; give it as 'file.py:name'")
    label = getattr(value, "__name__", qualname)
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise CodeReferenceError(f"{what} {label!r} is defined inside a function (or is a "
                                 f"lambda): worker processes cannot import it; define it at "
                                 f"the top level of a .py file")
    if module_name.startswith(f"{USER_CODE_PACKAGE}."):
        path = getattr(sys.modules.get(module_name), "__file__", None)
        if path:
            return f"{path}:{qualname}"
    if module_name == "__main__":
        main_file = getattr(sys.modules["__main__"], "__file__", None)
        if not main_file or not str(main_file).endswith(".py"):
            raise CodeReferenceError(
                f"{what} {label!r} is defined in __main__ (a notebook or an interactive "
                f"session), which worker processes cannot import; move it into a .py file "
                f"and import it from there, or name it as 'file.py:{qualname}'")
        return f"{Path(main_file).resolve()}:{qualname}"
    return f"{module_name}:{qualname}"
