"""Study specs: the built-in studies, validation errors that name the key, expansion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from actlab.catalog import resolve
from actlab.studies import (
    StudySpecError,
    builtin_study,
    builtin_study_names,
    expand,
    load_study_spec,
    study_spec_from_toml,
)
from actlab.studies.expansion import trial_id

MINIMAL = """
name = "mini"
seeds = 2
activations = ["relu", "tanh"]
dataset = "mnist1d"
model = "mlp"
[training]
epochs = 1
"""


def spec_error(text: str) -> str:
    with pytest.raises(StudySpecError) as info:
        study_spec_from_toml(textwrap.dedent(text), source="test.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


# -- the built-in studies ----------------------------------------------------------------

def test_every_builtin_study_loads_and_expands():
    assert builtin_study_names()[0] == "quick"
    assert set(builtin_study_names()) >= {"quick", "seed000-toy", "seed002-deep",
                                          "seed003-mnist", "seed003-cifar10"}
    for name in builtin_study_names():
        spec = builtin_study(name)
        trials = expand(spec)
        grid_points = 1
        for values in spec.grid.values():
            grid_points *= len(values)
        assert len(trials) == len(spec.activations) * len(spec.seeds) * grid_points
        assert len({t.trial_id for t in trials}) == len(trials)


def test_seed000_toy_is_the_notebooks_protocol():
    spec = builtin_study("seed000-toy")
    config = expand(spec)[0].config
    assert spec.dataset == "toy" and spec.model == "shallow"
    assert [resolve(a.name).spec.name for a in spec.activations] == [
        "sigmoid", "tanh", "softmax", "relu", "leaky_relu", "elu"]
    leaky = resolve(spec.activations[4].name).bind()
    assert leaky["negative_slope"] == 0.01  # keras.layers.LeakyReLU(0.01) in the notebook
    assert (config.optimizer, config.lr, config.momentum) == ("sgd", 0.01, 0.0)
    assert config.batch_size == 0 and config.epochs == 1000  # full batch of the 5 samples
    assert config.loss == "keras_categorical_crossentropy"
    assert len(spec.seeds) >= 20
    # each seed draws its own data, as each run of the notebook did
    assert {t.config.data_seed for t in expand(spec)} == set(spec.seeds)


def test_seed003_mnist_is_the_articles_protocol():
    spec = builtin_study("seed003-mnist")
    config = expand(spec)[0].config
    assert (spec.dataset, spec.model) == ("mnist", "mnist_cnn")
    assert (config.optimizer, config.lr, config.batch_size, config.steps) == (
        "adam", 1e-4, 50, 12001)
    assert config.dataset_options == {"validation": 5000}  # 55,000 training images
    slopes = {a.label: resolve(a.name).bind().get("negative_slope")
              for a in spec.activations}
    assert slopes["leaky_relu(0.2)"] == 0.2
    assert [resolve(a.name).spec.name for a in spec.activations] == [
        "elu", "leaky_relu", "relu", "tanh", "sigmoid"]


def test_seed002_deep_gives_selu_its_self_normalising_setup():
    spec = builtin_study("seed002-deep")
    assert spec.grid["model.depth"] == (8, 16, 32)
    selu = [t for t in expand(spec) if t.activation == "selu"][0].config
    assert selu.model_options["init"] == "lecun_normal"
    assert selu.model_options["alpha_dropout"] > 0 and "dropout" not in selu.model_options
    assert selu.standardize_inputs
    assert spec.expected_ranking == ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")


def test_unknown_builtin_study_suggests_a_close_name():
    with pytest.raises(StudySpecError, match="did you mean 'seed000-toy'"):
        builtin_study("seed000-tyo")


# -- validation --------------------------------------------------------------------------

def test_unknown_key_is_named_with_a_suggestion():
    message = spec_error(MINIMAL.replace("[training]", "[trainng]"))
    assert "key 'trainng'" in message and "did you mean 'training'?" in message
    message = spec_error(MINIMAL.replace("epochs = 1", "epochs = 1\nlearning_rate = 0.1"))
    assert "'training.learning_rate'" in message


def test_wrong_type_is_named():
    message = spec_error(MINIMAL.replace("epochs = 1", "epochs = 1\nlr = 'fast'"))
    assert "'training'" in message and "lr must be a number" in message
    message = spec_error(MINIMAL.replace("seeds = 2", "seeds = [0, 'one']"))
    assert "key 'seeds'" in message and "'one'" in message
    assert "must be a table" in spec_error(MINIMAL.replace("[training]\nepochs = 1",
                                                           "training = 3"))


def test_empty_activation_list():
    message = spec_error(MINIMAL.replace('["relu", "tanh"]', "[]"))
    assert "key 'activations'" in message and "is empty" in message


def test_bad_activation_is_named_with_its_position_and_suggestions():
    message = spec_error(MINIMAL.replace('"tanh"', '"tahn"'))
    assert "activations[1]" in message and "'tahn'" in message and "'tanh'" in message
    message = spec_error(MINIMAL.replace('"tanh"', '"leaky_relu(slope=2)"'))
    assert "activations[1]" in message


def test_formulas_and_flavors_are_accepted():
    spec = study_spec_from_toml(MINIMAL.replace(
        '["relu", "tanh"]', '["keras:leaky_relu", "x*sigmoid(1.702*x)"]'))
    assert spec.labels == ("keras:leaky_relu", "x*sigmoid(1.702*x)")


def test_missing_data_dir_and_unknown_dataset():
    message = spec_error(MINIMAL.replace('dataset = "mnist1d"',
                                         'dataset = { name = "mnist", data_dir = "/nope/x" }'))
    assert "'dataset.data_dir'" in message and "/nope/x" in message
    message = spec_error(MINIMAL.replace('"mnist1d"', '"mnits"'))
    assert "'dataset.name'" in message and "'mnist'" in message


def test_unknown_model_and_model_option():
    assert "'model.name'" in spec_error(MINIMAL.replace('model = "mlp"', 'model = "mpl"'))
    message = spec_error(MINIMAL.replace('model = "mlp"', 'model = { name = "mlp", dept = 3 }'))
    assert "'model.dept'" in message and "did you mean 'depth'?" in message


def test_training_length_and_missing_keys():
    message = spec_error(MINIMAL.replace("epochs = 1", ""))
    assert "exactly one of epochs and steps" in message
    message = spec_error(MINIMAL.replace('name = "mini"\n', ""))
    assert "key 'name'" in message and "missing" in message
    assert "letters, digits" in spec_error(MINIMAL.replace('"mini"', '"my study/1"'))


def test_duplicate_seeds_grid_and_expected_ranking():
    assert "twice" in spec_error(MINIMAL.replace("seeds = 2", "seeds = [1, 1]"))
    message = spec_error(MINIMAL + '[grid]\n"model.dpth" = [2, 3]\n')
    assert "'grid.model.dpth'" in message
    message = spec_error(MINIMAL + '[analysis]\nexpected_ranking = ["relu", "selu"]\n')
    assert "'analysis.expected_ranking'" in message and "'selu'" in message
    message = spec_error(MINIMAL + '[analysis]\nmetric = "accuracy"\n')
    assert "'analysis.metric'" in message


def test_two_entries_for_the_same_trial_are_refused():
    message = spec_error(MINIMAL.replace('["relu", "tanh"]',
                                         '["relu", { name = "relu", label = "ReLU" }]'))
    assert "same trial" in message


def test_spec_files_errors(tmp_path: Path):
    with pytest.raises(StudySpecError, match="does not exist"):
        load_study_spec(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(StudySpecError, match="not valid TOML"):
        load_study_spec(broken)


def test_relative_data_dir_is_relative_to_the_spec_file(tmp_path: Path):
    (tmp_path / "data").mkdir()
    path = tmp_path / "study.toml"
    path.write_text(MINIMAL.replace('dataset = "mnist1d"',
                                    'dataset = { name = "mnist", data_dir = "data" }'))
    assert load_study_spec(path).data_dir == str(tmp_path / "data")


# -- expansion and identity --------------------------------------------------------------

GRID = MINIMAL + """
[grid]
"model.depth" = [1, 3]
"training.lr" = [0.1, 0.01]
"""


def test_grid_expansion_and_precedence():
    spec = study_spec_from_toml(GRID.replace(
        '["relu", "tanh"]', '["relu", { name = "tanh", model = { init = "he_normal" } }]'))
    trials = expand(spec)
    assert len(trials) == 2 * 2 * 2 * 2
    relu = {(t.config.model_options["depth"], t.config.lr) for t in trials
            if t.activation == "relu"}
    assert relu == {(1, 0.1), (1, 0.01), (3, 0.1), (3, 0.01)}
    assert {t.config.model_options.get("init") for t in trials if t.activation == "tanh"} \
        == {"he_normal"}
    assert {t.config.model_options.get("init") for t in trials if t.activation == "relu"} \
        == {None}
    assert trials[0].condition_label == "depth=1, lr=0.1"
    # seed by seed: the first trials are all of seed 0
    assert {t.seed for t in trials[:8]} == {0}


def test_an_activation_cannot_fix_what_the_grid_varies():
    message = spec_error(GRID.replace(
        '["relu", "tanh"]', '["relu", { name = "tanh", model = { depth = 5 } }]'))
    assert "'activations[1].model.depth'" in message and "grid varies" in message


def test_identity_is_stable_and_shared_between_studies():
    small = expand(study_spec_from_toml(MINIMAL))
    again = expand(study_spec_from_toml(MINIMAL))
    more = expand(study_spec_from_toml(MINIMAL.replace("seeds = 2", "seeds = 4")))
    assert [t.trial_id for t in small] == [t.trial_id for t in again]
    assert {t.trial_id for t in small} < {t.trial_id for t in more}


def test_identity_rests_on_what_the_study_sets():
    spec = study_spec_from_toml(MINIMAL)
    trial = expand(spec)[0]
    assert trial.definition == {
        "dataset": "mnist1d", "model": "mlp", "activation": "relu", "activation_params": {},
        "model_options": {}, "dataset_options": {}, "seed": 0, "probes": {}, "epochs": 1}
    # a value the study leaves to TrialConfig's defaults is not part of the identity
    assert "momentum" not in trial.definition and "device" not in trial.definition
    assert trial.trial_id == trial_id(dict(trial.definition))
    assert trial_id({**trial.definition, "seed": 1}) == expand(spec)[2].trial_id


def test_overrides_keep_per_activation_settings_and_say_what_changed():
    spec = builtin_study("seed002-deep").with_overrides(
        activations=["selu", "relu"], seeds=[0, 1], steps=5)
    assert spec.labels == ("selu", "relu")
    assert spec.activations[0].model["init"] == "lecun_normal"
    assert spec.expected_ranking == ("selu", "relu")
    assert spec.training["steps"] == 5 and "epochs" not in spec.training
    assert "This run changes" in spec.description and "steps = 5" in spec.description
    with pytest.raises(StudySpecError):
        builtin_study("quick").with_overrides(activations=["nonsense_fn"])


def test_spec_round_trips_through_its_data():
    from actlab.studies import study_spec_from_dict

    for name in builtin_study_names():
        spec = builtin_study(name)
        again = study_spec_from_dict(spec.to_dict(), source=spec.source)
        assert [t.trial_id for t in expand(again)] == [t.trial_id for t in expand(spec)]
