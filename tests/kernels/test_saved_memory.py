"""What autograd keeps for backward, measured with saved_tensors_hooks.

By default (speed) an activation keeps what PyTorch's own op keeps, or, without one, at
most one input-sized tensor. Preferring memory: at most one input-sized tensor for every
activation, at most one byte per element for piecewise-linear ones (f″ = 0 off the
kinks, checked here on a grid).
"""

from __future__ import annotations

import pytest
import torch
from kernel_inputs import elementwise_settings

import actlab
from actlab.catalog import registry
from actlab.kernels import apply, force_implementation, prefer

#: Any size will do: the choice never depends on it.
ELEMENTS = 1 << 12

N = 2 * ELEMENTS


def saved_bytes(fn, x: torch.Tensor) -> int:
    """Bytes of distinct storages that autograd saves while fn(x) runs."""
    sizes: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        sizes[ptr] = max(sizes.get(ptr, 0), t.untyped_storage().nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(sizes.values())


def piecewise_linear(spec, bound) -> bool:
    values = spec.math_values(bound)
    if any(isinstance(v, torch.Tensor) for v in values.values()):
        return False
    grid = torch.linspace(-30, 30, 6001, dtype=torch.float64)
    return bool((spec.second_derivative(grid, **values) == 0).all())


def _input(shape=(N,), dtype=torch.float32) -> torch.Tensor:
    return (torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 3).to(dtype)


@pytest.mark.parametrize(("spec", "bound"), elementwise_settings())
def test_memory_saves_at_most_one_tensor_and_one_byte_if_piecewise_linear(spec, bound):
    x = _input().requires_grad_(True)
    saved = saved_bytes(lambda t: apply(spec, t, bound), x)
    if spec.uses_native(bound):  # speed: what PyTorch keeps
        values = spec.math_values(bound)
        assert saved == saved_bytes(lambda t: spec.native(t, **values), x), spec.name
    else:  # one input-sized tensor, plus a scalar parameter's few bytes (PReLU's weight)
        assert saved <= x.element_size() * x.numel() + 8, f"{spec.name} saves {saved} bytes"
    with prefer("memory"):
        lean = saved_bytes(lambda t: apply(spec, t, bound), x) / x.numel()
    limit = 1 if piecewise_linear(spec, bound) else x.element_size()
    assert lean <= limit, f"{spec.name} saves {lean} bytes per element preferring memory"


def test_the_piecewise_linear_set_is_the_one_the_issue_names():
    names = {s.name for s in registry().specs() if s.kind == "elementwise"
             and piecewise_linear(s, s.bind(fill_examples=True))}
    assert {"relu", "leaky_relu", "relu6", "hardtanh", "threshold", "hardshrink", "softshrink",
            "prelu"} <= names
    assert "relu_squared" not in names and "elu" not in names


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_masks_are_one_byte_whatever_the_dtype(dtype):
    spec = actlab.spec("leaky_relu")
    x = _input(dtype=dtype).requires_grad_(True)
    with prefer("memory"):
        assert saved_bytes(lambda t: apply(spec, t, spec.bind()), x) == x.numel()


@pytest.mark.parametrize(("name", "native_bytes"), [("leaky_relu", 4), ("hardtanh", 4),
                                                     ("hard_sigmoid", 4)])
def test_lean_kernels_keep_less_than_pytorch(name, native_bytes):
    """PyTorch's own leaky_relu, hardtanh and hardsigmoid keep the input (4 bytes a float)."""
    spec = actlab.spec(name)
    bound = spec.bind()
    x = _input().requires_grad_(True)
    native = saved_bytes(lambda t: spec.native(t, **spec.math_values(bound)), x)
    assert native == native_bytes * x.numel()
    with prefer("memory"):
        lean = saved_bytes(lambda t: apply(spec, t, bound), x)
    assert lean < native


def test_log_sigmoid_keeps_one_tensor_where_pytorch_keeps_two():
    x = _input().requires_grad_(True)
    native = saved_bytes(torch.nn.functional.logsigmoid, x)
    assert native == 2 * 4 * x.numel()  # the input and a buffer of the same size
    with prefer("memory"):
        assert saved_bytes(lambda t: actlab.functional.log_sigmoid(t), x) == 4 * x.numel()


def test_softsign_keeps_one_tensor_where_pytorchs_composite_keeps_more():
    x = _input().requires_grad_(True)
    assert saved_bytes(torch.nn.functional.softsign, x) > 4 * x.numel()
    with prefer("memory"):
        assert saved_bytes(lambda t: actlab.functional.softsign(t), x) == 4 * x.numel()


def test_elu_family_keeps_its_output_which_the_next_layer_shares():
    """Saved: the output. A Linear layer after it saves the same tensor: no extra memory."""
    x = _input((N // 64, 64)).requires_grad_(True)
    layer = torch.nn.Linear(64, 8)
    with prefer("memory"):
        act = actlab.get("elu")
    alone = saved_bytes(lambda t: layer(t), x)
    both = saved_bytes(lambda t: layer(act(t)), x)
    assert both - alone <= layer.weight.numel() * 4


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "glu", "swiglu", "sparsemax"])
def test_vector_and_gated_activations_keep_one_tensor(name):
    # softmax, log_softmax and glu: PyTorch's op keeps one; the others, the lean Function.
    spec = actlab.spec(name)
    x = _input((N // 64, 64)).requires_grad_(True)
    assert saved_bytes(lambda t: apply(spec, t, spec.bind()), x) <= 4 * x.numel()


def test_eager_composite_keeps_a_chain_of_intermediates():
    spec = actlab.spec("mish")
    x = _input().requires_grad_(True)
    with force_implementation("reference"):
        composite = saved_bytes(lambda t: apply(spec, t, spec.bind()), x)
    assert composite >= 3 * 4 * x.numel()


def test_a_learned_prelu_slope_needs_the_input_one_tensor():
    module = actlab.get("prelu", num_parameters=4)
    x = _input((N // 64, 4, 16)).requires_grad_(True)
    # the input (for the slope's gradient) and the 4 slopes
    assert saved_bytes(module, x) <= 4 * x.numel() + 64
