"""What code computes each activation site of a model: the record a trial keeps."""

from __future__ import annotations

from torch import nn

from actlab.kernels.choice import Implementation
from actlab.training.probes.activation_probe import activation_sites
from actlab.training.result import KernelRecord


def kernel_records(model: nn.Module, compile_mode: str = "eager") -> list[KernelRecord]:
    """One record per activation site: the implementation its module chose when built,
    and how the model ran (`compile_mode`: "eager", or e.g. "torch.compile")."""
    records = []
    for site, module in activation_sites(model):
        implementation = getattr(module, "implementation", None)
        spec = getattr(module, "spec", None)
        activation = spec.name if spec is not None else type(module).__name__
        if isinstance(implementation, Implementation):
            ran = implementation.label
        else:
            ran = f"module {type(module).__name__}"
        records.append(KernelRecord(site, activation, ran, compile_mode))
    return records
