"""A live training run: what its snapshots report, checked against independent arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actlab.playground.limits import Limits
from actlab.playground.query import QueryError
from actlab.playground.training_session import (
    TrainingConfig,
    TrainingRun,
    snapshot_json,
    training_config,
)

NUMPY_ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}


def _numpy_forward(model, x: np.ndarray, activation: str) -> np.ndarray:
    """The MLP's logits in float64 NumPy, from its weights."""
    h = x
    for layer in model.hidden:
        h = NUMPY_ACTIVATIONS[activation](h @ layer.weight.detach().double().numpy().T
                                          + layer.bias.detach().double().numpy())
    return h @ model.output.weight.detach().double().numpy().T + \
        model.output.bias.detach().double().numpy()


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _run(**fields) -> TrainingRun:
    return TrainingRun(TrainingConfig(**fields), grid_size=11)


def test_snapshot_losses_and_boundary_match_a_numpy_forward_pass():
    run = _run(dataset="circle", activations=("relu", "tanh"), hidden=(5, 4), steps=30,
               points=60, learning_rate=0.1)
    snapshots = list(run.snapshots())
    last = snapshots[-1]
    assert [s["step"] for s in snapshots] == list(range(31))
    grid = run.grid.double().numpy()
    x, y = run.train_x.double().numpy(), run.train_y.numpy()
    for network, model in zip(run.networks, last["models"]):
        logits = _numpy_forward(network.model, x, network.label)
        loss = -_log_softmax(logits)[np.arange(len(y)), y].mean()
        # float32 network against float64 arithmetic: agreement to ~1e-6 relative.
        assert model["train_loss"] == pytest.approx(loss, rel=1e-5)
        assert model["train_accuracy"] == pytest.approx((logits.argmax(1) == y).mean())
        probability = np.exp(_log_softmax(_numpy_forward(network.model, grid, network.label)))
        # The boundary is sent rounded to 3 decimals.
        np.testing.assert_allclose(np.array(model["boundary"]).ravel(), probability[:, 1],
                                   atol=6e-4)


def test_gradient_norms_match_finite_differences():
    run = _run(dataset="xor", activations=("tanh",), hidden=(3,), steps=5, points=40,
               learning_rate=0.5)
    last = list(run.snapshots())[-1]["models"][0]
    model = run.networks[0].model
    x, y = run.train_x.double().numpy(), run.train_y.numpy()

    def loss(weights: np.ndarray, which: int) -> float:
        layers = [*model.hidden, model.output]
        saved = layers[which].weight.data.clone()
        layers[which].weight.data = torch.as_tensor(weights, dtype=torch.float32)
        try:
            logits = _numpy_forward(model, x, "tanh")
            return float(-_log_softmax(logits)[np.arange(len(y)), y].mean())
        finally:
            layers[which].weight.data = saved

    for which, layer in enumerate([*model.hidden, model.output]):
        w = layer.weight.detach().double().numpy()
        gradient = np.zeros_like(w)
        h = 1e-3  # central differences of a float32 network: error ~h² + 1e-7/h
        for index in np.ndindex(*w.shape):
            up, down = w.copy(), w.copy()
            up[index] += h
            down[index] -= h
            gradient[index] = (loss(up, which) - loss(down, which)) / (2 * h)
        assert last["grad_norms"][which] == pytest.approx(np.linalg.norm(gradient), rel=2e-3)


def test_dead_units_are_counted_per_hidden_layer():
    run = _run(dataset="gaussians", activations=("relu", "tanh"), hidden=(6, 4), steps=1,
               points=40)
    for network in run.networks:
        with torch.no_grad():
            network.model.hidden[0].bias[:3] = -1e3  # no input reaches these three units
    first = run.snapshot(0)["models"]
    assert first[0]["dead"][0] == pytest.approx(0.5)
    # tanh has no region where f' = 0: no unit can be dead, however negative its input.
    assert first[1]["dead"] == [0.0, 0.0]
    assert len(first[0]["grad_norms"]) == 3


def test_networks_of_equal_shape_start_from_the_same_weights():
    run = _run(activations=("relu", "gelu", "x*sigmoid(1.702*x)"), hidden=(4,))
    weights = [n.model.hidden[0].weight.detach() for n in run.networks]
    for other in weights[1:]:
        torch.testing.assert_close(other, weights[0], rtol=0, atol=0)


def test_training_lowers_the_loss_on_separable_data():
    run = _run(dataset="gaussians", activations=("relu",), hidden=(4,), steps=200,
               learning_rate=0.1)
    snapshots = list(run.snapshots())
    first, last = snapshots[0]["models"][0], snapshots[-1]["models"][0]
    assert last["train_loss"] < 0.5 * first["train_loss"]
    assert last["test_accuracy"] >= 0.95


def test_seed_000_toy_problem_reports_outputs_and_keras_loss():
    run = _run(dataset="toy", activations=("sigmoid",), steps=3, learning_rate=0.01)
    model = list(run.snapshots())[-1]["models"][0]
    outputs = np.array(model["outputs"])
    assert outputs.shape == (5, 3)
    # Keras's categorical cross-entropy on the sigmoid outputs: normalise, clip, -log.
    dense = run.networks[0].model.dense
    z = run.train_x.double().numpy() @ dense.weight.detach().double().numpy().T + \
        dense.bias.detach().double().numpy()
    p = 1 / (1 + np.exp(-z))
    p = np.clip(p / p.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
    expected = -np.log(p[np.arange(5), run.train_y.numpy()]).mean()
    np.testing.assert_allclose(outputs, 1 / (1 + np.exp(-z)), atol=6e-5)  # 4 decimals
    assert model["train_loss"] == pytest.approx(expected, rel=1e-5)


def test_non_finite_numbers_become_null():
    run = _run(dataset="circle", activations=("relu",), hidden=(4,), steps=2, points=20,
               learning_rate=1e6)
    with torch.no_grad():
        run.networks[0].model.output.weight.fill_(math.inf)
    text = snapshot_json(run.snapshot(0))
    assert "NaN" not in text and "Infinity" not in text and "null" in text


@pytest.mark.parametrize(("fields", "message"), [
    ({"colour": "red"}, "unknown field 'colour'"),
    ({"dataset": "moons"}, "dataset must be one of"),
    ({"activations": ["relu"] * 4}, "1 to 3 activations"),
    ({"activations": "relu,,"}, None),
    ({"activations": [1]}, "activations must be a list"),
    ({"hidden": [8] * 7}, "at most 6"),
    ({"hidden": [64]}, r"\[1, 32\]"),
    ({"hidden": "8,x"}, "whole number"),
    ({"steps": 10**9}, r"\[1, 20000\]"),
    ({"learning_rate": "nan"}, "learning_rate"),
    ({"points": 5000}, "points"),
    ({"batch_size": 0}, "batch_size"),
    ({"noise": 2}, "noise"),
])
def test_bad_training_requests_are_refused(fields, message):
    if message is None:
        assert training_config(fields, Limits()).activations == ("relu",)
        return
    with pytest.raises(QueryError, match=message):
        training_config(fields, Limits())


def test_training_request_must_be_an_object():
    with pytest.raises(QueryError, match="JSON object"):
        training_config(["relu"], Limits())
