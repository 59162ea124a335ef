"""The compile policy: meter eager, compile once that has paid, keep what measured faster.

Compilation itself is replaced here by a runner that evaluates the same kernel eagerly,
and the policy's clock by one that each call advances by a set amount, so that which
side is faster, and when the budget is spent, are known in advance; `test_compiled.py`
runs the policy with Inductor and real time.
"""

from __future__ import annotations

import json
import types

import pytest
import torch

import actlab
from actlab.kernels import apply, compile_policy, force_implementation, set_compile_mode
from actlab.kernels.compile_policy import CompilePolicy
from actlab.kernels.compile_verdicts import Verdict, VerdictStore
from actlab.kernels.compiled import COMPILE_MIN_ELEMENTS
from actlab.kernels.fused import EAGER, apply_fused
from actlab.kernels.kernel_table import plan_for

SLOW, FAST = 0.03, 0.002


class FakeClock:
    """The policy's time: advanced only by `spend`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds


CLOCK = FakeClock()


@pytest.fixture(autouse=True)
def fake_time(monkeypatch):
    monkeypatch.setattr(compile_policy, "time", types.SimpleNamespace(
        perf_counter=CLOCK.perf_counter))


class SleepyRunner:
    """Stands in for the compiled runner: the eager kernel, taking `delay` of policy time."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = {"forward": 0, "backward": 0}

    def forward(self, kernel, x, *, inplace, want_mask):
        self.calls["forward"] += 1
        CLOCK.spend(self.delay)
        return EAGER.forward(kernel, x, inplace=inplace, want_mask=want_mask)

    def backward(self, kernel, saves, grad, saved):
        self.calls["backward"] += 1
        CLOCK.spend(self.delay)
        return EAGER.backward(kernel, saves, grad, saved)


@pytest.fixture
def fake_compiler(monkeypatch):
    """Compilation that costs nothing and a budget of 50 ms of eager time."""
    builds = []
    monkeypatch.setattr(compile_policy, "_build", lambda kernel, x: builds.append(kernel.key))
    monkeypatch.setitem(compile_policy.FIRST_COMPILE_SECONDS, "cpu", 0.05)
    monkeypatch.setattr(compile_policy, "NEXT_COMPILE_SECONDS", 0.05)
    return builds


def _kernel(name: str = "quick_gelu"):
    spec = actlab.spec(name)
    return plan_for(spec, spec.bind()).compilable


def _eager(kernel, x, delay: float, counter: list):
    def run():
        counter.append(1)
        CLOCK.spend(delay)
        return apply_fused(kernel, x)
    return run


def _policy(tmp_path) -> CompilePolicy:
    return CompilePolicy(VerdictStore(tmp_path / "verdicts.json"))


def _train(policy, kernel, x, eager, steps: int) -> list[torch.Tensor]:
    grads = []
    for _ in range(steps):
        y = policy.run(kernel, x, eager)
        (g,) = torch.autograd.grad(y, x, torch.ones_like(y))
        grads.append(g)
    return grads


def test_a_program_shorter_than_the_expected_compile_cost_never_compiles(tmp_path,
                                                                          monkeypatch):
    builds = []
    monkeypatch.setattr(compile_policy, "_build", lambda kernel, x: builds.append(1))
    policy, kernel = _policy(tmp_path), _kernel()
    x = torch.randn(1000, requires_grad=True)
    eager_calls = []
    _train(policy, kernel, x, _eager(kernel, x, 0.001, eager_calls), steps=10)
    (site,) = policy.sites().values()
    assert site.state == "metering" and not builds and len(eager_calls) == 10
    # forward and backward were both timed
    assert site.eager.forward_calls == 10 and site.eager.backward_calls == 10
    assert site.eager.seconds == pytest.approx(0.01)  # forward 10 x 1 ms, backward no time
    assert not (tmp_path / "verdicts.json").exists()


def test_compiles_once_eager_time_reaches_the_budget_and_keeps_a_faster_kernel(
        tmp_path, monkeypatch, fake_compiler):
    compiled = SleepyRunner(FAST)
    monkeypatch.setattr(compile_policy, "COMPILED", compiled)
    policy, kernel = _policy(tmp_path), _kernel()
    x = torch.randn(1000, requires_grad=True)
    eager_calls = []
    grads = _train(policy, kernel, x, _eager(kernel, x, SLOW, eager_calls), steps=12)
    (site,) = policy.sites().values()
    # 30 ms a call against a 50 ms budget: compiled after the second eager call
    assert len(eager_calls) == 2 and fake_compiler == [kernel.key]
    assert site.state == "compiled", site.reason
    assert compiled.calls == {"forward": 10, "backward": 10}
    for g in grads[1:]:
        torch.testing.assert_close(g, grads[0])  # the same function either way
    saved = json.loads((tmp_path / "verdicts.json").read_text())["verdicts"]
    (entry,) = saved.values()
    assert entry["verdict"] == "compiled"
    assert entry["compiled_ns_per_element"] < entry["eager_ns_per_element"]
    assert policy.settled_compiled(kernel, x)


