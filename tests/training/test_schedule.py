"""When evaluations and probes run: by epochs, by steps, explicit intervals, the last step."""

from __future__ import annotations

import math

from actlab.training import ProbeConfig, TrialConfig, run_trial


def _steps_of(result):
    return [r.step for r in result.history]


def test_explicit_interval_in_an_epoch_run_includes_the_last_step(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", epochs=2,
                         batch_size=500, device="cpu",
                         probes=ProbeConfig(eval_every=5, gradient_every=0,
                                            activation_every=0, tensorboard=False))
    result = run_trial(config, dataset=digits, progress=False)
    per_epoch = math.ceil(len(digits.train_x) / 500)
    assert result.steps == 2 * per_epoch == 6
    assert _steps_of(result) == [5, 6]


def test_default_interval_of_a_step_run_follows_the_evaluation_size(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=70,
                         batch_size=32, device="cpu",
                         probes=ProbeConfig(eval_samples=50, gradient_every=0,
                                            activation_every=0, tensorboard=False))
    result = run_trial(config, dataset=digits, progress=False)
    every = math.ceil(20 * 50 / 32)  # train on 20 examples for each one evaluated
    assert _steps_of(result) == [every, 2 * every, 70]


def test_activation_and_gradient_probes_run_at_their_steps(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=25,
                         batch_size=32, device="cpu",
                         probes=ProbeConfig(eval_every=0, gradient_every=10,
                                            activation_every=10, histogram_every=20,
                                            tensorboard=False))
    result = run_trial(config, dataset=digits, progress=False)
    assert sorted({r.step for r in result.gradients}) == [10, 20]
    assert sorted({r.step for r in result.first_layer_gradients}) == [10, 20]
    # Before the first step, at every multiple, and after the last step.
    assert sorted({r.step for r in result.activations}) == [0, 10, 20, 25]
    histogram_steps = sorted({(h.tag.split("/")[0], h.step) for h in result.histograms})
    assert histogram_steps == [("activations", 0), ("activations", 20), ("activations", 25),
                               ("gradients", 20), ("weights", 20)]
    assert result.history == []
