"""Plugging one activation into every activation site of a network.

A network asks an `ActivationFactory` for a fresh module at each site, so that each
site has its own module (its own learnable parameters, its own forward hook). Gated
activations (GLU and relatives) halve the features they act on, so the layer in front
of them must produce `width_multiplier` times as many; vector and gated activations act
along dim 1 (features of a dense layer, channels of a convolution) unless told otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from actlab.catalog.registry import Resolved, resolve
from actlab.catalog.spec import ActivationSpec
from actlab.layers import get
from actlab.models.errors import ModelInputError

ActivationLike = str | ActivationSpec | Resolved | nn.Module


class ActivationFactory:
    """Makes one activation module per site from a name, formula, spec or module."""

    def __init__(self, activation: ActivationLike,
                 params: Mapping[str, Any] | None = None) -> None:
        self.params = dict(params or {})
        self.template: nn.Module | None = None
        self.resolved: Resolved | None = None
        if isinstance(activation, nn.Module):
            self.template = activation
            self.kind = getattr(getattr(activation, "spec", None), "kind", "elementwise")
        else:
            self.resolved = resolve(activation)
            self.kind = self.resolved.spec.kind
            spec_params = {p.name for p in self.resolved.spec.params}
            explicit = set(self.resolved.params) | set(self.params)
            if self.kind in ("vector", "gated") and "dim" in spec_params \
                    and "dim" not in explicit:
                # dim=None (softmax) or -1 (GLU) would act along a spatial axis of a conv map.
                self.params["dim"] = 1
            module = get(self.resolved, **self.params)  # fail now, on bad params
            if self.kind == "vector" and _widens(module):
                raise ModelInputError(
                    f"{self.resolved.spec.name} returns more features than it receives "
                    f"(crelu doubles them): actlab's networks (mlp, the CNNs) keep each "
                    f"layer's width; use it in a network of your own")

    @property
    def width_multiplier(self) -> int:
        """How many inputs per output feature the activation consumes (2 for gated)."""
        return 2 if self.kind == "gated" else 1

    @property
    def label(self) -> str:
        """A short name of the activation, for summaries."""
        if self.resolved is not None:
            return self.resolved.label
        return type(self.template).__name__

    def make(self) -> nn.Module:
        """A fresh module for one site."""
        if self.template is not None:
            return copy.deepcopy(self.template)
        return get(self.resolved, **self.params)


def _widens(module: nn.Module) -> bool:
    """Whether a vector activation returns more features along dim 1 than it is given."""
    probe = torch.zeros(1, 4)
    try:
        with torch.no_grad():
            return module(probe).shape[1] > probe.shape[1]
    except (ValueError, RuntimeError):  # needs another shape (softmax2d): not a widening one
        return False


class ActivationNetwork(nn.Module):
    """A network that knows its activation sites by attribute name, in forward order."""

    def __init__(self) -> None:
        super().__init__()
        self.site_names: list[str] = []

    def add_activation(self, name: str, factory: ActivationFactory) -> None:
        """Create the activation module for the site `name` (an attribute of the network)."""
        setattr(self, name, factory.make())
        self.site_names.append(name)

    def activation_sites(self) -> Iterator[tuple[str, nn.Module]]:
        """(attribute name, module) of each activation site, in forward order."""
        for name in self.site_names:
            yield name, getattr(self, name)
