"""Loss and accuracy of a model on a whole split, in eval mode, batch by batch."""

from __future__ import annotations

import torch
from torch import nn

from actlab.training.losses import LossFunction
from actlab.training.recipes import InputTransform

EVAL_BATCH = 250  # larger batches run slower on the CPU (activations leave the cache)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: LossFunction,
             inputs: InputTransform, batch_size: int = EVAL_BATCH) -> tuple[float, float]:
    """(mean loss per example, accuracy): accuracy is argmax(output) == label."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    try:
        for start in range(0, len(x), batch_size):
            xb = inputs.for_evaluation(x[start:start + batch_size])
            yb = y[start:start + batch_size]
            out = model(xb)
            total += loss(out, yb).double() * len(yb)
            correct += (out.argmax(dim=1) == yb).sum()
    finally:
        model.train(was_training)
    return float(total) / len(x), int(correct) / len(x)
