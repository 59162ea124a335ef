"""The playground in real headless Chromium: it loads cleanly, deep links plot, edits
redraw, training updates its loss and boundary live, and nothing comes from the internet."""

from __future__ import annotations

import json
import math
import time
import urllib.parse

import pytest

from actlab.catalog.registry import registry
from support.browser import find_chromium, open_page, screenshot_stats

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="needs chromium"),
]
pytest.importorskip("websocket")


def _traces(page, plot: str) -> list[str]:
    return page.evaluate(f"document.getElementById('{plot}').data.map(t => t.name)")


def _check_clean(page, server) -> None:
    report = page.report()
    assert report.errors == [], [(m.level, m.text) for m in report.errors]
    foreign = [u for u in report.requests
               if not (u.startswith(server.url) or u.startswith(server.ws_url)
                       or u.startswith("data:") or u.startswith("blob:"))]
    assert foreign == []


def _not_blank(page, path) -> None:
    stats = screenshot_stats(page.screenshot(path))
    assert not stats.looks_blank(), stats


def test_deep_link_plots_its_activations(playground_server, tmp_path):
    with open_page(playground_server.url + "/?activations=gelu,mish") as page:
        page.wait_until("window.actlabPlayground && actlabPlayground.renders.functions >= 1 "
                        "&& actlabPlayground.renders.vectors >= 1")
        for plot in ("plot-f", "plot-f1", "plot-f2"):
            assert _traces(page, plot) == ["gelu", "mish"]
            lengths = page.evaluate(f"document.getElementById('{plot}').data"
                                    ".map(t => t.y.length)")
            assert min(lengths) >= 401
        assert _traces(page, "plot-transformation") == ["y = x (inputs)", "gelu", "mish"]
        # The card of each function shows its formula as MathML, typeset by KaTeX.
        assert page.evaluate("document.querySelectorAll('#function-cards math').length") == 2
        # Seed 004's vector and its scaled version, as bars of softmax, sparsemax, log_softmax.
        assert page.evaluate("document.querySelectorAll('#vector-plots .js-plotly-plot')"
                             ".length") == 2
        assert _traces(page, "plot-vector-0") == ["softmax", "sparsemax", "log_softmax"]
        assert "activations=gelu,mish" in page.evaluate("location.search")
        _not_blank(page, tmp_path / "functions.png")
        # Hover shows values; dragging across the plot zooms into that x range.
        to_pixels = """((x, y) => { const p = document.getElementById('plot-f');
            const box = p.getBoundingClientRect(), size = p._fullLayout._size;
            return [box.left + size.l + p._fullLayout.xaxis.l2p(x),
                    box.top + size.t + p._fullLayout.yaxis.l2p(y)]; })"""
        page.move(*page.evaluate(f"{to_pixels}(1.0, 0.84)"))
        page.wait_until("document.querySelectorAll('#plot-f .hoverlayer .hovertext').length > 0")
        hover = page.evaluate("document.querySelector('#plot-f .hoverlayer').textContent")
        values = {"gelu": 0.5 * (1 + math.erf(1 / math.sqrt(2))),
                  "mish": math.tanh(math.log1p(math.e))}
        name, point = hover.split("(", 1)
        x_value, y_value = (float(v) for v in point.rstrip(")").split(","))
        assert x_value == 1.0 and y_value == pytest.approx(values[name], abs=1e-6)
        page.drag(page.evaluate(f"{to_pixels}(0.5, 0.5)"), page.evaluate(f"{to_pixels}(2.5, 0.5)"))
        page.wait_until("document.getElementById('plot-f').layout.xaxis.range[1] < 3")
        low, high = page.evaluate("document.getElementById('plot-f').layout.xaxis.range")
        assert low == pytest.approx(0.5, abs=0.1) and high == pytest.approx(2.5, abs=0.1)
        # An edited vector is drawn again: softmax of (0, 0) is (1/2, 1/2).
        page.evaluate("""(() => { const v = document.querySelector('#vector-inputs input');
                          v.value = '0,0'; v.dispatchEvent(new Event('change')); })()""")
        page.wait_until("document.getElementById('plot-vector-0').data[0].y.length === 2")
        assert page.evaluate("document.getElementById('plot-vector-0').data[0].y") == [0.5, 0.5]
        assert "vectors=0,0;" in page.evaluate("location.search")
        # The other views open from their tabs, and the address follows.
        for view in ("theory", "training", "functions"):
            page.evaluate(f"document.querySelector('nav button[data-view={view}]').click()")
            assert page.evaluate(f"!document.getElementById('{view}-view').hidden")
            assert (f"view={view}" in page.evaluate("location.search")) == (view != "functions")
        page.wait_until("actlabPlayground.renders.theory >= 1", timeout=180)
        _check_clean(page, playground_server)


