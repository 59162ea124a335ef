"""A battery of hostile input, by class: every answer one clear line, no traceback, no hang.

    python benchmarks/hostile_inputs.py                  # every class, about 10 minutes
    python benchmarks/hostile_inputs.py --classes kill   # one class (see --list)
    python benchmarks/hostile_inputs.py --hang-s 30 --json results/hostile.json

Each input goes through the `actlab` command (in this process, with click's runner) or
the Python API, and its answer is sorted into one bucket:

- ``clear``: refused with one line (`error: ...`, or click's own usage error), or by an
  ActlabError from the API;
- ``accepted``: ran and succeeded, for an input that is valid (the identity formula);
- ``wrongly accepted``: ran and succeeded although it should have been refused;
- ``internal``: the command's last-resort line for an unexpected exception (a bug);
- ``unclear``: refused, but not in one line;
- ``traceback``: an exception escaped (or the output holds a Python traceback);
- ``hang``: still running after --hang-s seconds (then interrupted).

The `kill` class starts real `actlab compare` drivers with two spawned workers, stops each
driver (SIGKILL, SIGTERM, Ctrl-C) and counts the processes still alive after 20 s.
Nothing here asserts: it prints the counts per class (and writes them as JSON).
"""

from __future__ import annotations

import _thread
import argparse
import contextlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HUGE = "9" * 400
LONG = 100_000


@dataclass(frozen=True)
class Case:
    """One input: CLI arguments (a list) or a Python callable; what a good answer is."""

    label: str
    run: list[str] | Callable[[], object]
    expect: str = "error"  # "error": must be refused; "ok": must succeed; "any"


def cli(*args: str, expect: str = "error") -> Case:
    shown = " ".join(a if len(a) <= 40 else a[:37] + "..." for a in args).replace("\n", "⏎")
    return Case(f"actlab {shown}", list(args), expect)


def api(label: str, fn: Callable[[], object], expect: str = "error") -> Case:
    return Case(label, fn, expect)


# -- the classes ------------------------------------------------------------------------------
def overflow_cases() -> list[Case]:
    import actlab

    texts = [f"x*{HUGE}", f"x + {HUGE}.5", "x*1e400", f"-{HUGE}*x", f"leaky_relu({HUGE})",
             f"leaky_relu(-{HUGE})", f"elu(alpha={HUGE})", f"celu({HUGE}.0)",
             f"softmax(dim={HUGE})", f"leaky_relu:negative_slope={HUGE}",
             f"keras:leaky_relu:negative_slope={HUGE}", f"elu:alpha=-{HUGE}",
             f"a*x; a={HUGE}", f"a*x; a=-{HUGE}", f"a*x + b; a=1, b={HUGE}",
             "a*x; a=1e999", f"hardtanh(min_val=-{HUGE}, max_val={HUGE})",
             f"threshold({HUGE}, 1)", f"x**{HUGE}", f"exp(x)*{HUGE}"]
    cases = [cli("show", t) for t in texts]
    cases += [api(f"resolve({t[:30]}...).bind()", lambda t=t: actlab.resolve(t).bind())
              for t in texts]
    cases += [api("expression('a*x', a=10**400)", lambda: actlab.expression("a*x", a=10**400)),
              api("get('elu', alpha=10**400)", lambda: actlab.get("elu", alpha=10**400)),
              cli("plot", "relu", "--range", "0", HUGE),
              cli("transform", "relu", "--inputs", f"1,{HUGE}"),
              cli("theory", "relu", "--sigma-w2", HUGE),
              cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
                  "--steps", "1", "--lr", HUGE)]
    return cases


