"""The final metrics a study compares activations by, and which direction is better."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A scalar every finished trial reports, with the direction in which it improves."""

    name: str
    title: str
    higher_is_better: bool

    def better(self, a: float, b: float) -> bool:
        """Whether value a is strictly better than value b."""
        return a > b if self.higher_is_better else a < b


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("test_accuracy", "test accuracy", True),
    Metric("test_loss", "test loss", False),
    Metric("train_accuracy", "final training accuracy", True),
    Metric("train_loss", "final training loss", False),
)}

DEFAULT_METRIC = "test_accuracy"
