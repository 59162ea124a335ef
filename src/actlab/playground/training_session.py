"""One live training run of the playground: several activations, same data, same seed.

Each activation gets its own network, built from the same seed (so networks of equal
shape start from the same weights) and trained in lockstep on the same mini-batches.
Every few steps a snapshot records, per network: training and test loss and accuracy,
the gradient norm of each layer's weights on the whole training set, the fraction of
dead (and saturated) units per hidden layer, and the decision boundary (P(class 1) on a
grid over the plane) or, for seed 000's toy problem, the network's outputs.

Seed 000's toy problem is the notebook's: Dense(3) on 5 samples of 10 features with the
activation on the outputs, Keras's categorical cross-entropy, full-batch SGD.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from actlab.data.toy import load_toy
from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.mlp import MLP
from actlab.models.shallow import ShallowDense
from actlab.playground import query
from actlab.playground.limits import Limits
from actlab.playground.toy_datasets import DATASETS, EXTENT, plane_dataset
from actlab.training.losses import cross_entropy, keras_categorical_crossentropy
from actlab.training.probes.unit_states import site_rule, unit_statistics

TOY = "toy"
ALL_DATASETS = (*DATASETS, TOY)
OPTIMIZERS = ("sgd", "adam")
#: Snapshots per run (plus the first, at step 0).
SNAPSHOTS = 100
CONFIG_FIELDS = ("dataset", "activations", "hidden", "learning_rate", "optimizer",
                 "batch_size", "steps", "noise", "points", "seed")


@dataclass(frozen=True)
class TrainingConfig:
    """What to train: data, network shape, optimiser and the activations to compare."""

    dataset: str = "circle"
    activations: tuple[str, ...] = ("relu",)
    hidden: tuple[int, ...] = (8, 8)
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    batch_size: int = 10
    steps: int = 1000
    noise: float = 0.0
    points: int = 400
    seed: int = 0


def training_config(data: Any, limits: Limits) -> TrainingConfig:
    """A TrainingConfig from a client's JSON object, every field checked and bounded."""
    if not isinstance(data, Mapping):
        raise query.QueryError("a training request must be a JSON object")
    query.known_fields(data, CONFIG_FIELDS, "the training request")
    defaults = TrainingConfig()
    activations = data.get("activations", list(defaults.activations))
    if isinstance(activations, str):
        activations = query.split_activation_list(activations)
    if not isinstance(activations, list) or not all(isinstance(a, str) and a.strip()
                                                    for a in activations):
        raise query.QueryError("activations must be a list of activation names or formulas")
    if not 1 <= len(activations) <= limits.max_training_activations:
        raise query.QueryError(f"train 1 to {limits.max_training_activations} activations "
                               f"side by side, got {len(activations)}")
    return TrainingConfig(
        dataset=query.choice(data.get("dataset"), "dataset", ALL_DATASETS,
                             default=defaults.dataset),
        activations=tuple(a.strip() for a in activations),
        hidden=tuple(query.whole_numbers(data.get("hidden", list(defaults.hidden)), "hidden",
                                         max_count=limits.max_hidden_layers, low=1,
                                         high=limits.max_hidden_width, allow_empty=True)),
        learning_rate=query.number(data.get("learning_rate"), "learning_rate", low=1e-6,
                                   high=10.0, default=defaults.learning_rate),
        optimizer=query.choice(data.get("optimizer"), "optimizer", OPTIMIZERS,
                               default=defaults.optimizer),
        batch_size=query.whole_number(data.get("batch_size"), "batch_size", low=1,
                                      high=limits.max_batch_size, default=defaults.batch_size),
        steps=query.whole_number(data.get("steps"), "steps", low=1, high=limits.max_steps,
                                 default=defaults.steps),
        noise=query.number(data.get("noise"), "noise", low=0.0, high=0.5,
                           default=defaults.noise),
        points=query.whole_number(data.get("points"), "points", low=10,
                                  high=limits.max_points, default=defaults.points),
        seed=query.whole_number(data.get("seed"), "seed", low=0, high=2**31 - 1,
                                default=defaults.seed),
    )


def _value(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _rounded(array: np.ndarray, digits: int) -> list:
    """Nested lists of rounded floats, null where not finite (JSON has no NaN)."""
    rounded = np.round(np.asarray(array, dtype=np.float64), digits)
    return np.where(np.isfinite(rounded), rounded, None).tolist()


class _Network:
    """One activation's network, optimiser and the hooks that catch pre-activations."""

    def __init__(self, label: str, model: ActivationNetwork, optimizer: torch.optim.Optimizer):
        self.label = label
        self.model = model
        self.optimizer = optimizer
        self.linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        self.sites = list(model.activation_sites())
        self.rules = [site_rule(name, module) for name, module in self.sites]
        self.pre: dict[str, torch.Tensor] = {}
        for name, module in self.sites:
            module.register_forward_hook(self._catch(name))

    def _catch(self, name: str):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor):
            if not torch.is_grad_enabled():
                self.pre[name] = inputs[0].detach()
        return hook