def malformed_cases() -> list[Case]:
    texts = ["leaky_relu(1), (2)", "leaky_relu(1)(2)", "leaky_relu((1)", "leaky_relu(1))",
             "leaky_relu(*[1])", "leaky_relu(**{'negative_slope': 1})",
             "leaky_relu(negative_slope=1, negative_slope=2)", "leaky_relu(1, 2, 3)",
             "leaky_relu(lambda: 1)", "leaky_relu(__import__('os'))", "leaky_relu:**{'a':1}",
             "leaky_relu:=1", "leaky_relu:negative_slope", "keras:keras:elu", "torch:",
             ":relu", "a*x; **{'a': 1}", "a*x; a=1), (b=2", "a*x; a=1, a=2", "a*x; 2",
             "a*x; a=[1, 2]", "a*x; a='1'", "a*x; a=None", "a*x;;", "x; ", "x +", "(x",
             "x[0]", "x.real", "lambda x: x", "f'{x}'", "[x for x in y]", "x if x else 0",
             "(y := x)", "__import__('os').system('true')", "open('/etc/passwd')",
             "exp(x, 2)", "where(x, 1, 0)", "where(x > 0)", "max(x)", "clip(x, 1)",
             "sigmoid(x=1)", "x ** x ** x ** x ** x", "1/0*x", "0**-1+x", "x/(x-x)",
             "\x00relu", "ｒｅｌｕ", "relu(", ")", "()", "", " ", "#", "\\",
             "'relu'", "b'x'", "1j*x", "x+1j", "True*x", "None"]
    return [cli("show", t) for t in texts] + [cli("show", "relu\n", expect="any")]


