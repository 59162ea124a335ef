"""Keras's categorical cross-entropy, against keras.losses itself (values and gradients)."""

from __future__ import annotations

import pytest
import torch

from actlab.training.losses import (
    cross_entropy,
    keras_categorical_crossentropy,
    keras_categorical_crossentropy_per_sample,
)

keras = pytest.importorskip("keras")

LABELS = torch.tensor([2, 2, 1, 1, 0, 0])


def _outputs(kind: str) -> torch.Tensor:
    """Network outputs of each kind seed 000 trains on, with their awkward cases."""
    g = torch.Generator().manual_seed(7)
    pre = torch.randn(6, 3, generator=g, dtype=torch.float64) * 2
    if kind == "softmax":
        return torch.softmax(pre, dim=1)
    if kind == "sigmoid":
        out = torch.sigmoid(pre)
        out[0] = torch.tensor([1e-9, 1e-9, 1.0 - 1e-9])  # true class p > 1 - 1e-7: clipped
        return out
    if kind == "relu":
        out = torch.relu(pre)
        out[1] = torch.tensor([0.0, 0.0, 1.3])  # the true class alone: p = 1, clipped
        out[2] = torch.tensor([0.7, 0.0, 0.2])  # true class output zero: clipped at 1e-7
        return out
    if kind == "tanh":
        out = torch.tanh(pre)
        out[3] = torch.tensor([0.4, -0.9, 0.8])  # negative sum and a negative "probability"
        return out
    raise AssertionError(kind)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["softmax", "sigmoid", "relu", "tanh"])
def test_values_and_gradients_equal_keras(kind, dtype):
    base = _outputs(kind).to(dtype)
    one_hot = torch.nn.functional.one_hot(LABELS, 3).to(dtype)
    ours_in = base.clone().requires_grad_(True)
    theirs_in = base.clone().requires_grad_(True)
    ours = keras_categorical_crossentropy_per_sample(ours_in, one_hot)
    theirs = keras.losses.categorical_crossentropy(one_hot, theirs_in)
    # Exact: on the torch backend Keras runs the same torch ops, in the same order, on tensors
    # of the same layout, so both go through the same kernels on any CPU.
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0, equal_nan=True)
    finite = torch.isfinite(theirs)
    (g_ours,) = torch.autograd.grad(ours[finite].sum(), ours_in)
    (g_theirs,) = torch.autograd.grad(theirs[finite].sum(), theirs_in)
    torch.testing.assert_close(g_ours, g_theirs, rtol=0, atol=0, equal_nan=True)
    clipped_rows = {"sigmoid": [0], "relu": [1, 2]}.get(kind, [])
    for row in clipped_rows:
        # The true class's p is clipped, and the clip passes no gradient: the whole row's
        # gradient is zero, in Keras and here.
        assert torch.all(g_theirs[row] == 0) and torch.all(g_ours[row] == 0)


@pytest.mark.parametrize("kind", ["softmax", "sigmoid", "relu", "tanh"])
def test_batch_mean_equals_keras_compiled_loss(kind):
    outputs = _outputs(kind).float()
    one_hot = torch.nn.functional.one_hot(LABELS, 3).float()
    expected = keras.losses.CategoricalCrossentropy()(one_hot, outputs)
    torch.testing.assert_close(keras_categorical_crossentropy(outputs, LABELS),
                               torch.as_tensor(expected), rtol=1e-6, atol=0, equal_nan=True)


def test_all_zero_relu_row_is_nan_as_in_keras():
    outputs = torch.tensor([[0.0, 0.0, 0.0], [0.1, 0.2, 0.3]])
    one_hot = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    ours = keras_categorical_crossentropy_per_sample(outputs, one_hot)
    theirs = keras.losses.categorical_crossentropy(one_hot, outputs)
    assert torch.isnan(ours[0]) and torch.isnan(torch.as_tensor(theirs)[0])
    assert ours[1] == pytest.approx(float(theirs[1]))


def test_cross_entropy_from_logits_equals_keras_from_logits():
    logits = torch.randn(8, 5, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(8) % 5
    expected = keras.losses.categorical_crossentropy(
        torch.nn.functional.one_hot(labels, 5).float(), logits, from_logits=True).mean()
    torch.testing.assert_close(cross_entropy(logits, labels), torch.as_tensor(expected))
