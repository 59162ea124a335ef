"""A time limit on SymPy's work for one formula, so that no formula can hang a command.

Parsing is bounded by the formula's size, constants by a float's range and kinks are
searched numerically; what is left is SymPy's own differentiation and simplification,
whose cost can still grow steeply with nesting (a sine nested 90 times takes minutes to
differentiate twice). SymPy cannot be cancelled from outside, so the limit is a timer
signal (SIGALRM) that interrupts it where it stands. It applies in the main thread of a
process where no other interval timer is running (signals reach only the main thread,
and a timer the program set for itself is left alone); elsewhere the formula's size
bounds remain the only limit.

    ACTLAB_FORMULA_SECONDS=30 actlab show "..."     # the default is 10 s
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from actlab.errors import ExpressionError

VARIABLE = "ACTLAB_FORMULA_SECONDS"
DEFAULT_SECONDS = 10.0


class _OutOfTime(BaseException):
    # A BaseException: SymPy's own `except Exception` blocks must not swallow it.
    pass


def seconds() -> float:
    """The time limit in force: $ACTLAB_FORMULA_SECONDS, else the default."""
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return DEFAULT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise ExpressionError(f"{VARIABLE} must be a number of seconds > 0, got {text[:40]!r}")
    return value


def _can_time() -> bool:
    return (hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


@contextmanager
def time_budget(what: str) -> Iterator[None]:
    """Raise ExpressionError if the block runs longer than `seconds()` (where it can tell)."""
    if not _can_time():
        yield
        return
    limit = seconds()

    def out_of_time(signum: int, frame: object) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, out_of_time)
    try:
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OutOfTime:
        raise ExpressionError(f"{what} takes longer than {limit:g} s to analyse (derivatives "
                              f"and properties); simplify it, or set {VARIABLE} to allow "
                              f"more time") from None
    finally:
        signal.signal(signal.SIGALRM, previous)
