"""When compiling a kernel pays, decided by measuring it.

torch.compile makes most kernels 1.5-4x faster on large tensors, but compiling costs
seconds (about 16 s for a process's first kernel on a 2-core CPU, 1-2 s for each
further one, less with Inductor's cache on disk). Whether that pays depends on how long
the program will keep calling the kernel, which no one knows in advance. The ``auto``
mode (the default) answers it the way the ski-rental problem is answered:

1. **meter**: run the eager kernel (whatever ``auto`` picks: native op, fused kernel or
   analytic Function) and add up the time it takes, forward and backward, per kernel,
   device and dtype, on tensors of at least `COMPILE_MIN_ELEMENTS` elements;
2. **compile** once that time reaches what compiling is expected to cost: the last
   measured cost from the verdict file, else `FIRST_COMPILE_SECONDS` for a process's
   first compilation and `NEXT_COMPILE_SECONDS` after it. A program never spends more
   than about twice what the better of "never compile" and "compile at once" would have
   cost it, and a short one never compiles at all;
3. **trial**: after one untimed compiled call (which may still specialise the code to
   the real tensors), time `TRIAL_CALLS` compiled calls and keep the compiled kernel
   only if it is at least `MIN_GAIN` faster per element than the eager one (forward and
   backward weighted as the program used them); else go back to eager for good;
4. **remember** the verdict and the compile time on disk (`compile_verdicts.py`), so
   that the next process skips kernels that did not pay, and budgets the others with
   their real cost. Inductor's own on-disk cache keeps the compiled code.

``ACTLAB_COMPILE`` (or `set_compile_mode`) picks the mode: ``auto``; ``on`` (or ``1``)
compiles every eligible kernel at its first large call; ``off`` (or ``0``) never
compiles. Nothing is metered inside a model that is itself being compiled.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from actlab.errors import ActlabError
from actlab.kernels.compile_verdicts import Verdict, VerdictStore, machine_key
from actlab.kernels.compiled import (
    COMPILE_MIN_ELEMENTS,
    COMPILED,
    apply_compiled,
    compile_problem,
)
from actlab.kernels.fused import FusedKernel
from actlab.kernels.vector import VectorKernel

Kernel = FusedKernel | VectorKernel

Tensor = torch.Tensor

ENV_VAR = "ACTLAB_COMPILE"
MODES = ("off", "auto", "on")
DEFAULT_MODE = "auto"
_SPELLINGS = {"0": "off", "false": "off", "no": "off", "off": "off",
              "1": "on", "true": "on", "yes": "on", "on": "on", "auto": "auto"}

#: Expected cost of the first compilation in a process with no verdict to go by: Inductor
#: starts (imports, a pool of compiler processes) and compiles (benchmarks: 15.9 s on a
#: 2-core CPU with an empty cache, 4.0 s with a warm one).
FIRST_COMPILE_SECONDS = {"cpu": 16.0, "cuda": 30.0}
#: Expected cost of each further kernel in the same process.
NEXT_COMPILE_SECONDS = 2.0
#: Compiled calls timed before the verdict.
TRIAL_CALLS = 3
#: The compiled kernel is kept only when it is at least this much faster per element.
MIN_GAIN = 0.05

_mode: str | None = None


def _parse_mode(value: str, origin: str) -> str:
    mode = _SPELLINGS.get(value.strip().lower())
    if mode is None:
        raise ActlabError(f"{origin}={value!r} is not a compile mode; choose one of "
                          f"{', '.join(MODES)} (or 1/0)")
    return mode


def set_compile_mode(mode: str | None) -> None:
    """"off", "auto" or "on" for this process (None: back to ``$ACTLAB_COMPILE``)."""
    global _mode
    _mode = None if mode is None else _parse_mode(mode, "compile mode")


def compile_mode() -> str:
    """`set_compile_mode`'s mode, else ``$ACTLAB_COMPILE``'s, else "auto"."""
    if _mode is not None:
        return _mode
    env = os.environ.get(ENV_VAR, "")
    return _parse_mode(env, f"${ENV_VAR}") if env.strip() else DEFAULT_MODE


@contextlib.contextmanager
def compile_mode_set(mode: str) -> Iterator[None]:
    """Within the block, the process's compile mode is `mode` (then back as it was)."""
    global _mode
    previous = _mode
    set_compile_mode(mode)
    try:
        yield
    finally:
        _mode = previous


def enable_compile(enabled: bool = True) -> None:
    """Compile every eligible kernel at once (True: mode "on") or never (False: "off")."""
    set_compile_mode("on" if enabled else "off")


def compile_enabled() -> bool:
    """Whether every eligible kernel is compiled at its first large call (mode "on")."""
    return compile_mode() == "on"


def eligible(kernel: Kernel | None, x: Tensor) -> bool:
    """Whether compiling `kernel` can serve `x` and might pay: a large tensor on a device
    where compiling this kind of kernel beat eager in `benchmarks/`, with a compiler."""
    return (kernel is not None and x.numel() >= COMPILE_MIN_ELEMENTS
            and x.device.type in kernel.compile_on and not torch.compiler.is_compiling()
            and compile_problem(x.device) is None)


