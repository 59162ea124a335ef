"""A machine-readable record of every metric of a trial: one JSON object per line.

Each line has a `type` (config, eval, step_loss, gradient, first_layer_gradient,
activation, activation_site, histogram, predictions, result) and the record's fields.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import IO, Any


class MetricsFile:
    """Appends records to `<dir>/metrics.jsonl`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = self.path.open("w", encoding="utf-8")

    def write(self, kind: str, record: Any) -> None:
        data = dataclasses.asdict(record) if dataclasses.is_dataclass(record) else dict(record)
        self._handle.write(json.dumps({"type": kind, **data}, allow_nan=False) + "\n")

    def close(self) -> None:
        self._handle.close()


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a metrics file, in order."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