def test_a_compiled_kernel_that_is_not_faster_is_dropped_and_remembered(
        tmp_path, monkeypatch, fake_compiler):
    compiled = SleepyRunner(SLOW)
    monkeypatch.setattr(compile_policy, "COMPILED", compiled)
    policy, kernel = _policy(tmp_path), _kernel()
    x = torch.randn(1000, requires_grad=True)
    eager_calls = []
    _train(policy, kernel, x, _eager(kernel, x, FAST, eager_calls), steps=40)
    (site,) = policy.sites().values()
    assert site.state == "eager", site.reason
    # one untimed compiled call, then the timed trial
    assert compiled.calls["forward"] == 1 + compile_policy.TRIAL_CALLS
    assert len(eager_calls) == 40 - 1 - compile_policy.TRIAL_CALLS
    # A new process reads the verdict: no metering, no compiling, eager from the start.
    fake_compiler.clear()
    again = _policy(tmp_path)
    _train(again, kernel, x, _eager(kernel, x, FAST, []), steps=60)
    (site,) = again.sites().values()
    assert site.state == "eager" and site.reason.startswith("remembered")
    assert site.eager.forward_calls == 0 and not fake_compiler


def test_a_remembered_win_is_budgeted_with_its_measured_cost_and_skips_the_trial(
        tmp_path, monkeypatch, fake_compiler):
    compiled = SleepyRunner(FAST)
    monkeypatch.setattr(compile_policy, "COMPILED", compiled)
    kernel = _kernel("lisht")
    x = torch.randn(1000, requires_grad=True)
    first = _policy(tmp_path)
    _train(first, kernel, x, _eager(kernel, x, SLOW, []), steps=8)
    (site,) = first.sites().values()
    assert site.state == "compiled"
    store = VerdictStore(tmp_path / "verdicts.json")
    store.put(site.key, Verdict("compiled", compile_seconds=0.1, eager_ns_per_element=9.0,
                                compiled_ns_per_element=3.0, reason="measured"))
    again = CompilePolicy(VerdictStore(tmp_path / "verdicts.json"))
    eager_calls = []
    _train(again, kernel, x, _eager(kernel, x, SLOW, eager_calls), steps=8)
    (site,) = again.sites().values()
    assert again.budget(site, "cpu") >= 0.0
    assert len(eager_calls) == 4  # 0.1 s of 30 ms calls, then compiled with no trial
    assert site.state == "compiled" and site.reason == "remembered: measured"


def test_a_failed_compilation_falls_back_to_eager_without_raising(tmp_path, monkeypatch):
    def broken(kernel, x):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(compile_policy, "_build", broken)
    monkeypatch.setitem(compile_policy.FIRST_COMPILE_SECONDS, "cpu", 0.0)
    policy, kernel = _policy(tmp_path), _kernel()
    x = torch.randn(100, requires_grad=True)
    grads = _train(policy, kernel, x, _eager(kernel, x, 0.0, []), steps=3)
    (site,) = policy.sites().values()
    assert site.state == "eager" and "no compiler today" in site.reason
    spec = actlab.spec("quick_gelu")
    want = spec.derivative(x.detach().double(), **spec.math_values(spec.bind())).float()
    torch.testing.assert_close(grads[-1], want)
    (entry,) = json.loads((tmp_path / "verdicts.json").read_text())["verdicts"].values()
    assert entry["verdict"] == "eager" and "RuntimeError" in entry["reason"]


def test_sites_are_per_kernel_parameters_and_dtype(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_policy, "_build", lambda kernel, x: None)
    policy = _policy(tmp_path)
    elu = actlab.spec("elu")
    k1, k2 = (plan_for(elu, elu.bind({"alpha": a})).compilable for a in (1.0, 0.5))
    for kernel in (k1, k2):
        for dtype in (torch.float32, torch.float64):
            x = torch.randn(10, dtype=dtype)
            policy.run(kernel, x, lambda x=x, kernel=kernel: apply_fused(kernel, x))
    keys = [s.key for s in policy.sites().values()]
    assert len(set(keys)) == 4
    assert any("float64" in k and "0.5" in k for k in keys)


def test_bad_verdict_files_are_set_aside_not_lost(tmp_path):
    path = tmp_path / "verdicts.json"
    path.write_text("{not json")
    store = VerdictStore(path)
    with pytest.warns(RuntimeWarning, match="ignored unreadable compile verdicts"):
        assert store.get("anything") is None
    assert (tmp_path / "verdicts.json.corrupt").read_text() == "{not json"
    store.put("k", Verdict("eager", 1.5, reason="slower"))
    assert VerdictStore(path).get("k") == Verdict("eager", 1.5, reason="slower")
    path.write_text(json.dumps({"format": 99, "verdicts": {}}))
    with pytest.warns(RuntimeWarning, match="not an actlab compile-verdicts file"):
        assert VerdictStore(path).get("k") is None


