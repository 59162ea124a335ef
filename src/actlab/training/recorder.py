"""Collects a trial's records and writes each to the metrics file and TensorBoard as it comes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from actlab.training.metrics_file import MetricsFile
from actlab.training.probes.histograms import TensorHistogram
from actlab.training.result import (
    ActivationRecord,
    ActivationSite,
    EvalRecord,
    GradientRecord,
    HistogramRecord,
    PredictionSnapshot,
    QuantileRecord,
)
from actlab.training.tensorboard_log import TensorBoardLog

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"
RESULT_FILE = "result.json"


class TrialRecorder:
    """In-memory lists of every record, mirrored to `<output_dir>` when there is one."""

    def __init__(self, output_dir: str | Path | None, tensorboard: bool,
                 metrics_file: bool = True) -> None:
        self.output_dir = Path(output_dir) if output_dir is not None else None
        self.metrics: MetricsFile | None = None
        self.tensorboard: TensorBoardLog | None = None
        if self.output_dir is not None:
            if metrics_file:
                self.metrics = MetricsFile(self.output_dir / METRICS_FILE)
            if tensorboard:
                self.tensorboard = TensorBoardLog(self.output_dir / TENSORBOARD_DIR)
        self.history: list[EvalRecord] = []
        self.step_losses: list[float | None] = []
        self.gradients: list[GradientRecord] = []
        self.first_layer: list[QuantileRecord] = []
        self.activations: list[ActivationRecord] = []
        self.sites: list[ActivationSite] = []
        self.histograms: list[HistogramRecord] = []

    def config(self, config: dict[str, Any], settings: dict[str, Any]) -> None:
        if self.metrics:
            self.metrics.write("config", {"config": config, "settings": settings})
        if self.tensorboard:
            self.tensorboard.text("config", "```\n" + json.dumps(
                {"config": config, "settings": settings}, indent=1) + "\n```")

    def step_loss(self, first_step: int, losses: list[float | None]) -> None:
        self.step_losses.extend(losses)
        if self.metrics:
            for offset, loss in enumerate(losses):
                self.metrics.write("step_loss", {"step": first_step + offset, "loss": loss})

    def evaluation(self, record: EvalRecord) -> None:
        self.history.append(record)
        if self.metrics:
            self.metrics.write("eval", record)
        if self.tensorboard:
            self.tensorboard.scalars(record.step, {
                "train/loss": record.train_loss, "train/accuracy": record.train_accuracy,
                "test/loss": record.test_loss, "test/accuracy": record.test_accuracy,
                "train/regularization_loss": record.regularization_loss,
                "train/total_loss": (None if record.train_loss is None else
                                     record.train_loss + record.regularization_loss),
                "train/lr": record.lr})

    def gradient(self, records: list[GradientRecord], quantiles: list[QuantileRecord],
                 batch_loss: float | None) -> None:
        self.gradients.extend(records)
        self.first_layer.extend(quantiles)
        if self.metrics:
            for record in records:
                self.metrics.write("gradient", record)
            for quantile in quantiles:
                self.metrics.write("first_layer_gradient", quantile)
        if self.tensorboard and records:
            scalars: dict[str, float | None] = {"train/batch_loss": batch_loss}
            for r in records:
                scalars.update({f"gradients/{r.parameter}/norm": r.norm,
                                f"gradients/{r.parameter}/mean": r.mean,
                                f"gradients/{r.parameter}/std": r.std})
            self.tensorboard.scalars(records[0].step, scalars)

    def activation_sites(self, sites: list[ActivationSite]) -> None:
        self.sites = list(sites)
        if self.metrics:
            for site in sites:
                self.metrics.write("activation_site", site)

    def activation(self, records: list[ActivationRecord]) -> None:
        self.activations.extend(records)
        if self.metrics:
            for record in records:
                self.metrics.write("activation", record)
        if self.tensorboard:
            for r in records:
                self.tensorboard.scalars(r.step, {
                    f"activations/{r.site}/mean": r.mean, f"activations/{r.site}/std": r.std,
                    f"activations/{r.site}/dead_fraction": r.dead_fraction,
                    f"activations/{r.site}/saturated_fraction": r.saturated_fraction})

    def histogram(self, step: int, histograms: list[TensorHistogram]) -> None:
        for h in histograms:
            record = HistogramRecord(step, h.tag, h.edges, h.counts)
            self.histograms.append(record)
            if self.metrics:
                self.metrics.write("histogram", record)
            if self.tensorboard:
                self.tensorboard.histogram(step, h)

    def predictions(self, when: str, snapshot: PredictionSnapshot) -> None:
        if self.metrics:
            self.metrics.write("predictions", {"when": when, **snapshot.__dict__})

    def result(self, data: dict[str, Any]) -> None:
        if self.metrics:
            self.metrics.write("result", {"final": data["final"], "diverged": data["diverged"],
                                          "diverged_step": data["diverged_step"],
                                          "wall_time_s": data["wall_time_s"]})

    def close(self) -> None:
        if self.metrics:
            self.metrics.close()
        if self.tensorboard:
            self.tensorboard.close()
