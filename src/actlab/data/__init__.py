"""Datasets for actlab trials: embedded (toy, MNIST-1D, digits) and verified downloads.

    >>> from actlab.data import load_dataset
    >>> data = load_dataset("digits", seed=1)
    >>> data.train_x.shape[1:], data.num_classes
    (torch.Size([1, 8, 8]), 10)
"""

from actlab.data.cifar10 import CIFAR10_SOURCE, load_cifar10, read_cifar10_archive
from actlab.data.dataset import Dataset, one_hot
from actlab.data.digits import load_digits
from actlab.data.errors import (
    ChecksumError,
    CorruptDataError,
    DataError,
    DatasetUnavailableError,
    UnknownDatasetError,
    UnsafePickleError,
)
from actlab.data.idx_format import parse_idx, read_idx_gz
from actlab.data.image_transforms import (
    center_crop,
    crop_images,
    per_image_standardization,
    random_crop_flip,
)
from actlab.data.locations import cache_dir, data_dir
from actlab.data.mnist import (
    FASHION_MNIST_SOURCE,
    MNIST_SOURCE,
    load_fashion_mnist,
    load_mnist,
)
from actlab.data.mnist1d_dataset import load_mnist1d
from actlab.data.registry import DATASETS, DatasetEntry, dataset_entry, dataset_names, load_dataset
from actlab.data.sources import DatasetSource, RemoteFile, verified_file
from actlab.data.toy import load_toy

__all__ = [
    "CIFAR10_SOURCE", "DATASETS", "FASHION_MNIST_SOURCE", "MNIST_SOURCE",
    "ChecksumError", "CorruptDataError", "DataError", "Dataset", "DatasetEntry",
    "DatasetSource", "DatasetUnavailableError", "RemoteFile", "UnknownDatasetError",
    "UnsafePickleError",
    "cache_dir", "center_crop", "crop_images", "data_dir", "dataset_entry", "dataset_names",
    "load_cifar10", "load_dataset", "load_digits", "load_fashion_mnist", "load_mnist",
    "load_mnist1d", "load_toy", "one_hot", "parse_idx", "per_image_standardization",
    "random_crop_flip", "read_cifar10_archive", "read_idx_gz", "verified_file",
]
