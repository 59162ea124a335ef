"""Worker processes die with the process that started them, however it ends.

A study's driver stops its workers itself on Ctrl-C and SIGTERM (the executor's
shutdown). On SIGKILL, or a crash, it cannot: left alone, each worker would finish its
trial (minutes, hundreds of MB) and write into the study folder after the driver is gone,
racing a resumed run. So each worker, first thing, binds its life to the driver's:

- on Linux, `prctl(PR_SET_PDEATHSIG, SIGKILL)`: the kernel kills the worker the moment
  its parent dies, before it can write another byte;
- everywhere, a watchdog thread that checks a few times a second whether the worker has
  been orphaned (its parent pid changed) and then kills it: the fallback where prctl is
  missing, and the check for a parent that died before prctl took effect.

The local executor's worker initializer calls `bind_to_parent(driver_pid)` with the pid
the driver passed it; a distributed executor supervises its workers its own way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

#: From <linux/prctl.h>.
PR_SET_PDEATHSIG = 1
#: How often the watchdog looks at the parent (seconds).
WATCH_INTERVAL_S = 0.2


def bind_to_parent(parent_pid: int) -> bool:
    """Make this process die when `parent_pid` does; True if the kernel enforces it.

    Kills this process at once if `parent_pid` is already gone.
    """
    enforced = _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl: no signal will come
        _die()
    watchdog = threading.Thread(target=_watch, args=(parent_pid,), name="actlab-parent-watch",
                                daemon=True)
    watchdog.start()
    return enforced


def orphaned(parent_pid: int) -> bool:
    """Whether this process has lost the parent that started it."""
    return os.getppid() != parent_pid


def _set_parent_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc (a static or unusual build): the watchdog
        return False


def _watch(parent_pid: int) -> None:
    event = threading.Event()
    while not event.wait(WATCH_INTERVAL_S):
        if orphaned(parent_pid):
            _die()


def _die() -> None:
    # SIGKILL, not an exception: no cleanup handler may write into the study folder.
    os.kill(os.getpid(), signal.SIGKILL)
