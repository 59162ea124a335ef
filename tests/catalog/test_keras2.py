"""Keras 2 is the real one: tf_keras on TensorFlow (the `keras2` test extra), in the same
process as Keras 3, JAX and PyTorch. Every spelling is compared with it, values and
gradients, in tests/catalog/test_frameworks.py; here: that every Keras 2 activation has
its spellings, and the cases seed 004 and the Keras 2 documentation show.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import actlab
from support.frameworks import evaluate, framework_version, output_weights

tf_keras = pytest.importorskip("tf_keras")

#: tf_keras.activations' public names that are not activations.
NOT_ACTIVATIONS = {"deserialize", "get", "serialize"}
#: Keras 2's activation layers (tf_keras.layers.Activation wraps a function by name).
LAYERS = ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU")


def test_the_installed_keras_2_is_tf_keras_2_21_beside_keras_3_jax_and_torch():
    """tensorflow-cpu, tf_keras, Keras 3 (on torch), JAX and flax live in one process."""
    import flax
    import jax
    import keras
    import tensorflow as tf

    assert framework_version("keras2").startswith("tf_keras 2.21")
    assert tf.__version__.startswith("2.21") and tf_keras.__version__.startswith("2.21")
    assert keras.__version__.startswith("3.") and keras.backend.backend() == "torch"
    x = np.linspace(-2, 2, 5)
    outputs = [np.asarray(tf_keras.activations.relu(tf.constant(x))),
               np.asarray(jax.nn.relu(jax.numpy.asarray(x))),
               np.asarray(flax.linen.relu(jax.numpy.asarray(x))),
               keras.activations.relu(torch.tensor(x)).numpy()]
    for out in outputs:
        np.testing.assert_array_equal(out, np.maximum(x, 0))


@pytest.mark.parametrize("name", sorted(set(dir(tf_keras.activations)) - NOT_ACTIVATIONS
                                        - {n for n in dir(tf_keras.activations)
                                           if n.startswith("_")}))
def test_every_keras2_activation_function_has_its_spellings(name):
    for spelling in (f"tf.keras.activations.{name}", f"keras2:{name}"):
        resolved = actlab.resolve(spelling)
        assert resolved.flavor == "keras2", spelling
    assert "tf.keras.activations." + name in actlab.resolve(f"keras2:{name}").spec.flavors[
        "keras2"].names


@pytest.mark.parametrize("layer", LAYERS)
def test_every_keras2_activation_layer_has_its_spellings(layer):
    assert hasattr(tf_keras.layers, layer)
    for spelling in (f"tf.keras.layers.{layer}", f"keras2.layers.{layer}"):
        resolved = actlab.resolve(spelling)
        assert resolved.flavor == "keras2", spelling
        assert resolved.spelling == spelling


def test_seed_004_hard_sigmoid_is_keras2s():
    """Seed 004 documents hard sigmoid as 0 below -2.5, 1 above 2.5, 0.2x + 0.5 between."""
    f = actlab.get("keras2:hard_sigmoid")
    x = torch.tensor([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0])
    torch.testing.assert_close(f(x), torch.tensor([0.0, 0.0, 0.5, 0.7, 1.0, 1.0]))
    assert actlab.get("hard_sigmoid")(torch.tensor([1.0])).item() == pytest.approx(1 / 6 + 0.5)


def _ours(spelling: str, x: np.ndarray, dtype: torch.dtype, **params) -> tuple[np.ndarray, ...]:
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    y = actlab.get(spelling, **params)(xt)
    (g,) = torch.autograd.grad(y.sum(), xt)
    return y.detach().numpy(), g.numpy()


def test_keras2_hard_sigmoid_passes_the_gradient_at_its_ends():
    """TensorFlow's clip_by_value passes the gradient at both ends: f'(±2.5) = 0.2."""
    x = np.array([-2.5, 2.5])
    ref = evaluate("keras2", "tf.keras.activations.hard_sigmoid", x, "float64", {})
    np.testing.assert_allclose(ref.grad / output_weights(x.shape), [0.2, 0.2], rtol=1e-15)
    _, grad = _ours("tf.keras.activations.hard_sigmoid", x, torch.float64)
    np.testing.assert_allclose(grad, [0.2, 0.2], rtol=1e-15)
    _, grad = _ours("hard_sigmoid", np.array([-3.0, 3.0]), torch.float64)
    np.testing.assert_array_equal(grad, [0.0, 0.0])  # PyTorch's: 0 at its ends (±3)


@pytest.mark.parametrize(("spelling", "params", "rounded"), [
    ("tf.keras.layers.LeakyReLU", {}, "negative_slope"),
    ("tf.keras.layers.LeakyReLU", {"alpha": 0.1}, "negative_slope"),
    ("tf.keras.layers.ELU", {"alpha": 0.7}, "alpha"),
    ("tf.keras.layers.ThresholdedReLU", {"theta": 1.1}, "theta"),
    ("tf.keras.layers.ReLU", {"max_value": 1.1}, "max_value"),
    ("tf.keras.activations.relu", {"alpha": 0.1}, "negative_slope"),
])
def test_keras2_keeps_these_arguments_as_float32(spelling, params, rounded):
    """Keras 2 stores these as float32 (backend.cast_to_floatx, or tf.nn.leaky_relu's float
    attribute) and computes with them in float64: the float64 numbers show it."""
    module = actlab.get(spelling, **params)
    value = module.params[rounded]
    assert value == float(np.float32(value)) and value != float(
        params.get("alpha", params.get("theta", params.get("max_value", value + 1))))
    x = np.linspace(-3, 3, 61)
    kwargs = {k: v for k, v in params.items()}
    ref = evaluate("keras2", spelling, x, "float64", kwargs)
    got, _ = _ours(spelling, x, torch.float64, **params)
    np.testing.assert_allclose(got, ref.value, rtol=1e-15, atol=1e-15)


def test_keras2_relu_function_keeps_an_exact_slope_off_its_leaky_path():
    """With a cap, Keras 2's relu multiplies by the slope as a float64 tensor: no rounding."""
    module = actlab.get("tf.keras.activations.relu", alpha=0.1, max_value=2.0)
    assert module.params["negative_slope"] == 0.1
