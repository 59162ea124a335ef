"""The same seed gives identical histories on the CPU; another seed does not."""

from __future__ import annotations

from actlab.training import ProbeConfig, TrialConfig, run_trial


def _run(digits, seed: int):
    config = TrialConfig(dataset="digits", model="mlp", activation="elu", steps=60,
                         batch_size=32, seed=seed, device="cpu",
                         model_options={"dropout": 0.2},  # dropout draws random numbers too
                         probes=ProbeConfig(eval_every=20, gradient_every=10,
                                            activation_every=30, histogram_every=30,
                                            tensorboard=False))
    return run_trial(config, dataset=digits, progress=False)


def test_same_seed_same_everything(digits):
    first, second = _run(digits, 5), _run(digits, 5)
    assert first.step_losses == second.step_losses
    assert first.history == second.history
    assert first.gradients == second.gradients
    assert first.activations == second.activations
    assert first.histograms == second.histograms
    assert first.predictions_after == second.predictions_after
    # The same code ran at every site, both times (chosen once, never switched mid-run).
    assert first.kernels == second.kernels
    assert [(k.site, k.implementation, k.compile) for k in first.kernels] == [
        ("act1", "native", "eager"), ("act2", "native", "eager")]


def test_probes_do_not_change_the_training(digits):
    probed = _run(digits, 5)
    config = TrialConfig(dataset="digits", model="mlp", activation="elu", steps=60,
                         batch_size=32, seed=5, device="cpu", model_options={"dropout": 0.2},
                         probes=ProbeConfig.off())
    plain = run_trial(config, dataset=digits, progress=False)
    assert plain.step_losses == probed.step_losses
    assert plain.final["test_accuracy"] == probed.final["test_accuracy"]


def test_other_seed_differs(digits):
    assert _run(digits, 5).step_losses != _run(digits, 6).step_losses


def test_each_site_records_the_code_that_ran(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="lisht", steps=2,
                         batch_size=32, seed=0, device="cpu", probes=ProbeConfig.off())
    result = run_trial(config, dataset=digits, progress=False)
    assert {(k.activation, k.implementation) for k in result.kernels} == {("lisht",
                                                                           "analytic")}
    restored = type(result).from_json(result.to_json())
    assert restored.kernels == result.kernels
