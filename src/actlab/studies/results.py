"""A study's results as the report reads them: trials by condition, statistics, curve bands.

`load_study_results(folder)` reads, from the folder's results store, the spec the study
last ran with and its planned trials as they were stored when it started (nothing is
expanded, hashed or validated again), and compares the activations of each grid
condition on every final metric.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from actlab.studies.errors import StudySpecError, StudyStoreError
from actlab.studies.metrics import DEFAULT_METRIC, METRICS, Metric
from actlab.studies.spec import StudySpec, study_spec_from_dict, study_spec_from_stored
from actlab.studies.statistics import (
    CONFIDENCE,
    Comparison,
    Proportion,
    compare,
    proportion,
)
from actlab.studies.store import (
    STORE_FILE,
    Condition,
    MetricPoint,
    ResultsStore,
    StoredTrial,
    condition_label,
)
from actlab.studies.trial_records import (
    final_value,
    is_diverged,
    join_result,
    nan_loss,
    weights_diverged,
)


@dataclass(frozen=True)
class TrialRecord:
    """One planned trial of the study as the store holds it, with its curves.

    `metric` is the study's own: `diverged` speaks of it (non-finite weights, or a
    non-finite final value of that metric). `result` is the whole result (its stored
    summary joined with its curve rows).
    """

    trial: StoredTrial
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    metric: str = DEFAULT_METRIC
    full_result: dict[str, Any] | None = None

    @property
    def stored(self) -> StoredTrial:
        return self.trial

    @property
    def status(self) -> str:
        """finished, failed, running (cut short) or missing (never started)."""
        return "missing" if self.trial.status == "planned" else self.trial.status

    @property
    def result(self) -> dict[str, Any] | None:
        return self.full_result if self.full_result is not None else self.trial.result

    @property
    def _finished_result(self) -> dict[str, Any] | None:
        return self.result if self.status == "finished" else None

    @property
    def weights_diverged(self) -> bool:
        """The trainer found the weights non-finite."""
        result = self._finished_result
        return result is not None and weights_diverged(result)

    def diverged_on(self, metric: str) -> bool:
        """Diverged as far as `metric` goes: non-finite weights or a non-finite final value."""
        result = self._finished_result
        return result is not None and is_diverged(result, metric)

    @property
    def diverged(self) -> bool:
        """Diverged on the study's metric."""
        return self.diverged_on(self.metric)

    @property
    def nan_loss(self) -> str:
        """`NaN loss: <cause>` when a loss was non-finite while the weights stayed finite."""
        result = self._finished_result
        return "" if result is None else nan_loss(result)

    @property
    def error(self) -> str:
        """The first line of the error of a failed trial."""
        if not self.trial.error:
            return ""
        return self.trial.error.splitlines()[0]

    def final(self, metric: str) -> float | None:
        """A finite final metric of a finished trial with finite weights (None otherwise).

        A trial with a NaN loss but finite weights keeps its (finite) metrics.
        """
        result = self._finished_result
        if result is None or weights_diverged(result):
            return None
        return final_value(result, metric)

    def first_reached(self, metric: str, target: float) -> float | None:
        """The epoch of the first evaluation at which `metric` reached `target` (higher is
        better) or fell to it (lower is better); None if it never did or the trial has no
        usable history."""
        result = self._finished_result
        if result is None or weights_diverged(result):
            return None
        better = METRICS[metric].higher_is_better
        for record in result.get("history", []):
            value = record.get(metric)
            if value is not None and (value >= target if better else value <= target):
                return float(record["epoch"])
        return None


@dataclass(frozen=True)
class Milestone:
    """How many seeds of one activation reach a target value, and at which epoch."""

    label: str
    target: float
    trials: int                 # finished trials with finite weights
    reached: Proportion         # reached the target at some evaluation
    ended: Proportion           # held it at the end (final value)
    epochs: tuple[float, ...]   # first epoch it was reached, per seed that reached it

    @property
    def median_epoch(self) -> float:
        return float(np.median(self.epochs)) if self.epochs else math.nan

    def epoch_quartiles(self) -> tuple[float, float]:
        if not self.epochs:
            return math.nan, math.nan
        low, high = np.percentile(self.epochs, [25, 75])
        return float(low), float(high)


@dataclass(frozen=True)
class Band:
    """A curve over seeds: mean and a confidence band at each step, with the seed count."""

    steps: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray


