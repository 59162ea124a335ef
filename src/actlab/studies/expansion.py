"""Expanding a study spec into trials: activation × seed × every point of the grid.

A trial's identity is a hash of its TrialConfig (the fields that differ from the defaults,
as canonical JSON), so the same trial in a later run of the study (or in a study with more
seeds) is recognised and not re-run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from actlab.studies.spec import TRIAL_SEED, ActivationEntry, StudySpec
from actlab.training.config import ProbeConfig, TrialConfig

Condition = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Trial:
    """One training run of a study: which activation, seed and grid point, and its config."""

    trial_id: str
    activation: str
    seed: int
    condition: Condition
    config: TrialConfig

    @property
    def condition_label(self) -> str:
        """The grid point in words (`depth=8, lr=0.001`), empty without a grid."""
        return condition_label(self.condition)


def condition_label(condition: Condition) -> str:
    """`model.depth=8, training.lr=0.001` → `depth=8, lr=0.001`."""
    return ", ".join(f"{key.partition('.')[2]}={value}" for key, value in condition)


def identity_data(config: TrialConfig) -> dict[str, Any]:
    """The fields of a config that differ from TrialConfig's (and ProbeConfig's) defaults.

    Identity rests on these alone, so a field added to TrialConfig later (with a default
    that keeps the old behaviour) does not change the identity of trials already stored.
    """
    defaults = TrialConfig().to_dict()
    probe_defaults = ProbeConfig().to_dict()
    data = {}
    for key, value in config.to_dict().items():
        if key == "probes":
            changed = {k: v for k, v in value.items() if probe_defaults.get(k, _ABSENT) != v}
            if changed:
                data[key] = changed
        elif defaults.get(key, _ABSENT) != value:
            data[key] = value
    return data


_ABSENT = object()


def trial_id(config: TrialConfig) -> str:
    """The trial's identity: 16 hex digits of SHA-256 of its non-default fields as JSON."""
    text = json.dumps(identity_data(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def conditions(spec: StudySpec) -> list[Condition]:
    """Every point of the spec's grid (one empty condition when there is no grid)."""
    keys = list(spec.grid)
    points = itertools.product(*spec.grid.values())
    return [tuple(zip(keys, values, strict=True)) for values in points]


def trial_config(spec: StudySpec, entry: ActivationEntry, condition: Condition,
                 seed: int) -> TrialConfig:
    """The TrialConfig of one trial: spec < grid point < the activation's own overrides."""
    training = dict(spec.training)
    model_options = dict(spec.model_options)
    dataset_options = dict(spec.dataset_options)
    sections = {"training": training, "model": model_options, "dataset": dataset_options}
    for key, value in condition:
        section, _, option = key.partition(".")
        sections[section][option] = value
    model_options.update(entry.model)
    training.update(entry.training)
    return TrialConfig(
        dataset=spec.dataset, model=spec.model, activation=entry.name,
        activation_params=dict(entry.params), model_options=model_options,
        dataset_options=dataset_options, seed=seed,
        data_seed=seed if spec.data_seed == TRIAL_SEED else spec.data_seed,
        probes=ProbeConfig(**spec.probes), **training).validate()


def expand(spec: StudySpec) -> list[Trial]:
    """Every trial of the study, seed by seed, so that an interrupted study has whole seeds."""
    trials = []
    for seed in spec.seeds:
        for condition in conditions(spec):
            for entry in spec.activations:
                config = trial_config(spec, entry, condition, seed)
                trials.append(Trial(trial_id(config), entry.label, seed, condition, config))
    return trials
