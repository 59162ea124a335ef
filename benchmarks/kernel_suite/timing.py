"""Timing: medians of repeated runs after warm-up, implementations interleaved.

Implementations of one case run in turns (A B C, A B C, ...), so that a change in the
machine's load during the measurement hits all of them alike; each result keeps its
quartiles, and `noise` = (q3 − q1)/median says how much to trust a ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import torch


@dataclass(frozen=True)
class Timing:
    """Seconds per call: median and quartiles over `runs` timed calls."""

    median: float
    q1: float
    q3: float
    runs: int

    @property
    def noise(self) -> float:
        return (self.q3 - self.q1) / self.median if self.median > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "noise": self.noise}


def summarise(seconds: list[float]) -> Timing:
    if len(seconds) == 1:
        return Timing(seconds[0], seconds[0], seconds[0], 1)
    q1, median, q3 = statistics.quantiles(seconds, n=4, method="inclusive")
    return Timing(median, q1, q3, len(seconds))


def synchronizer(device: torch.device) -> Callable[[], None]:
    """A function that waits for the device's queued work (nothing to wait for on a CPU)."""
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def time_interleaved(calls: Mapping[str, Callable[[], object]], *, repeats: int, warmup: int,
                     device: torch.device) -> dict[str, Timing]:
    """Median seconds per call of each function, run in turns after `warmup` calls each."""
    sync = synchronizer(device)
    for fn in calls.values():
        for _ in range(warmup):
            fn()
        sync()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            samples[name].append(time.perf_counter() - start)
    return {name: summarise(values) for name, values in samples.items()}
