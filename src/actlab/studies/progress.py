"""A live display of a study's trials: done, running, left, failed and diverged.

Drawn with rich on stderr when it is a terminal; silent otherwise or when asked to be.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class StudyProgress:
    """Counts trials as they start and end, and shows the counts while the study runs."""

    def __init__(self, study: str, total: int, *, already_done: int = 0,
                 enabled: bool | None = None, console: Console | None = None) -> None:
        self.study = study
        self.total = total
        self.done = already_done
        self.running = 0
        self.failed = 0
        self.diverged = 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        self._task = None
        self._console = console or Console(stderr=True)

    @property
    def left(self) -> int:
        """Trials neither finished nor running."""
        return self.total - self.done - self.running

    def __enter__(self) -> StudyProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=self._console, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(escape(self.study), total=self.total,
                                                 completed=self.done, counts=self._counts())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._refresh()
            self._progress.stop()
            self._progress = None

    def _counts(self) -> str:
        text = f"{self.running} running, {self.left} left"
        if self.failed:
            text += f", {self.failed} failed"
        if self.diverged:
            text += f", {self.diverged} diverged"
        return text

    def _refresh(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.done, counts=self._counts())

    def started(self) -> None:
        """A trial was handed to a worker."""
        self.running += 1
        self._refresh()

    def finished(self, *, failed: bool = False, diverged: bool = False) -> None:
        """A trial ended (finished, diverged or failed)."""
        self.running -= 1
        self.done += 1
        self.failed += int(failed)
        self.diverged += int(diverged)
        self._refresh()
