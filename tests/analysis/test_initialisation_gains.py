"""Variance-preserving gains against PyTorch's calculate_gain and SciPy quadrature."""

from __future__ import annotations

import math

import pytest
import torch
from mean_field_reference import REFERENCE_FUNCTIONS, normal_expectation

from actlab.analysis import recommended_init, torch_gain, variance_preserving_gain
from actlab.analysis.initialisation import TORCH_GAIN_NOTES, init_name
from actlab.catalog import registry


@pytest.mark.parametrize(("name", "torch_args"), [
    ("relu", ("relu",)),
    ("identity", ("linear",)),
    ("leaky_relu", ("leaky_relu", 0.01)),
    ("leaky_relu(0.2)", ("leaky_relu", 0.2)),
    ("leaky_relu(0.5)", ("leaky_relu", 0.5)),
    ("keras.layers.LeakyReLU", ("leaky_relu", 0.3)),
])
def test_gain_equals_pytorch_where_the_conventions_agree(name, torch_args):
    # For these PyTorch's gain *is* 1/√E[φ(z)²]: √2, √(2/(1+a²)), 1.
    expected = torch.nn.init.calculate_gain(*torch_args)
    assert variance_preserving_gain(name) == pytest.approx(expected, rel=1e-12)
    assert torch_gain(name) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("name", "pytorch"), [("tanh", 5 / 3), ("selu", 0.75), ("sigmoid", 1.0)])
def test_gain_differs_from_pytorch_conventions(name, pytorch):
    # PyTorch's tanh 5/3 and selu 3/4 are conventions, not variance-preserving values.
    f, kinks = REFERENCE_FUNCTIONS[name]
    expected = 1 / math.sqrt(normal_expectation(lambda x: f(x) ** 2, 1.0, kinks))
    ours = variance_preserving_gain(name)
    assert ours == pytest.approx(expected, rel=1e-10)
    assert torch.nn.init.calculate_gain(name) == pytest.approx(pytorch)
    assert abs(ours - pytorch) > 0.05
    assert name in TORCH_GAIN_NOTES


def test_selu_gain_is_one():
    assert variance_preserving_gain("selu") == pytest.approx(1.0, abs=1e-9)


def test_every_elementwise_catalog_activation_has_a_gain():
    for spec in registry().specs():
        if spec.kind != "elementwise":
            continue
        gain = variance_preserving_gain(spec.name)
        assert math.isfinite(gain) and gain > 0, spec.name


def test_gains_of_reference_functions_match_quadrature():
    for name, (f, kinks) in REFERENCE_FUNCTIONS.items():
        expected = 1 / math.sqrt(normal_expectation(lambda x, f=f: f(x) ** 2, 1.0, kinks))
        assert variance_preserving_gain(name) == pytest.approx(expected, rel=1e-10), name


def test_recommendations():
    selu = recommended_init("selu")
    assert selu.init == "lecun_normal" and selu.gain == 1.0 and "self-normalising" in selu.reason
    relu = recommended_init("relu")
    assert relu.init == "he_normal" and relu.gain == pytest.approx(math.sqrt(2), rel=1e-12)
    tanh = recommended_init("tanh")
    assert tanh.init == "lecun_normal" and tanh.gain == pytest.approx(1.0, abs=1e-9)
    assert "edge of chaos" in tanh.reason
    assert tanh.chi_1 == pytest.approx(1.0, abs=1e-6)


def test_init_names():
    assert init_name(1.0) == "lecun_normal"
    assert init_name(math.sqrt(2)) == "he_normal"
    assert init_name(1.7) == "normal(gain=1.7)"
