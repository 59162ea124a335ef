"""The SQLite results store: plans, round trips, statuses, consistency, upgrades, bad folders."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path

import pytest

from actlab.studies import ResultsStore, StudyStoreError, study_spec_from_toml
from actlab.studies.runner import plan_study
from actlab.studies.store import MetricPoint, PlannedTrial

CONFIG = {"dataset": "toy", "model": "shallow", "activation": "relu", "seed": 3}
LEGACY = Path(__file__).parent / "data" / "legacy-v1"


def planned(trial_id: str, activation: str = "relu", seed: int = 3, condition=(),
            config=None) -> PlannedTrial:
    config = dict(config or CONFIG)
    return PlannedTrial(trial_id, activation, seed, tuple(condition),
                        {"activation": activation, "seed": seed}, config)


def test_finished_trial_round_trips_with_its_metrics(tmp_path: Path):
    with ResultsStore(tmp_path / "results.sqlite") as store:
        store.plan_trials([planned("t1", condition=[("model.depth", 2)])])
        assert store.statuses() == {"t1": "planned"}
        store.mark_running("t1")
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
        assert trial.definition == {"activation": "relu", "seed": 3}
        assert trial.in_plan and trial.condition_label == "depth=2"
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
        store.plan_trials([planned("t", "a", 0)])
        store.mark_running("t")
        store.record_failed("t", "RuntimeError: boom\ntraceback...")
        (trial,) = store.trials()
        assert trial.status == "failed" and trial.error.startswith("RuntimeError: boom")
        store.mark_running("t")
        (trial,) = store.trials()
        assert (trial.status, trial.error, trial.attempts) == ("running", None, 2)


def test_finishing_an_unknown_or_unstarted_trial_is_an_error(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        with pytest.raises(StudyStoreError, match="never started"):
            store.record_finished("nope", {}, diverged=False, metrics=[])
        with pytest.raises(StudyStoreError, match="not in the plan"):
            store.mark_running("nope")
        store.plan_trials([planned("t")])
        with pytest.raises(StudyStoreError, match="never started"):
            store.record_finished("t", {}, diverged=False, metrics=[])


def test_a_new_plan_keeps_outcomes_and_sets_aside_what_it_leaves_out(tmp_path: Path):
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.plan_trials([planned("a", seed=0), planned("b", seed=1), planned("c", seed=2)])
        for trial_id in ("a", "b"):
            store.mark_running(trial_id)
        store.record_finished("a", {"final": {}}, diverged=False, metrics=[])
        newer = {**CONFIG, "lr": 0.5}
        store.plan_trials([planned("d", seed=3, config=newer), planned("b", seed=1,
                                                                         config=newer),
                           planned("a", seed=0, config=newer)])
        assert [t.trial_id for t in store.planned_trials()] == ["d", "b", "a"]
        trials = {t.trial_id: t for t in store.trials()}
        assert [t.trial_id for t in store.trials()] == ["d", "b", "a", "c"]
        assert not trials["c"].in_plan and trials["c"].status == "planned"
        assert trials["a"].status == "finished" and trials["a"].config == CONFIG  # as it ran
        assert trials["b"].status == "running" and trials["b"].config == newer  # will run so
        assert trials["d"].status == "planned" and trials["d"].attempts == 0
        assert store.has_plan() and store.integrity_problems() == []


def test_a_folder_holding_another_study_is_refused(tmp_path: Path):
    first = study_spec_from_toml('name = "one"\nseeds = 1\nactivations = ["relu"]\n'
                                 'dataset = "toy"\nmodel = "shallow"\n[training]\nepochs = 1')
    second = study_spec_from_toml('name = "two"\nseeds = 1\nactivations = ["relu"]\n'
                                  'dataset = "toy"\nmodel = "shallow"\n[training]\nepochs = 1')
    with ResultsStore(tmp_path / "r.sqlite") as store:
        plan_study(store, first)
        plan_study(store, first)
        with pytest.raises(StudyStoreError, match="holds study 'one', not 'two'"):
            plan_study(store, second)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path):
    bogus = tmp_path / "results.sqlite"
    bogus.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StudyStoreError, match="not a usable results store"):
        ResultsStore(bogus)


def _raw_rows(path: Path) -> tuple[list[tuple], int]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT trial_id, activation, seed, condition, config, status, "
                          "diverged, result, attempts FROM trials ORDER BY rowid").fetchall()
        metrics = db.execute("SELECT count(*) FROM metrics").fetchone()[0]
    return rows, metrics


def test_a_schema_1_store_is_upgraded_in_place_keeping_every_row(tmp_path: Path):
    path = tmp_path / "results.sqlite"
    shutil.copy(LEGACY / "results.sqlite", path)
    rows, metric_count = _raw_rows(path)
    assert len(rows) == 12 and metric_count > 0
    with ResultsStore(path) as store:
        assert store.get_meta("schema_version") == "2"
        assert not store.has_plan()  # the study's plan is stored when it is next read
        trials = store.trials()
        assert store.integrity_problems() == []
    assert [(t.trial_id, t.activation, t.seed, json.dumps(
        [list(c) for c in t.condition], sort_keys=True, separators=(",", ":")),
        t.status, t.diverged, t.attempts) for t in trials] == [
        (r[0], r[1], r[2], r[3], r[5], bool(r[6]), r[8]) for r in rows]
    assert [t.config for t in trials] == [json.loads(r[4]) for r in rows]
    assert [t.result for t in trials] == [json.loads(r[7]) for r in rows]
    assert _raw_rows(path)[1] == metric_count
    with sqlite3.connect(path) as db:  # the metrics still refer to the (new) trials table
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert "REFERENCES trials" in db.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'metrics'").fetchone()[0]


def test_a_store_from_a_later_actlab_is_refused(tmp_path: Path):
    ResultsStore(tmp_path / "results.sqlite").close()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StudyStoreError, match="schema 99"):
        ResultsStore(tmp_path)
