"""`torch.compile(model)` sees actlab activations without a graph break, every one of them.

Dynamo's `explain` traces a model with every catalog activation (and a formula) once, as
`torch.compile` would, without compiling code; a graph break anywhere is counted and its
reason names the activation that caused it.
"""

from __future__ import annotations

import pytest
import torch
import torch._dynamo as dynamo
from torch import nn

import actlab
from actlab.catalog.registry import registry
from actlab.kernels import prefer


def _every_activation() -> nn.ModuleDict:
    modules = {}
    for spec in registry().specs():
        required = {p.name: p.example for p in spec.params if p.required}
        modules[spec.name] = actlab.get(spec, **required)
    modules["formula"] = actlab.get("x*sigmoid(b*x); b=1.702")
    return nn.ModuleDict(modules)


class EveryActivation(nn.Module):
    """Applies each activation to the same input and adds up what comes out."""

    def __init__(self, activations: nn.ModuleDict) -> None:
        super().__init__()
        self.activations = activations

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = x.new_zeros(())
        for module in self.activations.values():
            total = total + module(x).sum()
        return total


def _graph_breaks(model: nn.Module, x: torch.Tensor) -> tuple[int, list[str]]:
    """(graphs, reasons of every graph break). `graph_break_count` alone misses a break
    before the first graph (then there is one graph and one reason)."""
    dynamo.reset()
    explanation = dynamo.explain(model)(x)
    return explanation.graph_count, [str(b.reason) for b in explanation.break_reasons]


@pytest.mark.parametrize("preference", ["speed", "memory"])
@pytest.mark.parametrize("requires_grad", [False, True], ids=["inference", "training"])
def test_no_activation_breaks_the_graph(preference, requires_grad):
    with prefer(preference):
        activations = _every_activation()
    labels = {m.implementation.label for m in activations.values()}
    if preference == "memory":
        assert {"fused(mask)", "fused(output)"} <= labels
    assert {"native", "analytic"} <= labels
    model = EveryActivation(activations).train(requires_grad)
    # 4-D: softmax2d needs it; gated functions halve the last dimension.
    x = torch.randn(2, 4, 6, 6, requires_grad=requires_grad)
    graphs, reasons = _graph_breaks(model, x)
    assert graphs == 1 and not reasons, reasons


def test_a_graph_break_would_be_seen():
    # The check itself: a data-dependent branch, or a print, breaks the graph.
    class Branching(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2 if x.sum().item() > 0 else x

    class Printing(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = x * 2
            print("a side effect")
            return y + 1

    for model in (Branching(), Printing()):
        graphs, reasons = _graph_breaks(model, torch.randn(4))
        assert reasons, type(model).__name__
