"""`actlab compare` end to end on the quick study (cut down), `actlab report`, CLI errors."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from actlab.cli import main
from actlab.cli.study_commands import parse_seeds, split_top_level


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_compare_runs_the_quick_study_and_writes_its_report(quick_study_dir):
    folder, output = quick_study_dir
    assert "study 'quick': 4 trials, 0 already stored, 4 run (4 finished" in output
    assert f"report: {folder / 'report.html'}" in output
    for name in ("report.html", "report.md", "tables/trials.csv", "tables/summary.csv",
                 "tables/pairwise.csv", "results.sqlite"):
        assert (folder / name).is_file(), name
    trials = read_csv(folder / "tables" / "trials.csv")
    assert sorted((t["activation"], t["seed"], t["status"]) for t in trials) == [
        ("relu", "0", "finished"), ("relu", "1", "finished"),
        ("tanh", "0", "finished"), ("tanh", "1", "finished")]
    # the CSV holds what the trainer returned, as the store keeps it
    db = sqlite3.connect(folder / "results.sqlite")
    stored = {row[0]: json.loads(row[1])["final"]["test_accuracy"]
              for row in db.execute("SELECT trial_id, result FROM trials")}
    for trial in trials:
        assert float(trial["test_accuracy"]) == stored[trial["trial_id"]]
        assert json.loads(db.execute("SELECT result FROM trials WHERE trial_id = ?",
                                     (trial["trial_id"],)).fetchone()[0])["steps"] == 32
    # the summary's means and intervals, recomputed with NumPy from the trials
    summary = {(r["metric"], r["activation"]): r for r in read_csv(
        folder / "tables" / "summary.csv")}
    for activation in ("relu", "tanh"):
        values = np.array([float(t["test_accuracy"]) for t in trials
                           if t["activation"] == activation])
        row = summary[("test_accuracy", activation)]
        assert float(row["mean"]) == pytest.approx(values.mean())
        half = 12.706204736174707 * values.std(ddof=1) / np.sqrt(2)  # t_{0.975, 1}
        assert float(row["ci_high"]) - float(row["mean"]) == pytest.approx(half, abs=1e-12)
    markdown = (folder / "report.md").read_text()
    assert "| `relu` |" in markdown and "| `tanh` |" in markdown
    assert "With 2 seeds, no pairwise difference can be significant" in markdown


def test_compare_again_reuses_every_stored_trial(quick_study_dir):
    folder, _ = quick_study_dir
    result = CliRunner().invoke(main, ["compare", "--activations", "relu,tanh", "--seeds", "2",
                                       "--epochs", "1", "--output", str(folder),
                                       "--no-report"])
    assert result.exit_code == 0, result.output
    assert "4 trials, 4 already stored, 0 run" in result.output


def test_report_command_writes_the_report_elsewhere(quick_study_dir, tmp_path: Path):
    folder, _ = quick_study_dir
    result = CliRunner().invoke(main, ["report", str(folder), "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file() and (tmp_path / "tables" / "trials.csv").is_file()
    assert "best test accuracy:" in result.output


@pytest.mark.parametrize(("arguments", "message"), [
    (["compare", "nope"], "unknown study 'nope'"),
    (["compare", "quick", "--spec", "x.toml"], "not both"),
    (["compare", "--spec", "missing.toml"], "does not exist"),
    (["compare", "--seeds", "two"], "--seeds 'two'"),
    (["compare", "--seeds", "0"], "must be >= 1"),
    (["compare", "--epochs", "0"], "--epochs must be >= 1"),
    (["compare", "--workers", "0"], "--workers must be >= 1"),
    (["compare", "--activations", "relu,tahn"], "'tahn'"),
    (["compare", "--data-dir", "/does/not/exist"], "is not a folder"),
    (["report", "."], "is not a study folder"),
])
def test_user_errors_are_one_line(arguments, message, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_an_unavailable_dataset_stops_the_study_before_any_trial(tmp_path: Path):
    result = CliRunner().invoke(main, ["compare", "seed003-cifar10", "--data-dir", str(tmp_path),
                                       "--no-download", "--output", str(tmp_path / "run")])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "dataset 'cifar10' is unavailable" in line and "cifar-10-python.tar.gz" in line


def test_list_names_every_builtin_study():
    result = CliRunner().invoke(main, ["compare", "--list"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names[0] == "quick" and "seed002-deep" in names and "seed000-toy" in names
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "1 activation x 2 seeds on mnist/mean_field_mlp" in lines["edge-of-chaos"]
    assert "on mnist1d/mnist1d_mlp+mnist1d_cnn" in lines["mnist1d-paper"]


def test_option_parsing():
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("4,9") == [4, 9]
    assert parse_seeds("10-12") == [10, 11, 12]
    assert split_top_level("leaky_relu(0.2),elu, where(x > 0, x, 0.1*x)") == [
        "leaky_relu(0.2)", "elu", "where(x > 0, x, 0.1*x)"]
