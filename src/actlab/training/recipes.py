"""How each model was trained in the seeds: optimiser, learning rate, batch, loss, inputs.

A `TrialConfig` field left at None takes its value from the model's recipe:

- shallow (seed 000): Keras's `compile(optimizer='sgd', loss='categorical_crossentropy')`
  and `fit` defaults: SGD lr 0.01 without momentum, batches of 32 (the toy's 5 samples
  make one full batch), Keras's categorical cross-entropy on the activation's outputs.
- mnist_cnn (seed 003, TensorFlow's Deep MNIST): Adam lr 1e-4, batches of 50, softmax
  cross-entropy on logits.
- cifar10_cnn (seed 003, TensorFlow's CIFAR-10 tutorial): SGD lr 0.1, batches of 128,
  weight decay 0.004 on the FC layers, lr x 0.1 every 350 epochs (staircase), random
  24x24 crops with left-right flips and per-image standardisation for training, the
  central crop for evaluation. (The tutorial's random brightness and contrast and its
  moving averages of the weights are not reproduced.)
- mlp: Adam lr 1e-3, batches of 128, softmax cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from actlab.data.image_transforms import center_crop, per_image_standardization, random_crop_flip
from actlab.models.registry import model_entry
from actlab.training.config import TrialConfig

BatchTransform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
EvalTransform = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class InputTransform:
    """What the model sees of a batch: a (random) training view and an evaluation view."""

    name: str
    train: BatchTransform | None = None
    evaluate: EvalTransform | None = None
    output_shape: Callable[[tuple[int, ...]], tuple[int, ...]] = field(default=lambda s: s)

    def for_training(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return x if self.train is None else self.train(x, generator)

    def for_evaluation(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.evaluate is None else self.evaluate(x)


IDENTITY = InputTransform("none")

CIFAR_CROP = 24


def _cifar_train(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return per_image_standardization(random_crop_flip(x, CIFAR_CROP, generator=generator))


def _cifar_eval(x: torch.Tensor) -> torch.Tensor:
    return per_image_standardization(center_crop(x, CIFAR_CROP))


def _cifar_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(shape) == 3 and min(shape[1:]) >= CIFAR_CROP:
        return (shape[0], CIFAR_CROP, CIFAR_CROP)
    return shape  # the model's input check then says what it takes


CIFAR_CROPS = InputTransform("random 24x24 crop + flip, per-image standardisation",
                             _cifar_train, _cifar_eval, _cifar_shape)


@dataclass(frozen=True)
class TrainingRecipe:
    """A model's default optimisation and input pipeline."""

    optimizer: str
    lr: float
    batch_size: int
    loss: str
    weight_decay: float = 0.0
    lr_decay_epochs: float | None = None
    lr_decay_factor: float = 1.0
    inputs: InputTransform = IDENTITY


RECIPES: dict[str, TrainingRecipe] = {
    "shallow": TrainingRecipe("sgd", 0.01, 32, "keras_categorical_crossentropy"),
    "mnist_cnn": TrainingRecipe("adam", 1e-4, 50, "cross_entropy"),
    "cifar10_cnn": TrainingRecipe("sgd", 0.1, 128, "cross_entropy", weight_decay=0.004,
                                  lr_decay_epochs=350.0, lr_decay_factor=0.1,
                                  inputs=CIFAR_CROPS),
    "mlp": TrainingRecipe("adam", 1e-3, 128, "cross_entropy"),
}


def recipe_for(model: str) -> TrainingRecipe:
    """The recipe of a registered model (every model in actlab.models has one)."""
    return RECIPES[model_entry(model).name]


@dataclass(frozen=True)
class TrainingSettings:
    """The optimisation a trial runs with: its config's fields, the recipe's where unset."""

    optimizer: str
    lr: float
    batch_size: int
    loss: str
    momentum: float
    weight_decay: float
    lr_decay_epochs: float | None
    lr_decay_factor: float
    inputs: str

    def lr_at(self, epoch: float) -> float:
        """The staircase-decayed learning rate after `epoch` epochs of training."""
        if not self.lr_decay_epochs:
            return self.lr
        return self.lr * self.lr_decay_factor ** int(epoch // self.lr_decay_epochs)


def resolve_settings(config: TrialConfig, recipe: TrainingRecipe) -> TrainingSettings:
    """Fill the config's unset optimisation fields from the model's recipe."""
    return TrainingSettings(
        optimizer=config.optimizer or recipe.optimizer,
        lr=config.lr if config.lr is not None else recipe.lr,
        batch_size=config.batch_size if config.batch_size is not None else recipe.batch_size,
        loss=config.loss or recipe.loss,
        momentum=config.momentum,
        weight_decay=(config.weight_decay if config.weight_decay is not None
                      else recipe.weight_decay),
        lr_decay_epochs=recipe.lr_decay_epochs,
        lr_decay_factor=recipe.lr_decay_factor,
        inputs=recipe.inputs.name)
