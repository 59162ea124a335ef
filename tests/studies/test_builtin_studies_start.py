"""The long built-in studies start correctly: a few trials of each, with very few steps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from actlab.data import Dataset
from actlab.studies import SerialExecutor, builtin_study, expand, load_study_results, run_study
from actlab.training import run_trial


def _run(spec, folder: Path):
    run = run_study(spec, folder, executor=SerialExecutor(), progress=False)
    assert run.failed == 0 and run.complete, run.summary()
    return load_study_results(folder)


def test_seed003_mnist_starts(shared_data_dir: Path, tmp_path: Path):
    spec = builtin_study("seed003-mnist").with_overrides(
        activations=["leaky_relu(0.2)"], seeds=[0], steps=2,
        training={"train_samples": 200, "test_samples": 100})
    probes = {**spec.probes, "gradient_every": 1, "activation_every": 1, "eval_every": 1}
    spec = dataclasses.replace(spec, data_dir=str(shared_data_dir), probes=probes)
    results = _run(spec, tmp_path)
    (record,) = results.records
    assert record.result["steps"] == 2
    assert record.result["dataset"]["train"] == 200  # of the 55,000 after the hold-out
    assert record.result["settings"]["lr"] == 1e-4 and record.result["settings"][
        "batch_size"] == 50
    # seed 003's first-layer gradient plots have data
    assert {q["tag"] for q in record.result["first_layer_gradients"]} == {
        "conv1.weight.grad", "conv1.bias.grad"}
    assert list((tmp_path / "trials").glob("*/tensorboard/events.out.tfevents.*"))


def test_seed002_deep_starts(shared_data_dir: Path, tmp_path: Path):
    spec = builtin_study("seed002-deep").with_overrides(
        activations=["selu"], seeds=[0], steps=2,
        training={"train_samples": 256, "test_samples": 100})
    results = _run(dataclasses.replace(spec, data_dir=str(shared_data_dir)), tmp_path)
    assert [c.label for c in results.conditions] == ["depth=8", "depth=16", "depth=32"]
    for condition, depth in zip(results.conditions, (8, 16, 32), strict=True):
        (record,) = condition.records
        assert len(record.result["activation_sites"]) == depth
        assert "AlphaDropout" in record.result["model_summary"]


def test_seed000_toy_starts(tmp_path: Path):
    spec = builtin_study("seed000-toy").with_overrides(
        activations=["softmax", "sigmoid"], seeds=[0, 1], epochs=20)
    results = _run(spec, tmp_path)
    for record in results.records:
        assert record.result["dataset"]["train"] == 5
        assert len(record.result["history"]) == 20  # one record per epoch, as Keras's
        assert len(record.result["predictions_after"]["outputs"]) == 5  # seed 000 prints them


def test_seed003_cifar10_trains_on_data_of_cifar10s_shape():
    # CIFAR-10 itself is not on this machine: the study's trial config is run on random
    # images of its shape and classes, to show the config, model and recipe fit together.
    spec = builtin_study("seed003-cifar10")
    config = expand(spec)[0].config.replace(steps=2, probes=dataclasses.replace(
        expand(spec)[0].config.probes, tensorboard=False))
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(64, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (64,), generator=generator)
    fake = Dataset("cifar10", images, labels, images[:16], labels[:16], 10, (3, 32, 32))
    result = run_trial(config, dataset=fake, progress=False)
    assert result.steps == 2 and result.final["test_accuracy"] is not None
    assert result.dataset["model_input_shape"] == [3, 24, 24]  # the tutorial's crops
