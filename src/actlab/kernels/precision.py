"""Half precision is computed in float32, as PyTorch's own kernels do."""

from __future__ import annotations

import torch

LOW_PRECISION = (torch.float16, torch.bfloat16)


def upcast(t: torch.Tensor) -> torch.Tensor:
    """`t` in float32 if it is float16 or bfloat16, else `t` itself."""
    return t.float() if t.dtype in LOW_PRECISION else t
