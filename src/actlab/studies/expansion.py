"""Expanding a study spec into trials: activation × seed × every point of the grid.

A trial's identity is a hash of its definition: the values the study itself sets (dataset,
model and its options, activation, seed, the [training] and [probes] keys, the grid point),
as canonical JSON. The same trial in a later run of the study, or in a study with more
seeds, is recognised and not re-run; and since values the study leaves to actlab's
defaults are not part of it, results stay valid when a later actlab adds a field to
TrialConfig or tunes a probe default. (A new output folder starts afresh.)

A spec is expanded once, when it is read (that is how its trials are validated); the
runner stores the trials in the study's results store, and everything after that (the
workers, the report) reads them from there.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actlab.studies.spec import MODEL_GRID_KEY, TRIAL_SEED, ActivationEntry, StudySpec
from actlab.studies.store import Condition, PlannedTrial, condition_label
from actlab.training.config import ProbeConfig, TrialConfig

__all__ = ["Condition", "Trial", "build_trial", "condition_label", "conditions", "expand",
           "expand_trials", "trial_config", "trial_definition", "trial_id"]


@dataclass(frozen=True)
class Trial:
    """One training run of a study: which activation, seed and grid point, and its config."""

    trial_id: str
    activation: str
    seed: int
    condition: Condition
    config: TrialConfig
    definition: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def condition_label(self) -> str:
        """The grid point in words (`depth=8, lr=0.001`), empty without a grid."""
        return condition_label(self.condition)

    def planned(self) -> PlannedTrial:
        """The trial as the results store keeps it."""
        return PlannedTrial(self.trial_id, self.activation, self.seed, self.condition,
                            self.definition, self.config.to_dict())


def trial_id(definition: Mapping[str, Any]) -> str:
    """The trial's identity: 16 hex digits of SHA-256 of its definition as canonical JSON."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def conditions(spec: StudySpec) -> list[Condition]:
    """Every point of the spec's grid (one empty condition when there is no grid)."""
    keys = list(spec.grid)
    points = itertools.product(*spec.grid.values())
    return [tuple(zip(keys, values, strict=True)) for values in points]


def trial_definition(spec: StudySpec, entry: ActivationEntry, condition: Condition,
                     seed: int) -> dict[str, Any]:
    """What the study sets for one trial: spec < grid point < the activation's overrides."""
    training = dict(spec.training)
    model_options = dict(spec.model_options)
    dataset_options = dict(spec.dataset_options)
    sections = {"training": training, "model": model_options, "dataset": dataset_options}
    model = spec.model
    for key, value in condition:
        if key == MODEL_GRID_KEY:
            model = value
            continue
        section, _, option = key.partition(".")
        sections[section][option] = value
    model_options.update(entry.model)
    training.update(entry.training)
    definition = {"dataset": spec.dataset, "model": model, "activation": entry.name,
                  "activation_params": dict(entry.params), "model_options": model_options,
                  "dataset_options": dataset_options, "seed": seed,
                  "probes": dict(spec.probes), **training}
    data_seed = seed if spec.data_seed == TRIAL_SEED else spec.data_seed
    if data_seed is not None:
        definition["data_seed"] = data_seed
    return definition


def trial_config(spec: StudySpec, entry: ActivationEntry, condition: Condition,
                 seed: int) -> TrialConfig:
    """The TrialConfig of one trial (validated)."""
    return _config(trial_definition(spec, entry, condition, seed))


def _config(definition: Mapping[str, Any]) -> TrialConfig:
    return TrialConfig(**{**definition, "probes": ProbeConfig(**definition["probes"])}
                       ).validate()


def expand(spec: StudySpec) -> list[Trial]:
    """Every trial of the study, seed by seed, so that an interrupted study has whole seeds.

    A spec read by `study_spec_from_dict` was expanded when it was validated: this returns
    those trials (each config validated once).
    """
    if spec.trials is not None:
        return list(spec.trials)
    return expand_trials(spec)


def expand_trials(spec: StudySpec) -> list[Trial]:
    """Build and validate every trial of the study (the work `expand` does once)."""
    return [build_trial(spec, entry, condition, seed) for seed in spec.seeds
            for condition in conditions(spec) for entry in spec.activations]


def build_trial(spec: StudySpec, entry: ActivationEntry, condition: Condition,
                seed: int) -> Trial:
    """One trial of the study: its definition, identity and validated config."""
    definition = trial_definition(spec, entry, condition, seed)
    return Trial(trial_id(definition), entry.label, seed, condition, _config(definition),
                 definition)
