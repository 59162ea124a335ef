"""Names, spellings, flavors and parameters resolve as documented; bad ones fail clearly."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import actlab
from actlab.catalog import Registry, registry
from actlab.catalog.spec import ActivationSpec, Param, Properties, flavor
from actlab.errors import (
    ParameterError,
    RegistrationError,
    UnknownActivationError,
)


@pytest.mark.parametrize(("text", "flavor_name", "slope"), [
    ("leaky_relu", "torch", 0.01),
    ("LeakyReLU", "torch", 0.01),
    ("torch.nn.LeakyReLU", "torch", 0.01),
    ("nn.LeakyReLU", "torch", 0.01),
    ("F.leaky_relu", "torch", 0.01),
    ("jax.nn.leaky_relu", "jax", 0.01),
    ("keras:leaky_relu", "keras", 0.2),
    ("keras.activations.leaky_relu", "keras", 0.2),
    ("keras.layers.LeakyReLU", "keras", 0.3),
    ("keras:LeakyReLU", "keras", 0.3),
    # Keras 2 keeps LeakyReLU's α as a float32, also for float64 inputs.
    ("tf.keras.layers.LeakyReLU", "keras2", float(np.float32(0.3))),
    ("keras2:leaky_relu", "keras2", float(np.float32(0.3))),
    ("leaky_relu(0.5)", "torch", 0.5),
    ("leaky_relu(negative_slope=0.25)", "torch", 0.25),
    ("leaky_relu:negative_slope=0.5", "torch", 0.5),
    ("keras:leaky_relu:negative_slope=0.1", "keras", 0.1),
    ("Leaky_ReLU", "torch", 0.01),
])
def test_leaky_relu_spellings(text, flavor_name, slope):
    """The slopes are the frameworks' documented defaults (PyTorch 0.01, Keras 0.2/0.3)."""
    resolved = actlab.resolve(text)
    assert resolved.spec.name == "leaky_relu"
    assert resolved.flavor == flavor_name
    assert resolved.bind()["negative_slope"] == slope
    module = actlab.get(text)
    x = torch.tensor([-2.0, 3.0])
    torch.testing.assert_close(module(x), torch.tensor([-2.0 * slope, 3.0]))


def test_bare_keras_layer_defaults_differ_from_the_function():
    layer = actlab.get("keras.layers.LeakyReLU")
    function = actlab.get("keras.activations.leaky_relu")
    assert layer.params["negative_slope"] != function.params["negative_slope"]


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownActivationError) as info:
        actlab.get("leaky_rellu")
    assert "leaky_relu" in str(info.value)
    assert "did you mean" in str(info.value)


def test_unknown_flavor_is_reported():
    with pytest.raises(UnknownActivationError, match="flavor"):
        actlab.resolve("keras:rrelu")


@pytest.mark.parametrize(("text", "params", "message"), [
    ("leaky_relu", {"slope": 0.1}, "unknown parameter 'slope'"),
    ("elu", {"alpha": "big"}, "alpha"),
    ("rrelu", {"lower": 0.5, "upper": 0.1}, "lower must not exceed upper"),
    ("threshold", {}, "required"),
    ("gelu", {"approximate": "fast"}, "one of"),
    ("leaky_relu(1, 2)", {}, "at most 1 positional"),
    ("leaky_relu(__import__('os'))", {}, "plain numbers"),
    ("softplus", {"beta": 0}, "beta"),
])
def test_bad_parameters_fail_with_a_specific_message(text, params, message):
    with pytest.raises(ParameterError, match=message):
        actlab.get(text, **params)


def test_framework_parameter_names_are_accepted():
    """Keras 2 calls the slope alpha; PyTorch's PReLU calls the initial slope init."""
    assert actlab.get("keras2:leaky_relu", alpha=0.1).params["negative_slope"] == float(
        np.float32(0.1))
    assert float(actlab.get("torch.nn.PReLU", init=0.1).weight.detach()) == pytest.approx(0.1)
    assert actlab.get("keras:softmax", axis=0).params["dim"] == 0


