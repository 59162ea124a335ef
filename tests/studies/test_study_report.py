"""The report's content on a scripted study: tables, divergences, failures, pooled grid."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from actlab.report.study_report import render_markdown, write_study_report
from actlab.studies import SerialExecutor, load_study_results, run_study, study_spec_from_toml
from support.study_trials import scripted_accuracy, scripted_trial

GRID_SPEC = """
name = "scripted-grid"
seeds = 3
activations = {activations}
dataset = "toy"
model = "shallow"
[training]
epochs = 1
[grid]
"training.lr" = [0.1, 0.01]
[analysis]
expected_ranking = ["sigmoid", "relu"]
"""


@pytest.fixture(scope="module")
def scripted_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scripted")
    spec = study_spec_from_toml(GRID_SPEC.format(
        activations=json.dumps(["relu", "sigmoid", "elu", "tanh"])))
    run_study(spec, folder, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)
    return folder


def test_markdown_states_results_divergences_and_failures(scripted_study: Path):
    text = render_markdown(load_study_results(scripted_study))
    mean = np.mean([scripted_accuracy("relu", s) for s in range(3)])
    half = 4.302652729911275 * np.std([scripted_accuracy("relu", s) for s in range(3)],
                                      ddof=1) / np.sqrt(3)  # t_{0.975, 2} from tables
    assert f"| `relu` | {mean:.4f} ± {half:.4f} |" in text
    assert "## lr=0.1" in text and "## lr=0.01" in text
    assert "## All conditions pooled" in text
    assert "## Divergences" in text and "the training loss became nan at step 15" in text
    assert "## Failures" in text and "RuntimeError: scripted failure of tanh seed 0" in text
    assert "tanh: no test accuracy in any seed (failed or not run), so not ranked" in text
    # the claim sigmoid > relu goes against the data in every seed
    assert "Expected sigmoid > relu; observed relu > sigmoid" in text
    assert "| sigmoid > relu | reversed |" in text


def test_pooled_comparison_pairs_seed_and_condition(scripted_study: Path):
    results = load_study_results(scripted_study)
    pooled = results.pooled.primary
    assert pooled.unit == "run" and len(pooled.paired_seeds) == 6
    pair = pooled.pair("relu", "sigmoid")
    assert (pair.n, pair.wins_a) == (6, 6)
    assert pair.p_value == pytest.approx(2 / 2 ** 6)  # all six runs agree: exact minimum


def test_written_files(scripted_study: Path, tmp_path: Path):
    report = write_study_report(scripted_study, output_dir=tmp_path)
    assert report.html == tmp_path / "report.html"
    html = report.html.read_text()
    # every figure, though elu diverged in every seed and has no probe data to draw
    assert html.count('<img src="data:image/png;base64,') == 5 * 2
    assert "First-layer gradients" in html and "Gradient norms" in html
    with (tmp_path / "tables" / "trials.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4 * 3 * 2
    statuses = {(r["activation"], r["status"], r["diverged"]) for r in rows}
    assert statuses == {("relu", "finished", "0"), ("sigmoid", "finished", "0"),
                        ("elu", "finished", "1"), ("tanh", "failed", "0")}
    with (tmp_path / "tables" / "pairwise.csv").open() as file:
        pairs = [r for r in csv.DictReader(file) if r["metric"] == "test_accuracy"]
    assert {r["condition"] for r in pairs} == {"lr=0.1", "lr=0.01", "All conditions pooled"}


def test_a_study_folder_reports_after_its_data_folder_is_gone(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    spec = study_spec_from_toml(GRID_SPEC.format(activations='["relu", "sigmoid"]').replace(
        'dataset = "toy"', f'dataset = {{ name = "toy", data_dir = "{data}" }}'))
    run_study(spec, tmp_path / "study", executor=SerialExecutor(scripted_trial),
              progress=False, check_inputs=False)
    data.rmdir()
    results = load_study_results(tmp_path / "study")  # the spec is not checked again
    assert results.count("finished") == 12 and results.spec.data_dir == str(data)
    assert write_study_report(tmp_path / "study").html.is_file()
