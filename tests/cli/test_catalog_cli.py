"""`actlab list` and `actlab show` print the catalog; bad input gives one line and exit 1."""

from __future__ import annotations

import json

from click.testing import CliRunner

import actlab
from actlab.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_list_shows_every_activation_with_its_framework_names():
    result = run("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == actlab.names()
    by_name = {r["name"]: r for r in rows}
    assert "LeakyReLU" in by_name["leaky_relu"]["pytorch"]
    assert "leaky_relu" in by_name["leaky_relu"]["keras"]
    assert by_name["rrelu"]["keras"] == "—"  # seed 002: no RReLU in Keras
    assert by_name["sigmoid"]["range"] == "(0, 1)"
    assert by_name["relu"]["range"] == "[0, ∞)"


def test_list_table_and_filters():
    table = run("list")
    assert table.exit_code == 0
    for name in ("leaky_relu", "Hardswish", "softmax2d"):
        assert name in table.output
    rectifiers = json.loads(run("list", "--family", "rectifier", "--json").output)
    assert {r["family"] for r in rectifiers} == {"rectifier"}
    keras2 = json.loads(run("list", "--flavor", "keras2", "--json").output)
    assert "thresholded_relu" in [r["name"] for r in keras2]
    assert "mish" in [r["name"] for r in keras2]  # tf_keras 2.21 has mish
    assert "softmin" not in [r["name"] for r in keras2]


def test_show_gives_formula_flavors_properties_and_equivalents():
    result = run("show", "leaky_relu")
    assert result.exit_code == 0
    out = result.output
    assert r"\alpha x" in out
    assert "keras.layers.LeakyReLU" in out and "negative_slope=0.3" in out
    assert "negative_slope=0.2" in out and "negative_slope=0.01" in out
    assert "monotonic" in out and "C0" in out
    assert "Maas" in out
    info = json.loads(run("show", "keras2:hard_sigmoid", "--json").output)
    assert info["resolved_as"]["flavor"] == "keras2"
    assert info["resolved_as"]["params"]["slope"] == 0.2
    assert info["flavors"]["torch"]["defaults"]["torch.nn.Hardsigmoid"]["slope"] == \
        1 / 6


def test_show_seed_004_functions_with_their_keras_arguments():
    for name, argument in [("elu", "alpha"), ("softmax", "axis"), ("hard_sigmoid", "slope")]:
        info = json.loads(run("show", name, "--json").output)
        names = [p["name"] for p in info["parameters"]]
        renames = {k for f in info["flavors"].values() for k in f["renames"]}
        assert argument in names or argument in renames


def test_errors_are_one_line_and_exit_non_zero():
    for args in (["show", "leaky_reluu"], ["list", "--family", "rectifierz"],
                 ["show", "leaky_relu(slope=1)"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.output.startswith("error: ")
        assert result.output.count("\n") == 1
    assert "did you mean 'rectifier'" in run("list", "--family", "rectifierz").output


def test_show_says_what_a_framework_spelling_means():
    # Keras's layer defaults to 0.3 (its function to 0.2, PyTorch to 0.01).
    layer = run("show", "keras.layers.LeakyReLU")
    assert layer.exit_code == 0
    assert "keras.layers.LeakyReLU is the keras flavor with negative_slope=0.3" in layer.output
    jax_gelu = run("show", "jax.nn.gelu")
    assert "jax flavor with approximate='tanh'" in jax_gelu.output
    called = run("show", "leaky_relu(0.5)")
    assert "negative_slope=0.5" in called.output
    assert "As written" not in run("show", "leaky_relu").output  # the canonical name
