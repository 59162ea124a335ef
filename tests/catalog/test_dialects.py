"""Every name of every dialect resolves: transformers' ACT2FN keys, timm's activation
names, TensorFlow's tf.nn activations, flax's linen and nnx activations; and
`actlab list --framework` shows one dialect. Their numbers, values and gradients, are
compared with the installed frameworks in test_frameworks.py; timm's functions (besides
its layers, compared there) here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import actlab
from actlab.cli import main
from support.frameworks import framework_version, output_weights, timm_activations

#: tf.nn's activation functions (the rest of tf.nn is losses, pooling, convolutions...).
TF_NN_ACTIVATIONS = ("crelu", "elu", "gelu", "leaky_relu", "log_softmax", "relu", "relu6",
                     "selu", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish",
                     "tanh")
#: What flax's activation modules export that is not an activation.
FLAX_NOT_ACTIVATIONS = {"logsumexp", "normalize", "one_hot", "standardize"}


def _transformers_keys() -> list[str]:
    try:
        from transformers.activations import ACT2CLS
    except ModuleNotFoundError:
        return []
    return sorted(ACT2CLS)


@pytest.mark.parametrize("key", _transformers_keys())
def test_every_transformers_key_resolves(key):
    resolved = actlab.resolve(f"transformers:{key}")
    assert resolved.flavor == "transformers"
    assert resolved.spelling == f"transformers:{key}"


def _timm_tables() -> tuple[list[str], list[str]]:
    """timm's layer names and function names ([] without timm: test_frameworks'
    test_cases_cover_the_frameworks then fails, naming what to install)."""
    try:
        create_act = timm_activations()
    except ModuleNotFoundError:
        return [], []
    return sorted(create_act._ACT_LAYER_DEFAULT), sorted(create_act._ACT_FN_DEFAULT)


def _timm_names() -> list[str]:
    layers, functions = _timm_tables()
    return sorted(set(layers) | set(functions))


@pytest.mark.parametrize("name", _timm_names())
def test_every_timm_name_resolves(name):
    resolved = actlab.resolve(f"timm:{name}")
    assert resolved.flavor == "timm"


@pytest.mark.parametrize("name", TF_NN_ACTIVATIONS)
def test_every_tf_nn_activation_resolves_both_ways(name):
    tf = pytest.importorskip("tensorflow")
    assert callable(getattr(tf.nn, name))
    for spelling in (f"tf.nn.{name}", f"tf:{name}"):
        assert actlab.resolve(spelling).flavor == "tf", spelling


def _flax_names(module_name: str) -> list[str]:
    """The activations a flax module exports: jax.nn's functions (flax re-exports them)
    and flax's own PReLU."""
    import importlib

    import jax

    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
    return sorted(n for n in exported if n not in FLAX_NOT_ACTIVATIONS
                  and (n == "PReLU" or getattr(jax.nn, n, None) is getattr(module, n)))


@pytest.mark.parametrize(("module", "prefix"), [("flax.linen.activation", "flax.linen."),
                                                ("flax.nnx.nn.activations", "flax.nnx.")])
def test_every_flax_activation_resolves(module, prefix):
    pytest.importorskip("flax")
    names = _flax_names(module)
    assert "relu" in names and "PReLU" in names
    for name in names:
        assert actlab.resolve(prefix + name).flavor == "flax", prefix + name


def test_flax_prelu_is_one_learnable_slope_initialised_to_a_hundredth():
    module = actlab.get("flax.nnx.PReLU")
    (slope,) = list(module.parameters())
    assert slope.shape == (1,) and float(slope.detach()) == float(np.float32(0.01))
    assert actlab.get("flax.linen.PReLU", negative_slope_init=0.2).weight.detach().item() == \
        pytest.approx(0.2)


@pytest.mark.parametrize("name", _timm_tables()[1])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_timm_functions_match_timm(name, dtype):
    """timm's get_act_fn (its memory-efficient autograd Functions where it has them)."""
    create_act = timm_activations()
    x = torch.cat([torch.linspace(-6, 6, 97, dtype=dtype),
                   torch.tensor([-3.0, -2.0, 0.0, 3.0], dtype=dtype)])
    w = torch.tensor(output_weights((x.numel(),)), dtype=dtype)
    xt, xo = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    theirs = create_act.get_act_fn(name)(xt)
    ours = actlab.functional.call(f"timm:{name}", xo)
    (g_theirs,) = torch.autograd.grad((theirs * w).sum(), xt)
    (g_ours,) = torch.autograd.grad((ours * w).sum(), xo)
    # 8 ulps of the scale, as in test_frameworks.
    eps = torch.finfo(dtype).eps
    where = f"timm:{name} in {dtype} against {framework_version('timm')}"
    torch.testing.assert_close(ours, theirs, rtol=8 * eps, atol=8 * eps * 7, msg=where)
    torch.testing.assert_close(g_ours, g_theirs, rtol=8 * eps, atol=8 * eps * 7, msg=where)


def test_list_framework_shows_one_dialect():
    runner = CliRunner()
    result = runner.invoke(main, ["list", "--framework", "transformers", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["spelling"]: r for r in json.loads(result.output)}
    assert set(rows) == {f"transformers:{k}" for k in _transformers_keys()}
    assert rows["transformers:gelu_new"]["name"] == "gelu"
    assert rows["transformers:gelu_new"]["params"] == {"approximate": "tanh"}
    assert rows["transformers:relu2"]["name"] == "relu_squared"
    table = runner.invoke(main, ["list", "--framework", "jax"])
    assert table.exit_code == 0 and "jax.nn.hard_tanh" in table.output
    assert "own" in table.output  # jax's hard_tanh computes with JAX's own derivative
    bad = runner.invoke(main, ["list", "--framework", "flx"])
    assert bad.exit_code != 0
    assert bad.output.strip().count("\n") == 0 and "flax" in bad.output
