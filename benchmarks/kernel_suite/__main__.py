"""Subprocess entry points of the benchmark runner (users run `actlab bench`).

``measure``: run the suite in this process and write its JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _measure(args: argparse.Namespace) -> None:
    from kernel_suite.cases import catalog_cases
    from kernel_suite.suite import SuiteSettings, run_suite

    raw = json.loads(args.settings)
    raw["only"] = tuple(raw.get("only") or ())
    settings = SuiteSettings(**raw)
    cases = catalog_cases(settings.numel, settings.only or None)
    if args.labels:
        wanted = json.loads(args.labels)
        cases = [c for c in cases if c.label in wanted]
    results = run_suite(settings, cases, progress=lambda line: print(line, file=sys.stderr,
                                                                      flush=True))
    Path(args.out).write_text(json.dumps(results))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kernel_suite")
    sub = parser.add_subparsers(dest="command", required=True)
    measure = sub.add_parser("measure")
    measure.add_argument("--settings", required=True)
    measure.add_argument("--labels", help="JSON list: only the cases with these labels")
    measure.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    _measure(args)


if __name__ == "__main__":
    main()
