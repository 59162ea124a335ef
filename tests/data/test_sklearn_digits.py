"""scikit-learn's digits: every sample used once, seeded stratified split, pixels in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actlab.data import load_dataset
from actlab.errors import ParameterError

sklearn_datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn not installed")


@pytest.fixture(scope="module")
def full() -> tuple[np.ndarray, np.ndarray]:
    bunch = sklearn_datasets.load_digits()
    return bunch.images.astype(np.float64), bunch.target.astype(np.int64)


def _sorted_rows(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(len(x), -1)
    return flat[np.lexsort(flat.T[::-1])]


def test_shapes_and_scaling(full):
    data = load_dataset("digits")
    assert data.train_x.shape[1:] == (1, 8, 8) and data.input_shape == (1, 8, 8)
    assert len(data.train_x) + len(data.test_x) == 1797
    assert data.train_x.dtype == torch.float32 and data.train_y.dtype == torch.int64
    both = torch.cat([data.train_x, data.test_x])
    assert both.min().item() == 0.0 and both.max().item() == 1.0
    sixteenths = both * 16  # sklearn's pixels are integers 0..16
    assert torch.equal(sixteenths, sixteenths.round())


def test_train_and_test_together_are_exactly_the_bundled_digits(full):
    images, labels = full
    data = load_dataset("digits", seed=4)
    mine = np.concatenate([
        np.concatenate([data.train_x.numpy().reshape(-1, 64) * 16, data.train_y.numpy()[:, None]],
                       axis=1),
        np.concatenate([data.test_x.numpy().reshape(-1, 64) * 16, data.test_y.numpy()[:, None]],
                       axis=1)])
    theirs = np.concatenate([images.reshape(-1, 64), labels[:, None]], axis=1)
    np.testing.assert_array_equal(_sorted_rows(mine), _sorted_rows(theirs))


@pytest.mark.parametrize(("seed", "fraction"), [(0, 0.2), (3, 0.25), (11, 0.5)])
def test_each_class_is_split_in_the_same_proportion(full, seed, fraction):
    _, labels = full
    data = load_dataset("digits", seed=seed, test_fraction=fraction)
    expected_test = np.round(fraction * np.bincount(labels)).astype(int)
    assert np.bincount(data.test_y.numpy(), minlength=10).tolist() == expected_test.tolist()
    assert np.bincount(data.train_y.numpy(), minlength=10).tolist() == \
        (np.bincount(labels) - expected_test).tolist()


def test_the_split_is_determined_by_the_seed():
    a = load_dataset("digits", seed=7)
    b = load_dataset("digits", seed=7)
    c = load_dataset("digits", seed=8)
    assert torch.equal(a.test_x, b.test_x) and torch.equal(a.train_y, b.train_y)
    assert not torch.equal(a.test_x, c.test_x)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 2])
def test_impossible_test_fractions_are_refused(fraction):
    with pytest.raises(ParameterError, match="test_fraction must lie strictly between 0 and 1"):
        load_dataset("digits", test_fraction=fraction)
