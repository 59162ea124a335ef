"""How `auto` chooses, once: the rule, forcing, preferences, and that nothing is chosen
again per call (modules and `actlab.functional` count their resolutions)."""

from __future__ import annotations

import pickle

import pytest
import torch

import actlab
import actlab.functional as AF
from actlab.catalog.registry import Registry, registry
from actlab.errors import ActlabError, ParameterError
from actlab.kernels import (
    IMPLEMENTATIONS,
    apply,
    choice,
    choose,
    force_implementation,
    prefer,
    preference,
    set_preference,
)
from actlab.kernels.choice import PREFERENCE_ENV_VAR, forced_implementation


def _kind(name: str, **kw) -> str:
    resolved = actlab.resolve(name)
    return choose(resolved.spec, resolved.bind(), **kw).kind


def _label(name: str, **kw) -> str:
    resolved = actlab.resolve(name)
    return choose(resolved.spec, resolved.bind(), **kw).label


def test_speed_takes_the_native_op_wherever_pytorch_has_one():
    assert preference() == "speed"
    for name in ("relu", "leaky_relu", "elu", "selu", "gelu", "mish", "softsign",
                 "log_sigmoid", "torch:softplus", "softmax", "glu", "prelu"):
        assert _kind(name) == "native", name


def test_without_a_native_op_the_kernel_or_the_analytic_function():
    assert _label("sparse_sigmoid") == "fused(mask)"
    assert _label("binary_step") == "fused(nothing)"
    assert _label("jax:softplus") == "fused(output)"  # exact: no native op
    assert _kind("quick_gelu") == "analytic"
    assert _kind("swiglu") == "analytic"
    custom = actlab.expression("x*sigmoid(1.702*x)")
    assert actlab.kernels.fused_kernel(custom, custom.bind()) is None
    assert choose(custom, custom.bind()).kind == "analytic"


def test_memory_takes_the_lean_kernel_where_it_keeps_less():
    with prefer("memory"):
        assert preference() == "memory"
        for name in ("relu", "leaky_relu", "hardtanh", "relu6", "hardshrink"):
            assert _label(name) == "fused(mask)", name
        for name in ("elu", "selu", "celu", "log_sigmoid"):
            assert _label(name) == "fused(output)", name
        # Same memory as PyTorch's op: the native op stays.
        for name in ("gelu", "mish", "sigmoid", "tanh", "jax:gelu"):
            assert _kind(name) == "native", name
        with prefer("speed"):
            assert _kind("relu") == "native"
    assert _kind("relu", pref="memory") == "fused"
    assert preference() == "speed"


def test_the_choice_never_depends_on_the_tensor():
    resolved = actlab.resolve("elu")
    chosen = choose(resolved.spec, resolved.bind())
    for x in (torch.randn(4), torch.randn(1 << 16, requires_grad=True),
              torch.randn(3, dtype=torch.float64), torch.randn(5, dtype=torch.bfloat16)):
        y = chosen(x)
        torch.testing.assert_close(y, torch.nn.functional.elu(x))


def test_the_preference_comes_from_the_environment_or_the_process_setting(monkeypatch):
    monkeypatch.setenv(PREFERENCE_ENV_VAR, "memory")
    set_preference(None)  # the environment is read again here, not per call
    try:
        assert _kind("hardtanh") == "fused"
        monkeypatch.setenv(PREFERENCE_ENV_VAR, "lean")
        with pytest.raises(ActlabError, match="ACTLAB_KERNELS='lean'"):
            set_preference(None)
        monkeypatch.delenv(PREFERENCE_ENV_VAR)
        set_preference("memory")
        assert _kind("relu6") == "fused"
    finally:
        monkeypatch.delenv(PREFERENCE_ENV_VAR, raising=False)
        set_preference(None)
    assert _kind("relu6") == "native"
    with pytest.raises(ActlabError, match="unknown kernel preference 'small'"):
        set_preference("small")
    with pytest.raises(ActlabError, match="unknown kernel preference"), prefer("fast"):
        pass


