"""The tests that compile (marked slow): compiled kernels compute the spec's function.

Compilation takes seconds (tens on first use), so nothing else in the test suite compiles.
"""

from __future__ import annotations

import pytest
import torch
from kernel_inputs import TOLERANCE, representable, sample_points

import actlab
from actlab.kernels import apply, apply_analytic, compiled, force_implementation


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
