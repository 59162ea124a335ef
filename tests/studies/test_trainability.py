"""The edge-of-chaos study's analysis: measured trainable cells beside L = 6 ξ_c."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from actlab.analysis import mean_field_point
from actlab.report.study_report import render_markdown
from actlab.studies import SerialExecutor, TrialTask, load_study_results, run_study
from actlab.studies import study_spec_from_toml as from_toml
from actlab.studies.trainability import qualifies, trainability_maps
from support.study_trials import fake_result

SIGMA_B2 = 0.05
SPEC = """
name = "edge"
seeds = 2
activations = ["tanh"]
dataset = "digits"
[model]
name = "mean_field_mlp"
width = 16
sigma_b2 = 0.05
[grid]
"model.sigma_w2" = [1.0, 1.5, 3.0]
"model.depth" = [5, 15, 30, 60, 120]
[training]
steps = 3
"""


@functools.cache
def xi_c(sigma_w2: float) -> float:
    """ξ_c of tanh at σ_b² = 0.05, from the theory's full mean-field point."""
    return mean_field_point("tanh", sigma_w2, SIGMA_B2).xi_c


def scripted(multiple: float):
    """A trial that trains (accuracy 0.9) iff depth <= multiple * xi_c, else stays at chance."""
    def trial(task: TrialTask) -> Mapping[str, Any]:
        options = task.config["model_options"]
        accuracy = 0.9 if options["depth"] <= multiple * xi_c(options["sigma_w2"]) else 0.1
        result = fake_result(task.config, accuracy + task.config["seed"] / 1000)
        result["dataset"] = {"num_classes": 10}
        return result
    return trial


def run(tmp_path: Path, multiple: float):
    spec = from_toml(SPEC)
    run_study(spec, tmp_path, executor=SerialExecutor(scripted(multiple)), progress=False,
              check_inputs=False)
    return load_study_results(tmp_path)


def test_networks_trained_up_to_six_xi_c_agree_with_the_published_line(tmp_path: Path):
    results = run(tmp_path, 6.0)
    assert qualifies(results)
    (tmap,) = trainability_maps(results)
    assert tmap.chance == pytest.approx(0.1)
    # half-way from chance to the best cell (0.9 + mean seed offset 0.0005)
    assert tmap.threshold == pytest.approx((0.1 + 0.9005) / 2, abs=1e-12)
    xi = {sw: xi_c(sw) for sw in (1.0, 1.5, 3.0)}
    assert tmap.xi_c == pytest.approx(tuple(xi.values()), rel=1e-9)
    for check in tmap.columns():
        expected_deepest = max((d for d in tmap.depths if d <= 6 * xi[check.sigma_w2]),
                               default=None)
        assert check.deepest_trainable == expected_deepest
        assert check.verdict() == "consistent"
    low, high = tmap.multiple_range()
    assert low <= 6.0 <= high
    markdown = render_markdown(results)
    assert "Schoenholz et al. 2017" in markdown
    assert "the published a = 6 is inside that range" in markdown
    assert "3 of 3 columns are consistent with L = 6 ξ_c" in markdown
    # One activation over a grid: one table of every condition, no per-condition rankings.
    assert "## Every condition" in markdown and "only one activation" not in markdown
    assert "| sigma_w2=1.0, depth=5 | 0.9005 ± " in markdown


def test_networks_that_fail_at_two_xi_c_contradict_it(tmp_path: Path):
    results = run(tmp_path, 2.0)
    (tmap,) = trainability_maps(results)
    verdicts = {c.sigma_w2: c.verdict() for c in tmap.columns()}
    # σ_w² = 1: ξ_c = 3.6, so 2 ξ_c = 7.3 and 6 ξ_c = 22: trainable at 5, not at 15
    assert verdicts[1.0] == "fails earlier"
    low, high = tmap.multiple_range()
    assert high < 6.0
    assert "the published a = 6 is outside that range" in render_markdown(results)


def test_other_grids_get_no_trainability_map(tmp_path: Path):
    spec = from_toml(SPEC.replace('"model.sigma_w2" = [1.0, 1.5, 3.0]\n', ""))
    run_study(spec, tmp_path, executor=SerialExecutor(scripted(6.0)), progress=False,
              check_inputs=False)
    results = load_study_results(tmp_path)
    assert not qualifies(results) and trainability_maps(results) == []
