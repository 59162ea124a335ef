"""`actlab compare` (run a study and write its report) and `actlab report` (write it again)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click

from actlab.studies import (
    DEFAULT_STUDY,
    StudySpecError,
    builtin_study,
    builtin_study_names,
    default_output_dir,
    load_study_spec,
    run_study,
)
from actlab.studies.spec import StudySpec
from actlab.training.config import DEVICES


def split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses: `leaky_relu(0.2),elu` → two names."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_seeds(text: str) -> list[int]:
    """`5` → seeds 0..4; `0,3,7` → those seeds; `10-19` → seeds 10 to 19."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        count = int(text)
        if count < 1:
            raise StudySpecError(f"--seeds {text}: a count of seeds must be >= 1")
        return list(range(count))
    span = re.fullmatch(r"(\d+)\s*-\s*(\d+)", text)
    if span:
        low, high = int(span[1]), int(span[2])
        if high < low:
            raise StudySpecError(f"--seeds {text}: the range ends before it starts")
        return list(range(low, high + 1))
    items = [item.strip() for item in text.split(",") if item.strip()]
    if items and all(re.fullmatch(r"\d+", item) for item in items):
        return [int(item) for item in items]
    raise StudySpecError(f"--seeds {text!r} is not a count (5), a list (0,3,7) or a range "
                         f"(10-19) of whole numbers")


def _chosen_spec(study: str | None, spec_file: Path | None) -> StudySpec:
    if study is not None and spec_file is not None:
        raise StudySpecError(f"give a built-in study ({study!r}) or --spec, not both")
    if spec_file is not None:
        return load_study_spec(spec_file)
    return builtin_study(study or DEFAULT_STUDY)


@click.command("compare")
@click.argument("study", required=False)
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A study spec (TOML) instead of a built-in study.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="The study folder (results store, logs, report); default: "
                   "./actlab-runs/<study name>.")
@click.option("--workers", "-w", type=int, help="Worker processes (default: one per core).")
@click.option("--seeds", help="A count (5: seeds 0-4), a list (0,3,7) or a range (10-19).")
@click.option("--activations", "-a", multiple=True,
              help="Activations to compare instead of the study's (comma-separated; "
                   "names, flavors or formulas; repeatable).")
@click.option("--epochs", type=int, help="Train each trial for this many epochs instead.")
@click.option("--steps", type=int, help="Train each trial for this many steps instead.")
@click.option("--device", type=click.Choice(DEVICES), help="Run the trials on this device.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where dataset files are (default: $ACTLAB_DATA_DIR).")
@click.option("--download/--no-download", default=None,
              help="Allow (or forbid) downloading missing dataset files.")
@click.option("--retry-failed/--keep-failed", default=True, show_default=True,
              help="Run failed trials again, or leave them failed.")
@click.option("--report/--no-report", "write_report", default=True, show_default=True,
              help="Write the report at the end.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no summary.")
@click.option("--list", "list_studies", is_flag=True, help="List the built-in studies.")
def compare_command(study: str | None, spec_file: Path | None, output: Path | None,
                    workers: int | None, seeds: str | None, activations: tuple[str, ...],
                    epochs: int | None, steps: int | None, device: str | None,
                    data_dir: Path | None, download: bool | None, retry_failed: bool,
                    write_report: bool, quiet: bool, list_studies: bool) -> None:
    """Compare activations: run a study (default: the quick one) and write its report.

    STUDY is a built-in study (see --list); trials already in the output folder are not
    run again, so an interrupted study resumes where it stopped.
    """
    if list_studies:
        for name in builtin_study_names():
            spec = builtin_study(name)
            click.echo(f"{name:18} {len(spec.activations)} activations x {len(spec.seeds)} "
                       f"seeds on {spec.dataset}/{spec.model}: {spec.question}")
        return
    spec = _chosen_spec(study, spec_file)
    chosen = [name for text in activations for name in split_top_level(text)]
    if activations and not chosen:
        raise StudySpecError("--activations names no activation")
    for value, option in ((epochs, "--epochs"), (steps, "--steps"), (workers, "--workers")):
        if value is not None and value < 1:
            raise StudySpecError(f"{option} must be >= 1, got {value}")
    training = {"device": device} if device else None
    if chosen or seeds or epochs or steps or training:
        spec = spec.with_overrides(activations=chosen or None,
                                   seeds=parse_seeds(seeds) if seeds else None,
                                   epochs=epochs, steps=steps, training=training)
    if data_dir is not None:
        if not data_dir.is_dir():
            raise StudySpecError(f"--data-dir {str(data_dir)!r} is not a folder")
        spec = dataclasses.replace(spec, data_dir=str(data_dir.resolve()))
    if download is not None:
        spec = dataclasses.replace(spec, download=download)
    folder = output or default_output_dir(spec)
    run = run_study(spec, folder, workers=workers, progress=False if quiet else None,
                    retry_failed=retry_failed)
    if not quiet:
        click.echo(run.summary())
    if write_report:
        from actlab.report.study_report import write_study_report

        report = write_study_report(folder)
        if not quiet:
            click.echo(report.headline)
            click.echo(f"report: {report.html}")


@click.command("report")
@click.argument("study_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Write the report here instead of into the study folder.")
def report_command(study_dir: Path, output: Path | None) -> None:
    """Write a study's report (HTML, Markdown, CSV) from its results store."""
    from actlab.report.study_report import write_study_report

    report = write_study_report(study_dir, output_dir=output)
    click.echo(report.headline)
    click.echo(f"report: {report.html}")


def register(group: click.Group) -> None:
    group.add_command(compare_command)
    group.add_command(report_command)
