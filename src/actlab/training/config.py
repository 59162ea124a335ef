"""A trial as plain data: `TrialConfig` (what to train) and `ProbeConfig` (what to record).

Both are dataclasses that round-trip through dicts and JSON, so a study can store, hash
and resume them. Fields left at None take the model's training recipe (seed 003's Adam
1e-4 with batches of 50 for mnist_cnn, seed 000's full-batch SGD 0.01 with Keras's
categorical cross-entropy for shallow; see `actlab.training.recipes`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from actlab.catalog.registry import resolve
from actlab.code_references import is_code_reference, reference_slug
from actlab.data.registry import dataset_entry
from actlab.errors import ParameterError
from actlab.models.registry import model_entry
from actlab.training.seeding import MAX_SEED

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("cross_entropy", "keras_categorical_crossentropy")
DEVICES = ("auto", "cpu", "cuda")


class TrialConfigError(ParameterError):
    """A trial or probe configuration with a missing, unknown or out-of-range field."""


@dataclass(frozen=True)
class ProbeConfig:
    """How often each probe runs (in optimiser steps; 0 switches a probe off).

    The defaults keep the probes' cost to a few percent of training (measured in
    benchmarks/training_probe_overhead.py):

    - `eval_every`: train/test loss and accuracy; None means once per epoch when training
      by epochs, and when training by steps once per 20 x `eval_samples` training
      examples (an evaluation's forward passes then cost about 2% of the training).
    - `eval_samples`: the first test examples that evaluations during training use (None:
      all); the final evaluation always uses the whole test set.
    - `gradient_every`: per-parameter gradient norm, mean, std and max; quantiles of the
      first layer's weight and bias gradients (seed 003's plots).
    - `activation_every`: per-site activation mean and std, dead and saturated units, on
      the first `probe_samples` training examples; also before the first step and after
      the last.
    - `histogram_every`: histograms (`histogram_bins` bins) of gradients and weights at
      gradient-probe steps that are multiples of it, and of activations at activation-probe
      steps that are (and before the first step and after the last).
    - `prediction_samples`: outputs on the first training examples before and after
      training (seed 000 prints them).
    - `tensorboard`: write TensorBoard event files (when the trial has an output dir).
    """

    eval_every: int | None = None
    eval_samples: int | None = 500
    gradient_every: int = 20
    activation_every: int = 500
    histogram_every: int = 1000
    histogram_bins: int = 30
    probe_samples: int = 128
    prediction_samples: int = 5
    tensorboard: bool = True

    @classmethod
    def off(cls) -> ProbeConfig:
        """Every probe off: only the final evaluation and the loss of each step remain."""
        return cls(eval_every=0, gradient_every=0, activation_every=0, histogram_every=0,
                   prediction_samples=0, tensorboard=False)

    def validate(self) -> ProbeConfig:
        for name in ("gradient_every", "activation_every", "histogram_every",
                     "prediction_samples"):
            _check_whole(name, getattr(self, name), minimum=0)
        _check_whole("histogram_bins", self.histogram_bins, minimum=2, maximum=MAX_BINS)
        _check_whole("probe_samples", self.probe_samples, minimum=1)
        if self.eval_every is not None:
            _check_whole("eval_every", self.eval_every, minimum=0)
        if self.eval_samples is not None:
            _check_whole("eval_samples", self.eval_samples, minimum=1)
        if not isinstance(self.tensorboard, bool):
            raise TrialConfigError(f"probes.tensorboard must be true or false, "
                                   f"got {self.tensorboard!r}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeConfig:
        _reject_unknown(cls, data, "probes")
        return cls(**data).validate()


@dataclass(frozen=True)
class TrialConfig:
    """One trial: dataset, model, activation, optimisation, seed, device and probes.

    Exactly one of `epochs` and `steps` is set. `batch_size=0` means full batch.
    `train_samples`/`test_samples` keep only the first examples of each split.
    `weight_decay` applies to the model's own decay set where it has one (the CIFAR-10
    tutorial's FC layers), else to every parameter. Weights that become nan or inf mark the
    trial diverged and stop it; `stop_on_divergence=False` trains on, as Keras's `fit`. A
    nan loss with finite weights (Keras's cross-entropy of an all-zero output row) is not
    divergence: it is recorded (`TrialResult.nan_loss`) and training goes on.
    """

    dataset: str = "mnist1d"
    model: str = "mlp"
    activation: str = "relu"
    activation_params: dict[str, Any] = field(default_factory=dict)
    model_options: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    data_seed: int | None = None
    train_samples: int | None = None
    test_samples: int | None = None
    standardize_inputs: bool = False
    epochs: int | None = None
    steps: int | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    lr: float | None = None
    momentum: float = 0.0
    weight_decay: float | None = None
    loss: str | None = None
    seed: int = 0
    device: str = "auto"
    stop_on_divergence: bool = True
    probes: ProbeConfig = field(default_factory=ProbeConfig)

    def validate(self) -> TrialConfig:
        """Self, after checking every field; TrialConfigError names the first bad one.

        A config is checked once: validating it again (run_trial does) costs nothing.
        """
        if self.__dict__.get("_validated"):
            return self
        for name in ("dataset", "model", "activation"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise TrialConfigError(f"{name} must be a non-empty name, got {value!r}")
        for name in ("activation_params", "model_options", "dataset_options"):
            if not isinstance(getattr(self, name), dict):
                raise TrialConfigError(f"{name} must be a mapping of names to values, "
                                       f"got {getattr(self, name)!r}")
        # Unknown names fail here, before any data is loaded or any trial of a study runs.
        dataset_entry(self.dataset)
        model_entry(self.model)
        resolve(self.activation).bind(self.activation_params)
        if (self.epochs is None) == (self.steps is None):
            raise TrialConfigError(f"set exactly one of epochs and steps, got epochs="
                                   f"{self.epochs!r} and steps={self.steps!r}")
        if self.epochs is not None:
            _check_whole("epochs", self.epochs, minimum=1)
        if self.steps is not None:
            _check_whole("steps", self.steps, minimum=1)
        for name in ("batch_size", "data_seed"):
            if getattr(self, name) is not None:
                _check_whole(name, getattr(self, name), minimum=0)
        for name in ("train_samples", "test_samples"):
            if getattr(self, name) is not None:
                _check_whole(name, getattr(self, name), minimum=1)
        _check_whole("seed", self.seed, minimum=0, maximum=MAX_SEED)
        if self.data_seed is not None:
            _check_whole("data_seed", self.data_seed, minimum=0, maximum=MAX_SEED)
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise TrialConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, "
                                   f"got {self.optimizer!r}")
        if self.loss is not None and not is_code_reference(self.loss) \
                and self.loss not in LOSSES:
            raise TrialConfigError(f"loss must be one of {', '.join(LOSSES)} or a reference to "
                                   f"a function ('file.py:my_loss'), got {self.loss!r}")
        if self.loss is not None and is_code_reference(self.loss):
            from actlab.training.losses import loss_function

            loss_function(self.loss)
        if self.device not in DEVICES and not re.fullmatch(r"cuda:\d+", str(self.device)):
            raise TrialConfigError(f"device must be auto, cpu, cuda or cuda:N, "
                                   f"got {self.device!r}")
        if self.lr is not None:
            _check_number("lr", self.lr, positive=True)
        _check_number("momentum", self.momentum)
        if not 0.0 <= self.momentum < 1.0:
            raise TrialConfigError(f"momentum must lie in [0, 1), got {self.momentum!r}")
        if self.weight_decay is not None:
            _check_number("weight_decay", self.weight_decay)
            if self.weight_decay < 0:
                raise TrialConfigError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if not isinstance(self.stop_on_divergence, bool):
            raise TrialConfigError(f"stop_on_divergence must be true or false, "
                                   f"got {self.stop_on_divergence!r}")
        if not isinstance(self.standardize_inputs, bool):
            raise TrialConfigError(f"standardize_inputs must be true or false, "
                                   f"got {self.standardize_inputs!r}")
        if not isinstance(self.probes, ProbeConfig):
            raise TrialConfigError(f"probes must be a ProbeConfig, got {self.probes!r}")
        self.probes.validate()
        object.__setattr__(self, "_validated", True)  # frozen: set once, never changed
        return self

    def replace(self, **changes: Any) -> TrialConfig:
        """A copy with some fields changed (and validated)."""
        return dataclasses.replace(self, **changes).validate()

    @property
    def name(self) -> str:
        """A file-system-safe name: dataset-model-activation-seedN."""
        return trial_name(self.dataset, self.model, self.activation, self.seed)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["probes"] = self.probes.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialConfig:
        if not isinstance(data, dict):
            raise TrialConfigError(f"a trial configuration is a mapping, got {data!r}")
        _reject_unknown(cls, data, "trial configuration")
        values = dict(data)
        probes = values.get("probes", {})
        if isinstance(probes, dict):
            values["probes"] = ProbeConfig.from_dict(probes)
        return cls(**values).validate()

    @classmethod
    def from_validated(cls, data: dict[str, Any]) -> TrialConfig:
        """A config from the plain data of one that was validated before (a study's stored
        trial), trusted as it is: workers run it without checking it again."""
        values = dict(data)
        values["probes"] = ProbeConfig(**values.get("probes", {}))
        config = cls(**values)
        object.__setattr__(config, "_validated", True)
        return config

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrialConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TrialConfigError(f"a trial configuration must be JSON: {exc}") from exc
        return cls.from_dict(data)


def trial_name(dataset: str, model: str, activation: str, seed: int) -> str:
    """A file-system-safe name of a trial: dataset-model-activation-seedN (the user's own
    model or data by its short name: `mymodels.tiny_net`)."""
    dataset, model = (_short_name(dataset), _short_name(model))
    raw = f"{dataset}-{model}-{activation}-seed{seed}"
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", raw).strip("_")[:120]


def _short_name(name: str) -> str:
    if is_code_reference(name):
        return reference_slug(name)
    return name.rpartition("/")[2] if name.endswith(".pt") else name


def _reject_unknown(cls: type, data: dict[str, Any], what: str) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TrialConfigError(f"{what} has unknown field {unknown[0]!r}; known fields: "
                               f"{', '.join(sorted(known))}")


#: The most histogram bins (each is stored for every histogram of every probe step).
MAX_BINS = 10_000
#: The largest count a trial takes (steps, batch size, samples...): torch's indices are
#: 64-bit, and 2**53 steps would outlast any machine anyway.
MAX_WHOLE = 2**53


def _check_whole(name: str, value: Any, minimum: int, maximum: int | None = MAX_WHOLE) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TrialConfigError(f"{name} must be a whole number >= {minimum}, "
                               f"got {str(value)[:40]}")
    if maximum is not None and value > maximum:
        raise TrialConfigError(f"{name} must be at most {maximum:,}, got {str(value)[:40]}")


def _check_number(name: str, value: Any, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise TrialConfigError(f"{name} must be a number, got {value!r}")
    # An infinite learning rate or decay makes every weight nan at the first step.
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        finite = False
    if not finite:
        raise TrialConfigError(f"{name} must be a finite number, got {str(value)[:40]}")
    if positive and value <= 0:
        raise TrialConfigError(f"{name} must be > 0, got {value!r}")
