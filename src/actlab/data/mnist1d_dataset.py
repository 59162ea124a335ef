"""MNIST-1D, generated offline by the `mnist1d` package and cached as .npz in the cache dir."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from actlab.data.dataset import Dataset
from actlab.data.errors import DatasetUnavailableError
from actlab.data.locations import cache_dir as resolve_cache_dir

CANONICAL_SEED = 42  # the seed of the published MNIST-1D (mnist1d's get_dataset_args)
SEQUENCE_LENGTH = 40
_ARRAYS = ("x", "y", "x_test", "y_test")
log = logging.getLogger(__name__)


def load_mnist1d(*, seed: int = CANONICAL_SEED,
                 cache_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """MNIST-1D: 4,000 training and 1,000 test signals of length 40 (float32), 10 classes.

    Generated with mnist1d's default arguments and the given seed (42 is the published
    dataset's), never downloaded. The arrays are cached under <cache_dir>/mnist1d/; an
    unwritable cache dir only means the next load generates them again.
    """
    args = _generation_args(seed)
    cache_file = _cache_path(resolve_cache_dir(cache_dir), args)
    arrays = _read_cache(cache_file)
    if arrays is None:
        arrays = _generate(args)
        _write_cache(cache_file, arrays)
    return Dataset(
        name="mnist1d",
        train_x=torch.from_numpy(arrays["x"]).to(torch.float32),
        train_y=torch.from_numpy(arrays["y"]).to(torch.int64),
        test_x=torch.from_numpy(arrays["x_test"]).to(torch.float32),
        test_y=torch.from_numpy(arrays["y_test"]).to(torch.int64),
        num_classes=10, input_shape=(SEQUENCE_LENGTH,),
        class_names=tuple(str(d) for d in range(10)),
        source=f"mnist1d {_mnist1d_version()} make_dataset, seed {seed}")


def _generation_args(seed: int) -> dict[str, object]:
    try:
        from mnist1d.data import get_dataset_args
    except ImportError as exc:
        raise DatasetUnavailableError(
            "the mnist1d dataset needs the mnist1d package, which is not installed; install it "
            "with `pip install 'actlab[studies]'`") from exc
    args = get_dataset_args(as_dict=True)
    args.pop("url", None)  # only get_dataset's download uses it; we never download
    args["seed"] = int(seed)
    return args


def _generate(args: dict[str, object]) -> dict[str, np.ndarray]:
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView

    with _global_rng_preserved():  # make_dataset reseeds the global random and numpy RNGs
        generated = make_dataset(ObjectView(dict(args)))
    return {key: np.ascontiguousarray(generated[key]) for key in _ARRAYS}


@contextmanager
def _global_rng_preserved() -> Iterator[None]:
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _mnist1d_version() -> str:
    try:
        return metadata.version("mnist1d")
    except metadata.PackageNotFoundError:
        return "unknown"


def _cache_path(root: Path, args: dict[str, object]) -> Path:
    """A file name that changes whenever the generator's version or arguments change."""
    key = json.dumps({"mnist1d": _mnist1d_version(), "args": args}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return root / "mnist1d" / f"mnist1d-seed{args['seed']}-{digest}.npz"


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when absent or unreadable (it is then regenerated)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in _ARRAYS}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("ignoring unreadable MNIST-1D cache %s (%s)", path, exc)
        return None
    if arrays["x"].shape[1:] != (SEQUENCE_LENGTH,) or len(arrays["x"]) != len(arrays["y"]) or \
            len(arrays["x_test"]) != len(arrays["y_test"]):
        log.warning("ignoring MNIST-1D cache %s with unexpected shapes", path)
        return None
    return arrays


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Save atomically; skip (with a log line) when the cache dir is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part", delete=False)
    except OSError as exc:
        log.info("not caching MNIST-1D at %s (%s)", path, exc)
        return
    partial = Path(handle.name)
    try:
        with handle:
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError as exc:
        log.info("not caching MNIST-1D at %s (%s)", path, exc)
    finally:
        partial.unlink(missing_ok=True)  # already renamed away when all went well