def test_in_place_picks_an_implementation_that_can():
    assert _label("elu", inplace=True) == "native"
    assert _label("relu", inplace=True) == "native"
    assert _label("softsign", inplace=True) == "fused(output)"  # PyTorch has no softsign_
    assert _label("sigmoid", inplace=True) == "fused(output)"
    assert _label("relu", inplace=True, pref="memory") == "fused(mask)"
    # PyTorch's leaky_relu_ refuses a negative slope in backward: the mask kernel.
    assert _label("leaky_relu(-0.5)", inplace=True) == "fused(mask)"
    with pytest.raises(ParameterError, match="inplace"):
        _label("gelu", inplace=True)


def test_in_place_training_with_a_negative_slope_works():
    module = actlab.get("leaky_relu(-0.5)", inplace=True)
    leaf = torch.linspace(-2, 2, 9, requires_grad=True)
    y = module(leaf * 1)
    (grad,) = torch.autograd.grad(y.sum(), leaf)
    torch.testing.assert_close(grad, torch.where(leaf > 0, 1.0, -0.5).detach())


def test_forcing_an_implementation_that_does_not_exist_is_a_clear_error():
    with pytest.raises(ActlabError, match="unknown implementation 'fast'"):
        with force_implementation("fast"):
            pass
    relu, quick, softmax = (actlab.spec(n) for n in ("relu", "quick_gelu", "softmax"))
    with force_implementation("fused"), pytest.raises(ActlabError, match="no fused kernel"):
        apply(quick, torch.randn(4), quick.bind())
    with force_implementation("native"), pytest.raises(ActlabError, match="no native"):
        apply(quick, torch.randn(4), quick.bind())
    with pytest.raises(ActlabError, match="unknown implementation 'compiled'"):
        choose(softmax, softmax.bind(), "compiled")  # compile the model instead
    with pytest.raises(ActlabError, match="unknown implementation"):
        apply(relu, torch.randn(4), relu.bind(), implementation="nope")
    with pytest.raises(ActlabError, match="no native"):
        actlab.get("quick_gelu", implementation="native")


def test_forcing_is_scoped_and_restored_after_an_error():
    assert forced_implementation() == "auto"
    with pytest.raises(ValueError), force_implementation("reference"):
        assert forced_implementation() == "reference"
        raise ValueError
    assert forced_implementation() == "auto"
    assert set(IMPLEMENTATIONS) == {"auto", "native", "fused", "analytic", "reference"}


@pytest.mark.parametrize("impl", ["native", "fused", "analytic", "reference"])
def test_every_implementation_of_relu_gives_torchs_values(impl):
    spec = actlab.spec("relu")
    x = torch.randn(64, generator=torch.Generator().manual_seed(0))
    with force_implementation(impl):
        torch.testing.assert_close(apply(spec, x, spec.bind()), torch.relu(x))
    module = actlab.get("relu", implementation=impl)
    assert module.implementation.kind == impl
    torch.testing.assert_close(module(x), torch.relu(x))


# -- chosen once -------------------------------------------------------------------------------
@pytest.fixture
def count_choices(monkeypatch):
    """How many times an implementation (or a name) is resolved from now on."""
    counts = {"choose": 0, "resolve": 0, "signature": 0}
    real_choose, real_resolve = choice.choose, Registry.resolve
    real_signature = AF._resolve_call

    def counting_signature(*args, **kwargs):
        counts["signature"] += 1
        return real_signature(*args, **kwargs)

    def counting_choose(*args, **kwargs):
        counts["choose"] += 1
        return real_choose(*args, **kwargs)

    def counting_resolve(self, *args, **kwargs):
        counts["resolve"] += 1
        return real_resolve(self, *args, **kwargs)

    monkeypatch.setattr(choice, "choose", counting_choose)
    monkeypatch.setattr("actlab.layers.choose", counting_choose)
    monkeypatch.setattr(Registry, "resolve", counting_resolve)
    monkeypatch.setattr(AF, "_resolve_call", counting_signature)
    monkeypatch.setattr(choice, "_CHOICES", {})
    return counts


