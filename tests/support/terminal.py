"""Start a command the way a shell in a terminal would, so that Ctrl-C (SIGINT) reaches it.

A test runner started in the background without job control (`pytest &` in a script,
`setsid nohup ... &`) ignores SIGINT, and an ignored signal stays ignored in every child
it starts: Python then installs no KeyboardInterrupt handler, and a test that sends
Ctrl-C would wait for nothing. Tests that send SIGINT start their command through
`interruptible`, which restores SIGINT's default before the command runs.
"""

from __future__ import annotations

import sys

_RESTORE_SIGINT_AND_EXEC = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                            "os.execv(sys.argv[1], sys.argv[1:])")


def interruptible(argv: list[str]) -> list[str]:
    """The command line that runs `argv` (its first item a program's path) with SIGINT at
    its default disposition."""
    return [sys.executable, "-c", _RESTORE_SIGINT_AND_EXEC, *argv]