#: Timed calls per phase that rates are computed from: the latest, so that a program's
#: first, slower calls (memory being mapped, threads starting) do not count against eager.
RECENT_CALLS = 8


@dataclass
class Tally:
    """Timed calls of one site's eager or compiled kernel: total seconds (what the
    budget counts) and the latest calls' seconds and elements per phase (what rates are
    computed from)."""

    seconds: float = 0.0
    forward_calls: int = 0
    backward_calls: int = 0
    forward_recent: deque = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    backward_recent: deque = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    forward_elements: int = 0
    backward_elements: int = 0

    def add(self, phase: str, seconds: float, elements: int) -> None:
        self.seconds += seconds
        if phase == "forward":
            self.forward_calls += 1
            self.forward_elements += elements
            self.forward_recent.append((seconds, elements))
        else:
            self.backward_calls += 1
            self.backward_elements += elements
            self.backward_recent.append((seconds, elements))

    def backward_share(self) -> float:
        """Backward elements per forward element: how much of the use was training."""
        return self.backward_elements / self.forward_elements if self.forward_elements else 0.0

    @staticmethod
    def _rate(recent: deque) -> float | None:
        elements = sum(n for _, n in recent)
        return sum(t for t, _ in recent) / elements if elements else None

    def backward_rate(self) -> float | None:
        return self._rate(self.backward_recent)

    def cost_per_element(self, backward_share: float, backward_rate: float | None) -> float:
        """Seconds per element of a call used with this share of backward passes."""
        forward = self._rate(self.forward_recent) or 0.0
        own = self.backward_rate()
        rate = own if own is not None else backward_rate
        return forward + backward_share * (rate or 0.0)


@dataclass
class Site:
    """One kernel on one device type and dtype, and where the policy stands with it."""

    key: str
    state: str = "metering"  # metering -> compiling -> trial -> compiled | eager
    eager: Tally = field(default_factory=Tally)
    compiled: Tally = field(default_factory=Tally)
    known: Verdict | None = None
    compile_seconds: float = 0.0
    reason: str = ""
    trial_started: bool = False


class _CpuClock:
    @staticmethod
    def mark() -> float:
        return time.perf_counter()

    @staticmethod
    def seconds(start: float, end: float) -> float | None:
        return end - start


class _CudaClock:
    """CUDA events: the work is timed on the GPU, read once it has finished."""

    @staticmethod
    def mark() -> torch.cuda.Event:
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    @staticmethod
    def seconds(start: torch.cuda.Event, end: torch.cuda.Event) -> float | None:
        return start.elapsed_time(end) / 1000.0 if end.query() else None


def _clock(device: torch.device):
    return _CudaClock if device.type == "cuda" else _CpuClock


