"""A trial's optimisation settings: its config's fields, the model's recipe where unset.

Each model's default recipe is part of its registry entry (`actlab.models.registry`):
seed 000's Keras SGD for shallow, seed 003's Adam 1e-4 for mnist_cnn and SGD 0.1 with
crops for cifar10_cnn, Adam 1e-3 with cross-entropy for mlp and the user's own models,
Adam 1e-2 in batches of 100 for the MNIST-1D paper's models, SGD 1e-3 for mean_field_mlp.
"""

from __future__ import annotations

from dataclasses import dataclass

from actlab.models.registry import model_entry
from actlab.models.training_recipe import IDENTITY, InputTransform, TrainingRecipe
from actlab.training.config import TrialConfig

__all__ = ["IDENTITY", "InputTransform", "TrainingRecipe", "TrainingSettings", "recipe_for",
           "resolve_settings"]


def recipe_for(model: str) -> TrainingRecipe:
    """The default recipe of a model (part of its registry entry)."""
    return model_entry(model).recipe


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
