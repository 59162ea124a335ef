"""Bytes that autograd keeps for backward, measured with saved_tensors_hooks."""

from __future__ import annotations

from collections.abc import Callable

import torch


def saved_bytes(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> int:
    """Bytes of the distinct tensors that autograd saves while `fn(x)` runs.

    Tensors saved twice (the same storage) count once; the input counts when it is saved,
    since keeping it alive for backward is memory too.
    """
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = (t.untyped_storage().data_ptr(), t.storage_offset())
        seen[key] = max(seen.get(key, 0), t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(seen.values())
