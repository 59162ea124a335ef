"""The playground's JSON API over real HTTP: right numbers, and 4xx for anything malformed."""

from __future__ import annotations

import concurrent.futures
import inspect
import math
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from scipy.special import softmax

#: Seed 004 (Keras docs): softmax([1, 2, 3, 4, 1, 2, 3]), printed to 3 decimals.
SEED_004_SOFTMAX = [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175]
#: SymPy's solve() of this degree-36 polynomial (the formula's kink search) takes minutes
#: (a degree-24 one took 45 s on a busy 2-core machine).
# SymPy's second derivative of erf nested 62 times takes many seconds (its cost grows with
# the square of the nesting), past the playground's 3 s.
SLOW_FORMULA = "erf(" * 62 + "x" + ")" * 62


def q(**params) -> str:
    return "?" + urllib.parse.urlencode(params)


def _curve_at(curve: dict, x: float) -> float:
    index = int(np.argmin(np.abs(np.array(curve["x"], dtype=float) - x)))
    assert abs(curve["x"][index] - x) < 1e-12
    return curve["y"][index]


def test_deep_link_activations_get_exact_curves(playground_server):
    status, data = playground_server.get("/api/functions" + q(activations="gelu,mish",
                                                              xmin=-4, xmax=4, points=81))
    assert status == 200, data
    gelu, mish = data["functions"]
    assert (gelu["name"], mish["name"]) == ("gelu", "mish")

    def mish_math(x: float) -> float:
        return x * math.tanh(math.log1p(math.exp(x)))

    for x in (-3.0, -0.5, 1.0, 2.5):
        assert _curve_at(gelu["curves"][0], x) == pytest.approx(
            0.5 * x * (1 + math.erf(x / math.sqrt(2))), rel=1e-6)
        assert _curve_at(mish["curves"][0], x) == pytest.approx(mish_math(x), rel=1e-6)
        h = 1e-4  # central differences: error ~h² f‴ ≈ 1e-8
        assert _curve_at(mish["curves"][1], x) == pytest.approx(
            (mish_math(x + h) - mish_math(x - h)) / (2 * h), abs=1e-6)
        assert _curve_at(mish["curves"][2], x) == pytest.approx(
            (mish_math(x + h) - 2 * mish_math(x) + mish_math(x - h)) / h**2, abs=1e-4)
    assert gelu["latex"] and gelu["properties"]["monotonic"] is False
    # Seed 001's transformation view: its inputs -3, -2.5, ..., 3 and f of each.
    transformation = gelu["transformation"]
    assert transformation["x"] == [i / 2 for i in range(-6, 7)]
    assert transformation["y"][-1] == pytest.approx(3 * 0.5 * (1 + math.erf(3 / math.sqrt(2))))


def test_kinks_are_reported_as_jumps(playground_server):
    status, data = playground_server.get("/api/functions" + q(activations="relu"))
    assert status == 200
    (jump,) = data["functions"][0]["curves"][1]["jumps"]
    assert (jump["x"], jump["left"], jump["right"], jump["value"]) == (0.0, 0.0, 1.0, 0.0)


def test_flavors_and_parameters_become_sliders(playground_server):
    keras = pytest.importorskip("keras")
    status, data = playground_server.get(
        "/api/functions" + q(activations="keras:leaky_relu(alpha=0.3),x*sigmoid(b*x); b=1.702"))
    assert status == 200, data
    leaky, formula = data["functions"]
    (slope,) = leaky["params"]
    keras_default = inspect.signature(keras.activations.leaky_relu).parameters[
        "negative_slope"].default
    assert (slope["name"], slope["value"], slope["default"]) == ("negative_slope", 0.3,
                                                                 keras_default)
    assert (leaky["base"], leaky["style"]) == ("keras:leaky_relu", "call")
    assert "keras.layers.LeakyReLU" in leaky["spellings"]
    assert (formula["base"], formula["style"]) == ("x*sigmoid(b*x)", "formula")
    assert [p["name"] for p in formula["params"]] == ["b"]
    assert _curve_at(formula["curves"][0], 1.0) == pytest.approx(1 / (1 + math.exp(-1.702)))


