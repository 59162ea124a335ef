"""A grid over the model itself, and published values per grid condition."""

from __future__ import annotations

import pytest

from actlab.studies import StudySpecError, expand, study_spec_from_toml

BASE = """
name = "grid-models"
seeds = 2
activations = ["relu", "tanh"]
dataset = "mnist1d"
model = "mnist1d_mlp"
[training]
steps = 5
"""


def spec(extra: str):
    return study_spec_from_toml(BASE + extra)


def test_the_model_can_be_a_grid_key():
    s = spec('[grid]\nmodel = ["mnist1d_mlp", "mnist1d-cnn"]\n')
    assert s.grid == {"model": ("mnist1d_mlp", "mnist1d_cnn")}
    trials = expand(s)
    assert len(trials) == 2 * 2 * 2
    models = {(t.condition_label, t.config.model) for t in trials}
    assert models == {("model=mnist1d_mlp", "mnist1d_mlp"), ("model=mnist1d_cnn", "mnist1d_cnn")}
    # The same trial in two studies is one trial: the model is part of its identity.
    assert len({t.trial_id for t in trials}) == len(trials)


@pytest.mark.parametrize(("grid", "message"), [
    ('model = "mlp"', "must be a non-empty list of model names"),
    ('model = ["mlp", "nope"]', "unknown model 'nope'"),
    ('model = ["mlp", "mlp"]', "lists a model twice"),
    ('model = ["mlp", "mnist1d_cnn"]\n"model.depth" = [1, 2]', "grid.model.depth"),
])
def test_a_bad_model_grid_names_the_key(grid, message):
    with pytest.raises(StudySpecError, match=message):
        spec("[grid]\n" + grid + "\n")


def test_model_options_must_suit_every_model_of_the_grid():
    text = BASE.replace('model = "mnist1d_mlp"\n', "")
    with pytest.raises(StudySpecError, match="model.hidden"):
        study_spec_from_toml(text + '[model]\nname = "mnist1d_mlp"\nhidden = 50\n'
                             '[grid]\nmodel = ["mnist1d_mlp", "mnist1d_cnn"]\n')


def test_published_values_per_condition():
    s = spec('[grid]\nmodel = ["mnist1d_mlp", "mnist1d_cnn"]\n'
             '[analysis]\nreference_source = "paper"\n'
             '[analysis.reference]\n'
             'relu = { "model=mnist1d_mlp" = 0.68, "model=mnist1d_cnn" = 0.94 }\n'
             'tanh = 0.5\n')
    assert s.reference_value("relu", "model=mnist1d_cnn") == 0.94
    assert s.reference_value("relu", "model=mnist1d_mlp") == 0.68
    assert s.reference_value("tanh", "model=mnist1d_cnn") == 0.5
    assert s.reference_value("relu", "All conditions pooled") is None
    # The spec reads back from its own plain data.
    again = study_spec_from_toml(BASE)  # a spec without a grid takes plain numbers only
    assert again.reference == {}
    with pytest.raises(StudySpecError, match="is not a condition of the grid"):
        spec('[grid]\nmodel = ["mnist1d_mlp", "mnist1d_cnn"]\n'
             '[analysis.reference]\nrelu = { "model=mlp" = 0.68 }\n')
    with pytest.raises(StudySpecError, match="must be a number"):
        spec('[grid]\nmodel = ["mnist1d_mlp", "mnist1d_cnn"]\n'
             '[analysis.reference]\nrelu = { "model=mnist1d_mlp" = "high" }\n')


def test_overrides_keep_references_of_the_conditions_that_remain():
    s = spec('[grid]\nmodel = ["mnist1d_mlp", "mnist1d_cnn"]\n'
             '[analysis.reference]\nrelu = { "model=mnist1d_mlp" = 0.68 }\n')
    smaller = s.with_overrides(seeds=[0], activations=["relu"], steps=3)
    assert smaller.reference_value("relu", "model=mnist1d_mlp") == 0.68
    assert smaller.to_dict()["analysis"]["reference"] == {"relu": {"model=mnist1d_mlp": 0.68}}
