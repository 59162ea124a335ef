"""`actlab bench`: print the committed benchmark results (the machine they came from first).

The benchmarks themselves live in the checkout's ``benchmarks/`` folder (they are scripts,
not part of the installed package); their results are Markdown files in
``benchmarks/results``, each naming the machine, the date and the command that made it.
"""

from __future__ import annotations

from pathlib import Path

import click

import actlab
from actlab.errors import ActlabError, UnknownNameError

#: What `actlab bench` prints without a name: the per-call cost at every size.
DEFAULT_RESULTS = ("call_overhead-cpu", "call_overhead-cuda")


def results_dir(override: Path | None = None) -> Path:
    """benchmarks/results of the checkout this actlab was installed from (editable)."""
    if override is not None:
        path = override
    else:
        path = Path(actlab.__file__).resolve().parents[2] / "benchmarks" / "results"
    if not path.is_dir():
        raise ActlabError(f"no benchmark results at {path}: they are in a checkout of actlab "
                          f"(benchmarks/results); give --results DIR")
    return path


def available(folder: Path) -> list[str]:
    """The result names (file stems) in `folder`."""
    return sorted(p.stem for p in folder.glob("*.md"))


@click.command("bench")
@click.argument("names", nargs=-1)
@click.option("--list", "list_", is_flag=True, help="List the result files and exit.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path),
              help="The results folder (default: benchmarks/results of this checkout).")
def bench_command(names: tuple[str, ...], list_: bool, results: Path | None) -> None:
    """Print committed benchmark results (default: the per-call cost at every size).

    Run the benchmarks themselves with the scripts in benchmarks/ (see its README):
    python benchmarks/call_overhead.py, benchmarks/run.py, benchmarks/training_loops.py.
    """
    folder = results_dir(results)
    known = available(folder)
    if list_:
        for name in known:
            click.echo(name)
        return
    if not names:
        names = tuple(n for n in DEFAULT_RESULTS if n in known)
        if not names:
            raise ActlabError(f"no per-call results in {folder}; run "
                              f"python benchmarks/call_overhead.py")
    for name in names:
        stem = name.removesuffix(".md")
        if stem not in known:
            raise UnknownNameError(stem, known, what="benchmark result")
    for i, name in enumerate(names):
        if i:
            click.echo("")
        click.echo((folder / f"{name.removesuffix('.md')}.md").read_text().rstrip())


def register(group: click.Group) -> None:
    group.add_command(bench_command)
