"""The device a trial runs on: CPU, or CUDA when asked for (or when `auto` finds one)."""

from __future__ import annotations

import torch

from actlab.errors import ActlabError


class DeviceUnavailableError(ActlabError):
    """A device that this machine does not have."""


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` is cuda when PyTorch sees a GPU, else cpu; `cuda`/`cuda:N` must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(f"device {name!r} was asked for but PyTorch sees no "
                                         f"CUDA GPU here; use --device cpu (or auto)")
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailableError(f"device {name!r} does not exist: this machine has "
                                         f"{torch.cuda.device_count()} CUDA GPU(s)")
        return device
    raise DeviceUnavailableError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")


def describe_device(device: torch.device) -> str:
    """A short description: `cpu (2 threads)` or the GPU's name."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"
