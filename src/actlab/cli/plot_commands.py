"""`actlab plot`, `actlab transform` and `actlab gallery`: activations as pictures."""

from __future__ import annotations

import time
from pathlib import Path

import click

# Light modules only: the drawing ones (matplotlib) are imported when a command runs.
from actlab.report.figure_files import FORMATS, check_writable, default_file_name, figure_format
from actlab.report.plot_options import parse_numbers

_OUTPUT_HELP = (f"File to write; the format follows the extension ({', '.join(FORMATS)}). "
                f"Default: a name made from the functions, in the current folder.")


def _target(output: str | None, prefix: str, words: list[str]) -> Path:
    """The output file, checked before any drawing so that errors come at once."""
    path = Path(output) if output else Path(default_file_name(prefix, words))
    figure_format(path)
    return check_writable(path)


@click.command("plot")
@click.argument("names", nargs=-1, required=True)
@click.option("--derivatives", is_flag=True, help="Add panels with f′ and f″.")
@click.option("--range", "x_range", nargs=2, type=float, default=(-5.0, 5.0),
              show_default=True, metavar="A B", help="The x range (A < B).")
@click.option("--points", type=int, default=1001, show_default=True,
              help="Samples of the x range.")
@click.option("--inputs", help="Vector and gated functions: the input vector, "
                               "e.g. '1,2,3,4' (default: seed 004's softmax example).")
@click.option("--output", "-o", help=_OUTPUT_HELP)
def plot_command(names: tuple[str, ...], derivatives: bool, x_range: tuple[float, float],
                 points: int, inputs: str | None, output: str | None) -> None:
    """Plot activations (and their derivatives): names, spellings or formulas.

    \b
    Examples:
      actlab plot relu "leaky_relu(0.5)" "x*sigmoid(1.702*x)" --derivatives
      actlab plot keras:leaky_relu leaky_relu:negative_slope=0.5 --range -3 3
      actlab plot softmax            (vector functions: input and output bars)
    """
    from actlab.report import plot, save_figure

    path = _target(output, "", [*names, *(["derivatives"] if derivatives else [])])
    vector = parse_numbers(inputs) if inputs is not None else None
    figure = plot(list(names), x_range=x_range, points=points, derivatives=derivatives,
                  inputs=vector)
    click.echo(str(save_figure(figure, path)))


@click.command("transform")
@click.argument("names", nargs=-1)
@click.option("--inputs", help="The x values, e.g. '-2,-1,0,1,2' "
                               "(default: seed 001's -3, -2.5, ..., 3).")
@click.option("--output", "-o", help=_OUTPUT_HELP)
def transform_command(names: tuple[str, ...], inputs: str | None, output: str | None) -> None:
    """Seed 001's view: the points of y = x and what each activation makes of them.

    Without names: tanh sigmoid relu leaky_relu(0.5) softmax x**2, as in seed 001.
    Softmax (and other vector functions) are applied to the whole input vector.
    """
    from actlab.report import SEED_001_ACTIVATIONS, plot_transformation, save_figure

    chosen = names or SEED_001_ACTIVATIONS
    path = _target(output, "transform", list(chosen))
    vector = parse_numbers(inputs) if inputs is not None else None
    figure = plot_transformation(list(chosen), inputs=vector)
    click.echo(str(save_figure(figure, path)))


@click.command("gallery")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that draw (default: up to 4, one per core).")
def gallery_command(outdir: str, workers: int | None) -> None:
    """Write OUTDIR/index.html (every function, self-contained) and OUTDIR/grid.png."""
    from actlab.report import build_gallery

    start = time.perf_counter()
    result = build_gallery(outdir, workers=workers)
    seconds = time.perf_counter() - start
    size = result.index.stat().st_size / 1e6
    for name, problem in result.problems:
        click.echo(f"warning: {name}: no plot ({problem})", err=True)
    click.echo(f"{result.index}  ({result.functions} functions, {size:.1f} MB, "
               f"{seconds:.1f} s)")
    click.echo(str(result.grid))


def register(group: click.Group) -> None:
    group.add_command(plot_command)
    group.add_command(transform_command)
    group.add_command(gallery_command)