@pytest.mark.parametrize("name", ["relu", "elu", "quick_gelu", "swiglu", "keras:softplus",
                                  "prelu", "rrelu"])
def test_a_module_chooses_when_built_and_never_per_call(name, count_choices, monkeypatch):
    module = actlab.get(name)
    assert count_choices["choose"] == 1
    count_choices.update(choose=0, resolve=0)
    # Nothing read per call: neither the environment nor the preference.
    monkeypatch.setattr(choice, "preference", lambda: pytest.fail("preference read per call"))
    shape = (4, 6) if module.spec.kind != "elementwise" else (3, 5)
    for requires_grad in (False, True):
        for dtype in (torch.float32, torch.float64):
            module.to(dtype)  # learnable parameters follow the input's dtype
            x = torch.randn(shape, dtype=dtype, requires_grad=requires_grad)
            y = module(x)
            if requires_grad:
                y.sum().backward()
    module.eval()
    module(torch.randn(shape, dtype=torch.float64))
    assert count_choices == {"choose": 0, "resolve": 0, "signature": 0}


def test_functional_resolves_each_call_signature_once(count_choices):
    x = torch.randn(8)
    for _ in range(5):
        AF.leaky_relu(x, 0.2)
        AF.gelu(x, approximate="tanh")
        AF.gelu(x, flavor="jax")
    # Three signatures, each resolved the first time only (two of them bind the same
    # parameters: one choice serves both).
    assert count_choices["signature"] == 3
    assert count_choices["choose"] == 2
    before = dict(count_choices)
    for _ in range(5):
        AF.leaky_relu(x, 0.2)
        AF.gelu(x, approximate="tanh")
    assert count_choices == before
    torch.testing.assert_close(AF.leaky_relu(x, 0.2), torch.nn.functional.leaky_relu(x, 0.2))
    with prefer("memory"):  # another preference is another signature
        AF.leaky_relu(x, 0.2)
    assert count_choices["signature"] == 4


def test_functional_never_keeps_tensor_parameters(count_choices):
    x = torch.randn(2, 3, 4)
    for value in (0.1, 0.3):
        weight = torch.full((3,), value)
        torch.testing.assert_close(AF.prelu(x, weight),
                                   torch.nn.functional.prelu(x, weight))
    assert count_choices["signature"] == 2


def test_functional_follows_a_changed_registry():
    spec = actlab.expression("x*sigmoid(x)")
    from dataclasses import replace

    mine = replace(spec, name="h15_probe_activation", origin="catalog")
    actlab.register(mine)
    try:
        x = torch.randn(6)
        torch.testing.assert_close(AF.h15_probe_activation(x), x * torch.sigmoid(x))
        actlab.register(replace(mine, forward=lambda x: 2 * x, derivative=lambda x: 2 + 0 * x),
                        replace=True)
        torch.testing.assert_close(AF.h15_probe_activation(x), 2 * x)
    finally:
        registry().unregister("h15_probe_activation")
    with pytest.raises(actlab.UnknownActivationError):
        AF.h15_probe_activation(torch.randn(2))


def test_print_shows_the_chosen_implementation():
    assert repr(actlab.get("leaky_relu")) == (
        "LeakyReLU(flavor='torch', negative_slope=0.01, implementation='native')")
    with prefer("memory"):
        assert "implementation='fused(mask)'" in repr(actlab.get("relu6"))
    assert "implementation='analytic'" in repr(actlab.get("lisht"))


def test_a_pickled_module_comes_back_with_the_same_implementation():
    with prefer("memory"):
        module = actlab.get("hardtanh")
    copy = pickle.loads(pickle.dumps(module))
    assert copy.implementation.label == "fused(mask)"
    x = torch.randn(10)
    torch.testing.assert_close(copy(x), torch.nn.functional.hardtanh(x))
