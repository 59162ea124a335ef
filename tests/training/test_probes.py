"""Probes against hand-computed values: NumPy backprop, NumPy dead/saturated units, SciPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import optimize, stats

import actlab
from actlab.models import build_model
from actlab.training.probes import (
    ActivationProbe,
    first_layer_parameters,
    gradient_records,
    prediction_snapshot,
    quantile_records,
    site_rule,
    tensor_histogram,
)

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [2.0, -1.5, 0.4],
              [-1.0, -0.5, -0.3]])
LABELS = np.array([0, 1, 1, 0, 1])
W1 = np.array([[0.4, -0.3, 0.2], [-0.5, 0.6, 0.1], [0.3, 0.2, -0.4],
               [-0.01, -0.01, -0.01]])
B1 = np.array([0.1, -0.2, 0.05, -5.0])  # the last unit never fires: dead
W2 = np.array([[0.3, -0.2, 0.5, 0.7], [-0.4, 0.1, 0.2, -0.6]])
B2 = np.array([0.05, -0.05])


def tiny_mlp(activation: str):
    model = build_model("mlp", activation, input_shape=(3,), num_classes=2, widths=[4]).double()
    with torch.no_grad():
        model.hidden[0].weight.copy_(torch.from_numpy(W1))
        model.hidden[0].bias.copy_(torch.from_numpy(B1))
        model.output.weight.copy_(torch.from_numpy(W2))
        model.output.bias.copy_(torch.from_numpy(B2))
    return model


def numpy_relu_net_gradients() -> dict[str, np.ndarray]:
    """Backprop by hand: softmax cross-entropy (batch mean) through Dense-ReLU-Dense."""
    z1 = X @ W1.T + B1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2.T + B2
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz2 = (p - np.eye(2)[LABELS]) / len(X)
    dz1 = (dz2 @ W2) * (z1 > 0)
    return {"hidden.0.weight": dz1.T @ X, "hidden.0.bias": dz1.sum(axis=0),
            "output.weight": dz2.T @ a1, "output.bias": dz2.sum(axis=0)}


def test_gradient_statistics_equal_hand_backprop():
    model = tiny_mlp("relu")
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X)),
                                             torch.from_numpy(LABELS))
    loss.backward()
    records = {r.parameter: r for r in gradient_records(list(model.named_parameters()), 7)}
    expected = numpy_relu_net_gradients()
    assert set(records) == set(expected)
    for name, g in expected.items():
        r = records[name]
        assert r.step == 7
        assert r.norm == pytest.approx(np.linalg.norm(g), rel=1e-12)
        assert r.mean == pytest.approx(g.mean(), rel=1e-12, abs=1e-15)
        assert r.std == pytest.approx(g.std(), rel=1e-12)
        assert r.max_abs == pytest.approx(np.abs(g).max(), rel=1e-12)
    # The dead unit's incoming weights get exactly no gradient.
    assert np.all(expected["hidden.0.weight"][3] == 0)


def test_first_layer_quantiles_equal_numpy():
    model = tiny_mlp("relu")
    torch.nn.functional.cross_entropy(model(torch.from_numpy(X)),
                                      torch.from_numpy(LABELS)).backward()
    first = first_layer_parameters(model)
    assert [name for name, _ in first] == ["hidden.0.weight", "hidden.0.bias"]
    expected = numpy_relu_net_gradients()
    for record in quantile_records(first, 3):
        name = record.tag.removesuffix(".grad")
        np.testing.assert_allclose(record.values, np.quantile(expected[name], record.levels),
                                   rtol=1e-6, atol=1e-9)


def test_relu_activation_probe_equals_numpy():
    model = tiny_mlp("relu")
    probe = ActivationProbe(model.activation_sites())
    (record,), _ = probe.run(model, torch.from_numpy(X), step=5)
    z1 = X @ W1.T + B1
    a1 = np.maximum(z1, 0)
    assert record.site == "act1" and record.step == 5
    assert record.mean == pytest.approx(a1.mean())
    assert record.std == pytest.approx(a1.std())
    never_active = np.all(z1 <= 0, axis=0)
    assert never_active.tolist() == [False, False, False, True]
    assert record.dead_fraction == pytest.approx(never_active.mean())  # 1/4
    # relu' = 0 where z <= 0: below 1e-3 of its sup (1), so saturated there.
    assert record.saturated_fraction == pytest.approx(np.mean(z1 <= 0))
    assert record.saturated_unit_fraction == pytest.approx(0.25)
    (site,) = probe.site_info
    assert site.dead_region and site.slope_scale == pytest.approx(1.0)


def test_sigmoid_probe_saturation_equals_numpy_and_no_dead_units():
    model = tiny_mlp("sigmoid")
    with torch.no_grad():
        model.hidden[0].weight.mul_(30.0)  # push pre-activations into the flat tails
    probe = ActivationProbe(model.activation_sites())
    (record,), _ = probe.run(model, torch.from_numpy(X), step=0)
    z1 = X @ (30 * W1).T + B1
    s = 1 / (1 + np.exp(-z1))
    saturated = s * (1 - s) < 1e-3 * 0.25  # sigmoid' peaks at 1/4
    assert 0 < saturated.mean() < 1
    assert record.saturated_fraction == pytest.approx(saturated.mean())
    assert record.saturated_unit_fraction == pytest.approx(np.all(saturated, axis=0).mean())
    assert record.dead_fraction == 0.0  # no region where sigmoid' = 0
    (site,) = probe.site_info
    assert not site.dead_region and "no dead units" in site.note


def test_conv_units_are_channels():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 3, 3, padding=1)
    with torch.no_grad():
        conv.weight.mul_(0.01)
        conv.bias.copy_(torch.tensor([-100.0, 100.0, 0.0]))
    model = torch.nn.Sequential(conv, actlab.get("relu"))
    probe = ActivationProbe([("1", model[1])])
    (record,), _ = probe.run(model, torch.randn(4, 1, 6, 6), step=0)
    assert record.dead_fraction == pytest.approx(1 / 3)  # channel 0 only


def test_vector_activation_has_no_dead_or_saturated_units():
    model = build_model("mlp", "softmax", input_shape=(3,), num_classes=2, widths=[4])
    probe = ActivationProbe(model.activation_sites())
    (record,), _ = probe.run(model, torch.randn(6, 3), step=0)
    assert record.dead_fraction == 0.0 and record.saturated_fraction is None
    assert "not defined" in probe.site_info[0].note or "no" in probe.site_info[0].note


def _gelu_peak() -> float:
    res = optimize.minimize_scalar(lambda x: -(stats.norm.cdf(x) + x * stats.norm.pdf(x)),
                                   bounds=(0, 3), method="bounded")
    return -res.fun


@pytest.mark.parametrize("name, scale, dead", [
    ("sigmoid", 0.25, False), ("tanh", 1.0, False), ("relu", 1.0, True),
    ("leaky_relu", 1.0, False), ("elu", 1.0, False), ("relu6", 1.0, True),
    ("selu", 1.0507009873554805 * 1.6732632423543772, False), ("gelu", None, False),
    ("hardtanh", 1.0, True), ("hard_sigmoid", 1 / 6, True), ("hardshrink", 1.0, True),
    ("softsign", 1.0, False), ("exponential", math.e, False), ("binary_step", 0.0, True)])
def test_slope_scale_and_dead_region(name, scale, dead):
    rule = site_rule("s", actlab.get(name))
    expected = _gelu_peak() if scale is None else scale
    assert rule.info.slope_scale == pytest.approx(expected, rel=1e-4, abs=1e-12)
    assert rule.info.dead_region is dead


def test_every_elementwise_catalog_activation_gets_a_rule_consistent_with_its_forward():
    """The rule's f' scale and dead region agree with finite differences of f itself."""
    x = torch.linspace(-1.0, 1.0, 2001, dtype=torch.float64)
    h = 1e-6
    for name in actlab.names():
        spec = actlab.spec(name)
        required = {p.name: p.example for p in spec.params if p.required}
        module = actlab.get(name, **required)
        rule = site_rule("s", module)
        if spec.kind != "elementwise":
            assert rule.info.slope_scale is None and not rule.info.dead_region, name
            continue
        values = spec.math_values(module.params)
        away = torch.ones_like(x, dtype=torch.bool)
        for kink in spec.kink_points(module.params):  # a jump is no slope
            away &= (x - kink).abs() > 10 * h
        xs = x[away]
        slope = ((spec.forward(xs + h, **values) - spec.forward(xs - h, **values))
                 / (2 * h)).abs()
        assert rule.info.slope_scale >= slope.max().item() * (1 - 1e-3) - 1e-9, name


def test_histogram_equals_numpy():
    values = torch.from_numpy(np.random.default_rng(0).normal(size=5000)).float()
    hist = tensor_histogram("t", values, bins=30)
    counts, edges = np.histogram(values.numpy(), bins=30,
                                 range=(values.min().item(), values.max().item()))
    np.testing.assert_allclose(hist.edges, edges, rtol=1e-6)
    assert sum(hist.counts) == 5000
    assert np.abs(np.array(hist.counts) - counts).sum() <= 2  # edge rounding at most
    assert hist.total == pytest.approx(float(values.double().sum()), rel=1e-5)
    assert tensor_histogram("t", torch.tensor([1.0, float("nan")]), 10) is None


def test_prediction_snapshot_is_eval_mode_output_with_summary():
    model = tiny_mlp("relu")
    model.train()
    snap = prediction_snapshot(model, torch.from_numpy(X), step=0)
    z1 = np.maximum(X @ W1.T + B1, 0)
    out = z1 @ W2.T + B2
    np.testing.assert_allclose(snap.outputs, out, rtol=1e-6)  # reported in float32
    assert (snap.max, snap.min) == pytest.approx((out.max(), out.min()))
    assert snap.mean == pytest.approx(out.mean())
    assert model.training  # the probe restores the mode
