"""TensorBoard event files for a trial: scalars and histograms, through SummaryWriter."""

from __future__ import annotations

from pathlib import Path

from actlab.errors import ActlabError
from actlab.training.probes.histograms import TensorHistogram


class TensorBoardUnavailableError(ActlabError):
    """TensorBoard logging was asked for but the tensorboard package is missing."""


class TensorBoardLog:
    """Writes `tag -> value` scalars and raw histograms into one run directory."""

    def __init__(self, log_dir: str | Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise TensorBoardUnavailableError(
                "TensorBoard logs need the tensorboard package, which is not installed; "
                "install it with `pip install 'actlab[studies]'` or turn the probe off") from exc
        self.log_dir = Path(log_dir)
        self.writer = SummaryWriter(log_dir=str(self.log_dir))

    def scalars(self, step: int, values: dict[str, float | None]) -> None:
        for tag, value in values.items():
            if value is not None:
                self.writer.add_scalar(tag, value, global_step=step)

    def histogram(self, step: int, histogram: TensorHistogram) -> None:
        self.writer.add_histogram_raw(
            histogram.tag, min=histogram.minimum, max=histogram.maximum, num=histogram.num,
            sum=histogram.total, sum_squares=histogram.total_squares,
            bucket_limits=histogram.edges[1:], bucket_counts=histogram.counts,
            global_step=step)

    def text(self, tag: str, text: str) -> None:
        self.writer.add_text(tag, text, global_step=0)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()