def curve_band(curves: Sequence[tuple[np.ndarray, np.ndarray]],
               confidence: float = CONFIDENCE) -> Band | None:
    """Mean and t confidence band over seeds at each step any seed recorded (NaN ignored)."""
    curves = [c for c in curves if len(c[0])]
    if not curves:
        return None
    steps = np.unique(np.concatenate([c[0] for c in curves]))
    table = np.full((len(curves), len(steps)), np.nan)
    for row, (x, y) in enumerate(curves):
        table[row, np.searchsorted(steps, x)] = y
    finite = np.isfinite(table)
    count = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(table, axis=0) / np.maximum(count, 1), np.nan)
        std = np.sqrt(np.nansum((table - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
        half = np.where(count > 1, stats.t.ppf((1 + confidence) / 2, np.maximum(count - 1, 1))
                        * std / np.sqrt(np.maximum(count, 1)), np.nan)
    return Band(steps, mean, mean - half, mean + half, count)


@dataclass
class ConditionResults:
    """The trials of one grid condition (the whole study when it has no grid)."""

    spec: StudySpec
    condition: Condition
    records: list[TrialRecord]

    @property
    def label(self) -> str:
        return condition_label(self.condition)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.spec.labels

    def records_of(self, activation: str) -> list[TrialRecord]:
        return [r for r in self.records if r.trial.activation == activation]

    def comparison(self, metric: str) -> Comparison:
        """The statistics of one final metric over this condition's seeds."""
        return self.comparisons[metric]

    #: What the paired tests pair by: seeds here; seed × condition when pooled.
    unit = "seed"

    def block(self, record: TrialRecord) -> Hashable:
        """The block a trial belongs to in the paired tests: its seed."""
        return record.trial.seed

    def blocks(self) -> list[Hashable]:
        return list(self.spec.seeds)

    @cached_property
    def comparisons(self) -> dict[str, Comparison]:
        out = {}
        for name, metric in METRICS.items():
            values: dict[str, dict[Hashable, float | None]] = defaultdict(dict)
            diverged: dict[str, set[Hashable]] = defaultdict(set)
            flagged: dict[str, set[Hashable]] = defaultdict(set)
            for record in self.records:
                block = self.block(record)
                values[record.trial.activation][block] = record.final(name)
                if record.diverged_on(name):
                    diverged[record.trial.activation].add(block)
                elif record.nan_loss:
                    flagged[record.trial.activation].add(block)
            expected = self.spec.expected_ranking if name == self.spec.metric else ()
            out[name] = compare(values, metric, labels=self.labels, seeds=self.blocks(),
                                diverged=diverged, expected_ranking=expected, unit=self.unit,
                                flagged=flagged)
        return out

    def milestone(self, label: str, target: float, metric: str | None = None) -> Milestone:
        """How many of `label`'s seeds reach `target` in `metric` (the study's by default),
        with a Wilson interval, and the epoch at which each first reached it."""
        metric = metric or self.spec.metric
        usable = [r for r in self.records_of(label)
                  if r.status == "finished" and not r.weights_diverged]
        firsts = [r.first_reached(metric, target) for r in usable]
        better = METRICS[metric].higher_is_better
        ended = 0
        for record in usable:
            value = record.final(metric)
            ended += int(value is not None and (value >= target if better else value <= target))
        epochs = tuple(e for e in firsts if e is not None)
        return Milestone(label, target, len(usable), proportion(len(epochs), len(usable)),
                         proportion(ended, len(usable)), epochs)

    @property
    def primary(self) -> Comparison:
        """The comparison on the study's own metric."""
        return self.comparisons[self.spec.metric]

    def band(self, activation: str, curve: str) -> Band | None:
        """Mean and band over seeds of one stored curve (e.g. `test_accuracy`)."""
        return curve_band([r.curves[curve] for r in self.records_of(activation)
                           if curve in r.curves])

    def curve_names(self) -> list[str]:
        return sorted({name for r in self.records for name in r.curves})


class PooledResults(ConditionResults):
    """Every grid condition at once: the paired tests block by seed × condition."""

    unit = "run"

    @property
    def label(self) -> str:
        return "All conditions pooled"

    def block(self, record: TrialRecord) -> Hashable:
        return f"{record.trial.seed} ({record.trial.condition_label})"

    def blocks(self) -> list[Hashable]:
        return list(dict.fromkeys(self.block(r) for r in self.records))


@dataclass
class StudyResults:
    """Everything stored about a study, grouped by grid condition."""

    spec: StudySpec
    output_dir: Path
    conditions: list[ConditionResults]
    other_trials: int = 0
    #: What the study's start recorded of each activation's model (describe_model);
    #: empty for a study run before that was recorded.
    models: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> list[TrialRecord]:
        return [r for c in self.conditions for r in c.records]

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def diverged(self) -> list[TrialRecord]:
        return [r for r in self.records if r.diverged]

    @property
    def nan_losses(self) -> list[TrialRecord]:
        """Finished trials whose loss was non-finite while their weights stayed finite."""
        return [r for r in self.records if r.nan_loss and not r.weights_diverged]

    @property
    def failed(self) -> list[TrialRecord]:
        return [r for r in self.records if r.status == "failed"]

    @property
    def metric(self) -> Metric:
        return METRICS[self.spec.metric]

    @cached_property
    def pooled(self) -> PooledResults | None:
        """All conditions together (None without a grid): more pairs, a broader answer."""
        if len(self.conditions) < 2:
            return None
        return PooledResults(self.spec, (), self.records)


def read_spec(store: ResultsStore) -> StudySpec:
    """The spec a study folder last ran with, as it was stored (not validated again)."""
    text = store.get_meta("spec")
    if text is None:
        raise StudyStoreError(f"{store.path} has no study in it (no spec was ever stored)")
    return study_spec_from_stored(json.loads(text),
                                  source=store.get_meta("spec_source") or str(store.path))


def plan_stored_study(store: ResultsStore) -> None:
    """Store the plan of a study run by an actlab before plans were stored (schema 1).

    Its spec is validated and expanded once, as that actlab did at every run; from then
    on the plan is read from the store.
    """
    from actlab.studies.runner import plan_study

    data = json.loads(store.get_meta("spec") or "{}")
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and dataset.get("data_dir") and \
            not Path(dataset["data_dir"]).is_dir():
        # A study folder copied elsewhere: its results need no data files.
        data["dataset"] = {k: v for k, v in dataset.items() if k != "data_dir"}
    source = store.get_meta("spec_source") or str(store.path)
    try:
        spec = study_spec_from_dict(data, source=source)
    except StudySpecError as err:
        raise StudyStoreError(f"{store.path} was written by an earlier actlab and its spec "
                              f"no longer reads: {err}") from None
    plan_study(store, spec)


def load_study_results(output_dir: str | Path, *, curves: bool = True) -> StudyResults:
    """Read a study folder: its spec, every planned trial, and (optionally) their curves.

    Without `curves`, a trial's result is its stored summary (final metrics, settings,
    sites), not its histories.
    """
    output_dir = Path(output_dir)
    path = output_dir / STORE_FILE
    if not output_dir.is_dir():
        raise StudyStoreError(f"{str(output_dir)!r} is not a study folder (it does not exist)")
    if not path.is_file():
        raise StudyStoreError(f"{str(output_dir)!r} is not a study folder: it has no "
                              f"{STORE_FILE}")
    with ResultsStore(path) as store:
        spec = read_spec(store)
        if not store.has_plan():
            plan_stored_study(store)
        trials = store.trials()
        records = []
        for trial in trials:
            if not trial.in_plan:
                continue
            record_curves, full = {}, None
            if curves and trial.status == "finished" and trial.result is not None:
                points = store.metric_points(trial.trial_id)
                record_curves = _curves(points)
                full = join_result(trial.result, points, trial.config)
            records.append(TrialRecord(trial, record_curves, spec.metric, full))
        other = sum(1 for t in trials if not t.in_plan)
        models = json.loads(store.get_meta("models") or "[]")
    by_condition: dict[Condition, list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_condition[record.trial.condition].append(record)
    conditions = [ConditionResults(spec, c, rs) for c, rs in by_condition.items()]
    return StudyResults(spec, output_dir, conditions, other, models)


def _curves(points: list[MetricPoint]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    grouped: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for point in points:
        steps, values = grouped[point.name]
        steps.append(point.step)
        values.append(math.nan if point.value is None else point.value)
    curves = {}
    for name, (s, v) in grouped.items():
        steps, values = np.asarray(s, dtype=float), np.asarray(v, dtype=float)
        order = np.argsort(steps, kind="stable")
        curves[name] = (steps[order], values[order])
    return curves
