"""A killed study leaves nothing running: workers die with their driver, however it ends.

The real thing: `actlab compare` in a subprocess, two spawned workers deep in trials that
would run for hours, then SIGKILL (or SIGTERM, or Ctrl-C) to the driver alone. Before,
SIGKILL left both workers alive, training and writing into the study folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from support.terminal import interruptible

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process-tree checks read Linux process tables")

SPEC = """
name = "kill-test"
dataset = "toy"
activations = ["relu", "tanh"]
seeds = 1
[model]
name = "mlp"
depth = 1
width = 8
[training]
steps = 100000000
"""
START_TIMEOUT_S = 300  # two spawned workers import torch on a machine that may be busy
DEATH_TIMEOUT_S = 20


def _start_study(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    spec = tmp_path / "kill.toml"
    spec.write_text(SPEC)
    folder = tmp_path / "study"
    driver = subprocess.Popen(
        interruptible([sys.executable, "-m", "actlab", "compare", "--spec", str(spec),
                       "--output", str(folder), "--workers", "2", "--quiet", "--no-report"]),
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return driver, folder


def _training_workers(driver: subprocess.Popen, folder: Path) -> list[psutil.Process]:
    """Wait until both workers are writing their trials; every process under the driver."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert driver.poll() is None, driver.communicate()
        trials = folder / "trials"
        writing = [d for d in trials.iterdir() if any(d.rglob("*.*"))] \
            if trials.is_dir() else []
        if len(writing) >= 2:
            return psutil.Process(driver.pid).children(recursive=True)
        time.sleep(0.2)
    raise AssertionError("the workers did not start training in time")


def _newest_write(folder: Path) -> float:
    return max((p.stat().st_mtime for p in (folder / "trials").rglob("*") if p.is_file()),
               default=0.0)


def _stop_everything(driver: subprocess.Popen, processes: list[psutil.Process]) -> None:
    for process in [*processes, psutil.Process(driver.pid) if driver.poll() is None
                    else None]:
        if process is not None:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
    driver.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(600, method="thread")
def test_sigkill_of_the_driver_stops_its_workers_before_they_write_again(tmp_path: Path):
    driver, folder = _start_study(tmp_path)
    processes = []
    try:
        processes = _training_workers(driver, folder)
        workers = [p for p in processes if "actlab" not in " ".join(p.cmdline())
                   or "multiprocessing" in " ".join(p.cmdline())]
        assert len(workers) >= 2
        killed_at = time.time()
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        gone, alive = psutil.wait_procs(processes, timeout=DEATH_TIMEOUT_S)
        assert alive == [], [" ".join(p.cmdline())[:120] for p in alive]
        # Orphans would go on training and writing logs; nothing is written after the kill
        # (the filesystem's timestamps have a few ms of slack).
        time.sleep(2)
        assert _newest_write(folder) < killed_at + 0.5
    finally:
        _stop_everything(driver, processes)


@pytest.mark.slow
@pytest.mark.timeout(600, method="thread")
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_sigterm_and_ctrl_c_stop_the_study_and_its_workers(how, tmp_path: Path):
    driver, folder = _start_study(tmp_path)
    processes = []
    try:
        processes = _training_workers(driver, folder)
        if how == "sigterm":
            os.kill(driver.pid, signal.SIGTERM)
        else:  # a terminal sends Ctrl-C to the whole foreground process group
            os.killpg(driver.pid, signal.SIGINT)
        _, stderr = driver.communicate(timeout=60)
        assert driver.returncode == 1
        # (TensorFlow, imported by the workers' TensorBoard logging, may log above it.)
        assert stderr.strip().splitlines()[-1] == "error: interrupted", stderr
        assert "Traceback" not in stderr
        gone, alive = psutil.wait_procs(processes, timeout=DEATH_TIMEOUT_S)
        assert alive == []
    finally:
        _stop_everything(driver, processes)


WATCHED_CHILD = textwrap.dedent("""
    import os, sys, time
    from actlab.studies import worker_lifetime
    if sys.argv[1] == "watchdog-only":  # as where prctl is missing
        worker_lifetime._set_parent_death_signal = lambda signum: False
    worker_lifetime.bind_to_parent(int(sys.argv[2]))
    print(os.getpid(), flush=True)
    time.sleep(600)
""")
MIDDLE = textwrap.dedent("""
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], str(os.getpid())],
                             stdout=subprocess.PIPE, text=True)
    print(child.stdout.readline().strip(), flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("mode", ["prctl", "watchdog-only"])
def test_a_bound_process_dies_with_its_parent(mode):
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, WATCHED_CHILD, mode],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        child = psutil.Process(int(middle.stdout.readline()))
        assert child.is_running()
        middle.kill()
        middle.wait()
        child.wait(timeout=DEATH_TIMEOUT_S)  # psutil.TimeoutExpired if it outlived its parent
    finally:
        try:
            os.killpg(middle.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_process_whose_parent_is_already_gone_dies_at_once():
    script = ("import os, sys; from actlab.studies import worker_lifetime; "
              "worker_lifetime.bind_to_parent(os.getppid() + 10**6); print('survived')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == -signal.SIGKILL and "survived" not in done.stdout
