"""Modules: learnable parameters as PyTorch and Keras define them, RReLU's modes, memory."""

from __future__ import annotations

import os

import pytest
import torch

import actlab
from actlab.catalog import registry
from actlab.kernels import apply, force_implementation

os.environ.setdefault("KERAS_BACKEND", "torch")


def test_prelu_per_channel_matches_torch():
    torch.manual_seed(0)
    ours = actlab.get("torch.nn.PReLU", num_parameters=3, init=0.1)
    theirs = torch.nn.PReLU(num_parameters=3, init=0.1)
    with torch.no_grad():
        new = torch.tensor([0.1, -0.3, 0.7])
        ours.weight.copy_(new)
        theirs.weight.copy_(new)
    x = torch.randn(2, 3, 4, 5)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1), theirs(x2)
    torch.testing.assert_close(y1, y2)
    g = torch.randn_like(y1)
    (y1 * g).sum().backward()
    (y2 * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad)
    assert dict(ours.state_dict()).keys() == dict(theirs.state_dict()).keys()


def test_prelu_default_init_is_torch_0_25_and_keras_zeros():
    assert torch.equal(actlab.get("prelu").weight.detach(), torch.nn.PReLU().weight.detach())
    keras_like = actlab.get("keras.layers.PReLU")
    keras_like(torch.randn(2, 3, 4))
    assert keras_like.weight.shape == (3, 4)
    assert bool((keras_like.weight == 0).all())


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]])
def test_prelu_per_element_matches_keras(shared_axes):
    import keras

    x = torch.randn(2, 4, 5, 3, generator=torch.Generator().manual_seed(1))
    layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.2),
                               shared_axes=shared_axes)
    ours = actlab.get("keras.layers.PReLU", alpha=0.2, shared_axes=shared_axes)
    x1 = x.clone().requires_grad_()
    x2 = x.clone().requires_grad_()
    y_keras = layer(x2)
    y_ours = ours(x1)
    assert tuple(ours.weight.shape) == tuple(layer.alpha.shape)
    torch.testing.assert_close(y_ours, y_keras)
    g = torch.randn_like(y_ours)
    (grad_keras,) = torch.autograd.grad((y_keras * g).sum(), layer.alpha.value)
    (y_ours * g).sum().backward()
    torch.testing.assert_close(ours.weight.grad, grad_keras)


def test_prelu_channel_count_mismatch_is_a_clear_error():
    module = actlab.get("prelu", num_parameters=4)
    with pytest.raises(actlab.ParameterError, match="4 channels"):
        module(torch.randn(2, 3))


def test_rrelu_random_slopes_in_training_and_mean_slope_in_evaluation():
    x = torch.randn(1000)
    ours, theirs = actlab.get("rrelu"), torch.nn.RReLU()
    torch.manual_seed(5)
    y_ours = ours(x)
    torch.manual_seed(5)
    y_theirs = theirs(x)
    torch.testing.assert_close(y_ours, y_theirs)
    negative = x < 0
    slopes = y_ours[negative] / x[negative]
    assert float(slopes.min()) >= 1 / 8 and float(slopes.max()) <= 1 / 3
    assert float(slopes.std()) > 0.01
    ours.eval()
    theirs.eval()
    torch.testing.assert_close(ours(x), theirs(x))
    torch.testing.assert_close(ours(x)[negative] / x[negative],
                               torch.full((int(negative.sum()),), (1 / 8 + 1 / 3) / 2))


def test_swish_beta_can_be_learned():
    module = actlab.get("swish", beta=1.5, trainable=True)
    assert isinstance(module.beta, torch.nn.Parameter)
    x = torch.linspace(-4, 4, 33, dtype=torch.float64)
    module = module.double()
    y = module(x)
    beta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    reference = x * torch.sigmoid(beta * x)
    torch.testing.assert_close(y, reference)
    (g_ours,) = torch.autograd.grad(y.sum(), module.beta)
    (g_ref,) = torch.autograd.grad(reference.sum(), beta)
    torch.testing.assert_close(g_ours.sum(), g_ref)
    assert not list(actlab.get("silu").parameters())


def test_snake_alpha_is_learned_by_default():
    module = actlab.get("snake").double()
    (alpha,) = list(module.parameters())
    x = torch.linspace(-3, 3, 25, dtype=torch.float64)
    a = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    reference = x + torch.sin(a * x) ** 2 / a
    y = module(x)
    torch.testing.assert_close(y, reference)
    (g_ours,) = torch.autograd.grad(y.sum(), alpha)
    (g_ref,) = torch.autograd.grad(reference.sum(), a)
    torch.testing.assert_close(g_ours.sum(), g_ref)


def test_inplace_relu_modifies_its_input_like_torch():
    x = torch.randn(10)
    expected = torch.relu(x)
    module = actlab.get("relu", inplace=True)
    out = module(x)
    assert out.data_ptr() == x.data_ptr()
    torch.testing.assert_close(x, expected)
    assert "inplace=True" in repr(module)


def test_inplace_is_refused_where_it_is_not_offered():
    with pytest.raises(actlab.ParameterError, match="inplace"):
        actlab.get("quick_gelu", inplace=True)


def _saved_bytes(fn, x: torch.Tensor) -> int:
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return total


LEAN = [pytest.param(s, id=s.name) for s in registry().specs()
        if s.kind == "elementwise" and s.derivative is not None and not s.learnable_params]


@pytest.mark.parametrize("spec", LEAN)
def test_lean_function_saves_only_its_input(spec):
    """The analytic path keeps one input-sized tensor for backward, whatever the formula."""
    bound = spec.bind(fill_examples=True)
    x = torch.randn(4096, requires_grad=True)
    with force_implementation("analytic"):
        lean = _saved_bytes(lambda t: apply(spec, t, bound), x)
    assert lean == x.numel() * x.element_size()


@pytest.mark.parametrize("name", ["quick_gelu", "tanhexp", "lisht", "hard_mish"])
def test_eager_composites_keep_more_than_the_lean_function(name):
    spec = actlab.spec(name)
    bound = spec.bind()
    x = torch.randn(4096, requires_grad=True)
    with force_implementation("reference"):
        composite = _saved_bytes(lambda t: apply(spec, t, bound), x)
    with force_implementation("analytic"):
        lean = _saved_bytes(lambda t: apply(spec, t, bound), x)
    assert composite >= 2 * lean
