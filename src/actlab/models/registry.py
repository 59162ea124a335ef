"""Every model actlab can build, in one table, and `build_model` that looks names up in it.

Each entry says which input shapes the architecture takes and how the model is trained
by default (its recipe); `build_model` checks the shape before building, so a mismatch
(mnist_cnn on MNIST-1D) is one clear sentence. Adding a model means writing its module
and adding one ModelEntry here. A name like `"mymodels.py:tiny_net"` or
`"transformers:ResNetForImageClassification"` is the user's own model (see
`actlab.models.user_models`): its entry is made when it is first looked up.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from actlab.code_references import is_code_reference, parse_reference
from actlab.errors import ActlabError
from actlab.models.activation_sites import ActivationFactory, ActivationLike
from actlab.models.cifar10_cnn import CIFAR10_CNN_INPUT, Cifar10CNN
from actlab.models.errors import ModelInputError, ModelOptionError, UnknownModelError
from actlab.models.mean_field_mlp import MeanFieldMLP
from actlab.models.mlp import MLP, mlp_widths
from actlab.models.mnist1d_models import (
    CNN_CHANNELS,
    MLP_HIDDEN,
    Mnist1dCNN,
    Mnist1dMLP,
    conv_output_length,
)
from actlab.models.mnist_cnn import MNIST_CNN_INPUT, MnistCNN
from actlab.models.shallow import ShallowDense
from actlab.models.training_recipe import CIFAR_CROPS, CLASSIFIER_RECIPE, TrainingRecipe


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def _any_shape(shape: tuple[int, ...]) -> str | None:
    return None if shape and all(s > 0 for s in shape) else "it needs a non-empty input"


def _exact(expected: tuple[int, ...], hint: str) -> Callable[[tuple[int, ...]], str | None]:
    def check(shape: tuple[int, ...]) -> str | None:
        if tuple(shape) == expected:
            return None
        return f"it takes inputs of shape {_shape_text(expected)} ({hint})"
    return check


def _build_shallow(factory: ActivationFactory, input_shape: tuple[int, ...], num_classes: int,
                   weight_init: str = "glorot_uniform") -> nn.Module:
    return ShallowDense(factory, input_shape, num_classes, weight_init=weight_init)


def _build_mnist_cnn(factory: ActivationFactory, input_shape: tuple[int, ...], num_classes: int,
                     dropout: float = 0.5) -> nn.Module:
    if not 0.0 <= dropout < 1.0:
        raise ModelOptionError(f"mnist_cnn option dropout must lie in [0, 1), got {dropout!r}")
    return MnistCNN(factory, input_shape, num_classes, dropout=dropout)


def _build_cifar10_cnn(factory: ActivationFactory, input_shape: tuple[int, ...],
                       num_classes: int) -> nn.Module:
    return Cifar10CNN(factory, input_shape, num_classes)


def _build_mlp(factory: ActivationFactory, input_shape: tuple[int, ...], num_classes: int,
               depth: int = 2, width: int = 128, widths: list[int] | None = None,
               init: str = "glorot_uniform", bias_init: float = 0.0, dropout: float = 0.0,
               alpha_dropout: float = 0.0) -> nn.Module:
    return MLP(factory, input_shape, num_classes, mlp_widths(depth, width, widths), init=init,
               bias_init=bias_init, dropout=dropout, alpha_dropout=alpha_dropout)


def _build_mean_field_mlp(factory: ActivationFactory, input_shape: tuple[int, ...],
                          num_classes: int, depth: int = 10, width: int = 100,
                          sigma_w2: float = 1.0, sigma_b2: float = 0.05) -> nn.Module:
    return MeanFieldMLP(factory, input_shape, num_classes, mlp_widths(depth, width, None),
                        sigma_w2=sigma_w2, sigma_b2=sigma_b2)


def _build_mnist1d_mlp(factory: ActivationFactory, input_shape: tuple[int, ...],
                       num_classes: int, hidden: int = MLP_HIDDEN) -> nn.Module:
    return Mnist1dMLP(factory, input_shape, num_classes, hidden=hidden)


def _build_mnist1d_cnn(factory: ActivationFactory, input_shape: tuple[int, ...],
                       num_classes: int, channels: int = CNN_CHANNELS) -> nn.Module:
    return Mnist1dCNN(factory, input_shape, num_classes, channels=channels)


def _signal(shape: tuple[int, ...]) -> str | None:
    """A 1-D signal (length,) or one channel of it (1, length), long enough to convolve."""
    if len(shape) == 1 or (len(shape) == 2 and shape[0] == 1):
        if conv_output_length(shape[-1]) >= 1:
            return None
        return "it needs signals of length >= 3 (its first convolution has kernel 5, padding 1)"
    return "it takes 1-D signals, shape (length,) or (1, length), such as MNIST-1D's 40"


@dataclass(frozen=True)
class ModelEntry:
    """A model: name, builder, summary, the inputs it takes (in words and as a check), and
    how it is trained by default."""

    name: str
    builder: Callable[..., nn.Module]
    summary: str
    inputs: str
    check_input: Callable[[tuple[int, ...]], str | None]
    recipe: TrainingRecipe = CLASSIFIER_RECIPE

    @property
    def options(self) -> dict[str, Any]:
        """The builder's own options with their defaults."""
        params = list(inspect.signature(self.builder).parameters.values())[3:]
        return {p.name: p.default for p in params}


