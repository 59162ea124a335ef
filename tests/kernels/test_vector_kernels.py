"""Vector kernels (GLU family, sparsemax): the Function a compiler runs computes the spec.

Compiling is replaced by an eager runner here (`test_compiled.py` compiles for real):
what is checked is the plumbing: values, gradients against autograd through the spec's
formula in float64, what is saved for backward, half precision and double backward.
"""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.kernels.kernel_table import compilable_kernel
from actlab.kernels.vector import VectorKernel, apply_vector, vector_kernel


class EagerVectorRunner:
    def vector_forward(self, kernel, x):
        return kernel.forward(x)

    def vector_backward(self, kernel, saved, grad):
        return kernel.vjp(saved, grad)


RUNNER = EagerVectorRunner()


def _kernel(name: str, **values) -> VectorKernel:
    spec = actlab.spec(name)
    assert vector_kernel(spec, spec.bind(values)) is not None
    kernel = compilable_kernel(spec, spec.bind(values))  # what the compiled path runs
    assert isinstance(kernel, VectorKernel)
    return kernel


@pytest.mark.parametrize("name", ["reglu", "geglu", "swiglu", "sparsemax"])
@pytest.mark.parametrize("dim", [-1, 0])
def test_values_gradients_and_saved_bytes_equal_the_spec(name, dim):
    spec = actlab.spec(name)
    bound = spec.bind({"dim": dim})
    kernel = vector_kernel(spec, bound)
    gen = torch.Generator().manual_seed(1)
    x64 = torch.randn(6, 8, generator=gen, dtype=torch.float64) * 3
    x64.requires_grad_(True)
    want = spec.forward(x64, **spec.math_values(bound))
    w = torch.randn(want.shape, generator=gen, dtype=torch.float64)
    (want_grad,) = torch.autograd.grad(want, x64, w)
    x = x64.detach().float().requires_grad_(True)
    sizes = []
    with torch.autograd.graph.saved_tensors_hooks(
            lambda t: sizes.append(t.untyped_storage().nbytes()) or t, lambda t: t):
        y = apply_vector(kernel, x, RUNNER)
    (grad,) = torch.autograd.grad(y, x, w.float())
    torch.testing.assert_close(y.double(), want.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad.double(), want_grad, rtol=1e-5, atol=1e-5)
    saved = y if kernel.saves == "output" else x
    assert sizes == [saved.numel() * 4]


def test_half_precision_is_computed_in_float32_and_returned_in_half():
    kernel = _kernel("swiglu")
    x = torch.randn(4, 8, dtype=torch.float16, requires_grad=True)
    y = apply_vector(kernel, x, RUNNER)
    assert y.dtype == torch.float16 and y.shape == (4, 4)
    (grad,) = torch.autograd.grad(y.float().sum(), x)
    assert grad.dtype == torch.float16
    spec = actlab.spec("swiglu")
    want = spec.forward(x.detach().float(), **spec.math_values(spec.bind()))
    torch.testing.assert_close(y.float(), want, rtol=2e-3, atol=1e-3)


def test_double_backward_goes_through_the_formulas():
    kernel = _kernel("reglu")
    x = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
    x.data[x.data.abs() < 0.1] += 0.5  # away from relu's kink
    assert torch.autograd.gradgradcheck(lambda t: apply_vector(kernel, t, RUNNER), (x,))


def test_native_vector_ops_and_learned_parameters_get_no_kernel():
    for name in ("softmax", "log_softmax", "glu"):
        spec = actlab.spec(name)
        assert vector_kernel(spec, spec.bind()) is None, name
    spec = actlab.spec("relu")
    assert vector_kernel(spec, spec.bind()) is None  # elementwise: a FusedKernel's job
