"""Seed 000's toy problem and the Dataset container."""

from __future__ import annotations

import numpy as np
import torch

from actlab.data import Dataset, load_dataset

SEED_000_ONE_HOT = [[0, 0, 1], [0, 0, 1], [0, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_features_are_seeded_standard_normal_samples():
    for seed in (0, 5):
        data = load_dataset("toy", seed=seed)
        expected = np.random.default_rng(seed).standard_normal((5, 10)).astype(np.float32)
        np.testing.assert_array_equal(data.train_x.numpy(), expected)
        assert data.train_x.dtype == torch.float32
    assert not torch.equal(load_dataset("toy", seed=0).train_x, load_dataset("toy", seed=5).train_x)


def test_default_seed_is_zero():
    np.testing.assert_array_equal(
        load_dataset("toy").train_x.numpy(),
        np.random.default_rng(0).standard_normal((5, 10)).astype(np.float32))


def test_labels_as_indices_and_one_hot():
    data = load_dataset("toy")
    assert data.train_y.tolist() == [2, 2, 1, 1, 0] and data.train_y.dtype == torch.int64
    assert data.train_y_one_hot.tolist() == SEED_000_ONE_HOT
    assert data.train_y_one_hot.dtype == torch.float32
    assert data.num_classes == 3 and data.input_shape == (10,)


def test_the_test_set_is_the_training_set():
    data = load_dataset("toy")
    assert torch.equal(data.test_x, data.train_x) and torch.equal(data.test_y, data.train_y)
    assert data.test_y_one_hot.tolist() == SEED_000_ONE_HOT
    data.test_x[0, 0] = 99.0  # separate storage: changing one split leaves the other alone
    assert data.train_x[0, 0].item() != 99.0


def test_repr_summarises_instead_of_printing_tensors():
    data = Dataset(name="d", train_x=torch.zeros(7, 2), train_y=torch.zeros(7, dtype=torch.long),
                   test_x=torch.zeros(3, 2), test_y=torch.zeros(3, dtype=torch.long),
                   num_classes=2, input_shape=(2,), val_x=torch.zeros(1, 2),
                   val_y=torch.zeros(1, dtype=torch.long))
    assert repr(data) == ("Dataset(name='d', train=7, val=1, test=3, input_shape=2, "
                          "num_classes=2)")
    assert data.has_validation and not load_dataset("toy").has_validation
