"""A study of a spec the user registered, and of a formula, in spawned worker processes.

Spawned workers start from a fresh interpreter: they know the built-in catalog and parse
formulas themselves, and receive the driver's registered specs by value (before, a
registered name was unknown there and every such trial failed).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

import actlab
from actlab import ActivationSpec, Param, Properties
from actlab.catalog.registry import registry
from actlab.studies import LocalProcessExecutor, run_study
from actlab.studies.spec import study_spec_from_toml
from actlab.studies.store import STORE_FILE, ResultsStore

SPEC = """
name = "user-activations"
dataset = "toy"
activations = ["leaky_bent", "x*sigmoid(1.5*x)"]
seeds = 1
[model]
name = "mlp"
depth = 1
width = 8
[training]
steps = 3
[probes]
tensorboard = false
"""


def test_a_registered_spec_and_a_formula_train_in_spawned_workers(tmp_path: Path):
    actlab.register(ActivationSpec(
        name="leaky_bent", family="user", summary="x + k|x|", latex=r"f(x) = x + k|x|",
        forward=lambda x, k: x + k * x.abs(),  # a lambda: only by value can it travel
        derivative=lambda x, k: 1 + k * torch.sign(x),
        params=(Param("k", 0.3, "weight of |x|"),),
        properties=Properties((-float("inf"), float("inf")), smoothness=0)))
    try:
        spec = study_spec_from_toml(SPEC)
        executor = LocalProcessExecutor(1)  # spawn: a fresh interpreter
        run = run_study(spec, tmp_path / "study", executor=executor, progress=False)
        executor.shutdown()
    finally:
        registry().unregister("leaky_bent")
    with ResultsStore(tmp_path / "study" / STORE_FILE) as store:
        trials = {t.activation: t for t in store.trials()}
    assert {name: t.status for name, t in trials.items()} == {
        "leaky_bent": "finished", "x*sigmoid(1.5*x)": "finished"}, \
        {name: t.error for name, t in trials.items()}
    assert run.finished == 2 and run.failed == 0
    worker = trials["leaky_bent"].worker
    assert worker is not None and not worker.endswith(f":{os.getpid()}")
