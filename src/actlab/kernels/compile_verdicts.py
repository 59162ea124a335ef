"""What compiling each kernel was found to be worth on this machine, kept between runs.

The compile policy (`compile_policy.py`) measures, per kernel, device and dtype, how long
compiling took and whether the compiled kernel ran faster than the eager one. That
verdict is stored in ``<cache dir>/compile-verdicts.json`` (``$ACTLAB_CACHE_DIR``, else
``~/.cache/actlab``) under a key that names the machine and the PyTorch version, so that
a later process neither compiles a kernel that did not pay nor guesses its cost again.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import threading
import warnings
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import torch

from actlab.locations import cache_dir

FILE_NAME = "compile-verdicts.json"
FORMAT = 1
VERDICTS = ("compiled", "eager")


@dataclass(frozen=True)
class Verdict:
    """`verdict` "compiled" (compiling paid) or "eager" (it did not, or failed)."""

    verdict: str
    compile_seconds: float
    eager_ns_per_element: float | None = None
    compiled_ns_per_element: float | None = None
    reason: str = ""


@cache
def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key(device: torch.device) -> str:
    """The processor (or GPU), thread count and PyTorch version a verdict holds for."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = f"{cpu_model()} x{torch.get_num_threads()}"
    return f"{device.type}:{name}|torch {torch.__version__}"


class VerdictStore:
    """A JSON file of verdicts; reads lazily, writes atomically, survives a bad file.

    A file that cannot be parsed is moved aside (``.corrupt``) with a warning, never
    overwritten: the verdicts are a cache, and losing them only costs measuring again.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = None if path is None else Path(path)
        self._entries: dict[str, dict] | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else cache_dir() / FILE_NAME

    def _load(self) -> dict[str, dict]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, dict]:
        path = self.path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as err:
            warnings.warn(f"actlab: cannot read compile verdicts {path}: {err}",
                          RuntimeWarning, stacklevel=4)
            return {}
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT or not isinstance(data.get("verdicts"), dict):
                raise ValueError("not an actlab compile-verdicts file")
            return {k: v for k, v in data["verdicts"].items()
                    if isinstance(v, dict) and v.get("verdict") in VERDICTS}
        except (ValueError, AttributeError) as err:
            aside = path.with_suffix(path.suffix + ".corrupt")
            try:
                os.replace(path, aside)
            except OSError:
                aside = path
            warnings.warn(f"actlab: ignored unreadable compile verdicts ({err}); the file "
                          f"is kept at {aside}", RuntimeWarning, stacklevel=4)
            return {}

    def get(self, key: str) -> Verdict | None:
        with self._lock:
            entry = self._load().get(key)
        if entry is None:
            return None
        try:
            return Verdict(**entry)
        except TypeError:
            return None

    def put(self, key: str, verdict: Verdict) -> None:
        """Record `verdict` and write the file (a failure to write only warns)."""
        with self._lock:
            entries = self._load()
            entries[key] = asdict(verdict)
            path = self.path
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".verdicts-", suffix=".json")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump({"format": FORMAT, "verdicts": entries}, f, indent=1,
                              sort_keys=True)
                os.replace(tmp, path)
            except OSError as err:
                warnings.warn(f"actlab: cannot save compile verdicts to {path}: {err}",
                              RuntimeWarning, stacklevel=3)

    def entries(self) -> dict[str, Verdict]:
        """Every stored verdict, by key (machine, PyTorch, dtype, kernel)."""
        with self._lock:
            raw = dict(self._load())
        out = {}
        for key, entry in raw.items():
            try:
                out[key] = Verdict(**entry)
            except TypeError:
                continue
        return out

    def forget(self) -> int:
        """Delete the file (every verdict, on every machine it names); how many there were."""
        with self._lock:
            count = len(self._load())
            self.path.unlink(missing_ok=True)
            self._entries = {}
            return count

    def clear(self) -> None:
        """Forget what was read (the next `get` reads the file again)."""
        with self._lock:
            self._entries = None
