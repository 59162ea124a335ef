"""TensorFlow Playground's 2-D datasets: circle, xor, gaussians and spiral, from a seed.

The definitions follow TensorFlow Playground (dataset.ts), with class 1 for its +1 label
and class 0 for -1; `noise` in [0, 0.5] is its 0–50 % slider:

- circle: half the points at radius U(0, 2.5), half at U(3.5, 5), angle U(0, 2π); the
  class is whether the point moved by noise·U(-5, 5) per coordinate lies within 2.5.
- xor: x, y ~ U(-5, 5) pushed 0.3 away from the axes; the class is whether the point
  moved by noise·U(-5, 5) per coordinate has x·y ≥ 0.
- gaussians: two Gaussian blobs at (2, 2) (class 1) and (-2, -2) (class 0) with variance
  rising linearly from 0.5 at noise 0 to 4 at noise 0.5.
- spiral: two arms of n/2 points, r = 5i/n, t = 3.5πi/n (+π for class 0), each
  coordinate moved by noise·U(-1, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actlab.playground.query import QueryError

DATASETS = ("circle", "xor", "gaussians", "spiral")
#: Points of these datasets lie in this square (the decision boundary is drawn over it).
EXTENT = 6.0
RADIUS = 5.0
XOR_PADDING = 0.3


@dataclass(frozen=True)
class PlaneData:
    """Points in the plane with classes 0 and 1, split into training and test halves."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    inner = n // 2
    radius = np.concatenate([rng.uniform(0, RADIUS * 0.5, inner),
                             rng.uniform(RADIUS * 0.7, RADIUS, n - inner)])
    angle = rng.uniform(0, 2 * math.pi, n)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    moved = points + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    labels = (np.hypot(moved[:, 0], moved[:, 1]) < RADIUS * 0.5).astype(np.int64)
    return points, labels


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, XOR_PADDING, -XOR_PADDING)
    moved = points + rng.uniform(-5, 5, (n, 2)) * noise
    labels = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return points, labels


def _gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5
    half = n // 2
    positive = rng.normal(2.0, math.sqrt(variance), (half, 2))
    negative = rng.normal(-2.0, math.sqrt(variance), (n - half, 2))
    labels = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    return np.concatenate([positive, negative]), labels


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    arms = []
    labels = []
    half = n // 2
    for delta, label, count in ((0.0, 1, half), (math.pi, 0, n - half)):
        i = np.arange(count)
        r = i / count * RADIUS
        t = 1.75 * i / count * 2 * math.pi + delta
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        arms.append(arm + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label, np.int64))
    return np.concatenate(arms), np.concatenate(labels)


_GENERATORS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral}


def plane_dataset(name: str, points: int, noise: float, seed: int) -> PlaneData:
    """`points` samples of a dataset, shuffled, half for training and half for testing."""
    if name not in _GENERATORS:
        raise QueryError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](points, noise, rng)
    order = rng.permutation(points)
    x, y = x[order], y[order]
    cut = points // 2
    return PlaneData(x[:cut], y[:cut], x[cut:], y[cut:])
