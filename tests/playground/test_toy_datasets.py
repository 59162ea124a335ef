"""TensorFlow Playground's 2-D datasets: each class obeys its dataset's rule."""

from __future__ import annotations

import numpy as np
import pytest

from actlab.playground.query import QueryError
from actlab.playground.toy_datasets import DATASETS, EXTENT, plane_dataset


def _all(data):
    return (np.concatenate([data.train_x, data.test_x]),
            np.concatenate([data.train_y, data.test_y]))


@pytest.mark.parametrize("name", DATASETS)
def test_sizes_classes_and_extent(name):
    data = plane_dataset(name, 200, 0.5, seed=3)
    assert data.train_x.shape == (100, 2) and data.test_x.shape == (100, 2)
    x, y = _all(data)
    assert set(np.unique(y)) == {0, 1}
    assert np.abs(x).max() <= EXTENT + 1e-9 or name == "gaussians"


@pytest.mark.parametrize("name", DATASETS)
def test_a_seed_gives_the_same_data(name):
    a, b = plane_dataset(name, 50, 0.2, 7), plane_dataset(name, 50, 0.2, 7)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    assert not np.array_equal(a.train_x, plane_dataset(name, 50, 0.2, 8).train_x)


def test_circle_without_noise_is_inside_against_outside():
    x, y = _all(plane_dataset("circle", 400, 0.0, 0))
    radius = np.hypot(x[:, 0], x[:, 1])
    assert (radius[y == 1] < 2.5).all() and (radius[y == 0] >= 3.5).all()
    assert (y == 1).sum() == 200


def test_xor_without_noise_is_the_sign_of_the_product():
    x, y = _all(plane_dataset("xor", 400, 0.0, 0))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(int))
    assert np.abs(x).min() >= 0.3  # pushed away from the axes


def test_gaussians_are_centred_on_the_diagonal():
    x, y = _all(plane_dataset("gaussians", 1000, 0.0, 0))
    # 500 points of variance 0.5: the mean is off by more than 0.2 with odds of ~1e-10.
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.2)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.2)
    np.testing.assert_allclose(x[y == 1].var(axis=0), [0.5, 0.5], rtol=0.25)


def test_spiral_arms_are_point_reflections_of_each_other():
    x, y = _all(plane_dataset("spiral", 200, 0.0, 0))
    one = x[y == 1][np.argsort(np.hypot(*x[y == 1].T))]
    zero = x[y == 0][np.argsort(np.hypot(*x[y == 0].T))]
    np.testing.assert_allclose(one, -zero, atol=1e-9)  # t + π is the point (-x, -y)


def test_unknown_dataset_is_an_error():
    with pytest.raises(QueryError, match="circle"):
        plane_dataset("moons", 10, 0.0, 0)
