"""A study's results as the report reads them: trials by condition, statistics, curve bands.

`load_study_results(folder)` reads the spec the study last ran with and its store, and
compares the activations of each grid condition on every final metric.
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

from actlab.studies.errors import StudyStoreError
from actlab.studies.expansion import Condition, Trial, condition_label, expand
from actlab.studies.metrics import METRICS, Metric
from actlab.studies.spec import StudySpec, study_spec_from_dict
from actlab.studies.statistics import CONFIDENCE, Comparison, compare
from actlab.studies.store import STORE_FILE, ResultsStore, StoredTrial
from actlab.studies.trial_records import final_value


@dataclass(frozen=True)
class TrialRecord:
    """One trial of the spec and what the store has of it."""

    trial: Trial
    stored: StoredTrial | None
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """finished, failed, running (cut short) or missing (never started)."""
        return "missing" if self.stored is None else self.stored.status

    @property
    def diverged(self) -> bool:
        return self.stored is not None and self.stored.status == "finished" and \
            self.stored.diverged

    @property
    def result(self) -> dict[str, Any] | None:
        return None if self.stored is None else self.stored.result

    @property
    def error(self) -> str:
        """The first line of the error of a failed trial."""
        if self.stored is None or not self.stored.error:
            return ""
        return self.stored.error.splitlines()[0]

    def final(self, metric: str) -> float | None:
        """A final metric of a finished, non-diverged trial (None otherwise)."""
        if self.status != "finished" or self.diverged or self.result is None:
            return None
        return final_value(self.result, metric)


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
            for record in self.records:
                values[record.trial.activation][self.block(record)] = record.final(name)
                if record.diverged:
                    diverged[record.trial.activation].add(self.block(record))
            expected = self.spec.expected_ranking if name == self.spec.metric else ()
            out[name] = compare(values, metric, labels=self.labels, seeds=self.blocks(),
                                diverged=diverged, expected_ranking=expected, unit=self.unit)
        return out

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

    @property
    def records(self) -> list[TrialRecord]:
        return [r for c in self.conditions for r in c.records]

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def diverged(self) -> list[TrialRecord]:
        return [r for r in self.records if r.diverged]

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
    """The spec a study folder last ran with."""
    text = store.get_meta("spec")
    if text is None:
        raise StudyStoreError(f"{store.path} has no study in it (no spec was ever stored)")
    data = json.loads(text)
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and dataset.get("data_dir") and \
            not Path(dataset["data_dir"]).is_dir():
        # A study folder copied elsewhere: its results need no data files.
        data["dataset"] = {k: v for k, v in dataset.items() if k != "data_dir"}
    return study_spec_from_dict(data, source=store.get_meta("spec_source") or str(store.path))


def load_study_results(output_dir: str | Path, *, curves: bool = True) -> StudyResults:
    """Read a study folder: its spec, every trial of the spec, and (optionally) their curves."""
    output_dir = Path(output_dir)
    path = output_dir / STORE_FILE
    if not output_dir.is_dir():
        raise StudyStoreError(f"{str(output_dir)!r} is not a study folder (it does not exist)")
    if not path.is_file():
        raise StudyStoreError(f"{str(output_dir)!r} is not a study folder: it has no "
                              f"{STORE_FILE}")
    with ResultsStore(path) as store:
        spec = read_spec(store)
        trials = expand(spec)
        stored = {t.trial_id: t for t in store.trials()}
        records = []
        for trial in trials:
            held = stored.get(trial.trial_id)
            record_curves = {}
            if curves and held is not None and held.status == "finished":
                record_curves = _curves(store, trial.trial_id)
            records.append(TrialRecord(trial, held, record_curves))
        other = len(set(stored) - {t.trial_id for t in trials})
    by_condition: dict[Condition, list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_condition[record.trial.condition].append(record)
    conditions = [ConditionResults(spec, c, rs) for c, rs in by_condition.items()]
    return StudyResults(spec, output_dir, conditions, other)


def _curves(store: ResultsStore, trial_id: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    grouped: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for point in store.metric_points(trial_id):
        steps, values = grouped[point.name]
        steps.append(point.step)
        values.append(math.nan if point.value is None else point.value)
    return {name: (np.asarray(s, dtype=float), np.asarray(v, dtype=float))
            for name, (s, v) in grouped.items()}
