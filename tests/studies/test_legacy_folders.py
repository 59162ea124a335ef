"""Study folders written before trials were planned in the store (schema 1) keep working.

`data/legacy-v1` is such a folder's store, written by actlab at commit c7fafab, with the
summary table its report wrote then: the report reads the same numbers, and the study
resumes without running a finished trial again.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import main
from actlab.report.study_report import write_study_report
from actlab.studies import ResultsStore, load_study_results

LEGACY = Path(__file__).parent / "data" / "legacy-v1"


@pytest.fixture
def legacy_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "legacy"
    folder.mkdir()
    shutil.copy(LEGACY / "results.sqlite", folder / "results.sqlite")
    return folder


def _summary(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with path.open() as file:
        return {(r["condition"], r["metric"], r["activation"]): r for r in csv.DictReader(file)}


def test_the_report_of_a_schema_1_folder_gives_the_numbers_it_gave_then(legacy_folder: Path):
    report = write_study_report(legacy_folder)
    now = _summary(report.tables[1])
    then = _summary(LEGACY / "summary-schema1.csv")
    assert now.keys() == then.keys()
    checked = 0
    for key, row in then.items():
        if row["n"] != "2":  # relu diverged at lr 0.01: how a study counts that may change
            continue
        for column in ("n", "mean", "std", "ci_low", "ci_high"):
            # Both computed by the same arithmetic from the same stored numbers; 1e-12
            # allows only for a different summation order.
            assert float(now[key][column]) == pytest.approx(float(row[column]), rel=1e-12,
                                                            abs=1e-12), (key, column)
        checked += 1
    assert checked >= 2 * 4 * 2  # tanh and lrelu, every metric, both learning rates
    results = load_study_results(legacy_folder)
    assert results.count("finished") == 12 and results.other_trials == 0
    with ResultsStore(legacy_folder) as store:  # the plan is stored now
        assert store.has_plan() and store.integrity_problems() == []
        assert all(t.definition is not None for t in store.planned_trials())


def test_a_schema_1_study_resumes_with_more_seeds_running_only_the_new_trials(
        legacy_folder: Path, monkeypatch):
    with ResultsStore(legacy_folder) as store:
        before = {t.trial_id: t for t in store.trials()}
    monkeypatch.chdir(LEGACY)
    same = CliRunner().invoke(main, ["compare", "--spec", "spec.toml", "-o",
                                     str(legacy_folder), "-w", "1", "-q", "--no-report"])
    assert same.exit_code == 0, same.output
    with ResultsStore(legacy_folder) as store:
        assert {t.trial_id: t.attempts for t in store.trials()} == {
            i: 1 for i in before}  # nothing ran again
    more = CliRunner().invoke(main, ["compare", "--spec", "spec.toml", "-o",
                                     str(legacy_folder), "-w", "1", "--seeds", "3",
                                     "--no-report"])
    assert more.exit_code == 0, more.output
    assert "18 trials, 12 already stored, 6 run" in more.output
    with ResultsStore(legacy_folder) as store:
        after = {t.trial_id: t for t in store.trials()}
        assert store.integrity_problems() == []
    assert len(after) == 18 and all(t.status == "finished" for t in after.values())
    for trial_id, trial in before.items():
        assert after[trial_id].result == trial.result and after[trial_id].attempts == 1
    assert {t.seed for i, t in after.items() if i not in before} == {2}
    results = load_study_results(legacy_folder)
    assert results.count("finished") == 18