def test_editing_the_activations_redraws(playground_server):
    with open_page(playground_server.url + "/?activations=elu,relu") as page:
        page.wait_until("actlabPlayground.renders.functions >= 1")
        page.evaluate("document.getElementById('add-activation').value = 'tanh';"
                      "document.getElementById('add-button').click()")
        page.wait_until("document.getElementById('plot-f').data.some(t => t.name === 'tanh')")
        assert _traces(page, "plot-f") == ["elu", "relu", "tanh"]
        assert "activations=elu,relu,tanh" in page.evaluate("location.search")
        # Remove relu with its card's button.
        page.evaluate("document.querySelectorAll('.card-head button.remove')[1].click()")
        page.wait_until("!document.getElementById('plot-f').data.some(t => t.name === 'relu')")
        # ELU's alpha slider: alpha = 2 redraws f(-5) = 2 (e^-5 - 1).
        page.evaluate("""(() => { const n = document.querySelector('.card input[type=number]');
                          n.value = '2'; n.dispatchEvent(new Event('change')); })()""")
        page.wait_until("document.getElementById('plot-f').data[0].name === 'elu(alpha=2)'")
        first = page.evaluate("document.getElementById('plot-f').data[0].y[0]")
        assert first == pytest.approx(2 * (math.exp(-5) - 1), rel=1e-6)
        assert "activations=elu(alpha=2),tanh" in urllib.parse.unquote(
            page.evaluate("location.search"))
        # A bad name is reported on the page, and the plots stay as they were.
        page.evaluate("document.getElementById('add-activation').value = 'mush';"
                      "document.getElementById('add-button').click()")
        page.wait_until("document.getElementById('functions-status').textContent"
                        ".includes('mish')")
        assert len(_traces(page, "plot-f")) == 2
        # A card's "theory" button opens the theory view on that activation.
        page.evaluate("document.querySelector('.card-head button:not(.remove)').click()")
        page.wait_until("actlabPlayground.renders.theory >= 1", timeout=180)
        assert page.evaluate("actlabPlayground.data.theory.activation") == "elu(alpha=2)"
        assert "theory=elu(alpha" in page.evaluate("location.search")


def test_training_updates_loss_and_boundary_live(playground_server, tmp_path):
    url = (playground_server.url + "/?view=training&dataset=xor&train=relu,tanh&steps=400"
           "&points=200&lr=0.1&hidden=6,6")
    with open_page(url) as page:
        page.wait_until("!!(window.Plotly && document.getElementById('train-start'))")
        page.evaluate("document.getElementById('train-start').click()")
        page.wait_until("actlabPlayground.renders.training >= 1", timeout=120)
        early = page.evaluate("JSON.stringify(document.getElementById('plot-boundary-0')"
                              ".data[0].z)")
        page.wait_until("document.getElementById('train-status').textContent"
                        ".startsWith('done')", timeout=300)
        page.wait_until("document.getElementById('plot-loss').data[0].x.slice(-1)[0] === 400")
        loss = page.evaluate("document.getElementById('plot-loss').data.map(t => t.y)")
        assert len(loss) == 4 and all(len(y) >= 2 for y in loss)
        assert loss[0][-1] < loss[0][0]  # relu's training loss fell
        late = page.evaluate("JSON.stringify(document.getElementById('plot-boundary-0')"
                             ".data[0].z)")
        assert early != late
        assert json.loads(late) and len(json.loads(late)) == 41
        assert _traces(page, "plot-grad-norms") == ["relu", "tanh"]
        assert len(page.evaluate("document.getElementById('plot-dead').data[0].y")) == 2
        _not_blank(page, tmp_path / "training.png")
        _check_clean(page, playground_server)


