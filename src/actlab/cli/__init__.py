"""The `actlab` command: parses options, calls the Python API, prints the result.

Each command group lives in its own module and is listed in COMMAND_MODULES. Errors a
user can cause print one line and exit with status 1 (2 for usage errors), never a
traceback.
"""

from __future__ import annotations

import importlib
import sys

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


class ActlabGroup(click.Group):
    """A click group that turns user errors into one line on stderr."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ActlabError as err:
            _fail(str(err))
        except (FileNotFoundError, PermissionError, IsADirectoryError,
                NotADirectoryError) as err:
            _fail(f"{err.strerror or err}: {err.filename}" if err.filename else str(err))
        except KeyboardInterrupt:
            _fail("interrupted")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group(cls=ActlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="actlab")
def main() -> None:
    """actlab: an activation-function laboratory for PyTorch."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(main)
