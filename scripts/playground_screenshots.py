"""Take the README's screenshots of `actlab playground` in headless Chromium.

    python scripts/playground_screenshots.py [OUTDIR]    (default: docs/)

Starts the playground on a free port, opens the functions view of a deep link and a
training run of three activations on the spiral, and writes playground-functions.png
and playground-training.png. Needs chromium and websocket-client (the test extra).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import open_page, screenshot_stats  # noqa: E402

FUNCTIONS = "/?activations=gelu,mish,keras:leaky_relu(negative_slope=0.3)&xmin=-4&xmax=4"
TRAINING = ("/?view=training&dataset=spiral&noise=0.1&train=relu,tanh,gelu&hidden=8,8,8"
            "&optimizer=adam&lr=0.03&steps=1500")


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "actlab.cli", "playground", "--port", "0",
                               "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0).rstrip("/")
        with open_page(url + FUNCTIONS, height=1000, timeout=180) as page:
            page.wait_until("window.actlabPlayground && actlabPlayground.renders.functions "
                            "&& actlabPlayground.renders.vectors", timeout=180)
            page.screenshot(outdir / "playground-functions.png")
        with open_page(url + TRAINING, height=900, timeout=180) as page:
            page.wait_until("!!(window.Plotly && document.getElementById('train-start'))")
            page.evaluate("document.getElementById('train-start').click()")
            page.wait_until("document.getElementById('train-status').textContent"
                            ".startsWith('done')", timeout=600)
            page.wait_until("actlabPlayground.data.training.step === 1500")
            page.screenshot(outdir / "playground-training.png")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    for name in ("playground-functions.png", "playground-training.png"):
        stats = screenshot_stats(outdir / name)
        print(f"{outdir / name}: {stats.width}x{stats.height}, "
              f"{'BLANK' if stats.looks_blank() else 'drawn'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