def test_theory_view_shows_numbers_phase_diagram_and_depth(playground_server, tmp_path):
    with open_page(playground_server.url + "/?view=theory&theory=relu&init=he") as page:
        page.wait_until("actlabPlayground.renders.phase >= 1", timeout=180)
        table = page.evaluate("document.getElementById('theory-numbers').innerText")
        assert "critical" in table
        point = page.evaluate("document.getElementById('plot-phase').data[2]")
        assert (point["x"], point["y"]) == ([2], [0])
        assert _traces(page, "plot-gradient") == ["mean-field theory",
                                                  "simulation (width 256)"]
        _not_blank(page, tmp_path / "theory.png")
        # Clicking the phase diagram at (σ_w², σ_b²) ≈ (1, 0.2) moves the network there.
        x, y = page.evaluate("""(() => {
            const plot = document.getElementById('plot-phase');
            const box = plot.getBoundingClientRect(), size = plot._fullLayout._size;
            plot.scrollIntoView();
            const top = plot.getBoundingClientRect().top;
            return [box.left + size.l + plot._fullLayout.xaxis.l2p(1.0),
                    top + size.t + plot._fullLayout.yaxis.l2p(0.2)]; })()""")
        page.click(x, y)
        page.wait_until("actlabPlayground.renders.phase >= 2", timeout=180)
        assert page.evaluate("document.getElementById('theory-init').value") == "custom"
        sigma_w2, sigma_b2 = page.evaluate("[actlabPlayground.data.theory.sigma_w2, "
                                           "actlabPlayground.data.theory.sigma_b2]")
        # The click lands on the heatmap cell nearest the point: within one cell of it.
        assert abs(sigma_w2 - 1.0) < 0.3 and abs(sigma_b2 - 0.2) < 0.05
        assert "init=custom" in page.evaluate("location.search")
        _check_clean(page, playground_server)


def test_katex_typesets_every_catalog_formula(playground_server):
    formulas = {spec.name: spec.latex for spec in registry().specs()}
    with open_page(playground_server.url + "/?view=theory") as page:
        page.wait_until("window.katex")
        failed = page.evaluate(f"""(() => {{
            const failed = {{}};
            for (const [name, tex] of Object.entries({json.dumps(formulas)})) {{
              try {{ katex.renderToString(tex, {{output: 'mathml', throwOnError: true}}); }}
              catch (err) {{ failed[name] = err.message; }}
            }}
            return failed; }})()""")
    assert failed == {}


def test_a_link_with_an_unknown_name_plots_the_others(playground_server):
    with open_page(playground_server.url + "/?activations=gelu,mush,tanh") as page:
        page.wait_until("actlabPlayground.renders.functions >= 1")
        assert _traces(page, "plot-f") == ["gelu", "tanh"]
        status = page.evaluate("document.getElementById('functions-status').textContent")
        assert status.startswith("left out mush: unknown activation") and "'mish'" in status
        assert "activations=gelu,tanh" in page.evaluate("location.search")


def test_the_stop_button_ends_a_run(playground_server):
    url = (playground_server.url + "/?view=training&dataset=spiral&train=relu&steps=20000"
           "&hidden=32,32,32,32,32,32&points=1000")
    with open_page(url) as page:
        page.wait_until("!!(window.Plotly && document.getElementById('train-start'))")
        page.evaluate("document.getElementById('train-start').click()")
        page.wait_until("actlabPlayground.renders.training >= 1", timeout=120)
        assert page.evaluate("document.getElementById('train-start').disabled")
        page.evaluate("document.getElementById('train-stop').click()")
        page.wait_until("document.getElementById('train-status').textContent"
                        ".startsWith('stopped')", timeout=60)
        page.wait_until("!document.getElementById('train-start').disabled")
        assert page.evaluate("actlabPlayground.data.training.step") < 20000
    deadline = time.monotonic() + 30
    while playground_server.get("/api/health")[1]["training_jobs"]:
        assert time.monotonic() < deadline, "the stopped job kept its slot"
        time.sleep(0.1)


def test_a_bad_training_setting_is_named_on_the_page(playground_server):
    url = playground_server.url + "/?view=training&lr=fast&steps=5"
    with open_page(url) as page:
        page.wait_until("!!(window.Plotly && document.getElementById('train-start'))")
        page.evaluate("document.getElementById('train-start').click()")
        page.wait_until("document.getElementById('train-status').classList.contains('error')")
        status = page.evaluate("document.getElementById('train-status').textContent")
        assert status == "learning_rate must be a number, got 'fast'"
        page.wait_until("!document.getElementById('train-start').disabled")
