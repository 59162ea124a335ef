"""Per-site activation statistics on a fixed probe batch, through forward hooks.

The hooks exist only during the probe's own forward pass (eval mode, no gradients), so
training steps pay nothing for them.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from actlab.training.probes.histograms import TensorHistogram, tensor_histogram
from actlab.training.probes.unit_states import SiteRule, site_rule, unit_statistics
from actlab.training.result import ActivationRecord, ActivationSite, finite_or_none


def activation_sites(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's activation sites: its own list, else every catalog activation module."""
    own = getattr(model, "activation_sites", None)
    if callable(own):
        return list(own())
    from actlab.layers import Activation

    return [(name, m) for name, m in model.named_modules() if isinstance(m, Activation)]


class ActivationProbe:
    """Mean, std, dead and saturated units (and histograms) of each site's outputs."""

    def __init__(self, sites: Iterable[tuple[str, nn.Module]], bins: int = 30) -> None:
        self.sites = list(sites)
        self.rules: dict[str, SiteRule] = {name: site_rule(name, m) for name, m in self.sites}
        self.bins = bins

    @property
    def site_info(self) -> list[ActivationSite]:
        return [self.rules[name].info for name, _ in self.sites]

    @torch.no_grad()
    def run(self, model: nn.Module, batch: torch.Tensor, step: int, histograms: bool = False
            ) -> tuple[list[ActivationRecord], list[TensorHistogram]]:
        """One eval-mode forward pass of `batch` with hooks on every site."""
        captured: dict[str, list[torch.Tensor]] = {}
        outputs: dict[str, torch.Tensor] = {}

        def hook_for(name: str):
            def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
                key = name if name not in captured else f"{name}#{len(captured)}"
                y = output.detach()
                std, mean = torch.std_mean(y, correction=0)
                moments = torch.stack([mean, std]).double()
                units = unit_statistics(self.rules[name], module, inputs[0].detach())
                captured[key] = [moments, units]
                if histograms:
                    outputs[key] = y
            return hook

        handles = [module.register_forward_hook(hook_for(name)) for name, module in self.sites]
        was_training = model.training
        model.eval()
        try:
            model(batch)
        finally:
            model.train(was_training)
            for handle in handles:
                handle.remove()
        records = []
        if captured:
            table = torch.stack([torch.cat(v) for v in captured.values()]).tolist()
            for key, row in zip(captured, table, strict=True):
                mean, std, dead, saturated, saturated_units = (finite_or_none(v) for v in row)
                records.append(ActivationRecord(step, key, mean, std, dead, saturated,
                                                saturated_units))
        hists = [h for key, y in outputs.items()
                 if (h := tensor_histogram(f"activations/{key}", y, self.bins)) is not None]
        return records, hists
