"""TrialConfig and TrialResult are plain data: dict and JSON round trips, clear errors."""

from __future__ import annotations

import json

import pytest

from actlab.training import ProbeConfig, TrialConfig, TrialConfigError, TrialResult, run_trial


def test_config_round_trips():
    config = TrialConfig(dataset="mnist", model="mlp", activation="leaky_relu(0.2)", steps=10,
                         activation_params={"negative_slope": 0.3},
                         model_options={"widths": [64, 32], "init": "he_normal"},
                         probes=ProbeConfig(eval_every=5, histogram_bins=12)).validate()
    assert TrialConfig.from_dict(config.to_dict()) == config
    assert TrialConfig.from_json(config.to_json()) == config
    assert json.loads(config.to_json())["probes"]["histogram_bins"] == 12


@pytest.mark.parametrize("changes, message", [
    ({}, "exactly one of epochs and steps"),
    ({"epochs": 2, "steps": 3}, "exactly one of epochs and steps"),
    ({"steps": 0}, "steps must be a whole number >= 1"),
    ({"steps": 5, "optimizer": "rmsprop"}, "optimizer must be one of sgd, adam"),
    ({"steps": 5, "loss": "mse"}, "loss must be one of"),
    ({"steps": 5, "lr": -1.0}, "lr must be > 0"),
    ({"steps": 5, "momentum": 1.5}, r"momentum must lie in \[0, 1\)"),
    ({"steps": 5, "device": "tpu"}, "device must be"),
    ({"steps": 5, "probes": ProbeConfig(gradient_every=-1)}, "gradient_every"),
])
def test_bad_configs_are_one_clear_error(changes, message):
    with pytest.raises(TrialConfigError, match=message):
        TrialConfig(**changes).validate()


def test_unknown_fields_are_named():
    with pytest.raises(TrialConfigError, match="unknown field 'learning_rate'"):
        TrialConfig.from_dict({"steps": 3, "learning_rate": 0.1})
    with pytest.raises(TrialConfigError, match="unknown field 'every'"):
        TrialConfig.from_dict({"steps": 3, "probes": {"every": 3}})
    with pytest.raises(TrialConfigError, match="JSON"):
        TrialConfig.from_json("{steps: 3")


def test_result_round_trips_through_json(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="tanh", steps=20,
                         device="cpu", probes=ProbeConfig(eval_every=10, gradient_every=5,
                                                          activation_every=10,
                                                          histogram_every=10,
                                                          tensorboard=False))
    result = run_trial(config, dataset=digits, progress=False)
    text = result.to_json()
    again = TrialResult.from_json(text)
    assert again == result
    assert again.trial_config == config.validate()
    assert {"train_s", "load_s", "final_eval_s"} <= set(result.timings)
    assert result.wall_time_s >= result.timings["train_s"] > 0
    assert result.dataset["name"] == "digits" and result.settings["optimizer"] == "adam"


def test_a_dataset_of_another_name_is_refused(digits):
    config = TrialConfig(dataset="mnist1d", model="mlp", activation="relu", steps=1)
    with pytest.raises(Exception, match="the dataset given is 'digits'"):
        run_trial(config, dataset=digits, progress=False)


def test_progress_bar_on_runs_and_gives_the_same_result(digits):
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=15,
                         device="cpu", probes=ProbeConfig.off())
    shown = run_trial(config, dataset=digits, progress=True)
    hidden = run_trial(config, dataset=digits, progress=False)
    assert shown.step_losses == hidden.step_losses
