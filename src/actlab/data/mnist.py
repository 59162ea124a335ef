"""MNIST and Fashion-MNIST from the published gzip IDX files, verified by MD5."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from actlab.data.dataset import Dataset
from actlab.data.errors import CorruptDataError
from actlab.data.idx_format import read_idx_gz
from actlab.data.sources import DatasetSource, RemoteFile, verified_file
from actlab.data.splits import check_validation_size, hold_out_validation

# Mirrors and MD5s as torchvision lists them.
MNIST_SOURCE = DatasetSource(
    subdir="mnist",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    files={
        "train_images": RemoteFile("train-images-idx3-ubyte.gz",
                                   "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train_labels": RemoteFile("train-labels-idx1-ubyte.gz",
                                   "d53e105ee54ea40749a09fcbcd1e9432"),
        "test_images": RemoteFile("t10k-images-idx3-ubyte.gz",
                                  "9fb629c4189551a2d022fa330f9573f3"),
        "test_labels": RemoteFile("t10k-labels-idx1-ubyte.gz",
                                  "ec29112dd5afa0611ce80d1b7f02629c"),
    },
)

FASHION_MNIST_SOURCE = DatasetSource(
    subdir="fashion-mnist",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    files={
        "train_images": RemoteFile("train-images-idx3-ubyte.gz",
                                   "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train_labels": RemoteFile("train-labels-idx1-ubyte.gz",
                                   "25c81989df183df01b3e8a0aad5dffbe"),
        "test_images": RemoteFile("t10k-images-idx3-ubyte.gz",
                                  "bef4ecab320f06d8554ea6380940ec79"),
        "test_labels": RemoteFile("t10k-labels-idx1-ubyte.gz",
                                  "bb300cfdad3c16e7a12a480ee83cd310"),
    },
)


@dataclass(frozen=True)
class ImageDatasetInfo:
    """What is fixed about a 28x28 grayscale IDX dataset: its classes and pixel statistics."""

    name: str
    class_names: tuple[str, ...]
    mean: float  # of the training pixels scaled to [0, 1]
    std: float


MNIST_INFO = ImageDatasetInfo("mnist", tuple(str(d) for d in range(10)), 0.1307, 0.3081)
FASHION_MNIST_INFO = ImageDatasetInfo(
    "fashion_mnist",
    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    0.2860, 0.3530)
IMAGE_SIZE = 28


def load_mnist(*, data_dir: str | os.PathLike[str] | None = None, download: bool = True,
               validation: int = 0, standardize: bool = False,
               source: DatasetSource = MNIST_SOURCE) -> Dataset:
    """MNIST: 60,000 training and 10,000 test digits, (N, 1, 28, 28) float32 in [0, 1].

    `validation=5000` holds out the first 5,000 training images (as TensorFlow's
    `read_data_sets` does), leaving 55,000; `standardize` maps pixels to (x - 0.1307) / 0.3081.
    """
    return load_idx_images(MNIST_INFO, source, data_dir=data_dir, download=download,
                           validation=validation, standardize=standardize)


def load_fashion_mnist(*, data_dir: str | os.PathLike[str] | None = None, download: bool = True,
                       validation: int = 0, standardize: bool = False,
                       source: DatasetSource = FASHION_MNIST_SOURCE) -> Dataset:
    """Fashion-MNIST: 60,000 training and 10,000 test images, (N, 1, 28, 28) float32 in [0, 1].

    Options as for `load_mnist`; `standardize` maps pixels to (x - 0.2860) / 0.3530.
    """
    return load_idx_images(FASHION_MNIST_INFO, source, data_dir=data_dir, download=download,
                           validation=validation, standardize=standardize)


def load_idx_images(info: ImageDatasetInfo, source: DatasetSource, *,
                    data_dir: str | os.PathLike[str] | None, download: bool,
                    validation: int, standardize: bool) -> Dataset:
    """A 28x28 grayscale dataset from its four verified IDX files."""
    check_validation_size(validation)
    paths = {role: verified_file(source, role, data_dir=data_dir, download=download)
             for role in ("train_images", "train_labels", "test_images", "test_labels")}
    train_x, train_y = _read_pair(paths["train_images"], paths["train_labels"], info)
    test_x, test_y = _read_pair(paths["test_images"], paths["test_labels"], info)
    normalization = (info.mean, info.std) if standardize else None
    if normalization is not None:
        train_x = (train_x - info.mean) / info.std
        test_x = (test_x - info.mean) / info.std
    train_x, train_y, val_x, val_y = hold_out_validation(train_x, train_y, validation)
    return Dataset(
        name=info.name, train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y,
        num_classes=len(info.class_names), input_shape=(1, IMAGE_SIZE, IMAGE_SIZE),
        class_names=info.class_names, val_x=val_x, val_y=val_y,
        source=str(paths["train_images"].parent), normalization=normalization)


def _read_pair(images_path: Path, labels_path: Path,
               info: ImageDatasetInfo) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 1, 28, 28) float32 in [0, 1] and int64 labels, checked against each other."""
    images = read_idx_gz(images_path)
    labels = read_idx_gz(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise CorruptDataError(images_path, f"holds a {images.dtype} array of shape "
                                            f"{images.shape}, not uint8 images of 28x28")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise CorruptDataError(labels_path, f"holds a {labels.dtype} array of shape "
                                            f"{labels.shape}, not a uint8 vector of labels")
    if len(labels) != len(images):
        raise CorruptDataError(labels_path, f"has {len(labels)} labels but {images_path.name} "
                                            f"has {len(images)} images",
                               remedy="delete both files so that matching copies are "
                                      "downloaded")
    if len(labels) and labels.max() >= len(info.class_names):
        raise CorruptDataError(labels_path, f"contains label {int(labels.max())}, but "
                                            f"{info.name} has only {len(info.class_names)} "
                                            f"classes")
    x = torch.from_numpy(images).unsqueeze(1).to(torch.float32).div_(255.0)
    y = torch.from_numpy(labels).to(torch.int64)
    return x, y
