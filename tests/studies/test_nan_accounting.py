"""A NaN loss is not divergence: constructed studies where the difference decides the ranking.

Diverged means non-finite weights or a non-finite value of the compared metric. A trial whose
loss was NaN while its weights and metric stayed finite keeps its metric, is flagged in the
store and the report, and counts like any other trial in the ranking and the tests.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from actlab.report.study_report import render_html, render_markdown, write_study_report
from actlab.studies import (
    ResultsStore,
    SerialExecutor,
    TrialTask,
    load_study_results,
    run_study,
    study_spec_from_toml,
)
from actlab.studies.executor import run_trial_task
from support.study_trials import fake_result

FLAG = "NaN loss: a sample's outputs were all zero"
SEEDS = 8

SPEC = """
name = "nan-accounting"
seeds = {seeds}
activations = {activations}
dataset = {{ name = "toy", seed = "trial" }}
model = "shallow"
[training]
epochs = {epochs}
[analysis]
metric = "train_accuracy"
"""


def accuracy_of(activation: str, seed: int) -> float:
    """relu (flagged) is best in every seed; sigmoid second; the others would be in between."""
    return {"relu": 0.9, "sigmoid": 0.6, "elu": 0.8, "gelu": 0.7}[activation] + seed / 1000


def constructed_trial(task: TrialTask) -> Mapping[str, Any]:
    """relu: NaN loss, finite weights and accuracy. elu: the weights became non-finite (its
    accuracy, computed from nan outputs, is meaningless). gelu: NaN loss and no final
    accuracy. sigmoid: an ordinary trial."""
    activation, seed = task.config["activation"], task.config["seed"]
    result = fake_result(task.config, accuracy_of(activation, seed))
    if activation in ("relu", "gelu"):
        result.update(nan_loss=FLAG, nan_loss_step=1, nan_loss_steps=7, weights_finite=True)
        result["final"]["train_loss"] = None
    if activation == "gelu":
        result["final"]["train_accuracy"] = None
    if activation == "elu":
        result.update(diverged=True, diverged_step=3, weights_finite=False,
                      divergence="the weights became non-finite (the training loss was nan at "
                                 "step 3)")
    return result


def run_constructed(folder: Path, activations: list[str]):
    spec = study_spec_from_toml(SPEC.format(seeds=SEEDS, activations=json.dumps(activations),
                                            epochs=1))
    run = run_study(spec, folder, executor=SerialExecutor(constructed_trial), progress=False,
                    check_inputs=False)
    return run, load_study_results(folder)


def test_nan_loss_trials_keep_their_metric_and_count_normally(tmp_path: Path):
    run, results = run_constructed(tmp_path, ["relu", "sigmoid", "elu", "gelu"])
    # elu (non-finite weights) and gelu (no final metric) diverged; relu did not.
    assert (run.finished, run.diverged, run.nan_loss) == (4 * SEEDS, 2 * SEEDS, SEEDS)
    comparison = results.conditions[0].primary
    relu = comparison.summaries["relu"]
    assert (relu.n, relu.diverged, relu.flagged) == (SEEDS, 0, SEEDS)
    assert relu.mean == pytest.approx(0.9 + sum(range(SEEDS)) / 1000 / SEEDS, abs=1e-12)
    assert comparison.summaries["elu"].diverged == SEEDS
    assert comparison.summaries["elu"].n == 0  # its finite accuracy is not a measurement
    assert comparison.summaries["gelu"].diverged == SEEDS
    # relu is best in every seed, the diverged ones worst (tied with each other)
    assert comparison.ranking[:2] == ("relu", "sigmoid")
    assert set(comparison.ranking[2:]) == {"elu", "gelu"}
    pair = comparison.pair("relu", "sigmoid")
    assert (pair.wins_a, pair.wins_b) == (SEEDS, 0)
    # The exact two-sided Wilcoxon p of 8 wins in 8 pairs, from scipy directly.
    expected = stats.wilcoxon([0.3] * SEEDS, [0.0] * SEEDS).pvalue
    assert pair.p_value == pytest.approx(expected, rel=1e-12)
    assert any("NaN loss but finite weights" in note and "relu 8" in note
               for note in comparison.notes)
    # On the training loss the flagged trials have no value: diverged for that metric.
    loss = results.conditions[0].comparison("train_loss")
    assert loss.summaries["relu"].diverged == SEEDS


def test_the_store_flags_nan_losses_and_marks_only_divergence(tmp_path: Path):
    run_constructed(tmp_path, ["relu", "elu"])
    with ResultsStore(tmp_path) as store:
        stored = store.trials()
    relu = [t for t in stored if t.activation == "relu"]
    elu = [t for t in stored if t.activation == "elu"]
    assert all(t.nan_loss == FLAG and not t.diverged for t in relu)
    assert all(t.nan_loss is None and t.diverged for t in elu)


def test_the_report_says_how_each_nan_loss_trial_was_counted(tmp_path: Path):
    _, results = run_constructed(tmp_path, ["relu", "sigmoid", "gelu"])
    markdown = render_markdown(results)
    assert "## NaN losses (not divergence)" in markdown
    assert FLAG in markdown
    assert "kept: final training accuracy 0.9000" in markdown
    assert "diverged: no finite final training accuracy, counted as the worst" in markdown
    page = render_html(results)
    assert 'id="nan-losses"' in page and FLAG in html.unescape(page)
    report = write_study_report(tmp_path)
    trials_csv = (report.tables[0]).read_text()
    header = trials_csv.splitlines()[0].split(",")
    assert "nan_loss" in header
    rows = [line.split(",") for line in trials_csv.splitlines()[1:]]
    flags = {row[header.index("activation")]: row[header.index("nan_loss")] for row in rows}
    assert flags["relu"] == FLAG and flags["sigmoid"] == ""


def test_a_real_relu_toy_study_counts_its_dead_sample_seed(tmp_path: Path):
    """Seed 000's relu with seed 0 starts with an all-zero output row (Keras's loss is 0/0):
    the trainer flags it, the study keeps its accuracy and ranks it by that accuracy."""
    spec = study_spec_from_toml(SPEC.format(seeds=[0, 1], activations='["relu", "softmax"]',
                                            epochs=30))
    run_study(spec, tmp_path, executor=SerialExecutor(run_trial_task), progress=False)
    results = load_study_results(tmp_path)
    relu_0 = next(r for r in results.records if r.trial.activation == "relu"
                  and r.trial.seed == 0)
    assert relu_0.nan_loss == FLAG and not relu_0.diverged
    assert relu_0.final("train_accuracy") == relu_0.result["history"][-1]["train_accuracy"]
    comparison = results.conditions[0].primary
    assert comparison.summaries["relu"].diverged == 0
    assert comparison.summaries["relu"].n == 2
