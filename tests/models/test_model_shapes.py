"""Model registry: shapes, parameter counts (from the papers' layer sizes), input checks."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.models import (
    ModelInputError,
    ModelOptionError,
    UnknownModelError,
    build_model,
    count_parameters,
    model_names,
)


def dense(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def test_mnist_cnn_has_the_tutorials_3274634_parameters():
    model = build_model("mnist_cnn", "relu", input_shape=(1, 28, 28), num_classes=10)
    by_layer = conv(5, 1, 32) + conv(5, 32, 64) + dense(7 * 7 * 64, 1024) + dense(1024, 10)
    assert by_layer == 3_274_634
    assert count_parameters(model) == 3_274_634
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_cifar10_cnn_parameters_and_shapes():
    model = build_model("cifar10_cnn", "relu", input_shape=(3, 24, 24), num_classes=10)
    # 24 -> SAME pool 3/2 -> 12 -> 6: local3 takes 6*6*64 = 2304 features (cifar10.py).
    by_layer = (conv(5, 3, 64) + conv(5, 64, 64) + dense(2304, 384) + dense(384, 192)
                + dense(192, 10))
    assert count_parameters(model) == by_layer == 1_068_298
    assert model(torch.zeros(2, 3, 24, 24)).shape == (2, 10)
    decayed = [name for name, _ in model.weight_decay_parameters()]
    assert decayed == ["local3.weight", "local4.weight"]


def test_shallow_is_seed_000s_dense_3_with_33_parameters():
    model = build_model("shallow", "sigmoid", input_shape=(10,), num_classes=3)
    assert count_parameters(model) == 33  # the notebook's model.summary()
    out = model(torch.randn(5, 10))
    assert out.shape == (5, 3)
    assert torch.all((out > 0) & (out < 1))  # the activation is on the output
    assert torch.equal(model.dense.bias, torch.zeros(3))


def test_mlp_depth_width_and_explicit_widths():
    model = build_model("mlp", "elu", input_shape=(40,), num_classes=10, depth=3, width=16)
    assert count_parameters(model) == dense(40, 16) + 2 * dense(16, 16) + dense(16, 10)
    model = build_model("mlp", "elu", input_shape=(1, 8, 8), num_classes=10, widths=[32, 8])
    assert count_parameters(model) == dense(64, 32) + dense(32, 8) + dense(8, 10)
    assert [name for name, _ in model.activation_sites()] == ["act1", "act2"]


def test_mlp_alpha_dropout_for_selu():
    model = build_model("mlp", "selu", input_shape=(20,), num_classes=2, init="lecun_normal",
                        alpha_dropout=0.1)
    assert any(isinstance(m, torch.nn.AlphaDropout) for m in model.modules())


@pytest.mark.parametrize("name, shape, sites", [
    ("shallow", (10,), 1), ("mnist_cnn", (1, 28, 28), 3), ("cifar10_cnn", (3, 24, 24), 4),
    ("mlp", (40,), 2)])
def test_every_site_gets_its_own_activation_module(name, shape, sites):
    model = build_model(name, "leaky_relu(0.2)", input_shape=shape, num_classes=3)
    modules = [m for _, m in model.activation_sites()]
    assert len(modules) == sites
    assert len({id(m) for m in modules}) == sites
    assert all(m.params["negative_slope"] == 0.2 for m in modules)


def test_formula_and_module_activations_plug_in():
    model = build_model("mlp", "x*sigmoid(1.702*x)", input_shape=(4,), num_classes=2)
    x = torch.randn(8, 4)
    first = model.hidden[0](x)
    assert torch.allclose(model.act1(first), first * torch.sigmoid(1.702 * first))
    model = build_model("mlp", torch.nn.Tanh(), input_shape=(4,), num_classes=2)
    assert isinstance(model.act1, torch.nn.Tanh) and model.act1 is not model.act2


def test_gated_activation_doubles_the_layer_in_front():
    model = build_model("mnist_cnn", "glu", input_shape=(1, 28, 28), num_classes=10)
    assert model.conv1.out_channels == 64 and model.conv2.in_channels == 32
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    model = build_model("mlp", "glu", input_shape=(6,), num_classes=3, widths=[8])
    assert model.hidden[0].out_features == 16 and model.output.in_features == 8


def test_vector_activations_act_on_channels():
    model = build_model("cifar10_cnn", "softmax", input_shape=(3, 24, 24), num_classes=10)
    pre = model.conv1(torch.randn(2, 3, 24, 24))
    sums = model.act1(pre).sum(dim=1)  # softmax over the 64 channels at every position
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5)


def test_every_catalog_activation_builds_an_mlp_or_says_why_not():
    for name in actlab.names():
        required = {p.name: p.example for p in actlab.spec(name).params if p.required}
        try:
            model = build_model("mlp", name, input_shape=(6,), num_classes=3, widths=[4],
                                activation_params=required)
        except ModelInputError as err:
            # Only functions of whole images (softmax2d) may refuse feature vectors, and
            # those that widen them (crelu).
            assert actlab.spec(name).kind != "elementwise", name
            assert name in str(err)
            continue
        assert model(torch.randn(5, 6)).shape == (5, 3), name
    with pytest.raises(ModelInputError, match="softmax2d.*mlp"):
        build_model("mlp", "softmax2d", input_shape=(6,), num_classes=3)


def test_mnist_cnn_on_mnist1d_shapes_is_one_clear_error():
    with pytest.raises(ModelInputError, match=r"mnist_cnn.*1x28x28.*shape 40"):
        build_model("mnist_cnn", "relu", input_shape=(40,), num_classes=10)
    with pytest.raises(ModelInputError, match="24x24"):
        build_model("cifar10_cnn", "relu", input_shape=(3, 32, 32), num_classes=10)


def test_unknown_model_and_option():
    with pytest.raises(UnknownModelError, match="did you mean 'mlp'"):
        build_model("mlpp", "relu", input_shape=(4,), num_classes=2)
    with pytest.raises(ModelOptionError, match="did you mean 'depth'"):
        build_model("mlp", "relu", input_shape=(4,), num_classes=2, dept=3)
    with pytest.raises(ModelOptionError, match="init"):
        build_model("mlp", "relu", input_shape=(4,), num_classes=2, init="nope")
    with pytest.raises(ModelOptionError, match="dropout"):
        build_model("mnist_cnn", "relu", input_shape=(1, 28, 28), num_classes=10, dropout=1.5)
    with pytest.raises(actlab.UnknownActivationError):
        build_model("mlp", "relux", input_shape=(4,), num_classes=2)
    assert set(model_names()) == {"shallow", "mnist_cnn", "cifar10_cnn", "mlp", "mean_field_mlp",
                                  "mnist1d_mlp", "mnist1d_cnn"}


def test_lazy_keras_prelu_is_materialised_before_training():
    model = build_model("mlp", "keras:prelu", input_shape=(5,), num_classes=2, widths=[3])
    assert not any(isinstance(p, torch.nn.parameter.UninitializedParameter)
                   for p in model.parameters())
    assert model.act1.weight.shape == (3,)


def test_an_activation_that_widens_its_input_is_refused_with_a_clear_error():
    """tf.nn.crelu doubles the features; the built-in networks keep layer widths fixed."""
    with pytest.raises(ModelInputError, match="crelu doubles"):
        build_model("mlp", "tf.nn.crelu", input_shape=(4,), num_classes=3)
    build_model("mlp", "softmax", input_shape=(4,), num_classes=3)  # same width: fine