class TrainingRun:
    """Builds the data and the networks; `snapshots()` trains and reports as it goes."""

    def __init__(self, config: TrainingConfig, grid_size: int = 41) -> None:
        self.config = config
        self.toy = config.dataset == TOY
        if self.toy:
            toy = load_toy(seed=config.seed)
            self.train_x, self.train_y = toy.train_x, toy.train_y
            self.test_x, self.test_y = toy.test_x, toy.test_y
            self.loss = keras_categorical_crossentropy
        else:
            data = plane_dataset(config.dataset, config.points, config.noise, config.seed)
            self.train_x = torch.as_tensor(data.train_x, dtype=torch.float32)
            self.train_y = torch.as_tensor(data.train_y)
            self.test_x = torch.as_tensor(data.test_x, dtype=torch.float32)
            self.test_y = torch.as_tensor(data.test_y)
            self.loss = cross_entropy
        axis = np.linspace(-EXTENT, EXTENT, grid_size)
        self.grid_axis = axis
        gx, gy = np.meshgrid(axis, axis)
        self.grid = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], axis=1),
                                    dtype=torch.float32)
        self.networks = [self._network(text) for text in config.activations]

    def _network(self, text: str) -> _Network:
        factory = ActivationFactory(text)
        torch.manual_seed(self.config.seed)
        if self.toy:
            model: ActivationNetwork = ShallowDense(factory, (self.train_x.shape[1],), 3)
        else:
            model = MLP(factory, (2,), 2, widths=self.config.hidden)
        if self.config.optimizer == "adam":
            optimizer: torch.optim.Optimizer = torch.optim.Adam(model.parameters(),
                                                                lr=self.config.learning_rate)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=self.config.learning_rate)
        return _Network(factory.label, model, optimizer)

    @property
    def layer_names(self) -> list[str]:
        count = len(self.networks[0].linears)
        return ([f"hidden {i}" for i in range(1, count)] + ["output"]) if not self.toy \
            else ["dense"]

    def setup(self) -> dict[str, Any]:
        """The data and the grid, sent once before the first snapshot."""
        setup: dict[str, Any] = {
            "type": "setup", "dataset": self.config.dataset, "steps": self.config.steps,
            "activations": [n.label for n in self.networks], "layers": self.layer_names,
            "train": {"x": _rounded(self.train_x.numpy(), 4), "y": self.train_y.tolist()},
            "test": {"x": _rounded(self.test_x.numpy(), 4), "y": self.test_y.tolist()},
        }
        if not self.toy:
            setup["grid"] = _rounded(self.grid_axis, 4)
        return setup

    def _batches(self) -> Iterator[torch.Tensor]:
        """Mini-batch indices, the same for every network: shuffled epochs (full batch
        for the toy problem, as in seed 000)."""
        n = len(self.train_x)
        size = n if self.toy else min(self.config.batch_size, n)
        generator = torch.Generator().manual_seed(self.config.seed)
        while True:
            order = torch.randperm(n, generator=generator)
            for start in range(0, n - size + 1, size):
                yield order[start:start + size]

    def snapshots(self) -> Iterator[dict[str, Any]]:
        """Train for config.steps steps, yielding a snapshot at step 0, every few steps
        and at the end."""
        every = max(1, self.config.steps // SNAPSHOTS)
        yield self.snapshot(0)
        batches = self._batches()
        for step in range(1, self.config.steps + 1):
            index = next(batches)
            x, y = self.train_x[index], self.train_y[index]
            for network in self.networks:
                network.optimizer.zero_grad(set_to_none=True)
                self.loss(network.model(x), y).backward()
                network.optimizer.step()
            if step % every == 0 or step == self.config.steps:
                yield self.snapshot(step)

    def snapshot(self, step: int) -> dict[str, Any]:
        """Losses, accuracies, gradient norms, dead units and the boundary, now."""
        return {"type": "snapshot", "step": step,
                "models": [self._measure(network) for network in self.networks]}

    def _measure(self, network: _Network) -> dict[str, Any]:
        model = network.model
        model.zero_grad(set_to_none=True)
        train_loss = self.loss(model(self.train_x), self.train_y)
        train_loss.backward()
        grad_norms = [_value(float(layer.weight.grad.norm())) if layer.weight.grad is not None
                      else 0.0 for layer in network.linears]
        model.zero_grad(set_to_none=True)
        with torch.no_grad():
            network.pre.clear()
            train_out = model(self.train_x)
            units = [unit_statistics(rule, module, network.pre[name])
                     for rule, (name, module) in zip(network.rules, network.sites)]
            test_out = model(self.test_x)
            test_loss = float(self.loss(test_out, self.test_y))
        result: dict[str, Any] = {
            "activation": network.label,
            "train_loss": _value(float(train_loss.detach())), "test_loss": _value(test_loss),
            "train_accuracy": _accuracy(train_out, self.train_y),
            "test_accuracy": _accuracy(test_out, self.test_y),
            "grad_norms": grad_norms,
            "dead": [_value(float(u[0])) for u in units],
            "saturated": [_value(float(u[1])) for u in units],
        }
        with torch.no_grad():
            if self.toy:
                result["outputs"] = _rounded(train_out.numpy(), 4)
            else:
                probability = torch.softmax(model(self.grid), dim=1)[:, 1]
                size = len(self.grid_axis)
                result["boundary"] = _rounded(probability.reshape(size, size).numpy(), 3)
        return result


def _accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> float | None:
    if not bool(torch.isfinite(outputs).all()):
        return None
    return float((outputs.argmax(dim=1) == labels).double().mean())


def snapshot_json(message: dict[str, Any]) -> str:
    """A message as compact JSON (no NaN: every non-finite number is already null)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)
