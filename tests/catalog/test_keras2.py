"""Keras 2 flavors against the Keras 2.4 / TF 2.4 formulas, written out in NumPy.

Keras 2 is not installable beside Keras 3, so its reference is its source's formula
(keras/activations.py and keras/backend.py of Keras 2.4), transcribed here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import special

import actlab
from actlab.catalog import registry

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _relu(x, alpha=0.0, max_value=None, threshold=0.0):
    # keras/backend.py relu(), Keras 2.4.
    if alpha != 0.0 and max_value is None and threshold == 0:
        return np.where(x > 0, x, alpha * x)
    negative = np.maximum(-x + threshold, 0) if threshold != 0 else np.maximum(-x, 0)
    if threshold != 0:
        x = x * (x > threshold)
    else:
        x = np.maximum(x, 0)
    if max_value is not None:
        x = np.clip(x, 0, max_value)
    if alpha != 0:
        x = x - alpha * negative
    return x


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


KERAS2 = {
    "tf.keras.activations.elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "tf.keras.layers.ELU": lambda x: np.where(x > 0, x, np.expm1(x)),
    "tf.keras.activations.exponential": np.exp,
    "tf.keras.activations.gelu": lambda x: 0.5 * x * (1 + special.erf(x / math.sqrt(2))),
    "tf.keras.activations.hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "tf.keras.activations.linear": lambda x: x,
    "tf.keras.layers.LeakyReLU": lambda x: np.where(x > 0, x, 0.3 * x),
    "tf.keras.layers.PReLU": lambda x: np.maximum(x, 0),
    "tf.keras.activations.relu": _relu,
    "tf.keras.layers.ReLU": _relu,
    "tf.keras.activations.selu": lambda x: SELU_SCALE * np.where(x > 0, x,
                                                                 SELU_ALPHA * np.expm1(x)),
    "tf.keras.activations.sigmoid": special.expit,
    "tf.keras.activations.swish": lambda x: x * special.expit(x),
    "tf.keras.activations.softmax": _softmax,
    "tf.keras.layers.Softmax": _softmax,
    "tf.keras.activations.softplus": lambda x: np.logaddexp(x, 0),
    "tf.keras.activations.softsign": lambda x: x / (1 + np.abs(x)),
    "tf.keras.activations.tanh": np.tanh,
    "tf.keras.layers.ThresholdedReLU": lambda x: x * (x > 1.0),
}

SPELLINGS = sorted(s for spec in registry().specs() if "keras2" in spec.flavors
                   for s in spec.flavors["keras2"].names if s.startswith("tf.keras"))


def test_every_keras2_spelling_has_a_written_reference():
    assert set(SPELLINGS) <= set(KERAS2), set(SPELLINGS) - set(KERAS2)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_keras2_defaults(spelling):
    x = np.linspace(-6, 6, 121).reshape(11, 11)
    got = actlab.get(spelling)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, KERAS2[spelling](x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"alpha": 0.1}, dict(alpha=0.1)),
    ({"max_value": 2.5}, dict(max_value=2.5)),
    ({"max_value": 6.0}, dict(max_value=6.0)),
    ({"threshold": 1.5}, dict(threshold=1.5)),
    ({"threshold": -1.0, "max_value": 3.0, "alpha": 0.2},
     dict(threshold=-1.0, max_value=3.0, alpha=0.2)),
    ({"threshold": -1.0}, dict(threshold=-1.0)),
])
def test_keras2_relu_arguments(kwargs, expected):
    x = np.linspace(-4, 4, 161)
    got = actlab.get("tf.keras.activations.relu", **kwargs)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, _relu(x, **expected), rtol=1e-12, atol=1e-12)


def test_seed_004_hard_sigmoid_is_keras2s():
    """Seed 004 documents hard sigmoid as 0 below -2.5, 1 above 2.5, 0.2x + 0.5 between."""
    f = actlab.get("keras2:hard_sigmoid")
    x = torch.tensor([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0])
    torch.testing.assert_close(f(x), torch.tensor([0.0, 0.0, 0.5, 0.7, 1.0, 1.0]))
    assert actlab.get("hard_sigmoid")(torch.tensor([1.0])).item() == pytest.approx(1 / 6 + 0.5)
