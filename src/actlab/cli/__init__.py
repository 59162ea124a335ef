"""The `actlab` command: parses options, calls the Python API, prints the result.

Each command group lives in its own module and is listed in COMMAND_MODULES. Errors a
user can cause print one line and exit with status 1 (2 for usage errors), never a
traceback.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from actlab.errors import ActlabError

COMMAND_MODULES = (
    "actlab.cli.catalog_commands",
    "actlab.cli.train_commands",
    "actlab.cli.plot_commands",
    "actlab.cli.study_commands",
    "actlab.cli.theory_commands",
    "actlab.cli.bench_commands",
    "actlab.cli.playground_commands",
)


#: Set to 1 to see the traceback of an unexpected error (a bug in actlab).
DEBUG_VARIABLE = "ACTLAB_DEBUG"
MAX_MESSAGE = 2000


class ActlabGroup(click.Group):
    """A click group that turns user errors into one line on stderr."""

    def invoke(self, ctx: click.Context):
        try:
            with stop_on_sigterm():
                return super().invoke(ctx)
        except ActlabError as err:
            _fail(str(err))
        except OSError as err:  # a missing folder, a full disk, a name too long, a closed pipe
            _fail(f"{err.strerror or err}: {err.filename}" if err.filename else
                  str(err.strerror or err))
        except KeyboardInterrupt:
            _fail("interrupted")
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except MemoryError:
            _fail("out of memory; ask for less (fewer trials, a smaller model or dataset)")
        except RecursionError:
            _fail("the input is nested too deeply")
        except Exception as err:  # a bug: say so in one line; ACTLAB_DEBUG shows where
            if os.environ.get(DEBUG_VARIABLE):
                raise
            _fail(f"internal error ({type(err).__name__}: {err}); this is a bug in actlab, "
                  f"please report it (set {DEBUG_VARIABLE}=1 to see the traceback)")


def _fail(message: str) -> None:
    # One line, whatever the message holds: user text may carry newlines.
    line = " ".join(message.split())
    if len(line) > MAX_MESSAGE:
        line = line[:MAX_MESSAGE - 3] + "..."
    click.echo(f"error: {line}", err=True)
    sys.exit(1)


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the command as Ctrl-C does: workers are stopped, nothing half-written."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group(cls=ActlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="actlab")
def main() -> None:
    """actlab: an activation-function laboratory for PyTorch."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(main)
