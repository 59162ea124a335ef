"""Splitting a training set: a validation hold-out, and a seeded stratified train/test split."""

from __future__ import annotations

import numpy as np
import torch

from actlab.errors import ParameterError


def check_validation_size(size: object) -> int:
    """`size` if it is a whole number >= 0, else ParameterError (checked before reading files)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ParameterError(f"validation must be a whole number of samples (0 for none), "
                             f"got {size!r}")
    return size


def hold_out_validation(x: torch.Tensor, y: torch.Tensor, size: int
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None,
                                   torch.Tensor | None]:
    """(train_x, train_y, val_x, val_y) with the first `size` samples held out; None when 0."""
    if check_validation_size(size) >= len(x):
        raise ParameterError(f"validation must be a whole number of samples from 0 to "
                             f"{len(x) - 1} (the training set has {len(x)}), got {size!r}")
    if size == 0:
        return x, y, None, None
    return x[size:], y[size:], x[:size], y[:size]


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train_indices, test_indices): each class split in the same proportion, seeded.

    Each class contributes round(test_fraction * class_count) samples to the test set.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ParameterError(f"test_fraction must lie strictly between 0 and 1, "
                             f"got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    test_parts = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        take = int(round(test_fraction * len(members)))
        test_parts.append(rng.permutation(members)[:take])
    test = np.sort(np.concatenate(test_parts))
    train = np.setdiff1d(np.arange(len(labels)), test, assume_unique=True)
    return train, test