def test_vector_functions_reproduce_seed_004(playground_server):
    status, data = playground_server.get("/api/vectors")
    assert status == 200
    softmax_fn, sparsemax_fn, log_softmax_fn = data["functions"]
    x = np.array([1, 2, 3, 4, 1, 2, 3.0])
    assert np.round(softmax_fn["outputs"][0], 3).tolist() == SEED_004_SOFTMAX
    np.testing.assert_allclose(softmax_fn["outputs"][1], softmax(0.1 * x), rtol=1e-6)
    # Sparsemax: the threshold τ = 3 leaves only the 4 (Martins & Astudillo 2016).
    assert sparsemax_fn["outputs"][0] == [0, 0, 0, 1, 0, 0, 0]
    np.testing.assert_allclose(log_softmax_fn["outputs"][0], np.log(softmax(x)), rtol=1e-6)
    status, data = playground_server.get("/api/vectors" + q(functions="softmax",
                                                            vectors="0,0;1,1,1,1"))
    assert status == 200 and data["functions"][0]["outputs"] == [[0.5, 0.5], [0.25] * 4]


def test_theory_numbers_match_known_values(playground_server):
    status, data = playground_server.get("/api/theory" + q(activation="relu", init="he",
                                                           depth=8, width=64))
    assert status == 200, data
    # He init for ReLU: σ_w² = 2 is exactly critical, χ₁ = σ_w² E[relu′(z)²] = 2 · 1/2.
    assert data["sigma_w2"] == 2.0
    assert data["mean_field"]["chi_1"] == pytest.approx(1.0, abs=1e-9)
    assert data["mean_field"]["critical_sigma_w2"] == pytest.approx(2.0, rel=1e-6)
    assert len(data["propagation"]["simulation"]["grad_norm"]) == 8
    status, data = playground_server.get("/api/theory" + q(activation="tanh", init="custom",
                                                           sigma_w2=0.5, depth=4, width=16))
    # tanh at σ_b² = 0: q* = 0 and χ₁ = σ_w² tanh′(0)² = σ_w² (Poole et al. 2016).
    assert data["mean_field"]["chi_1"] == pytest.approx(0.5, rel=1e-9)
    assert data["mean_field"]["phase"] == "ordered"


def test_phase_diagram_of_relu(playground_server):
    status, data = playground_server.get("/api/phase" + q(activation="relu"))
    assert status == 200, data
    chi = np.array(data["chi_1"], dtype=float)
    assert chi.shape == (len(data["sigma_b2"]), len(data["sigma_w2"]))
    sw = np.array(data["sigma_w2"])
    below = sw < 2
    # σ_b² = 0 and σ_w² < 2: q* = 0, where relu′ is 1/2 on average, so χ₁ = σ_w²/2.
    np.testing.assert_allclose(chi[0, below], sw[below] / 2, rtol=1e-6)


def _error(server, path: str, status: int = 400) -> str:
    code, body = server.get(path)
    assert code == status, (path, code, body)
    assert server.get("/api/health")[0] == 200  # and the server is still up
    return body["error"] if isinstance(body, dict) else body


@pytest.mark.parametrize(("path", "message"), [
    ("/api/functions" + q(activations="gelu,mush"), "did you mean 'mish'"),
    ("/api/functions" + q(activations="a,b,c,d,e,f,g"), "at most 6"),
    ("/api/functions" + q(xmin="abc"), "xmin must be a number"),
    ("/api/functions" + q(xmin=3, xmax=1), "xmin must be below xmax"),
    ("/api/functions" + q(xmax="1e9"), "xmax must lie in"),
    ("/api/functions" + q(points=10**6), "points must lie in"),
    ("/api/functions" + q(colour="red"), "unknown field 'colour'"),
    ("/api/functions?xmin=1&xmin=2", "given more than once"),
    ("/api/functions" + q(activations="elu(alpha='x')"), "alpha"),
    ("/api/functions" + q(activations="leaky_relu(bogus=1)"), "unknown parameter 'bogus'"),
    ("/api/vectors" + q(vectors=",".join(["1"] * 65)), "at most 64"),
    ("/api/vectors" + q(vectors="1,2;" * 5 + "1"), "6 vectors; at most 4"),
    ("/api/vectors" + q(vectors="1,nan"), "must lie in"),
    ("/api/vectors" + q(functions="relu"), "takes functions of a whole vector"),
    ("/api/theory" + q(activation="softmax"), "elementwise"),
    ("/api/theory" + q(activation="tanh", init="zeros"), "init must be one of"),
    ("/api/theory" + q(activation="tanh", depth=100000), "depth must lie in"),
    ("/api/theory" + q(activation="tanh", width=10**9), "width must lie in"),
    ("/api/theory" + q(activation="tanh", sigma_b2=-1), "sigma_b2 must lie in"),
    ("/api/theory" + q(activation="tanh,relu"), "one activation"),
    ("/api/phase" + q(activation="tanh", sigma_w2=0), "sigma_w2 must lie in"),
    ("/api/functions" + q(activations="x" * 5000), "at most 4000"),
])
def test_malformed_requests_get_400(playground_server, path, message):
    assert message in _error(playground_server, path)


