"""How many seeds reach 100 % accuracy, and when: the milestone table of seed 000's study."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from actlab.report.study_report import render_markdown
from actlab.studies import SerialExecutor, TrialTask, load_study_results, run_study
from actlab.studies import study_spec_from_toml as from_toml
from actlab.studies.statistics import proportion
from support.study_trials import fake_result

SPEC = """
name = "milestones"
seeds = 10
activations = ["softmax", "sigmoid"]
dataset = "toy"
model = "shallow"
[training]
epochs = 3
[analysis]
metric = "train_accuracy"
"""


def curve_trial(task: TrialTask) -> Mapping[str, Any]:
    """softmax reaches 1.0 at epoch 1 + seed % 3 in seeds 0-6, then (seed 6) drops to 0.8;
    sigmoid never reaches it."""
    activation, seed = task.config["activation"], task.config["seed"]
    result = fake_result(task.config, 0.8)
    reach = 1 + seed % 3 if activation == "softmax" and seed < 7 else None
    result["history"] = [{"step": epoch, "epoch": float(epoch), "train_loss": 0.1,
                          "train_accuracy": 1.0 if reach is not None and epoch >= reach
                          else 0.6, "test_loss": 0.1, "test_accuracy": 0.6,
                          "regularization_loss": 0.0, "lr": 0.01} for epoch in (1, 2, 3)]
    if reach is not None and seed != 6:
        result["final"]["train_accuracy"] = 1.0
    return result


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval, from its formula (z = the 97.5 % normal quantile)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_interval_matches_its_formula():
    for k, n in ((7, 10), (20, 20), (0, 5), (3, 100)):
        got = proportion(k, n)
        low, high = wilson(k, n)
        # scipy and the closed form differ only by rounding (and clipping at 0 and 1)
        assert got.low == pytest.approx(max(low, 0.0), abs=1e-12)
        assert got.high == pytest.approx(min(high, 1.0), abs=1e-12)


def test_milestones_count_seeds_and_first_epochs(tmp_path: Path):
    spec = from_toml(SPEC)
    run_study(spec, tmp_path, executor=SerialExecutor(curve_trial), progress=False,
              check_inputs=False)
    condition = load_study_results(tmp_path).conditions[0]
    softmax = condition.milestone("softmax", 1.0)
    assert (softmax.reached.k, softmax.reached.n) == (7, 10)
    assert (softmax.ended.k, softmax.ended.n) == (6, 10)
    assert sorted(softmax.epochs) == sorted(1.0 + s % 3 for s in range(7))
    assert softmax.median_epoch == 2.0
    assert condition.milestone("sigmoid", 1.0).reached.k == 0
    markdown = render_markdown(load_study_results(tmp_path))
    low, high = wilson(7, 10)
    assert f"| `softmax` | 7 / 10 | 0.70 | [{low:.2f}, {high:.2f}] | 6 / 10 | 2 |" in markdown
    assert "| `sigmoid` | 0 / 10 | 0.00 |" in markdown
