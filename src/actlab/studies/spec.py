"""Study specs: which activations to compare, with which seeds, on which data, model and training.

A spec is plain data, usually a TOML file (the built-in ones are in `builtin/`)::

    name = "quick"
    activations = ["relu", "elu", "leaky_relu(0.2)",
                   { name = "selu", model = { init = "lecun_normal" } }]
    seeds = 5                        # or a list: [0, 1, 2, 3, 4]
    executor = "local"               # where trials run: "local" or "ray", or a table
                                     # (see actlab.studies.executor_choice)

    [dataset]                        # or: dataset = "mnist1d"
    name = "mnist1d"                 # data_dir, download, and the loader's own options
    seed = 42                        # the dataset's seed; "trial": each trial's own seed

    [model]                          # or: model = "mlp"
    name = "mlp"
    depth = 2                        # the model's own options

    [training]                       # any TrialConfig field: lr, epochs or steps, ...
    epochs = 20

    [probes]                         # ProbeConfig fields
    gradient_every = 20

    [grid]                           # every combination becomes its own condition
    "model.depth" = [8, 16]
    # model = ["mnist1d_mlp", "mnist1d_cnn"]   # the model itself can be a grid key

    [analysis]
    metric = "test_accuracy"
    expected_ranking = ["selu", "elu", "relu"]

Every key is checked when the spec is read; a bad one raises StudySpecError naming it.
Reading a spec also expands it into its trials, each validated once (`spec.trials`).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from actlab.catalog import resolve
from actlab.code_references import is_code_reference, parse_reference
from actlab.data.registry import dataset_entry, dataset_names
from actlab.data.user_datasets import is_tensors_file
from actlab.errors import ActlabError
from actlab.limits import MAX_TRIALS, LimitExceededError
from actlab.models.registry import model_entry, model_names
from actlab.studies.errors import StudySpecError
from actlab.studies.executor_choice import ExecutorChoice, read_executor_choice
from actlab.studies.metrics import DEFAULT_METRIC, METRICS
from actlab.training.config import ProbeConfig, TrialConfig, TrialConfigError
from actlab.training.seeding import MAX_SEED

#: TrialConfig fields that the spec sets from its own sections, not from [training].
_MANAGED_FIELDS = frozenset({"dataset", "model", "activation", "activation_params",
                             "model_options", "dataset_options", "data_seed", "seed",
                             "probes"})
_TOP_KEYS = ("name", "description", "question", "dataset", "model", "activations", "seeds",
             "training", "probes", "grid", "analysis", "executor")
_DATASET_KEYS = ("name", "seed", "data_dir", "download")
#: `[dataset] seed = "trial"`: each trial draws its data with its own seed (seed 000).
TRIAL_SEED = "trial"
_ACTIVATION_KEYS = ("name", "label", "params", "model", "training")
_ANALYSIS_KEYS = ("metric", "expected_ranking", "claim", "reference", "reference_source")
_GRID_SECTIONS = ("model", "training", "dataset")
#: A grid key naming no option: the model itself (`model = ["mnist1d_mlp", "mnist1d_cnn"]`).
MODEL_GRID_KEY = "model"
#: The longest name or label, the longest prose (description, claim), the largest file.
MAX_NAME = 1_000
MAX_PROSE = 20_000
MAX_SPEC_BYTES = 10_000_000
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def training_fields() -> tuple[str, ...]:
    """The keys [training] accepts: every TrialConfig field the spec does not set itself."""
    return tuple(f.name for f in dataclasses.fields(TrialConfig)
                 if f.name not in _MANAGED_FIELDS)


def probe_fields() -> tuple[str, ...]:
    """The keys [probes] accepts."""
    return tuple(f.name for f in dataclasses.fields(ProbeConfig))


@dataclass(frozen=True)
class ActivationEntry:
    """One compared activation: the text given to actlab.resolve, its label and overrides."""

    name: str
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    model: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)

    def to_data(self) -> str | dict[str, Any]:
        """The entry as a spec writes it: the bare name when nothing else is set."""
        if self.label == self.name and not (self.params or self.model or self.training):
            return self.name
        data: dict[str, Any] = {"name": self.name, "label": self.label}
        for key in ("params", "model", "training"):
            if getattr(self, key):
                data[key] = dict(getattr(self, key))
        return data


@dataclass(frozen=True)
class StudySpec:
    """A validated study: dataset × model × activations × seeds × grid, and how to judge it."""

    name: str
    dataset: str
    model: str
    activations: tuple[ActivationEntry, ...]
    seeds: tuple[int, ...]
    description: str = ""
    question: str = ""
    dataset_options: Mapping[str, Any] = field(default_factory=dict)
    data_seed: int | str | None = None
    data_dir: str | None = None
    download: bool = True
    model_options: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)
    probes: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    metric: str = DEFAULT_METRIC
    expected_ranking: tuple[str, ...] = ()
    claim: str = ""
    reference: Mapping[str, float | Mapping[str, float]] = field(default_factory=dict)
    reference_source: str = ""
    executor: ExecutorChoice = field(default_factory=ExecutorChoice)
    source: str = "<spec>"
    #: Every trial (actlab.studies.expansion.Trial), validated when the spec was read;
    #: None for a spec built otherwise (by hand, by dataclasses.replace, from a store).
    trials: tuple[Any, ...] | None = field(default=None, init=False, compare=False,
                                           repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """The activations' labels, in spec order."""
        return tuple(a.label for a in self.activations)

    def reference_value(self, label: str, condition: str = "") -> float | None:
        """The published value for an activation in a grid condition (by its label), if any."""
        value = self.reference.get(label)
        if isinstance(value, Mapping):
            return value.get(condition)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The spec as the plain data a TOML file holds (reads back with study_spec_from_dict)."""
        dataset: dict[str, Any] = {"name": self.dataset, **self.dataset_options}
        if self.data_seed is not None:
            dataset["seed"] = self.data_seed
        if self.data_dir is not None:
            dataset["data_dir"] = self.data_dir
        if not self.download:
            dataset["download"] = False
        data: dict[str, Any] = {
            "name": self.name, "description": self.description, "question": self.question,
            "dataset": dataset, "model": {"name": self.model, **self.model_options},
            "activations": [a.to_data() for a in self.activations],
            "seeds": list(self.seeds), "training": dict(self.training),
            "probes": dict(self.probes), "grid": {k: list(v) for k, v in self.grid.items()},
            "analysis": {"metric": self.metric, "expected_ranking": list(self.expected_ranking),
                         "claim": self.claim,
                         "reference": {k: dict(v) if isinstance(v, Mapping) else v
                                       for k, v in self.reference.items()},
                         "reference_source": self.reference_source},
        }
        if self.executor != ExecutorChoice():
            data["executor"] = self.executor.to_data()
        return data

    def with_overrides(self, *, activations: Sequence[str] | None = None,
                       seeds: Sequence[int] | None = None, epochs: int | None = None,
                       steps: int | None = None, training: Mapping[str, Any] | None = None,
                       name: str | None = None, model: str | None = None,
                       model_options: Mapping[str, Any] | None = None,
                       dataset: str | None = None,
                       dataset_options: Mapping[str, Any] | None = None) -> StudySpec:
        """The same study with other activations, seeds, training, model or data (validated
        again).

        An activation given by a label or name the spec already has keeps its overrides
        (SELU keeps its lecun_normal initialisation); the expected ranking keeps the
        activations still compared. Another model (or dataset) drops the options, grid keys
        and per-activation overrides that belonged to the old one; `model_options` and
        `dataset_options` are set on top.
        """
        data = self.to_dict()
        changes = []
        if model is not None:
            data["model"] = {"name": model}
            for entry in data["activations"]:
                if isinstance(entry, dict):
                    entry.pop("model", None)
            data["grid"] = {k: v for k, v in data["grid"].items() if not k.startswith("model.")}
            changes.append(f"model {model}")
        if model_options:
            data["model"].update(model_options)
            changes += [f"model {key} = {value}" for key, value in model_options.items()]
        if dataset is not None:
            data["dataset"] = {"name": dataset, **{k: v for k, v in data["dataset"].items()
                                                   if k in ("data_dir", "download")}}
            data["grid"] = {k: v for k, v in data["grid"].items()
                            if not k.startswith("dataset.")}
            changes.append(f"dataset {dataset}")
        if dataset_options:
            data["dataset"].update(dataset_options)
            changes += [f"dataset {key} = {value}" for key, value in dataset_options.items()]
        if activations is not None:
            changes.append("activations " + ", ".join(activations))
            known = {}
            for entry in self.activations:
                known.setdefault(entry.label.lower(), entry)
                known.setdefault(entry.name.lower(), entry)
            chosen = [known[a.strip().lower()].to_data() if a.strip().lower() in known else a
                      for a in activations]
            data["activations"] = chosen
            labels = {c["label"] if isinstance(c, dict) else c for c in chosen}
            data["analysis"]["expected_ranking"] = [
                label for label in self.expected_ranking if label in labels]
            data["analysis"]["reference"] = {
                label: value for label, value in self.reference.items() if label in labels}
        if seeds is not None:
            data["seeds"] = list(seeds)
            changes.append("seeds " + ", ".join(str(seed) for seed in seeds))
        if epochs is not None and steps is not None:
            raise StudySpecError("give either epochs or steps, not both")
        if epochs is not None or steps is not None:
            for key in ("epochs", "steps"):
                data["training"].pop(key, None)
                for entry in data["activations"]:
                    if isinstance(entry, dict):
                        entry.get("training", {}).pop(key, None)
            data["training"]["epochs" if epochs is not None else "steps"] = (
                epochs if epochs is not None else steps)
            changes.append(f"epochs = {epochs}" if epochs is not None else f"steps = {steps}")
            data["grid"] = {k: v for k, v in data["grid"].items()
                            if k not in ("training.epochs", "training.steps")}
        if training:
            data["training"].update(training)
            changes += [f"{key} = {value}" for key, value in training.items()]
        if name is not None:
            data["name"] = name
        for label, value in list(data["analysis"]["reference"].items()):
            if isinstance(value, dict):  # a grid condition this run drops has no reference
                conditions = set(_condition_labels({k: tuple(v)
                                                    for k, v in data["grid"].items()}))
                data["analysis"]["reference"][label] = {
                    c: v for c, v in value.items() if c in conditions}
        if changes:
            # The description speaks of the original protocol: say what this run changed.
            note = f"This run changes {self.source}: {'; '.join(changes)}."
            data["description"] = f"{self.description} {note}".strip()
        return study_spec_from_dict(data, source=self.source)


class _Reader:
    """Checks one spec's values; every failure names the spec and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, why: str) -> NoReturn:
        raise StudySpecError(f"study spec {self.source}, key {key!r}: {why}")

    def check_keys(self, table: Mapping[str, Any], known: Iterable[str], where: str) -> None:
        known = list(known)
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else \
                    f"known keys are {', '.join(known)}"
                self.fail(f"{where}{key}", f"unknown key; {hint}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, f"must be a table (key = value pairs), got {_show(value)}")
        return dict(value)

    def text(self, value: Any, key: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(key, f"must be a {'' if allow_empty else 'non-empty '}string, "
                           f"got {_show(value)}")
        # Names and labels end up in folder names, tables and plots; prose may be longer.
        limit = MAX_PROSE if allow_empty else MAX_NAME
        if len(value) > limit:
            self.fail(key, f"is too long ({len(value):,} characters, at most {limit:,})")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {_show(value)}")
        return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_study_spec(path: str | Path) -> StudySpec:
    """Read and validate a study spec from a TOML file."""
    path = Path(path)
    if not path.is_file():
        raise StudySpecError(f"study spec {str(path)!r} does not exist" if not path.exists()
                             else f"study spec {str(path)!r} is not a file")
    if path.stat().st_size > MAX_SPEC_BYTES:
        raise StudySpecError(f"study spec {str(path)!r} is too large ({path.stat().st_size:,} "
                             f"bytes, at most {MAX_SPEC_BYTES:,}): a spec is a short text file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise StudySpecError(f"study spec {str(path)!r} is not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise StudySpecError(f"cannot read study spec {str(path)!r}: {err}") from None
    return study_spec_from_dict(data, source=str(path), base_dir=path.parent)


def study_spec_from_toml(text: str, source: str = "<toml>") -> StudySpec:
    """Read and validate a study spec from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise StudySpecError(f"study spec {source} is not valid TOML: {err}") from None
    return study_spec_from_dict(data, source=source)


def study_spec_from_dict(data: Mapping[str, Any], *, source: str = "<spec>",
                         base_dir: Path | None = None) -> StudySpec:
    """Validate plain data (as read from TOML) into a StudySpec.

    A relative `dataset.data_dir` is taken relative to `base_dir` (the spec file's folder).
    """
    read = _Reader(source)
    if not isinstance(data, Mapping):
        raise StudySpecError(f"study spec {source} must be a table of keys, got {_show(data)}")
    read.check_keys(data, _TOP_KEYS, "")
    for required in ("name", "dataset", "model", "activations", "seeds"):
        if required not in data:
            read.fail(required, "is missing; every study names its " + {
                "name": "name", "dataset": "dataset", "model": "model",
                "activations": "activations (a list of names or formulas)",
                "seeds": "seeds (a count or a list of integers)"}[required])
    name = read.text(data["name"], "name")
    if not _NAME_PATTERN.fullmatch(name):
        read.fail("name", f"must be letters, digits, '.', '_' or '-' (it names a folder), "
                          f"got {name!r}")
    dataset, dataset_options, data_seed, data_dir, download = _read_dataset(
        read, data["dataset"], base_dir)
    grid_models = _read_grid_models(read, data.get("grid"))
    model, model_options = _read_model(read, data["model"], base_dir, grid_models)
    models = grid_models or (model,)
    activations = _read_activations(read, data["activations"], models, base_dir)
    seeds = _read_seeds(read, data["seeds"])
    training = _located_loss(read.table(data.get("training"), "training"), base_dir)
    read.check_keys(training, training_fields(), "training.")
    probes = read.table(data.get("probes"), "probes")
    read.check_keys(probes, probe_fields(), "probes.")
    grid = _read_grid(read, data.get("grid"), models)
    for index, entry in enumerate(activations):
        for section, overrides in (("model", entry.model), ("training", entry.training)):
            for option in overrides:
                if f"{section}.{option}" in grid:
                    read.fail(f"activations[{index}].{section}.{option}",
                              f"the grid varies {section}.{option}; an activation cannot "
                              f"also fix it")
    analysis = read.table(data.get("analysis"), "analysis")
    read.check_keys(analysis, _ANALYSIS_KEYS, "analysis.")
    metric = read.text(analysis.get("metric", DEFAULT_METRIC), "analysis.metric")
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, list(METRICS), n=1)
        read.fail("analysis.metric", f"unknown metric {metric!r}; "
                  + (f"did you mean {close[0]!r}?" if close else
                     f"choose one of {', '.join(METRICS)}"))
    expected = analysis.get("expected_ranking", [])
    if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
        read.fail("analysis.expected_ranking", f"must be a list of activation labels, "
                                               f"got {_show(expected)}")
    labels = [a.label for a in activations]
    for label in expected:
        if label not in labels:
            read.fail("analysis.expected_ranking", f"{label!r} is not one of the compared "
                                                   f"activations ({', '.join(labels)})")
    if len(set(expected)) != len(expected):
        read.fail("analysis.expected_ranking", "names an activation twice")
    spec = StudySpec(
        name=name, dataset=dataset, model=model, activations=activations, seeds=seeds,
        description=read.text(data.get("description", ""), "description", allow_empty=True),
        question=read.text(data.get("question", ""), "question", allow_empty=True),
        dataset_options=dataset_options, data_seed=data_seed, data_dir=data_dir,
        download=download,
        model_options=model_options, training=training, probes=probes, grid=grid,
        metric=metric, expected_ranking=tuple(expected),
        claim=read.text(analysis.get("claim", ""), "analysis.claim", allow_empty=True),
        reference=_read_reference(read, analysis.get("reference"), labels, grid),
        reference_source=read.text(analysis.get("reference_source", ""),
                                   "analysis.reference_source", allow_empty=True),
        executor=read_executor_choice(data.get("executor"), read.fail),
        source=source)
    _check_trial_count(read, spec)
    object.__setattr__(spec, "trials", _checked_trials(read, spec))  # frozen: set once
    return spec


def _check_trial_count(read: _Reader, spec: StudySpec) -> None:
    """Count the trials before any is made: a 1000 x 1000 grid is a typo, not a study."""
    conditions = math.prod(len(values) for values in spec.grid.values())
    count = len(spec.activations) * len(spec.seeds) * conditions
    try:
        MAX_TRIALS.check(count, f"study {spec.name!r} ({len(spec.activations)} activations "
                                f"x {len(spec.seeds)} seeds x {conditions:,} conditions)")
    except LimitExceededError as err:
        read.fail("grid" if conditions > 1 else "seeds", str(err))


def _read_reference(read: _Reader, value: Any, labels: list[str],
                    grid: Mapping[str, tuple[Any, ...]]) -> dict[str, float | dict[str, float]]:
    """Published values to show beside the study's: per activation label, one number (seed
    003's test accuracies) or a table of numbers per grid condition, keyed by the
    condition's label (the MNIST-1D paper's `"model=mnist1d_cnn" = 0.94`)."""
    table = read.table(value, "analysis.reference")
    out: dict[str, float | dict[str, float]] = {}
    for label, number in table.items():
        if label not in labels:
            read.fail(f"analysis.reference.{label}", f"is not one of the compared activations "
                                                     f"({', '.join(labels)})")
        if isinstance(number, Mapping):
            spec_conditions = _condition_labels(grid)
            out[label] = {}
            for condition, inner in number.items():
                where = f"analysis.reference.{label}.{condition}"
                if condition not in spec_conditions:
                    read.fail(where, f"is not a condition of the grid ("
                                     f"{', '.join(spec_conditions) or 'the study has no grid'})")
                out[label][condition] = _reference_number(read, inner, where)
        else:
            out[label] = _reference_number(read, number, f"analysis.reference.{label}")
    return out


def _reference_number(read: _Reader, number: Any, where: str) -> float:
    if isinstance(number, bool) or not isinstance(number, int | float):
        read.fail(where, f"must be a number (or a table of numbers per grid condition), "
                         f"got {_show(number)}")
    return float(number)


def _read_dataset(read: _Reader, value: Any, base_dir: Path | None
                  ) -> tuple[str, dict[str, Any], int | str | None, str | None, bool]:
    table = {"name": value} if isinstance(value, str) else read.table(value, "dataset")
    if "name" not in table:
        read.fail("dataset.name", "is missing; name the dataset "
                                  f"({', '.join(dataset_names())})")
    try:
        entry = dataset_entry(_located(read.text(table["name"], "dataset.name"), base_dir))
    except ActlabError as err:
        read.fail("dataset.name", str(err))
    read.check_keys(table, (*_DATASET_KEYS, *entry.options), "dataset.")
    data_dir = table.get("data_dir")
    if data_dir is not None:
        path = Path(read.text(data_dir, "dataset.data_dir")).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_dir():
            read.fail("dataset.data_dir", f"the folder {str(path)!r} does not exist")
        data_dir = str(path)
    download = read.boolean(table.get("download", True), "dataset.download")
    data_seed = table.get("seed")
    if data_seed is not None and data_seed != TRIAL_SEED and (
            isinstance(data_seed, bool) or not isinstance(data_seed, int)
            or not 0 <= data_seed <= MAX_SEED):
        read.fail("dataset.seed", f"must be a whole number from 0 to {MAX_SEED:,} or "
                                  f"{TRIAL_SEED!r} (each trial's own seed), got "
                                  f"{_show(data_seed)}")
    options = {k: v for k, v in table.items() if k not in _DATASET_KEYS}
    return entry.name, options, data_seed, data_dir, download


def _located(name: str, base_dir: Path | None) -> str:
    """A reference to a file, taken from the spec file's folder when it is relative."""
    if base_dir is None:
        return name
    if is_tensors_file(name) and not Path(name).expanduser().is_absolute():
        return str(base_dir / Path(name))
    if is_code_reference(name):
        try:
            return parse_reference(name, base_dir).text
        except ActlabError:
            return name  # looked up as written, to fail with the lookup's own message
    return name


def _read_model(read: _Reader, value: Any, base_dir: Path | None = None,
                grid_models: tuple[str, ...] = ()
                ) -> tuple[str, dict[str, Any]]:
    table = {"name": value} if isinstance(value, str) else read.table(value, "model")
    if "name" not in table:
        read.fail("model.name", f"is missing; name the model ({', '.join(model_names())})")
    try:
        entry = model_entry(_located(read.text(table["name"], "model.name"), base_dir))
    except ActlabError as err:
        read.fail("model.name", str(err))
    options = {k: v for k, v in table.items() if k != "name"}
    _check_model_options(read, options, grid_models or (entry.name,), "model.")
    return entry.name, options


def _located_loss(training: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """[training] with a loss given by reference taken from the spec file's folder."""
    loss = training.get("loss")
    if isinstance(loss, str) and is_code_reference(loss):
        training["loss"] = _located(loss, base_dir)
    return training


def _check_model_options(read: _Reader, options: Mapping[str, Any], models: tuple[str, ...],
                         where: str) -> None:
    """Every option must be one of every model's (a grid over models builds each of them)."""
    for model in models:
        read.check_keys(options, model_entry(model).options, where)


def _condition_labels(grid: Mapping[str, tuple[Any, ...]]) -> list[str]:
    from actlab.studies.store import condition_label

    keys = list(grid)
    return [condition_label(tuple(zip(keys, values, strict=True)))
            for values in itertools.product(*grid.values())] if grid else []


def _read_grid_models(read: _Reader, value: Any) -> tuple[str, ...]:
    """The canonical model names of a `model` grid key (empty when the grid has none)."""
    if not isinstance(value, Mapping) or "model" not in value:
        return ()
    names = value["model"]
    if not isinstance(names, list) or not names or \
            not all(isinstance(name, str) for name in names):
        read.fail("grid.model", f"must be a non-empty list of model names, got {_show(names)}")
    models = []
    for name in names:
        try:
            models.append(model_entry(name).name)
        except ActlabError as err:
            read.fail("grid.model", str(err))
    if len(set(models)) != len(models):
        read.fail("grid.model", f"lists a model twice: {_show(names)}")
    return tuple(models)


def _read_activations(read: _Reader, value: Any, models: tuple[str, ...],
                      base_dir: Path | None = None
                      ) -> tuple[ActivationEntry, ...]:
    if not isinstance(value, list):
        read.fail("activations", f"must be a list of names or formulas, got {_show(value)}")
    if not value:
        read.fail("activations", "is empty; a study compares at least one activation")
    entries = []
    for index, item in enumerate(value):
        key = f"activations[{index}]"
        table = {"name": item} if isinstance(item, str) else read.table(item, key)
        read.check_keys(table, _ACTIVATION_KEYS, f"{key}.")
        if "name" not in table:
            read.fail(f"{key}.name", "is missing; give a name or formula actlab.resolve accepts")
        text = read.text(table["name"], f"{key}.name").strip()
        params = read.table(table.get("params"), f"{key}.params")
        try:
            resolve(text).bind(params)
        except ActlabError as err:
            read.fail(key, f"{text!r} is not an activation actlab can build: {err}")
        label = read.text(table.get("label", text), f"{key}.label").strip()
        model_overrides = read.table(table.get("model"), f"{key}.model")
        _check_model_options(read, model_overrides, models, f"{key}.model.")
        training = _located_loss(read.table(table.get("training"), f"{key}.training"),
                                 base_dir)
        read.check_keys(training, training_fields(), f"{key}.training.")
        entries.append(ActivationEntry(text, label, params, model_overrides, training))
    labels = [e.label for e in entries]
    for label in labels:
        if labels.count(label) > 1:
            read.fail("activations", f"{label!r} appears twice; give each entry its own label")
    return tuple(entries)


def _read_seeds(read: _Reader, value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            read.fail("seeds", f"a count of seeds must be >= 1, got {value}")
        try:
            MAX_TRIALS.check(value, "seeds")  # before a tuple of 10**12 seeds is made
        except LimitExceededError as err:
            read.fail("seeds", str(err))
        return tuple(range(value))
    if not isinstance(value, list) or not value:
        read.fail("seeds", f"must be a count (seeds = 5) or a non-empty list of integers, "
                           f"got {_show(value)}")
    for seed in value:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            read.fail("seeds", f"every seed must be a whole number from 0 to {MAX_SEED:,}, "
                               f"got {_show(seed)}")
    if len(set(value)) != len(value):
        read.fail("seeds", f"lists a seed twice: {value}")
    return tuple(value)


def _read_grid(read: _Reader, value: Any, models: tuple[str, ...]
               ) -> dict[str, tuple[Any, ...]]:
    table = read.table(value, "grid")
    grid = {}
    for key, values in table.items():
        if key == MODEL_GRID_KEY:
            grid[MODEL_GRID_KEY] = _read_grid_models(read, table)
            continue
        section, _, option = str(key).partition(".")
        if section not in _GRID_SECTIONS or not option:
            read.fail(f"grid.{key}", "a grid key is section.option with section one of "
                                     f"{', '.join(_GRID_SECTIONS)} (e.g. \"model.depth\"), "
                                     f"or \"model\" (the model itself)")
        if section == "model":
            _check_model_options(read, {option: None}, models, "grid.model.")
        elif section == "training":
            read.check_keys({option: None}, training_fields(), "grid.training.")
        if not isinstance(values, list) or not values:
            read.fail(f"grid.{key}", f"must be a non-empty list of values, got {_show(values)}")
        if len({_freeze(v) for v in values}) != len(values):
            read.fail(f"grid.{key}", f"lists a value twice: {_show(values)}")
        grid[str(key)] = tuple(values)
    return grid


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def _checked_trials(read: _Reader, spec: StudySpec) -> tuple[Any, ...]:
    """Build and validate every trial once, so that a bad value is reported now, by key."""
    from actlab.studies.expansion import build_trial, conditions

    seen: dict[str, str] = {}
    trials = []
    for seed in spec.seeds:
        for condition in conditions(spec):
            for entry in spec.activations:
                where = f"activation {entry.label!r}" + (
                    f" at {', '.join(f'{k}={v}' for k, v in condition)}" if condition else "")
                try:
                    trial = build_trial(spec, entry, condition, seed)
                except (TrialConfigError, TypeError, ValueError) as err:
                    read.fail("training", f"{err} (for {where})")
                trials.append(trial)
                if seed != spec.seeds[0]:
                    continue  # the seed is all that differs from the first seed's trials
                key = trial.config.to_json()
                if key in seen:
                    read.fail("activations", f"{seen[key]} and {where} describe the same "
                                             f"trial; remove one")
                seen[key] = where
    return tuple(trials)


def study_spec_from_stored(data: Mapping[str, Any], *, source: str) -> StudySpec:
    """A spec as a results store holds it (StudySpec.to_dict()), read back as it was.

    Nothing is checked again (the spec was validated when its study ran, and today's
    catalog or registries may differ): this is what a report reads.
    """
    try:
        dataset = dict(data["dataset"]) if isinstance(data["dataset"], Mapping) else \
            {"name": data["dataset"]}
        model = dict(data["model"]) if isinstance(data["model"], Mapping) else \
            {"name": data["model"]}
        activations = []
        for item in data["activations"]:
            table = {"name": item} if isinstance(item, str) else dict(item)
            activations.append(ActivationEntry(
                table["name"], table.get("label", table["name"]), table.get("params", {}),
                table.get("model", {}), table.get("training", {})))
        analysis = dict(data.get("analysis", {}))
        dataset_name = dataset.pop("name")
        return StudySpec(
            name=data["name"], dataset=dataset_name, model=model.pop("name"),
            activations=tuple(activations), seeds=tuple(data["seeds"]),
            description=data.get("description", ""), question=data.get("question", ""),
            data_seed=dataset.pop("seed", None), data_dir=dataset.pop("data_dir", None),
            download=dataset.pop("download", True), dataset_options=dataset,
            model_options=model, training=dict(data.get("training", {})),
            probes=dict(data.get("probes", {})),
            grid={k: tuple(v) for k, v in data.get("grid", {}).items()},
            metric=analysis.get("metric", DEFAULT_METRIC),
            expected_ranking=tuple(analysis.get("expected_ranking", ())),
            claim=analysis.get("claim", ""), reference=dict(analysis.get("reference", {})),
            reference_source=analysis.get("reference_source", ""), source=source)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise StudySpecError(f"the study spec stored in {source} is damaged "
                             f"({type(err).__name__}: {err})") from None
