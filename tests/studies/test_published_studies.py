"""Built-in studies that reproduce published results: cut-down runs, and their anchors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actlab.report.study_anchors import anchor_rows
from actlab.report.study_report import render_html, render_markdown
from actlab.studies import (
    SerialExecutor,
    builtin_study,
    builtin_study_names,
    load_study_results,
    run_study,
    study_spec_from_dict,
    study_spec_from_toml,
)
from actlab.studies.executor import run_trial_task
from actlab.studies.trainability import trainability_maps
from support.study_trials import scripted_trial


def run_real(spec, folder: Path, data_dir: Path | None = None):
    run_study(spec, folder, executor=SerialExecutor(run_trial_task), progress=False)
    return load_study_results(folder)


def test_every_builtin_study_shows_its_anchors_section():
    for name in builtin_study_names():
        spec = builtin_study(name)
        has_anchor = bool(spec.reference or spec.expected_ranking or spec.claim)
        assert has_anchor or name == "quick", name


def test_mnist1d_paper_cut_down_runs_and_prints_the_papers_table(tmp_path: Path):
    spec = builtin_study("mnist1d-paper").with_overrides(seeds=[0, 1],
                                                         activations=["relu", "tanh"],
                                                         steps=20)
    results = run_real(spec, tmp_path)
    assert results.count("finished") == 2 * 2 * 2
    models = {r.trial.condition_label: r.result["config"]["model"] for r in results.records}
    assert models == {"model=mnist1d_mlp": "mnist1d_mlp", "model=mnist1d_cnn": "mnist1d_cnn"}
    params = {r.trial.condition_label: r.result["parameter_count"] for r in results.records}
    assert params == {"model=mnist1d_mlp": 15210, "model=mnist1d_cnn": 5210}
    rows = {(row["condition"], row["label"]): row for row in anchor_rows(results)}
    assert set(rows) == {("model=mnist1d_mlp", "relu"), ("model=mnist1d_cnn", "relu")}
    assert rows[("model=mnist1d_mlp", "relu")]["published"] == "0.6800"
    assert rows[("model=mnist1d_cnn", "relu")]["published"] == "0.9400"
    markdown = render_markdown(results)
    assert "## Published results beside ours" in markdown
    assert "| model=mnist1d_cnn | `relu` | 0.9400 |" in markdown
    assert "MNIST-1D paper" in markdown


def edge_spec_on(dataset: str, grid: dict, steps: int):
    data = builtin_study("edge-of-chaos").to_dict()
    data["dataset"] = {"name": dataset}
    data["grid"] = grid
    data["seeds"] = [0]
    data["training"]["steps"] = steps
    if dataset != "mnist":
        data["training"].pop("test_samples")
    return study_spec_from_dict(data)


def test_edge_of_chaos_cut_down_draws_its_trainability_map(tmp_path: Path):
    spec = edge_spec_on("digits", {"model.sigma_w2": [1.0, 1.76], "model.depth": [3, 12]},
                        steps=20)
    results = run_real(spec, tmp_path)
    assert results.count("finished") == 4
    (tmap,) = trainability_maps(results)
    assert tmap.depths == (3, 12) and tmap.sigma_w2 == (1.0, 1.76)
    assert (tmap.seeds == 1).all()
    html = render_html(results)
    assert 'id="trainability-1"' in html and "data:image/png;base64," in html
    markdown = render_markdown(results)
    assert "| 1.76 |" in markdown and "Schoenholz et al. 2017" in markdown


def test_edge_of_chaos_on_mnist_starts(tmp_path: Path, shared_data_dir: Path):
    spec = edge_spec_on("mnist", {"model.sigma_w2": [1.76], "model.depth": [10, 40]}, steps=5)
    data = spec.to_dict()
    data["dataset"]["data_dir"] = str(shared_data_dir)
    spec = study_spec_from_dict(data)
    results = run_real(spec, tmp_path)
    assert results.count("finished") == 2
    assert all(r.result["dataset"]["test"] == 2000 for r in results.records)


SCRIPTED = """
name = "anchored"
seeds = 5
activations = ["relu", "sigmoid"]
dataset = "toy"
model = "shallow"
[training]
epochs = 1
[analysis]
reference_source = "a one-run table"
reference = {{ relu = {relu}, sigmoid = {sigmoid} }}
"""


@pytest.mark.parametrize(("relu", "sigmoid"), [(0.905, 0.802)])
def test_anchor_rows_say_where_a_published_number_falls(tmp_path: Path, relu, sigmoid):
    """relu scores 0.900 + seed/1000 over seeds 0-4: mean 0.902, a t interval of about
    ± 0.002; 0.905 lies above it and no seed reaches it. sigmoid: 0.800 + seed/1000;
    0.802 is its mean, inside, and seeds 2, 3 and 4 reach it."""
    spec = study_spec_from_toml(SCRIPTED.format(relu=json.dumps(relu),
                                                sigmoid=json.dumps(sigmoid)))
    run_study(spec, tmp_path, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)
    rows = {row["label"]: row for row in anchor_rows(load_study_results(tmp_path))}
    assert rows["relu"]["inside"] == "above" and rows["relu"]["as_good"] == "0 / 5"
    assert rows["sigmoid"]["inside"] == "inside" and rows["sigmoid"]["as_good"] == "3 / 5"
    assert rows["relu"]["ours"].startswith("0.9020 [")
