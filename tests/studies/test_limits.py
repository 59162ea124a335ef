"""Absurd sizes and non-finite numbers: refused with one sentence before anything is made.

Each of these used to allocate (a list of 10**23 seeds, a 10**11-wide layer), to run a
study of a million trials, or to store every trial as failed and still exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import main
from actlab.limits import MAX_PARAMETERS, MAX_TRIALS, LimitError
from actlab.models.registry import build_model
from actlab.studies import StudySpecError
from actlab.studies.spec import study_spec_from_toml
from actlab.training.config import TrialConfig, TrialConfigError

SPEC = """
name = "limits"
dataset = "toy"
model = "mlp"
activations = ["relu", "tanh"]
seeds = {seeds}
[training]
steps = 2
{extra}
"""


def one_line_error(arguments: list[str]) -> str:
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize("seeds", ["99999999999999999999999", "0-99999999999",
                                   "10000-20001", "20000"])
def test_absurd_seed_counts_on_the_command_line(seeds, tmp_path: Path):
    line = one_line_error(["compare", "--seeds", seeds, "--output", str(tmp_path / "s")])
    assert "ACTLAB_MAX_TRIALS" in line and "10,000" in line
    assert not (tmp_path / "s").exists()


def test_seeds_beyond_numpy_are_refused(tmp_path: Path):
    line = one_line_error(["compare", "--seeds", "99999999999999999999999,1",
                           "--output", str(tmp_path / "s")])
    assert "4,294,967,295" in line


# A hang guard: a tuple of 10**12 seeds would never be made.
@pytest.mark.timeout(120, method="thread")
def test_a_spec_with_a_trillion_seeds_is_refused():
    with pytest.raises(StudySpecError, match=r"seeds.*1,000,000,000,000 trials.*MAX_TRIALS"):
        study_spec_from_toml(SPEC.format(seeds=10**12, extra=""))


@pytest.mark.timeout(120, method="thread")
def test_a_thousand_by_thousand_grid_is_refused():
    grid = ("[grid]\n\"model.width\" = " + str(list(range(1, 1001))) + "\n"
            "\"training.lr\" = " + str([i / 1000 for i in range(1, 1001)]))
    with pytest.raises(StudySpecError, match=r"grid.*1,000,000 conditions.*2,000,000 trials"):
        study_spec_from_toml(SPEC.format(seeds=1, extra=grid))


def test_the_trial_limit_is_configurable(monkeypatch):
    text = SPEC.format(seeds=6, extra="")  # 12 trials
    assert len(study_spec_from_toml(text).seeds) == 6
    monkeypatch.setenv(MAX_TRIALS.variable, "10")
    with pytest.raises(StudySpecError, match="12 trials, more than the limit of 10"):
        study_spec_from_toml(text)
    monkeypatch.setenv(MAX_TRIALS.variable, "12")
    assert len(study_spec_from_toml(text).seeds) == 6
    monkeypatch.delenv(MAX_TRIALS.variable)
    assert MAX_TRIALS.value() == 10_000
    monkeypatch.setenv(MAX_TRIALS.variable, "lots")
    with pytest.raises(LimitError, match="ACTLAB_MAX_TRIALS must be a whole number"):
        study_spec_from_toml(text)


@pytest.mark.parametrize("options, words", [
    ({"width": 100_000_000_000}, "widths 100,000,000,000"),
    ({"widths": [20_000, 20_000]}, "widths 20,000, 20,000"),
    ({"depth": 2_000, "width": 1_000}, "widths 2000 x 1,000"),
])
def test_models_beyond_the_parameter_limit_are_refused_before_allocation(options, words):
    with pytest.raises(LimitError, match=f"{words}.*ACTLAB_MAX_PARAMETERS"):
        build_model("mlp", "relu", input_shape=(40,), num_classes=10, **options)


def test_the_parameter_limit_is_configurable_and_counts_exactly(monkeypatch):
    # 40 -> 64 -> 10: (40 + 1) * 64 + (64 + 1) * 10 = 3,274 weights and biases
    model = build_model("mlp", "relu", input_shape=(40,), num_classes=10, depth=1, width=64)
    assert sum(p.numel() for p in model.parameters()) == 3_274
    monkeypatch.setenv(MAX_PARAMETERS.variable, "3274")
    build_model("mlp", "relu", input_shape=(40,), num_classes=10, depth=1, width=64)
    monkeypatch.setenv(MAX_PARAMETERS.variable, "3273")
    with pytest.raises(LimitError, match="3,274 trainable parameters"):
        build_model("mlp", "relu", input_shape=(40,), num_classes=10, depth=1, width=64)


def test_a_gated_activation_doubles_the_count(monkeypatch):
    # GLU halves its input: each hidden layer makes 2 x 64 units.
    model = build_model("mlp", "glu", input_shape=(40,), num_classes=10, depth=1, width=64)
    count = sum(p.numel() for p in model.parameters())
    assert count == (40 + 1) * 128 + (64 + 1) * 10
    monkeypatch.setenv(MAX_PARAMETERS.variable, str(count - 1))
    with pytest.raises(LimitError):
        build_model("mlp", "glu", input_shape=(40,), num_classes=10, depth=1, width=64)


def test_a_model_too_large_stops_train_in_one_line(tmp_path: Path):
    line = one_line_error(["train", "--dataset", "toy", "--model", "mlp", "--activation",
                           "relu", "--model-option", "width=100000000000", "--steps", "1",
                           "--output", str(tmp_path / "t")])
    assert "ACTLAB_MAX_PARAMETERS" in line


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "nan"])
def test_non_finite_learning_rates_are_refused(value, tmp_path: Path):
    line = one_line_error(["train", "--dataset", "toy", "--model", "mlp", "--activation",
                           "relu", "--lr", value, "--steps", "1", "--output", str(tmp_path)])
    assert "lr must be" in line
    with pytest.raises(TrialConfigError, match="lr must be"):
        TrialConfig(dataset="toy", model="mlp", steps=1, lr=float(value)).validate()


@pytest.mark.parametrize("extra", ["lr = inf", "lr = nan", "weight_decay = inf",
                                   "lr = 1" + "0" * 400])
def test_a_spec_with_a_non_finite_number_is_refused(extra):
    text = SPEC.format(seeds=1, extra="").replace("steps = 2", f"steps = 2\n{extra}")
    with pytest.raises(StudySpecError, match="must be a (finite )?number"):
        study_spec_from_toml(text)


@pytest.mark.parametrize("arguments", [
    ["plot", "relu", "--range", "-1e308", "1e308"],
    ["plot", "relu", "--range", "0", "inf"],
    ["transform", "relu", "--inputs", "1e308,-1e308"],
    ["propagate", "relu", "--width", "100000000"],
    ["propagate", "relu", "--depth", "1000000000"],
    ["propagate", "relu", "--seeds", "100000000000000"],
])
def test_plot_and_theory_sizes_are_bounded(arguments, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_line_error(arguments)


@pytest.mark.parametrize("activations, words", [
    ('[{name = "relu", label = "' + "l" * 100_000 + '"}]', "label.*too long"),
    ('["' + "r" * 100_000 + '"]', "too long"),
])
def test_long_names_and_labels_in_a_spec_are_refused(activations, words):
    text = SPEC.format(seeds=1, extra="").replace('activations = ["relu", "tanh"]',
                                                  f"activations = {activations}")
    with pytest.raises(StudySpecError, match=words):
        study_spec_from_toml(text)


def test_a_huge_spec_file_is_refused_before_it_is_read(tmp_path: Path):
    spec = tmp_path / "huge.toml"
    spec.write_text(SPEC.format(seeds=1, extra="# " + "x" * 11_000_000))
    line = one_line_error(["compare", "--spec", str(spec), "--output", str(tmp_path / "s")])
    assert "too large" in line


def test_too_many_plot_inputs_are_refused(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(["transform", "relu", "--inputs", "1," * 20_000])
    assert "20,000 numbers, at most 10,000" in line


@pytest.mark.parametrize("option, value, words", [
    ("--batch-size", "99999999999999999999999", "batch_size must be at most"),
    ("--steps", "99999999999999999999999", "steps must be at most"),
    ("--train-samples", "99999999999999999999999", "train_samples must be at most"),
])
def test_counts_beyond_64_bits_are_refused(option, value, words, tmp_path: Path):
    line = one_line_error(["train", "--dataset", "toy", "--model", "mlp", "--activation",
                           "relu", "--steps", "1", option, value, "--output", str(tmp_path)]
                          if option != "--steps" else
                          ["train", "--dataset", "toy", "--model", "mlp", "--activation",
                           "relu", option, value, "--output", str(tmp_path)])
    assert words in line


def test_histogram_bins_are_bounded():
    with pytest.raises(StudySpecError, match="histogram_bins must be at most 10,000"):
        study_spec_from_toml(SPEC.format(seeds=1, extra="[probes]\nhistogram_bins = 10000000"))
