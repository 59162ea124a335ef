"""How a model is trained by default: optimiser, learning rate, batch, loss, input pipeline.

Each model's registry entry holds its recipe (seed 003's Adam 1e-4 with batches of 50 for
mnist_cnn, seed 000's full-batch SGD 0.01 with Keras's categorical cross-entropy for
shallow, ...); a trial's own settings override it field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from actlab.data.image_transforms import center_crop, per_image_standardization, random_crop_flip

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


#: Classification with logits: what the MLPs and the user's own models train with
#: unless a study says otherwise.
CLASSIFIER_RECIPE = TrainingRecipe("adam", 1e-3, 128, "cross_entropy")