MODELS: tuple[ModelEntry, ...] = (
    ModelEntry("shallow", _build_shallow,
               "seed 000: Dense(num_classes) + activation on the output, Keras's init",
               "any shape (flattened)", _any_shape,
               # seed 000: Keras's compile(optimizer='sgd', loss='categorical_crossentropy')
               # and fit's batches of 32 (its 5 samples make one full batch).
               TrainingRecipe("sgd", 0.01, 32, "keras_categorical_crossentropy")),
    ModelEntry("mnist_cnn", _build_mnist_cnn,
               "seed 003: 2 conv 5x5 (32, 64) + max-pool, FC 1024, dropout 0.5, FC",
               _shape_text(MNIST_CNN_INPUT) + " (MNIST, Fashion-MNIST)",
               _exact(MNIST_CNN_INPUT, "28x28 grayscale images: MNIST or Fashion-MNIST"),
               # seed 003 (TensorFlow's Deep MNIST): Adam 1e-4, batches of 50.
               TrainingRecipe("adam", 1e-4, 50, "cross_entropy")),
    ModelEntry("cifar10_cnn", _build_cifar10_cnn,
               "seed 003: TensorFlow CIFAR-10 tutorial (2 conv + LRN, FC 384, FC 192)",
               _shape_text(CIFAR10_CNN_INPUT) + " (CIFAR-10 crops)",
               _exact(CIFAR10_CNN_INPUT, "24x24 crops of 32x32 colour images: CIFAR-10"),
               # seed 003 (TensorFlow's CIFAR-10 tutorial): SGD 0.1, batches of 128, weight
               # decay 0.004 on the FC layers, lr x 0.1 every 350 epochs, random 24x24
               # crops with flips and per-image standardisation (the tutorial's random
               # brightness and contrast and its weight averages are not reproduced).
               TrainingRecipe("sgd", 0.1, 128, "cross_entropy", weight_decay=0.004,
                              lr_decay_epochs=350.0, lr_decay_factor=0.1,
                              inputs=CIFAR_CROPS)),
    ModelEntry("mlp", _build_mlp,
               "fully connected: depth x width hidden layers, chosen init, optional dropout",
               "any shape (flattened)", _any_shape, CLASSIFIER_RECIPE),
    ModelEntry("mean_field_mlp", _build_mean_field_mlp,
               "deep MLP with W ~ N(0, sigma_w2/fan_in), b ~ N(0, sigma_b2): mean-field init",
               "any shape (flattened)", _any_shape,
               # Schoenholz et al. 2017 trained theirs with SGD (learning rate 1e-3).
               TrainingRecipe("sgd", 1e-3, 128, "cross_entropy")),
    ModelEntry("mnist1d_mlp", _build_mnist1d_mlp,
               "MNIST-1D paper's MLP: 100 units, a residual 100-unit layer, linear read-out",
               "any shape (flattened; MNIST-1D's 40)", _any_shape,
               # the MNIST-1D paper's train.py: Adam 0.01, batches of 100, no weight decay.
               TrainingRecipe("adam", 1e-2, 100, "cross_entropy")),
    ModelEntry("mnist1d_cnn", _build_mnist1d_cnn,
               "MNIST-1D paper's CNN: 3 strided Conv1d (25 channels), linear read-out",
               "1-D signals (MNIST-1D's 40)", _signal,
               TrainingRecipe("adam", 1e-2, 100, "cross_entropy")),
)

_BY_NAME = {entry.name: entry for entry in MODELS}


def model_names() -> tuple[str, ...]:
    """The names of every model, in registry order."""
    return tuple(entry.name for entry in MODELS)


