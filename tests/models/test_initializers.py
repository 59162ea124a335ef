"""Initialisers against SciPy's distributions, Keras's own initialisers and the papers."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from scipy import stats

from actlab.models import build_model, init_layer, tf_truncated_normal_

os.environ.setdefault("KERAS_BACKEND", "torch")


def test_tf_truncated_normal_is_the_normal_truncated_at_two_std():
    torch.manual_seed(0)
    values = tf_truncated_normal_(torch.empty(40_000), std=0.1).numpy().astype(np.float64)
    reference = stats.truncnorm(-2.0, 2.0, loc=0.0, scale=0.1)
    assert np.abs(values).max() <= 0.2
    assert stats.kstest(values, reference.cdf).pvalue > 1e-3
    assert values.std() == pytest.approx(reference.std(), rel=0.02)


def test_mnist_cnn_init_is_the_originals():
    torch.manual_seed(0)
    model = build_model("mnist_cnn", "relu", input_shape=(1, 28, 28), num_classes=10)
    std = stats.truncnorm(-2.0, 2.0, scale=0.1).std()
    for layer in (model.conv1, model.conv2, model.fc1, model.fc2):
        w = layer.weight.detach().numpy()
        assert np.abs(w).max() <= 0.2
        assert w.std() == pytest.approx(std, rel=0.15 if w.size < 1000 else 0.03)
        assert torch.all(layer.bias == 0.1)


def test_cifar10_cnn_init_is_the_tutorials():
    torch.manual_seed(0)
    model = build_model("cifar10_cnn", "relu", input_shape=(3, 24, 24), num_classes=10)
    expected = {"conv1": (5e-2, 0.0), "conv2": (5e-2, 0.1), "local3": (0.04, 0.1),
                "local4": (0.04, 0.1), "softmax_linear": (1 / 192.0, 0.0)}
    for name, (std, bias) in expected.items():
        layer = getattr(model, name)
        w = layer.weight.detach().numpy()
        assert np.abs(w).max() <= 2 * std + 1e-9, name
        assert w.std() == pytest.approx(stats.truncnorm(-2, 2, scale=std).std(), rel=0.05), name
        assert torch.all(layer.bias == bias), name


@pytest.mark.parametrize("ours, keras_name", [
    ("glorot_uniform", "GlorotUniform"), ("glorot_normal", "GlorotNormal"),
    ("lecun_normal", "LecunNormal"), ("he_normal", "HeNormal"), ("he_uniform", "HeUniform"),
    ("lecun_uniform", "LecunUniform")])
def test_variance_scaling_matches_keras(ours, keras_name):
    import keras

    layer = torch.nn.Linear(300, 200)  # Keras kernel shape (300, 200): fan_in 300, fan_out 200
    torch.manual_seed(0)
    init_layer(layer, ours, bias=0.0)
    mine = layer.weight.detach().numpy().ravel().astype(np.float64)
    theirs = np.asarray(getattr(keras.initializers, keras_name)(seed=1)((300, 200)),
                        dtype=np.float64).ravel()
    assert stats.ks_2samp(mine, theirs).pvalue > 1e-3
    assert np.abs(mine).max() <= np.abs(theirs).max() * 1.02 + 1e-6
    assert torch.all(layer.bias == 0)


def test_shallow_uses_keras_dense_defaults():
    torch.manual_seed(0)
    weights = np.concatenate([
        build_model("shallow", "relu", input_shape=(10,), num_classes=3).dense.weight
        .detach().numpy().ravel() for _ in range(200)])
    limit = math.sqrt(6 / (10 + 3))  # Glorot & Bengio 2010, Keras's default kernel
    assert np.abs(weights).max() <= limit
    assert stats.kstest(weights, stats.uniform(-limit, 2 * limit).cdf).pvalue > 1e-3


def test_orthogonal_rows():
    layer = torch.nn.Linear(64, 32)
    init_layer(layer, "orthogonal")
    w = layer.weight.detach().double()
    assert torch.allclose(w @ w.T, torch.eye(32, dtype=torch.float64), atol=1e-5)


def test_torch_default_leaves_pytorchs_init():
    torch.manual_seed(3)
    reference = torch.nn.Linear(8, 4)
    torch.manual_seed(3)
    layer = torch.nn.Linear(8, 4)
    init_layer(layer, "torch_default")
    assert torch.equal(layer.weight, reference.weight) and torch.equal(layer.bias,
                                                                        reference.bias)
