"""The live progress display: counts of done, running, left, failed and diverged trials."""

from __future__ import annotations

import io

from rich.console import Console

from actlab.studies.progress import StudyProgress


def test_counts_follow_trials_and_show_on_a_terminal():
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=160)
    with StudyProgress("demo", 5, already_done=1, enabled=True, console=console) as progress:
        progress.started()
        progress.started()
        assert (progress.done, progress.running, progress.left) == (1, 2, 2)
        progress.finished(failed=True)
        progress.finished(diverged=True)
        assert (progress.done, progress.running, progress.left) == (3, 0, 2)
    text = output.getvalue()
    assert "demo" in text and "3/5" in text
    assert "0 running, 2 left, 1 failed, 1 diverged" in text


def test_quiet_display_writes_nothing(monkeypatch):
    output = io.StringIO()
    console = Console(file=output, force_terminal=True)
    with StudyProgress("demo", 2, enabled=False, console=console) as progress:
        progress.started()
        progress.finished()
    assert output.getvalue() == ""
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal: quiet by default
    assert StudyProgress("demo", 1, console=Console(file=io.StringIO())).enabled is False
