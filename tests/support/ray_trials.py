"""Trial functions for the Ray executor's tests; Ray workers import them by name.

Their behaviour comes from the task's config (plain data), so that nothing depends on the
environment of the worker that runs them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from actlab.data.dataset import Dataset
from actlab.studies.executor import TrialTask, run_trial_task, trial_dataset
from support.study_trials import fake_result, scripted_trial


def artifact_trial(task: TrialTask) -> dict[str, Any]:
    """Write what a real trial writes (a binary file in a subfolder, JSON naming the folder)."""
    folder = Path(task.output_dir)
    (folder / "tensorboard").mkdir(parents=True)
    (folder / "tensorboard" / "events.out.tfevents.test").write_bytes(bytes(range(256)) * 4)
    (folder / "result.json").write_text(json.dumps({"output_dir": str(folder),
                                                    "seed": task.config["seed"]}))
    (folder / "metrics.jsonl").write_text(
        json.dumps({"kind": "result", "output_dir": str(folder)}) + "\n")
    result = fake_result(task.config, 0.5)
    result["output_dir"] = str(folder)
    return result


def pid_folder(task: TrialTask) -> Path:
    """Where these tests' trials write their process ids: the config's, else the worker's env."""
    return Path(task.config.get("pid_dir") or os.environ["ACTLAB_TEST_PID_DIR"])


def hanging_trial(task: TrialTask) -> dict[str, Any]:
    """First attempt: write its pid and wait to be killed; a later attempt finishes at once.

    With $ACTLAB_TEST_ALWAYS_HANG set, every attempt waits (Ctrl-C must stop them).
    """
    folder = pid_folder(task)
    earlier = list(folder.glob(f"{task.trial_id}.*.pid"))
    (folder / f"{task.trial_id}.{os.getpid()}.pid").write_text(str(os.getpid()))
    if not earlier or os.environ.get("ACTLAB_TEST_ALWAYS_HANG"):
        time.sleep(600)
    result = fake_result(task.config, 0.75)
    result["attempt_pids"] = sorted(int(p.read_text()) for p in earlier) + [os.getpid()]
    return result


def dataset_fingerprint_trial(task: TrialTask) -> dict[str, Any]:
    """Which dataset the worker trains on: its name and the sum of its training inputs."""
    dataset = trial_dataset(task)
    result = fake_result(task.config, 0.5)
    result["dataset_name"] = dataset.name
    result["train_x_sum"] = float(dataset.train_x.double().sum())
    return result


def threads_trial(task: TrialTask) -> dict[str, Any]:
    """The scripted trial, also reporting the worker's torch threads and environment."""
    result = scripted_trial(task)
    result["kernels_env"] = os.environ.get("ACTLAB_KERNELS")
    return result


def marked_dataset(marker: float) -> Dataset:
    """A small dataset that no loader makes: its inputs are all `marker`."""
    x = torch.full((6, 10), marker)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    return Dataset("marked", x, y, x.clone(), y.clone(), num_classes=3, input_shape=(10,))


def gated_trial(task: TrialTask) -> dict[str, Any]:
    """Say it is waiting, wait for the test's go-ahead (a file), then run the real trial.

    $ACTLAB_TEST_GATE_DIR is where both files are: the test changes the world (removes the
    user's code folder) between the two.
    """
    gate = Path(os.environ["ACTLAB_TEST_GATE_DIR"])
    (gate / f"{task.trial_id}.waiting").write_text(str(os.getpid()))
    deadline = time.monotonic() + 300
    while not (gate / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.05)
    return run_trial_task(task)
