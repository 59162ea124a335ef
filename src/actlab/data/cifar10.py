"""CIFAR-10 from the published python tarball (`cifar-10-python.tar.gz`), verified by MD5.

The tarball holds pickled batches `cifar-10-batches-py/data_batch_1..5` and `test_batch`,
each a dict with `data` (N x 3072 uint8: 1024 red, 1024 green, 1024 blue values, each a
32x32 image in row-major order) and `labels` (N ints), plus `batches.meta` with the names.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from actlab.data.dataset import Dataset
from actlab.data.errors import CorruptDataError
from actlab.data.restricted_pickle import load_restricted_pickle
from actlab.data.sources import DatasetSource, RemoteFile, verified_file
from actlab.data.splits import check_validation_size, hold_out_validation

CIFAR10_SOURCE = DatasetSource(
    subdir="cifar10",
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    files={"archive": RemoteFile("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")},
)
BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"{BATCH_DIR}/data_batch_{i}" for i in range(1, 6))
TEST_BATCH = f"{BATCH_DIR}/test_batch"
META = f"{BATCH_DIR}/batches.meta"
NUM_CLASSES = 10
IMAGE_SHAPE = (3, 32, 32)
_PIXELS = 3 * 32 * 32


@dataclass(frozen=True, eq=False)
class Cifar10Arrays:
    """The raw content of the tarball: uint8 images (N, 3, 32, 32), int64 labels, class names."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]


def load_cifar10(*, data_dir: str | os.PathLike[str] | None = None, download: bool = True,
                 validation: int = 0, source: DatasetSource = CIFAR10_SOURCE) -> Dataset:
    """CIFAR-10: 50,000 training and 10,000 test images, (N, 3, 32, 32) float32 in [0, 1].

    `validation=n` holds out the first n training images. Augmentation and per-image
    standardisation (seed 003's 24x24 crops) are in `actlab.data.image_transforms`.
    """
    check_validation_size(validation)
    archive = verified_file(source, "archive", data_dir=data_dir, download=download)
    arrays = read_cifar10_archive(archive)
    train_x = _to_float(arrays.train_images)
    train_y = torch.from_numpy(arrays.train_labels)
    train_x, train_y, val_x, val_y = hold_out_validation(train_x, train_y, validation)
    return Dataset(
        name="cifar10", train_x=train_x, train_y=train_y,
        test_x=_to_float(arrays.test_images), test_y=torch.from_numpy(arrays.test_labels),
        num_classes=NUM_CLASSES, input_shape=IMAGE_SHAPE, class_names=arrays.class_names,
        val_x=val_x, val_y=val_y, source=str(archive))


def read_cifar10_archive(path: str | os.PathLike[str]) -> Cifar10Arrays:
    """Every batch of a CIFAR-10 python tarball, read in one pass without extracting to disk."""
    path = Path(path)
    wanted = {*TRAIN_BATCHES, TEST_BATCH, META}
    contents: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        contents[member.name] = handle.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        raise CorruptDataError(path, f"is not a readable gzip tarball ({type(exc).__name__}: "
                                     f"{exc})") from exc
    missing = [name for name in (*TRAIN_BATCHES, TEST_BATCH, META) if name not in contents]
    if missing:
        raise CorruptDataError(path, f"lacks the member {missing[0]}, so it is not a complete "
                                     f"CIFAR-10 python archive")

    train = [read_batch(contents[name], source=f"{path}:{name}") for name in TRAIN_BATCHES]
    test_images, test_labels = read_batch(contents[TEST_BATCH], source=f"{path}:{TEST_BATCH}")
    return Cifar10Arrays(
        train_images=np.concatenate([images for images, _ in train]),
        train_labels=np.concatenate([labels for _, labels in train]),
        test_images=test_images, test_labels=test_labels,
        class_names=read_class_names(contents[META], source=f"{path}:{META}"))


def read_batch(data: bytes, *, source: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch as uint8 images (N, 3, 32, 32) and int64 labels (N,), validated."""
    batch = _as_str_keys(load_restricted_pickle(data, source=source), source)
    if "data" not in batch or "labels" not in batch:
        raise CorruptDataError(source, f"has keys {sorted(batch)}, not the 'data' and 'labels' "
                                       f"of a CIFAR-10 batch")
    images = batch["data"]
    if (not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2
            or images.shape[1] != _PIXELS):
        described = (f"a {images.dtype} array of shape {images.shape}"
                     if isinstance(images, np.ndarray) else f"a {type(images).__name__}")
        raise CorruptDataError(source, f"has 'data' {described}, not a uint8 array of N rows "
                                       f"of {_PIXELS} pixels")
    try:
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CorruptDataError(source, f"has 'labels' that are not integers ({exc})") from exc
    if labels.shape != (len(images),):
        raise CorruptDataError(source, f"has {labels.size} labels for {len(images)} images")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise CorruptDataError(source, f"has labels from {labels.min()} to {labels.max()}, "
                                       f"outside the classes 0 to {NUM_CLASSES - 1}")
    return images.reshape(len(images), *IMAGE_SHAPE), labels


def read_class_names(data: bytes, *, source: str) -> tuple[str, ...]:
    """The ten class names in `batches.meta`."""
    meta = _as_str_keys(load_restricted_pickle(data, source=source), source)
    names = meta.get("label_names")
    if not isinstance(names, list) or len(names) != NUM_CLASSES or not all(
            isinstance(n, bytes | str) for n in names):
        raise CorruptDataError(source, f"does not list {NUM_CLASSES} label_names")
    return tuple(n.decode("utf-8") if isinstance(n, bytes) else n for n in names)


def _as_str_keys(obj: object, source: str) -> dict[str, object]:
    """A pickled dict with bytes keys (Python 2 str) or str keys, keyed by str."""
    if not isinstance(obj, Mapping):
        raise CorruptDataError(source, f"holds a pickled {type(obj).__name__}, not a dict")
    out: dict[str, object] = {}
    for key, value in obj.items():
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        out[str(key)] = value
    return out


def _to_float(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).to(torch.float32).div_(255.0)
