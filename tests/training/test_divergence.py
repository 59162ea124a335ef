"""Diverging trials: recorded with their step, stopped cleanly, results still serialisable."""

from __future__ import annotations

import json
import math

from actlab.training import ProbeConfig, TrialConfig, TrialResult, run_trial


def test_huge_learning_rate_diverges_and_stops(digits, tmp_path):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=200,
                         optimizer="sgd", lr=1e6, device="cpu",
                         probes=ProbeConfig(eval_every=50, gradient_every=1,
                                            activation_every=0, tensorboard=True))
    result = run_trial(config, output_dir=tmp_path, dataset=digits, progress=False)
    assert result.diverged and result.stopped_early and not result.weights_finite
    step = result.diverged_step
    assert step is not None and step < 200 and result.steps == step
    losses = result.step_losses
    assert len(losses) == step and losses[-1] is None
    assert all(v is not None and math.isfinite(v) for v in losses[:-1])
    assert str(step) in result.divergence
    assert result.final["test_accuracy"] is None and result.final["test_loss"] is None
    reloaded = TrialResult.from_json(json.dumps(json.loads(result.to_json())))
    assert reloaded == result
    assert (tmp_path / "result.json").is_file()


def test_exponential_activation_blows_up(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="exponential", steps=300,
                         optimizer="sgd", lr=5.0, model_options={"depth": 4, "width": 64},
                         device="cpu", probes=ProbeConfig.off())
    result = run_trial(config, dataset=digits, progress=False)
    assert result.diverged and result.steps == result.diverged_step < 300


def test_keeping_on_after_divergence_trains_the_whole_budget(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=30,
                         optimizer="sgd", lr=1e6, stop_on_divergence=False, device="cpu",
                         probes=ProbeConfig.off())
    result = run_trial(config, dataset=digits, progress=False)
    assert result.diverged and not result.stopped_early and result.steps == 30
    assert len(result.step_losses) == 30


def test_losses_read_in_groups_still_give_the_exact_divergence_step(digits, monkeypatch):
    """On a GPU the losses are read every few steps; that path, run here on the CPU."""
    from actlab.training import training_loop

    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=200,
                         optimizer="sgd", lr=1e6, device="cpu", probes=ProbeConfig.off())
    every_step = run_trial(config, dataset=digits, progress=False)
    monkeypatch.setattr(training_loop, "loss_sync_interval", lambda device: 7)
    grouped = run_trial(config, dataset=digits, progress=False)
    assert grouped.diverged_step == every_step.diverged_step
    assert grouped.step_losses[:every_step.diverged_step] == every_step.step_losses
    assert grouped.steps >= grouped.diverged_step  # it may run on to the end of its group


def test_a_nan_loss_with_finite_weights_is_not_divergence():
    """Seed 000's relu, seed 0: one sample's outputs are all zero before training, so
    Keras's categorical cross-entropy is 0/0; that row passes no gradient, the weights
    stay finite and training goes on (even with stop_on_divergence left on)."""
    config = TrialConfig(dataset="toy", model="shallow", activation="relu", data_seed=0,
                         seed=0, epochs=40, device="cpu",
                         probes=ProbeConfig(eval_every=None, gradient_every=0,
                                            activation_every=0, prediction_samples=5,
                                            tensorboard=False))
    result = run_trial(config, progress=False)
    assert result.predictions_before.outputs[0] == [0.0, 0.0, 0.0]
    assert not result.diverged and not result.stopped_early and result.weights_finite
    assert result.steps == 40 and result.diverged_step is None
    assert result.nan_loss == "NaN loss: a sample's outputs were all zero"
    assert result.nan_loss_step == 1
    nan_steps = sum(1 for v in result.step_losses if v is None)
    assert result.nan_loss_steps == nan_steps > 0
    # The accuracy stays a measurement: it is the one of the last epoch's history record.
    assert result.final["train_accuracy"] == result.history[-1].train_accuracy


def test_nan_loss_cause_in_words():
    import torch

    from actlab.training.training_loop import nan_loss_cause

    assert nan_loss_cause(torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0]])) == \
        "a sample's outputs were all zero"
    assert nan_loss_cause(torch.tensor([[1.0, -1.0, 0.0]])) == "a sample's outputs summed to zero"
    assert nan_loss_cause(torch.tensor([[float("nan"), 1.0]])) == \
        "the network's outputs were not finite"
