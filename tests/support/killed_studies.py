"""Kill a running study's driver (and its workers) once its store holds some finished trials:
the set-up of every "killed, then resumed" test."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path


def finished_trials(store: Path) -> int:
    """Trials stored as finished; 0 before the store or its schema exists."""
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM trials WHERE status = 'finished'"
                              ).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def kill_once_finished(process: subprocess.Popen, store: Path, count: int,
                       timeout_s: float) -> None:
    """Wait until `count` trials are stored as finished, then SIGKILL the process's whole
    session (it was started with start_new_session=True): the driver and its workers at
    once. Fails with the process's output if it exits first, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    try:
        while finished_trials(store) < count:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, f"{count} trials did not finish in {timeout_s} s"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
