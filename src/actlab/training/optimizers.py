"""Optimisers (SGD, Adam) with per-parameter-group weight decay.

Weight decay is L2 added to the gradient (torch's `weight_decay`): wd·w is the gradient of
wd·||w||²/2, TensorFlow's `wd * tf.nn.l2_loss(w)`, the CIFAR-10 tutorial's decay term.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from actlab.errors import ParameterError


def decayed_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The parameters weight decay applies to: the model's own set, else every parameter."""
    own = getattr(model, "weight_decay_parameters", None)
    if callable(own):
        return list(own())
    return [(name, p) for name, p in model.named_parameters() if p.requires_grad]


def build_optimizer(model: nn.Module, name: str, lr: float, *, momentum: float = 0.0,
                    weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """SGD or Adam over the model's parameters; decay only on `decayed_parameters`."""
    decayed = {id(p) for _, p in decayed_parameters(model)} if weight_decay else set()
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if id(p) in decayed], "weight_decay": weight_decay},
              {"params": [p for p in params if id(p) not in decayed], "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    if name == "adam":
        if momentum:
            raise ParameterError(f"momentum applies to sgd; adam has its own betas (got "
                                 f"momentum={momentum})")
        return torch.optim.Adam(groups, lr=lr)
    raise ParameterError(f"unknown optimizer {name!r}; choose sgd or adam")


def regularization_loss(optimizer: torch.optim.Optimizer) -> float:
    """sum over decayed groups of wd·||w||²/2: the decay term of the total loss."""
    total = 0.0
    for group in optimizer.param_groups:
        wd = group.get("weight_decay", 0.0)
        if wd:
            total += wd * 0.5 * float(sum(p.detach().pow(2).sum() for p in _params(group)))
    return total


def _params(group: dict) -> Iterable[torch.Tensor]:
    return group["params"]
