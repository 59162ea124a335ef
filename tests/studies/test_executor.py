"""Executors: the serial one and the local process pool behind the same interface."""

from __future__ import annotations

import os
import time

import pytest

from actlab.errors import ParameterError
from actlab.studies import Executor, LocalProcessExecutor, SerialExecutor, TrialTask
from actlab.studies.executor import available_cores
from support.study_trials import dying_trial, scripted_accuracy, scripted_trial, stubborn_trial


def task(activation: str, seed: int = 0) -> TrialTask:
    return TrialTask(f"{activation}-{seed}", {"activation": activation, "seed": seed})


def run_all(executor: Executor, tasks: list[TrialTask]) -> dict:
    """Submit at most `capacity` at a time, as the runner does; outcomes by trial id."""
    pending, outcomes, in_flight = list(tasks), {}, 0
    while pending and in_flight < executor.capacity:
        executor.submit(pending.pop(0))
        in_flight += 1
    for outcome in executor.completed():
        outcomes[outcome.trial_id] = outcome
        if pending:
            executor.submit(pending.pop(0))
    return outcomes


def test_serial_executor_runs_in_order_and_turns_exceptions_into_failures():
    executor = SerialExecutor(scripted_trial)
    assert isinstance(executor, Executor) and executor.capacity == 1
    outcomes = run_all(executor, [task("relu", 1), task("tanh", 2), task("sigmoid", 3)])
    assert list(outcomes) == ["relu-1", "tanh-2", "sigmoid-3"]
    assert outcomes["relu-1"].status == "finished"
    assert outcomes["relu-1"].result["final"]["test_accuracy"] == scripted_accuracy("relu", 1)
    failed = outcomes["tanh-2"]
    assert failed.status == "failed" and failed.result is None
    assert failed.error.splitlines()[0] == "RuntimeError: scripted failure of tanh seed 2"
    assert outcomes["sigmoid-3"].status == "finished"


def test_local_processes_run_trials_in_workers_with_threads_per_core():
    tasks = [task("relu", s) for s in range(4)] + [task("tanh", 9)]
    with LocalProcessExecutor(2, trial_function=scripted_trial) as executor:
        outcomes = run_all(executor, tasks)
    assert set(outcomes) == {t.trial_id for t in tasks}
    assert outcomes["tanh-9"].status == "failed"
    assert "scripted failure of tanh seed 9" in outcomes["tanh-9"].error
    for seed in range(4):
        outcome = outcomes[f"relu-{seed}"]
        assert outcome.result["final"]["test_accuracy"] == scripted_accuracy("relu", seed)
        # workers x threads = cores
        assert outcome.result["torch_threads"] == max(1, available_cores() // 2)
    pids = {o.result["pid"] for o in outcomes.values() if o.result}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_worker_that_dies_fails_its_trial_and_the_pool_recovers():
    with LocalProcessExecutor(1, trial_function=dying_trial) as executor:
        executor.submit(task("die"))
        outcomes = list(executor.completed())
        assert [o.status for o in outcomes] == ["failed"]
        assert "worker process died" in outcomes[0].error
        executor.submit(task("relu"))
        after = list(executor.completed())
    assert [o.status for o in after] == ["finished"]


def test_cancelling_kills_a_worker_that_holds_sigterm_off(tmp_path):
    """An interrupted study stops its workers even when one ignores SIGTERM: otherwise the
    pool's manager thread would wait for it at exit and the driver would hang."""
    import psutil

    pid_file = tmp_path / "pid"
    executor = LocalProcessExecutor(1, trial_function=stubborn_trial)
    executor.submit(TrialTask("stubborn", {"pid_file": str(pid_file)}))
    deadline = time.monotonic() + 120  # a spawned worker imports torch first
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the worker never started its trial"
        time.sleep(0.1)
    worker = psutil.Process(int(pid_file.read_text()))
    started = time.monotonic()
    executor.shutdown(cancel=True)
    assert time.monotonic() - started < 30
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE


def test_worker_count_is_checked():
    with pytest.raises(ParameterError, match="workers"):
        LocalProcessExecutor(0)
    assert LocalProcessExecutor(1).threads == available_cores()
