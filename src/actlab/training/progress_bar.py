"""A progress bar on stderr (rich), shown only on a terminal unless asked for or off."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class ProgressBar:
    """Steps done out of the total, with the latest loss; a no-op when disabled."""

    def __init__(self, total: int, description: str, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True)
            # The description holds user text (a formula): shown as written, not as markup.
            self._task = self._progress.add_task(escape(description), total=total, status="")
            self._progress.start()

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def status(self, text: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, status=text)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
