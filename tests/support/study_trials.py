"""Stand-in trial functions for study tests: fast, deterministic, picklable for workers.

A scripted trial's outcome depends on its activation name (see `SCRIPT`): most finish
with an accuracy that is fixed per activation and seed, `elu` diverges, `tanh` raises.
Set ACTLAB_TEST_TRIAL_SECONDS to make each trial last that long (the kill test).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from actlab.studies.executor import TrialTask

#: activation -> base accuracy (seed s adds s / 1000); None: diverges; "raise": fails.
SCRIPT: dict[str, Any] = {"relu": 0.90, "sigmoid": 0.80, "gelu": 0.85, "selu": 0.88,
                          "elu": None, "tanh": "raise"}


def scripted_accuracy(activation: str, seed: int) -> float:
    """The test accuracy a scripted trial reports."""
    return SCRIPT[activation] + seed / 1000


def fake_result(config: Mapping[str, Any], accuracy: float | None,
                diverged: bool = False) -> dict[str, Any]:
    """A dict shaped like TrialResult.to_dict() with two history records."""
    history = [{"step": step, "epoch": step / 10, "train_loss": 1.0 / step,
                "train_accuracy": accuracy, "test_loss": 2.0 / step,
                "test_accuracy": accuracy, "regularization_loss": 0.0, "lr": 0.1}
               for step in (10, 20)]
    probes = {} if diverged else {
        "gradients": [{"step": step, "parameter": name, "norm": 0.1 / step, "mean": 0.0,
                       "std": 0.01, "max_abs": 0.1} for step in (10, 20)
                      for name in ("dense.weight", "dense.bias")],
        "first_layer_gradients": [{"step": step, "tag": "dense.weight.grad",
                                   "levels": [0.0, 0.5, 1.0], "values": [-0.1, 0.0, 0.1]}
                                  for step in (10, 20)],
        "activations": [{"step": step, "site": "act1", "mean": 0.1, "std": 1.0,
                         "dead_fraction": 0.0, "saturated_fraction": 0.2,
                         "saturated_unit_fraction": 0.0} for step in (0, 20)],
        "activation_sites": [{"site": "act1", "activation": "x", "dead_region": False,
                              "slope_scale": 1.0, "note": ""}]}
    return {"config": dict(config), "diverged": diverged,
            "diverged_step": 15 if diverged else None,
            "divergence": "the training loss became nan at step 15" if diverged else "",
            "final": {"test_accuracy": accuracy, "test_loss": None if diverged else 0.5,
                      "train_accuracy": accuracy, "train_loss": None if diverged else 0.4},
            "history": [] if diverged else history, "step_losses": [1.0, 0.5],
            "gradients": [], "activations": [], "first_layer_gradients": [],
            "activation_sites": [], **probes, "pid": os.getpid()}


def scripted_trial(task: TrialTask) -> dict[str, Any]:
    """Finish, diverge or raise as SCRIPT says, after ACTLAB_TEST_TRIAL_SECONDS."""
    time.sleep(float(os.environ.get("ACTLAB_TEST_TRIAL_SECONDS", "0")))
    activation, seed = task.config["activation"], task.config["seed"]
    outcome = SCRIPT[activation]
    if outcome == "raise":
        raise RuntimeError(f"scripted failure of {activation} seed {seed}")
    if outcome is None:
        result = fake_result(task.config, None, diverged=True)
    else:
        result = fake_result(task.config, scripted_accuracy(activation, seed))
    import torch

    result["torch_threads"] = torch.get_num_threads()
    return result


def dying_trial(task: TrialTask) -> dict[str, Any]:
    """Kill the worker process outright (as the OOM killer would) for activation `die`."""
    if task.config.get("activation") == "die":
        os._exit(13)
    return {"pid": os.getpid()}


def stubborn_trial(task: TrialTask) -> dict[str, Any]:
    """Hold SIGTERM off and run for a minute (as a worker deep in native code may), after
    writing its pid to the file named by the task's config."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(task.config["pid_file"], "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(60)
    return {"pid": os.getpid()}
