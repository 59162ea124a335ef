"""The network's outputs on a few fixed examples: seed 000's predictions before and after."""

from __future__ import annotations

import torch
from torch import nn

from actlab.training.result import PredictionSnapshot, finite_or_none


@torch.no_grad()
def prediction_snapshot(model: nn.Module, batch: torch.Tensor, step: int) -> PredictionSnapshot:
    """Eval-mode outputs (what Keras's predict() returns) with their max, min and mean."""
    was_training = model.training
    model.eval()
    try:
        outputs = model(batch).detach().float().cpu()
    finally:
        model.train(was_training)
    rows = [[finite_or_none(v) for v in row] for row in outputs.reshape(len(outputs), -1).tolist()]
    if torch.isfinite(outputs).all():
        summary = (float(outputs.max()), float(outputs.min()), float(outputs.mean()))
    else:
        summary = (None, None, None)
    return PredictionSnapshot(step, rows, *summary)
