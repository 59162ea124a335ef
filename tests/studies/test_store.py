"""The SQLite results store: round trips, statuses, consistency, refusal of bad folders."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from actlab.studies import ResultsStore, StudyStoreError, study_spec_from_toml
from actlab.studies.runner import claim_store
from actlab.studies.store import MetricPoint

CONFIG = {"dataset": "toy", "model": "shallow", "activation": "relu", "seed": 3}


def test_finished_trial_round_trips_with_its_metrics(tmp_path: Path):
    with ResultsStore(tmp_path / "results.sqlite") as store:
        store.mark_running("t1", activation="relu", seed=3, condition=[("model.depth", 2)],
                           config=CONFIG)
        assert store.statuses() == {"t1": "running"}
        result = {"final": {"test_accuracy": 0.5, "test_loss": math.nan}, "history": []}
        store.record_finished("t1", result, diverged=False, duration_s=1.5, worker="w",
                              metrics=[MetricPoint("test_loss", 10, 1.0, 0.7),
                                       MetricPoint("test_loss", 20, 2.0, math.nan)])
    with ResultsStore(tmp_path) as store:  # a folder opens its results.sqlite
        (trial,) = store.trials()
        assert (trial.trial_id, trial.activation, trial.seed, trial.status) == (
            "t1", "relu", 3, "finished")
        assert trial.condition == (("model.depth", 2),)
        assert trial.config == CONFIG
        assert trial.result["final"]["test_accuracy"] == 0.5
        assert math.isnan(trial.result["final"]["test_loss"])
        assert (trial.duration_s, trial.worker, trial.attempts) == (1.5, "w", 1)
        points = store.metric_points("t1")
        assert [(p.step, p.value) for p in points] == [(10, 0.7), (20, None)]
        assert store.integrity_problems() == []


def test_store_uses_write_ahead_logging(tmp_path: Path):
    ResultsStore(tmp_path / "results.sqlite").close()
    mode = sqlite3.connect(tmp_path / "results.sqlite").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"


def test_failed_then_retried_trial(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.mark_running("t", activation="a", seed=0, condition=[], config=CONFIG)
        store.record_failed("t", "RuntimeError: boom\ntraceback...")
        (trial,) = store.trials()
        assert trial.status == "failed" and trial.error.startswith("RuntimeError: boom")
        store.mark_running("t", activation="a", seed=0, condition=[], config=CONFIG)
        (trial,) = store.trials()
        assert (trial.status, trial.error, trial.attempts) == ("running", None, 2)


def test_finishing_an_unknown_trial_is_an_error(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store, pytest.raises(StudyStoreError):
        store.record_finished("nope", {}, diverged=False, metrics=[])


def test_a_folder_holding_another_study_is_refused(tmp_path: Path):
    first = study_spec_from_toml('name = "one"\nseeds = 1\nactivations = ["relu"]\n'
                                 'dataset = "toy"\nmodel = "shallow"\n[training]\nepochs = 1')
    second = study_spec_from_toml('name = "two"\nseeds = 1\nactivations = ["relu"]\n'
                                  'dataset = "toy"\nmodel = "shallow"\n[training]\nepochs = 1')
    with ResultsStore(tmp_path / "r.sqlite") as store:
        claim_store(store, first)
        claim_store(store, first)
        with pytest.raises(StudyStoreError, match="holds study 'one', not 'two'"):
            claim_store(store, second)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path):
    bogus = tmp_path / "results.sqlite"
    bogus.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StudyStoreError, match="not a usable results store"):
        ResultsStore(bogus)
