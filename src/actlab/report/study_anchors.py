"""The published results a study reproduces, beside ours: the report's "Anchors" section.

A study's spec names them (`[analysis] reference`, `reference_source`, `claim`,
`expected_ranking`): seed 003's one-run test accuracies, the MNIST-1D paper's table, seed
000's single runs. For each published number the report gives our mean with its 95 %
confidence interval, whether the number falls inside it, and how many of our seeds did at
least as well: a single published run is one draw, so a number outside the interval of
our mean can still be an ordinary seed.
"""

from __future__ import annotations

import math
from typing import Any

from actlab.studies.results import ConditionResults, StudyResults
from actlab.studies.statistics import Summary


def _value(metric_name: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.4f}" if "accuracy" in metric_name else f"{value:.4g}"


def _ours(metric_name: str, summary: Summary) -> str:
    if summary.n == 0:
        return "–"
    if not math.isfinite(summary.ci_low):
        return f"{_value(metric_name, summary.mean)} (n = {summary.n})"
    return (f"{_value(metric_name, summary.mean)} [{_value(metric_name, summary.ci_low)}, "
            f"{_value(metric_name, summary.ci_high)}] (n = {summary.n})")


def _verdict(summary: Summary, value: float) -> str:
    if summary.n < 2 or not math.isfinite(summary.ci_low):
        return "–"
    if summary.ci_low <= value <= summary.ci_high:
        return "inside"
    return "above" if value > summary.ci_high else "below"


def _as_good(condition: ConditionResults, label: str, value: float) -> str:
    """How many of our seeds did at least as well as the published number."""
    metric = condition.primary.metric
    values = [v for v in (r.final(metric.name) for r in condition.records_of(label))
              if v is not None]
    if not values:
        return "–"
    better = sum(1 for v in values if (v >= value if metric.higher_is_better else v <= value))
    return f"{better} / {len(values)}"


def anchor_rows(results: StudyResults) -> list[dict[str, Any]]:
    """Every published number of the study beside our mean, interval and seeds."""
    spec = results.spec
    metric = spec.metric
    rows = []
    for condition in results.conditions:
        comparison = condition.primary
        for label in spec.labels:
            value = spec.reference_value(label, condition.label)
            if value is None:
                continue
            summary = comparison.summaries[label]
            rows.append({"condition": condition.label, "label": label,
                         "published": _value(metric, value), "ours": _ours(metric, summary),
                         "inside": _verdict(summary, value),
                         "as_good": _as_good(condition, label, value)})
    return rows


def anchor_context(results: StudyResults) -> dict[str, Any]:
    """What the report's anchors section shows (rows may be empty: then it says so)."""
    spec = results.spec
    rankings = []
    if spec.expected_ranking:
        for condition in [*results.conditions,
                          *([results.pooled] if results.pooled is not None else [])]:
            expected = condition.primary.expected
            if expected is not None:
                rankings.append({"condition": condition.label, "summary": expected.summary})
    return {"source": spec.reference_source, "claim": spec.claim,
            "metric": results.metric.title, "rows": anchor_rows(results),
            "rankings": rankings}
