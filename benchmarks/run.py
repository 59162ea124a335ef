"""Benchmark every actlab activation: one command, one complete result file per device.

    python benchmarks/run.py            # full: 2^24 elements, both allocator modes,
                                        # CPU and (where there is one) GPU
    python benchmarks/run.py --quick    # a smoke run: 2^16 elements, 3 repetitions
    python benchmarks/run.py --only mish --only elu --allocator reused

Writes benchmarks/results/<device>-<full|quick>.json and .md (the machine, the settings,
the goals and one table per allocator mode). ``actlab bench`` prints the results.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from actlab.errors import ActlabError
from kernel_suite.cli import bench_command

RESULTS = Path(__file__).resolve().parent / "results"
PROG = "python benchmarks/run.py"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--output" not in args and not {"-h", "--help"} & set(args):
        args += ["--output", str(RESULTS)]
    try:
        bench_command.main(args, prog_name=PROG, standalone_mode=False)
    except ActlabError as err:
        click.echo(f"error: {err}", err=True)
        return 1
    except click.ClickException as err:
        err.show()
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
