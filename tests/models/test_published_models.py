"""The MNIST-1D paper's MLP and CNN, and the mean-field MLP of the edge-of-chaos study."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from actlab.analysis import variance_map
from actlab.models import ModelInputError, ModelOptionError, build_model, count_parameters
from actlab.training.seeding import seed_everything

MNIST1D_INPUT = (40,)


def test_parameter_counts_are_the_papers():
    """The MNIST-1D quickstart prints 'Initialized MLPBase model with 15210 parameters' and
    'Initialized ConvBase model with 5210 parameters'."""
    mlp = build_model("mnist1d_mlp", "relu", input_shape=MNIST1D_INPUT, num_classes=10)
    cnn = build_model("mnist1d_cnn", "relu", input_shape=MNIST1D_INPUT, num_classes=10)
    assert count_parameters(mlp) == 15210
    assert count_parameters(cnn) == 5210


def test_mlp_is_the_papers_residual_network():
    """h = relu(W1 x); h = h + relu(W2 h); logits = W3 h, written out with the functional API."""
    seed_everything(0)
    model = build_model("mnist1d_mlp", "relu", input_shape=MNIST1D_INPUT, num_classes=10)
    x = torch.randn(7, 40, dtype=torch.float64)
    model = model.double()
    h = F.relu(F.linear(x, model.linear1.weight, model.linear1.bias))
    h = h + F.relu(F.linear(h, model.linear2.weight, model.linear2.bias))
    expected = F.linear(h, model.linear3.weight, model.linear3.bias)
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


def test_cnn_is_the_papers_three_strided_convolutions():
    """conv(1→25, k5, s2, p1), conv(25→25, k3, s2, p1) twice, ReLU after each; 25 x 5 → 10."""
    seed_everything(0)
    model = build_model("mnist1d_cnn", "relu", input_shape=MNIST1D_INPUT,
                        num_classes=10).double()
    x = torch.randn(6, 40, dtype=torch.float64)
    h = x.view(-1, 1, 40)
    for conv, padding_stride in ((model.conv1, (1, 2)), (model.conv2, (1, 2)),
                                 (model.conv3, (1, 2))):
        h = F.relu(F.conv1d(h, conv.weight, conv.bias, stride=padding_stride[1],
                            padding=padding_stride[0]))
    assert h.shape == (6, 25, 5)
    expected = F.linear(h.reshape(6, 125), model.linear.weight, model.linear.bias)
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


def test_gated_activations_double_the_layers_in_front():
    model = build_model("mnist1d_cnn", "glu", input_shape=MNIST1D_INPUT, num_classes=10)
    assert model.conv1.out_channels == 50 and model(torch.zeros(2, 40)).shape == (2, 10)
    model = build_model("mnist1d_mlp", "glu", input_shape=MNIST1D_INPUT, num_classes=10)
    assert model.linear2.out_features == 200 and model(torch.zeros(2, 40)).shape == (2, 10)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 40), (2,)])
def test_the_cnn_refuses_inputs_it_cannot_take(shape):
    with pytest.raises(ModelInputError, match="mnist1d_cnn"):
        build_model("mnist1d_cnn", "relu", input_shape=shape, num_classes=10)


def test_bad_options_are_named():
    with pytest.raises(ModelOptionError, match="hidden"):
        build_model("mnist1d_mlp", "relu", input_shape=MNIST1D_INPUT, num_classes=10, hidden=0)
    with pytest.raises(ModelOptionError, match="sigma_w2"):
        build_model("mean_field_mlp", "tanh", input_shape=(10,), num_classes=2, sigma_w2=0)
    with pytest.raises(ModelOptionError, match="sigma_b2"):
        build_model("mean_field_mlp", "tanh", input_shape=(10,), num_classes=2,
                    sigma_b2=-1.0)


def test_mean_field_init_draws_the_stated_variances():
    seed_everything(1)
    width = 2000
    model = build_model("mean_field_mlp", "tanh", input_shape=(500,), num_classes=10,
                        depth=2, width=width, sigma_w2=2.5, sigma_b2=0.3)
    weight = model.hidden[1].weight.detach().double()
    # 4 million draws: the sample variance is within 0.2 % (3 standard errors √(2/n)).
    assert weight.var().item() * width == pytest.approx(2.5, rel=3 * math.sqrt(2 / weight.numel()))
    assert abs(weight.mean().item()) < 4 * math.sqrt(2.5 / width / weight.numel())
    biases = torch.cat([layer.bias.detach().double() for layer in model.hidden])
    # 4,000 biases: the sample variance is within 3 standard errors, √(2/n) each.
    assert biases.var().item() == pytest.approx(0.3, rel=3 * math.sqrt(2 / biases.numel()))
    first = model.hidden[0].weight.detach().double()
    assert first.var().item() * 500 == pytest.approx(2.5, rel=3 * math.sqrt(2 / first.numel()))
    assert "sigma_w2=2.5, sigma_b2=0.3" in repr(model)


def test_mean_field_network_propagates_variance_as_the_theory_says():
    """A wide random tanh network: the pre-activation variance per layer follows the
    iterated variance map q^l = σ_w² E[tanh(√q z)²] + σ_b² (float64 quadrature)."""
    seed_everything(2)
    sigma_w2, sigma_b2, width, depth = 2.0, 0.05, 3000, 4
    model = build_model("mean_field_mlp", "tanh", input_shape=(width,), num_classes=2,
                        depth=depth, width=width, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    x = torch.randn(64, width)
    q_in = float((x ** 2).mean())
    q = sigma_w2 * q_in + sigma_b2
    h = x
    with torch.no_grad():
        for index, layer in enumerate(model.hidden):
            pre = layer(h)
            measured = float((pre ** 2).mean())
            # 64 inputs x 3000 units, and one draw of the weights per layer: a few % spread.
            assert measured == pytest.approx(q, rel=0.06), f"layer {index + 1}"
            h = torch.tanh(pre)
            q = float(variance_map("tanh", q, sigma_w2, sigma_b2)[0])