def test_an_unwritable_cache_only_warns(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = VerdictStore(blocker / "sub" / "verdicts.json")
    with pytest.warns(RuntimeWarning) as warned:
        store.put("k", Verdict("compiled", 2.0))
    assert any("cannot save compile verdicts" in str(w.message) for w in warned)
    assert store.get("k") == Verdict("compiled", 2.0)  # kept for this process


@pytest.fixture
def auto_mode(monkeypatch, tmp_path):
    set_compile_mode("auto")
    recorded = []

    class Recorder(CompilePolicy):
        def run(self, kernel, x, eager):
            recorded.append((kernel.key[0], x.numel()))
            return super().run(kernel, x, eager)

    policy = Recorder(VerdictStore(tmp_path / "verdicts.json"))
    monkeypatch.setattr(compile_policy, "_build", lambda kernel, x: None)
    monkeypatch.setattr("actlab.kernels.dispatch.POLICY", policy)
    yield recorded
    set_compile_mode(None)


def test_auto_meters_large_tensors_only_and_gives_the_eager_result(auto_mode):
    if compile_policy.compile_problem("cpu") is not None:
        pytest.skip("no C++ compiler: nothing is ever eligible")
    spec = actlab.spec("quick_gelu")
    bound = spec.bind()
    big = torch.randn(COMPILE_MIN_ELEMENTS)
    small = torch.randn(COMPILE_MIN_ELEMENTS - 1)
    with force_implementation("analytic"):
        want = apply(spec, big, bound)
    torch.testing.assert_close(apply(spec, big, bound), want)
    apply(spec, small, bound)
    assert auto_mode == [("quick_gelu", COMPILE_MIN_ELEMENTS)]
    with force_implementation("analytic"):  # a forced implementation is never metered
        apply(spec, big, bound)
    apply(spec, big, bound, implementation="native" if spec.native else "analytic")
    # Piecewise-linear masks compile only on GPUs (slower than eager on a CPU).
    relu = actlab.spec("relu")
    apply(relu, big, relu.bind())
    assert len(auto_mode) == 1


def test_nothing_is_metered_inside_a_model_being_compiled(auto_mode, monkeypatch):
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    spec = actlab.spec("quick_gelu")
    apply(spec, torch.randn(COMPILE_MIN_ELEMENTS), spec.bind())
    assert auto_mode == []


def test_off_never_meters(auto_mode):
    set_compile_mode("off")
    spec = actlab.spec("quick_gelu")
    apply(spec, torch.randn(COMPILE_MIN_ELEMENTS), spec.bind())
    assert auto_mode == []


def test_cli_lists_and_forgets_the_verdicts(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from actlab.cli import main
    from actlab.kernels.compile_policy import POLICY

    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(tmp_path))
    POLICY.store.clear()
    runner = CliRunner()
    result = runner.invoke(main, ["compile-verdicts"])
    assert result.exit_code == 0 and "no verdicts yet" in result.output
    VerdictStore(tmp_path / "compile-verdicts.json").put(
        "cpu:test|float32|('mish',)", Verdict("eager", 2.5, 3.0, 4.0, "compiled slower"))
    POLICY.store.clear()
    result = runner.invoke(main, ["compile-verdicts"])
    assert result.exit_code == 0
    assert "eager" in result.output and "('mish',)" in result.output
    assert "compiled slower" in result.output
    result = runner.invoke(main, ["compile-verdicts", "--forget"])
    assert result.exit_code == 0 and "forgot 1 verdict" in result.output
    assert not (tmp_path / "compile-verdicts.json").exists()
    monkeypatch.setenv("ACTLAB_COMPILE", "maybe")
    result = runner.invoke(main, ["compile-verdicts"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: $ACTLAB_COMPILE='maybe' is not a compile mode; choose one of off, auto, on "
        "(or 1/0)"]
    POLICY.store.clear()


def test_compiled_code_is_first_built_on_the_real_tensor(monkeypatch):
    # Inductor tunes its code (threads, vector width) to the sizes it first sees: building
    # on a small stand-in made a loop without threads.
    seen = []

    def record(kernel, t, runner):
        seen.append((tuple(t.shape), t.requires_grad, torch.is_grad_enabled()))
        return apply_fused(kernel, t)

    monkeypatch.setattr(compile_policy, "apply_compiled", record)
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    compile_policy._build(_kernel(), x)
    assert seen == [((4, 3, 16, 16), False, False), ((4, 3, 16, 16), True, True)]
    assert x.grad is None  # the build leaves the caller's tensor alone