def long_text_cases() -> list[Case]:
    return [
        cli("show", "a*x; a=1" + ", b=1" * (LONG // 5)),
        cli("show", "leaky_relu(" + "1," * (LONG // 2) + ")"),
        cli("show", "leaky_relu:negative_slope=" + "1" * LONG),
        cli("show", "x" + "+x" * (LONG // 2)),
        cli("show", "(" * LONG + "x" + ")" * LONG),
        cli("show", "r" * LONG),
        cli("show", "keras:" + "e" * LONG),
        cli("plot", "x" * LONG),
        cli("theory", "elu(" + "1" * LONG + ")"),
        cli("compare", "--activations", ",".join(["relu"] * (LONG // 5))),
        cli("compare", "--seeds", ",".join(["1"] * (LONG // 2))),
        cli("compare", "--seeds", "1" * LONG),
        cli("transform", "--inputs", "1," * (LONG // 2)),
        cli("train", "--dataset", "d" * LONG, "--model", "mlp", "--activation", "relu",
            "--steps", "1"),
        cli("train", "--dataset", "toy", "--model", "m" * LONG, "--activation", "relu",
            "--steps", "1"),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "1", "--param", "k" * LONG + "=1"),
        cli("compare", "--spec", "SPEC:name = \"" + "n" * LONG + "\""),
        cli("compare", "--spec", "SPEC:" + _spec(activations='["' + "r" * LONG + '"]')),
        cli("compare", "--spec", "SPEC:" + _spec(extra="[model]\nname = \"" + "m" * LONG
                                                     + "\"\n").replace('model = "mlp"\n', "")),
        cli("compare", "--spec", "SPEC:" + _spec(activations='[{name = "relu", label = "'
                                                             + "l" * LONG + '"}]')),
    ]


def markup_cases() -> list[Case]:
    marks = ["x+1 # [/bold]", "x # [red]", "x # [/]", "x # [link=file:///etc/passwd]y[/link]",
             "x # [bold", "x # ]]][[[", "x # [b][/i]"]
    cases = [cli("show", m, expect="ok") for m in marks]
    cases += [cli("plot", m, "-o", "OUT/plot.png", expect="ok") for m in marks[:2]]
    cases += [cli("theory", "x*sigmoid(x) # [/bold]", expect="ok"),
              cli("propagate", "relu", "--depth", "2", "--width", "8", "--output",
                  "OUT/[/bold]", expect="any"),
              cli("show", "[/bold]"), cli("list", "--family", "[/bold]"),
              cli("compare", "--spec", "SPEC:" + _spec(activations='[{name = "relu", '
                                                               'label = "[/bold]"}]'),
                  "--steps", "1", "--seeds", "1", expect="ok")]
    return cases


def size_cases() -> list[Case]:
    from actlab.studies.spec import study_spec_from_toml

    grid = ("[grid]\n\"model.width\" = " + str(list(range(1, 1001))) + "\n"
            "\"training.lr\" = " + str([i / 1000 for i in range(1, 1001)]) + "\n")
    return [
        cli("compare", "--seeds", "99999999999999999999999"),
        cli("compare", "--seeds", "0-99999999999"),
        cli("compare", "--seeds", "99999999999999999999999,1"),
        cli("compare", "--seeds", "5-1"),
        cli("compare", "--spec", "SPEC:" + _spec(seeds=str(10**12))),
        cli("compare", "--spec", "SPEC:" + _spec(seeds=str(10**30))),
        cli("compare", "--spec", "SPEC:" + _spec(seeds="[" + str(2**40) + "]")),
        cli("compare", "--spec", "SPEC:" + _spec(extra=grid)),
        cli("compare", "--spec", "SPEC:" + _spec(extra="[model]\nwidth = 100000000000\n")
            .replace('model = "mlp"\n', 'model = {name = "mlp"}\n')),
        cli("compare", "--spec", "SPEC:" + _spec(extra="").replace(
            'model = "mlp"', 'model = {name = "mlp", width = 100000000000}')),
        cli("compare", "--spec", "SPEC:" + _spec(extra="").replace(
            'model = "mlp"', 'model = {name = "mlp", depth = 1000000000}')),
        cli("compare", "--spec", "SPEC:" + _spec(extra="").replace(
            'model = "mlp"', 'model = {name = "mlp", widths = [50000, 50000]}')),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "1", "--model-option", "width=100000000000"),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "1", "--model-option", "depth=100000000000"),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "1", "--seed", "99999999999999999999"),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "1", "--batch-size", "99999999999999999999999"),
        cli("train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
            "--steps", "99999999999999999999999"),
        cli("toy", "--seed", "99999999999999999999", "--epochs", "1"),
        cli("compare", "--spec", "SPEC:" + _spec(extra="[probes]\nhistogram_bins = 10000000\n")),
        cli("propagate", "relu", "--width", "100000000", "--output", "OUT"),
        cli("propagate", "relu", "--depth", "1000000000", "--output", "OUT"),
        cli("propagate", "relu", "--seeds", "100000000000000", "--output", "OUT"),
        cli("propagate", "relu", "--pairs", "1000000000000", "--output", "OUT"),
        cli("plot", "relu", "--points", "100000000000", "-o", "OUT/p.png"),
        cli("compare", "--workers", "0"),
        api("spec: 10**12 seeds", lambda: study_spec_from_toml(_spec(seeds=str(10**12)))),
        api("spec: 1000 x 1000 grid", lambda: study_spec_from_toml(_spec(extra=grid))),
    ]


def non_finite_cases() -> list[Case]:
    from actlab.studies.spec import study_spec_from_toml

    train = ["train", "--dataset", "toy", "--model", "mlp", "--activation", "relu",
             "--steps", "1"]
    cases = [cli("plot", "relu", "--range", lo, hi, "-o", "OUT/p.png")
             for lo, hi in (("-1e308", "1e308"), ("0", "inf"), ("-inf", "0"), ("nan", "1"),
                            ("1", "1"), ("2", "1"), ("-1e301", "0"))]
    cases += [cli(*train, "--lr", v) for v in ("inf", "-inf", "nan", "1e999", "0", "-1")]
    cases += [cli(*train, "--momentum", v) for v in ("inf", "nan", "1")]
    cases += [cli(*train, "--weight-decay", v) for v in ("inf", "nan", "-1")]
    cases += [cli("transform", "relu", "--inputs", v) for v in ("1,inf", "nan", "1e308,1")]
    cases += [cli("plot", "softmax", "--inputs", "1e308,-1e308", "-o", "OUT/p.png")]
    cases += [cli("theory", "relu", "--sigma-w2", v) for v in ("inf", "nan", "-1")]
    for extra in ("lr = inf", "lr = nan", "lr = -inf", "momentum = nan", "weight_decay = inf",
                  "lr = 1" + "0" * 400):
        text = _spec(extra="").replace("steps = 1", f"steps = 1\n{extra}")
        cases.append(cli("compare", "--spec", "SPEC:" + text))
        cases.append(api(f"spec: {extra[:20]}", lambda t=text: study_spec_from_toml(t)))
    return cases


def symbolic_cases() -> list[Case]:
    import actlab

    formulas = ["where(abs(x**3 - x) > 1, x, 0)", "where(x**5 - 3*x + 1 > 0, x, 0)",
                "where(sin(x**3) > 0.5, x, 0)", "abs(x**7 - x**3 + 1)",
                "sign(exp(x) - x**4)", "((((9**64)**64)**64)**64)**64",
                "x*((((9**64)**-64)**64)**64)", "x + 2**64**64", "x*exp(exp(exp(exp(10))))",
                "x*sinh(10**5)", "x + log(-1)", "x*erfc(1e155)",
                "clip(x, clip(x, softplus(x), sin(5.1e16)), -(softplus(x)))",
                "erf(" * 62 + "x" + ")" * 62, "sin(" * 65 + "x" + ")" * 65,
                "max(max(max(max(x, 1), 2), 3), min(x, sin(x)))",
                "where(where(x > 0, x, -x) > where(x > 1, x**2, x), x, 0)"]
    return [api(f"expression({f[:40]})", lambda f=f: actlab.expression(f), expect="any")
            for f in formulas] + [cli("show", formulas[0], expect="ok")]


def pickle_cases() -> list[Case]:
    import numpy as np

    from actlab.data.cifar10 import read_batch
    from actlab.data.restricted_pickle import load_restricted_pickle

    def shared_list(levels: int) -> bytes:
        inner: list = [0]
        for _ in range(levels):
            inner = [inner, inner]
        return pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": inner}, 4)

    def tuple_key(levels: int) -> bytes:
        out = pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.EMPTY_TUPLE \
            + pickle.BINPUT + b"\x00"
        for k in range(levels):
            out += (pickle.BINGET + bytes([k]) + pickle.BINGET + bytes([k]) + pickle.TUPLE2
                    + pickle.BINPUT + bytes([k + 1]))
        return out + pickle.BININT1 + b"\x01" + pickle.SETITEM + pickle.STOP

    payloads = {
        "memo-shared labels, 60 levels": shared_list(60),
        "memo-shared tuple as a dict key": tuple_key(60),
        "np.ndarray called with a huge shape": (
            b"cnumpy\nndarray\n((I100000\nI100000\ntR."),
        "os.system": b"cos\nsystem\n(S'true'\ntR.",
        "builtins.eval": b"cbuiltins\neval\n(S'1+1'\ntR.",
        "truncated": pickle.dumps({"labels": [1, 2, 3]})[:-5],
        "a list that holds itself": pickle.dumps((lambda lst: (lst.append(lst), lst)[1])([])),
        "empty": b"",
    }
    cases = [api(f"read_batch({name})", lambda p=p: read_batch(p, source="battery"))
             for name, p in payloads.items()]
    cases += [api(f"load_restricted_pickle({name})",
                  lambda p=p: load_restricted_pickle(p, source="battery"))
              for name, p in payloads.items()]
    return cases


def part5_cases() -> list[Case]:
    import torch

    import actlab

    return [
        cli("show", "x", expect="ok"), cli("show", "where(x == x, x, 0)", expect="ok"),
        api("get('x')(t)", lambda: actlab.get("x")(torch.ones(3)), expect="ok"),
        api("expression('x')", lambda: actlab.expression("x"), expect="ok"),
        cli("show", "leaky_relu(1e999)"), cli("show", "elu(alpha=-1e999)"),
        cli("show", "leaky_relu(nan)"), cli("show", "leaky_relu:negative_slope=inf"),
        api("get('leaky_relu', negative_slope=inf)",
            lambda: actlab.get("leaky_relu", negative_slope=float("inf"))),
    ]


def failed_study_cases() -> list[Case]:
    import torch

    import actlab

    def explode(x, **_):
        if bool((x != 0).any()):
            raise RuntimeError("this activation fails on real data")
        return x

    def register() -> None:
        if "battery_explodes" not in actlab.names():
            actlab.register(actlab.ActivationSpec(
                name="battery_explodes", family="user", summary="fails", latex="f(x) = x",
                forward=explode, derivative=lambda x, **_: torch.ones_like(x),
                properties=actlab.Properties((-float("inf"), float("inf")))))

    register()
    return [cli("compare", "--spec", "SPEC:" + _spec(activations='["battery_explodes"]'),
                "--workers", "1", "--no-report")]


CLASSES: dict[str, Callable[[], list[Case]]] = {
    "float overflow": overflow_cases,
    "malformed call syntax": malformed_cases,
    "long text": long_text_cases,
    "rich markup": markup_cases,
    "absurd sizes": size_cases,
    "non-finite ranges and rates": non_finite_cases,
    "slow symbolic steps": symbolic_cases,
    "hostile pickles": pickle_cases,
    "identity and infinite parameters": part5_cases,
    "a study whose trials all fail": failed_study_cases,
}


def _spec(*, seeds: str = "1", activations: str = '["relu"]', extra: str = "") -> str:
    return (f'name = "battery"\ndataset = "toy"\nmodel = "mlp"\nactivations = {activations}\n'
            f"seeds = {seeds}\n{extra}\n[training]\nsteps = 1\n")


# -- running one case -------------------------------------------------------------------------
class _Hang(Exception):
    pass


def _prepare(args: list[str], workdir: Path) -> list[str]:
    """Spec texts become files; OUT names a scratch folder."""
    out = []
    for arg in args:
        if arg.startswith("SPEC:"):
            path = workdir / f"spec-{len(list(workdir.glob('spec-*')))}.toml"
            path.write_text(arg[5:])
            arg = str(path)
        out.append(arg.replace("OUT", str(workdir)))
    if args and args[0] == "compare" and "--output" not in args:
        out += ["--output", str(workdir / f"study-{time.monotonic_ns()}")]
    return out


def run_case(case: Case, workdir: Path, hang_s: float) -> tuple[str, str]:
    """(bucket, the first line of what it said)."""
    from click.testing import CliRunner

    from actlab.cli import main
    from actlab.errors import ActlabError

    timer = threading.Timer(hang_s, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    try:
        if callable(case.run):
            with contextlib.redirect_stderr(io.StringIO()):
                case.run()
            bucket, said = "ok", ""
        else:
            result = CliRunner().invoke(main, _prepare(case.run, workdir),
                                        catch_exceptions=False)
            text = result.output
            lines = [line for line in text.strip().splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith(("error: ", "Error: "))]
            said = errors[-1] if errors else (lines[-1] if lines else "")
            if "Traceback (most recent call last)" in text:
                bucket = "traceback"
            elif result.exit_code == 0:
                bucket = "ok"
            elif said.startswith("error: internal error"):
                bucket = "internal"
            elif said.startswith("error: interrupted") and \
                    time.monotonic() - started >= hang_s:
                bucket = "hang"
            elif lines and lines[-1].startswith("error: ") and len(errors) == 1:
                bucket = "clear"  # one line, after whatever the command printed before
            elif result.exit_code == 2 and said.startswith("Error: "):
                bucket = "clear"  # click's own usage error
            else:
                bucket = "unclear"
    except KeyboardInterrupt:
        bucket, said = "hang", f"still running after {hang_s:g} s"
    except ActlabError as err:
        bucket, said = "clear", str(err).splitlines()[0] if str(err) else type(err).__name__
    except SystemExit as err:
        bucket, said = ("clear" if err.code else "ok"), f"exit {err.code}"
    except BaseException as err:  # the defects this battery looks for
        bucket = "traceback"
        said = f"{type(err).__name__}: {err}".splitlines()[0][:200]
        if os.environ.get("ACTLAB_BATTERY_VERBOSE"):
            traceback.print_exc()
    finally:
        timer.cancel()
    if bucket == "ok":
        bucket = {"error": "wrongly accepted"}.get(case.expect, "accepted")
    elif bucket == "clear" and case.expect == "ok":
        bucket = "wrongly refused"
    return bucket, said[:160]


# -- the kill class ---------------------------------------------------------------------------
KILL_SPEC = """
name = "battery-kill"
dataset = "toy"
activations = ["relu", "tanh"]
seeds = 1
[model]
name = "mlp"
depth = 1
width = 8
[training]
steps = 100000000
"""


def kill_runs(workdir: Path, signals: list[str]) -> list[dict]:
    """Start `actlab compare` with two workers, stop it, count what is left running."""
    import psutil

    spec = workdir / "kill.toml"
    spec.write_text(KILL_SPEC)
    runs = []
    for index, how in enumerate(signals):
        folder = workdir / f"kill-{index}"
        driver = subprocess.Popen(
            [sys.executable, "-m", "actlab", "compare", "--spec", str(spec), "--output",
             str(folder), "--workers", "2", "--quiet", "--no-report"],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        processes: list = []
        while time.monotonic() < deadline and driver.poll() is None:
            trials = folder / "trials"
            if trials.is_dir() and sum(1 for d in trials.iterdir() if any(d.rglob("*.*"))) >= 2:
                processes = psutil.Process(driver.pid).children(recursive=True)
                break
            time.sleep(0.2)
        if not processes:
            runs.append({"signal": how, "started": False})
            _kill_group(driver)
            continue
        if how == "Ctrl-C":  # a terminal signals the whole foreground group
            os.killpg(driver.pid, signal.SIGINT)
        else:
            os.kill(driver.pid, {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}[how])
        try:
            driver.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(processes, timeout=20)
        stderr = driver.stderr.read().decode(errors="replace") if driver.stderr else ""
        runs.append({"signal": how, "started": True, "processes": len(processes),
                     "left_running": len(alive), "driver_exit": driver.returncode,
                     "traceback": "Traceback" in stderr})
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        _kill_group(driver)
    return runs


def _kill_group(driver: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()


# -- main -------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", nargs="*", help="Only these classes (see --list).")
    parser.add_argument("--list", action="store_true", help="List the classes.")
    parser.add_argument("--hang-s", type=float, default=60.0,
                        help="Seconds after which an input counts as a hang.")
    parser.add_argument("--kills", default="SIGKILL,SIGTERM,Ctrl-C",
                        help="Signals for the kill class (comma-separated).")
    parser.add_argument("--json", type=Path, help="Also write the counts here.")
    parser.add_argument("--show", action="store_true", help="Print every input's answer.")
    options = parser.parse_args()
    names = [*CLASSES, "kill"]
    if options.list:
        print("\n".join(names))
        return
    chosen = options.classes or names
    unknown = [c for c in chosen if c not in names]
    if unknown:
        parser.error(f"unknown classes {unknown}; see --list")
    os.environ.setdefault("ACTLAB_FORMULA_SECONDS", "10")
    report: dict[str, dict] = {}
    problems: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        os.chdir(workdir)  # commands that write next to the user write here
        for name in chosen:
            if name == "kill":
                runs = kill_runs(workdir, [s.strip() for s in options.kills.split(",")])
                report[name] = {"runs": runs, "left_running": sum(r.get("left_running", 0)
                                                                 for r in runs)}
                print(f"{name:34} {len(runs)} drivers stopped; processes left running: "
                      f"{report[name]['left_running']}; "
                      + ", ".join(f"{r['signal']}: {r.get('left_running', 'not started')}"
                                  for r in runs), flush=True)
                continue
            started = time.monotonic()
            counts: Counter[str] = Counter()
            for case in CLASSES[name]():
                bucket, said = run_case(case, workdir, options.hang_s)
                counts[bucket] += 1
                if options.show:
                    print(f"  [{bucket}] {case.label[:70]} -> {said[:90]}")
                if bucket not in ("clear", "accepted"):
                    problems.append((name, bucket, case.label[:80], said[:120]))
            report[name] = {"inputs": sum(counts.values()), **counts,
                            "seconds": round(time.monotonic() - started, 1)}
            print(f"{name:34} {sum(counts.values()):4} inputs: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                  + f"  ({report[name]['seconds']} s)", flush=True)
    if problems:
        print("\ninputs without a clear answer:")
        for name, bucket, label, said in problems:
            print(f"  {name} [{bucket}] {label} -> {said}")
    totals: Counter[str] = Counter()
    for data in report.values():
        totals.update({k: v for k, v in data.items() if isinstance(v, int)})
    print(f"\ntotal: {dict(totals)}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps({"classes": report, "problems": problems,
                                            "totals": dict(totals)}, indent=2))


if __name__ == "__main__":
    main()
