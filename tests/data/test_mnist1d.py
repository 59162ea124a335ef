"""MNIST-1D: generated offline, identical to the mnist1d package's own output, cached."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from actlab.data import load_dataset
from actlab.data import mnist1d_dataset as module
from actlab.data.mnist1d_dataset import load_mnist1d

mnist1d_data = pytest.importorskip("mnist1d.data", reason="the mnist1d package is not installed")


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    """The published MNIST-1D recipe run by the mnist1d package itself (seed 42)."""
    args = mnist1d_data.get_dataset_args()
    assert args.seed == 42 and args.num_samples == 5000 and args.train_split == 0.8
    state = np.random.get_state()
    try:
        return mnist1d_data.make_dataset(args)
    finally:
        np.random.set_state(state)


@pytest.fixture(scope="module")
def first_load(tmp_path_factory):
    """The first load into an empty cache, with the global RNG draws before and after it."""
    cache = tmp_path_factory.mktemp("mnist1d-cache")
    random.seed(123)
    np.random.seed(123)
    data = load_mnist1d(seed=42, cache_dir=cache)
    draws = (random.random(), np.random.random())
    random.seed(123)
    np.random.seed(123)
    undisturbed = (random.random(), np.random.random())
    return data, cache, draws, undisturbed


def test_equals_the_packages_own_generation(first_load, reference):
    data = first_load[0]
    np.testing.assert_array_equal(data.train_x.numpy(), reference["x"].astype(np.float32))
    np.testing.assert_array_equal(data.test_x.numpy(), reference["x_test"].astype(np.float32))
    np.testing.assert_array_equal(data.train_y.numpy(), reference["y"])
    np.testing.assert_array_equal(data.test_y.numpy(), reference["y_test"])


def test_split_shapes_and_labels(first_load):
    data = first_load[0]
    assert data.train_x.shape == (4000, 40) and data.test_x.shape == (1000, 40)
    assert data.train_x.dtype == torch.float32 and data.train_y.dtype == torch.int64
    assert data.input_shape == (40,) and data.num_classes == 10
    # make_dataset draws 5000 // 10 = 500 signals of each digit before shuffling
    counts = torch.bincount(data.train_y, minlength=10) + torch.bincount(data.test_y,
                                                                         minlength=10)
    assert counts.tolist() == [500] * 10


def test_generation_leaves_the_global_random_state_alone(first_load):
    _, _, draws, undisturbed = first_load
    assert draws == undisturbed


def test_second_load_comes_from_the_cache(first_load, monkeypatch):
    data, cache, _, _ = first_load
    files = list((cache / "mnist1d").glob("*.npz"))
    assert len(files) == 1 and "seed42" in files[0].name
    monkeypatch.setattr(module, "_generate", lambda args: pytest.fail("regenerated"))
    again = load_dataset("mnist1d", seed=42, cache_dir=cache)
    assert torch.equal(again.train_x, data.train_x) and torch.equal(again.test_y, data.test_y)


def test_default_seed_is_the_published_one_and_cache_dir_comes_from_the_environment(
        first_load, monkeypatch):
    data, cache, _, _ = first_load
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(cache))
    monkeypatch.setattr(module, "_generate", lambda args: pytest.fail("regenerated"))
    assert torch.equal(load_dataset("mnist1d").train_x, data.train_x)


def test_another_seed_gives_other_signals(first_load, tmp_path):
    other = load_mnist1d(seed=1, cache_dir=tmp_path)
    assert other.train_x.shape == (4000, 40)
    assert not torch.equal(other.train_x, first_load[0].train_x)


def _fake_arrays(args):
    rng = np.random.default_rng(int(args["seed"]))
    return {"x": rng.standard_normal((8, 40)), "y": rng.integers(0, 10, 8),
            "x_test": rng.standard_normal((2, 40)), "y_test": rng.integers(0, 10, 2)}


def test_an_unwritable_cache_only_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "_generate", _fake_arrays)
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    data = load_mnist1d(seed=5, cache_dir=blocker / "cache")
    np.testing.assert_array_equal(data.train_x.numpy(),
                                  _fake_arrays({"seed": 5})["x"].astype(np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-directory"]


def test_a_damaged_cache_file_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "_generate", _fake_arrays)
    load_mnist1d(seed=5, cache_dir=tmp_path)
    (cached,) = (tmp_path / "mnist1d").glob("*.npz")
    cached.write_bytes(b"PK\x03\x04 damaged")
    data = load_mnist1d(seed=5, cache_dir=tmp_path)
    np.testing.assert_array_equal(data.test_y.numpy(), _fake_arrays({"seed": 5})["y_test"])
    assert sorted(p.name for p in (tmp_path / "mnist1d").iterdir()) == [cached.name]
    with np.load(cached) as stored:  # rewritten whole
        np.testing.assert_array_equal(stored["y"], _fake_arrays({"seed": 5})["y"])
