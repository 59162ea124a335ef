"""The tests that compile (marked slow): compiled kernels compute the spec's function, and
the compile policy builds, times and judges them for real.

Compilation takes seconds (tens on first use), so nothing else in the test suite ever
compiles (the policy is off in tests unless one turns it on, with a fake compiler).
"""

from __future__ import annotations

import pytest
import torch
from actlab.kernels.compile_policy import CompilePolicy
from actlab.kernels.compile_verdicts import VerdictStore
from kernel_inputs import TOLERANCE, representable, sample_points

import actlab
from actlab.kernels import apply, apply_analytic, compile_policy, compiled, force_implementation
from actlab.kernels.compiled import COMPILE_MIN_ELEMENTS
from actlab.kernels.kernel_table import plan_for


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit, inside Inductor
@pytest.mark.skipif(compiled.compile_problem("cpu") is not None,
                    reason="torch.compile has no C++ compiler here")
def test_compiled_kernels_equal_the_spec_and_stay_lean():
    for name, saved_per_element in (("mish", 4), ("leaky_relu", 1), ("hardtanh", 1),
                                    ("quick_gelu", 4)):
        spec = actlab.spec(name)
        bound = spec.bind()
        x64 = representable(sample_points(spec, bound), torch.float32)
        x = x64.float().requires_grad_(True)
        sizes = []

        def pack(t, sizes=sizes):
            sizes.append(t.untyped_storage().nbytes())
            return t

        with force_implementation("compiled"), \
                torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = apply(spec, x, bound)
        w = torch.randn(x.shape, generator=torch.Generator().manual_seed(5))
        (grad,) = torch.autograd.grad(y, x, w)
        values = spec.math_values(bound)
        want_y = spec.forward(x64, **values).float().double()
        want_grad = (w.double() * spec.derivative(x64, **values)).float().double()
        torch.testing.assert_close(y.detach().double(), want_y, **TOLERANCE[torch.float32])
        torch.testing.assert_close(grad.double(), want_grad, **TOLERANCE[torch.float32])
        assert sum(sizes) == saved_per_element * x.numel(), name
    assert not compiled.COMPILED.failures()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.skipif(compiled.compile_problem("cpu") is not None,
                    reason="torch.compile has no C++ compiler here")
@pytest.mark.parametrize(("name", "shape"), [("quick_gelu", (COMPILE_MIN_ELEMENTS,)),
                                           ("swiglu", (512, 1024))])
def test_the_compile_policy_compiles_measures_and_decides_for_real(name, shape, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setitem(compile_policy.FIRST_COMPILE_SECONDS, "cpu", 0.0)
    policy = CompilePolicy(VerdictStore(tmp_path / "verdicts.json"))
    spec = actlab.spec(name)
    bound = spec.bind()
    kernel = plan_for(spec, bound).compilable
    x = torch.randn(shape, generator=torch.Generator().manual_seed(3))
    x.requires_grad_(True)
    want_y = apply_analytic(spec, x, bound)
    w = torch.randn(want_y.shape, generator=torch.Generator().manual_seed(4))
    (want_grad,) = torch.autograd.grad(want_y, x, w)
    for _ in range(2 + compile_policy.TRIAL_CALLS):
        y = policy.run(kernel, x, lambda: apply_analytic(spec, x, bound))
        (grad,) = torch.autograd.grad(y, x, w)
        torch.testing.assert_close(y, want_y, **TOLERANCE[torch.float32])
        torch.testing.assert_close(grad, want_grad, **TOLERANCE[torch.float32])
    (site,) = policy.sites().values()
    assert site.state in ("compiled", "eager") and site.reason.startswith("compiled ")
    assert site.compile_seconds > 0 and site.compiled.backward_calls >= 1
    assert VerdictStore(tmp_path / "verdicts.json").get(site.key).verdict == site.state
    assert not compiled.COMPILED.failures()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.skipif(compiled.compile_problem("cpu") is not None,
                    reason="torch.compile has no C++ compiler here")
@pytest.mark.parametrize("name", ["reglu", "sparsemax"])
def test_compiled_vector_kernels_equal_the_analytic_function(name):
    spec = actlab.spec(name)
    bound = spec.bind()
    x = (torch.randn(16, 64, generator=torch.Generator().manual_seed(6)) * 3)
    x.requires_grad_(True)
    want_y = apply_analytic(spec, x, bound)
    w = torch.randn(want_y.shape, generator=torch.Generator().manual_seed(7))
    (want_grad,) = torch.autograd.grad(want_y, x, w)
    sizes = []
    with force_implementation("compiled"), torch.autograd.graph.saved_tensors_hooks(
            lambda t: sizes.append(t.untyped_storage().nbytes()) or t, lambda t: t):
        y = apply(spec, x, bound)
    (grad,) = torch.autograd.grad(y, x, w)
    torch.testing.assert_close(y, want_y, **TOLERANCE[torch.float32])
    torch.testing.assert_close(grad, want_grad, **TOLERANCE[torch.float32])
    assert len(sizes) == 1 and sizes[0] <= x.numel() * 4  # one tensor: input or output
    assert not compiled.COMPILED.failures()