_USER_MODELS: dict[str, ModelEntry] = {}


def model_entry(name: str) -> ModelEntry:
    """The registry entry of a model name, or of a reference to the user's factory."""
    if is_code_reference(name):
        return _user_model_entry(name)
    entry = _BY_NAME.get(name.strip().lower().replace("-", "_"))
    if entry is None:
        raise UnknownModelError(name, _BY_NAME)
    return entry


def _user_model_entry(text: str) -> ModelEntry:
    from actlab.models.user_models import user_model_builder

    canonical = parse_reference(text, what="model").text
    if canonical not in _USER_MODELS:
        name, summary, builder = user_model_builder(canonical)
        _USER_MODELS[canonical] = ModelEntry(name, builder, summary, "whatever the model takes",
                                             _any_shape, CLASSIFIER_RECIPE)
    return _USER_MODELS[canonical]


def check_model_input(name: str, input_shape: tuple[int, ...], num_classes: int,
                      dataset: str = "") -> None:
    """Raise ModelInputError unless the model can take this input shape and class count."""
    entry = model_entry(name)
    source = f"dataset {dataset!r} has" if dataset else "the inputs have"
    problem = entry.check_input(tuple(input_shape))
    if problem:
        raise ModelInputError(f"model {entry.name!r} cannot take these inputs: {problem}, but "
                              f"{source} shape {_shape_text(tuple(input_shape))}; choose a "
                              f"model that takes them (mlp and shallow take any shape)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ModelInputError(f"model {entry.name!r} needs a whole number of classes >= 1, "
                              f"got {num_classes!r}")


def build_model(name: str, activation: ActivationLike, *, input_shape: tuple[int, ...],
                num_classes: int, activation_params: Mapping[str, Any] | None = None,
                input_dtype: torch.dtype = torch.float32, **options: Any) -> nn.Module:
    """A freshly initialised model with `activation` at every activation site.

    `activation` is a catalog name or spelling, a formula, a spec or a module (copied per
    site); `activation_params` bind its parameters; other options go to the model
    (see `model_entry(name).options`). Initialisation draws from torch's global RNG. The
    model is tried on a batch of zeros of `input_dtype` (token ids: torch.int64) and must
    give one logit per class.
    """
    entry = model_entry(name)
    check_model_input(entry.name, input_shape, num_classes)
    known = entry.options
    for option in options:
        if option not in known:
            close = difflib.get_close_matches(option, list(known), n=1)
            hint = (f"did you mean {close[0]!r}?" if close else
                    f"its options are {', '.join(known)}" if known else "it takes no options")
            raise ModelOptionError(f"model {entry.name!r} has no option {option!r}; {hint}")
    factory = ActivationFactory(activation, activation_params)
    model = entry.builder(factory, tuple(input_shape), num_classes, **options)
    _trial_forward(model, entry.name, factory.label, tuple(input_shape), num_classes,
                   input_dtype)
    return model


@torch.no_grad()
def _trial_forward(model: nn.Module, name: str, activation: str,
                   input_shape: tuple[int, ...], num_classes: int,
                   input_dtype: torch.dtype) -> None:
    """One eval-mode forward pass of zeros: lazily shaped parameters (Keras's PReLU) come
    to exist, and an activation (or data) that cannot go through this model fails here,
    clearly."""
    was_training = model.training
    model.eval()
    try:
        output = model(torch.zeros(2, *input_shape, dtype=input_dtype))
    except (ActlabError, RuntimeError, ValueError, TypeError, IndexError) as err:
        shown = _shape_text(input_shape)
        problem = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if is_code_reference(name):
            raise ModelInputError(f"model {_short(name)!r} fails on inputs of shape {shown} "
                                  f"({str(input_dtype).replace('torch.', '')}) with activation "
                                  f"{activation!r}: {problem}") from err
        raise ModelInputError(f"activation {activation!r} cannot be used in model {name!r}: "
                              f"{problem}") from err
    finally:
        model.train(was_training)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (2, num_classes):
        got = _shape_text(tuple(output.shape)) if isinstance(output, torch.Tensor) else \
            type(output).__name__
        raise ModelInputError(f"model {_short(name)!r} gives outputs of shape {got} for a "
                              f"batch of 2; a classifier of {num_classes} classes gives "
                              f"2x{num_classes}")


def _short(name: str) -> str:
    return parse_reference(name).short if is_code_reference(name) else name


def count_parameters(model: nn.Module) -> int:
    """The number of trainable scalars in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
