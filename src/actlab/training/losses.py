"""Classification losses: cross-entropy from logits, and Keras's categorical cross-entropy.

Keras's `categorical_crossentropy` (from_logits=False) takes the network's outputs as
probabilities whatever produced them, exactly as seed 000 ran it on sigmoid, tanh, relu
and elu outputs:

    p = y_pred / sum(y_pred, axis=-1)
    p = clip(p, eps, 1 - eps)            eps = 1e-7 (keras.config.epsilon())
    loss = -sum(y_true * log(p), axis=-1)

averaged over the batch. The clip passes no gradient where it clips, and a row that sums
to zero (a dead ReLU output) gives nan, as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from actlab.code_references import is_code_reference, load_reference, parse_reference
from actlab.errors import ParameterError

KERAS_EPSILON = 1e-7

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def keras_categorical_crossentropy_per_sample(outputs: torch.Tensor,
                                              one_hot: torch.Tensor) -> torch.Tensor:
    """Keras's categorical cross-entropy of each sample: -sum(y log clip(p / sum p))."""
    probabilities = outputs / torch.sum(outputs, dim=-1, keepdim=True)
    probabilities = torch.clip(probabilities, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return -torch.sum(one_hot * torch.log(probabilities), dim=-1)


def keras_categorical_crossentropy(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Batch mean of Keras's categorical cross-entropy, labels as class indices."""
    one_hot = F.one_hot(labels, outputs.shape[-1]).to(outputs.dtype)
    return keras_categorical_crossentropy_per_sample(outputs, one_hot).mean()


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Batch mean of -log softmax(logits)[label] (TensorFlow's softmax cross-entropy)."""
    return F.cross_entropy(logits, labels)


LOSS_FUNCTIONS: dict[str, LossFunction] = {
    "cross_entropy": cross_entropy,
    "keras_categorical_crossentropy": keras_categorical_crossentropy,
}


def loss_function(name: str) -> LossFunction:
    """The loss of that name: outputs (N, classes) and int64 labels (N,) to a scalar.

    A reference (`"mylosses.py:focal_loss"`) names the user's own function of
    (outputs, labels).
    """
    if is_code_reference(name):
        function = load_reference(parse_reference(name, what="loss"), what="loss")
        if not callable(function):
            raise ParameterError(f"loss {name!r} is a {type(function).__name__}, not a "
                                 f"function of (outputs, labels)")
        return function
    try:
        return LOSS_FUNCTIONS[name]
    except KeyError:
        raise ParameterError(f"unknown loss {name!r}; choose one of "
                             f"{', '.join(LOSS_FUNCTIONS)}") from None