@pytest.mark.parametrize("formula", [
    "__import__('os').system('touch {marker}')",
    "x.__class__.__bases__",
    "(lambda: 1)()",
    "[c for c in ().__class__.__bases__]",
    "open('{marker}', 'w')",
    "x**10**10",
    "exp(" * 120 + "x" + ")" * 120,
    "1/(x-x)",
    "+".join(["x"] * 300),
])
def test_hostile_formulas_get_400_and_run_nothing(playground_server, tmp_path, formula):
    marker = tmp_path / "created"
    text = formula.format(marker=marker)
    _error(playground_server, "/api/functions" + q(activations=text))
    assert not marker.exists()


def test_a_formula_that_computes_too_long_is_stopped(tight_server):
    message = _error(tight_server, "/api/functions" + q(activations=SLOW_FORMULA), 422)
    assert "longer than 1 s" in message
    status, data = tight_server.get("/api/functions" + q(activations="tanh"))
    assert status == 200 and data["functions"][0]["name"] == "tanh"


def test_a_flood_of_slow_requests_is_refused_and_the_server_stays_up(tight_server):
    paths = ["/api/functions" + q(activations=f"{SLOW_FORMULA} + {i}*x") for i in range(10)]
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        statuses = [code for code, _ in pool.map(tight_server.get, paths)]
    # 6 are queued or run (and stopped after 1 s each), the other 4 are refused at once.
    assert sorted(statuses) == [422] * 6 + [429] * 4
    assert tight_server.get("/api/health")[1]["computations"] == 0
    assert tight_server.get("/api/functions" + q(activations="relu"))[0] == 200


def test_oversized_request_lines_get_4xx(playground_server):
    import socket
    import urllib.parse as parse

    # Past h11's 16 KiB limit on a request's head (and far past the query's 4000 characters).
    host, port = parse.urlsplit(playground_server.url).netloc.split(":")
    request = (f"GET /api/functions?activations={'x' * 20_000} HTTP/1.1\r\n"
               f"Host: {host}:{port}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = sock.recv(200).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 4"), answer
    assert playground_server.get("/api/health")[0] == 200


def test_other_hosts_paths_and_methods(playground_server):
    code, body = playground_server.get("/api/health", headers={"Host": "attacker.example"})
    assert code == 400  # DNS rebinding: a page from another site cannot reach the API
    assert playground_server.get("/api/nothing")[0] == 404
    assert playground_server.get("/static/../server.py")[0] == 404
    assert playground_server.get("/static/%2e%2e/server.py")[0] == 404
    import urllib.error
    import urllib.request
    request = urllib.request.Request(playground_server.url + "/api/functions", data=b"{}",
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 405


def test_page_and_vendored_libraries_are_served(playground_server):
    import urllib.request

    with urllib.request.urlopen(playground_server.url + "/", timeout=30) as response:
        page = response.read().decode()
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    static = Path(__file__).parents[2] / "src/actlab/playground/static"
    for script in ("/static/app.js", "/static/vendor/plotly-cartesian.min.js",
                   "/static/vendor/katex.min.js"):
        assert f'src="{script}"' in page
        with urllib.request.urlopen(playground_server.url + script, timeout=30) as response:
            assert response.read() == (static / script.removeprefix("/static/")).read_bytes()
    # No CDN: the page names no other host.
    assert "http://" not in page and "https://" not in page
    for licence in ("plotly-LICENSE.txt", "katex-LICENSE.txt"):
        assert "MIT" in (static / "vendor" / licence).read_text()