class CompilePolicy:
    """The ``auto`` mode's decisions: one `Site` per kernel, device type and dtype."""

    def __init__(self, store: VerdictStore | None = None) -> None:
        self.store = store if store is not None else VerdictStore()
        self._sites: dict[tuple, Site] = {}
        self._pending: list[tuple] = []  # (site, tally, phase, elements, clock, start, end)
        self._compiled_devices: set[str] = set()
        self._lock = threading.RLock()

    def reset(self) -> None:
        """Forget this process's measurements (the verdict file is read again)."""
        with self._lock:
            self._sites.clear()
            self._pending.clear()
            self._compiled_devices.clear()
            self.store.clear()

    def site(self, kernel: Kernel, x: Tensor) -> Site:
        key = (kernel.key, x.device.type, x.dtype)
        with self._lock:
            site = self._sites.get(key)
            if site is None:
                name = f"{machine_key(x.device)}|{x.dtype}|{kernel.key!r}"
                site = Site(key=name, known=self.store.get(name))
                if site.known is not None and site.known.verdict == "eager":
                    site.state, site.reason = "eager", f"remembered: {site.known.reason}"
                self._sites[key] = site
            return site

    def sites(self) -> dict[tuple, Site]:
        with self._lock:
            return dict(self._sites)

    def settled_compiled(self, kernel: Kernel, x: Tensor) -> bool:
        """Whether the policy has settled on the compiled kernel for `x`'s site."""
        return self.site(kernel, x).state == "compiled"

    def budget(self, site: Site, device_type: str) -> float:
        """Eager seconds after which compiling `site` is expected to have paid."""
        if site.known is not None:
            return site.known.compile_seconds
        if device_type in self._compiled_devices:
            return NEXT_COMPILE_SECONDS
        return FIRST_COMPILE_SECONDS.get(device_type, FIRST_COMPILE_SECONDS["cpu"])

    def run(self, kernel: Kernel, x: Tensor, eager: Callable[[], Tensor]) -> Tensor:
        """f(x) as the policy has it now: eager (timed while undecided) or compiled."""
        site = self.site(kernel, x)
        self._settle()
        compile_now = False
        with self._lock:
            if (site.state == "metering"
                    and site.eager.seconds >= self.budget(site, x.device.type)):
                site.state = "compiling"  # other threads run eagerly meanwhile
                compile_now = True
        if compile_now:
            self._compile(site, kernel, x)
        if site.state in ("eager", "compiling"):
            return eager()
        if site.state == "compiled":
            return apply_compiled(kernel, x, runner=COMPILED)
        if site.state == "trial":
            if not site.trial_started:
                # Untimed: the first real call may still specialise the compiled code
                # (a view's base, a new rank), which is no part of its speed.
                site.trial_started = True
                return apply_compiled(kernel, x, runner=COMPILED)
            return self._timed(site, site.compiled, x,
                               lambda: apply_compiled(kernel, x, runner=COMPILED))
        return self._timed(site, site.eager, x, eager)

    def _timed(self, site: Site, tally: Tally, x: Tensor, call: Callable[[], Tensor]
               ) -> Tensor:
        clock = _clock(x.device)
        n = x.numel()
        start = clock.mark()
        y = call()
        self._record(site, tally, "forward", n, clock, start, clock.mark())
        node = y.grad_fn if isinstance(y, Tensor) else None
        if node is not None:
            marks: list = []

            def before(grad_outputs):
                marks.append(clock.mark())

            def after(grad_inputs, grad_outputs):
                if marks:
                    self._record(site, tally, "backward", n, clock, marks.pop(), clock.mark())

            node.register_prehook(before)
            node.register_hook(after)
        return y

    def _record(self, site: Site, tally: Tally, phase: str, elements: int, clock,
                start, end) -> None:
        with self._lock:
            self._pending.append((site, tally, phase, elements, clock, start, end))
        if clock is _CpuClock:
            self._settle()

    def _settle(self) -> None:
        """Add finished timings to their tallies; end trials that have enough of them."""
        with self._lock:
            waiting = []
            for item in self._pending:
                site, tally, phase, elements, clock, start, end = item
                seconds = clock.seconds(start, end)
                if seconds is None:
                    waiting.append(item)
                else:
                    tally.add(phase, seconds, elements)
            self._pending = waiting
            for site in self._sites.values():
                if site.state == "trial" and self._trial_done(site):
                    self._decide(site)

    @staticmethod
    def _trial_done(site: Site) -> bool:
        c, e = site.compiled, site.eager
        if c.forward_calls < TRIAL_CALLS:
            return False
        trains = e.backward_calls > 0
        return not trains or c.backward_calls >= TRIAL_CALLS or c.forward_calls >= 4 * TRIAL_CALLS

    def _decide(self, site: Site) -> None:
        share = site.eager.backward_share()
        eager = site.eager.cost_per_element(share, None)
        compiled = site.compiled.cost_per_element(share, site.eager.backward_rate())
        pays = compiled <= (1.0 - MIN_GAIN) * eager
        site.state = "compiled" if pays else "eager"
        site.reason = (f"compiled {compiled * 1e9:.3g} ns/element vs eager "
                       f"{eager * 1e9:.3g} ns/element")
        self._remember(site, Verdict(site.state, site.compile_seconds, eager * 1e9,
                                     compiled * 1e9, site.reason))

    def _remember(self, site: Site, verdict: Verdict) -> None:
        site.known = verdict
        self.store.put(site.key, verdict)

    def _compile(self, site: Site, kernel: Kernel, x: Tensor) -> None:
        """Build every compiled function `x`'s use needs, on a small tensor, and time it."""
        started = time.perf_counter()
        error = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a failure becomes the verdict's reason
                _build(kernel, x)
        except Exception as err:  # a compiler failure must never break the caller
            error = f"{type(err).__name__}: {err}"
        site.compile_seconds = time.perf_counter() - started
        self._compiled_devices.add(x.device.type)
        if error is not None:
            site.state, site.reason = "eager", error[:300]
            self._remember(site, Verdict("eager", site.compile_seconds, reason=site.reason))
        elif site.known is not None and site.known.verdict == "compiled":
            site.state, site.reason = "compiled", "remembered: " + site.known.reason
            self._remember(site, Verdict("compiled", site.compile_seconds,
                                         site.known.eager_ns_per_element,
                                         site.known.compiled_ns_per_element,
                                         site.known.reason))
        else:
            site.state = "trial"


def _build(kernel: Kernel, x: Tensor) -> None:
    """Call the compiled kernel as the program will: without gradient and, when `x`
    trains, with one (forward with its mask, backward), so nothing compiles later.
    Raises when a compilation failed (the compiled runner then ran it eagerly).

    The calls are made on `x` itself (detached): Inductor tunes its code to the sizes it
    is first built for (a 4-element tensor got a loop without threads, 1.7x slower on two
    cores), and guards on the layout it saw."""
    failed = len(COMPILED.failures())
    t = x.detach()
    with torch.no_grad():
        apply_compiled(kernel, t, runner=COMPILED)
    if torch.is_grad_enabled() and x.requires_grad:
        t = t.requires_grad_(True)
        y = apply_compiled(kernel, t, runner=COMPILED)
        torch.autograd.grad(y, t, torch.ones_like(y))
    failures = list(COMPILED.failures().values())
    if len(failures) > failed:
        raise RuntimeError("compilation failed: " + "; ".join(failures[failed:]))


POLICY = CompilePolicy()
