"""Per-group weight decay (the CIFAR-10 tutorial's FC layers), SGD by hand, lr schedule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actlab.data import Dataset
from actlab.errors import ParameterError
from actlab.models import build_model
from actlab.training import ProbeConfig, TrialConfig, recipe_for, run_trial
from actlab.training.optimizers import build_optimizer, regularization_loss
from actlab.training.recipes import resolve_settings


def test_cifar_decay_applies_to_local3_and_local4_weights_only():
    torch.manual_seed(0)
    model = build_model("cifar10_cnn", "relu", input_shape=(3, 24, 24), num_classes=10)
    optimizer = build_optimizer(model, "sgd", lr=0.1, weight_decay=0.004)
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = sorted(names[id(p)] for g in optimizer.param_groups if g["weight_decay"]
                     for p in g["params"])
    assert decayed == ["local3.weight", "local4.weight"]

    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randn(4, 3, 24, 24)
    y = torch.tensor([0, 1, 2, 3])
    loss = torch.nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    optimizer.step()
    for name, p in model.named_parameters():
        # SGD on loss + 0.004 * tf.nn.l2_loss(w) = loss + 0.004 * sum(w^2) / 2
        wd = 0.004 if name in ("local3.weight", "local4.weight") else 0.0
        expected = before[name] - 0.1 * (grads[name] + wd * before[name])
        torch.testing.assert_close(p.detach(), expected, rtol=1e-6, atol=1e-7)

    by_hand = 0.004 * 0.5 * sum(float(np.sum(model.get_parameter(n).detach().double().numpy()
                                              ** 2)) for n in ("local3.weight",
                                                               "local4.weight"))
    assert regularization_loss(optimizer) == pytest.approx(by_hand, rel=1e-6)


def test_other_models_decay_every_parameter_when_asked():
    model = build_model("mlp", "relu", input_shape=(4,), num_classes=2, widths=[3])
    optimizer = build_optimizer(model, "adam", lr=1e-3, weight_decay=0.1)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1]
    assert isinstance(optimizer, torch.optim.Adam)
    with pytest.raises(ParameterError, match="momentum"):
        build_optimizer(model, "adam", lr=1e-3, momentum=0.9)


def test_recipes_fill_unset_fields_only():
    config = TrialConfig(model="cifar10_cnn", dataset="cifar10", steps=1).validate()
    settings = resolve_settings(config, recipe_for("cifar10_cnn"))
    assert (settings.optimizer, settings.lr, settings.batch_size, settings.weight_decay) == \
        ("sgd", 0.1, 128, 0.004)
    # The tutorial's staircase: lr x 0.1 every 350 epochs.
    assert settings.lr_at(349.9) == 0.1 and settings.lr_at(350.0) == pytest.approx(0.01)
    assert settings.lr_at(700.0) == pytest.approx(0.001)
    custom = resolve_settings(config.replace(lr=0.05, weight_decay=0.0, batch_size=0),
                              recipe_for("cifar10_cnn"))
    assert (custom.lr, custom.weight_decay, custom.batch_size) == (0.05, 0.0, 0)


def test_cifar_trial_crops_to_24_and_records_the_decay_term():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(40, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (40,), generator=g)
    data = Dataset(name="cifar10", train_x=images[:32], train_y=labels[:32],
                   test_x=images[32:], test_y=labels[32:], num_classes=10,
                   input_shape=(3, 32, 32))
    config = TrialConfig(dataset="cifar10", model="cifar10_cnn", activation="elu", steps=3,
                         batch_size=16, device="cpu",
                         probes=ProbeConfig(eval_every=3, activation_every=3,
                                            tensorboard=False))
    result = run_trial(config, dataset=data, progress=False)
    assert result.dataset["model_input_shape"] == [3, 24, 24]
    assert result.settings["inputs"].startswith("random 24x24 crop")
    assert result.history[0].regularization_loss > 0
    assert [r.site for r in result.activations if r.step == 3] == ["act1", "act2", "act3",
                                                                   "act4"]
