"""Cache-blocked evaluation of elementwise formulas on large CPU tensors.

An eager formula of k torch ops streams the whole tensor through memory k times; on a
CPU that is memory-bound, so a 5-op formula runs at a fifth of copy bandwidth. Running
the same formula block by block, with blocks that stay in cache, reads the inputs from
memory once and writes the outputs once: the intermediate passes hit the cache.
The formula is the same blocked or not; only where vector loops hand their last few
elements to scalar code moves, which can change a result in its last bit.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

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


class _BlockPool:
    """Threads that run blocks with single-threaded torch ops, one share of blocks each.

    Each op on a block launched with intra-op parallelism would be an OpenMP parallel
    region, a barrier per op: hundreds per tensor, and on a busy machine every barrier
    waits for a descheduled thread. Instead each worker thread sets its own OpenMP thread
    count to 1 (a per-thread setting) and takes a contiguous share of the blocks: one
    synchronisation per call.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._size = 0
        self._pid = 0
        self._lock = threading.Lock()

    def executor(self, size: int) -> ThreadPoolExecutor:
        with self._lock:
            # A forked child inherits the executor but not its threads: start anew.
            if self._pool is None or self._size != size or self._pid != os.getpid():
                if self._pool is not None and self._pid == os.getpid():
                    self._pool.shutdown(wait=False)
                caller_threads = torch.get_num_threads()
                self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="actlab",
                                                initializer=_single_threaded)
                self._size = size
                self._pid = os.getpid()
                # Start every worker now. torch.set_num_threads(1) in a worker also sets the
                # default for threads created later, so the caller's count is set again.
                for f in [self._pool.submit(time.sleep, 0.01) for _ in range(size)]:
                    f.result()
                torch.set_num_threads(caller_threads)
            return self._pool


def _single_threaded() -> None:
    # ATen sets each thread's OpenMP count from the process default on the thread's first
    # op; that must happen before, or it would undo this thread's setting of 1.
    torch.get_num_threads()
    torch.set_num_threads(1)


_POOL = _BlockPool()


def _run_blocks(n: int, step: int, body: Callable[[int, int], None]) -> None:
    """body(start, stop) for every block of `step` in range(n), shared among the pool's
    threads, under the caller's grad and inference modes."""
    starts = list(range(0, n, step))
    grad_mode = torch.is_grad_enabled()
    inference = torch.is_inference_mode_enabled()

    def run(share: list[int]) -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad_mode):
            for start in share:
                body(start, min(start + step, n))

    threads = torch.get_num_threads()
    if threads <= 1 or len(starts) <= 1:
        run(starts)
        return
    size = -(-len(starts) // threads)
    shares = [starts[i:i + size] for i in range(0, len(starts), size)]
    pool = _POOL.executor(threads)
    futures = [pool.submit(run, share) for share in shares]
    for future in futures:
        future.result()


def map_blocks(fn: Callable[..., None], inputs: Sequence[Tensor],
               outputs: Sequence[Tensor | None]) -> None:
    """Call fn(*blocks of inputs, *blocks of outputs) for every block: fn writes its results
    into the output blocks (a None output stays None).

    Inputs and outputs are contiguous and of equal numel; an output may be one of the
    inputs (fn must then read the block before it writes it). Blocks run on
    `torch.get_num_threads()` threads, under the caller's grad and inference modes.
    """
    flat_in = [t.view(-1) for t in inputs]
    flat_out = [None if t is None else t.view(-1) for t in outputs]

    def body(start: int, stop: int) -> None:
        fn(*(t[start:stop] for t in flat_in),
           *(None if t is None else t[start:stop] for t in flat_out))

    _run_blocks(flat_in[0].numel(), BLOCK_ELEMENTS, body)


def evaluate_rows(fn: Callable[..., Tensor], *inputs: Tensor) -> Tensor:
    """fn(*inputs) for a function that works within each slice x[i] (softmax or GLU along a
    dimension other than 0), blocked by slices of dim 0 on large CPU tensors."""
    first = inputs[0]
    large = (first.device.type == "cpu" and first.dim() >= 2
             and first.numel() >= MIN_BLOCKED_ELEMENTS
             and all(t.is_contiguous() and t.shape[0] == first.shape[0] for t in inputs))
    if not large:
        return fn(*inputs)
    rows = first.shape[0]
    step = max(1, BLOCK_ELEMENTS // (first.numel() // rows))
    head = fn(*(t[:step] for t in inputs))  # its shape gives the output's
    out = torch.empty((rows, *head.shape[1:]), dtype=head.dtype, device=head.device)
    out[:step].copy_(head)

    def body(start: int, stop: int) -> None:
        out[step + start:step + stop].copy_(fn(*(t[step + start:step + stop] for t in inputs)))

    _run_blocks(rows - step, step, body)
    return out


def evaluate(fn: Callable[..., Tensor], *inputs: Tensor, dtype: torch.dtype | None = None
             ) -> Tensor:
    """fn(*inputs) for an elementwise fn, blocked when the inputs are large CPU tensors."""
    if not worth_blocking(*inputs):
        return fn(*inputs)
    out = torch.empty_like(inputs[0], dtype=dtype or inputs[0].dtype)

    def into(*blocks: Tensor) -> None:
        blocks[-1].copy_(fn(*blocks[:-1]))

    map_blocks(into, inputs, (out,))
    return out
