"""Short trials on real data that still learn: accuracy well above chance."""

from __future__ import annotations

from actlab.training import ProbeConfig, TrialConfig, run_trial

QUIET = ProbeConfig(eval_every=0, gradient_every=0, activation_every=0, histogram_every=0,
                    prediction_samples=0, tensorboard=False)


def test_seed_003_mnist_cnn_learns_in_a_few_hundred_steps(mnist):
    config = TrialConfig(dataset="mnist", model="mnist_cnn", activation="relu", steps=150,
                         train_samples=3000, test_samples=1000, device="cpu",
                         probes=ProbeConfig(eval_every=75, eval_samples=200, gradient_every=50,
                                            activation_every=75, histogram_every=0,
                                            probe_samples=64, tensorboard=False))
    result = run_trial(config, dataset=mnist, progress=False)
    assert result.settings["optimizer"] == "adam" and result.settings["lr"] == 1e-4
    assert result.settings["batch_size"] == 50  # seed 003's recipe
    assert result.parameter_count == 3_274_634
    assert result.final["test_accuracy"] > 0.75  # chance is 0.1
    assert [r.step for r in result.history] == [75, 150]
    losses = result.step_losses
    assert sum(losses[-20:]) / 20 < 0.6 * sum(losses[:20]) / 20
    sites = [r.site for r in result.activations if r.step == 150]
    assert sites == ["act1", "act2", "act3"]


def test_mlp_on_mnist1d_learns(mnist1d):
    config = TrialConfig(dataset="mnist1d", model="mlp", activation="elu", epochs=8,
                         model_options={"widths": [128, 128]}, device="cpu", probes=QUIET)
    result = run_trial(config, dataset=mnist1d, progress=False)
    assert result.final["test_accuracy"] > 0.3  # chance is 0.1; MNIST-1D is hard for MLPs


def test_selu_mlp_on_digits_learns(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="selu", epochs=10,
                         model_options={"init": "lecun_normal", "alpha_dropout": 0.05},
                         standardize_inputs=True, device="cpu", probes=QUIET)
    result = run_trial(config, dataset=digits, progress=False)
    assert result.final["test_accuracy"] > 0.9
    assert len(result.history) == 0 and result.final["test_loss"] is not None


def test_epoch_history_is_one_record_per_epoch(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="gelu", epochs=3,
                         batch_size=100, device="cpu",
                         probes=ProbeConfig(gradient_every=0, activation_every=0,
                                            tensorboard=False))
    result = run_trial(config, dataset=digits, progress=False)
    steps_per_epoch = -(-len(digits.train_x) // 100)
    assert [r.step for r in result.history] == [steps_per_epoch * e for e in (1, 2, 3)]
    assert [r.epoch for r in result.history] == [1.0, 2.0, 3.0]
    assert len(result.step_losses) == 3 * steps_per_epoch
    # The epoch's train loss is the size-weighted mean of its batch losses (Keras's).
    sizes = [100] * (steps_per_epoch - 1) + [len(digits.train_x) - 100 * (steps_per_epoch - 1)]
    first = result.step_losses[:steps_per_epoch]
    expected = sum(s * loss for s, loss in zip(sizes, first, strict=True)) / sum(sizes)
    assert abs(result.history[0].train_loss - expected) < 1e-9