def _user_spec(name: str = "bent_relu") -> ActivationSpec:
    return ActivationSpec(
        name=name, family="user", summary="A user's activation.", latex=r"f(x) = x + |x|",
        forward=lambda x, k: x + k * x.abs(),
        derivative=lambda x, k: 1 + k * torch.sign(x),
        second_derivative=lambda x, k: torch.zeros_like(x),
        params=(Param("k", 1.0, "weight of |x|"),),
        kinks=(0.0,),
        properties=Properties((0.0, float("inf")), (True, False), smoothness=0),
        aliases=("BentReLU",),
        flavors={"torch": flavor("torch", {}, "mylib.BentReLU")},
    )


def test_users_register_their_own_activation_and_use_it_everywhere():
    reg = registry()
    spec = _user_spec()
    reg.register(spec)
    try:
        assert "bent_relu" in actlab.names()
        module = actlab.get("BentReLU", k=0.5)
        x = torch.tensor([-2.0, 3.0], requires_grad=True)
        y = module(x)
        torch.testing.assert_close(y, torch.tensor([-1.0, 4.5]))
        y.sum().backward()
        torch.testing.assert_close(x.grad, torch.tensor([0.5, 1.5]))
        assert actlab.resolve("mylib.BentReLU").flavor == "torch"
        with pytest.raises(RegistrationError, match="already registered"):
            reg.register(_user_spec())
    finally:
        reg.unregister("bent_relu")
    assert "bent_relu" not in actlab.names()


def test_a_name_cannot_belong_to_two_activations():
    reg = Registry()
    reg.register(_user_spec("first"))
    clash = _user_spec("second")
    with pytest.raises(RegistrationError, match="already belongs"):
        reg.register(clash)


def test_registration_rejects_bad_specs():
    reg = Registry()
    with pytest.raises(RegistrationError, match="snake_case"):
        reg.register(_user_spec("BadName"))
    with pytest.raises(RegistrationError, match="ActivationSpec"):
        reg.register("relu")  # type: ignore[arg-type]


def test_the_catalog_has_every_required_function():
    required = """identity relu leaky_relu prelu rrelu relu6 threshold thresholded_relu
    hardtanh hard_sigmoid hard_swish sigmoid log_sigmoid tanh tanhshrink hardshrink
    softshrink softsign softplus elu selu celu gelu quick_gelu silu mish hard_mish
    exponential softmax softmin log_softmax softmax2d sparsemax glu reglu geglu swiglu
    squareplus sparse_plus sparse_sigmoid snake lisht isru tanhexp square""".split()
    missing = [n for n in required if n not in actlab.names()]
    assert not missing
    assert len(actlab.names()) >= 60
    for alias, name in [("linear", "identity"), ("swish", "silu"), ("hard_silu", "hard_swish"),
                        ("hardswish", "hard_swish"), ("sq_activation", "square")]:
        assert actlab.spec(alias).name == name


SEED_002 = """relu leaky_relu prelu rrelu thresholded_relu elu selu sigmoid tanh softmax
softplus softsign exponential relu6 celu gelu silu softmin softmax2d softshrink hardshrink
hard_sigmoid hardtanh hard_swish log_sigmoid log_softmax tanhshrink""".split()


@pytest.mark.parametrize("name", SEED_002)
def test_every_seed_002_function_in_both_spellings(name):
    """Seed 002 lists Keras 2.4 and PyTorch 1.7 activations; each has its spellings."""
    spec = actlab.spec(name)
    spellings = [s for f in spec.flavors.values() for s in f.names]
    assert spellings, f"{name} has no framework spelling"
    for s in spellings:
        assert actlab.spec(s) is spec


def test_modules_print_their_parameters_and_survive_pickling():
    module = actlab.get("keras:elu", alpha=0.5)
    assert repr(module) == "ELU(flavor='keras', alpha=0.5, implementation='native')"
    clone = pickle.loads(pickle.dumps(module))
    x = torch.randn(5)
    torch.testing.assert_close(clone(x), module(x))
    formula = actlab.get("x*sigmoid(b*x); b=1.5")
    assert "x*sigmoid(b*x)" in repr(formula)
    restored = pickle.loads(pickle.dumps(formula))
    torch.testing.assert_close(restored(x), x * torch.sigmoid(1.5 * x))


def test_get_passes_modules_and_callables_through():
    relu = torch.nn.ReLU()
    assert actlab.get(relu) is relu
    assert isinstance(actlab.get(torch.nn.Tanh), torch.nn.Tanh)
    wrapped = actlab.get(torch.sin)
    x = torch.randn(3)
    torch.testing.assert_close(wrapped(x), torch.sin(x))
