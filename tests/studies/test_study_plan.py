"""One pass through the study engine: the plan is stored when a study starts, then read.

Each trial's config is validated once (when the spec is read); the runner stores the
trials, hands the workers their stored configs, and the report reads the trials back
without expanding, hashing or validating anything again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import actlab.training.config as trial_config_module
from actlab.studies import (
    ResultsStore,
    SerialExecutor,
    TrialTask,
    expand,
    expansion,
    load_study_results,
    run_study,
    study_spec_from_toml,
)
from actlab.studies.executor import run_trial_task
from actlab.studies.trial_records import join_result, split_result
from actlab.training import ProbeConfig, TrialConfig, run_trial
from support.study_trials import scripted_trial

SPEC = """
name = "planned"
seeds = 2
activations = ["relu", "sigmoid",
               {{ name = "gelu", label = "gelu_tanh", params = {{ approximate = "tanh" }} }}]
dataset = "toy"
model = "shallow"
[training]
epochs = {epochs}
[probes]
gradient_every = 2
activation_every = 3
histogram_every = 0
tensorboard = false
[grid]
"training.lr" = [0.01, 0.1]
"""


class RememberingTrials:
    """A trial function that keeps the tasks it was given."""

    def __init__(self, function=scripted_trial) -> None:
        self.tasks: list[TrialTask] = []
        self.function = function

    def __call__(self, task: TrialTask) -> dict:
        self.tasks.append(task)
        return self.function(task)


def test_the_plan_is_stored_when_the_study_starts_and_workers_get_it(tmp_path: Path):
    spec = study_spec_from_toml(SPEC.format(epochs=1))
    trials = expand(spec)
    worker = RememberingTrials()
    run_study(spec, tmp_path, executor=SerialExecutor(worker), progress=False,
              check_inputs=False)
    with ResultsStore(tmp_path) as store:
        plan = store.planned_trials()
    assert [t.trial_id for t in plan] == [t.trial_id for t in trials]
    assert [t.definition for t in plan] == [t.definition for t in trials]
    assert [t.config for t in plan] == [t.config.to_dict() for t in trials]
    assert [(t.activation, t.seed, t.condition) for t in plan] == [
        (t.activation, t.seed, t.condition) for t in trials]
    by_id = {t.trial_id: t for t in plan}
    assert [task.config for task in worker.tasks] == [by_id[t.trial_id].config
                                                      for t in worker.tasks]


def test_each_trial_is_validated_once_from_spec_to_report(tmp_path: Path, monkeypatch):
    resolved = []
    real_resolve = trial_config_module.resolve

    def counting_resolve(name):
        resolved.append(name)
        return real_resolve(name)

    # TrialConfig.validate resolves the activation once per check: count the checks.
    monkeypatch.setattr(trial_config_module, "resolve", counting_resolve)
    spec = study_spec_from_toml(SPEC.format(epochs=2))
    trials = expand(spec)
    checks_to_read_the_spec = len(resolved)
    assert checks_to_read_the_spec == len(trials)
    resolved.clear()
    # Real trials, run in this process so that the worker's checks are counted too.
    run = run_study(spec, tmp_path, executor=SerialExecutor(run_trial_task), progress=False,
                    check_inputs=False)
    assert run.finished == len(trials)
    results = load_study_results(tmp_path)
    assert results.count("finished") == len(trials)
    assert resolved == []


def test_the_report_reads_the_stored_plan_without_expanding_it(tmp_path: Path, monkeypatch):
    spec = study_spec_from_toml(SPEC.format(epochs=1))
    run_study(spec, tmp_path, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)

    def forbidden(*args, **kwargs):
        raise AssertionError("the report expanded or hashed the spec again")

    for name in ("expand_trials", "trial_definition", "trial_id", "trial_config"):
        monkeypatch.setattr(expansion, name, forbidden)
    results = load_study_results(tmp_path)
    assert results.count("finished") == 12 and len(results.conditions) == 2
    assert [r.trial.activation for r in results.conditions[0].records][:3] == [
        "relu", "sigmoid", "gelu_tanh"]


def test_a_changed_trial_definition_does_not_orphan_a_studys_results(tmp_path: Path,
                                                                      monkeypatch):
    spec = study_spec_from_toml(SPEC.format(epochs=1))
    run_study(spec, tmp_path, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)
    real = expansion.trial_definition

    def a_later_actlab(*args, **kwargs):  # one that defines trials with one more field
        return {**real(*args, **kwargs), "standardize_inputs": False}

    monkeypatch.setattr(expansion, "trial_definition", a_later_actlab)
    same = study_spec_from_toml(SPEC.format(epochs=1))
    assert {t.trial_id for t in expand(same)}.isdisjoint(t.trial_id for t in expand(spec))
    worker = RememberingTrials()
    again = run_study(same, tmp_path, executor=SerialExecutor(worker), progress=False,
                      check_inputs=False)
    assert worker.tasks == [] and again.already_finished == 12 and again.complete
    assert load_study_results(tmp_path).count("finished") == 12


def test_more_seeds_keep_the_stored_trials_and_plan_the_new_ones(tmp_path: Path):
    spec = study_spec_from_toml(SPEC.format(epochs=1))
    run_study(spec, tmp_path, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)
    bigger = spec.with_overrides(seeds=[0, 1, 2])
    worker = RememberingTrials()
    run = run_study(bigger, tmp_path, executor=SerialExecutor(worker), progress=False,
                    check_inputs=False)
    assert {task.config["seed"] for task in worker.tasks} == {2}
    assert (run.total, run.already_finished, run.finished) == (18, 12, 6)
    fewer = spec.with_overrides(activations=["relu"])
    run_study(fewer, tmp_path, executor=SerialExecutor(scripted_trial), progress=False,
              check_inputs=False)
    results = load_study_results(tmp_path)
    assert len(results.records) == 2 * 2 and results.other_trials == 14
    assert results.spec.labels == ("relu",)


def test_a_study_stores_each_result_once_and_nothing_is_lost(tmp_path: Path):
    config = TrialConfig(dataset="toy", model="mlp", activation="elu", epochs=6,
                         model_options={"widths": [8, 8]},
                         probes=ProbeConfig(gradient_every=2, activation_every=2,
                                            histogram_every=4, tensorboard=False))
    result = run_trial(config).to_dict()
    summary, points = split_result(result)
    for curve in ("history", "step_losses", "gradients", "activations", "config"):
        assert curve not in summary
    assert {p.name.partition("/")[0] for p in points} >= {
        "test_accuracy", "step_loss", "grad_norm", "grad_max_abs", "act_mean",
        "dead_fraction"}
    with ResultsStore(tmp_path) as store:
        from actlab.studies.store import PlannedTrial

        store.plan_trials([PlannedTrial("t", "elu", 0, (), {}, config.to_dict())])
        store.mark_running("t")
        store.record_finished("t", summary, diverged=False, metrics=points)
        (stored,) = store.trials()
        assert join_result(stored.result, store.metric_points("t"), stored.config) == result


def test_study_trials_write_only_tensorboard_logs_beside_the_store(tmp_path: Path):
    spec = study_spec_from_toml(SPEC.format(epochs=1).replace(
        "tensorboard = false", "tensorboard = true").replace("seeds = 2", "seeds = 1"))
    run_study(spec, tmp_path, executor=SerialExecutor(run_trial_task), progress=False)
    folders = sorted((tmp_path / "trials").iterdir())
    assert len(folders) == 6
    for folder in folders:
        assert [p.name for p in folder.iterdir()] == ["tensorboard"]


@pytest.mark.parametrize("field", ["activation", "dataset"])
def test_a_trusted_config_is_not_checked_again(field: str):
    data = TrialConfig(dataset="toy", model="shallow", activation="relu",
                       epochs=1).validate().to_dict()
    data[field] = "no-such-name"
    config = TrialConfig.from_validated(data)
    assert config.validate() is config  # trusted: the store's configs were checked
    with pytest.raises(Exception, match="no-such-name"):
        TrialConfig.from_dict(data)
