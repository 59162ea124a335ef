"""Running studies: resume, failures, divergences, locking, and surviving SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from actlab.studies import (
    ResultsStore,
    SerialExecutor,
    StudyStoreError,
    TrialTask,
    expand,
    load_study_results,
    run_study,
    study_spec_from_toml,
)
from actlab.studies.runner import study_lock
from support.killed_studies import kill_once_finished
from support.study_trials import SCRIPT, scripted_accuracy, scripted_trial

TESTS_DIR = Path(__file__).resolve().parents[1]

SPEC = """
name = "scripted"
seeds = {seeds}
activations = {activations}
dataset = "toy"
model = "shallow"
[training]
epochs = 1
"""


def scripted_spec(activations: list[str], seeds: int):
    return study_spec_from_toml(SPEC.format(seeds=seeds, activations=json.dumps(activations)))


class RecordingTrials:
    """The scripted trial function, remembering which trials it ran."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def __call__(self, task: TrialTask) -> dict:
        self.ran.append(task.trial_id)
        return scripted_trial(task)


def run_scripted(spec, folder: Path, **options) -> tuple[object, RecordingTrials]:
    trials = RecordingTrials()
    run = run_study(spec, folder, executor=SerialExecutor(trials), progress=False,
                    check_inputs=False, **options)
    return run, trials


def test_a_study_stores_every_outcome_and_keeps_going(tmp_path: Path):
    spec = scripted_spec(["relu", "elu", "tanh", "sigmoid"], seeds=3)
    run, trials = run_scripted(spec, tmp_path)
    assert (run.total, run.ran, run.finished, run.failed, run.diverged) == (12, 12, 9, 3, 3)
    assert not run.complete
    with ResultsStore(tmp_path) as store:
        stored = {(t.activation, t.seed): t for t in store.trials()}
        assert store.integrity_problems() == []
    assert stored[("tanh", 1)].status == "failed"
    assert "scripted failure of tanh seed 1" in stored[("tanh", 1)].error
    assert stored[("elu", 2)].status == "finished" and stored[("elu", 2)].diverged
    assert stored[("relu", 2)].result["final"]["test_accuracy"] == scripted_accuracy("relu", 2)

    results = load_study_results(tmp_path)
    comparison = results.conditions[0].comparison("test_accuracy")
    relu = comparison.summaries["relu"]
    assert relu.mean == pytest.approx(np.mean([SCRIPT["relu"] + s / 1000 for s in range(3)]))
    assert comparison.summaries["elu"].diverged == 3
    # elu diverged every time: ranked last of those with results; tanh never finished
    assert comparison.ranking == ("relu", "sigmoid", "elu", "tanh")
    assert any(note.startswith("tanh: no test accuracy in any seed") for note in
               comparison.notes)
    assert comparison.pair("relu", "elu").wins_a == 3
    assert len(results.failed) == 3 and len(results.diverged) == 3


def test_running_again_runs_only_what_is_not_finished(tmp_path: Path):
    spec = scripted_spec(["relu", "tanh"], seeds=2)
    first, _ = run_scripted(spec, tmp_path)
    assert (first.finished, first.failed) == (2, 2)
    again, trials = run_scripted(spec, tmp_path)
    failed_ids = {t.trial_id for t in expand(spec) if t.activation == "tanh"}
    assert set(trials.ran) == failed_ids and again.already_finished == 2
    kept, trials = run_scripted(spec, tmp_path, retry_failed=False)
    assert trials.ran == [] and kept.ran == 0


def test_more_seeds_run_only_the_new_trials(tmp_path: Path):
    run_scripted(scripted_spec(["relu", "sigmoid"], seeds=2), tmp_path)
    bigger = scripted_spec(["relu", "sigmoid"], seeds=4)
    run, trials = run_scripted(bigger, tmp_path)
    new = {t.trial_id for t in expand(bigger) if t.seed >= 2}
    assert set(trials.ran) == new and run.complete


def test_a_locked_study_folder_is_refused(tmp_path: Path):
    with study_lock(tmp_path), pytest.raises(StudyStoreError, match="another actlab process"):
        run_scripted(scripted_spec(["relu"], seeds=1), tmp_path)


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from actlab.studies import LocalProcessExecutor, run_study, study_spec_from_toml
from support.study_trials import scripted_trial
if __name__ == "__main__":
    spec = study_spec_from_toml({spec!r})
    run_study(spec, {folder!r}, executor=LocalProcessExecutor(2, trial_function=scripted_trial),
              progress=False, check_inputs=False)
"""


def test_sigkill_loses_only_the_trials_in_flight(tmp_path: Path):
    spec_text = SPEC.format(seeds=6, activations='["relu", "sigmoid", "gelu", "selu"]')
    folder = tmp_path / "study"
    script = tmp_path / "run_study.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS_DIR), spec=spec_text,
                                         folder=str(folder)))
    env = dict(os.environ, ACTLAB_TEST_TRIAL_SECONDS="0.4")
    process = subprocess.Popen([sys.executable, str(script)], env=env,
                               start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    store_path = folder / "results.sqlite"
    kill_once_finished(process, store_path, 4, timeout_s=120)

    spec = study_spec_from_toml(spec_text)
    with ResultsStore(store_path) as store:
        assert store.integrity_problems() == []
        before = {t.trial_id: t for t in store.trials()}
    finished = {i for i, t in before.items() if t.status == "finished"}
    running = {i for i, t in before.items() if t.status == "running"}
    assert 4 <= len(finished) < 24
    assert len(running) <= 2  # at most one trial per worker was in flight
    for trial_id in finished:
        assert before[trial_id].result["final"]["test_accuracy"] is not None

    run, trials = run_scripted(spec, folder)
    expected = {t.trial_id for t in expand(spec)} - finished
    assert set(trials.ran) == expected and len(trials.ran) == len(expected)
    assert run.complete
    with ResultsStore(store_path) as store:
        after = {t.trial_id: t for t in store.trials()}
        assert store.integrity_problems() == []
    assert all(t.status == "finished" for t in after.values()) and len(after) == 24
    for trial_id in finished:  # what survived the kill is kept as it was
        assert after[trial_id].result == before[trial_id].result
        assert after[trial_id].attempts == 1
