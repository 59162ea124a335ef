"""Cache-blocked evaluation of elementwise formulas on large CPU tensors.

An eager formula of k torch ops streams the whole tensor through memory k times; on a
CPU that is memory-bound, so a 5-op formula runs at a fifth of copy bandwidth. Running
the same formula block by block, with blocks that stay in cache, reads the inputs from
memory once and writes the outputs once: the intermediate passes hit the cache.
Elementwise formulas give exactly the same numbers blocked or not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Tensor = torch.Tensor

#: Elements per block: 1 MiB of float32. Several intermediates of this size stay in the
#: L2/L3 caches, and a block is large enough that the few microseconds of each op
#: launch stay small next to its work.
BLOCK_ELEMENTS = 1 << 18

#: Below this many elements a tensor (4 MiB of float32) fits in the cache hierarchy
#: already; blocking would only add op launches.
MIN_BLOCKED_ELEMENTS = 1 << 20


def worth_blocking(*tensors: Tensor) -> bool:
    """True when every tensor is a large, contiguous CPU tensor of the same size."""
    first = tensors[0]
    return (first.device.type == "cpu" and first.numel() >= MIN_BLOCKED_ELEMENTS
            and all(t.is_contiguous() and t.numel() == first.numel() for t in tensors))


def map_blocks(fn: Callable[..., Tensor | tuple[Tensor | None, ...]],
               inputs: Sequence[Tensor], outputs: Sequence[Tensor | None]) -> None:
    """Write fn(*blocks of inputs) into the matching blocks of outputs.

    `fn` returns one tensor, or a tuple with one entry per output (None entries and
    None outputs are skipped). Inputs and outputs are contiguous and of equal numel;
    an output may be one of the inputs (the block is read before it is written).
    """
    flat_in = [t.view(-1) for t in inputs]
    flat_out = [None if t is None else t.view(-1) for t in outputs]
    n = flat_in[0].numel()
    for start in range(0, n, BLOCK_ELEMENTS):
        stop = min(start + BLOCK_ELEMENTS, n)
        result = fn(*(t[start:stop] for t in flat_in))
        if not isinstance(result, tuple):
            result = (result,)
        for out, value in zip(flat_out, result):
            if out is not None and value is not None:
                out[start:stop].copy_(value)


def evaluate(fn: Callable[..., Tensor], *inputs: Tensor, dtype: torch.dtype | None = None
             ) -> Tensor:
    """fn(*inputs) for an elementwise fn, blocked when the inputs are large CPU tensors."""
    if not worth_blocking(*inputs):
        return fn(*inputs)
    out = torch.empty_like(inputs[0], dtype=dtype or inputs[0].dtype)
    map_blocks(fn, inputs, (out,))
    return out
