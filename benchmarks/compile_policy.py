"""Does the compile policy pay? Training-like loops under each compile mode, timed whole.

    python benchmarks/compile_policy.py                 # lisht, mish, gelu; 60 and 1500 steps
    python benchmarks/compile_policy.py --only mish --steps 40 --steps 400 --numel 1048576

For each activation and loop length, each in a new process with an empty Inductor cache
and an empty verdict file (a first run on a new machine):

- ``off``: never compile (eager auto throughout);
- ``on``: compile at the first large call (ACTLAB_COMPILE=on);
- ``auto``: the default policy (meter, compile once that has paid, keep what is faster);
- ``auto, cached``: ``auto`` again with the first auto run's verdicts and Inductor cache
  (what every later run on the machine gets).

Each loop runs forward+backward of one activation on a float32 tensor, step after step.
Reported: total seconds, the step at which a compiled kernel took over, the policy's
verdict, and each mode's total over the better of ``off`` and ``on`` (the best fixed
choice, known only in hindsight; the ski-rental rule promises at most about 2×).
Writes ``benchmarks/results/compile_policy.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ACTIVATIONS = ("lisht", "mish", "gelu")
STEPS = (60, 1500)
NUMEL = 1 << 22
MODES = ("off", "on", "auto", "auto, cached")


def child(args: argparse.Namespace) -> None:
    import torch

    import actlab
    from actlab.kernels import compile_policy

    act = actlab.get(args.activation)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.numel, generator=gen).requires_grad_(True)
    grad = torch.randn(args.numel, generator=gen)
    steps = []
    started = time.perf_counter()
    for _ in range(args.steps):
        t = time.perf_counter()
        torch.autograd.grad(act(x), x, grad)
        steps.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    sites = [{"state": s.state, "reason": s.reason, "compile_seconds": s.compile_seconds,
              "eager_seconds": s.eager.seconds}
             for s in compile_policy.POLICY.sites().values()]
    print(json.dumps({"total_seconds": total, "step_seconds": steps, "sites": sites}))


def _run(activation: str, steps: int, numel: int, mode: str, cache: Path, inductor: Path
         ) -> dict:
    env = {**os.environ, "ACTLAB_COMPILE": mode.split(",")[0], "ACTLAB_CACHE_DIR": str(cache),
           "TORCHINDUCTOR_CACHE_DIR": str(inductor), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--only", activation, "--steps", str(steps),
         "--numel", str(numel)], env=env, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    step = data.pop("step_seconds")
    steady = sorted(step[-max(1, len(step) // 10):])
    data["last_step_seconds"] = steady[len(steady) // 2]
    first = sorted(step)[len(step) // 2]
    # A compiled kernel took over at the step that was slow (compiling), if any.
    slow = [i for i, t in enumerate(step) if t > 20 * first and t > 1.0]
    data["compiled_at_step"] = slow[0] if slow else None
    return data


def measure(activations, steps_list, numel, progress) -> dict:
    rows = []
    for activation in activations:
        for steps in steps_list:
            with tempfile.TemporaryDirectory(prefix="actlab-policy-") as tmp:
                row = {"activation": activation, "steps": steps, "numel": numel, "modes": {}}
                for mode in MODES:
                    progress(f"{activation}, {steps} steps, {mode}")
                    same = "auto" if mode == "auto, cached" else mode
                    base = Path(tmp) / same.replace(", ", "-")
                    row["modes"][mode] = _run(activation, steps, numel, mode,
                                              base / "actlab", base / "inductor")
                best = min(row["modes"][m]["total_seconds"] for m in ("off", "on"))
                for data in row["modes"].values():
                    data["over_best_fixed"] = data["total_seconds"] / best
                rows.append(row)
    return {"rows": rows}


def markdown(results: dict) -> str:
    m = results["machine"]
    out = ["# The compile policy in training-like loops", "",
           f"Machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs; PyTorch "
           f"{m['torch_version']}. Measured {m['date_utc']} UTC. Reproduce: "
           f"`{results['command']}`", "",
           "Each cell: total seconds of the loop (forward+backward per step, float32) and, "
           "in brackets, that total over the better of *off* and *on* (the best fixed "
           "choice in hindsight). Every run starts a new process; *off*, *on* and *auto* "
           "with an empty Inductor cache and no verdicts, *auto, cached* with those the "
           "*auto* run left. *took over*: the step at which a compiled kernel replaced "
           "eager (the compiling step), and the policy's verdict.", "",
           "| activation | steps | " + " | ".join(MODES) + " | auto: took over, verdict |",
           "|---|---|" + "---|" * (len(MODES) + 1)]
    for row in results["rows"]:
        cells = [row["activation"], str(row["steps"])]
        for mode in MODES:
            d = row["modes"][mode]
            cells.append(f"{d['total_seconds']:.1f} s ({d['over_best_fixed']:.2f})")
        auto = row["modes"]["auto"]
        site = auto["sites"][0] if auto["sites"] else {"state": "–", "reason": "never metered"}
        at = auto["compiled_at_step"]
        cells.append(f"{'never' if at is None else f'step {at}'}; {site['state']}"
                     + (f" ({site['reason']})" if site.get("reason") else ""))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="an activation (repeatable)")
    parser.add_argument("--steps", action="append", type=int, help="loop length (repeatable)")
    parser.add_argument("--numel", type=int, default=NUMEL)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.activation, args.steps = args.only[0], args.steps[0]
        child(args)
        return 0
    import torch

    from actlab.kernels.benchmark.machine import machine_info
    activations = tuple(args.only or ACTIVATIONS)
    steps_list = tuple(args.steps or STEPS)
    command = "python benchmarks/compile_policy.py" + "".join(
        f" --only {a}" for a in args.only or ()) + "".join(
        f" --steps {s}" for s in args.steps or ()) + (
        f" --numel {args.numel}" if args.numel != NUMEL else "")
    results = {"machine": machine_info(torch.device("cpu")), "command": command,
               **measure(activations, steps_list, args.numel,
                         lambda line: print(line, file=sys.stderr, flush=True))}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "compile_policy.json").write_text(json.dumps(results, indent=1))
    (args.output / "compile_policy.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
