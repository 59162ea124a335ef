"""scikit-learn's bundled 8x8 digits (1,797 images) with a seeded stratified train/test split."""

from __future__ import annotations

import numpy as np
import torch

from actlab.data.dataset import Dataset
from actlab.data.errors import DatasetUnavailableError
from actlab.data.splits import stratified_split

DIGITS_MAX_VALUE = 16.0  # pixels are counts of set bits in 4x4 blocks: 0..16


def load_digits(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """Digits as (N, 1, 8, 8) float32 in [0, 1]; round(test_fraction) of each class is test."""
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:
        raise DatasetUnavailableError(
            "the digits dataset needs scikit-learn, which is not installed; install it with "
            "`pip install 'actlab[studies]'`") from exc
    bunch = sklearn_load_digits()
    images = np.asarray(bunch.images, dtype=np.float64) / DIGITS_MAX_VALUE
    labels = np.asarray(bunch.target, dtype=np.int64)
    train, test = stratified_split(labels, test_fraction, seed)
    train_index, test_index = torch.from_numpy(train), torch.from_numpy(test)
    x = torch.from_numpy(images).to(torch.float32).unsqueeze(1)
    y = torch.from_numpy(labels)
    return Dataset(
        name="digits", train_x=x[train_index], train_y=y[train_index],
        test_x=x[test_index], test_y=y[test_index],
        num_classes=10, input_shape=(1, 8, 8), class_names=tuple(str(d) for d in range(10)),
        source=f"sklearn.datasets.load_digits, stratified split with seed {seed}")
