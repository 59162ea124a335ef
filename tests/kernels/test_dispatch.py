"""How `auto` chooses, what forcing an implementation does, and compile modes on and off."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.errors import ActlabError
from actlab.kernels import (
    IMPLEMENTATIONS,
    apply,
    choose,
    compile_enabled,
    compile_mode,
    compile_policy,
    compiled,
    enable_compile,
    force_implementation,
    prefer,
    preference,
    set_preference,
)
from actlab.kernels.blocked import MIN_BLOCKED_ELEMENTS
from actlab.kernels.dispatch import (
    LEAN_MIN_ELEMENTS,
    PREFERENCE_ENV_VAR,
    current_implementation,
)


def _choice(name: str, n: int, grad: bool, **kw) -> str:
    resolved = actlab.resolve(name)
    x = torch.zeros(n, requires_grad=grad)
    return choose(resolved.spec, resolved.bind(), "auto", x, **kw)


@pytest.fixture(autouse=True)
def compile_off(monkeypatch):
    """Each test starts with compilation off, whatever the environment says."""
    monkeypatch.setenv(compile_policy.ENV_VAR, "off")
    monkeypatch.setattr(compile_policy, "_mode", None)


def test_without_a_tensor_choose_answers_for_a_small_input_without_gradient():
    spec = actlab.spec("leaky_relu")
    assert choose(spec, spec.bind()) == "native"
    spec = actlab.spec("quick_gelu")
    assert choose(spec, spec.bind()) == "analytic"


def test_piecewise_linear_functions_train_natively_unless_memory_is_preferred():
    # Speed first: the mask's extra pass made training slower than PyTorch's own op.
    assert preference() == "speed"
    assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=True) == "native"
    assert _choice("relu", 1 << 20, grad=True) == "native"
    with prefer("memory"):
        assert preference() == "memory"
        assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=True) == "fused"
        assert _choice("leaky_relu", LEAN_MIN_ELEMENTS - 1, grad=True) == "native"
        assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=False) == "native"
        with torch.no_grad():
            assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=True) == "native"
        with prefer("speed"):
            assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=True) == "native"
    assert preference() == "speed"
    # Output-saving kernels (ELU family) are no slower than native: used either way.
    assert _choice("elu", LEAN_MIN_ELEMENTS, grad=True) == "fused"


def test_the_preference_comes_from_the_environment_or_the_process_setting(monkeypatch):
    monkeypatch.setenv(PREFERENCE_ENV_VAR, "memory")
    assert _choice("hardtanh", LEAN_MIN_ELEMENTS, grad=True) == "fused"
    monkeypatch.setenv(PREFERENCE_ENV_VAR, "lean")
    with pytest.raises(ActlabError, match="ACTLAB_KERNELS='lean'"):
        preference()
    monkeypatch.delenv(PREFERENCE_ENV_VAR)
    set_preference("memory")
    try:
        assert _choice("relu6", LEAN_MIN_ELEMENTS, grad=True) == "fused"
    finally:
        set_preference(None)
    assert _choice("relu6", LEAN_MIN_ELEMENTS, grad=True) == "native"
    with pytest.raises(ActlabError, match="unknown kernel preference 'small'"):
        set_preference("small")
    with pytest.raises(ActlabError, match="unknown kernel preference"), prefer("fast"):
        pass


def test_kernels_faster_than_native_serve_inference_on_large_cpu_tensors():
    # PyTorch's softsign is a Python composite; its mish and softplus kernels held their
    # own against eager formulas in benchmarks/.
    assert _choice("softsign", MIN_BLOCKED_ELEMENTS, grad=False) == "fused"
    assert _choice("softsign", MIN_BLOCKED_ELEMENTS // 2, grad=False) == "native"
    assert _choice("mish", MIN_BLOCKED_ELEMENTS, grad=False) == "native"
    assert _choice("torch:softplus", MIN_BLOCKED_ELEMENTS, grad=False) == "native"


def test_without_a_native_op_the_kernel_or_the_analytic_function():
    assert _choice("sparse_sigmoid", 16, grad=False) == "fused"
    assert _choice("binary_step", 16, grad=True) == "fused"
    assert _choice("quick_gelu", 16, grad=True) == "analytic"
    assert _choice("keras:softplus", 16, grad=True) == "fused"  # exact: no native op


def test_in_place_picks_an_implementation_that_can():
    assert _choice("elu", LEAN_MIN_ELEMENTS, grad=True, inplace=True) == "fused"
    assert _choice("elu", 16, grad=False, inplace=True) == "native"
    assert _choice("softsign", 16, grad=False, inplace=True) == "fused"
    # Training in place asks for memory: the mask, whatever the preference.
    assert _choice("leaky_relu", LEAN_MIN_ELEMENTS, grad=True, inplace=True) == "fused"


def test_in_place_training_with_a_negative_slope_works():
    # PyTorch's leaky_relu_ refuses a negative slope in backward; the mask kernel does not.
    module = actlab.get("leaky_relu(-0.5)", inplace=True)
    leaf = torch.linspace(-2, 2, 9, requires_grad=True)
    y = module(leaf * 1)
    (grad,) = torch.autograd.grad(y.sum(), leaf)
    torch.testing.assert_close(grad, torch.where(leaf > 0, 1.0, -0.5).detach())


def test_compile_is_never_chosen_when_off_and_always_for_large_tensors_when_on():
    assert not compile_enabled()
    assert _choice("mish", 1 << 22, grad=True) != "compiled"
    enable_compile(True)
    try:
        assert compile_enabled()
        if compiled.compile_problem("cpu") is None:
            assert _choice("mish", 1 << 22, grad=True) == "compiled"
            assert _choice("mish", 1 << 10, grad=True) != "compiled"  # too small to pay
            # A native piecewise-linear op runs at copy bandwidth: never compiled; its
            # mask kernel (chosen for memory) is.
            assert _choice("relu", 1 << 22, grad=True) == "native"
            with prefer("memory"):
                assert _choice("relu", 1 << 22, grad=True) == "compiled"
    finally:
        enable_compile(False)
    assert not compile_enabled()


def test_the_environment_variable_sets_the_compile_mode(monkeypatch):
    for value, mode in (("1", "on"), ("on", "on"), ("0", "off"), ("off", "off"),
                        ("auto", "auto"), (" Auto ", "auto"), ("", "auto")):
        monkeypatch.setenv(compile_policy.ENV_VAR, value)
        assert compile_mode() == mode, value
    assert not compile_enabled()  # "auto" compiles only where it has paid
    monkeypatch.delenv(compile_policy.ENV_VAR)
    assert compile_mode() == "auto"
    monkeypatch.setenv(compile_policy.ENV_VAR, "sometimes")
    with pytest.raises(ActlabError, match=r"ACTLAB_COMPILE='sometimes' is not a compile mode"):
        compile_mode()


def test_compile_problem_names_what_is_missing(monkeypatch):
    assert "not built for meta" in compiled.compile_problem("meta")
    compiled._compile_problem.cache_clear()
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    try:
        assert "no C++ compiler" in compiled.compile_problem("cpu")
        spec = actlab.spec("mish")
        with force_implementation("compiled"), pytest.raises(ActlabError, match="compiler"):
            apply(spec, torch.randn(4), spec.bind())
    finally:
        compiled._compile_problem.cache_clear()


def test_forcing_an_implementation_that_does_not_exist_is_a_clear_error():
    with pytest.raises(ActlabError, match="unknown implementation 'fast'"):
        with force_implementation("fast"):
            pass
    relu, quick, softmax = (actlab.spec(n) for n in ("relu", "quick_gelu", "softmax"))
    with force_implementation("fused"), pytest.raises(ActlabError, match="no fused kernel"):
        apply(quick, torch.randn(4), quick.bind())
    with force_implementation("native"), pytest.raises(ActlabError, match="no native"):
        apply(quick, torch.randn(4), quick.bind())
    with force_implementation("compiled"), pytest.raises(ActlabError, match="cannot be compiled"):
        apply(softmax, torch.randn(2, 4), softmax.bind())
    with pytest.raises(ActlabError, match="unknown implementation"):
        apply(relu, torch.randn(4), relu.bind(), implementation="nope")


def test_forcing_is_scoped_and_restored_after_an_error():
    assert current_implementation() == "auto"
    with pytest.raises(ValueError), force_implementation("reference"):
        assert current_implementation() == "reference"
        raise ValueError
    assert current_implementation() == "auto"
    assert set(IMPLEMENTATIONS) == {"auto", "native", "fused", "compiled", "analytic",
                                    "reference"}


@pytest.mark.parametrize("impl", ["native", "fused", "analytic", "reference"])
def test_every_implementation_of_relu_gives_torchs_values(impl):
    spec = actlab.spec("relu")
    x = torch.randn(64, generator=torch.Generator().manual_seed(0))
    with force_implementation(impl):
        torch.testing.assert_close(apply(spec, x, spec.bind()), torch.relu(x))


def test_user_formulas_never_get_a_catalog_kernel():
    custom = actlab.expression("x*sigmoid(1.702*x)")
    assert actlab.kernels.fused_kernel(custom, custom.bind()) is None
    x = torch.zeros(LEAN_MIN_ELEMENTS, requires_grad=True)
    assert choose(custom, custom.bind(), "auto", x) == "analytic"
